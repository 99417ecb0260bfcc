"""The interactive `!level_up` conversation as a pure state machine.

Steps: class (keep levelling the current class, or ``level up in <other class>`` to multiclass, with its
prerequisites) → hit points (roll 1dX + CON, rolled here and shown, or take the average) → Ability Score
Improvement (+2 / +1 +1) or a feat at ASI levels → feat's ability choice → subclass at the class's level →
the level's class choice (a Fighting Style: `dnd.class_choices`) → skills gained by multiclassing → expertise →
the new cantrips and spells the class's table gives (spells known, a Wizard's two spellbook spells, Magical Secrets
from any list) → swapping one known spell (Bard, Ranger, Sorcerer, Warlock) → a Warlock's Mystic Arcanum → confirm
(the summary of :func:`dnd.leveling.apply_level_up`). Spell choices are checked against the game's spells (a
:class:`dnd.spellcasting.SpellCatalog`: the imported compendium's, or the built-in ones), the class list and the
highest spell level the class can learn.

The character is passed to every call (the caller loads the current one), so the level is applied to the
character as it is at confirmation, not to a stale copy. The hit point roll comes from a seed stored in the
state, so the roll shown is the roll applied.
"""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dnd import class_choices, creation_flow
from dnd.abilities import modifier, normalize_ability
from dnd.character import Character, comma_names, compute_ability_scores, hp_gain
from dnd.class_choices import (
    BONUS_CANTRIP,
    FIGHTING_STYLE,
    OPTIONAL_POINTS,
    PACT_BOON,
    SPELLBOOK_LEVELS,
    TOME_CANTRIPS,
    already_chosen,
    check_invocations_kept,
    choice_points,
    choice_title,
    describe_options,
    tome_cantrips,
    validate_choice,
)
from dnd.class_choices import (
    picks as point_picks,
)
from dnd.creation import validate_expertise, validate_feat, validate_feat_ability
from dnd.creation_flow import BACK_WORDS, CANCEL_WORDS, NO_WORDS, YES_WORDS, parse_skills, split_list
from dnd.data.classes import CLASSES
from dnd.data.feats import FEATS, find_feat
from dnd.data.races import find_race, find_subrace
from dnd.data.skills import ABILITIES
from dnd.errors import RulesError
from dnd.leveling import (
    LevelUpChoices,
    LevelUpOptions,
    LevelUpSummary,
    apply_level_up,
    expertise_tools,
    level_up_options,
    validate_asi,
)
from dnd.progression import get_class, get_subclass
from dnd.spellcasting import SpellCatalog, SpellGains, builtin_catalog, choose_spells, ordinal, spell_gains

FlowStatus = Literal["active", "done", "cancelled"]
MAX_ANSWER_CHARS = 300


class LevelUpState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: str = "class"
    status: FlowStatus = "active"
    class_name: str | None = None
    hp_method: Literal["roll", "average"] | None = None
    hp_seed: int = 0
    asi: dict[str, int] = Field(default_factory=dict)
    feat: str | None = None
    feat_ability: str | None = None
    subclass: str | None = None
    skills: list[str] = Field(default_factory=list)
    expertise: list[str] = Field(default_factory=list)
    class_choices: dict[str, str] = Field(default_factory=dict)  # the class choices answered (dnd.class_choices)
    new_cantrips: list[str] = Field(default_factory=list)
    new_spells: list[str] = Field(default_factory=list)
    swap: list[str] = Field(default_factory=list)  # [the known spell given up, the one learned instead]
    arcanum: str | None = None
    trail: list[str] = Field(default_factory=list)
    character: dict[str, Any] | None = None  # the levelled character, once confirmed
    summary: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _one_choice_before(cls, data: Any) -> Any:
        """A session stored when a level had one class choice, a Fighting Style (`class_choice`), resumes."""
        if isinstance(data, dict) and "class_choice" in data:
            data = dict(data)
            legacy = data.pop("class_choice")
            if legacy:
                data["class_choices"] = {FIGHTING_STYLE: legacy}
        return data


# A level asks up to three class choices (a Ranger's 6th: Favored Enemy, its language, Natural Explorer), one step each.
CHOICE_STEPS: tuple[str, ...] = ("class_choice", "class_choice_2", "class_choice_3")
STEP_ORDER: tuple[str, ...] = ("class", "hp", "asi", "feat_ability", "subclass", *CHOICE_STEPS, "skills", "expertise",
                               "cantrips", "spells", "swap", "arcanum", "confirm")
STEP_TITLES: dict[str, str] = {
    "class": "Class", "hp": "Hit points", "asi": "Ability Score Improvement or feat",
    "feat_ability": "Feat increase", "subclass": "Subclass", "class_choice": "Class choice",
    "class_choice_2": "Class choice", "class_choice_3": "Class choice", "skills": "Skills",
    "expertise": "Expertise",
    "cantrips": "New cantrips", "spells": "New spells", "swap": "Replace a spell", "arcanum": "Mystic Arcanum",
    "confirm": "Confirm",
}


def headline(character: Character) -> str:
    """"Eldrin, Rogue level 2, 900 XP"."""
    classes = " / ".join(f"{c} level {lvl}" for c, lvl in character.class_levels.items())
    return f"{character.name}, {classes}, {character.xp} XP"


