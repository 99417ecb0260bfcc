"""Intake: every message from any transport goes through here.

Bots are ignored; a message id is processed once; unreadable, empty and oversized messages get a notice;
floods get one notice; `!commands` are sent at once; in combat the current actor's message is a turn at
once and anyone else's is an out-of-turn question; a DM from a player in an interactive session (character
creation, level-up) answers that session; everything else waits in the channel's Redis pending
list (so a gateway restart loses nothing) until its batching window closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis

import keys
from gateway.messages import IncomingMessage
from gateway.sender import TaskSender
from keys import COMMAND_TASK, PREPARE_TURN_TASK, QUESTION_TASK, SESSION_REPLY_TASK
from settings import Settings

log = logging.getLogger(__name__)

SEEN_TTL_S = 7 * 24 * 3600
NOTICE_COOLDOWN_S = 30

# Appends to the pending list and remembers the channel, atomically.
APPEND_PENDING = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('LLEN', KEYS[1])
"""

# One round trip per message: de-duplicate by id, then take a token from the user's and the channel's buckets.
# KEYS: seen key, user bucket, channel bucket. ARGV: seen ttl, now, then capacity and refill/s for each bucket.
# Returns 0 = already seen, 1 = admitted, 2 = the user is flooding, 3 = the channel is flooding.
ADMIT = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
local now = tonumber(ARGV[2])
local function take(key, capacity, rate)
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + (now - at) * rate)
  local allowed = tokens >= 1
  if allowed then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tokens, 'at', now)
  redis.call('EXPIRE', key, math.ceil(capacity / rate) + 60)
  return allowed
