"""The one way a command-line entry point says that a store it needs is down: one line on stderr, exit code 2.

    if __name__ == "__main__":
        sys.exit(run_cli(main))

A traceback of `psycopg2.OperationalError` tells an operator nothing they can act on; this names what is
down and how to start it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from urllib.parse import urlsplit

from settings import Settings, get_settings

STORE_DOWN_EXIT = 2


def database_down(settings: Settings, error: BaseException) -> str:
    if settings.postgres_embedded:
        return (f"error: the database is not running (embedded PostgreSQL, data in {settings.pg_data_dir}); "
                "start the system with `make run`")
    host = urlsplit(settings.database_url).hostname or "its socket"
    first = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else ""
    return f"error: the database at {host} (DATABASE_URL) is unreachable: {first}"


def redis_down(settings: Settings, error: BaseException) -> str:
    if settings.redis_embedded:
        return (f"error: Redis is not running (embedded, socket {settings.redis_socket}); "
                "start the system with `make run`")
    host = urlsplit(settings.redis_url).hostname or "its socket"
    return f"error: Redis at {host} (REDIS_URL) is unreachable: {str(error).strip().splitlines()[0]}"


def store_down_message(error: BaseException, settings: Settings | None = None) -> str | None:
    """The line for an error that means a store is down (None for any other error)."""
    import redis
    from sqlalchemy.exc import InterfaceError, OperationalError

    settings = settings or get_settings()
    if isinstance(error, OperationalError | InterfaceError):
        return database_down(settings, error)
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2 is a requirement
        psycopg2 = None
    if psycopg2 is not None and isinstance(error, psycopg2.OperationalError):
        return database_down(settings, error)
    if isinstance(error, redis.ConnectionError | redis.TimeoutError):
        return redis_down(settings, error)
    return None


def run_cli(main: Callable[[], int | None]) -> int:
    """Runs an entry point; a store that is down ends it with one line and exit code 2."""
    try:
        return main() or 0
    except Exception as error:
        message = store_down_message(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return STORE_DOWN_EXIT
