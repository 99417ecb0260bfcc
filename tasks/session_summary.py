"""A session's summary written by the model. The record's summary is stored first, when the session closes
(`!end_session`, a quiet hour), so nothing waits on the model; then the model is asked on the GPU queue (the
request rides in the turns' batch) and its answer, once checked, takes the record's place: once, whoever
retries. On any failure the record's summary stays: the model down or slow (the offline narrator's answer is
not even sent here), or an answer that is not plain text, too long, has a number the session never had or a
name neither the session nor the journal ever had (`corpus.journal.invented_names`), or names one of the table's
lines."""

from __future__ import annotations

import logging
from typing import Any

import keys
from corpus.journal import ClosedSession, accept_model_summary
from db import audit, journal, safety
from db.engine import Session
from db.outbox import Reply, reply_target
from tasks.publish import KeyedReply, reply_in_transaction
from tasks.safety_check import crossed

log = logging.getLogger(__name__)


def follow_up(closed: ClosedSession, event: dict[str, Any] | None = None) -> tuple[str, tuple[Any, ...]]:
    """The GPU task that asks the model for the summary (sent after the commit); with `event`, the summary the
    model wrote is posted where the event came from."""
    return keys.GENERATE_TURN_TASK, ({"summary": closed.model_request, "event": event},)


def store(request: dict[str, Any], result: dict[str, Any]) -> bool:
    """The model's summary in place of the record's; False when the record's stays."""
    summary = request["summary"]
    provider = str(result.get("provider"))
    text = accept_model_summary(str(result.get("narration") or ""), summary)
    if text is None:
        log.info("session summary %s: the record's summary stays (%s answered: %.80r)", summary["entry_id"],
                 provider, result.get("narration"))
        return False
    entry_id, campaign_id = int(summary["entry_id"]), int(summary["campaign_id"])
    stored: list[bool] = []

    def work(session: Session) -> list[KeyedReply]:
        stored.clear()
        lines = safety.topics(session)["line"]
        if crossed(text, lines) or not journal.replace_summary(session, campaign_id, entry_id,
                                                                expected=str(summary["record_text"]), text=text):
            return []
        stored.append(True)
        audit.record(session, f"model:{provider}", "session summary written", target=f"journal:{entry_id}",
                     campaign_id=campaign_id, before={"text": summary["record_text"]}, after={"text": text})
        event = request.get("event")
        if not event:
            return []
        return [(f"summary:{entry_id}", Reply(content=f"📖 Session {summary['session']}, as the chronicler tells "
                                                      f"it:\n{text}", **reply_target(event)))]

    reply_in_transaction(work)
    return bool(stored)
