"""A spell cast in a fight: an attack (or several beams, rays or darts, each at its own target), saving throws,
healing for several, temporary hit points or a raised maximum, or damage that always hits; a concentration spell
held (one at a time, `dnd.combat.concentration`); a zone spell (Spirit Guardians, Moonbeam) that acts on each
creature in its area at the start of that creature's turn (:func:`zone_ticks`), not on casting; and a spell whose
damage comes later — a smite on the next weapon hit (`dnd.combat.concentration.weapon_hit_spells`), Flaming Sphere
and Call Lightning used again on later turns (:func:`cast_again`)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Literal

from dnd.character import ability_modifier
from dnd.combat.attacks import attack
from dnd.combat.concentration import check_concentration, start_spell
from dnd.combat.damage import apply_damage, defend, take_damage
from dnd.combat.effects import gain_temp_hp, heal, raise_max_hp
from dnd.combat.holds import HOLDS, lasting_rounds, take_hold, unaffected
from dnd.combat.lines import (
    AttacksUnused,
    DamageTaken,
    Line,
    NotOnUndeadOrConstructs,
    Rolled,
    SpellNarrated,
    SpellTakesHold,
    SpellWaits,
    Volley,
    ZoneCast,
    ZoneTakesHold,
)
from dnd.combat.monster_spells import monster_spell
from dnd.combat.results import AttackResult, HealResult, SaveResult, SpellResult
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
    name_key,
    replace_combatant,
    roll_dice,
)
from dnd.conditions import is_incapacitated
from dnd.errors import RulesError
from dnd.metamagic import CAREFUL, HEIGHTENED, TWINNED
from dnd.monsters import Combatant
from dnd.spellcasting import CastResult

SpellKind = Literal["attack", "save", "heal", "damage", "boost", "later", "other"]
_NOT_HEALED = frozenset({"undead", "construct"})
_VOLLEY_WORDS = {"Eldritch Blast": "beam", "Scorching Ray": "ray", "Magic Missile": "dart"}


def _spell_kind(spell: CastResult) -> SpellKind:
    if spell.later in ("next_hit", "each_hit", "bonus_action"):
        return "later"  # nothing on casting: the damage comes on a hit or a later bonus action
    if spell.attack:
        return "attack"
    if spell.save:
        return "save"
    if spell.healing:
        return "heal"
    if spell.temp_hp or spell.max_hp_bonus:
        return "boost"
    if spell.damage and spell.damage_type:
        return "damage"
    return "other"


def _heroism(spell: CastResult) -> bool:
    """Temporary hit points at the start of each of the target's turns while the caster concentrates."""
    return bool(spell.temp_hp) and spell.concentration


def _only_foe(state: CombatState, caster: Combatant, spell: str) -> str:
    foes = [c for c in state.combatants if c.kind != caster.kind and c.active]
    if len(foes) != 1:
        raise RulesError(f"Name the target of {spell}: {', '.join(c.name for c in foes) or 'none'}.")
    return foes[0].id


def _spell_targets(state: CombatState, caster: Combatant, spell: CastResult, kind: SpellKind,
                   targets: Sequence[str]) -> list[Combatant]:
    names = [n.strip() for n in targets if n.strip()]
    if spell.projectiles:
        return _volley_targets(state, caster, spell, names)
    if kind == "later" and spell.later != "bonus_action" and names:
        raise RulesError(f"{spell.spell} names no target: it strikes {caster.name}'s next weapon hit"
                         + (" and each one after" if spell.later == "each_hit" else "") + ".")
    limit = spell.max_targets if kind in ("heal", "boost") else 1 if kind in ("attack", "damage", "later") else 0
    if spell.metamagic == TWINNED:
        limit = 2  # a second creature (dnd.metamagic.twinnable: only spells of one target take it)
    if limit == 1 and len(names) > 1:
        raise RulesError(f"{spell.spell} has one target: name one ({', '.join(names)} given).")
    if limit and len(names) > limit:
        raise RulesError(f"{spell.spell} affects up to {limit} creatures: name at most {limit} ({len(names)} given).")
    if not names and kind in ("heal", "boost"):
        names = [caster.id]
    elif not names and kind in ("attack", "save", "damage"):
        names = [_only_foe(state, caster, spell.spell)]
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    return chosen


