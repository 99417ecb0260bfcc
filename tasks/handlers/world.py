"""The world around the table: `!weather`, and the owner's random encounters and loot (SRD-based)."""

from __future__ import annotations

import random
import time
from typing import Any

from db import compendium
from db.campaigns import Campaign, active_campaign
from db.characters import levels_in_campaign
from db.world import DEFAULT_LOCATION, location_of, world_for_update
from dnd.errors import RulesError
from dnd.generators import generate_encounter, generate_loot, generate_weather, weather_region
from dnd.shops import built_in_magic_items
from tasks.handlers.combat_support import (
    monster_block,
)
from tasks.handlers.encounter_support import open_encounter
from tasks.handlers.ground_support import pick_up
from tasks.handlers.registry import CommandContext, CommandError, command

_rng = random.SystemRandom()
WEATHER_LASTS_S = 8 * 3600  # a real-time stand-in for "the day's weather" until in-game time is tracked
DIFFICULTIES = ("easy", "medium", "hard", "deadly")


def campaign_region(campaign: Campaign | None) -> str:
    """The campaign's own region text (its structure's metadata), for the weather tables."""
    return str(((campaign.plot_structure if campaign else {}) or {}).get("metadata", {}).get("region", ""))


@command("weather", "!weather [new [season]]", "Today's weather where the party is; the owner can roll new weather.",
         category="World")
def weather_command(ctx: CommandContext) -> None:
    campaign = active_campaign(ctx.session)
    if campaign is None:
        raise CommandError("No campaign is loaded yet, so there is no sky to look at. The owner can "
                           "`!load_campaign <name>`.")
    words = ctx.args.split()
    reroll = bool(words) and words[0].lower() == "new"
    if words and not reroll:
        raise CommandError("Usage: `!weather` (today's weather), or `!weather new [season]` (owner).")
    if reroll and not ctx.is_owner:
        raise CommandError("Only the owner can change the weather.")
    world = world_for_update(ctx.session, campaign.id)
    current: dict[str, Any] = dict(world.weather or {})
    season = words[1] if reroll and len(words) > 1 else current.get("season") or "spring"
    if reroll or not current or time.time() - float(current.get("rolled_at", 0)) > WEATHER_LASTS_S:
        try:
            weather = generate_weather(weather_region(campaign_region(campaign)), season, _rng)
        except RulesError as error:
            raise CommandError(str(error)) from None
        current = {**weather.model_dump(), "rolled_at": time.time()}
        world.weather = current
        if reroll:
            ctx.audit(campaign.name, {}, {"weather": weather.description}, campaign.id)
    effects = "".join(f"\n• {effect}" for effect in current.get("effects", []))
    ctx.reply(f"🌦️ **{current['season'].title()}, {current['region']}** — {current['description']} "
              f"({current['temperature_f']} °F / {current['temperature_c']} °C, wind {current['wind']}, "
              f"{current['precipitation']}).{effects}")


@command("encounter", "!encounter [easy|medium|hard|deadly] [preview]",
         "Start a random encounter (built-in or SRD creatures) for the party's levels here (`preview`: only "
         "describe one).",
         owner_only=True, category="World")
def encounter_command(ctx: CommandContext) -> None:
    words = ctx.args.lower().split()
    preview = "preview" in words
    words = [word for word in words if word != "preview"]
    difficulty = words[0] if words else "medium"
    if len(words) > 1 or difficulty not in DIFFICULTIES:
        raise CommandError(f"Usage: `!encounter [{'|'.join(DIFFICULTIES)}] [preview]`.")
    campaign = active_campaign(ctx.session)
    levels = (levels_in_campaign(ctx.session, campaign.id) if campaign else []) or [1]
    known, source = compendium.monsters(ctx.session)
    monsters = [{"name": m["name"], "cr": m.get("challenge_rating", 0), "xp": m.get("xp", 0),
                 "type": m.get("type", "")} for m in known]
    location = (location_of(ctx.session, campaign.id) if campaign else None) or ""
    found = generate_encounter(levels, difficulty, monsters, location, _rng)
    if preview:
        ctx.reply(f"⚔️ For a party of levels {sorted(levels)}: {found.text} *(creatures: {source})*\n"
                  "Add them to a fight with `!initiative add <monster> [count]`.")
        return
    # The fight starts for the players at the table, the creatures join, and the DM plays their turns.
    open_encounter(ctx, [(monster_block(ctx, group.name)[0], group.count) for group in found.groups],
                   f"{found.text} *(creatures: {source})*")


@command("loot", "!loot | !loot take <item> [qty] | !loot <challenge rating>",
         "What lies on the ground here (a fight's treasure); `take` picks some up; the owner rolls individual "
         "treasure for a CR (SRD tables).", category="World")
def loot_command(ctx: CommandContext) -> None:
    head, _, rest = ctx.args.strip().partition(" ")
    if head.casefold() == "take":
        pick_up(ctx, rest)
        return
    if not head:
        _show_ground(ctx)
        return
    if not ctx.is_owner:
        raise CommandError("Only the owner can roll treasure: `!loot` shows what lies here, `!loot take <item>` "
                           "picks it up.")
    try:
        cr = float(ctx.args.strip().replace("1/8", "0.125").replace("1/4", "0.25").replace("1/2", "0.5"))
    except ValueError:
        raise CommandError("Usage: `!loot <challenge rating>`, e.g. `!loot 3` or `!loot 1/4`.") from None
    if not 0 <= cr <= 30:
        raise CommandError("A challenge rating is between 0 and 30.")
    magic = [{"name": m["name"], "rarity": (m.get("rarity") or {}).get("name", "")}
             for m in compendium.entries(ctx.session, "magic_item")] or built_in_magic_items()
    loot = generate_loot(cr, _rng, magic)
    ctx.reply("💰 " + "\n".join(loot.lines) + "\nGive it out with `!add_item` (items) or as the narrator sees fit.")


def _show_ground(ctx: CommandContext) -> None:
    campaign = active_campaign(ctx.session)
    if campaign is None:
        raise CommandError("No campaign is loaded yet.")
    location = location_of(ctx.session, campaign.id) or DEFAULT_LOCATION
    world = world_for_update(ctx.session, campaign.id)
    lying = (world.dropped_items or {}).get(location, [])
    if not lying:
        ctx.reply(f"Nothing lies on the ground at {location}.")
        return
    listed = ", ".join(f"{i['name']} ×{i['qty']}" for i in lying)
    ctx.reply(f"💰 On the ground at {location}: {listed}. Take some with `!loot take <item> [qty]`.")
