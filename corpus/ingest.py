"""Building and updating an index: discover files → hash → read → chunk → embed → store, file by file.

Incremental and restartable: a file's chunks, windows and content hash are written in one transaction, so a
job killed at any point leaves every file either fully indexed (its hash recorded) or untouched; the next run
skips files whose hash is unchanged, re-does the rest and deletes the chunks of files that disappeared.
A file that cannot be read (empty, binary, corrupt, too large) is recorded with its error and the job carries
on; it is retried when its content changes.

Work is batched across files (≈256 windows per model call) for throughput, with the cancel check and the
progress callback between files and between model calls. One build per index at a time (a PostgreSQL advisory
lock), so the CLI and the Celery job cannot interleave on the same index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, text

from corpus.chunking import Window, build_parents, group_windows, heading_overhead, plan_windows
from corpus.embedding import get_embedder, get_query_encoder, model_identity
from corpus.readers import SUPPORTED_SUFFIXES, Block, ReaderError, max_file_bytes, read_blocks
from corpus.store import (
    CAMPAIGN_PREFIX,
    RULES_INDEX,
    ChunkRow,
    FileRecord,
    WindowRow,
    campaign_index_name,
    check_index_name,
    delete_files,
    drop_hnsw,
    ensure_hnsw,
    ensure_index,
    file_records,
    is_safe_slug,
    mark_build,
    record_failure,
    refresh_counts,
    replace_file,
)
from db.engine import get_engine, run_in_transaction, transaction
from db.models import Campaign, CorpusIndex
from settings import Settings, get_settings

log = logging.getLogger(__name__)

WINDOWS_PER_BATCH = 256
# From this many files to index (and at least half the index), the HNSW graph is rebuilt after the writes.
BULK_FILES = 200
# Small files are kept in memory between hashing and reading; larger ones are read again.
KEEP_BYTES_UNDER = 1 << 20


class IndexBusyError(RuntimeError):
    """Another process is building the same index."""


class UnknownIndexError(ValueError):
    pass


# --------------------------------------------------------------------------- what to index


@dataclass(frozen=True)
class IndexSpec:
    name: str
    kind: str  # "rules" | "campaign"
    root: Path
    # Explicit files (relative to root); None: every supported file under root.
    files: tuple[str, ...] | None = None
    campaign_slug: str | None = None
    # Breadcrumb root of every window (a campaign's title); rules use the file's top folder.
    title: str = ""


def rules_spec(settings: Settings | None = None, name: str = RULES_INDEX, root: Path | None = None) -> IndexSpec:
    settings = settings or get_settings()
    return IndexSpec(check_index_name(name), "rules", Path(root or settings.rules_dir))


def campaign_slugs(settings: Settings | None = None) -> list[str]:
    """The campaigns in CAMPAIGNS_DIR: `<slug>.md` files with a safe slug."""
    root = (settings or get_settings()).campaigns_dir
    if not root.is_dir():
        return []
    return sorted(path.stem for path in root.glob("*.md") if is_safe_slug(path.stem) and path.is_file())


def campaign_spec(slug: str, settings: Settings | None = None) -> IndexSpec:
    settings = settings or get_settings()
    name = campaign_index_name(slug)  # refuses path separators, dots and `..`
    return IndexSpec(name, "campaign", settings.campaigns_dir, (f"{slug}.md",), slug, _campaign_title(settings, slug))


def _campaign_title(settings: Settings, slug: str) -> str:
    path = settings.campaigns_dir / f"{slug}.md"
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("# "):
                    return line[2:].strip()
    except OSError:
        pass
    return slug.replace("-", " ").title()


def resolve_target(target: str, settings: Settings | None = None) -> list[IndexSpec]:
    """`rules`, `campaign:<name>` (or `campaign <name>`), `campaigns`, `all`."""
    settings = settings or get_settings()
    wanted = target.strip()
    lowered = wanted.lower()
    if lowered in ("", "all"):
        return [rules_spec(settings)] + [campaign_spec(slug, settings) for slug in campaign_slugs(settings)]
    if lowered == "rules":
        return [rules_spec(settings)]
    if lowered == "campaigns":
        return [campaign_spec(slug, settings) for slug in campaign_slugs(settings)]
    for prefix in (CAMPAIGN_PREFIX, "campaign "):
        if lowered.startswith(prefix):
            slug = wanted[len(prefix):].strip()
            spec = campaign_spec(slug, settings)
            if not (settings.campaigns_dir / f"{slug}.md").is_file():
                raise UnknownIndexError(f"no campaign file {slug}.md in {settings.campaigns_dir}")
            return [spec]
    raise UnknownIndexError(f"unknown index {wanted[:60]!r}: use rules, campaign:<name> or all")


# --------------------------------------------------------------------------- reports


@dataclass
class FileIssue:
    path: str
    error: str


@dataclass
class Progress:
    index: str
    files_done: int
    files_todo: int
    bytes_done: int
    bytes_todo: int
    chunks: int
    windows: int
    elapsed_s: float
    current: str = ""

    @property
    def eta_s(self) -> float | None:
        if self.bytes_done <= 0 or self.bytes_todo <= 0:
            return None
        return self.elapsed_s * (self.bytes_todo - self.bytes_done) / self.bytes_done


@dataclass
class BuildReport:
    index: str
    files_seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    still_failing: int = 0
    removed: int = 0
    chunks_written: int = 0
    windows_written: int = 0
    tokens_embedded: int = 0
    total_files: int = 0
    total_chunks: int = 0
    total_windows: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    model_load_seconds: float = 0.0
    # Reading + chunking, and writing rows (the HNSW graphs are maintained by PostgreSQL as rows arrive).
    prepare_seconds: float = 0.0
    write_seconds: float = 0.0
    cancelled: bool = False
    # Stopped at the time budget; the next run (or the job's next step) carries on.
    partial: bool = False
    errors: list[FileIssue] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def status(self) -> str:
        return "cancelled" if self.cancelled else ("building" if self.partial else "ready")

    def summary(self) -> str:
        state = "cancelled" if self.cancelled else ("paused (continues)" if self.partial else "done")
        text_ = (f"{self.index}: {state} — {self.indexed} indexed, {self.unchanged} unchanged, {self.failed} failed, "
                 f"{self.removed} removed; {self.chunks_written} chunks / {self.windows_written} windows written "
                 f"in {self.seconds:.1f}s (index: {self.total_files} files, {self.total_chunks} chunks)")
        return text_


ProgressCallback = Callable[[Progress], None]
CancelCheck = Callable[[], bool]


# --------------------------------------------------------------------------- discovery


@dataclass
class SourceFile:
    rel: str
    path: Path
    size: int
    mtime_ns: int
    content_hash: str = ""
    data: bytes | None = None


def discover(spec: IndexSpec) -> tuple[list[SourceFile], list[FileIssue]]:
    """The files to index under the spec's root; a link leading outside the root is refused."""
    root = spec.root
    issues: list[FileIssue] = []
    if not root.is_dir():
        return [], ([FileIssue(str(root), "folder not found")] if spec.files is not None else [])
    resolved_root = root.resolve()
    if spec.files is not None:
        candidates = [root / rel for rel in spec.files]
    else:
        candidates = []
        for folder, dirs, names in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            candidates.extend(Path(folder) / name for name in sorted(names)
                              if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES)
    files: list[SourceFile] = []
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        try:
            real = path.resolve()
            if not real.is_relative_to(resolved_root):
                issues.append(FileIssue(rel, "a link to outside the corpus folder; refused"))
                continue
            if not real.is_file():
                issues.append(FileIssue(rel, "not a regular file"))
                continue
            stat = real.stat()
        except OSError as error:
            issues.append(FileIssue(rel, f"cannot read: {error.strerror or error}"))
            continue
        files.append(SourceFile(rel, real, stat.st_size, stat.st_mtime_ns))
    return files, issues


