"""A character's other actions and bonus actions in a fight (SRD 5.1), each spent through `dnd.combat.economy`.

Actions: Dash (speed doubled this turn: shown, movement isn't tracked), Disengage (no opportunity attacks
against it this turn: the DM's `leaves reach` is refused), Dodge (attacks at it have disadvantage and it has
advantage on DEX saves until its next turn), Help (the ally named has advantage on its next attack roll),
Hide (a Stealth check, its total kept: the next attack roll has advantage and reveals it), Ready (a trigger and
a response in the player's words; the response is taken later as a reaction, `dnd.combat.reactions`).

Bonus actions and features: Rage, Second Wind (1d10 + fighter level hit points), Action Surge (one more
action), Martial Arts' unarmed strike after the Attack action, Flurry of Blows (1 ki: two unarmed strikes).
The caller spends the feature's use on the sheet (`dnd.feats.use_resource`) in the same transaction.
"""

from __future__ import annotations

import random

from dnd.actions import ability_check
from dnd.character import class_level, equipped_armor, speed
from dnd.class_features import SECOND_WIND, second_wind_level
from dnd.combat.attacks import attack
from dnd.combat.economy import action_surge as surge
from dnd.combat.economy import take_action, take_bonus_action
from dnd.combat.effects import heal
from dnd.combat.features import PHYSICAL, martial_arts_die, rage_damage
from dnd.combat.lines import FeatureUsed, Line, Rolled
from dnd.combat.results import AttackResult, FeatureResult
from dnd.combat.state import (
    CombatState,
    check_turn,
    find_combatant,
    log_event,
    mark_started,
    replace_combatant,
    roll_dice,
)
from dnd.errors import RulesError
from dnd.monsters import Combatant


def _done(state: CombatState, actor: Combatant, feature: str, detail: str,
          told: list[Line] | None = None) -> tuple[CombatState, FeatureResult]:
    state = log_event(mark_started(state), "condition", f"{actor.name}: {feature}.", actor=actor.id)
    return state, FeatureResult(actor.name, feature, [*(told or []), FeatureUsed(actor.name, feature, detail)])


def _sheet(actor: Combatant) -> Combatant:
    if actor.character is None:
        raise RulesError(f"{actor.name} has no character sheet in this fight.")
    return actor


def dash(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult]:
    state = take_action(state, actor_id, "dash")
    actor = _sheet(check_turn(state, actor_id))
    feet = speed(actor.character) if actor.character else 30
    return _done(state, actor, "Dash", f"{feet * 2} ft of movement this turn (speed {feet} ft, doubled)")


def disengage(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult]:
    state = take_action(state, actor_id, "disengage")
    actor = check_turn(state, actor_id)
    state = replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
        update={"disengaged": True})}))
    return _done(state, actor, "Disengage", "its movement provokes no opportunity attacks this turn")


def dodge(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult]:
    state = take_action(state, actor_id, "dodge")
    actor = check_turn(state, actor_id)
    state = replace_combatant(state, actor.model_copy(update={"dodging": True}))
    return _done(state, actor, "Dodge", "attacks at them have disadvantage and they have advantage on DEX saves "
                 "until their next turn")


def help_action(state: CombatState, actor_id: str, ally: str) -> tuple[CombatState, FeatureResult]:
    """The Help action: the ally's next attack roll has advantage (until the helper's next turn is not
    counted: the help stands until the ally attacks)."""
    helped = find_combatant(state, ally)
    if helped.id == actor_id:
        raise RulesError("Help someone else: `!help_action <ally>`.")
    if helped.kind != "character":
        raise RulesError(f"{helped.name} is not one of the party.")
    state = take_action(state, actor_id, "help")
    actor = check_turn(state, actor_id)
    helped = find_combatant(state, ally)
    state = replace_combatant(state, helped.model_copy(update={"economy": helped.economy.model_copy(
        update={"helped_by": actor.name})}))
    return _done(state, actor, "Help", f"{helped.name} has advantage on their next attack roll")


def hide(state: CombatState, actor_id: str, rng: random.Random | None = None) -> tuple[CombatState, FeatureResult]:
    """The Hide action: a Stealth check (the DM compares it to the foes' passive Perception); the total is kept,
    and the character's next attack roll has advantage."""
    state = take_action(state, actor_id, "hide")
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    test = ability_check(actor.character.model_copy(update={"conditions": list(actor.conditions)}), "Stealth")
    if test.mode == "auto_fail":
        raise RulesError(f"{actor.name} can't hide right now ({', '.join(test.reasons)}).")
    rolled = roll_dice(test.expression() + f" {actor.name} Stealth", rng)
    state = replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
        update={"hidden": rolled.total})}))
    return _done(state, actor, "Hide", f"Stealth {rolled.total}: hidden from foes whose passive Perception is "
                 "lower; their next attack roll has advantage", [Rolled(rolled)])


