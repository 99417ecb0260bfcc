"""Ability scores, modifiers, skills, saving throws and passive scores (pure arithmetic)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from dnd.data.skills import ABILITIES, ABILITY_NAMES, SKILLS
from dnd.errors import RulesError

_ABILITY_ALIASES: Final[dict[str, str]] = {
    **{a.casefold(): a for a in ABILITIES},
    **{name.casefold(): code for code, name in ABILITY_NAMES.items()},
}


def normalize_ability(name: str) -> str:
    """``"strength"``, ``"Str"``, ``"STR"`` -> ``"STR"``; raises :class:`RulesError` if unknown."""
    code = _ABILITY_ALIASES.get(name.strip().casefold())
    if code is None:
        raise RulesError(f"'{name}' is not an ability score (use one of {', '.join(ABILITIES)})")
    return code


def normalize_skill(name: str) -> str:
    """Case- and separator-insensitive skill name -> canonical SRD spelling."""
    key = " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()
    for skill in SKILLS:
        if skill.casefold() == key:
            return skill
    raise RulesError(f"'{name}' is not a skill")


def modifier(score: int) -> int:
    """The ability modifier: (score - 10) // 2, so 10-11 -> +0, 8-9 -> -1, 20 -> +5."""
    return (score - 10) // 2


def modifiers(scores: Mapping[str, int]) -> dict[str, int]:
    return {a: modifier(scores.get(a, 10)) for a in ABILITIES}


def skill_ability(skill: str) -> str:
    return SKILLS[normalize_skill(skill)]


def proficiency_multiplier(proficient: bool, expertise: bool = False, half: bool = False) -> float:
    if expertise:
        return 2.0
    if proficient:
        return 1.0
    return 0.5 if half else 0.0


def apply_proficiency(base: int, proficiency_bonus: int, *, proficient: bool, expertise: bool = False,
                      half: bool = False, round_up: bool = False) -> int:
    """Add the proficiency bonus: x2 with expertise; half (rounded down, or up) for Jack of All Trades."""
    if expertise:
        return base + 2 * proficiency_bonus
    if proficient:
        return base + proficiency_bonus
    if half:
        return base + (-(-proficiency_bonus // 2) if round_up else proficiency_bonus // 2)
    return base


def skill_bonus(scores: Mapping[str, int], skill: str, proficiency_bonus: int, *,
                proficient_skills: Iterable[str] = (), expertise_skills: Iterable[str] = (),
                jack_of_all_trades: bool = False) -> int:
    """The modifier for a skill check."""
    name = normalize_skill(skill)
    prof = {normalize_skill(s) for s in proficient_skills}
    exp = {normalize_skill(s) for s in expertise_skills}
    base = modifier(scores.get(SKILLS[name], 10))
    return apply_proficiency(base, proficiency_bonus, proficient=name in prof, expertise=name in exp,
                             half=jack_of_all_trades)


def saving_throw_bonus(scores: Mapping[str, int], ability: str, proficiency_bonus: int, *,
                       proficient_saves: Iterable[str] = ()) -> int:
    code = normalize_ability(ability)
    prof = {normalize_ability(s) for s in proficient_saves}
    return apply_proficiency(modifier(scores.get(code, 10)), proficiency_bonus, proficient=code in prof)


def passive_score(check_bonus: int, *, advantage: bool = False, disadvantage: bool = False,
                  bonus: int = 0) -> int:
    """10 + the check modifier, +5 with advantage, -5 with disadvantage (both cancel)."""
    adv = 5 if advantage and not disadvantage else -5 if disadvantage and not advantage else 0
    return 10 + check_bonus + adv + bonus


def passive_perception(scores: Mapping[str, int], proficiency_bonus: int, *,
                       proficient_skills: Iterable[str] = (), expertise_skills: Iterable[str] = (),
                       jack_of_all_trades: bool = False, advantage: bool = False,
                       disadvantage: bool = False, bonus: int = 0) -> int:
    perception = skill_bonus(scores, "Perception", proficiency_bonus, proficient_skills=proficient_skills,
                             expertise_skills=expertise_skills, jack_of_all_trades=jack_of_all_trades)
    return passive_score(perception, advantage=advantage, disadvantage=disadvantage, bonus=bonus)
