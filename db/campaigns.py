"""Campaigns: the repository over `campaigns` and the active campaign (the `bot_state` key "active_campaign").

Every command plays in the active campaign; when none is active, the default campaign "Open Table" is created
and activated (:func:`ensure_active_campaign`).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db import bot_state
from db.models import BotState, Campaign

DEFAULT_CAMPAIGN_NAME = "Open Table"
DEFAULT_CAMPAIGN_DESCRIPTION = "The default table: characters made before any campaign was loaded play here."
ACTIVE_CAMPAIGN_KEY = "active_campaign"


# One round trip (every command asks): the campaign the bot state names, if it still exists.
ACTIVE_CAMPAIGN = (select(Campaign.id).join(BotState, Campaign.id == BotState.value["campaign_id"].as_integer())
                   .where(BotState.key == ACTIVE_CAMPAIGN_KEY))


def active_campaign_id(session: Session) -> int | None:
    return session.execute(ACTIVE_CAMPAIGN).scalar_one_or_none()


def active_campaign(session: Session) -> Campaign | None:
    campaign_id = active_campaign_id(session)
    return session.get(Campaign, campaign_id) if campaign_id is not None else None


def ensure_active_campaign(session: Session) -> int:
    """The active campaign's id; when none is active, the default campaign "Open Table" (created if missing)
    becomes the active one."""
    current = active_campaign_id(session)
    if current is not None:
        return current
    session.execute(insert(Campaign).values(name=DEFAULT_CAMPAIGN_NAME, description=DEFAULT_CAMPAIGN_DESCRIPTION,
                                            current_act=1, current_scene=1, plot_flags={}, plot_structure={})
                    .on_conflict_do_nothing(index_elements=["name"]))
    campaign_id = session.execute(select(Campaign.id).where(Campaign.name == DEFAULT_CAMPAIGN_NAME)).scalar_one()
    # Another process may have activated a campaign meanwhile: theirs wins.
    session.execute(insert(BotState).values(key=ACTIVE_CAMPAIGN_KEY, value={"campaign_id": campaign_id})
                    .on_conflict_do_nothing(index_elements=["key"]))
    state = session.get(BotState, ACTIVE_CAMPAIGN_KEY, populate_existing=True)
    if state is not None and "campaign_id" not in (state.value or {}):
        state.value = {"campaign_id": campaign_id}
    return active_campaign_id(session) or campaign_id


def campaign_name(session: Session, campaign_id: int) -> str:
    campaign = session.get(Campaign, campaign_id)
    return campaign.name if campaign is not None else f"campaign {campaign_id}"


def set_active(session: Session, campaign_id: int) -> None:
    """Make the campaign the active one (`!load_campaign`)."""
    bot_state.set_value(session, ACTIVE_CAMPAIGN_KEY, {"campaign_id": campaign_id})


def campaign_for_update(session: Session, campaign_id: int) -> Campaign | None:
    """The campaign's row, locked until the transaction ends (the owner's plot commands change it)."""
    return session.get(Campaign, campaign_id, with_for_update=True)


def find_campaign(session: Session, wanted: str) -> Campaign | None:
    """A campaign by its name (any case) or its file's slug (`the-sunken-lantern`)."""
    cleaned = wanted.strip()
    if not cleaned:
        return None
    return session.execute(
        select(Campaign).where(or_(func.lower(Campaign.name) == cleaned.lower(),
                                   Campaign.source_file == f"{cleaned.lower()}.md"))
        .order_by(Campaign.id).limit(1)).scalar_one_or_none()


def campaign_names(session: Session, campaign_ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
    return {row.id: row.name for row in rows}
