"""`!cast` beyond one roll at one target: a held spell used again on a later turn of a fight (Flaming Sphere,
Call Lightning), the owner's monster casting from its Spellcasting, and, outside a fight, healing, temporary hit
points and Aid on party members' rows."""

from __future__ import annotations

from db import combat as fights
from db.campaigns import ensure_active_campaign
from db.characters import StoredCharacter, load_many_for_update, save
from dnd import actions
from dnd import combat as engine
from dnd.character import Character
from dnd.combat import CombatState, SpellResult, counterspell
from dnd.combat.economy import take_casting
from dnd.combat.lines import Healed, HpMaxRaised, Line, TempHpGained
from dnd.combat.results import FeatureResult
from dnd.combat.spells import cast_monster_spell
from dnd.combat.state import find_combatant, ids_named, name_key
from dnd.dice import RollResult, roll
from dnd.render import discord
from dnd.spellcasting import CastResult, SpellInfo, cast_spell
from tasks.handlers.character_support import is_dead, log_roll, my_character, party_member, rng
from tasks.handlers.combat_end import write_back
from tasks.handlers.combat_support import (
    Fight,
    dm_plays,
    end_stated_turn,
    ending_line,
    finish_action,
    narrate_fight,
    require_turn,
    sync_gate,
    target_name,
)
from tasks.handlers.registry import CommandContext, CommandError

_ME = frozenset({"me", "myself", "self"})


def cast_held_again(ctx: CommandContext, fight: Fight, spell: str, targets: list[str]) -> bool:
    """`!cast Flaming Sphere at goblin 1` while the caster holds it: the sphere rams (its bonus action), or Call
    Lightning's next bolt (its action), no slot spent. False when the caster holds no such spell."""
    held = engine.held_spell(fight.state, fight.me.id, spell)
    if held is None:
        return False
    require_turn(ctx, fight, f"Using {held.spell}")
    bonus = held.trigger == "bonus_action"
    fight.state = take_casting(fight.state, fight.me.id, held.spell, bonus_action=bonus)
    state, effect = engine.cast_again(fight.state, fight.me.id, held.spell, [target_name(t) for t in targets], rng)
    spell_done(ctx, fight, state, effect, f"{fight.me.name} uses **{held.spell}** again "
               f"({'bonus action' if bonus else 'action'}, no slot spent).")
    return True


def owner_casts_for_monster(ctx: CommandContext, spell: str, targets: list[str]) -> bool:
    """The owner's `!cast` on the turn of a monster they play (`!dm control`, `MONSTER_CONTROL=owner`): the
    monster casts from its Spellcasting, a slot (or a use of the day) spent (the owner keeps count of a monster's
    actions, as with `!attack`); a spell a character could counter waits for them, as the DM's do. False when it
    is no such turn (the words are then the owner's own character's)."""
    if not ctx.is_owner or ctx.event.get("channel_id") is None:
        return False
    row = fights.active_for_update(ctx.session, int(ctx.event["channel_id"]))
    state = fights.from_row(row) if row is not None else None
    actor = engine.current_actor(state) if state is not None and state.combatants else None
    if row is None or state is None or actor is None or actor.kind != "monster" or dm_plays(ctx, actor):
        return False
    if state.pending_spell is not None:
        raise CommandError(f"{actor.name}'s spell waits on a Counterspell: `!react` answers it first.")
    names = [target_name(t) for t in targets]
    if counterspell.could_counter(state, actor):
        state, begun = counterspell.hold_spell(state, actor.id, spell, [find_combatant(state, n).id for n in names])
        fights.store(ctx.session, row, state)
        sync_gate(ctx, row, state)
        ctx.reply(begun.text)
        return True
    state, effect = cast_monster_spell(state, actor.id, spell, names, rng)
    for target_id in ids_named(state, effect.targets):
        write_back(ctx, row.campaign_id, state, target_id)
    fights.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"✨ {effect.text}{ending_line(state)}")
    narrate_fight(ctx, effect, state)
    return True


def spell_done(ctx: CommandContext, fight: Fight, state: CombatState, effect: SpellResult | FeatureResult,
               heading: str) -> None:
    """A spell resolved in the fight (or countered: ``effect`` is then the Counterspell): the caster and the
    creatures it touched go back to their rows, the fight is stored, the table reads what happened and the
    narrator retells it; a stated spell ends the turn."""
    targets = effect.targets if isinstance(effect, SpellResult) else []
    touched = [fight.me.id, *ids_named(state, targets)]
    ending = finish_action(ctx, fight, state, touched)
    ctx.reply(f"✨ {heading}\n{effect.text}{ending}")
    narrate_fight(ctx, effect, state)
    end_stated_turn(ctx, fight.row, fight.state, state)


