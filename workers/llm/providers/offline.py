"""The offline narrator: deterministic templates over the game state, so the system always answers."""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Mapping
from typing import Any

from dnd.stated_actions import Clarification, StatedAction, parse_actions
from workers.llm.providers import offline_phrases as phrases
from workers.llm.providers.base import GenerationRequest, GenerationResult, ProviderHealth, elapsed_ms
from workers.llm.schema import EncounterUpdate, ModelOutput, truncate_at_sentence

OFFLINE_PROVIDER = "offline"


class OfflineNarrator:
    """Deterministic templates over the game state, so the system always answers (no model, < 1 ms).

    Varied but reproducible: the template choices are seeded by the request id. Mechanical actions in the
    players' messages are read by the rule-based parser of `dnd.stated_actions`, to describe them.
    """

    is_local = False
    always_available = True

    def __init__(self, name: str = OFFLINE_PROVIDER) -> None:
        self.name = name
        self.model = "templates-v1"

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        text = self.narrate(request.request_id, request.context)
        return GenerationResult(
            text=text,
            provider=self.name,
            model=self.model,
            latency_ms=elapsed_ms(started),
            finish_reason="stop",
        )

    async def health(self) -> ProviderHealth:
        return ProviderHealth(
            provider=self.name, ok=True, detail="always available", latency_ms=0.0, model=self.model
        )

    def narrate(self, request_id: str, context: Mapping[str, Any]) -> str:
        """The answer as JSON text of the output schema."""
        seed = int.from_bytes(hashlib.blake2b(request_id.encode("utf-8"), digest_size=8).digest(), "big")
        told = _Telling(random.Random(seed), _recent_sentences(context))
        scene = context.get("scene") if isinstance(context.get("scene"), Mapping) else {}
        fight = [e for e in _as_list(context.get("fight")) if isinstance(e, Mapping)]
        in_fight = bool(fight or context.get("in_combat"))

        place = _place_name(context)
        if place:
            told.say(phrases.OPENINGS_FIGHT if in_fight else phrases.OPENINGS_AT, place=place)
        else:
            told.say(phrases.OPENINGS_NOWHERE)
        if not in_fight:
            told.add(_scene_sentence(scene, told))
            _npcs_present(told, scene)
        self._player_lines(told, context)
        for event, after in zip(fight, [*fight[1:], {}], strict=False):
            if not _told_by_next(event, after):
                _fight_event(told, event)
        _results(told, context, covered_by_fight=bool(fight))
        passages = [p for p in _as_list(context.get("passages")) if isinstance(p, Mapping) and p.get("text")]
        if passages:
            told.add(f"{told.rng.choice(phrases.LORE_LEADS)} {_first_sentence(_plain(str(passages[0]['text'])))}")
        _spotlight(told, context.get("spotlight"))
        hooked = _hook(told, context.get("plot_hook"))
        if not in_fight and not hooked and scene.get("exits"):
            way = re.sub(r"^The\s", "the ", str(scene["exits"][0]))  # mid-sentence; add() capitalises a start
            told.say(phrases.EXIT_LINES, exit=_neutralize(way))
        told.say(phrases.CLOSINGS, must=True)
        narration = truncate_at_sentence(_proper_names(" ".join(told.lines), _known_names(scene)), 4000)
        # Validate before answering: the offline narrator's output must always be schema-valid.
        output = ModelOutput.model_validate({"narration": narration, "updates": _scene_encounter(context)})
        return output.model_dump_json(exclude_none=True)

    def _player_lines(self, told: _Telling, context: Mapping[str, Any]) -> None:
        # It describes the actions it reads but proposes none: turns.prepare already ran them through the same
        # rule-based parser, so a proposal could only be dropped ("already resolved") and clutter the audit log.
        names = _character_names(context)
        targets = [str(t) for t in context.get("targets") or ()]
        for message in _as_list(context.get("player_messages"))[:12]:
            if not isinstance(message, Mapping):
                continue
            text = str(message.get("text") or "")
            player_id = message.get("player_id")
            name = names.get(player_id) if isinstance(player_id, int) else None
            name = _neutralize(name or str(message.get("author") or "Someone"))
            parsed: list[StatedAction | Clarification] = []
            if isinstance(player_id, int) and player_id >= 0:
                inventory = _inventory_of(context, player_id)
                parsed = parse_actions(text, player_id, {"targets": targets, "inventory": inventory})
            described = [self._describe_action(told.rng, name, u) for u in parsed if isinstance(u, StatedAction)]
            if described:
                told.add(" ".join(described))
            elif text.strip():
                told.say(phrases.SPEECH_LINES, must=True, name=name, excerpt=_excerpt(text))

    @staticmethod
    def _describe_action(rng: random.Random, name: str, update: StatedAction) -> str:
        template = rng.choice(phrases.ACTION_LINES.get(update.kind, ("{name} acts.",)))
        quantity = f"{update.quantity} " if update.quantity and update.quantity > 1 else ""
        return template.format(
            name=name,
            target=_with_article(update.target or "foe"),
            with_item=f" with their {_neutralize(update.item)}" if update.item else "",
            spell=_neutralize(update.spell or "a spell"),
            at_target=f" at {_with_article(update.target)}" if update.target else "",
            item=_neutralize(update.item or "something"),
            quantity=quantity,
        )


