"""Counterspell (SRD 5.1, 3rd level, reaction when a creature within 60 feet casts a spell), both ways.

* A monster's spell against a character who could counter it: the monster begins casting (:func:`hold_spell`:
  the slot or the day's use is spent now) and the spell waits (``CombatState.pending_spell``) while any
  character with Counterspell castable, a slot of 3rd level or higher and its reaction left may answer
  (an offer of kind "spell"). :func:`counter` spends the character's reaction (the caller spends the slot): a
  spell of the slot's level or lower fails; a higher one fails only if the character's ability check with its
  spellcasting ability beats DC 10 + the spell's level. A character who lets it pass (`reactions.let_pass`), or
  fails the check, no longer holds it up; once no one does, :func:`settle` resolves the spell (or nothing, when it
  was countered) and the monster's turn goes on. The engine has no map: every character is taken to be within 60
  feet.
* A character's spell against a monster with Counterspell on its list (:func:`monster_counters`): a monster the DM
  plays, with its reaction and a slot of 3rd level or higher left, counters a spell of 1st level or higher
  (never a cantrip: not worth the slot), with the lowest slot that wins outright when it has one, else its
  lowest and the check. A spell cast with Subtle Spell (no components) can't be seen being cast, so it can't be
  countered.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

from dnd.character import Character, ability_modifier
from dnd.combat.economy import take_reaction
from dnd.combat.lines import Counterspelled, Line, Rolled, SpellBegun
from dnd.combat.monster_spells import Castable, castable_spells, monster_spell, preview, slots_left
from dnd.combat.results import FeatureResult, SpellResult
from dnd.combat.spells import cast
from dnd.combat.state import (
    CombatState,
    PendingSpell,
    check_turn,
    find_anywhere,
    log_event,
    mode_word,
    replace_combatant,
    roll_dice,
)
from dnd.conditions import ability_check_mode, is_incapacitated
from dnd.data.spells import find_spell
from dnd.errors import RulesError
from dnd.metamagic import SUBTLE
from dnd.monsters import Combatant, ReactionOffer
from dnd.progression import get_class
from dnd.spellcasting import CastResult, available_slots, is_castable

COUNTERSPELL: Final = "Counterspell"
COUNTERSPELL_LEVEL: Final = 3


def _able(c: Combatant) -> bool:
    return not c.dead and c.hp > 0 and c.economy.reaction is None and not is_incapacitated(c.conditions)


def can_counter(c: Combatant) -> bool:
    """A character who could cast Counterspell now: able to react, the spell castable, a slot of 3rd level or up."""
    return (c.kind == "character" and c.character is not None and _able(c) and is_castable(c.character, COUNTERSPELL)
            and any(level >= COUNTERSPELL_LEVEL for level in available_slots(c.character)))


def could_counter(state: CombatState, caster: Combatant) -> list[Combatant]:
    """The characters who could counter a spell ``caster`` (a monster) casts now."""
    if caster.kind == "character":
        return []
    return [c for c in state.combatants if c.kind == "character" and c.id != caster.id and can_counter(c)]


def counterspellers(state: CombatState) -> list[Combatant]:
    """The characters still holding up the pending spell: offered it, and still able to counter."""
    pending = state.pending_spell
    if pending is None or pending.countered:
        return []
    return [c for c in state.combatants
            if any(o.kind == "spell" and o.other_id == pending.caster_id for o in c.offers) and can_counter(c)]


def spell_waits(state: CombatState) -> bool:
    """A monster's spell is cast and waits on a character's Counterspell."""
    return bool(counterspellers(state))


def hold_spell(state: CombatState, monster_id: str, name: str,
               target_ids: list[str]) -> tuple[CombatState, FeatureResult]:
    """The monster (on its turn) begins casting ``name`` at ``target_ids``: it pays for the spell, and each
    character who could counter it is offered the chance; the spell waits (:func:`settle`)."""
    monster = check_turn(state, monster_id)
    if monster.dead or monster.hp == 0 or is_incapacitated(monster.conditions):
        raise RulesError(f"{monster.name} can't cast spells right now.")
    able = could_counter(state, monster)
    paid, spell = monster_spell(monster, name)
    state = replace_combatant(state, paid)
    names = [find_anywhere(state, t).name for t in target_ids]
    cast(state, monster.id, spell, names, random.Random(0))  # its targets refused now, never when it settles
    pending = PendingSpell(caster_id=monster.id, spell=spell.spell, spell_level=spell.slot_level or spell.spell_level,
                           slot_level=spell.slot_level, target_ids=list(target_ids))
    offer = ReactionOffer(kind="spell", other_id=monster.id, other_name=monster.name)
    for character in able:
        current = find_anywhere(state, character.id)
        state = replace_combatant(state, current.model_copy(update={"offers": [*current.offers, offer]}))
    state = state.model_copy(update={"pending_spell": pending})
    begun = SpellBegun(monster.name, spell.spell, pending.spell_level, tuple(names), tuple(c.name for c in able))
    return state, FeatureResult(monster.name, spell.spell, [begun])


def _check(state: CombatState, who: Combatant, modifier: int, level: int, slot_level: int, caster: str, spell: str,
           rng: random.Random | None) -> tuple[bool, list[Line]]:
    """Counterspell's outcome: a spell of the slot's level or lower fails; above, the ability check decides."""
    if level <= slot_level:
        return True, [Counterspelled(who.name, caster, spell, slot_level, True)]
    dc = 10 + level
    mode = ability_check_mode(who.conditions, who.exhaustion)
    rolled = roll_dice(f"1d20{modifier:+d}{mode_word(mode)} {who.name} Counterspell check", rng)
    won = rolled.total >= dc
    return won, [Rolled(rolled), Counterspelled(who.name, caster, spell, slot_level, won, dc)]


def _spell_modifier(character: Character) -> int:
    """The spellcasting ability modifier of the class whose list has Counterspell (the first caster class else)."""
    info = find_spell(COUNTERSPELL)
    classes = [c for c in character.class_levels if get_class(c).spellcasting_ability]
    listed = [c for c in classes if info is not None and c in info.classes] or classes
    ability = get_class(listed[0]).spellcasting_ability if listed else None
    return ability_modifier(character, ability or "INT")


def counter(state: CombatState, combatant_id: str, cast_with: CastResult,
            rng: random.Random | None) -> tuple[CombatState, FeatureResult]:
    """The character answers the pending spell with Counterspell (``cast_with``: already paid, its slot level):
    its reaction is spent; the spell fails, or goes on if the check needed is missed."""
    pending = state.pending_spell
    me = find_anywhere(state, combatant_id)
    if pending is None or pending.countered or me.id not in {c.id for c in counterspellers(state)}:
        raise RulesError(f"Counterspell answers a creature casting a spell, and no spell is being cast that "
                         f"{me.name} could counter: no reaction is offered.")
    slot = cast_with.slot_level or COUNTERSPELL_LEVEL
    state = take_reaction(state, me.id, COUNTERSPELL)
    me = find_anywhere(state, me.id)
    caster = find_anywhere(state, pending.caster_id)
    assert me.character is not None  # a counterspeller is a character (can_counter)
    won, told = _check(state, me, _spell_modifier(me.character), pending.spell_level, slot, caster.name,
                       pending.spell, rng)
    state = replace_combatant(state, me.model_copy(update={"offers": [o for o in me.offers if o.kind != "spell"]}))
    if won:
        state = _countered(state, me, caster, pending)
    return state, FeatureResult(me.name, COUNTERSPELL, told)


def _countered(state: CombatState, by: Combatant, caster: Combatant, pending: PendingSpell) -> CombatState:
    """The spell fails: its slot stays spent, the others' offers lapse."""
    state = log_event(state, "cast", f"{by.name} counters {caster.name}'s {pending.spell}.", actor=by.id,
                      target=caster.id)
    return _without_spell_offers(state, pending.model_copy(update={"countered": True}))


