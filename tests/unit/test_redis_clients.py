"""Every Redis client's socket timeout outlasts its longest blocking call (redis-py 8's default of 5 s would cut
a long poll of 5 s or more short and retry it into a failure)."""

from __future__ import annotations

import pytest

from gateway.local_table import MAX_WAIT_S
from gateway.main import connect_redis
from redis_clients import COMMAND_TIMEOUT_S, async_client, socket_timeout_for, sync_client
from settings import load_settings


@pytest.mark.parametrize("block_s", [0, 1, 4.9, 5, 20, 30, 120])
def test_the_socket_timeout_outlasts_the_block(block_s: float) -> None:
    assert socket_timeout_for(block_s) > block_s
    assert socket_timeout_for(block_s) >= COMMAND_TIMEOUT_S


def test_a_negative_block_is_refused() -> None:
    with pytest.raises(ValueError):
        socket_timeout_for(-1)


def test_the_gateway_client_waits_out_the_longest_long_poll() -> None:
    client = connect_redis(load_settings())
    assert client.connection_pool.connection_kwargs["socket_timeout"] > MAX_WAIT_S


def test_clients_retry_real_disconnects() -> None:
    for client in (sync_client("redis://127.0.0.1:1/0", 10), async_client("redis://127.0.0.1:1/0", 10)):
        assert client.connection_pool.connection_kwargs["socket_timeout"] == 15
        assert client.get_retry() is not None and client.get_retry().get_retries() > 0
