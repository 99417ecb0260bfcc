"""Narrative turns through the whole running system: local table → batching → prepare → the GPU worker →
the model stand-in (an OpenAI-compatible server with a fixed latency) → apply → reply event.

For K channels (DMs of K players) speaking at once, it reports turns/s, p50/p99 turn latency, the peak number
of requests in flight at the model, and the turn overhead (latency minus the batching window and the model's
own time), for the batching GPU worker and for a one-request-at-a-time worker (GPU_BATCH_MAX=1), each in a
system of its own started for the run. Prints one JSON object.

    python bench/turn_pipeline.py --latency-ms 100 --ks 1,8,32
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inference_batching import percentile
from tests.system import SystemUnderTest, own_system

BATCH_IDLE_S = 0.05
UNTHROTTLED = {"USER_RATE_PER_MIN": "100000", "CHANNEL_RATE_PER_MIN": "1000000"}  # benchmarks flood on purpose


def dm_round(system: SystemUnderTest, players: list[int], text: str,
             timeout_s: float) -> dict[int, tuple[float, dict[str, Any]]]:
    """Every player says ``text`` by DM at once; for each whose narration came within ``timeout_s``: (seconds
    from sending to the narration's event, the narration's meta)."""
    after = system.cursor()
    sent: dict[int, float] = {}

    def speak(player: int) -> None:
        sent[player] = time.perf_counter()
        system.say(player, text, dm=True)

    with ThreadPoolExecutor(max_workers=min(32, len(players))) as pool:
        list(pool.map(speak, players))
    done: dict[int, tuple[float, dict[str, Any]]] = {}
    cursor = after
    deadline = time.monotonic() + timeout_s
    while len(done) < len(players) and time.monotonic() < deadline:
        events, cursor = system.events(cursor, wait=1)
        arrived = time.perf_counter()
        for event in events:
            player = event.get("dm_user_id")
            meta = event.get("meta") or {}
            if event.get("kind") == "bot" and meta.get("turn_id") and not meta.get("notice") \
                    and player in sent and player not in done:
                done[player] = (arrived - sent[player], meta)
    return done


def one_round(system: SystemUnderTest, players: list[int], round_index: int) -> list[float]:
    return [latency for latency, _ in dm_round(system, players, f"round {round_index}: I study the map",
                                               120).values()]


def measure(batch_max: int, ks: list[int], latency_ms: float, rounds: int) -> dict[str, dict[str, float | None]]:
    results: dict[str, dict[str, float | None]] = {}
    with own_system(fake_model=True, **UNTHROTTLED, GPU_BATCH_MAX=str(batch_max), BATCH_IDLE_S=str(BATCH_IDLE_S),
                    BATCH_MAX_S="0.3", LLM_TIMEOUT_S="600", TURN_STALE_S="900") as system:
        assert system.model is not None
        system.model.control(mode="ok", latency_ms=latency_ms)
        one_round(system, [900_000 + n for n in range(4)], 0)  # warm-up (and the breaker closes)
        for k in ks:
            players = [1_000_000 + k * 1000 + n for n in range(k)]
            system.model.control(reset_stats=True)
            latencies: list[float] = []
            started = time.perf_counter()
            for round_index in range(1, rounds + 1):
                latencies += one_round(system, players, round_index)
            elapsed = time.perf_counter() - started
            ms = [value * 1000 for value in latencies]
            overhead = [value - BATCH_IDLE_S * 1000 - latency_ms for value in ms]
            results[f"k{k}"] = {
                "turns_per_s": round(len(ms) / elapsed, 2),
                "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99),
                "overhead_p50_ms": percentile(overhead, 0.5),
                "peak_in_flight": system.model.stats()["peak_in_flight"],
                "answered": len(ms), "expected": k * rounds,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--ks", default="1,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    batched = measure(64, ks, args.latency_ms, args.rounds)
    sequential = measure(1, ks, args.latency_ms, args.rounds)
    top = f"k{max(ks)}"
    result = {"model_latency_ms": args.latency_ms, "batched": batched, "one_at_a_time": sequential,
              f"speedup_{top}": round(batched[top]["turns_per_s"] / sequential[top]["turns_per_s"], 2),
              f"peak_in_flight_{top}": batched[top]["peak_in_flight"],
              "turn_overhead_p50_ms_k1": batched["k1"]["overhead_p50_ms"] if "k1" in batched else None}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
