"""Back up the database and Redis while the system runs (`make backup`); scripts/restore.py puts one back.

    python scripts/backup.py                   # into var/backups/ (or BACKUP_DIR)
    python scripts/backup.py --dir /srv/dnd-backups --keep 14

Each backup is a directory `dnd-<UTC time>/` (mode 0700) holding, each mode 0600:
  redis.rdb       a BGSAVE snapshot of Redis: the queues, the table's history, turns in flight, the reply stream
  postgres.dump   a pg_dump of the database (custom format: pg_restore reads it), itself one consistent snapshot
  manifest.json   when each was taken, the schema revision, checksums
It is written under a hidden name and renamed when complete, so a `dnd-*` directory is always a whole backup.
Redis is saved first, then the database (a fraction of a second later): a message in flight between the two is
either in the database already or still queued in Redis, and a queued one is redone once on restore (tasks are
deduplicated by message id) — nothing acknowledged before the Redis snapshot is lost.

With an external Redis (`REDIS_URL`) the server saves its RDB on its own disk; it is copied only when that
file is on this machine, otherwise the script says which file to copy. Logs to logs/backup.log too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli_errors import STORE_DOWN_EXIT, store_down_message
from db.embedded import postgres_bin_dir
from redis_clients import sync_client
from settings import Settings, get_settings
from start_system import configure_logging

log = logging.getLogger("backup")

BACKUP_NAME = re.compile(r"^dnd-\d{8}T\d{6}Z(-\d+)?$")
REDIS_FILE = "redis.rdb"
POSTGRES_FILE = "postgres.dump"
MANIFEST_FILE = "manifest.json"
SAVE_TIMEOUT_S = 600.0


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class PgTarget:
    """How pg_dump / pg_restore reach a database: a libpq URI without the password, which goes in PGPASSWORD
    (a command line is visible to every local user)."""

    uri: str
    env: dict[str, str]


def pg_target(database_url: str, database: str | None = None) -> PgTarget:
    """From `settings.database_url` (`postgresql://user[:password]@host/db?host=/socket/dir…`); `database`
    names another database on the same server (the maintenance database for `pg_restore --create`)."""
    parts = urllib.parse.urlsplit(database_url)
    env = dict(os.environ)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        user, has_password, password = userinfo.partition(":")
        if has_password:
            env["PGPASSWORD"] = urllib.parse.unquote(password)
        netloc = f"{user}@{hostport}"
    path = parts.path if database is None else "/" + urllib.parse.quote(database)
    scheme = parts.scheme.split("+", 1)[0]  # libpq knows postgresql://, not SQLAlchemy's postgresql+psycopg2://
    return PgTarget(urllib.parse.urlunsplit((scheme, netloc, path, parts.query, "")), env)


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore of the PostgreSQL that pgserver bundles (the embedded server's own version)."""
    return str(postgres_bin_dir() / name)


def run_pg_tool(args: list[str], target: PgTarget) -> None:
    done = subprocess.run(args, env=target.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def backup_root(settings: Settings, override: str | None = None) -> Path:
    # get_settings() has read .env into the environment, so BACKUP_DIR may come from there too.
    return Path(override or os.environ.get("BACKUP_DIR", "").strip() or settings.var_dir / "backups").resolve()


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bgsave(client: Any, timeout_s: float = SAVE_TIMEOUT_S) -> datetime:
    """A BGSAVE (scheduled after an AOF rewrite in progress), waited for; returns when the snapshot was taken."""
    before = client.lastsave()
    if before.timestamp() >= float(client.time()[0]):
        time.sleep(1.1)  # LASTSAVE counts whole seconds: a save in this second would look like the last one
    client.bgsave(schedule=True)
    deadline = time.monotonic() + timeout_s
    while True:
        persistence = client.info("persistence")
        saved = client.lastsave()
        if not persistence["rdb_bgsave_in_progress"] and saved > before:
            break
        if time.monotonic() > deadline:
            raise BackupError(f"Redis's BGSAVE did not finish within {timeout_s:.0f}s")
        time.sleep(0.1)
    if persistence["rdb_last_bgsave_status"] != "ok":
        raise BackupError("Redis's BGSAVE failed (see the Redis log: disk full? permissions?)")
    return saved.astimezone(UTC)


def save_redis(settings: Settings, destination: Path) -> dict[str, Any]:
    """Snapshot Redis into `destination` when its RDB file can be read here; the manifest's `redis` entry."""
    client = sync_client(settings.redis_url)
    try:
        keys = int(client.dbsize())
        saved_at = bgsave(client)
        try:
            config = client.config_get("dir") | client.config_get("dbfilename")
            source: Path | None = Path(config["dir"]) / config["dbfilename"]
        except Exception:  # managed Redis services often disable CONFIG
            source = None
    finally:
        client.close()
    entry: dict[str, Any] = {"saved_at": saved_at.isoformat(), "keys_before_save": keys,
                             "embedded": settings.redis_embedded}
    readable = source is not None and source.is_file() and os.access(source, os.R_OK)
    if readable and source is not None and source.stat().st_mtime >= saved_at.timestamp() - 1:
        shutil.copyfile(source, destination)
        destination.chmod(0o600)
        with destination.open("rb") as handle:
            if handle.read(5) != b"REDIS":
                raise BackupError(f"{source} is not an RDB file")
        entry |= {"file": destination.name, "sha256": sha256(destination)}
        return entry
    if settings.redis_embedded:
        raise BackupError(f"the embedded Redis saved its snapshot, but {source} could not be read")
    where = f"{source} on the Redis host" if source is not None else "the RDB file on the Redis host"
    entry["operator_action"] = (f"Redis (REDIS_URL) saved a snapshot at {saved_at.isoformat()}: copy {where} "
                                f"into this backup as {REDIS_FILE} (or rely on your Redis service's snapshots)")
    log.warning("%s", entry["operator_action"])
    return entry


def schema_revision(settings: Settings) -> str | None:
    from sqlalchemy import create_engine, text

    from db.engine import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(settings.database_url))
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def dump_postgres(settings: Settings, destination: Path) -> dict[str, Any]:
    target = pg_target(settings.database_url)
    started_at = datetime.now(UTC)
    run_pg_tool([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={destination}",
                 f"--dbname={target.uri}"], target)
    destination.chmod(0o600)
    run_pg_tool([pg_tool("pg_restore"), "--list", str(destination)], target)  # the archive reads back
    return {"file": destination.name, "sha256": sha256(destination), "started_at": started_at.isoformat(),
            "schema_revision": schema_revision(settings), "embedded": settings.postgres_embedded}


