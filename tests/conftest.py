"""Test fixtures: the real system (Redis, PostgreSQL + pgvector, Celery workers, gateway) started once per
session through start_system.py under its own supervisord, in a temporary VAR_DIR, on free ports."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.system import SystemUnderTest


@pytest.fixture(scope="session")
def system() -> Iterator[SystemUnderTest]:
    try:
        sut = SystemUnderTest.start(test_hooks=True, fake_model=True)
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield sut
    finally:
        sut.shutdown()
        if not os.environ.get("KEEP_TEST_VAR"):  # set it to read the session system's logs after a failure
            shutil.rmtree(sut.var_dir, ignore_errors=True)
