"""Read-only look-ups in the imported SRD compendium (`rules` rows: type 'monster', 'equipment', 'magic_item'…),
and beside it the engine's own built-in data (`dnd.data`), which the import extends and overrides."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Rule
from dnd.data import bestiary
from dnd.data.equipment import ITEMS
from dnd.data.spells import SPELLS
from dnd.spellcasting import SpellCatalog, catalog_from_srd


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


# --------------------------------------------------------------------------- the built-in compendium beside it

BUILT_IN = "built-in"
SRD_IMPORT = "SRD import"


@dataclass(frozen=True)
class Found:
    """A named entry and where it came from: the imported SRD (`rules`) or the engine's own data."""

    name: str
    details: dict[str, Any]
    source: str


def monster(session: Session, name: str) -> Found | None:
    """A monster by name: the imported SRD's entry when there is one (it overrides), else the built-in bestiary's."""
    row = find(session, "monster", name)
    if row is not None and row.details:
        return Found(row.name, dict(row.details), SRD_IMPORT)
    creature = bestiary.find_creature(name)
    return Found(creature.name, bestiary.entry(creature.name), BUILT_IN) if creature is not None else None


def monsters(session: Session) -> tuple[list[dict[str, Any]], str]:
    """Every monster the game knows — the imported ones, then the built-in ones they don't replace — and which
    source they come from ("SRD import + built-in" once both are there)."""
    imported = entries(session, "monster")
    names = {str(m.get("index") or _slug(str(m.get("name", "")))) for m in imported}
    own = [m for m in bestiary.entries() if m["index"] not in names]
    source = BUILT_IN if not imported else f"{SRD_IMPORT} + {BUILT_IN}" if own else SRD_IMPORT
    return imported + own, source


def monster_suggestions(session: Session, name: str, n: int = 3) -> list[str]:
    names = {*session.execute(select(Rule.name).where(Rule.type == "monster")).scalars(), *bestiary.BESTIARY}
    by_key = {candidate.casefold(): candidate for candidate in names}
    return [by_key[c] for c in difflib.get_close_matches(name.casefold(), list(by_key), n=n, cutoff=0.5)]


def in_use(session: Session) -> str:
    """Which compendium answers, for the status table: the SRD import with its counts, or the built-in one."""
    counts = dict(session.execute(select(Rule.type, func.count()).group_by(Rule.type)).all())
    own = f"{len(bestiary.BESTIARY)} creatures, {len(SPELLS)} spells, {len(ITEMS)} items"
    if not counts:
        return f"{BUILT_IN} ({own}; `python scripts/import_srd.py` adds the SRD)"
    shown = ", ".join(f"{counts[k]} {k}s" for k in ("monster", "spell", "equipment", "magic_item") if k in counts)
    return f"{SRD_IMPORT} ({shown or f'{sum(counts.values())} entries'}) over the {BUILT_IN} one ({own})"
def spell_catalog(session: Session) -> SpellCatalog:
    """The spells the game knows: the imported compendium's (when imported), with the engine's own over them."""
    return catalog_from_srd(entries(session, "spell"))
