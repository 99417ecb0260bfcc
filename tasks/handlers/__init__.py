"""Command handlers: the shell around the rules engine (load state, call `dnd/`, write state and replies)."""

from __future__ import annotations

import importlib

HANDLER_MODULES = (
    "tasks.handlers.basic", "tasks.handlers.admin", "tasks.handlers.characters", "tasks.handlers.interactive",
    "tasks.handlers.owner_tools", "tasks.handlers.plot", "tasks.handlers.model", "tasks.handlers.world",
    "tasks.handlers.knowledge", "tasks.handlers.combat", "tasks.handlers.fight_actions",
    "tasks.handlers.economy", "tasks.handlers.roster", "tasks.handlers.journal", "tasks.handlers.safety",
)


def load_all() -> None:
    """Import every handler module so its commands are registered."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