def _volley_targets(state: CombatState, caster: Combatant, spell: CastResult, names: list[str]) -> list[Combatant]:
    """One target per beam, ray or dart, in order: one name takes them all; otherwise one name for each (a name
    repeats to send more than one at a creature)."""
    count = spell.projectiles
    word = _VOLLEY_WORDS.get(spell.spell, "shot")
    plural = f"{count} {word}{'s' if count != 1 else ''}"
    if len(names) > count:
        raise RulesError(f"{spell.spell} makes {plural} here: name at most {count} target"
                         f"{'s' if count != 1 else ''} ({len(names)} given).")
    if not names:
        names = [_only_foe(state, caster, spell.spell)]
    if len(names) == 1:
        names = names * count
    elif len(names) < count:
        raise RulesError(f"{spell.spell} makes {plural}: name one target for all of them, or one for each {word}, "
                         f"repeating a name to send more than one at it (e.g. `!cast {spell.spell} at "
                         f"{', '.join([names[0]] * (count - len(names) + 1) + names[1:])}`).")
    return [find_combatant(state, n) for n in names]


def cast(state: CombatState, caster_id: str, spell: CastResult, targets: Sequence[str] = (),
         rng: random.Random | None = None) -> tuple[CombatState, SpellResult]:
    """``spell`` (already paid for by :func:`dnd.spellcasting.cast_spell`) takes effect on the caster's turn.

    A spell attack is one attack roll at one target (spell attack bonus against AC; a critical hit doubles the
    dice); a spell of several beams, rays or darts (Eldritch Blast, Scorching Ray, Magic Missile) sends each at
    the target named for it, each its own attack roll (or dart that always hits) and damage; a saving-throw
    spell makes every target save against the spell save DC, damage rolled once (full on a failure, half on a
    success when the spell says so, else none; two damage types each meet the target's defenses); a healing
    spell heals each target named up to its limit (the caster when none is named), rolled once; temporary hit
    points (the higher of the old and new) and Aid's raised maximum go to each target; damage without attack
    or save always hits one target. A smite or Flaming Sphere is held for later (:func:`cast_again`). A harmful
    spell with no target named aims at the only foe standing. Other spells are recorded; their effect is
    narrated. Metamagic (`dnd.metamagic`, paid for already): Twinned Spell gives a one-target spell a second
    target, each its own roll; Heightened Spell gives the first target disadvantage on its save.
    """
    caster = check_turn(state, caster_id)
    if caster.dead or caster.hp == 0 or is_incapacitated(caster.conditions):
        raise RulesError(f"{caster.name} can't cast spells right now"
                         + (f" ({', '.join(caster.conditions)})." if caster.conditions else "."))
    kind = _spell_kind(spell)
    chosen = _spell_targets(state, caster, spell, kind, targets)
    for target in chosen:  # refused before anything is spent: Hold Person at an ogre
        if (why := unaffected(spell.spell, target)) is not None:
            raise RulesError(why)
    names = list(dict.fromkeys(c.name for c in chosen))
    at = f" at {', '.join(names)}" if chosen else ""
    state = mark_started(state)
    state = log_event(state, "cast", f"{caster.name} casts {spell.spell}{at}.", actor=caster.id)
    zone = spell.spell in ZONE_SPELLS
    lasting: list[Line] = []
    if spell.concentration or zone:
        trigger = "turn_start" if zone or _heroism(spell) else spell.later
        state, lasting = start_spell(state, OngoingSpell(
            caster_id=caster.id, spell=spell.spell, concentration=spell.concentration, trigger=trigger,
            targets=[c.id for c in chosen] if trigger == "turn_start" else [],
            temp_hp=int(spell.temp_hp) if _heroism(spell) else 0,
            damage=spell.damage, damage_type=spell.damage_type, save=spell.save, save_dc=spell.save_dc,
            half_on_success=spell.save_effect == "half", rounds_left=lasting_rounds(spell)))
    if zone:
        return state, SpellResult(caster.name, spell.spell, "other", names,
                                  told=[*lasting, ZoneCast(spell.spell, tuple(names))])
    state, result = _resolve(state, caster, spell, kind, chosen, rng)
    if result.save is not None and spell.spell in HOLDS:  # those who failed are held (dnd.combat.holds)
        state, held = take_hold(state, caster.id, spell.spell, result.save, spell.concentration,
                                rounds=lasting_rounds(spell))
        result = dataclasses.replace(result, told=[*result.told, *held])
    if spell.later:
        result = dataclasses.replace(result, told=[*result.told, SpellWaits(caster.name, spell.spell, spell.later)])
    return state, dataclasses.replace(result, told=[*lasting, *result.told]) if lasting else result


