"""Starting a fight and joining one: initiative rolls, ties and roll-offs, monsters with their hit points."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from dnd.combat.lines import GoesFirst, InitiativeOrder, Joined, Line, Rolled, RollOff
from dnd.combat.results import InitiativeResult, JoinResult
from dnd.combat.state import CombatState, current_actor, log_event, name_key, roll_dice
from dnd.combat.turns import settle
from dnd.dice import RollResult
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock, slug

MAX_MONSTERS_PER_CALL = 50
_ROLL_OFF_DEPTH = 10


def _order_key(c: Combatant) -> tuple[int, int]:
    return (c.initiative or 0, c.dex_score)


def _roll_off(group: list[Combatant], rng: random.Random | None, told: list[Line], depth: int = 0) -> list[Combatant]:
    """Order a tied group by d20 roll-offs (re-rolling among those still tied)."""
    if len(group) < 2 or depth >= _ROLL_OFF_DEPTH:
        return group
    faces = {c.id: roll_dice("1d20", rng).total for c in group}
    told.append(RollOff(tuple((c.name, faces[c.id]) for c in group)))
    out: list[Combatant] = []
    for face in sorted(set(faces.values()), reverse=True):
        tied = [c for c in group if faces[c.id] == face]
        out += _roll_off(tied, rng, told, depth + 1)
    return out


def _sorted_order(combatants: list[Combatant], rng: random.Random | None, told: list[Line]) -> list[Combatant]:
    out: list[Combatant] = []
    for key in sorted({_order_key(c) for c in combatants}, reverse=True):
        out += _roll_off([c for c in combatants if _order_key(c) == key], rng, told)
    return out


def _roll_initiatives(combatants: Iterable[Combatant], rng: random.Random | None,
                      rolls: dict[str, RollResult], told: list[Line]) -> list[Combatant]:
    out: list[Combatant] = []
    for c in combatants:
        if c.initiative is None:
            result = roll_dice(f"1d20{c.initiative_bonus:+d} Initiative ({c.name})", rng)
            rolls[c.id] = result
            told.append(Rolled(result))
            c = c.model_copy(update={"initiative": result.total})
        out.append(c)
    return out


def _check_unique(combatants: Sequence[Combatant]) -> None:
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for c in combatants:
        if c.id in seen_ids:
            raise RulesError(f"Two combatants have the id '{c.id}'.")
        if name_key(c.name) in seen_names:
            raise RulesError(f"Two combatants are named {c.name}; give them different names.")
        seen_ids.add(c.id)
        seen_names.add(name_key(c.name))


def roll_initiative(combatants: Sequence[Combatant], rng: random.Random | None = None) -> tuple[
        CombatState, InitiativeResult]:
    """Start a fight: roll initiative for everyone who has none yet (d20 + initiative bonus) and order them,
    highest first; ties go to the higher DEX score, then to a roll-off."""
    if not combatants:
        raise RulesError("A fight needs at least one combatant.")
    _check_unique(combatants)
    rolls: dict[str, RollResult] = {}
    told: list[Line] = []
    rolled = _roll_initiatives(combatants, rng, rolls, told)
    order = _sorted_order(rolled, rng, told)
    told.append(InitiativeOrder(tuple((c.name, c.initiative) for c in order)))
    state = CombatState(combatants=order)
    for c in order:
        state = log_event(state, "initiative", f"{c.name} rolls {c.initiative} for initiative.", actor=c.id,
                       amount=c.initiative or 0)
    state, _ = settle(state, 0)
    told.append(GoesFirst(current_actor(state).name))
    result = InitiativeResult(order=[(c.name, c.initiative or 0) for c in order], rolls=rolls, told=told)
    return state, result


def monster_combatants(block: MonsterBlock, count: int = 1, rng: random.Random | None = None, *,
                       hp_mode: Literal["average", "roll"] = "average",
                       existing_names: Iterable[str] = ()) -> list[Combatant]:
    """``count`` instances of a monster named "Goblin 1", "Goblin 2"... (numbering continues after names in
    ``existing_names``), with average hit points, or rolled ones with ``hp_mode="roll"``."""
    if not 1 <= count <= MAX_MONSTERS_PER_CALL:
        raise RulesError(f"Add between 1 and {MAX_MONSTERS_PER_CALL} monsters at a time.")
    pattern = re.compile(rf"^{re.escape(name_key(block.name))} (\d+)$")
    taken = [int(m.group(1)) for n in existing_names if (m := pattern.match(name_key(n)))]
    start = max(taken, default=0) + 1
    out: list[Combatant] = []
    for number in range(start, start + count):
        hp: int | None = None
        if hp_mode == "roll" and block.hit_points_roll:
            hp = max(1, roll_dice(block.hit_points_roll, rng).total)
        name = f"{block.name} {number}"
        out.append(Combatant.from_monster(block, name=name, id=slug(name), hp=hp))
    return out


def add_monsters(state: CombatState, block: MonsterBlock, count: int = 1, rng: random.Random | None = None, *,
                 hp_mode: Literal["average", "roll"] = "average") -> tuple[CombatState, JoinResult]:
    """Monsters join the fight (or a fight being set up): named "Goblin 1", "Goblin 2"..., average hit points
    unless ``hp_mode="roll"``; each rolls initiative and is slotted into the order. In an ongoing fight the
    creature whose turn it is keeps its turn; a newcomer placed before it acts next round."""
    everyone = [*state.combatants, *state.defeated]
    new = monster_combatants(block, count, rng, hp_mode=hp_mode, existing_names=[c.name for c in everyone])
    ids = {c.id for c in everyone}
    new = [c if c.id not in ids else c.model_copy(update={"id": f"{c.id}-{len(ids) + i}"})
           for i, c in enumerate(new)]
    rolls: dict[str, RollResult] = {}
    told: list[Line] = []
    new = _roll_initiatives(new, rng, rolls, told)
    new = _sorted_order(new, rng, told)
    combatants = list(state.combatants)
    current = state.current
    for c in new:
        position = _insert_position(combatants, c, rng, told)
        combatants.insert(position, c)
        if state.started and position <= current:
            current += 1
    joined = state.model_copy(update={"combatants": combatants, "current": current})
    for c in new:
        joined = log_event(joined, "join", f"{c.name} joins the fight ({c.hp} HP, initiative {c.initiative}).",
                        actor=c.id, amount=c.initiative or 0)
    if not joined.started:
        joined = joined.model_copy(update={"current": 0})
        joined, _ = settle(joined, 0)
    told.append(Joined(tuple(c.name for c in new), hp_mode))
    told.append(InitiativeOrder(tuple((c.name, c.initiative) for c in combatants)))
    initiative = InitiativeResult(order=[(c.name, c.initiative or 0) for c in combatants], rolls=rolls,
                                  told=list(told))
    return joined, JoinResult(joined=[c.name for c in new], hp_mode=hp_mode, initiative=initiative, told=told)


def _insert_position(order: list[Combatant], new: Combatant, rng: random.Random | None, told: list[Line]) -> int:
    """Where ``new`` goes: after everyone ahead of it; within a tie (initiative and DEX), roll-offs against each
    tied combatant from the top until it wins one."""
    key = _order_key(new)
    position = 0
    while position < len(order) and _order_key(order[position]) > key:
        position += 1
    while position < len(order) and _order_key(order[position]) == key:
        rival = order[position]
        for _ in range(_ROLL_OFF_DEPTH):
            mine, theirs = roll_dice("1d20", rng).total, roll_dice("1d20", rng).total
            told.append(RollOff(((new.name, mine), (rival.name, theirs))))
            if mine != theirs:
                break
        if mine > theirs:
            return position
        position += 1
    return position
