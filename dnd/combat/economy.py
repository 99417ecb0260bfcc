"""The action economy of a character's turn: one action — the Attack action (one attack, or more with Extra
Attack), casting a spell, or using an object such as a potion — and it is spent once per turn.

By the SRD: the Attack action makes one weapon attack, two with Extra Attack (Barbarian, Fighter, Monk, Paladin,
Ranger at 5th level), three with Fighter's Extra Attack (2) at 11th, four with Extra Attack (3) at 20th; casting
a spell with a casting time of one action, or drinking a potion, is the turn's action. The counts reset when the
character's next turn starts (`dnd.combat.turns.settle`). Monsters are not counted here: a monster's turn is its
Multiattack or one attack (`dnd.tactics`, or the owner's `!attack`).

Not modelled: bonus actions (a bonus-action spell, Two-Weapon Fighting), Action Surge, reactions.
"""

from __future__ import annotations

import re
from typing import Literal

from dnd.character import Character
from dnd.combat.state import CombatState, check_turn, replace_combatant
from dnd.errors import RulesError

ActionKind = Literal["attack", "cast", "item"]
_DOING = {"attack": "the Attack action", "cast": "casting a spell", "item": "using an item"}
_EXTRA_ATTACK = re.compile(r"^Extra Attack(?: \((\d)\))?$")


def attacks_per_action(character: Character | None) -> int:
    """The attacks one Attack action makes: 1, plus Extra Attack's (2 with "Extra Attack", 3 with "Extra Attack
    (2)", 4 with "Extra Attack (3)")."""
    best = 1
    for feature in character.features if character else []:
        found = _EXTRA_ATTACK.match(feature)
        if found:
            best = max(best, 1 + int(found.group(1)) if found.group(1) else 2)
    return best


def take_action(state: CombatState, combatant_id: str, kind: ActionKind) -> CombatState:
    """Spends the action of the current character's turn on `kind` (one attack of its Attack action at a time);
    refuses what the turn no longer allows."""
    actor = check_turn(state, combatant_id)
    if actor.kind != "character":
        return state
    used = actor.action_this_turn
    if kind == "attack" and used in (None, "attack"):
        allowed = attacks_per_action(actor.character)
        if actor.attacks_this_turn >= allowed:
            made = "its attack" if allowed == 1 else f"all {allowed} attacks of its Attack action"
            raise RulesError(f"{actor.name} has made {made} this turn. `!end_turn` to pass the turn.")
        return replace_combatant(state, actor.model_copy(update={
            "action_this_turn": "attack", "attacks_this_turn": actor.attacks_this_turn + 1}))
    if used is not None:
        raise RulesError(f"{actor.name} has already used this turn's action ({_DOING[used]}). `!end_turn` to pass "
                         "the turn.")
    return replace_combatant(state, actor.model_copy(update={"action_this_turn": kind}))