def _options(state: LevelUpState, character: Character) -> LevelUpOptions:
    assert state.class_name is not None
    return level_up_options(character, state.class_name)


def _applies(step: str, state: LevelUpState, character: Character) -> bool:
    if step in ("class", "hp", "confirm"):
        return True
    if state.class_name is None:
        return False
    options = _options(state, character)
    if step == "asi":
        return options.asi
    if step == "feat_ability":
        info = find_feat(state.feat) if state.feat else None
        return options.asi and info is not None and bool(info.ability_choice)
    if step == "subclass":
        return options.subclass_required
    if step in CHOICE_STEPS:
        return _choice_point(state, character, step) is not None
    if step == "skills":
        return options.skill_choices > 0
    if step == "expertise":
        return options.expertise_choices > 0
    return _spell_step_applies(step, spell_gains(options.class_name, options.class_level), character)


def _spell_step_applies(step: str, gains: SpellGains, character: Character) -> bool:
    if step == "cantrips":
        return gains.cantrips > 0
    if step == "spells":
        return gains.spells > 0
    if step == "swap":
        return gains.swap and bool(character.spells_known)
    if step == "arcanum":
        return gains.arcanum > 0
    raise AssertionError(step)


def _gains(state: LevelUpState, character: Character) -> SpellGains:
    options = _options(state, character)
    return spell_gains(options.class_name, options.class_level)


def _clear(step: str) -> dict[str, Any]:
    return {"asi": {"asi": {}, "feat": None, "feat_ability": None}, "feat_ability": {"feat_ability": None},
            "subclass": {"subclass": None}, "class_choice": {"class_choices": {}}, "skills": {"skills": []},
            "expertise": {"expertise": []}, "cantrips": {"new_cantrips": []}, "spells": {"new_spells": []},
            "swap": {"swap": []}, "arcanum": {"arcanum": None}}.get(step, {})


def _next(state: LevelUpState, character: Character, after: str) -> LevelUpState:
    updates: dict[str, Any] = {}
    for step in STEP_ORDER[STEP_ORDER.index(after) + 1:]:
        probe = state.model_copy(update=updates)
        if _applies(step, probe, character):
            return probe.model_copy(update={"step": step})
        updates.update(_clear(step))
    raise AssertionError("confirm always applies")


# --------------------------------------------------------------------------- prompts


def _class_prompt(state: LevelUpState, character: Character) -> str:
    current = list(character.class_levels)
    others = [c for c in CLASSES if c not in current]
    keep = " or ".join(f"`{c}`" for c in current)
    return (f"Which class gains the level? Reply {keep} (or `yes` for {current[0]}), or "
            f"`level up in <class>` to multiclass (prerequisites apply): {', '.join(others)}.")


def _hp_prompt(state: LevelUpState, character: Character) -> str:
    options = _options(state, character)
    con = modifier(compute_ability_scores(character)["CON"])
    low, high = options.hp_roll_range
    return (f"Hit points: reply `roll` to roll 1d{options.hit_die}{con:+d} ({low}–{high}) or `average` to take "
            f"{options.hp_average}.")


def _asi_prompt(state: LevelUpState, character: Character) -> str:
    scores = compute_ability_scores(character)
    have = ", ".join(f"{a} {v}" for a, v in scores.items())
    return ("**Ability Score Improvement**: reply `+2 STR` (one ability), `+1 STR +1 CON` (two), or "
            f"`feat <name>` instead. Your scores: {have}. Feats: {', '.join(FEATS)}.")


def _feat_ability_prompt(state: LevelUpState, character: Character) -> str:
    info = find_feat(state.feat or "")
    assert info is not None
    return f"{info.name} increases one ability by 1: choose {' or '.join(info.ability_choice)}."


def _subclass_prompt(state: LevelUpState, character: Character) -> str:
    cls = get_class(state.class_name or "")
    return f"Choose your **{cls.subclass_title}**: {cls.subclass}."


def _skills_prompt(state: LevelUpState, character: Character) -> str:
    options = _options(state, character)
    return (f"Multiclassing into the {options.class_name} gives **{options.skill_choices} skill(s)**: choose from "
            f"{', '.join(options.skill_options)}.")


def _expertise_candidates(state: LevelUpState, character: Character) -> list[str]:
    """The skills (those gained at this level too) and, for a Rogue, the Thieves' Tools Expertise may take."""
    tools = expertise_tools(character, _options(state, character)) if state.class_name == "Rogue" else []
    return [s for s in [*character.skills, *state.skills, *tools] if s not in character.expertise]


def _expertise_prompt(state: LevelUpState, character: Character) -> str:
    return ("Choose **2 proficient skills for Expertise** (double proficiency bonus), separated by commas: "
            f"{', '.join(_expertise_candidates(state, character))}.")


def _confirm_prompt(state: LevelUpState, character: Character) -> str:
    try:
        _, summary = preview(state, character)
    except RulesError as error:
        return f"Something doesn't fit: {error} Type `back` to change an answer, or `cancel`."
    return "\n".join(summary.lines) + "\n\nReply `yes` to level up, `back` to change an answer, or `cancel`."


