"""Concentration (SRD): a caster holds one concentration spell at a time — casting another ends the first; taking
damage calls for a Constitution saving throw (DC 10 or half the damage, whichever is higher) or the spell ends;
dropping to 0 hit points ends it. The spells held are the fight's ``ongoing`` list (:class:`OngoingSpell`)."""

from __future__ import annotations

import random

from dnd.combat.lines import ConcentrationEnds, ConcentrationHeld, ConditionChanged, FeatureUsed, Line, Rolled
from dnd.combat.state import CombatState, OngoingSpell, find_anywhere, log_event, replace_combatant, roll_dice


def concentrating_on(state: CombatState, caster_id: str) -> OngoingSpell | None:
    return next((o for o in state.ongoing if o.caster_id == caster_id and o.concentration), None)


def end_concentration(state: CombatState, caster_id: str, reason: str) -> tuple[CombatState, list[Line]]:
    held = concentrating_on(state, caster_id)
    if held is None:
        return state, []
    caster = find_anywhere(state, caster_id)
    state = state.model_copy(update={"ongoing": [o for o in state.ongoing if o is not held]})
    state = log_event(state, "condition", f"{caster.name} loses concentration on {held.spell}.", target=caster_id)
    state, released = release_hold(state, held, held.targets)
    return state, [ConcentrationEnds(caster.name, held.spell, reason), *released]  # type: ignore[arg-type]


def release_hold(state: CombatState, spell: OngoingSpell, target_ids: list[str]) -> tuple[CombatState, list[Line]]:
    """The conditions a holding spell gave (`dnd.combat.holds`) end on ``target_ids``."""
    told: list[Line] = []
    for target_id in target_ids if spell.conditions else []:
        target = next((c for c in state.combatants if c.id == target_id), None)
        if target is None:
            continue
        ended = [c for c in spell.conditions if c in target.conditions]
        state = replace_combatant(state, target.model_copy(update={
            "conditions": [c for c in target.conditions if c not in spell.conditions]}))
        told += [ConditionChanged(target.name, condition, added=False) for condition in ended]
    return state, told


def start_spell(state: CombatState, spell: OngoingSpell) -> tuple[CombatState, list[Line]]:
    """A lasting spell takes effect; a new concentration spell first ends the caster's old one."""
    told: list[Line] = []
    if spell.concentration:
        state, told = end_concentration(state, spell.caster_id, "new spell")
    return state.model_copy(update={"ongoing": [*state.ongoing, spell]}), told


def check_concentration(state: CombatState, target_id: str, damage: int,
                        rng: random.Random | None) -> tuple[CombatState, list[Line]]:
    """After ``damage`` to a concentrating creature: at 0 HP the spell ends; otherwise the engine rolls its CON
    save against max(10, damage // 2)."""
    held = concentrating_on(state, target_id)
    if held is None or damage <= 0:
        return state, []
    target = find_anywhere(state, target_id)
    if target.hp == 0 or target.defeated or target.dead:
        return end_concentration(state, target_id, "down")
    dc = max(10, damage // 2)
    bonus = target.saving_throw_bonus("CON")
    save = roll_dice(f"1d20{bonus:+d} {target.name} CON save (concentration)", rng)
    if save.total >= dc:
        return state, [ConcentrationHeld(target.name, held.spell, save, dc)]
    state, told = end_concentration(state, target_id, "failed save")
    return state, [Rolled(save), *told]


def weapon_hit_spells(state: CombatState, attacker_id: str) -> tuple[CombatState, str, list[Line]]:
    """A weapon hit by ``attacker_id``: the extra damage of the spells it holds for one (a smite's, which the hit
    spends; Divine Favor's on every hit), as typed dice to add to the hit's ("+2d6[radiant]", doubled on a
    critical hit like the hit's own dice), and the lines that say so."""
    extra = ""
    told: list[Line] = []
    kept: list[OngoingSpell] = []
    caster = find_anywhere(state, attacker_id)
    for held in state.ongoing:
        if held.caster_id != attacker_id or held.trigger not in ("next_hit", "each_hit") or not held.damage:
            kept.append(held)
            continue
        extra += f"+{held.damage}[{held.damage_type}]" if held.damage_type else f"+{held.damage}"
        told.append(FeatureUsed(caster.name, held.spell, f"+{held.damage} {held.damage_type}".rstrip()))
        # A smite's damage is spent; the spell itself lasts while concentration does.
        kept.append(held.model_copy(update={"trigger": "", "damage": ""}) if held.trigger == "next_hit" else held)
    return (state.model_copy(update={"ongoing": kept}) if told else state), extra, told
