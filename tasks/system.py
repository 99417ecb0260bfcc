"""System tasks: the sweeper, and a bare task used to measure the queue's own round trip."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import keys
from corpus.srd_import import import_directory
from db.engine import transaction
from settings import get_settings
from tasks import model_switch, sweeper
from tasks.app import app
from tasks.base import DndTask
from tasks.redis_client import get_redis


@app.task(name=keys.SWEEP_TASK, base=DndTask, ignore_result=True)
def sweep() -> dict[str, int]:
    settings = get_settings()
    stale_after = float(os.environ.get("TURN_STALE_S", "300"))
    republished = sweeper.republish_outbox()
    stale = sweeper.stale_turns(stale_after)
    for channel, turn_id in stale:
        app.send_task(keys.PREPARE_TURN_TASK, args=[channel, turn_id])
    orphans = sweeper.orphaned_pending(settings.batch_max_s + 5)
    for channel in orphans:
        app.send_task(keys.PREPARE_TURN_TASK, args=[channel])
    expired = sweeper.expire_trades()
    gates = sweeper.repair_combat_gates()
    idle = sweeper.pass_idle_turns()
    sessions = sweeper.close_quiet_sessions()
    indexed = sweeper.index_journals()
    return {"republished": republished, "redriven": len(stale), "orphans": len(orphans), "trades_expired": expired,
            "gates_repaired": gates, "idle_turns_passed": idle, "sessions_closed": sessions, "journal_indexed": indexed}


@app.task(name=keys.SWITCH_MODEL_TASK, base=DndTask, user_facing_name="the model switch",
          soft_time_limit=900, time_limit=960)
def switch_model(event: dict[str, Any], model: str) -> None:
    """Restarts the `vllm` program with another model (supervisord XML-RPC) and reports when it is healthy."""
    report = model_switch.switch(get_settings(), model, get_redis())
    model_switch.tell(event, report)


@app.task(name=keys.IMPORT_SRD_TASK, base=DndTask)
def import_srd(directory: str) -> dict[str, int]:
    """The SRD compendium into `rules` (start_system sends this when SRD_JSON_DIR is set and `rules` is empty)."""
    with transaction() as session:
        report = import_directory(session, Path(directory))
    return report.counts


@app.task(name=keys.ECHO_TASK, ignore_result=False, acks_late=False)
def echo(value: float) -> float:
    """Does nothing: its round trip is the queue's own cost (the baseline of bench/queue_roundtrip.py)."""
    return value


if os.environ.get("DND_TEST_HOOKS") == "1":
    @app.task(name=keys.CRASH_PROBE_TASK, base=DndTask, user_facing_name="the crash probe")
    def crash_probe(event: dict[str, object]) -> None:
        """Test hook: dies like a segfault on every attempt (only registered with DND_TEST_HOOKS=1)."""
        time.sleep(0.1)
        os._exit(13)
