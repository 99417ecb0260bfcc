"""Moves committed outbox rows onto the `replies` stream (the gateway posts them and acks)."""

from __future__ import annotations

import json

from db.outbox import OutboxRow, Reply
from keys import REPLIES_MAXLEN, REPLIES_STREAM, published_outbox
from tasks.redis_client import get_redis


def stream_fields(row: OutboxRow | Reply, reply_key: str | None = None) -> dict[str, str]:
    return {
        "reply_key": reply_key or row.reply_key,  # type: ignore[union-attr]
        "channel_id": "" if row.channel_id is None else str(row.channel_id),
        "dm_user_id": "" if row.dm_user_id is None else str(row.dm_user_id),
        "content": row.content,
        "embeds": json.dumps(row.embeds),
        "reply_to": row.reply_to or "",
        "edit_key": row.edit_key or "",
        "meta": json.dumps(row.meta),
    }


def publish(rows: list[OutboxRow]) -> None:
    """XADD after the commit. A crash before the XADD is repaired by the sweeper, which re-publishes rows
    not marked published (the gateway skips reply keys it already posted, so a second copy is harmless)."""
    if not rows:
        return
    pipe = get_redis().pipeline(transaction=False)
    for row in rows:
        pipe.xadd(REPLIES_STREAM, stream_fields(row), maxlen=REPLIES_MAXLEN, approximate=True)
    pipe.sadd(published_outbox(), *[row.id for row in rows])
    pipe.execute()


def publish_notice(reply_key: str, reply: Reply) -> None:
    """A reply straight onto the stream, with no outbox row: for telling a user that the database can't take
    writes (its disk is full, it is unreachable). The gateway posts a reply key once, so a repeat is harmless."""
    get_redis().xadd(REPLIES_STREAM, stream_fields(reply, reply_key), maxlen=REPLIES_MAXLEN, approximate=True)
