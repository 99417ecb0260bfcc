"""The start of a turn: a character at 0 HP can't act. A dying one rolls its death saving throw and its turn
passes, unless a natural 20 brings it back; a stable one's turn simply passes."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dnd.combat.results import DeathSaveResult
from dnd.combat.saves import death_save
from dnd.combat.state import CombatState, current_actor
from dnd.combat.turns import end_turn


@dataclass(frozen=True)
class DownedTurn:
    """The turn of a character at 0 HP: its death saving throw (None when stable) and whether the turn passed
    (it doesn't when the roll brought the character back)."""

    combatant_id: str
    name: str
    death_save: DeathSaveResult | None
    passed: bool


def start_turn(state: CombatState, rng: random.Random | None = None) -> tuple[CombatState, list[DownedTurn]]:
    """Passes the turns of the characters at 0 HP whose turn comes up, rolling the dying ones' death saves;
    each character at most once per call, so a party all down doesn't go round for ever."""
    downed: list[DownedTurn] = []
    seen: set[str] = set()
    while True:
        actor = current_actor(state)
        if actor.kind != "character" or actor.hp > 0 or actor.dead or actor.id in seen:
            break
        seen.add(actor.id)
        rolled = None
        if actor.dying:
            state, rolled = death_save(state, actor.id, rng)
            if rolled.result == "revived":
                downed.append(DownedTurn(actor.id, actor.name, rolled, passed=False))
                break
        state, _ = end_turn(state, actor.id)
        downed.append(DownedTurn(actor.id, actor.name, rolled, passed=True))
    return state, downed
