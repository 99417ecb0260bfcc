"""Faults with real processes: killed workers, a killed gateway, a restarted Redis, a poison task, and
several workers of each kind against one broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

import keys
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def pool_pids(system: SystemUnderTest, node_prefix: str) -> list[int]:
    """The pool processes (the ones executing tasks) of the worker whose node name starts with the prefix."""
    from tasks.app import app

    with app.connection_for_write() as connection:
        stats = app.control.inspect(timeout=2.0, connection=connection).stats() or {}
    for name, info in stats.items():
        if name.startswith(node_prefix):
            return [int(pid) for pid in info["pool"]["processes"]]
    raise AssertionError(f"no worker {node_prefix}* answered")


def narrations_mentioning(system: SystemUnderTest, text: str, after: str, seconds: float) -> list[dict]:
    return system.quiet_for(lambda e: text in e["content"] and e["meta"].get("turn_id"), after, seconds)


def test_poison_task_stops_after_its_attempt_limit_and_the_user_is_told(system: SystemUnderTest) -> None:
    from celery import Celery

    player = new_player_id()
    sender = Celery("test")
    sender.config_from_object("celeryconfig")
    event = {"message_id": f"poison-{player}", "author_id": player, "channel_id": system.channel_id}
    after = system.cursor()
    result = sender.send_task(keys.CRASH_PROBE_TASK, args=[event], queue="commands")
    reply = system.replies_to(event["message_id"], after, timeout=60)[0]
    assert "couldn't process that (the crash probe) after 3 attempts" in reply["content"]
    rows = system.sql("SELECT task_name, attempts FROM dead_letters WHERE task_id = :t", t=result.id)
    assert [(r.task_name, r.attempts) for r in rows] == [(keys.CRASH_PROBE_TASK, 3)]
    # The worker survived its children dying and still answers.
    assert "`2`" in system.command(player, "!roll 1d1+1")["content"]


def test_killing_the_gpu_worker_mid_turn_redoes_the_turn_once(system: SystemUnderTest) -> None:
    children = pool_pids(system, "gpu@")
    for pid in children:
        os.kill(pid, signal.SIGSTOP)
    player = new_player_id()
    after = system.cursor()
    system.say(player, "I pry open the reliquary (kill test)")
    channel = f"c:{system.channel_id}"
    deadline = time.monotonic() + 20
    while system.redis.hget(f"turn:{channel}", "stage") != "generate" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the batch has been handed to the (frozen) pool process
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    replies = system.wait_for(lambda e: "kill test" in e["content"], after, timeout=60)
    later = narrations_mentioning(system, "kill test", replies[0]["cursor"], 6)
    assert len(replies) == 1 and later == []
    assert "I pry open the reliquary" in replies[0]["content"]


def test_killing_the_cpu_worker_mid_command_redoes_it_once(system: SystemUnderTest) -> None:
    children = pool_pids(system, "cpu@")
    for pid in children:
        os.kill(pid, signal.SIGSTOP)
    player = new_player_id()
    after = system.cursor()
    message_id = system.say(player, "!roll 1d1+6")
    time.sleep(1.0)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    replies = system.replies_to(message_id, after, timeout=60)
    more = system.quiet_for(lambda e: e.get("reply_to") == message_id, replies[0]["cursor"], 3)
    assert "`7`" in replies[0]["content"] and more == []


def test_gateway_killed_with_pending_messages_loses_nothing(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    pid = system.program_pid("gateway")
    system.say(player, "I hide behind the curtain (restart test)")
    system.say(player, "I hold my breath (restart test)")
    os.kill(pid, signal.SIGKILL)  # before the 0.6 s batching window closes
    system.wait_program_running("gateway", not_pid=pid)
    system.wait_table_up()
    replies = system.wait_for(lambda e: "restart test" in e["content"], after, timeout=60)
    text = "".join(r["content"] for r in replies)
    if "I hold my breath" not in text or "I hide behind the curtain" not in text:
        replies += system.wait_for(lambda e: "restart test" in e["content"], replies[-1]["cursor"], timeout=30)
        text = "".join(r["content"] for r in replies)
    assert text.count("I hide behind the curtain") == 1 and text.count("I hold my breath") == 1
    # And the table works after the restart.
    assert "`3`" in system.command(player, "!roll 1d1+2")["content"]


def test_reply_read_but_not_acked_before_a_gateway_crash_is_posted_exactly_once(system: SystemUnderTest) -> None:
    consumer = f"gateway-{socket.gethostname()}-0"
    player = new_player_id()
    reply_key = f"test:unacked:{player}"
    fields = {"reply_key": reply_key, "content": f"exactly once {player}", "channel_id": str(system.channel_id),
              "dm_user_id": "", "embeds": "[]", "reply_to": "", "edit_key": "", "meta": "{}"}
    after = system.cursor()
    system.ctl("stop", "gateway")
    try:
        system.redis.xadd(keys.REPLIES_STREAM, fields)
        # The gateway's consumer read it (it is now pending for that consumer) and then died before acking.
        read = system.redis.xreadgroup(keys.REPLIES_GROUP, consumer, {keys.REPLIES_STREAM: ">"}, count=100)
        assert any(f.get("reply_key") == reply_key for _, items in read for _, f in items)
        # A second copy of the same reply (a task redone after publishing) must not be posted twice either.
        system.redis.xadd(keys.REPLIES_STREAM, fields)
    finally:
        system.ctl("start", "gateway")
        system.wait_table_up()
    posted = system.quiet_for(lambda e: e.get("reply_key") == reply_key, after, 8)
    assert len(posted) == 1
    pending = system.redis.xpending(keys.REPLIES_STREAM, keys.REPLIES_GROUP)["pending"]
    assert pending == 0


def test_redis_restart_with_work_pending_loses_nothing(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    system.ctl("stop", "worker-cpu")
    try:
        system.say(player, "I count the coins (redis test)")
        system.say(player, "I pocket one (redis test)")
        time.sleep(3.5)  # the window closed: the turn's task waits on the queue nobody consumes
        assert system.redis.llen("turns") >= 1
        time.sleep(1.2)  # the append-only file is flushed every second
        print(system.ctl("restart", "redis"))
    finally:
        print(system.ctl("start", "worker-cpu"))
    replies = system.wait_for(lambda e: "redis test" in e["content"], after, timeout=90)
    text = "".join(r["content"] for r in replies)
    if "I pocket one" not in text:
        replies += system.wait_for(lambda e: "I pocket one" in e["content"], replies[-1]["cursor"], timeout=30)
        text = "".join(r["content"] for r in replies)
    assert text.count("I count the coins") == 1 and text.count("I pocket one") == 1
    assert "`4`" in system.command(player, "!roll 1d1+3")["content"]


def test_two_cpu_and_two_gpu_workers_keep_every_channel_in_order(system: SystemUnderTest) -> None:
    extra = [subprocess.Popen([sys.executable, "-m", "workers.boot", profile, "--name", name, "--no-beat"],
                              cwd=system.root, env=system.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for profile, name in (("cpu", "cpu2"), ("gpu", "gpu2"))]
    try:
        system.wait_workers_ready(("cpu@", "cpu2@", "gpu@", "gpu2@"))
        players = [new_player_id() for _ in range(6)]
        after = system.cursor()

        def play(player: int) -> None:
            for step in range(5):
                system.say(player, f"step {step} of player {player}", dm=True)
                time.sleep(0.9 if step % 2 else 0.2)

        with ThreadPoolExecutor(max_workers=len(players)) as pool:
            list(pool.map(play, players))
        for player in players:
            wanted = [f"step {step} of player {player}" for step in range(5)]
            replies: list[dict] = []
            cursor = after
            deadline = time.monotonic() + 60
            while not all(any(w in r["content"] for r in replies) for w in wanted):
                assert time.monotonic() < deadline, f"player {player} missing replies"
                replies += system.wait_for(lambda e, p=player: e.get("dm_user_id") == p, cursor, timeout=30)
                cursor = replies[-1]["cursor"]
            text = "\n".join(r["content"] for r in replies)
            positions = [text.index(w) for w in wanted]
            assert positions == sorted(positions), f"player {player}'s story is out of order"
            assert all(text.count(w) == 1 for w in wanted), f"player {player} has a message answered twice"
        turn_ids = [r["meta"].get("turn_id") for r in replies if not r["meta"].get("notice")]
        assert len(turn_ids) == len(set(turn_ids))
        duplicates = system.sql("SELECT count(*) AS n FROM (SELECT message FROM message_history "
                                "WHERE kind = 'player' AND message LIKE 'step % of player %' "
                                "GROUP BY message HAVING count(*) > 1) d")[0].n
        assert duplicates == 0
    finally:
        for process in extra:
            process.send_signal(signal.SIGTERM)
        for process in extra:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(process.pid).children(recursive=True):
                    child.kill()
                process.kill()
