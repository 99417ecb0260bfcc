"""Batched vs one-request-at-a-time inference (../shared/ARCHITECTURE.md §5): why the GPU worker sends its whole batch
to the model concurrently.

K channels each send a turn at the same moment, for a few rounds. The batched worker hands all K turns to
`FallbackChain.generate_batch` at once (vLLM's continuous batching serves them together); the sequential
worker runs them one per call, as a concurrency-1 worker without batching would. Measured per K and worker:
turns/s, p50/p99 turn latency (from the moment the K turns were sent to the moment each one's answer was
back), and the server's peak number of requests in flight.

    python -m bench.inference_batching                       # starts the fake server (100 ms per request)
    python -m bench.inference_batching --latency-ms 250 --ks 1,8,32,64 --rounds 5
    python -m bench.inference_batching --base-url http://127.0.0.1:8000/v1 --model <served model>  # real vLLM

Prints ONE JSON object (with `speedup_k32` and `peak_in_flight_k32`). `run_bench` is reusable with any
`generate_batch_fn` (e.g. a function that enqueues to the Celery GPU worker and waits for the results).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from workers.llm.chain import FallbackChain
from workers.llm.prompts import build_turn_request
from workers.llm.providers.base import GenerationRequest
from workers.llm.providers.openai_compatible import OpenAICompatibleProvider

GenerateBatchFn = Callable[[Sequence[GenerationRequest]], Awaitable[Sequence[Any]]]
MakeRequestFn = Callable[[int, int], GenerationRequest]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: with few samples it reports a real observation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def make_turn_request(
    channel: int, round_index: int, *, max_tokens: int = 200, timeout_s: float = 60.0
) -> GenerationRequest:
    """A realistic turn for one channel: a small game state and two players' messages."""
    context = {
        "campaign": "Bench Campaign",
        "plot": {"current_act": 1, "current_scene": f"Crossroads {channel}"},
        "location": {
            "name": f"The crossroads inn #{channel}",
            "description": "Smoky, loud, full of travellers.",
        },
        "characters": [
            {
                "player_id": 2 * channel + 1,
                "name": f"Aria-{channel}",
                "class": "Wizard",
                "level": 3,
                "hp": 14,
            },
            {
                "player_id": 2 * channel + 2,
                "name": f"Bram-{channel}",
                "class": "Fighter",
                "level": 3,
                "hp": 28,
            },
        ],
        "history": [
            f"Round {i}: the party talked with the innkeeper about the missing caravan." for i in range(5)
        ],
        "player_messages": [
            {
                "author": "alice",
                "player_id": 2 * channel + 1,
                "text": f"Channel {channel}, round {round_index}: I ask the innkeeper about the caravan.",
            },
            {"author": "bob", "player_id": 2 * channel + 2, "text": "I keep an eye on the hooded stranger."},
        ],
        "passages": [{"text": "Innkeepers know every rumour on the road. " * 6, "source": "campaign#inn"}],
    }
    return build_turn_request(
        context,
        f"bench-c{channel}-r{round_index}",
        max_model_len=8192,
        max_answer_tokens=max_tokens,
        timeout_s=timeout_s,
    )


async def run_bench(
    generate_batch_fn: GenerateBatchFn,
    *,
    k: int,
    rounds: int = 3,
    batch_size: int | None = None,
    make_request: MakeRequestFn = make_turn_request,
    reset_peak: Callable[[], Awaitable[None]] | None = None,
    read_peak: Callable[[], Awaitable[int | None]] | None = None,
    provider_of: Callable[[Any], str | None] = lambda r: getattr(r, "provider", None),
    expected_provider: str | None = None,
) -> dict[str, Any]:
    """K channels send a turn at once, `rounds` times; the worker takes them `batch_size` at a time
    (None: all K in one batch; 1: one request at a time). Returns turns/s, p50/p99 latency, peak in flight."""
    size = batch_size or k
    latencies_ms: list[float] = []
    fallbacks = 0
    if reset_peak is not None:
        await reset_peak()
    started = time.perf_counter()
    for round_index in range(rounds):
        requests = [make_request(channel, round_index) for channel in range(k)]
        round_start = time.perf_counter()  # every turn of the round was sent at this moment
        for offset in range(0, k, size):
            results = await generate_batch_fn(requests[offset : offset + size])
            done_ms = (time.perf_counter() - round_start) * 1000.0
            latencies_ms.extend([done_ms] * len(results))
            if expected_provider is not None:
                fallbacks += sum(1 for r in results if provider_of(r) != expected_provider)
    elapsed = time.perf_counter() - started
    turns = k * rounds
    return {
        "k": k,
        "turns": turns,
        "elapsed_s": round(elapsed, 3),
        "turns_per_s": round(turns / elapsed, 2),
        "p50_ms": round(percentile(latencies_ms, 0.50) or 0.0, 1),
        "p99_ms": round(percentile(latencies_ms, 0.99) or 0.0, 1),
        "peak_in_flight": await read_peak() if read_peak is not None else None,
        "fallbacks": fallbacks,
    }


