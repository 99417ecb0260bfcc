"""Reactions out of turn (SRD 5.1), each spending the character's one reaction until its next turn starts.

A hit on a conscious character leaves it an *offer* (`Combatant.offers`, made by `dnd.combat.attacks`): the
hit's roll and damage. The offers last until a character next acts or ends a turn
(`dnd.combat.economy.clear_offers`), so a reaction answers the attacks that just happened:

* Shield (the spell; the caller spends the slot): +5 AC until the start of the caster's next turn, and every
  offered hit whose roll no longer reaches the new AC (a natural 20 always does) misses after all.
* Uncanny Dodge (Rogue 5): the damage of the last offered hit is halved (rounded down).
* Hellish Rebuke (the spell; the caller spends the slot): the creature whose hit damaged the character last makes
  a Dexterity save against the caster's spell save DC, taking the spell's fire damage (half on a success). It
  answers the damage once taken, so a character the hit dropped can't cast it.

The hits are replayed from the hit points the character had before the first one changed, so falling
unconscious (or dying of massive damage) is undone when the new damage wouldn't have done it.

* An opportunity attack: when the DM says a creature leaves a character's reach (:func:`leaves_reach`, refused
  for a character that took the Disengage action), that character may make one melee attack at it.
* A readied action: the Ready action's response, taken as an attack at the target the player names.
* Giant Killer (a Hunter's Hunter's Prey): an attack at a Large or larger creature that just attacked the ranger,
  hit or miss (within 5 feet: the player says so, there is no map).
* Protection (the fighting style, with a shield): disadvantage on the attack that just hit an ally, rolled now.

A blow that leaves every hero down does not end the fight at once while a character it struck could still turn
it (:func:`blow_held`): the fight is decided when they react, or let it stand (:func:`let_pass`), and the
decided outcome (:func:`settled_outcome`) stays "ongoing" until then.
"""

from __future__ import annotations

import random

from dnd.character import DeathSaves, equipped_armor, has_fighting_style
from dnd.combat.attacks import SHIELD_AC, attack
from dnd.combat.counterspell import can_counter
from dnd.combat.damage import apply_damage
from dnd.combat.economy import take_reaction
from dnd.combat.features import has_feature
from dnd.combat.lines import FeatureUsed, HitUndone, Line, Rolled
from dnd.combat.results import AttackResult, FeatureResult
from dnd.combat.saves import saving_throw
from dnd.combat.state import (
    CombatState,
    Outcome,
    find_anywhere,
    find_combatant,
    log_event,
    outcome,
    replace_combatant,
    roll_dice,
)
from dnd.errors import RulesError
from dnd.monsters import Combatant, ReactionOffer
from dnd.spellcasting import CastResult, is_castable


def _hits(me: Combatant) -> list[ReactionOffer]:
    return [o for o in me.offers if o.kind == "hit"]


def _protects(me: Combatant, state: CombatState) -> bool:
    return (me.character is not None and has_fighting_style(me.character, "Protection")
            and equipped_armor(me.character)[1] is not None
            and any(_hits(c) for c in state.combatants if c.id != me.id and c.kind == "character"))


def who_may_react(state: CombatState) -> list[Combatant]:
    """The characters with a reaction they could take now against what was just offered: an opportunity attack at
    a creature leaving their reach (or Giant Killer's at a Large one that attacked them), Shield (known or
    prepared) or Uncanny Dodge against a hit they took, Protection for an ally just hit, Counterspell against a
    spell being cast (`dnd.combat.counterspell`). A hit on a character with none of these offers it nothing to
    answer."""
    ready = []
    for me in state.combatants:
        if me.kind != "character" or me.character is None or me.economy.reaction is not None or me.dead:
            continue
        # the spell and feature look-ups only for a character that was hit: the gate asks after every command
        answers_hit = bool(_hits(me)) and (is_castable(me.character, "Shield")
                                           or has_feature(me.character, "Uncanny Dodge")
                                           or (me.hp > 0 and is_castable(me.character, HELLISH_REBUKE)))
        strikes = me.hp > 0 and any(o.kind in ("leaves_reach", "attacked") for o in me.offers)
        counters = any(o.kind == "spell" for o in me.offers) and can_counter(me)
        if answers_hit or strikes or counters or (me.hp > 0 and _protects(me, state)):
            ready.append(me)
    return ready


