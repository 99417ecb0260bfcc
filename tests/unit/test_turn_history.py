"""The channel's history as the prompt gets it: recent messages verbatim, older narration summarized."""

from __future__ import annotations

from tasks.turn_flow import HISTORY_SUMMARY_CHARS, HISTORY_VERBATIM, summarized_history


def test_short_history_is_kept_as_it_was() -> None:
    entries = [("player", "I open the door"), ("narration", "The door creaks open. Dust falls.")]
    assert summarized_history(entries) == ["I open the door", "The door creaks open. Dust falls."]


def test_long_history_folds_older_narration_into_one_summary() -> None:
    entries = [("player", f"old message {n}") for n in range(10)]
    entries += [("narration", f"Scene {n} begins in the rain. More detail follows here.") for n in range(10)]
    entries += [("player", f"recent {n}") for n in range(HISTORY_VERBATIM)]
    history = summarized_history(entries)
    assert history[1:] == [f"recent {n}" for n in range(HISTORY_VERBATIM)]
    summary = history[0]
    assert summary.startswith("Earlier in this session: Scene 0 begins in the rain.")
    assert "More detail follows" not in summary and "old message" not in summary
    assert len(summary) <= HISTORY_SUMMARY_CHARS
