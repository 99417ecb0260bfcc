"""Mechanical actions stated in plain words ("I drink my healing potion") become the command a player would
have typed, run through the same dispatcher with all its checks; the engine's results are posted at once and
handed to the narrator, which narrates from them.

A rule-based parser (workers.llm.actions) reads the batch in `turns.prepare`, for every provider: the fast,
deterministic path. An action runs once per message however the turn is retried (each action is idempotent
on its message id). What it leaves unresolved, the model may propose as an `action` update, run the same
way by `tasks.model_updates` after generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import combat as combats
from db.characters import active_campaign_id, find_by_player
from db.engine import transaction
from db.models import Outbox
from dnd.combat import current_actor
from tasks.handlers.dispatch import execute_command
from workers.llm.actions import parse_actions
from workers.llm.schema import ActionUpdate, ClarifyUpdate, Update

# What a character does with its action in a fight: stated on its turn, it is the turn.
TURN_COMMANDS = frozenset({"!attack", "!cast", "!use_item"})
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


def action_event(message: dict[str, Any], update: ActionUpdate, message_id: str) -> dict[str, Any] | None:
    """The command event for an action, keyed by `message_id` (its idempotency key); None when the table
    cannot run that kind of action."""
    to_command = COMMAND_FOR_ACTION.get(update.kind)
    if to_command is None:
        return None
    return {**message, "message_id": message_id, "content": to_command(update)}


def fight_position(channel_id: Any) -> tuple[int, str | None] | None:
    """(events so far, the player whose turn it is) in the channel's fight; None when there is none."""
    if channel_id is None:
        return None
    with transaction() as session:
        row = combats.active(session, int(channel_id))
        if row is None:
            return None
        state = combats.from_row(row)
    return len(state.log), current_actor(state).player_id if state.combatants else None


def run_action(event: dict[str, Any], *, execute: bool = True) -> str | None:
    """Runs the command once (a redone run finds its replies) and returns the result for the narrator; None
    when it never ran (nothing was answered). An attack, a spell or a potion stated in a fight on the speaker's
    turn is the turn: once it resolved, the turn passes as with `!end_turn` (the result says so too)."""
    turn_action = event["content"].split(maxsplit=1)[0] in TURN_COMMANDS
    before = fight_position(event.get("channel_id")) if execute and turn_action else None
    if execute:
        execute_command(event)
    if before is not None and before[1] == str(event.get("author_id")):
        after = fight_position(event.get("channel_id"))
        if after is not None and after[0] > before[0] and after[1] == before[1]:
            execute_command({**event, "message_id": f"{event['message_id']}:end_turn", "content": "!end_turn"})
    with transaction() as session:
        outcome = replies_text(session, f"msg:{event['message_id']}")
    return f"{event.get('author_name') or 'Someone'} ({event['content']}): {outcome}" if outcome else None


@dataclass
class StatedActions:
    """The mechanical results for the narrator, and which messages the parser resolved (an action or a
    question), so a model's proposal for the same message never runs a second time."""

    results: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    asked: bool = False


def run_stated_actions(messages: list[dict[str, Any]]) -> StatedActions:
    """Runs the actions stated in the batch."""
    outcome = StatedActions()
    for message in messages:
        with transaction() as session:
            inventory = inventory_names(session, message.get("author_id"))
            targets = combat_targets(session, message.get("channel_id"))
        name = message.get("author_name") or "Someone"
        updates = stated_actions(message, inventory, targets)
        if updates:
            outcome.resolved.append(str(message["message_id"]))
        for number, update in enumerate(updates):
            if isinstance(update, ClarifyUpdate):
                outcome.results.append(f"Ask {name}: {update.question}")
                outcome.asked = True
                continue
            if not isinstance(update, ActionUpdate):
                continue
            event = action_event(message, update, f"{message['message_id']}:action{number}")
            if event is None:
                outcome.results.append(f"{name} tries to {update.kind.replace('_', ' ')}: the table cannot resolve "
                                       "that yet, so nothing happens mechanically.")
                continue
            result = run_action(event)
            if result is not None:
                outcome.results.append(result)
    return outcome
