"""What a state update the model proposed may do here and now: `decide(update, facts, rng)` returns the change
to apply, or `Dropped(reason)`. Pure: the facts are read by the turn's transaction (`tasks.model_updates`),
which applies the change (`db.model_turns`) and records every applied and dropped update.

The model's allow-list, beyond the shapes `workers.llm.schema` lets through:
- nothing changes in a turn that only narrates results already applied (no player spoke);
- `hp_change`, `condition`: only on a character of the turn's campaign whose player spoke in the turn (or whose
  sheet was in the prompt), never while a combat holds that character; a hit point change is bounded by the
  improvised damage the engine rolls (`dnd.actions.bounded_hp_change`), and the conditions follow the
  engine's rules (`dnd.conditions`: a character at 0 HP stays unconscious until healed);
- `plot_flag` (at most MAX_PLOT_FLAGS), `scene` (one step per turn), `npc_attitude`: the turn's campaign only;
- `clarify`: one question per turn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from corpus import plot
from dnd.actions import bounded_hp_change
from dnd.character import Character
from dnd.conditions import add_condition, condition_info, remove_condition
from dnd.errors import RulesError
from workers.llm.schema import (
    ClarifyUpdate,
    ConditionUpdate,
    HpChangeUpdate,
    NpcAttitudeUpdate,
    PlotFlagUpdate,
    SceneUpdate,
    Update,
)

MAX_PLOT_FLAGS = 100  # the flags go into every prompt: the model cannot grow them without bound
NARRATION_ONLY = "a narration of results already applied changes no game state"


@dataclass(frozen=True)
class Dropped:
    """A proposal the allow-list or the game state refuses; the reason is what the audit log shows."""

    reason: str


class _Refused(Exception):
    pass


# --------------------------------------------------------------------------- the facts an update is checked against


@dataclass(frozen=True)
class TargetFacts:
    """The target player's character, as the turn's transaction found it."""

    in_combat: bool
    character: Character | None  # None: no character in the campaign (or, in a fight, not read)


@dataclass(frozen=True)
class CampaignFacts:
    name: str
    plot_flags: dict[str, Any]
    plot_structure: dict[str, Any]
    act: int
    scene: int


@dataclass(frozen=True)
class NpcFacts:
    name: str
    attitude: str


@dataclass
class UpdateFacts:
    """What one update is checked against: the turn (who may be touched, what the turn already did) and the
    part of the game state the update is about (read only for updates of that kind)."""

    narration_only: bool
    players_in_turn: frozenset[int]
    campaign_id: int | None
    scene_moved: bool = False
    question_asked: bool = False
    target: TargetFacts | None = None
    campaign: CampaignFacts | None = None
    npc: NpcFacts | None = None


# --------------------------------------------------------------------------- the changes


@dataclass(frozen=True)
class CharacterChange:
    player_id: int
    character: Character  # the sheet after the change
    line: str
    details: dict[str, Any] = field(default_factory=dict)  # for the audit log (the roll, the amount)


@dataclass(frozen=True)
class PlotFlagChange:
    name: str
    value: Any
    before: Any


@dataclass(frozen=True)
class SceneChange:
    act: int
    scene: int
    before_act: int
    before_scene: int
    line: str


@dataclass(frozen=True)
class NpcAttitudeChange:
    npc: str
    attitude: str
    before: str | None  # None: someone the narrator introduces


@dataclass(frozen=True)
class Question:
    text: str


Change = CharacterChange | PlotFlagChange | SceneChange | NpcAttitudeChange | Question


def decide(update: Update, facts: UpdateFacts, rng: random.Random) -> Change | Dropped:
    """The change `update` makes, or why it is dropped. (Actions are decided elsewhere: they run as commands.)"""
    try:
        if facts.narration_only:
            raise _Refused(NARRATION_ONLY)
        if isinstance(update, HpChangeUpdate):
            return _hp_change(update, facts, rng)
        if isinstance(update, ConditionUpdate):
            return _condition(update, facts)
        if isinstance(update, PlotFlagUpdate):
            return _plot_flag(update, facts)
        if isinstance(update, SceneUpdate):
            return _scene(update, facts)
        if isinstance(update, NpcAttitudeUpdate):
            return _npc_attitude(update, facts)
        if isinstance(update, ClarifyUpdate):
            if facts.question_asked:
                raise _Refused("one question per turn, and this turn's was already asked")
            return Question(update.question)
        raise _Refused(f"a {update.type} update is not applied here")
    except _Refused as refusal:
        return Dropped(str(refusal))


def _their_character(player_id: int, facts: UpdateFacts) -> Character:
    if player_id not in facts.players_in_turn:
        raise _Refused("the target is not a player in this turn")
    if facts.campaign_id is None:
        raise _Refused("no campaign is loaded")
    if facts.target is not None and facts.target.in_combat:
        raise _Refused("during a combat, hit points and conditions belong to the combat engine")
    if facts.target is None or facts.target.character is None:
        raise _Refused("that player has no character in this campaign")
    return facts.target.character


def _hp_change(update: HpChangeUpdate, facts: UpdateFacts, rng: random.Random) -> CharacterChange:
    character = _their_character(update.target_player_id, facts)
    change = bounded_hp_change(character, update.amount, rng)
    if change.applied == 0:
        raise _Refused(f"changes nothing: {character.name} is at {character.hp}/{character.max_hp} HP")
    after = change.character
    if change.applied < 0:
        line = f"🩸 {after.name} takes {-change.applied} damage: HP {character.hp} → {after.hp}/{after.max_hp}."
        line += f" {after.name} falls unconscious." if after.hp == 0 else ""
    else:
        line = f"💚 {after.name} regains {change.applied} HP: HP {character.hp} → {after.hp}/{after.max_hp}."
    return CharacterChange(update.target_player_id, after, line,
                           {"rolled": f"{change.roll.expression} = {change.roll.total}", "applied": change.applied})


def _condition(update: ConditionUpdate, facts: UpdateFacts) -> CharacterChange:
    character = _their_character(update.target_player_id, facts)
    info = condition_info(update.condition)
    try:
        updated = (add_condition if update.action == "add" else remove_condition)(character, info.name)
    except RulesError as error:
        raise _Refused(str(error)) from None
    if updated.conditions == character.conditions and updated.exhaustion == character.exhaustion:
        raise _Refused(f"changes nothing for {character.name} ({info.name.lower()})")
    if info.name == "Exhaustion":
        line = f"🩹 {updated.name} is now at exhaustion level {updated.exhaustion}."
    else:
        line = f"🩹 {updated.name} is {'now' if update.action == 'add' else 'no longer'} {info.name.lower()}."
    return CharacterChange(update.target_player_id, updated, line)


def _campaign(facts: UpdateFacts) -> CampaignFacts:
    if facts.campaign is None:
        raise _Refused("no campaign is loaded")
    return facts.campaign


def _plot_flag(update: PlotFlagUpdate, facts: UpdateFacts) -> PlotFlagChange:
    flags = _campaign(facts).plot_flags
    if update.name not in flags and len(flags) >= MAX_PLOT_FLAGS:
        raise _Refused(f"the campaign already has {MAX_PLOT_FLAGS} plot flags")
    if update.name in flags and flags[update.name] == update.value:
        raise _Refused(f"changes nothing: `{update.name}` is already `{update.value}`")
    return PlotFlagChange(update.name, update.value, flags.get(update.name))


def _scene(update: SceneUpdate, facts: UpdateFacts) -> SceneChange:
    if facts.scene_moved:
        raise _Refused("the story moves on one scene per turn at most")
    if not update.advance:
        raise _Refused("changes nothing: the scene stays")
    campaign = _campaign(facts)
    following = plot.next_scene(campaign.plot_structure, campaign.act, campaign.scene)
    if following is None:
        raise _Refused(f"{campaign.name} has no next scene to advance to")
    return SceneChange(following[0], following[1], campaign.act, campaign.scene,
                       plot.scene_moved_text(campaign.plot_structure, *following))


def _npc_attitude(update: NpcAttitudeUpdate, facts: UpdateFacts) -> NpcAttitudeChange:
    _campaign(facts)
    if facts.npc is not None and facts.npc.attitude == update.attitude:
        raise _Refused(f"changes nothing: {facts.npc.name} is already {update.attitude}")
    return NpcAttitudeChange(update.npc, update.attitude, facts.npc.attitude if facts.npc is not None else None)