# Spells whose area hurts a creature that starts its turn there (the SRD's wording), for as long as they last.
ZONE_SPELLS = frozenset({"Spirit Guardians", "Moonbeam", "Cloud of Daggers", "Cloudkill", "Insect Plague"})


def _resolve(state: CombatState, caster: Combatant, spell: CastResult, kind: SpellKind, chosen: list[Combatant],
             rng: random.Random | None) -> tuple[CombatState, SpellResult]:
    names = list(dict.fromkeys(c.name for c in chosen))
    if spell.projectiles:
        return _volley(state, caster, spell, kind, chosen, rng)
    if kind == "attack":  # one target, or two with Twinned Spell, each its own roll
        hits: list[AttackResult] = []
        for target in chosen:
            state, hit = _spell_attack(state, caster, spell, target, spell.damage, rng)
            hits.append(hit)
        return state, SpellResult(caster.name, spell.spell, kind, names, attack=hits[0], attacks=hits,
                                  damage=sum(h.damage for h in hits), told=[line for h in hits for line in h.told])
    if kind == "save":
        spared = _careful(caster, spell, chosen) if spell.metamagic == CAREFUL else []
        state, saved = _spell_save(state, caster, spell.spell, chosen, spell.save, spell.save_dc, spell.damage,
                                   spell.damage_type, spell.save_effect == "half", rng,
                                   heightened=spell.metamagic == HEIGHTENED, spared=spared)
        return state, SpellResult(caster.name, spell.spell, kind, names, save=saved, told=saved.told)
    if kind == "heal":
        return _heal_all(state, caster, spell, chosen, rng)
    if kind == "boost":
        return _boost_all(state, caster, spell, chosen, rng)
    if kind == "damage":
        told: list[Line] = []
        dealt = 0
        for target in chosen:
            state, done = _always_hits(state, caster, spell.spell, target, spell.damage, spell.damage_type, rng, told)
            dealt += done
        return state, SpellResult(caster.name, spell.spell, kind, names, damage=dealt, told=told)
    if kind == "later":
        return state, SpellResult(caster.name, spell.spell, kind, names)
    return state, SpellResult(caster.name, spell.spell, kind, names,
                              told=[SpellNarrated(spell.spell, tuple(names))])


def _spell_attack(state: CombatState, caster: Combatant, spell: CastResult, target: Combatant, damage: str,
                  rng: random.Random | None) -> tuple[CombatState, AttackResult]:
    return attack(state, caster.id, target.id, spell.spell, rng, attack_bonus=spell.attack_bonus or 0,
                  damage=damage, damage_type=spell.damage_type, ranged=spell.attack == "ranged", magical=True)


def _careful(caster: Combatant, spell: CastResult, chosen: Sequence[Combatant]) -> list[str]:
    """Careful Spell: the caster's allies among the targets (itself included), up to its CHA modifier (at least
    one), in the order named."""
    allies = [c.id for c in chosen if c.kind == caster.kind]
    if not allies:
        raise RulesError(f"Careful Spell spares the caster's allies caught in {spell.spell}, and none of its targets "
                         "is one: name them among the targets, or cast it without.")
    return allies[:max(1, ability_modifier(caster.character, "CHA")) if caster.character is not None else 1]


def _spell_save(state: CombatState, caster: Combatant, spell: str, chosen: Sequence[Combatant], save: str | None,
                dc: int | None, damage: str, damage_type: str, half: bool,
                rng: random.Random | None, *, heightened: bool = False,
                spared: Sequence[str] = ()) -> tuple[CombatState, SaveResult]:
    """``heightened``: Heightened Spell, the first target saves with disadvantage; ``spared``: the targets that
    succeed without rolling (Careful Spell)."""
    if dc is None:
        raise RulesError(f"{spell} needs a save DC.")
    state, saved = saving_throw(state, [c.id for c in chosen], save, dc, rng, damage=damage or None,
                                damage_type=damage_type, half_on_success=half, source=spell, actor_id=caster.id,
                                magical=True, disadvantage_for=chosen[0].id if heightened and chosen else None,
                                succeed_for=spared,
                                frightens=spell in HOLDS and "Frightened" in HOLDS[spell].conditions)
    if not damage and any(not o.success for o in saved.outcomes):
        saved = dataclasses.replace(saved, told=[*saved.told, SpellTakesHold(spell)])
    return state, saved


