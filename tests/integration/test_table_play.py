"""Table play end to end through the local table: a combat from `!initiative` to `!end_combat` (with an
out-of-turn message answered and not acted on), shopping, trades and dropped items. Every refusal gets a
clear message and changes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.test_characters import fighter, owner, seed, state
from tests.integration.test_srd_import import run_import
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def srd(system: SystemUnderTest) -> SystemUnderTest:
    run_import(system)
    return system


def combat_row(system: SystemUnderTest) -> Any:
    rows = system.sql("SELECT id, initiative, current_turn, round, log, active FROM combat_state "
                      "WHERE channel_id = :c AND active", c=system.channel_id)
    return rows[0] if rows else None


def combat_snapshot(system: SystemUnderTest) -> str:
    found = combat_row(system)
    return json.dumps(None if found is None else list(found), sort_keys=True, default=str)


def gate(system: SystemUnderTest) -> dict[str, Any] | None:
    """The gateway's combat gate: whose messages are turns (the bookkeeping fields left out)."""
    raw = system.redis.get(f"combat:c:{system.channel_id}")
    return None if raw is None else {k: v for k, v in json.loads(raw).items() if k in ("actor_id", "actor")}


def current(system: SystemUnderTest) -> dict[str, Any]:
    found = combat_row(system)
    order = [c for c in found.initiative if not c.get("out")]
    return order[found.current_turn]


def refused(system: SystemUnderTest, player: int, text: str, expected: str, watch: list[int]) -> str:
    """A command that must be refused with `expected`, changing neither the watched characters nor the combat."""
    before = [state(system, p) for p in watch], combat_snapshot(system)
    reply = system.command(player, text)["content"]
    assert expected in reply, reply
    assert ([state(system, p) for p in watch], combat_snapshot(system)) == before
    return reply


# --------------------------------------------------------------------------- combat


def test_combat_two_players_against_srd_monsters(srd: SystemUnderTest) -> None:
    system = srd
    if combat_row(system) is not None:  # a fight left by an earlier failed run
        owner(system, "!end_combat")
    p1, p2 = new_player_id(), new_player_id()
    seed(system, p1, fighter(f"Aria{p1}"))
    seed(system, p2, fighter(f"Bram{p2}"))
    names = {p1: f"Aria{p1}", p2: f"Bram{p2}"}

    reply = system.command(p1, f"!initiative <@{p1}> <@{p2}>")["content"]
    assert "Roll for initiative" in reply and names[p1] in reply and names[p2] in reply
    assert gate(system)["actor_id"] in (p1, p2)
    refused(system, p1, f"!initiative <@{p1}>", "already running", [p1, p2])
    refused(system, p1, "!initiative add goblin", "Only the owner", [p1, p2])
    assert "Did you mean" in refused(system, system.owner_id, "!initiative add gobbo", "I don't know a monster",
                                     [p1, p2])
    refused(system, system.owner_id, "!initiative add goblin 0", "between 1 and", [p1, p2])

    reply = owner(system, "!initiative add goblin 2")
    assert "Goblin 1" in reply and "Goblin 2" in reply
    assert len(combat_row(system).initiative) == 4
    stranger = new_player_id()
    refused(system, p1, f"!skip <@{p2}>", "Only the owner", [p1, p2])
    refused(system, system.owner_id, f"!skip <@{stranger}>", "isn't in this fight", [p1, p2])
    refused(system, stranger, "!end_combat", "Only the owner or someone in the fight", [p1, p2])
    refused(system, p1, "!attack", "Attack whom?", [p1, p2])
    assert "Combat runs in the table's channel" in system.command(p1, "!initiative", dm=True)["content"]
    assert "skip" in owner(system, f"!skip <@{p2}>")

    question_seen = stated_seen = False
    for _ in range(60):
        actor = current(system)
        monsters = [c for c in combat_row(system).initiative if c["kind"] == "monster" and not c.get("out")]
        if not monsters:
            break
        if actor["kind"] == "character":
            player = int(actor["player_id"])
            other = p2 if player == p1 else p1
            assert gate(system) == {"actor_id": player, "actor": actor["name"]}
            refused(system, other, "!attack goblin", "turn, not yours", [p1, p2])
            refused(system, other, "!end_turn", "turn, not yours", [p1, p2])
            if not question_seen:
                before = combat_snapshot(system), state(system, p1), state(system, p2)
                after = system.cursor()
                message = system.say(other, "Can I grab the torch on the wall?")
                note = system.replies_to(message, after)[0]["content"]
                assert note.startswith(f"(out of turn) {names[other]}, it's {actor['name']}'s turn"), note
                assert "Can I grab the torch on the wall?" in note
                assert (combat_snapshot(system), state(system, p1), state(system, p2)) == before
                question_seen = True
            if actor["hp"] > 0:
                refused(system, player, "!attack dragon", "There is no 'dragon'", [p1, p2])
            if actor["hp"] > 0 and not stated_seen:
                # The actor's plain words are their turn: the stated attack runs through `!attack`.
                events = len(combat_row(system).log)
                after = system.cursor()
                system.say(player, f"I attack {monsters[0]['name']} with my longsword!")
                system.wait_for(lambda e: "attack on" in e.get("content", ""), after, timeout=60)
                assert len(combat_row(system).log) > events
                stated_seen = True
            elif actor["hp"] > 0:
                reply = system.command(player, f"!attack {monsters[0]['name']}")["content"]
                assert "attack on" in reply, reply
            system.command(player, "!end_turn")
        else:
            assert gate(system) == {"actor_id": None, "actor": actor["name"]}
            refused(system, p1, "!end_turn", "turn, not yours", [p1, p2])
            targets = [c for c in combat_row(system).initiative if c["kind"] == "character" and c["hp"] > 0]
            if targets:
                reply = owner(system, f"!attack {targets[0]['name']}")
                assert "attack on" in reply, reply
                hurt = next(c for c in combat_row(system).initiative if c["name"] == targets[0]["name"])
                assert state(system, int(hurt["player_id"])) is not None
                stored = system.sql("SELECT hp FROM characters WHERE player_id = :p",
                                    p=int(hurt["player_id"]))[0].hp
                assert stored == hurt["hp"]  # the blow reached the character row
            owner(system, "!end_turn")
    assert question_seen and stated_seen

    reply = system.command(p2, "!end_combat")["content"]
    assert "Combat summary" in reply and "dealt" in reply and "took" in reply
    assert combat_row(system) is None and gate(system) is None
    refused(system, p1, "!attack goblin", "no combat in this channel", [p1, p2])
    refused(system, p1, "!end_combat", "no combat in this channel", [p1, p2])


