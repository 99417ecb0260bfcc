"""The claim/release protocol of a channel's narrative turn in Redis: one turn in flight per channel.

The claimed batch lives in the Redis hash `turn:<channel>` until the turn is applied, so a crash at any
stage loses no message: a redelivered or re-driven stage finds the same batch and the same turn id (each
script runs atomically, so two workers never claim the same channel's batch).

Mechanical results to narrate (a roll, a purchase, a trade, a blow in a fight) join the same pending batch as
entries of kind "mechanical" (:func:`queue_narration`): the next turn narrates them with whatever the players
said, in order.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import keys
from tasks.redis_client import get_redis

MAX_BATCH_MESSAGES = 50
NARRATION_KIND = "mechanical"

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
    """The channel's batch for this task: a new one, or the one this task (or `resume_turn_id`) already holds;
    None when another turn is in flight or nothing waits."""
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
    """Ends the turn; returns how many messages wait for the next one."""
    return int(get_redis().eval(RELEASE_SCRIPT, 3, keys.turn(channel), keys.pending(channel),
                                keys.turns_in_flight(), turn_id, channel))


def queue_narration(event: dict[str, Any], mechanical: str,
                    facts: list[dict[str, Any]] | None = None) -> tuple[str, bool]:
    """A mechanical result already posted joins its channel's next turn, to be narrated. Returns the channel and
    whether a turn must be started for it (none is in flight)."""
    channel = keys.channel_key(event.get("channel_id"), event.get("dm_user_id"))
    entry = json.dumps({"kind": NARRATION_KIND, "message_id": str(event["message_id"]), "content": mechanical,
                        "received_at": time.time(), **({"facts": facts} if facts else {})})
    idle = get_redis().eval(QUEUE_NARRATION_SCRIPT, 4, keys.pending(channel), keys.pending_channels(),
                            keys.narration_queued(str(event["message_id"])), keys.turn(channel), entry, channel)
    return channel, bool(idle)


def player_messages(turn: ClaimedTurn) -> list[dict[str, Any]]:
    return [m for m in turn.messages if m.get("kind") != NARRATION_KIND]


def results_to_narrate(turn: ClaimedTurn) -> list[dict[str, Any]]:
    return [m for m in turn.messages if m.get("kind") == NARRATION_KIND]
