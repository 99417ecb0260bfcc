"""Rules and campaign knowledge: `!rule`, `!spell`, `!monster`, `!condition`, `!index_stats`, and the owner's
`!rebuild_index`, `!load_campaign`, `!analyze_structures`, `!new_campaign`.

Searches run here (the query embedding is a NumPy pass of a few milliseconds); anything long — building an
index, analysing or generating campaigns — is handed to the `ingest` / `analysis` queues after the commit.
"""

from __future__ import annotations

import re
from typing import Any

import keys
from corpus.campaigns import CampaignError, check_campaign_name, find_slug, list_campaign_files, load_into_db
from corpus.ingest import UnknownIndexError, format_duration
from corpus.lookup import (
    LookupResult,
    built_in_entry,
    built_in_names,
    format_details,
    lookup,
    suggest,
    table_entry,
    table_names,
)
from corpus.retrieval import Hit, search
from corpus.store import (
    RULES_INDEX,
    IndexNameError,
    campaign_index_name,
    index_exists,
    index_has_windows,
    index_stats,
)
from db import safety
from db.campaigns import active_campaign_id, campaign_name
from db.characters import levels_in_campaign
from db.outbox import reply_target
from dnd.data.rule_notes import find_notes
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.rag import new_job, register, request_cancel, running_jobs

MAX_QUOTE_CHARS = 700
MAX_ENTRY_CHARS = 1700
MAX_QUERY_CHARS = 300


def _destination(ctx: CommandContext) -> dict[str, Any]:
    return {**reply_target(ctx.event), "reply_to": ctx.event.get("message_id")}


def _where(hit: Hit) -> str:
    heading = " › ".join(hit.heading_path) or "(no heading)"
    page = f", p. {hit.page}" if hit.page is not None else ""
    return f"{hit.source_file}{page} — {heading}"


def _quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    text = text.strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def one_line_summary(query: str, hits: list[Hit]) -> str:
    """Extractive: the sentence of the best passages that shares the most words with the question."""
    words = {word for word in re.findall(r"[a-z]{4,}", query.lower())}
    best, best_score = "", -1
    for rank, hit in enumerate(hits[:3]):
        for sentence in _SENTENCE_RE.split(hit.passage.replace("\n", " ")):
            sentence = sentence.strip(" >-*#")
            if len(sentence) < 25:
                continue
            overlap = len(words & set(re.findall(r"[a-z]{4,}", sentence.lower())))
            score = overlap * 10 - rank * 3 - len(sentence) // 200
            if score > best_score:
                best, best_score = sentence, score
    return best[:300]


def _rules_index_ready(ctx: CommandContext) -> bool:
    return index_has_windows(ctx.session, RULES_INDEX)


def _add_books_text() -> str:
    return ("No rulebook is indexed yet, so this is from the engine's own rule notes. To search the books, the owner "
            "puts them (Markdown or PDF, e.g. the SRD) in RULES_DIR and runs `!rebuild_index rules`.")


def _rule_from_notes(ctx: CommandContext, question: str) -> None:
    """No rules index: the engine's own notes on the rules it implements."""
    notes = find_notes(question)
    if not notes:
        ctx.reply(f"📖 My rule notes say nothing about “{question[:100]}”. {_add_books_text()}")
        return
    fields = [{"name": note.topic, "value": note.text[:1024]} for note in notes]
    ctx.reply(f"📖 **{question[:200]}** (built-in rule notes)\n{_add_books_text()}",
              embeds=[{"title": "Rule notes", "fields": fields}])


@command("rule", "!rule <question>", "Look a rule up: the best passages of the indexed rulebooks, quoted with "
         "their source, and a summary (the engine's own rule notes while no book is indexed).", category="Rules")
def rule_command(ctx: CommandContext) -> None:
    question = ctx.args.strip()
    if not question:
        raise CommandError("What should I look up? For example `!rule How does grappling work?`")
    if len(question) > MAX_QUERY_CHARS:
        raise CommandError(f"Please keep the question under {MAX_QUERY_CHARS} characters.")
    if not _rules_index_ready(ctx):
        _rule_from_notes(ctx, question)
        return
    hits = search(question, RULES_INDEX, 3, session=ctx.session)
    if not hits:
        ctx.reply(f"I found nothing in the rules about “{question[:100]}”.")
        return
    fields = [{"name": f"{rank}. {_where(hit)[:240]}", "value": _quote(hit.passage, 900)[:1024]}
              for rank, hit in enumerate(hits, start=1)]
    summary = one_line_summary(question, hits)
    ctx.reply(f"📖 **{question[:200]}**\n**In short:** {summary}" if summary else f"📖 **{question[:200]}**",
              embeds=[{"title": "Rules passages", "fields": fields}])


