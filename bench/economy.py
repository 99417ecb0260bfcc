"""Trades through the whole running system, with conservation checked afterwards.

Pairs of players trade coins back and forth as players do: `!trade_item 1gp @partner` on the local table, the
partner's ✅ on the confirmation, the settlement reply. Several pairs trade at once for a fixed time; a trade's
latency is from the offer's POST to the settlement reply. One long poll of the table's events serves every
pair (so the harness itself stays light). Afterwards every purse is summed: coins are neither created nor lost,
and none is negative. Prints one JSON object.

    python bench/economy.py --pairs 16 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
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

    from db.characters import create, ensure_active_campaign
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


def total_cp(system: SystemUnderTest, players: list[int]) -> int:
    rows = system.sql("SELECT wealth FROM characters WHERE player_id = ANY(:p)", p=players)
    return sum(COIN_CP[coin] * int(amount) for row in rows for coin, amount in row.wealth.items())


class Table:
    """The local table's HTTP API with one shared event poller resolving waits by reply_to / reply_key."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http = url, http
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.early: dict[str, dict[str, Any]] = {}

    def expect(self, key: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if key in self.early:
            future.set_result(self.early.pop(key))
        else:
            self.waiting[key] = future
        return future

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
                    if not key:
                        continue
                    future = self.waiting.pop(key, None)
                    if future is not None and not future.done():
                        future.set_result(event)
                    elif future is None:
                        self.early[key] = event

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


async def run_trades(url: str, players: list[int], pairs: int, seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    failures: list[str] = []
    async with aiohttp.ClientSession() as http:
        table = Table(url, http)
        stop = asyncio.Event()
        poller = asyncio.create_task(table.poll(stop))
        deadline = time.monotonic() + seconds

        async def pair_loop(pair: int) -> None:
            a, b = players[2 * pair], players[2 * pair + 1]
            turn = 0
            while time.monotonic() < deadline:
                sender, receiver = (a, b) if turn % 2 == 0 else (b, a)
                try:
                    latencies.append(await trade_once(table, sender, receiver))
                except (TimeoutError, RuntimeError) as error:
                    failures.append(str(error)[:200] or error.__class__.__name__)
                turn += 1

        began = time.perf_counter()
        await asyncio.gather(*(pair_loop(pair) for pair in range(pairs)))
        elapsed = time.perf_counter() - began
        stop.set()
        await poller
    return latencies, failures, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    system = SystemUnderTest.start(USER_RATE_PER_MIN="100000", CHANNEL_RATE_PER_MIN="1000000")
    try:
        players = seed_players(system, args.pairs * 2)
        before = total_cp(system, players)
        latencies, failures, elapsed = asyncio.run(run_trades(system.table_url, players, args.pairs, args.seconds))
        after = total_cp(system, players)
        settled = system.sql("SELECT count(*) AS n FROM trade_history WHERE status = 'accepted'")[0].n
        negative = system.sql("SELECT count(*) AS n FROM characters WHERE player_id = ANY(:p) AND EXISTS "
                              "(SELECT 1 FROM jsonb_each_text(wealth) w WHERE w.value::bigint < 0)", p=players)[0].n
    finally:
        system.shutdown()
        shutil.rmtree(system.var_dir, ignore_errors=True)
    ms = [value * 1000 for value in latencies]
    print(json.dumps({
        "pairs": args.pairs, "trades": len(ms), "settled_in_db": settled, "failures": len(failures),
        "trades_per_s": round(len(ms) / elapsed, 2),
        "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99),
        "coins_before_cp": before, "coins_after_cp": after, "conserved": before == after and negative == 0,
        "first_failures": failures[:3],
    }))


if __name__ == "__main__":
    main()
