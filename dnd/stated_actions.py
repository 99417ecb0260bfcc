"""A rule-based parser from a player's natural-language message to the mechanical actions it states.

Run on every turn before any model (and by the offline narrator), so "I drink my healing potion" becomes the
same engine action a command would run; `workers.llm.schema.stated_update` turns each result into the
allow-listed update a model could have proposed. It is deliberately conservative: it only reads first-person or
imperative clauses, skips questions, negations and quoted speech, and answers genuinely ambiguous intent
("I attack" with two goblins around, "I use it") with one question instead of guessing.

Pure functions: no I/O, deterministic, fast (a handful of precompiled regexes per clause).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dnd.phrases import parse_quantity, singularize

MAX_ACTIONS_PER_MESSAGE = 4
MAX_QUANTITY = 99  # the most of one thing a single stated action moves

ActionKind = Literal["attack", "cast", "use_item", "buy", "sell", "drop", "pick_up", "rest", "save", "check"]


@dataclass(frozen=True)
class StatedAction:
    """A mechanical action stated in plain words, for the engine to run with its own checks.

    For `rest`, `target` is "short" or "long"; for `save`/`check`, `target` is the ability or skill.
    """

    kind: ActionKind
    actor_player_id: int
    target: str | None = None
    item: str | None = None
    spell: str | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class Clarification:
    """One question back to the player when the intent is ambiguous."""

    question: str


# Everyday names for SRD items; the engine does the final, case-insensitive lookup.
ITEM_ALIASES: dict[str, str] = {
    "healing potion": "Potion of Healing",
    "health potion": "Potion of Healing",
    "potion of healing": "Potion of Healing",
    "potion of health": "Potion of Healing",
    "greater healing potion": "Potion of Greater Healing",
    "potion of greater healing": "Potion of Greater Healing",
    "superior healing potion": "Potion of Superior Healing",
    "potion of superior healing": "Potion of Superior Healing",
    "supreme healing potion": "Potion of Supreme Healing",
    "potion of supreme healing": "Potion of Supreme Healing",
}

ABILITIES: dict[str, str] = {
    "strength": "Strength",
    "str": "Strength",
    "dexterity": "Dexterity",
    "dex": "Dexterity",
    "constitution": "Constitution",
    "con": "Constitution",
    "intelligence": "Intelligence",
    "int": "Intelligence",
    "wisdom": "Wisdom",
    "wis": "Wisdom",
    "charisma": "Charisma",
    "cha": "Charisma",
}
SKILLS: tuple[str, ...] = (
    "acrobatics",
    "animal handling",
    "arcana",
    "athletics",
    "deception",
    "history",
    "insight",
    "intimidation",
    "investigation",
    "medicine",
    "nature",
    "perception",
    "performance",
    "persuasion",
    "religion",
    "sleight of hand",
    "stealth",
    "survival",
)


@dataclass(frozen=True)
class ActionContext:
    """What the parser may use to resolve "I attack" or "my potion": who is around, what the actor carries."""

    targets: Sequence[str] = field(default_factory=tuple)
    inventory: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> ActionContext:
        if not data:
            return cls()
        return cls(
            targets=tuple(str(t) for t in data.get("targets") or ()),
            inventory=tuple(str(i) for i in data.get("inventory") or ()),
        )


def parse_actions(
    text: str, actor_player_id: int, context: ActionContext | Mapping[str, Any] | None = None
) -> list[StatedAction | Clarification]:
    """The allow-listed actions (or one clarify question) stated in a player's message; [] if none."""
    if not isinstance(context, ActionContext):
        context = ActionContext.from_mapping(context)
    # "I charge goblin 1 and slash at it": a creature named once in the message is what "it" means there.
    named = [t for t in context.targets if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text, re.IGNORECASE)]
    if len(named) == 1:
        text = _PRONOUN_TARGET_RE.sub(lambda m: f"{m.group('lead')} {named[0]}", text)
    updates: list[StatedAction | Clarification] = []
    seen: set[StatedAction | Clarification] = set()
    for clause in _clauses(text):
        update = _parse_clause(clause, actor_player_id, context)
        if update is None:
            continue
        if update in seen:
            continue
        seen.add(update)
        updates.append(update)
        if len(updates) >= MAX_ACTIONS_PER_MESSAGE:
            break
    # One question is enough: if anything was unclear, ask only the first unclear thing.
    questions = [u for u in updates if isinstance(u, Clarification)]
    if len(questions) > 1:
        updates = [u for u in updates if not isinstance(u, Clarification)] + questions[:1]
    return updates


