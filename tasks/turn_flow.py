"""The narrative turn of a channel, one in flight at a time: claim the pending batch (`tasks.turn_claim`), build
the request, apply the model's answer, release (and start the next batch if messages arrived meanwhile).

A crash at any stage loses no message: a redelivered or re-driven stage finds the same batch and the same
turn id, and applying is idempotent (`processed_messages`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import keys
from corpus import journal, plot
from db import audit, model_turns, safety
from db import combat as combats
from db.campaigns import active_campaign
from db.characters import class_label, find_many
from db.engine import run_in_transaction
from db.models import Campaign, MessageHistory
from db.outbox import Reply, add_replies
from db.processed import claim
from db.turn_context import load_prompt_context, recent_speakers, use_plot_hook
from db.world import location_description
from dnd import tactics
from settings import get_settings
from tasks import model_updates
from tasks.handlers.registry import NARRATE
from tasks.publish import KeyedReply, publish, reply_in_transaction
from tasks.redis_client import get_redis
from tasks.safety_check import crossed, without_lines
from tasks.spotlight import spotlight_note
from tasks.stated_actions import run_stated_actions
from tasks.turn_claim import ClaimedTurn, claim_batch, mark_stage, player_messages, release, results_to_narrate
from tasks.turn_replies import compose_replies, narration_key

HISTORY_FETCHED = 40
HISTORY_VERBATIM = 12
HISTORY_SUMMARY_CHARS = 1200
MAX_PROMPT_NPCS = 20
MAX_FIGHT_EVENTS = 60  # a long run of monster turns: the narrator needs the round, not every blow of a siege
HOOK_COOLDOWN_S = int(os.environ.get("PLOT_HOOK_COOLDOWN_S", "180"))
MAX_TURN_ATTEMPTS = 3
LAST_NARRATION_TTL_S = 24 * 3600
X_CARD_STEER = ("A player used the X-card on the last narration: it was withdrawn. Leave what it described "
                "behind at once, take the scene in another direction, and don't mention the card or ask why.")
GAVE_UP_TEXT = ("The Dungeon Master lost the thread and couldn't answer those messages "
                "after several tries — please say that again.")


def destination(channel: str) -> dict[str, int | None]:
    channel_id, dm_user_id = keys.parse_channel_key(channel)
    return {"channel_id": channel_id, "dm_user_id": dm_user_id}


def build_request(turn: ClaimedTurn, session: Session) -> dict[str, Any]:
    """The narration request for the GPU worker: game state plus the batch, which the prompt quotes as data."""
    campaign = active_campaign(session)
    # message_id stays out of the prompt (the prompt builder ignores it); applying the turn needs it.
    context: dict[str, Any] = {"player_messages": [
        {"author": m.get("author_name") or str(m.get("author_id")), "player_id": m.get("author_id"),
         "text": m.get("content", ""), "message_id": m.get("message_id")} for m in player_messages(turn)]}
    if campaign is not None:
        loaded = load_prompt_context(session, campaign.id, history_limit=HISTORY_FETCHED, npc_limit=MAX_PROMPT_NPCS)
        sheets = speaker_sheets(session, campaign.id, context["player_messages"])
        if sheets:
            context["characters"] = sheets
        context.update(campaign=campaign.name, location=loaded.location,
                       plot={"current_act": campaign.current_act, "current_scene": str(campaign.current_scene),
                             "plot_flags": campaign.plot_flags})
        scene = scene_brief(session, campaign)
        if scene:
            context["scene"] = scene
        note = spotlight(session, campaign.id, turn, context["player_messages"], sheets)
        if note:
            context["spotlight"] = note
        if loaded.npc_attitudes:
            context["world_state"] = {"npc_attitudes": loaded.npc_attitudes}
        context["history"] = summarized_history(loaded.history)
        recent_player_texts = [text for kind, text in loaded.history if kind == "player"][-6:]
        recent_player_texts += [m["text"] for m in context["player_messages"]]
        context["journal"] = journal.for_prompt(session, campaign.id, " ".join(recent_player_texts[-3:]))
        hook = recovery_hook(session, campaign, recent_player_texts)
        if hook:
            context["plot_hook"] = hook
    channel_id = destination(turn.channel)["channel_id"]
    context.update(fight_context(session, channel_id))
    table_safety = safety.topics(session)
    if table_safety["line"] or table_safety["veil"]:
        context["safety"] = {"lines": table_safety["line"], "veils": table_safety["veil"]}
    if get_redis().exists(keys.x_card(turn.channel)):  # the X-card was used: steer away from what was withdrawn
        context["safety"] = {**context.get("safety", {}), "x_card": X_CARD_STEER}
    request: dict[str, Any] = {"turn_id": turn.turn_id, "channel": turn.channel, "context": context,
                               "campaign_id": campaign.id if campaign else None}
    if campaign is not None and context["player_messages"]:
        model_updates.offer_scene_foes(session, campaign, destination(turn.channel)["channel_id"], request)
    narrated = [m["message_id"] for m in results_to_narrate(turn)]
    if narrated:
        request["narrates"] = narrated
    return request


def fight_context(session: Session, channel_id: int | None) -> dict[str, Any]:
    """A fight on at this table: the narrator tells a fight (not the scene's description), its foes, and the
    next-turn choices of the monsters the DM plays, which the model may choose from
    (`tasks.model_updates.record_monster_choices`)."""
    fight = combats.state_in_channel(session, channel_id) if channel_id is not None else None
    if fight is None:
        return {}
    found: dict[str, Any] = {"in_combat": True,
                             "targets": [c.name for c in fight.combatants if c.kind == "monster" and c.active]}
    menu = tactics.model_menu(fight, get_settings().monster_control)
    if menu:
        found["monster_menu"] = menu
    return found


MAX_SHEET_ITEMS = 40


def speaker_sheets(session: Session, campaign_id: int, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The speakers' characters in the campaign, for the narrator: a message carries its player's (Discord) name,
    and the story calls the speaker by their character's name; what they carry reads their stated actions."""
    players = {m["player_id"] for m in messages if isinstance(m.get("player_id"), int)}
    return [{"player_id": player, "name": c.name, "race": c.subrace or c.race, "class": class_label(c),
             "level": c.level, "hp": c.hp, "max_hp": c.max_hp, "conditions": list(c.conditions),
             "inventory": [i.name for i in c.inventory if i.qty > 0][:MAX_SHEET_ITEMS]}
            for player, c in sorted((p, stored.character) for p, stored in
                                    find_many(session, players, campaign_id).items())]


def spotlight(session: Session, campaign_id: int, turn: ClaimedTurn, messages: list[dict[str, Any]],
              sheets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Who has been quiet in this channel (by their characters' names), and who speaks in this batch (their
    characters: `sheets`, read already; only the quiet ones' are looked up)."""
    speakers = recent_speakers(session, campaign_id, destination(turn.channel)["channel_id"])
    now = [m["player_id"] for m in messages if isinstance(m.get("player_id"), int)]
    players = {p for p in [*speakers, *now] if p is not None}
    names = {m["player_id"]: str(m["author"]) for m in messages if isinstance(m.get("player_id"), int)}
    names.update({sheet["player_id"]: sheet["name"] for sheet in sheets})
    quiet = players - set(now)
    if quiet:
        names.update({p: stored.character.name for p, stored in find_many(session, quiet, campaign_id).items()})
    return spotlight_note(speakers, {p: names.get(p, f"player {p}") for p in players}, now)


def scene_brief(session: Session, campaign: Campaign) -> dict[str, Any] | None:
    """The current scene for the narrator, with its place's description from the campaign's locations."""
    structure = campaign.plot_structure or {}
    scene = plot.current_scene(structure, campaign.current_act, campaign.current_scene) or {}
    described = location_description(session, campaign.id, str(scene.get("location") or ""))
    return plot.scene_brief(structure, campaign.current_act, campaign.current_scene, described)


def summarized_history(entries: list[tuple[str, str]]) -> list[str]:
    """The last HISTORY_VERBATIM messages as they were; older ones folded into one short summary line made of
    the first sentence of each earlier narration (the prompt builder trims further to fit the model)."""
    recent = [text for _, text in entries[-HISTORY_VERBATIM:]]
    older = [text for kind, text in entries[:-HISTORY_VERBATIM] if kind == "narration" and text.strip()]
    if not older:
        return recent
    firsts = [re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0][:160] for text in older]
    summary = "Earlier in this session: " + " … ".join(firsts)
    return [summary[:HISTORY_SUMMARY_CHARS], *recent]


def recovery_hook(session: Session, campaign: Campaign, player_texts: list[str]) -> str | None:
    """When the players drift from the current scene, one gentle hook (the campaign's own first, then one made
    from the scene); the drift score is stored on the hook given."""
    cooldown = f"plot:hooked:{campaign.id}"
    client = get_redis()
    due = plot.hook_due(campaign.plot_structure, campaign.current_act, campaign.current_scene, player_texts,
                        cooling_down=bool(client.exists(cooldown)))
    if due is None:
        return None
    # The cooldown is taken atomically: two channels of one campaign may both have found it free.
    if not client.set(cooldown, due.score, nx=True, ex=HOOK_COOLDOWN_S):
        return None
    return use_plot_hook(session, campaign.id, campaign.current_act, due.score, due.fallback)


def prepare(channel: str, task_id: str, resume_turn_id: str = "") -> dict[str, Any] | None:
    """Claims the channel's batch; returns the generation request, or None when there is nothing to do."""
    turn = claim_batch(channel, task_id, resume_turn_id)
    if turn is None:
        return None
    if turn.attempts > MAX_TURN_ATTEMPTS:
        give_up(turn)
        return None

    stated = run_stated_actions(player_messages(turn))

    def work(session: Session) -> dict[str, Any]:
        return build_request(turn, session)

    request = run_in_transaction(work)
    narrated = [m.get("content", "") for m in results_to_narrate(turn)]
    request["context"]["mechanical_results"] = narrated + stated.results
    fight = [fact for m in results_to_narrate(turn) for fact in m.get("facts") or ()] + stated.facts
    if fight:
        request["context"]["fight"] = fight[:MAX_FIGHT_EVENTS]
    # What the rule-based parser resolved or asked: the model's proposals for those never run again.
    request["context"]["resolved_by_rules"] = stated.resolved
    request["context"]["asked_by_rules"] = stated.asked
    mark_stage(channel, turn.turn_id, "generate")
    return request


def give_up(turn: ClaimedTurn) -> None:
    def work(session: Session) -> list[KeyedReply]:
        if not claim(session, f"turn:{turn.turn_id}", "turns.give_up"):
            return []
        if not player_messages(turn):
            return []  # only results to narrate: their numbers were posted already, nothing to apologise for
        return [(f"turn:{turn.turn_id}", Reply(content=GAVE_UP_TEXT, **destination(turn.channel)))]

    reply_in_transaction(work)
    release(turn.channel, turn.turn_id)


@dataclass(frozen=True)
class Applied:
    """How many messages wait for the next turn, and the tasks to start now (the narration of actions the
    model proposed and the engine ran)."""

    waiting: int
    follow_ups: list[tuple[str, tuple[Any, ...]]]


def apply(request: dict[str, Any], result: dict[str, Any]) -> Applied:
    """Runs the model's actions, then in one transaction writes the player messages, the allowed updates and
    the narration, once."""
    channel, turn_id = request["channel"], request["turn_id"]
    messages = request["context"]["player_messages"]
    provider = str(result.get("provider"))
    target = destination(channel)
    proposed = model_updates.proposals(result)
    actions = model_updates.run_model_actions(request, proposed.updates, target, provider)

    def work(session: Session) -> tuple[list[Any], list[str]]:
        if not claim(session, f"turn:{turn_id}", "turns.apply"):
            return [], []
        campaign_id = request.get("campaign_id")
        for message in messages:
            session.add(MessageHistory(campaign_id=campaign_id, channel_id=target["channel_id"],
                                       player_id=message.get("player_id"), kind="player",
                                       message=message.get("text", "")))
        effects = model_updates.apply_updates(session, request, proposed.updates, provider, target["channel_id"])
        told = within_lines(session, result, provider, campaign_id, channel)
        model_turns.record_dropped(session, provider, campaign_id, channel,
                                   proposed.dropped + actions.dropped + effects.dropped)
        composed = compose_replies(told, turn_id=turn_id, target=target, batch_size=len(messages),
                                   narrates=request.get("narrates"), effect_lines=effects.lines,
                                   question=effects.question, actions_ran=bool(actions.results))
        if composed.narration is not None:
            session.add(MessageHistory(campaign_id=campaign_id, channel_id=target["channel_id"], player_id=None,
                                       kind="narration", message=composed.narration))
        if campaign_id is not None:  # the campaign's memory: NPCs met, promises, places (corpus.journal)
            journal.record_turn(session, campaign_id, [(m.get("author") or "", m.get("text", "")) for m in messages],
                                composed.narration or "")
        return add_replies(session, f"turn:{turn_id}", composed.replies), effects.lines

    rows, lines = run_in_transaction(work)
    if any(row.edit_key and row.edit_key.startswith("narration:") for row in rows):
        get_redis().set(keys.last_narration(channel), narration_key(turn_id), ex=LAST_NARRATION_TTL_S)
    publish(rows)
    follow_ups: list[tuple[str, tuple[Any, ...]]] = []
    if actions.results:
        # Sent again by a redone apply: the narration is applied once (its own turn key).
        event = {"message_id": actions.narrates, **target}
        # The discarded narration also covered this turn's other results: they are narrated again with these.
        earlier = request["context"].get("mechanical_results") or []
        follow_ups.append((NARRATE, (event, " ".join([*earlier, *actions.results, *lines]))))
    return Applied(release(channel, turn_id), follow_ups)


def within_lines(session: Session, result: dict[str, Any], provider: str, campaign_id: int | None,
                 channel: str) -> dict[str, Any]:
    """The answer with the sentences that cross one of the table's lines taken out (the prompt forbids them;
    this makes sure), on record in the audit log without the words themselves."""
    narration = str(result.get("narration") or "")
    lines = safety.topics(session)["line"]
    hits = crossed(narration, lines) if narration and lines else []
    if not hits:
        return result
    audit.record(session, f"model:{provider}", "narration crossed a line", target=channel, campaign_id=campaign_id,
                 before={"lines": hits}, after={"narration": "replaced: its sentences naming a line were removed"})
    return {**result, "narration": without_lines(narration, lines)}


def fallback_notice(channel: str, provider: str, primary: str) -> str | None:
    """Tell a channel once when its answers start coming from a fallback (and again after a recovery)."""
    key = f"llm:fallback_told:{channel}"
    client = get_redis()
    if provider == primary:
        client.delete(key)
        return None
    if client.set(key, provider, nx=True):
        return (f"*(The Dungeon Master's usual voice ({primary}) is unavailable; answering with {provider} "
                "until it returns.)*")
    return None


def publish_provider_status(status: dict[str, Any]) -> None:
    """The GPU worker's view of provider health, for `!model_status` and operators."""
    get_redis().set(keys.provider_state(), json.dumps(status, default=str), ex=3600)
