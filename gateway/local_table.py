"""The local table: the same intake and reply path as Discord, over HTTP on 127.0.0.1 (../shared/ARCHITECTURE.md §8).

Everything said at the table (players' messages, replies, reactions) is an entry of the Redis stream
`table:events`, so the table's history survives a gateway restart and `GET /api/events` is a cursor over it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

import keys
from gateway.intake import Intake
from gateway.messages import MAX_ATTACHMENTS, IncomingMessage, OutgoingReply, attachment_entry, reads_attachments
from gateway.replies import POSTED_TTL_S, ReplyConsumer
from gateway.sender import TaskSender
from keys import REACTION_TASK
from message_parts import split_message

log = logging.getLogger(__name__)

EVENTS_STREAM = "table:events"
EVENTS_MAXLEN = 200_000
MAX_BODY_BYTES = 2 * 1024 * 1024  # room for one attached character sheet (ATTACHMENT_MAX_BYTES)
MAX_EVENTS_PER_POLL = 500
MAX_WAIT_S = 30.0
# How long past its wait a poll may take to come back from Redis before it answers "nothing yet".
POLL_MARGIN_S = 0.5
STORED_CONTENT_CHARS = 8000
ALLOWED_REACTIONS = ("✅", "❌")
MAX_USER_ID = 2**63 - 1
PAGE = Path(__file__).with_name("local_table.html")

# Posts every part of a reply, records it as posted and acks the stream entry, atomically: the table can
# never show a reply twice, even if the gateway dies between reading and acking.
DELIVER = """
local posted_key, events, replies = KEYS[1], KEYS[2], KEYS[3]
local entry_id, group, ttl, edit_key = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', posted_key) == 1 then
  redis.call('XACK', replies, group, entry_id)
  return 0
end
local edit_of = ''
if edit_key ~= '' then edit_of = redis.call('GET', 'table:edit:' .. edit_key) or '' end
local first = ''
for i = 5, #ARGV do
  local event = ARGV[i]
  if i == 5 and edit_of ~= '' then event = string.gsub(event, '"edit_of": ""', '"edit_of": "' .. edit_of .. '"', 1) end
  local id = redis.call('XADD', events, 'MAXLEN', '~', 200000, '*', 'event', event)
  if first == '' then first = id end
end
if edit_key ~= '' and edit_of == '' then redis.call('SET', 'table:edit:' .. edit_key, first, 'EX', ttl) end
redis.call('SET', posted_key, entry_id, 'EX', ttl)
redis.call('XACK', replies, group, entry_id)
return #ARGV - 4
"""


class BadRequest(web.HTTPBadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(text=json.dumps({"error": message}), content_type="application/json")


def _event_json(reply: OutgoingReply, content: str, embeds: list[dict[str, Any]]) -> str:
    event = {
        "kind": "bot", "reply_key": reply.reply_key, "content": content, "embeds": embeds,
        "reply_to": reply.reply_to, "reactions": reply.meta.get("reactions", []), "edit_of": "",
        "channel": reply.channel_id, "dm_user_id": reply.dm_user_id, "meta": reply.meta,
    }
    return json.dumps(event, ensure_ascii=False)


class LocalTransport:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._deliver = redis.register_script(DELIVER)

    async def deliver(self, entry_id: str, reply: OutgoingReply) -> None:
        parts = split_message(reply.content) if reply.content else [""]
        events = [_event_json(reply, part, reply.embeds if i == len(parts) - 1 else [])
                  for i, part in enumerate(parts)]
        await self._deliver(
            keys=[keys.posted_reply(reply.reply_key), EVENTS_STREAM, keys.REPLIES_STREAM],
            args=[entry_id, keys.REPLIES_GROUP, POSTED_TTL_S, reply.edit_key or "", *events])


def _int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_USER_ID:
        raise BadRequest(f"`{name}` must be a positive integer")
    return value


def _attachments(raw: Any, content: str) -> list[dict[str, Any]]:
    """Files sent with a message, as `[{"filename": ..., "text": ...}]` (the page reads them as text); carried
    only for a command that reads one, as the Discord transport does."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ATTACHMENTS or not all(
            isinstance(a, dict) and isinstance(a.get("filename"), str) and isinstance(a.get("text"), str)
            for a in raw):
        raise BadRequest(f"`attachments` must be a list of at most {MAX_ATTACHMENTS} "
                         '{"filename": ..., "text": ...} objects')
    if not reads_attachments(content):
        return []
    return [attachment_entry(a["filename"], len(data), "", data)
            for a in raw for data in [a["text"].encode("utf-8")]]


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length,
                                            text=json.dumps({"error": "request body too large"}),
                                            content_type="application/json")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


