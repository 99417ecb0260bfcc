"""Shops: the repository over `shops` (the party's location is `db.world`'s).

A shop's row keeps its stock as the list of the engine's :class:`dnd.shops.StockEntry` (JSON) and its price
modifier; the kind of place is read from the location's name (a "Harbour" is an urban port, a "Village" a
frontier village, anything else a town). Rows are locked with `SELECT … FOR UPDATE` before they change: a
character first, then the shop.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db import compendium
from db.models import Character as CharacterRow
from db.models import Shop
from dnd.shops import (
    ShopStock,
    StockEntry,
    built_in_magic_items,
    catalogue_items,
    generate_stock,
    item_from_srd,
    location_kind,
    profile_for,
    restock,
)


def party_tier(session: Session, campaign_id: int) -> int:
    level = session.execute(select(func.max(CharacterRow.level)).where(CharacterRow.campaign_id == campaign_id)
                            ).scalar_one_or_none() or 1
    return 1 if level <= 4 else 2 if level <= 10 else 3 if level <= 16 else 4


def _catalogue(session: Session, kind: str) -> list[dict[str, Any]]:
    items = []
    for entry in compendium.entries(session, kind):
        try:
            items.append(item_from_srd(entry))
        except (KeyError, TypeError, ValueError):
            continue
    return items


def stock_source(session: Session) -> str:
    """Where new stock comes from: "SRD import" once equipment is imported, else "built-in"."""
    return compendium.SRD_IMPORT if compendium.count(session, "equipment") else compendium.BUILT_IN


def stock_of(row: Shop) -> ShopStock:
    profile = profile_for(location_kind(row.location))
    return ShopStock(location_kind=profile.name, tier=1, price_modifier=row.price_modifier,
                     entries=[StockEntry.model_validate(e) for e in row.items or []])


def store(row: Shop, stock: ShopStock) -> None:
    row.items = [entry.model_dump(mode="json") for entry in stock.entries]


def find_shop(session: Session, campaign_id: int, location: str) -> Shop | None:
    """The shop at a location, read without a lock (None before anyone looked at it)."""
    return session.execute(select(Shop).where(Shop.campaign_id == campaign_id, Shop.location == location)
                           ).scalar_one_or_none()


def shop_for_update(session: Session, campaign_id: int, location: str) -> Shop | None:
    return session.execute(select(Shop).where(Shop.campaign_id == campaign_id, Shop.location == location)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()


def ensure_shop(session: Session, campaign_id: int, location: str, rng: random.Random | None = None) -> Shop:
    """The shop of a location, locked; on first look its stock is generated for the kind of place and the party's
    tier from the imported SRD equipment and magic items, or the built-in ones while none are imported."""
    row = shop_for_update(session, campaign_id, location)
    if row is not None:
        return row
    equipment, magic = _catalogue(session, "equipment"), _catalogue(session, "magic_item")
    stock = generate_stock(location_kind(location), party_tier(session, campaign_id),
                           equipment or catalogue_items(), magic or built_in_magic_items(), rng)
    items = [entry.model_dump(mode="json") for entry in stock.entries]
    session.execute(insert(Shop).values(campaign_id=campaign_id, location=location, items=items, price_modifier=1.0,
                                        restocked_at=datetime.utcnow())
                    .on_conflict_do_nothing(constraint="one_shop_per_location"))
    row = shop_for_update(session, campaign_id, location)
    assert row is not None
    return row


def restock_shop(session: Session, campaign_id: int, location: str, rng: random.Random | None = None) -> int:
    """Time has passed since the last restock: sold-out units come back (whole days only). Returns the days."""
    row = shop_for_update(session, campaign_id, location)
    if row is None:
        return 0
    now = datetime.utcnow()
    days = (now - row.restocked_at).days if row.restocked_at is not None else 1
    if days <= 0:
        return 0
    store(row, restock(stock_of(row), days, rng))
    row.restocked_at = now
    return days


def restock_due(row: Shop) -> bool:
    return row.restocked_at is None or (datetime.utcnow() - row.restocked_at).days >= 1