def blow_held(state: CombatState) -> list[Combatant]:
    """Every hero is down, but a blow that did it can still be turned by the character it struck (Shield, Uncanny
    Dodge): those characters. Until they react or let it stand, the fight is not lost."""
    return who_may_react(state) if outcome(state) == "defeat" else []


def settled_outcome(state: CombatState) -> Outcome:
    """The fight's outcome, "ongoing" while a blow that would lose it is held for a reaction (:func:`blow_held`)."""
    decided = outcome(state)
    return "ongoing" if decided == "defeat" and blow_held(state) else decided


def let_pass(state: CombatState, combatant_id: str) -> tuple[CombatState, FeatureResult]:
    """The character takes no reaction to what was just offered: the offers lapse (a blow held stands)."""
    me = find_anywhere(state, combatant_id)
    if not me.offers:
        raise RulesError(f"Nothing has happened that {me.name} could react to: no reaction is offered.")
    state = replace_combatant(state, me.model_copy(update={"offers": []}))
    return state, FeatureResult(me.name, "No reaction", [FeatureUsed(me.name, "No reaction", "lets the moment pass")])


def _replay(state: CombatState, me: Combatant, amounts: list[int], told: list[Line]) -> CombatState:
    """The character's hits again, with their new damage (``amounts``, one per offered hit), from the hit points
    it had before the first one that changed; the log gets one correction per changed hit."""
    hits = _hits(me)
    first = next(i for i, (o, a) in enumerate(zip(hits, amounts, strict=True)) if o.amount != a)
    start = hits[first]
    conditions = [c for c in me.conditions if c != "Unconscious"]
    base = me.model_copy(update={"hp": start.hp_before, "temp_hp": start.temp_before, "conditions": conditions,
                                 "death_saves": DeathSaves(), "stable": False, "dead": False, "defeated": False})
    scratch = replace_combatant(state, base)
    for offer, amount in zip(hits[first:], amounts[first:], strict=True):
        if amount:
            scratch, _ = apply_damage(scratch, me.id, amount, critical=offer.critical, actor_id=offer.other_id,
                                      source=offer.other_name)
    after = find_anywhere(scratch, me.id)
    state = _fall_undone(replace_combatant(state, after.model_copy(update={"offers": []})), after, start.logged_at)
    for offer, amount in zip(hits[first:], amounts[first:], strict=True):
        if amount != offer.amount:
            state = log_event(state, "damage", f"{me.name}'s reaction: {offer.amount - amount} damage of "
                              f"{offer.other_name}'s hit undone.", actor=offer.other_id, target=me.id,
                              amount=amount - offer.amount)
            told.append(HitUndone(me.name, offer.other_name, offer.amount, amount, after.hp, after.max_hp))
    return state


def _fall_undone(state: CombatState, after: Combatant, logged_at: int) -> CombatState:
    """The fall (or death) the hits logged since ``logged_at`` no longer happens after the replay: it leaves the
    log, so the fight's summary doesn't count it."""
    undone = {kind for kind, still in (("fell", after.hp == 0), ("dead", after.dead)) if not still}
    kept = [e for i, e in enumerate(state.log) if i < logged_at or e.target_id != after.id or e.kind not in undone]
    return state if len(kept) == len(state.log) else state.model_copy(update={"log": kept})


def _offered_hits(state: CombatState, combatant_id: str, what: str) -> Combatant:
    me = find_anywhere(state, combatant_id)
    if not _hits(me):
        raise RulesError(f"{what} answers an attack that hits {me.name}, and none has since {me.name}'s side last "
                         "acted: no reaction is offered.")
    return me


