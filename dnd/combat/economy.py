"""The action economy of a character's turn (SRD 5.1): one action, one bonus action, and one reaction until its
next turn starts.

* The action: the Attack action (one weapon attack, two with Extra Attack — Barbarian, Fighter, Monk, Paladin,
  Ranger at 5th level —, three with Fighter's Extra Attack (2) at 11th, four with Extra Attack (3) at 20th; a
  warlock's Thirsting Blade: two with the pact weapon),
  casting a spell with a casting time of one action, using an object (a potion), or Dash, Disengage, Dodge,
  Help, Hide, Ready. Action Surge (Fighter 2) gives one more action this turn (once a turn).
* The bonus action: what a feature says takes one (Rage, Second Wind, Martial Arts' unarmed strike).
* The reaction: out of turn (Shield, Uncanny Dodge, an opportunity attack, a readied action); spent until the
  character's next turn starts.

Everything resets when the character's next turn starts (:func:`fresh_turn`, from `dnd.combat.turns.settle`);
the Shield spell's +5 AC ends then. Monsters are not counted here: a monster's turn is its Multiattack or one
attack (`dnd.tactics`, or the owner's `!attack`).

A spell cast as a bonus action (Healing Word, a Quickened Spell) leaves only a cantrip with a casting time of 1
action for the rest of the turn; a leveled spell cast with the action leaves no bonus-action spell
(:func:`take_casting`, given the spell's level).

Not modelled: the free object interaction, movement (speed is shown, not spent).
"""

from __future__ import annotations

import re

from dnd.character import Character, invocations
from dnd.class_choices import pact_weapon
from dnd.combat.state import CombatState, check_turn, find_anywhere, replace_combatant
from dnd.conditions import is_incapacitated
from dnd.errors import RulesError
from dnd.monsters import ActionKind, Combatant, TurnEconomy

_DOING = {"attack": "the Attack action", "cast": "casting a spell", "item": "using an item", "dash": "the Dash action",
          "disengage": "the Disengage action", "dodge": "the Dodge action", "help": "the Help action",
          "hide": "the Hide action", "ready": "the Ready action", "feature": "a class feature"}
_EXTRA_ATTACK = re.compile(r"^Extra Attack(?: \((\d)\))?$")


def wields_pact_weapon(character: Character, weapon: str | None) -> bool:
    """The weapon named (none: the one equipped) is the Pact of the Blade's pact weapon."""
    pact = pact_weapon(character)
    if pact is None:
        return False
    if weapon is not None:
        return " ".join(weapon.split()).casefold() == pact.casefold()
    return any(i.equipped and i.name == pact for i in character.inventory)


def attacks_per_action(character: Character | None, weapon: str | None = None) -> int:
    """The attacks one Attack action makes: 1, plus Extra Attack's (2 with "Extra Attack", 3 with "Extra Attack
    (2)", 4 with "Extra Attack (3)"); a warlock's Thirsting Blade makes 2 with the pact weapon (``weapon``: the one
    attacked with, the equipped one when None)."""
    best = 2 if character and "Thirsting Blade" in invocations(character) and wields_pact_weapon(character, weapon) \
        else 1
    for feature in character.features if character else []:
        found = _EXTRA_ATTACK.match(feature)
        if found:
            best = max(best, 1 + int(found.group(1)) if found.group(1) else 2)
    return best


# What a new turn keeps of the economy (the once-a-turn marks name their turn).
_KEPT = ("hidden", "helped_by", "sneak_attack_turn", "colossus_slayer_turn")
_UNSPENT = TurnEconomy().__dict__


def fresh_turn(combatant: Combatant) -> Combatant:
    """The combatant at the start of its turn: a fresh action, bonus action and reaction; the Dodge and the
    Shield spell's AC end; offers of reactions lapse. Rage, a hidden position, a Help
    received and the Sneak Attack mark stay."""
    economy = combatant.economy
    if (combatant.action_this_turn is None and not combatant.attacks_this_turn and not combatant.dodging
            and not combatant.offers and all(value == _UNSPENT[name] for name, value in economy.__dict__.items()
                                             if name not in _KEPT)):
        return combatant  # nothing was spent since its last turn began (a monster's turn spends none of these)
    return combatant.model_copy(update={
        "action_this_turn": None, "attacks_this_turn": 0, "dodging": False, "offers": [],
        "ac": max(0, combatant.ac - economy.shield),
        "economy": TurnEconomy(**{name: getattr(economy, name) for name in _KEPT})})


def clear_offers(state: CombatState) -> CombatState:
    """A character acted or ended a turn: reactions offered to the others lapse (a reaction answers its trigger
    at once)."""
    if not any(c.offers for c in state.combatants):
        return state
    return state.model_copy(update={"combatants": [c.model_copy(update={"offers": []}) if c.offers else c
                                                   for c in state.combatants]})