def _hash(source: SourceFile) -> None:
    if source.size > max_file_bytes():
        # Too large to index: never read it; the size and time stand in for a content hash.
        source.content_hash = f"size:{source.size}:{source.mtime_ns}"
        return
    data = source.path.read_bytes()
    source.content_hash = hashlib.sha256(data).hexdigest()
    source.data = data if len(data) < KEEP_BYTES_UNDER else None


# --------------------------------------------------------------------------- the build


@contextmanager
def _build_lock(index_name: str) -> Iterator[None]:
    """A session-level advisory lock on its own connection: released when the build ends or its process dies."""
    connection = get_engine().connect()
    try:
        got = connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:k))"),
                                 {"k": f"corpus:{index_name}"}).scalar()
        connection.commit()
        if not got:
            raise IndexBusyError(f"the {index_name} index is being built by another process")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": f"corpus:{index_name}"})
            connection.commit()
    finally:
        connection.close()


def _campaign_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    with transaction() as session:
        return session.execute(select(Campaign.id).where(Campaign.source_file == f"{slug}.md")).scalar()


@dataclass
class _Prepared:
    source: SourceFile
    windows: list[Window]
    sizes: list[int]
    vectors: np.ndarray | None = None


def _prepare(spec: IndexSpec, source: SourceFile) -> _Prepared:
    data = source.data if source.data is not None else source.path.read_bytes()
    blocks: list[Block] = read_blocks(source.path, data)
    source.data = None
    context: tuple[str, ...]
    if spec.kind == "campaign":
        context = (spec.title,) if spec.title else ()
    else:
        parent = Path(source.rel).parent.as_posix()
        context = (parent.split("/")[0],) if parent not in ("", ".") else ()
    windows = plan_windows(blocks, context)
    if not windows:
        raise ReaderError("no text to index")
    return _Prepared(source, windows, heading_overhead(windows))


