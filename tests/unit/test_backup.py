"""Tests for scripts/backup.py's pieces that need no running system: how pg_dump is pointed at the database
(never with the password on its command line), old backups pruned, a damaged backup refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.backup import MANIFEST_FILE, BackupError, load_manifest, pg_target, prune, sha256


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
