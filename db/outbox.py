"""The outbox: replies written in the same transaction as the state change they report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from db.models import Outbox


@dataclass(frozen=True)
class Reply:
    """A message for a channel or a DM. `edit_key` makes later replies with the same key edit it in place."""

    content: str = ""
    channel_id: int | None = None
    dm_user_id: int | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    reply_to: str | None = None
    edit_key: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def reply_target(event: Mapping[str, Any], *, dm: bool = False) -> dict[str, int]:
    """Where the answer to an event (a message, a reaction, a job's destination) goes: its channel; in DMs, or
    with `dm`, the DMs of its DM user, else of its author. Empty when the event names none of them. The one
    place that decides it: `Reply(content, **reply_target(event))`."""
    channel_id = event.get("channel_id")
    if channel_id is not None and not dm:
        return {"channel_id": int(channel_id)}
    user_id = event.get("dm_user_id") or event.get("author_id")
    return {"dm_user_id": int(user_id)} if user_id is not None else {}


# An outbox row as returned by the statements below: the columns of `outbox` as attributes.
OutboxRow = Row[Any]

# The hot path of every task. Written as text: SQLAlchemy 2.0 gives the PostgreSQL dialect's INSERT … ON
# CONFLICT no cache key, so that construct would be compiled again on every execution.
INSERT_REPLY = text(
    "INSERT INTO outbox (reply_key, channel_id, dm_user_id, content, embeds, reply_to, edit_key, meta) "
    "VALUES (:reply_key, :channel_id, :dm_user_id, :content, :embeds, :reply_to, :edit_key, :meta) "
    "ON CONFLICT (reply_key) DO NOTHING RETURNING *"
).bindparams(bindparam("embeds", type_=JSONB), bindparam("meta", type_=JSONB))


def add_replies(session: Session, key_prefix: str, replies: list[Reply]) -> list[OutboxRow]:
    """Insert replies keyed `<key_prefix>:<n>`; a key already present (a redone task) is left as it was.
    Returns the inserted rows (they have the columns of `outbox` as attributes)."""
    rows: list[OutboxRow] = []
    for number, reply in enumerate(replies):
        if reply.channel_id is None and reply.dm_user_id is None:
            raise ValueError("a reply needs a channel or a DM user")
        row = session.execute(INSERT_REPLY, {
            "reply_key": f"{key_prefix}:{number}", "channel_id": reply.channel_id, "dm_user_id": reply.dm_user_id,
            "content": reply.content, "embeds": reply.embeds, "reply_to": reply.reply_to,
            "edit_key": reply.edit_key, "meta": reply.meta}).one_or_none()
        if row is not None:
            rows.append(row)
    return rows


def reply_texts(session: Session, key_prefix: str) -> list[str]:
    """The text of the replies keyed `<key_prefix>:<n>`, in order: what a task already processed answered."""
    pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"
    rows = session.execute(select(Outbox.content).where(Outbox.reply_key.like(pattern, escape="\\"))
                           .order_by(Outbox.id)).scalars()
    return [row for row in rows if row]


def unpublished(session: Session, older_than_s: float, limit: int = 500) -> list[Outbox]:
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    statement = (
        select(Outbox).where(Outbox.published_at.is_(None), Outbox.created_at <= cutoff)
        .order_by(Outbox.id).limit(limit)
    )
    return list(session.execute(statement).scalars())


def mark_published(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(update(Outbox).where(Outbox.id.in_(ids)).values(published_at=func.now()))


def prune_published(session: Session, older_than: timedelta) -> int:
    cutoff = datetime.now(UTC) - older_than
    result = session.execute(delete(Outbox).where(Outbox.published_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
