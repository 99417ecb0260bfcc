"""Queue `commands`: one player command, answered at once."""

from __future__ import annotations

import json
from typing import Any

from celery.signals import worker_ready

import keys
from db.engine import transaction
from tasks.app import app
from tasks.base import DndTask
from tasks.follow_ups import send_follow_ups
from tasks.handlers.completion import catalog, choices
from tasks.handlers.dispatch import execute_command, execute_reaction
from tasks.handlers.interactive import execute_session_reply
from tasks.redis_client import get_redis

AUTOCOMPLETE_ANSWER_TTL_S = 30


@app.task(name=keys.COMMAND_TASK, base=DndTask, user_facing_name="your command")
def run(event: dict[str, Any]) -> None:
    send_follow_ups(execute_command(event).follow_ups)


@app.task(name=keys.REACTION_TASK, base=DndTask, user_facing_name="your reaction")
def reaction(event: dict[str, Any]) -> None:
    """A ✅/❌ on one of the bot's messages (trade confirmations). Messages that ask for no reaction
    simply ignore it."""
    send_follow_ups(execute_reaction(event).follow_ups)


@app.task(name=keys.SESSION_REPLY_TASK, base=DndTask, user_facing_name="your answer")
def session_reply(event: dict[str, Any]) -> None:
    """A DM answering the player's interactive session (character creation, level-up): one step, one
    transaction, once per message."""
    send_follow_ups(execute_session_reply(event))


@app.task(name=keys.AUTOCOMPLETE_TASK, base=DndTask, user_facing_name="autocomplete", max_retries=0)
def autocomplete(request_id: str, query: dict[str, Any]) -> None:
    """Choices for a slash command's option as the player types (the gateway waits about two seconds)."""
    with transaction() as session:
        found = choices(session, int(query["author_id"]), str(query["command"]), str(query.get("typed", "")))
    pipe = get_redis().pipeline()
    pipe.rpush(keys.autocomplete_answer(request_id), json.dumps(found, ensure_ascii=False))
    pipe.expire(keys.autocomplete_answer(request_id), AUTOCOMPLETE_ANSWER_TTL_S)
    pipe.execute()


@worker_ready.connect
def publish_catalog(**_: Any) -> None:
    """The gateway reads the commands from Redis to register them as slash commands."""
    get_redis().set(keys.COMMAND_CATALOG, json.dumps(catalog(), ensure_ascii=False, sort_keys=True))