def _level_points(state: LevelUpState, character: Character) -> list[str]:
    """The class choices the level asks (a Fighting Style at Paladin/Ranger 2, Champion 10; a Ranger's Favored
    Enemy, its language and Natural Explorer at 6; ...), in order."""
    options = _options(state, character)
    subclass = state.subclass or next((v for k, v in character.subclasses.items()
                                       if k.casefold() == options.class_name.casefold()), None)
    return choice_points(options.class_name, options.class_level, subclass)


def _choice_point(state: LevelUpState, character: Character, step: str | None = None) -> str | None:
    """The class choice the step (the current one by default) asks, if the level has that many."""
    points = _level_points(state, character)
    index = CHOICE_STEPS.index(step or state.step)
    return points[index] if index < len(points) else None


def _class_choice_prompt(state: LevelUpState, character: Character) -> str:
    point = _choice_point(state, character)
    assert point is not None and state.class_name is not None
    taken = already_chosen(point, character)
    menu = describe_options(point, state.class_name, taken, character=character,
                            class_level=_options(state, character).class_level, answered=state.class_choices)
    return f"Choose your **{choice_title(point)}**:\n{menu}"


def _class_choice_answer(state: LevelUpState, character: Character, text: str,
                         catalog: SpellCatalog) -> tuple[dict[str, Any], str]:
    """The level's class choice; a swap of an invocation may be declined (`no`); a Pact of the Tome's cantrips
    are checked against the game's spells (any class's list, not known yet) and take their proper names."""
    point = _choice_point(state, character)
    assert point is not None
    rest = {p: v for p, v in state.class_choices.items() if p != point}
    if point in OPTIONAL_POINTS and " ".join(text.split()).casefold() in _NO_SWAP:
        return {"class_choices": rest}, "You keep the invocations you know."
    found = checked_choice(point, state.class_name or "", text, character, _options(state, character).class_level,
                           state.class_choices, catalog)
    return {"class_choices": {**rest, point: found}}, f"{point}: **{found}**."


def checked_choice(point: str, class_name: str, text: str, character: Character, class_level: int,
                   answered: dict[str, str], catalog: SpellCatalog) -> str:
    """The canonical answer of a class choice point at ``class_level`` (``answered``: the level's other choices),
    checked as the level-up asks it: :func:`dnd.class_choices.validate_choice`, and a Pact of the Tome's cantrips
    against the game's spells (any class's list, not known yet), with their proper names."""
    found = validate_choice(point, class_name, text, already_chosen(point, character), character=character,
                            class_level=class_level, answered=answered)
    if point == PACT_BOON and tome_cantrips(found):
        names = choose_spells(catalog, tome_cantrips(found), class_name="Warlock", min_level=0, max_level=0,
                              any_list=TOME_CANTRIPS, known=character.cantrips, exactly=TOME_CANTRIPS)
        found = f"Pact of the Tome ({', '.join(names)})"
    if point == BONUS_CANTRIP:  # a druid cantrip of the game's spells
        found = choose_spells(catalog, [found], class_name="Druid", min_level=0, max_level=0,
                              known=character.cantrips, exactly=1)[0]
    if point in SPELLBOOK_LEVELS:
        found = ", ".join(_spellbook_levels(catalog, point, comma_names(found)))
    return found


def _spellbook_levels(catalog: SpellCatalog, point: str, names: list[str]) -> list[str]:
    """A Wizard's Spell Mastery (one 1st-level and one 2nd-level spell) or Signature Spells (two 3rd-level),
    in the order of their levels."""
    spells = sorted((catalog.get(n) for n in names), key=lambda info: info.level)
    wanted = SPELLBOOK_LEVELS[point]
    if tuple(info.level for info in spells) != wanted:
        levels = " and ".join(f"a {ordinal(lvl)}-level spell" for lvl in wanted)
        have = ", ".join(f"{info.name} ({ordinal(info.level) if info.level else 'cantrip'})" for info in spells)
        raise RulesError(f"{point} takes {levels} of your spellbook; you named {have}.")
    return [info.name for info in spells]


_PROMPTS = {
    "class": _class_prompt, "hp": _hp_prompt, "asi": _asi_prompt, "feat_ability": _feat_ability_prompt,
    "subclass": _subclass_prompt, **dict.fromkeys(CHOICE_STEPS, _class_choice_prompt), "skills": _skills_prompt,
    "expertise": _expertise_prompt,
    "confirm": _confirm_prompt,
}


def prompt(state: LevelUpState, character: Character, catalog: SpellCatalog | None = None) -> str:
    if state.status != "active":
        return ""
    if state.step in _SPELL_PROMPTS:
        body = _SPELL_PROMPTS[state.step](state, character, catalog or builtin_catalog())
    else:
        body = _PROMPTS[state.step](state, character)
    return f"**Level up — {STEP_TITLES[state.step]}**\n{body}"


# --------------------------------------------------------------------------- answers


