"""Trades through the whole running system, with conservation checked afterwards.

Pairs of players trade coins back and forth as players do: `!trade_item 1gp @partner` on the local table, the
partner's ✅ on the confirmation, the settlement reply. Several pairs trade at once for a fixed time; a trade's
latency is from the offer's POST to the settlement reply. Afterwards every purse and the ledger are summed:
coins are neither created nor lost. Prints one JSON object.

    python bench/economy.py --pairs 16 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inference_batching import percentile
from tests.system import SystemUnderTest

COIN_CP = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
STARTING_GP = 1000


def seed_players(system: SystemUnderTest, count: int) -> list[int]:
    from sqlalchemy.orm import Session

    from db.characters import create, ensure_active_campaign
    from dnd.wealth import Wealth

    players = [5_000_000 + n for n in range(count)]
    from tests.integration.test_characters import fighter

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


def trade_once(system: SystemUnderTest, sender: int, receiver: int) -> float:
    started = time.perf_counter()
    after = system.cursor()
    message_id = system.say(sender, f"!trade_item 1gp <@{receiver}>")
    offer = system.replies_to(message_id, after, timeout=60)[0]
    if offer.get("meta", {}).get("awaiting") != "trade":
        raise RuntimeError(f"offer refused: {offer['content']}")
    code, body = system.react(offer["id"], receiver, "✅")
    if code not in (200, 202):
        raise RuntimeError(f"reaction refused: {body}")
    settled = system.wait_for(lambda e: e.get("reply_key") == f"reaction:{body['reaction_id']}:0", after, timeout=60)
    if "Trade done" not in settled[0]["content"]:
        raise RuntimeError(f"not settled: {settled[0]['content']}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    system = SystemUnderTest.start(USER_RATE_PER_MIN="100000", CHANNEL_RATE_PER_MIN="1000000")
    try:
        players = seed_players(system, args.pairs * 2)
        before = total_cp(system, players)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def pair_loop(pair: int) -> None:
            a, b = players[2 * pair], players[2 * pair + 1]
            turn = 0
            while time.monotonic() < deadline:
                sender, receiver = (a, b) if turn % 2 == 0 else (b, a)
                try:
                    elapsed = trade_once(system, sender, receiver)
                    with lock:
                        latencies.append(elapsed)
                except (RuntimeError, AssertionError) as error:
                    with lock:
                        failures.append(str(error)[:200])
                turn += 1

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.pairs) as pool:
            list(pool.map(pair_loop, range(args.pairs)))
        elapsed = time.perf_counter() - began
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
