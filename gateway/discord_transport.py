"""The Discord transport: a discord.py client feeding the same intake and reply path as the local table.

- Messages in `BOT_CHANNEL_ID`, in DMs and in threads of the bot channel (or threads the bot opened) go
  through `Intake.receive`, which de-duplicates by message id in Redis, so a resumed or reconnected session
  replaying events never processes a message twice. After a reconnect the bot channel's recent history is
  read back (`backfill`) so messages sent while the gateway was away are not lost either.
- Replies from the `replies` stream are posted by `DiscordTransport.deliver`: split at 2,000 characters,
  embeds fitted to Discord's limits, each part sent with a nonce derived from the reply key (Discord drops
  a repeat of the same part) and recorded in Redis once out, so a retry re-sends only the missing parts.
  Rate limits, server errors and connection errors leave the entry pending (`TransientDeliveryError`);
  403/404 are recorded in `replies:undeliverable` and the entry is acked — there is nowhere to post it.
- ✅/❌ on the bot's own messages become `tasks.commands.reaction`, with the reply key and meta of the
  message (kept in the Redis hash `discord:msg:<message id>` when it was posted).
- Presence events keep `presence:<user id>`; the typing indicator runs while a channel has work in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import redis.asyncio as aioredis
from redis.exceptions import RedisError

import keys
from gateway.intake import Intake, IntakeResult, Outcome
from gateway.interactions import Interactions, edit_original, follow_up, message_view
from gateway.main import READY_KEY, consumer_name
from gateway.messages import (
    ATTACHMENT_MAX_BYTES,
    MAX_ATTACHMENTS,
    IncomingMessage,
    OutgoingReply,
    attachment_entry,
    reads_attachments,
)
from gateway.replies import POSTED_TTL_S, ReplyConsumer, TransientDeliveryError
from gateway.sender import TaskSender
from keys import REACTION_TASK
from message_parts import split_message
from settings import Settings

log = logging.getLogger(__name__)

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
EMBED_DESCRIPTION_FLOOR = 1024  # kept when other parts must give way
EMBEDS_PER_MESSAGE = 10
ELLIPSIS = "…"
EMPTY_FIELD = "\u200b"  # Discord rejects empty field names and values

NONCE_CHARS = 25
ALLOWED_REACTIONS = ("✅", "❌")
MAX_REACTIONS_PER_MESSAGE = 20
TYPING_EVERY_S = 8.0  # Discord shows "typing…" for 10 s after each trigger
TYPING_POLL_S = 1.0
TYPING_BACKOFF_S = 300.0  # after a 403/404 the channel is left alone for a while
UNDELIVERABLE_KEY = "replies:undeliverable"
UNDELIVERABLE_KEEP = 10_000
BACKFILL_LIMIT = 100
BACKFILL_MAX_AGE_S = 30 * 60
THREAD_CACHE_SIZE = 1024
CLOSE_GRACE_S = 5.0
# Rate limits longer than this raise `discord.RateLimited` instead of sleeping inside `deliver`, so one
# rate-limited channel does not hold up replies to the others (discord.py's minimum is 30 s).
MAX_RATELIMIT_SLEEP_S = 30.0
TRANSIENT_STATUSES = (401, 408, 429)  # plus every 5xx


def msg_key(message_id: int | str) -> str:
    """Hash: reply key, meta and target of a message the bot posted (for reactions)."""
    return f"discord:msg:{message_id}"


def edit_anchor_key(edit_key: str) -> str:
    """`<channel id>:<message id>` of the message first posted under an edit key."""
    return f"discord:edit:{edit_key}"


def part_key(reply_key: str, number: int) -> str:
    """`<channel id>:<message id>` of a part of a reply that is already out."""
    return f"{keys.posted_reply(reply_key)}#{number}"


def last_seen_key(channel_id: int) -> str:
    return f"discord:last_seen:{channel_id}"


def part_nonce(reply_key: str, number: int) -> str:
    """Stable per part, ≤ 25 characters: Discord drops a second message with the same nonce."""
    return hashlib.sha1(f"{reply_key}#{number}".encode()).hexdigest()[:NONCE_CHARS]


def presence_value(status: discord.Status | str) -> str:
    return "offline" if str(status) in ("offline", "invisible") else "online"


async def _attachments(message: discord.Message) -> list[dict[str, Any]]:
    """The files of a command that reads one (`reads_attachments`), read when small enough; nothing otherwise."""
    if not message.attachments or not reads_attachments(message.content):
        return []
    out = []
    for attachment in message.attachments[:MAX_ATTACHMENTS]:
        data = None
        if attachment.size <= ATTACHMENT_MAX_BYTES:
            try:
                data = await attachment.read()
            except (discord.HTTPException, discord.NotFound):
                log.warning("could not download attachment %s of message %s", attachment.id, message.id)
        out.append(attachment_entry(attachment.filename, attachment.size, attachment.content_type, data))
    return out


def make_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    intents.presences = True
    intents.reactions = True
    intents.guilds = True
    intents.dm_messages = True
    intents.guild_messages = True
    return intents


def make_client(**options: Any) -> discord.Client:
    """The client with the intents and the (safe) mention policy the gateway needs."""
    options.setdefault("intents", make_intents())
    options.setdefault("allowed_mentions", discord.AllowedMentions(everyone=False, roles=False, users=True,
                                                                   replied_user=False))
    options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_SLEEP_S)
    return discord.Client(**options)


# ---- embeds ----

def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def embed_length(embed: dict[str, Any]) -> int:
    """What Discord counts towards the 6,000-character total."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(field["name"]) + len(field["value"]) for field in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return total