def bolsters_party(info: SpellInfo) -> bool:
    """A spell that changes party members' hit points outside a fight: healing, temporary hit points (not
    Heroism's, which come at the start of turns) and Aid."""
    return bool(info.heal or info.heal_by_slot or info.max_hp_bonus or (info.temp_hp and not info.concentration))


def _party_ids(ctx: CommandContext, spell: SpellInfo, targets: list[str]) -> list[int]:
    """The players whose characters the spell is for: @mentions or characters' names (`party_member`), or "me"
    (the caster when none is named), at most the spell's number of targets, none twice."""
    ids = [ctx.author_id if name_key(text) in _ME else party_member(ctx, text).player_id for text in targets]
    ids = ids or [ctx.author_id]
    if len(ids) > spell.max_targets:
        many = f"up to {spell.max_targets} creatures" if spell.max_targets > 1 else "one creature"
        raise CommandError(f"{spell.name} affects {many}: name at most {spell.max_targets} ({len(ids)} given).")
    if len(set(ids)) != len(ids):
        raise CommandError("A character is named twice.")
    return ids


def cast_on_party(ctx: CommandContext, spell: SpellInfo, level: int | None, targets: list[str]) -> None:
    """Outside a fight: the slot is spent and each character named (the caster when none) regains the hit points
    rolled once for all (Prayer of Healing, Mass Cure Wounds), gains the temporary hit points (False Life; they
    don't stack: the higher is kept) or has its maximum raised (Aid), on its row, in one transaction with the
    rows locked in id order. A refusal changes nothing."""
    campaign_id = ensure_active_campaign(ctx.session)
    my_character(ctx)  # the caster has a character here (refused clearly otherwise)
    ids = _party_ids(ctx, spell, targets)
    rows = load_many_for_update(ctx.session, {*ids, ctx.author_id}, campaign_id)
    mine = my_character(ctx, for_update=True)  # already locked, in id order with the others; refused if dead
    for player_id in ids:
        if player_id not in rows:
            raise CommandError(f"<@{player_id}> has no character in this campaign.")
        if is_dead(rows[player_id].character):
            raise CommandError(f"💀 {rows[player_id].character.name} is dead: {spell.name} can't help them.")
        if player_id != ctx.author_id and fights.player_in_fight(ctx.session, campaign_id, player_id):
            raise CommandError(f"{rows[player_id].character.name} is in a fight: cast {spell.name} there, on your "
                               "turn, if you join it.")
    updated, result = cast_spell(mine.character, spell.name, slot_level=level, spell=spell)
    amount = _amount(ctx, result, campaign_id)
    lines = [f"✨ {result.message}"]
    if amount is not None:
        lines.append(f"{'Healing' if result.healing else 'Temporary hit points'}: {amount}")
    changed: dict[int, tuple[StoredCharacter, Character]] = {ctx.author_id: (mine, updated)}
    for player_id in ids:
        stored, before = changed.get(player_id, (rows[player_id], rows[player_id].character))
        after, line = _bolster(before, result, amount)
        changed[player_id] = (stored, after)
        lines.append(line)
    for stored, after in changed.values():
        save(ctx.session, stored, after)
    ctx.reply("\n".join(lines))


def _amount(ctx: CommandContext, result: CastResult, campaign_id: int) -> RollResult | None:
    """The healing or temporary hit points, rolled once for every target (None for Aid's fixed raise)."""
    dice, what = (result.healing, "healing") if result.healing else (result.temp_hp, "temporary hit points")
    if result.max_hp_bonus or not dice:
        return None
    rolled = roll(f"{dice} {result.spell} {what}", rng)
    log_roll(ctx, f"{dice} ({result.spell} {what}) = {rolled.total}", campaign_id)
    return rolled


def _bolster(character: Character, result: CastResult, amount: RollResult | None) -> tuple[Character, str]:
    """One party member's row after the spell, and the line the table reads (worded as in a fight)."""
    if result.max_hp_bonus:
        after, rise = actions.raise_hit_point_maximum(character, result.max_hp_bonus)
        line: Line = HpMaxRaised(character.name, rise, after.hp, after.max_hp)
    elif result.healing:
        after, healed = actions.heal(character, max(0, amount.total) if amount is not None else 0)
        line = Healed(character.name, healed, after.hp, after.max_hp)
    else:
        gained = max(0, amount.total) if amount is not None else 0
        after, temp = actions.gain_temp_hp(character, gained)
        line = TempHpGained(character.name, gained, temp)
    return after, discord.combat_line(line)