def _rows(spec: IndexSpec, prepared: _Prepared, campaign_id: int | None) -> list[ChunkRow]:
    windows = prepared.windows
    groups = group_windows(windows, prepared.vectors, prepared.sizes)
    parents = build_parents(windows, groups, prepared.sizes)
    vectors = prepared.vectors
    assert vectors is not None
    rows: list[ChunkRow] = []
    for ordinal, parent in enumerate(parents):
        metadata = {"source_file": prepared.source.rel, "heading_path": list(parent.heading_path),
                    "page": parent.page, "type": spec.kind, "campaign_id": campaign_id, "index": spec.name}
        if spec.campaign_slug:
            metadata["campaign"] = spec.campaign_slug
        rows.append(ChunkRow(ordinal, parent.text, list(parent.heading_path), parent.page, parent.page_end,
                             parent.tokens, metadata,
                             [WindowRow(list(windows[i].heading_path), windows[i].page, start, end,
                                        windows[i].embed_tokens, vectors[i])
                              for i, (start, end) in zip(parent.windows, parent.spans, strict=True)]))
    return rows


def memory_rows(spec: IndexSpec, documents: Sequence[tuple[str, str]], campaign_id: int | None) -> list[list[ChunkRow]]:
    """Short Markdown texts held in memory (a campaign journal's entries, as (name, text)) chunked like files, their
    windows embedded by the NumPy encoder (a few windows: no torch in a command worker): rows for `replace_file`."""
    prepared = []
    for rel, body in documents:
        data = body.encode()
        prepared.append(_prepare(spec, SourceFile(rel, Path(rel), len(data), 0, hashlib.sha256(data).hexdigest(),
                                                  data)))
    vectors = get_query_encoder().encode([window.embed_text for item in prepared for window in item.windows])
    position = 0
    for item in prepared:
        item.vectors = vectors[position:position + len(item.windows)]
        position += len(item.windows)
    return [_rows(spec, item, campaign_id) for item in prepared]


def build_index(spec: IndexSpec, *, progress: ProgressCallback | None = None,
                should_cancel: CancelCheck | None = None, time_budget_s: float | None = None,
                force: bool = False) -> BuildReport:
    """Brings one index up to date with its files. Never raises for a bad file (see the report's errors)."""
    started = time.monotonic()
    report = BuildReport(spec.name)
    with _build_lock(spec.name):
        campaign_id = _campaign_id(spec.campaign_slug)

        def open_index(session: Any) -> tuple[dict[str, FileRecord], str]:
            row = ensure_index(session, spec.name, spec.kind, str(spec.root), campaign_id, model_identity())
            previous_model = row.embed_model
            mark_build(session, spec.name, status="building", started=datetime.now(UTC))
            return file_records(session, spec.name), previous_model

        records, previous_model = run_in_transaction(open_index)
        if previous_model and previous_model != model_identity():
            force = True  # vectors of another model are not comparable
        sources, issues = discover(spec)
        report.files_seen = len(sources)
        report.errors.extend(issues)

        todo: list[SourceFile] = []
        for source in sources:
            try:
                _hash(source)
            except OSError as error:
                report.errors.append(FileIssue(source.rel, f"cannot read: {error.strerror or error}"))
                continue
            record = records.get(source.rel)
            if not force and record is not None and record.content_hash == source.content_hash:
                report.unchanged += 1
                if record.status == "failed":
                    report.still_failing += 1
                    report.errors.append(FileIssue(source.rel, f"{record.error} (unchanged)"))
                continue
            todo.append(source)
        gone = sorted(set(records) - {source.rel for source in sources})
        if not spec.root.is_dir():
            # An unmounted or mistyped folder must not empty the index.
            report.errors.append(FileIssue(str(spec.root), "folder not found; nothing removed"))
            gone = []
        if gone:
            run_in_transaction(lambda session: delete_files(session, spec.name, gone))
            report.removed = len(gone)

        # A large (re)build writes most of the index: PostgreSQL builds the HNSW graph faster in one pass after
        # the rows are in than one insert at a time (searches meanwhile scan that index's rows exactly).
        bulk = len(todo) >= BULK_FILES and len(todo) * 2 >= len(sources)
        if bulk:
            run_in_transaction(lambda session: drop_hnsw(session, spec.name))
        try:
            _run_batches(spec, todo, campaign_id, report, started, progress, should_cancel, time_budget_s)
        finally:
            if bulk:
                run_in_transaction(lambda session: ensure_hnsw(session, spec.name))

        def close_index(session: Any) -> tuple[int, int, int]:
            counts = refresh_counts(session, spec.name)
            report.total_files, report.total_chunks, report.total_windows = counts
            report.seconds = round(time.monotonic() - started, 3)
            finished = None if report.partial else datetime.now(UTC)
            mark_build(session, spec.name, status=report.status, finished=finished,
                       report=_stored_report(report), embed_model=model_identity())
            return counts

        run_in_transaction(close_index)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _stored_report(report: BuildReport) -> dict[str, Any]:
    stored = report.to_dict()
    stored["errors"] = stored["errors"][:50]
    stored["finished_at"] = datetime.now(UTC).isoformat()
    return stored


