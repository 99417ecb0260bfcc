"""Saving throws against a DC (with damage and conditions on a failure) and death saving throws."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dnd.abilities import normalize_ability
from dnd.character import DeathSaves
from dnd.combat.damage import DamageApplied, take_damage
from dnd.combat.effects import give_condition
from dnd.combat.features import evasion, steel_will
from dnd.combat.lines import (
    AutoFailedSave,
    DeathSaveOutcome,
    Evades,
    LegendaryResistanceUsed,
    Line,
    PartyFalls,
    Rolled,
    SaveRolled,
    SpellSpared,
    WakesLater,
)
from dnd.combat.results import DeathSaveResult, SaveOutcome, SaveResult
from dnd.combat.state import (
    CombatState,
    check_turn,
    find_anywhere,
    find_combatant,
    log_event,
    mark_started,
    mode_word,
    replace_combatant,
    roll_dice,
)
from dnd.conditions import RollMode, condition_info, is_incapacitated
from dnd.conditions import saving_throw_mode as _saving_throw_mode
from dnd.data.skills import ABILITY_NAMES
from dnd.dice import RollResult
from dnd.errors import RulesError
from dnd.monsters import Combatant


def saving_throw(state: CombatState, targets: str | Sequence[str], ability: str | None = None,
                 dc: int | None = None, rng: random.Random | None = None, *, damage: str | None = None,
                 damage_type: str = "", half_on_success: bool = True, source: str = "",
                 actor_id: str | None = None, condition_on_fail: str | None = None, advantage: bool = False,
                 disadvantage: bool = False, magical: bool = True,
                 dealt_by: str | None = None, disadvantage_for: str | None = None,
                 succeed_for: Sequence[str] = (), frightens: bool = False) -> tuple[CombatState, SaveResult]:
    """Each target makes a saving throw against ``dc``: d20 + its save modifier, with the conditions' effect
    (a paralyzed, stunned, petrified or unconscious creature fails STR and DEX saves automatically).

    ``damage`` is rolled once for all targets: full on a failed save, half (rounded down) on a success when
    ``half_on_success``, else none. ``condition_on_fail`` is applied to those who fail. With ``actor_id`` the
    save is part of that combatant's turn (refused out of turn); a monster's ``source`` action fills in the
    DC, ability, damage and half-on-success from its stat block. ``dealt_by``: whose damage it is when the save
    is not part of their turn (a monster's poison after its bite, a legendary action), for the fight's summary.
    ``disadvantage_for``: the one target (its id) that saves with disadvantage (Heightened Spell);
    ``succeed_for``: the targets (ids) that succeed without rolling (Careful Spell). ``frightens``: the save is
    against being frightened (a Fear spell's), as one with ``condition_on_fail`` Frightened is (a Hunter's Steel
    Will gives advantage).
    """
    names = [targets] if isinstance(targets, str) else list(targets)
    if not names:
        raise RulesError("Name at least one creature to make the saving throw.")
    state, actor = _acting(state, actor_id)
    if actor is not None and actor.monster is not None and source:
        action = actor.monster.find_action(source)
        if action is not None and action.dc is not None:
            source = action.name
            ability = ability or action.dc_ability
            dc = dc or action.dc
            if damage is None and action.damage:
                damage = action.damage_expression()
                damage_type = damage_type or (action.damage[0].damage_type if len(action.damage) == 1 else "")
                half_on_success = action.half_on_success
    if ability is None or dc is None:
        raise RulesError("A saving throw needs an ability and a DC.")
    code = normalize_ability(ability)
    if dc < 1:
        raise RulesError("A DC must be at least 1.")
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    condition = condition_info(condition_on_fail).name if condition_on_fail else None
    label = source or f"DC {dc} {ABILITY_NAMES[code]} save"
    told: list[Line] = []
    damage_roll = roll_dice(f"{damage} {label} damage", rng) if damage else None
    if damage_roll is not None:
        told.append(Rolled(damage_roll))
    effect = _SaveEffect(code, dc, label, damage_roll, damage_type, half_on_success, magical, condition,
                         actor.id if actor else dealt_by)
    outcomes: list[SaveOutcome] = []
    for target in chosen:
        dodge = code == "DEX" and target.dodging  # the Dodge action
        boon = dodge or steel_will(target, "Frightened" if frightens else condition)
        mode: RollMode | Literal["auto_fail", "auto_success"] = "auto_success" if target.id in succeed_for else \
            _saving_throw_mode(target.conditions, code, target.exhaustion, advantage=advantage or boon,
                               disadvantage=disadvantage or target.id == disadvantage_for)
        state, outcome = _one_save(state, target, mode, effect, rng, told)
        outcomes.append(outcome)
    return state, SaveResult(ability=code, dc=dc, source=label, damage_roll=damage_roll, outcomes=outcomes,
                             told=told)


@dataclass(frozen=True)
class _SaveEffect:
    """What one saving throw is against, the same for every target."""

    code: str
    dc: int
    label: str
    damage_roll: RollResult | None
    damage_type: str
    half_on_success: bool
    magical: bool
    condition: str | None
    actor_ref: str | None


def _acting(state: CombatState, actor_id: str | None) -> tuple[CombatState, Combatant | None]:
    """The combatant whose turn the save is part of (refused out of turn or when it can't act), if any."""
    if actor_id is None:
        return state, None
    actor = check_turn(state, actor_id)
    if is_incapacitated(actor.conditions) or actor.hp == 0:
        raise RulesError(f"{actor.name} can't take actions right now.")
    return mark_started(state), actor


def _one_save(state: CombatState, target: Combatant, mode: RollMode | Literal["auto_fail", "auto_success"],
              effect: _SaveEffect, rng: random.Random | None, told: list[Line]) -> tuple[CombatState, SaveOutcome]:
    """One target's save: rolled (or failed or won outright), its share of the damage, the condition on a
    failure."""
    save_roll: RollResult | None = None
    if mode == "auto_fail":
        success = False
        told.append(AutoFailedSave(target.name, effect.code, tuple(target.conditions)))
    elif mode == "auto_success":
        success = True
        told.append(SpellSpared(target.name, effect.code))
    else:
        bonus = target.saving_throw_bonus(effect.code)
        save_roll = roll_dice(f"1d20{bonus:+d}{mode_word(mode)} {target.name} {effect.code} save", rng)
        success = save_roll.total >= effect.dc
        told.append(SaveRolled(save_roll, effect.dc, success))
    if not success:
        state, success = _legendary_resistance(state, target, told)
    state = log_event(state, "save", f"{target.name} {'succeeds on' if success else 'fails'} a DC {effect.dc} "
                      f"{effect.code} save against {effect.label}.", actor=effect.actor_ref, target=target.id)
    state, taken, applied = _save_damage(state, target, success, effect, told, rng)
    given: str | None = None
    if effect.condition and not success and (applied is None or not applied.defeated):
        current = find_anywhere(state, target.id)
        if any(c.id == current.id for c in state.combatants) and not current.dead:
            state, cond = give_condition(state, current, effect.condition)
            given = effect.condition if cond.added else None
            told += cond.told
    return state, SaveOutcome(target=target.name, roll=save_roll, mode=mode, success=success, damage=taken,
                              fell=bool(applied and applied.fell), defeated=bool(applied and applied.defeated),
                              dead=bool(applied and applied.dead), condition=given)


LEGENDARY_RESISTANCE = "Legendary Resistance"


def _legendary_resistance(state: CombatState, target: Combatant, told: list[Line]) -> tuple[CombatState, bool]:
    """A legendary creature chooses to succeed on a failed save while it has uses left (it always does: a
    failed save against a party's effect is what the uses are for)."""
    allowed = target.monster.legendary_resistance if target.monster is not None else 0
    current = find_anywhere(state, target.id)
    used = current.used.get(LEGENDARY_RESISTANCE, 0)
    if used >= allowed:
        return state, False
    state = replace_combatant(state, current.model_copy(update={"used": {**current.used,
                                                                         LEGENDARY_RESISTANCE: used + 1}}))
    told.append(LegendaryResistanceUsed(target.name, allowed - used - 1))
    return state, True


def _save_damage(state: CombatState, target: Combatant, success: bool, effect: _SaveEffect,
                 told: list[Line], rng: random.Random | None = None) -> tuple[CombatState, int, DamageApplied | None]:
    """The damage a target takes: all on a failure, half (or none) on a success, after its defenses."""
    damage_roll = effect.damage_roll
    if damage_roll is None:
        return state, 0, None
    evades = evasion(target, effect.code, effect.half_on_success)  # none on a success, half on a failure
    halved = success or evades
    raw = 0 if success and evades else damage_roll.total if not halved else (
        damage_roll.total // 2 if effect.half_on_success else 0)
    if evades:
        told.append(Evades(target.name, success))
    if not raw:
        return state, 0, None
    factor_types = dict(damage_roll.damage_by_type) or {effect.damage_type.casefold(): damage_roll.total}
    scaled = {k: (v if not halved else v // 2) for k, v in factor_types.items()}
    state, taken, applied = take_damage(state, target, scaled, effect.magical, critical=False,
                                        actor_id=effect.actor_ref, source=effect.label, told=told, rng=rng)
    return state, taken, applied


def death_save(state: CombatState, combatant_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, DeathSaveResult]:
    """A dying character's death saving throw, on its turn: 10+ succeeds, 1 is two failures, 20 restores 1 hit
    point; three successes: stable, three failures: dead."""
    c = check_turn(state, combatant_id)
    if c.kind != "character":
        raise RulesError(f"{c.name} is a monster; monsters don't make death saving throws.")
    if c.dead:
        raise RulesError(f"{c.name} is dead.")
    if c.hp > 0:
        raise RulesError(f"{c.name} isn't dying ({c.hp} HP).")
    if c.stable:
        raise RulesError(f"{c.name} is stable and doesn't roll death saves.")
    save_roll = roll_dice(f"1d20 Death saving throw ({c.name})", rng)
    face = save_roll.total
    state = mark_started(state)
    result, successes, failures, update, message = _death_save_progress(c, face)
    state = replace_combatant(state, c.model_copy(update=update))
    state = log_event(state, "death_save", message, actor=c.id, amount=face)  # the log's record, worded here
    if result == "dead":
        state = log_event(state, "dead", f"{c.name} dies.", target=c.id)
    elif result == "stable":
        state = log_event(state, "stable", f"{c.name} is stable.", target=c.id)
    elif result == "revived":
        state = log_event(state, "revived", f"{c.name} regains consciousness.", target=c.id)
    return state, DeathSaveResult(name=c.name, roll=save_roll, result=result, successes=successes,
                                  failures=failures,
                                  told=[Rolled(save_roll), DeathSaveOutcome(c.name, result, face, successes, failures)])


def fall_of_the_party(state: CombatState, rng: random.Random | None = None) -> tuple[CombatState, list[Line]]:
    """The foes won (no character standing): no one is left to help the fallen. Each dying character rolls its
    death saves to the end (three successes: stable; three failures: dead; a 20: 1 hit point, awake); a stable one
    no one heals regains 1 hit point after 1d4 hours (SRD) and wakes. The dead stay dead (the owner's
    `!revive`)."""
    told: list[Line] = [PartyFalls()]
    for fallen in [c for c in state.combatants if c.kind == "character" and c.hp == 0 and not c.dead]:
        c = fallen
        while c.dying:
            save_roll = roll_dice(f"1d20 Death saving throw ({c.name})", rng)
            result, successes, failures, update, message = _death_save_progress(c, save_roll.total)
            c = c.model_copy(update=update)
            state = log_event(replace_combatant(state, c), "death_save", message, actor=c.id, amount=save_roll.total)
            if result == "dead":
                state = log_event(state, "dead", f"{c.name} dies.", target=c.id)
            told += [Rolled(save_roll), DeathSaveOutcome(c.name, result, save_roll.total, successes, failures)]
        if c.stable:
            hours = roll_dice(f"1d4 hours until {c.name} wakes", rng)
            c = c.model_copy(update={"hp": 1, "stable": False, "death_saves": DeathSaves(),
                                     "conditions": [x for x in c.conditions if x != "Unconscious"]})
            state = log_event(replace_combatant(state, c), "revived", f"{c.name} wakes with 1 HP.", target=c.id)
            told += [Rolled(hours), WakesLater(c.name, hours.total)]
    return state, told


def _death_save_progress(c: Combatant, face: int) -> tuple[Literal["success", "failure", "stable", "dead", "revived"],
                                                            int, int, dict[str, object], str]:
    """What a death save's d20 does: (the result, successes, failures, the combatant's changes, the log line)."""
    successes, failures = c.death_saves.successes, c.death_saves.failures
    if face == 20:
        update: dict[str, object] = {"hp": 1, "conditions": [x for x in c.conditions if x != "Unconscious"],
                                     "death_saves": DeathSaves(), "stable": False}
        return "revived", 0, 0, update, f"Natural 20! {c.name} regains 1 HP and wakes up."
    if face == 1:
        failures = min(3, failures + 2)
    elif face >= 10:
        successes = min(3, successes + 1)
    else:
        failures = min(3, failures + 1)
    if failures >= 3:
        return ("dead", successes, failures,
                {"dead": True, "defeated": True, "death_saves": DeathSaves(successes=successes, failures=3)},
                f"💀 {c.name} fails a third death save and dies.")
    if successes >= 3:
        return ("stable", successes, failures, {"stable": True, "death_saves": DeathSaves()},
                f"{c.name} succeeds on a third death save and is stable.")
    return ("success" if face >= 10 else "failure", successes, failures,
            {"death_saves": DeathSaves(successes=successes, failures=failures)},
            f"{c.name}: {'success' if face >= 10 else 'failure'}{' (two failures on a 1)' if face == 1 else ''} "
            f"— {successes} ✓ / {failures} ✗.")
