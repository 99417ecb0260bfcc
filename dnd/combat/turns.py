"""Whose turn it is: ending and skipping turns, passing over the dead and those marked to skip."""

from __future__ import annotations

from dnd.combat.economy import fresh_turn
from dnd.combat.lines import Dodges, Flees, Line, TurnSkipped, TurnStarts
from dnd.combat.results import TurnResult
from dnd.combat.state import (
    CombatState,
    check_turn,
    current_actor,
    index_of,
    log_event,
    mark_started,
    replace_combatant,
)


def settle(state: CombatState, start: int) -> tuple[CombatState, list[str]]:
    """Make the turn that of the first combatant from ``start`` (wrapping into the next round) who can take
    one: dead characters are passed over, and so is anyone marked to skip (the mark is then cleared). Returns
    the names of those skipped."""
    combatants = list(state.combatants)
    n = len(combatants)
    if n == 0:
        return state.model_copy(update={"current": 0}), []
    index, round_ = start, state.round
    skipped: list[str] = []
    for _ in range(2 * n + 1):
        if index >= n:
            index, round_ = 0, round_ + 1
        c = combatants[index]
        if c.defeated or c.dead:
            index += 1
            continue
        if c.skip_next:
            combatants[index] = c.model_copy(update={"skip_next": False})
            skipped.append(c.name)
            index += 1
            continue
        break
    else:
        index = min(index, n - 1) if index < n else 0
    combatants[index] = fresh_turn(combatants[index])  # a fresh action, bonus action and reaction
    settled = state.model_copy(update={"combatants": combatants, "current": index, "round": round_})
    for name in skipped:
        settled = log_event(settled, "skip", f"{name}'s turn is skipped.")
    return settled, skipped


def _turn_starts(state: CombatState) -> TurnStarts:
    actor = current_actor(state)
    return TurnStarts(state.round, actor.name, actor.hp, actor.max_hp, actor.dying)


def end_turn(state: CombatState, combatant_id: str | None = None) -> tuple[CombatState, TurnResult]:
    """End the current turn (``combatant_id``, when given, must be whose turn it is): the next combatant who can
    act gets the turn; passing the end of the order starts a new round."""
    actor = current_actor(state) if combatant_id is None else check_turn(state, combatant_id)
    state = mark_started(state)
    state, skipped = settle(state, state.current + 1)
    told: list[Line] = [*(TurnSkipped(name) for name in skipped), _turn_starts(state)]
    nxt = current_actor(state)
    state = log_event(state, "turn", f"Round {state.round}: {nxt.name}'s turn.", actor=nxt.id)
    return state, TurnResult(previous=actor.name, current=nxt.name, round=state.round, skipped=skipped, told=told)


def skip(state: CombatState, combatant_id: str) -> tuple[CombatState, TurnResult]:
    """Skip a combatant's turn: its current turn ends now, or its next turn will be passed over."""
    index = index_of(state, combatant_id)
    target = state.combatants[index]
    if index == state.current:
        state = log_event(state, "skip", f"{target.name}'s turn is skipped.", actor=target.id)
        state = mark_started(state)
        state, skipped = settle(state, state.current + 1)
        told: list[Line] = [TurnSkipped(name) for name in [target.name, *skipped]]
        told.append(_turn_starts(state))
        nxt = current_actor(state)
        state = log_event(state, "turn", f"Round {state.round}: {nxt.name}'s turn.", actor=nxt.id)
        return state, TurnResult(previous=target.name, current=nxt.name, round=state.round,
                                 skipped=[target.name, *skipped], told=told)
    state = replace_combatant(state, target.model_copy(update={"skip_next": True}))
    now = current_actor(state)
    return state, TurnResult(previous=None, current=now.name, round=state.round, skipped=[],
                             told=[TurnSkipped(target.name, later=True)])


def dodge(state: CombatState, combatant_id: str) -> tuple[CombatState, TurnResult]:
    """The current combatant takes the Dodge action: until its next turn starts, attacks at it have disadvantage
    and it makes DEX saves with advantage. Its turn then ends."""
    actor = check_turn(state, combatant_id)
    state = replace_combatant(state, actor.model_copy(update={"dodging": True}))
    state = log_event(state, "condition", f"{actor.name} takes the Dodge action.", actor=actor.id)
    state, result = end_turn(state, actor.id)
    return state, TurnResult(previous=result.previous, current=result.current, round=result.round,
                             skipped=result.skipped, told=[Dodges(actor.name), *result.told])


def flee(state: CombatState, combatant_id: str) -> tuple[CombatState, TurnResult]:
    """The current combatant (a monster running for its life) leaves the fight: it is out of the order, with the
    defeated, and the next turn begins."""
    actor = check_turn(state, combatant_id)
    index = state.current
    combatants = [c for i, c in enumerate(state.combatants) if i != index]
    state = state.model_copy(update={"combatants": combatants, "started": True,
                                     "defeated": [*state.defeated, actor.model_copy(update={"defeated": True})]})
    state = log_event(state, "defeated", f"{actor.name} flees the fight.", actor=actor.id)
    state, skipped = settle(state, index)
    told: list[Line] = [Flees(actor.name, actor.hp, actor.max_hp), *(TurnSkipped(name) for name in skipped)]
    if not state.combatants:
        return state, TurnResult(previous=actor.name, current="", round=state.round, skipped=skipped, told=told)
    told.append(_turn_starts(state))
    nxt = current_actor(state)
    state = log_event(state, "turn", f"Round {state.round}: {nxt.name}'s turn.", actor=nxt.id)
    return state, TurnResult(previous=actor.name, current=nxt.name, round=state.round, skipped=skipped, told=told)
