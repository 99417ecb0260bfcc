"""The one way every process builds a Redis client: a socket timeout that fits its longest blocking call.

redis-py 8 gives each connection a 5 s socket timeout, so a blocking read (`XREAD BLOCK`, `XREADGROUP BLOCK`,
`BLPOP`) of 5 s or more would time out on the client's side, be retried by the retry policy and fail. Each
client says the longest block it issues; its socket timeout is that plus a margin, so a quiet Redis is never
mistaken for a dead one, while a dead one is still noticed within seconds on ordinary calls. The retry policy
(exponential backoff with jitter) is for real disconnects, such as a Redis restart.

Imports only redis-py, so the gateway may use it.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

# Ordinary commands answer in milliseconds: a socket silent this long means the server is gone.
COMMAND_TIMEOUT_S = 5.0
# Added to a client's longest block: the server answers a block that ran out only after the block time.
BLOCK_MARGIN_S = 5.0
CONNECT_TIMEOUT_S = 5.0
RETRIES = 10


def socket_timeout_for(longest_block_s: float) -> float:
    """The socket timeout of a client whose longest blocking call waits `longest_block_s` seconds."""
    if longest_block_s < 0:
        raise ValueError("a block time is never negative")
    return max(COMMAND_TIMEOUT_S, longest_block_s + BLOCK_MARGIN_S)


def _options(longest_block_s: float) -> dict[str, Any]:
    return {"decode_responses": True, "socket_timeout": socket_timeout_for(longest_block_s),
            "socket_connect_timeout": CONNECT_TIMEOUT_S, "health_check_interval": 30}


def sync_client(url: str, longest_block_s: float = 0.0, retries: int = RETRIES, **extra: Any) -> redis.Redis:
    """A redis-py client for workers, scripts, benches and tests (`retries=0` for a probe that must answer now)."""
    retry = Retry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), retries=retries)
    return redis.Redis.from_url(url, retry=retry, **(_options(longest_block_s) | extra))


def async_client(url: str, longest_block_s: float = 0.0, retries: int = RETRIES, **extra: Any) -> aioredis.Redis:
    """An asyncio redis-py client for the gateway."""
    retry = AsyncRetry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), retries=retries)
    return aioredis.Redis.from_url(url, retry=retry, **(_options(longest_block_s) | extra))