def canonical_item_name(phrase: str, quantity: int | None = None) -> str:
    """A player's item phrase as an item name: articles stripped, aliases resolved, plural singularized."""
    name = _strip_determiners(phrase)
    lowered = name.lower()
    if lowered in ITEM_ALIASES:
        return ITEM_ALIASES[lowered]
    if quantity is not None and quantity > 1:
        name = singularize(name)
        if name.lower() in ITEM_ALIASES:
            return ITEM_ALIASES[name.lower()]
    return title_case(name)


def title_case(phrase: str) -> str:
    minor = {"of", "the", "and", "from", "with", "in", "on", "to", "a", "an", "or", "for"}
    words = phrase.split()
    out = []
    for position, word in enumerate(words):
        if position > 0 and word.lower() in minor:
            out.append(word.lower())
        elif word[:1].isalpha():
            out.append(word[0].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)


# --- clause splitting ------------------------------------------------------------------------------------

_ACTION_VERBS = (
    r"attack|attacks|hit|hits|strike|strikes|stab|stabs|slash|slashes|shoot|shoots|swing|swings|punch|punches|"
    r"kick|kicks|smite|charge|charges|lunge|lunges|fire|fires|cast|casts|drink|drinks|quaff|quaffs|gulp|"
    r"gulps|chug|chugs|swig|use|uses|activate|activates|apply|applies|eat|eats|read|reads|light|lights|"
    r"buy|buys|purchase|purchases|sell|sells|drop|drops|discard|discards|pick|picks|grab|grabs|take|takes|"
    r"snatch|snatches|collect|collects|rest|rests|make|makes|roll|rolls|attempt|attempts"
)
_QUOTED_RE = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»")
_AND_THEN_RE = re.compile(
    rf"(?:,\s*|\s+)(?:and\s+then|and|then|,)\s+(?=(?:i\s+(?:will\s+|'ll\s+)?)?(?:{_ACTION_VERBS})\b)",
    re.IGNORECASE,
)
_SUBJECT_RE = re.compile(
    r"^(?:(?:ok|okay|so|then|and|now|alright|right|quickly|carefully|first|next|finally)[,\s]+)*"
    r"(?:(?:i|we)\s*(?:'ll|'m\s+going\s+to|'d\s+like\s+to)?\s+"
    r"|let\s+me\s+|let's\s+)?"
    r"(?:(?:will|shall|am\s+going\s+to|are\s+going\s+to|want\s+to|wanna|try\s+to|tries\s+to|"
    r"attempt\s+to|would\s+like\s+to|quickly|carefully|then|also|immediately|just|now)\s+)*",
    re.IGNORECASE,
)
_NEGATION_RE = re.compile(
    r"\b(?:not|don't|dont|never|won't|wont|can't|cant|cannot|shouldn't|wouldn't)\b", re.I
)
_CHARACTER_EMOTE_RE = re.compile(r"[*_~`]+")


def _clauses(text: str) -> list[str]:
    if not text:
        return []
    text = text.replace("’", "'").replace("‘", "'")
    text = _QUOTED_RE.sub(" ", text)  # in-character speech is not an action ("Drop your weapons!")
    text = _CHARACTER_EMOTE_RE.sub(" ", text)
    clauses: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence.endswith("?"):
            continue  # a question, not a declaration
        for part in _AND_THEN_RE.split(sentence):
            part = part.strip(" ,.!;:-")
            if part:
                clauses.append(part)
    return clauses


# --- one clause ------------------------------------------------------------------------------------------

