"""Test fixtures: the real system (Redis, PostgreSQL + pgvector, Celery workers, gateway) started once per
session through start_system.py under its own supervisord, in a temporary VAR_DIR, on free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system import SystemUnderTest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_SRD = PROJECT_ROOT.parent / "shared" / "corpus" / "srd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def system_environment(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "DISCORD_TOKEN", "GEMINI_API_KEY", "XAI_API_KEY",
                          "LOCAL_MODEL_NAME", "LOCAL_MODEL_PATH")}
    env.update(
        VAR_DIR=str(var_dir), LOGS_DIR=str(var_dir / "logs"),
        LOCAL_TABLE_PORT=str(free_port()), FLOWER_PORT=str(free_port()), FLOWER_PASSWORD="test-secret",
        VLLM_PORT=str(free_port()),
        BOT_CHANNEL_ID="1000", OWNER_ID="1",
        BATCH_IDLE_S="0.6", BATCH_MAX_S="2.5",
        TURN_STALE_S="8", DND_TEST_HOOKS="1", MAX_TASK_ATTEMPTS="3",
        USER_RATE_PER_MIN="600", CHANNEL_RATE_PER_MIN="3000",
        SRD_JSON_DIR=str(SHARED_SRD / "json" / "5e-bits-5e-database"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


@pytest.fixture(scope="session")
def system() -> Iterator[SystemUnderTest]:
    var_dir = Path(tempfile.mkdtemp(prefix="dndt", dir="/tmp"))
    env = system_environment(var_dir)
    started = subprocess.run([sys.executable, "start_system.py"], cwd=PROJECT_ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    sut = SystemUnderTest(PROJECT_ROOT, env)
    if started.returncode != 0:
        sut.shutdown()
        pytest.fail(f"start_system.py failed:\n{started.stdout[-4000:]}\n{started.stderr[-4000:]}")
    try:
        yield sut
    finally:
        sut.shutdown()
        shutil.rmtree(var_dir, ignore_errors=True)
