"""Runs one `!command`: parse, authorize, execute, and write its replies — all in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db import audit
from db.engine import Session, run_in_transaction, transaction
from db.outbox import OutboxRow, add_replies, reply_texts
from db.processed import claim
from dnd.errors import RulesError
from settings import get_settings
from tasks.handlers import load_all
from tasks.handlers.registry import (
    COMMANDS,
    MAX_COMMAND_ARGS_CHARS,
    REACTION_HANDLERS,
    CommandContext,
    CommandError,
    parse_command,
    suggest,
)
from tasks.publish import publish

log = logging.getLogger(__name__)


def run_command(context: CommandContext) -> None:
    spec = COMMANDS.get(context.name)
    if spec is None:
        hint = suggest(context.name)
        did_you_mean = f" Did you mean `!{hint}`?" if hint else ""
        name = context.name[:40] or "(nothing)"
        raise CommandError(f"I don't know the command `!{name}`.{did_you_mean} Type `!help` to see them all.")
    if spec.owner_only and not context.is_owner:
        raise CommandError(f"Only the owner can use `!{spec.name}`.")
    if len(context.args) > MAX_COMMAND_ARGS_CHARS:
        raise CommandError(f"That's too long for `!{spec.name}` ({len(context.args)} characters; "
                           f"the limit is {MAX_COMMAND_ARGS_CHARS}).")
    try:
        spec.handler(context)
    except RulesError as error:  # the engine's refusals are worded for the player
        raise CommandError(str(error)) from None
    if spec.owner_only:
        entry = context.audit_entry or {}
        audit.record(context.session, f"owner:{context.author_id}", f"!{spec.name} {context.args}",
                     target=entry.get("target"), campaign_id=entry.get("campaign_id"),
                     before=entry.get("before") or {}, after=entry.get("after") or {"replies": len(context.replies)})


AfterCommit = Callable[[], None]


def run_after_commit(hooks: list[AfterCommit]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # the transaction is committed; a failed side effect must not fail the task
            log.exception("after-commit hook failed")


FollowUps = list[tuple[str, tuple[Any, ...]]]


@dataclass(frozen=True)
class CommandOutcome:
    """What a command produced: the text of its replies (committed and published; for a message processed
    before, what it answered then; replies without text left out) and the follow-up tasks to send after the
    commit."""

    replies: list[str]
    follow_ups: FollowUps


_Ran = tuple[list[OutboxRow], list[str], FollowUps, list[AfterCommit]]


def execute_in_context(event: dict[str, Any], message_key: str, task_name: str,
                       body: Callable[[CommandContext], None], name: str = "", args: str = "", *,
                       stated: bool = False) -> CommandOutcome:
    """Run `body` with a CommandContext in one transaction, idempotent on `message_key`. A CommandError
    rolls everything back and answers with its message alone. Publishes the replies, runs the after-commit
    hooks and returns what the command answered and the follow-up tasks to send. `stated`: the command is an
    action a player stated in plain words (`CommandContext.stated`)."""
    settings = get_settings()

    def already_done(session: Session) -> _Ran:
        return [], reply_texts(session, message_key), [], []

    def work(session: Session) -> _Ran:
        if not claim(session, message_key, task_name):
            return already_done(session)
        context = CommandContext(event, name, args, session, settings, stated=stated)
        body(context)
        for finish in context.finishing:
            finish()
        rows = add_replies(session, message_key, context.replies)
        return rows, [row.content for row in rows if row.content], context.follow_ups, context.after_commit

    def refuse(error: CommandError) -> Callable[[Session], _Ran]:
        # A refusal changes nothing: the handler's transaction was rolled back; this one only answers.
        def work(session: Session) -> _Ran:
            if not claim(session, message_key, task_name):
                return already_done(session)
            context = CommandContext(event, "", "", session, settings)
            context.reply(str(error))
            rows = add_replies(session, message_key, context.replies)
            return rows, [row.content for row in rows if row.content], [], []

        return work

    try:
        rows, texts, follow_ups, hooks = run_in_transaction(work)
    except CommandError as error:
        rows, texts, follow_ups, hooks = run_in_transaction(refuse(error))
    # The side effects first (a combat gate, a DM route): once players read the reply they must already hold.
    run_after_commit(hooks)
    publish(rows)
    return CommandOutcome(texts, follow_ups)


def execute_command(event: dict[str, Any], *, stated: bool = False) -> CommandOutcome:
    """Runs the `!command` of the event once (on its message id)."""
    load_all()

    def body(context: CommandContext) -> None:
        context.name, context.args = parse_command(event.get("content", ""))
        run_command(context)

    return execute_in_context(event, f"msg:{event['message_id']}", "commands.run", body, stated=stated)


def command_replies(event: dict[str, Any]) -> list[str]:
    """What the event's command answered when it ran (nothing if it never did)."""
    with transaction() as session:
        return reply_texts(session, f"msg:{event['message_id']}")


def execute_reaction(event: dict[str, Any]) -> CommandOutcome:
    """Runs the handler of the confirmation reacted to, once per reaction."""
    load_all()
    handler = REACTION_HANDLERS.get((event.get("meta") or {}).get("awaiting", ""))
    if handler is None:
        return CommandOutcome([], [])
    return execute_in_context({**event, "author_id": event.get("user_id")}, f"reaction:{event['reaction_id']}",
                              "commands.reaction", handler)
