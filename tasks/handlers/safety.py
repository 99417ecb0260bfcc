"""Safety tools: the X-card (`!x`: the last narration withdrawn, the story steered away, nobody told who unless the
owner chose to be, `!safety xcard-reveal`, and then only the owner), lines
(never in the story) and veils (off-screen only), `!lines`, `!veils`, `!safety`: anyone at the table may add one, by
DM too, and nothing records who did; removing one is the owner's. And the owner's `!spotlight`: each player's share
of the session's table messages."""

from __future__ import annotations

from collections import Counter

import keys
from db import audit, safety
from db.campaigns import active_campaign_id
from db.characters import find_many
from db.journal import session_ends
from db.outbox import Reply, reply_target
from db.turn_context import recent_speakers
from tasks.handlers.character_support import mention
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.publish import publish_notice
from tasks.redis_client import get_redis
from tasks.safety_check import MAX_TOPICS, clean_topic

CATEGORY = "Safety"
X_NOTICE = "🛑 *This narration was withdrawn with the X-card. The story moves on.*"
X_CARD_TTL_S = 15 * 60  # the narrator steers away for the next quarter of an hour
LIST_NAMES = {"line": "lines", "veil": "veils"}


XCARD_REVEAL_USAGE = "!safety xcard-reveal on|off"


def _tell_sender(ctx: CommandContext, text: str) -> None:
    """The X-card's answer to whoever sent it goes straight onto the reply stream, never into the outbox (after the
    commit, so a refusal too): no row of the database says who used, or tried, the card."""
    reply = Reply(content=text, reply_to=ctx.event.get("message_id"), **reply_target(ctx.event, dm=True))
    key = f"xcard:{ctx.event.get('message_id')}"
    ctx.after_commit.append(lambda: publish_notice(key, reply))


@command("x", "!x", "The X-card: the last narration is withdrawn and the story steers away. Send it by DM and "
         "nobody is told who did (unless the owner chose to be: `!safety` says).", category=CATEGORY)
def x_card_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        _tell_sender(ctx, "`!x` takes nothing after it (send it to me by DM to stay anonymous).")
        return
    channel_id = ctx.event.get("channel_id") or ctx.settings.bot_channel_id  # by DM: the table's channel
    channel = keys.channel_key(channel_id, None)
    client = get_redis()
    last = client.get(keys.last_narration(channel))
    if not last:
        _tell_sender(ctx, "There's no narration to withdraw yet.")
        return
    ctx.replies.append(Reply(content=X_NOTICE, edit_key=last, channel_id=channel_id, meta={"x_card": True}))
    ctx.after_commit.append(lambda: client.set(keys.x_card(channel), 1, ex=X_CARD_TTL_S))
    revealed = safety.xcard_reveal(ctx.session) and ctx.author_id != ctx.settings.owner_id
    if revealed:  # the owner's choice, told to every player by `!safety`: only the owner learns who
        name = str(ctx.event.get("author_name") or "")[:80]
        ctx.replies.append(Reply(content=f"🛑 {mention(ctx.author_id)}{f' ({name})' if name else ''} used the X-card "
                                         "on the last narration (you chose to be told: `!safety xcard-reveal off` "
                                         "stops it).", dm_user_id=ctx.settings.owner_id))
    who = ("the owner is told it was you, as `!safety` says; nobody else is" if revealed
           else "nobody is told who used the card, and nothing records it")
    _tell_sender(ctx, f"🛑 Withdrawn. The story will steer away from it; {who}.")


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


def _xcard_line(revealed: bool) -> str:
    if revealed:
        return ("**X-card** (`!x`): the owner has chosen to be told who uses it (only the owner; nobody else, "
                "and it is kept nowhere else)")
    return "**X-card** (`!x`): anonymous — nobody, the owner included, is told who uses it, and nothing records it"


@command("safety", "!safety | !safety xcard-reveal on|off", "The table's lines and veils, and whether the owner is "
         "told who uses the X-card (the owner chooses: `!safety xcard-reveal on|off`, off by default).",
         category=CATEGORY)
def safety_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        _set_xcard_reveal(ctx)
        return
    found = safety.topics(ctx.session)
    shown = [f"**Lines** (never in the story): {', '.join(found['line']) or 'none'}",
             f"**Veils** (off-screen only): {', '.join(found['veil']) or 'none'}",
             _xcard_line(safety.xcard_reveal(ctx.session)),
             "Add one with `!lines add <topic>` or `!veils add <topic>` — by DM if you prefer; nobody is told who."]
    ctx.reply("\n".join(shown))


def _set_xcard_reveal(ctx: CommandContext) -> None:
    """The owner's choice to be told who uses the X-card; the table is told at once, so the card stays trusted."""
    setting, _, value = ctx.args.strip().partition(" ")
    if setting.casefold() != "xcard-reveal":
        raise CommandError(f"`!safety` alone shows the table's safety tools; the owner sets `{XCARD_REVEAL_USAGE}`.")
    if not ctx.is_owner:
        raise CommandError("Only the owner chooses whether they are told who uses the X-card.")
    if value.strip().casefold() not in ("on", "off"):
        raise CommandError(f"Say `on` or `off`: `{XCARD_REVEAL_USAGE}`.")
    enabled = value.strip().casefold() == "on"
    before = safety.xcard_reveal(ctx.session)
    safety.set_xcard_reveal(ctx.session, enabled)
    audit.record(ctx.session, f"owner:{ctx.author_id}", f"!safety xcard-reveal {'on' if enabled else 'off'}",
                 target=safety.XCARD_REVEAL_KEY, campaign_id=None, before={"enabled": before},
                 after={"enabled": enabled})
    news = "From now on, " + ("the owner is told who uses the X-card (`!x`); nobody else is." if enabled
                              else "nobody, the owner included, is told who uses the X-card (`!x`).")
    ctx.reply(f"🛑 {news}" + ("" if before != enabled else " (It already was so.)"))
    if ctx.event.get("channel_id") != ctx.settings.bot_channel_id:  # set by DM: the table hears it too
        ctx.replies.append(Reply(content=f"🛑 The owner changed the X-card setting. {news}",
                                 channel_id=ctx.settings.bot_channel_id))


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
