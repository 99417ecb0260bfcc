"""Spells that hold creatures in conditions (SRD 5.1), and how long lasting spells last.

A creature that fails such a spell's save gets its conditions (:data:`HOLDS`; a creature immune to one is not
given it, `dnd.combat.effects.give_condition`). Where the spell says so, a held creature makes the save again at
the end of each of its turns, and a success frees it. Command is the one word that costs the target its next turn
(halt, grovel, flee or approach: the word is the narrator's; an undead is not commanded).

Every lasting spell the fight keeps (`dnd.combat.state.OngoingSpell`: a hold, a concentration spell such as Bless
or Hunter's Mark, a zone) lasts its duration (:func:`lasting_rounds`, 10 rounds a minute; twice that with the
Extended Spell Metamagic), counted in its caster's turns: it ends at the end of the caster's turn that uses up its
last round, the turn it was cast in counting as the first, or earlier when the caster's concentration ends
(`dnd.combat.concentration.end_concentration`); then every creature it holds is freed, and the table is told.
:func:`finish_turn` ends a turn with both: the saves of the creature whose turn ends, and its spells' time.

Left as the narrator's: Command's "drop", Sleep's hit-point pool, and escaping Entangle or Web with a Strength
check (the creatures stay restrained until the spell ends).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from dnd.combat.concentration import release_hold
from dnd.combat.effects import give_condition
from dnd.combat.lines import ConditionUnchanged, FeatureUsed, Line, TurnSkipped
from dnd.combat.results import SaveResult, TurnResult
from dnd.combat.saves import saving_throw
from dnd.combat.state import CombatState, OngoingSpell, find_anywhere, replace_combatant
from dnd.combat.turns import end_turn
from dnd.metamagic import EXTENDED
from dnd.monsters import Combatant
from dnd.spellcasting import CastResult


@dataclass(frozen=True)
class Hold:
    """What a holding spell does to those who fail its save: its conditions, whether they repeat the save at the
    end of each of their turns, or (Command) the loss of their next turn."""

    conditions: tuple[str, ...]
    repeat_save: bool = False
    loses_turn: bool = False


HOLDS: dict[str, Hold] = {
    "Hold Person": Hold(("Paralyzed",), repeat_save=True),
    "Hold Monster": Hold(("Paralyzed",), repeat_save=True),
    "Blindness/Deafness": Hold(("Blinded",), repeat_save=True),  # the caster may choose deafened: narrated
    "Hideous Laughter": Hold(("Prone", "Incapacitated"), repeat_save=True),
    "Hypnotic Pattern": Hold(("Charmed", "Incapacitated")),
    "Fear": Hold(("Frightened",)),
    "Entangle": Hold(("Restrained",)),
    "Web": Hold(("Restrained",)),
    "Command": Hold((), loses_turn=True),
}
_NOT_COMMANDED = "undead"
# Holding spells that work on some kinds of creature only: the type they take, or the one they never do.
_ONLY_TYPE = {"Hold Person": "humanoid"}
_NEVER_TYPE = {"Hold Monster": "undead"}


def unaffected(spell: str, target: Combatant) -> str | None:
    """Why ``spell`` can't be cast at ``target`` (Hold Person at a creature that isn't a humanoid — a wild-shaped
    druid is its beast —, Hold Monster at an undead), or None."""
    kind = target.creature_type
    if spell in _ONLY_TYPE and not kind.startswith(_ONLY_TYPE[spell]):
        return f"{spell} holds a {_ONLY_TYPE[spell]}, and {target.name} is a {kind}."
    if spell in _NEVER_TYPE and kind.startswith(_NEVER_TYPE[spell]):
        return f"{spell} has no effect on an {kind}: {target.name} can't be held by it."
    return None


def lasting_rounds(spell: CastResult) -> int | None:
    """How many of its caster's turns a lasting spell lasts: its duration's rounds, twice as many with the
    Extended Spell Metamagic; None when its duration isn't counted."""
    if spell.rounds is None:
        return None
    return spell.rounds * (2 if spell.metamagic == EXTENDED else 1)


def _same(a: OngoingSpell, b: OngoingSpell) -> bool:
    return a.caster_id == b.caster_id and a.spell == b.spell


