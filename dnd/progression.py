"""Class progression: what a class has at each level, and multiclass spellcasting.

>>> at_level("wizard", 5).spell_slots
{1: 4, 2: 3, 3: 2}
>>> at_level("Warlock", 5).spell_slots   # two pact slots of 3rd level
{3: 2}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dnd.data.classes import ASI, CLASSES, ClassInfo, SubclassInfo, find_class, find_subclass, step
from dnd.data.skills import ABILITY_NAMES
from dnd.data.tables import (
    FULL_CASTER_SLOTS,
    HALF_CASTER_SLOTS,
    MAX_LEVEL,
    PACT_SLOTS,
    THIRD_CASTER_SLOTS,
    proficiency_bonus_for,
)
from dnd.errors import RulesError

_SLOT_TABLES: dict[str, tuple[tuple[int, ...], ...]] = {
    "full": FULL_CASTER_SLOTS,
    "half": HALF_CASTER_SLOTS,
    "third": THIRD_CASTER_SLOTS,
}
# Class level at which the Spellcasting feature starts, by caster type.
_SPELLCASTING_FROM: dict[str, int] = {"full": 1, "half": 2, "third": 3, "pact": 1}
_CASTER_DIVISOR: dict[str, int] = {"full": 1, "half": 2, "third": 3}


@dataclass(frozen=True)
class ClassLevel:
    """Everything a single class has at one class level."""

    class_name: str
    level: int
    hit_die: int
    proficiency_bonus: int
    features: list[str]  # features gained at this level (Levels.json spelling)
    spell_slots: dict[int, int]  # spell level -> slots (warlock: pact slots at the pact slot level)
    cantrips_known: int | None
    spells_known: int | None
    asi: bool
    subclass_choice: bool  # the subclass is chosen at this level
    caster: str
    pact_slot_level: int | None = None
    resources: dict[str, int | None] = field(default_factory=dict)  # max uses (None = unlimited)
    extras: dict[str, float | int | bool | None] = field(default_factory=dict)


def get_class(class_name: str) -> ClassInfo:
    """Case-insensitive class lookup; raises :class:`RulesError` for an unknown class."""
    info = find_class(class_name) if isinstance(class_name, str) else None
    if info is None:
        raise RulesError(f"Unknown class '{class_name}'. Choose one of: {', '.join(CLASSES)}.")
    return info


def canonical_class(class_name: str) -> str:
    return get_class(class_name).name


def _check_level(level: int) -> None:
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= MAX_LEVEL:
        raise RulesError(f"Level {level} is outside the rules: class levels run from 1 to {MAX_LEVEL}.")


def get_subclass(class_name: str, subclass: str) -> SubclassInfo:
    info = get_class(class_name)
    sub = find_subclass(info.name, subclass)
    if sub is None:
        raise RulesError(
            f"Unknown {info.subclass_title} '{subclass}' for the {info.name}. Available: {info.subclass}."
        )
    return sub


def class_features(class_name: str, level: int) -> list[str]:
    """Class features gained at exactly this class level (no subclass features)."""
    info = get_class(class_name)
    _check_level(level)
    names = list(info.features.get(level, ()))
    if level in info.asi_levels:
        names.append(ASI)
    return names


def subclass_features(class_name: str, subclass: str, level: int) -> list[str]:
    """Features a subclass grants at exactly this class level."""
    _check_level(level)
    return list(get_subclass(class_name, subclass).features.get(level, ()))


def character_features(class_name: str, level: int, subclass: str | None = None) -> list[str]:
    """Features for a character sheet at this class level: the Levels.json placeholder
    (e.g. "Path feature") is replaced by the subclass's own features when the subclass is known."""
    info = get_class(class_name)
    names = class_features(info.name, level)
    if subclass:
        sub = subclass_features(info.name, subclass, level)
        if sub:
            names = [n for n in names if n != info.subclass_feature_label] + sub
    return names


def features_through(class_name: str, level: int, subclass: str | None = None) -> list[str]:
    """All features from class level 1 up to ``level`` (in order, duplicates such as a second
    "Expertise" kept once)."""
    out: list[str] = []
    for lvl in range(1, level + 1):
        for name in character_features(class_name, lvl, subclass):
            if name not in out:
                out.append(name)
    return out


def slots_for(caster: str, level: int) -> dict[int, int]:
    """Spell slots of a single-class caster of this type (pact: slots at the pact slot level)."""
    if level <= 0:
        return {}
    _check_level(level)
    if caster == "pact":
        count, slot_level = PACT_SLOTS[level - 1]
        return {slot_level: count}
    table = _SLOT_TABLES.get(caster)
    if table is None:
        return {}
    return {i + 1: n for i, n in enumerate(table[level - 1]) if n}


def pact_magic(warlock_level: int) -> tuple[int, int]:
    """(number of pact slots, their slot level); (0, 0) below warlock level 1."""
    if warlock_level <= 0:
        return 0, 0
    _check_level(warlock_level)
    return PACT_SLOTS[warlock_level - 1]


