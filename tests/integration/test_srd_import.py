"""The SRD compendium imported from ../shared (the 5e-database JSON) by the real CLI, and the engine's own
facts checked against what was imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.srd_paths import SRD_JSON_DIR
from tests.system import SystemUnderTest

pytestmark = pytest.mark.system


def run_import(system: SystemUnderTest) -> str:
    """`scripts/import_srd.py` from the SRD test data; the test skips where the data isn't beside the project."""
    if not SRD_JSON_DIR.is_dir():
        pytest.skip(f"compares against the SRD JSON test data, not found at {SRD_JSON_DIR}")
    result = subprocess.run([sys.executable, "scripts/import_srd.py"], cwd=system.root, env=system.env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def import_if_present(system: SystemUnderTest) -> str:
    """The SRD compendium where its test data is beside the project (CI), else the built-in one: table play works
    on either. Returns which ("SRD import" or "built-in")."""
    if not SRD_JSON_DIR.is_dir():
        return "built-in"
    run_import(system)
    return "SRD import"


def test_import_fills_the_rules_table_and_is_idempotent(system: SystemUnderTest) -> None:
    output = run_import(system)
    assert "imported" in output
    counts = {row.type: row.n for row in system.sql("SELECT type, count(*) AS n FROM rules GROUP BY type")}
    assert counts["spell"] == 319 and counts["monster"] == 334 and counts["condition"] == 15
    assert counts["magic_item"] == 362 and counts["equipment"] == 237 and counts["feature"] >= 400
    run_import(system)
    again = {row.type: row.n for row in system.sql("SELECT type, count(*) AS n FROM rules GROUP BY type")}
    assert again == counts
    rarity = system.sql("SELECT details->'rarity'->>'name' AS r FROM rules WHERE type = 'magic_item' "
                        "AND name = 'Bag of Holding'")
    assert rarity[0].r == "Uncommon"


def test_engine_equipment_prices_and_weights_match_the_compendium(system: SystemUnderTest) -> None:
    from dnd.data.equipment import ITEMS

    run_import(system)
    rows = system.sql("SELECT name, details FROM rules WHERE type = 'equipment'")
    compendium = {row.name.lower(): row.details for row in rows}
    units = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
    checked = 0
    for item in ITEMS.values():
        entry = compendium.get(item.name.lower())
        if entry is None or "cost" not in entry:
            continue
        cost = entry["cost"]
        assert item.cost_cp == cost["quantity"] * units[cost["unit"]], item.name
        if entry.get("weight") is not None:
            assert abs(item.weight - float(entry["weight"])) < 1e-6, item.name
        checked += 1
    assert checked >= 100


def test_missing_directory_is_reported(system: SystemUnderTest) -> None:
    result = subprocess.run([sys.executable, "scripts/import_srd.py", "/nonexistent/srd"], cwd=system.root,
                            env=system.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not found" in result.stderr
