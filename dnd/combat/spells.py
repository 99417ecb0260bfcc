"""A spell cast in a fight: an attack, saving throws, healing or damage that always hits; a concentration spell
held (one at a time, `dnd.combat.concentration`), and a zone spell (Spirit Guardians, Moonbeam) that acts on each
creature in its area at the start of that creature's turn (:func:`zone_ticks`), not on casting."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Literal

from dnd.combat.attacks import attack
from dnd.combat.concentration import check_concentration, start_spell
from dnd.combat.damage import apply_damage, defend, take_damage
from dnd.combat.effects import heal
from dnd.combat.lines import DamageTaken, Line, Rolled, SpellNarrated, SpellTakesHold, ZoneCast, ZoneTakesHold
from dnd.combat.results import SpellResult
from dnd.combat.saves import saving_throw
from dnd.combat.state import (
    CombatState,
    OngoingSpell,
    check_turn,
    current_actor,
    find_anywhere,
    find_combatant,
    log_event,
    mark_started,
    roll_dice,
)
from dnd.conditions import is_incapacitated
from dnd.errors import RulesError
from dnd.monsters import Combatant
from dnd.spellcasting import CastResult


def _spell_kind(spell: CastResult) -> Literal["attack", "save", "heal", "damage", "other"]:
    if spell.attack:
        return "attack"
    if spell.save:
        return "save"
    if spell.healing:
        return "heal"
    if spell.damage and spell.damage_type:
        return "damage"
    return "other"


def _spell_targets(state: CombatState, caster: Combatant, spell: CastResult, kind: str,
                   targets: Sequence[str]) -> list[Combatant]:
    names = [n.strip() for n in targets if n.strip()]
    if kind in ("attack", "heal", "damage") and len(names) > 1:
        raise RulesError(f"{spell.spell} has one target: name one ({', '.join(names)} given).")
    if not names and kind == "heal":
        names = [caster.id]
    elif not names and kind in ("attack", "save", "damage"):
        foes = [c for c in state.combatants if c.kind != caster.kind and c.active]
        if len(foes) != 1:
            raise RulesError(f"Name the target of {spell.spell}: {', '.join(c.name for c in foes) or 'none'}.")
        names = [foes[0].id]
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    return chosen


def cast(state: CombatState, caster_id: str, spell: CastResult, targets: Sequence[str] = (),
         rng: random.Random | None = None) -> tuple[CombatState, SpellResult]:
    """``spell`` (already paid for by :func:`dnd.spellcasting.cast_spell`) takes effect on the caster's turn.

    A spell attack is one attack roll at one target (spell attack bonus against AC; a critical hit doubles the
    dice); a saving-throw spell makes every target save against the spell save DC, damage rolled once (full
    on a failure, half on a success when the spell says so, else none); a healing spell heals one target (the
    caster when none is named); damage without attack or save always hits one target. A harmful spell with
    no target named aims at the only foe standing. Other spells are recorded; their effect is narrated.
    """
    caster = check_turn(state, caster_id)
    if caster.dead or caster.hp == 0 or is_incapacitated(caster.conditions):
        raise RulesError(f"{caster.name} can't cast spells right now"
                         + (f" ({', '.join(caster.conditions)})." if caster.conditions else "."))
    kind = _spell_kind(spell)
    chosen = _spell_targets(state, caster, spell, kind, targets)
    at = f" at {', '.join(c.name for c in chosen)}" if chosen else ""
    state = mark_started(state)
    state = log_event(state, "cast", f"{caster.name} casts {spell.spell}{at}.", actor=caster.id)
    names = [c.name for c in chosen]
    zone = spell.spell in ZONE_SPELLS
    lasting: list[Line] = []
    if spell.concentration or zone:
        state, lasting = start_spell(state, OngoingSpell(
            caster_id=caster.id, spell=spell.spell, concentration=spell.concentration,
            trigger="turn_start" if zone else "", targets=[c.id for c in chosen] if zone else [],
            damage=spell.damage, damage_type=spell.damage_type, save=spell.save, save_dc=spell.save_dc,
            half_on_success=spell.save_effect == "half"))
    if zone:
        return state, SpellResult(caster.name, spell.spell, "other", names,
                                  told=[*lasting, ZoneCast(spell.spell, tuple(names))])
    state, result = _resolve(state, caster, spell, kind, chosen, rng)
    return state, dataclasses.replace(result, told=[*lasting, *result.told]) if lasting else result


# Spells whose area hurts a creature that starts its turn there (the SRD's wording), for as long as they last.
ZONE_SPELLS = frozenset({"Spirit Guardians", "Moonbeam", "Cloud of Daggers", "Cloudkill", "Insect Plague"})


def _resolve(state: CombatState, caster: Combatant, spell: CastResult, kind: str, chosen: list[Combatant],
             rng: random.Random | None) -> tuple[CombatState, SpellResult]:
    names = [c.name for c in chosen]
    if kind == "attack":
        state, hit = attack(state, caster.id, chosen[0].id, spell.spell, rng, attack_bonus=spell.attack_bonus or 0,
                            damage=spell.damage, damage_type=spell.damage_type, ranged=spell.attack == "ranged",
                            magical=True)
        return state, SpellResult(caster.name, spell.spell, kind, names, attack=hit, told=hit.told)
    if kind == "save":
        if spell.save_dc is None:
            raise RulesError(f"{spell.spell} needs a save DC.")
        state, saved = saving_throw(state, [c.id for c in chosen], spell.save, spell.save_dc, rng,
                                    damage=spell.damage or None, damage_type=spell.damage_type,
                                    half_on_success=spell.save_effect == "half", source=spell.spell,
                                    actor_id=caster.id, magical=True)
        told = list(saved.told)
        if not spell.damage and any(not o.success for o in saved.outcomes):
            told.append(SpellTakesHold(spell.spell))
        return state, SpellResult(caster.name, spell.spell, kind, names, save=saved, told=told)
    if kind == "heal":
        state, healed = heal(state, chosen[0].id, spell.healing, rng, actor_id=caster.id, source=spell.spell)
        return state, SpellResult(caster.name, spell.spell, kind, names, heal=healed, told=healed.told)
    if kind == "damage":
        target = chosen[0]
        damage_roll = roll_dice(f"{spell.damage} {spell.spell} damage", rng)
        by_type = dict(damage_roll.damage_by_type) or {spell.damage_type.casefold(): damage_roll.total}
        dealt, defenses = defend(target, by_type, True)
        state, applied = apply_damage(state, target.id, dealt, critical=False, actor_id=caster.id,
                                       source=spell.spell)
        after = find_anywhere(state, target.id)
        told = [Rolled(damage_roll), *defenses, DamageTaken(target.name, dealt, after.hp, after.max_hp, spell.spell),
                *applied.told]
        state, kept = check_concentration(state, target.id, dealt, rng)
        told += kept
        return state, SpellResult(caster.name, spell.spell, kind, names, damage=dealt, told=told)
    return state, SpellResult(caster.name, spell.spell, kind, names,
                              told=[SpellNarrated(spell.spell, tuple(names))])


def zone_ticks(state: CombatState, rng: random.Random | None = None) -> tuple[CombatState, list[Line]]:
    """The start of the current creature's turn inside zone spells: each one it is in acts on it once this turn
    (its saving throw against the caster's DC, damage full or half, or damage that always lands)."""
    told: list[Line] = []
    actor = current_actor(state)
    for effect in list(state.ongoing):
        if (effect.trigger != "turn_start" or actor.id not in effect.targets or actor.id == effect.caster_id
                or effect.ticked.get(actor.id) == state.round or not actor.active):
            continue
        marked = effect.model_copy(update={"ticked": {**effect.ticked, actor.id: state.round}})
        state = state.model_copy(update={"ongoing": [marked if o == effect else o for o in state.ongoing]})
        told.append(ZoneTakesHold(effect.spell, actor.name))
        if effect.save and effect.save_dc:
            state, saved = saving_throw(state, [actor.id], effect.save, effect.save_dc, rng,
                                        damage=effect.damage or None, damage_type=effect.damage_type,
                                        half_on_success=effect.half_on_success, source=effect.spell, magical=True)
            told += saved.told
        elif effect.damage:
            damage_roll = roll_dice(f"{effect.damage} {effect.spell} damage", rng)
            told.append(Rolled(damage_roll))
            by_type = dict(damage_roll.damage_by_type) or {effect.damage_type.casefold(): damage_roll.total}
            state, _, _ = take_damage(state, actor, by_type, True, critical=False, actor_id=None, source=effect.spell,
                                      told=told, rng=rng)
        actor = find_anywhere(state, actor.id)
        if not actor.active:
            break
    return state, told
