"""The one splitter for Discord's limits: messages (gateway), embed fields (`!help`) and pages (`!shop_list`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from message_parts import DISCORD_MESSAGE_LIMIT, pack_lines, split_message


def test_a_short_message_is_one_part() -> None:
    assert split_message("hello\nthere") == ["hello\nthere"]


def test_lines_are_packed_whole_into_parts_that_fit() -> None:
    lines = [f"line {n:03d} " + "x" * 40 for n in range(100)]
    parts = split_message("\n".join(lines))
    assert all(len(part) <= DISCORD_MESSAGE_LIMIT for part in parts)
    assert "\n".join(parts).split("\n") == lines
    assert len(parts) == 3


def test_a_line_longer_than_the_limit_is_cut_at_a_space_into_parts_of_its_own() -> None:
    words = " ".join(["word"] * 30)  # 149 characters
    assert pack_lines(["head", words, "tail"], 100) == ["head", words[:99], words[100:] + "\ntail"]


def test_a_line_without_spaces_is_cut_hard() -> None:
    assert pack_lines(["a" * 250], 100) == ["a" * 100, "a" * 100, "a" * 50]


def test_parts_of_whitespace_are_dropped_from_a_message() -> None:
    assert split_message("a" * 10 + "\n" + " " * 10 + "\n" + "b" * 10, 12) == ["a" * 10, "b" * 10]


def test_no_lines_make_no_parts() -> None:
    assert pack_lines([], 100) == []


@given(st.lists(st.text(alphabet="ab \n", max_size=80), max_size=30), st.integers(min_value=20, max_value=120))
def test_every_part_fits_and_short_lines_stay_whole(lines: list[str], limit: int) -> None:
    lines = [line.replace("\n", " ") for line in lines]
    parts = pack_lines(lines, limit)
    assert all(len(part) <= limit for part in parts)
    if all(len(line) <= limit for line in lines):  # every line that has text stands whole, in order
        assert [line for line in "\n".join(parts).split("\n") if line] == [line for line in lines if line]