def _scene_encounter(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The scene's foes (offered by the engine while its fight has not started) as the encounter a model would
    propose; the engine checks it like any proposal. One the schema refuses (too many groups) is not proposed."""
    foes = context.get("scene_foes")
    if not foes:
        return []
    proposal = {"type": "encounter", "creatures": foes}
    try:
        EncounterUpdate.model_validate(proposal)
    except ValueError:
        return []
    return [proposal]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _character_names(context: Mapping[str, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for sheet in _as_list(context.get("characters")):
        if isinstance(sheet, Mapping) and isinstance(sheet.get("player_id"), int) and sheet.get("name"):
            names[sheet["player_id"]] = str(sheet["name"])[:60]
    return names


def _inventory_of(context: Mapping[str, Any], player_id: int) -> list[str]:
    for sheet in _as_list(context.get("characters")):
        if isinstance(sheet, Mapping) and sheet.get("player_id") == player_id:
            items = sheet.get("inventory") or []
            return [str(i.get("name") if isinstance(i, Mapping) else i) for i in items][:100]
    return []


def _place_name(context: Mapping[str, Any]) -> str | None:
    """Where the party is: the scene's place as the campaign file names it, else the stored location; never
    the scene's number (a "1" is not a place)."""
    scene = context.get("scene")
    location = scene.get("location") if isinstance(scene, Mapping) else None
    if not location:
        location = context.get("location")
        if isinstance(location, Mapping):
            location = location.get("name")
    if not isinstance(location, str) or not _WORDY.search(location):
        return None
    return _with_article(_plain(location.strip()[:80]))


def _with_article(noun: str) -> str:
    # "goblin" -> "the goblin"; proper names ("Bram", "the Yawning Portal") stay as they are.
    noun = _neutralize(noun)
    if noun[:1].isupper() or noun.lower().startswith(("the ", "a ", "an ")):
        return noun
    return f"the {noun}"


def _neutralize(text: str) -> str:
    # Echoed text must not ping anyone on Discord.
    return text.replace("@", "@\u200b")


def _excerpt(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    flat = flat.replace("“", "'").replace("”", "'")
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _neutralize(flat)


def _first_sentence(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    match = re.search(r"^(.{20,}?[.!?])(?:\s|$)", flat)
    sentence = match.group(1) if match else flat
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rstrip() + "…"
    return _neutralize(sentence)




# --- telling without repeating ---------------------------------------------------------------------------

_WORDY = re.compile(r"[A-Za-z]{2,}")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…”])\s+")
_MARKDOWN = re.compile(r"\*\*|__|~~|\|\||`+|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
# Words a hook may start with that read right lower-cased after "Then, " (anything else may be a name).
_COMMON_STARTS = frozenset("a an the someone something somewhere you your there it word news rumour rumours "
                           "one two three several".split())


def _norm(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", sentence.casefold()).split())


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_SPLIT.split(" ".join(text.split())) if part]


def _recent_sentences(context: Mapping[str, Any]) -> set[str]:
    """The sentences of the recent history (the prompt carries it): none of them is said again."""
    return {_norm(s) for entry in _as_list(context.get("history")) if isinstance(entry, str)
            for s in _sentences(entry)}


class _Telling:
    """The narration being written: its sentences, and the ones it must not repeat (the recent history's and
    its own)."""

    def __init__(self, rng: random.Random, recent: set[str]) -> None:
        self.rng = rng
        self.recent = recent
        self.lines: list[str] = []

    def fresh(self, text: str) -> bool:
        return all(_norm(s) not in self.recent for s in _sentences(text))

    def add(self, text: str | None) -> bool:
        if not text or not self.fresh(text):
            return False
        text = text[0].upper() + text[1:]
        self.lines.append(text)
        self.recent.update(_norm(s) for s in _sentences(text))
        return True

    def say(self, options: tuple[str, ...], *, must: bool = False, **fields: str) -> bool:
        """One of `options`, filled, that was not said lately; with `must`, a repeat rather than nothing."""
        order = list(options)
        self.rng.shuffle(order)
        filled = [option.format(**fields) for option in order]
        for text in filled:
            if self.add(text):
                return True
        if must and filled:
            self.lines.append(filled[0][0].upper() + filled[0][1:])
            return True
        return False


def _plain(text: str) -> str:
    """Discord Markdown taken out: the narration is prose, never `**`, backticks or stray asterisks."""
    return _MARKDOWN.sub("", text)


def _scene_sentence(scene: Mapping[str, Any], told: _Telling) -> str | None:
    """One sentence of the place's own description (or the scene's opening) not told lately; sentences meant
    for the DM (what the party should do, what happens if…) are left out."""
    for source in (scene.get("description"), scene.get("summary")):
        for sentence in _sentences(_plain(str(source or ""))):
            if _for_the_dm(sentence) or len(sentence) > 260:
                continue
            if told.fresh(sentence):
                return _neutralize(sentence)
    return None


def _for_the_dm(sentence: str) -> bool:
    lowered = f" {sentence.casefold()} "
    return any(word in lowered for word in (" party", " characters", " players", " if ", " should ", " dc ",
                                            " act ", " level"))


def _npcs_present(told: _Telling, scene: Mapping[str, Any]) -> None:
    """The NPCs the campaign file puts in this scene, named as it spells them (one line, not every turn)."""
    npcs = [_neutralize(str(n)) for n in _as_list(scene.get("npcs")) if str(n).strip()][:6]
    if not npcs:
        return
    # The pair in the file's order: the same two NPCs make the same sentence, which is then not repeated.
    if len(npcs) > 1 and told.say(phrases.NPC_PAIR_LINES, npc=npcs[0], other=npcs[1]):
        return
    told.rng.shuffle(npcs)
    for npc in npcs:
        if told.say(phrases.NPC_LINES, npc=npc):
            return


def _fight_event(told: _Telling, event: Mapping[str, Any]) -> None:
    """One event of the round (`dnd.render.facts.combat_event`) in prose; the numbers stay with the engine."""
    kind = str(event.get("event") or "")
    fields = {key: _neutralize(str(value)) for key, value in event.items() if isinstance(value, (str, int))}
    weapon = _plain(str(event.get("weapon") or "weapon")).casefold()
    fields.update(weapon=weapon, weapon_a=f"the {weapon}" if event.get("weapon") else "a weapon",
                  who=_save_who(str(event.get("roll") or "")), condition=str(event.get("condition") or "").casefold())
    fields.setdefault("actor", "Someone")
    fields.setdefault("target", "the foe")
    fields.setdefault("spell", "the spell")
    key = {"attack": str(event.get("result")), "damage": str(event.get("state")), "save": f"save {event.get('result')}",
           "condition": f"condition {event.get('change')}", "death_save": f"death_save {event.get('result')}",
           "fight_over": f"fight_over {event.get('result')}",
           "hit_undone": f"hit_undone {event.get('result')}"}.get(kind, kind)
    options = phrases.FIGHT_LINES.get(key)
    if options:
        told.say(options, must=True, **fields)


def _save_who(label: str) -> str:
    # "Goblin 1's Dexterity save" / "Dexterity saving throw": the one who rolls, when the label names them.
    match = re.match(r"^(.+?)'s?\b", label)
    return _neutralize(match.group(1)) if match else "The target"


# Results the fight's events already tell (the same facts as text) are not told twice.
_FIGHT_TEXT = re.compile(r"In the fight,|ends their turn|ends its turn|flees the fight")
_COMMAND_PREFIX = re.compile(r"^[^():]{1,60} \(![^)]*\):\s*")
_DICE_DETAIL = re.compile(r"\s*\([^()]*\d+d\d+[^()]*\)|\b\d*d\d+(?:\s*\(\d[^)]*\))?(?:\s*[+-]\s*\d+)*\s*=\s*")


def _results(told: _Telling, context: Mapping[str, Any], *, covered_by_fight: bool) -> None:
    """Mechanical results that came as text only, in plain words: no command echo, no Markdown, no dice
    breakdowns (the table has the numbers already)."""
    for result in _as_list(context.get("mechanical_results"))[:6]:
        text = result if isinstance(result, str) else (result.get("text") or "") if isinstance(result, Mapping) else ""
        if not text or (covered_by_fight and _FIGHT_TEXT.search(text)):
            continue
        text = _DICE_DETAIL.sub(" ", _plain(_COMMAND_PREFIX.sub("", " ".join(str(text).split()))))
        text = " ".join(text.split())[:300].strip(" :;,")
        if _WORDY.search(text):
            told.add(_neutralize(text if text[-1] in ".!?" else f"{text}."))


def _hook(told: _Telling, hook: Any) -> bool:
    """At most one hook, never one told lately; a hook that starts with a name keeps its capital."""
    if isinstance(hook, Mapping):
        hook = hook.get("text") or hook.get("summary")
    if not isinstance(hook, str) or not hook.strip():
        return False
    text = _first_sentence(_plain(hook.strip()), limit=300)
    text = text if text[-1] in ".!?…”\"" else f"{text}."
    if not told.fresh(text):
        return False
    first = text.split(" ", 1)[0].casefold()
    if first in _COMMON_STARTS:
        return told.add(told.rng.choice(phrases.HOOK_LEADS) + text[0].lower() + text[1:])
    return told.say(phrases.HOOK_ALONE, hook=text)


def _known_names(scene: Mapping[str, Any]) -> list[str]:
    names = [str(n) for n in _as_list(scene.get("npcs")) if str(n).strip()]
    names += [str(scene[key]) for key in ("location",) if scene.get(key)]
    names += [str(n) for n in _as_list(scene.get("exits")) if str(n).strip()]
    return [name for name in names if _WORDY.search(name)][:20]


def _proper_names(text: str, names: list[str]) -> str:
    """The campaign file's names spelled as it spells them ("pell quickwater" → "Pell Quickwater"); a leading
    "The" of a place may be lower-case mid-sentence."""
    for name in sorted(names, key=len, reverse=True):
        bare = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
        text = re.sub(rf"\b{re.escape(bare)}\b", bare, text, flags=re.IGNORECASE)
    return text


def _told_by_next(event: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    # "Goblin 1 goes down. Goblin 1 is defeated.": the second says it; the first is left out.
    return (event.get("event") == "damage" and event.get("state") == "down"
            and after.get("event") in ("dies", "defeated", "falls") and after.get("target") == event.get("target"))


def _spotlight(told: _Telling, note: Any) -> None:
    """A moment for each quiet player the spotlight note names (at most two a turn)."""
    if not isinstance(note, Mapping):
        return
    for quiet in _as_list(note.get("quiet"))[:2]:
        if isinstance(quiet, Mapping) and quiet.get("name"):
            told.say(phrases.SPOTLIGHT_LINES, name=_neutralize(str(quiet["name"])[:60]))
