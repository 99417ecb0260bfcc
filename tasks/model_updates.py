"""The model's proposed updates, checked against the game state of their turn and applied by the engine, or
dropped with a reason (ARCHITECTURE.md §6). workers/llm/schema.py only lets allow-listed, bounded shapes
through; this module decides what a shape may do here and now. Every applied and every dropped update is
an `audit_log` row whose actor is `model:<provider>`.

- `hp_change`, `condition`: only on a character of the turn's campaign whose player spoke in the turn (or
  whose sheet was in the prompt), never while a combat holds that character; a hit point change is bounded
  by the improvised damage the engine rolls (`dnd.actions.bounded_hp_change`).
- `plot_flag`, `scene`, `npc_attitude`: the turn's campaign only (a scene advance is the owner's
  `!advance_plot` step; attitudes live in the campaign's `npcs` table).
- `action`: only for a speaker whose message the rule-based parser left unresolved, run as the command the
  player would type (`tasks.stated_actions`) before the turn's transaction, idempotent on a derived message
  id; the narration then follows from the engine's result.
- `clarify`: one question per turn.
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

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db import combat as combats
from db.characters import audit_target, load_for_update, save, snapshot
from db.engine import transaction
from db.models import AuditLog, Campaign, Npc, ProcessedMessage
from dnd.actions import bounded_hp_change
from dnd.conditions import add_condition, condition_info, remove_condition
from dnd.errors import RulesError
from tasks.stated_actions import action_event, run_action
from workers.llm import plot
from workers.llm.actions import MAX_ACTIONS_PER_MESSAGE, singularize
from workers.llm.schema import (
    ActionUpdate,
    ClarifyUpdate,
    ConditionUpdate,
    HpChangeUpdate,
    NpcAttitudeUpdate,
    PlotFlagUpdate,
    SceneUpdate,
    Update,
    validate_update,
)

ENGINE_RNG = random.SystemRandom()
MAX_PLOT_FLAGS = 100  # the flags go into every prompt: the model cannot grow them without bound
# Actions that move an item or gold: the model may run one only for an item the player named.
OWNERSHIP_KINDS = frozenset({"buy", "sell", "drop", "pick_up"})
NARRATION_ONLY = "a narration of results already applied changes no game state"
_WORD = re.compile(r"[a-z]{3,}")


class Dropped(Exception):
    """A proposal the game state refuses; the message is the reason the audit log shows."""


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
    return {singularize(word) for word in _WORD.findall(text.lower())}


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
                raise Dropped(NARRATION_ONLY)
            if "resolved_by_rules" not in request["context"]:
                raise Dropped("the turn has no record of what the rule-based parser ran")
            messages = speakers.get(update.actor_player_id)
            if not messages:
                raise Dropped("the actor is not one of this turn's speakers")
            unresolved = [m for m in messages if m.get("message_id") and str(m["message_id"]) not in resolved]
            if not unresolved:
                raise Dropped("the rule-based parser already resolved this player's message")
            message = unresolved[-1]
            if update.kind in OWNERSHIP_KINDS and not _words(update.item or "") & _words(message.get("text", "")):
                raise Dropped(f"a {update.kind.replace('_', ' ')} must name an item the player mentioned")
            message_id = str(message["message_id"])
            number = per_message.get(message_id, 0)
            if number >= MAX_ACTIONS_PER_MESSAGE:
                raise Dropped(f"more than {MAX_ACTIONS_PER_MESSAGE} actions for one message")
            base = {"message_id": message_id, "author_id": update.actor_player_id,
                    "author_name": message.get("author"), **target}
            event = action_event(base, update, f"{message_id}:model{number}")
            if event is None:
                raise Dropped(f"the table cannot resolve a {update.kind} action yet")
        except Dropped as refusal:
            dropped.append(dropped_entry(update, str(refusal)))
            continue
        per_message[message_id] = number + 1
        events.append((event, message_id))
    return events, dropped


def turn_applied(turn_id: str) -> bool:
    with transaction() as session:
        return session.get(ProcessedMessage, f"turn:{turn_id}") is not None


def run_model_actions(request: dict[str, Any], updates: list[Update], target: dict[str, int | None]) -> ModelActions:
    """Runs the model's actions through the engine (each command has its own transaction and posts its own
    replies). A turn already applied runs nothing new: it only collects what ran before."""
    events, dropped = plan_actions(request, updates, target)
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
    """What the checks need to know about the turn the updates came with."""

    session: Session
    request: dict[str, Any]
    provider: str
    channel_id: int | None

    @property
    def campaign_id(self) -> int | None:
        return self.request.get("campaign_id")

    def audit(self, target: str | None, update: Update, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.session.add(AuditLog(actor=f"model:{self.provider}", action="update applied", campaign_id=self.campaign_id,
                                  target=target, before={"proposed": update.model_dump(mode="json", exclude_none=True),
                                                         **before}, after=after))


def apply_updates(session: Session, request: dict[str, Any], updates: list[Update], provider: str,
                  channel_id: int | None) -> Effects:
    """Applies the model's state updates (not its actions, which ran before) in the turn's transaction."""
    turn = Turn(session, request, provider, channel_id)
    effects = Effects()
    for update in updates:
        if isinstance(update, ActionUpdate):
            continue
        try:
            if narration_only(request):
                raise Dropped(NARRATION_ONLY)
            if isinstance(update, HpChangeUpdate):
                effects.lines.append(_hp_change(turn, update))
            elif isinstance(update, ConditionUpdate):
                effects.lines.append(_condition(turn, update))
            elif isinstance(update, PlotFlagUpdate):
                _plot_flag(turn, update)
            elif isinstance(update, SceneUpdate):
                if effects.scene_moved:
                    raise Dropped("the story moves on one scene per turn at most")
                effects.lines.append(_scene(turn, update))
                effects.scene_moved = True
            elif isinstance(update, NpcAttitudeUpdate):
                _npc_attitude(turn, update)
            elif isinstance(update, ClarifyUpdate):
                if effects.question is not None or request["context"].get("asked_by_rules"):
                    raise Dropped("one question per turn, and this turn's was already asked")
                effects.question = update.question
                turn.audit(request["channel"], update, {}, {"asked": update.question})
        except Dropped as refusal:
            effects.dropped.append(dropped_entry(update, str(refusal)))
    return effects


def record_dropped(session: Session, provider: str, campaign_id: int | None, channel: str,
                   dropped: list[dict[str, Any]]) -> None:
    """The model proposed something the allow-list or the game state refuses: never applied, always on record."""
    for entry in dropped:
        session.add(AuditLog(actor=f"model:{provider}", action="update dropped", campaign_id=campaign_id,
                             target=channel, before={"proposed": entry.get("raw")},
                             after={"reason": entry.get("reason")}))


def _in_combat(turn: Turn, player_id: int) -> bool:
    """A combat in the turn's channel, or one anywhere in the campaign with this player in it."""
    if turn.channel_id is not None and combats.active(turn.session, turn.channel_id) is not None:
        return True
    rows = combats.active_in_campaign(turn.session, turn.campaign_id, lock=False) if turn.campaign_id else []
    return any(str(entry.get("player_id")) == str(player_id) for row in rows for entry in row.initiative or [])


