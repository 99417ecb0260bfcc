"""The worker command lines supervisord runs: queues, concurrency and log levels per profile."""

from __future__ import annotations

import dataclasses

import pytest

from settings import load_settings
from workers.profiles import worker_argv


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_each_profile_consumes_its_queues_with_its_concurrency() -> None:
    settings = dataclasses.replace(load_settings(), cpu_concurrency=6)
    cpu, ingest, gpu = (worker_argv(profile, settings, beat=False) for profile in ("cpu", "ingest", "gpu"))
    assert option(cpu, "-Q") == "commands,turns,shops,analysis" and option(cpu, "-c") == "6"
    assert option(ingest, "-Q") == "ingest" and option(ingest, "-c") == "1"
    assert option(gpu, "-Q") == "inference" and option(gpu, "-c") == "1"
    assert all("-E" in argv for argv in (cpu, ingest, gpu))  # Flower sees every task


def test_the_log_level_follows_the_setting_except_for_the_ingest_worker() -> None:
    settings = dataclasses.replace(load_settings(), worker_log_level="ERROR")
    assert option(worker_argv("cpu", settings, beat=False), "--loglevel") == "ERROR"
    assert option(worker_argv("gpu", settings), "--loglevel") == "ERROR"
    assert option(worker_argv("ingest", settings), "--loglevel") == "INFO"


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown worker profile 'tpu'"):
        worker_argv("tpu", load_settings())
