"""Level up: what a new level offers (:func:`level_up_options`) and applying the player's choices
(:func:`apply_level_up`). Both are pure; the roll for hit points comes from the ``random.Random`` given."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dnd.abilities import modifier, normalize_ability, normalize_skill
from dnd.character import (
    Character,
    LevelRecord,
    average_hp_roll,
    compute_ability_scores,
    derive,
    hp_gain,
)
from dnd.class_choices import validate_choices
from dnd.creation import validate_expertise, validate_feat, validate_feat_ability
from dnd.data.classes import ALL_SKILLS_LABEL
from dnd.data.races import find_race, find_subrace
from dnd.data.skills import ABILITIES, SKILLS
from dnd.data.tables import ABILITY_SCORE_CAP, MAX_LEVEL, XP_THRESHOLDS, proficiency_bonus_for
from dnd.errors import RulesError
from dnd.progression import (
    ClassInfo,
    at_level,
    character_features,
    get_class,
    get_subclass,
    multiclass_pact_slots,
    multiclass_prerequisite_failures,
    multiclass_spell_slots,
)
from dnd.spellcasting import always_prepared


def xp_for_level(level: int) -> int:
    """Minimum XP for a character level (1-20)."""
    if not 1 <= level <= MAX_LEVEL:
        raise RulesError(f"Level {level} is outside the rules (1 to {MAX_LEVEL}).")
    return XP_THRESHOLDS[level - 1]


def level_for_xp(xp: int) -> int:
    """The character level an XP total qualifies for."""
    return max(i + 1 for i, threshold in enumerate(XP_THRESHOLDS) if xp >= threshold)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _slots_text(slots: Mapping[int, int]) -> str:
    return ", ".join(f"{_ordinal(lvl)}: {n}" for lvl, n in sorted(slots.items())) or "none"


@dataclass(frozen=True)
class LevelUpOptions:
    """What taking the next level in ``class_name`` offers and requires."""

    character_name: str
    class_name: str
    class_level: int  # the new class level
    character_level: int  # the new character level
    xp: int
    xp_needed: int
    xp_ok: bool
    multiclass: bool
    prerequisite_problems: list[str]
    hit_die: int
    hp_average: int  # hp gained by taking the average (before per-level bonuses such as Tough)
    hp_roll_range: tuple[int, int]
    asi: bool  # choose an Ability Score Improvement or a feat
    subclass_required: bool
    subclass_title: str
    subclass_options: list[str]
    features: list[str]
    proficiency_bonus: tuple[int, int]  # (before, after)
    spell_slots: tuple[dict[int, int], dict[int, int]]  # (before, after)
    pact_slots: tuple[tuple[int, int], tuple[int, int]]  # ((count, level) before, after)
    new_proficiencies: list[str]
    skill_choices: int
    skill_options: list[str]
    expertise_choices: int
    cantrips_known: int | None
    spells_known: int | None
    prompts: list[str] = field(default_factory=list)


class LevelUpChoices(BaseModel):
    """The player's answers for one level up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hp_method: Literal["roll", "average"] = "average"
    asi: dict[str, int] = Field(default_factory=dict)  # {"STR": 2} or {"STR": 1, "CON": 1}
    feat: str | None = None
    feat_ability: str | None = None
    subclass: str | None = None
    skills: list[str] = Field(default_factory=list)  # multiclassing into Bard, Ranger or Rogue
    expertise: list[str] = Field(default_factory=list)
    class_choices: dict[str, str] = Field(default_factory=dict)  # {"Fighting Style": "Dueling"}: dnd.class_choices


@dataclass(frozen=True)
class LevelUpSummary:
    class_name: str
    class_level: int
    character_level: int
    hp_method: str
    hp_roll: int  # the die value (rolled or average)
    hp_gained: int  # change in max hp (includes retroactive CON changes and Tough / Hill Dwarf)
    max_hp: int
    features: list[str]
    asi: dict[str, int]
    feat: str | None
    subclass: str | None
    proficiency_bonus: int
    spell_slots: dict[int, int]
    pact_slots: tuple[int, int]
    lines: list[str]


