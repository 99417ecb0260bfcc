"""Damage: immunities, resistances and vulnerabilities, temporary hit points, falling, dying, defeat."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dnd.character import DeathSaves
from dnd.combat.concentration import check_concentration
from dnd.combat.effects import update_from_sheet
from dnd.combat.features import resistances
from dnd.combat.lines import (
    DamageTaken,
    DeathSavesFailedByDamage,
    Defeated,
    Defense,
    Dies,
    FallsUnconscious,
    FeatureUsed,
    KilledByDamage,
    Line,
    TempHpAbsorbed,
)
from dnd.combat.state import CombatState, find_anywhere, index_of, log_event, replace_combatant
from dnd.combat.turns import settle
from dnd.conditions import TURNED
from dnd.monsters import Combatant

_DAMAGE_TYPES = {
    "acid", "bludgeoning", "cold", "fire", "force", "lightning", "necrotic", "piercing", "poison", "psychic",
    "radiant", "slashing", "thunder",
}
_PHYSICAL = ("bludgeoning", "piercing", "slashing")


@dataclass
class DamageApplied:
    amount: int
    hp_before: int
    hp_after: int
    fell: bool = False
    defeated: bool = False
    dead: bool = False
    failures: int = 0
    told: list[Line] = field(default_factory=list)


def _defense_lists(target: Combatant) -> tuple[list[str], list[str], list[str]]:
    if target.monster is None:  # a character: its race's resistances, and Rage's
        return [], resistances(target), []
    m = target.monster
    return ([e.casefold() for e in m.damage_immunities], [e.casefold() for e in m.damage_resistances],
            [e.casefold() for e in m.damage_vulnerabilities])


def _applies(entries: list[str], damage_type: str, magical: bool) -> bool:
    for entry in entries:
        if entry == damage_type:
            return True
        if damage_type in _PHYSICAL and damage_type in entry and "nonmagical" in entry and not magical:
            return True
    return False


def defend(target: Combatant, by_type: dict[str, int], magical: bool) -> tuple[int, list[Defense]]:
    """Damage after the target's immunities, resistances (half, rounded down) and vulnerabilities (double)."""
    immune, resist, vulnerable = _defense_lists(target)
    total = 0
    notes: list[Defense] = []
    for damage_type, amount in by_type.items():
        amount = max(0, amount)
        if damage_type in _DAMAGE_TYPES:
            if _applies(immune, damage_type, magical):
                notes.append(Defense(target.name, damage_type, "immune"))
                amount = 0
            elif _applies(resist, damage_type, magical):
                notes.append(Defense(target.name, damage_type, "resistant"))
                amount //= 2
            if _applies(vulnerable, damage_type, magical) and amount:
                notes.append(Defense(target.name, damage_type, "vulnerable"))
                amount *= 2
        total += amount
    return total, notes


def _remove_from_order(state: CombatState, index: int) -> CombatState:
    removed = state.combatants[index]
    combatants = [c for i, c in enumerate(state.combatants) if i != index]
    current = state.current
    moved = state.model_copy(update={"combatants": combatants, "defeated": [*state.defeated, removed]})
    if index < current:
        return moved.model_copy(update={"current": current - 1})
    if index == current:  # its turn ends with it
        settled, _ = settle(moved, index)
        return settled
    return moved


def _hit_at_zero(t: Combatant, rest: int, critical: bool, out: DamageApplied, update: dict[str, object]) -> None:
    """Damage to a character at 0 hit points: death saves failed (two on a critical hit), or death outright when it
    is at least the hit point maximum."""
    if rest >= t.max_hp:
        update.update(dead=True, defeated=True, stable=False)
        out.dead = True
        out.told.append(KilledByDamage(t.name, rest, at_zero=True))
        return
    out.failures = 2 if critical else 1
    failures = min(3, t.death_saves.failures + out.failures)
    update.update(stable=False, death_saves=DeathSaves(successes=t.death_saves.successes, failures=failures))
    out.told.append(DeathSavesFailedByDamage(t.name, out.failures, failures))
    if failures >= 3:
        update.update(dead=True, defeated=True)
        out.dead = True
        out.told.append(Dies(t.name))


