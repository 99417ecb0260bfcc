"""Build or update the knowledge indexes in this process, printing progress and a final report.

    python scripts/setup_indexes.py                      # every index: rules + each campaign
    python scripts/setup_indexes.py --index rules        # RULES_DIR (default corpus/rules_and_supplements/)
    python scripts/setup_indexes.py --index campaign:ashes-of-thornwall
    python scripts/setup_indexes.py --index all --force  # re-embed everything

Incremental: files whose content hash is unchanged are skipped, removed files' chunks are deleted. Interrupt
it at any time; the next run finishes the job. Runs the database migrations first (like start_system.py).
The same job runs in the background with `!rebuild_index` (tasks.rag).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.ingest import (
    BuildReport,
    IndexBusyError,
    Progress,
    UnknownIndexError,
    build_index,
    format_progress,
    format_reports,
    orphaned_campaign_indexes,
    remove_index,
    resolve_target,
)
from corpus.store import IndexNameError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="all", help="rules | campaign:<name> | campaigns | all (default: all)")
    parser.add_argument("--force", action="store_true", help="re-embed every file, changed or not")
    parser.add_argument("--json", action="store_true", help="print the final report as JSON")
    parser.add_argument("--no-migrate", action="store_true", help="do not run the database migrations first")
    args = parser.parse_args(argv)
    if not args.no_migrate:
        from db.bootstrap import migrate

        migrate()
    try:
        specs = resolve_target(args.index)
    except (UnknownIndexError, IndexNameError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    if args.index in ("all", "campaigns"):
        for name in orphaned_campaign_indexes():
            remove_index(name)
            print(f"removed index {name} (its campaign file is gone)")
    reports: list[BuildReport] = []
    last_print = [0.0]

    def show(progress: Progress) -> None:
        now = time.monotonic()
        if now - last_print[0] >= 1.0 or progress.files_done == progress.files_todo:
            last_print[0] = now
            print(format_progress(progress), flush=True)

    for number, spec in enumerate(specs, start=1):
        files = f" ({', '.join(spec.files)})" if spec.files else ""
        print(f"[{number}/{len(specs)}] {spec.name}: {spec.root}{files}", flush=True)
        try:
            report = build_index(spec, progress=show, force=args.force)
        except IndexBusyError as error:
            print(f"error: {error}", file=sys.stderr)
            return 3
        reports.append(report)
        print(report.summary(), flush=True)
    if args.json:
        print(json.dumps([report.to_dict() for report in reports], default=str))
    else:
        print()
        print(format_reports(reports, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    from cli_errors import run_cli

    sys.exit(run_cli(main))
