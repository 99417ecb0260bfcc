"""Task names are constants in `keys` (the gateway sends by them, the tasks register under them): every one
names a registered task, and every registered task of ours has one."""

from __future__ import annotations

import importlib

import keys
from tasks.app import TASK_MODULES, app


def test_every_task_name_constant_names_a_registered_task_and_back() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)
    ours = {name for name in app.tasks if name.startswith("tasks.")}
    constants = {value for name, value in vars(keys).items() if name.endswith("_TASK")}
    assert ours <= constants
    # The crash probe is registered only with DND_TEST_HOOKS=1 (tests/integration/test_faults.py).
    assert constants - ours <= {keys.CRASH_PROBE_TASK}
