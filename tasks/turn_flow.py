"""The narrative turn of a channel, one in flight at a time: claim the pending batch, build the request,
apply the model's answer, release (and start the next batch if messages arrived meanwhile).

Mechanical results to narrate (a roll, a purchase, a trade, a blow in a fight) join the same pending batch as
entries of kind "mechanical": the next turn narrates them with whatever the players said, in order, and a busy
table gets one narration for many results instead of one model call each.

The claimed batch lives in the Redis hash `turn:<channel>` until the turn is applied, so a crash at any
stage loses no message: a redelivered or re-driven stage finds the same batch and the same turn id, and
applying is idempotent (`processed_messages`).
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import keys
from db.characters import active_campaign
from db.engine import run_in_transaction
from db.models import Campaign, MessageHistory, Npc, PlotThread, WorldState
from db.outbox import Reply, add_replies
from tasks import model_updates
from tasks.handlers.dispatch import claim
from tasks.handlers.registry import NARRATE
from tasks.publish import publish
from tasks.redis_client import get_redis
from tasks.stated_actions import run_stated_actions
from workers.llm import plot

MAX_BATCH_MESSAGES = 50
HISTORY_FETCHED = 40
HISTORY_VERBATIM = 12
HISTORY_SUMMARY_CHARS = 1200
MAX_PROMPT_NPCS = 20
HOOK_COOLDOWN_S = int(os.environ.get("PLOT_HOOK_COOLDOWN_S", "180"))
MAX_TURN_ATTEMPTS = 3
GAVE_UP_TEXT = ("The Dungeon Master lost the thread and couldn't answer those messages "
                "after several tries — please say that again.")

# Returns [status, messages_json, turn_id, attempts]; status claimed | resume | busy | empty.
CLAIM_SCRIPT = """
local turn_key, pending_key, inflight_key = KEYS[1], KEYS[2], KEYS[3]
local task_id, channel, now = ARGV[1], ARGV[2], ARGV[3]
local new_turn_id, resume_turn, max_batch = ARGV[4], ARGV[5], tonumber(ARGV[6])
local owner = redis.call('HGET', turn_key, 'task_id')
if owner then
  local turn_id = redis.call('HGET', turn_key, 'turn_id')
  if owner == task_id or (resume_turn ~= '' and resume_turn == turn_id) then
    local attempts = redis.call('HINCRBY', turn_key, 'attempts', 1)
    redis.call('HSET', turn_key, 'task_id', task_id, 'stage', 'prepare', 'updated_at', now)
    return {'resume', redis.call('HGET', turn_key, 'messages'), turn_id, tostring(attempts)}
  end
  return {'busy', '', '', '0'}
end
local items = redis.call('LRANGE', pending_key, 0, max_batch - 1)
if #items == 0 then
  redis.call('SREM', KEYS[4], channel)
  return {'empty', '', '', '0'}
