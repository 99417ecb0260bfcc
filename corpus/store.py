"""The index tables (db.models Corpus*): index rows, their HNSW graphs, file records, chunk and window rows.

Vectors live in `corpus_windows.embedding` (pgvector). Each index has its own partial HNSW index
(`WHERE index_name = '<name>'`, cosine): the planner uses it for that index's searches, and a small campaign
index is not drowned by the rules index's neighbours.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from db.models import CorpusChunk, CorpusFile, CorpusIndex, CorpusWindow

RULES_INDEX = "rules"
CAMPAIGN_PREFIX = "campaign:"
_INDEX_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,99}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class IndexNameError(ValueError):
    pass


def is_safe_slug(name: str) -> bool:
    """A campaign name usable as a file name: letters, digits, `-`, `_`; no separators, no dots, no `..`."""
    return bool(_SLUG_RE.match(name))


def check_index_name(name: str) -> str:
    if not _INDEX_NAME_RE.match(name) or ".." in name or "/" in name or "\\" in name:
        raise IndexNameError(f"not a valid index name: {name[:80]!r}")
    return name


def campaign_index_name(slug: str) -> str:
    if not is_safe_slug(slug):
        raise IndexNameError(f"not a valid campaign name: {slug[:80]!r}")
    return CAMPAIGN_PREFIX + slug


def hnsw_index_name(index_name: str) -> str:
    if index_name == RULES_INDEX:
        return "corpus_windows_hnsw_rules"
    return "corpus_windows_hnsw_" + hashlib.sha1(index_name.encode()).hexdigest()[:16]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_hnsw(session: Session, index_name: str) -> None:
    """The index's own HNSW graph (maintained row by row as files are indexed; rebuilt after a bulk load)."""
    check_index_name(index_name)
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    session.execute(text(
        f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(index_name)} ON corpus_windows "
        f"USING hnsw (embedding vector_cosine_ops) WHERE index_name = {_literal(index_name)}"))


def drop_hnsw(session: Session, index_name: str) -> None:
    session.execute(text(f"DROP INDEX IF EXISTS {hnsw_index_name(check_index_name(index_name))}"))


def ensure_index(session: Session, name: str, kind: str, root_dir: str, campaign_id: int | None,
                 embed_model: str) -> CorpusIndex:
    check_index_name(name)
    session.execute(pg_insert(CorpusIndex).values(
        name=name, kind=kind, campaign_id=campaign_id, root_dir=root_dir, embed_model=embed_model, status="empty",
        files=0, chunks=0, windows=0, last_report={}).on_conflict_do_nothing(index_elements=["name"]))
    row = session.get(CorpusIndex, name, populate_existing=True)
    assert row is not None
    if campaign_id is not None and row.campaign_id != campaign_id:
        row.campaign_id = campaign_id
    if row.root_dir != root_dir:
        row.root_dir = root_dir
    ensure_hnsw(session, name)
    return row


def drop_index(session: Session, name: str) -> bool:
    """Deletes an index with its files, chunks and windows (cascade) and its HNSW graph."""
    deleted = session.execute(delete(CorpusIndex).where(CorpusIndex.name == name)).rowcount
    drop_hnsw(session, name)
    return bool(deleted)


@dataclass(frozen=True)
class FileRecord:
    id: int
    path: str
    content_hash: str
    status: str
    error: str | None
    chunks: int


def file_records(session: Session, index_name: str) -> dict[str, FileRecord]:
    rows = session.execute(select(CorpusFile.id, CorpusFile.path, CorpusFile.content_hash, CorpusFile.status,
                                  CorpusFile.error, CorpusFile.chunks)
                           .where(CorpusFile.index_name == index_name))
    return {row.path: FileRecord(*row) for row in rows}


def delete_files(session: Session, index_name: str, paths: Sequence[str]) -> None:
    if paths:
        session.execute(delete(CorpusFile).where(CorpusFile.index_name == index_name, CorpusFile.path.in_(paths)))


def record_failure(session: Session, index_name: str, path: str, content_hash: str, size: int, error: str) -> None:
    """A file that cannot be indexed: its old chunks go, the error stays (an unchanged bad file is not retried)."""
    delete_files(session, index_name, [path])
    session.execute(insert(CorpusFile).values(index_name=index_name, path=path, content_hash=content_hash, size=size,
                                              status="failed", error=error[:1000], chunks=0))


@dataclass
class ChunkRow:
    ordinal: int
    text: str
    heading_path: list[str]
    page: int | None
    page_end: int | None
    token_count: int
    metadata: dict[str, Any]
    windows: list[WindowRow]


@dataclass
class WindowRow:
    heading_path: list[str]
    page: int | None
    char_start: int
    char_end: int
    token_count: int
    vector: np.ndarray


