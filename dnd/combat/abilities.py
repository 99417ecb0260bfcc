"""A monster's limited abilities: recharge actions (Fire Breath, "Recharge 5-6"), uses a day, area actions that
every creature caught saves against, and legendary actions between other creatures' turns.

Rules applied:

* A recharge action is charged when the fight starts; once used it is spent, and at the start of each of the
  monster's turns a d6 is rolled for it: the recharge number or higher charges it again. So it is never used
  twice in a turn, and only when charged.
* "X/Day" uses (and "recharges after a short or long rest": one use) are counted per fight: a monster joins
  each fight fresh from its stat block.
* An area action: each creature caught makes the saving throw of the block (``dnd.combat.saving_throw``:
  the damage rolled once, half on a success where the block says so).
* Legendary actions: a legendary creature has 3 a round, regained at the start of its turn; it uses one (or
  more, by the action's cost) only at the end of another creature's turn. An action that "makes a <name>
  attack" is that attack roll; one with a saving throw is an area action with its DC; one that "casts a cantrip"
  (the Lich) or "casts a spell" (the sphinxes: a slot spent as normal) casts one of its Spellcasting's spells
  (`dnd.combat.spells.cast_monster_spell`), out of its turn.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from dnd.combat.attacks import attack
from dnd.combat.lines import AbilityUsed, Line, Recharged, Rolled
from dnd.combat.monster_spells import Castable, castable_spells
from dnd.combat.results import AttackResult, SaveResult, SpellResult
from dnd.combat.saves import saving_throw
from dnd.combat.spells import cast_monster_spell
from dnd.combat.state import CombatState, check_turn, find_anywhere, replace_combatant, roll_dice
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterAction

LEGENDARY_ACTIONS_PER_ROUND = 3
_MAKES_ATTACK = re.compile(r"\bmakes (?:a|one) ([a-z]+(?: [a-z]+)?) attack\b", re.IGNORECASE)
Result = TypeVar("Result")
_CASTS = re.compile(r"\bcasts a (cantrip|spell)\b", re.IGNORECASE)


def is_charged(monster: Combatant, action: MonsterAction) -> bool:
    """The action can be used now: a recharge action not spent, a limited one with uses left."""
    # use_key: a metallic dragon's breaths are one Breath Weapons, charged and spent together.
    if action.recharge is not None and action.use_key in monster.spent:
        return False
    return action.per_fight is None or monster.used.get(action.use_key, 0) < action.per_fight


def legendary_per_round(monster: Combatant) -> int:
    return LEGENDARY_ACTIONS_PER_ROUND if monster.monster is not None and monster.monster.legendary_actions else 0


def start_monster_turn(state: CombatState, rng: random.Random | None = None) -> tuple[CombatState, list[Line]]:
    """The start of the current monster's turn: its legendary actions come back and a d6 is rolled for each of
    its spent recharge actions. Nothing for a character."""
    monster = state.combatants[state.current] if state.combatants else None
    if monster is None or monster.kind != "monster" or monster.monster is None:
        return state, []
    told: list[Line] = []
    spent = list(monster.spent)
    for name in monster.spent:
        action = monster.monster.find_action(name)
        if action is None or action.recharge is None:
            spent.remove(name)
            continue
        rolled = roll_dice(f"1d6 Recharge {name} ({action.recharge}+)", rng)
        charged = rolled.total >= action.recharge
        told += [Rolled(rolled), Recharged(monster.name, name, charged)]
        if charged:
            spent.remove(name)
    legendary_left = legendary_per_round(monster)
    if spent == monster.spent and legendary_left == monster.legendary_left:
        return state, told  # nothing recharged, nothing to regain (most monsters' turns)
    state = replace_combatant(state, monster.model_copy(update={"spent": spent, "legendary_left": legendary_left}))
    return state, told


def _spend(state: CombatState, monster_id: str, action: MonsterAction) -> CombatState:
    current = find_anywhere(state, monster_id)
    update: dict[str, object] = {}
    if action.recharge is not None:
        update["spent"] = [*current.spent, action.use_key]
    if action.per_fight is not None:
        update["used"] = {**current.used, action.use_key: current.used.get(action.use_key, 0) + 1}
    if not update or not any(c.id == monster_id for c in state.combatants):
        return state
    return replace_combatant(state, current.model_copy(update=update))


def _area(state: CombatState, monster: Combatant, action: MonsterAction, target_names: Sequence[str],
          rng: random.Random | None, *, on_turn: bool) -> tuple[CombatState, SaveResult]:
    if action.dc is None or action.dc_ability is None:
        raise RulesError(f"{action.name} has no saving throw to make.")
    damage_type = action.damage[0].damage_type if len(action.damage) == 1 else ""
    state, result = saving_throw(
        state, list(target_names), action.dc_ability, action.dc, rng, damage=action.damage_expression() or None,
        damage_type=damage_type, half_on_success=action.half_on_success, source=action.name,
        actor_id=monster.id if on_turn else None, dealt_by=monster.id, magical=False)
    return state, result


def use_area_action(state: CombatState, monster_id: str, action_name: str, target_names: Sequence[str],
                    rng: random.Random | None = None) -> tuple[CombatState, SaveResult]:
    """On its turn, the monster uses an area action (Fire Breath) on the creatures caught (``target_names``):
    refused when it isn't charged or has no uses left; afterwards it is spent."""
    monster = check_turn(state, monster_id)
    block = monster.monster
    action = block.find_action(action_name) if block is not None else None
    if action is None or not action.is_area:
        raise RulesError(f"{monster.name} has no area action '{action_name}'.")
    if not is_charged(monster, action):
        raise RulesError(f"{monster.name}'s {action.name} isn't charged.")
    state, result = _area(state, monster, action, target_names, rng, on_turn=True)
    state = _spend(state, monster.id, action)
    told: list[Line] = [AbilityUsed(monster.name, action.name, tuple(target_names)), *result.told]
    return state, replace(result, told=told)