_DETERMINERS = (
    r"(?:the|a|an|my|our|your|his|her|their|its|this|that|these|those|some|nearest|closest|"
    r"other|last|remaining|one\s+of\s+the|one\s+of\s+my)\s+"
)
_DETERMINER_RE = re.compile(rf"^(?:{_DETERMINERS})+", re.IGNORECASE)
_TRAILING_FILLER_RE = re.compile(
    r"\s+(?:again|as\s+well|too|now|right\s+now|quickly|please|immediately|at\s+once|"
    r"with\s+all\s+my\s+might|if\s+i\s+can|if\s+possible)$",
    re.IGNORECASE,
)
_PRONOUNS = frozenset(
    {"it", "that", "this", "them", "him", "her", "one", "something", "anything", "stuff", ""}
)

_REST_RE = re.compile(r"\b(short|long)\s+rest\b", re.IGNORECASE)
_BARE_REST_RE = re.compile(
    r"^(?:rest|rests|take\s+a\s+rest|have\s+a\s+rest|take\s+a\s+break|make\s+camp|set\s+up\s+camp)$", re.I
)
_REST_VERB_RE = re.compile(
    r"^(?:take|takes|have|has|finish|finishes|start|starts|begin|begins|do|go\s+for|settle|short|long)\b",
    re.I,
)
_BREATHER_RE = re.compile(r"^(?:take|have)\s+a\s+breather$", re.IGNORECASE)
_CAST_RE = re.compile(r"^(?:cast|casts)\s+(?P<rest>.+)$", re.IGNORECASE)
_DRINK_RE = re.compile(
    r"^(?:drink|drinks|quaff|quaffs|gulp|gulps|gulp\s+down|chug|chugs|swig)\s+(?P<rest>.+)$", re.I
)
_USE_ACTION_RE = re.compile(r"^(?:use|uses)\s+(?:my\s+)?(?:bonus\s+)?action\s+to\s+(?P<rest>.+)$", re.I)
_USE_RE = re.compile(
    r"^(?:use|uses|activate|activates|apply|applies|eat|eats|read|reads|light|lights)\s+(?P<rest>.+)$", re.I
)
_ATTACK_RE = re.compile(
    r"^(?:attack|attacks|hit|hits|strike|strikes|stab|stabs|slash|slashes|slash\s+at|shoot|shoots|"
    r"shoot\s+at|swing\s+at|swings\s+at|punch|punches|kick|kicks|smite|smites|charge|charges|charge\s+at|"
    r"lunge\s+at|lunges\s+at|fire\s+at|fires\s+at|fire\s+an\s+arrow\s+at|go\s+for|make\s+an\s+attack\s+on|"
    r"make\s+an\s+attack\s+against)(?:\s+(?P<rest>.+))?$",
    re.IGNORECASE,
)
_SWING_WEAPON_RE = re.compile(
    r"^(?:swing|swings|thrust|thrusts|bring\s+down)\s+(?P<weapon>.+?)\s+(?:at|into|toward|towards)\s+"
    r"(?P<target>.+)$",
    re.IGNORECASE,
)
_BUY_RE = re.compile(r"^(?:buy|buys|purchase|purchases)\s+(?P<rest>.+)$", re.IGNORECASE)
_SELL_RE = re.compile(r"^(?:sell|sells)\s+(?P<rest>.+)$", re.IGNORECASE)
_DROP_RE = re.compile(
    r"^(?:drop|drops|discard|discards|throw\s+away|toss\s+away|put\s+down|set\s+down)\s+(?P<rest>.+)$", re.I
)
_PICK_UP_RE = re.compile(
    r"^(?:pick\s+up|picks\s+up|grab|grabs|snatch|snatches|collect|collects|take|takes)\s+(?P<rest>.+)$", re.I
)
_PICK_X_UP_RE = re.compile(r"^(?:pick|picks)\s+(?P<rest>.+?)\s+up$", re.IGNORECASE)
# "take" is also "take cover", "take a look", "take aim": only object-like phrases are pick-ups.
_TAKE_NOT_AN_ITEM_RE = re.compile(
    r"^(?:a\s+)?(?:look|cover|aim|breath|deep\s+breath|step|moment|seat|watch|rest|break|turn|swing|shot|"
    r"stand|stance|position|note|notes|lead|point|chance|risk|guard|the\s+lead|the\s+watch|first\s+watch|"
    r"a\s+look|it\s+easy)\b",
    re.IGNORECASE,
)
_ABILITY_NAMES = "|".join(sorted(ABILITIES, key=len, reverse=True))
_SKILL_NAMES = "|".join(s.replace(" ", r"\s+") for s in sorted(SKILLS, key=len, reverse=True))
_SAVE_RE = re.compile(
    rf"^(?:make|makes|roll|rolls|attempt|attempts)?\s*(?:a|an|my)?\s*(?P<ability>{_ABILITY_NAMES})"
    rf"\s+(?:saving\s+throw|save)\b",
    re.IGNORECASE,
)
_CHECK_RE = re.compile(
    rf"^(?:make|makes|roll|rolls|attempt|attempts|do)\s+(?:a|an|my|for)?\s*"
    rf"(?P<skill>{_SKILL_NAMES}|{_ABILITY_NAMES})(?:\s+\((?:{_ABILITY_NAMES})\))?(?:\s+(?:check|roll))?$",
    re.IGNORECASE,
)
_SPELL_LEVEL_RE = re.compile(
    r"\s*(?:,\s*)?\b(?:at|using|with)\s+(?:a\s+|my\s+)?(?:\d|first|second|third|fourth|fifth|sixth|seventh|"
    r"eighth|ninth)(?:st|nd|rd|th)?[-\s]level(?:\s+(?:spell\s+)?slot)?\b|\s*\busing\s+(?:a|my)\s+[\w\s-]*?slot\b",
    re.IGNORECASE,
)
_SPELL_TARGET_SPLIT_RE = re.compile(
    r"\s+(?:at|on|upon|against|toward|towards|targeting|onto|into|over)\s+", re.IGNORECASE
)
_WITH_RE = re.compile(r"\s+(?:with|using)\s+", re.IGNORECASE)
_TRADE_TAIL_RE = re.compile(r"\s+(?:from|to|for|off|at)\s+.*$", re.IGNORECASE)
_VAGUE_SPELLS = frozenset({"a spell", "spell", "spells", "something", "magic", "it", "a cantrip", "cantrip"})