def _always_hits(state: CombatState, caster: Combatant, spell: str, target: Combatant, dice: str, damage_type: str,
                 rng: random.Random | None, told: list[Line]) -> tuple[CombatState, int]:
    """Damage that needs no attack roll or save (a dart of Magic Missile), after the target's defenses."""
    damage_roll = roll_dice(f"{dice} {spell} damage", rng)
    by_type = dict(damage_roll.damage_by_type) or {damage_type.casefold(): damage_roll.total}
    dealt, defenses = defend(target, by_type, True)
    state, applied = apply_damage(state, target.id, dealt, critical=False, actor_id=caster.id, source=spell)
    after = find_anywhere(state, target.id)
    told += [Rolled(damage_roll), *defenses, DamageTaken(target.name, dealt, after.hp, after.max_hp, spell),
             *applied.told]
    state, kept = check_concentration(state, target.id, dealt, rng)
    told += kept
    return state, dealt


def _volley(state: CombatState, caster: Combatant, spell: CastResult, kind: SpellKind, chosen: list[Combatant],
            rng: random.Random | None) -> tuple[CombatState, SpellResult]:
    """Each beam, ray or dart at its own target in turn: an attack roll each (or a dart that always hits); those
    still aimed at a creature already down are lost."""
    told: list[Line] = [Volley(spell.spell, _VOLLEY_WORDS.get(spell.spell, "shot"), tuple(c.name for c in chosen))]
    hits: list[AttackResult] = []
    dealt = 0
    for number, target in enumerate(chosen):
        if not any(c.id == target.id and c.active for c in state.combatants):
            left = sum(1 for c in chosen[number:] if c.id == target.id)
            if not any(isinstance(line, AttacksUnused) and line.target == target.name for line in told):
                told.append(AttacksUnused(target.name, left))
            continue
        if kind == "attack":
            state, hit = _spell_attack(state, caster, spell, target, spell.damage_each, rng)
            hits.append(hit)
            told += hit.told
            dealt += hit.damage
        else:
            state, done = _always_hits(state, caster, spell.spell, target, spell.damage_each, spell.damage_type, rng,
                                       told)
            dealt += done
    names = list(dict.fromkeys(c.name for c in chosen))
    return state, SpellResult(caster.name, spell.spell, "attack" if kind == "attack" else "damage", names,
                              attack=hits[0] if hits else None, attacks=hits, damage=dealt, told=told)


def _heal_all(state: CombatState, caster: Combatant, spell: CastResult, chosen: list[Combatant],
              rng: random.Random | None) -> tuple[CombatState, SpellResult]:
    """Each target regains the hit points rolled once for all of them (Mass Cure Wounds' 3d8 + modifier)."""
    heal_roll = roll_dice(f"{spell.healing} {spell.spell}", rng)
    told: list[Line] = [Rolled(heal_roll)]
    heals: list[HealResult] = []
    for target in chosen:
        if spell.living_only and target.monster is not None and target.monster.type.casefold() in _NOT_HEALED:
            told.append(NotOnUndeadOrConstructs(target.name, spell.spell))
            continue
        state, healed = heal(state, target.id, max(0, heal_roll.total), actor_id=caster.id, source=spell.spell)
        heals.append(healed)
        told += healed.told
    return state, SpellResult(caster.name, spell.spell, "heal", [c.name for c in chosen],
                              heal=heals[0] if heals else None, heals=heals, told=told)


def _boost_all(state: CombatState, caster: Combatant, spell: CastResult, chosen: list[Combatant],
               rng: random.Random | None) -> tuple[CombatState, SpellResult]:
    """Temporary hit points (rolled once: False Life) or Aid's raised maximum, to each target; Heroism's come at
    the start of each of the target's turns instead (:func:`zone_ticks`)."""
    names = [c.name for c in chosen]
    if _heroism(spell):
        return state, SpellResult(caster.name, spell.spell, "boost", names,
                                  told=[SpellNarrated(spell.spell, tuple(names))])
    told: list[Line] = []
    for target in chosen:
        if spell.max_hp_bonus:
            state, raised = raise_max_hp(state, target.id, spell.max_hp_bonus, spell.spell)
            told += raised
            continue
        amount = roll_dice(f"{spell.temp_hp} {spell.spell} temporary hit points", rng)
        told.append(Rolled(amount))
        state, gained = gain_temp_hp(state, target.id, amount.total, spell.spell)
        told.append(gained)
    return state, SpellResult(caster.name, spell.spell, "boost", names, told=told)