def legendary_attack(monster: Combatant, action: MonsterAction) -> MonsterAction | None:
    """The attack a legendary action makes ("The dragon makes a tail attack." → its Tail), if it makes one."""
    found = _MAKES_ATTACK.search(action.desc)
    if found is None or monster.monster is None:
        return None
    named = monster.monster.find_action(found.group(1))
    return named if named is not None and named.is_attack else None


def legendary_spells(monster: Combatant, action: MonsterAction) -> list[Castable]:
    """The spells a legendary action that casts one may cast now (its cantrips, or any it can pay for); none for
    another action."""
    found = _CASTS.search(action.desc)
    if found is None:
        return []
    cantrip = found.group(1).casefold() == "cantrip"
    return [c for c in castable_spells(monster) if c.info.level == 0 or not cantrip]


def usable_legendary(monster: Combatant) -> list[MonsterAction]:
    """The legendary actions the engine resolves (an attack, an area save, or a spell) that the monster can afford
    now."""
    block = monster.monster
    if block is None or not monster.active:
        return []
    return [a for a in block.legendary_actions if a.cost <= monster.legendary_left
            and (legendary_attack(monster, a) is not None or a.is_area or legendary_spells(monster, a))]


def _out_of_turn(state: CombatState, monster: Combatant,
                        act: Callable[[CombatState], tuple[CombatState, Result]]) -> tuple[CombatState, Result]:
    """``act`` resolved as if it were ``monster``'s turn, then the turn goes back (its targets are characters,
    who stay in the order when they fall)."""
    current = state.current
    state, result = act(state.model_copy(update={"current": state.combatants.index(monster)}))
    return state.model_copy(update={"current": current}), result


def use_legendary_action(state: CombatState, monster_id: str, action_name: str, target_names: Sequence[str],
                         rng: random.Random | None = None, *, spell: str | None = None) -> tuple[
                             CombatState, AttackResult | SaveResult | SpellResult]:
    """A legendary action, out of the monster's turn (never on it): an attack at the one target named, an area
    save for those named, or (an action that casts) ``spell`` at them. Costs its legendary actions."""
    monster = find_anywhere(state, monster_id)
    if state.combatants and state.combatants[state.current].id == monster_id:
        raise RulesError(f"{monster.name} takes legendary actions only at the end of another creature's turn.")
    action = next((a for a in usable_legendary(monster) if a.name.casefold() == action_name.casefold()), None)
    if action is None:
        raise RulesError(f"{monster.name} can't take the legendary action '{action_name}' now.")
    castable = {c.info.name.casefold() for c in legendary_spells(monster, action)}
    if castable and (spell or "").casefold() not in castable:
        raise RulesError(f"{action.name} casts one of {monster.name}'s spells it can cast now; name one.")
    spent = monster.model_copy(update={"legendary_left": monster.legendary_left - action.cost})
    state = replace_combatant(state, spent)
    left = spent.legendary_left
    if castable and spell:
        state, cast = _out_of_turn(state, spent, lambda s: cast_monster_spell(s, monster_id, spell, target_names, rng))
        return state, replace(cast, told=[AbilityUsed(monster.name, action.name, tuple(target_names), left),
                                          *cast.told])
    strike = legendary_attack(monster, action)
    if strike is not None:
        if len(target_names) != 1:
            raise RulesError(f"{action.name} is an attack at one target.")
        state, hit = _out_of_turn(state, spent, lambda s: attack(s, monster_id, target_names[0], strike.name, rng))
        return state, replace(hit, told=[AbilityUsed(monster.name, action.name, tuple(target_names), left),
                                         *hit.told])
    state, saved = _area(state, spent, action, target_names, rng, on_turn=False)
    told: list[Line] = [AbilityUsed(monster.name, action.name, tuple(target_names), left), *saved.told]
    return state, replace(saved, told=told)
