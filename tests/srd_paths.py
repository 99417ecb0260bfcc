"""Where the SRD test data is: `../shared/corpus/srd/` beside the project (CI's layout), or the directories named
by SRD_JSON_DIR / SRD_MARKDOWN_DIR. Tests read it from there; none of it is copied into the project."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_SRD = PROJECT_ROOT.parent / "shared" / "corpus" / "srd"
SRD_JSON_DIR = Path(os.environ.get("SRD_JSON_DIR") or SHARED_SRD / "json" / "5e-bits-5e-database")
SRD_MARKDOWN_DIR = Path(os.environ.get("SRD_MARKDOWN_DIR") or SHARED_SRD / "markdown")


@cache
def srd_json(name: str) -> Any:
    """One 5e-database file (`5e-SRD-<name>.json`), read once per test session; skips the test without it."""
    path = SRD_JSON_DIR / f"5e-SRD-{name}.json"
    if not path.is_file():
        pytest.skip(f"SRD JSON test data not found at {path} (set SRD_JSON_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def srd_monsters() -> dict[str, dict[str, Any]]:
    """The SRD monsters by index (e.g. "goblin")."""
    return {monster["index"]: monster for monster in srd_json("Monsters")}
