"""`python -m corpus.query "<question>" --index rules|campaign:<name>|auto --top-k 5 [--json]`

Prints the best passages of an index (text, score, source file, heading path, page). Reads DATABASE_URL /
VAR_DIR like every other process (settings.py). Exit status 2 when the index does not exist (or has never been
built): build it with `python scripts/setup_indexes.py`.
"""

from __future__ import annotations

import argparse
import json
import sys

from corpus.retrieval import normalise_index, search
from corpus.store import IndexNameError, index_exists, index_names
from db.engine import transaction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus.query", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--index", default="rules", help="rules, campaign:<name>, auto (default: rules)")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--campaign", help="the campaign for --index auto (default: the active campaign)")
    parser.add_argument("--json", action="store_true", help="print a JSON array of hits")
    args = parser.parse_args(argv)
    if args.top_k < 1 or args.top_k > 100:
        parser.error("--top-k must be between 1 and 100")
    with transaction() as session:
        if args.index != "auto":
            try:
                name = normalise_index(args.index)
            except IndexNameError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            if not index_exists(session, name):
                known = ", ".join(index_names(session)) or "none"
                print(f"error: no index {name!r} (built: {known}); run python scripts/setup_indexes.py",
                      file=sys.stderr)
                return 2
        hits = search(args.question, args.index, args.top_k, campaign=args.campaign, session=session)
    if args.json:
        print(json.dumps([{"text": hit.text, "score": hit.score, "source_file": hit.source_file,
                           "heading_path": hit.heading_path, "page": hit.page, "chunk_id": hit.chunk_id,
                           "index": hit.index, "passage": hit.passage} for hit in hits], ensure_ascii=False))
        return 0
    if not hits:
        print("no passages found")
    for rank, hit in enumerate(hits, start=1):
        where = " > ".join(hit.heading_path) or "(no heading)"
        page = f", page {hit.page}" if hit.page is not None else ""
        print(f"{rank}. [{hit.score:.3f}] {hit.source_file}{page} — {where} ({hit.index})")
        print("   " + hit.passage[:400].replace("\n", "\n   "))
        print()
    return 0


if __name__ == "__main__":
    from cli_errors import run_cli

    sys.exit(run_cli(main))
