"""Extract every campaign's structure (acts, scenes, NPCs, locations, events, hooks, pacing) with
corpus.structure and store it in `campaign_structures`; prints a summary (or JSON). Same job as
`!analyze_structures` (tasks.meta.analyze on the analysis queue).

    python scripts/analyze_structures.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.meta import analyze_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = analyze_all()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        if "error" in result:
            print(f"{result['campaign']}: error: {result['error']}")
        else:
            print(f"{result['campaign']}: {result['title']!r} — {result['acts']} acts {result['scenes_per_act']}, "
                  f"{result['npcs']} NPCs, {result['locations']} locations, {result['hooks']} hooks; "
                  f"roles {result['npc_roles']}")
    return 1 if any("error" in result for result in results) else 0


if __name__ == "__main__":
    from cli_errors import run_cli

    sys.exit(run_cli(main))