def _entry_reply(ctx: CommandContext, result: LookupResult, label: str) -> None:
    if result.details is not None:
        body = format_details(result.kind, result.details) or "(no description)"
        ctx.reply(f"**{result.name}** ({label} · SRD import)\n{body[:MAX_ENTRY_CHARS]}")
        return
    if result.section:
        page = f", p. {result.page}" if result.page is not None else ""
        source = f"{result.source_file}{page} — {' › '.join(result.heading_path)}"
        ctx.reply(f"**{result.name}** ({label})\n{result.section[:MAX_ENTRY_CHARS]}\n\n*Source: {source}*")
        return
    if result.suggestions:
        names = ", ".join(f"**{name}**" for name in result.suggestions)
        ctx.reply(f"I don't know a {label} called “{result.query[:60]}”. Did you mean {names}?")
        return
    if result.hits:
        best = result.hits[0]
        ctx.reply(f"No {label} is called “{result.query[:60]}”. The closest passage I found:\n"
                  f"{_quote(best.passage, 600)}\n*{_where(best)}*")
        return
    ctx.reply(f"I found no {label} called “{result.query[:60]}”.")


def _entry_command(ctx: CommandContext, kind: str, label: str) -> None:
    name = ctx.args.strip()
    if not name:
        raise CommandError(f"Which {label}? For example `!{kind} {_EXAMPLES[kind]}`.")
    if len(name) > 80:
        raise CommandError(f"That {label} name is too long.")
    result = lookup(ctx.session, kind, name) if _rules_index_ready(ctx) else _table_only(ctx, kind, name)
    if not result.found:
        own = built_in_entry(kind, name)
        if own is not None:
            ctx.reply(f"**{own[0]}** ({label} · built-in)\n{own[1][:MAX_ENTRY_CHARS]}")
            return
        if result.suggestions or not result.hits:  # the built-in names are suggested beside the imported ones
            result.suggestions = suggest(name, [*table_names(ctx.session, kind), *built_in_names(kind)])
    _entry_reply(ctx, result, label)


def _table_only(ctx: CommandContext, kind: str, name: str) -> LookupResult:
    """No rules index: the rules table alone (exact names; the caller suggests)."""
    result = LookupResult(kind, name)
    entry = table_entry(ctx.session, kind, name)
    if entry is not None:
        result.name, result.details = entry
    return result


_EXAMPLES = {"spell": "Fireball", "monster": "Goblin", "condition": "Grappled"}


@command("spell", "!spell <name>", "A spell's full description (exact name; close names are suggested).",
         category="Rules")
def spell_command(ctx: CommandContext) -> None:
    _entry_command(ctx, "spell", "spell")


@command("monster", "!monster <name>", "A monster's stat block (exact name; close names are suggested).",
         category="Rules")
def monster_command(ctx: CommandContext) -> None:
    _entry_command(ctx, "monster", "monster")


@command("condition", "!condition <name>", "What a condition does (blinded, grappled, prone…).", category="Rules")
def condition_command(ctx: CommandContext) -> None:
    _entry_command(ctx, "condition", "condition")


@command("index_stats", "!index_stats", "The knowledge indexes: files, chunks, last build and size.", category="Rules")
def index_stats_command(ctx: CommandContext) -> None:
    stats = index_stats(ctx.session)
    jobs = running_jobs()
    if not stats and not jobs:
        ctx.reply("No index has been built yet. The owner can run `!rebuild_index all`.")
        return
    fields = []
    for stat in stats:
        built = f"{stat.last_build_finished_at:%Y-%m-%d %H:%M} UTC" if stat.last_build_finished_at else "never finished"
        failed = f", {stat.failed_files} failed" if stat.failed_files else ""
        took = stat.last_report.get("seconds")
        took_text = f" in {format_duration(float(took))}" if took else ""
        fields.append({"name": f"{stat.name} ({stat.status})",
                       "value": f"{stat.files} files{failed} · {stat.chunks} chunks · {stat.windows} windows · "
                                f"{stat.size_bytes / 1048576:.1f} MB · last build {built}{took_text}",
                       "inline": False})
    content = "Knowledge indexes"
    if jobs:
        content += "\n" + "\n".join(
            f"⏳ job `{job_id}` ({record.get('target')}): {record.get('detail') or record.get('state')}"
            for job_id, record in jobs.items())
    ctx.reply(content, embeds=[{"title": "Indexes", "fields": fields[:25]}])


def _parse_target(args: str) -> str:
    words = args.split()
    if not words:
        return "all"
    head = words[0].lower()
    if head in ("all", "rules", "campaigns") and len(words) == 1:
        return head
    if head == "campaign" and len(words) == 2:
        return f"campaign:{check_campaign_name(words[1])}"
    if head.startswith("campaign:") and len(words) == 1:
        return f"campaign:{check_campaign_name(words[0].split(':', 1)[1])}"
    raise CommandError("Usage: `!rebuild_index [rules|campaign <name>|all|cancel]`.")


@command("rebuild_index", "!rebuild_index [rules|campaign <name>|all|cancel]",
         "Rebuild the knowledge indexes in the background (progress is shown here); `cancel` stops it.",
         owner_only=True, category="Admin")
