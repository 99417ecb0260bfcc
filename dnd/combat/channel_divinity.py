"""Channel Divinity in a fight (SRD 5.1): the Cleric's Turn Undead (2nd level) with Destroy Undead (5th), the Life
Domain's Preserve Life (Cleric 2nd), and the Oath of Devotion's Turn the Unholy (Paladin 3rd). Each is the
channeler's action on its turn; the caller spends the use ("Channel Divinity", `dnd.class_features`).

There is no map: every undead (for Turn the Unholy, every fiend and undead) in the fight counts as within 30 feet
of the channeler, and every creature of its side as within 30 feet for Preserve Life.

* A creature that fails its Wisdom save against the channeler's spell save DC is **Turned**: it spends its turns
  getting away (the DM's policy plays no action for it, `dnd.tactics`), takes no reactions, and stops being
  turned when it takes damage (`dnd.combat.damage.apply_damage`); it lasts the fight (its minute is not
  counted). Destroy Undead destroys an undead of challenge rating up to 1/2 instead (1 at cleric level 8, 2 at
  11, 3 at 14, 4 at 17).
* Preserve Life restores five times the cleric level in hit points, divided among the wounded of the cleric's
  side, the most hurt first, none above half its hit point maximum; undead and constructs get none.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from dnd.character import class_level, spell_save_dc, subclass_of
from dnd.combat.damage import apply_damage
from dnd.combat.economy import take_action
from dnd.combat.effects import heal
from dnd.combat.lines import FeatureUsed, Line
from dnd.combat.results import FeatureResult
from dnd.combat.saves import saving_throw
from dnd.combat.state import CombatState, check_turn, find_anywhere, log_event, replace_combatant
from dnd.conditions import TURNED
from dnd.errors import RulesError
from dnd.monsters import Combatant

# Destroy Undead: (cleric level, the highest challenge rating destroyed), highest first.
DESTROY_UNDEAD = ((17, 4.0), (14, 3.0), (11, 2.0), (8, 1.0), (5, 0.5))
CHANNEL_OPTIONS = ("turn undead", "preserve life", "turn the unholy")


def destroys_up_to(cleric_level: int) -> float | None:
    return next((cr for level, cr in DESTROY_UNDEAD if cleric_level >= level), None)


def _channeler(state: CombatState, actor_id: str, class_name: str, level: int, subclass: str | None,
               feature: str) -> Combatant:
    actor = check_turn(state, actor_id)
    character = actor.character
    if character is None or class_level(character, class_name) < level or (
            subclass is not None and (subclass_of(character, class_name) or "").casefold() != subclass.casefold()):
        needs = f"{subclass} {class_name}" if subclass else class_name
        raise RulesError(f"{actor.name} can't use {feature} (a {needs} feature from level {level}).")
    return actor


def _turn(state: CombatState, actor: Combatant, class_name: str, kinds: Sequence[str], feature: str,
          destroy: float | None, rng: random.Random | None) -> tuple[CombatState, FeatureResult]:
    assert actor.character is not None
    foes = [c for c in state.combatants if c.kind == "monster" and c.active and c.monster is not None
            and c.monster.type.casefold() in kinds and TURNED not in c.conditions]
    if not foes:
        raise RulesError(f"No {' or '.join(kinds)} in this fight can be turned.")
    state = take_action(state, actor.id, "feature")
    dc = spell_save_dc(actor.character, class_name)
    state, saved = saving_throw(state, [c.id for c in foes], "WIS", dc, rng, source=feature, magical=True)
    told: list[Line] = list(saved.told)
    failed = {o.target for o in saved.outcomes if not o.success}
    turned, destroyed = [], []
    for foe in foes:
        if foe.name not in failed:
            continue
        now = find_anywhere(state, foe.id)
        if destroy is not None and now.monster is not None and now.monster.challenge_rating <= destroy:
            state, applied = apply_damage(state, now.id, now.hp, critical=False, actor_id=actor.id,
                                          source="Destroy Undead")
            told += applied.told
            destroyed.append(now.name)
        else:
            state = replace_combatant(state, now.model_copy(update={"conditions": [*now.conditions, TURNED]}))
            turned.append(now.name)
    detail = "; ".join(part for part in (
        f"turned: {', '.join(turned)}" if turned else "", f"destroyed: {', '.join(destroyed)}" if destroyed else "",
        "every creature resisted" if not turned and not destroyed else "") if part)
    state = log_event(state, "condition", f"{actor.name} channels divinity: {feature} ({detail}).", actor=actor.id)
    return state, FeatureResult(actor.name, feature, [*told, FeatureUsed(actor.name, feature, detail)])


def turn_undead(state: CombatState, actor_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, FeatureResult]:
    actor = _channeler(state, actor_id, "Cleric", 2, None, "Turn Undead")
    assert actor.character is not None
    destroy = destroys_up_to(class_level(actor.character, "Cleric"))
    return _turn(state, actor, "Cleric", ("undead",), "Turn Undead", destroy, rng)


def turn_the_unholy(state: CombatState, actor_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, FeatureResult]:
    actor = _channeler(state, actor_id, "Paladin", 3, "Devotion", "Turn the Unholy")
    return _turn(state, actor, "Paladin", ("fiend", "undead"), "Turn the Unholy", None, rng)


def preserve_life(state: CombatState, actor_id: str) -> tuple[CombatState, FeatureResult, list[str]]:
    """The hit points go to the most hurt first; returns the state, the result and the ids of those healed."""
    actor = _channeler(state, actor_id, "Cleric", 2, "Life", "Preserve Life")
    assert actor.character is not None
    pool = 5 * class_level(actor.character, "Cleric")
    wounded = sorted((c for c in state.combatants if c.kind == actor.kind and not c.dead and c.hp < c.max_hp // 2
                      and not (c.monster is not None and c.monster.type.casefold() in ("undead", "construct"))),
                     key=lambda c: (c.hp / c.max_hp, c.id))
    if not wounded:
        raise RulesError("No one on your side is below half their hit points: Preserve Life has no one to restore.")
    state = take_action(state, actor.id, "feature")
    told: list[Line] = []
    healed: list[str] = []
    for creature in wounded:
        amount = min(pool, creature.max_hp // 2 - creature.hp)
        if amount <= 0:
            break
        state, result = heal(state, creature.id, amount, source="Preserve Life")
        told += result.told
        pool -= amount
        healed.append(creature.id)
    detail = f"{5 * class_level(actor.character, 'Cleric') - pool} hit points restored"
    state = log_event(state, "condition", f"{actor.name} channels divinity: Preserve Life ({detail}).",
                      actor=actor.id)
    return state, FeatureResult(actor.name, "Preserve Life", [*told, FeatureUsed(actor.name, "Preserve Life",
                                                                                 detail)]), healed