def _replace(state: CombatState, spell: OngoingSpell, **update: object) -> CombatState:
    ongoing = [o.model_copy(update=update) if _same(o, spell) else o for o in state.ongoing]
    return state.model_copy(update={"ongoing": ongoing})


def take_hold(state: CombatState, caster_id: str, spell: str, save: SaveResult, concentration: bool, *,
              rounds: int | None = None) -> tuple[CombatState, list[Line]]:
    """Those who failed the save of a holding spell are held; the spell is kept with them for ``rounds`` of its
    caster's turns (:func:`lasting_rounds`; a concentration spell is already in ``state.ongoing``, started by
    `dnd.combat.spells.cast`). Command's creatures lose their next turn instead."""
    hold = HOLDS.get(spell)
    if hold is None:
        return state, []
    failed = {o.target for o in save.outcomes if not o.success}
    if hold.loses_turn:
        return _commanded(state, failed)
    told: list[Line] = []
    held: list[str] = []
    for target in [c for c in state.combatants if c.name in failed]:
        for condition in hold.conditions:
            state, given = give_condition(state, find_anywhere(state, target.id), condition)
            told += given.told
        held.append(target.id)
    kept = OngoingSpell(caster_id=caster_id, spell=spell, concentration=concentration, targets=held,
                        save=save.ability, save_dc=save.dc, conditions=list(hold.conditions),
                        repeat_save=hold.repeat_save, rounds_left=rounds)
    if any(_same(o, kept) for o in state.ongoing):
        return _replace(state, kept, **{k: getattr(kept, k) for k in (
            "targets", "save", "save_dc", "conditions", "repeat_save", "rounds_left")}), told
    return state.model_copy(update={"ongoing": [*state.ongoing, kept]}), told


def _commanded(state: CombatState, failed: set[str]) -> tuple[CombatState, list[Line]]:
    """Command: each creature that failed its save (but an undead) loses its next turn."""
    told: list[Line] = []
    for target in [c for c in state.combatants if c.name in failed]:
        if target.creature_type.startswith(_NOT_COMMANDED):
            told.append(ConditionUnchanged(target.name, "Commanded", "immune"))
            continue
        state = replace_combatant(state, target.model_copy(update={"skip_next": True}))
        told.append(TurnSkipped(target.name, later=True))
    return state, told


def end_of_turn(state: CombatState, combatant_id: str, rng: random.Random | None) -> tuple[CombatState, list[Line]]:
    """At the end of ``combatant_id``'s turn: its saves against the spells that hold it and let it repeat one,
    then a turn off each spell it keeps going (one that runs out frees those it holds)."""
    told: list[Line] = []
    for spell in list(state.ongoing):
        if not (spell.repeat_save and combatant_id in spell.targets and spell.save and spell.save_dc):
            continue
        state, saved = saving_throw(state, [combatant_id], spell.save, spell.save_dc, rng, source=spell.spell,
                                    frightens="Frightened" in spell.conditions)
        told += saved.told
        if saved.outcomes and saved.outcomes[0].success:
            state, freed = release_hold(state, spell, [combatant_id])
            told += freed
            state = _replace(state, spell, targets=[t for t in spell.targets if t != combatant_id])
    for spell in list(state.ongoing):
        if spell.caster_id != combatant_id or spell.rounds_left is None:
            continue
        if spell.rounds_left > 1:
            state = _replace(state, spell, rounds_left=spell.rounds_left - 1)
            continue
        state = state.model_copy(update={"ongoing": [o for o in state.ongoing if not _same(o, spell)]})
        state, freed = release_hold(state, spell, spell.targets)
        told += [FeatureUsed(find_anywhere(state, combatant_id).name, spell.spell, "its duration is over"), *freed]
    return state, told


def finish_turn(state: CombatState, combatant_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, TurnResult]:
    """The turn ends as `dnd.combat.turns.end_turn` ends it, after :func:`end_of_turn` (in ``held``)."""
    if not state.ongoing:  # the usual case, at every turn of a fight: nothing lasting to look at
        return end_turn(state, combatant_id)
    state, held = end_of_turn(state, combatant_id, rng)
    state, result = end_turn(state, combatant_id)
    return state, dataclasses.replace(result, held=held) if held else result