end
if not take(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4])) then return 2 end
if not take(KEYS[3], tonumber(ARGV[5]), tonumber(ARGV[6])) then return 3 end
return 1
"""


class Outcome(StrEnum):
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    RATE_LIMITED = "rate_limited"
    COMMAND = "command"
    SESSION = "session"
    TURN_NOW = "turn_now"
    QUESTION = "question"
    BATCHED = "batched"


@dataclass(frozen=True)
class IntakeResult:
    outcome: Outcome
    notice: str | None = None


def unreadable_reason(content: str) -> str | None:
    """Control characters (other than newlines and tabs) mean binary data, not something a player typed."""
    for char in content:
        if char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char == "\ufffd":
            return "it contains control or binary characters"
    return None


class Batcher:
    """Per-channel window: flush after `idle_s` of silence or `max_s` after the first message."""

    def __init__(self, idle_s: float, max_s: float, flush: FlushCallback) -> None:
        self.idle_s, self.max_s, self.flush = idle_s, max_s, flush
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    def arm(self, channel: str) -> None:
        now = time.monotonic()
        self._first.setdefault(channel, now)
        self._last[channel] = now
        if channel not in self._timers:
            self._timers[channel] = asyncio.create_task(self._wait(channel))

    def deadline(self, channel: str) -> float:
        return min(self._last[channel] + self.idle_s, self._first[channel] + self.max_s)

    async def _wait(self, channel: str) -> None:
        try:
            while (delay := self.deadline(channel) - time.monotonic()) > 0:
                await asyncio.sleep(delay)
        finally:
            self._timers.pop(channel, None)
            self._first.pop(channel, None)
            self._last.pop(channel, None)
        await self.flush(channel)

    async def flush_now(self, channel: str) -> None:
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()
        self._first.pop(channel, None)
        self._last.pop(channel, None)
        await self.flush(channel)

    def armed(self) -> set[str]:
        return set(self._timers)


class FlushCallback:  # typing aid: an async callable taking the channel key
    async def __call__(self, channel: str) -> None: ...


class Intake:
    def __init__(self, settings: Settings, redis: aioredis.Redis, sender: TaskSender,
                 notify: NoticeCallback) -> None:
        self.settings = settings
        self.redis = redis
        self.sender = sender
        self.notify = notify
        self.batcher = Batcher(settings.batch_idle_s, settings.batch_max_s, self.flush)
        self._append = redis.register_script(APPEND_PENDING)
        self._admit = redis.register_script(ADMIT)

    async def flush(self, channel: str) -> None:
        await asyncio.to_thread(self.sender.send, PREPARE_TURN_TASK, channel)

    async def flush_leftovers(self) -> int:
        """At start: every channel that still has pending messages gets its turn."""
        flushed = 0
        for channel in await self.redis.smembers(keys.pending_channels()):
            if await self.redis.llen(keys.pending(channel)):
                await self.flush(channel)
                flushed += 1
        return flushed

    async def receive(self, message: IncomingMessage) -> IntakeResult:
        if message.is_bot:
            return IntakeResult(Outcome.IGNORED)
        admitted = await self._admission(message)
        if admitted == 0:
            return IntakeResult(Outcome.DUPLICATE)
        if admitted in (2, 3):
            await self._flood_notice(message, user_flooding=admitted == 2)
            return IntakeResult(Outcome.RATE_LIMITED)
        notice = self._refusal(message)
        if notice is not None:
            await self.notify(message, notice)
            return IntakeResult(Outcome.REJECTED, notice)
        channel = keys.channel_key(message.channel_id, message.dm_user_id)
        event = message.as_event()
        if message.content.lstrip().startswith("!"):
            await asyncio.to_thread(self.sender.send, COMMAND_TASK, event)
            return IntakeResult(Outcome.COMMAND)
        # A DM from someone in the middle of an interactive session (character creation, level-up) answers it.
        if message.dm_user_id is not None and await self.redis.exists(keys.session(message.author_id)):
            await asyncio.to_thread(self.sender.send, SESSION_REPLY_TASK, event)
            return IntakeResult(Outcome.SESSION)
        combat = await self.redis.get(keys.combat(channel))
        if combat:
            gate = json.loads(combat)
            # the current actor's messages are turns, and so are those of a player offered a reaction
            if message.author_id != gate.get("actor_id") and message.author_id not in gate.get("reacting", ()):
                await asyncio.to_thread(self.sender.send, QUESTION_TASK, event)
                return IntakeResult(Outcome.QUESTION)
            await self._append(keys=[keys.pending(channel), keys.pending_channels()],
                               args=[json.dumps(event), channel])
            await self.batcher.flush_now(channel)
            return IntakeResult(Outcome.TURN_NOW)
        await self._append(keys=[keys.pending(channel), keys.pending_channels()], args=[json.dumps(event), channel])
        self.batcher.arm(channel)
        return IntakeResult(Outcome.BATCHED)

    def _refusal(self, message: IncomingMessage) -> str | None:
        content = message.content
        if not content.strip():
            return "I received an empty message — type something for the Dungeon Master, or `!help`."
        reason = unreadable_reason(content)
        if reason:
            return f"I couldn't read that message: {reason}. Nothing was done."
        if len(content) > self.settings.max_message_chars:
            return (f"That message is too long ({len(content):,} characters; the limit is "
                    f"{self.settings.max_message_chars:,}). Nothing was done — please shorten it.")
        return None

    async def _admission(self, message: IncomingMessage) -> int:
        user_cap = self.settings.user_rate_per_min
        channel_cap = self.settings.channel_rate_per_min
        channel = keys.channel_key(message.channel_id, message.dm_user_id)
        return int(await self._admit(
            keys=[keys.seen_message(message.message_id), f"rate:user:{message.author_id}", f"rate:channel:{channel}"],
            args=[SEEN_TTL_S, time.time(), max(user_cap // 3, 3), user_cap / 60.0, max(channel_cap // 3, 5),
                  channel_cap / 60.0]))

    async def _flood_notice(self, message: IncomingMessage, user_flooding: bool) -> None:
        # One notice per cooldown, however long the flood goes on.
        if await self.redis.set(f"rate:notice:{message.author_id}", 1, nx=True, ex=NOTICE_COOLDOWN_S):
            who = "you are" if user_flooding else "this channel is"
            await self.notify(message, f"Slow down a little — {who} sending messages faster than I can "
                                       "keep up. I'll pick up again in a moment.")


class NoticeCallback:  # typing aid: an async callable (message, text)
    async def __call__(self, message: IncomingMessage, text: str) -> None: ...