def _class_answer(state: LevelUpState, character: Character, text: str,
                  rng: random.Random) -> tuple[dict[str, Any], str]:
    key = " ".join(text.split()).casefold()
    key = re.sub(r"^(level up in|level in|multiclass into|multiclass in|multiclass|in)\s+", "", key)
    name = next(iter(character.class_levels)) if key in YES_WORDS | {"continue", "same", "same class"} else key
    cls = get_class(name)
    options = level_up_options(character, cls.name)
    if options.prerequisite_problems:
        raise RulesError(f"You can't multiclass into the {cls.name}. " + " ".join(options.prerequisite_problems))
    if not options.xp_ok:
        raise RulesError(f"{character.name} needs {options.xp_needed} XP to reach level {options.character_level} "
                         f"(has {character.xp} XP).")
    lines = [f"{cls.name} level {options.class_level} (character level {options.character_level})."]
    if options.multiclass:
        lines.append("Multiclassing: " + (", ".join(options.new_proficiencies) or "no new proficiencies") + ".")
    if options.features:
        lines.append("New features: " + ", ".join(options.features) + ".")
    before, after = options.proficiency_bonus
    if before != after:
        lines.append(f"Proficiency bonus +{before} → +{after}.")
    if options.spell_slots[0] != options.spell_slots[1]:
        slots = ", ".join(f"{lvl}: {n}" for lvl, n in sorted(options.spell_slots[1].items()))
        lines.append(f"Spell slots by level → {slots}.")
    reset = {"class_name": cls.name, **_clear("asi"), **_clear("subclass"), **_clear("skills"),
             **_clear("expertise"), **_clear("cantrips"), **_clear("spells"), **_clear("swap"), **_clear("arcanum"),
             "hp_method": None}
    return reset, " ".join(lines)


def _hp_answer(state: LevelUpState, character: Character, text: str,
               rng: random.Random) -> tuple[dict[str, Any], str]:
    key = text.strip().casefold()
    options = _options(state, character)
    con = modifier(compute_ability_scores(character)["CON"])
    if key in ("roll", "r", "dice", "roll it"):
        seed = rng.randrange(1, 2**31)
        die = random.Random(seed).randint(1, options.hit_die)
        gain = hp_gain(die, con)
        return ({"hp_method": "roll", "hp_seed": seed},
                f"🎲 You roll **{die}** on the d{options.hit_die} ({con:+d} CON) → **+{gain} HP**.")
    if key in ("average", "avg", "a", "fixed", "take the average"):
        return {"hp_method": "average", "hp_seed": 0}, f"You take the average: **+{options.hp_average} HP**."
    raise RulesError("Reply `roll` or `average`.")


_ASI_TERM = re.compile(r"(?:([+-]?\d+)\s*)?([A-Za-z]+)(?:\s*([+-]?\d+)(?!\s*[A-Za-z]))?")
_ASI_SEPARATORS = re.compile(r"[\s,;/&]+|\band\b", re.IGNORECASE)


def parse_asi(text: str) -> dict[str, int]:
    """"+2 STR", "STR +2", "+1 STR +1 CON", "STR, CON" (+1 each), "DEX" (+2)."""
    terms = [m for m in _ASI_TERM.finditer(text) if m.group(2).casefold() != "and"]
    leftover = _ASI_SEPARATORS.sub("", _ASI_TERM.sub("", text))
    if not terms or leftover:
        raise RulesError(f"I can't read '{text.strip()[:60]}': write it like `+2 STR` or `+1 DEX +1 CON`.")
    picks: dict[str, int] = {}
    for match in terms:
        before, name, after = match.groups()
        code = normalize_ability(name)
        if code in picks:
            raise RulesError(f"{code} was given twice.")
        picks[code] = int(before or after or 0)
    if len(picks) == 1 and next(iter(picks.values())) == 0:
        return {k: 2 for k in picks}
    return {k: (v or 1) for k, v in picks.items()}


def _can_cast(character: Character, class_name: str) -> bool:
    if any(get_class(c).caster != "none" for c in [*character.class_levels, class_name]):
        return True
    race = find_race(character.race)
    sub = find_subrace(character.subrace) if character.subrace else None
    return (race is not None and race.name == "Tiefling") or bool(sub and sub.wizard_cantrips)


def _asi_answer(state: LevelUpState, character: Character, text: str,
                rng: random.Random) -> tuple[dict[str, Any], str]:
    scores = compute_ability_scores(character)
    words = text.strip()
    feat_name = re.sub(r"^feat\s*[:=]?\s*", "", words, flags=re.IGNORECASE) if re.match(
        r"^feat\b", words, flags=re.IGNORECASE) else (words if find_feat(words) else None)
    if feat_name is not None:
        info = validate_feat(feat_name, scores, allowed=True, can_cast=_can_cast(character, state.class_name or ""),
                             taken=[f.name for f in character.feats])
        assert info is not None
        return {"asi": {}, "feat": info.name, "feat_ability": None}, f"Feat: **{info.name}** — {info.summary}"
    asi = validate_asi(parse_asi(words), scores)
    note = ", ".join(f"{a} {scores[a]} → {scores[a] + v}" for a, v in asi.items())
    return {"asi": asi, "feat": None, "feat_ability": None}, f"Ability Score Improvement: {note}."


def _feat_ability_answer(state: LevelUpState, character: Character, text: str,
                         rng: random.Random) -> tuple[dict[str, Any], str]:
    code = validate_feat_ability(find_feat(state.feat or ""), text.strip())
    return {"feat_ability": code}, f"{code} +1."


def _subclass_answer(state: LevelUpState, character: Character, text: str,
                     rng: random.Random) -> tuple[dict[str, Any], str]:
    sub = get_subclass(state.class_name or "", text.strip())
    return {"subclass": sub.name}, f"{get_class(sub.class_name).subclass_title}: **{sub.full_name}**."


