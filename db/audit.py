"""The audit log: the repository over `audit_log` (what owner commands and model-applied updates changed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog

MAX_ACTION_CHARS = 500


def record(session: Session, actor: str, action: str, *, target: str | None, campaign_id: int | None,
           before: dict[str, Any], after: dict[str, Any]) -> None:
    """One entry, written with the transaction (`action` cut to MAX_ACTION_CHARS)."""
    session.add(AuditLog(actor=actor, action=action[:MAX_ACTION_CHARS], target=target, campaign_id=campaign_id,
                         before=before, after=after))


def latest(session: Session, count: int) -> list[AuditLog]:
    """The last `count` entries, newest first."""
    return list(session.execute(select(AuditLog).order_by(AuditLog.id.desc()).limit(count)).scalars())