def _their_character(turn: Turn, player_id: int) -> Any:
    if player_id not in players_in_turn(turn.request):
        raise Dropped("the target is not a player in this turn")
    if turn.campaign_id is None:
        raise Dropped("no campaign is loaded")
    if _in_combat(turn, player_id):
        raise Dropped("during a combat, hit points and conditions belong to the combat engine")
    stored = load_for_update(turn.session, player_id, turn.campaign_id)
    if stored is None:
        raise Dropped("that player has no character in this campaign")
    return stored


def _hp_change(turn: Turn, update: HpChangeUpdate) -> str:
    stored = _their_character(turn, update.target_player_id)
    character = stored.character
    change = bounded_hp_change(character, update.amount, ENGINE_RNG)
    if change.applied == 0:
        raise Dropped(f"changes nothing: {character.name} is at {character.hp}/{character.max_hp} HP")
    before = snapshot(stored.row)
    save(turn.session, stored, change.character)
    turn.audit(audit_target(stored), update, before,
               {**snapshot(stored.row), "rolled": f"{change.roll.expression} = {change.roll.total}",
                "applied": change.applied})
    after = change.character
    if change.applied < 0:
        line = f"🩸 {after.name} takes {-change.applied} damage: HP {character.hp} → {after.hp}/{after.max_hp}."
        return line + (f" {after.name} falls unconscious." if after.hp == 0 else "")
    return f"💚 {after.name} regains {change.applied} HP: HP {character.hp} → {after.hp}/{after.max_hp}."


