"""One Redis client per worker process (created after fork)."""

from __future__ import annotations

import os

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from settings import get_settings

_client: redis.Redis | None = None


def _reset_after_fork() -> None:
    global _client
    _client = None


os.register_at_fork(after_in_child=_reset_after_fork)


def get_redis() -> redis.Redis:
    global _client
    if _client is None:
        # Retries ride out a Redis restart (a few seconds) instead of failing the task in hand.
        retry = Retry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), retries=10)
        _client = redis.Redis.from_url(get_settings().redis_url, decode_responses=True,
                                       health_check_interval=30, retry=retry)
    return _client
