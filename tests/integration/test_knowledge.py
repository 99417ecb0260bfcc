"""Knowledge end to end on the real system: the SRD Markdown (RULES_DIR, read in place from ../shared) indexed in
the background with progress while commands keep answering, a killed rebuild finishing on restart, an unchanged
re-run embedding nothing, rules questions answered from the Markdown and from the PDF, the rules commands, bad
input, campaigns (load, meta-analysis, new campaign, add/remove), and the query CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.system import SRD_MARKDOWN, SRD_PDF_DIR, SystemUnderTest, new_player_id

pytestmark = [pytest.mark.system, pytest.mark.skipif(not SRD_MARKDOWN.is_dir(), reason="no shared SRD Markdown")]

SRD_FILES = sorted(path for path in SRD_MARKDOWN.rglob("*.md")) if SRD_MARKDOWN.is_dir() else []
BUILD_TIMEOUT_S = 1500.0


def content(event: dict[str, Any]) -> str:
    embeds = " ".join(json.dumps(embed, ensure_ascii=False) for embed in event.get("embeds") or [])
    return f"{event.get('content', '')} {embeds}"


def wait_final_report(system: SystemUnderTest, after: str, timeout: float = BUILD_TIMEOUT_S) -> dict[str, Any]:
    return system.wait_for(lambda e: "Indexing finished" in e.get("content", "")
                           or "Indexing cancelled" in e.get("content", ""), after, timeout)[0]


def rules_index_ready(system: SystemUnderTest) -> bool:
    rows = system.sql("SELECT status, files FROM corpus_indexes WHERE name = 'rules'")
    return bool(rows) and rows[0].status == "ready" and rows[0].files == len(SRD_FILES)


def ensure_rules_index(system: SystemUnderTest) -> None:
    """The rules index over the SRD Markdown (built by the first test; built here when run alone, or waited for
    when a rebuild job holds it)."""
    from corpus.ingest import IndexBusyError, build_index, rules_spec

    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not rules_index_ready(system) and time.monotonic() < deadline:
        try:
            build_index(rules_spec())
        except IndexBusyError:
            time.sleep(5)
    assert rules_index_ready(system)


def progress_state(system: SystemUnderTest, job_id: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in system.redis.scan_iter("celery-task-meta-*"):
            state = json.loads(system.redis.get(key) or "{}")
            result = state.get("result") or {}
            if state.get("status") == "PROGRESS" and result.get("job") == job_id and "files_done" in result:
                return True
        time.sleep(0.5)
    return False


def run_script(system: SystemUnderTest, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=system.root, env=system.env, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------- background rebuild


@pytest.mark.timeout(2400)
def test_rebuild_in_background_with_progress_survives_a_kill_and_reruns_incrementally(
        system: SystemUnderTest) -> None:
    owner, player = system.owner_id, new_player_id()
    refused = system.command(player, "!rebuild_index rules")
    assert "Only the owner" in refused["content"]
    after = system.cursor()
    started = system.command(owner, "!rebuild_index rules")
    assert "Rebuilding `rules`" in started["content"], started
    job_id = started["content"].split("job `")[1].split("`")[0]

    # Progress is one message edited in place.
    progress = system.wait_for(lambda e: e.get("content", "").startswith("Indexing rules"), after, timeout=600)[0]
    assert f"/{len(SRD_FILES)} files" in progress["content"] and any(mark in progress["content"] for mark in "▰▱")

    # Flower (the result backend) shows the task's PROGRESS state with its counts.
    saw_progress_state = progress_state(system, job_id, timeout=120)

    # The commands queue keeps answering while the ingest worker embeds.
    began = time.monotonic()
    rolled = system.command(player, "!roll 1d20", timeout=60)
    assert "rolls" in rolled["content"]
    roll_seconds = time.monotonic() - began

    # Kill the ingest worker's pool process mid-way; the job is redelivered and finishes.
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        done = system.sql("SELECT count(*) AS n FROM corpus_files WHERE index_name = 'rules'")[0].n
        if done >= 40:
            break
        time.sleep(1)
    assert 0 < done < len(SRD_FILES), f"{done} files indexed before the kill"
    victims = system.worker_children("worker-ingest")
    assert victims
    for process in victims:
        process.kill()
    psutil.wait_procs(victims, timeout=30)

    final = wait_final_report(system, after)
    assert "Indexing finished" in final["content"], final
    # Every progress line after the first edits the first one in place (same edit key).
    lines = system.quiet_for(lambda e: e.get("content", "").startswith("Indexing rules"), after, 1.0)
    assert len(lines) >= 2 and all(line.get("edit_of") for line in lines[1:])
    counts = system.sql("SELECT count(*) AS files, count(DISTINCT path) AS paths, "
                        "sum(CASE WHEN status = 'indexed' THEN 1 ELSE 0 END) AS indexed "
                        "FROM corpus_files WHERE index_name = 'rules'")[0]
    assert counts.files == counts.paths == counts.indexed == len(SRD_FILES)
    chunks = system.sql("SELECT count(*) AS n, min(token_count) AS smallest, max(token_count) AS largest "
                        "FROM corpus_chunks WHERE index_name = 'rules'")[0]
    windows = system.sql("SELECT count(*) AS n, max(token_count) AS largest FROM corpus_windows "
                         "WHERE index_name = 'rules'")[0]
    assert chunks.n > 500 and chunks.largest <= 1024
    assert windows.n >= chunks.n and windows.largest <= 254  # + CLS and SEP = the model's 256
    # Every file's chunks are numbered 0..n-1 exactly once: nothing half-written or doubled by the restart.
    broken = system.sql("SELECT file_id FROM corpus_chunks WHERE index_name = 'rules' GROUP BY file_id "
                        "HAVING count(*) <> max(ordinal) + 1 OR count(DISTINCT ordinal) <> count(*)")
    assert broken == []
    assert saw_progress_state
    assert roll_seconds < 30

    # An unchanged re-run embeds nothing.
    stamp = system.sql("SELECT max(indexed_at) AS at, count(*) AS n FROM corpus_windows w "
                       "JOIN corpus_chunks c ON c.id = w.chunk_id JOIN corpus_files f ON f.id = c.file_id "
                       "WHERE f.index_name = 'rules'")[0]
    after = system.cursor()
    system.command(owner, "!rebuild_index rules")
    rerun = wait_final_report(system, after, timeout=300)
    assert f"0 files indexed, {len(SRD_FILES)} unchanged" in rerun["content"], rerun["content"]
    again = system.sql("SELECT max(indexed_at) AS at, count(*) AS n FROM corpus_windows w "
                       "JOIN corpus_chunks c ON c.id = w.chunk_id JOIN corpus_files f ON f.id = c.file_id "
                       "WHERE f.index_name = 'rules'")[0]
    assert (again.at, again.n) == (stamp.at, stamp.n)


@pytest.mark.timeout(1800)
def test_a_rebuild_can_be_cancelled_and_the_next_run_completes_it(system: SystemUnderTest) -> None:
    ensure_rules_index(system)
    owner = system.owner_id
    nothing = system.command(owner, "!rebuild_index cancel")
    assert "No index rebuild is running" in nothing["content"]
    # Pretend the monster files changed: only they are re-embedded.
    changed = system.sql("UPDATE corpus_files SET content_hash = 'stale' WHERE index_name = 'rules' "
                         "AND path LIKE 'Monsters/%' RETURNING path")
    assert len(changed) > 100
    after = system.cursor()
    system.command(owner, "!rebuild_index rules")
    system.wait_for(lambda e: e.get("content", "").startswith("Indexing rules"), after, timeout=600)
    busy = system.command(owner, "!rebuild_index all")
    assert "already running" in busy["content"]
    cancelled = system.command(owner, "!rebuild_index cancel")
    assert "Cancelling" in cancelled["content"]
    final = wait_final_report(system, after, timeout=600)
    assert "Indexing cancelled" in final["content"], final["content"]
    stale = system.sql("SELECT count(*) AS n FROM corpus_files WHERE index_name = 'rules' AND content_hash = 'stale'")
    assert stale[0].n > 0  # stopped between files, before the end
    after = system.cursor()
    system.command(owner, "!rebuild_index rules")
    wait_final_report(system, after)
    assert system.sql("SELECT count(*) AS n FROM corpus_files WHERE content_hash = 'stale'")[0].n == 0
    assert rules_index_ready(system)


# --------------------------------------------------------------------------- retrieval quality


def test_rules_questions_find_their_section_in_the_markdown_srd(system: SystemUnderTest) -> None:
    from corpus.evaluation import SRD_QUESTIONS, found_in
    from corpus.retrieval import search

    ensure_rules_index(system)
    misses = [question.question for question in SRD_QUESTIONS
              if not found_in(search(question.question, "rules", 5), question)]
    assert len(SRD_QUESTIONS) >= 20
    assert len(misses) <= len(SRD_QUESTIONS) * 0.05, misses


HELDOUT = Path(__file__).resolve().parent.parent / "data" / "rules_questions_heldout.json"
# The questions players ask most whose answer is a table row or a short rule: in the top 3, not just the top 5.
TOP3_QUESTIONS = ("how much does half cover add to my AC?", "how much can I carry?",
                  "how much does a longsword cost and how much damage does it do?",
                  "how many hit points does a potion of healing give back?")


def test_heldout_rules_questions_in_players_words_find_their_answer(system: SystemUnderTest) -> None:
    from corpus.evaluation import found_in, load_questions
    from corpus.retrieval import search

    ensure_rules_index(system)
    questions = load_questions(HELDOUT)
    misses = [question.question for question in questions if not found_in(search(question.question, "rules", 5),
                                                                           question)]
    assert len(misses) <= len(questions) * 0.05, misses
    by_text = {question.question: question for question in questions}
    below_top3 = [text for text in TOP3_QUESTIONS if not found_in(search(text, "rules", 3), by_text[text])]
    assert below_top3 == []


def test_rule_how_much_can_i_carry_quotes_the_carrying_capacity_rule(system: SystemUnderTest) -> None:
    ensure_rules_index(system)
    reply = system.command(new_player_id(), "!rule how much can I carry")
    first = reply["embeds"][0]["fields"][0]
    assert "Gameplay/Abilities.md" in first["name"] and "Lifting and Carrying" in first["name"]
    assert "Strength score multiplied by 15" in first["value"]
    assert "In short" in reply["content"]


@pytest.fixture(scope="module")
def pdf_index(system: SystemUnderTest) -> Iterator[str]:
    """The SRD PDF (403 pages), read in place and indexed once per session."""
    from corpus.ingest import build_index, remove_index, rules_spec

    name = "srd-pdf"
    report = build_index(rules_spec(name=name, root=SRD_PDF_DIR))
    assert report.errors == [] and report.total_files == 1, report.errors
    assert report.total_chunks > 300
    yield name
    remove_index(name)


@pytest.mark.timeout(2400)
@pytest.mark.skipif(not SRD_PDF_DIR.is_dir(), reason="no shared SRD PDF")
def test_rules_questions_find_their_section_in_the_pdf_srd(system: SystemUnderTest, pdf_index: str) -> None:
    from corpus.evaluation import SRD_QUESTIONS, found_in
    from corpus.retrieval import search

    misses = [question.question for question in SRD_QUESTIONS
              if not found_in(search(question.question, pdf_index, 5), question)]
    assert len(misses) <= len(SRD_QUESTIONS) * 0.05, misses
    pages = system.sql("SELECT min(page) AS first, max(page) AS last FROM corpus_windows WHERE index_name = :n",
                       n=pdf_index)[0]
    assert pages.first >= 1 and pages.last >= 390
    grappling = search("How does grappling work?", pdf_index, 5)
    assert any(hit.page is not None and "Grappling" in hit.heading_path for hit in grappling)


def test_the_query_cli_prints_hits_as_json(system: SystemUnderTest) -> None:
    ensure_rules_index(system)
    answer = run_script(system, "-m", "corpus.query", "How does grappling work?", "--index", "rules", "--top-k", "5",
                        "--json", timeout=300)
    assert answer.returncode == 0, answer.stderr
    hits = json.loads(answer.stdout)
    assert 1 <= len(hits) <= 5
    assert {"text", "score", "source_file", "heading_path", "page"} <= set(hits[0])
    assert hits[0]["source_file"] == "Gameplay/Combat.md" and "Grappling" in hits[0]["heading_path"]
    assert hits == sorted(hits, key=lambda hit: -hit["score"])
    missing = run_script(system, "-m", "corpus.query", "x", "--index", "campaign:nope", timeout=300)
    assert missing.returncode == 2 and "no index" in missing.stderr


# --------------------------------------------------------------------------- rules commands


def test_rules_commands_quote_sources_and_suggest_names(system: SystemUnderTest) -> None:
    ensure_rules_index(system)
    player = new_player_id()
    rule = system.command(player, "!rule How does grappling work?")
    assert "Grappling" in content(rule) and "Combat.md" in content(rule) and "In short" in rule["content"]
    spell = system.command(player, "!spell fireball")
    assert "Fireball" in spell["content"] and "8d6" in spell["content"]
    typo = system.command(player, "!spell firebal")
    assert "Did you mean" in typo["content"] and "Fireball" in typo["content"]
    monster = system.command(player, "!monster goblin")
    assert "Goblin" in monster["content"] and ("Nimble Escape" in monster["content"] or "15" in monster["content"])
    condition = system.command(player, "!condition grappled")
    assert "Grappled" in condition["content"] and "speed becomes 0" in condition["content"].lower()
    odd = system.command(player, "!condition grapled")
    assert "Did you mean" in odd["content"] and "Grappled" in odd["content"]
    stats = system.command(player, "!index_stats")
    assert "rules" in content(stats) and "chunks" in content(stats)
    empty = system.command(player, "!rule")
    assert "What should I look up" in empty["content"]


# --------------------------------------------------------------------------- bad input


def test_bad_files_are_reported_and_do_not_stop_the_job(system: SystemUnderTest, tmp_path: Path) -> None:
    from corpus.ingest import IndexSpec, build_index, remove_index

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe good file is indexed.\n")
    (folder / "empty.md").write_bytes(b"")
    (folder / "binary.md").write_bytes(os.urandom(4096) + b"\x00" * 64)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ntruncated garbage")
    with (folder / "huge.md").open("w") as handle:
        line = "A very long rules text line that goes on and on. " * 20 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    (folder / "escape.md").symlink_to("/etc/hostname")
    name = "test-bad-input"
    try:
        report = build_index(IndexSpec(name, "rules", folder))
        errors = {issue.path: issue.error for issue in report.errors}
        assert report.indexed == 1 and report.total_files == 1
        assert set(errors) == {"empty.md", "binary.md", "corrupt.pdf", "huge.md", "escape.md"}, errors
        assert "empty" in errors["empty.md"]
        assert "binary" in errors["binary.md"]
        assert "PDF" in errors["corrupt.pdf"]
        assert "too large" in errors["huge.md"]
        assert "outside" in errors["escape.md"]
        again = build_index(IndexSpec(name, "rules", folder))
        assert again.indexed == 0 and again.failed == 0 and again.still_failing == 4
    finally:
        remove_index(name)


def test_campaign_names_with_path_separators_are_refused(system: SystemUnderTest, tmp_path: Path) -> None:
    owner = system.owner_id
    campaigns = Path(system.env["CAMPAIGNS_DIR"])
    before = sorted(path.name for path in campaigns.iterdir())
    for text in ("!rebuild_index campaign ../../etc", "!rebuild_index campaign:a/b", "!load_campaign ../secrets",
                 "!load_campaign ..\\x"):
        answer = system.command(owner, text)
        assert "refused" in answer["content"].lower() or "no campaign" in answer["content"].lower(), answer
    source = tmp_path / "evil.md"
    source.write_text("# Evil\n\n> pitch\n")
    for bad in ("../evil", "sub/evil", "../../tmp/evil"):
        result = run_script(system, "scripts/manage_campaign_content.py", "add", str(source), "--name", bad)
        assert result.returncode == 2 and "refused" in result.stderr
    removed = run_script(system, "scripts/manage_campaign_content.py", "remove", "../corpus")
    assert removed.returncode == 2
    assert sorted(path.name for path in campaigns.iterdir()) == before
    written = [path for path in (*system.var_dir.rglob("evil*"), *Path("/tmp").glob("evil*")) if path != source]
    assert written == []


# --------------------------------------------------------------------------- campaigns


@pytest.mark.timeout(1800)
def test_load_campaign_fills_the_tables_indexes_it_and_routes_questions(system: SystemUnderTest) -> None:
    from corpus.retrieval import context_for_turn, route_query, search
    from db.engine import transaction

    ensure_rules_index(system)
    owner = system.owner_id
    after = system.cursor()
    loaded = system.command(owner, "!load_campaign Ashes of Thornwall")
    assert "is now the active campaign" in loaded["content"], loaded
    campaign = system.sql("SELECT id, name, plot_structure FROM campaigns WHERE source_file = 'ashes-of-thornwall.md'")
    assert campaign and campaign[0].name == "Ashes of Thornwall" and len(campaign[0].plot_structure["acts"]) == 3
    campaign_id = campaign[0].id
    active = system.sql("SELECT value FROM bot_state WHERE key = 'active_campaign'")[0].value
    assert active == {"campaign_id": campaign_id}
    assert system.sql("SELECT count(*) AS n FROM npcs WHERE campaign_id = :c", c=campaign_id)[0].n >= 5
    assert system.sql("SELECT count(*) AS n FROM locations WHERE campaign_id = :c", c=campaign_id)[0].n >= 5
    assert system.sql("SELECT count(*) AS n FROM plot_threads WHERE campaign_id = :c", c=campaign_id)[0].n >= 5
    if "built in the background" in loaded["content"]:
        wait_final_report(system, after, timeout=900)
    index = system.sql("SELECT status, campaign_id, chunks FROM corpus_indexes "
                       "WHERE name = 'campaign:ashes-of-thornwall'")
    assert index and index[0].status == "ready" and index[0].campaign_id == campaign_id and index[0].chunks > 3
    chunk_meta = system.sql("SELECT type, campaign_id, metadata FROM corpus_chunks "
                            "WHERE index_name = 'campaign:ashes-of-thornwall' LIMIT 1")[0]
    assert chunk_meta.type == "campaign" and chunk_meta.campaign_id == campaign_id
    assert chunk_meta.metadata["source_file"] == "ashes-of-thornwall.md" and "heading_path" in chunk_meta.metadata
    # Loading again keeps what play changed and adds nothing twice.
    system.sql("UPDATE npcs SET attitude = 'friendly' WHERE campaign_id = :c AND name = 'Grisk Half-Ear'",
               c=campaign_id)
    again = system.command(owner, "!load_campaign ashes-of-thornwall")
    assert "+0 NPCs" in again["content"] and "+0 plot threads" in again["content"]
    assert system.sql("SELECT attitude FROM npcs WHERE name = 'Grisk Half-Ear' AND campaign_id = :c",
                      c=campaign_id)[0].attitude == "friendly"

    with transaction() as session:
        narrative = route_query("Who is Grisk Half-Ear and where does his band camp?", session)
        rules = route_query("How does grappling work?", session)
        mixed = route_query("Cast Fireball at the kobolds in Thornwall", session)
    assert narrative.indexes == ["campaign:ashes-of-thornwall"], narrative
    assert rules.indexes == ["rules"], rules
    assert set(mixed.indexes) == {"rules", "campaign:ashes-of-thornwall"}, mixed
    hits = search("Cast Fireball at the kobolds in Thornwall", "auto", 5)
    assert {hit.index for hit in hits} == {"rules", "campaign:ashes-of-thornwall"}
    assert len({hit.chunk_id for hit in hits}) == len(hits)
    grisk = search("Who is Grisk Half-Ear?", "campaign:ashes-of-thornwall", 3)
    assert any("Grisk" in hit.text for hit in grisk)
    context = context_for_turn("I cast Fireball at the kobolds on the palisade", "ashes-of-thornwall", 1200)
    assert context and sum(hit.tokens for hit in context) <= 1200


def test_analyze_structures_stores_each_campaign(system: SystemUnderTest) -> None:
    owner = system.owner_id
    after = system.cursor()
    system.command(owner, "!analyze_structures")
    done = system.wait_for(lambda e: "Campaign structures analysed" in e.get("content", ""), after, timeout=120)[0]
    assert "Ashes of Thornwall" in done["content"]
    rows = system.sql("SELECT c.source_file, s.structures FROM campaign_structures s "
                      "JOIN campaigns c ON c.id = s.campaign_id ORDER BY c.source_file")
    files = {Path(path).name for path in Path(system.env["CAMPAIGNS_DIR"]).glob("*.md")}
    assert {row.source_file for row in rows} >= {"ashes-of-thornwall.md", "the-glass-crypt.md",
                                                   "the-sunken-lantern.md"}
    assert {row.source_file for row in rows} <= files
    assert all(len(row.structures["acts"]) >= 2 for row in rows)
    script = run_script(system, "scripts/analyze_structures.py", "--json", timeout=300)
    assert script.returncode == 0, script.stderr
    assert len(json.loads(script.stdout)) == len(files)


@pytest.mark.timeout(1800)
def test_new_campaign_is_written_filled_and_indexed(system: SystemUnderTest) -> None:
    owner = system.owner_id
    after = system.cursor()
    system.command(owner, "!new_campaign A drowned bell tower in a salt marsh where a cult wakes a sea hag, "
                          "levels 2-5")
    steps = system.wait_for(lambda e: "New campaign [3/3]" in e.get("content", ""), after, timeout=300)[0]
    slug = steps["content"].split("(`")[1].split("`)")[0]
    final = wait_final_report(system, after, timeout=900)
    assert f"campaign:{slug}" in final["content"]
    path = Path(system.env["CAMPAIGNS_DIR"]) / f"{slug}.md"
    assert path.is_file() and "deterministic templates" in path.read_text()
    row = system.sql("SELECT id, plot_structure FROM campaigns WHERE source_file = :f", f=f"{slug}.md")[0]
    assert len(row.plot_structure["acts"]) >= 2
    assert system.sql("SELECT count(*) AS n FROM plot_threads WHERE campaign_id = :c", c=row.id)[0].n >= 3
    assert system.sql("SELECT chunks FROM corpus_indexes WHERE name = :n", n=f"campaign:{slug}")[0].chunks >= 1
    # The same content, removed with the script: file, index and campaign row go together.
    removed = run_script(system, "scripts/manage_campaign_content.py", "remove", slug)
    assert removed.returncode == 0, removed.stderr
    assert not path.exists()
    assert system.sql("SELECT count(*) AS n FROM corpus_indexes WHERE name = :n", n=f"campaign:{slug}")[0].n == 0
    assert system.sql("SELECT count(*) AS n FROM campaigns WHERE source_file = :f", f=f"{slug}.md")[0].n == 0


@pytest.mark.timeout(1800)
def test_manage_campaign_content_adds_and_lists(system: SystemUnderTest, tmp_path: Path) -> None:
    source = tmp_path / "copy.md"
    source.write_text((Path(system.env["CAMPAIGNS_DIR"]) / "the-glass-crypt.md").read_text()
                      .replace("# The Glass Crypt", "# The Second Crypt", 1))
    added = run_script(system, "scripts/manage_campaign_content.py", "add", str(source), "--name", "second-crypt")
    assert added.returncode == 0, added.stdout + added.stderr
    listed = run_script(system, "scripts/manage_campaign_content.py", "list")
    assert "second-crypt" in listed.stdout and "chunks" in listed.stdout
    assert system.sql("SELECT chunks FROM corpus_indexes WHERE name = 'campaign:second-crypt'")[0].chunks > 0
    setup = run_script(system, "scripts/setup_indexes.py", "--index", "campaign:second-crypt")
    assert setup.returncode == 0 and "0 files indexed, 1 unchanged" in setup.stdout, setup.stdout
    removed = run_script(system, "scripts/manage_campaign_content.py", "remove", "second-crypt")
    assert removed.returncode == 0