def shield(state: CombatState, combatant_id: str) -> tuple[CombatState, FeatureResult]:
    """The Shield spell as a reaction to a hit (the caller checks the spell and spends the slot)."""
    me = _offered_hits(state, combatant_id, "Shield")
    state = take_reaction(state, combatant_id, "Shield", to_a_hit=True)
    me = find_anywhere(state, combatant_id)
    ac = me.ac + SHIELD_AC
    me = me.model_copy(update={"ac": ac, "economy": me.economy.model_copy(update={"shield": SHIELD_AC})})
    state = replace_combatant(state, me)
    amounts = [0 if o.natural != 20 and o.total < ac else o.amount for o in _hits(me)]
    told: list[Line] = [FeatureUsed(me.name, "Shield", f"+{SHIELD_AC} AC (AC {ac}) until their next turn")]
    if amounts != [o.amount for o in _hits(me)]:
        state = _replay(state, me, amounts, told)
    else:
        state = replace_combatant(state, me.model_copy(update={"offers": []}))
    state = log_event(state, "cast", f"{me.name} casts Shield as a reaction.", actor=me.id)
    return state, FeatureResult(me.name, "Shield", told)


HELLISH_REBUKE = "Hellish Rebuke"


def hellish_rebuke(state: CombatState, combatant_id: str, spell: CastResult,
                   rng: random.Random | None = None) -> tuple[CombatState, FeatureResult]:
    """Hellish Rebuke as a reaction to the last offered hit: its attacker saves against ``spell`` (paid for by
    the caller: its DC and damage at the slot level)."""
    me = _offered_hits(state, combatant_id, HELLISH_REBUKE)
    attacker = find_anywhere(state, _hits(me)[-1].other_id)
    if not attacker.active:
        raise RulesError(f"{attacker.name} is out of the fight: there is no one to rebuke.")
    state = take_reaction(state, combatant_id, HELLISH_REBUKE)
    me = find_anywhere(state, combatant_id)
    state = replace_combatant(state, me.model_copy(update={"offers": []}))
    state, saved = saving_throw(state, [attacker.id], "DEX", spell.save_dc or 10, rng, damage=spell.damage,
                                damage_type="fire", half_on_success=True, source=HELLISH_REBUKE, magical=True,
                                dealt_by=me.id)
    state = log_event(state, "cast", f"{me.name} casts Hellish Rebuke at {attacker.name} as a reaction.", actor=me.id,
                      target=attacker.id)
    told: list[Line] = [FeatureUsed(me.name, HELLISH_REBUKE, f"flames engulf {attacker.name}"), *saved.told]
    return state, FeatureResult(me.name, HELLISH_REBUKE, told)


