"""The end of a fight, computed: the summary, the survivors' XP (and who can level up), the treasure of the
defeated on the ground where the party is, the creatures that fled, the characters who died — and a line of
the story in the campaign's history (what the narrator reads).

It runs in the transaction of the command that ended the fight (`!end_combat`, or the blow, the flight or
the turn that left one side standing: `combat_support.sync_gate`), after that command's own replies.

Treasure lies on the ground (`world_state.dropped_items` at the party's location) as item stacks, the coins
as stacks named by `ground_support.COIN_STACKS`; `!pick_up` and `!loot take` move them into a character's hands
through the ledger. The ledger's rows for the treasure appearing (no character, counterparty
`treasure:combat:<id>`) balance the ground's rows when it is picked up, so nothing is made or lost unseen.

Bosses: a legendary creature, or a creature the campaign marks with the plot flag `boss-<monster index>`
(`!set_plot_flag boss-young-red-dragon=true`), leaves a hoard instead of individual treasure.
"""

from __future__ import annotations

import random
from typing import Any

from db import combat as combats
from db import history, ledger
from db.campaigns import active_campaign
from db.characters import load_for_update, save
from db.combat import CombatRow
from db.compendium import entries
from db.world import DEFAULT_LOCATION, world_for_update
from dnd import combat as engine
from dnd.combat import CombatState
from dnd.combat.rewards import fight_treasure, xp_awards
from dnd.inventory import merge_items
from dnd.leveling import level_for_xp
from dnd.monsters import Combatant, apply_to_character
from dnd.render.discord import combat_lines
from dnd.render.facts import combat_events, combat_facts
from dnd.wealth import total_cp
from tasks.handlers.character_support import mention
from tasks.handlers.ground_support import dropped, ground_stacks
from tasks.handlers.registry import CommandContext

_rng = random.SystemRandom()
BOSS_FLAG = "boss-"


def _player(combatant: Combatant) -> int | None:
    return int(combatant.player_id) if combatant.kind == "character" and combatant.player_id else None


def write_back(ctx: CommandContext, campaign_id: int, state: CombatState, combatant_id: str) -> None:
    """A character's hit points, conditions and death saves after a blow go back to the character row, in
    the same transaction (combat row locked first, then the character's)."""
    combatant = next((c for c in [*state.combatants, *state.defeated] if c.id == combatant_id), None)
    if combatant is None or combatant.kind != "character" or combatant.player_id is None:
        return
    stored = load_for_update(ctx.session, int(combatant.player_id), campaign_id)
    if stored is not None:
        save(ctx.session, stored, apply_to_character(combatant, stored.character))


def conclude(ctx: CommandContext, row: CombatRow, state: CombatState) -> str:
    """Close the fight and compute what it earned and cost; returns the text to post."""
    decided = engine.outcome(state)  # before the fallen's death saves: one who wakes doesn't undo the defeat
    fall, state = party_falls(ctx, row, state)
    result = engine.summary(state, decided)
    row.active = False
    combats.store(ctx.session, row, state)
    lines = [*fall, *award_xp(ctx, row.campaign_id, state), *leave_treasure(ctx, row, state),
             *departures(state), *deaths(state)]
    _record_story(ctx, row, state, decided)
    ctx.audit(f"combat:{row.id}", {"active": True}, {"active": False, "outcome": decided}, row.campaign_id)
    return f"🏳️ The combat is over.\n{result.text}" + "".join(f"\n{line}" for line in lines)


WHAT_NOW = ("What now: the DM says what the victors do with the fallen (captured, robbed, left for dead). Those "
            "who woke are at 1 HP (`!rest short` spends hit dice); for one who died, the owner can `!revive @player`, "
            "or their player starts anew with `!create_character`.")


def party_falls(ctx: CommandContext, row: CombatRow, state: CombatState) -> tuple[list[str], CombatState]:
    """A fight lost (no character standing): the fallen roll their death saves to the end, alone, and the stable
    wake hours later (`engine.fall_of_the_party`); their sheets follow, the table is told what happens next and
    the narrator tells it."""
    if engine.outcome(state) != "defeat":
        return [], state
    state, told = engine.fall_of_the_party(state, _rng)
    for combatant in state.combatants:
        write_back(ctx, row.campaign_id, state, combatant.id)
    ctx.narrate(" ".join(combat_facts(told)), facts=combat_events(told))
    return [*combat_lines(told), WHAT_NOW], state