def test_a_dying_character_rolls_a_death_save_when_its_turn_comes(srd: SystemUnderTest) -> None:
    system = srd
    if combat_row(system) is not None:
        owner(system, "!end_combat")
    dying, standing = new_player_id(), new_player_id()
    seed(system, dying, fighter(f"Hale{dying}").model_copy(update={"hp": 0}))
    seed(system, standing, fighter(f"Ivo{standing}"))
    reply = system.command(standing, f"!initiative <@{dying}> <@{standing}>")["content"]
    if current(system)["player_id"] == str(standing):
        reply = system.command(standing, "!end_turn")["content"]
    assert "Death saving throw" in reply, reply
    sheet = system.sql("SELECT sheet FROM characters WHERE player_id = :p", p=dying)[0].sheet
    saves = sheet["death_saves"]
    assert saves["successes"] + saves["failures"] >= 1 or sheet["hp"] == 1
    if sheet["hp"] == 0:
        refused(system, dying, "!attack Ivo", "can't attack", [dying, standing])
    assert "Combat summary" in system.command(dying, "!end_combat")["content"]
    assert gate(system) is None


# --------------------------------------------------------------------------- shops


def rich(name: str, gp: int) -> Any:
    from dnd.wealth import Wealth

    return fighter(name).model_copy(update={"wealth": Wealth(gp=gp)})


def purse_cp(system: SystemUnderTest, player: int) -> int:
    wealth = system.sql("SELECT wealth FROM characters WHERE player_id = :p", p=player)[0].wealth
    units = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
    return sum(units[k] * int(v) for k, v in wealth.items())


def carried(system: SystemUnderTest, player: int, item: str) -> int:
    inventory = system.sql("SELECT inventory FROM characters WHERE player_id = :p", p=player)[0].inventory
    return sum(int(i.get("qty", 1)) for i in inventory if i["name"] == item)


def shop_snapshot(system: SystemUnderTest) -> str:
    return json.dumps([list(r) for r in system.sql("SELECT id, items FROM shops ORDER BY id")], default=str)