def _resource_maxima(info: ClassInfo, level: int) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for spec in info.resources:
        if level < spec.min_level or spec.ability is not None:
            continue  # ability-based counts depend on the character (see dnd.character)
        out[spec.name] = spec.maximum(level)
    return out


def at_level(class_name: str, level: int) -> ClassLevel:
    """What a class has at ``level`` (1-20). Raises :class:`RulesError` (a ``ValueError``) for an unknown
    class or a level outside 1-20."""
    info = get_class(class_name)
    _check_level(level)
    slots = slots_for(info.caster, level)
    return ClassLevel(
        class_name=info.name,
        level=level,
        hit_die=info.hit_die,
        proficiency_bonus=proficiency_bonus_for(level),
        features=class_features(info.name, level),
        spell_slots=slots,
        cantrips_known=info.cantrips_known[level - 1] if info.cantrips_known else None,
        spells_known=info.spells_known[level - 1] if info.spells_known else None,
        asi=level in info.asi_levels,
        subclass_choice=level == info.subclass_level,
        caster=info.caster,
        pact_slot_level=pact_magic(level)[1] if info.caster == "pact" else None,
        resources=_resource_maxima(info, level),
        extras={key: step(table, level) for key, table in info.extras.items()},
    )


def _normalize_levels(levels: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, lvl in levels.items():
        if lvl == 0:
            continue
        _check_level(lvl)
        key = canonical_class(name)
        out[key] = out.get(key, 0) + lvl
    total = sum(out.values())
    if total > MAX_LEVEL:
        raise RulesError(f"A character's total level can't exceed {MAX_LEVEL} (got {total}).")
    return out


def _caster_type(class_name: str, third_casters: Iterable[str]) -> str:
    info = get_class(class_name)
    if info.caster == "none" and class_name in third_casters:
        return "third"
    return info.caster


def caster_level(levels: Mapping[str, int], third_casters: Iterable[str] = ()) -> int:
    """Multiclass spellcaster level: full levels + half of paladin/ranger levels + a third of
    Eldritch-Knight/Arcane-Trickster-style levels, each rounded down. Warlock levels don't count."""
    norm = _normalize_levels(levels)
    thirds = {canonical_class(c) for c in third_casters}
    total = 0
    for name, lvl in norm.items():
        caster = _caster_type(name, thirds)
        if caster in _CASTER_DIVISOR:
            total += lvl // _CASTER_DIVISOR[caster]
    return total


def multiclass_spell_slots(levels: Mapping[str, int], third_casters: Iterable[str] = ()) -> dict[int, int]:
    """Spell slots (not pact slots) for a character with these class levels, per the SRD multiclassing
    rules. With a single class that has the Spellcasting feature, that class's own table is used.

    ``third_casters`` names classes (e.g. "Fighter") whose subclass casts as a third caster.
    """
    norm = _normalize_levels(levels)
    thirds = {canonical_class(c) for c in third_casters}
    casting = {
        name: lvl for name, lvl in norm.items()
        if (c := _caster_type(name, thirds)) in _SLOT_TABLES and lvl >= _SPELLCASTING_FROM[c]
    }
    if not casting:
        return {}
    if len(casting) == 1:
        (name, lvl), = casting.items()
        return slots_for(_caster_type(name, thirds), lvl)
    level = caster_level(casting, thirds)
    return slots_for("full", level) if level else {}


def multiclass_pact_slots(levels: Mapping[str, int]) -> tuple[int, int]:
    """(pact slots, pact slot level) from the warlock levels, kept apart from other slots."""
    norm = _normalize_levels(levels)
    return pact_magic(norm.get("Warlock", 0))


def multiclass_prerequisite_failures(class_name: str, scores: Mapping[str, int]) -> list[str]:
    """Why ``scores`` don't meet the class's multiclassing minimums (empty list if they do)."""
    info = get_class(class_name)
    options = info.multiclass_prereqs
    for option in options:
        if all(scores.get(a, 0) >= m for a, m in option.items()):
            return []

    def describe(option: dict[str, int]) -> str:
        return " and ".join(f"{ABILITY_NAMES[a]} {m}" for a, m in option.items())

    wanted = " or ".join(describe(o) for o in options)
    have = ", ".join(f"{ABILITY_NAMES[a]} {scores.get(a, 0)}" for o in options for a in o)
    return [f"The {info.name} needs {wanted} (you have {have})."]


def meets_multiclass_prerequisites(class_name: str, scores: Mapping[str, int]) -> bool:
    return not multiclass_prerequisite_failures(class_name, scores)


def check_multiclass(current_levels: Mapping[str, int], new_class: str, scores: Mapping[str, int]) -> None:
    """Raise :class:`RulesError` unless the character may take a level in ``new_class``: to multiclass
    you need the minimums of every class you have *and* of the new one."""
    norm = _normalize_levels(current_levels)
    target = canonical_class(new_class)
    if target in norm:
        return
    problems: list[str] = []
    for name in [*norm, target]:
        problems += multiclass_prerequisite_failures(name, scores)
    if problems:
        raise RulesError("You can't multiclass into the " + target + ". " + " ".join(problems))
