"""hit@k of the rules questions on an index: the 30 of corpus.evaluation and the frozen held-out set of
tests/data, with the misses and the rank of each answer. Prints one JSON object.

    RULES_DIR=../shared/corpus/srd/markdown/OldManUmby-DND.SRD.Wiki python bench/rules_hits.py [--index rules]

Builds (or updates) the index over RULES_DIR first unless --no-build. Uses DATABASE_URL / VAR_DIR when that
PostgreSQL answers, else a temporary embedded one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import database, load_average

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "rules_questions_heldout.json"


def score(questions: Any, index: str, top_k: int) -> dict[str, Any]:
    from corpus.evaluation import hit_answers
    from corpus.retrieval import search

    ranks: list[int | None] = []
    misses: list[str] = []
    for question in questions:
        hits = search(question.question, index, top_k)
        rank = next((position for position, hit in enumerate(hits, start=1) if hit_answers(hit, question)), None)
        ranks.append(rank)
        if rank is None:
            misses.append(question.question)
    found = sum(rank is not None for rank in ranks)
    top3 = sum(rank is not None and rank <= 3 for rank in ranks)
    below3 = [f"{question.question} (#{rank})" for question, rank in zip(questions, ranks, strict=True)
              if rank is not None and rank > 3]
    return {"questions": len(ranks), f"hit_at_{top_k}": found, "rate": round(found / len(ranks), 3),
            "hit_at_3": top3, "misses": misses, "found_below_3": below3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="rules")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--root", type=Path, help="the folder to index (default: RULES_DIR)")
    args = parser.parse_args()
    from corpus.evaluation import SRD_QUESTIONS, load_questions
    from corpus.ingest import build_index, rules_spec

    with database() as where:
        result: dict[str, Any] = {"database": where, "index": args.index, "load_average": load_average()}
        if not args.no_build:
            result["build_seconds"] = build_index(rules_spec(name=args.index, root=args.root)).seconds
        heldout = load_questions(HELDOUT)
        result["old_set"] = score(SRD_QUESTIONS, args.index, args.top_k)
        result["heldout"] = score(heldout, args.index, args.top_k)
        tables = tuple(question for question in heldout if question.kind == "table")
        result["heldout_tables"] = score(tables, args.index, args.top_k)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