def _run_batches(spec: IndexSpec, todo: list[SourceFile], campaign_id: int | None, report: BuildReport,
                 started: float, progress: ProgressCallback | None, should_cancel: CancelCheck | None,
                 time_budget_s: float | None) -> None:
    bytes_todo = sum(source.size for source in todo) or 1
    state = {"files": 0, "bytes": 0}

    def tell(current: str = "") -> None:
        if progress is not None:
            progress(Progress(spec.name, state["files"], len(todo), state["bytes"], bytes_todo,
                              report.chunks_written, report.windows_written, time.monotonic() - started, current))

    def stop_now() -> bool:
        if should_cancel is not None and should_cancel():
            report.cancelled = True
            return True
        if time_budget_s is not None and time.monotonic() - started > time_budget_s:
            report.partial = True
            return True
        return False

    tell()
    pending = list(todo)
    while pending and not stop_now():
        batch = _next_batch(spec, pending, report, state, should_cancel)
        if not batch:
            tell()
            continue
        current_file = batch[-1].source.rel
        if not _embed(batch, report, should_cancel, lambda name=current_file: tell(name)):
            report.cancelled = True
            break
        _write_batch(spec, batch, campaign_id, report)
        for prepared in batch:
            state["files"] += 1
            state["bytes"] += prepared.source.size
        tell(batch[-1].source.rel)


def _next_batch(spec: IndexSpec, pending: list[SourceFile], report: BuildReport, state: dict[str, int],
                should_cancel: CancelCheck | None) -> list[_Prepared]:
    """Reads and windows files off the front of `pending` until a batch holds WINDOWS_PER_BATCH windows; a file
    that fails to read is reported and counted as done."""
    batch: list[_Prepared] = []
    batch_windows = 0
    while pending and batch_windows < WINDOWS_PER_BATCH:
        source = pending.pop(0)
        prepare_started = time.monotonic()
        try:
            prepared = _prepare(spec, source)
        except Exception as error:  # a reader bug must cost one file, not the job
            if isinstance(error, ReaderError):
                _fail(spec, source, str(error), report)
            else:
                log.exception("reading %s failed", source.rel)
                _fail(spec, source, f"unexpected error: {error.__class__.__name__}: {error}"[:500], report)
            state["files"] += 1
            state["bytes"] += source.size
            continue
        report.prepare_seconds = round(report.prepare_seconds + time.monotonic() - prepare_started, 3)
        batch.append(prepared)
        batch_windows += len(prepared.windows)
        if should_cancel is not None and should_cancel():
            break
    return batch


def _write_batch(spec: IndexSpec, batch: list[_Prepared], campaign_id: int | None, report: BuildReport) -> None:
    """Chunks the embedded batch and replaces its files' rows in one transaction (a file that fails to chunk
    is reported and left out)."""
    rows = []
    for prepared in batch:
        try:
            rows.append((prepared, _rows(spec, prepared, campaign_id)))
        except Exception as error:
            log.exception("chunking %s failed", prepared.source.rel)
            _fail(spec, prepared.source, f"unexpected error: {error.__class__.__name__}: {error}"[:500], report)

    def write(session: Any) -> None:
        for prepared, chunk_rows in rows:
            replace_file(session, spec.name, spec.kind, campaign_id, prepared.source.rel,
                         prepared.source.content_hash, prepared.source.size, chunk_rows)

    write_started = time.monotonic()
    run_in_transaction(write)
    report.write_seconds = round(report.write_seconds + time.monotonic() - write_started, 3)
    for prepared, chunk_rows in rows:
        report.indexed += 1
        report.chunks_written += len(chunk_rows)
        report.windows_written += len(prepared.windows)
        report.tokens_embedded += sum(window.embed_tokens for window in prepared.windows)


