"""The summary of a fight: rounds, damage dealt and taken, who fell and who died."""

from __future__ import annotations

from typing import Literal

from dnd.combat.lines import Line, SummaryHeading, SummaryRow
from dnd.combat.results import CombatSummary
from dnd.combat.state import CombatState, Outcome, outcome


def summary(state: CombatState, decided: Outcome | None = None) -> CombatSummary:
    """Rounds fought, damage dealt and taken per combatant, who fell and who died, and the outcome (``decided``:
    as the fight ended, when what came after it — a fallen hero waking — changed the state)."""
    everyone = [*state.combatants, *state.defeated]
    names = {c.id: c.name for c in everyone}
    dealt = {c.name: 0 for c in everyone}
    taken = {c.name: 0 for c in everyone}
    fallen: list[str] = []
    dead: list[str] = []
    for event in state.log:
        if event.kind == "damage":
            if event.actor_id in names:
                dealt[names[event.actor_id]] += event.amount
            if event.target_id in names:
                taken[names[event.target_id]] += event.amount
        elif event.kind == "fell" and event.target_id in names:
            fallen.append(names[event.target_id])
        elif event.kind == "dead" and event.target_id in names and names[event.target_id] not in dead:
            dead.append(names[event.target_id])
    result = decided or outcome(state)
    told: list[Line] = [SummaryHeading(state.round, result)]
    for c in everyone:
        status: Literal["dead", "fell", "standing"] = (
            "dead" if c.name in dead else "fell" if c.name in fallen else "standing")
        told.append(SummaryRow(c.name, dealt[c.name], taken[c.name], status))
    return CombatSummary(rounds=state.round, outcome=result, damage_dealt=dealt, damage_taken=taken, fallen=fallen,
                         dead=dead, told=told)