def _condition(turn: Turn, update: ConditionUpdate) -> str:
    stored = _their_character(turn, update.target_player_id)
    character = stored.character
    info = condition_info(update.condition)
    if update.action == "remove" and info.name == "Unconscious" and character.hp == 0:
        raise Dropped(f"{character.name} is at 0 HP and stays unconscious until healed")
    try:
        updated = (add_condition if update.action == "add" else remove_condition)(character, info.name)
    except RulesError as error:
        raise Dropped(str(error)) from None
    if updated.conditions == character.conditions and updated.exhaustion == character.exhaustion:
        raise Dropped(f"changes nothing for {character.name} ({info.name.lower()})")
    before = snapshot(stored.row)
    save(turn.session, stored, updated)
    turn.audit(audit_target(stored), update, before, snapshot(stored.row))
    if info.name == "Exhaustion":
        return f"🩹 {updated.name} is now at exhaustion level {updated.exhaustion}."
    state = "now" if update.action == "add" else "no longer"
    return f"🩹 {updated.name} is {state} {info.name.lower()}."


def _campaign(turn: Turn) -> Campaign:
    campaign = turn.session.get(Campaign, turn.campaign_id, with_for_update=True) if turn.campaign_id else None
    if campaign is None:
        raise Dropped("no campaign is loaded")
    return campaign


def _plot_flag(turn: Turn, update: PlotFlagUpdate) -> None:
    campaign = _campaign(turn)
    flags = dict(campaign.plot_flags or {})
    if update.name not in flags and len(flags) >= MAX_PLOT_FLAGS:
        raise Dropped(f"the campaign already has {MAX_PLOT_FLAGS} plot flags")
    if update.name in flags and flags[update.name] == update.value:
        raise Dropped(f"changes nothing: `{update.name}` is already `{update.value}`")
    before = {update.name: flags.get(update.name)}
    flags[update.name] = update.value
    campaign.plot_flags = flags
    turn.audit(campaign.name, update, before, {update.name: update.value})


def _scene(turn: Turn, update: SceneUpdate) -> str:
    if not update.advance:
        raise Dropped("changes nothing: the scene stays")
    campaign = _campaign(turn)
    following = plot.next_scene(campaign.plot_structure, campaign.current_act, campaign.current_scene)
    if following is None:
        raise Dropped(f"{campaign.name} has no next scene to advance to")
    before = {"current_act": campaign.current_act, "current_scene": campaign.current_scene}
    campaign.current_act, campaign.current_scene = following
    turn.audit(campaign.name, update, before, {"current_act": following[0], "current_scene": following[1]})
    return plot.scene_moved_text(campaign.plot_structure, *following)


def _npc_attitude(turn: Turn, update: NpcAttitudeUpdate) -> None:
    campaign = _campaign(turn)
    npc = turn.session.execute(select(Npc).where(Npc.campaign_id == campaign.id,
                                                 func.lower(Npc.name) == update.npc.lower())
                               .with_for_update()).scalar_one_or_none()
    if npc is not None and npc.attitude == update.attitude:
        raise Dropped(f"changes nothing: {npc.name} is already {update.attitude}")
    before = {"attitude": npc.attitude if npc is not None else None}
    if npc is None:
        # Someone the narrator introduced: the campaign remembers them from now on.
        turn.session.execute(insert(Npc).values(campaign_id=campaign.id, name=update.npc, attitude=update.attitude,
                                                personality="", stats={"introduced_by": "narrator"})
                             .on_conflict_do_nothing(constraint="npc_name_per_campaign"))
    else:
        npc.attitude = update.attitude
    turn.audit(f"npc:{update.npc}", update, before, {"attitude": update.attitude})
