"""The base of every task: an attempt limit that turns a poison message into a dead letter.

With acks-late and reject-on-worker-lost a task whose process dies is delivered again; a task that always
kills its worker would loop forever. Each start counts an attempt in Redis; past the limit the task is
recorded in `dead_letters`, the user is told, and the message is acknowledged.
"""

from __future__ import annotations

import logging
import shutil
import traceback
from typing import Any

from celery import Task
from psycopg2 import errors as pg_errors
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from db.engine import Session, is_retryable
from db.models import DeadLetter
from db.outbox import Reply, reply_target
from keys import task_attempts
from settings import get_settings
from tasks.publish import KeyedReply, publish_notice, reply_in_transaction
from tasks.redis_client import get_redis

log = logging.getLogger(__name__)

ATTEMPTS_TTL_S = 24 * 3600
GAVE_UP_TEXT = ("Sorry — I couldn't process that ({what}) after {attempts} attempts. It has been set aside "
                "for the operators; nothing else was changed.")
FAILED_TEXT = "Sorry — something went wrong while handling that ({what}). Nothing was changed."
DISK_FULL_TEXT = ("Sorry — the game's storage is full, so I couldn't save that ({what}). Nothing was changed; the "
                  "operators have been told. Please try again in a while.")
UNREACHABLE_TEXT = ("Sorry — the game's database has been unreachable for a few minutes, so I couldn't handle that "
                    "({what}). Nothing was changed; the operators have been told.")
# While PostgreSQL is down (killed, restarting, in recovery) a task waits for it: retried up to this many times,
# at most DB_RETRY_MAX_DELAY_S apart (about three minutes in all), then the user is told.
DB_RETRY_LIMIT = 40
DB_RETRY_MAX_DELAY_S = 5.0


# The embedded PostgreSQL needs room for a WAL segment (16 MB) to take writes, or even connections.
LOW_DISK_BYTES = 16 * 1024 * 1024


def disk_full(error: BaseException) -> bool:
    """PostgreSQL could not extend a file (SQLSTATE 53100), or the embedded server fails while the disk under its
    data directory is (nearly) full: it then refuses even connections ("could not write init file")."""
    if isinstance(getattr(error, "orig", None), pg_errors.DiskFull):
        return True
    settings = get_settings()
    if not settings.postgres_embedded:
        return False
    try:
        return shutil.disk_usage(settings.pg_data_dir).free < LOW_DISK_BYTES
    except OSError:
        return False


def database_unreachable(error: BaseException) -> bool:
    """The connection failed or was lost (the server was killed, restarts, or is still in recovery): the
    transaction was rolled back, so the task can run again once the server is back."""
    return isinstance(error, OperationalError | InterfaceError) or is_retryable(error)


def event_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """Tasks that act for a user take the event (the message) as their first argument."""
    candidate = args[0] if args else kwargs.get("event")
    return candidate if isinstance(candidate, dict) else None


def reply_for(event: dict[str, Any] | None, content: str) -> Reply | None:
    if not event:
        return None
    target = reply_target(event)
    return Reply(content=content, reply_to=event.get("message_id"), **target) if target else None


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
        except DBAPIError as error:
            if disk_full(error):
                log.critical("task %s: PostgreSQL's disk is full (%s); the user was told", self.name, error.orig)
                self._notify_directly(task_id, args, kwargs, DISK_FULL_TEXT)
                return None
            if not database_unreachable(error):
                self._fail(task_id, args, kwargs, error)
                raise
            retries = self.request.retries
            if retries >= DB_RETRY_LIMIT:
                log.critical("task %s: the database stayed unreachable through %d retries", self.name, retries)
                self._notify_directly(task_id, args, kwargs, UNREACHABLE_TEXT)
                return None
            log.warning("task %s: the database is unreachable (%s); retry %d", self.name,
                        error.__class__.__name__, retries + 1)
            raise self.retry(exc=error, countdown=min(0.5 * 2 ** retries, DB_RETRY_MAX_DELAY_S),
                             max_retries=DB_RETRY_LIMIT) from error
        except Exception as error:
            self._fail(task_id, args, kwargs, error)
            raise

    def _fail(self, task_id: str | None, args: tuple[Any, ...], kwargs: dict[str, Any], error: Exception) -> None:
        log.exception("task %s failed", self.name)
        self._dead_letter(task_id or "", args, kwargs, 1, "".join(traceback.format_exception(error)), text=FAILED_TEXT)

    def _notify_directly(self, task_id: str | None, args: tuple[Any, ...], kwargs: dict[str, Any], text: str) -> None:
        """Tells the user without the outbox (the database can't take the write): once per task, keyed by its id."""
        reply = reply_for(event_of(args, kwargs), text.format(what=self.user_facing_name))
        if reply is not None:
            publish_notice(f"notice:{task_id}", reply)

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

        def work(session: Session) -> list[KeyedReply]:
            session.execute(
                insert(DeadLetter)
                .values(task_id=task_id or f"unknown:{id(args)}", task_name=self.name,
                        payload={"args": list(args), "kwargs": kwargs}, attempts=attempts, error=error[-4000:])
                .on_conflict_do_nothing(index_elements=["task_id"])
            )
            return [(f"dead:{task_id}", reply)] if reply else []

        reply_in_transaction(work)
        log.error("task %s (%s) dead-lettered after %s attempts", self.name, task_id, attempts)