def take_action(state: CombatState, combatant_id: str, kind: ActionKind, *, weapon: str | None = None) -> CombatState:
    """Spends the action of the current character's turn on `kind` (one attack of its Attack action at a time,
    ``weapon``: the one it is made with); refuses what the turn no longer allows. An Action Surge's extra action is
    spent when the first is."""
    actor = check_turn(state, combatant_id)
    if actor.kind != "character":
        return state
    state = clear_offers(state)
    actor = check_turn(state, combatant_id)
    used = actor.action_this_turn
    extra = actor.economy.extra_actions
    if kind == "attack" and used == "attack" and actor.attacks_this_turn < attacks_per_action(actor.character, weapon):
        return replace_combatant(state, actor.model_copy(update={"attacks_this_turn": actor.attacks_this_turn + 1}))
    if used is None or extra:
        economy = actor.economy.model_copy(update={"extra_actions": extra - (used is not None)})
        return replace_combatant(state, actor.model_copy(update={
            "action_this_turn": kind, "attacks_this_turn": 1 if kind == "attack" else 0, "economy": economy}))
    if kind == "attack" and used == "attack":
        allowed = attacks_per_action(actor.character, weapon)
        made = "its attack" if allowed == 1 else f"all {allowed} attacks of its Attack action"
        raise RulesError(f"{actor.name} has made {made} this turn. `!end_turn` to pass the turn.")
    raise RulesError(f"{actor.name} has already used this turn's action ({_DOING[used]}). `!end_turn` to pass "
                     "the turn.")


def take_bonus_action(state: CombatState, combatant_id: str, what: str) -> CombatState:
    """Spends the current character's bonus action on `what` (a feature's name); refused when it is spent."""
    actor = check_turn(state, combatant_id)
    _can_act(actor)
    if actor.economy.bonus_action is not None:
        raise RulesError(f"{actor.name} has already used this turn's bonus action ({actor.economy.bonus_action}).")
    state = clear_offers(state)
    actor = check_turn(state, combatant_id)
    return replace_combatant(state, actor.model_copy(update={
        "economy": actor.economy.model_copy(update={"bonus_action": what})}))


def take_casting(state: CombatState, combatant_id: str, spell: str, *, bonus_action: bool,
                 spell_level: int | None = None) -> CombatState:
    """Spends what casting `spell` takes: the bonus action for a spell cast with one (Healing Word, a smite, a
    Flaming Sphere's ram, a Quickened Spell), else the action. With the spell's level (a spell being cast, not a
    held one used again) the bonus-action spell rule holds: after a bonus-action spell only a cantrip cast with
    the action; no bonus-action spell after a leveled spell cast with the action."""
    if spell_level is not None:
        _check_spell_rule(check_turn(state, combatant_id), spell, bonus_action, spell_level)
    state = take_bonus_action(state, combatant_id, spell) if bonus_action else take_action(state, combatant_id, "cast")
    if spell_level is None:
        return state
    actor = check_turn(state, combatant_id)
    cast_as = "bonus" if bonus_action else "cantrip" if spell_level == 0 else "leveled"
    return replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
        update={"spells_cast": (*actor.economy.spells_cast, cast_as)})}))


def _check_spell_rule(actor: Combatant, spell: str, bonus_action: bool, spell_level: int) -> None:
    cast = actor.economy.spells_cast
    if bonus_action and any(c in ("bonus", "leveled") for c in cast):
        raise RulesError(f"{actor.name} has cast a {'spell as a bonus action' if 'bonus' in cast else 'leveled spell'}"
                         f" this turn: {spell} can't be cast as a bonus action too (only a cantrip with a casting "
                         "time of 1 action may follow a bonus-action spell).")
    if not bonus_action and spell_level > 0 and "bonus" in cast:
        raise RulesError(f"{actor.name} cast a spell as a bonus action this turn: the only other spell this turn "
                         f"is a cantrip with a casting time of 1 action, not {spell}.")


def take_reaction(state: CombatState, combatant_id: str, what: str, *, to_a_hit: bool = False) -> CombatState:
    """Spends a combatant's reaction on `what`, in or out of its turn; refused when it is spent or the combatant
    can't act (a creature at 0 HP or incapacitated takes no reactions). ``to_a_hit``: the reaction answers a hit
    as it lands (Shield, Uncanny Dodge), so falling unconscious from that hit doesn't prevent it."""
    actor = find_anywhere(state, combatant_id)
    if to_a_hit:
        _can_act(actor.model_copy(update={"hp": max(1, actor.hp), "dead": False, "conditions": [
            c for c in actor.conditions if c != "Unconscious"]}))
    else:
        _can_act(actor)
    if actor.economy.reaction is not None:
        raise RulesError(f"{actor.name} has already used their reaction ({actor.economy.reaction}) until their "
                         "next turn.")
    return replace_combatant(state, actor.model_copy(update={
        "economy": actor.economy.model_copy(update={"reaction": what})}))


def _can_act(actor: Combatant) -> None:
    if actor.dead or actor.hp == 0:
        raise RulesError(f"{actor.name} is down and can't act.")
    if is_incapacitated(actor.conditions):
        raise RulesError(f"{actor.name} can't act ({', '.join(actor.conditions)}).")


def action_surge(state: CombatState, combatant_id: str) -> CombatState:
    """Action Surge: one more action this turn (once a turn, whatever the uses left; the caller spends the use)."""
    actor = check_turn(state, combatant_id)
    _can_act(actor)
    if actor.economy.surged:
        raise RulesError(f"{actor.name} has already used Action Surge this turn.")
    return replace_combatant(state, actor.model_copy(update={"economy": actor.economy.model_copy(
        update={"extra_actions": actor.economy.extra_actions + 1, "surged": True})}))