def rebuild_index_command(ctx: CommandContext) -> None:
    if ctx.args.strip().lower() == "cancel":
        cancelled = request_cancel()
        ctx.reply("⏹️ Cancelling the index rebuild (it stops after the file in hand)." if cancelled
                  else "No index rebuild is running.")
        return
    try:
        target = _parse_target(ctx.args)
    except CampaignError as error:
        raise CommandError(str(error)) from None
    jobs = running_jobs()
    if jobs:
        job_id, record = next(iter(jobs.items()))
        raise CommandError(f"An index rebuild is already running (job `{job_id}`, {record.get('target')}: "
                           f"{record.get('detail') or record.get('state')}). `!rebuild_index cancel` stops it.")
    try:
        job = new_job(target, _destination(ctx), announce=False)
    except (UnknownIndexError, IndexNameError, CampaignError) as error:
        raise CommandError(str(error)) from None
    ctx.after_commit.append(lambda: register(job, "queued"))
    ctx.reply(f"🔧 Rebuilding `{target}` in the background (job `{job['id']}`): "
              f"{', '.join(job['pending']) or 'nothing to build'}. Progress follows.")
    ctx.follow_ups.append((keys.REBUILD_INDEX_TASK, (target, job)))


@command("load_campaign", "!load_campaign <name>",
         "Load a campaign from corpus/campaigns/ and make it the active one (its index is built if missing).",
         owner_only=True, category="Campaign")
def load_campaign_command(ctx: CommandContext) -> None:
    wanted = ctx.args.strip()
    available = ", ".join(f"`{path.stem}`" for path in list_campaign_files()) or "none"
    if not wanted:
        raise CommandError(f"Which campaign? Available: {available}.")
    try:
        slug = find_slug(wanted)
    except CampaignError as error:
        raise CommandError(str(error)) from None
    if slug is None:
        raise CommandError(f"There is no campaign “{wanted[:60]}”. Available: {available}.")
    previous = active_campaign_id(ctx.session)
    try:
        loaded = load_into_db(ctx.session, slug, activate=True)
    except CampaignError as error:
        raise CommandError(str(error)) from None
    lines = [f"📜 **{loaded.title}** is now the active campaign "
             f"({'created' if loaded.created else 'loaded'}: +{loaded.npcs_added} NPCs, "
             f"+{loaded.locations_added} locations, +{loaded.hooks_added} plot threads)."]
    if previous is not None and previous != active_campaign_id(ctx.session) and levels_in_campaign(ctx.session,
                                                                                                  previous):
        lines.append(f"Characters of **{campaign_name(ctx.session, previous)}** can come along: "
                     f"`!import_character {campaign_name(ctx.session, previous)}` (level, items and gold stay theirs).")
    if not index_exists(ctx.session, campaign_index_name(slug)):
        job = new_job(f"campaign:{slug}", _destination(ctx), announce=False)
        ctx.after_commit.append(lambda: register(job, "queued"))
        ctx.follow_ups.append((keys.REBUILD_INDEX_TASK, (f"campaign:{slug}", job)))
        lines.append("Its index is being built in the background.")
    ctx.reply("\n".join(lines))
    if previous != active_campaign_id(ctx.session):  # a campaign starts: the table's safety tools, out loud
        ctx.reply(session_zero(safety.topics(ctx.session), safety.xcard_reveal(ctx.session)))


def session_zero(topics: dict[str, list[str]], xcard_revealed: bool = False) -> str:
    """The open-door message of a campaign's start: the table's lines and veils, and how to use the tools (and
    whether the owner chose to be told who uses the X-card)."""
    who = "only the owner is told who, as they chose" if xcard_revealed else "nobody is told who"
    return ("🚪 **Session zero — an open door.** Anyone may step away from the table at any time, no reason "
            f"needed.\n**Lines** (never in the story): {', '.join(topics['line']) or 'none yet'}\n"
            f"**Veils** (off-screen only): {', '.join(topics['veil']) or 'none yet'}\n"
            "Add your own at any time, by DM to stay anonymous: `!lines add <topic>`, `!veils add <topic>`. If a "
            f"scene goes where you don't want it to, send `!x` (by DM: {who}): the narration is "
            "withdrawn and the story steers away.")


@command("analyze_structures", "!analyze_structures",
         "Extract every campaign's structure (acts, scenes, NPCs, pacing) into campaign_structures.",
         owner_only=True, category="Campaign")
def analyze_structures_command(ctx: CommandContext) -> None:
    ctx.reply(f"🔎 Analysing {len(list_campaign_files())} campaign file(s) in the background…")
    ctx.follow_ups.append((keys.ANALYZE_TASK, (_destination(ctx),)))


@command("new_campaign", "!new_campaign <description>",
         "Write a new campaign from a description (templates shaped like the existing campaigns) and index it.",
         owner_only=True, category="Campaign")
def new_campaign_command(ctx: CommandContext) -> None:
    description = " ".join(ctx.args.split())
    if len(description) < 10:
        raise CommandError("Describe the campaign in a sentence or two, e.g. `!new_campaign a haunted lighthouse on "
                           "a storm coast, levels 3-6`.")
    ctx.reply("🛠️ Creating a new campaign from your description…")
    ctx.follow_ups.append((keys.NEW_CAMPAIGN_TASK, (_destination(ctx), description)))
