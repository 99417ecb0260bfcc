"""The model's proposed updates, checked against the game state of their turn and applied by the engine, or
dropped with a reason (design §6, ../shared/ARCHITECTURE.md). workers/llm/schema.py only lets allow-listed,
bounded shapes through; `workers.llm.update_rules.decide` says what a state update may do here and now, and
this module reads the facts it decides on and writes what it allowed (`db.model_turns`), in the turn's
transaction. Every applied and every dropped update is an `audit_log` row whose actor is `model:<provider>`.

- `action`: only for a speaker whose message the rule-based parser left unresolved, run as the command the
  player would type (`tasks.stated_actions`) before the turn's transaction, idempotent on a derived message
  id; the narration then follows from the engine's result.
- `encounter`: one a turn, at the table (not in DMs), never during a fight: the engine checks the creatures
  exist and fit the XP budget (`tasks.handlers.encounter_support`) and starts the fight in a transaction of
  its own, idempotent on the turn; a refusal changes nothing and is audited with its reason. A table turn in
  a scene that names its foes (its **Encounter:** line) offers them as `scene_foes` until a fight has started
  in that scene; the offline narrator proposes them as this same update, so play without a model meets them.
- `monster_action`: in a fight, the next turn of a monster the DM plays, chosen from the menu the turn offered
  (`dnd.tactics.model_menu`): one a monster a turn, allowed in a narration-only turn (a round's narration is
  where the model chooses), kept on the monster by the engine when legal now (`dnd.tactics.set_intent`),
  in a transaction of its own, once a turn; at the monster's turn the engine plays it only if it is still
  legal, else its policy (`tasks.handlers.combat_support.audit_choice` records which).
A turn that only narrates results already applied (mechanical results, no player message) changes nothing: its
updates are dropped.

Nothing here can grant gold or items or change who owns something except through a player's own command
with the engine's checks.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from corpus import plot
from db import combat as combats
from db import model_turns
from db.campaigns import campaign_for_update
from db.characters import StoredCharacter, audit_target, load_for_update, save, snapshot
from db.engine import run_in_transaction, transaction
from db.models import Campaign, Npc, ProcessedMessage
from db.processed import claim
from dnd.errors import RulesError
from dnd.phrases import singular_word
from dnd.stated_actions import MAX_ACTIONS_PER_MESSAGE
from dnd.tactics import set_intent
from settings import get_settings
from tasks.follow_ups import send_follow_ups
from tasks.handlers.dispatch import execute_in_context
from tasks.handlers.encounter_support import start_proposed
from tasks.handlers.registry import CommandContext
from tasks.stated_actions import action_event, run_action
from workers.llm.schema import (
    ActionUpdate,
    ConditionUpdate,
    EncounterUpdate,
    HpChangeUpdate,
    MonsterActionUpdate,
    NpcAttitudeUpdate,
    PlotFlagUpdate,
    SceneUpdate,
    Update,
    validate_update,
)
from workers.llm.update_rules import (
    NARRATION_ONLY,
    CampaignFacts,
    Change,
    CharacterChange,
    Dropped,
    NpcAttitudeChange,
    NpcFacts,
    PlotFlagChange,
    SceneChange,
    TargetFacts,
    UpdateFacts,
    decide,
)

ENGINE_RNG = random.SystemRandom()
# Actions that move an item or gold: the model may run one only for an item the player named.
OWNERSHIP_KINDS = frozenset({"buy", "sell", "drop", "pick_up"})
_WORD = re.compile(r"[a-z]{3,}")


class Refused(Exception):
    """An action the turn refuses; the message is the reason the audit log shows."""


@dataclass
class Proposals:
    """The model's updates, validated again here (the result crossed a queue), and those already dropped."""

    updates: list[Update] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)


def proposals(result: dict[str, Any]) -> Proposals:
    found = Proposals(dropped=[d for d in result.get("dropped") or [] if isinstance(d, dict)])
    for raw in result.get("updates") or []:
        try:
            found.updates.append(validate_update(raw))
        except ValueError as error:
            found.dropped.append({"raw": raw, "reason": str(error)})
    return found


def dropped_entry(update: Update, reason: str) -> dict[str, Any]:
    return {"raw": update.model_dump(mode="json", exclude_none=True), "reason": reason}