def _class_key(character: Character, class_name: str) -> str | None:
    target = get_class(class_name).name
    return next((k for k in character.class_levels if get_class(k).name == target), None)


def level_up_options(character: Character, class_name: str) -> LevelUpOptions:
    """Describe the next level in ``class_name``: hp, ASI/feat, subclass, features, slots, proficiency.
    Raises :class:`RulesError` at level 20 or for an unknown class."""
    cls = get_class(class_name)
    if character.level >= MAX_LEVEL:
        raise RulesError(f"{character.name} is already level {MAX_LEVEL}; there is no level 21 in the rules.")
    key = _class_key(character, cls.name)
    current = character.class_levels[key] if key else 0
    new_level = current + 1
    row = at_level(cls.name, new_level)
    scores = compute_ability_scores(character)
    con = modifier(scores["CON"])
    multiclass = key is None
    problems: list[str] = []
    if multiclass:
        for name in [*character.class_levels, cls.name]:
            problems += multiclass_prerequisite_failures(name, scores)
    new_levels = dict(character.class_levels)
    new_levels[key or cls.name] = new_level
    subclass_name = character.subclasses.get(key or cls.name)
    features = character_features(cls.name, new_level, subclass_name)
    new_profs = list(cls.multiclass_proficiencies) if multiclass else []
    skill_choices = cls.multiclass_skills if multiclass else 0
    skill_options = (list(SKILLS) if ALL_SKILLS_LABEL in cls.skill_options else list(cls.skill_options))
    skill_options = [s for s in skill_options if s not in character.skills]
    expertise = 2 if "Expertise" in row.features else 0
    xp_needed = XP_THRESHOLDS[character.level]  # threshold of the next character level
    prompts = [
        f"{character.name}, {', '.join(f'{c} level {lvl}' for c, lvl in character.class_levels.items())}, "
        f"{character.xp} XP: taking {cls.name} level {new_level} (character level {character.level + 1}).",
        f"Hit points: roll 1d{cls.hit_die}{con:+d} (minimum 1) or take the average "
        f"{hp_gain(average_hp_roll(cls.hit_die), con)}.",
    ]
    if row.asi:
        prompts.append("Ability Score Improvement: +2 to one ability or +1 to two (max 20), "
                       "or choose a feat.")
    if row.subclass_choice:
        prompts.append(f"Choose your {cls.subclass_title}: {cls.subclass}.")
    if skill_choices:
        prompts.append(f"Choose {skill_choices} skill(s) from: {', '.join(skill_options)}.")
    if expertise:
        prompts.append("Choose 2 proficient skills for Expertise.")
    if features:
        prompts.append("New features: " + ", ".join(features) + ".")
    return LevelUpOptions(
        character_name=character.name,
        class_name=cls.name,
        class_level=new_level,
        character_level=character.level + 1,
        xp=character.xp,
        xp_needed=xp_needed,
        xp_ok=character.xp >= xp_needed,
        multiclass=multiclass,
        prerequisite_problems=problems,
        hit_die=cls.hit_die,
        hp_average=hp_gain(average_hp_roll(cls.hit_die), con),
        hp_roll_range=(hp_gain(1, con), hp_gain(cls.hit_die, con)),
        asi=row.asi,
        subclass_required=row.subclass_choice,
        subclass_title=cls.subclass_title,
        subclass_options=[cls.subclass],
        features=features,
        proficiency_bonus=(proficiency_bonus_for(character.level),
                           proficiency_bonus_for(character.level + 1)),
        spell_slots=(multiclass_spell_slots(character.class_levels), multiclass_spell_slots(new_levels)),
        pact_slots=(multiclass_pact_slots(character.class_levels), multiclass_pact_slots(new_levels)),
        new_proficiencies=new_profs,
        skill_choices=skill_choices,
        skill_options=skill_options,
        expertise_choices=expertise,
        cantrips_known=row.cantrips_known,
        spells_known=row.spells_known,
        prompts=prompts,
    )