def _parse_clause(clause: str, actor: int, context: ActionContext) -> StatedAction | Clarification | None:
    if _NEGATION_RE.search(clause):
        return None
    body = _SUBJECT_RE.sub("", clause, count=1).strip()
    body = _TRAILING_FILLER_RE.sub("", body).strip()
    if not body:
        return None

    # "use my action to attack ..." is the action after "to".
    use_action = _USE_ACTION_RE.match(body)
    if use_action:
        return _parse_clause(use_action.group("rest"), actor, context)

    rest_kind = _REST_RE.search(body)
    if rest_kind and _REST_VERB_RE.match(body):
        return StatedAction(kind="rest", actor_player_id=actor, target=rest_kind.group(1).lower())
    if _BREATHER_RE.match(body):
        return StatedAction(kind="rest", actor_player_id=actor, target="short")
    if _BARE_REST_RE.match(body):
        return _clarify("Do you want a short rest (1 hour) or a long rest (8 hours)?")

    # The first reader whose verb starts the clause decides it (a "take a look" pick-up decides: nothing).
    for pattern, read in _READERS:
        if match := pattern.match(body):
            return read(match, actor, context)
    return None


_Reader = Callable[[re.Match[str], int, ActionContext], StatedAction | Clarification | None]


def _read_save(match: re.Match[str], actor: int, context: ActionContext) -> StatedAction:
    return StatedAction(kind="save", actor_player_id=actor, target=ABILITIES[match.group("ability").lower()])


