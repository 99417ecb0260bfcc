"""Day two of operations, on a system of the module's own: long polls that keep their deadline, a database that
only the project's processes can open, restarts (make stop/run, supervisorctl, a dead supervisord, a
reboot-like kill of everything) that find every piece of state again, and PostgreSQL killed or restarted while
messages are in flight, with exactly one reply per message."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from tests.integration.test_characters import fighter, seed
from tests.system import SystemUnderTest, new_player_id, own_system

pytestmark = pytest.mark.system

PROBE_USER = "dndprobe"
# Long enough for a test to stop the gateway under a message that waits for its turn.
BATCH_IDLE_S = 3.0
# A player's turn in a fight passes after this long without an action.
IDLE_TURN_S = 4.0
CHANNEL = "c:1000"


@pytest.fixture(scope="module")
def ops() -> Iterator[SystemUnderTest]:
    with own_system(BATCH_IDLE_S=str(BATCH_IDLE_S), BATCH_MAX_S=str(2 * BATCH_IDLE_S),
                    COMBAT_TURN_TIMEOUT_S=str(IDLE_TURN_S)) as sut:
        yield sut


def timed_poll(sut: SystemUnderTest, after: str, wait: float) -> tuple[float, int, Any]:
    started = time.monotonic()
    status, body = sut.http("GET", f"/api/events?after={after}&wait={wait}", timeout=wait + 30)
    return time.monotonic() - started, status, body


def bot_replies(sut: SystemUnderTest, message_id: str) -> list[dict[str, Any]]:
    """Every reply to a message in the table's whole history (to count them: exactly one)."""
    events, _ = sut.events("0-0")
    found = [e for e in events if e.get("kind") == "bot" and e.get("reply_to") == message_id]
    cursor = events[-1]["cursor"] if events else "0-0"
    while events:
        events, cursor = sut.events(cursor)
        found += [e for e in events if e.get("kind") == "bot" and e.get("reply_to") == message_id]
    return found


# --------------------------------------------------------------------------- long polls


@pytest.mark.parametrize("wait", [10, 25])
def test_an_idle_long_poll_answers_by_its_deadline(ops: SystemUnderTest, wait: int) -> None:
    elapsed, status, body = timed_poll(ops, ops.cursor(), wait)
    assert status == 200, body
    assert body["events"] == []
    assert wait - 0.2 <= elapsed <= wait + 1, elapsed


def test_a_long_poll_ends_as_soon_as_an_event_arrives(ops: SystemUnderTest) -> None:
    player = new_player_id()
    after = ops.cursor()
    result: dict[str, Any] = {}
    poller = threading.Thread(target=lambda: result.update(answer=timed_poll(ops, after, 25)))
    poller.start()
    time.sleep(1.0)
    message_id = ops.say(player, "!roll 1d1+1 early-wake")
    poller.join(timeout=40)
    elapsed, status, body = result["answer"]
    assert status == 200 and body["events"], body
    assert elapsed < 10, elapsed
    assert ops.replies_to(message_id, after)[0]["content"].count("`2`") == 1


def test_a_long_poll_survives_a_redis_restart(ops: SystemUnderTest) -> None:
    after = ops.cursor()
    result: dict[str, Any] = {}
    poller = threading.Thread(target=lambda: result.update(answer=timed_poll(ops, after, 12)))
    poller.start()
    time.sleep(2.0)
    assert "started" in ops.ctl("restart", "redis")
    poller.join(timeout=60)
    elapsed, status, body = result["answer"]
    assert status == 200, body
    assert elapsed <= 13, elapsed
    # The table works again: a command sent now is answered.
    ops.drop_connections()
    assert "`2`" in ops.command(new_player_id(), "!roll 1d1+1", timeout=60)["content"]


# --------------------------------------------------------------------------- a locked database


def probe_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PROBE_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", PROBE_USER], check=True, capture_output=True)
        return pwd.getpwnam(PROBE_USER)


def connect_as(user: pwd.struct_passwd | None, url: str) -> str:
    """Tries to open the database in a child process (as `user` when given); returns what happened."""
    import psycopg2

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: drop to the user, try, report through the pipe, never return to pytest
        outcome = "connected"
        try:
            os.close(reader)
            if user is not None:
                os.setgid(user.pw_gid)
                os.setgroups([])
                os.setuid(user.pw_uid)
            psycopg2.connect(url, connect_timeout=5).close()
        except BaseException as error:  # any refusal is the answer
            outcome = f"refused: {error}"
        os.write(writer, outcome.encode()[:4000])
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    with os.fdopen(reader) as answer:
        return answer.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="creating another local user needs root (as on CI)")
