"""Add, remove or list campaign files in CAMPAIGNS_DIR, keeping the index and the tables in step.

    python scripts/manage_campaign_content.py list
    python scripts/manage_campaign_content.py add path/to/my-campaign.md [--name my-campaign] [--overwrite]
    python scripts/manage_campaign_content.py remove my-campaign [--keep-rows]

`add` copies the file in (it must be UTF-8 Markdown with a `# Title`), loads it into the campaign tables and
indexes it. `remove` deletes the file and its index (and, unless --keep-rows, its campaign row with its NPCs,
locations and plot threads). A name with a path separator or `..` is refused; nothing is written outside
CAMPAIGNS_DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, select

from corpus.campaigns import (
    CampaignError,
    add_campaign_file,
    campaign_file,
    check_campaign_name,
    list_campaign_files,
    load_into_db,
)
from corpus.ingest import build_index, campaign_spec, remove_index
from corpus.store import campaign_index_name, index_stats
from db.engine import run_in_transaction, transaction
from db.models import Campaign


def cmd_list() -> int:
    files = list_campaign_files()
    with transaction() as session:
        stats = {stat.name: stat for stat in index_stats(session)}
        rows = {row.source_file: row for row in session.execute(select(Campaign)).scalars() if row.source_file}
    if not files:
        print("no campaigns")
    for path in files:
        stat = stats.get(campaign_index_name(path.stem))
        row = rows.get(path.name)
        indexed = f"{stat.chunks} chunks" if stat else "not indexed"
        loaded = f"campaign #{row.id} {row.name!r}" if row else "not loaded"
        print(f"{path.stem:32} {indexed:16} {loaded}")
    return 0


def cmd_add(source: Path, name: str | None, overwrite: bool) -> int:
    target = add_campaign_file(source, name, overwrite=overwrite)
    slug = target.stem
    loaded = run_in_transaction(lambda session: load_into_db(session, slug))
    print(f"added {target} ({'created' if loaded.created else 'updated'} campaign #{loaded.campaign_id} "
          f"{loaded.title!r}: +{loaded.npcs_added} NPCs, +{loaded.locations_added} locations, "
          f"+{loaded.hooks_added} plot threads)")
    report = build_index(campaign_spec(slug))
    print(report.summary())
    return 0 if not report.errors else 1


def cmd_remove(name: str, keep_rows: bool) -> int:
    slug = check_campaign_name(name)
    path = campaign_file(slug)
    existed = path.exists()
    if existed:
        path.unlink()
    dropped = remove_index(campaign_index_name(slug))
    deleted = 0
    if not keep_rows:
        deleted = run_in_transaction(lambda session: session.execute(
            delete(Campaign).where(Campaign.source_file == f"{slug}.md")).rowcount)
    if not (existed or dropped or deleted):
        print(f"no campaign {slug!r}", file=sys.stderr)
        return 1
    print(f"removed {slug}: file {'deleted' if existed else 'absent'}, index {'dropped' if dropped else 'absent'}, "
          f"{deleted} campaign row(s) deleted")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="campaign files, their index and their campaign row")
    add = commands.add_parser("add", help="copy a campaign file in, load it and index it")
    add.add_argument("file", type=Path)
    add.add_argument("--name", help="the campaign name (default: the file name without .md)")
    add.add_argument("--overwrite", action="store_true")
    remove = commands.add_parser("remove", help="delete a campaign file and its index")
    remove.add_argument("name")
    remove.add_argument("--keep-rows", action="store_true", help="keep the campaign row (and its game state)")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "add":
            return cmd_add(args.file, args.name, args.overwrite)
        return cmd_remove(args.name, args.keep_rows)
    except CampaignError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    from cli_errors import run_cli

    sys.exit(run_cli(main))
