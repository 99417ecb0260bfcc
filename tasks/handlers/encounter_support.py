"""Encounters that start fights: the owner's `!encounter`, the model's proposal (checked by the engine), and
the campaign's own scene data (a scene that names its foes, for play without a model).

A proposal is refused — nothing changes and the reason goes to the audit log — when a creature is not in the
compendium, when a fight is already running in the channel, when nobody at the table has a character, or when
the creatures' adjusted XP is over the party's budget for ENCOUNTER_DIFFICULTY (default medium; "deadly"
only when the owner sets it so).
"""

from __future__ import annotations

from db import combat as combats
from db import compendium
from db.campaigns import ensure_active_campaign
from dnd import combat as engine
from dnd.generators import DIFFICULTIES, party_thresholds, rate_encounter
from dnd.monsters import MonsterBlock
from tasks.handlers.character_support import rng
from tasks.handlers.combat_support import (
    after_turns,
    fighters,
    play_monster_turns,
    start_fight,
    sync_gate,
    table_channel_id,
)
from tasks.handlers.registry import CommandContext, CommandError

Groups = list[tuple[MonsterBlock, int]]


def open_encounter(ctx: CommandContext, groups: Groups, heading: str) -> None:
    """A fight starts for the players at the table and the creatures join; the monsters whose turn comes first
    take it. Posts the order."""
    row, state, opening = start_fight(ctx, [])
    joined = []
    for block, count in groups:
        state, result = engine.add_monsters(state, block, count, rng)
        joined.append(result.text)
    state, monsters = play_monster_turns(ctx, row.campaign_id, state)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"⚔️ **An encounter!** {heading}\n**Roll for initiative!**\n{opening}\n" + "\n".join(joined)
              + f"{monsters.text}{after_turns(state)}")
    if monsters.facts:
        ctx.narrate(" ".join(monsters.facts), facts=monsters.events)


def budget_difficulty(ctx: CommandContext) -> str:
    wanted = ctx.settings.encounter_difficulty
    return wanted if wanted in DIFFICULTIES else "medium"


def checked_groups(ctx: CommandContext, creatures: list[tuple[str, int]]) -> tuple[Groups, str]:
    """The proposal's stat blocks, if it may start now, and its description; else a CommandError with the
    reason. Changes nothing."""
    channel_id = table_channel_id(ctx)
    groups: Groups = []
    for name, count in creatures:
        found = compendium.monster(ctx.session, name)  # the SRD import's, else the built-in bestiary's
        if found is None:
            raise CommandError(f"there is no monster called '{name[:60]}' in the compendium")
        groups.append((MonsterBlock.from_srd(found.details), count))
    if combats.active(ctx.session, channel_id) is not None:
        raise CommandError("a fight is already running in this channel")
    party = fighters(ctx, ensure_active_campaign(ctx.session), channel_id, [])
    levels = [stored.character.level for stored in party]
    difficulty = budget_difficulty(ctx)
    budget = party_thresholds(levels)[difficulty]
    rated, adjusted = rate_encounter(levels, [block.xp for block, count in groups for _ in range(count)])
    if adjusted > budget:
        raise CommandError(f"over the XP budget: {adjusted:,} adjusted XP against {budget:,} for a {difficulty} "
                           f"fight (party levels {sorted(levels)})")
    names = ", ".join(f"{count} × {block.name}" for block, count in groups)
    return groups, f"{names} ({rated}, {adjusted:,} adjusted XP)."


def start_proposed(ctx: CommandContext, creatures: list[tuple[str, int]]) -> str | None:
    """The model's proposal: started, or the reason it was refused (nothing changed)."""
    try:
        groups, heading = checked_groups(ctx, creatures)
    except CommandError as refusal:
        return str(refusal)
    open_encounter(ctx, groups, heading)
    return None