def _skills_answer(state: LevelUpState, character: Character, text: str,
                   rng: random.Random) -> tuple[dict[str, Any], str]:
    options = _options(state, character)
    picks = parse_skills(text)
    if len(picks) != options.skill_choices or len(set(picks)) != len(picks):
        raise RulesError(f"Choose {options.skill_choices} different skill(s) from: {', '.join(options.skill_options)}.")
    for s in picks:
        if s not in options.skill_options:
            raise RulesError(f"{s} is not a skill you can gain from the {options.class_name} (or you already have it).")
    return {"skills": picks}, "Skills: " + ", ".join(picks) + "."


def _expertise_answer(state: LevelUpState, character: Character, text: str,
                      rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = get_class(state.class_name or "")
    options = _options(state, character)
    skills = list(character.skills) + list(state.skills)
    picks = validate_expertise(cls, options.class_level, skills, expertise_tools(character, options),
                               split_list(text), already=character.expertise)
    return {"expertise": picks}, "Expertise: " + ", ".join(picks) + "."


# --------------------------------------------------------------------------- spells

_LIST_CHARS = 900
_NO_SWAP = {"no", "none", "skip", "keep", "n", "no swap", "nothing"}


def _candidates(catalog: SpellCatalog, character: Character, class_name: str, low: int, high: int,
                subclass: str | None = None, any_list: bool = False) -> list[str]:
    """The spells a choice may name (class list, levels ``low``..``high``, not known yet), clipped for a message."""
    have = {s.casefold() for s in [*character.cantrips, *character.spells_known]}
    pool = [s for s in catalog.spells.values() if low <= s.level <= high and s.name.casefold() not in have]
    if not any_list:
        pool = [s for s in pool if class_name in s.classes
                or (subclass is not None and choose_ok(catalog, s.name, class_name, subclass, high))]
    return [f"{s.name} ({ordinal(s.level)})" if high else s.name for s in sorted(pool, key=lambda s: (s.level, s.name))]


def choose_ok(catalog: SpellCatalog, name: str, class_name: str, subclass: str | None, high: int) -> bool:
    try:
        choose_spells(catalog, [name], class_name=class_name, max_level=high, subclass=subclass)
    except RulesError:
        return False
    return True


def _clipped(names: list[str]) -> str:
    out: list[str] = []
    for i, name in enumerate(names):
        if sum(len(n) + 2 for n in out) + len(name) > _LIST_CHARS:
            return ", ".join(out) + f", … and {len(names) - i} more"
        out.append(name)
    return ", ".join(out) or "none the game knows"


def _range(gains: SpellGains) -> str:
    return f"1st–{ordinal(gains.max_level)}" if gains.max_level > 1 else "1st"


def _cantrips_prompt(state: LevelUpState, character: Character, catalog: SpellCatalog) -> str:
    gains = _gains(state, character)
    names = _candidates(catalog, character, gains.class_name, 0, 0)
    return (f"Choose **{gains.cantrips} new {gains.class_name} cantrip(s)**, separated by commas: {_clipped(names)}.")


def _spells_prompt(state: LevelUpState, character: Character, catalog: SpellCatalog) -> str:
    gains = _gains(state, character)
    sub = character.subclasses.get(gains.class_name) or state.subclass
    what = "for your spellbook" if gains.class_name == "Wizard" else "known"
    secrets = (f" **Magical Secrets**: {gains.any_list} of them may come from any class's list." if gains.any_list
               else "")
    names = _candidates(catalog, character, gains.class_name, 1, gains.max_level, sub)
    return (f"Choose **{gains.spells} new {gains.class_name} spell(s) {what}** of {_range(gains)} level, separated "
            f"by commas.{secrets} {gains.class_name} spells: {_clipped(names)}.")


def _swap_prompt(state: LevelUpState, character: Character, catalog: SpellCatalog) -> str:
    gains = _gains(state, character)
    return (f"You may replace one spell you know with another {gains.class_name} spell of {_range(gains)} level: "
            f"reply `replace <old spell> with <new spell>`, or `no`. You know: {', '.join(character.spells_known)}.")


def _arcanum_prompt(state: LevelUpState, character: Character, catalog: SpellCatalog) -> str:
    gains = _gains(state, character)
    names = _candidates(catalog, character, "Warlock", gains.arcanum, gains.arcanum)
    return (f"**Mystic Arcanum**: choose one {ordinal(gains.arcanum)}-level Warlock spell, cast once per long rest "
            f"without a slot: {_clipped(names)}.")


def _exactly(catalog: SpellCatalog, character: Character, gains: SpellGains, wanted: int, low: int, high: int,
             sub: str | None) -> int:
    """As many as the table gives, or all there are when the game knows fewer spells than that."""
    return min(wanted, len(_candidates(catalog, character, gains.class_name, low, high, sub, bool(gains.any_list))))


def _picks(text: str, catalog: SpellCatalog) -> list[str]:
    """Spell names separated by commas (or "and", where the words around it aren't one spell's name, as in
    Protection from Evil and Good)."""
    if text.strip().casefold() in _NO_SWAP:
        return []
    out: list[str] = []
    for piece in re.split(r"[,;]", text):
        piece = re.sub(r"^\s*and\s+", "", piece, flags=re.IGNORECASE).strip()
        if piece and catalog.find(piece) is None and re.search(r"\s+and\s+", piece, re.IGNORECASE):
            out += [p.strip() for p in re.split(r"\s+and\s+", piece, flags=re.IGNORECASE) if p.strip()]
        elif piece:
            out.append(piece)
    return out


def _cantrips_answer(state: LevelUpState, character: Character, text: str,
                     catalog: SpellCatalog) -> tuple[dict[str, Any], str]:
    gains = _gains(state, character)
    names = choose_spells(catalog, _picks(text, catalog), class_name=gains.class_name, min_level=0, max_level=0,
                          known=character.cantrips,
                          exactly=_exactly(catalog, character, gains, gains.cantrips, 0, 0, None))
    return {"new_cantrips": names}, "New cantrips: " + (", ".join(names) or "none") + "."


def _spells_answer(state: LevelUpState, character: Character, text: str,
                   catalog: SpellCatalog) -> tuple[dict[str, Any], str]:
    gains = _gains(state, character)
    sub = character.subclasses.get(gains.class_name) or state.subclass
    names = choose_spells(catalog, _picks(text, catalog), class_name=gains.class_name, max_level=gains.max_level,
                          subclass=sub, any_list=gains.any_list, known=[*character.spells_known, *state.new_spells],
                          exactly=_exactly(catalog, character, gains, gains.spells, 1, gains.max_level, sub))
    return {"new_spells": names}, "New spells: " + (", ".join(names) or "none") + "."


_SWAP = re.compile(r"^(?:replace|swap)?\s*(.+?)\s+(?:with|for|->|→|by)\s+(.+)$", re.IGNORECASE)


def _swap_answer(state: LevelUpState, character: Character, text: str,
                 catalog: SpellCatalog) -> tuple[dict[str, Any], str]:
    if text.strip().casefold() in _NO_SWAP:
        return {"swap": []}, "You keep the spells you know."
    found = _SWAP.match(text.strip())
    if found is None:
        raise RulesError("Reply `replace <old spell> with <new spell>`, or `no`.")
    gains = _gains(state, character)
    old = next((s for s in character.spells_known if s.casefold() == " ".join(found.group(1).split()).casefold()),
               None)
    if old is None:
        raise RulesError(f"You don't know '{found.group(1)[:60]}'. You know: {', '.join(character.spells_known)}.")
    sub = character.subclasses.get(gains.class_name) or state.subclass
    new = choose_spells(catalog, [found.group(2)], class_name=gains.class_name, max_level=gains.max_level,
                        subclass=sub, known=[*character.spells_known, *state.new_spells], exactly=1)[0]
    _keeps_invocations(state.model_copy(update={"swap": [old, new]}), character)
    return {"swap": [old, new]}, f"You forget {old} and learn {new}."


def _keeps_invocations(state: LevelUpState, character: Character) -> None:
    """Refuses an answer that would leave a known invocation without its prerequisite (Agonizing Blast without
    Eldritch Blast), with this level's other answers (an invocation replaced at this level no longer counts)."""
    try:
        leveled, _ = _leveled(state, character)
    except RulesError:
        return  # the confirmation checks the whole level again and says what doesn't fit
    check_invocations_kept(character, leveled)


def _arcanum_answer(state: LevelUpState, character: Character, text: str,
                    catalog: SpellCatalog) -> tuple[dict[str, Any], str]:
    gains = _gains(state, character)
    name = choose_spells(catalog, [text.strip()], class_name="Warlock", min_level=gains.arcanum,
                         max_level=gains.arcanum, known=character.spells_known, exactly=1)[0]
    return {"arcanum": name}, f"Mystic Arcanum ({ordinal(gains.arcanum)} level): **{name}**."


_SPELL_PROMPTS = {"cantrips": _cantrips_prompt, "spells": _spells_prompt, "swap": _swap_prompt,
                  "arcanum": _arcanum_prompt}
_SPELL_ANSWERS = {"cantrips": _cantrips_answer, "spells": _spells_answer, "swap": _swap_answer,
                  "arcanum": _arcanum_answer, **dict.fromkeys(CHOICE_STEPS, _class_choice_answer)}


def learned(state: LevelUpState, character: Character) -> Character:
    """The character with the cantrips and spells chosen in this level-up (a swap replaces the spell given up; a
    Pact of the Tome's cantrips are known from now on)."""
    known = [s for s in character.spells_known if not state.swap or s != state.swap[0]]
    known += [*state.new_spells, *state.swap[1:], *([state.arcanum] if state.arcanum else [])]
    tome = tome_cantrips(state.class_choices.get(PACT_BOON))
    bonus = [state.class_choices[BONUS_CANTRIP]] if BONUS_CANTRIP in state.class_choices else []  # Land druid's
    return character.model_copy(update={"cantrips": [*character.cantrips, *state.new_cantrips, *tome, *bonus],
                                        "spells_known": list(dict.fromkeys(known))})


_ANSWERS = {
    "class": _class_answer, "hp": _hp_answer, "asi": _asi_answer, "feat_ability": _feat_ability_answer,
    "subclass": _subclass_answer, "skills": _skills_answer,
    "expertise": _expertise_answer,
}


def hp_roll(state: LevelUpState, character: Character) -> int:
    """The hit die rolled at the hit point step (the value applied at confirmation)."""
    if state.class_name is None or state.hp_method != "roll":
        return 0
    return random.Random(state.hp_seed).randint(1, get_class(state.class_name).hit_die)


def choices_of(state: LevelUpState, character: Character | None = None) -> LevelUpChoices:
    points = _level_points(state, character) if character is not None and state.class_name else []
    return LevelUpChoices(hp_method=state.hp_method or "average", asi=state.asi, feat=state.feat,
                          feat_ability=state.feat_ability, subclass=state.subclass, skills=state.skills,
                          expertise=state.expertise,
                          class_choices={p: v for p, v in state.class_choices.items() if p in points})


def preview(state: LevelUpState, character: Character) -> tuple[Character, LevelUpSummary]:
    """The character after this level up, with the engine's summary (every choice checked again, and no known
    invocation left without its prerequisite)."""
    leveled, summary = _leveled(state, character)
    check_invocations_kept(character, leveled)
    return leveled, summary


def _leveled(state: LevelUpState, character: Character) -> tuple[Character, LevelUpSummary]:
    if state.class_name is None:
        raise RulesError("Choose the class that gains the level first.")
    leveled, summary = apply_level_up(character, state.class_name, choices_of(state, character),
                                      random.Random(state.hp_seed))
    learned_now = [*state.new_cantrips, *state.new_spells, *state.swap[1:], *([state.arcanum] if state.arcanum else [])]
    if learned_now:
        line = "Spells learned: " + ", ".join(learned_now) + (f" (instead of {state.swap[0]})." if state.swap else ".")
        summary = dataclasses.replace(summary, lines=[*summary.lines, line])
    return learned(state, leveled), summary


def start(character: Character) -> tuple[LevelUpState, str]:
    """Opens the conversation; refuses (RulesError) at level 20 or without the XP for the next level."""
    primary = next(iter(character.class_levels))
    options = level_up_options(character, primary)  # raises at level 20
    if not options.xp_ok:
        raise RulesError(f"{character.name} needs {options.xp_needed} XP to reach level {options.character_level} "
                         f"(has {character.xp} XP).")
    state = LevelUpState()
    intro = (f"**{headline(character)}** — you can reach level {options.character_level}! Type `back` to change "
             "the previous answer or `cancel` to stop.\n\n")
    return state, intro + prompt(state, character)


def answer(state: LevelUpState, character: Character, text: str, rng: random.Random,
           catalog: SpellCatalog | None = None) -> tuple[LevelUpState, str]:
    """One answer of the player. ``catalog``: the spells the game knows (the built-in ones by default)."""
    if state.status != "active":
        return state, "This level-up is already finished."
    cat = catalog or builtin_catalog()
    text = text.strip()
    key = " ".join(text.split()).casefold()
    if key in CANCEL_WORDS:
        return state.model_copy(update={"status": "cancelled"}), \
            "Level-up cancelled; nothing changed. Type `!level_up` when you're ready."
    if key in BACK_WORDS:
        if not state.trail:
            return state, "You're at the first question.\n\n" + prompt(state, character, cat)
        back = state.model_copy(update={"step": state.trail[-1], "trail": state.trail[:-1]})
        return back, "Going back.\n\n" + prompt(back, character, cat)
    if not text:
        return state, prompt(state, character, cat)
    if len(text) > MAX_ANSWER_CHARS:
        return state, f"❌ That answer is too long (at most {MAX_ANSWER_CHARS} characters).\n\n" \
                      + prompt(state, character, cat)
    if state.step == "confirm":
        return _confirm(state, character, key)
    try:
        if state.step in _SPELL_ANSWERS:
            updates, note = _SPELL_ANSWERS[state.step](state, character, text, cat)
        else:
            updates, note = _ANSWERS[state.step](state, character, text, rng)
    except (RulesError, ValueError) as error:
        return state, f"❌ {error}\n\n{prompt(state, character, cat)}"
    answered = state.model_copy(update={**updates, "trail": [*state.trail, state.step]})
    advanced = _next(answered, character, state.step)
    return advanced, f"✅ {note}\n\n{prompt(advanced, character, cat)}"


def _confirm(state: LevelUpState, character: Character, key: str) -> tuple[LevelUpState, str]:
    if key in NO_WORDS:
        return state, "Type `back` to change an answer, `cancel` to stop, or `yes` to level up."
    if key not in YES_WORDS:
        return state, "Reply `yes` to level up, `back` to change an answer, or `cancel`."
    try:
        leveled, summary = preview(state, character)
    except RulesError as error:
        return state, f"❌ {error} Type `back` to change an answer, or `cancel`."
    done = state.model_copy(update={"status": "done", "character": leveled.model_dump(mode="json"),
                                    "summary": summary.lines})
    return done, "🎉 " + "\n".join(summary.lines)


def leveled_character(state: LevelUpState) -> Character:
    if state.status != "done" or state.character is None:
        raise RulesError("The level-up isn't finished yet.")
    return Character.model_validate(state.character)


# --------------------------------------------------------------------------- menus

# A step whose answers are few offers them as a menu (a select on Discord, buttons at the local table), as the
# creation flow does; a pick is sent as the answer, as if typed. Each step names its candidates and only those
# the step takes as a whole answer are offered (so a step that wants two picks, or a choice point whose options
# this module doesn't know, offers none). The confirm step is answered with ✅/❌ instead.
_MENU_CANDIDATES_CAP = 4 * creation_flow.MAX_MENU_CHOICES  # past this many, checking each isn't worth it


def _class_candidates(state: LevelUpState, character: Character, catalog: SpellCatalog) -> list[str]:
    return [*character.class_levels, *(c for c in CLASSES if c not in character.class_levels)]


def _spell_candidates(state: LevelUpState, character: Character, catalog: SpellCatalog) -> list[str]:
    gains = _gains(state, character)
    sub = character.subclasses.get(gains.class_name) or state.subclass
    low, high = {"cantrips": (0, 0), "spells": (1, gains.max_level), "arcanum": (gains.arcanum, gains.arcanum)}[
        state.step]
    names = _candidates(catalog, character, "Warlock" if state.step == "arcanum" else gains.class_name, low, high,
                        sub, state.step == "spells" and bool(gains.any_list))
    return [re.sub(r" \(\d+\w\w\)$", "", n) for n in names]  # "Shield (1st)" -> "Shield"


def _choice_candidates(state: LevelUpState, character: Character, catalog: SpellCatalog) -> list[str]:
    point = _choice_point(state, character)
    if point == BONUS_CANTRIP:
        return _candidates(catalog, character, "Druid", 0, 0, None, False)
    try:  # the options the class-choice definitions give, whatever the point
        offered = class_choices.options(point or "", state.class_name or "")
    except KeyError:
        return []
    taken = already_chosen(point or "", character)
    return [o for o in offered if o not in taken]


_MENU_CANDIDATES = {
    "class": _class_candidates,
    "hp": lambda state, character, catalog: ["roll", "average"],
    "asi": lambda state, character, catalog: [*(f"+2 {a}" for a in ABILITIES), *(f"feat {f}" for f in FEATS)],
    "feat_ability": lambda state, character, catalog: list(info.ability_choice) if (
        info := find_feat(state.feat or "")) else [],
    "subclass": lambda state, character, catalog: list(_options(state, character).subclass_options),
    **dict.fromkeys(CHOICE_STEPS, _choice_candidates),
    "skills": lambda state, character, catalog: list(_options(state, character).skill_options),
    "expertise": lambda state, character, catalog: _expertise_candidates(state, character),
    "cantrips": _spell_candidates, "spells": _spell_candidates, "arcanum": _spell_candidates,
}
# The steps whose answer names several entries of the menu (a select of that many; joined by commas).
_MENU_COUNTS = {
    "skills": lambda state, character: _options(state, character).skill_choices,
    "expertise": lambda state, character: 2,
    "cantrips": lambda state, character: _gains(state, character).cantrips,
    "spells": lambda state, character: _gains(state, character).spells,
    # Metamagic options and Eldritch Invocations come several a level (class_choices.picks)
    **{step: (lambda state, character, step=step: _choice_picks(state, character, step)) for step in CHOICE_STEPS},
}


def _choice_picks(state: LevelUpState, character: Character, step: str) -> int:
    point = _choice_point(state, character, step)
    if point is None or state.class_name is None:
        return 1
    return point_picks(point, state.class_name, _options(state, character).class_level)


def menu_count(state: LevelUpState, character: Character) -> int:
    """How many entries of the menu one answer names (1 but for a step that asks several skills or spells)."""
    count = _MENU_COUNTS.get(state.step) if state.status == "active" else None
    return max(1, count(state, character)) if count is not None else 1


def _takes(state: LevelUpState, character: Character, text: str, catalog: SpellCatalog) -> bool:
    """Whether the current step accepts `text` as its whole answer."""
    try:
        if state.step in _SPELL_ANSWERS:
            _SPELL_ANSWERS[state.step](state, character, text, catalog)
        else:
            _ANSWERS[state.step](state, character, text, random.Random(0))
    except (RulesError, ValueError, KeyError):
        return False
    return True


def menu(state: LevelUpState, character: Character, catalog: SpellCatalog | None = None) -> list[str]:
    """The answers the current step can take, when they are few enough for a menu (else none)."""
    pick = _MENU_CANDIDATES.get(state.step) if state.status == "active" else None
    if pick is None:
        return []
    cat = catalog or builtin_catalog()
    candidates = list(dict.fromkeys(pick(state, character, cat)))
    count = menu_count(state, character)
    if len(candidates) > _MENU_CANDIDATES_CAP or len(candidates) < count:
        return []
    # Several at once: each entry is checked in a whole answer with the first others (themselves a whole answer).
    base = candidates[:count]
    if count > 1 and not _takes(state, character, ", ".join(base), cat):
        return []
    options = [c for c in candidates
               if _takes(state, character, ", ".join([c, *[b for b in base if b != c][:count - 1]]), cat)]
    return options if count <= len(options) <= creation_flow.MAX_MENU_CHOICES else []


__all__ = ["LevelUpState", "answer", "checked_choice", "choices_of", "headline", "hp_roll", "leveled_character",
           "parse_asi", "preview", "prompt", "start"]