def expertise_tools(character: Character, options: LevelUpOptions) -> list[str]:
    """The tools a Rogue's Expertise may take at this level: Thieves' Tools, known already or gained by
    multiclassing into the Rogue at this very level (its proficiencies come with the level)."""
    tools = "Thieves' Tools"
    return [tools] if tools in [*character.proficiencies, *options.new_proficiencies] else []


def validate_asi(asi: Mapping[str, int], scores: Mapping[str, int]) -> dict[str, int]:
    """+2 to one ability or +1 to two, never above 20."""
    picks: dict[str, int] = {}
    for name, value in asi.items():
        code = normalize_ability(name)
        if code in picks:
            raise RulesError(f"{code} was given twice.")
        if not isinstance(value, int) or value not in (1, 2):
            raise RulesError("An Ability Score Improvement adds +2 to one ability or +1 to two.")
        picks[code] = value
    if sum(picks.values()) != 2 or len(picks) > 2:
        raise RulesError("An Ability Score Improvement adds +2 to one ability or +1 to two.")
    for code, value in picks.items():
        if scores[code] + value > ABILITY_SCORE_CAP:
            raise RulesError(f"An Ability Score Improvement can't raise {code} above {ABILITY_SCORE_CAP} "
                             f"({scores[code]} + {value} = {scores[code] + value}).")
    return picks


def apply_level_up(character: Character, class_name: str, choices: LevelUpChoices,
                   rng: random.Random | None = None, *,
                   require_xp: bool = True) -> tuple[Character, LevelUpSummary]:
    """Gain one level in ``class_name`` (an existing class or a new one, i.e. multiclassing).

    Hit points: ``roll`` = 1dX (from ``rng``) + CON modifier, minimum 1; ``average`` = X/2+1 + CON.
    Returns the new character (hp, hit dice, slots and resources rise; spent ones stay spent) and a
    summary. Every refusal raises :class:`RulesError`.
    """
    options = level_up_options(character, class_name)
    cls = get_class(class_name)
    _check_can_level(character, cls, options, require_xp)
    scores = compute_ability_scores(character)
    die_value = _hit_die_value(cls, choices, rng)
    asi, feat_name, feat_ability = _improvement(character, cls, options, choices, scores)
    subclass = _chosen_subclass(cls, options, choices)
    new_skills = _multiclass_skills(cls, options, choices)

    skills = list(character.skills) + new_skills
    expertise = list(character.expertise)
    if options.expertise_choices or choices.expertise:
        expertise += validate_expertise(cls, options.class_level, skills, expertise_tools(character, options),
                                        choices.expertise, already=character.expertise)

    key = _class_key(character, cls.name) or cls.name
    class_levels = dict(character.class_levels)
    class_levels[key] = options.class_level
    subclasses = dict(character.subclasses)
    if subclass:
        subclasses[key] = subclass
    picked = validate_choices(cls.name, options.class_level, subclass or subclasses.get(key), choices.class_choices,
                              character, required=False)  # the flow asks each (class_choice)
    record = LevelRecord(class_name=cls.name, class_level=options.class_level, hp_method=choices.hp_method,
                         hp_roll=die_value, asi=asi, feat=feat_name, feat_ability=feat_ability,
                         subclass=subclass, skills=new_skills, choices=picked)
    draft = character.model_copy(update={
        "class_levels": class_levels,
        "subclasses": subclasses,
        "skills": skills,
        "expertise": expertise,
        "history": [*character.history, record],
    })
    draft = draft.model_copy(update={"spells_prepared": list(dict.fromkeys(
        [*character.spells_prepared, *always_prepared(draft, cls.name)]))})  # a new level's subclass spells
    leveled = derive(draft, grow_from=character)
    features = character_features(cls.name, options.class_level, subclasses.get(key))

    lines = [f"{character.name} reaches level {leveled.level} ({cls.name} {options.class_level})!"]
    method = "rolled" if choices.hp_method == "roll" else "took the average"
    lines.append(f"Hit points: {method} {die_value} on the d{cls.hit_die}; max hp {character.max_hp} -> "
                 f"{leveled.max_hp} (+{leveled.max_hp - character.max_hp}).")
    if asi:
        lines.append("Ability Score Improvement: " + ", ".join(
            f"{a} {scores[a]} -> {leveled.ability_scores[a]}" for a in ABILITIES if a in asi))
    if feat_name:
        lines.append(f"New feat: {feat_name}.")
    if subclass:
        lines.append(f"{cls.subclass_title}: {get_subclass(cls.name, subclass).full_name}.")
    if options.features:
        lines.append("New features: " + ", ".join(features) + ".")
    lines += _growth_lines(character, leveled, options) + _choice_lines(character, leveled)
    if new_skills:
        lines.append("New skills: " + ", ".join(new_skills) + ".")
    summary = LevelUpSummary(
        class_name=cls.name,
        class_level=options.class_level,
        character_level=leveled.level,
        hp_method=choices.hp_method,
        hp_roll=die_value,
        hp_gained=leveled.max_hp - character.max_hp,
        max_hp=leveled.max_hp,
        features=features,
        asi=asi,
        feat=feat_name,
        subclass=subclass,
        proficiency_bonus=leveled.proficiency_bonus,
        spell_slots=dict(leveled.spell_slots_max),
        pact_slots=(leveled.pact_slots_max, leveled.pact_slot_level),
        lines=lines,
    )
    return leveled, summary


