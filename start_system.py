"""Start the whole system under supervisord, in dependency order, with a health check after each step.

    python start_system.py            # start (or finish starting) everything, print the status table
    python start_system.py --status   # only print the status table (the same numbers as !system_stats)

Writes logs/startup.log. Exits non-zero, naming the failing check, when something is not healthy.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keys
from settings import Settings, get_settings
from workers import supervisor
from workers.llamacpp_server import serves_gguf_on_cpu

log = logging.getLogger("startup")

WORKER_PROGRAMS = {"worker-cpu": "cpu@", "worker-ingest": "ingest@", "worker-gpu": "gpu@"}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


class StartupError(Exception):
    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check


def wait_for(check: str, probe: Callable[[], str | None], timeout_s: float, interval_s: float = 0.2) -> str:
    """Polls `probe` until it returns a detail string (healthy) or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    last_error = "no answer"
    while time.monotonic() < deadline:
        try:
            detail = probe()
            if detail is not None:
                return detail
        except Exception as error:  # a probe failing is the normal state until the service is up
            last_error = f"{error.__class__.__name__}: {error}"
        time.sleep(interval_s)
    raise StartupError(check, f"not healthy after {timeout_s:.0f}s ({last_error})")


def redis_client(settings: Settings):  # type: ignore[no-untyped-def]
    from redis_clients import sync_client

    # No retries: a probe answers now or fails, and wait_for polls again.
    return sync_client(settings.redis_url, retries=0)


def probe_redis(settings: Settings) -> str | None:
    return "PING ok" if redis_client(settings).ping() else None


def probe_database(settings: Settings) -> str | None:
    from sqlalchemy import create_engine, make_url, text

    from db.engine import sqlalchemy_url

    # The maintenance database: the application's own may not exist yet.
    engine = create_engine(make_url(sqlalchemy_url(settings.database_url)).set(database="postgres"))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    return "SELECT 1 ok"


def check_schema() -> str:
    from sqlalchemy import text

    from db.bootstrap import migrate
    from db.engine import get_engine

    migrate()
    with get_engine().connect() as conn:
        version = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if not version:
        raise StartupError("pgvector", "the vector extension is missing")
    return f"migrations at {revision}, vector {version}"


def gpu_present() -> bool:
    return shutil.which("nvidia-smi") is not None


def probe_vllm(settings: Settings) -> str | None:
    with urllib.request.urlopen(f"http://{settings.vllm_host}:{settings.vllm_port}/health", timeout=2) as answer:
        return "GET /health ok" if answer.status == 200 else None


def probe_local_model(settings: Settings) -> str | None:
    """llama-cpp-python's server has no /health: it is ready when it lists its model."""
    url = f"http://{settings.vllm_host}:{settings.vllm_port}/v1/models"
    with urllib.request.urlopen(url, timeout=2) as answer:
        return "GET /v1/models ok" if answer.status == 200 else None


def probe_workers(settings: Settings, expected: list[str]) -> str | None:
    from tasks.monitoring import ping_workers

    answering = ping_workers(timeout_s=1.0)
    missing = [prefix for prefix in expected if not any(name.startswith(prefix) for name in answering)]
    return None if missing else ", ".join(sorted(answering))


