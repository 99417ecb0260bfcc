"""The reply consumer: reads the `replies` stream as group `gateway`, posts, then acks.

At start it first re-reads its own pending entries (read before a crash, never acked) and claims entries
that another, dead, consumer left idle. A reply key already posted is skipped, and a failed post (Discord
429/5xx) stays pending and is retried with backoff — a reply is never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

import keys
from gateway.messages import IncomingMessage, OutgoingReply

log = logging.getLogger(__name__)

POSTED_TTL_S = 7 * 24 * 3600
CLAIM_IDLE_MS = 30_000
READ_BLOCK_MS = 1000
READ_COUNT = 100
MAX_BACKOFF_S = 60.0


class TransientDeliveryError(Exception):
    """The transport could not post now (rate limit, server error): keep the entry and retry later."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Transport(Protocol):
    async def deliver(self, entry_id: str, reply: OutgoingReply) -> None:
        """Post the reply and then call `ReplyConsumer.mark_posted` (the local table does both atomically)."""


class ReplyConsumer:
    def __init__(self, redis: aioredis.Redis, consumer_name: str) -> None:
        self.redis = redis
        self.consumer_name = consumer_name
        self.transport: Transport | None = None
        self._retry: dict[str, tuple[float, int, OutgoingReply]] = {}
        self._stopping = asyncio.Event()

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.REPLIES_STREAM, keys.REPLIES_GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def notice(self, message: IncomingMessage, text: str) -> None:
        """Gateway notices (bad input, floods) take the same path as every other reply."""
        fields = {"reply_key": f"notice:{message.message_id}", "content": text,
                  "channel_id": "" if message.channel_id is None else str(message.channel_id),
                  "dm_user_id": "" if message.dm_user_id is None else str(message.dm_user_id),
                  "embeds": "[]", "reply_to": message.message_id, "edit_key": "", "meta": "{}"}
        await self.redis.xadd(keys.REPLIES_STREAM, fields, maxlen=keys.REPLIES_MAXLEN, approximate=True)

    async def is_posted(self, reply_key: str) -> bool:
        return bool(await self.redis.exists(keys.posted_reply(reply_key)))

    async def mark_posted(self, entry_id: str, reply_key: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(keys.posted_reply(reply_key), entry_id, ex=POSTED_TTL_S)
        pipe.xack(keys.REPLIES_STREAM, keys.REPLIES_GROUP, entry_id)
        await pipe.execute()

    async def ack(self, entry_id: str) -> None:
        await self.redis.xack(keys.REPLIES_STREAM, keys.REPLIES_GROUP, entry_id)

    async def recover(self) -> int:
        """Own pending entries first, then entries a dead consumer left idle."""
        handled = 0
        entries = await self.redis.xreadgroup(keys.REPLIES_GROUP, self.consumer_name,
                                              {keys.REPLIES_STREAM: "0"}, count=10_000)
        for _, items in entries:
            for entry_id, fields in items:
                if fields:
                    await self._handle(entry_id, fields)
                    handled += 1
                else:  # trimmed away from the stream: nothing left to post
                    await self.ack(entry_id)
        start = "0-0"
        while True:
            result = await self.redis.xautoclaim(keys.REPLIES_STREAM, keys.REPLIES_GROUP, self.consumer_name,
                                                 CLAIM_IDLE_MS, start_id=start, count=100)
            start, claimed = result[0], result[1]
            for entry_id, fields in claimed:
                if fields:
                    await self._handle(entry_id, fields)
                    handled += 1
            if start in ("0-0", b"0-0"):
                break
        return handled

    async def run(self) -> None:
        await self.ensure_group()
        await self.recover()
        last_claim = time.monotonic()
        while not self._stopping.is_set():
            await self._retry_due()
            try:
                entries = await self.redis.xreadgroup(keys.REPLIES_GROUP, self.consumer_name,
                                                      {keys.REPLIES_STREAM: ">"}, count=READ_COUNT,
                                                      block=READ_BLOCK_MS)
            except (ConnectionError, OSError, aioredis.ConnectionError) as error:
                log.warning("reply stream unavailable (%s); retrying", error)
                await asyncio.sleep(0.5)
                continue
            except ResponseError as error:
                if "NOGROUP" in str(error):  # Redis lost the group (e.g. restarted without its data)
                    await self.ensure_group()
                    continue
                raise
            for _, items in entries or []:
                for entry_id, fields in items:
                    await self._handle(entry_id, fields)
            if time.monotonic() - last_claim > CLAIM_IDLE_MS / 1000:
                last_claim = time.monotonic()
                await self.recover()

    def stop(self) -> None:
        self._stopping.set()

    async def _handle(self, entry_id: str, fields: dict[str, str]) -> None:
        reply = OutgoingReply.from_stream(fields)
        if await self.is_posted(reply.reply_key):
            await self.ack(entry_id)
            return
        await self._attempt(entry_id, reply, 0)

    async def _attempt(self, entry_id: str, reply: OutgoingReply, failures: int) -> None:
        assert self.transport is not None, "a transport must be attached before replies are consumed"
        try:
            await self.transport.deliver(entry_id, reply)
            self._retry.pop(entry_id, None)
        except TransientDeliveryError as error:
            delay = error.retry_after_s or min(MAX_BACKOFF_S, 0.5 * 2 ** failures)
            log.warning("posting %s failed (%s); retry in %.1fs", reply.reply_key, error, delay)
            self._retry[entry_id] = (time.monotonic() + delay, failures + 1, reply)

    async def _retry_due(self) -> None:
        now = time.monotonic()
        for entry_id, (due, failures, reply) in list(self._retry.items()):
            if due <= now:
                await self._attempt(entry_id, reply, failures)