def award_xp(ctx: CommandContext, campaign_id: int, state: CombatState) -> list[str]:
    """The survivors' shares of the defeated monsters' XP, written to their sheets; a line each."""
    lines = []
    for award in xp_awards(state):
        player = _player(award.combatant)
        stored = load_for_update(ctx.session, player, campaign_id) if player is not None else None
        if stored is None:
            continue
        character = stored.character
        save(ctx.session, stored, character.model_copy(update={"xp": character.xp + award.xp}))
        line = f"⭐ {character.name} gains {award.xp:,} XP ({character.xp + award.xp:,} in all)."
        reachable = level_for_xp(character.xp + award.xp)
        if reachable > character.level:
            line += f" Enough for level {reachable}: {mention(player)}, type `!level_up`."
        lines.append(line)
    return lines


def _bosses(ctx: CommandContext) -> set[str]:
    campaign = active_campaign(ctx.session)
    flags: dict[str, Any] = dict(campaign.plot_flags or {}) if campaign else {}
    return {name.removeprefix(BOSS_FLAG) for name, value in flags.items() if name.startswith(BOSS_FLAG) and value}


def leave_treasure(ctx: CommandContext, row: CombatRow, state: CombatState) -> list[str]:
    """The defeated monsters' treasure, rolled and left on the ground where the party is."""
    if not any(c.kind == "monster" and c.hp == 0 for c in state.defeated):
        return []
    magic = [{"name": m["name"], "rarity": (m.get("rarity") or {}).get("name", "")}
             for m in entries(ctx.session, "magic_item")]
    treasure = fight_treasure(state, _rng, magic, _bosses(ctx))
    stacks = ground_stacks(treasure)
    if not stacks:
        return [f"💰 {line}" for line in treasure.lines]
    world = world_for_update(ctx.session, row.campaign_id)
    location = world.location or DEFAULT_LOCATION
    ground = merge_items(dropped(world.dropped_items, location), stacks)
    world.dropped_items = {**(world.dropped_items or {}), location: [i.model_dump(mode="json") for i in ground]}
    moved = [(item, 1) for item in treasure.items]
    if coins := total_cp(treasure.coins):
        moved.append(("cp", coins))
    ledger.record(ctx.session, row.campaign_id, None, f"treasure:combat:{row.id}",
                  f"treasure (ground:{location})", moved)
    left = ", ".join(f"{i.name} ×{i.qty}" for i in stacks)
    return [*(f"💰 {line}" for line in treasure.lines),
            f"💰 Left on the ground at {location}: {left}. Take it with `!pick_up <item> [qty]` or "
            "`!loot take <item> [qty]` (`!loot` shows what lies here)."]


def departures(state: CombatState) -> list[str]:
    fled = [c.name for c in state.defeated if c.kind == "monster" and c.hp > 0]
    return [f"🏃 Fled: {', '.join(fled)} (no XP, no treasure — they may be back)."] if fled else []


def deaths(state: CombatState) -> list[str]:
    lines = []
    for c in [*state.combatants, *state.defeated]:
        if c.kind == "character" and c.dead:
            lines.append(f"💀 **{c.name}** died in this fight and can't act. {mention(_player(c) or 0)}: the owner "
                         "can bring them back with `!revive @player`; or start anew with `!create_character` (the "
                         "fallen character is laid to rest).")
    return lines


def _record_story(ctx: CommandContext, row: CombatRow, state: CombatState, result: str) -> None:
    """One line for the campaign's history, which the narrator reads: who won, who fled, who died."""
    everyone = [*state.combatants, *state.defeated]
    foes = sorted({c.monster.name for c in everyone if c.kind == "monster" and c.monster})
    heroes = [c.name for c in everyone if c.kind == "character"]
    parts = [f"A fight of {state.round} round{'s' if state.round != 1 else ''}: {', '.join(heroes)} against "
             f"{', '.join(foes) or 'no one'}"
             + {"victory": " — the heroes won.", "defeat": " — the heroes were beaten."}.get(result, " — it was "
                                                                                           "broken off.")]
    parts += [f"{c.name} died." for c in everyone if c.kind == "character" and c.dead]
    parts += [f"{c.name} fled." for c in everyone if c.kind == "monster" and c.defeated and c.hp > 0]
    history.log_event(ctx.session, " ".join(parts), row.campaign_id, row.channel_id)
