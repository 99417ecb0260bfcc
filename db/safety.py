"""The repository over `safety_topics`: the table's lines and veils."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db import bot_state
from db.models import SafetyTopic


def topics(session: Session) -> dict[str, list[str]]:
    """{"line": [...], "veil": [...]}, each in the order they were set."""
    found: dict[str, list[str]] = {"line": [], "veil": []}
    for kind, topic in session.execute(select(SafetyTopic.kind, SafetyTopic.topic).order_by(SafetyTopic.id)):
        found[kind].append(topic)
    return found


def add(session: Session, kind: str, topic: str) -> bool:
    """False when it was there already."""
    added = session.execute(insert(SafetyTopic).values(kind=kind, topic=topic)
                            .on_conflict_do_nothing(constraint="safety_topic_once"))
    return bool(added.rowcount)


def remove(session: Session, kind: str, topic: str) -> bool:
    """False when there was no such topic."""
    removed = session.execute(delete(SafetyTopic).where(SafetyTopic.kind == kind, SafetyTopic.topic == topic))
    return bool(removed.rowcount)


# Whether the owner is told who used the X-card (their choice, off by default); a bot_state key.
XCARD_REVEAL_KEY = "xcard_reveal"


def xcard_reveal(session: Session) -> bool:
    return bool((bot_state.get_value(session, XCARD_REVEAL_KEY) or {}).get("enabled"))


def set_xcard_reveal(session: Session, enabled: bool) -> None:
    bot_state.set_value(session, XCARD_REVEAL_KEY, {"enabled": enabled})
