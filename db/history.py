"""The table's message history: the repository over `message_history` (what was said, and every roll)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db import journal
from db.models import MessageHistory

# `!roll` is the busiest command: its log line is one prebuilt INSERT, not an ORM object flushed at commit.
_LOG = insert(MessageHistory.__table__)
MAX_MESSAGE_CHARS = 2000
JOURNAL_NOTE_CHARS = 400


def log_roll(session: Session, text: str, campaign_id: int | None, channel_id: int | None, player_id: int) -> None:
    """A roll (kind "roll"), cut to MAX_MESSAGE_CHARS."""
    session.execute(_LOG, {"campaign_id": campaign_id, "channel_id": channel_id, "player_id": player_id,
                           "kind": "roll", "message": text[:MAX_MESSAGE_CHARS]})


def log_event(session: Session, text: str, campaign_id: int | None, channel_id: int | None) -> None:
    """A moment of the story the engine decided (kind "event": a fight's end, a death), which the narrator's
    history includes."""
    session.execute(_LOG, {"campaign_id": campaign_id, "channel_id": channel_id, "player_id": None,
                           "kind": "event", "message": text[:MAX_MESSAGE_CHARS]})
    if campaign_id is not None:  # and the campaign's journal keeps it (`!journal goblin`, the narrator's memory)
        journal.add_notes(session, campaign_id, [("note", "", " ".join(text.split())[:JOURNAL_NOTE_CHARS])])


def recent_players(session: Session, channel_id: int, minutes: int) -> set[int]:
    """The players who wrote in the channel in the last `minutes`."""
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    rows = session.execute(select(MessageHistory.player_id).where(
        MessageHistory.channel_id == channel_id, MessageHistory.player_id.is_not(None),
        MessageHistory.timestamp >= since).distinct()).scalars()
    return {int(player) for player in rows}
