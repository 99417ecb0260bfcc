"""Lines in a narration: found by word (plural and possessive too), the crossing sentences taken out."""

from __future__ import annotations

import pytest

from tasks.safety_check import REPLACEMENT, clean_topic, crossed, without_lines


def test_a_line_is_found_as_a_word_in_any_case_and_number() -> None:
    assert crossed("A Spider drops from the beam.", ["spiders"]) == ["spiders"]
    assert crossed("The spider's web glistens.", ["spider"]) == ["spider"]
    assert crossed("Spiderwort grows by the door.", ["spiders"]) == []
    assert crossed("Nothing to fear here.", ["spiders", "drowning"]) == []


def test_the_sentences_that_cross_a_line_are_removed_and_the_rest_kept() -> None:
    text = "Rain hammers the quay. A spider crawls over Bram's boot. Orrin waves you in."
    assert without_lines(text, ["spiders"]) == "Rain hammers the quay. Orrin waves you in."
    assert without_lines("Spiders everywhere.", ["spiders"]) == REPLACEMENT


@pytest.mark.parametrize("bad", ["", "x", "a" * 61, "<@123>", "spiders; drop table", "**bold**"])
def test_bad_topics_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        clean_topic(bad)


def test_topics_are_stored_in_one_form() -> None:
    assert clean_topic("  Harm to   Children ") == "harm to children"