def replace_file(session: Session, index_name: str, kind: str, campaign_id: int | None, path: str,
                 content_hash: str, size: int, chunks: Sequence[ChunkRow]) -> int:
    """Swaps a file's chunks for new ones in the caller's transaction; returns the new file id."""
    delete_files(session, index_name, [path])
    file_id = session.execute(insert(CorpusFile).values(
        index_name=index_name, path=path, content_hash=content_hash, size=size, status="indexed", error=None,
        chunks=len(chunks)).returning(CorpusFile.id)).scalar_one()
    if not chunks:
        return file_id
    chunk_ids = session.execute(
        insert(CorpusChunk).returning(CorpusChunk.id, sort_by_parameter_order=True),
        [{"index_name": index_name, "file_id": file_id, "ordinal": chunk.ordinal, "text": chunk.text,
          "heading_path": chunk.heading_path, "page": chunk.page, "page_end": chunk.page_end,
          "token_count": chunk.token_count, "type": kind, "campaign_id": campaign_id, "metadata_": chunk.metadata}
         for chunk in chunks]).scalars().all()
    window_rows = [{"chunk_id": chunk_id, "index_name": index_name, "heading_path": window.heading_path,
                    "page": window.page, "char_start": window.char_start, "char_end": window.char_end,
                    "token_count": window.token_count, "embedding": window.vector,
                    **_lexical_parts(window.heading_path, chunk.text[window.char_start:window.char_end])}
                   for chunk_id, chunk in zip(chunk_ids, chunks, strict=True) for window in chunk.windows]
    if window_rows:
        # The lexical document is made by PostgreSQL at insert (one definition, in migration 0003), so a row
        # is written once: an UPDATE afterwards would insert every vector into the HNSW graph a second time.
        session.execute(insert(CorpusWindow).values(tsv=func.corpus_window_tsv(
            bindparam("tsv_title"), bindparam("tsv_labels"), bindparam("tsv_headings"), bindparam("tsv_body"))),
            window_rows)
    return file_id


# Names inside a window's text: run-in bold labels (`***Dwarven Resilience***.`, `**Cost.**`) and the first cell
# of a table row (`| Longsword | 15 gp |`).
_RUN_IN_LABEL_RE = re.compile(r"^\s*(?:>\s*)?\*{2,3}([^*\n]{2,60}?)\.?\*{2,3}\.?", re.MULTILINE)
_ROW_NAME_RE = re.compile(r"^\|\s*([^|\n]{2,60}?)\s*\|", re.MULTILINE)


def _lexical_parts(heading_path: Sequence[str], body: str) -> dict[str, str]:
    """The entry's name (the innermost heading), the names in its text, the headings around it, and the text."""
    labels = _RUN_IN_LABEL_RE.findall(body) + [name for name in _ROW_NAME_RE.findall(body) if "---" not in name]
    return {"tsv_title": heading_path[-1] if heading_path else "", "tsv_labels": " ".join(labels),
            "tsv_headings": " ".join(heading_path[:-1]), "tsv_body": body}


def refresh_counts(session: Session, index_name: str) -> tuple[int, int, int]:
    files = session.execute(select(func.count()).select_from(CorpusFile)
                            .where(CorpusFile.index_name == index_name, CorpusFile.status == "indexed")).scalar_one()
    chunks = session.execute(select(func.count()).select_from(CorpusChunk)
                             .where(CorpusChunk.index_name == index_name)).scalar_one()
    windows = session.execute(select(func.count()).select_from(CorpusWindow)
                              .where(CorpusWindow.index_name == index_name)).scalar_one()
    session.execute(update(CorpusIndex).where(CorpusIndex.name == index_name)
                    .values(files=files, chunks=chunks, windows=windows))
    return int(files), int(chunks), int(windows)


def mark_build(session: Session, index_name: str, *, status: str, started: datetime | None = None,
               finished: datetime | None = None, report: dict[str, Any] | None = None,
               embed_model: str | None = None) -> None:
    values: dict[str, Any] = {"status": status}
    if started is not None:
        values["last_build_started_at"] = started
    if finished is not None:
        values["last_build_finished_at"] = finished
    if report is not None:
        values["last_report"] = report
    if embed_model is not None:
        values["embed_model"] = embed_model
    session.execute(update(CorpusIndex).where(CorpusIndex.name == index_name).values(**values))


@dataclass(frozen=True)
class IndexStats:
    name: str
    kind: str
    status: str
    files: int
    failed_files: int
    chunks: int
    windows: int
    size_bytes: int
    last_build_finished_at: datetime | None
    last_report: dict[str, Any]


def index_stats(session: Session, name: str | None = None) -> list[IndexStats]:
    """Per index: files, chunks, windows, last build, and the bytes its rows take (text + vectors)."""
    query = select(CorpusIndex).order_by(CorpusIndex.name)
    if name is not None:
        query = query.where(CorpusIndex.name == name)
    out: list[IndexStats] = []
    for row in session.execute(query).scalars():
        failed = session.execute(select(func.count()).select_from(CorpusFile).where(
            CorpusFile.index_name == row.name, CorpusFile.status == "failed")).scalar_one()
        size = session.execute(text(
            "SELECT COALESCE((SELECT sum(pg_column_size(c.*)) FROM corpus_chunks c WHERE c.index_name = :n), 0)"
            " + COALESCE((SELECT sum(pg_column_size(w.*)) FROM corpus_windows w WHERE w.index_name = :n), 0)"),
            {"n": row.name}).scalar_one()
        out.append(IndexStats(row.name, row.kind, row.status, row.files, int(failed), row.chunks, row.windows,
                              int(size or 0), row.last_build_finished_at, row.last_report or {}))
    return out


def index_exists(session: Session, name: str) -> bool:
    return session.execute(select(CorpusIndex.windows).where(CorpusIndex.name == name)).scalar() is not None


def index_has_windows(session: Session, name: str) -> bool:
    """Whether the index exists and has embedded windows to search."""
    return bool(session.execute(select(CorpusIndex.windows).where(CorpusIndex.name == name)).scalar())


def index_names(session: Session) -> list[str]:
    return list(session.execute(select(CorpusIndex.name).order_by(CorpusIndex.name)).scalars())
