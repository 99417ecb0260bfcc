"""Moves committed outbox rows onto the `replies` stream (the gateway posts them and acks), and writes the
replies of work that is not a command (a job's progress, a dead letter, a sweep) the same way."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from db.engine import Session, run_in_transaction
from db.outbox import OutboxRow, Reply, add_replies
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


# A reply and the key prefix that makes writing it idempotent (its outbox key is `<prefix>:0`).
KeyedReply = tuple[str, Reply]


def reply_in_transaction(work: Callable[[Session], Iterable[KeyedReply]]) -> list[OutboxRow]:
    """Replies outside a command: run `work` in one transaction (retried on a deadlock), write the replies it
    returns to the outbox in that transaction, and put them on the stream once it has committed."""
    def write(session: Session) -> list[OutboxRow]:
        return [row for key_prefix, reply in work(session) for row in add_replies(session, key_prefix, [reply])]

    rows = run_in_transaction(write)
    publish(rows)
    return rows


def send_reply(key_prefix: str, reply: Reply) -> None:
    """One reply outside a command, in a transaction of its own."""
    reply_in_transaction(lambda session: [(key_prefix, reply)])
