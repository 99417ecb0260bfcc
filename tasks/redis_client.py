"""One Redis client per worker process (created after fork)."""

from __future__ import annotations

import os

import redis

from settings import get_settings

_client: redis.Redis | None = None


def _reset_after_fork() -> None:
    global _client
    _client = None


os.register_at_fork(after_in_child=_reset_after_fork)


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(get_settings().redis_url, decode_responses=True,
                                       health_check_interval=30)
    return _client