def shop_refused(system: SystemUnderTest, player: int, text: str, expected: str) -> str:
    before = state(system, player), shop_snapshot(system)
    reply = system.command(player, text)["content"]
    assert expected in reply, reply
    assert (state(system, player), shop_snapshot(system)) == before
    return reply


def test_shop_list_buy_with_change_and_sell(srd: SystemUnderTest) -> None:
    system = srd
    buyer, poor = new_player_id(), new_player_id()
    seed(system, buyer, rich(f"Cass{buyer}", 20))
    seed(system, poor, rich(f"Dell{poor}", 0))

    answer = system.command(buyer, "!shop_list")
    assert "The shop at" in answer["content"] and answer["embeds"]
    listing = "\n".join(e.get("description", "") for e in answer["embeds"])
    assert "in stock" in listing and " gp" in listing or " sp" in listing

    entries = system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
    in_stock = [e for e in entries if e["qty"] >= 2 and 0 < e["price"] <= 1000 and e["bundle"] == 1]
    odd = [e for e in in_stock if e["price"] % 100] or in_stock
    item = odd[0]

    shop_refused(system, buyer, "!buy_item Vorpal Teaspoon of Doom", "doesn't sell")
    shop_refused(system, buyer, f"!buy_item {item['name']} 0", "between 1 and")
    shop_refused(system, buyer, f"!buy_item {item['name']} -3", "between 1 and")
    shop_refused(system, poor, f"!buy_item {item['name']}", "You need")
    shop_refused(system, buyer, "!sell_item Unicorn Horn", "doesn't carry")
    shop_refused(system, buyer, "!buy_item", "Which item?")

    purse, have = purse_cp(system, buyer), carried(system, buyer, item["name"])
    after = system.cursor()
    message = system.say(buyer, f"!buy_item {item['name']}")
    receipt = system.replies_to(message, after)[0]
    reply = receipt["content"]
    assert "You buy" in reply and (item["price"] % 100 == 0 or "in change" in reply), reply
    narration = system.wait_for(lambda e: (e.get("meta") or {}).get("narrates") == message, after, timeout=60)[0]
    assert narration["cursor"] > receipt["cursor"]  # the number first, then the story
    assert purse_cp(system, buyer) == purse - item["price"]
    assert carried(system, buyer, item["name"]) == have + 1
    after = {e["name"]: e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items}
    assert after[item["name"]]["qty"] == item["qty"] - 1

    reply = system.command(buyer, f"!sell_item {item['name']}")["content"]
    assert "sells" in reply, reply
    assert purse_cp(system, buyer) == purse - item["price"] + item["base_cost"] // 2
    assert carried(system, buyer, item["name"]) == have
    shop_refused(system, buyer, f"!sell_item {item['name']} 5", "doesn't carry")
    shop_refused(system, buyer, "!sell_item Longsword 0", "between 1 and")

    # Days later, a look at the shop restocks it in the background (queue `shops`).
    system.sql("UPDATE shops SET restocked_at = TIMESTAMP '2000-01-01'")
    system.command(buyer, "!shop_list")
    deadline = time.monotonic() + 30
    while system.sql("SELECT restocked_at FROM shops ORDER BY id LIMIT 1")[0].restocked_at.year == 2000:
        assert time.monotonic() < deadline, "the shop was not restocked"
        time.sleep(0.2)

    character_id = system.sql("SELECT id FROM characters WHERE player_id = :p", p=buyer)[0].id
    moved = {r.item: int(r.n) for r in system.sql(
        "SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c GROUP BY item", c=character_id)}
    assert moved.get(item["name"], 0) == 0 and moved["cp"] == purse_cp(system, buyer) - purse


# --------------------------------------------------------------------------- trades and the ground


def offer(system: SystemUnderTest, sender: int, text: str) -> dict[str, Any]:
    answer = system.command(sender, text)
    assert answer.get("meta", {}).get("awaiting") == "trade", answer["content"]
    assert answer["reactions"] == ["✅", "❌"]
    return answer


def react(system: SystemUnderTest, message: dict[str, Any], user: int, emoji: str, expected: str) -> str:
    after = system.cursor()
    code, body = system.react(message["id"], user, emoji)
    assert code in (200, 202), body
    return system.wait_for(lambda e: expected in e.get("content", ""), after)[0]["content"]