def fit_embed(raw: dict[str, Any]) -> dict[str, Any]:
    """A reply's embed as a Discord embed dict within every limit (truncated with "…", never rejected)."""
    embed = _embed_parts(raw)
    raw_fields = [field for field in raw.get("fields") or [] if isinstance(field, dict)]
    fields = _embed_fields(raw_fields)
    if fields:
        embed["fields"] = fields
    if not any(key in embed for key in ("title", "description", "fields", "footer", "author")):
        embed["description"] = EMPTY_FIELD  # an embed must show something
    _fit_total(embed, len(raw_fields))
    return embed


def _embed_parts(raw: dict[str, Any]) -> dict[str, Any]:
    """Title, description, url, colour, footer and author, each within its limit; what is empty or invalid is
    left out."""
    embed: dict[str, Any] = {"type": "rich"}
    title = clip(_text(raw.get("title")), EMBED_TITLE_LIMIT)
    if title:
        embed["title"] = title
    description = clip(_text(raw.get("description")), EMBED_DESCRIPTION_LIMIT)
    if description:
        embed["description"] = description
    url = raw.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= 2048:
        embed["url"] = url
    color = raw.get("color", raw.get("colour"))
    if isinstance(color, int) and not isinstance(color, bool) and 0 <= color <= 0xFFFFFF:
        embed["color"] = color
    footer = raw.get("footer")
    footer_text = clip(_text(footer.get("text") if isinstance(footer, dict) else footer), EMBED_FOOTER_LIMIT)
    if footer_text:
        embed["footer"] = {"text": footer_text}
    author = raw.get("author")
    author_name = clip(_text(author.get("name") if isinstance(author, dict) else author), EMBED_AUTHOR_LIMIT)
    if author_name:
        embed["author"] = {"name": author_name}
    return embed


