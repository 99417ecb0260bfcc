"""Queue `ingest`: index rebuilds in the background (`!rebuild_index`, new and loaded campaigns).

A rebuild is a *job* split into steps of about RAG_STEP_BUDGET_S seconds: each step indexes files until its
budget is spent, then queues the next step (a Celery task can then never outlive the broker's visibility
timeout, and the ingest worker is free between steps). Files are committed one batch at a time with their
content hashes, so a step killed midway is redelivered (acks-late) and simply skips what is already done.

Progress: `self.update_state(state="PROGRESS", meta=...)` (Flower, the result backend) and one owner message
edited in place (`edit_key = rag:<job id>`): "Indexing rules ▰▰▰▱▱ 340/933 files, 2 min left", then the
final report. `!rebuild_index cancel` sets `rag:cancel:<job id>`, checked between files.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

import keys
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
from db.outbox import Reply, reply_target
from tasks.app import app
from tasks.base import DndTask
from tasks.publish import send_reply
from tasks.redis_client import get_redis

log = logging.getLogger(__name__)

JOBS_KEY = "rag:jobs"
# A job whose record has not been touched for this long is dead (its worker died and nothing redelivered it).
JOB_STALE_S = 900.0
PROGRESS_EVERY_S = 2.0


def step_budget_s() -> float:
    return float(os.environ.get("RAG_STEP_BUDGET_S", "90") or 90)


def cancel_key(job_id: str) -> str:
    return f"rag:cancel:{job_id}"


def new_job(target: str, destination: dict[str, Any] | None, job_id: str | None = None, *,
            announce: bool = True) -> dict[str, Any]:
    """A job record: what to build, where to report, and the reports of the indexes already done. `announce`:
    register it in Redis now (a command registers it after its commit instead)."""
    specs = [spec.name for spec in resolve_target(target)]
    job = {"id": job_id or uuid.uuid4().hex[:12], "target": target, "pending": specs, "reports": [],
           "started": time.time(), "destination": destination or {}, "step": 0, "drop": []}
    if target.strip().lower() in ("", "all", "campaigns"):
        # Campaign indexes whose file is gone are dropped.
        job["drop"] = orphaned_campaign_indexes()
    if announce:
        register(job, "queued")
    return job


def register(job: dict[str, Any], state: str, detail: str = "") -> None:
    get_redis().hset(JOBS_KEY, job["id"], json.dumps({"target": job["target"], "state": state, "detail": detail,
                                                       "updated": time.time(), "started": job["started"]}))


def unregister(job_id: str) -> None:
    client = get_redis()
    client.hdel(JOBS_KEY, job_id)
    client.delete(cancel_key(job_id))


def running_jobs() -> dict[str, dict[str, Any]]:
    """Live jobs (stale records are pruned)."""
    client = get_redis()
    jobs: dict[str, dict[str, Any]] = {}
    for job_id, raw in client.hgetall(JOBS_KEY).items():
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            client.hdel(JOBS_KEY, job_id)
            continue
        if time.time() - float(record.get("updated", 0)) > JOB_STALE_S:
            client.hdel(JOBS_KEY, job_id)
            continue
        jobs[job_id] = record
    return jobs


def request_cancel() -> list[str]:
    client = get_redis()
    jobs = list(running_jobs())
    for job_id in jobs:
        client.set(cancel_key(job_id), "1", ex=3600)
    return jobs


def tell_owner(job: dict[str, Any], content: str) -> None:
    """Posts or edits the job's message (same edit_key → the gateway edits the first one in place)."""
    destination = job.get("destination") or {}
    target = reply_target(destination)
    if target:
        send_reply(f"rag:{job['id']}:{time.time_ns()}",
                   Reply(content=content, reply_to=destination.get("reply_to"), edit_key=f"rag:{job['id']}", **target))


@app.task(name=keys.REBUILD_INDEX_TASK, base=DndTask, bind=True, user_facing_name="the index rebuild",
          soft_time_limit=840, time_limit=880, acks_late=True)
def rebuild_index(self: Any, target: str = "all", job: dict[str, Any] | None = None) -> dict[str, Any]:
    """Runs one step of a rebuild job (and queues the next step when there is more to do)."""
    try:
        job = job or new_job(target, None)
    except (UnknownIndexError, IndexNameError) as error:
        return {"error": str(error)}
    job["step"] = int(job.get("step", 0)) + 1
    on_progress = _progress_reporter(self, job)
    client = get_redis()
    started = time.monotonic()
    budget = step_budget_s()

    def should_cancel() -> bool:
        return bool(client.exists(cancel_key(job["id"])))

    for name in job.get("drop", []):
        remove_index(name)
    job["drop"] = []
    try:
        _build_pending(job, budget - (time.monotonic() - started), on_progress, should_cancel)
    except SoftTimeLimitExceeded:
        log.warning("rebuild step hit its time limit; the next step carries on")
    except Exception as error:
        tell_owner(job, f"❌ Indexing failed: {error.__class__.__name__}: {str(error)[:300]}")
        unregister(job["id"])
        raise
    if job["pending"]:
        register(job, "running", "continuing")
        rebuild_index.apply_async(kwargs={"target": job["target"], "job": job})
        return {"job": job["id"], "state": "continuing", "done": len(job["reports"])}
    reports = [_report_from(entry) for entry in job["reports"]]
    summary = format_reports(reports, time.time() - job["started"], bool(job.get("cancelled")))
    tell_owner(job, summary)
    unregister(job["id"])
    log.info("%s", summary)
    return {"job": job["id"], "state": "cancelled" if job.get("cancelled") else "done",
            "reports": [{key: entry[key] for key in ("index", "indexed", "unchanged", "failed", "removed",
                                                     "chunks_written", "total_files", "total_chunks", "seconds")}
                        for entry in job["reports"]]}


