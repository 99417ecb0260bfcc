"""Worker profiles: the exact `celery worker` command lines supervisord runs (and the tests start).

- `cpu`: commands, turns (prepare/apply), shops, analysis; prefetch 1 so a command never waits behind
  another task already buffered; runs the embedded beat (the sweeper) unless WORKER_BEAT=0.
- `ingest`: index rebuilds, alone, so a long job never delays commands.
- `gpu`: the only process that talks to the model; concurrency 1, with a large prefetch so the batching
  task sees every waiting request at once.
"""

from __future__ import annotations

import os
import sys

from settings import Settings

PROFILES = ("cpu", "ingest", "gpu")


def worker_argv(profile: str, settings: Settings, name: str | None = None, beat: bool | None = None) -> list[str]:
    if profile not in PROFILES:
        raise ValueError(f"unknown worker profile {profile!r}; expected one of {', '.join(PROFILES)}")
    node = f"{name or profile}@%h"
    # The ingest worker runs a few long jobs whose progress is worth a log line; the others log what
    # WORKER_LOG_LEVEL asks (at INFO, a line per task).
    level = "INFO" if profile == "ingest" else settings.worker_log_level
    common = [sys.executable, "-m", "celery", "-A", "tasks.app", "worker", "-n", node,
              "--loglevel", level, "-E", "--without-mingle", "--without-gossip"]
    if profile == "cpu":
        argv = common + ["-Q", "commands,turns,shops,analysis", "-c", str(settings.cpu_concurrency),
                         "--prefetch-multiplier", "1", "-O", "fair"]
        if beat if beat is not None else os.environ.get("WORKER_BEAT", "1") == "1":
            schedule = settings.var_dir / "celerybeat-schedule"
            argv += ["-B", "--schedule", str(schedule)]
        return argv
    if profile == "ingest":
        return common + ["-Q", "ingest", "-c", "1", "--prefetch-multiplier", "1", "-O", "fair"]
    return common + ["-Q", "inference", "-c", "1", "--prefetch-multiplier", "128"]
