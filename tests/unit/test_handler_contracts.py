"""The import contract that keeps command modules apart names every command module (a new one is covered)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tasks.handlers import HANDLER_MODULES

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_command_module_is_in_the_independence_contract() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    independent = [set(c["modules"]) for c in contracts if c["type"] == "independence"
                   and "tasks.handlers.basic" in c["modules"]]
    assert independent == [set(HANDLER_MODULES)]