def _check_can_level(character: Character, cls: ClassInfo, options: LevelUpOptions, require_xp: bool) -> None:
    if require_xp and not options.xp_ok:
        raise RulesError(f"{character.name} needs {options.xp_needed} XP to reach level "
                         f"{options.character_level} (has {character.xp} XP).")
    if options.prerequisite_problems:
        raise RulesError(f"You can't multiclass into the {cls.name}. "
                         + " ".join(options.prerequisite_problems))


def _hit_die_value(cls: ClassInfo, choices: LevelUpChoices, rng: random.Random | None) -> int:
    """The hit die's value for this level: rolled with ``rng``, or the average."""
    if choices.hp_method != "roll":
        return average_hp_roll(cls.hit_die)
    if rng is None:
        raise RulesError("Rolling for hit points needs dice (an rng).")
    return rng.randint(1, cls.hit_die)


def _improvement(character: Character, cls: ClassInfo, options: LevelUpOptions, choices: LevelUpChoices,
                 scores: Mapping[str, int]) -> tuple[dict[str, int], str | None, str | None]:
    """The Ability Score Improvement or the feat (with the ability it raises) this level grants, if any."""
    if not options.asi:
        if choices.asi or choices.feat:
            raise RulesError(f"{cls.name} level {options.class_level} doesn't grant an Ability Score "
                             "Improvement or a feat.")
        return {}, None, None
    if bool(choices.asi) == bool(choices.feat):
        raise RulesError("Choose either an Ability Score Improvement (+2 to one ability or +1 to two) "
                         "or a feat, not both and not neither.")
    if choices.asi:
        return validate_asi(choices.asi, scores), None, None
    taken = [f.name for f in character.feats]
    info = validate_feat(choices.feat, scores, allowed=True, can_cast=_can_cast(character, cls), taken=taken)
    assert info is not None
    feat_ability = validate_feat_ability(info, choices.feat_ability)
    if feat_ability and scores[feat_ability] >= ABILITY_SCORE_CAP:
        raise RulesError(f"{info.name} can't raise {feat_ability} above {ABILITY_SCORE_CAP}.")
    return {}, info.name, feat_ability