def _read_check(match: re.Match[str], actor: int, context: ActionContext) -> StatedAction:
    skill = re.sub(r"\s+", " ", match.group("skill").lower())
    return StatedAction(kind="check", actor_player_id=actor, target=ABILITIES.get(skill) or title_case(skill))


def _read_pick_up(match: re.Match[str], actor: int, context: ActionContext) -> StatedAction | Clarification | None:
    phrase = match.group("rest")
    if match.group(0).lower().startswith("take") and _TAKE_NOT_AN_ITEM_RE.match(phrase):
        return None
    return _parse_simple_item("pick_up", phrase, actor, "What do you want to pick up?")


# In order: saves and checks before the verbs, "swing my axe at" before "attack", "pick the key up" before
# "pick up", and "use" last.
_READERS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    (_SAVE_RE, _read_save),
    (_CHECK_RE, _read_check),
    (_CAST_RE, lambda match, actor, context: _parse_cast(match.group("rest"), actor)),
    (_DRINK_RE, lambda match, actor, context: _parse_use(match.group("rest"), actor, context, drinking=True)),
    (_SWING_WEAPON_RE, lambda match, actor, context: _attack(
        actor, _clean_target(match.group("target")), _clean_item(match.group("weapon")), context)),
    (_ATTACK_RE, lambda match, actor, context: _parse_attack(match.group("rest") or "", actor, context)),
    (_BUY_RE, lambda match, actor, context: _parse_trade("buy", match.group("rest"), actor)),
    (_SELL_RE, lambda match, actor, context: _parse_trade("sell", match.group("rest"), actor)),
    (_DROP_RE, lambda match, actor, context: _parse_simple_item(
        "drop", match.group("rest"), actor, "What do you want to drop?")),
    (_PICK_X_UP_RE, lambda match, actor, context: _parse_simple_item(
        "pick_up", match.group("rest"), actor, "What do you want to pick up?")),
    (_PICK_UP_RE, _read_pick_up),
    (_USE_RE, lambda match, actor, context: _parse_use(match.group("rest"), actor, context, drinking=False)),
)


def _parse_cast(phrase: str, actor: int) -> StatedAction | Clarification:
    phrase = _SPELL_LEVEL_RE.sub("", phrase).strip(" ,")
    parts = _SPELL_TARGET_SPLIT_RE.split(phrase, maxsplit=1)
    spell_phrase = _strip_determiners(parts[0]).strip(" ,")
    target = _clean_target(parts[1]) if len(parts) > 1 else None
    if spell_phrase.lower() in _VAGUE_SPELLS or not spell_phrase:
        return _clarify("Which spell do you cast?")
    return StatedAction(kind="cast",
        actor_player_id=actor,
        spell=_bounded(title_case(spell_phrase)),
        target=target,
    )


def _parse_attack(phrase: str, actor: int, context: ActionContext) -> StatedAction | Clarification:
    phrase = phrase.strip()
    weapon: str | None = None
    if phrase.lower().startswith(("with ", "using ")):
        target_phrase, weapon = "", _clean_item(phrase.split(None, 1)[1])
    else:
        parts = _WITH_RE.split(phrase, maxsplit=1)
        target_phrase = parts[0]
        if len(parts) > 1:
            weapon = _clean_item(parts[1])
    return _attack(actor, _clean_target(target_phrase), weapon, context)


def _attack(actor: int, target: str | None, weapon: str | None, context: ActionContext) -> StatedAction | Clarification:
    if target is None:
        if len(context.targets) == 1:
            target = _bounded(context.targets[0])
        elif len(context.targets) > 1:
            return _clarify(f"Who do you attack: {_or_list(context.targets)}?")
        else:
            return _clarify("What do you attack?")
    return StatedAction(kind="attack", actor_player_id=actor, target=target, item=weapon)


