"""Put a backup of scripts/backup.py back into a stopped system (`make restore FILE=var/backups/dnd-…`).

    python scripts/restore.py var/backups/dnd-20261202T031500Z

Replaces the current data: the database is dropped and recreated from the dump, Redis's data is replaced by
the snapshot. Refuses while the system (or a leftover embedded Redis or PostgreSQL) runs: `make stop` first.
The embedded PostgreSQL is started for the restore and stopped again (on a fresh `var/` it is initialised
first). Redis 6.2 with an append-only file loads that file at start and ignores an RDB, so the snapshot is
loaded by a Redis started once without the append-only file, which then writes a new one from it; the next
`make run` starts from exactly the backup's state (and migrates the schema when the code is newer).
With an external `REDIS_URL` / `DATABASE_URL` only the database is restored here (into the configured one);
the script says what to do for Redis. Logs to logs/restore.log too.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis_clients import sync_client
from scripts.backup import (
    POSTGRES_FILE,
    REDIS_FILE,
    BackupError,
    load_manifest,
    pg_target,
    pg_tool,
    run_pg_tool,
)
from scripts.run_redis import AOF_FILE, RDB_FILE, data_dir, server_command
from settings import Settings, get_settings
from start_system import StartupError, configure_logging, probe_database, probe_redis, wait_for
from workers import supervisor

log = logging.getLogger("restore")

STOP_TIMEOUT_S = 60.0


def refuse_if_running(settings: Settings) -> None:
    if supervisor.is_running(settings):
        raise BackupError("the system is running: stop it first (`make stop`), then restore")
    if left := supervisor.orphans(settings):
        raise BackupError(f"processes of this system still run although supervisord is down (pids "
                          f"{', '.join(str(p.pid) for p in left)}): `make stop` stops them, then restore")


class Temporary:
    """A store process started for the restore and stopped when it is done (its output goes to a log file)."""

    def __init__(self, command: list[str], log_path: Path, stop_signal: int) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        cwd=Path(__file__).resolve().parent.parent)
        self.stop_signal = stop_signal
        self.log_path = log_path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def __enter__(self) -> Temporary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(what: str, condition: Any, timeout_s: float = 120.0) -> dict[str, Any]:
    """Polls `condition()` (an INFO section or None) until it returns one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found is not None:
            return dict(found)
        time.sleep(0.1)
    raise BackupError(f"{what} did not happen within {timeout_s:.0f}s")


def restore_postgres(settings: Settings, dump: Path) -> None:
    if not settings.postgres_embedded:
        # Into the configured database, in one transaction: it is as it was, or unchanged.
        target = pg_target(settings.database_url)
        run_pg_tool([pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                     "--no-password", f"--dbname={target.uri}", str(dump)], target)
        return
    with Temporary([sys.executable, "-m", "db.embedded"], settings.logs_dir / "restore-postgres.log",
                   signal.SIGINT) as postgres:
        try:
            wait_for("postgres", lambda: probe_database(settings), 120)
        except StartupError as error:
            raise BackupError(f"the embedded PostgreSQL did not start for the restore ({error}); "
                              f"see {postgres.log_path}") from None
        # The whole database is dropped and created again from the dump: nothing made after the backup stays.
        maintenance = pg_target(settings.database_url, database="postgres")
        run_pg_tool([pg_tool("pg_restore"), "--clean", "--if-exists", "--create", "--exit-on-error",
                     "--no-password", f"--dbname={maintenance.uri}", str(dump)], maintenance)


def restore_redis(settings: Settings, rdb: Path) -> int:
    """Replaces the embedded Redis's data with the snapshot; returns its number of keys."""
    redis_dir = data_dir(settings)
    redis_dir.mkdir(parents=True, exist_ok=True)
    staged = redis_dir / f"{RDB_FILE}.restoring"
    staged.write_bytes(rdb.read_bytes())
    staged.chmod(0o600)
    staged.rename(redis_dir / RDB_FILE)
    (redis_dir / AOF_FILE).unlink(missing_ok=True)
    restore_log = settings.logs_dir / "restore-redis.log"
    # Loads dump.rdb (no append-only file yet), then writes the append-only file from what it loaded.
    with Temporary([*server_command(settings), "--appendonly", "no"], restore_log, signal.SIGTERM) as server:
        wait_for("redis", lambda: probe_redis(settings), 120)
        client = sync_client(settings.redis_url, retries=0)  # a server that stops must not be retried
        keys = int(client.dbsize())
        client.config_set("appendonly", "yes")
        done = wait_until("the append-only file's rewrite", lambda: (
            info if not (info := client.info("persistence"))["aof_rewrite_in_progress"]
            and not info["aof_rewrite_scheduled"] and info["aof_enabled"] else None))
        if done["aof_last_bgrewrite_status"] != "ok":
            raise BackupError(f"Redis could not write its append-only file; see {restore_log}")
        client.shutdown(nosave=True)  # flushes and fsyncs the append-only file
        server.process.wait(timeout=STOP_TIMEOUT_S)
    # The proof: a Redis started as supervisord starts it (from the append-only file) has the same keys.
    with Temporary(server_command(settings), restore_log, signal.SIGTERM):
        wait_for("redis", lambda: probe_redis(settings), 120)
        client = sync_client(settings.redis_url, retries=0)
        loaded = int(client.dbsize())
        client.shutdown(nosave=True)
    if loaded != keys:
        raise BackupError(f"Redis loaded {loaded} keys from its new append-only file, the snapshot has {keys}")
    return keys


def restore(settings: Settings, backup: Path) -> None:
    manifest = load_manifest(backup)
    refuse_if_running(settings)
    if not (settings.redis_embedded and settings.postgres_embedded):
        log.warning("external stores (REDIS_URL / DATABASE_URL): make sure no gateway or worker on another machine "
                    "uses them while this restore runs")
    log.info("restoring %s (taken %s, schema %s)", backup, manifest["created_at"],
             manifest["postgres"]["schema_revision"])
    restore_postgres(settings, backup / POSTGRES_FILE)
    log.info("✔ postgres  database restored from %s", POSTGRES_FILE)
    if not settings.redis_embedded:
        log.warning("Redis is external (REDIS_URL): restore %s on its host yourself — stop that Redis, put the "
                    "file in its `dir` as its `dbfilename`, remove its append-only file, start it with "
                    "`--appendonly no`, then `CONFIG SET appendonly yes` (a Redis with an append-only file "
                    "ignores the RDB)", backup / REDIS_FILE)
    elif "file" not in manifest["redis"]:
        raise BackupError(f"this backup has no Redis snapshot: {manifest['redis'].get('operator_action', '')}")
    else:
        keys = restore_redis(settings, backup / REDIS_FILE)
        log.info("✔ redis     %d keys restored from %s", keys, REDIS_FILE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backup", help="a backup directory, e.g. var/backups/dnd-20261202T031500Z")
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(settings, "restore.log")
    try:
        restore(settings, Path(args.backup).resolve())
    except (BackupError, StartupError) as error:
        log.error("✘ restore failed: %s", error)
        return 1
    log.info("restore done: start the system with `make run`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
