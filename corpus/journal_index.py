"""The campaign journal in the vector store: one index per campaign (`journal:<campaign id>`, kind `journal`), an
entry per document, so the narrator is reminded of what the players' words mean, not only of the words they
share with a note ("the woman's lost relative" finds the promise to find Mirela's brother).

The sweeper keeps it in step with the journal (`sync`): new and edited entries are embedded (by the NumPy
encoder: a few short windows, no torch in a command worker), struck ones dropped. Until an entry is indexed
(a few seconds) the full-text search of `db.journal.relevant` finds it by its words.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from corpus.embedding import embed_query, model_identity, vector_literal
from corpus.ingest import IndexSpec, memory_rows
from corpus.retrieval import SEARCH_SQL
from corpus.store import delete_files, ensure_index, file_records, index_exists, refresh_counts, replace_file
from db import journal

JOURNAL_PREFIX = "journal:"
KIND = "journal"
MAX_ENTRIES_PER_SYNC = 64  # a long journal is indexed over a few sweeps, never in one long transaction
# Cosine similarity under which an entry is not "about" the players' words at all (MiniLM: unrelated ≈ 0–0.15).
MIN_SIMILARITY = 0.2


def index_name(campaign_id: int) -> str:
    return f"{JOURNAL_PREFIX}{campaign_id}"


def _document(entry_id: int) -> str:
    return f"{entry_id}.md"


def _hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def sync(session: Session, campaign_id: int) -> int:
    """Bring the campaign's journal index up to date with its live entries; how many entries changed in it."""
    name = index_name(campaign_id)
    # Each entry under its subject as a heading (the breadcrumb of its windows): "Mirela Thistlewood" gives a
    # promise that names her only by her first name its meaning.
    entries = {_document(entry.id): f"# {entry.subject or entry.kind}\n\n{entry.text}"
               for entry in journal.live_entries(session, campaign_id)}
    records = file_records(session, name)
    gone = [path for path in records if path not in entries]
    todo = [(path, body) for path, body in entries.items()
            if path not in records or records[path].content_hash != _hash(body)][:MAX_ENTRIES_PER_SYNC]
    if not gone and not todo:
        return 0
    ensure_index(session, name, KIND, "", campaign_id, model_identity())
    delete_files(session, name, gone)
    for (path, body), rows in zip(todo, memory_rows(IndexSpec(name, KIND, Path()), todo, campaign_id), strict=True):
        replace_file(session, name, KIND, campaign_id, path, _hash(body), len(body.encode()), rows)
    refresh_counts(session, name)
    return len(gone) + len(todo)


def nearest(session: Session, campaign_id: int, words: str, limit: int) -> list[int]:
    """The ids of the entries closest in meaning to `words`, closest first (none under MIN_SIMILARITY)."""
    name = index_name(campaign_id)
    if not words.strip() or limit <= 0 or not index_exists(session, name):
        return []
    rows = session.execute(text(SEARCH_SQL), {"query": vector_literal(embed_query(words)), "index": name,
                                              "limit": limit * 3})
    ids = [int(Path(row.path).stem) for row in rows if 1.0 - float(row.distance) >= MIN_SIMILARITY]
    return list(dict.fromkeys(ids))[:limit]