def probe_http(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        if error.code == 401:  # Flower answers, and asks for its password
            return "HTTP 401 (basic auth on)"
        raise


def probe_gateway(settings: Settings) -> str | None:
    ready = redis_client(settings).get("gateway:ready")
    if not ready:
        return None
    if not settings.discord_enabled:
        probe_http(f"http://{settings.local_table_host}:{settings.local_table_port}/api/info")
        return f"local table on http://{settings.local_table_host}:{settings.local_table_port}/"
    return f"connected to Discord ({ready})"


def check_indexes(settings: Settings) -> str:
    """Which knowledge indexes exist. Never blocks start-up: missing ones are queued for a background build on the
    ingest worker (INDEX_ON_START=0: only reported)."""
    import os

    from sqlalchemy import text

    from corpus.ingest import campaign_slugs
    from corpus.readers import SUPPORTED_SUFFIXES
    from db.engine import get_engine

    try:
        with get_engine().connect() as conn:
            built = {row.name: row.chunks for row in conn.execute(text("SELECT name, chunks FROM corpus_indexes"))}
        has_rules = settings.rules_dir.is_dir() and any(
            path.suffix.lower() in SUPPORTED_SUFFIXES for path in settings.rules_dir.rglob("*"))
        wanted = (["rules"] if has_rules else []) + [f"campaign:{slug}" for slug in campaign_slugs(settings)]
        missing = [name for name in wanted if not built.get(name)]
        present = f"{len(built)} built" + ("" if has_rules else f" (no rules files in {settings.rules_dir})")
        if not missing:
            return present
        if os.environ.get("INDEX_ON_START", "1") != "1":
            return f"{present}; missing {', '.join(missing)} (INDEX_ON_START=0: run !rebuild_index)"
        from tasks.app import app

        app.send_task(keys.REBUILD_INDEX_TASK, kwargs={"target": "all"})
        return f"{present}; building {', '.join(missing)} in the background (ingest worker)"
    except Exception as error:  # a report, never a reason to fail start-up
        return f"not checked ({error.__class__.__name__}: {error})"


def check_rules_compendium(settings: Settings) -> str:
    """Which compendium the game uses: the SRD import in `rules` (imported in the background when SRD_JSON_DIR
    names a directory and it is empty) over the engine's built-in one."""
    from sqlalchemy import text

    from db.engine import get_engine

    with get_engine().connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM rules")).scalar() or 0)
    in_use = compendium_in_use()
    if count or not settings.srd_json_dir or not Path(settings.srd_json_dir).is_dir():
        return in_use
    from tasks.app import app

    app.send_task(keys.IMPORT_SRD_TASK, args=[settings.srd_json_dir])
    return f"{in_use}; importing the SRD from {settings.srd_json_dir} in the background (ingest worker)"


def compendium_in_use() -> str:
    from db import compendium
    from db.engine import transaction

    with transaction() as session:
        return compendium.in_use(session)


def start_program(settings: Settings, program: str) -> None:
    import xmlrpc.client

    log.info("starting %s", program)
    try:
        supervisor.start(settings, program)
    except xmlrpc.client.Fault as fault:
        raise StartupError(program, f"supervisord could not start it ({fault.faultString}); "
                                    f"see {settings.logs_dir / (program + '.log')}") from None


def start_all(settings: Settings) -> list[Check]:
    checks: list[Check] = []

    def record(name: str, detail: str) -> None:
        checks.append(Check(name, True, detail))
        log.info("✔ %-10s %s", name, detail)

    supervisor.launch(settings)
    record("supervisord", f"control socket {supervisor.socket_path(settings)} (mode 0700)")
    if settings.redis_embedded:
        start_program(settings, "redis")
    record("redis", wait_for("redis", lambda: probe_redis(settings), 30))
    redis_client(settings).set("system:started_at", time.time(), nx=True)
    if settings.postgres_embedded:
        start_program(settings, "postgres")
    record("postgres", wait_for("postgres", lambda: probe_database(settings), 60))
    record("schema", check_schema())
    if settings.vllm_configured and serves_gguf_on_cpu(settings, gpu_present()):
        start_program(settings, "llamacpp")
        record("llamacpp", wait_for("llamacpp", lambda: probe_local_model(settings), 300, 1.0))
    elif settings.vllm_configured and gpu_present():
        start_program(settings, "vllm")
        record("vllm", wait_for("vllm", lambda: probe_vllm(settings), 900, 2.0))
    elif settings.vllm_configured:
        try:
            record("model", f"external server: {probe_vllm(settings)}")
        except OSError:
            record("model", "no model server reachable: the fallback chain answers (API, then offline narrator)")
    else:
        record("model", "no local model configured: the fallback chain answers (API, then offline narrator)")
    for program in WORKER_PROGRAMS:
        start_program(settings, program)
    record("workers", wait_for("workers", lambda: probe_workers(settings, list(WORKER_PROGRAMS.values())), 90, 1.0))
    start_program(settings, "flower")
    record("flower", wait_for("flower", lambda: probe_http(f"http://127.0.0.1:{settings.flower_port}/"), 60))
    start_program(settings, "gateway")
    record("gateway", wait_for("gateway", lambda: probe_gateway(settings), 60))
    record("compendium", check_rules_compendium(settings))
    record("indexes", check_indexes(settings))
    return checks


def status_table(settings: Settings) -> str:
    lines = []
    if supervisor.is_running(settings):
        lines.append(f"{'PROGRAM':<15}{'STATE':<10}DETAIL")
        for info in supervisor.process_info(settings):
            lines.append(f"{info['name']:<15}{info['statename']:<10}{info['description']}")
    else:
        lines.append("supervisord is not running")
    try:
        from tasks.monitoring import collect, format_duration

        stats = collect(redis_client(settings), ping_timeout_s=1.0)
        lines.append("")
        lines.append(f"redis: {'ok' if stats.redis_ok else 'DOWN'}   postgres: {'ok' if stats.database_ok else 'DOWN'}"
                     f"   pgvector: {'ok' if stats.vector_extension else 'missing'}"
                     f"   uptime: {format_duration(stats.uptime_s)}")
        lines.append("queues: " + "  ".join(f"{name}={depth}" for name, depth in stats.queues.items()))
        lines.append("workers: " + (", ".join(sorted(stats.workers)) or "none answering"))
        lines.append(f"turns in flight: {stats.turns_in_flight}   replies not yet posted: {stats.replies_pending}")
        lines.extend(f"error: {error}" for error in stats.errors)
        if stats.database_ok:
            lines.append(f"compendium: {compendium_in_use()}")
    except Exception as error:
        lines.append(f"health unavailable: {error}")
    return "\n".join(lines)


def configure_logging(settings: Settings, filename: str) -> None:
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(settings.logs_dir / filename),
                                       logging.StreamHandler(sys.stdout)]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers,
                        force=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", action="store_true", help="print the status table and exit")
    args = parser.parse_args()
    settings = get_settings()
    if args.status:
        if not supervisor.is_running(settings):
            print("error: the system is not running (no supervisord on "
                  f"{supervisor.socket_path(settings)}); start it with `make run`", file=sys.stderr)
            return 2
        print(status_table(settings))
        return 0
    configure_logging(settings, "startup.log")
    started = time.monotonic()
    try:
        start_all(settings)
    except StartupError as error:
        log.error("✘ startup failed at %s", error)
        print(status_table(settings))
        return 1
    log.info("system up in %.1fs", time.monotonic() - started)
    table = status_table(settings)
    log.info("status:\n%s", table)
    from workers.flower import flower_password

    print(f"\nFlower: http://127.0.0.1:{settings.flower_port}/  (user {settings.flower_user}, "
          f"password {'from .env' if settings.flower_password else flower_password(settings)})")
    if not settings.discord_enabled:
        print(f"Local table: http://{settings.local_table_host}:{settings.local_table_port}/")
    print("Stop with: make stop   (or python shutdown_system.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
