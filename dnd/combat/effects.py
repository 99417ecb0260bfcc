"""Healing, conditions, and a character sheet changed outside the fight."""

from __future__ import annotations

import random

from dnd.character import Character, DeathSaves
from dnd.combat.lines import (
    ConditionChanged,
    ConditionUnchanged,
    ExhaustionChanged,
    Healed,
    HpMaxRaised,
    Line,
    RegainsConsciousness,
    Rolled,
    TempHpGained,
)
from dnd.combat.results import ConditionResult, HealResult
from dnd.combat.state import (
    CombatState,
    check_turn,
    find_combatant,
    index_of,
    log_event,
    mark_started,
    name_key,
    replace_combatant,
    roll_dice,
)
from dnd.conditions import condition_info, is_incapacitated, stays_unconscious
from dnd.dice import RollResult
from dnd.errors import RulesError
from dnd.monsters import Combatant


def heal(state: CombatState, target_name: str, amount: int | str, rng: random.Random | None = None, *,
         actor_id: str | None = None, source: str = "") -> tuple[CombatState, HealResult]:
    """``target_name`` regains ``amount`` hit points (a number or dice, "2d4+2"), up to its maximum. A character
    at 0 hit points wakes up and its death saves reset. With ``actor_id`` it is that combatant's action."""
    if actor_id is not None:
        actor = check_turn(state, actor_id)
        if is_incapacitated(actor.conditions) or actor.hp == 0:
            raise RulesError(f"{actor.name} can't take actions right now.")
        state = mark_started(state)
    target = find_combatant(state, target_name)
    heal_roll: RollResult | None = None
    if isinstance(amount, str):
        heal_roll = roll_dice(f"{amount} {source or 'Healing'}", rng)
        value = max(0, heal_roll.total)
    else:
        value = amount
    if value < 0:
        raise RulesError("Healing can't be negative.")
    new_hp = min(target.max_hp, target.hp + value)
    healed = new_hp - target.hp
    revived = target.hp == 0 and new_hp > 0 and target.kind == "character"
    update: dict[str, object] = {"hp": new_hp}
    if revived:
        update.update(conditions=[c for c in target.conditions if c != "Unconscious"], death_saves=DeathSaves(),
                      stable=False)
    state = replace_combatant(state, target.model_copy(update=update))
    state = log_event(state, "heal", f"{target.name} regains {healed} HP.", actor=actor_id, target=target.id,
                   amount=healed)
    told: list[Line] = [Rolled(heal_roll)] if heal_roll else []
    told.append(Healed(target.name, healed, new_hp, target.max_hp))
    if revived:
        state = log_event(state, "revived", f"{target.name} regains consciousness.", actor=actor_id, target=target.id)
        told.append(RegainsConsciousness(target.name))
    return state, HealResult(target=target.name, healed=healed, hp=new_hp, max_hp=target.max_hp, roll=heal_roll,
                             revived=revived, told=told)


def gain_temp_hp(state: CombatState, target_id: str, amount: int, source: str) -> tuple[CombatState, Line]:
    """``target_id`` gains ``amount`` temporary hit points; they don't stack, so it keeps the higher of those and
    what it has (SRD)."""
    target = find_combatant(state, target_id)
    kept = max(target.temp_hp, max(0, amount))
    state = replace_combatant(state, target.model_copy(update={"temp_hp": kept}))
    state = log_event(state, "heal", f"{target.name} has {kept} temporary HP ({source}).", target=target.id)
    return state, TempHpGained(target.name, max(0, amount), kept)


def raise_max_hp(state: CombatState, target_id: str, amount: int, source: str) -> tuple[CombatState, list[Line]]:
    """Aid: the target's hit point maximum and current hit points rise by ``amount`` (a second casting doesn't add
    to the first: the higher raise holds); a character at 0 hit points wakes, as from healing."""
    target = find_combatant(state, target_id)
    rise = max(0, amount - target.hp_max_bonus)
    raised = target.model_copy(update={"hp_max_bonus": target.hp_max_bonus + rise, "max_hp": target.max_hp + rise})
    state = replace_combatant(state, raised)
    if not rise:
        return state, [HpMaxRaised(target.name, 0, target.hp, target.max_hp)]
    state, healed = heal(state, target.id, rise, source=source)
    told = [HpMaxRaised(target.name, rise, healed.hp, healed.max_hp)]
    return state, told + [line for line in healed.told if isinstance(line, RegainsConsciousness)]