def _progress_reporter(task: Any, job: dict[str, Any]) -> Callable[[Progress], None]:
    """What a build reports as it goes: the Celery task state on every call, the owner's message at most every
    PROGRESS_EVERY_S (and when an index is done)."""
    task_id = _worker_task_id(task)
    last_told = [0.0]
    total_specs = len(job["pending"]) + len(job["reports"])

    def on_progress(progress: Progress) -> None:
        meta = {"job": job["id"], "index": progress.index, "files_done": progress.files_done,
                "files_todo": progress.files_todo, "chunks": progress.chunks, "windows": progress.windows,
                "eta_s": progress.eta_s, "current": progress.current}
        if task_id:
            task.update_state(task_id=task_id, state="PROGRESS", meta=meta)
        now = time.monotonic()
        if now - last_told[0] >= PROGRESS_EVERY_S or progress.files_done == progress.files_todo:
            last_told[0] = now
            step = f"[{len(job['reports']) + 1}/{total_specs}]" if total_specs > 1 else ""
            text = format_progress(progress, step)
            register(job, "running", text)
            tell_owner(job, text)

    return on_progress


def _build_pending(job: dict[str, Any], budget_s: float, on_progress: Callable[[Progress], None],
                   should_cancel: Callable[[], bool]) -> None:
    """Builds the job's pending indexes in order within `budget_s` seconds; an index the budget cuts short is
    carried (its partial report kept) for the next step."""
    started = time.monotonic()
    while job["pending"]:
        name = job["pending"][0]
        remaining = budget_s - (time.monotonic() - started)
        if remaining <= 0:
            break
        spec = resolve_target(name)[0]
        try:
            report = build_index(spec, progress=on_progress, should_cancel=should_cancel, time_budget_s=remaining)
        except IndexBusyError as error:
            report = BuildReport(name, errors=[])
            report.errors.append(_issue(name, str(error)))
        carried = job.setdefault("carry", {}).pop(name, None)
        if report.partial:
            job["carry"][name] = _carry(carried, report)
            break
        job["reports"].append(_merge(carried, report).to_dict())
        job["pending"].pop(0)
        if report.cancelled:
            job["pending"] = []
            job["cancelled"] = True


def _worker_task_id(task: Any) -> str | None:
    """The id of the message being executed. DndTask.__call__ goes through Task.__call__, which pushes a fresh
    request context without the id; the worker's own context (with it) is the one below."""
    for request in reversed(task.request_stack.stack):
        if getattr(request, "id", None) and not getattr(request, "is_eager", False):
            return str(request.id)
    return None


CARRIED = ("indexed", "failed", "removed", "chunks_written", "windows_written", "tokens_embedded", "seconds",
           "embed_seconds", "prepare_seconds", "write_seconds")


def _carry(carried: dict[str, Any] | None, report: BuildReport) -> dict[str, Any]:
    """What earlier steps of the job did to an index (a later step sees those files as unchanged)."""
    carried = dict(carried or {key: 0 for key in CARRIED} | {"failed_paths": []})
    for key in CARRIED:
        carried[key] = carried.get(key, 0) + getattr(report, key)
    carried["failed_paths"] = carried.get("failed_paths", []) + [
        issue.path for issue in report.errors if not issue.error.endswith("(unchanged)")]
    return carried


def _merge(carried: dict[str, Any] | None, report: BuildReport) -> BuildReport:
    if not carried:
        return report
    redone = carried["indexed"] + carried["failed"]
    report.unchanged = max(0, report.unchanged - redone)
    report.still_failing = max(0, report.still_failing - carried["failed"])
    failed_paths = set(carried.get("failed_paths", []))
    for issue in report.errors:
        if issue.path in failed_paths and issue.error.endswith(" (unchanged)"):
            issue.error = issue.error[: -len(" (unchanged)")]
    for key in CARRIED:
        setattr(report, key, type(getattr(report, key))(getattr(report, key) + carried.get(key, 0)))
    return report


def _issue(path: str, error: str) -> Any:
    from corpus.ingest import FileIssue

    return FileIssue(path, error)


def _report_from(entry: dict[str, Any]) -> BuildReport:
    from corpus.ingest import FileIssue

    errors = [FileIssue(**issue) for issue in entry.get("errors", [])]
    fields = {key: value for key, value in entry.items() if key != "errors"}
    return BuildReport(**fields, errors=errors)