def _embed(batch: list[_Prepared], report: BuildReport, should_cancel: CancelCheck | None,
           tick: Callable[[], None]) -> bool:
    """Embeds the batch's windows, a model call per ≈256 windows; False when cancelled midway."""
    embedder = get_embedder()
    if not report.model:
        report.model = asdict(embedder.info)
        report.model_load_seconds = round(embedder.info.load_seconds, 3)
    sequences = [window.ids for prepared in batch for window in prepared.windows]
    started = time.monotonic()
    parts: list[np.ndarray] = []
    for offset in range(0, len(sequences), WINDOWS_PER_BATCH):
        if offset and should_cancel is not None and should_cancel():
            return False
        parts.append(embedder.embed_ids(sequences[offset:offset + WINDOWS_PER_BATCH]))
        if offset:
            tick()
    vectors = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    report.embed_seconds = round(report.embed_seconds + time.monotonic() - started, 3)
    position = 0
    for prepared in batch:
        prepared.vectors = vectors[position:position + len(prepared.windows)]
        position += len(prepared.windows)
    return True


def _fail(spec: IndexSpec, source: SourceFile, error: str, report: BuildReport) -> None:
    log.warning("%s: %s: %s", spec.name, source.rel, error)
    run_in_transaction(lambda session: record_failure(session, spec.name, source.rel, source.content_hash,
                                                      source.size, error))
    report.failed += 1
    report.errors.append(FileIssue(source.rel, error))


def remove_index(name: str) -> bool:
    """Deletes an index and everything in it (a campaign removed from CAMPAIGNS_DIR)."""
    from corpus.store import drop_index

    return bool(run_in_transaction(lambda session: drop_index(session, check_index_name(name))))


def existing_indexes() -> list[CorpusIndex]:
    with transaction() as session:
        return list(session.execute(select(CorpusIndex).order_by(CorpusIndex.name)).scalars())


def orphaned_campaign_indexes() -> list[str]:
    """Campaign indexes whose campaign file is gone from CAMPAIGNS_DIR (a full rebuild drops them)."""
    live = {CAMPAIGN_PREFIX + slug for slug in campaign_slugs()}
    return [row.name for row in existing_indexes() if row.kind == "campaign" and row.name not in live]


# --------------------------------------------------------------------------- progress text (Discord and CLI)


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = width if total <= 0 else min(width, round(width * done / total))
    return "▰" * filled + "▱" * (width - filled)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


def format_progress(progress: Progress, step: str = "") -> str:
    """`Indexing rules ▰▰▰▱▱ 340/1026 files, 2 min left`."""
    left = format_duration(progress.eta_s)
    prefix = f"{step} " if step else ""
    return (f"{prefix}Indexing {progress.index} {progress_bar(progress.files_done, progress.files_todo)} "
            f"{progress.files_done}/{progress.files_todo} files, {left} left "
            f"({progress.chunks} chunks written)")


def format_reports(reports: list[BuildReport], seconds: float, cancelled: bool = False) -> str:
    """The final report: per index files, chunks and time; the files that failed and why."""
    head = "⏹️ Indexing cancelled" if cancelled else "✅ Indexing finished"
    lines = [f"{head} in {seconds:.1f}s"]
    for report in reports:
        lines.append(f"• **{report.index}**: {report.indexed} files indexed, {report.unchanged} unchanged, "
                     f"{report.removed} removed, {report.failed} failed — {report.chunks_written} chunks written "
                     f"({report.total_files} files / {report.total_chunks} chunks in the index), "
                     f"{report.seconds:.1f}s")
    problems = [(report.index, issue) for report in reports for issue in report.errors]
    if problems:
        lines.append(f"⚠️ {len(problems)} file(s) could not be indexed:")
        lines.extend(f"  – {index}: `{issue.path[:80]}` — {issue.error[:160]}" for index, issue in problems[:12])
        if len(problems) > 12:
            lines.append(f"  … and {len(problems) - 12} more")
    return "\n".join(lines)