def _embed_fields(raw_fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields within their limits; past the 25th, one field says how many more there were."""
    fields = [{"name": clip(_text(field.get("name")).strip() or EMPTY_FIELD, EMBED_FIELD_NAME_LIMIT),
               "value": clip(_text(field.get("value")).strip() or EMPTY_FIELD, EMBED_FIELD_VALUE_LIMIT),
               "inline": bool(field.get("inline", False))} for field in raw_fields]
    if len(fields) > EMBED_FIELDS_LIMIT:
        hidden = len(fields) - (EMBED_FIELDS_LIMIT - 1)
        fields = fields[:EMBED_FIELDS_LIMIT - 1] + [{"name": ELLIPSIS, "value": f"{hidden} more not shown",
                                                     "inline": False}]
    return fields


def _fit_total(embed: dict[str, Any], raw_field_count: int) -> None:
    """Over the 6,000 total: the description gives way first (down to a readable floor), then the last fields
    (the numbers usually sit in the first ones), then the rest of the description."""
    description = embed.get("description", "")
    excess = embed_length(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and description:
        embed["description"] = clip(description, max(len(description) - excess,
                                                      min(len(description), EMBED_DESCRIPTION_FLOOR)))
    dropped = 0
    while embed_length(embed) > EMBED_TOTAL_LIMIT and embed.get("fields"):
        embed["fields"].pop()
        dropped += 1
    if dropped and embed.get("fields"):
        last = embed["fields"][-1]
        note = f"\n… {raw_field_count - len(embed['fields'])} more not shown"
        candidate = clip(last["value"], EMBED_FIELD_VALUE_LIMIT - len(note)) + note
        if embed_length(embed) - len(last["value"]) + len(candidate) <= EMBED_TOTAL_LIMIT:
            last["value"] = candidate
    excess = embed_length(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.get("description"):
        keep = len(embed["description"]) - excess
        if keep > 0:
            embed["description"] = clip(embed["description"], keep)
        else:
            del embed["description"]


def embed_groups(raw_embeds: list[Any]) -> list[list[dict[str, Any]]]:
    """Fitted embeds grouped per message: at most 10 embeds and 6,000 characters in all per message."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for raw in raw_embeds:
        if not isinstance(raw, dict):
            continue
        embed = fit_embed(raw)
        length = embed_length(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL_LIMIT):
            groups.append(current)
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        groups.append(current)
    return groups


@dataclass(frozen=True)
class Part:
    content: str
    embeds: list[dict[str, Any]]


def plan_parts(reply: OutgoingReply) -> list[Part]:
    """The messages a reply becomes: its text split at line boundaries, the embeds on the last text part
    (and on further messages of their own when they do not fit one)."""
    parts = [Part(text, []) for text in split_message(reply.content)] if reply.content.strip() else []
    groups = embed_groups(reply.embeds)
    if groups:
        if parts:
            parts[-1] = Part(parts[-1].content, groups[0])
        else:
            parts.append(Part("", groups[0]))
        parts.extend(Part("", group) for group in groups[1:])
    return parts


def _retry_after(error: discord.HTTPException) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    try:
        value = headers.get("Retry-After") or headers.get("retry-after")
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


# Where a reply is posted: a cached channel or thread, the DM channel, or a bare channel id.
Target = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.DMChannel | discord.PartialMessageable


class Undeliverable(Exception):
    """Discord will never take this reply (no access, unknown channel): record it and move on."""


# ---- the transport ----

class DiscordTransport:
    def __init__(self, client: discord.Client, redis: aioredis.Redis, consumer: ReplyConsumer) -> None:
        self.client = client
        self.redis = redis
        self.consumer = consumer
        # Called with the channel key once a reply is out (Discord stops the typing indicator on a post).
        self.after_post: Callable[[str], None] | None = None

    async def deliver(self, entry_id: str, reply: OutgoingReply) -> None:
        try:
            await self._deliver(entry_id, reply)
        except TransientDeliveryError:
            raise
        except discord.RateLimited as error:
            raise TransientDeliveryError(str(error), error.retry_after) from error
        except discord.HTTPException as error:
            if error.status in TRANSIENT_STATUSES or error.status >= 500:
                raise TransientDeliveryError(f"Discord answered {error.status}", _retry_after(error)) from error
            await self._undeliverable(entry_id, reply, f"{error.status} {error.text}".strip())
        except Undeliverable as error:
            await self._undeliverable(entry_id, reply, str(error))
        except (TimeoutError, aiohttp.ClientError, OSError, discord.GatewayNotFound) as error:
            raise TransientDeliveryError(f"connection error: {error!r}") from error
        except RedisError as error:
            raise TransientDeliveryError(f"redis error: {error!r}") from error
        except Exception as error:  # a bug must not drop the reply either: keep it pending and log loudly
            log.exception("unexpected error posting %s", reply.reply_key)
            raise TransientDeliveryError(f"unexpected error: {error!r}") from error

    async def _deliver(self, entry_id: str, reply: OutgoingReply) -> None:
        parts = plan_parts(reply)
        if not parts:
            log.info("reply %s has nothing to post", reply.reply_key)
            await self.consumer.mark_posted(entry_id, reply.reply_key)
            return
        target: Target | None = None
        anchor = await self.redis.get(edit_anchor_key(reply.edit_key)) if reply.edit_key else None
        interaction = await self._interaction(reply)
        last: str | None = None
        for number, part in enumerate(parts):
            done = await self.redis.get(part_key(reply.reply_key, number))
            if done:
                last = done
                continue
            where = await self._edit(anchor, part) if number == 0 and anchor else None
            if where is None and interaction is not None:
                where = await self._answer_interaction(interaction, reply, number, part)
            if where is None:
                if target is None:
                    target = await self._target(reply)
                message = await self._send(target, reply, number, part, buttons=number == len(parts) - 1)
                where = f"{message.channel.id}:{message.id}"
            last = where
            await self._record(reply, number, where, new_anchor=number == 0 and where != anchor)
        if last is not None:
            await self._react(reply, last)
        await self.consumer.mark_posted(entry_id, reply.reply_key)
        if self.after_post is not None:
            self.after_post(keys.channel_key(reply.channel_id, reply.dm_user_id))

    async def _interaction(self, reply: OutgoingReply) -> dict[str, Any] | None:
        """The slash command this reply answers, while its token is good (`gateway.interactions`)."""
        if not reply.reply_to or not reply.reply_to.startswith("i"):
            return None
        raw = await self.redis.get(keys.interaction(reply.reply_to))
        return json.loads(raw) if raw else None

    async def _answer_interaction(self, interaction: dict[str, Any], reply: OutgoingReply, number: int,
                                  part: Part) -> str | None:
        """The first reply to a slash command edits its deferred answer (exactly once: a retry edits it again,
        to the same text); later replies and parts are follow-ups. A reply that goes elsewhere (a DM answering
        a command typed in the channel) posts there and leaves a pointer in the deferred answer, so nothing
        private lands in the channel. None when Discord no longer knows the interaction: post normally."""
        message_id = interaction["message_id"]
        answered = keys.interaction_answered(message_id)
        claimed = await self.redis.set(answered, reply.reply_key, nx=True, ex=POSTED_TTL_S)
        first = number == 0 and (claimed or await self.redis.get(answered) == reply.reply_key)
        same_place = interaction.get("channel") == keys.channel_key(reply.channel_id, reply.dm_user_id)
        app_id, token = interaction["application_id"], interaction["token"]
        try:
            if not same_place:
                if first:
                    await edit_original(self.client, app_id, token, {"content": "📬 I answered in your DMs."})
                return None
            view = message_view(reply.meta) if number == len(plan_parts(reply)) - 1 else None
            payload = {"content": part.content or "", "embeds": part.embeds,
                       "components": view.to_components() if view else [],
                       "allowed_mentions": {"parse": ["users"], "replied_user": False}}
            sent = await (edit_original if first else follow_up)(self.client, app_id, token, payload)
        except discord.NotFound:
            log.info("interaction %s is gone (token expired?): posting %s normally", message_id, reply.reply_key)
            return None
        return f"{sent['channel_id']}:{sent['id']}"

    async def _target(self, reply: OutgoingReply) -> Target:
        if reply.dm_user_id is not None:
            try:
                return await self.client.create_dm(discord.Object(reply.dm_user_id))
            except (discord.Forbidden, discord.NotFound) as error:
                raise Undeliverable(f"cannot open a DM with {reply.dm_user_id}: {error.status} {error.text}") \
                    from error
        if reply.channel_id is None:
            raise Undeliverable("the reply has neither a channel nor a DM user")
        channel = self.client.get_channel(reply.channel_id)
        if isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            return channel
        return self.client.get_partial_messageable(reply.channel_id)

    async def _send(self, target: Target, reply: OutgoingReply, number: int, part: Part, *,
                    buttons: bool = False) -> discord.Message:
        embeds = [discord.Embed.from_dict(embed) for embed in part.embeds] or None
        reference = None
        if number == 0 and reply.reply_to and reply.reply_to.isdigit():
            reference = discord.MessageReference(message_id=int(reply.reply_to), channel_id=target.id,
                                                 fail_if_not_exists=False)
        nonce = part_nonce(reply.reply_key, number)
        # ✅/❌ confirmations also come as buttons (a press is the reaction), short answer lists as a select menu.
        view = message_view(reply.meta) if buttons else None
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        try:
            message = await target.send(content=part.content or None, embeds=embeds, nonce=nonce,
                                        reference=reference, **extra)
        except discord.HTTPException as error:
            if reference is None or error.status != 400:
                raise
            # The referenced message is in another conversation (a command answered by DM): post it plainly.
            log.info("reply %s: Discord refused the reference (%s); posting without it", reply.reply_key, error)
            message = await target.send(content=part.content or None, embeds=embeds, nonce=nonce, **extra)
        if view is not None:
            view.stop()  # nothing to run in-process: the press arrives as an interaction event
        return message

    async def _edit(self, anchor: str, part: Part) -> str | None:
        channel_id, _, message_id = anchor.partition(":")
        channel = self.client.get_partial_messageable(int(channel_id))
        embeds = [discord.Embed.from_dict(embed) for embed in part.embeds]
        try:
            message = await channel.get_partial_message(int(message_id)).edit(content=part.content or None,
                                                                              embeds=embeds)
        except discord.NotFound:
            log.info("message %s to edit is gone; posting a new one", anchor)
            return None
        return f"{message.channel.id}:{message.id}"

    async def _record(self, reply: OutgoingReply, number: int, where: str, *, new_anchor: bool) -> None:
        discord_channel_id, _, message_id = where.partition(":")
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(part_key(reply.reply_key, number), where, ex=POSTED_TTL_S)
        pipe.hset(msg_key(message_id), mapping={
            "reply_key": reply.reply_key, "meta": json.dumps(reply.meta, ensure_ascii=False), "part": number,
            "channel_id": "" if reply.channel_id is None else str(reply.channel_id),
            "dm_user_id": "" if reply.dm_user_id is None else str(reply.dm_user_id),
            "discord_channel_id": discord_channel_id})
        pipe.expire(msg_key(message_id), POSTED_TTL_S)
        if new_anchor and reply.edit_key:
            pipe.set(edit_anchor_key(reply.edit_key), where, ex=POSTED_TTL_S)
        await pipe.execute()

    async def _react(self, reply: OutgoingReply, where: str) -> None:
        wanted = reply.meta.get("reactions") or []
        if not isinstance(wanted, list):
            return
        channel_id, _, message_id = where.partition(":")
        message = self.client.get_partial_messageable(int(channel_id)).get_partial_message(int(message_id))
        for emoji in [e for e in wanted if isinstance(e, str) and e][:MAX_REACTIONS_PER_MESSAGE]:
            try:
                await message.add_reaction(emoji)  # PUT: adding it again on a retry is harmless
            except discord.HTTPException as error:
                if error.status in TRANSIENT_STATUSES or error.status >= 500:
                    raise
                # The message is out; a reaction Discord refuses is reported, not retried forever.
                await self._record_undeliverable(reply, f"reaction {emoji}: {error.status} {error.text}")

    async def _undeliverable(self, entry_id: str, reply: OutgoingReply, reason: str) -> None:
        log.error("reply %s cannot be delivered (%s); recorded in %s", reply.reply_key, reason, UNDELIVERABLE_KEY)
        await self._record_undeliverable(reply, reason)
        await self.consumer.mark_posted(entry_id, reply.reply_key)

    async def _record_undeliverable(self, reply: OutgoingReply, reason: str) -> None:
        record = {"reply_key": reply.reply_key, "reason": reason, "channel_id": reply.channel_id,
                  "dm_user_id": reply.dm_user_id, "at": time.time()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(UNDELIVERABLE_KEY, json.dumps(record, ensure_ascii=False))
        pipe.ltrim(UNDELIVERABLE_KEY, 0, UNDELIVERABLE_KEEP - 1)
        await pipe.execute()


# ---- the gateway ----

class DiscordGateway:
    """The client, the intake, the reply consumer and the transport, wired together.

    The handlers are plain methods (registered as the client's events), so they can be driven by
    discord.py's own event parsing without Discord's servers.
    """

    def __init__(self, settings: Settings, redis: aioredis.Redis, sender: TaskSender, *,
                 client: discord.Client | None = None, consumer_name: str = "gateway-discord") -> None:
        self.settings = settings
        self.redis = redis
        self.sender = sender
        self.client = client or make_client()
        self.consumer = ReplyConsumer(redis, consumer_name)
        self.transport = DiscordTransport(self.client, redis, self.consumer)
        self.consumer.transport = self.transport
        self.transport.after_post = self._posted
        self.intake = Intake(settings, redis, sender, self.consumer.notice)
        self.typing_poll_s = TYPING_POLL_S
        self.failure: BaseException | None = None
        self.failed = asyncio.Event()  # a background task (the reply consumer) died: the process should exit
        self._closing = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._started = False
        self._typed_at: dict[str, float] = {}
        self._typing_blocked: dict[str, float] = {}
        self._thread_cache: dict[int, bool] = {}
        self.interactions = Interactions(self.client, redis, self.intake, sender, self._placement,
                                         self._reaction_event)
        self._register()

    def _register(self) -> None:
        client: Any = self.client  # discord.py looks the handlers up by name on the client at dispatch time
        client.setup_hook = self.setup
        client.on_ready = self.handle_ready
        client.on_message = self.handle_message
        client.on_raw_reaction_add = self.handle_reaction
        client.on_presence_update = self.handle_presence
        client.on_interaction = self.interactions.handle

    # ---- lifecycle ----
    async def setup(self) -> None:
        """After login (REST works from here on): the reply consumer, leftover batches, the typing loop."""
        if self._started:
            return
        self._started = True
        await self.consumer.ensure_group()
        self._spawn(self.consumer.run(), "reply-consumer")
        flushed = await self.intake.flush_leftovers()
        self._spawn(self._typing_loop(), "typing")
        log.info("discord gateway set up (flushed %d leftover batches)", flushed)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as error:  # surfaced to run_discord, which exits (supervisord restarts it)
                log.exception("%s stopped", name)
                self.failure = error
                self.failed.set()
                raise

        self._tasks.append(asyncio.create_task(guarded(), name=f"gateway: {name}"))

    async def close(self, grace_s: float = CLOSE_GRACE_S) -> None:
        self._closing.set()
        self.consumer.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
        if not self.client.is_closed():
            await self.client.close()
        try:
            ready = await self.redis.get(READY_KEY)
            if ready and ready.startswith("discord:"):
                await self.redis.delete(READY_KEY)
        except RedisError:
            pass

    # ---- events ----
    async def handle_ready(self) -> None:
        user = self.client.user
        assert user is not None
        await self.redis.set(READY_KEY, f"discord:{user.id}")
        members = await self.refresh_presence()
        backfilled = await self.backfill()
        self._spawn_side(self.interactions.sync_commands(self._closing), "slash-commands")
        log.info("connected to Discord as %s (%s); presence of %d members; %d messages read back", user, user.id,
                 members, backfilled)

    async def handle_message(self, message: discord.Message) -> IntakeResult | None:
        incoming = await self._incoming(message)
        if incoming is None:
            return None
        result = await self.intake.receive(incoming)
        if incoming.channel_id == self.settings.bot_channel_id:
            await self._remember_last_seen(message.id)
        if result.outcome in (Outcome.COMMAND, Outcome.TURN_NOW, Outcome.QUESTION, Outcome.BATCHED):
            self._spawn_side(self._trigger_typing(keys.channel_key(incoming.channel_id, incoming.dm_user_id)),
                             "typing")
        return result

    def _spawn_side(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Work beside the events (a typing indicator, registering the slash commands): its failure is logged,
        never fatal to the gateway."""
        async def logged() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", name)

        task = asyncio.create_task(logged(), name=f"gateway: {name}")
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def handle_reaction(self, payload: discord.RawReactionActionEvent) -> bool:
        """A ✅/❌ by a player on one of the bot's messages → `tasks.commands.reaction`."""
        user = self.client.user
        if user is None or payload.user_id == user.id or payload.event_type != "REACTION_ADD":
            return False
        if payload.member is not None and payload.member.bot:
            return False
        emoji = str(payload.emoji).replace("\ufe0f", "")
        event = await self._reaction_event(payload.message_id, payload.user_id, emoji)
        if event is None:
            return False
        await asyncio.to_thread(self.sender.send, REACTION_TASK, event)
        return True

    async def _reaction_event(self, message_id: int, user_id: int, emoji: str) -> dict[str, Any] | None:
        """A ✅/❌ (reaction or button) on one of our messages as the workers' reaction event; the same id for
        the same user, message and emoji, so a second press or reaction counts once."""
        if emoji not in ALLOWED_REACTIONS:
            return None
        posted = await self.redis.hgetall(msg_key(message_id))
        if not posted:  # not a message of ours (or too old to matter)
            return None
        return {
            "reaction_id": f"{message_id}:{user_id}:{emoji}",
            "message_id": str(message_id), "reply_key": posted.get("reply_key"),
            "meta": json.loads(posted.get("meta") or "{}"), "user_id": user_id, "emoji": emoji,
            "channel_id": int(posted["channel_id"]) if posted.get("channel_id") else None,
            "dm_user_id": int(posted["dm_user_id"]) if posted.get("dm_user_id") else None,
        }

    async def _placement(self, interaction: discord.Interaction) -> tuple[int | None, int | None] | None:
        """Where a slash command is answered: (channel, None) in the game channel or one of its threads,
        (None, user) in a DM; None anywhere else."""
        if interaction.guild_id is None:
            return None, interaction.user.id
        channel_id = interaction.channel_id
        if channel_id == self.settings.bot_channel_id or (
                interaction.channel is not None and await self._is_our_thread(interaction.channel)):
            return channel_id, None
        return None

    async def handle_presence(self, before: discord.Member, after: discord.Member) -> None:
        await self.redis.set(keys.presence(after.id), presence_value(after.status))

    # ---- helpers ----
    def _posted(self, channel_key: str) -> None:
        self._typed_at.pop(channel_key, None)  # still busy after this reply? type again on the next poll

    async def _incoming(self, message: discord.Message) -> IncomingMessage | None:
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None  # joins, pins, thread starters and other system messages
        user = self.client.user
        if user is not None and message.author.id == user.id:
            return None
        channel = message.channel
        common = {"message_id": str(message.id), "author_id": message.author.id,
                  "author_name": message.author.display_name, "content": message.content,
                  "is_bot": message.author.bot, "attachments": await _attachments(message)}
        if isinstance(channel, discord.DMChannel):  # bots are never in group DMs
            return IncomingMessage(dm_user_id=message.author.id, **common)
        if channel.id == self.settings.bot_channel_id or await self._is_our_thread(channel):
            return IncomingMessage(channel_id=channel.id, **common)
        return None

    async def _is_our_thread(self, channel: Any) -> bool:
        if isinstance(channel, discord.Thread):
            user = self.client.user
            return channel.parent_id == self.settings.bot_channel_id or (user is not None
                                                                         and channel.owner_id == user.id)
        if not isinstance(channel, discord.PartialMessageable):
            return False
        # A channel discord.py has not cached (e.g. a thread it never saw): ask Discord once.
        known = self._thread_cache.get(channel.id)
        if known is None:
            try:
                fetched = await self.client.fetch_channel(channel.id)
            except discord.HTTPException:
                return False
            known = await self._is_our_thread(fetched) if isinstance(fetched, discord.Thread) else False
            if len(self._thread_cache) >= THREAD_CACHE_SIZE:
                self._thread_cache.pop(next(iter(self._thread_cache)))
            self._thread_cache[channel.id] = known
        return known

    async def _remember_last_seen(self, message_id: int) -> None:
        """Newest message id of the bot channel, for reading back what was said while disconnected."""
        current = await self.redis.get(last_seen_key(self.settings.bot_channel_id))
        if current is None or int(current) < message_id:
            await self.redis.set(last_seen_key(self.settings.bot_channel_id), message_id)

    async def refresh_presence(self) -> int:
        """Presence of every member of the bot channel's guild (on connect; events keep it current)."""
        channel = self.client.get_channel(self.settings.bot_channel_id)
        guild = getattr(channel, "guild", None)
        if guild is None:
            log.warning("bot channel %s not visible to the bot: presence not filled", self.settings.bot_channel_id)
            return 0
        members = [member for member in guild.members if not member.bot]
        if members:
            await self.redis.mset({keys.presence(member.id): presence_value(member.status) for member in members})
        return len(members)

    async def backfill(self) -> int:
        """Messages of the bot channel posted while the gateway was away (Discord does not replay them after a
        fresh session). The intake de-duplicates, so reading back what was already seen is harmless."""
        last = await self.redis.get(last_seen_key(self.settings.bot_channel_id))
        if last is None:
            return 0  # first start: the channel's old history is not ours to answer
        channel = self.client.get_channel(self.settings.bot_channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return 0
        oldest = discord.utils.time_snowflake(datetime.now(UTC) - timedelta(seconds=BACKFILL_MAX_AGE_S))
        after = discord.Object(max(int(last), oldest))
        count = 0
        try:
            async for message in channel.history(limit=BACKFILL_LIMIT, after=after, oldest_first=True):
                result = await self.handle_message(message)
                if result is not None and result.outcome not in (Outcome.DUPLICATE, Outcome.IGNORED):
                    count += 1
        except discord.HTTPException as error:
            log.warning("could not read back the bot channel (%s)", error)
        return count

    async def _typing_loop(self) -> None:
        while not self._closing.is_set():
            try:
                busy = set(await self.redis.smembers(keys.turns_in_flight())) | self.intake.batcher.armed()
                for channel in busy:
                    await self._trigger_typing(channel)
            except RedisError as error:
                _raise_if_cancelled(error)
                log.warning("typing indicator: redis unavailable (%s)", error)
            await asyncio.sleep(self.typing_poll_s)

    async def _trigger_typing(self, channel_key: str) -> None:
        now = time.monotonic()
        if now - self._typed_at.get(channel_key, -TYPING_EVERY_S) < TYPING_EVERY_S:
            return
        if self._typing_blocked.get(channel_key, 0) > now:
            return
        self._typed_at[channel_key] = now
        try:
            channel_id, dm_user_id = keys.parse_channel_key(channel_key)
            if dm_user_id is not None:
                target: Target = await self.client.create_dm(discord.Object(dm_user_id))
            else:
                assert channel_id is not None
                target = self.client.get_partial_messageable(channel_id)
            await target.typing()
        except (discord.Forbidden, discord.NotFound):
            self._typing_blocked[channel_key] = now + TYPING_BACKOFF_S
        except (TimeoutError, discord.HTTPException, discord.RateLimited, aiohttp.ClientError, OSError,
                ValueError) as error:
            _raise_if_cancelled(error)
            log.debug("typing indicator for %s failed: %s", channel_key, error)


def _raise_if_cancelled(error: BaseException) -> None:
    """A client library may turn a cancellation in the middle of a request into its own error: a task being
    cancelled must still stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError() from error


async def run_discord(settings: Settings) -> None:
    """`python -m gateway` with DISCORD_TOKEN set: runs until SIGTERM/SIGINT, then closes gracefully."""
    from gateway.main import connect_redis

    redis = connect_redis(settings)
    await redis.ping()
    gateway = DiscordGateway(settings, redis, TaskSender(), consumer_name=consumer_name(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    error: BaseException | None = None
    async with gateway.client:
        client_task = asyncio.create_task(gateway.client.start(settings.discord_token, reconnect=True))
        stopping = asyncio.create_task(stop.wait())
        failing = asyncio.create_task(gateway.failed.wait())
        done, pending = await asyncio.wait({client_task, stopping, failing}, return_when=asyncio.FIRST_COMPLETED)
        log.info("discord gateway stopping")
        if client_task in done and not client_task.cancelled():
            error = client_task.exception() or RuntimeError("the Discord client stopped on its own")
        if failing in done:
            error = gateway.failure
        await gateway.close()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    await redis.aclose()
    if error is not None:
        raise error