def test_trades_accepted_declined_offline_replayed_and_expired(srd: SystemUnderTest) -> None:
    system = srd
    a, b, c = new_player_id(), new_player_id(), new_player_id()
    seed(system, a, rich(f"Ed{a}", 20))
    seed(system, b, rich(f"Fay{b}", 5))
    seed(system, c, rich(f"Gus{c}", 5))
    assert "receives Torch ×5" in owner(system, f"!add_item <@{a}> Torch x5")
    system.set_presence(b, "online")
    system.set_presence(c, "offline")
    ta, tb = carried(system, a, "Torch"), carried(system, b, "Torch")

    message = offer(system, a, f"!trade_item Torch 2 <@{b}>")
    assert f"<@{b}>" in message["content"] and "2 torches" in message["content"].lower()
    after = system.cursor()
    system.react(message["id"], a, "✅")  # only the receiver's answer counts
    assert system.quiet_for(lambda e: "Trade done" in e.get("content", ""), after, 2) == []
    assert "Trade done" in react(system, message, b, "✅", "Trade done")
    assert (carried(system, a, "Torch"), carried(system, b, "Torch")) == (ta - 2, tb + 2)
    before = state(system, a), state(system, b)
    assert "already settled (accepted)" in react(system, message, b, "✅", "already settled")
    assert (state(system, a), state(system, b)) == before

    gold = purse_cp(system, a), purse_cp(system, b)
    message = offer(system, a, f"!trade_item 5gp <@{b}>")
    assert "declines" in react(system, message, b, "❌", "declines")
    assert (purse_cp(system, a), purse_cp(system, b)) == gold
    message = offer(system, a, f"!trade_item 5gp <@{b}>")
    assert "Trade done" in react(system, message, b, "✅", "Trade done")
    assert (purse_cp(system, a), purse_cp(system, b)) == (gold[0] - 500, gold[1] + 500)

    message = offer(system, a, f"!trade_item Torch <@{b}>")
    system.sql("UPDATE trade_history SET timestamp = now() - interval '4 minutes' WHERE id = :t",
               t=message["meta"]["trade_id"])
    before = state(system, a), state(system, b)
    assert "expired" in react(system, message, b, "✅", "expired")
    assert (state(system, a), state(system, b)) == before

    watch = [a, b, c]
    for text, expected in [
        (f"!trade_item Torch <@{c}>", "isn't online"),
        ("!trade_item Torch <@424242424242>", "isn't a player with a character"),
        (f"!trade_item Torch <@{a}>", "can't trade with yourself"),
        (f"!trade_item Unicorn Horn <@{b}>", "doesn't carry"),
        (f"!trade_item Torch 99 <@{b}>", f"has only {ta - 2} torches"),
        (f"!trade_item 500gp <@{b}>", "has only"),
        (f"!trade_item Torch 0 <@{b}>", "between 1 and"),
        ("!trade_item Torch", "Mention the player"),
    ]:
        before_all = [state(system, p) for p in watch]
        pending = system.sql("SELECT count(*) AS n FROM trade_history WHERE sender_id = :a", a=a)[0].n
        reply = system.command(a, text)["content"]
        assert expected in reply, (text, reply)
        assert [state(system, p) for p in watch] == before_all
        assert system.sql("SELECT count(*) AS n FROM trade_history WHERE sender_id = :a", a=a)[0].n == pending

    statuses = sorted(r.status for r in system.sql("SELECT status FROM trade_history WHERE sender_id = :a", a=a))
    assert statuses == ["accepted", "accepted", "declined", "expired"]
    ids = [r.id for r in system.sql("SELECT id FROM characters WHERE player_id IN (:a, :b)", a=a, b=b)]
    balance = system.sql("SELECT item, sum(quantity_delta) AS n FROM ledger WHERE counterparty LIKE 'trade:%' "
                         "AND character_id IN (:x, :y) GROUP BY item", x=ids[0], y=ids[1])
    assert balance and all(int(r.n) == 0 for r in balance)

    # The ground: what one drops another picks up.
    assert "drops" in system.command(a, "!drop_item Torch 2")["content"]
    assert carried(system, a, "Torch") == ta - 4
    assert "picks up 2 torches" in system.command(b, "!pick_up torch")["content"].lower()
    assert carried(system, b, "Torch") == tb + 4
    before = state(system, b)
    assert "no 'torch' on the ground" in system.command(b, "!pick_up torch")["content"]
    assert "not 999" in system.command(a, "!drop_item Torch 999")["content"]
    assert "doesn't carry" in system.command(a, "!drop_item Unicorn Horn")["content"]
    assert state(system, b) == before and carried(system, a, "Torch") == ta - 4


