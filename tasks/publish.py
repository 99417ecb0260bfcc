"""Moves committed outbox rows onto the `replies` stream (the gateway posts them and acks)."""

from __future__ import annotations

import json

from db.outbox import OutboxRow
from keys import REPLIES_MAXLEN, REPLIES_STREAM, published_outbox
from tasks.redis_client import get_redis


def stream_fields(row: OutboxRow) -> dict[str, str]:
    return {
        "reply_key": row.reply_key,
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
