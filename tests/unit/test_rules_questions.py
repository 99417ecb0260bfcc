"""The frozen held-out rules questions (tests/data) and how a hit is judged to answer one."""

from __future__ import annotations

from pathlib import Path

from corpus.evaluation import SRD_QUESTIONS, found_in, hit_answers, load_questions
from corpus.retrieval import Hit

HELDOUT = Path(__file__).resolve().parent.parent / "data" / "rules_questions_heldout.json"


def hit(text: str, heading_path: list[str] | None = None) -> Hit:
    return Hit(text=text, score=1.0, source_file="x.md", heading_path=heading_path or [], page=None, chunk_id=1,
               index="rules")


def test_the_heldout_set_is_large_enough_a_third_tables_and_new() -> None:
    questions = load_questions(HELDOUT)
    assert len(questions) >= 40
    assert sum(question.kind == "table" for question in questions) * 3 >= len(questions)
    assert all(question.facts for question in questions)
    old = {question.question.lower() for question in SRD_QUESTIONS}
    assert not old & {question.question.lower() for question in questions}


def test_a_heldout_question_needs_every_fact_in_one_chunk() -> None:
    longsword = next(q for q in load_questions(HELDOUT) if "longsword" in q.question)
    row = "| **Longsword** | 15 gp |   1d8  slashing | 3 lb. |"
    assert hit_answers(hit(row), longsword)
    assert not hit_answers(hit("| Longsword | 15 gp |"), longsword)
    # A heading alone is not enough for a held-out question, and the facts must share one chunk.
    assert not hit_answers(hit("Weapons", ["Equipment", "Weapons", "Longsword"]), longsword)
    assert not found_in([hit("Longsword 15 gp"), hit("1d8 slashing")], longsword)
