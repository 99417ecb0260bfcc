"""System health as operators see it: the same numbers in `!system_stats`, `start_system.py --status`
and Flower (queue depths are the broker's list lengths, workers are whoever answers `celery inspect ping`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import text

from celeryconfig import QUEUES
from keys import REPLIES_GROUP, REPLIES_STREAM, turns_in_flight

STARTED_AT_KEY = "system:started_at"
# Kombu's Redis transport keeps prioritised messages in extra lists named "<queue>\x06\x16<priority>".
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


@dataclass
class SystemStats:
    queues: dict[str, int] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)
    redis_ok: bool = False
    database_ok: bool = False
    vector_extension: bool = False
    uptime_s: float | None = None
    turns_in_flight: int = 0
    replies_pending: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def queue_depths(client: redis.Redis) -> dict[str, int]:
    pipe = client.pipeline(transaction=False)
    for queue in QUEUES:
        for suffix in PRIORITY_SUFFIXES:
            pipe.llen(queue + suffix)
    lengths = pipe.execute()
    step = len(PRIORITY_SUFFIXES)
    return {queue: int(sum(lengths[i * step:(i + 1) * step])) for i, queue in enumerate(QUEUES)}


def ping_workers(timeout_s: float = 1.0) -> dict[str, str]:
    from tasks.app import app

    # A fresh broker connection each time: a pooled one may be dead after a Redis restart.
    with app.connection_for_write() as connection:
        replies = app.control.inspect(timeout=timeout_s, connection=connection).ping() or {}
    return {name: ("ok" if answer.get("ok") == "pong" else str(answer)) for name, answer in replies.items()}


def collect(client: redis.Redis, ping_timeout_s: float = 1.0) -> SystemStats:
    stats = SystemStats()
    try:
        client.ping()
        stats.redis_ok = True
        stats.queues = queue_depths(client)
        started = client.get(STARTED_AT_KEY)
        stats.uptime_s = time.time() - float(started) if started else None
        stats.turns_in_flight = int(client.scard(turns_in_flight()))
        try:
            stats.replies_pending = int(client.xpending(REPLIES_STREAM, REPLIES_GROUP)["pending"])
        except redis.ResponseError:
            stats.replies_pending = 0
    except redis.RedisError as error:
        stats.errors.append(f"redis: {error}")
    try:
        from db.engine import get_engine

        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            stats.database_ok = True
            stats.vector_extension = bool(conn.execute(
                text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar())
    except Exception as error:  # health reporting must not fail on a sick database
        stats.errors.append(f"database: {error.__class__.__name__}: {str(error)[:200]}")
    if stats.redis_ok:
        try:
            stats.workers = ping_workers(ping_timeout_s)
        except Exception as error:
            stats.errors.append(f"workers: {error}")
    return stats


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    return " ".join(parts + [f"{hours}h" if hours or days else "", f"{minutes}m", f"{secs}s"]).strip()