end
redis.call('LTRIM', pending_key, #items, -1)
local messages = '[' .. table.concat(items, ',') .. ']'
redis.call('HSET', turn_key, 'task_id', task_id, 'messages', messages, 'turn_id', new_turn_id,
           'stage', 'prepare', 'updated_at', now, 'channel', channel, 'attempts', 1)
redis.call('SADD', inflight_key, channel)
return {'claimed', messages, new_turn_id, '1'}
"""

NARRATION_KIND = "mechanical"

# Appends a result to narrate to the channel's pending batch, once per result (a redone task adds nothing);
# returns 1 when no turn is in flight to pick it up when it ends (so the caller starts one), in the same step
# as the append so no wake-up is lost.
QUEUE_NARRATION_SCRIPT = """
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', 86400) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
end
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
return 1
"""

# Drops the turn record if it still belongs to this turn; returns how many messages wait for the next one.
RELEASE_SCRIPT = """
if redis.call('HGET', KEYS[1], 'turn_id') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[3], ARGV[2])
end
return redis.call('LLEN', KEYS[2])
"""


@dataclass(frozen=True)
class ClaimedTurn:
    channel: str
    turn_id: str
    messages: list[dict[str, Any]]
    attempts: int
    resumed: bool


def claim_batch(channel: str, task_id: str, resume_turn_id: str = "") -> ClaimedTurn | None:
    client = get_redis()
    status, messages, turn_id, attempts = client.eval(
        CLAIM_SCRIPT, 4, keys.turn(channel), keys.pending(channel), keys.turns_in_flight(),
        keys.pending_channels(), task_id, channel, str(time.time()), uuid.uuid4().hex, resume_turn_id,
        str(MAX_BATCH_MESSAGES))
    if status not in ("claimed", "resume"):
        return None
    return ClaimedTurn(channel, turn_id, json.loads(messages), int(attempts), status == "resume")


def mark_stage(channel: str, turn_id: str, stage: str) -> None:
    client = get_redis()
    if client.hget(keys.turn(channel), "turn_id") == turn_id:
        client.hset(keys.turn(channel), mapping={"stage": stage, "updated_at": str(time.time())})


def release(channel: str, turn_id: str) -> int:
    return int(get_redis().eval(RELEASE_SCRIPT, 3, keys.turn(channel), keys.pending(channel),
                                keys.turns_in_flight(), turn_id, channel))


def destination(channel: str) -> dict[str, int | None]:
    channel_id, dm_user_id = keys.parse_channel_key(channel)
    return {"channel_id": channel_id, "dm_user_id": dm_user_id}


def queue_narration(event: dict[str, Any], mechanical: str) -> tuple[str, bool]:
    """A mechanical result already posted joins its channel's next turn, to be narrated. Returns the channel and
    whether a turn must be started for it (none is in flight)."""
    channel = keys.channel_key(event.get("channel_id"), event.get("dm_user_id"))
    entry = json.dumps({"kind": NARRATION_KIND, "message_id": str(event["message_id"]), "content": mechanical,
                        "received_at": time.time()})
    idle = get_redis().eval(QUEUE_NARRATION_SCRIPT, 4, keys.pending(channel), keys.pending_channels(),
                            keys.narration_queued(str(event["message_id"])), keys.turn(channel), entry, channel)
    return channel, bool(idle)


def player_messages(turn: ClaimedTurn) -> list[dict[str, Any]]:
    return [m for m in turn.messages if m.get("kind") != NARRATION_KIND]


def results_to_narrate(turn: ClaimedTurn) -> list[dict[str, Any]]:
    return [m for m in turn.messages if m.get("kind") == NARRATION_KIND]


def build_request(turn: ClaimedTurn, session: Session) -> dict[str, Any]:
    """The narration request for the GPU worker: game state plus the batch, which the prompt quotes as data."""
    campaign = active_campaign(session)
    # message_id stays out of the prompt (the prompt builder ignores it); applying the turn needs it.
    context: dict[str, Any] = {"player_messages": [
        {"author": m.get("author_name") or str(m.get("author_id")), "player_id": m.get("author_id"),
         "text": m.get("content", ""), "message_id": m.get("message_id")} for m in player_messages(turn)]}
    if campaign is not None:
        world = session.get(WorldState, campaign.id)
        context.update(campaign=campaign.name, location=world.location if world else None,
                       plot={"current_act": campaign.current_act, "current_scene": str(campaign.current_scene),
                             "plot_flags": campaign.plot_flags})
        attitudes = npc_attitudes(session, campaign.id)
        if attitudes:
            context["world_state"] = {"npc_attitudes": attitudes}
        history = list(reversed(list(session.execute(
            select(MessageHistory).where(MessageHistory.campaign_id == campaign.id, MessageHistory.kind != "roll")
            .order_by(MessageHistory.id.desc()).limit(HISTORY_FETCHED)).scalars())))
        context["history"] = summarized_history([(h.kind, h.message) for h in history])
        recent_player_texts = [h.message for h in history if h.kind == "player"][-6:]
        recent_player_texts += [m["text"] for m in context["player_messages"]]
        hook = recovery_hook(session, campaign, recent_player_texts)
        if hook:
            context["plot_hook"] = hook
    request: dict[str, Any] = {"turn_id": turn.turn_id, "channel": turn.channel, "context": context,
                               "campaign_id": campaign.id if campaign else None}
    narrated = [m["message_id"] for m in results_to_narrate(turn)]
    if narrated:
        request["narrates"] = narrated
    return request


def npc_attitudes(session: Session, campaign_id: int) -> dict[str, str]:
    """The NPCs whose attitude moved away from indifferent, for the narrator to honour."""
    rows = session.execute(select(Npc.name, Npc.attitude).where(Npc.campaign_id == campaign_id,
                                                                Npc.attitude != "indifferent")
                           .order_by(Npc.name).limit(MAX_PROMPT_NPCS))
    return {name: attitude for name, attitude in rows}


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
    scene = plot.current_scene(campaign.plot_structure, campaign.current_act, campaign.current_scene)
    score = plot.deviation_score(player_texts, plot.scene_keywords(scene))
    if score < plot.DRIFT_THRESHOLD:
        return None
    # One hook, then a few quiet turns: a nudge, not a railroad.
    if not get_redis().set(f"plot:hooked:{campaign.id}", score, nx=True, ex=HOOK_COOLDOWN_S):
        return None
    thread = session.execute(
        select(PlotThread).where(PlotThread.campaign_id == campaign.id, PlotThread.used.is_(False))
        .order_by(PlotThread.plot_point, PlotThread.id).limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
    if thread is None:
        text = plot.fallback_hook(scene)
        if text is None:
            return None
        thread = PlotThread(campaign_id=campaign.id, hook=text, plot_point=campaign.current_act)
        session.add(thread)
    thread.used = True
    thread.deviation_level = score
    return thread.hook


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
    # What the rule-based parser resolved or asked: the model's proposals for those never run again.
    request["context"]["resolved_by_rules"] = stated.resolved
    request["context"]["asked_by_rules"] = stated.asked
    mark_stage(channel, turn.turn_id, "generate")
    return request


def give_up(turn: ClaimedTurn) -> None:
    def work(session: Session) -> list[Any]:
        if not claim(session, f"turn:{turn.turn_id}", "turns.give_up"):
            return []
        if not player_messages(turn):
            return []  # only results to narrate: their numbers were posted already, nothing to apologise for
        return add_replies(session, f"turn:{turn.turn_id}", [Reply(content=GAVE_UP_TEXT,
                                                                   **destination(turn.channel))])

    publish(run_in_transaction(work))
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
    actions = model_updates.run_model_actions(request, proposed.updates, target)

    def work(session: Session) -> tuple[list[Any], list[str]]:
        if not claim(session, f"turn:{turn_id}", "turns.apply"):
            return [], []
        campaign_id = request.get("campaign_id")
        for message in messages:
            session.add(MessageHistory(campaign_id=campaign_id, channel_id=target["channel_id"],
                                       player_id=message.get("player_id"), kind="player",
                                       message=message.get("text", "")))
        effects = model_updates.apply_updates(session, request, proposed.updates, provider, target["channel_id"])
        model_updates.record_dropped(session, provider, campaign_id, channel,
                                     proposed.dropped + actions.dropped + effects.dropped)
        question = [f"❓ {effects.question}"] if effects.question else []
        replies: list[Reply] = []
        if result.get("notice"):
            replies.append(Reply(content=result["notice"], meta={"notice": True, "turn_id": turn_id}, **target))
        if actions.results:
            # The narration was written before the engine resolved the actions: a new one follows from them.
            if effects.lines or question:
                replies.append(Reply(content="\n".join(effects.lines + question),
                                     meta={"turn_id": turn_id, "effects": True}, **target))
        else:
            narration = result.get("narration", "")
            session.add(MessageHistory(campaign_id=campaign_id, channel_id=target["channel_id"], player_id=None,
                                       kind="narration", message=narration))
            meta = {"provider": result.get("provider"), "turn_id": turn_id, "batch_size": len(messages)}
            if request.get("narrates"):
                meta["narrates"] = request["narrates"]
            body = [narration, "\n".join(effects.lines)] if effects.lines else [narration]
            replies.append(Reply(content="\n\n".join(body + question), meta=meta, **target))
        return add_replies(session, f"turn:{turn_id}", replies), effects.lines

    rows, lines = run_in_transaction(work)
    publish(rows)
    follow_ups: list[tuple[str, tuple[Any, ...]]] = []
    if actions.results:
        # Sent again by a redone apply: the narration is applied once (its own turn key).
        event = {"message_id": actions.narrates, **target}
        # The discarded narration also covered this turn's other results: they are narrated again with these.
        earlier = request["context"].get("mechanical_results") or []
        follow_ups.append((NARRATE, (event, " ".join([*earlier, *actions.results, *lines]))))
    return Applied(release(channel, turn_id), follow_ups)


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
