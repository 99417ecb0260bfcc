"""The ledger: one row per movement of items or coins into or out of a character's hands (coins as the coin's
name, or as copper pieces, item "cp", when an exchange makes change), so conservation can be checked. Every
movement is written here, by :func:`record` (or :func:`record_change`, which works out what moved with
`dnd.inventory.movements_between`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.characters import StoredCharacter
from db.models import Ledger
from dnd.character import Character
from dnd.inventory import Movement, movements_between

# One prebuilt multi-row INSERT, not ORM objects flushed at commit (every economy command writes ledger rows).
_INSERT = insert(Ledger.__table__)


def record(session: Session, campaign_id: int, character_id: int | None, counterparty: str, reason: str,
           movements: Iterable[Movement], *, mirror: bool = False) -> None:
    """A row per movement for the character; with `mirror`, also the other side's opposite row, for a
    counterparty that is not a character (a shop, the ground)."""
    rows = []
    for item, delta in movements:
        rows.append({"campaign_id": campaign_id, "character_id": character_id, "counterparty": counterparty,
                     "item": item, "quantity_delta": delta, "reason": reason})
        if mirror:
            rows.append({"campaign_id": campaign_id, "character_id": None,
                         "counterparty": f"character:{character_id}", "item": item, "quantity_delta": -delta,
                         "reason": f"{reason} ({counterparty})"})
    if rows:
        session.execute(_INSERT, rows)


def record_change(session: Session, stored: StoredCharacter, before: Character, after: Character,
                  counterparty: str, reason: str, *, mirror: bool = False) -> None:
    """The rows for every item and coin that moved between two versions of a character's sheet."""
    record(session, stored.campaign_id, stored.id, counterparty, reason, movements_between(before, after),
           mirror=mirror)
