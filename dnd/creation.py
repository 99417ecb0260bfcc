"""Character creation: pure validation of every choice, then :func:`create_character`.

Each refusal raises :class:`RulesError` with the reason to show the player, e.g.
``"Point buy exceeds 27 points (spent 29)"``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dnd.abilities import modifier, normalize_ability, normalize_skill
from dnd.character import Character, InventoryItem, LevelRecord, derive
from dnd.class_choices import validate_choices
from dnd.data.backgrounds import BACKGROUNDS, BackgroundInfo, find_background
from dnd.data.classes import ALL_SKILLS_LABEL, ClassInfo
from dnd.data.equipment import ARTISAN_TOOLS, MUSICAL_INSTRUMENTS, Armor, find_item
from dnd.data.feats import FEATS, FeatInfo, find_feat
from dnd.data.races import DRACONIC_ANCESTRIES, RACES, RaceInfo, SubraceInfo, find_race, find_subrace
from dnd.data.skills import ABILITIES, LANGUAGES, SKILLS
from dnd.data.tables import POINT_BUY_BUDGET, POINT_BUY_COSTS, STANDARD_ARRAY
from dnd.errors import RulesError
from dnd.inventory import expand
from dnd.progression import at_level, get_class, get_subclass
from dnd.spellcasting import (
    WIZARD_FIRST_SPELLBOOK,
    WIZARD_SPELLS_PER_LEVEL,
    SpellCatalog,
    builtin_catalog,
    choose_spells,
    max_spell_level,
)
from dnd.starting_kit import kit_items
from dnd.wealth import Wealth

AbilityMethod = Literal["point_buy", "standard_array", "rolled"]


# --------------------------------------------------------------------------- ability scores


@dataclass(frozen=True)
class RolledScore:
    """One 4d6-drop-lowest roll: all four dice (in rolled order), the three kept, and their sum."""

    dice: tuple[int, int, int, int]
    kept: tuple[int, int, int]
    total: int

    def __str__(self) -> str:
        dropped = sorted(self.dice)[0]
        return f"{list(self.dice)} drop {dropped} = {self.total}"


def roll_4d6_drop_lowest(rng: random.Random) -> RolledScore:
    dice = (rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 6))
    kept = tuple(sorted(dice, reverse=True)[:3])
    return RolledScore(dice=dice, kept=kept, total=sum(kept))  # type: ignore[arg-type]


def roll_ability_scores(rng: random.Random) -> list[RolledScore]:
    """Six scores, each the highest three of 4d6."""
    return [roll_4d6_drop_lowest(rng) for _ in range(6)]


def _complete_scores(scores: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in scores.items():
        code = normalize_ability(name)
        if code in out:
            raise RulesError(f"{code} was given twice.")
        out[code] = value
    missing = [a for a in ABILITIES if a not in out]
    if missing:
        raise RulesError(f"Assign a score to every ability (missing {', '.join(missing)}).")
    return out


def point_buy_cost(scores: Mapping[str, int]) -> int:
    """Points spent: each score must be 8-15 (before racial bonuses)."""
    full = _complete_scores(scores)
    spent = 0
    for ability, value in full.items():
        if value not in POINT_BUY_COSTS:
            raise RulesError(
                f"Point buy scores run from 8 to 15 before racial bonuses ({ability} is {value}).")
        spent += POINT_BUY_COSTS[value]
    return spent


def validate_point_buy(scores: Mapping[str, int]) -> int:
    """Refuse anything over the 27-point budget; returns the points spent."""
    spent = point_buy_cost(scores)
    if spent > POINT_BUY_BUDGET:
        raise RulesError(f"Point buy exceeds {POINT_BUY_BUDGET} points (spent {spent})")
    return spent


def validate_standard_array(scores: Mapping[str, int]) -> None:
    full = _complete_scores(scores)
    if sorted(full.values(), reverse=True) != list(STANDARD_ARRAY):
        array = ", ".join(str(v) for v in STANDARD_ARRAY)
        raise RulesError(f"Use the standard array {array} exactly once each "
                         f"(you assigned {', '.join(str(full[a]) for a in ABILITIES)}).")


def validate_rolled(scores: Mapping[str, int], rolled: Sequence[int]) -> None:
    full = _complete_scores(scores)
    if len(rolled) != 6:
        raise RulesError("Roll six scores (4d6, drop the lowest) before assigning them.")
    if sorted(full.values()) != sorted(rolled):
        raise RulesError(f"Assign exactly the scores you rolled ({', '.join(str(r) for r in rolled)}).")


def validate_ability_scores(method: AbilityMethod, scores: Mapping[str, int],
                            rolled: Sequence[int] = ()) -> dict[str, int]:
    if method == "point_buy":
        validate_point_buy(scores)
    elif method == "standard_array":
        validate_standard_array(scores)
    elif method == "rolled":
        validate_rolled(scores, rolled)
    else:
        raise RulesError(f"Unknown ability score method '{method}' (point_buy, standard_array or rolled).")
    return _complete_scores(scores)


# --------------------------------------------------------------------------- race, class, background


def validate_race(race: str, subrace: str | None = None) -> tuple[RaceInfo, SubraceInfo | None]:
    info = find_race(race)
    if info is None:
        raise RulesError(f"Unknown race '{race}'. Choose one of: {', '.join(RACES)}.")
    if not subrace:
        srd_subs = [s for s in info.subraces if (sub := find_subrace(s)) is not None and sub.srd]
        if srd_subs:
            raise RulesError(f"Choose a subrace for the {info.name}: {', '.join(info.subraces)}.")
        return info, None
    sub = find_subrace(subrace)
    if sub is None or sub.race != info.name:
        options = ", ".join(info.subraces) if info.subraces else "none"
        raise RulesError(f"'{subrace}' is not a subrace of the {info.name} (options: {options}).")
    return info, sub


def validate_class(class_name: str, subclass: str | None = None) -> tuple[ClassInfo, str | None]:
    info = get_class(class_name)
    if info.subclass_level == 1:
        if not subclass:
            raise RulesError(f"A {info.name} chooses a {info.subclass_title} at 1st level "
                             f"(available: {info.subclass}).")
        return info, get_subclass(info.name, subclass).name
    if subclass:
        raise RulesError(f"A {info.name} chooses a {info.subclass_title} at level {info.subclass_level}, "
                         "not at 1st level.")
    return info, None


def validate_background(name: str) -> BackgroundInfo:
    bg = find_background(name)
    if bg is None:
        raise RulesError(f"Unknown background '{name}'. Choose one of: {', '.join(BACKGROUNDS)}.")
    return bg


def racial_bonuses(race: RaceInfo, subrace: SubraceInfo | None,
                   choices: Sequence[str] = ()) -> dict[str, int]:
    """Fixed racial increases plus the +1 picks of a Half-Elf or Variant Human."""
    bonuses: dict[str, int] = {}
    fixed = {} if subrace is not None and subrace.replaces_race_bonuses else dict(race.ability_bonuses)
    for a, v in fixed.items():
        bonuses[a] = bonuses.get(a, 0) + v
    if subrace is not None:
        for a, v in subrace.ability_bonuses.items():
            bonuses[a] = bonuses.get(a, 0) + v
    wanted = race.ability_choices + (subrace.ability_choices if subrace else 0)
    picks = [normalize_ability(c) for c in choices]
    label = subrace.name if subrace and subrace.ability_choices else race.name
    if len(picks) != wanted:
        if wanted == 0:
            raise RulesError(f"The {label} has no ability increases to choose.")
        raise RulesError(f"The {label} chooses +1 to {wanted} different abilities (you chose {len(picks)}).")
    if len(set(picks)) != len(picks):
        raise RulesError("Choose different abilities for your +1 increases.")
    for a in picks:
        if race.ability_choices and a in race.ability_bonuses:
            raise RulesError(f"The {race.name}'s +1 increases must go to abilities other than "
                             f"{', '.join(race.ability_bonuses)}.")
        bonuses[a] = bonuses.get(a, 0) + 1
    return bonuses


def validate_skills(cls: ClassInfo, background: BackgroundInfo, race: RaceInfo, subrace: SubraceInfo | None,
                    class_picks: Sequence[str], race_picks: Sequence[str] = ()) -> list[str]:
    """Background and racial skills are granted; the class's picks must come from its list (a skill you
    already have from elsewhere can be replaced by any skill); racial picks (Half-Elf, Variant Human) are
    any skills. Returns the full skill list."""
    granted = list(background.skills) + [s for s in race.skills if s not in background.skills]
    picks = [normalize_skill(s) for s in class_picks]
    options = list(SKILLS) if ALL_SKILLS_LABEL in cls.skill_options else list(cls.skill_options)
    if len(picks) != cls.skill_count:
        raise RulesError(f"A {cls.name} chooses {cls.skill_count} skills from: {', '.join(options)} "
                         f"(you chose {len(picks)}).")
    if len(set(picks)) != len(picks):
        raise RulesError("You chose the same skill twice.")
    for s in picks:
        if s in granted:
            raise RulesError(f"You already have {s} from your race or background; choose another skill.")
    available = [s for s in options if s not in granted]
    off_list = [s for s in picks if s not in options]
    if len(off_list) > max(0, cls.skill_count - len(available)):
        raise RulesError(f"{off_list[0]} is not a {cls.name} skill. Choose from: {', '.join(available)}.")
    skills = granted + picks
    wanted = race.skill_choices + (subrace.skill_choices if subrace else 0)
    extra = [normalize_skill(s) for s in race_picks]
    if len(extra) != wanted:
        label = subrace.name if subrace and subrace.skill_choices else race.name
        if wanted == 0:
            raise RulesError(f"The {label} gets no extra skill choices.")
        raise RulesError(f"The {label} chooses {wanted} extra skill(s) of any kind (you chose {len(extra)}).")
    for s in extra:
        if s in skills:
            raise RulesError(f"You already have {s}; choose a different skill.")
        skills.append(s)
    return skills


def validate_languages(race: RaceInfo, subrace: SubraceInfo | None, background: BackgroundInfo,
                       chosen: Sequence[str]) -> list[str]:
    known = list(race.languages)
    wanted = race.extra_languages + (subrace.extra_languages if subrace else 0) + background.languages
    picks: list[str] = []
    for name in chosen:
        lang = next((lang for lang in LANGUAGES if lang.casefold() == name.strip().casefold()), None)
        if lang is None:
            raise RulesError(f"'{name}' is not a language of the SRD ({', '.join(LANGUAGES)}).")
        if lang in known or lang in picks:
            raise RulesError(f"You already speak {lang}; choose another language.")
        picks.append(lang)
    if len(picks) != wanted:
        raise RulesError(f"Choose {wanted} extra language(s) (you chose {len(picks)}).")
    return known + picks


def _tool_name(name: str) -> str:
    item = find_item(name)
    return item.name if item is not None else name.strip()


def validate_tools(cls: ClassInfo, race: RaceInfo, class_tools: Sequence[str],
                   race_tool: str | None) -> list[str]:
    """Tool or instrument proficiencies chosen by class (Bard, Monk) and race (Dwarf)."""
    picks = [_tool_name(t) for t in class_tools]
    if cls.tool_options == "instrument":
        allowed = MUSICAL_INSTRUMENTS
        what = "musical instruments"
    elif cls.tool_options == "artisan_or_instrument":
        allowed = ARTISAN_TOOLS + MUSICAL_INSTRUMENTS
        what = "artisan's tools or musical instruments"
    else:
        allowed = ()
        what = ""
    if len(picks) != cls.tool_choices:
        if cls.tool_choices == 0:
            raise RulesError(f"A {cls.name} doesn't choose tool proficiencies.")
        raise RulesError(f"A {cls.name} chooses {cls.tool_choices} {what} (you chose {len(picks)}).")
    if len(set(picks)) != len(picks):
        raise RulesError("You chose the same tool twice.")
    for t in picks:
        if t not in allowed:
            raise RulesError(f"{t} is not one of the {what} a {cls.name} can choose.")
    out = list(picks)
    if race.tool_choices:
        tool = _tool_name(race_tool or "")
        if tool not in race.tool_choices:
            raise RulesError(f"The {race.name} chooses one tool: {', '.join(race.tool_choices)}.")
        if tool not in out:
            out.append(tool)
    elif race_tool:
        raise RulesError(f"The {race.name} doesn't choose a tool proficiency.")
    return out


def can_cast_spells_at_first_level(cls: ClassInfo, race: RaceInfo, subrace: SubraceInfo | None) -> bool:
    racial_magic = race.name == "Tiefling" or bool(subrace and subrace.wizard_cantrips)
    return cls.caster in ("full", "pact") or racial_magic


def validate_feat(feat: str | None, scores: Mapping[str, int], *, allowed: bool, can_cast: bool,
                  taken: Sequence[str] = ()) -> FeatInfo | None:
    """A feat must exist, not be taken already, and meet its prerequisites on the final scores."""
    if feat is None:
        return None
    if not allowed:
        raise RulesError("Only a Variant Human chooses a feat at 1st level.")
    info = find_feat(feat)
    if info is None:
        raise RulesError(f"Unknown feat '{feat}'. Available: {', '.join(FEATS)}.")
    if any(t.casefold() == info.name.casefold() for t in taken):
        raise RulesError(f"You already have the {info.name} feat.")
    for ability, minimum in info.prerequisites.items():
        if scores.get(ability, 0) < minimum:
            raise RulesError(f"{info.name} requires {ability} {minimum} (you have {scores.get(ability, 0)}).")
    if info.requires_spellcasting and not can_cast:
        raise RulesError(f"{info.name} requires the ability to cast at least one spell.")
    return info


def validate_feat_ability(info: FeatInfo | None, feat_ability: str | None) -> str | None:
    if info is None or not info.ability_choice:
        if feat_ability:
            raise RulesError("That feat doesn't let you choose an ability to increase.")
        return None
    if not feat_ability:
        raise RulesError(f"{info.name} increases one of {', '.join(info.ability_choice)} by 1: choose one.")
    code = normalize_ability(feat_ability)
    if code not in info.ability_choice:
        raise RulesError(f"{info.name} can increase {' or '.join(info.ability_choice)}, not {code}.")
    return code


def validate_spell_choices(cls: ClassInfo, scores: Mapping[str, int], cantrips: Sequence[str],
                           spells: Sequence[str], *, bonus_cantrips: int = 0, level: int = 1,
                           catalog: SpellCatalog | None = None) -> None:
    """Counts of cantrips and spells chosen at creation, each checked against the spells the game knows
    (``catalog``, the built-in ones by default): its level, the class list, and the highest level the class can
    learn. ``bonus_cantrips`` (a High Elf's) come from the Wizard list; the class's own cantrips still come
    from the class's. Choosing fewer than allowed is fine (the rest can be picked later)."""
    catalog = catalog or builtin_catalog()
    row = at_level(cls.name, level)
    class_cantrips = row.cantrips_known or 0
    if len(cantrips) > class_cantrips + bonus_cantrips:
        raise RulesError(f"A level {level} {cls.name} knows {class_cantrips + bonus_cantrips} cantrip(s), "
                         f"not {len(cantrips)}.")
    _check_cantrips(cls, catalog, cantrips, class_cantrips, bonus_cantrips)
    top = max_spell_level(cls.name, level)
    limit, label = _spell_choice_limit(cls, scores, row.spells_known, top, level)
    if len(spells) > limit:
        raise RulesError(f"A level {level} {cls.name} has {limit} {label}, not {len(spells)}.")
    if spells:
        choose_spells(catalog, spells, class_name=cls.name, max_level=top)


def _check_cantrips(cls: ClassInfo, catalog: SpellCatalog, cantrips: Sequence[str], class_cantrips: int,
                    bonus_cantrips: int) -> None:
    """Each cantrip is on the class list, or fills a bonus (Wizard-list) cantrip; neither kind over its count."""
    infos = [catalog.get(c) for c in cantrips]
    if len({i.name for i in infos}) != len(infos):
        raise RulesError("You chose the same spell twice.")
    off_class, class_only = [], 0
    for info in infos:
        class_only += cls.name in info.classes and (not bonus_cantrips or "Wizard" not in info.classes)
        if info.level != 0:
            raise RulesError(f"{info.name} is not a cantrip.")
        if cls.name not in info.classes:
            if not bonus_cantrips or "Wizard" not in info.classes:
                raise RulesError(f"{info.name} is not on the {cls.name} spell list"
                                 + (" (nor the Wizard list, for your High Elf cantrip)." if bonus_cantrips else "."))
            off_class.append(info.name)
    if len(off_class) > bonus_cantrips:
        raise RulesError(f"Only {bonus_cantrips} cantrip(s) may come from the Wizard list: "
                         f"{', '.join(off_class)} are not {cls.name} cantrips.")
    if class_only > class_cantrips:
        raise RulesError(f"A {cls.name} chooses {class_cantrips} cantrip(s) from its list; the other "
                         f"{bonus_cantrips} must be on the Wizard list.")


def _spell_choice_limit(cls: ClassInfo, scores: Mapping[str, int], spells_known: int | None, top: int,
                        level: int) -> tuple[int, str]:
    """How many levelled spells the class chooses at this level, and what they are called."""
    if spells_known is not None:
        return spells_known, "spells known"
    if cls.name == "Wizard":
        return WIZARD_FIRST_SPELLBOOK + WIZARD_SPELLS_PER_LEVEL * (level - 1), "spells in the spellbook"
    if cls.prepares_spells and cls.spellcasting_ability and top:
        caster_levels = level if cls.caster == "full" else level // 2
        return max(1, modifier(scores[cls.spellcasting_ability]) + caster_levels), "prepared spells"
    return 0, "spells"


# --------------------------------------------------------------------------- equipment


def roll_starting_gold(class_name: str, rng: random.Random) -> int:
    """Starting wealth by class, in gp (e.g. Fighter 5d4 x 10)."""
    dice, mult = get_class(class_name).starting_gold
    return sum(rng.randint(1, 4) for _ in range(dice)) * mult


def class_proficiencies(class_name: str, subclass: str | None) -> list[str]:
    """The armor and weapon proficiencies a 1st-level character of the class (and subclass) has."""
    cls = get_class(class_name)
    return [*cls.armor, *cls.weapons, *(get_subclass(cls.name, subclass).proficiencies if subclass else ())]


def starting_equipment(class_name: str, background: str, method: Literal["package", "gold"],
                       rng: random.Random | None = None, kit: Sequence[str] | None = None,
                       subclass: str | None = None) -> tuple[list[InventoryItem], Wealth]:
    """The class's starting equipment as the ``kit`` answers choose it (`dnd.starting_kit`; None: option (a)
    throughout), or rolled starting gold instead, plus the background's kit and pouch."""
    cls = get_class(class_name)
    bg = validate_background(background)
    entries: list[tuple[str, int]] = list(bg.equipment)
    gold = bg.gold
    if method == "package":
        entries = kit_items(cls.name, kit, class_proficiencies(cls.name, subclass)) + entries
    elif method == "gold":
        if rng is None:
            raise RulesError("Rolling starting gold needs dice (an rng).")
        gold += roll_starting_gold(cls.name, rng)
    else:
        raise RulesError("Choose the class equipment package or starting gold.")
    return expand(entries), Wealth(gp=gold)


def _equip_armor(items: list[InventoryItem], proficiencies: Sequence[str]) -> list[InventoryItem]:
    """Equip the best body armor and a shield the character is proficient with."""
    prof = {p.casefold() for p in proficiencies}
    best: int | None = None
    best_ac = -1
    shield: int | None = None
    for i, item in enumerate(items):
        info = find_item(item.name)
        if not isinstance(info, Armor):
            continue
        if info.category == "shield":
            if "shields" in prof and shield is None:
                shield = i
        elif f"{info.category} armor" in prof and info.base_ac > best_ac:
            best, best_ac = i, info.base_ac
    return [it.model_copy(update={"equipped": True}) if i in (best, shield) else it
            for i, it in enumerate(items)]


# --------------------------------------------------------------------------- the whole character


class CreationChoices(BaseModel):
    """Everything a player picks in ``!create_character``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    race: str
    subrace: str | None = None
    class_name: str
    subclass: str | None = None
    ability_method: AbilityMethod
    base_scores: dict[str, int]
    rolled_scores: list[int] = Field(default_factory=list)  # the six totals rolled, for "rolled"
    ability_choices: list[str] = Field(default_factory=list)  # Half-Elf / Variant Human +1 picks
    background: str
    skills: list[str] = Field(default_factory=list)  # class skill picks
    race_skills: list[str] = Field(default_factory=list)  # Half-Elf / Variant Human picks
    expertise: list[str] = Field(default_factory=list)  # Rogue: two skills (or Thieves' Tools)
    languages: list[str] = Field(default_factory=list)  # extra languages chosen
    tools: list[str] = Field(default_factory=list)  # Bard instruments, Monk tool/instrument
    race_tool: str | None = None  # Dwarf: smith's, brewer's or mason's
    equipment: Literal["package", "gold"] = "package"
    kit: list[str] | None = None  # the starting-equipment answers (dnd.starting_kit); None: option (a) throughout
    feat: str | None = None  # Variant Human only
    feat_ability: str | None = None
    draconic_ancestry: str | None = None  # Dragonborn
    cantrips: list[str] = Field(default_factory=list)
    spells: list[str] = Field(default_factory=list)
    class_choices: dict[str, str] = Field(default_factory=dict)  # {"Fighting Style": "Defense"} (dnd.class_choices)


def validate_expertise(cls: ClassInfo, level: int, skills: Sequence[str], tools: Sequence[str],
                       chosen: Sequence[str], already: Sequence[str] = ()) -> list[str]:
    """Rogue 1st/6th and Bard 3rd/10th level: two proficient skills (Rogue: or Thieves' Tools)."""
    wanted = 2 if "Expertise" in at_level(cls.name, level).features else 0
    if len(chosen) != wanted:
        if not wanted:
            raise RulesError(f"A level {level} {cls.name} doesn't gain Expertise.")
        raise RulesError(f"Choose {wanted} proficient skills for Expertise (you chose {len(chosen)}).")
    out: list[str] = []
    for name in chosen:
        if cls.name == "Rogue" and name.strip().casefold() == "thieves' tools":
            if "Thieves' Tools" not in tools:
                raise RulesError("You need proficiency with Thieves' Tools to gain Expertise in them.")
            pick = "Thieves' Tools"
        else:
            pick = normalize_skill(name)
            if pick not in skills:
                raise RulesError(
                    f"Expertise needs a skill you are proficient in; you aren't proficient in {pick}.")
        if pick in out or pick in already:
            raise RulesError(f"You already have Expertise in {pick}.")
        out.append(pick)
    return out


def create_character(choices: CreationChoices, rng: random.Random | None = None, *,
                     catalog: SpellCatalog | None = None) -> Character:
    """Validate every creation choice and build a 1st-level character at full hp with full resources.
    ``rng`` is needed only to roll starting gold; ``catalog``: the spells the game knows (the built-in ones by
    default)."""
    catalog = catalog or builtin_catalog()
    race, subrace = validate_race(choices.race, choices.subrace)
    cls, subclass = validate_class(choices.class_name, choices.subclass)
    bg = validate_background(choices.background)
    base = validate_ability_scores(choices.ability_method, choices.base_scores, choices.rolled_scores)
    bonuses = racial_bonuses(race, subrace, choices.ability_choices)
    scores = {a: base[a] + bonuses.get(a, 0) for a in ABILITIES}
    skills = validate_skills(cls, bg, race, subrace, choices.skills, choices.race_skills)
    languages = validate_languages(race, subrace, bg, choices.languages)
    tools = validate_tools(cls, race, choices.tools, choices.race_tool)
    feat_allowed = bool(subrace and subrace.feat)
    if feat_allowed and not choices.feat:
        raise RulesError("A Variant Human chooses one feat at 1st level.")
    can_cast = can_cast_spells_at_first_level(cls, race, subrace)
    feat = validate_feat(choices.feat, scores, allowed=feat_allowed, can_cast=can_cast)
    feat_ability = validate_feat_ability(feat, choices.feat_ability)
    if feat_ability:
        scores[feat_ability] = min(20, scores[feat_ability] + 1)
    expertise = validate_expertise(cls, 1, skills, list(cls.tools), choices.expertise)
    ancestry = None
    if race.name == "Dragonborn":
        ancestry = next((k for k in DRACONIC_ANCESTRIES if k.casefold() == (choices.draconic_ancestry or "")
                         .strip().casefold()), None)
        if ancestry is None:
            raise RulesError(f"Choose a draconic ancestry: {', '.join(DRACONIC_ANCESTRIES)}.")
    elif choices.draconic_ancestry:
        raise RulesError("Only a Dragonborn has a draconic ancestry.")
    bonus_cantrips = subrace.wizard_cantrips if subrace else 0
    validate_spell_choices(cls, scores, choices.cantrips, choices.spells, bonus_cantrips=bonus_cantrips,
                           catalog=catalog)

    items, wealth = starting_equipment(cls.name, bg.name, choices.equipment, rng, choices.kit, subclass)
    picked = validate_choices(cls.name, 1, subclass, choices.class_choices, languages=languages,
                              required=False)  # the flow asks each
    record = LevelRecord(class_name=cls.name, class_level=1, hp_method="max", hp_roll=cls.hit_die,
                         feat=feat.name if feat else None, feat_ability=feat_ability, subclass=subclass,
                         choices=picked)
    spell_names = [catalog.get(s).name for s in choices.spells]
    cantrip_names = [catalog.get(s).name for s in choices.cantrips]
    known: list[str] = []
    prepared: list[str] = []
    if cls.spells_known is not None:
        known = spell_names
    elif cls.name == "Wizard":
        known = spell_names
        limit = max(1, modifier(scores["INT"]) + 1)
        prepared = spell_names[:limit]
    else:
        prepared = spell_names
    if subclass:
        sub = get_subclass(cls.name, subclass)
        if cls.prepares_spells:
            prepared += [s for s in sub.spells.get(1, ()) if s not in prepared]
    draft = Character(
        name=choices.name.strip(),
        race=race.name,
        subrace=subrace.name if subrace else None,
        background=bg.name,
        class_levels={cls.name: 1},
        primary_class=cls.name,
        subclasses={cls.name: subclass} if subclass else {},
        base_scores=base,
        racial_bonuses=bonuses,
        skills=skills,
        expertise=expertise,
        languages=languages,
        proficiencies=tools,
        inventory=_equip_armor(items, list(cls.armor)),
        wealth=wealth,
        cantrips=cantrip_names,
        spells_known=known,
        spells_prepared=prepared,
        history=[record],
        draconic_ancestry=ancestry,
    )
    built = derive(draft)
    return built.model_copy(update={"hp": built.max_hp})
