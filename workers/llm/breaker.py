"""A circuit breaker per provider: closed → open after N consecutive failures → half-open after a cool-down
(one probe request) → closed on success, open again (with a longer cool-down) on failure.

It also keeps the recent latency and token counts that `!model_status` shows. The clock is injectable so
tests can move time; the state is plain data (`snapshot()`), so it can be written to Redis for the status
command. Not thread-safe by design: it lives in one asyncio loop (the GPU worker).
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class _CallSample:
    latency_ms: float
    completion_tokens: int | None


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 3,
        cooldown_s: float = 30.0,
        max_cooldown_s: float = 300.0,
        backoff_factor: float = 2.0,
        window: int = 50,
        open_immediately_on: Collection[str] = ("oom",),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.base_cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self.backoff_factor = backoff_factor
        # An OOM'd GPU server rarely recovers by itself within seconds: stop sending at once.
        self.open_immediately_on = frozenset(open_immediately_on)
        self._clock = clock
        self._wall_clock = wall_clock
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._cooldown_s = cooldown_s
        self._opened_at: float | None = None  # monotonic, for the cool-down
        self._opened_at_wall: float | None = None  # epoch seconds, for display
        self._probe_started_at: float | None = None
        self._last_error: str | None = None
        self._last_failure_kind: str | None = None
        self._last_failure_at_wall: float | None = None
        self._samples: deque[_CallSample] = deque(maxlen=window)
        self.total_calls = 0
        self.total_failures = 0
        self.times_opened = 0

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose cool-down has passed reads as half-open."""
        if self._state is BreakerState.OPEN and self._cooldown_elapsed():
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive_failures

    def allow_request(self) -> bool:
        """May a request go to this provider now? In half-open, only one probe at a time is let through."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if self._state is BreakerState.OPEN:
            if not self._cooldown_elapsed():
                return False
            self._state = BreakerState.HALF_OPEN
            self._probe_started_at = now
            return True
        # HALF_OPEN: a probe is out. If it never reported back (caller died), allow a new one eventually.
        if self._probe_started_at is not None and now - self._probe_started_at >= self._cooldown_s:
            self._probe_started_at = now
            return True
        return False

    def record_success(self, latency_ms: float | None = None, completion_tokens: int | None = None) -> None:
        self.total_calls += 1
        if latency_ms is not None:
            self._samples.append(_CallSample(latency_ms, completion_tokens))
        self._consecutive_failures = 0
        if self._state is not BreakerState.CLOSED:
            self._state = BreakerState.CLOSED
            self._opened_at = None
            self._opened_at_wall = None
            self._probe_started_at = None
            self._cooldown_s = self.base_cooldown_s

    def record_failure(self, error: str, kind: str = "error") -> None:
        self.total_calls += 1
        self.total_failures += 1
        self._consecutive_failures += 1
        self._last_error = error[:500]
        self._last_failure_kind = kind
        self._last_failure_at_wall = self._wall_clock()
        if self._state is BreakerState.HALF_OPEN:
            # The probe failed: back off before the next one.
            self._cooldown_s = min(self._cooldown_s * self.backoff_factor, self.max_cooldown_s)
            self._open()
        elif self._state is BreakerState.CLOSED and (
            self._consecutive_failures >= self.failure_threshold or kind in self.open_immediately_on
        ):
            self._open()

    def release_probe(self) -> None:
        """The half-open probe ended without a verdict (cancelled): let the next request probe."""
        if self._state is BreakerState.HALF_OPEN:
            self._state = BreakerState.OPEN
            self._probe_started_at = None
            # Keep opened_at so the cool-down stays elapsed and the next caller probes at once.

    def force_open(self, reason: str = "forced open") -> None:
        self._last_error = reason
        self._open()

    def reset(self) -> None:
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = None
        self._opened_at_wall = None
        self._probe_started_at = None
        self._cooldown_s = self.base_cooldown_s

    def p50_latency_ms(self) -> float | None:
        if not self._samples:
            return None
        return round(statistics.median(s.latency_ms for s in self._samples), 2)

    def tokens_per_s(self) -> float | None:
        """Mean decode rate of the recent calls (completion tokens over their own latency)."""
        timed = [s for s in self._samples if s.completion_tokens is not None and s.latency_ms > 0]
        if not timed:
            return None
        tokens = sum(s.completion_tokens or 0 for s in timed)
        seconds = sum(s.latency_ms for s in timed) / 1000.0
        return round(tokens / seconds, 2)

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        remaining = None
        if state is BreakerState.OPEN and self._opened_at is not None:
            remaining = round(max(0.0, self._cooldown_s - (self._clock() - self._opened_at)), 2)
        return {
            "provider": self.name,
            "state": state.value,
            "consecutive_failures": self._consecutive_failures,
            "failure_threshold": self.failure_threshold,
            "last_error": self._last_error,
            "last_failure_kind": self._last_failure_kind,
            "last_failure_at": self._last_failure_at_wall,
            "opened_at": self._opened_at_wall,
            "cooldown_s": self._cooldown_s,
            "retry_in_s": remaining,
            "p50_latency_ms": self.p50_latency_ms(),
            "tokens_per_s": self.tokens_per_s(),
            "recent_calls": len(self._samples),
            "total_calls": self.total_calls,
            "total_failures": self.total_failures,
            "times_opened": self.times_opened,
        }

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._opened_at_wall = self._wall_clock()
        self._probe_started_at = None
        self.times_opened += 1

    def _cooldown_elapsed(self) -> bool:
        return self._opened_at is not None and self._clock() - self._opened_at >= self._cooldown_s
