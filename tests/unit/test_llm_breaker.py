"""The per-provider circuit breaker, with an injected clock."""

from __future__ import annotations

import pytest

from workers.llm.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _breaker(clock: FakeClock, **kwargs: object) -> CircuitBreaker:
    return CircuitBreaker(
        "vllm", failure_threshold=3, cooldown_s=30.0, clock=clock, wall_clock=clock, **kwargs
    )  # type: ignore[arg-type]


def test_opens_after_n_consecutive_failures(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(2):
        assert breaker.allow_request()
        breaker.record_failure("HTTP 500", "server_error")
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure("timed out", "timeout")
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow_request()
    snapshot = breaker.snapshot()
    assert snapshot["state"] == "open"
    assert snapshot["consecutive_failures"] == 3
    assert snapshot["last_error"] == "timed out" and snapshot["last_failure_kind"] == "timeout"
    assert snapshot["opened_at"] == clock.now
    assert snapshot["retry_in_s"] == 30.0


def test_a_success_resets_the_consecutive_count(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    breaker.record_failure("x")
    breaker.record_failure("x")
    breaker.record_success(100.0, 50)
    breaker.record_failure("x")
    breaker.record_failure("x")
    assert breaker.state is BreakerState.CLOSED


def test_half_open_after_cooldown_lets_exactly_one_probe_through(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(29.9)
    assert not breaker.allow_request()
    clock.advance(0.2)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow_request()  # the probe
    assert not breaker.allow_request()  # everyone else still skips
    assert not breaker.allow_request()


def test_successful_probe_closes(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(30)
    assert breaker.allow_request()
    breaker.record_success(120.0, 60)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow_request() and breaker.allow_request()
    assert breaker.snapshot()["opened_at"] is None


def test_failed_probe_reopens_with_a_longer_cooldown(clock: FakeClock) -> None:
    breaker = _breaker(clock, max_cooldown_s=100.0)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(30)
    assert breaker.allow_request()
    breaker.record_failure("still down")
    assert breaker.state is BreakerState.OPEN
    clock.advance(30)
    assert not breaker.allow_request()  # cool-down doubled to 60 s
    clock.advance(30)
    assert breaker.allow_request()
    breaker.record_failure("still down")
    clock.advance(100)
    assert breaker.allow_request()  # capped at max_cooldown_s
    breaker.record_success(10.0)
    assert breaker.snapshot()["cooldown_s"] == 30.0  # back to the base after closing


def test_oom_opens_at_once(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    breaker.record_failure("CUDA out of memory", "oom")
    assert breaker.state is BreakerState.OPEN
    custom = _breaker(clock, open_immediately_on=())
    custom.record_failure("CUDA out of memory", "oom")
    assert custom.state is BreakerState.CLOSED


def test_released_probe_lets_the_next_request_probe(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(30)
    assert breaker.allow_request()
    breaker.release_probe()  # e.g. the probing request was cancelled
    assert breaker.allow_request()


def test_a_lost_probe_is_replaced_after_a_cooldown(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(30)
    assert breaker.allow_request()
    clock.advance(10)
    assert not breaker.allow_request()
    clock.advance(25)
    assert breaker.allow_request()


def test_latency_and_throughput_over_recent_calls(clock: FakeClock) -> None:
    breaker = _breaker(clock, window=3)
    assert breaker.p50_latency_ms() is None and breaker.tokens_per_s() is None
    breaker.record_success(1000.0, 10)  # falls out of the window
    breaker.record_success(100.0, 50)
    breaker.record_success(300.0, 150)
    breaker.record_success(200.0, 100)
    assert breaker.p50_latency_ms() == 200.0
    assert breaker.tokens_per_s() == 500.0  # 300 tokens over 0.6 s
    snapshot = breaker.snapshot()
    assert snapshot["recent_calls"] == 3 and snapshot["total_calls"] == 4


def test_force_open_and_reset(clock: FakeClock) -> None:
    breaker = _breaker(clock)
    breaker.force_open("operator")
    assert not breaker.allow_request()
    breaker.reset()
    assert breaker.state is BreakerState.CLOSED and breaker.allow_request()


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=0)
