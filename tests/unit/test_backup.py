"""Tests for scripts/backup.py's pieces that need no running system: how pg_dump is pointed at the database
(never with the password on its command line), Redis's snapshot taken or, for a Redis on another host, the
operator told what to copy, old backups pruned, a damaged backup refused."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import scripts.backup
from scripts.backup import MANIFEST_FILE, BackupError, load_manifest, pg_target, prune, save_redis, sha256
from settings import Settings, get_settings


def test_the_password_goes_to_the_environment_not_the_uri() -> None:
    target = pg_target("postgresql://postgres:s3cr%40t@/dnd?host=/srv/dnd/var/run/pg")
    assert target.uri == "postgresql://postgres@/dnd?host=/srv/dnd/var/run/pg"
    assert target.env["PGPASSWORD"] == "s3cr@t"


def test_an_external_url_keeps_host_port_and_options() -> None:
    target = pg_target("postgresql+psycopg2://dm:pw@db.example:6543/campaigns?sslmode=require")
    assert target.uri == "postgresql://dm@db.example:6543/campaigns?sslmode=require"
    assert target.env["PGPASSWORD"] == "pw"


def test_no_password_in_the_url_leaves_the_environment_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    target = pg_target("postgresql://postgres@/dnd?host=/tmp/pg")
    assert target.uri == "postgresql://postgres@/dnd?host=/tmp/pg" and "PGPASSWORD" not in target.env


def test_another_database_on_the_same_server() -> None:
    target = pg_target("postgresql://postgres:pw@/dnd?host=/tmp/pg", database="postgres")
    assert target.uri == "postgresql://postgres@/postgres?host=/tmp/pg"


def test_prune_keeps_the_newest_complete_backups(tmp_path: Path) -> None:
    names = ["dnd-20261201T010000Z", "dnd-20261201T020000Z", "dnd-20261201T020000Z-2", "dnd-20261202T000000Z"]
    for name in [*names, ".dnd-20261203T000000Z.partial", "notes"]:
        (tmp_path / name).mkdir()
    removed = prune(tmp_path, keep=2)
    assert [path.name for path in removed] == names[:2]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [*names[2:], ".dnd-20261203T000000Z.partial", "notes"])
    assert prune(tmp_path, keep=0) == []


def backup_dir(tmp_path: Path) -> Path:
    backup = tmp_path / "dnd-20261201T010000Z"
    backup.mkdir()
    (backup / "postgres.dump").write_bytes(b"PGDMP...")
    (backup / "redis.rdb").write_bytes(b"REDIS0009...")
    manifest = {"name": backup.name, "created_at": "2026-12-01T01:00:00+00:00",
                "postgres": {"file": "postgres.dump", "sha256": sha256(backup / "postgres.dump")},
                "redis": {"file": "redis.rdb", "sha256": sha256(backup / "redis.rdb")}}
    (backup / MANIFEST_FILE).write_text(json.dumps(manifest))
    return backup


def test_a_whole_backup_loads_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    backup = backup_dir(tmp_path)
    assert load_manifest(backup)["name"] == backup.name
    (backup / "redis.rdb").write_bytes(b"REDIS0009..!")
    with pytest.raises(BackupError, match="does not match its checksum"):
        load_manifest(backup)
    (backup / "redis.rdb").unlink()
    with pytest.raises(BackupError, match="missing"):
        load_manifest(backup)
    with pytest.raises(BackupError, match="not a backup directory"):
        load_manifest(tmp_path)


class FakeRedis:
    """What save_redis asks of Redis: a BGSAVE that writes `dir/dbfilename` and moves LASTSAVE on."""

    def __init__(self, rdb_dir: Path, status: str = "ok") -> None:
        self.rdb_dir, self.status = rdb_dir, status
        self.saved = datetime.now() - timedelta(seconds=30)

    def dbsize(self) -> int:
        return 3

    def lastsave(self) -> datetime:
        return self.saved

    def time(self) -> tuple[int, int]:
        return int(time.time()), 0

    def bgsave(self, schedule: bool = True) -> bool:
        if self.rdb_dir.is_dir():
            (self.rdb_dir / "dump.rdb").write_bytes(b"REDIS0009 three keys")
        self.saved = datetime.now().replace(microsecond=0)
        return True

    def info(self, section: str) -> dict[str, Any]:
        return {"rdb_bgsave_in_progress": 0, "rdb_last_bgsave_status": self.status}

    def config_get(self, name: str) -> dict[str, str]:
        return {name: str(self.rdb_dir) if name == "dir" else "dump.rdb"}

    def close(self) -> None:
        pass


def with_redis(monkeypatch: pytest.MonkeyPatch, fake: FakeRedis, external: bool) -> Settings:
    monkeypatch.setattr(scripts.backup, "sync_client", lambda url: fake)
    return dataclasses.replace(get_settings(), redis_url_env="redis://cache.example:6379/0" if external else "")


def test_the_snapshot_is_copied_when_its_file_is_on_this_machine(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "redis").mkdir()
    settings = with_redis(monkeypatch, FakeRedis(tmp_path / "redis"), external=False)
    entry = save_redis(settings, tmp_path / "redis.rdb")
    assert (tmp_path / "redis.rdb").read_bytes() == b"REDIS0009 three keys"
    assert (tmp_path / "redis.rdb").stat().st_mode & 0o777 == 0o600
    assert entry["file"] == "redis.rdb" and entry["sha256"] == sha256(tmp_path / "redis.rdb")
    assert entry["keys_before_save"] == 3


def test_a_redis_on_another_host_saves_there_and_the_operator_is_told(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings = with_redis(monkeypatch, FakeRedis(Path("/data/on/the/redis/host")), external=True)
    entry = save_redis(settings, tmp_path / "redis.rdb")
    assert "file" not in entry and not (tmp_path / "redis.rdb").exists()
    assert "copy /data/on/the/redis/host/dump.rdb on the Redis host into this backup" in entry["operator_action"]
    # The embedded Redis must always be copied: a snapshot that cannot be read fails the backup.
    settings = with_redis(monkeypatch, FakeRedis(Path("/data/on/the/redis/host")), external=False)
    with pytest.raises(BackupError, match="could not be read"):
        save_redis(settings, tmp_path / "redis.rdb")


def test_a_failed_bgsave_fails_the_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = with_redis(monkeypatch, FakeRedis(tmp_path, status="err"), external=False)
    with pytest.raises(BackupError, match="BGSAVE failed"):
        save_redis(settings, tmp_path / "redis.rdb")