def ready(state: CombatState, actor_id: str, what: str) -> tuple[CombatState, FeatureResult]:
    what = " ".join(what.split())
    if not what:
        raise RulesError("Ready what, and when? For example `!ready attack the first goblin that comes through "
                         "the door`.")
    if len(what) > 200:
        raise RulesError("Say the readied action in 200 characters or fewer.")
    state = take_action(state, actor_id, "ready")
    actor = check_turn(state, actor_id)
    state = replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
        update={"readied": what})}))
    return _done(state, actor, "Ready", f"“{what}” — when it happens, `!react attack <target>` takes it as the "
                 "reaction")


def rage(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult]:
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    if not class_level(actor.character, "Barbarian"):
        raise RulesError(f"{actor.name} is not a Barbarian.")
    if actor.raging:
        raise RulesError(f"{actor.name} is already raging.")
    body, _ = equipped_armor(actor.character)
    if body is not None and body.category == "heavy":
        raise RulesError(f"{actor.name} can't rage in heavy armor ({body.name}).")
    state = take_bonus_action(state, actor_id, "Rage")
    actor = check_turn(state, actor_id)
    state = replace_combatant(state, actor.model_copy(update={"raging": True}))
    return _done(state, actor, "Rage", f"+{rage_damage(actor.character)} damage on STR melee weapon attacks, "
                 f"resistance to {', '.join(PHYSICAL)} damage, advantage on STR checks and saves, until the fight "
                 "ends")


def second_wind(state: CombatState, actor_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, FeatureResult]:
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    level = second_wind_level(actor.character, actor.hp, actor.max_hp)
    state = take_bonus_action(state, actor_id, SECOND_WIND)
    state, healed = heal(state, actor_id, f"1d10+{level}", rng, actor_id=actor_id, source=SECOND_WIND)
    return _done(state, actor, SECOND_WIND, f"regains {healed.healed} HP", healed.told)


def action_surge(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult]:
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    if class_level(actor.character, "Fighter") < 2:
        raise RulesError(f"{actor.name} doesn't have Action Surge (Fighter 2).")
    state = surge(state, actor_id)
    return _done(state, actor, "Action Surge", "one more action this turn")


def martial_arts_strike(state: CombatState, actor_id: str, target: str, rng: random.Random | None = None, *,
                        flurry: bool = False) -> tuple[CombatState, list[AttackResult]]:
    """Martial Arts: after the Attack action, one unarmed strike as a bonus action; Flurry of Blows (the caller
    spends 1 ki): two."""
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    if not martial_arts_die(actor.character):
        raise RulesError(f"{actor.name} is not a Monk.")
    if actor.action_this_turn != "attack":
        raise RulesError(f"{actor.name} must take the Attack action first (`!attack`), then the bonus strike.")
    state = take_bonus_action(state, actor_id, "Flurry of Blows" if flurry else "Martial Arts")
    target_id = find_combatant(state, target).id
    results = []
    for _ in range(2 if flurry else 1):
        if not any(c.id == target_id and c.hp > 0 for c in state.combatants):
            break  # the first blow dropped it
        state, result = attack(state, actor_id, target_id, "unarmed strike", rng)
        results.append(result)
    return state, results


def ki_bonus_action(state: CombatState, actor_id: str, which: str) -> tuple[CombatState, FeatureResult]:
    """A monk's ki as a bonus action (the caller spends 1 ki point): Patient Defense (the Dodge action) or Step of
    the Wind (the Disengage or the Dash action)."""
    actor = _sheet(check_turn(state, actor_id))
    assert actor.character is not None
    if class_level(actor.character, "Monk") < 2:
        raise RulesError(f"{actor.name} has no ki (Monk 2).")
    feature = "Patient Defense" if which == "dodge" else "Step of the Wind"
    state = take_bonus_action(state, actor_id, feature)
    actor = check_turn(state, actor_id)
    if which == "dodge":
        state = replace_combatant(state, actor.model_copy(update={"dodging": True}))
        detail = "the Dodge action as a bonus action: attacks at them have disadvantage until their next turn"
    elif which == "disengage":
        state = replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
            update={"disengaged": True})}))
        detail = "the Disengage action as a bonus action, and their jump distance doubled"
    else:
        feet = speed(actor.character) if actor.character else 30
        detail = f"the Dash action as a bonus action: {feet} ft more movement this turn"
    return _done(state, actor, feature, detail)
