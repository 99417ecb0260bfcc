"""First commands: `!help`, `!roll`, `!system_stats`."""

from __future__ import annotations

import random

from db.models import MessageHistory
from dnd.dice import DiceError, roll
from tasks.handlers.registry import COMMANDS, CommandContext, CommandError, command
from tasks.monitoring import collect, format_duration
from tasks.redis_client import get_redis

_rng = random.SystemRandom()


@command("help", "!help [command]", "List every command, or show how to use one.")
def help_command(ctx: CommandContext) -> None:
    wanted = ctx.args.lstrip("!").strip().lower()
    if wanted:
        spec = COMMANDS.get(wanted)
        if spec is None:
            raise CommandError(f"There is no command `!{wanted[:40]}`. Type `!help` to see them all.")
        owner = " (owner only)" if spec.owner_only else ""
        ctx.reply(f"`{spec.usage}`{owner}\n{spec.summary}")
        return
    by_category: dict[str, list[str]] = {}
    for spec in sorted(COMMANDS.values(), key=lambda s: s.name):
        owner = " 🔒" if spec.owner_only else ""
        by_category.setdefault(spec.category, []).append(f"`{spec.usage}`{owner} — {spec.summary}")
    fields = [{"name": category, "value": "\n".join(lines)} for category, lines in sorted(by_category.items())]
    ctx.reply("Here is what I can do (🔒 = owner only). Type `!help <command>` for one command.",
              embeds=[{"title": "Commands", "fields": fields}])


@command("roll", "!roll <dice> [label]", "Roll dice, e.g. `!roll 1d20+5 Stealth`, `!roll 4d6kh3`, `!roll 2d20kh1`.",
         category="Dice")
def roll_command(ctx: CommandContext) -> None:
    if not ctx.args:
        raise CommandError("What should I roll? For example `!roll 1d20+5` or `!roll 8d6[fire]`.")
    try:
        result = roll(ctx.args, _rng)
    except DiceError as error:
        raise CommandError(f"I can't roll that: {error}") from None
    name = ctx.event.get("author_name") or "You"
    ctx.reply(f"🎲 **{name}** rolls {result}")
    ctx.session.add(MessageHistory(channel_id=ctx.event.get("channel_id"), player_id=ctx.author_id, kind="roll",
                                   message=f"{ctx.args} = {result.total}"))


@command("system_stats", "!system_stats", "Queue depths, workers, database and Redis health, uptime.",
         category="System")
def system_stats_command(ctx: CommandContext) -> None:
    stats = collect(get_redis(), ping_timeout_s=0.5)
    queues = "\n".join(f"`{name}`: {depth}" for name, depth in stats.queues.items()) or "unknown"
    workers = "\n".join(f"`{name}`: {state}" for name, state in sorted(stats.workers.items())) or "none answering"
    health = (f"Redis: {'✅' if stats.redis_ok else '❌'}  PostgreSQL: {'✅' if stats.database_ok else '❌'}"
              f"  pgvector: {'✅' if stats.vector_extension else '❌'}")
    fields = [
        {"name": "Health", "value": health},
        {"name": "Queues (waiting)", "value": queues, "inline": True},
        {"name": "Workers", "value": workers, "inline": True},
        {"name": "Turns in flight", "value": str(stats.turns_in_flight), "inline": True},
        {"name": "Replies not yet posted", "value": str(stats.replies_pending), "inline": True},
        {"name": "Uptime", "value": format_duration(stats.uptime_s), "inline": True},
    ]
    ctx.reply("System status", embeds=[{"title": "System stats", "fields": fields}])
