"""`python scripts/import_srd.py [DIR]`: load a 5e-database JSON directory (default SRD_JSON_DIR) into `rules`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.srd_import import import_directory
from db.bootstrap import migrate
from db.engine import transaction
from settings import get_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", nargs="?", help="5e-database JSON directory (default: SRD_JSON_DIR)")
    args = parser.parse_args()
    directory = args.directory or get_settings().srd_json_dir
    if not directory:
        print("No directory given and SRD_JSON_DIR is unset.", file=sys.stderr)
        return 2
    migrate()
    started = time.monotonic()
    try:
        with transaction() as session:
            report = import_directory(session, Path(directory))
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    for rule_type, count in sorted(report.counts.items()):
        print(f"{rule_type:<16}{count:>6}")
    for problem in report.problems:
        print(f"problem: {problem}")
    print(f"imported {report.total} entries in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    from cli_errors import run_cli

    sys.exit(run_cli(main))
