"""Safety tools: lines (never in the story) and veils (off-screen only), `!lines`, `!veils`, `!safety`. Anyone at
the table may add one, by DM too, and nothing records who did; removing one is the owner's."""

from __future__ import annotations

from db import safety
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.safety_check import MAX_TOPICS, clean_topic

CATEGORY = "Safety"
LIST_NAMES = {"line": "lines", "veil": "veils"}


@command("lines", "!lines add <topic> | !lines remove <topic>",
         "A line: a topic that never appears in the story (anyone may add one, by DM too; the owner removes).",
         category=CATEGORY)
def lines_command(ctx: CommandContext) -> None:
    _edit(ctx, "line")


@command("veils", "!veils add <topic> | !veils remove <topic>",
         "A veil: a topic that may happen, but off-screen (anyone may add one, by DM too; the owner removes).",
         category=CATEGORY)
def veils_command(ctx: CommandContext) -> None:
    _edit(ctx, "veil")


@command("safety", "!safety", "The table's lines and veils.", category=CATEGORY)
def safety_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        raise CommandError("`!safety` takes nothing after it.")
    found = safety.topics(ctx.session)
    shown = [f"**Lines** (never in the story): {', '.join(found['line']) or 'none'}",
             f"**Veils** (off-screen only): {', '.join(found['veil']) or 'none'}",
             "Add one with `!lines add <topic>` or `!veils add <topic>` — by DM if you prefer; nobody is told who."]
    ctx.reply("\n".join(shown))


def _edit(ctx: CommandContext, kind: str) -> None:
    verb, _, rest = ctx.args.strip().partition(" ")
    name = LIST_NAMES[kind]
    if verb.casefold() not in ("add", "remove") or not rest.strip():
        raise CommandError(f"Usage: `!{name} add <topic>` or `!{name} remove <topic>`.")
    try:
        topic = clean_topic(rest)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if verb.casefold() == "remove":
        if not ctx.is_owner:
            raise CommandError(f"Only the owner can remove one of the {name}.")
        if not safety.remove(ctx.session, kind, topic):
            raise CommandError(f"`{topic}` is not one of the {name}. `!safety` lists them.")
        ctx.reply(f"`{topic}` is no longer one of the {name}.")
        return
    if len(safety.topics(ctx.session)[kind]) >= MAX_TOPICS:
        raise CommandError(f"The {name} list is full ({MAX_TOPICS}); the owner can remove one first.")
    if not safety.add(ctx.session, kind, topic):
        raise CommandError(f"`{topic}` is already one of the {name}.")
    ctx.reply(f"Noted: `{topic}` is one of the table's {name} now. Thank you for saying so.")
