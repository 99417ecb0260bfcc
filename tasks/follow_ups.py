"""Starts the work a committed command or turn asked for (its follow-ups), after the commit."""

from __future__ import annotations

from typing import Any

import keys
from tasks import turn_claim
from tasks.app import app
from tasks.handlers.registry import NARRATE


def send_follow_ups(follow_ups: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Sends each follow-up task; a narration joins its channel's next turn here, without a task of its own,
    and starts that turn only when none is in flight (the turn in flight starts the next when it ends)."""
    for task_name, args in follow_ups:
        if task_name == NARRATE:
            narrate(*args)
        else:
            app.send_task(task_name, args=list(args))


def narrate(event: dict[str, Any], mechanical: str, facts: list[dict[str, Any]] | None = None) -> None:
    channel, idle = turn_claim.queue_narration(event, mechanical, facts)
    if idle:
        app.send_task(keys.PREPARE_TURN_TASK, args=[channel])