def _without_spell_offers(state: CombatState, pending: PendingSpell | None) -> CombatState:
    """The pending spell set to ``pending``, every character's chance to counter it lapsed."""
    return state.model_copy(update={"pending_spell": pending, "combatants": [
        c.model_copy(update={"offers": [o for o in c.offers if o.kind != "spell"]})
        if any(o.kind == "spell" for o in c.offers) else c for c in state.combatants]})


def settle(state: CombatState, rng: random.Random | None) -> tuple[CombatState, SpellResult | None]:
    """No one holds the pending spell up any longer: it resolves at its targets still in the fight (None: it was
    countered, or nothing was pending). The pending spell is cleared either way."""
    pending = state.pending_spell
    if pending is None or spell_waits(state):
        return state, None
    state = _without_spell_offers(state, None)
    caster = find_anywhere(state, pending.caster_id)
    if pending.countered or caster.monster is None or not any(c.id == caster.id for c in state.combatants):
        return state, None
    spell = _paid_spell(caster, pending)
    standing = [t for t in pending.target_ids if any(c.id == t and c.active for c in state.combatants)]
    if not standing and pending.target_ids:
        return state, None
    return cast(state, caster.id, spell, [find_anywhere(state, t).name for t in standing], rng)


def _paid_spell(caster: Combatant, pending: PendingSpell) -> CastResult:
    """The spell as it was paid for (its slot already spent)."""
    info = find_spell(pending.spell)
    if info is None:
        raise RulesError(f"{caster.name}'s {pending.spell} is not a spell the engine knows.")
    return preview(caster, Castable(info, pending.slot_level), f"{caster.name}'s {info.name} takes effect.")


