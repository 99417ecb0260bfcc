"""The campaign journal (`journal_entries`): notes taken as the game is played, a summary per session, and the
full-text search that puts the relevant ones in front of the narrator and the players."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db.models import Campaign, JournalEntry, Ledger, MessageHistory, Npc


@dataclass(frozen=True)
class Entry:
    id: int
    session_number: int
    kind: str
    subject: str
    text: str
    created_at: datetime

    def line(self) -> str:
        about = f" — {self.subject}" if self.subject and self.kind != "summary" else ""
        return f"[{self.kind}{about}, session {self.session_number}] {self.text}"


def _entry(row: JournalEntry) -> Entry:
    return Entry(row.id, row.session_number, row.kind, row.subject, row.text, row.created_at)


def _live(campaign_id: int) -> list[object]:
    return [JournalEntry.campaign_id == campaign_id, JournalEntry.struck.is_(False)]


def _last_summary(session: Session, campaign_id: int) -> JournalEntry | None:
    return session.execute(select(JournalEntry).where(JournalEntry.campaign_id == campaign_id,
                                                      JournalEntry.kind == "summary")
                           .order_by(JournalEntry.id.desc()).limit(1)).scalar_one_or_none()


def current_session_number(session: Session, campaign_id: int) -> int:
    """Sessions are numbered from 1; a summary closes one."""
    done = session.execute(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.campaign_id == campaign_id, JournalEntry.kind == "summary")).scalar_one()
    return int(done) + 1


def session_ends(session: Session, campaign_id: int) -> list[int]:
    """The last message-history id of each session played to its end (its summary's), oldest first: session n
    holds the messages after the (n-1)th id up to the nth; the session in play, those after the last."""
    rows = session.execute(select(JournalEntry.until_history_id).where(
        JournalEntry.campaign_id == campaign_id, JournalEntry.kind == "summary").order_by(JournalEntry.id))
    return [until or 0 for until in rows.scalars()]


def add_notes(session: Session, campaign_id: int, notes: Iterable[tuple[str, str, str]]) -> int:
    """Store new (kind, subject, text) notes; one already in this session's journal is not written twice."""
    number = current_session_number(session, campaign_id)
    added = 0
    for kind, subject, text in notes:
        exists = session.execute(select(JournalEntry.id).where(
            JournalEntry.campaign_id == campaign_id, JournalEntry.session_number == number,
            JournalEntry.kind == kind, JournalEntry.subject == subject, JournalEntry.text == text).limit(1)).first()
        if exists is None:
            session.add(JournalEntry(campaign_id=campaign_id, session_number=number, kind=kind, subject=subject,
                                     text=text, struck=False))
            added += 1
    session.flush()
    return added


def npc_names(session: Session, campaign_id: int) -> list[str]:
    return list(session.execute(select(Npc.name).where(Npc.campaign_id == campaign_id)).scalars())


def subjects(session: Session, campaign_id: int, kind: str, *, session_number: int | None = None) -> list[str]:
    """The subjects of one kind of note, oldest first (of one session, or all)."""
    query = select(JournalEntry.subject).where(*_live(campaign_id), JournalEntry.kind == kind)
    if session_number is not None:
        query = query.where(JournalEntry.session_number == session_number)
    return list(session.execute(query.order_by(JournalEntry.id)).scalars())


def relevant(session: Session, campaign_id: int, terms: list[str], limit: int = 6) -> list[Entry]:
    """The live notes matching the most of `terms` (full-text rank), best first."""
    words = [t for t in terms if t and "'" not in t and "\\" not in t]
    if not words:
        return []
    query = func.to_tsquery("english", " | ".join(f"'{t}'" for t in words))
    rank = func.ts_rank(JournalEntry.search, query)
    rows = session.execute(select(JournalEntry).where(*_live(campaign_id), JournalEntry.kind != "summary",
                                                      JournalEntry.search.op("@@")(query))
                           .order_by(rank.desc(), JournalEntry.id.desc()).limit(limit)).scalars()
    return [_entry(row) for row in rows]


def live_entries(session: Session, campaign_id: int, ids: Iterable[int] | None = None) -> list[Entry]:
    """The campaign's live entries (summaries and notes), oldest first; or those of `ids`."""
    query = select(JournalEntry).where(*_live(campaign_id))
    if ids is not None:
        query = query.where(JournalEntry.id.in_(list(ids)))
    return [_entry(row) for row in session.execute(query.order_by(JournalEntry.id)).scalars()]


def last_summary(session: Session, campaign_id: int) -> Entry | None:
    row = _last_summary(session, campaign_id)
    return _entry(row) if row is not None and not row.struck else None


def summaries(session: Session, campaign_id: int, *, last_only: bool) -> list[Entry]:
    query = (select(JournalEntry).where(*_live(campaign_id), JournalEntry.kind == "summary")
             .order_by(JournalEntry.id.desc() if last_only else JournalEntry.id))
    return [_entry(row) for row in session.execute(query.limit(1) if last_only else query).scalars()]


def notes(session: Session, campaign_id: int, *, session_number: int | None = None,
          subject: str | None = None, limit: int = 15) -> list[Entry]:
    """Live notes (no summaries), newest first: of a session, or about a subject."""
    query = select(JournalEntry).where(*_live(campaign_id), JournalEntry.kind != "summary")
    if session_number is not None:
        query = query.where(JournalEntry.session_number == session_number)
    if subject:
        like = f"%{subject.replace('%', '').replace('_', '')}%"
        query = query.where(or_(JournalEntry.subject.ilike(like),
                                and_(JournalEntry.kind == "promise", JournalEntry.text.ilike(like))))
    return [_entry(row) for row in session.execute(query.order_by(JournalEntry.id.desc()).limit(limit)).scalars()]


def _snapshot(row: JournalEntry) -> dict[str, object]:
    return {"id": row.id, "kind": row.kind, "subject": row.subject, "text": row.text, "struck": row.struck}


def change_entry(session: Session, campaign_id: int, entry_id: int, *, text: str | None, by: int
                 ) -> tuple[dict[str, object], dict[str, object]] | None:
    """Rewrite an entry (`text`) or strike it out (`text` None); (before, after), or None when there is no such
    live entry."""
    row = session.execute(select(JournalEntry).where(JournalEntry.campaign_id == campaign_id,
                                                     JournalEntry.id == entry_id, JournalEntry.struck.is_(False))
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        return None
    before = _snapshot(row)
    if text is None:
        row.struck = True
    else:
        row.text = text
    row.edited_by = by
    session.flush()
    return before, _snapshot(row)


def npc_attitude(session: Session, campaign_id: int, name: str) -> tuple[str, str] | None:
    """(name as the campaign spells it, attitude) of a campaign NPC, by full or first name."""
    row = session.execute(select(Npc.name, Npc.attitude).where(
        Npc.campaign_id == campaign_id, or_(func.lower(Npc.name) == name.casefold(),
                                            func.lower(Npc.name).like(f"{name.casefold()} %")))
        .order_by(Npc.name).limit(1)).first()
    return (row.name, row.attitude) if row is not None else None


class Played(NamedTuple):
    id: int
    kind: str  # player | narration | event
    message: str
    timestamp: datetime
    player_id: int | None


def unsummarized_history(session: Session, campaign_id: int) -> list[Played]:
    """The messages played since the last summary, oldest first."""
    last = _last_summary(session, campaign_id)
    after = (last.until_history_id or 0) if last is not None else 0
    rows = session.execute(select(MessageHistory.id, MessageHistory.kind, MessageHistory.message,
                                  MessageHistory.timestamp, MessageHistory.player_id)
                           .where(MessageHistory.campaign_id == campaign_id, MessageHistory.id > after)
                           .order_by(MessageHistory.id))
    return [Played(row.id, row.kind, row.message, row.timestamp, row.player_id) for row in rows]


def items_gained(session: Session, campaign_id: int, since: datetime) -> list[tuple[str, int]]:
    """Items (not coins) that came to the campaign's characters since a moment, with their counts."""
    rows = session.execute(select(Ledger.item, func.sum(Ledger.quantity_delta)).where(
        Ledger.campaign_id == campaign_id, Ledger.character_id.is_not(None), Ledger.created_at >= since,
        Ledger.quantity_delta > 0, Ledger.item.not_in(("cp", "sp", "ep", "gp", "pp")),
        # what a character was made or brought with is not something the session gained
        Ledger.counterparty.not_in(("starting equipment", "starting wealth", "import")),
        Ledger.counterparty.not_like("campaign:%"))
        .group_by(Ledger.item).order_by(Ledger.item).limit(20))
    return [(item, int(n)) for item, n in rows]


def add_summary(session: Session, campaign_id: int, text: str, until_history_id: int) -> Entry:
    row = JournalEntry(campaign_id=campaign_id, session_number=current_session_number(session, campaign_id),
                       kind="summary", subject="", text=text, until_history_id=until_history_id, struck=False)
    session.add(row)
    session.flush()
    return _entry(row)


def replace_summary(session: Session, campaign_id: int, entry_id: int, *, expected: str, text: str) -> bool:
    """Put `text` in place of a summary that still reads `expected` (nobody edited or struck it, no earlier
    replacement): True when it did. Once only, whoever retries."""
    row = session.execute(select(JournalEntry).where(
        JournalEntry.campaign_id == campaign_id, JournalEntry.id == entry_id, JournalEntry.kind == "summary",
        JournalEntry.struck.is_(False), JournalEntry.edited_by.is_(None)).with_for_update()).scalar_one_or_none()
    if row is None or row.text != expected:
        return False
    row.text = text
    session.flush()
    return True


def campaign_ids(session: Session) -> list[int]:
    return list(session.execute(select(Campaign.id).order_by(Campaign.id)).scalars())
