"""Combats: the repository over the `combat_state` table (one active combat per channel).

The engine's :class:`dnd.combat.CombatState` is stored across the row's columns: `initiative` holds every
combatant (those in the turn order, then those removed from it, marked ``"out": true``), `current_turn` and
`round` the turn, `log` the fight's events, `ongoing` the spells lasting
(concentration, zones). Rows are locked with `SELECT … FOR UPDATE` before they change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import CombatState as CombatRow
from dnd.combat import CombatEvent, CombatState
from dnd.combat.state import OngoingSpell, PendingSpell
from dnd.errors import RulesError
from dnd.monsters import Combatant

# Events that only set a fight up; any other event means the first turn has been taken.
_SETUP_EVENTS = frozenset({"initiative", "join"})


def to_columns(state: CombatState) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [c.model_dump(mode="json") for c in state.combatants]
    entries += [{**c.model_dump(mode="json"), "out": True} for c in state.defeated]
    return {"initiative": entries, "current_turn": state.current, "round": state.round,
            "log": [event.model_dump(mode="json") for event in state.log],
            "ongoing": [spell.model_dump(mode="json") for spell in state.ongoing],
            "pending_spell": state.pending_spell.model_dump(mode="json") if state.pending_spell else None}


def from_row(row: CombatRow) -> CombatState:
    order: list[Combatant] = []
    out: list[Combatant] = []
    for entry in row.initiative or []:
        data = dict(entry)
        removed = bool(data.pop("out", False))
        (out if removed else order).append(Combatant.model_validate(data))
    log = [CombatEvent.model_validate(e) for e in row.log or []]
    started = any(event.kind not in _SETUP_EVENTS for event in log)
    return CombatState(combatants=order, current=min(row.current_turn, max(0, len(order) - 1)), round=row.round,
                       started=started, log=log, defeated=out,
                       ongoing=[OngoingSpell.model_validate(o) for o in row.ongoing or []],
                       pending_spell=PendingSpell.model_validate(row.pending_spell) if row.pending_spell else None)


def active_for_update(session: Session, channel_id: int) -> CombatRow | None:
    """The channel's active combat, locked until the transaction ends."""
    return session.execute(select(CombatRow).where(CombatRow.channel_id == channel_id, CombatRow.active)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()


def active(session: Session, channel_id: int) -> CombatRow | None:
    """The channel's active combat, for reading."""
    return session.execute(select(CombatRow).where(CombatRow.channel_id == channel_id, CombatRow.active)
                           ).scalar_one_or_none()


def all_active(session: Session) -> list[CombatRow]:
    """Every active combat (one per channel), for reading."""
    return list(session.execute(select(CombatRow).where(CombatRow.active).order_by(CombatRow.id)).scalars())


def is_active(session: Session, combat_id: int) -> bool:
    """Whether the combat is running, read fresh (not from the session's identity map)."""
    return bool(session.execute(select(CombatRow.active).where(CombatRow.id == combat_id)).scalar_one_or_none())


def state_in_channel(session: Session, channel_id: int) -> CombatState | None:
    """The channel's fight, or None when the channel has no combat."""
    row = active(session, channel_id)
    return from_row(row) if row is not None else None


def foes_in_channel(session: Session, channel_id: int) -> list[str] | None:
    """The monsters still fighting in the channel's combat, by name; None when the channel has no combat."""
    state = state_in_channel(session, channel_id)
    if state is None:
        return None
    return [c.name for c in state.combatants if c.kind == "monster" and c.active]


def player_in_fight(session: Session, campaign_id: int, player_id: int) -> bool:
    """Whether the player's character is a combatant of one of the campaign's active fights (read, no lock)."""
    return any(c.player_id == str(player_id) for row in active_in_campaign(session, campaign_id, lock=False)
               for c in from_row(row).combatants)


def active_in_campaign(session: Session, campaign_id: int, *, lock: bool = True) -> list[CombatRow]:
    """The campaign's active combats (one per channel), in id order; locked until the transaction ends unless
    ``lock`` is False."""
    query = select(CombatRow).where(CombatRow.campaign_id == campaign_id, CombatRow.active).order_by(CombatRow.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.execute(query).scalars())


def store(session: Session, row: CombatRow, state: CombatState) -> None:
    for column, value in to_columns(state).items():
        setattr(row, column, value)
    session.flush()


def start(session: Session, campaign_id: int, channel_id: int, state: CombatState) -> CombatRow:
    """A new active combat; refused when another one started in the channel meanwhile (the partial unique
    index `one_active_combat_per_channel` decides between two simultaneous starts)."""
    row = CombatRow(campaign_id=campaign_id, channel_id=channel_id, active=True, **to_columns(state))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise RulesError("A combat is already running in this channel.") from None
    return row
