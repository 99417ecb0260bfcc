"""Queue `commands`: one player command, answered at once."""

from __future__ import annotations

from typing import Any

import keys
from tasks.app import app
from tasks.base import DndTask
from tasks.follow_ups import send_follow_ups
from tasks.handlers.dispatch import execute_command, execute_reaction
from tasks.handlers.interactive import execute_session_reply


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
