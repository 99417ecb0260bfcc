"""Engine and transactions. One engine per process, created lazily (after a prefork worker forks)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings

T = TypeVar("T")

# PostgreSQL error codes worth retrying: serialization failure and deadlock.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_TRANSACTION_ATTEMPTS = 8

_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def _reset_after_fork() -> None:
    global _engine, _session_factory
    _engine, _session_factory = None, None


os.register_at_fork(after_in_child=_reset_after_fork)


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = create_engine(
            sqlalchemy_url(get_settings().database_url),
            pool_size=5, max_overflow=10, pool_recycle=1800,
        )
    return _engine


def session_factory() -> sessionmaker[Session]:
    global _session_factory
    if _session_factory is None:
        _session_factory = sessionmaker(get_engine(), expire_on_commit=False)
    return _session_factory


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with session_factory().begin() as session:
        yield session


def is_retryable(error: BaseException) -> bool:
    """Deadlocks, serialization failures, and a pooled connection the server dropped (PostgreSQL restarted:
    SQLAlchemy has already invalidated the pool, so the retry gets a fresh connection). No pre-ping on
    checkout: it would cost a round trip on every transaction."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        if error.orig is not None:
            return getattr(error.orig, "pgcode", None) in RETRYABLE_SQLSTATES
    return False


def run_in_transaction(work: Callable[[Session], T], attempts: int = MAX_TRANSACTION_ATTEMPTS) -> T:
    """Run `work` in a transaction, retrying deadlocks and serialization failures with jittered backoff."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction() as session:
                return work(session)
        except DBAPIError as error:
            if not is_retryable(error) or attempt == attempts:
                raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")
