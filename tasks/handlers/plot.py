"""Owner plot commands: each change is audited and shows in the next turn's prompt."""

from __future__ import annotations

import re

from corpus import plot
from db.campaigns import Campaign, active_campaign, campaign_for_update
from db.engine import Session
from db.world import world_for_update
from tasks.handlers.registry import CommandContext, CommandError, command

FLAG_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
MAX_FLAG_VALUE_CHARS = 200


def require_campaign(session: Session) -> Campaign:
    campaign = active_campaign(session)
    if campaign is None:
        raise CommandError("No campaign is loaded yet. The owner can start one with `!load_campaign <name>`.")
    return campaign


def parse_flag_value(raw: str) -> bool | int | str:
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if re.fullmatch(r"-?\d{1,9}", lowered):
        return int(lowered)
    return raw.strip()


@command("advance_plot", "!advance_plot", "Move the story to the next scene (or act).", owner_only=True,
         category="Plot")
def advance_plot(ctx: CommandContext) -> None:
    campaign = campaign_for_update(ctx.session, require_campaign(ctx.session).id)
    assert campaign is not None
    here = (campaign.current_act, campaign.current_scene)
    if not plot.scene_order(campaign.plot_structure):
        raise CommandError(f"**{campaign.name}** has no scenes in its plot structure to advance through.")
    following = plot.next_scene(campaign.plot_structure, *here)
    if following is None:
        raise CommandError(f"**{campaign.name}** is at its last scene (act {here[0]}, scene {here[1]}): "
                           "what remains is the climax.")
    before = {"current_act": campaign.current_act, "current_scene": campaign.current_scene}
    campaign.current_act, campaign.current_scene = following
    ctx.audit(campaign.name, before, {"current_act": following[0], "current_scene": following[1]}, campaign.id)
    ctx.reply(plot.scene_moved_text(campaign.plot_structure, *following))


@command("set_plot_flag", "!set_plot_flag <name>=<value>", "Set a plot flag the Dungeon Master will honour.",
         owner_only=True, category="Plot")
def set_plot_flag(ctx: CommandContext) -> None:
    name, equals, raw_value = ctx.args.partition("=")
    name = name.strip().lower()
    if not equals or not FLAG_NAME.fullmatch(name):
        raise CommandError("Usage: `!set_plot_flag <name>=<value>` — the name in lowercase letters, digits, "
                           "`-` or `_` (up to 64), e.g. `!set_plot_flag bridge_burned=true`.")
    if not raw_value.strip() or len(raw_value) > MAX_FLAG_VALUE_CHARS:
        raise CommandError(f"A flag's value must be 1 to {MAX_FLAG_VALUE_CHARS} characters.")
    campaign = campaign_for_update(ctx.session, require_campaign(ctx.session).id)
    assert campaign is not None
    value = parse_flag_value(raw_value)
    flags = dict(campaign.plot_flags)
    before = {name: flags.get(name)}
    flags[name] = value
    campaign.plot_flags = flags
    ctx.audit(campaign.name, before, {name: value}, campaign.id)
    ctx.reply(f"🏳️ Plot flag `{name}` is now `{value}` in **{campaign.name}**.")


@command("trigger_event", "!trigger_event <event_id>", "Make one of the campaign's events happen now.",
         owner_only=True, category="Plot")
def trigger_event(ctx: CommandContext) -> None:
    event_id = ctx.args.strip().lower()
    campaign = require_campaign(ctx.session)
    events = campaign.plot_structure.get("events", {})
    if not event_id:
        raise CommandError("Which event? `!trigger_event <event_id>`; this campaign has: "
                           + ", ".join(f"`{e}`" for e in list(events)[:20]))
    if event_id not in events:
        raise CommandError(f"**{campaign.name}** has no event `{event_id[:64]}`. Its events: "
                           + ", ".join(f"`{e}`" for e in list(events)[:20]))
    world = world_for_update(ctx.session, campaign.id)
    happened = list(world.events or [])
    happened.append({"id": event_id, "effect": events[event_id].get("effect", ""), "by": "owner"})
    world.events = happened
    ctx.audit(campaign.name, {"events": len(happened) - 1}, {"event": event_id}, campaign.id)
    ctx.reply(f"⚡ Event `{event_id}`: {events[event_id].get('effect', '')}")
