"""What a channel's narrative turn is told about its campaign, read in the turn's transaction: where the party
is, the NPCs who care, the recent history; and the plot hook it is given when the players drift."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import MessageHistory, Npc, PlotThread
from db.world import location_of


@dataclass(frozen=True)
class PromptContext:
    location: str | None
    # The NPCs whose attitude moved away from indifferent, for the narrator to honour.
    npc_attitudes: dict[str, str]
    # (kind, text), oldest first; rolls left out (their numbers were posted, the narration tells them).
    history: list[tuple[str, str]]


def load_prompt_context(session: Session, campaign_id: int, *, history_limit: int, npc_limit: int) -> PromptContext:
    attitudes = session.execute(select(Npc.name, Npc.attitude).where(Npc.campaign_id == campaign_id,
                                                                     Npc.attitude != "indifferent")
                                .order_by(Npc.name).limit(npc_limit))
    history = list(reversed(list(session.execute(
        select(MessageHistory.kind, MessageHistory.message)
        .where(MessageHistory.campaign_id == campaign_id, MessageHistory.kind != "roll")
        .order_by(MessageHistory.id.desc()).limit(history_limit)))))
    return PromptContext(location=location_of(session, campaign_id),
                         npc_attitudes={name: attitude for name, attitude in attitudes},
                         history=[(kind, message) for kind, message in history])


def use_plot_hook(session: Session, campaign_id: int, act: int, deviation: int, fallback: str | None) -> str | None:
    """The campaign's next unused hook, else a new one made of `fallback` (None: no hook); it is marked used,
    with the drift score that called for it."""
    thread = session.execute(
        select(PlotThread).where(PlotThread.campaign_id == campaign_id, PlotThread.used.is_(False))
        .order_by(PlotThread.plot_point, PlotThread.id).limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
    if thread is None:
        if fallback is None:
            return None
        thread = PlotThread(campaign_id=campaign_id, hook=fallback, plot_point=act)
        session.add(thread)
    thread.used = True
    thread.deviation_level = deviation
    return thread.hook


def recent_speakers(session: Session, campaign_id: int, channel_id: int | None, limit: int = 80, *,
                    after_id: int = 0, until_id: int | None = None) -> list[int | None]:
    """Who spoke in the channel lately (within the history ids (after_id, until_id] when given), oldest first: a
    player's id per message, None per narration (a turn's end), for the spotlight."""
    bounds = [MessageHistory.id > after_id, *([MessageHistory.id <= until_id] if until_id is not None else [])]
    rows = session.execute(
        select(MessageHistory.kind, MessageHistory.player_id)
        .where(MessageHistory.campaign_id == campaign_id, MessageHistory.channel_id == channel_id,
               MessageHistory.kind.in_(("player", "narration")), *bounds)
        .order_by(MessageHistory.id.desc()).limit(limit))
    return [player_id if kind == "player" else None for kind, player_id in reversed(list(rows))]
