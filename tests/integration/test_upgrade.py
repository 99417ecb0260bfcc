"""Upgrades keep data: a database made by the oldest migration, with rows in it, is brought to head by the
migration `make run` runs (db.bootstrap.migrate), in place; the rows read back, and the schema is then exactly
what the models declare (so a model change without its migration fails here, not on an operator's upgrade)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.engine import Engine

from tests.system import SystemUnderTest

pytestmark = pytest.mark.system

PROBE_DATABASE = "upgrade_probe"
OLDEST_REVISION = "0001"


@pytest.fixture
def probe_url(system: SystemUnderTest) -> Iterator[str]:
    """A fresh database on the test system's PostgreSQL, dropped afterwards."""
    from db.engine import sqlalchemy_url

    server = make_url(sqlalchemy_url(system.settings.database_url))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PROBE_DATABASE}" WITH (FORCE)'))

    drop()
    try:
        yield server.set(database=PROBE_DATABASE).render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


def seed_at_oldest(engine: Engine) -> dict[str, Any]:
    """Rows as the oldest schema stores them (plain SQL: the models may describe a later schema)."""
    with engine.begin() as conn:
        campaign = conn.execute(text(
            "INSERT INTO campaigns (name, description, current_act, current_scene, plot_flags, plot_structure) "
            "VALUES ('Ashes of Old', 'kept across upgrades', 2, 3, '{\"bridge_burned\": true}', '{\"acts\": []}') "
            "RETURNING id")).scalar_one()
        character = conn.execute(text(
            "INSERT INTO characters (player_id, campaign_id, name, level, class, race, stats, inventory, wealth, "
            "feats, abilities, conditions, spell_slots, hp, max_hp, xp, sheet, version) VALUES (4242, :c, "
            "'Veteran', 3, 'Fighter', 'Dwarf', '{\"STR\": 16}', '[{\"name\": \"Torch\", \"qty\": 5}]', "
            "'{\"gp\": 12, \"sp\": 4}', '[]', '[]', '[]', '{}', 21, 28, 900, '{\"name\": \"Veteran\"}', 7) "
            "RETURNING id"), {"c": campaign}).scalar_one()
        conn.execute(text(
            "INSERT INTO ledger (campaign_id, character_id, counterparty, item, quantity_delta, reason) VALUES "
            "(:c, :ch, 'shop:Smithy', 'gp', -15, 'buy Shield'), (:c, :ch, 'shop:Smithy', 'Shield', 1, 'buy')"),
            {"c": campaign, "ch": character})
        conn.execute(text(
            "INSERT INTO trade_history (campaign_id, sender_id, receiver_id, item, status) VALUES "
            "(:c, 4242, 4343, '{\"name\": \"Torch\", \"qty\": 2}', 'accepted')"), {"c": campaign})
        conn.execute(text("INSERT INTO bot_state (key, value) VALUES ('active_campaign', :v)"),
                     {"v": f'{{"id": {campaign}}}'})
    return {"campaign": campaign, "character": character}


def test_a_database_from_the_oldest_migration_is_migrated_in_place_and_keeps_its_rows(probe_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from db.bootstrap import alembic_config, ensure_database, migrate
    from db.models import Base

    ensure_database(probe_url)
    command.upgrade(alembic_config(probe_url), OLDEST_REVISION)
    engine = create_engine(probe_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == OLDEST_REVISION
        ids = seed_at_oldest(engine)
        with engine.connect() as conn:
            before = {table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                      for table in ("campaigns", "characters", "ledger", "trade_history", "bot_state")}

        migrate(probe_url)  # what start_system.py (`make run`) does

        head = ScriptDirectory.from_config(alembic_config(probe_url)).get_current_head()
        with engine.connect() as conn:
            assert head != OLDEST_REVISION
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            for table, rows in before.items():
                columns = [c["name"] for c in inspect(conn).get_columns(table)]
                # Columns a later migration added come after the old ones: the old values are unchanged.
                after = [tuple(r)[:len(rows[0])] for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                assert after == rows, (table, columns)
            character = conn.execute(text("SELECT c.name, c.hp, c.wealth, c.inventory, c.version, k.name AS campaign "
                                          "FROM characters c JOIN campaigns k ON k.id = c.campaign_id "
                                          "WHERE c.id = :id"), {"id": ids["character"]}).one()
            assert tuple(character) == ("Veteran", 21, {"gp": 12, "sp": 4}, [{"name": "Torch", "qty": 5}], 7,
                                        "Ashes of Old")
            balance = conn.execute(text("SELECT sum(quantity_delta) FROM ledger WHERE item = 'gp'")).scalar()
            assert balance == -15
            # Every table and column the models declare exists now, and nothing differs but the HNSW indexes,
            # which are made by SQL (the rules index's by 0002, a campaign's when it is first built).
            differences = [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)
                           if not (d[0] == "remove_index" and d[1].name.startswith("corpus_windows_hnsw_"))]
            assert differences == []
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())

        migrate(probe_url)  # a second `make run` finds nothing to do and changes nothing
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            assert conn.execute(text("SELECT count(*) FROM ledger")).scalar() == 2
    finally:
        engine.dispose()
