"""Trades through the running system, with conservation checked afterwards.

Pairs of players trade coins back and forth as players do: `!trade_item 1gp @partner`, the partner's ✅ on the
confirmation, the settlement reply. Several pairs trade at once for a fixed time; a trade's latency is from the
offer to the settlement reply. Two paths, one after the other on the same system:

- `table`: end to end through the local table's HTTP API and the gateway (what a player sees), one long poll of
  the table's events serving every pair so the harness stays light;
- `workers`: the gateway stopped, the harness sends the same tasks the gateway sends (by name, through
  `gateway.sender`) and reads the replies off the `replies` stream, so the number is the workers' own.

After each path every purse is summed: coins are neither created nor lost, and none is negative. The CPU the
system's processes used per trade is reported too: on a shared machine it stays comparable where trades/s does
not. Prints one JSON object.

    python bench/economy.py --pairs 16 --seconds 20 [--paths table,workers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inference_batching import percentile
from tests.system import SystemUnderTest

COIN_CP = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
STARTING_GP = 1000


def seed_players(system: SystemUnderTest, count: int) -> list[int]:
    from sqlalchemy.orm import Session

    from db.campaigns import ensure_active_campaign
    from db.characters import create
    from dnd.wealth import Wealth
    from tests.integration.test_characters import fighter

    players = [5_000_000 + n for n in range(count)]
    base = fighter("Trader")
    with Session(system.db) as session, session.begin():
        campaign_id = ensure_active_campaign(session)
        for player in players:
            character = base.model_copy(update={"name": f"Trader {player}", "wealth": Wealth(gp=STARTING_GP)})
            create(session, player, campaign_id, character)
    for player in players:
        system.set_presence(player, "online")
    return players


def system_cpu_s(system: SystemUnderTest) -> float:
    """CPU seconds used so far by every process of the running system (supervisord and all it runs:
    workers, gateway, Flower, PostgreSQL, Redis). Divided by the trades, it stays a fair measure of cost when
    other work shares the machine, where trades/s alone would not."""
    import psutil

    root = psutil.Process(int((system.var_dir / "run" / "supervisord.pid").read_text()))
    used = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            used += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return used


def total_cp(system: SystemUnderTest, players: list[int]) -> int:
    rows = system.sql("SELECT wealth FROM characters WHERE player_id = ANY(:p)", p=players)
    return sum(COIN_CP[coin] * int(amount) for row in rows for coin, amount in row.wealth.items())


class Waits:
    """Replies awaited by key, resolved by one shared poller (a reply may arrive before anyone waits for it)."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.early: dict[str, dict[str, Any]] = {}

    def expect(self, key: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if key in self.early:
            future.set_result(self.early.pop(key))
        else:
            self.waiting[key] = future
        return future

    def resolve(self, key: str, reply: dict[str, Any]) -> None:
        future = self.waiting.pop(key, None)
        if future is None:
            self.early[key] = reply
        elif not future.done():
            future.set_result(reply)


class Table(Waits):
    """The local table's HTTP API with one shared event poller resolving waits by reply_to / reply_key."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        super().__init__()
        self.url, self.http = url, http

    async def poll(self, stop: asyncio.Event) -> None:
        async with self.http.get(f"{self.url}/api/events?after=0-0") as answer:
            cursor = (await answer.json())["cursor"]
        while not stop.is_set():
            async with self.http.get(f"{self.url}/api/events", params={"after": cursor, "wait": "1"}) as answer:
                body = await answer.json()
            cursor = body["cursor"]
            for event in body["events"]:
                if event.get("kind") != "bot":
                    continue
                for key in (event.get("reply_to"), event.get("reply_key")):
                    if key:
                        self.resolve(key, event)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.url}{path}", json=body) as answer:
            return await answer.json()


async def trade_once(table: Table, sender: int, receiver: int) -> float:
    started = time.perf_counter()
    posted = await table.post("/api/messages", {"author_id": sender, "author_name": f"Trader {sender}",
                                                "content": f"!trade_item 1gp <@{receiver}>"})
    offer = await asyncio.wait_for(table.expect(posted["message_id"]), 60)
    if offer.get("meta", {}).get("awaiting") != "trade":
        raise RuntimeError(f"offer refused: {offer['content']}")
    reacted = await table.post("/api/reactions", {"message_id": offer["id"], "user_id": receiver, "emoji": "✅"})
    settled = await asyncio.wait_for(table.expect(f"reaction:{reacted['reaction_id']}:0"), 60)
    if "Trade done" not in settled["content"]:
        raise RuntimeError(f"not settled: {settled['content']}")
    return time.perf_counter() - started


Trade = Callable[[int, int], Awaitable[float]]


async def trade_in_pairs(players: list[int], pairs: int, seconds: float,
                         trade: Trade) -> tuple[list[float], list[str], float]:
    """Each pair trades back and forth until the time is up, all pairs at once: (latencies, failures, elapsed)."""
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    async def pair_loop(pair: int) -> None:
        a, b = players[2 * pair], players[2 * pair + 1]
        turn = 0
        while time.monotonic() < deadline:
            giver, receiver = (a, b) if turn % 2 == 0 else (b, a)
            try:
                latencies.append(await trade(giver, receiver))
            except (TimeoutError, RuntimeError) as error:
                failures.append(str(error)[:200] or error.__class__.__name__)
            turn += 1

    began = time.perf_counter()
    await asyncio.gather(*(pair_loop(pair) for pair in range(pairs)))
    return latencies, failures, time.perf_counter() - began


async def run_trades(url: str, players: list[int], pairs: int, seconds: float) -> tuple[list[float], list[str], float]:
    async with aiohttp.ClientSession() as http:
        table = Table(url, http)
        stop = asyncio.Event()
        poller = asyncio.create_task(table.poll(stop))
        outcome = await trade_in_pairs(players, pairs, seconds,
                                       lambda giver, receiver: trade_once(table, giver, receiver))
        stop.set()
        await poller
    return outcome


class Replies(Waits):
    """Reply waits resolved from the `replies` stream by reply key (the workers path)."""

    def __init__(self, redis: Any) -> None:
        super().__init__()
        self.redis = redis

    async def poll(self, stop: asyncio.Event) -> None:
        from keys import REPLIES_STREAM

        cursor = "$"
        while not stop.is_set():
            for _, entries in await self.redis.xread({REPLIES_STREAM: cursor}, block=500, count=1000) or []:
                for entry_id, fields in entries:
                    cursor = entry_id
                    self.resolve(fields["reply_key"], {"content": fields.get("content", ""),
                                                       "meta": json.loads(fields.get("meta") or "{}")})


async def trade_through_workers(replies: Replies, sender: Any, channel_id: int, number: int, giver: int,
                                receiver: int) -> float:
    from gateway.messages import IncomingMessage
    from keys import COMMAND_TASK, REACTION_TASK

    started = time.perf_counter()
    message_id = f"bench-trade-{number}"
    offer_wait = replies.expect(f"msg:{message_id}:0")
    event = IncomingMessage(message_id=message_id, author_id=giver, author_name=f"Trader {giver}",
                            content=f"!trade_item 1gp <@{receiver}>", channel_id=channel_id).as_event()
    await asyncio.to_thread(sender.send, COMMAND_TASK, event)
    offer = await asyncio.wait_for(offer_wait, 60)
    if offer["meta"].get("awaiting") != "trade":
        raise RuntimeError(f"offer refused: {offer['content']}")
    reaction_id = f"bench-reaction-{number}"
    settled_wait = replies.expect(f"reaction:{reaction_id}:0")
    await asyncio.to_thread(sender.send, REACTION_TASK, {
        "reaction_id": reaction_id, "message_id": f"bot-{message_id}", "reply_key": f"msg:{message_id}:0",
        "meta": offer["meta"], "user_id": receiver, "emoji": "✅", "channel_id": channel_id, "dm_user_id": None})
    settled = await asyncio.wait_for(settled_wait, 60)
    if "Trade done" not in settled["content"]:
        raise RuntimeError(f"not settled: {settled['content']}")
    return time.perf_counter() - started


async def run_worker_trades(system: SystemUnderTest, players: list[int], pairs: int,
                            seconds: float) -> tuple[list[float], list[str], float]:
    from gateway.sender import TaskSender
    from redis_clients import async_client

    sender = TaskSender()
    client = async_client(system.settings.redis_url, longest_block_s=0.5)
    replies = Replies(client)
    stop = asyncio.Event()
    poller = asyncio.create_task(replies.poll(stop))
    await asyncio.sleep(0.2)  # the poller's XREAD is in place before the first send
    numbers = iter(range(10**9))
    outcome = await trade_in_pairs(players, pairs, seconds, lambda giver, receiver: trade_through_workers(
        replies, sender, system.channel_id, next(numbers), giver, receiver))
    stop.set()
    await poller
    await client.aclose()
    return outcome


def measure(system: SystemUnderTest, players: list[int], path: str, pairs: int, seconds: float) -> dict[str, Any]:
    before = total_cp(system, players)
    settled_before = system.sql("SELECT count(*) AS n FROM trade_history WHERE status = 'accepted'")[0].n
    cpu_before = system_cpu_s(system)
    if path == "table":
        latencies, failures, elapsed = asyncio.run(run_trades(system.table_url, players, pairs, seconds))
    else:
        latencies, failures, elapsed = asyncio.run(run_worker_trades(system, players, pairs, seconds))
    cpu_used = system_cpu_s(system) - cpu_before
    after = total_cp(system, players)
    settled = system.sql("SELECT count(*) AS n FROM trade_history WHERE status = 'accepted'")[0].n - settled_before
    negative = system.sql("SELECT count(*) AS n FROM characters WHERE player_id = ANY(:p) AND EXISTS "
                          "(SELECT 1 FROM jsonb_each_text(wealth) w WHERE w.value::bigint < 0)", p=players)[0].n
    ms = [value * 1000 for value in latencies]
    return {
        "trades": len(ms), "settled_in_db": settled, "failures": len(failures),
        "trades_per_s": round(len(ms) / elapsed, 2),
        "p50_ms": round(percentile(ms, 0.5), 1), "p99_ms": round(percentile(ms, 0.99), 1),
        "system_cpu_ms_per_trade": round(cpu_used * 1000 / max(1, len(ms)), 2),
        "coins_before_cp": before, "coins_after_cp": after, "conserved": before == after and negative == 0,
        "first_failures": failures[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--paths", default="table,workers", help="comma-separated: table, workers")
    args = parser.parse_args()
    paths = [path.strip() for path in args.paths.split(",") if path.strip()]
    if not set(paths) <= {"table", "workers"}:
        parser.error("--paths takes table and/or workers")
    system = SystemUnderTest.start(USER_RATE_PER_MIN="100000", CHANNEL_RATE_PER_MIN="1000000")
    results: dict[str, Any] = {"pairs": args.pairs, "seconds": args.seconds, "cores": os.cpu_count()}
    try:
        players = seed_players(system, args.pairs * 2)
        for path in paths:
            if path == "workers":
                system.ctl("stop", "gateway")  # the workers alone: nothing else reads the table
            results[path] = measure(system, players, path, args.pairs, args.seconds)
    finally:
        system.shutdown()
        shutil.rmtree(system.var_dir, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