def new_backup_name(root: Path, now: datetime) -> str:
    name = f"dnd-{now:%Y%m%dT%H%M%SZ}"
    number = 1
    candidate = name
    while (root / candidate).exists():
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def create_backup(settings: Settings, root: Path) -> Path:
    """Writes one complete backup under `root` and returns its directory."""
    private_dir(root)
    now = datetime.now(UTC)
    name = new_backup_name(root, now)
    partial = private_dir(root / f".{name}.partial")
    try:
        redis_entry = save_redis(settings, partial / REDIS_FILE)
        postgres_entry = dump_postgres(settings, partial / POSTGRES_FILE)
        manifest = {"name": name, "created_at": now.isoformat(), "redis": redis_entry, "postgres": postgres_entry}
        manifest_path = partial / MANIFEST_FILE
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        manifest_path.chmod(0o600)
        final = root / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def prune(root: Path, keep: int) -> list[Path]:
    """Removes the oldest complete backups beyond the newest `keep` (names sort by time)."""
    backups = sorted(path for path in root.iterdir() if path.is_dir() and BACKUP_NAME.match(path.name))
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        shutil.rmtree(path)
    return removed


def load_manifest(backup: Path) -> dict[str, Any]:
    """The manifest of a backup directory, with every file it names present and matching its checksum."""
    path = backup / MANIFEST_FILE
    if not path.is_file():
        raise BackupError(f"{backup} is not a backup directory (no {MANIFEST_FILE})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    for part in ("redis", "postgres"):
        entry = manifest[part]
        if "file" not in entry:
            continue
        file = backup / entry["file"]
        if not file.is_file():
            raise BackupError(f"{file} is missing")
        if sha256(file) != entry["sha256"]:
            raise BackupError(f"{file} does not match its checksum in {MANIFEST_FILE}: the backup is damaged")
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="where backups go (default: BACKUP_DIR, else var/backups)")
    parser.add_argument("--keep", type=int, default=0, help="keep only the newest N backups there (0: keep all)")
    args = parser.parse_args()
    os.umask(0o077)  # pg_dump's file and everything else written here: the owner only
    settings = get_settings()
    configure_logging(settings, "backup.log")
    root = backup_root(settings, args.dir)
    started = time.monotonic()
    try:
        backup = create_backup(settings, root)
    except BackupError as error:
        log.error("✘ backup failed: %s", error)
        return 1
    except Exception as error:  # Redis or PostgreSQL not answering: the system is not running
        down = store_down_message(error, settings)
        if down is None:
            log.error("✘ backup failed: %s: %s", error.__class__.__name__, error)
            return 1
        log.error("✘ backup failed: %s", down.removeprefix("error: "))
        return STORE_DOWN_EXIT
    manifest = json.loads((backup / MANIFEST_FILE).read_text())
    log.info("✔ backup %s in %.1fs (schema %s)", backup, time.monotonic() - started,
             manifest["postgres"]["schema_revision"])
    for path in prune(root, args.keep):
        log.info("removed old backup %s", path)
    if "operator_action" in manifest["redis"]:
        log.warning("incomplete until you act: %s", manifest["redis"]["operator_action"])
    print(backup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