def apply_damage(state: CombatState, target_id: str, amount: int, *, critical: bool, actor_id: str | None,
                  source: str) -> tuple[CombatState, DamageApplied]:
    index = index_of(state, target_id)
    t = state.combatants[index]
    if amount > 0 and TURNED in t.conditions:  # a turned creature that takes damage is no longer turned
        t = t.model_copy(update={"conditions": [c for c in t.conditions if c != TURNED]})
    state = log_event(state, "damage", f"{t.name} takes {amount} damage from {source}.", actor=actor_id,
                   target=t.id, amount=amount)
    absorbed = min(t.temp_hp, amount)
    rest = amount - absorbed
    out = DamageApplied(amount=amount, hp_before=t.hp, hp_after=t.hp)
    if absorbed:
        out.told.append(TempHpAbsorbed(t.name, absorbed))
    update: dict[str, object] = {"temp_hp": t.temp_hp - absorbed}
    if t.wild_shaped and rest >= t.hp and rest > 0:
        return _wild_shape_drops(state, t, rest, out, critical=critical, actor_id=actor_id, source=source)
    if t.hp == 0 and t.kind == "character":
        if rest > 0:
            _hit_at_zero(t, rest, critical, out, update)
    elif rest >= t.hp and rest > 0:
        overflow = rest - t.hp
        update["hp"] = 0
        out.hp_after = 0
        out.fell = True
        if t.kind == "monster":
            update["defeated"] = True
            out.defeated = True
            out.told.append(Defeated(t.name))
        elif overflow >= t.max_hp:
            conditions = t.conditions if "Unconscious" in t.conditions else [*t.conditions, "Unconscious"]
            update.update(dead=True, defeated=True, conditions=conditions)
            out.dead = True
            out.told.append(KilledByDamage(t.name, overflow))
        else:
            conditions = t.conditions if "Unconscious" in t.conditions else [*t.conditions, "Unconscious"]
            update.update(conditions=conditions, death_saves=DeathSaves(), stable=False)
            out.told.append(FallsUnconscious(t.name))
    else:
        update["hp"] = t.hp - rest
        out.hp_after = t.hp - rest
    updated = t.model_copy(update=update)
    state = replace_combatant(state, updated)
    if out.fell:
        state = log_event(state, "fell", f"{t.name} falls.", actor=actor_id, target=t.id)
    if out.dead:
        state = log_event(state, "dead", f"{t.name} dies.", actor=actor_id, target=t.id)
    if out.defeated:
        state = log_event(state, "defeated", f"{t.name} is defeated.", actor=actor_id, target=t.id)
        state = _remove_from_order(state, index_of(state, t.id))
    return state, out


def _wild_shape_drops(state: CombatState, beast: Combatant, rest: int, out: DamageApplied, *, critical: bool,
                      actor_id: str | None, source: str) -> tuple[CombatState, DamageApplied]:
    """A druid's beast shape drops to 0 hit points (`dnd.wild_shape`): the druid reverts, and the damage beyond the
    beast's hit points carries over to its own."""
    assert beast.character is not None and beast.character.wild_shape is not None
    shape = beast.character.wild_shape
    druid = beast.character.model_copy(update={"wild_shape": None, "temp_hp": beast.temp_hp - (out.amount - rest)})
    state = update_from_sheet(state, beast.id, druid)
    overflow = rest - beast.hp
    state = log_event(state, "condition", f"{beast.name} drops out of the {shape.beast}'s shape.", actor=actor_id,
                      target=beast.id)
    state, after = apply_damage(state, beast.id, overflow, critical=critical, actor_id=actor_id,
                                source=f"{source}, carried over") if overflow else (state, None)
    ended = FeatureUsed(beast.name, "Wild Shape ends", f"the {shape.beast} drops to 0 HP and {beast.name} reverts"
                        + (f"; {overflow} damage carries over" if overflow else ""))
    told = [*out.told, ended, *(after.told if after else [])]
    if after is None:
        return state, DamageApplied(amount=out.amount, hp_before=beast.hp, hp_after=druid.hp, told=told)
    return state, DamageApplied(amount=out.amount, hp_before=beast.hp, hp_after=after.hp_after, fell=after.fell,
                                defeated=after.defeated, dead=after.dead, failures=after.failures, told=told)


def take_damage(state: CombatState, target: Combatant, by_type: dict[str, int], magical: bool, *, critical: bool,
                actor_id: str | None, source: str, told: list[Line],
                rng: random.Random | None = None) -> tuple[CombatState, int, DamageApplied]:
    """A blow or a failed save's damage on ``target``: its defenses, then the hit points it takes, then its
    concentration save when it holds a spell (rolled with ``rng``); what was dealt and what it did, told in
    ``told``."""
    dealt, defenses = defend(target, by_type, magical)
    told += defenses
    state, applied = apply_damage(state, target.id, dealt, critical=critical, actor_id=actor_id, source=source)
    after = find_anywhere(state, target.id)
    told.append(DamageTaken(target.name, dealt, after.hp, after.max_hp))
    told += applied.told
    state, kept = check_concentration(state, target.id, dealt, rng)
    told += kept
    return state, dealt, applied
