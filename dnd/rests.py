"""Short and long rests (SRD 5.1).

Short rest: spend any number of Hit Dice (each: roll the die + CON modifier, at least 0 hp), recover
short-rest resources (Channel Divinity, Ki, Action Surge, ...) and a Warlock's pact slots.

Long rest (needs at least 1 hp at the start): hp to maximum, temporary hp end, regain spent Hit Dice
up to half the character's total (minimum 1), all spell slots and all resources, and one level of
exhaustion less. Other conditions are not ended by resting; they last as their source says.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dnd.abilities import modifier
from dnd.character import Character, DeathSaves, Resource, effective_max_hp, hit_dice_max, scores_of
from dnd.errors import RulesError


@dataclass(frozen=True)
class HitDieRoll:
    die: str
    roll: int
    con_mod: int
    healed: int


@dataclass(frozen=True)
class RestResult:
    kind: Literal["short", "long"]
    hp_before: int
    hp_after: int
    hit_dice_rolls: list[HitDieRoll] = field(default_factory=list)
    hit_dice_regained: dict[str, int] = field(default_factory=dict)
    recovered: list[str] = field(default_factory=list)  # resources refilled
    slots_restored: bool = False
    pact_slots_restored: bool = False
    exhaustion: tuple[int, int] = (0, 0)
    lines: list[str] = field(default_factory=list)


def _refill(resources: list[Resource], kinds: set[str]) -> tuple[list[Resource], list[str]]:
    out: list[Resource] = []
    names: list[str] = []
    for res in resources:
        if res.max_uses is not None and res.recovery in kinds and res.uses != res.max_uses:
            out.append(res.model_copy(update={"uses": res.max_uses}))
            names.append(res.name)
        else:
            out.append(res)
    return out, names


def _check_alive(character: Character) -> None:
    if character.death_saves.failures >= 3:
        raise RulesError(f"{character.name} is dead; the dead do not rest.")


def _dice_plan(character: Character, hit_dice: Mapping[str, int] | int) -> list[str]:
    """Which dice to spend: a count (largest dice first) or {"d10": 1, "d8": 2}."""
    remaining = {d: n for d, n in character.hit_dice.items() if n > 0}
    if isinstance(hit_dice, int):
        if hit_dice < 0:
            raise RulesError("You can't spend a negative number of Hit Dice.")
        total = sum(remaining.values())
        if hit_dice > total:
            raise RulesError(f"{character.name} has only {total} Hit Dice left.")
        plan: list[str] = []
        for die in sorted(remaining, key=lambda d: -int(d[1:])):
            take = min(remaining[die], hit_dice - len(plan))
            plan += [die] * take
        return plan
    plan = []
    for die, n in hit_dice.items():
        key = die if die.startswith("d") else f"d{die}"
        if n < 0:
            raise RulesError("You can't spend a negative number of Hit Dice.")
        if n > remaining.get(key, 0):
            raise RulesError(f"{character.name} has only {remaining.get(key, 0)} {key} Hit Dice left.")
        plan += [key] * n
    return plan


def _woken(character: Character, hp: int) -> dict[str, object]:
    """Regaining hit points at 0 hp ends dying: death saves reset and unconsciousness ends."""
    if character.hp == 0 and hp > 0:
        return {"death_saves": DeathSaves(),
                "conditions": [c for c in character.conditions if c != "Unconscious"]}
    return {}


def short_rest(character: Character, hit_dice: Mapping[str, int] | int = 0,
               rng: random.Random | None = None) -> tuple[Character, RestResult]:
    """Take a short rest, spending ``hit_dice`` (a count, largest first, or per die size)."""
    _check_alive(character)
    plan = _dice_plan(character, hit_dice)
    if plan and rng is None:
        raise RulesError("Spending Hit Dice needs dice (an rng).")
    con = modifier(scores_of(character)["CON"])
    hp = character.hp
    cap = effective_max_hp(character)
    remaining = dict(character.hit_dice)
    rolls: list[HitDieRoll] = []
    for die in plan:
        assert rng is not None
        roll = rng.randint(1, int(die[1:]))
        healed = max(0, min(cap - hp, roll + con))
        hp += healed
        remaining[die] -= 1
        rolls.append(HitDieRoll(die=die, roll=roll, con_mod=con, healed=healed))
    abilities, rec_a = _refill(list(character.abilities), {"short"})
    feats, rec_f = _refill(list(character.feats), {"short"})
    pact = character.pact_slots_max > 0 and character.pact_slots < character.pact_slots_max
    updated = character.model_copy(update={
        "hp": hp,
        "hit_dice": remaining,
        "abilities": abilities,
        "feats": feats,
        "pact_slots": character.pact_slots_max,
        **_woken(character, hp),
    })
    lines = [f"{character.name} takes a short rest."]
    for r in rolls:
        lines.append(f"Hit Die {r.die}: rolled {r.roll}{r.con_mod:+d} -> +{r.healed} hp.")
    if rolls:
        lines.append(f"HP {character.hp} -> {hp}/{character.max_hp}.")
    if rec_a or rec_f:
        lines.append("Recovered: " + ", ".join(rec_a + rec_f) + ".")
    if pact:
        lines.append(f"Pact slots restored ({character.pact_slots_max}).")
    return updated, RestResult(kind="short", hp_before=character.hp, hp_after=hp, hit_dice_rolls=rolls,
                               recovered=rec_a + rec_f, pact_slots_restored=pact,
                               exhaustion=(character.exhaustion, character.exhaustion), lines=lines)


def long_rest(character: Character) -> tuple[Character, RestResult]:
    """Take a long rest (at least 1 hp needed at the start)."""
    _check_alive(character)
    if character.hp < 1:
        raise RulesError(f"{character.name} needs at least 1 hit point to benefit from a long rest.")
    maximum = hit_dice_max(character)
    total = sum(maximum.values())
    budget = max(1, total // 2)
    remaining = {d: min(character.hit_dice.get(d, 0), n) for d, n in maximum.items()}
    regained: dict[str, int] = {}
    for die in sorted(maximum, key=lambda d: -int(d[1:])):  # largest dice first
        take = min(budget, maximum[die] - remaining[die])
        if take > 0:
            remaining[die] += take
            regained[die] = take
            budget -= take
    exhaustion = max(0, character.exhaustion - 1)
    # Aid's 8 hours are over when a long rest ends: the hit point maximum it raised goes back down.
    rested = character.model_copy(update={"exhaustion": exhaustion, "hp_max_bonus": 0,
                                          "max_hp": character.max_hp - character.hp_max_bonus})
    hp = effective_max_hp(rested)
    abilities, rec_a = _refill(list(character.abilities), {"short", "long"})
    feats, rec_f = _refill(list(character.feats), {"short", "long"})
    slots = character.spell_slots != character.spell_slots_max
    pact = character.pact_slots != character.pact_slots_max
    updated = rested.model_copy(update={
        "hp": hp,
        "temp_hp": 0,
        "hit_dice": remaining,
        "abilities": abilities,
        "feats": feats,
        "spell_slots": dict(character.spell_slots_max),
        "pact_slots": character.pact_slots_max,
        "death_saves": DeathSaves(),
        "can_prepare": True,  # prepared casters change their prepared spells when a long rest ends
    })
    lines = [f"{character.name} takes a long rest.", f"HP {character.hp} -> {hp}/{rested.max_hp}."]
    if regained:
        lines.append("Hit Dice regained: " + ", ".join(f"{n} {d}" for d, n in regained.items()) + ".")
    if slots or pact:
        lines.append("Spell slots restored.")
    if rec_a or rec_f:
        lines.append("Recovered: " + ", ".join(rec_a + rec_f) + ".")
    if exhaustion != character.exhaustion:
        lines.append(f"Exhaustion {character.exhaustion} -> {exhaustion}.")
    return updated, RestResult(kind="long", hp_before=character.hp, hp_after=hp, hit_dice_regained=regained,
                               recovered=rec_a + rec_f, slots_restored=slots, pact_slots_restored=pact,
                               exhaustion=(character.exhaustion, exhaustion), lines=lines)


def long_rest_offer(character: Character) -> str:
    """What a long rest would give back, said before the player commits 8 hours to it (refused as
    :func:`long_rest` refuses): "HP 4 → 12, 1 d10 hit die, spell slots, Second Wind"."""
    _, result = long_rest(character)
    parts = [f"HP {result.hp_before} → {result.hp_after}"]
    if result.hit_dice_regained:
        parts.append(" and ".join(f"{n} {d} hit {'die' if n == 1 else 'dice'}"
                                  for d, n in result.hit_dice_regained.items()))
    if result.slots_restored or result.pact_slots_restored:
        parts.append("all spell slots")
    parts += result.recovered
    before, after = result.exhaustion
    if before != after:
        parts.append(f"exhaustion {before} → {after}")
    ends = " Aid's raised hit point maximum ends." if character.hp_max_bonus else ""
    return ", ".join(parts) + "." + ends
