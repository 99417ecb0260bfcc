"""Every CLI run while the system is down says what is down and how to start it, in one line, exit code 2 (no
traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.srd_paths import PROJECT_ROOT, SRD_JSON_DIR

CLIS = [
    ["scripts/setup_indexes.py"],
    ["scripts/analyze_structures.py"],
    ["scripts/import_srd.py"],
    ["scripts/manage_campaign_content.py", "list"],
    ["-m", "corpus.query", "how does grappling work", "--index", "rules", "--json"],
    ["scripts/backup.py"],
    ["start_system.py", "--status"],
]


@pytest.mark.parametrize("argv", CLIS, ids=lambda argv: " ".join(argv))
def test_a_cli_with_the_system_down_says_so_in_one_line(argv: list[str], tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(VAR_DIR=str(tmp_path / "var"), LOGS_DIR=str(tmp_path / "logs"), SRD_JSON_DIR=str(SRD_JSON_DIR),
               PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, *argv], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 2, said
    assert len(said) == 1, said
    assert "not running" in said[0] and "make run" in said[0], said
    assert "Traceback" not in done.stderr
