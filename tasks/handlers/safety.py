"""Safety tools: the X-card (`!x`: the last narration withdrawn, the story steered away, nobody told who), lines
(never in the story) and veils (off-screen only), `!lines`, `!veils`, `!safety`: anyone at the table may add one, by
DM too, and nothing records who did; removing one is the owner's. And the owner's `!spotlight`: each player's share
of the session's table messages."""

from __future__ import annotations

from collections import Counter

import keys
from db import safety
from db.campaigns import active_campaign_id
from db.characters import find_many
from db.journal import session_ends
from db.outbox import Reply
from db.turn_context import recent_speakers
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.redis_client import get_redis
from tasks.safety_check import MAX_TOPICS, clean_topic

CATEGORY = "Safety"
X_NOTICE = "🛑 *This narration was withdrawn with the X-card. The story moves on.*"
X_CARD_TTL_S = 15 * 60  # the narrator steers away for the next quarter of an hour
LIST_NAMES = {"line": "lines", "veil": "veils"}


@command("x", "!x", "The X-card: the last narration is withdrawn and the story steers away. Send it by DM and "
         "nobody is told who did.", category=CATEGORY)
def x_card_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        raise CommandError("`!x` takes nothing after it (send it to me by DM to stay anonymous).")
    channel_id = ctx.event.get("channel_id") or ctx.settings.bot_channel_id  # by DM: the table's channel
    channel = keys.channel_key(channel_id, None)
    client = get_redis()
    last = client.get(keys.last_narration(channel))
    if not last:
        raise CommandError("There's no narration to withdraw yet.")
    ctx.replies.append(Reply(content=X_NOTICE, edit_key=last, channel_id=channel_id, meta={"x_card": True}))
    ctx.after_commit.append(lambda: client.set(keys.x_card(channel), 1, ex=X_CARD_TTL_S))
    ctx.reply("🛑 Withdrawn. The story will steer away from it; nobody is told who used the card.", dm=True)


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


SPOTLIGHT_MESSAGES = 5000  # at most this many of a session's latest messages are counted


@command("spotlight", "!spotlight", "Each player's share of this session's table messages, or of the last "
         "session's when nothing has been said since it ended (owner).", owner_only=True, category=CATEGORY)
def spotlight_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        raise CommandError("`!spotlight` takes nothing after it.")
    campaign_id = active_campaign_id(ctx.session)
    if campaign_id is None:
        raise CommandError("No campaign is active: `!load_campaign <name>` first.")
    ends = session_ends(ctx.session, campaign_id)  # a session ends with its summary (a quiet hour, !end_session)

    def players(after_id: int, until_id: int | None) -> list[int]:
        return [p for p in recent_speakers(ctx.session, campaign_id, ctx.settings.bot_channel_id,
                                           SPOTLIGHT_MESSAGES, after_id=after_id, until_id=until_id)
                if p is not None]

    speakers, which = players(ends[-1] if ends else 0, None), f"session {len(ends) + 1}, so far"
    if not speakers and ends:
        speakers, which = players(ends[-2] if len(ends) > 1 else 0, ends[-1]), f"session {len(ends)}, the last played"
    if not speakers:
        ctx.reply("Nobody has spoken at the table yet in this campaign.", dm=True)
        return
    said = Counter(speakers)
    names = {p: stored.character.name for p, stored in find_many(ctx.session, said, campaign_id).items()}
    rows = [f"**{names.get(p, f'<@{p}>')}**: {n} message{'s' if n != 1 else ''} ({100 * n / len(speakers):.0f}%)"
            for p, n in said.most_common()]
    count = f"{len(speakers)} player message{'s' if len(speakers) != 1 else ''}"
    ctx.reply(f"🔦 The spotlight over {which} ({count} at the table):\n" + "\n".join(rows), dm=True)
