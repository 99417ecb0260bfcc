"""What the model's turn reads and writes (`tasks.model_updates`): the state its proposed updates are checked
against, the changes the rules allowed, and an `audit_log` row for every applied and every dropped update
(actor `model:<provider>`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db import audit
from db import combat as combats
from db.models import Campaign, Npc


def in_combat(session: Session, channel_id: int | None, campaign_id: int | None, player_id: int) -> bool:
    """A combat in the turn's channel, or one anywhere in the campaign with this player in it."""
    if channel_id is not None and combats.active(session, channel_id) is not None:
        return True
    rows = combats.active_in_campaign(session, campaign_id, lock=False) if campaign_id else []
    return any(str(entry.get("player_id")) == str(player_id) for row in rows for entry in row.initiative or [])


def npc_for_update(session: Session, campaign_id: int, name: str) -> Npc | None:
    return session.execute(select(Npc).where(Npc.campaign_id == campaign_id, func.lower(Npc.name) == name.lower())
                           .with_for_update()).scalar_one_or_none()


def set_plot_flag(campaign: Campaign, name: str, value: Any) -> None:
    campaign.plot_flags = {**(campaign.plot_flags or {}), name: value}


def move_scene(campaign: Campaign, act: int, scene: int) -> None:
    campaign.current_act, campaign.current_scene = act, scene


def set_npc_attitude(session: Session, campaign_id: int, npc: Npc | None, name: str, attitude: str) -> None:
    """`npc` as `npc_for_update` found it; None: someone the narrator introduced, remembered from now on."""
    if npc is not None:
        npc.attitude = attitude
        return
    session.execute(insert(Npc).values(campaign_id=campaign_id, name=name, attitude=attitude, personality="",
                                       stats={"introduced_by": "narrator"})
                    .on_conflict_do_nothing(constraint="npc_name_per_campaign"))


def record_applied(session: Session, provider: str, campaign_id: int | None, target: str | None,
                   proposed: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> None:
    audit.record(session, f"model:{provider}", "update applied", target=target, campaign_id=campaign_id,
                 before={"proposed": proposed, **before}, after=after)


def record_dropped(session: Session, provider: str, campaign_id: int | None, channel: str,
                   dropped: list[dict[str, Any]]) -> None:
    """The model proposed something the allow-list or the game state refuses: never applied, always on record."""
    for entry in dropped:
        audit.record(session, f"model:{provider}", "update dropped", target=channel, campaign_id=campaign_id,
                     before={"proposed": entry.get("raw")}, after={"reason": entry.get("reason")})