def test_only_the_projects_processes_can_open_the_database(ops: SystemUnderTest) -> None:
    settings = ops.settings
    url = settings.database_url
    assert stat.S_IMODE(settings.pg_password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.pg_data_dir.stat().st_mode) == 0o700
    assert connect_as(None, url) == "connected"
    # Without the password (as root, past the socket's permissions) the server refuses.
    no_password = url.replace(f":{settings.embedded_pg_password()}@", "@")
    assert "password" in connect_as(None, no_password)
    # Another local account can't reach the socket, even knowing the password.
    other = probe_user()
    refusal = connect_as(other, url)
    assert refusal.startswith("refused") and "Permission denied" in refusal, refusal
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(str(settings.pg_socket_dir / ".s.PGSQL.5432"))  # root still can


# --------------------------------------------------------------------------- PostgreSQL killed and restarted


def send_burst(sut: SystemUnderTest, players: list[int], label: str) -> list[str]:
    ids = []
    for number, player in enumerate(players):
        ids.append(sut.say(player, f"!roll 1d1+{number} {label}{number}"))
    return ids


def assert_one_reply_each(sut: SystemUnderTest, message_ids: list[str], after: str, timeout: float) -> None:
    replies = sut.wait_for(lambda e: e.get("reply_to") in message_ids, after, timeout=timeout,
                           count=len(message_ids))
    assert sorted({r["reply_to"] for r in replies}) == sorted(message_ids)
    time.sleep(3)  # a second copy would come within the redelivery's retry delay
    for message_id in message_ids:
        assert len(bot_replies(sut, message_id)) == 1, message_id


def test_postgres_killed_with_commands_and_turns_in_flight_answers_each_once(ops: SystemUnderTest) -> None:
    players = [new_player_id() for _ in range(6)]
    seed(ops, players[0], fighter(f"Kestrel{players[0]}"))
    after = ops.cursor()
    ops.say(players[1], "We search the cellar for the smuggler's map (outage turn)")
    time.sleep(BATCH_IDLE_S - 0.2)  # the turn's batch is about to be flushed and prepared
    first = send_burst(ops, players[:3], "before-kill")
    os.kill(ops.program_pid("postgres"), signal.SIGKILL)
    during = send_burst(ops, players[3:], "during-outage")
    ops.wait_program_running("postgres", timeout=60)
    assert_one_reply_each(ops, first + during, after, timeout=120)
    narrated = ops.wait_for(lambda e: "outage turn" in e.get("content", "").lower() and e["meta"].get("turn_id"),
                            after, timeout=120)
    assert ops.quiet_for(lambda e: "outage turn" in e.get("content", "").lower(), narrated[0]["cursor"], 4) == []
    for number, message_id in enumerate(first + during):
        reply = bot_replies(ops, message_id)[0]["content"]
        assert f"`{1 + number % 3}`" in reply, reply
    ops.drop_connections()
    assert ops.sql("SELECT name FROM characters WHERE player_id = :p", p=players[0])[0].name == f"Kestrel{players[0]}"


def test_postgres_restarted_by_supervisord_keeps_answering(ops: SystemUnderTest) -> None:
    player = new_player_id()
    seed(ops, player, fighter(f"Wren{player}"))
    assert "started" in ops.ctl("restart", "postgres")
    after = ops.cursor()
    message_id = ops.say(player, "!my_sheet")
    reply = ops.replies_to(message_id, after, timeout=90)[0]["content"]
    assert f"Wren{player}" in reply
    assert len(bot_replies(ops, message_id)) == 1


# --------------------------------------------------------------------------- restarts keep everything


def snapshot(sut: SystemUnderTest, player: int) -> dict[str, Any]:
    sut.drop_connections()
    character = sut.sql("SELECT name, xp, hp FROM characters WHERE player_id = :p", p=player)[0]
    return {"character": tuple(character), "history": sut.redis.xlen("table:events"),
            "presence": sut.redis.get(f"presence:{player}")}