class LocalTable:
    def __init__(self, redis: aioredis.Redis, intake: Intake, consumer: ReplyConsumer, sender: TaskSender,
                 channel_id: int, owner_id: int) -> None:
        self.redis, self.intake, self.consumer, self.sender = redis, intake, consumer, sender
        self.channel_id, self.owner_id = channel_id, owner_id

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.add_routes([
            web.get("/", self.page),
            web.get("/api/info", self.info),
            web.post("/api/messages", self.post_message),
            web.post("/api/reactions", self.post_reaction),
            web.post("/api/presence", self.post_presence),
            web.get("/api/events", self.get_events),
            web.get("/api/typing", self.get_typing),
        ])
        return app

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def info(self, request: web.Request) -> web.Response:
        return web.json_response({"channel": self.channel_id, "owner_id": self.owner_id})

    async def post_message(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        author_id = _int_field(body, "author_id")
        author_name = body.get("author_name", f"Player {author_id}")
        content = body.get("content")
        dm = body.get("dm", False)
        if not isinstance(author_name, str) or not 0 < len(author_name) <= 100:
            raise BadRequest("`author_name` must be a string of 1 to 100 characters")
        if not isinstance(content, str):
            raise BadRequest("`content` must be a string")
        if not isinstance(dm, bool):
            raise BadRequest("`dm` must be true or false")
        attachments = _attachments(body.get("attachments"), content)
        stored = content if len(content) <= STORED_CONTENT_CHARS else content[:STORED_CONTENT_CHARS] + "…"
        event = {"kind": "player", "author_id": author_id, "author_name": author_name, "content": stored,
                 "channel": None if dm else self.channel_id, "dm_user_id": author_id if dm else None,
                 "reactions": [], "embeds": [], "reply_to": None, "edit_of": ""}
        entry_id = await self.redis.xadd(EVENTS_STREAM, {"event": json.dumps(event, ensure_ascii=False)},
                                         maxlen=EVENTS_MAXLEN, approximate=True)
        message = IncomingMessage(message_id=entry_id, author_id=author_id, author_name=author_name,
                                  content=content, channel_id=None if dm else self.channel_id,
                                  dm_user_id=author_id if dm else None, attachments=attachments)
        result = await self.intake.receive(message)
        return web.json_response({"message_id": entry_id, "outcome": result.outcome.value}, status=202)

    async def post_reaction(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _int_field(body, "user_id")
        message_id, emoji = body.get("message_id"), body.get("emoji")
        if not isinstance(message_id, str) or not message_id:
            raise BadRequest("`message_id` must be the id of a message")
        if emoji not in ALLOWED_REACTIONS:
            raise BadRequest(f"`emoji` must be one of {' '.join(ALLOWED_REACTIONS)}")
        try:
            found = await self.redis.xrange(EVENTS_STREAM, message_id, message_id)
        except aioredis.ResponseError:
            raise BadRequest("`message_id` is not a message id") from None
        if not found:
            raise web.HTTPNotFound(text=json.dumps({"error": "no such message"}), content_type="application/json")
        target = json.loads(found[0][1]["event"])
        reaction = {"kind": "reaction", "message_id": message_id, "user_id": user_id, "emoji": emoji,
                    "channel": target.get("channel"), "dm_user_id": target.get("dm_user_id")}
        reaction_id = await self.redis.xadd(EVENTS_STREAM, {"event": json.dumps(reaction, ensure_ascii=False)},
                                            maxlen=EVENTS_MAXLEN, approximate=True)
        if target.get("kind") == "bot":
            event = {"reaction_id": reaction_id, "message_id": message_id, "reply_key": target.get("reply_key"),
                     "meta": target.get("meta", {}), "user_id": user_id, "emoji": emoji,
                     "channel_id": target.get("channel"), "dm_user_id": target.get("dm_user_id")}
            await asyncio.to_thread(self.sender.send, REACTION_TASK, event)
        return web.json_response({"ok": True, "reaction_id": reaction_id}, status=202)

    async def post_presence(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _int_field(body, "user_id")
        status = body.get("status")
        if status not in ("online", "offline"):
            raise BadRequest("`status` must be `online` or `offline`")
        await self.redis.set(keys.presence(user_id), status)
        return web.json_response({"ok": True})

    async def get_events(self, request: web.Request) -> web.Response:
        after = request.query.get("after") or "0-0"
        try:
            wait = min(max(float(request.query.get("wait", "0")), 0.0), MAX_WAIT_S)
        except ValueError:
            raise BadRequest("`wait` must be a number of seconds") from None
        try:
            if wait > 0:
                entries = await self._wait_for_events(after, wait)
            else:
                entries = await self.redis.xrange(EVENTS_STREAM, f"({after}" if after != "0-0" else "-", "+",
                                                  count=MAX_EVENTS_PER_POLL)
        except aioredis.ResponseError:
            raise BadRequest("`after` must be a cursor returned by this endpoint") from None
        events = []
        for entry_id, fields in entries:
            event = json.loads(fields["event"])
            event.update(id=entry_id, cursor=entry_id)
            events.append(event)
        cursor = events[-1]["cursor"] if events else after
        return web.json_response({"events": events, "cursor": cursor})

    async def _wait_for_events(self, after: str, wait: float) -> list[tuple[str, dict[str, str]]]:
        """The events after the cursor, waiting up to `wait` seconds for the first: the poll answers by its
        deadline whatever Redis does (a restart mid-poll ends in an empty answer, and the page polls again)."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0.001:
            try:
                result = await asyncio.wait_for(
                    self.redis.xread({EVENTS_STREAM: after}, count=MAX_EVENTS_PER_POLL, block=max(1, int(left * 1000))),
                    timeout=left + POLL_MARGIN_S)
                return result[0][1] if result else []
            except TimeoutError:
                return []
            except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as error:
                log.warning("long poll: Redis unavailable (%s); waiting for it until the poll's deadline", error)
                await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        return []

    async def get_typing(self, request: web.Request) -> web.Response:
        busy = await self.redis.smembers(keys.turns_in_flight())
        busy |= set(self.intake.batcher.armed())
        return web.json_response({"typing": sorted(busy)})
