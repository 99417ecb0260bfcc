"""Read-only look-ups in the imported SRD compendium (`rules` rows: type 'monster', 'equipment', 'magic_item'…)."""

from __future__ import annotations

import difflib
import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Rule


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def find(session: Session, kind: str, name: str) -> Rule | None:
    """The entry of `kind` named `name` (case-insensitive), or whose index key is its slug."""
    key = " ".join(name.split())
    return session.execute(select(Rule).where(Rule.type == kind, or_(func.lower(Rule.name) == key.casefold(),
                                                                     Rule.index_key == _slug(key)))
                           .order_by(Rule.id).limit(1)).scalar_one_or_none()


def names(session: Session, kind: str) -> list[str]:
    """The names of every entry of `kind`, in import order."""
    return list(session.execute(select(Rule.name).where(Rule.type == kind).order_by(Rule.id)).scalars())


def suggestions(session: Session, kind: str, name: str, n: int = 3) -> list[str]:
    names_ = names(session, kind)
    by_key = {candidate.casefold(): candidate for candidate in names_}
    close = difflib.get_close_matches(name.casefold(), list(by_key), n=n, cutoff=0.5)
    return [by_key[c] for c in close]


def entries(session: Session, kind: str) -> list[dict[str, Any]]:
    """Every entry of `kind`, as the 5e-database JSON it was imported from."""
    return [dict(d) for d in session.execute(select(Rule.details).where(Rule.type == kind).order_by(Rule.id))
            .scalars()]


def count(session: Session, kind: str) -> int:
    return int(session.execute(select(func.count()).select_from(Rule).where(Rule.type == kind)).scalar_one())
