"""The gateway stays small: it never loads torch, llama-index or SQLAlchemy (not even transitively)."""

from __future__ import annotations

import json
import subprocess
import sys

from settings import PROJECT_ROOT


def test_gateway_imports_no_heavy_libraries() -> None:
    code = ("import sys, json, gateway.main, gateway.local_table, gateway.discord_transport; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                                           text=True, check=True, timeout=120).stdout))
    assert not loaded & {"torch", "llama_index", "sqlalchemy", "sentence_transformers", "transformers", "psycopg2"}
    assert not loaded & {"dnd", "db", "corpus", "workers", "tasks"}
