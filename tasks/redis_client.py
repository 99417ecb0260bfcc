"""One Redis client per worker process (created after fork)."""

from __future__ import annotations

import os

import redis

from redis_clients import sync_client
from settings import get_settings

_client: redis.Redis | None = None


def _reset_after_fork() -> None:
    global _client
    _client = None


os.register_at_fork(after_in_child=_reset_after_fork)


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        # Retries ride out a Redis restart (a few seconds) instead of failing the task in hand. Tasks issue no
        # blocking reads.
        _client = sync_client(get_settings().redis_url)
    return _client
