"""A PostgreSQL for the benchmarks: the configured one (DATABASE_URL / VAR_DIR) when it answers, else a
temporary embedded one (pgserver, as start_system.py runs it) that is stopped afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _answers() -> bool:
    from sqlalchemy import create_engine, make_url, text

    from db.engine import sqlalchemy_url
    from settings import get_settings

    engine = create_engine(make_url(sqlalchemy_url(get_settings().database_url)).set(database="postgres"),
                           connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextmanager
def database() -> Iterator[str]:
    """Yields a description of the database used; the schema is migrated."""
    from db.bootstrap import migrate
    from settings import get_settings

    if _answers():
        migrate()
        yield "configured"
        return
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL does not answer")
    var_dir = Path(tempfile.mkdtemp(prefix="dndbench", dir="/tmp"))
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["LOGS_DIR"] = str(var_dir / "logs")
    get_settings.cache_clear()
    server = subprocess.Popen([sys.executable, "-m", "db.embedded"], cwd=PROJECT_ROOT, env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _answers():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the temporary PostgreSQL did not start")
            time.sleep(0.5)
        migrate()
        yield f"temporary embedded PostgreSQL in {var_dir}"
    finally:
        from db.engine import get_engine

        get_engine().dispose()
        server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
