"""The base of every task: an attempt limit that turns a poison message into a dead letter.

With acks-late and reject-on-worker-lost a task whose process dies is delivered again; a task that always
kills its worker would loop forever. Each start counts an attempt in Redis; past the limit the task is
recorded in `dead_letters`, the user is told, and the message is acknowledged.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from celery import Task
from sqlalchemy.dialects.postgresql import insert

from db.engine import transaction
from db.models import DeadLetter
from db.outbox import Reply, add_replies
from keys import task_attempts
from settings import get_settings
from tasks.publish import publish
from tasks.redis_client import get_redis

log = logging.getLogger(__name__)

ATTEMPTS_TTL_S = 24 * 3600
GAVE_UP_TEXT = ("Sorry — I couldn't process that ({what}) after {attempts} attempts. It has been set aside "
                "for the operators; nothing else was changed.")
FAILED_TEXT = "Sorry — something went wrong while handling that ({what}). Nothing was changed."


def event_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """Tasks that act for a user take the event (the message) as their first argument."""
    candidate = args[0] if args else kwargs.get("event")
    return candidate if isinstance(candidate, dict) else None


def reply_for(event: dict[str, Any] | None, content: str) -> Reply | None:
    if not event:
        return None
    channel_id, dm_user_id = event.get("channel_id"), event.get("dm_user_id")
    if channel_id is None and dm_user_id is None:
        return None
    return Reply(content=content, channel_id=channel_id, dm_user_id=dm_user_id,
                 reply_to=event.get("message_id"))


class DndTask(Task):
    abstract = True
    # What the user is told the task was about, e.g. "your command".
    user_facing_name = "your request"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        # Only a redelivered message (its worker died, or its visibility timeout passed) counts attempts: the
        # first delivery is attempt 1 without a Redis round trip on the hot path.
        if task_id and not self.request.is_eager and (self.request.delivery_info or {}).get("redelivered"):
            attempts = self._count_attempt(task_id) + 1
            if attempts > get_settings().max_task_attempts:
                self._dead_letter(task_id, args, kwargs, attempts - 1, "worker died on every attempt")
                return None
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            log.exception("task %s failed", self.name)
            self._dead_letter(task_id or "", args, kwargs, 1, "".join(traceback.format_exception(error)),
                              text=FAILED_TEXT)
            raise

    def _count_attempt(self, task_id: str) -> int:
        redis = get_redis()
        key = task_attempts(task_id)
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, ATTEMPTS_TTL_S)
        return int(pipe.execute()[0])

    def _dead_letter(self, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], attempts: int,
                     error: str, text: str = GAVE_UP_TEXT) -> None:
        event = event_of(args, kwargs)
        reply = reply_for(event, text.format(what=self.user_facing_name, attempts=attempts))
        with transaction() as session:
            session.execute(
                insert(DeadLetter)
                .values(task_id=task_id or f"unknown:{id(args)}", task_name=self.name,
                        payload={"args": list(args), "kwargs": kwargs}, attempts=attempts, error=error[-4000:])
                .on_conflict_do_nothing(index_elements=["task_id"])
            )
            rows = add_replies(session, f"dead:{task_id}", [reply]) if reply else []
        publish(rows)
        log.error("task %s (%s) dead-lettered after %s attempts", self.name, task_id, attempts)
