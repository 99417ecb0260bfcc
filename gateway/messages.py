"""What the gateway moves: a player's message in, a reply out (plain data, transport-neutral)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str
    author_id: int
    author_name: str
    content: str
    channel_id: int | None = None
    dm_user_id: int | None = None
    is_bot: bool = False
    received_at: float = field(default_factory=time.time)

    def as_event(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OutgoingReply:
    """One entry of the `replies` stream."""

    reply_key: str
    content: str
    channel_id: int | None
    dm_user_id: int | None
    embeds: list[dict[str, Any]]
    reply_to: str | None
    edit_key: str | None
    meta: dict[str, Any]

    @classmethod
    def from_stream(cls, fields: dict[str, str]) -> OutgoingReply:
        def optional_int(name: str) -> int | None:
            value = fields.get(name, "")
            return int(value) if value else None

        return cls(
            reply_key=fields["reply_key"], content=fields.get("content", ""),
            channel_id=optional_int("channel_id"), dm_user_id=optional_int("dm_user_id"),
            embeds=json.loads(fields.get("embeds") or "[]"), reply_to=fields.get("reply_to") or None,
            edit_key=fields.get("edit_key") or None, meta=json.loads(fields.get("meta") or "{}"),
        )