def update_from_sheet(state: CombatState, combatant_id: str, character: Character) -> CombatState:
    """A character's sheet changed outside the fight's own actions (the owner set its hit points or a
    condition): its combatant takes the sheet's hit points, conditions, exhaustion and death saves, and keeps
    its place in the order."""
    index = index_of(state, combatant_id)
    old = state.combatants[index]
    if old.kind != "character":
        raise RulesError(f"{old.name} is not a character.")
    fresh = Combatant.from_character(character, player_id=old.player_id, id=old.id)
    fresh = fresh.model_copy(update={"initiative": old.initiative, "skip_next": old.skip_next,
                                     "stable": old.stable and fresh.hp == 0, "ac": fresh.ac + old.economy.shield,
                                     # the turn's economy and the fight's features stay the fight's
                                     "action_this_turn": old.action_this_turn, "attacks_this_turn":
                                     old.attacks_this_turn, "dodging": old.dodging, "economy": old.economy,
                                     "raging": old.raging, "offers": old.offers})
    return replace_combatant(state, fresh)


def give_condition(state: CombatState, target: Combatant, name: str) -> tuple[CombatState, ConditionResult]:
    info = condition_info(name)
    immunities = target.monster.condition_immunities if target.monster is not None else []
    if any(name_key(x) == name_key(info.name) for x in immunities):
        return state, ConditionResult(target.name, info.name, False,
                                      [ConditionUnchanged(target.name, info.name, "immune")])
    if info.name == "Exhaustion":
        if target.exhaustion >= 6:
            raise RulesError(f"{target.name} is already at exhaustion level 6.")
        updated = target.model_copy(update={"exhaustion": target.exhaustion + 1})
        told: Line = ExhaustionChanged(target.name, updated.exhaustion, gained=True)
        line = f"{target.name} gains a level of exhaustion ({updated.exhaustion})."
    elif info.name in target.conditions:
        return state, ConditionResult(target.name, info.name, False,
                                      [ConditionUnchanged(target.name, info.name, "already")])
    else:
        updated = target.model_copy(update={"conditions": [*target.conditions, info.name]})
        told = ConditionChanged(target.name, info.name, added=True)
        line = f"{target.name} is now {info.name.lower()}."
    state = replace_combatant(state, updated)
    state = log_event(state, "condition", line, target=target.id)  # the log's record, worded here
    return state, ConditionResult(target.name, info.name, True, [told])


def add_condition(state: CombatState, target_name: str, condition: str) -> tuple[CombatState, ConditionResult]:
    """Give a combatant a condition (a monster immune to it is unaffected; Exhaustion adds a level)."""
    return give_condition(state, find_combatant(state, target_name), condition)


def remove_condition(state: CombatState, target_name: str, condition: str) -> tuple[CombatState, ConditionResult]:
    """End a condition (Exhaustion: one level). Unconscious at 0 hit points ends only with healing
    (:func:`dnd.conditions.stays_unconscious`)."""
    target = find_combatant(state, target_name)
    info = condition_info(condition)
    if info.name == "Exhaustion":
        if target.exhaustion == 0:
            raise RulesError(f"{target.name} is not exhausted.")
        updated = target.model_copy(update={"exhaustion": target.exhaustion - 1})
        told: Line = ExhaustionChanged(target.name, updated.exhaustion, gained=False)
        line = f"{target.name} loses a level of exhaustion ({updated.exhaustion})."
    elif info.name not in target.conditions:
        raise RulesError(f"{target.name} is not {info.name.lower()}.")
    else:
        stays_unconscious(target.name, target.hp, info.name)
        updated = target.model_copy(update={"conditions": [x for x in target.conditions if x != info.name]})
        told = ConditionChanged(target.name, info.name, added=False)
        line = f"{target.name} is no longer {info.name.lower()}."
    state = replace_combatant(state, updated)
    state = log_event(state, "condition", line, target=target.id)
    return state, ConditionResult(target.name, info.name, False, [told])