def held_spell(state: CombatState, caster_id: str, spell: str) -> OngoingSpell | None:
    """The spell ``caster_id`` holds that it may use again on a later turn (Flaming Sphere with a bonus action,
    Call Lightning with an action), if that is ``spell``."""
    return next((o for o in state.ongoing if o.caster_id == caster_id and o.trigger in ("bonus_action", "action")
                 and name_key(o.spell) == name_key(spell)), None)


def cast_again(state: CombatState, caster_id: str, spell: str, targets: Sequence[str] = (),
               rng: random.Random | None = None) -> tuple[CombatState, SpellResult]:
    """A held spell used again on the caster's turn, no slot spent (the caller spends the bonus action or
    action): Flaming Sphere rammed into one creature, Call Lightning's bolt on the creatures near its point;
    each target saves against the spell's DC (the damage it was cast with, half on a success)."""
    caster = check_turn(state, caster_id)
    if caster.dead or caster.hp == 0 or is_incapacitated(caster.conditions):
        raise RulesError(f"{caster.name} can't act right now.")
    held = held_spell(state, caster_id, spell)
    if held is None:
        raise RulesError(f"{caster.name} holds no {spell} to use again.")
    names = [n.strip() for n in targets if n.strip()] or [_only_foe(state, caster, held.spell)]
    if held.trigger == "bonus_action" and len(names) > 1:
        raise RulesError(f"{held.spell} rams one creature: name one ({', '.join(names)} given).")
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    state = log_event(state, "cast", f"{caster.name} uses {held.spell} at {', '.join(c.name for c in chosen)}.",
                      actor=caster.id)
    if held.save:
        state, saved = _spell_save(state, caster, held.spell, chosen, held.save, held.save_dc, held.damage,
                                   held.damage_type, held.half_on_success, rng)
        return state, SpellResult(caster.name, held.spell, "save", [c.name for c in chosen], save=saved,
                                  told=saved.told)
    told: list[Line] = []
    dealt = 0
    for target in chosen:
        state, done = _always_hits(state, caster, held.spell, target, held.damage, held.damage_type, rng, told)
        dealt += done
    return state, SpellResult(caster.name, held.spell, "damage", [c.name for c in chosen], damage=dealt, told=told)


def zone_ticks(state: CombatState, rng: random.Random | None = None) -> tuple[CombatState, list[Line]]:
    """The start of the current creature's turn inside zone spells: each one it is in acts on it once this turn
    (its saving throw against the caster's DC, damage full or half, or damage that always lands)."""
    told: list[Line] = []
    actor = current_actor(state)
    for effect in list(state.ongoing):
        if (effect.trigger != "turn_start" or actor.id not in effect.targets or not actor.active
                or effect.ticked.get(actor.id) == state.round or (actor.id == effect.caster_id and not effect.temp_hp)):
            continue
        marked = effect.model_copy(update={"ticked": {**effect.ticked, actor.id: state.round}})
        state = state.model_copy(update={"ongoing": [marked if o == effect else o for o in state.ongoing]})
        if effect.temp_hp:  # Heroism: temporary hit points at the start of each of the target's turns
            state, gained = gain_temp_hp(state, actor.id, effect.temp_hp, effect.spell)
            told.append(gained)
            continue
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


def cast_monster_spell(state: CombatState, monster_id: str, name: str, targets: Sequence[str] = (),
                       rng: random.Random | None = None) -> tuple[CombatState, SpellResult]:
    """A monster casts ``name`` from its Spellcasting at ``targets`` on its turn: paid for
    (`dnd.combat.monster_spells`), then resolved as any spell is."""
    monster = check_turn(state, monster_id)
    paid, spell = monster_spell(monster, name)
    return cast(replace_combatant(state, paid), monster.id, spell, targets, rng)
