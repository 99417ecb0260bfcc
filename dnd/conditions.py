"""Conditions: adding/removing them on a character and their effect on rolls.

Roll modes are ``"advantage"``, ``"disadvantage"`` or ``"normal"``; any number of sources of advantage
and disadvantage together cancel out to ``"normal"`` (SRD).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from dnd.abilities import normalize_ability
from dnd.character import Character
from dnd.data.conditions import CONDITIONS, MAX_EXHAUSTION, ConditionInfo, find_condition
from dnd.errors import RulesError

# Channel Divinity's turning (dnd.combat.channel_divinity): not an SRD condition, a state of the fight.
TURNED = "Turned"

RollMode = Literal["advantage", "disadvantage", "normal"]


def combine(advantage: bool, disadvantage: bool) -> RollMode:
    if advantage and not disadvantage:
        return "advantage"
    if disadvantage and not advantage:
        return "disadvantage"
    return "normal"


def condition_info(name: str) -> ConditionInfo:
    info = find_condition(name)
    if info is None:
        raise RulesError(f"'{name}' is not a condition. Conditions: {', '.join(CONDITIONS)}.")
    return info


def _active(conditions: Iterable[str]) -> list[ConditionInfo]:
    """The conditions with those they imply (Unconscious -> Incapacitated, Prone)."""
    out: dict[str, ConditionInfo] = {}
    for name in conditions:
        info = find_condition(name)
        if info is None:
            continue
        out[info.name] = info
        for implied in info.implies:
            out[implied] = CONDITIONS[implied]
    return list(out.values())


def attack_roll_mode(attacker: Iterable[str] = (), target: Iterable[str] = (), *,
                     attacker_exhaustion: int = 0, within_5ft: bool = True, advantage: bool = False,
                     disadvantage: bool = False) -> RollMode:
    """Advantage/disadvantage on an attack roll from the attacker's and the target's conditions."""
    mine = _active(attacker)
    theirs = _active(target)
    adv = advantage or any(c.attack_advantage for c in mine) or any(c.attacked_with_advantage for c in theirs)
    dis = disadvantage or any(c.attack_disadvantage for c in mine) or attacker_exhaustion >= 3
    dis = dis or any(c.attacked_with_disadvantage for c in theirs)
    if any(c.prone_like for c in theirs):
        adv = adv or within_5ft
        dis = dis or not within_5ft
    return combine(adv, dis)


def ability_check_mode(conditions: Iterable[str] = (), exhaustion: int = 0, *, advantage: bool = False,
                       disadvantage: bool = False) -> RollMode:
    dis = disadvantage or exhaustion >= 1 or any(c.check_disadvantage for c in _active(conditions))
    return combine(advantage, dis)


def auto_fails_check(conditions: Iterable[str], *, needs_sight: bool = False,
                     needs_hearing: bool = False) -> bool:
    names = {c.name for c in _active(conditions)}
    return (needs_sight and "Blinded" in names) or (needs_hearing and "Deafened" in names)


def saving_throw_mode(conditions: Iterable[str], ability: str, exhaustion: int = 0, *,
                      advantage: bool = False, disadvantage: bool = False) -> RollMode | Literal["auto_fail"]:
    """``"auto_fail"`` for STR/DEX saves while paralyzed, petrified, stunned or unconscious."""
    code = normalize_ability(ability)
    active = _active(conditions)
    if any(code in c.auto_fail_saves for c in active):
        return "auto_fail"
    dis = disadvantage or exhaustion >= 3 or any(code in c.save_disadvantage for c in active)
    return combine(advantage, dis)


def hit_is_critical(target: Iterable[str], *, within_5ft: bool) -> bool:
    """A hit from within 5 feet on a paralyzed or unconscious creature is a critical hit."""
    return within_5ft and any(c.crit_within_5ft for c in _active(target))


def is_incapacitated(conditions: Iterable[str]) -> bool:
    return any(c.incapacitated for c in _active(conditions))


def add_condition(character: Character, name: str) -> Character:
    """Add a condition (Exhaustion adds one level, up to 6)."""
    info = condition_info(name)
    if info.name == "Exhaustion":
        if character.exhaustion >= MAX_EXHAUSTION:
            raise RulesError(f"{character.name} is already at exhaustion level {MAX_EXHAUSTION}.")
        return character.model_copy(update={"exhaustion": character.exhaustion + 1})
    if info.name in character.conditions:
        return character
    return character.model_copy(update={"conditions": [*character.conditions, info.name]})


def stays_unconscious(name: str, hp: int, condition: str) -> None:
    """A creature at 0 hit points stays Unconscious until it is healed: no command ends it, the owner's
    `!set_condition` included (the owner heals with `!hp` first), nor the narrator's updates."""
    if hp == 0 and condition == "Unconscious":
        raise RulesError(f"{name} is at 0 HP and stays unconscious until healed.")


def remove_condition(character: Character, name: str) -> Character:
    """Remove a condition (Exhaustion removes one level); Unconscious at 0 HP stays (:func:`stays_unconscious`)."""
    info = condition_info(name)
    if info.name == "Exhaustion":
        return character.model_copy(update={"exhaustion": max(0, character.exhaustion - 1)})
    stays_unconscious(character.name, character.hp, info.name)
    if info.name not in character.conditions:
        raise RulesError(f"{character.name} is not {info.name.lower()}.")
    return character.model_copy(update={"conditions": [c for c in character.conditions if c != info.name]})


def clear_conditions(character: Character) -> Character:
    """All conditions end, but Unconscious at 0 HP (:func:`stays_unconscious`)."""
    kept = ["Unconscious"] if character.hp == 0 and "Unconscious" in character.conditions else []
    return character.model_copy(update={"conditions": kept})


def describe(name: str) -> str:
    info = condition_info(name)
    return f"{info.name}: {info.summary}"
