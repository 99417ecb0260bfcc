"""Owner tools that belong to the backbone: the audit log."""

from __future__ import annotations

from db import audit
from tasks.handlers.registry import CommandContext, CommandError, command

MAX_AUDIT_ROWS = 25


@command("audit", "!audit [n]", "The last n entries of the audit log (owner commands, model-applied updates).",
         owner_only=True, category="Admin")
def audit_command(ctx: CommandContext) -> None:
    wanted = ctx.args.strip() or "10"
    if not wanted.isdigit() or not 1 <= int(wanted) <= MAX_AUDIT_ROWS:
        raise CommandError(f"`!audit` takes a number of entries from 1 to {MAX_AUDIT_ROWS}, e.g. `!audit 10`.")
    rows = audit.latest(ctx.session, int(wanted))
    if not rows:
        ctx.reply("The audit log is empty.")
        return
    lines = [f"`{row.created_at:%Y-%m-%d %H:%M:%S}` **{row.actor}** {row.action}"
             + (f" → {row.target}" if row.target else "") for row in rows]
    ctx.reply("\n".join(lines), embeds=[])