def test_stop_and_run_again_finds_everything(ops: SystemUnderTest) -> None:
    player = new_player_id()
    seed(ops, player, fighter(f"Oriel{player}"))
    granted = ops.command(ops.owner_id, f"!xp <@{player}> 250")
    assert "250" in granted["content"]
    ops.set_presence(player, "online")
    pending_id = ops.say(player, "I wait by the door and listen (restart probe)")
    assert "stopped" in ops.ctl("stop", "gateway")  # before the batching window closes
    assert ops.redis.llen(f"pending:{CHANNEL}") >= 1  # the message waits for its turn
    before = snapshot(ops, player)

    stopped = ops.shutdown()
    assert stopped.returncode == 0, stopped.stdout
    assert stat.S_IMODE(ops.settings.pg_data_dir.stat().st_mode) == 0o700
    ops.start_again()

    after = snapshot(ops, player)
    assert after["character"] == before["character"] and after["character"][1] == 250
    assert after["history"] >= before["history"] and after["presence"] == "online"
    # The table's history still holds what was said before the stop.
    assert ops.redis.xrange("table:events", granted["id"], granted["id"])
    # The message that was still waiting for its turn is narrated after the restart, once.
    narration = ops.wait_for(lambda e: "restart probe" in e.get("content", "").lower() and e["meta"].get("turn_id"),
                             timeout=90)
    assert len(narration) == 1
    assert ops.quiet_for(lambda e: "restart probe" in e.get("content", "").lower(), narration[0]["cursor"], 4) == []
    assert ops.redis.llen(f"pending:{CHANNEL}") == 0 and pending_id


def test_a_data_directory_left_by_the_previous_release_starts_and_is_locked(ops: SystemUnderTest) -> None:
    """The previous release's start-up left `var/pgdata` at 0755 (PostgreSQL then refused to start) and its
    server took anyone (`trust`), with no password file."""
    player = new_player_id()
    seed(ops, player, fighter(f"Ember{player}"))
    before = snapshot(ops, player)
    assert ops.shutdown().returncode == 0
    data_dir, password_file = ops.settings.pg_data_dir, ops.settings.pg_password_file
    data_dir.chmod(0o755)
    (data_dir / "pg_hba.conf").write_text("local all all trust\n")
    password_file.unlink()
    ops.start_again()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    log = (ops.var_dir / "logs" / "postgres.log").read_text()
    assert "had mode 0755, which PostgreSQL refuses: set back to 0700" in log
    assert "setting the database password anew" in log
    assert "scram-sha-256" in (data_dir / "pg_hba.conf").read_text() and "trust" not in (
        data_dir / "pg_hba.conf").read_text()
    url = ops.settings.database_url
    assert ops.settings.embedded_pg_password() and connect_as(None, url) == "connected"
    assert "password" in connect_as(None, url.replace(f":{ops.settings.embedded_pg_password()}@", "@"))
    assert snapshot(ops, player)["character"] == before["character"]


def test_a_dead_supervisord_is_cleaned_up_on_the_next_start(ops: SystemUnderTest) -> None:
    player = new_player_id()
    seed(ops, player, fighter(f"Sable{player}"))
    before = snapshot(ops, player)
    supervisord = psutil.Process(int((ops.var_dir / "run" / "supervisord.pid").read_text()))
    old_children = [child.pid for child in supervisord.children(recursive=True)]
    supervisord.kill()
    supervisord.wait(10)
    output = ops.start_again()
    assert "processes still run: stopping them" in (ops.var_dir / "logs" / "startup.log").read_text()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in old_children), output
    assert snapshot(ops, player)["character"] == before["character"]
    assert f"Sable{player}" in ops.command(player, "!my_sheet", timeout=60)["content"]


def test_a_reboot_like_crash_of_everything_comes_back(ops: SystemUnderTest) -> None:
    player = new_player_id()
    seed(ops, player, fighter(f"Thorn{player}"))
    ops.command(ops.owner_id, f"!xp <@{player}> 40")
    before = snapshot(ops, player)
    supervisord = psutil.Process(int((ops.var_dir / "run" / "supervisord.pid").read_text()))
    everything = [supervisord, *supervisord.children(recursive=True)]
    for process in everything:
        process.kill()
    psutil.wait_procs(everything, timeout=10)
    ops.start_again()
    assert snapshot(ops, player)["character"] == before["character"]
    assert f"Thorn{player}" in ops.command(player, "!my_sheet", timeout=60)["content"]


# --------------------------------------------------------------------------- nobody stalls a fight


