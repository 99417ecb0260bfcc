"""Backups an operator can trust, on a system of its own: play, back up while it runs, play more, stop, restore
(refused while it runs), start again on the same VAR_DIR, and find exactly the state of the backup's moment —
the database's rows and Redis's table history — with the later play gone, and the table playing on from there."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_characters import fighter, row, seed, state
from tests.srd_paths import PROJECT_ROOT
from tests.system import SystemUnderTest, new_player_id, own_system

pytestmark = pytest.mark.system

# Tables the play below writes to: their row counts must come back as they were at the backup.
COUNTED_TABLES = ("characters", "outbox", "processed_messages", "message_history")


@pytest.fixture
def backed_up_system() -> Iterator[SystemUnderTest]:
    """A system of this test's own: it is stopped and its data replaced."""
    with own_system() as sut:
        yield sut


def run_script(system: SystemUnderTest, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=system.env, capture_output=True,
                          text=True, timeout=timeout)


def counts(system: SystemUnderTest) -> dict[str, int]:
    return {table: int(system.sql(f"SELECT count(*) AS n FROM {table}")[0].n) for table in COUNTED_TABLES}


def table_history(system: SystemUnderTest) -> list[Any]:
    return system.redis.xrange("table:events")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_restored_backup_has_exactly_the_state_of_its_moment(backed_up_system: SystemUnderTest) -> None:
    system = backed_up_system
    player, newcomer = new_player_id(), new_player_id()
    seed(system, player, fighter(f"Keeper{player}"))
    assert "Lucky: 2/3 left" in system.command(player, "!use_feat Lucky reroll the attack")["content"]
    assert "`4`" in system.command(player, "!roll 1d1+3")["content"]
    at_backup = state(system, player), counts(system), table_history(system), system.cursor()

    made = run_script(system, "scripts/backup.py")
    assert made.returncode == 0, made.stdout + made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert backup.parent == system.var_dir / "backups" and backup.name.startswith("dnd-")
    assert mode(backup.parent) == 0o700 and mode(backup) == 0o700
    assert sorted(path.name for path in backup.iterdir()) == ["manifest.json", "postgres.dump", "redis.rdb"]
    assert all(mode(path) == 0o600 for path in backup.iterdir())

    # Play on after the backup: all of this must be gone after the restore.
    assert "Lucky: 1/3 left" in system.command(player, "!use_feat Lucky dodge the arrow")["content"]
    seed(system, newcomer, fighter(f"Latecomer{newcomer}"))
    assert "`9`" in system.command(newcomer, "!roll 1d1+8")["content"]
    assert state(system, player) != at_backup[0] and counts(system) != at_backup[1]

    refused = run_script(system, "scripts/restore.py", str(backup))
    assert refused.returncode == 1 and "the system is running" in refused.stdout, refused.stdout + refused.stderr
    assert "Lucky: 1/3" in system.command(player, "!show_feats")["content"]  # refused means untouched

    system.shutdown()
    restored = run_script(system, "scripts/restore.py", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    started = run_script(system, "start_system.py")
    assert started.returncode == 0, started.stdout + started.stderr

    again = SystemUnderTest(PROJECT_ROOT, system.env)
    assert state(again, player) == at_backup[0]
    assert row(again, newcomer) is None
    assert counts(again) == at_backup[1]
    assert table_history(again) == at_backup[2] and again.cursor() == at_backup[3]
    # The table plays on from the backup's moment.
    assert "Lucky: 2/3" in again.command(player, "!show_feats")["content"]
