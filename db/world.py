"""The world around the table: the repository over `world_state` (one row per campaign: where the party stands,
the events that happened, the items lying on the ground, the weather)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import Location, WorldState

DEFAULT_LOCATION = "Town Square"

# Get-or-create without a race: the INSERT … ON CONFLICT DO NOTHING lets two commands that find no row both go
# on, and both then lock the one row (a check-then-add would have the second commit fail on the primary key).
_CREATE = (insert(WorldState).values(campaign_id=bindparam("campaign_id"), location=DEFAULT_LOCATION, events=[],
                                     dropped_items={}, weather={})
           .on_conflict_do_nothing(index_elements=["campaign_id"]))
_FOR_UPDATE = (select(WorldState).where(WorldState.campaign_id == bindparam("campaign_id")).with_for_update()
               .execution_options(populate_existing=True))


def world_for_update(session: Session, campaign_id: int) -> WorldState:
    """The campaign's world state (created at the default location when missing), locked until the transaction
    ends."""
    session.execute(_CREATE, {"campaign_id": campaign_id})
    world = session.execute(_FOR_UPDATE, {"campaign_id": campaign_id}).scalar_one()
    if not world.location:
        world.location = DEFAULT_LOCATION
    return world


def location_of(session: Session, campaign_id: int) -> str | None:
    """Where the campaign's party stands, as stored (None before anything set it), for reading."""
    world = session.get(WorldState, campaign_id)
    return world.location if world is not None else None


def current_location(session: Session, campaign_id: int) -> str:
    """Where the campaign's party stands (the default location until something moved it), for reading."""
    return location_of(session, campaign_id) or DEFAULT_LOCATION


def location_description(session: Session, campaign_id: int, name: str) -> str:
    """The campaign file's description of the location called `name` (any case); "" when it has none."""
    if not name.strip():
        return ""
    found = session.execute(select(Location.description).where(
        Location.campaign_id == campaign_id, func.lower(Location.name) == name.strip().lower())).scalar()
    return found or ""
