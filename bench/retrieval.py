"""Query latency of corpus.retrieval.search, query embedding included: on the rules index (RULES_DIR, built or
updated first) and on a synthetic index ten times its size (each window copied ten times with a little noise
on its vector, with its own HNSW graph). Prints one JSON object. The 300 queries are the 30 rules questions in
four wordings, so after the first 120 a question repeats and its embedding comes from the query cache;
`cold_p50_ms` / `cold_p99_ms` are the same searches with the caches emptied first.

    RULES_DIR=../shared/corpus/srd/markdown/OldManUmby-DND.SRD.Wiki python bench/retrieval.py [--queries 300]

Uses DATABASE_URL / VAR_DIR when that PostgreSQL answers, else a temporary embedded one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import database, load_average

SCALED_INDEX = "bench-10x"
COPIES = 10
NOISE = 0.02


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def queries(count: int) -> list[str]:
    from corpus.evaluation import SRD_QUESTIONS

    variants = ["{q}", "rules: {q}", "{q} (5e)", "In D&D, {q}"]
    base = [question.question for question in SRD_QUESTIONS]
    return [variants[(i // len(base)) % len(variants)].format(q=base[i % len(base)]) for i in range(count)]


def timed_searches(index: str, texts: list[str]) -> dict[str, float]:
    """p50/p99/mean over `texts` as they come (a repeated question hits the query caches, as at the table);
    cold_*: the same searches with the caches emptied before each; embed_p50_ms: the encoder alone."""
    from corpus.embedding import get_query_encoder
    from corpus.retrieval import clear_query_caches, search
    from db.engine import transaction

    clear_query_caches()
    with transaction() as session:
        for text_ in texts[:10]:  # warm: the encoder, the connection, the statement cache
            search(text_, index, 5, session=session)
        clear_query_caches()
        total, embed, cold = [], [], []
        for text_ in texts:
            started = time.perf_counter()
            hits = search(text_, index, 5, session=session)
            total.append((time.perf_counter() - started) * 1000)
            assert hits, f"no hits on {index}"
            started = time.perf_counter()
            get_query_encoder().encode([text_])
            embed.append((time.perf_counter() - started) * 1000)
        for text_ in texts[:100]:
            clear_query_caches()
            started = time.perf_counter()
            search(text_, index, 5, session=session)
            cold.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(total, 0.5), 2), "p99_ms": round(percentile(total, 0.99), 2),
            "mean_ms": round(statistics.fmean(total), 2), "embed_p50_ms": round(percentile(embed, 0.5), 2),
            "cold_p50_ms": round(percentile(cold, 0.5), 2), "cold_p99_ms": round(percentile(cold, 0.99), 2)}


def make_scaled_index() -> int:
    """Ten noisy copies of every rules window, in an index of their own (HNSW built after the bulk insert)."""
    from sqlalchemy import text

    from corpus.store import hnsw_index_name
    from db.engine import get_engine

    drop_scaled_index()
    with get_engine().begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        conn.execute(text(
            "INSERT INTO corpus_indexes (name, kind, root_dir, embed_model, status, files, chunks, windows, "
            "last_report) VALUES (:n, 'rules', '', '', 'ready', 0, 0, 0, '{}')"), {"n": SCALED_INDEX})
        conn.execute(text(
            "INSERT INTO corpus_windows (chunk_id, index_name, heading_path, page, char_start, char_end, token_count, "
            "tsv, embedding) SELECT w.chunk_id, :n, w.heading_path, w.page, w.char_start, w.char_end, w.token_count, "
            "w.tsv, "
            "w.embedding + (SELECT array_agg((random() - 0.5) * :noise)::vector FROM generate_series(1, 384) "
            "               WHERE copy.n IS NOT NULL AND w.id IS NOT NULL) "
            "FROM corpus_windows w CROSS JOIN generate_series(1, :copies) AS copy(n) WHERE w.index_name = 'rules'"),
            {"n": SCALED_INDEX, "noise": NOISE * 2, "copies": COPIES})
        conn.execute(text(f"CREATE INDEX {hnsw_index_name(SCALED_INDEX)} ON corpus_windows "
                          f"USING hnsw (embedding vector_cosine_ops) WHERE index_name = '{SCALED_INDEX}'"))
        conn.execute(text("ANALYZE corpus_windows"))
        return int(conn.execute(text("SELECT count(*) FROM corpus_windows WHERE index_name = :n"),
                                {"n": SCALED_INDEX}).scalar_one())


def drop_scaled_index() -> None:
    from sqlalchemy import text

    from corpus.ingest import remove_index
    from db.engine import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM corpus_windows WHERE index_name = :n"), {"n": SCALED_INDEX})
    remove_index(SCALED_INDEX)


def uses_hnsw(index: str) -> bool:
    from sqlalchemy import text

    from corpus.embedding import embed_query, vector_literal
    from corpus.retrieval import candidate_statement
    from db.engine import transaction

    question = "How does grappling work?"
    with transaction() as session:
        statement, params = candidate_statement(session, question, vector_literal(embed_query(question)), index, 5)
        plan = session.execute(text("EXPLAIN " + statement), params).scalars().all()
    return any("hnsw" in line for line in plan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    from corpus.ingest import build_index, rules_spec
    from settings import get_settings

    root = get_settings().rules_dir
    texts = queries(args.queries)
    with database() as where:
        result: dict[str, Any] = {"rules_dir": str(root), "database": where, "queries": len(texts),
                                  "load_average_before": load_average()}
        report = build_index(rules_spec())
        result["windows"] = report.total_windows
        result["chunks"] = report.total_chunks
        if report.total_windows == 0:
            print(f"the rules index over {root} is empty", file=sys.stderr)
            return 2
        result["hnsw_used"] = uses_hnsw("rules")
        result.update(timed_searches("rules", texts))
        try:
            result["windows_10x"] = make_scaled_index()
            result["hnsw_used_10x"] = uses_hnsw(SCALED_INDEX)
            scaled = timed_searches(SCALED_INDEX, texts)
            result.update({f"{key}_10x": value for key, value in scaled.items()})
        finally:
            drop_scaled_index()
        result["load_average_after"] = load_average()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
