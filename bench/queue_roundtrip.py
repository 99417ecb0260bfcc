"""`!roll` round trip through the whole system next to a bare Celery+Redis task round trip, same run.

    python bench/queue_roundtrip.py                 # starts a system of its own in a temporary directory
    python bench/queue_roundtrip.py --rate 100 --seconds 10

The roll's round trip is measured as a player sees it: from the local table's POST /api/messages to the
reply event arriving on a long poll of GET /api/events. The load is steady (an open loop at --rate
commands per second from several players). The baseline is a no-op Celery task (`tasks.system.echo`) sent
and its result awaited, over the same Redis. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keys  # (after the path: the project root is importable only from here)
from tests.system import SystemUnderTest


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def measure_rolls(table_url: str, rate: float, seconds: float, players: int) -> dict[str, float]:
    waiting: dict[str, asyncio.Future[float]] = {}
    sent_at: dict[str, float] = {}
    early: dict[str, float] = {}
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{table_url}/api/events?after=0-0") as answer:
            cursor = (await answer.json())["cursor"]
        stop = asyncio.Event()

        async def poll() -> None:
            nonlocal cursor
            while not stop.is_set():
                async with http.get(f"{table_url}/api/events", params={"after": cursor, "wait": "1"}) as answer:
                    body = await answer.json()
                arrived = time.perf_counter()
                cursor = body["cursor"]
                for event in body["events"]:
                    message_id = event.get("reply_to")
                    if event.get("kind") != "bot" or not message_id:
                        continue
                    future = waiting.pop(message_id, None)
                    if future is not None and not future.done():
                        future.set_result(arrived)
                    elif message_id not in sent_at:
                        early[message_id] = arrived

        async def one(player: int) -> None:
            started = time.perf_counter()
            async with http.post(f"{table_url}/api/messages",
                                 json={"author_id": player, "author_name": f"Bench{player}",
                                       "content": "!roll 1d20+5"}) as answer:
                message_id = (await answer.json())["message_id"]
            sent_at[message_id] = started
            if message_id in early:  # the reply beat the POST's own answer
                latencies.append(early.pop(message_id) - started)
                return
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[message_id] = future
            arrived = await asyncio.wait_for(future, timeout=30)
            latencies.append(arrived - started)

        poller = asyncio.create_task(poll())
        tasks = []
        began = time.perf_counter()
        count = int(rate * seconds)
        for n in range(count):
            # Open loop: commands leave on schedule whether or not earlier ones were answered.
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(2000 + n % players)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        stop.set()
        await poller
    ms = [value * 1000 for value in latencies]
    return {"roll_p50_ms": round(percentile(ms, 0.5), 2), "roll_p99_ms": round(percentile(ms, 0.99), 2),
            "roll_mean_ms": round(statistics.fmean(ms), 2), "rolls": len(ms),
            "rolls_per_s": round(len(ms) / elapsed, 1), "offered_rate_per_s": rate}


def measure_bare_celery(samples: int) -> dict[str, float]:
    from celery import Celery

    app = Celery("bench")
    app.config_from_object("celeryconfig")
    app.send_task(keys.ECHO_TASK, args=[0.0]).get(timeout=30)  # warm the connections
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        app.send_task(keys.ECHO_TASK, args=[started]).get(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    return {"bare_celery_p50_ms": round(percentile(latencies, 0.5), 2),
            "bare_celery_p99_ms": round(percentile(latencies, 0.99), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second (steady load)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--bare-samples", type=int, default=500)
    args = parser.parse_args()
    system = SystemUnderTest.start(USER_RATE_PER_MIN="100000", CHANNEL_RATE_PER_MIN="1000000")
    try:
        # Warm-up: imports and connection pools of every process on the path.
        asyncio.run(measure_rolls(system.table_url, rate=20, seconds=2, players=args.players))
        rolls = asyncio.run(measure_rolls(system.table_url, args.rate, args.seconds, args.players))
        bare = measure_bare_celery(args.bare_samples)
        import psutil

        gateway_rss_mb = round(psutil.Process(system.program_pid("gateway")).memory_info().rss / 2**20, 1)
        gc.collect()  # result handles unsubscribe from Redis while it is still up
    finally:
        system.shutdown()
        shutil.rmtree(system.var_dir, ignore_errors=True)
    result = {**rolls, **bare, "gateway_rss_mb": gateway_rss_mb,
              "roll_vs_bare_p50": round(rolls["roll_p50_ms"] / bare["bare_celery_p50_ms"], 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
