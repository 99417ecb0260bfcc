"""Mechanical actions stated in plain words ("I drink my healing potion") become the command a player would
have typed, run through the same dispatcher with all its checks; the engine's results are posted at once and
handed to the narrator, which narrates from them.

A rule-based parser (workers.llm.actions) reads the batch in `turns.prepare`, for every provider, so an
action runs once per message however the turn is retried (each action is idempotent on its message id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import combat as combats
from db.characters import active_campaign_id, find_by_player
from db.engine import transaction
from db.models import Outbox
from tasks.handlers.dispatch import execute_command
from workers.llm.actions import parse_actions
from workers.llm.schema import ActionUpdate, ClarifyUpdate, Update

# Action kinds the table can run today, as the command a player would type.
COMMAND_FOR_ACTION = {
    "use_item": lambda action: f"!use_item {action.item}",
    "cast": lambda action: f"!cast {action.spell}",
    "rest": lambda action: f"!rest {action.target or 'short'}",
    "save": lambda action: f"!save {action.target}",
    "check": lambda action: f"!check {action.target}",
    "attack": lambda action: f"!attack {action.target}" + (f" with {action.item}" if action.item else ""),
    "buy": lambda action: f"!buy_item {action.item} {action.quantity or 1}",
    "sell": lambda action: f"!sell_item {action.item} {action.quantity or 1}",
    "drop": lambda action: f"!drop_item {action.item} {action.quantity or 1}",
    "pick_up": lambda action: f"!pick_up {action.item}" + (f" {action.quantity}" if action.quantity else ""),
}


def inventory_names(session: Session, player_id: int | None) -> list[str]:
    campaign_id = active_campaign_id(session)
    if player_id is None or campaign_id is None:
        return []
    stored = find_by_player(session, player_id, campaign_id)
    return [item.name for item in stored.character.inventory] if stored else []


def combat_targets(session: Session, channel_id: Any) -> list[str]:
    """The foes still standing in the channel's combat (so "I attack" resolves to the only one left)."""
    if channel_id is None:
        return []
    row = combats.active(session, int(channel_id))
    if row is None:
        return []
    return [c.name for c in combats.from_row(row).combatants if c.kind == "monster" and c.active]


def stated_actions(message: dict[str, Any], inventory: list[str], targets: list[str] | None = None) -> list[Update]:
    player_id = message.get("author_id")
    if not isinstance(player_id, int):
        return []
    return parse_actions(message.get("content", ""), player_id, {"inventory": inventory,
                                                                  "targets": targets or []})


def replies_text(session: Session, message_key: str) -> str:
    rows = session.execute(select(Outbox.content).where(Outbox.reply_key.like(f"{message_key}:%"))
                           .order_by(Outbox.id)).scalars()
    return " ".join(row for row in rows if row)


def run_stated_actions(messages: list[dict[str, Any]]) -> list[str]:
    """Runs the actions stated in the batch; returns the mechanical results for the narrator."""
    results: list[str] = []
    for message in messages:
        with transaction() as session:
            inventory = inventory_names(session, message.get("author_id"))
            targets = combat_targets(session, message.get("channel_id"))
        name = message.get("author_name") or "Someone"
        for number, update in enumerate(stated_actions(message, inventory, targets)):
            if isinstance(update, ClarifyUpdate):
                results.append(f"Ask {name}: {update.question}")
                continue
            if not isinstance(update, ActionUpdate):
                continue
            to_command = COMMAND_FOR_ACTION.get(update.kind)
            if to_command is None:
                results.append(f"{name} tries to {update.kind.replace('_', ' ')}: the table cannot resolve that "
                               "yet, so nothing happens mechanically.")
                continue
            event = {**message, "message_id": f"{message['message_id']}:action{number}",
                     "content": to_command(update)}
            execute_command(event)
            with transaction() as session:
                outcome = replies_text(session, f"msg:{event['message_id']}")
            results.append(f"{name} ({event['content']}): {outcome}")
    return results