# --------------------------------------------------------------------------- concurrency


def test_concurrent_buys_sells_and_trades_conserve_gold_and_items(srd: SystemUnderTest) -> None:
    from concurrent.futures import ThreadPoolExecutor

    system = srd
    players = [new_player_id() for _ in range(4)]
    for number, player in enumerate(players):
        seed(system, player, rich(f"Racer{number}x{player}", 100))
        system.set_presence(player, "online")
    system.command(players[0], "!shop_list")
    entries = system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
    item = next(e for e in entries if e["qty"] >= 1 and 0 < e["price"] <= 1000 and e["bundle"] == 1
                and e["name"] != "Torch")
    ids = {p: system.sql("SELECT id FROM characters WHERE player_id = :p", p=p)[0].id for p in players}
    start = {p: (purse_cp(system, p), carried(system, p, "Torch"), carried(system, p, item["name"]))
             for p in players}
    shop_before = next(e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
                       if e["name"] == item["name"])["qty"]

    commands: list[tuple[int, str]] = []
    for i, player in enumerate(players):
        receiver = players[(i + 1) % len(players)]
        commands += [(player, f"!buy_item {item['name']}")] * 5
        commands += [(player, "!sell_item Torch")] * 5
        commands += [(player, f"!trade_item Torch 2 <@{receiver}>")] * 5
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda c: system.command(c[0], c[1], timeout=90), commands))
    assert len(answers) == 60
    offers = [(a, commands[n][1]) for n, a in enumerate(answers) if (a.get("meta") or {}).get("awaiting") == "trade"]
    assert len(offers) == 20, [a["content"] for a in answers if "offers you" not in a["content"]][:5]

    # Every receiver answers ✅ twice at once: each trade settles exactly once.
    after = system.cursor()
    reactions = []
    for answer, text in offers:
        receiver = int(text.rsplit("<@", 1)[1].rstrip(">"))
        reactions += [(answer, receiver)] * 2
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda r: system.react(r[0]["id"], r[1], "✅"), reactions))
    settled = system.wait_for(lambda e: "Trade done" in e.get("content", "") or "can't happen" in e.get("content", "")
                              or "already settled" in e.get("content", ""), after, timeout=120, count=40)
    texts = [e["content"] for e in settled]
    assert sum("already settled" in t for t in texts) == 20, texts
    trade_ids = [a["meta"]["trade_id"] for a, _ in offers]
    statuses = system.sql("SELECT status FROM trade_history WHERE id = ANY(:t)", t=trade_ids)
    assert all(r.status in ("accepted", "failed") for r in statuses) and len(statuses) == 20

    # Conservation: every character's purse and pack moved exactly as its ledger says; trades create nothing.
    for player in players:
        ledger = {r.item: int(r.n) for r in system.sql(
            "SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c GROUP BY item", c=ids[player])}
        cp, torches, bought = start[player]
        assert purse_cp(system, player) == cp + ledger.get("cp", 0)
        assert carried(system, player, "Torch") == torches + ledger.get("Torch", 0)
        assert carried(system, player, item["name"]) == bought + ledger.get(item["name"], 0)
    trade_sum = system.sql("SELECT item, sum(quantity_delta) AS n FROM ledger WHERE counterparty LIKE 'trade:%' "
                           "AND character_id = ANY(:c) GROUP BY item", c=list(ids.values()))
    assert all(int(r.n) == 0 for r in trade_sum)
    total_torches = sum(carried(system, p, "Torch") for p in players)
    sold = -sum(int(r.n) for r in system.sql(
        "SELECT sum(quantity_delta) AS n FROM ledger WHERE item = 'Torch' AND counterparty LIKE 'shop:%' "
        "AND character_id = ANY(:c)", c=list(ids.values())) if r.n is not None)
    assert total_torches + sold == sum(s[1] for s in start.values())
    bought_total = sum(carried(system, p, item["name"]) - start[p][2] for p in players)
    shop_after = next(e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
                      if e["name"] == item["name"])["qty"]
    assert shop_before - shop_after == bought_total and shop_after >= 0