def speaker_messages(request: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The turn's messages by the player who wrote them."""
    speakers: dict[int, list[dict[str, Any]]] = {}
    for message in request["context"].get("player_messages") or []:
        if isinstance(message.get("player_id"), int):
            speakers.setdefault(message["player_id"], []).append(message)
    return speakers


def players_in_turn(request: dict[str, Any]) -> set[int]:
    """The players whose characters the model may affect: this turn's speakers and the sheets it was shown."""
    shown = {sheet.get("player_id") for sheet in request["context"].get("characters") or []}
    return set(speaker_messages(request)) | {p for p in shown if isinstance(p, int)}


def _words(text: str) -> set[str]:
    return {singular_word(word) for word in _WORD.findall(text.lower())}


# --------------------------------------------------------------------------- actions (before the transaction)


@dataclass
class ModelActions:
    """The results of the model's actions that ran, and the message their narration follows."""

    results: list[str] = field(default_factory=list)
    narrates: str | None = None
    dropped: list[dict[str, Any]] = field(default_factory=list)


def narration_only(request: dict[str, Any]) -> bool:
    """Nobody spoke in this turn: it narrates results the engine already applied."""
    return not request["context"].get("player_messages")


def plan_actions(request: dict[str, Any], updates: list[Update],
                 target: dict[str, int | None]) -> tuple[list[tuple[dict[str, Any], str]], list[dict[str, Any]]]:
    """([(command event, the player's message it came from)], dropped) for the model's action updates;
    decided from the request alone, so a redone apply plans the same events with the same message ids."""
    events: list[tuple[dict[str, Any], str]] = []
    dropped: list[dict[str, Any]] = []
    speakers = speaker_messages(request)
    resolved = {str(message_id) for message_id in request["context"].get("resolved_by_rules") or []}
    per_message: dict[str, int] = {}
    for update in updates:
        if not isinstance(update, ActionUpdate):
            continue
        try:
            if narration_only(request):
                raise Refused(NARRATION_ONLY)
            if "resolved_by_rules" not in request["context"]:
                raise Refused("the turn has no record of what the rule-based parser ran")
            messages = speakers.get(update.actor_player_id)
            if not messages:
                raise Refused("the actor is not one of this turn's speakers")
            unresolved = [m for m in messages if m.get("message_id") and str(m["message_id"]) not in resolved]
            if not unresolved:
                raise Refused("the rule-based parser already resolved this player's message")
            message = unresolved[-1]
            if update.kind in OWNERSHIP_KINDS and not _words(update.item or "") & _words(message.get("text", "")):
                raise Refused(f"a {update.kind.replace('_', ' ')} must name an item the player mentioned")
            message_id = str(message["message_id"])
            number = per_message.get(message_id, 0)
            if number >= MAX_ACTIONS_PER_MESSAGE:
                raise Refused(f"more than {MAX_ACTIONS_PER_MESSAGE} actions for one message")
            base = {"message_id": message_id, "author_id": update.actor_player_id,
                    "author_name": message.get("author"), **target}
            event = action_event(base, update, f"{message_id}:model{number}")
            if event is None:
                raise Refused(f"the table cannot resolve a {update.kind} action yet")
        except Refused as refusal:
            dropped.append(dropped_entry(update, str(refusal)))
            continue
        per_message[message_id] = number + 1
        events.append((event, message_id))
    return events, dropped


def turn_applied(turn_id: str) -> bool:
    with transaction() as session:
        return session.get(ProcessedMessage, f"turn:{turn_id}") is not None


def run_model_actions(request: dict[str, Any], updates: list[Update], target: dict[str, int | None],
                      provider: str = "model") -> ModelActions:
    """Runs the model's actions through the engine (each command has its own transaction and posts its own
    replies), and its encounter proposal. A turn already applied runs nothing new: it only collects what ran
    before."""
    events, dropped = plan_actions(request, updates, target)
    dropped += run_model_encounter(request, updates, target, provider)
    dropped += record_monster_choices(request, updates, target.get("channel_id"), provider)
    outcome = ModelActions(dropped=dropped)
    if not events:
        return outcome
    execute = not turn_applied(request["turn_id"])
    for event, message_id in events:
        result = run_action(event, execute=execute)
        if result is not None:
            outcome.results.append(result)
            outcome.narrates = outcome.narrates or message_id
    return outcome


def run_model_encounter(request: dict[str, Any], updates: list[Update], target: dict[str, int | None],
                        provider: str) -> list[dict[str, Any]]:
    """The model's encounter proposal (the first; the others are dropped), checked and started by the engine.
    Returns the dropped entries."""
    dropped: list[dict[str, Any]] = []
    proposals = [u for u in updates if isinstance(u, EncounterUpdate)]
    for number, update in enumerate(proposals):
        reason: str | None = None
        if number:
            reason = "one encounter proposal a turn"
        elif narration_only(request):
            reason = NARRATION_ONLY
        elif target.get("channel_id") is None:
            reason = "encounters start at the table's channel, not in DMs"
        elif turn_applied(request["turn_id"]):
            continue
        else:
            reason = _start_encounter(request, update, target, provider)
        if reason is not None:
            dropped.append(dropped_entry(update, reason))
    return dropped


def record_monster_choices(request: dict[str, Any], updates: list[Update], channel_id: int | None,
                           provider: str) -> list[dict[str, Any]]:
    """The model's choices of monsters' next turns, kept on the monsters of the channel's fight when the engine
    allows them; once a turn (a redone apply keeps nothing new). Returns the dropped entries."""
    choices = [u for u in updates if isinstance(u, MonsterActionUpdate)]
    if not choices:
        return []

    def work(session: Session) -> list[dict[str, Any]]:
        row = combats.active_for_update(session, channel_id) if channel_id is not None else None
        if row is None:
            return [dropped_entry(u, "there is no fight at this table") for u in choices]
        if not claim(session, f"turn:{request['turn_id']}:monster_action", "model.monster_action"):
            return []
        state, dropped, seen = combats.from_row(row), [], set()
        for update in choices:
            if update.monster in seen:
                dropped.append(dropped_entry(update, "one choice for a monster a turn"))
                continue
            seen.add(update.monster)
            try:
                state = set_intent(state, update.monster, update.choice, provider, get_settings().monster_control)
            except RulesError as refusal:
                dropped.append(dropped_entry(update, str(refusal)))
                continue
            model_turns.record_applied(session, provider, request.get("campaign_id"), f"combat:{update.monster}",
                                       update.model_dump(mode="json"), {}, {"kept_for_its_next_turn": update.choice})
        combats.store(session, row, state)
        return dropped

    return run_in_transaction(work)


def scene_foes_key(campaign: Campaign) -> str:
    return f"scene-foes:{campaign.id}:{campaign.current_act}.{campaign.current_scene}"


def offer_scene_foes(session: Session, campaign: Campaign, channel_id: int | None, request: dict[str, Any]) -> None:
    """The current scene's foes go into the turn's context (for the narrator to propose) while no fight is on at
    this table and none has started in the scene yet; a DM turn never offers them."""
    foes = plot.scene_foes(campaign.plot_structure, campaign.current_act, campaign.current_scene)
    if not foes or channel_id is None or combats.active(session, channel_id) is not None:
        return
    key = scene_foes_key(campaign)
    if session.get(ProcessedMessage, key) is None:
        request["context"]["scene_foes"] = foes
        request["scene_foes_key"] = key


def _start_encounter(request: dict[str, Any], update: EncounterUpdate, target: dict[str, int | None],
                     provider: str) -> str | None:
    key = f"turn:{request['turn_id']}:encounter"
    event = {"message_id": key, "author_id": min(players_in_turn(request)), "content": "", **target}
    refused: list[str] = []

    def body(ctx: CommandContext) -> None:
        proposal = update.model_dump(mode="json")
        reason = start_proposed(ctx, [(group.monster, group.count) for group in update.creatures])
        if reason is not None:
            refused.append(reason)
            return
        model_turns.record_applied(ctx.session, provider, request.get("campaign_id"), request["channel"], proposal,
                                   {}, {"started": "encounter"})
        if request.get("scene_foes_key"):  # the scene's fight has happened: it is not offered again
            claim(ctx.session, request["scene_foes_key"], "model.scene_foes")

    outcome = execute_in_context(event, key, "model.encounter", body)
    send_follow_ups(outcome.follow_ups)
    return refused[0] if refused else None


# --------------------------------------------------------------------------- state updates (in the transaction)


@dataclass
class Effects:
    """What the applied updates changed, as lines the players read, and the turn's one question."""

    lines: list[str] = field(default_factory=list)
    question: str | None = None
    dropped: list[dict[str, Any]] = field(default_factory=list)
    scene_moved: bool = False


@dataclass(frozen=True)
class Turn:
    """The turn the updates came with, and its transaction."""

    session: Session
    request: dict[str, Any]
    provider: str
    channel_id: int | None

    @property
    def campaign_id(self) -> int | None:
        return self.request.get("campaign_id")

    def audit(self, target: str | None, update: Update, before: dict[str, Any], after: dict[str, Any]) -> None:
        model_turns.record_applied(self.session, self.provider, self.campaign_id, target,
                                   update.model_dump(mode="json", exclude_none=True), before, after)


@dataclass
class Held:
    """The rows the facts were read from (locked), which the change is written to."""

    character: StoredCharacter | None = None
    campaign: Campaign | None = None
    npc: Npc | None = None


def read_facts(turn: Turn, update: Update, effects: Effects) -> tuple[UpdateFacts, Held]:
    """The state `update` is checked against, read (and locked) for updates of its kind only."""
    request = turn.request
    facts = UpdateFacts(narration_only=narration_only(request), players_in_turn=frozenset(players_in_turn(request)),
                        campaign_id=turn.campaign_id, scene_moved=effects.scene_moved,
                        question_asked=effects.question is not None or bool(request["context"].get("asked_by_rules")))
    held = Held()
    if facts.narration_only:
        return facts, held
    if isinstance(update, HpChangeUpdate | ConditionUpdate):
        player_id = update.target_player_id
        if player_id in facts.players_in_turn and turn.campaign_id is not None:
            fighting = model_turns.in_combat(turn.session, turn.channel_id, turn.campaign_id, player_id)
            # A fighting character's row belongs to the combat commands (they lock it after the combat row).
            held.character = None if fighting else load_for_update(turn.session, player_id, turn.campaign_id)
            facts.target = TargetFacts(fighting, held.character.character if held.character else None)
    elif isinstance(update, PlotFlagUpdate | SceneUpdate | NpcAttitudeUpdate):
        held.campaign = campaign_for_update(turn.session, turn.campaign_id) if turn.campaign_id else None
        if held.campaign is not None:
            campaign = held.campaign
            facts.campaign = CampaignFacts(campaign.name, dict(campaign.plot_flags or {}), campaign.plot_structure,
                                           campaign.current_act, campaign.current_scene)
            if isinstance(update, NpcAttitudeUpdate):
                held.npc = model_turns.npc_for_update(turn.session, campaign.id, update.npc)
                facts.npc = NpcFacts(held.npc.name, held.npc.attitude) if held.npc is not None else None
    return facts, held


def write_change(turn: Turn, update: Update, change: Change, held: Held, effects: Effects) -> None:
    """Writes an allowed change with its audit row."""
    if isinstance(change, CharacterChange):
        assert held.character is not None
        before = snapshot(held.character.row)
        save(turn.session, held.character, change.character)
        turn.audit(audit_target(held.character), update, before, {**snapshot(held.character.row), **change.details})
        effects.lines.append(change.line)
    elif isinstance(change, PlotFlagChange):
        assert held.campaign is not None
        model_turns.set_plot_flag(held.campaign, change.name, change.value)
        turn.audit(held.campaign.name, update, {change.name: change.before}, {change.name: change.value})
    elif isinstance(change, SceneChange):
        assert held.campaign is not None
        model_turns.move_scene(held.campaign, change.act, change.scene)
        turn.audit(held.campaign.name, update, {"current_act": change.before_act, "current_scene": change.before_scene},
                   {"current_act": change.act, "current_scene": change.scene})
        effects.lines.append(change.line)
        effects.scene_moved = True
    elif isinstance(change, NpcAttitudeChange):
        assert held.campaign is not None
        model_turns.set_npc_attitude(turn.session, held.campaign.id, held.npc, change.npc, change.attitude)
        turn.audit(f"npc:{change.npc}", update, {"attitude": change.before}, {"attitude": change.attitude})
    else:
        effects.question = change.text
        turn.audit(turn.request["channel"], update, {}, {"asked": change.text})


def apply_updates(session: Session, request: dict[str, Any], updates: list[Update], provider: str,
                  channel_id: int | None) -> Effects:
    """Applies the model's state updates (not its actions, which ran before) in the turn's transaction: each
    is decided (`workers.llm.update_rules.decide`) against the state as the earlier ones left it."""
    turn = Turn(session, request, provider, channel_id)
    effects = Effects()
    for update in updates:
        if isinstance(update, ActionUpdate | EncounterUpdate | MonsterActionUpdate):
            continue
        facts, held = read_facts(turn, update, effects)
        change = decide(update, facts, ENGINE_RNG)
        if isinstance(change, Dropped):
            effects.dropped.append(dropped_entry(update, change.reason))
        else:
            write_change(turn, update, change, held, effects)
    return effects