def uncanny_dodge(state: CombatState, combatant_id: str) -> tuple[CombatState, FeatureResult]:
    """Uncanny Dodge: the last offered hit's damage is halved."""
    me = find_anywhere(state, combatant_id)
    if not has_feature(me.character, "Uncanny Dodge"):
        raise RulesError(f"{me.name} doesn't have Uncanny Dodge (Rogue 5).")
    me = _offered_hits(state, combatant_id, "Uncanny Dodge")
    state = take_reaction(state, combatant_id, "Uncanny Dodge", to_a_hit=True)
    me = find_anywhere(state, combatant_id)
    hits = _hits(me)
    amounts = [o.amount for o in hits[:-1]] + [hits[-1].amount // 2]
    told: list[Line] = [FeatureUsed(me.name, "Uncanny Dodge", f"{hits[-1].other_name}'s hit deals half damage")]
    if amounts[-1] != hits[-1].amount:
        state = _replay(state, me, amounts, told)
    else:
        state = replace_combatant(state, me.model_copy(update={"offers": []}))
    return state, FeatureResult(me.name, "Uncanny Dodge", told)


def leaves_reach(state: CombatState, creature: str, characters: list[str]) -> tuple[CombatState, FeatureResult]:
    """The DM says ``creature`` leaves the reach of ``characters``: each may make an opportunity attack at it."""
    mover = find_combatant(state, creature)
    if mover.economy.disengaged:
        raise RulesError(f"{mover.name} took the Disengage action: leaving reach provokes no opportunity attack.")
    if not characters:
        raise RulesError("Whose reach does it leave? Name the characters.")
    told: list[Line] = []
    for name in characters:
        who = find_combatant(state, name)
        if who.id == mover.id:
            raise RulesError(f"{mover.name} can't provoke itself.")
        offer = ReactionOffer(kind="leaves_reach", other_id=mover.id, other_name=mover.name)
        state = replace_combatant(state, who.model_copy(update={"offers": [*who.offers, offer]}))
        told.append(FeatureUsed(who.name, "Opportunity attack", f"{mover.name} leaves their reach: "
                                "`!react attack` to strike"))
    return state, FeatureResult(mover.name, "Leaves reach", told)


def _reaction_attack_kind(me: Combatant, aimed: Combatant, provoked: bool) -> str:
    """Which reaction an attack out of turn is: an opportunity attack, a Hunter's Giant Killer (at the Large or
    larger creature whose attack, hit or miss, left the offer: `dnd.combat.attacks`), or a readied attack; refused
    when none is open."""
    if provoked:
        return "Opportunity attack"
    if any(o.kind == "attacked" and o.other_id == aimed.id for o in me.offers):
        return "Giant Killer"
    if me.economy.readied is None:
        raise RulesError(f"No reaction is offered to {me.name} against {aimed.name}: an opportunity attack needs "
                         "the DM to say it leaves your reach, a readied attack the Ready action (a Hunter's Giant "
                         "Killer: a Large or larger creature that just attacked you).")
    return "Readied action"


def reaction_attack(state: CombatState, combatant_id: str, target: str | None, weapon: str | None = None,
                    rng: random.Random | None = None) -> tuple[CombatState, AttackResult]:
    """An opportunity attack at a creature leaving the character's reach, a Giant Killer attack at a Large
    creature that just attacked the ranger (``target`` may be omitted when one creature is offered), or the
    readied action's attack at ``target``: one attack, out of turn, as the reaction."""
    me = find_anywhere(state, combatant_id)
    strikes = [o for o in me.offers if o.kind in ("leaves_reach", "attacked")]
    if target is None:
        if len({o.other_id for o in strikes}) != 1:
            raise RulesError("Attack whom? `!react attack <target>`.")
        target = strikes[0].other_id
    aimed = find_combatant(state, target)
    provoked = any(o.kind == "leaves_reach" and o.other_id == aimed.id for o in strikes)
    kind = _reaction_attack_kind(me, aimed, provoked)
    state = take_reaction(state, combatant_id, kind)
    state, result = attack(state, combatant_id, aimed.id, weapon, rng, ranged=False if provoked else None,
                           reaction=True)
    me = find_anywhere(state, combatant_id)
    offers = [o for o in me.offers if not (o in strikes and o.other_id == aimed.id)]
    economy = me.economy.model_copy(update={"readied": None}) if kind == "Readied action" else me.economy
    return replace_combatant(state, me.model_copy(update={"offers": offers, "economy": economy})), result


def protection(state: CombatState, protector_id: str, ally_name: str,
               rng: random.Random | None = None) -> tuple[CombatState, FeatureResult]:
    """The Protection fighting style: with a shield, the protector imposes disadvantage on the attack that just hit
    an ally next to it (the player says the ally is within 5 feet). The disadvantage is rolled now: a second d20,
    the lower one counts; when the attack no longer reaches the ally's AC (or the lower die is a 1) it misses and
    its damage is undone. A hit that still lands keeps its damage (a critical hit whose 20 is lost stays
    critical: the engine doesn't re-roll damage)."""
    me = find_anywhere(state, protector_id)
    if me.character is None or not has_fighting_style(me.character, "Protection"):
        raise RulesError(f"{me.name} doesn't have the Protection fighting style.")
    if equipped_armor(me.character)[1] is None:
        raise RulesError(f"{me.name} needs a shield to use Protection.")
    ally = find_combatant(state, ally_name)
    if ally.id == me.id:
        raise RulesError("Protection shields an ally, not yourself.")
    hits = _offered_hits(state, ally.id, "Protection")
    last = _hits(hits)[-1]
    state = take_reaction(state, protector_id, "Protection")
    second = roll_dice(f"1d20 {me.name}'s Protection (disadvantage on {last.other_name}'s attack)", rng)
    lower = min(last.natural, second.total)
    total = last.total - last.natural + lower
    ally = find_anywhere(state, ally.id)
    told: list[Line] = [Rolled(second), FeatureUsed(me.name, "Protection", f"{last.other_name}'s roll with "
                                                    f"disadvantage: {lower} ({total} vs AC {ally.ac})")]
    misses = lower != 20 and (lower == 1 or total < ally.ac)
    if misses:
        amounts = [o.amount for o in _hits(ally)[:-1]] + [0]
        state = _replay(state, ally, amounts, told)
    return state, FeatureResult(me.name, "Protection", told)
