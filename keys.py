"""Redis key and stream names, and task names: the contract between the gateway and the workers (stdlib only).

A conversation is addressed by a *channel key*: `c:<channel id>` for a channel, `dm:<user id>` for DMs.
"""

from __future__ import annotations

REPLIES_STREAM = "replies"
REPLIES_GROUP = "gateway"
# Bounded so the stream cannot grow without limit; entries are acked long before this many pile up.
REPLIES_MAXLEN = 100_000


# Task names: the gateway sends tasks by these names (it never imports task code) and the tasks register under
# them. A queue family is a name's prefix (`celeryconfig.task_routes`).
COMMAND_TASK = "tasks.commands.run"
REACTION_TASK = "tasks.commands.reaction"
SESSION_REPLY_TASK = "tasks.commands.session_reply"
AUTOCOMPLETE_TASK = "tasks.commands.autocomplete"
PREPARE_TURN_TASK = "tasks.turns.prepare"
GENERATE_TURN_TASK = "tasks.turns.generate"
APPLY_TURN_TASK = "tasks.turns.apply"
QUESTION_TASK = "tasks.turns.question"
STORE_SUMMARY_TASK = "tasks.turns.store_summary"
SWEEP_TASK = "tasks.system.sweep"
SWITCH_MODEL_TASK = "tasks.system.switch_model"
IMPORT_SRD_TASK = "tasks.system.import_srd"
ECHO_TASK = "tasks.system.echo"
CRASH_PROBE_TASK = "tasks.system.crash_probe"
REBUILD_INDEX_TASK = "tasks.rag.rebuild_index"
ANALYZE_TASK = "tasks.meta.analyze"
NEW_CAMPAIGN_TASK = "tasks.meta.new_campaign"
GENERATE_SHOP_TASK = "tasks.shops.generate"
RESTOCK_SHOP_TASK = "tasks.shops.restock"


def channel_key(channel_id: int | None = None, dm_user_id: int | None = None) -> str:
    if dm_user_id is not None:
        return f"dm:{dm_user_id}"
    if channel_id is None:
        raise ValueError("a channel key needs a channel id or a DM user id")
    return f"c:{channel_id}"


def parse_channel_key(key: str) -> tuple[int | None, int | None]:
    """Returns (channel_id, dm_user_id)."""
    kind, _, number = key.partition(":")
    if kind == "dm":
        return None, int(number)
    if kind == "c":
        return int(number), None
    raise ValueError(f"not a channel key: {key!r}")


def pending(channel: str) -> str:
    """List of narrative messages waiting for the next turn of a channel."""
    return f"pending:{channel}"


def pending_channels() -> str:
    """Set of channel keys whose pending list may be non-empty (so leftovers are found at start)."""
    return "pending:channels"


def turn(channel: str) -> str:
    """Hash describing the channel's turn in flight (one at a time per channel)."""
    return f"turn:{channel}"


def turns_in_flight() -> str:
    """Set of channel keys with a turn in flight (for the watchdog and the typing indicator)."""
    return "turns:inflight"


def combat(channel: str) -> str:
    """Written by workers while a combat runs: JSON with the current actor's user id."""
    return f"combat:{channel}"


def session(user_id: int | str) -> str:
    """Set by workers while a user has an interactive session (character creation, level-up): the value is its
    kind. The gateway sends that user's DMs that are not commands to the session instead of the narrative."""
    return f"session:{user_id}"


def presence(user_id: int) -> str:
    return f"presence:{user_id}"


def narration_queued(message_id: str) -> str:
    """Set when a mechanical result joined its channel's pending batch to be narrated (once per result)."""
    return f"narration:queued:{message_id}"


def seen_message(message_id: str) -> str:
    return f"seen:{message_id}"


def posted_reply(reply_key: str) -> str:
    return f"posted:{reply_key}"


def task_attempts(task_id: str) -> str:
    return f"attempts:{task_id}"


def provider_state() -> str:
    """JSON: model provider health published by the GPU worker (for `!model_status`)."""
    return "llm:providers"


def worker_heartbeat(name: str) -> str:
    return f"heartbeat:{name}"


def published_outbox() -> str:
    """Set of outbox row ids already on the stream; the sweeper records them in the database in bulk, so the
    hot path costs no second transaction."""
    return "outbox:published"


def force_api() -> str:
    """"1" while the owner forces the API fallbacks (`!fallback_api`); the GPU worker reads it per batch."""
    return "llm:force_api"


def model_override() -> str:
    """The model `!switch_model` chose; the vLLM program starts with it instead of LOCAL_MODEL_NAME."""
    return "llm:model_override"


# The commands as the workers' registry has them (JSON list, written when a command worker starts): the Discord
# gateway registers them as slash commands without importing the handlers.
COMMAND_CATALOG = "commands:catalog"


def autocomplete_answer(request_id: str) -> str:
    """A list the command worker pushes the choices of one autocomplete request onto (the gateway BLPOPs it)."""
    return f"autocomplete:{request_id}"


def interaction(message_id: str) -> str:
    """A slash command's interaction (application id and token, JSON): its replies edit the deferred answer."""
    return f"interaction:{message_id}"


def interaction_answered(message_id: str) -> str:
    """Set once the deferred answer of an interaction was edited: later replies to it are follow-ups."""
    return f"interaction:answered:{message_id}"


def last_narration(channel: str) -> str:
    """The edit key of a channel's latest narration (what the X-card withdraws)."""
    return f"narration:last:{channel}"


def x_card(channel: str) -> str:
    """Set when the X-card withdrew a narration: the next narrations are told to steer away."""
    return f"xcard:{channel}"
