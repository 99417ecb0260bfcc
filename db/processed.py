"""Idempotency: the repository over `processed_messages` (a message, turn or reaction key is processed once)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Text, like db.outbox.INSERT_REPLY: the dialect's INSERT … ON CONFLICT would be compiled on every call.
CLAIM = text("INSERT INTO processed_messages (message_key, task_name) VALUES (:message_key, :task_name) "
             "ON CONFLICT (message_key) DO NOTHING RETURNING message_key")


def claim(session: Session, key: str, task_name: str) -> bool:
    """Record that `key` is being processed in this transaction; False when it already was."""
    return session.execute(CLAIM, {"message_key": key, "task_name": task_name}).one_or_none() is not None
