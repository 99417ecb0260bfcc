"""Mechanical actions stated in plain words ("I drink my healing potion") become the command a player would
have typed, run through the same dispatcher with all its checks; the engine's results are posted at once and
handed to the narrator, which narrates from them.

A rule-based parser (dnd.stated_actions) reads the batch in `turns.prepare`, for every provider: the fast,
deterministic path. An action runs once per message however the turn is retried (each action is idempotent
on its message id). What it leaves unresolved, the model may propose as an `action` update, run the same
way by `tasks.model_updates` after generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from db import combat as combats
from db.campaigns import active_campaign_id
from db.characters import find_by_player
from db.engine import transaction
from dnd.stated_actions import parse_actions
from tasks.handlers.dispatch import command_replies, execute_command
from tasks.handlers.registry import NARRATE
from workers.llm.schema import ActionUpdate, ClarifyUpdate, Update, stated_update

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


@dataclass(frozen=True)
class BatchFacts:
    """What the parser needs to read a batch: each speaker's inventory (item names) and the foes still standing
    in each channel's combat (so "I attack" resolves to the only one left), read in one transaction."""

    inventories: dict[int, list[str]] = field(default_factory=dict)
    targets: dict[int, list[str]] = field(default_factory=dict)


def load_batch_facts(session: Session, messages: list[dict[str, Any]]) -> BatchFacts:
    facts = BatchFacts()
    campaign_id = active_campaign_id(session)
    for message in messages:
        player_id, channel_id = message.get("author_id"), message.get("channel_id")
        if isinstance(player_id, int) and campaign_id is not None and player_id not in facts.inventories:
            stored = find_by_player(session, player_id, campaign_id)
            facts.inventories[player_id] = [item.name for item in stored.character.inventory] if stored else []
        if channel_id is not None and int(channel_id) not in facts.targets:
            facts.targets[int(channel_id)] = combats.foes_in_channel(session, int(channel_id)) or []
    return facts


def stated_actions(message: dict[str, Any], inventory: list[str], targets: list[str] | None = None) -> list[Update]:
    player_id = message.get("author_id")
    if not isinstance(player_id, int):
        return []
    stated = parse_actions(message.get("content", ""), player_id, {"inventory": inventory, "targets": targets or []})
    return [stated_update(one) for one in stated]


def action_event(message: dict[str, Any], update: ActionUpdate, message_id: str) -> dict[str, Any] | None:
    """The command event for an action, keyed by `message_id` (its idempotency key); None when the table
    cannot run that kind of action."""
    to_command = COMMAND_FOR_ACTION.get(update.kind)
    if to_command is None:
        return None
    return {**message, "message_id": message_id, "content": to_command(update)}


def run_action(event: dict[str, Any], *, execute: bool = True,
               facts_out: list[dict[str, Any]] | None = None) -> str | None:
    """Runs the command once (a redone run finds its replies) and returns the result for the narrator; None
    when it never ran (nothing was answered). Run as stated in plain words: an attack, a spell or a potion in a
    fight on the speaker's turn is the turn, and the combat handlers pass it once it resolved (the result says
    so too). `execute` False only collects what an earlier run answered."""
    if execute:
        ran = execute_command(event, stated=True)
        # The facts a command hands the narrator (dnd.render.facts: no Markdown) tell its result best; a command
        # that narrates nothing is told by its replies.
        told = [args[1] for name, args in ran.follow_ups if name == NARRATE] or ran.replies
        if facts_out is not None:  # the same result as data (a fight's events), for the narrator
            facts_out.extend(fact for name, args in ran.follow_ups if name == NARRATE and len(args) > 2
                             for fact in args[2] or ())
    else:
        told = command_replies(event)
    outcome = " ".join(told)
    return f"{event.get('author_name') or 'Someone'} ({event['content']}): {outcome}" if outcome else None


@dataclass
class StatedActions:
    """The mechanical results for the narrator, and which messages the parser resolved (an action or a
    question), so a model's proposal for the same message never runs a second time."""

    results: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)  # the results as data (dnd.render.facts events)
    resolved: list[str] = field(default_factory=list)
    asked: bool = False


def run_stated_actions(messages: list[dict[str, Any]]) -> StatedActions:
    """Runs the actions stated in the batch (the facts the parser reads are loaded once, for the whole batch,
    before the first action runs)."""
    outcome = StatedActions()
    if not messages:
        return outcome
    with transaction() as session:
        facts = load_batch_facts(session, messages)
    for message in messages:
        name = message.get("author_name") or "Someone"
        channel_id = message.get("channel_id")
        updates = stated_actions(message, facts.inventories.get(message.get("author_id"), []),
                                 facts.targets.get(int(channel_id), []) if channel_id is not None else [])
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
            result = run_action(event, facts_out=outcome.facts)
            if result is not None:
                outcome.results.append(result)
    return outcome