def _can_cast(character: Character, cls: ClassInfo) -> bool:
    """Whether the character casts spells once it has this level (a feat like War Caster requires it)."""
    if any(get_class(c).caster != "none" for c in [*character.class_levels, cls.name]):
        return True
    race = find_race(character.race)
    sub = find_subrace(character.subrace) if character.subrace else None
    return (race is not None and race.name == "Tiefling") or bool(sub and sub.wizard_cantrips)


def _chosen_subclass(cls: ClassInfo, options: LevelUpOptions, choices: LevelUpChoices) -> str | None:
    if options.subclass_required:
        if not choices.subclass:
            raise RulesError(f"Choose your {cls.subclass_title} at {cls.name} level {options.class_level} "
                             f"(available: {cls.subclass}).")
        return get_subclass(cls.name, choices.subclass).name
    if choices.subclass:
        raise RulesError(f"The {cls.subclass_title} is chosen at {cls.name} level {cls.subclass_level}, "
                         f"not level {options.class_level}.")
    return None


def _multiclass_skills(cls: ClassInfo, options: LevelUpOptions, choices: LevelUpChoices) -> list[str]:
    """The skill proficiencies multiclassing into ``cls`` grants, as chosen."""
    if not options.skill_choices:
        if choices.skills:
            raise RulesError("This level doesn't grant new skill proficiencies.")
        return []
    picks = [normalize_skill(s) for s in choices.skills]
    if len(picks) != options.skill_choices or len(set(picks)) != len(picks):
        raise RulesError(f"Multiclassing into the {cls.name} gives {options.skill_choices} skill(s) "
                         f"from: {', '.join(options.skill_options)}.")
    for s in picks:
        if s not in options.skill_options:
            raise RulesError(
                f"{s} is not a skill you can gain from the {cls.name} (or you already have it).")
    return picks


def _choice_lines(character: Character, leveled: Character) -> list[str]:
    """The level's class choices, and the spells it makes always prepared (a domain's, a circle's, a Wizard's
    Signature Spells)."""
    lines = ["Class choices: " + "; ".join(f"{p}: {v}" for p, v in leveled.history[-1].choices.items()) + "."
             ] if leveled.history[-1].choices else []
    prepared = [s for s in leveled.spells_prepared if s not in character.spells_prepared]
    return lines + (["Always prepared now: " + ", ".join(prepared) + "."] if prepared else [])


def _growth_lines(character: Character, leveled: Character, options: LevelUpOptions) -> list[str]:
    """What grew besides hit points and choices: proficiency bonus, slots, resources, proficiencies."""
    lines: list[str] = []
    if options.proficiency_bonus[0] != options.proficiency_bonus[1]:
        before_pb, after_pb = options.proficiency_bonus
        lines.append(f"Proficiency bonus: +{before_pb} -> +{after_pb}.")
    if leveled.spell_slots_max != character.spell_slots_max:
        lines.append(f"Spell slots: {_slots_text(leveled.spell_slots_max)}.")
    pact_before = (character.pact_slots_max, character.pact_slot_level)
    if (leveled.pact_slots_max, leveled.pact_slot_level) != pact_before:
        lines.append(f"Pact slots: {leveled.pact_slots_max} of {_ordinal(leveled.pact_slot_level)} level.")
    before = {r.name: r.max_uses for r in character.abilities}
    for res in leveled.abilities:
        if res.name not in before or before[res.name] != res.max_uses:
            lines.append(f"{res.name}: {'unlimited' if res.max_uses is None else res.max_uses} "
                         f"per {res.recovery} rest.")
    if options.multiclass and options.new_proficiencies:
        lines.append("New proficiencies: " + ", ".join(options.new_proficiencies) + ".")
    return lines


__all__ = [
    "LevelUpChoices", "LevelUpOptions", "LevelUpSummary", "apply_level_up", "expertise_tools", "level_for_xp",
    "level_up_options", "validate_asi", "xp_for_level",
]
