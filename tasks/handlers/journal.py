"""The campaign's memory for the table: `!recap`, `!journal`, `!npc`, and the owner's `!end_session` and journal
edits. Notes are taken as the game is played (`db.journal.record_turn`); a summary closes each session (a quiet
hour, or `!end_session`)."""

from __future__ import annotations

from corpus import journal as memory
from db import journal
from db.campaigns import campaign_for_update, campaign_name, ensure_active_campaign
from tasks import session_summary
from tasks.handlers.registry import CommandContext, CommandError, command

CATEGORY = "Journal"
MAX_TOPIC_CHARS = 200
MAX_ENTRY_CHARS = 1000
MAX_REPLY_CHARS = 1900


def _clipped_lines(lines: list[str]) -> str:
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > MAX_REPLY_CHARS:
            out.append(f"… and {len(lines) - len(out)} more.")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


@command("recap", "!recap [all]", "What happened last session (or in every session, with `all`).",
         category=CATEGORY)
def recap_command(ctx: CommandContext) -> None:
    wanted = ctx.args.strip().casefold()
    if wanted not in ("", "all"):
        raise CommandError("`!recap` shows the last session; `!recap all` every session.")
    campaign_id = ensure_active_campaign(ctx.session)
    summaries = journal.summaries(ctx.session, campaign_id, last_only=wanted == "")
    name = campaign_name(ctx.session, campaign_id)
    if not summaries:
        current = journal.notes(ctx.session, campaign_id,
                                session_number=journal.current_session_number(ctx.session, campaign_id))
        if not current:
            raise CommandError(f"Nothing is in the journal of **{name}** yet: it fills as you play.")
        ctx.reply(f"📖 **{name}** — no session has ended yet; so far:\n"
                  + _clipped_lines([f"• {e.line()}" for e in reversed(current)]))
        return
    ctx.reply(f"📖 **{name}**\n" + _clipped_lines([e.text for e in summaries]))


@command("journal", "!journal [topic]",
         "The campaign's notes (NPCs met, places, items, promises), or those about a topic.", category=CATEGORY)
def journal_command(ctx: CommandContext) -> None:
    args = " ".join(ctx.args.split())
    if len(args) > MAX_TOPIC_CHARS:
        raise CommandError(f"That topic is too long (at most {MAX_TOPIC_CHARS} characters).")
    campaign_id = ensure_active_campaign(ctx.session)
    found = memory.search(ctx.session, campaign_id, args, 15) if args else journal.notes(ctx.session, campaign_id)
    if not found:
        if args:
            raise CommandError(f"Nothing in the journal about “{args[:60]}”. Try a name or a place, or "
                               "`!journal` for the latest notes.")
        raise CommandError("The journal is empty so far: it fills as you play.")
    title = f"about “{args[:60]}”" if args else "latest notes"
    ctx.reply(f"📖 Journal — {title}:\n" + _clipped_lines([f"• `#{e.id}` {e.line()}" for e in found]))


def _entry_number(text: str, usage: str) -> tuple[int, str]:
    number, _, rest = text.strip().lstrip("#").partition(" ")
    if not number.isdigit() or len(number) > 9:
        raise CommandError(f"Give the entry's number (`!journal` shows them): `{usage}`.")
    return int(number), rest.strip()


def _change(ctx: CommandContext, entry_id: int, text: str | None) -> None:
    campaign_id = ensure_active_campaign(ctx.session)
    changed = journal.change_entry(ctx.session, campaign_id, entry_id, text=text, by=ctx.author_id)
    if changed is None:
        raise CommandError(f"There is no journal entry #{entry_id} in this campaign (`!journal` shows the numbers).")
    ctx.audit(f"journal:{entry_id}", *changed, campaign_id)
    ctx.reply(f"📖 Journal entry #{entry_id} {'struck out' if text is None else 'rewritten'}.")


@command("journal_edit", "!journal_edit <id> <text>", "Rewrite a journal entry.", owner_only=True,
         category=CATEGORY)
def journal_edit_command(ctx: CommandContext) -> None:
    entry_id, text = _entry_number(ctx.args, "!journal_edit <id> <text>")
    if not text:
        raise CommandError("Give the new text: `!journal_edit <id> <text>`.")
    if len(text) > MAX_ENTRY_CHARS:
        raise CommandError(f"That entry is too long (at most {MAX_ENTRY_CHARS} characters).")
    _change(ctx, entry_id, text)


@command("journal_strike", "!journal_strike <id>", "Strike a journal entry out (the narrator forgets it).",
         owner_only=True, category=CATEGORY)
def journal_strike_command(ctx: CommandContext) -> None:
    entry_id, rest = _entry_number(ctx.args, "!journal_strike <id>")
    if rest:
        raise CommandError("`!journal_strike <id>` takes only the entry's number.")
    _change(ctx, entry_id, None)


@command("npc", "!npc <name>", "What the journal remembers of an NPC (and how they feel about the party).",
         category=CATEGORY)
def npc_command(ctx: CommandContext) -> None:
    name = " ".join(ctx.args.split())
    if not name:
        raise CommandError("Whom? `!npc <name>`.")
    if len(name) > 80:
        raise CommandError("That name is too long (at most 80 characters).")
    campaign_id = ensure_active_campaign(ctx.session)
    known = journal.npc_attitude(ctx.session, campaign_id, name)
    found = journal.notes(ctx.session, campaign_id, subject=known[0] if known else name, limit=10)
    if known is None and not found:
        raise CommandError(f"The journal doesn't know anyone called “{name[:60]}”.")
    head = f"👤 **{known[0]}** — {known[1]} towards the party" if known else f"👤 **{name}**"
    ctx.reply(head + ("\n" + _clipped_lines([f"• {e.line()}" for e in reversed(found)]) if found
                      else "\nNot met yet in play."))


@command("end_session", "!end_session", "Close the session: its summary goes into the journal (`!recap`).",
         owner_only=True, category=CATEGORY)
def end_session_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        raise CommandError("`!end_session` takes no arguments.")
    campaign_id = ensure_active_campaign(ctx.session)
    campaign = campaign_for_update(ctx.session, campaign_id)
    assert campaign is not None
    closed = memory.close_session(ctx.session, campaign)
    if closed is None:
        raise CommandError("Nothing was played since the last session ended.")
    entry = closed.entry
    ctx.audit(f"journal:{entry.id}", {}, {"summary": entry.text}, campaign_id)
    ctx.reply(f"📖 Session {entry.session_number} is in the journal:\n{entry.text}")
    ctx.follow_ups.append(session_summary.follow_up(closed, ctx.event))  # the model's telling, when it can
