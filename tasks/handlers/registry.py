"""The command table: each `!command` is a handler registered with its usage and who may run it."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db.engine import Session
from db.outbox import Reply, reply_target
from settings import Settings

COMMAND_PREFIX = "!"
# The follow-up that asks for a narration of a mechanical reply (not a task: tasks.follow_ups queues the
# result into its channel's next narrative turn).
NARRATE = "narrate"
MAX_COMMAND_ARGS_CHARS = 2000


class CommandError(Exception):
    """A refusal or a bad argument: its message is shown to the player and nothing is changed."""


@dataclass
class CommandContext:
    event: dict[str, Any]
    name: str
    args: str
    session: Session
    settings: Settings
    replies: list[Reply] = field(default_factory=list)
    # Follow-up work to start after the commit (task name, args), e.g. narration on the GPU path.
    follow_ups: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    # Small side effects to run once the transaction has committed (e.g. Redis routing keys). They run only
    # when the command succeeded; a failure is logged, never undoes the commit.
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # Work that comes after everything the handler said, in the same transaction (a fight's end, after the blow
    # that ended it).
    finishing: list[Callable[[], None]] = field(default_factory=list)
    # What an owner command changed, for the audit log (the dispatcher writes the row).
    audit_entry: dict[str, Any] | None = None
    # The action was stated in plain words ("I attack the goblin"), not typed as a command: in a fight, on the
    # speaker's turn, it is the turn, so the combat handlers pass the turn once it resolved.
    stated: bool = False

    @property
    def author_id(self) -> int:
        return int(self.event["author_id"])

    @property
    def is_owner(self) -> bool:
        return self.author_id == self.settings.owner_id

    def reply(self, content: str = "", embeds: list[dict[str, Any]] | None = None, *, dm: bool = False,
              edit_key: str | None = None, meta: dict[str, Any] | None = None) -> None:
        """Answer where the command was typed (or in the author's DMs)."""
        self.replies.append(Reply(content=content, embeds=embeds or [], reply_to=self.event.get("message_id"),
                                  edit_key=edit_key, meta=meta or {}, **reply_target(self.event, dm=dm)))


    def narrate(self, mechanical: str, event: dict[str, Any] | None = None,
                facts: list[dict[str, Any]] | None = None) -> None:
        """The narrator follows this mechanical result with a second message (GPU path), in the campaign's voice;
        the player never waits on the model for the number. `facts`: the result as data (a fight's events,
        `dnd.render.facts.fight_events`), which the narrator retells."""
        args: tuple[Any, ...] = (event or self.event, mechanical, facts) if facts else (event or self.event, mechanical)
        self.follow_ups.append((NARRATE, args))

    def audit(self, target: str, before: dict[str, Any], after: dict[str, Any],
              campaign_id: int | None = None) -> None:
        """Record the before/after of an owner command (written to `audit_log` with the command)."""
        self.audit_entry = {"target": target, "before": before, "after": after, "campaign_id": campaign_id}


Handler = Callable[[CommandContext], None]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    handler: Handler
    owner_only: bool = False
    category: str = "General"
    details: str = ""  # shown by `!help <command>` only, after the summary


COMMANDS: dict[str, CommandSpec] = {}


def command(name: str, usage: str, summary: str, *, owner_only: bool = False,
            category: str = "General", details: str = "") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"command !{name} registered twice")
        COMMANDS[name] = CommandSpec(name, usage, summary, handler, owner_only, category, details)
        return handler

    return register


# A ✅/❌ on one of the bot's messages, handled like a command by the reacting user (`author_id`).
ReactionHandler = Callable[[CommandContext], None]
ACCEPT, DECLINE = "✅", "❌"
# meta["awaiting"] of the reacted-to message → the handler that owns that confirmation.
REACTION_HANDLERS: dict[str, ReactionHandler] = {}


def reaction(awaiting: str) -> Callable[[ReactionHandler], ReactionHandler]:
    """Registers the handler of the reactions to messages whose meta has `"awaiting": awaiting` (like
    :func:`command` for a `!command`)."""
    def register(handler: ReactionHandler) -> ReactionHandler:
        if awaiting in REACTION_HANDLERS:
            raise ValueError(f"reactions awaiting {awaiting!r} registered twice")
        REACTION_HANDLERS[awaiting] = handler
        return handler

    return register


def confirmation(awaiting: str, **fields: Any) -> dict[str, Any]:
    """The meta of a reply that asks ✅/❌ (buttons on Discord, reactions at the local table): the answer goes to
    the handler registered with :func:`reaction` for `awaiting`, with `fields` in the event's meta."""
    return {"awaiting": awaiting, **fields, "reactions": [ACCEPT, DECLINE]}


def parse_command(content: str) -> tuple[str, str]:
    """`"!Roll 1d20+5"` → `("roll", "1d20+5")`."""
    body = content.strip()
    if not body.startswith(COMMAND_PREFIX):
        raise CommandError("Commands start with `!`.")
    name, _, args = body[len(COMMAND_PREFIX):].partition(" ")
    return name.strip().lower(), args.strip()


def suggest(name: str) -> str | None:
    matches = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
    return matches[0] if matches else None