def _parse_use(phrase: str, actor: int, context: ActionContext, *, drinking: bool) -> StatedAction | Clarification:
    item_phrase, target = phrase, None
    if not drinking:
        parts = _SPELL_TARGET_SPLIT_RE.split(phrase, maxsplit=1)
        item_phrase = parts[0]
        target = _clean_target(parts[1]) if len(parts) > 1 else None
    counted = _counted(item_phrase)
    if isinstance(counted, Clarification):
        return counted
    quantity, item_phrase = counted
    core = _strip_determiners(item_phrase).lower()
    if core in _PRONOUNS:
        return _clarify("What do you want to drink?" if drinking else "What do you want to use?")
    if drinking and core in ("potion", "a potion", "potions"):
        potions = [item for item in context.inventory if "potion" in item.lower()]
        if len(set(potions)) > 1:
            return _clarify(f"Which potion do you drink: {_or_list(sorted(set(potions)))}?")
        item = potions[0] if potions else "Potion of Healing"
    else:
        item = canonical_item_name(item_phrase, quantity)
    return StatedAction(
        kind="use_item",
        actor_player_id=actor,
        item=_bounded(item),
        target=target,
        quantity=quantity if quantity and quantity > 1 else None,
    )


def _parse_trade(kind: str, phrase: str, actor: int) -> StatedAction | Clarification:
    phrase = _TRADE_TAIL_RE.sub("", phrase).strip()  # the engine prices it: "for 1 gold" is ignored
    return _item_action(kind, phrase, actor, f"What do you want to {kind}?")


def _parse_simple_item(kind: str, phrase: str, actor: int, question: str) -> StatedAction | Clarification:
    phrase = re.sub(r"\s+(?:from|off|on|onto|to|into|in)\s+.*$", "", phrase, flags=re.IGNORECASE).strip()
    return _item_action(kind, phrase, actor, question)


def _item_action(kind: str, phrase: str, actor: int, question: str) -> StatedAction | Clarification:
    """A buy, sell, drop or pick-up of the (counted) item the phrase names; `question` when it names none."""
    counted = _counted(phrase)
    if isinstance(counted, Clarification):
        return counted
    quantity, item_phrase = counted
    if _strip_determiners(item_phrase).lower() in _PRONOUNS:
        return _clarify(question)
    return StatedAction(
        kind=kind,  # type: ignore[arg-type]
        actor_player_id=actor,
        item=_bounded(canonical_item_name(item_phrase, quantity)),
        quantity=quantity,
    )


def _counted(phrase: str) -> tuple[int | None, str] | Clarification:
    """The count and the rest of an item phrase; a question when the count is not one a single action moves."""
    quantity, rest = parse_quantity(phrase)
    if quantity is not None and not 1 <= quantity <= MAX_QUANTITY:
        return _clarify(f"How many? Between 1 and {MAX_QUANTITY} at a time.")
    return quantity, rest


_PRONOUN_TARGET_RE = re.compile(
    r"\b(?P<lead>at|on|against|attacks?|hits?|strikes?|stabs?|slash(?:es)?|shoots?|punch(?:es)?)\s+"
    r"(?:it|him|her|them)\b", re.IGNORECASE)
_TARGET_PREPOSITION_RE = re.compile(r"^(?:at|on|against|towards?|into|upon)\s+", re.IGNORECASE)


def _clean_target(phrase: str) -> str | None:
    phrase = _TRAILING_FILLER_RE.sub("", phrase.strip(" ,.!")).strip()
    phrase = _TARGET_PREPOSITION_RE.sub("", phrase)  # "slashes at it", "swings on the goblin"
    core = _strip_determiners(phrase)
    if core.lower() in _PRONOUNS:
        return None
    return _bounded(core)


def _clean_item(phrase: str) -> str | None:
    core = _strip_determiners(_TRAILING_FILLER_RE.sub("", phrase.strip(" ,.!")))
    if core.lower() in _PRONOUNS:
        return None
    return _bounded(canonical_item_name(core))


def _strip_determiners(phrase: str) -> str:
    return _DETERMINER_RE.sub("", phrase.strip()).strip(" ,.!")


def _or_list(names: Sequence[str]) -> str:
    names = [str(n) for n in names][:6]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def _bounded(text: str, limit: int = 80) -> str:
    return text.strip()[:limit].strip()


def _clarify(question: str) -> Clarification:
    return Clarification(question=question[:300])
