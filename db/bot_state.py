"""Small global settings: the repository over `bot_state` (a JSON value per key: the active campaign, a forced
API fallback)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import BotState

FORCE_API_KEY = "force_api"


def get_value(session: Session, key: str) -> dict[str, Any] | None:
    state = session.get(BotState, key)
    return dict(state.value) if state is not None else None


def set_value(session: Session, key: str, value: dict[str, Any]) -> None:
    """Insert or replace the key's value."""
    session.execute(insert(BotState).values(key=key, value=value)
                    .on_conflict_do_update(index_elements=["key"], set_={"value": value}))