def test_a_player_who_never_acts_does_not_stall_the_fight(ops: SystemUnderTest) -> None:
    p1, p2 = new_player_id(), new_player_id()
    seed(ops, p1, fighter(f"Rook{p1}"))
    seed(ops, p2, fighter(f"Sage{p2}"))
    after = ops.cursor()
    started = ops.command(p1, f"!initiative <@{p1}> <@{p2}>")["content"]
    assert "Roll for initiative" in started
    gate = json.loads(ops.redis.get(f"combat:{CHANNEL}"))
    first = gate["actor_id"]
    # Nobody acts: within the timeout and a sweep (every 5 s) the turn passes, and then again.
    passed = ops.wait_for(lambda e: "hasn't acted for 4 s" in e.get("content", ""), after, timeout=40, count=2)
    assert f"<@{first}>" in passed[0]["content"] and f"<@{first}>" not in passed[1]["content"]
    rows = ops.sql("SELECT round FROM combat_state WHERE channel_id = 1000 AND active")
    assert rows and rows[0].round >= 2
    # Each waiting turn passes once.
    for event in passed:
        assert len(bot_replies(ops, event["reply_to"])) == 2  # the notice and the turn passing, once each
    assert "The combat is over" in ops.command(p1, "!end_combat")["content"]


# --------------------------------------------------------------------------- the disk fills up


def mounted_tmpfs(path: str, megabytes: int) -> bool:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", path],
                          capture_output=True)
    return done.returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="a size-limited filesystem (tmpfs) needs root (as on CI)")
def test_a_full_disk_under_the_database_is_told_and_recovered_from(ops: SystemUnderTest) -> None:
    """(The last test of the module: it puts back the data directory as it was before the move.) The data
    directory moves onto a small tmpfs, which a filler file then fills: the player is told plainly
    (once, nothing changed), the operator finds it in the worker's log, and once space is freed play goes on
    with every earlier row intact."""
    player = new_player_id()
    seed(ops, player, fighter(f"Quill{player}"))
    data_dir = ops.settings.pg_data_dir
    on_disk = data_dir.with_name("pgdata.disk")
    assert "stopped" in ops.ctl("stop", "postgres")
    data_dir.rename(on_disk)
    data_dir.mkdir(mode=0o700)
    used_mb = int(subprocess.run(["du", "-sm", str(on_disk)], capture_output=True, text=True).stdout.split()[0])
    if not mounted_tmpfs(str(data_dir), used_mb + 40):
        data_dir.rmdir()
        on_disk.rename(data_dir)
        ops.ctl("start", "postgres")
        pytest.skip("this machine can't mount a tmpfs")
    filler = data_dir / "filler"
    try:
        subprocess.run(["cp", "-a", f"{on_disk}/.", str(data_dir)], check=True)
        server_user = pwd.getpwnam("pgserver")
        os.chown(data_dir, server_user.pw_uid, server_user.pw_gid)
        assert "started" in ops.ctl("start", "postgres")
        ops.drop_connections()
        assert f"Quill{player}" in ops.command(player, "!my_sheet", timeout=60)["content"]
        with open(filler, "wb") as handle:  # fill the filesystem to the last block
            try:
                while True:
                    handle.write(b"\0" * (1 << 20))
                    handle.flush()
            except OSError:
                pass
        # Writes that still fit in the pages PostgreSQL has go through; the first that needs a new block (or a
        # connection, which needs a file written) fails, and that player is told at once, once.
        told, sent = "", []
        for attempt in range(150):
            after = ops.cursor()
            message_id = ops.say(player, f"!roll 1d1+1 disk-full-{attempt}-" + "x" * 250)
            sent.append(message_id)
            told = ops.replies_to(message_id, after, timeout=60)[0]["content"]
            if "storage is full" in told:
                break
            assert "`2`" in told, told
        assert "storage is full" in told and "Nothing was changed" in told, told
        assert "disk is full" in (ops.var_dir / "logs" / "worker-cpu.log").read_text()
        time.sleep(3)
        assert [len(bot_replies(ops, message_id)) for message_id in sent] == [1] * len(sent)
        # Space freed: the game goes on, and what was there before is intact.
        filler.unlink()
        ops.wait_program_running("postgres", timeout=90)
        reply = ops.command(player, "!roll 1d1+2 space-again", timeout=120)["content"]
        assert "`3`" in reply
        ops.drop_connections()
        assert ops.sql("SELECT name FROM characters WHERE player_id = :p", p=player)[0].name == f"Quill{player}"
    finally:
        filler.unlink(missing_ok=True)
        ops.ctl("stop", "postgres")
        subprocess.run(["umount", "-l", str(data_dir)], capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        on_disk.rename(data_dir)
