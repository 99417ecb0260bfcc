"""First commands: `!help`, `!roll`, `!system_stats`."""

from __future__ import annotations

import random
import re

from db.campaigns import active_campaign_id
from db.characters import save
from dnd.actions import compose, plan_roll
from dnd.dice import DiceError, roll
from message_parts import pack_lines
from tasks.handlers.character_support import log_roll, my_character
from tasks.handlers.combat_support import help_action
from tasks.handlers.registry import COMMANDS, CommandContext, CommandError, command
from tasks.monitoring import collect, format_duration
from tasks.redis_client import get_redis

_rng = random.SystemRandom()
EMBED_FIELD_VALUE_LIMIT = 1024


@command("help", "!help [command]", "List every command, or show how to use one.")
def help_command(ctx: CommandContext) -> None:
    wanted = ctx.args.lstrip("!").strip().lower()
    if wanted:
        spec = COMMANDS.get(wanted)
        if spec is None and help_action(ctx, ctx.args):  # in a fight, `!help <ally>` is the Help action
            return
        if spec is None:
            raise CommandError(f"There is no command `!{wanted[:40]}`. Type `!help` to see them all.")
        owner = " (owner only)" if spec.owner_only else ""
        ctx.reply(f"`{spec.usage}`{owner}\n{spec.summary}" + (f"\n{spec.details}" if spec.details else ""))
        return
    by_category: dict[str, list[str]] = {}
    for spec in sorted(COMMANDS.values(), key=lambda s: s.name):
        owner = " 🔒" if spec.owner_only else ""
        by_category.setdefault(spec.category, []).append(f"`{spec.usage}`{owner} — {spec.summary}")
    fields = []
    for category, lines in sorted(by_category.items()):
        for number, chunk in enumerate(pack_lines(lines, EMBED_FIELD_VALUE_LIMIT)):
            fields.append({"name": category if number == 0 else f"{category} (continued)", "value": chunk})
    ctx.reply("Here is what I can do (🔒 = owner only). Type `!help <command>` for one command.",
              embeds=[{"title": "Commands", "fields": fields}])


# `!help roll`: the notation (d20's, Avrae's dice library, plus Roll20's counts) and where we differ from d20.
ROLL_NOTATION = (
    "**Notation**: `XdY`, `d%`, `+ - * / // %`, `( )`, `1.5`; keep/drop `kh3 kl1 dh1 dl1 ph1 pl1`, by face "
    "`k<3 k>4 k=3 p<3`; reroll `ro1` (once), `rr<3` (until not), `ra6` (roll one more and add), `rol1` "
    "(the lowest die); `e6`/`!` explode; `mi2`/`ma5` minimum/maximum face; `10d10>=8` counts successes; "
    "`(1d20+2, 1d20+5)kh1` sets; `(4d6)kh3` keeps dice of the group; `1d20+5 >= 15` compares (Success/"
    "Failure); `2d6[fire]` damage types; `6#4d6kh3` repeats; `adv`/`dis` after the dice.\n"
    "**Unlike Avrae/d20**: `d%` is 1–100 (d20: a 0–90 tens die); a bare `k3`/`p3` keeps/drops the highest/"
    "lowest 3 (d20 selects faces equal to 3: write `k=3`); chained keeps apply in turn to the dice still "
    "kept (d20 joins them); division and decimals round down (d20 truncates toward zero); `2d6>=8` with no "
    "space counts dice (write `2d6 >= 8` to compare the total); dice that can never stop exploding or "
    "rerolling are refused."
)

_ROLL_FLAG = re.compile(r"(?:^|\s)--(feat|ability|item)(?=\s|=|$)[\s=]*(.*?)(?=\s--|$)", re.IGNORECASE)


def parse_roll_flags(args: str) -> tuple[str, dict[str, str]]:
    """`1d20+3 Attack --feat Sharpshooter --item Longbow` → ("1d20+3 Attack", {"feat": ..., "item": ...})."""
    flags: dict[str, str] = {}
    for match in _ROLL_FLAG.finditer(args):
        kind, value = match.group(1).lower(), match.group(2).strip()
        if not value:
            raise CommandError(f"`--{kind}` needs a name, e.g. `--{kind} "
                               + {"feat": "Lucky", "ability": "Rage", "item": "Longsword"}[kind] + "`.")
        if kind in flags:
            raise CommandError(f"`--{kind}` was given twice.")
        flags[kind] = value
    text = _ROLL_FLAG.sub(" ", args).strip()
    if "--" in text:
        raise CommandError("Modifiers are `--feat <feat>`, `--ability <ability>` and `--item <item>`.")
    return text, flags


@command("roll", "!roll <dice> [label]",
         "Roll dice, e.g. `!roll 1d20+5 Stealth`, `!roll 4d6kh3`; add your character's feat, ability or weapon "
         "with `--feat Lucky`, `--ability Rage`, `--item Longsword`.", category="Dice", details=ROLL_NOTATION)
def roll_command(ctx: CommandContext) -> None:
    if not ctx.args:
        raise CommandError("What should I roll? For example `!roll 1d20+5` or `!roll 8d6[fire]`.")
    text, flags = parse_roll_flags(ctx.args)
    if not flags:
        try:
            result = roll(text, _rng)
        except DiceError as error:
            raise CommandError(f"I can't roll that: {error}") from None
        name = ctx.event.get("author_name") or "You"
        ctx.reply(f"🎲 **{name}** rolls {result}")
        log_roll(ctx, f"{ctx.args} = {result.total}", active_campaign_id(ctx.session))
        return
    stored = my_character(ctx, for_update=True)
    try:
        plan = plan_roll(stored.character, text, feat=flags.get("feat"), ability=flags.get("ability"),
                         item=flags.get("item"))
        expression = compose(text, plan)
        result = roll(expression, _rng)
    except DiceError as error:
        raise CommandError(f"I can't roll that: {error}") from None
    if plan.character is not stored.character:
        save(ctx.session, stored, plan.character)
    notes = "\n".join(f"• {note}" for note in plan.notes)
    ctx.reply(f"🎲 **{stored.character.name}** rolls {result}" + (f"\n{notes}" if notes else ""))
    log_roll(ctx, f"{expression} = {result.total}", stored.campaign_id)
    # A roll with a feat, ability or weapon is a moment of the story: the narrator follows the number.
    used = ", ".join(f"{kind} {name}" for kind, name in flags.items())
    ctx.narrate(f"{stored.character.name} rolls {text} with {used}: total {result.total}.")


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
