"""The message path end to end through the local table: intake → Celery → outbox → stream → table."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def test_help_lists_commands_and_marks_owner_only(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!help")
    fields = reply["embeds"][0]["fields"]
    listing = "\n".join(field["value"] for field in fields)
    assert "`!roll <dice> [label]`" in listing
    assert "`!system_stats`" in listing
    assert re.search(r"`!audit \[n\]` 🔒", listing), "owner-only commands are marked"


def test_help_for_one_command(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!help roll")
    assert reply["content"].startswith("`!roll <dice> [label]`")
    # The notation and where it differs from Avrae's d20, which players' habits come from.
    assert "`d%` is 1–100" in reply["content"] and "`1d20+5 >= 15`" in reply["content"]
    assert len(reply["content"]) <= 2000


def test_roll_gets_its_total(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!roll 1d1+4")
    assert "`5`" in reply["content"]


def test_roll_is_logged_to_message_history(system: SystemUnderTest) -> None:
    player = new_player_id()
    system.command(player, "!roll 2d1+1")
    rows = system.sql("SELECT message FROM message_history WHERE player_id = :p AND kind = 'roll'", p=player)
    assert [row.message for row in rows] == ["2d1+1 = 3"]


def test_bad_dice_expression_is_explained(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!roll 1d20+banana")
    assert reply["content"].startswith("I can't roll that:")


def test_unknown_command_suggests_the_closest(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!rol 1d20")
    assert "I don't know the command `!rol`" in reply["content"]
    assert "Did you mean `!roll`?" in reply["content"]


def test_non_owner_cannot_use_owner_command_and_nothing_is_audited(system: SystemUnderTest) -> None:
    before = system.sql("SELECT count(*) AS n FROM audit_log")[0].n
    reply = system.command(new_player_id(), "!audit 5")
    assert reply["content"] == "Only the owner can use `!audit`."
    assert system.sql("SELECT count(*) AS n FROM audit_log")[0].n == before


def test_owner_command_is_audited(system: SystemUnderTest) -> None:
    reply = system.command(system.owner_id, "!audit 3")
    assert reply["content"]
    rows = system.sql("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1")
    assert rows[0].actor == f"owner:{system.owner_id}" and rows[0].action.startswith("!audit 3")


def test_system_stats_reports_health_queues_and_workers(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!system_stats")
    fields = {field["name"]: field["value"] for field in reply["embeds"][0]["fields"]}
    assert "Redis: ✅" in fields["Health"] and "PostgreSQL: ✅" in fields["Health"]
    assert "`commands`:" in fields["Queues (waiting)"] and "`inference`:" in fields["Queues (waiting)"]
    for prefix in ("cpu@", "gpu@", "ingest@"):
        assert prefix in fields["Workers"]


def test_narrative_messages_in_one_window_become_one_turn(system: SystemUnderTest) -> None:
    after = system.cursor()
    players = [new_player_id() for _ in range(3)]
    texts = ["I push open the tavern door", "I look for the barkeep", "I sit by the fire"]
    for player, text in zip(players, texts, strict=True):
        system.say(player, text)
    narration = system.wait_for(lambda e: e["meta"].get("turn_id") and any(t in e["content"] for t in texts),
                                after)[0]
    assert narration["meta"]["batch_size"] == 3
    assert all(text in narration["content"] for text in texts)
    # One turn, one reply: nothing else arrives for these messages.
    extra = system.quiet_for(lambda e: e["meta"].get("turn_id") not in (None, narration["meta"]["turn_id"])
                             and any(t in e["content"] for t in texts), narration["cursor"], 2.0)
    assert extra == []
    stored = system.sql("SELECT player_id, message FROM message_history WHERE kind = 'player' "
                        "AND player_id = ANY(:ids) ORDER BY id", ids=players)
    assert [row.message for row in stored] == texts


def test_messages_during_a_turn_form_the_next_batch(system: SystemUnderTest) -> None:
    after = system.cursor()
    player = new_player_id()
    system.say(player, "first batch: I light a torch")
    time.sleep(0.1)
    # Arrives after the first flush is armed but within the same or the next window: never lost, never twice.
    system.say(player, "second batch: I climb down the well")
    replies = system.wait_for(lambda e: "batch:" in e["content"] and e["meta"].get("turn_id"), after, count=1)
    seen = "".join(r["content"] for r in replies)
    if "second batch" not in seen:
        replies += system.wait_for(lambda e: "second batch" in e["content"], replies[-1]["cursor"])
    contents = "".join(r["content"] for r in replies)
    assert contents.count("I light a torch") == 1 and contents.count("I climb down the well") == 1


def test_dm_to_the_bot_gets_a_private_answer(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    system.say(player, "I whisper to the DM: is the innkeeper lying?", dm=True)
    reply = system.wait_for(lambda e: e.get("dm_user_id") == player and not e["meta"].get("notice"), after)[0]
    assert reply["channel"] is None and "innkeeper" in reply["content"]


def test_long_reply_is_split_on_line_boundaries(system: SystemUnderTest) -> None:
    """A reply longer than Discord's 2,000 characters reaches the table in parts, cut between lines."""
    import keys

    player = new_player_id()
    after = system.cursor()
    lines = [f"line {n:03d} of {player} " + "x" * 60 for n in range(60)]
    system.redis.xadd(keys.REPLIES_STREAM, {
        "reply_key": f"test:long:{player}", "content": "\n".join(lines), "channel_id": str(system.channel_id),
        "dm_user_id": "", "embeds": "[]", "reply_to": "", "edit_key": "", "meta": "{}"})
    parts = system.wait_for(lambda e: e.get("reply_key") == f"test:long:{player}", after, count=3)
    assert all(len(part["content"]) <= 2000 for part in parts)
    assert "\n".join(part["content"] for part in parts) == "\n".join(lines)


