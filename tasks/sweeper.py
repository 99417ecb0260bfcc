"""Repairs what a crash can leave behind: replies committed but never put on the stream, turns whose
stage stopped moving, pending messages that no flush picked up, and combat gates out of step with the database;
and ends what time ends: trade offers nobody answered, and a session after a quiet hour (its journal summary)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import keys
from corpus import journal, journal_index
from db.campaigns import campaign_for_update
from db.engine import run_in_transaction, transaction
from db.journal import campaign_ids
from db.outbox import mark_published, prune_published, unpublished
from settings import get_settings
from tasks import session_summary
from tasks.follow_ups import send_follow_ups
from tasks.handlers.combat_support import IdleTurn, idle_turns, pass_idle_turn, restore_gates
from tasks.handlers.dispatch import execute_in_context
from tasks.handlers.economy import expire_stale_trades
from tasks.handlers.registry import CommandContext
from tasks.publish import publish, reply_in_transaction
from tasks.redis_client import get_redis

OUTBOX_GRACE_S = 5.0
OUTBOX_RETENTION = timedelta(days=7)


def republish_outbox() -> int:
    """Records the ids `publish` put on the stream, then re-publishes committed rows that never got there."""
    client = get_redis()
    published = [int(row_id) for row_id in client.spop(keys.published_outbox(), 10_000) or []]
    with transaction() as session:
        mark_published(session, published)
        rows = unpublished(session, OUTBOX_GRACE_S)
        prune_published(session, OUTBOX_RETENTION)
    publish(rows)
    return len(rows)


def stale_turns(stale_after_s: float) -> list[tuple[str, str]]:
    """(channel, turn id) of turns whose stage has not moved for `stale_after_s`."""
    client = get_redis()
    found = []
    now = time.time()
    for channel in client.smembers(keys.turns_in_flight()):
        record = client.hgetall(keys.turn(channel))
        if not record:
            client.srem(keys.turns_in_flight(), channel)
            continue
        if now - float(record.get("updated_at", 0)) > stale_after_s:
            found.append((channel, record["turn_id"]))
    return found


def orphaned_pending(older_than_s: float) -> list[str]:
    """Channels with pending messages, no turn in flight, and a first message older than the window."""
    client = get_redis()
    channels = []
    now = time.time()
    for channel in client.smembers(keys.pending_channels()):
        first = client.lindex(keys.pending(channel), 0)
        if first is None:
            client.srem(keys.pending_channels(), channel)
            continue
        if client.exists(keys.turn(channel)):
            continue
        message: dict[str, Any] = json.loads(first)
        if now - float(message.get("received_at", now)) > older_than_s:
            channels.append(channel)
    return channels


def expire_trades() -> int:
    """Marks unanswered trade offers expired and tells their channel, in one transaction."""
    return len(reply_in_transaction(lambda session: [
        (f"trade-expired:{reply.meta['trade_id']}", reply) for reply in expire_stale_trades(session)]))


def repair_combat_gates() -> int:
    with transaction() as session:
        return restore_gates(session)


def pass_idle_turns() -> int:
    """Turns a player left waiting past COMBAT_TURN_TIMEOUT_S pass (once each: keyed by the fight and its turn)."""
    settings = get_settings()
    passed = 0
    for idle in idle_turns(settings.combat_turn_timeout_s):
        key = f"idle:{idle.combat_id}:{idle.seq}"
        event = {"channel_id": idle.channel_id, "author_id": settings.owner_id, "message_id": key, "content": ""}

        def body(ctx: CommandContext, idle: IdleTurn = idle) -> None:
            pass_idle_turn(ctx, idle)

        outcome = execute_in_context(event, key, "combat.idle_turn", body)
        send_follow_ups(outcome.follow_ups)
        passed += bool(outcome.replies)
    return passed


def close_quiet_sessions() -> int:
    """A campaign whose table has been quiet for JOURNAL_QUIET_S (an hour) gets its session summary."""
    quiet = timedelta(seconds=float(os.environ.get("JOURNAL_QUIET_S", "3600")))
    closed = 0
    with transaction() as session:
        every = campaign_ids(session)
    for campaign_id in every:
        def work(session: Any, campaign_id: int = campaign_id) -> journal.ClosedSession | None:
            campaign = campaign_for_update(session, campaign_id)
            return None if campaign is None else journal.close_session(session, campaign, quiet_for=quiet,
                                                                       now=datetime.now(UTC))

        done = run_in_transaction(work)
        if done is not None:
            send_follow_ups([session_summary.follow_up(done)])
            closed += 1
    return closed


def index_journals() -> int:
    """New, edited and struck journal entries into (or out of) their campaign's vector index."""
    with transaction() as session:
        every = campaign_ids(session)
    return sum(run_in_transaction(lambda session, campaign_id=campaign_id: journal_index.sync(session, campaign_id))
               for campaign_id in every)
