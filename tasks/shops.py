"""Queue `shops`: generating a location's shop stock and restocking it as time passes (off the command path)."""

from __future__ import annotations

from sqlalchemy.orm import Session

import keys
from db import shops
from db.engine import run_in_transaction
from tasks.app import app
from tasks.base import DndTask


@app.task(name=keys.GENERATE_SHOP_TASK, base=DndTask, ignore_result=True)
def generate(campaign_id: int, location: str) -> None:
    """Make sure the location has a shop (its stock generated from the imported SRD on first call)."""

    def work(session: Session) -> None:
        shops.ensure_shop(session, campaign_id, location)

    run_in_transaction(work)


@app.task(name=keys.RESTOCK_SHOP_TASK, base=DndTask, ignore_result=True)
def restock(campaign_id: int, location: str) -> int:
    """Bring back sold-out stock for the days since the last restock."""

    def work(session: Session) -> int:
        return shops.restock_shop(session, campaign_id, location)

    return run_in_transaction(work)
