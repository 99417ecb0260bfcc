"""`python -m gateway`: the Discord client when DISCORD_TOKEN is set, else the local table."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

import redis.asyncio as aioredis
from aiohttp import web

from gateway.intake import Intake
from gateway.local_table import MAX_WAIT_S, LocalTable, LocalTransport
from gateway.replies import READ_BLOCK_MS, ReplyConsumer
from gateway.sender import TaskSender
from redis_clients import async_client
from settings import Settings, get_settings

log = logging.getLogger("gateway")

READY_KEY = "gateway:ready"


def consumer_name(settings: Settings) -> str:
    """Stable across restarts, so a restarted gateway finds the entries it read but never acked."""
    shard = os.environ.get("GATEWAY_SHARD", "0")
    return os.environ.get("GATEWAY_CONSUMER") or f"gateway-{socket.gethostname()}-{shard}"


# The gateway's longest blocking read: the local table's long poll (the reply consumer blocks for a second).
LONGEST_BLOCK_S = max(MAX_WAIT_S, READ_BLOCK_MS / 1000)


def connect_redis(settings: Settings) -> aioredis.Redis:
    # Retries ride out a Redis restart instead of failing the request in hand.
    return async_client(settings.redis_url, LONGEST_BLOCK_S, max_connections=200)


async def run_local_table(settings: Settings) -> None:
    redis = connect_redis(settings)
    await redis.ping()
    sender = TaskSender()
    consumer = ReplyConsumer(redis, consumer_name(settings))
    consumer.transport = LocalTransport(redis)
    intake = Intake(settings, redis, sender, consumer.notice)
    table = LocalTable(redis, intake, consumer, sender, settings.bot_channel_id, settings.owner_id)
    runner = web.AppRunner(table.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.local_table_host, settings.local_table_port)
    await site.start()
    await consumer.ensure_group()
    consumer_task = asyncio.create_task(consumer.run())
    flushed = await intake.flush_leftovers()
    await redis.set(READY_KEY, f"local:{settings.local_table_host}:{settings.local_table_port}")
    log.info("local table on http://%s:%s (flushed %d leftover batches)", settings.local_table_host,
             settings.local_table_port, flushed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({consumer_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    consumer.stop()
    if consumer_task.done() and consumer_task.exception():
        raise consumer_task.exception()  # type: ignore[misc]
    await runner.cleanup()
    await redis.delete(READY_KEY)
    await redis.aclose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if settings.discord_enabled:
        from gateway.discord_transport import run_discord

        asyncio.run(run_discord(settings))
    else:
        asyncio.run(run_local_table(settings))


if __name__ == "__main__":
    main()
