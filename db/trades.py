"""Trade offers between players: the repository over `trade_history`.

An offer is written `pending` when it is made; the receiver's ✅/❌ settles it once, with its row locked
(:func:`offer_for_update`), and an offer nobody answered within :data:`OFFER_TTL` expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from db.models import TradeHistory

OFFER_TTL = timedelta(minutes=3)

# Built once: trades are on the economy's hot path.
_TRADES = TradeHistory.__table__
_INSERT = insert(_TRADES).returning(_TRADES.c.id)
# The offer, locked, and whether it has expired by the database's clock (one round trip).
_FOR_UPDATE = (select(_TRADES, (func.now() - _TRADES.c.timestamp > OFFER_TTL).label("expired"))
               .where(_TRADES.c.id == bindparam("trade_id")).with_for_update())
_SET_STATUS = update(_TRADES).where(_TRADES.c.id == bindparam("trade_id"))

# A row of `trade_history` (its columns as attributes; from `offer_for_update` also `expired`).
TradeRow = Row[Any]


def offer(session: Session, campaign_id: int, sender_id: int, receiver_id: int, item: dict[str, Any]) -> int:
    """A pending offer; returns its id."""
    return int(session.execute(_INSERT, {"campaign_id": campaign_id, "sender_id": sender_id,
                                         "receiver_id": receiver_id, "status": "pending", "item": item}).scalar_one())


def offer_for_update(session: Session, trade_id: int) -> TradeRow | None:
    """The offer locked until the transaction ends, with `expired` (True past OFFER_TTL)."""
    return session.execute(_FOR_UPDATE, {"trade_id": trade_id}).one_or_none()


def set_status(session: Session, trade_id: int, status: str) -> None:
    session.execute(_SET_STATUS, {"trade_id": trade_id, "status": status})


def expire_stale(session: Session) -> list[TradeRow]:
    """Marks the pending offers older than OFFER_TTL expired; returns them (id, sender_id, receiver_id, item)."""
    return list(session.execute(
        update(TradeHistory).where(TradeHistory.status == "pending",
                                   TradeHistory.timestamp < func.now() - OFFER_TTL)
        .values(status="expired").returning(TradeHistory.id, TradeHistory.sender_id, TradeHistory.receiver_id,
                                            TradeHistory.item)).all())