# --------------------------------------------------------------------------- a monster counters a character


def _counter_slot(monster: Combatant, level: int) -> int | None:
    """The slot a monster counters a spell of ``level`` with: the lowest that wins outright, else its lowest."""
    levels = [lvl for lvl in range(COUNTERSPELL_LEVEL, 10) if slots_left(monster, lvl) > 0]
    if not levels:
        return None
    return next((lvl for lvl in levels if lvl >= level), levels[0])


def _monster_counterer(state: CombatState, plays: Callable[[Combatant], bool]) -> Combatant | None:
    for monster in state.combatants:
        if monster.kind != "monster" or monster.monster is None or monster.monster.spellcasting is None:
            continue
        if not _able(monster) or not plays(monster):
            continue
        if _counter_slot(monster, 0) is not None and any(found.info.name == COUNTERSPELL
                                                         for found in castable_spells(monster)):
            return monster
    return None


def monster_counters(state: CombatState, caster_id: str, spell: CastResult, rng: random.Random | None,
                     plays: Callable[[Combatant], bool] = lambda c: True
                     ) -> tuple[CombatState, FeatureResult | None, bool]:
    """A monster ``plays`` allows counters the character's ``spell`` (already paid for), if it can and will: its
    reaction and slot spent. Returns what it did (None: no monster tried) and whether the spell fails."""
    caster = find_anywhere(state, caster_id)
    level = spell.slot_level or spell.spell_level
    if caster.kind != "character" or not level or spell.metamagic == SUBTLE:
        return state, None, False
    monster = _monster_counterer(state, plays)
    if monster is None:
        return state, None, False
    slot = _counter_slot(monster, level)
    assert slot is not None and monster.monster is not None and monster.monster.spellcasting is not None
    modifier = monster.monster.ability_modifier(monster.monster.spellcasting.ability)
    paid, _ = monster_spell(monster, COUNTERSPELL, at_least=slot)
    state = take_reaction(replace_combatant(state, paid), monster.id, COUNTERSPELL)
    won, told = _check(state, find_anywhere(state, monster.id), modifier, level, slot, caster.name, spell.spell,
                       rng)
    if won:
        state = log_event(state, "cast", f"{monster.name} counters {caster.name}'s {spell.spell}.", actor=monster.id,
                          target=caster.id)
    return state, FeatureResult(monster.name, COUNTERSPELL, told), won
