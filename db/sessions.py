"""Interactive sessions (character creation, level-up): one row of `sessions` per conversation.

A user has at most one active session (a partial unique index); its `state` is the flow's state as JSON, so
any process can resume it after a restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Session as SessionRow

CREATION = "character_creation"
LEVEL_UP = "level_up"


class SessionBusy(Exception):
    """The user already has an active session."""

    def __init__(self, existing: SessionRow) -> None:
        super().__init__(f"user {existing.user_id} already has an active {existing.kind} session")
        self.existing = existing


def get_active(session: Session, user_id: int, *, for_update: bool = True) -> SessionRow | None:
    """The user's active session (locked until the transaction ends unless ``for_update`` is False)."""
    statement = select(SessionRow).where(SessionRow.user_id == user_id, SessionRow.active.is_(True))
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement.execution_options(populate_existing=True)).scalar_one_or_none()


def start(session: Session, user_id: int, kind: str, step: str, state: dict[str, Any],
          campaign_id: int | None) -> SessionRow:
    """Open a session; raises :class:`SessionBusy` when the user already has one."""
    existing = get_active(session, user_id)
    if existing is not None:
        raise SessionBusy(existing)
    row = SessionRow(user_id=user_id, campaign_id=campaign_id, kind=kind, step=step, state=state, active=True)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # A concurrent start won the unique index.
        existing = get_active(session, user_id)
        assert existing is not None
        raise SessionBusy(existing) from None
    return row


def advance(session: Session, row: SessionRow, step: str, state: dict[str, Any]) -> SessionRow:
    row.step = step
    row.state = state
    session.flush()
    return row


def finish(session: Session, row: SessionRow, step: str, state: dict[str, Any] | None = None) -> SessionRow:
    """Close the session (done or cancelled); the row stays as a record."""
    row.step = step
    if state is not None:
        row.state = state
    row.active = False
    session.flush()
    return row