class FakeServerPeak:
    """Peak in flight from the fake server's own counter (exact)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def reset(self) -> None:
        await asyncio.to_thread(self.server.control, reset_stats=True)

    async def read(self) -> int | None:
        return int((await asyncio.to_thread(self.server.stats))["peak_in_flight"])


class MetricsPeak:
    """Peak in flight sampled from a real vLLM's Prometheus gauge `vllm:num_requests_running`, every 20 ms."""

    GAUGE_RE = re.compile(r"^vllm:num_requests_running(?:\{[^}]*\})?\s+([0-9.eE+-]+)", re.MULTILINE)

    def __init__(self, metrics_url: str) -> None:
        self.metrics_url = metrics_url
        self.peak: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def reset(self) -> None:
        await self._stop()
        self.peak = None
        self._task = asyncio.create_task(self._sample())

    async def read(self) -> int | None:
        await self._stop()
        return self.peak

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _sample(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as session:
            while True:
                try:
                    async with session.get(self.metrics_url) as response:
                        text = await response.text()
                    running = sum(float(v) for v in self.GAUGE_RE.findall(text))
                    self.peak = max(self.peak or 0, int(running))
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    pass  # no metrics endpoint: the peak stays unknown
                await asyncio.sleep(0.02)


async def compare_workers(
    generate_batch_fn: GenerateBatchFn,
    *,
    ks: Sequence[int],
    rounds: int,
    make_request: MakeRequestFn,
    peak: FakeServerPeak | MetricsPeak | None,
    expected_provider: str | None,
) -> dict[str, Any]:
    """Both workers for every K in the same run, plus the speedups."""
    batched: dict[str, Any] = {}
    sequential: dict[str, Any] = {}
    for k in ks:
        for label, size, table in (("batched", None, batched), ("sequential", 1, sequential)):
            table[str(k)] = await run_bench(
                generate_batch_fn,
                k=k,
                rounds=rounds,
                batch_size=size,
                make_request=make_request,
                reset_peak=peak.reset if peak else None,
                read_peak=peak.read if peak else None,
                expected_provider=expected_provider,
            )
            table[str(k)]["worker"] = label
    speedup = {
        str(k): round(batched[str(k)]["turns_per_s"] / sequential[str(k)]["turns_per_s"], 2) for k in ks
    }
    return {
        "batched": batched,
        "sequential": sequential,
        "speedup": speedup,
        "speedup_k32": speedup.get("32"),
        "peak_in_flight_k32": batched["32"]["peak_in_flight"] if "32" in batched else None,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    ks = [int(k) for k in args.ks.split(",") if k.strip()]
    server = None
    if args.base_url:
        base_url = args.base_url.rstrip("/")
        metrics_url = args.metrics_url or re.sub(r"/v1$", "", base_url) + "/metrics"
        peak: FakeServerPeak | MetricsPeak | None = MetricsPeak(metrics_url)
        model = args.model
        server_label = base_url
    else:
        from tests.fakes.openai_server import FakeOpenAIServer

        server = await asyncio.to_thread(
            FakeOpenAIServer(latency_ms=args.latency_ms, model="bench-model").start
        )
        base_url, model, server_label = server.base_url, "bench-model", "fake"
        peak = FakeServerPeak(server)

    provider = OpenAICompatibleProvider(base_url, model, name="vllm", max_connections=max(128, 2 * max(ks)))
    chain = FallbackChain([provider], request_timeout_s=args.timeout_s, max_concurrency=args.concurrency)

    def make_request(channel: int, round_index: int) -> GenerationRequest:
        return make_turn_request(channel, round_index, max_tokens=args.max_tokens, timeout_s=args.timeout_s)

    try:
        await chain.generate_batch([make_request(c, -1) for c in range(min(8, max(ks)))])  # warm-up
        comparison = await compare_workers(
            chain.generate_batch,
            ks=ks,
            rounds=args.rounds,
            make_request=make_request,
            peak=peak,
            expected_provider="vllm",
        )
    finally:
        await chain.aclose()
        if server is not None:
            await asyncio.to_thread(server.stop)
    return {
        "bench": "inference_batching",
        "server": server_label,
        "model": provider.model,
        "server_latency_ms": args.latency_ms if server is not None else None,
        "rounds": args.rounds,
        "ks": ks,
        "max_concurrency": args.concurrency,
        **comparison,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", default="1,8,32", help="comma-separated channel counts")
    parser.add_argument("--rounds", type=int, default=3, help="turns per channel")
    parser.add_argument(
        "--latency-ms", type=float, default=100.0, help="the fake server's per-request latency"
    )
    parser.add_argument("--base-url", default="", help="a real OpenAI-compatible server instead of the fake")
    parser.add_argument("--model", default="", help="model name on --base-url (default: discovered)")
    parser.add_argument("--metrics-url", default="", help="Prometheus metrics (default: <root>/metrics)")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--timeout-s", type=float, default=120.0)
    parser.add_argument("--concurrency", type=int, default=64, help="generate_batch's in-flight limit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    print(json.dumps(asyncio.run(main_async(parse_args(argv)))))


if __name__ == "__main__":
    main()