@pytest.mark.parametrize("content, expected", [
    ("", "empty message"),
    ("   \n  ", "empty message"),
    ("x" * 100_000, "too long (100,000 characters"),
    ("\x00\x01binary\x02payload\xff", "control or binary characters"),
])
def test_bad_messages_get_a_clear_reply_and_change_nothing(system: SystemUnderTest, content: str,
                                                           expected: str) -> None:
    player = new_player_id()
    before = system.sql("SELECT count(*) AS n FROM message_history WHERE player_id = :p", p=player)[0].n
    after = system.cursor()
    message_id = system.say(player, content)
    reply = system.replies_to(message_id, after)[0]
    assert expected in reply["content"]
    assert system.redis.llen(f"pending:c:{system.channel_id}") == 0 or all(
        str(player) not in item for item in system.redis.lrange(f"pending:c:{system.channel_id}", 0, -1))
    time.sleep(0.5)
    assert system.sql("SELECT count(*) AS n FROM message_history WHERE player_id = :p", p=player)[0].n == before


def test_oversized_command_is_refused(system: SystemUnderTest) -> None:
    reply = system.command(new_player_id(), "!roll " + "1+" * 1500 + "1")
    assert "too long" in reply["content"]


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (b"[1, 2, 3]", 400),
    (b'{"author_id": "seven", "content": "hi"}', 400),
    (b'{"author_id": -3, "content": "hi"}', 400),
    (b'{"author_id": 5, "content": 12}', 400),
    (b'{"author_id": 5, "content": "hi", "dm": "yes"}', 400),
    (b'{"author_id": 5, "author_name": "", "content": "hi"}', 400),
])
def test_malformed_api_requests_are_rejected(system: SystemUnderTest, body: bytes, status: int) -> None:
    code, answer = system.http("POST", "/api/messages", raw=body)
    assert code == status and "error" in answer


def test_oversized_request_body_is_rejected(system: SystemUnderTest) -> None:
    code, _ = system.http("POST", "/api/messages", raw=b'{"author_id": 5, "content": "' + b"a" * 2_500_000 + b'"}')
    assert code == 413


def test_reaction_and_presence_validation(system: SystemUnderTest) -> None:
    assert system.http("POST", "/api/reactions", {"message_id": "1-0", "user_id": 5, "emoji": "👍"})[0] == 400
    assert system.http("POST", "/api/reactions", {"message_id": "99999999999999-0", "user_id": 5,
                                                   "emoji": "✅"})[0] == 404
    assert system.http("POST", "/api/presence", {"user_id": 5, "status": "away"})[0] == 400
    system.set_presence(5, "online")
    assert system.redis.get("presence:5") == "online"


def test_flood_gets_one_notice(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    # The test system allows 600 messages a minute per user with a burst of 200: send 320 at once.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: system.say(player, f"I shout {n}", dm=True), range(320)))
    notices = system.wait_for(lambda e: "Slow down" in e["content"], after, timeout=30)
    time.sleep(1.0)
    all_notices = system.quiet_for(lambda e: "Slow down" in e["content"], after, 0.5)
    assert len(notices) >= 1 and len(all_notices) == 1


def test_flower_status_and_system_stats_agree(system: SystemUnderTest) -> None:
    """Operators see the same queue depths in Flower, `start_system.py --status` and `!system_stats`."""
    import base64
    import subprocess
    import sys
    import urllib.request

    auth = base64.b64encode(f"admin:{system.env['FLOWER_PASSWORD']}".encode()).decode()

    def flower(path: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{system.env['FLOWER_PORT']}{path}",
                                         headers={"Authorization": f"Basic {auth}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    player = new_player_id()
    system.ctl("stop", "worker-cpu")
    try:
        after = system.cursor()
        waiting = [system.say(player, f"!roll 1d1+{n}") for n in range(3)]
        deadline = time.monotonic() + 10
        while system.redis.llen("commands") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        flower_depths = {q["name"]: q["messages"] for q in flower("/api/queues/length")["active_queues"]}
        status = subprocess.run([sys.executable, "start_system.py", "--status"], cwd=system.root, env=system.env,
                                capture_output=True, text=True, timeout=120).stdout
        assert flower_depths.get("commands") == 3
        assert "commands=3" in status
        assert "worker-cpu     STOPPED" in status
    finally:
        system.ctl("start", "worker-cpu")
    for message_id in waiting:
        system.replies_to(message_id, after, timeout=60)
    system.wait_workers_ready()
    stats = system.command(player, "!system_stats")
    workers_listed = {f["name"]: f["value"] for f in stats["embeds"][0]["fields"]}["Workers"]
    flower_workers = flower("/api/workers?refresh=1")
    assert flower_workers and all(name in workers_listed for name in flower_workers)
