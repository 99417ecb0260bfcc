"""Bring the database to the current schema: create the database and the `vector` extension, run Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from db.engine import sqlalchemy_url
from settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def ensure_database(url: str | None = None) -> None:
    """Create the target database when missing (connecting to the `postgres` maintenance database)."""
    target = make_url(sqlalchemy_url(url or get_settings().database_url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    finally:
        engine.dispose()


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url or get_settings().database_url).replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    from alembic import command

    ensure_database(url)
    command.upgrade(alembic_config(url), "head")


if __name__ == "__main__":
    migrate()
    print("database ready")
