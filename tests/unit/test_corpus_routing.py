"""Query routing signals, result merging, and the rebuild job's report bookkeeping (pure parts)."""

from __future__ import annotations

from corpus.ingest import BuildReport, FileIssue, Progress, format_progress, format_reports, progress_bar
from corpus.lookup import format_details, suggest
from corpus.retrieval import Hit, merge, query_signals

RULES_NAMES = frozenset({"fireball", "magic missile", "grappled", "goblin"})
CAMPAIGN_NAMES = frozenset({"grisk", "half-ear", "thornwall", "mirela"})


def test_rules_questions_point_at_the_rules() -> None:
    rules, story = query_signals("How does grappling work?", RULES_NAMES, CAMPAIGN_NAMES)
    assert rules and not story
    rules, story = query_signals("What does Magic Missile do?", RULES_NAMES, CAMPAIGN_NAMES)
    assert "magic missile" in rules and not story


def test_narrative_questions_point_at_the_campaign() -> None:
    rules, story = query_signals("Who is Grisk Half-Ear?", RULES_NAMES, CAMPAIGN_NAMES)
    assert not rules and "grisk" in story


def test_mixed_questions_point_at_both() -> None:
    rules, story = query_signals("Cast Fireball in Barovia", RULES_NAMES, CAMPAIGN_NAMES)
    assert "fireball" in rules and "barovia" in story


def hit(chunk_id: int, score: float, index: str, text: str) -> Hit:
    return Hit(text=text, score=score, source_file="f.md", heading_path=["H"], page=None, chunk_id=chunk_id,
               index=index)


def test_merge_sorts_by_score_drops_duplicates_and_keeps_each_index() -> None:
    rules = [hit(1, 0.9, "rules", "Fireball text"), hit(2, 0.8, "rules", "Other"), hit(3, 0.7, "rules", "Third")]
    story = [hit(10, 0.5, "campaign:x", "Barovia text"), hit(11, 0.4, "campaign:x", "Fireball  TEXT")]
    merged = merge([rules, story], 3)
    assert [h.chunk_id for h in merged] == [1, 2, 10]
    assert len({h.text.lower() for h in merged}) == 3


def test_progress_and_report_texts() -> None:
    progress = Progress("rules", 340, 1026, 34, 100, 400, 900, 60.0)
    text = format_progress(progress)
    assert text.startswith("Indexing rules ") and "340/1026 files" in text and "left" in text
    assert progress_bar(1, 2, 4) == "▰▰▱▱"
    report = BuildReport("rules", indexed=2, failed=1, chunks_written=5, total_files=2, total_chunks=5,
                         seconds=1.5, errors=[FileIssue("bad.pdf", "corrupt PDF")])
    final = format_reports([report], 2.0)
    assert "rules" in final and "bad.pdf" in final and "corrupt PDF" in final


def test_suggestions_and_table_entries() -> None:
    assert suggest("firebal", ["Fireball", "Fire Bolt", "Light"])[0] == "Fireball"
    text = format_details("spell", {"level": 3, "school": {"name": "Evocation"}, "range": "150 feet",
                                    "desc": ["A bright streak flashes."], "casting_time": "1 action"})
    assert "Level 3 Evocation" in text and "150 feet" in text and "bright streak" in text


def test_rank_fusion_rewards_agreement_and_a_named_entry() -> None:
    from types import SimpleNamespace

    from corpus.retrieval import NAME_BOOST, RRF_K, fuse, names_in

    def row(source: str, chunk: int, start: int = 0) -> SimpleNamespace:
        return SimpleNamespace(source=source, chunk_id=chunk, heading_path=[f"h{chunk}"], page=None,
                               char_start=start, char_end=start + 5)

    # Vector ranks 1, 2, 3; lexical ranks 3 first, then 2 (twice: one rank per chunk); 4 only by its name.
    fused = fuse([row("v", 1), row("v", 2), row("v", 3), row("l", 3, 10), row("l", 2), row("l", 2, 20),
                  row("n", 4)])
    assert [candidate.chunk_id for candidate in fused] == [3, 2, 1, 4]
    assert fused[0].score == 1 / (RRF_K + 3) + 1 / (RRF_K + 1)
    assert fused[0].span == (10, 15)  # the window that ranked best (lexical first) is the quote
    assert fused[-1].score == NAME_BOOST
    names = frozenset({"potion of healing", "healing", "cover", "fireball"})
    assert names_in("What does a Potion of Healing do?", names) == ["potion of healing"]
    assert names_in("half cover and healing", names) == ["cover", "healing"]
    assert names_in("discovery", names) == []
