"""What the gateway moves: a player's message in, a reply out (plain data, transport-neutral)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# A file attached to a command that reads one (a character sheet for `!import_character`): read by the gateway
# up to this size and carried in the message; a larger one is described (name, size) but not read, so the
# command can say why it refused it. Other attachments (images, maps) are never downloaded.
ATTACHMENT_MAX_BYTES = 1024 * 1024
ATTACHMENT_COMMANDS = frozenset({"!import_character"})
MAX_ATTACHMENTS = 3


def reads_attachments(content: str) -> bool:
    head = content.lstrip().split(maxsplit=1)
    return bool(head) and head[0].casefold() in ATTACHMENT_COMMANDS


def attachment_entry(filename: str, size: int, content_type: str | None, data: bytes | None) -> dict[str, Any]:
    """What a command sees of one attached file: its name, size and type, and its text when it was read
    and is UTF-8 (``text`` is absent for a file too large to read or not text)."""
    entry: dict[str, Any] = {"filename": filename[:200], "size": size, "content_type": content_type or ""}
    if data is not None and len(data) <= ATTACHMENT_MAX_BYTES:
        try:
            entry["text"] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            entry["binary"] = True
    return entry


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
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def as_event(self) -> dict[str, Any]:
        event = asdict(self)
        if not event["attachments"]:
            del event["attachments"]  # the usual case: keep the queued event as it always was
        return event


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
