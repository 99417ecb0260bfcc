"""Stop the whole system gracefully, in the reverse order of start, and write logs/shutdown.log.

The gateway stops first (no new work is taken in); workers get TERM, Celery's warm shutdown, which finishes
the task in hand (unfinished, unacknowledged messages go back to the queue); vLLM frees the GPU; the
embedded stores stop last; then supervisord itself.
"""

from __future__ import annotations

import logging
import sys
import time

from settings import get_settings
from start_system import configure_logging
from workers import supervisor

log = logging.getLogger("shutdown")

STOP_ORDER = ("gateway", "flower", "worker-cpu", "worker-ingest", "worker-gpu", "vllm", "postgres", "redis")


def main() -> int:
    settings = get_settings()
    configure_logging(settings, "shutdown.log")
    if not supervisor.is_running(settings):
        stopped = supervisor.stop_orphans(settings)
        log.info("supervisord is not running: %s", f"stopped {stopped} processes it left behind" if stopped
                 else "nothing to stop")
        return 0
    started = time.monotonic()
    failed = False
    for program in STOP_ORDER:
        try:
            before = time.monotonic()
            supervisor.stop(settings, program)
            log.info("stopped %-14s (%.1fs)", program, time.monotonic() - before)
        except Exception as error:
            failed = True
            log.error("could not stop %s: %s", program, error)
    supervisor.shutdown(settings)
    log.info("supervisord stopped; system down in %.1fs", time.monotonic() - started)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
