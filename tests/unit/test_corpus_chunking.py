"""Chunking: every window fits the model (nothing embedded truncated), windows cover all the text, parents are
512–1024 tokens, break at headings first and, inside a long section, where the topic shifts."""

from __future__ import annotations

import numpy as np

from corpus.chunking import (
    MAX_PARENT_TOKENS,
    MIN_PARENT_TOKENS,
    build_parents,
    group_windows,
    heading_overhead,
    plan_windows,
)
from corpus.embedding import MAX_TEXT_TOKENS, count_tokens, encode_ids
from corpus.readers import Block, markdown_blocks

SENTENCE = "The grappler drags the grappled creature across the muddy field while the crowd cheers loudly. "


def _words(text: str) -> list[str]:
    return text.split()


def test_windows_fit_the_model_and_cover_every_word() -> None:
    long_paragraph = SENTENCE * 40  # one paragraph far over the window
    no_punctuation = "word " * 700  # no sentence ends at all: cut at word pieces
    blocks = [Block(("Rules", "Grappling"), long_paragraph + "\n\n" + "Short tail paragraph.", "## Grappling"),
              Block(("Rules", "Table"), no_punctuation)]
    windows = plan_windows(blocks, context=("Gameplay",))
    counts = count_tokens([window.embed_text for window in windows])
    assert max(counts) <= MAX_TEXT_TOKENS
    assert [window.embed_tokens for window in windows] == counts
    # The ids kept for the model are exactly the tokenization of the embedded text.
    assert [window.ids for window in windows] == encode_ids([window.embed_text for window in windows])
    for index, block in enumerate(blocks):
        covered = [word for window in windows if window.block == index for word in _words(window.text)]
        assert covered == _words(block.text)
    assert windows[0].embed_text.startswith("Gameplay > Rules > Grappling\n")


def test_parents_are_512_to_1024_tokens_and_break_at_headings() -> None:
    sections = "\n\n".join(f"## Section {number}\n\n" + (SENTENCE * 12) for number in range(8))
    blocks = markdown_blocks("# Chapter\n\n" + sections)
    windows = plan_windows(blocks)
    sizes = heading_overhead(windows)
    groups = group_windows(windows, None, sizes)
    parents = build_parents(windows, groups, sizes)
    assert all(MIN_PARENT_TOKENS <= parent.tokens <= MAX_PARENT_TOKENS for parent in parents[:-1])
    assert max(parent.tokens for parent in parents) <= MAX_PARENT_TOKENS
    for parent in parents:
        # every parent starts at a section start, so it begins with that section's heading
        assert parent.text.startswith("## Section") or parent.text.startswith("# Chapter")
        for index, (start, end) in zip(parent.windows, parent.spans, strict=True):
            assert parent.text[start:end] == windows[index].text


def test_a_long_section_is_split_where_the_topic_shifts() -> None:
    paragraphs = [f"Paragraph {number}. " + SENTENCE * 5 for number in range(12)]
    windows = plan_windows([Block(("Long",), "\n\n".join(paragraphs))])
    assert len(windows) >= 6
    # Two topics: windows before `shift` point one way, the rest another; the best break is at the shift.
    shift = len(windows) // 2
    vectors = np.array([[1.0, 0.0] if index < shift else [0.0, 1.0] for index in range(len(windows))])
    sizes = heading_overhead(windows)
    groups = group_windows(windows, vectors, sizes)
    starts = [group[0] for group in groups]
    total = sum(sizes)
    if total > MAX_PARENT_TOKENS:
        assert shift in starts


def test_a_small_document_is_one_parent() -> None:
    windows = plan_windows(markdown_blocks("### Fireball\n\n*3rd-level evocation*\n\nA bright streak flashes."))
    groups = group_windows(windows, None, heading_overhead(windows))
    parents = build_parents(windows, groups, heading_overhead(windows))
    assert len(parents) == 1
    assert parents[0].text.startswith("### Fireball")
    assert parents[0].heading_path == ("Fireball",)


WEAPONS = "\n".join(["| Name | Cost | Damage |", "|------|------|--------|"]
                    + [f"| Blade {n:02d}   | {n} gp | 1d{n % 12 + 1} slashing |" for n in range(1, 41)]
                    + ["| Longsword | 15 gp | 1d8 slashing |", "|  |  |  |"])


def test_a_long_table_is_cut_between_rows_and_every_piece_has_its_caption_and_header() -> None:
    text = f"Weapons are tools.\n\n**Table- Weapons**\n\n{WEAPONS}\n\nAfter the table."
    blocks = markdown_blocks(f"# Weapons\n\n{text}\n")
    windows = plan_windows(blocks, context=("Equipment",))
    table_windows = [window for window in windows if "| Name | Cost | Damage |" in window.text]
    assert len(table_windows) > 2
    for window in table_windows:
        lines = window.text.splitlines()
        assert lines[:3] == ["**Table- Weapons**", "| Name | Cost | Damage |", "|---|---|---|"]
        assert all(line.startswith("| ") for line in lines[3:]) and len(lines) > 3
    rows = [line for window in table_windows for line in window.text.splitlines()[3:]]
    assert rows == [f"| Blade {n:02d} | {n} gp | 1d{n % 12 + 1} slashing |" for n in range(1, 41)] \
        + ["| Longsword | 15 gp | 1d8 slashing |"]  # each row once, padding squeezed, the empty row gone
    longsword = next(window for window in windows if "Longsword" in window.text)
    assert longsword.embed_text.startswith("Equipment > Weapons\n**Table- Weapons**\n| Name | Cost | Damage |")
    # Prose stays out of table windows; the parents keep the heading path.
    assert not any("Weapons are tools" in window.text or "After the table" in window.text for window in table_windows)
    sizes = heading_overhead(windows)
    parents = build_parents(windows, group_windows(windows, None, sizes), sizes)
    assert all(parent.heading_path == ("Weapons",) for parent in parents)
    assert any("| Longsword | 15 gp | 1d8 slashing |" in parent.text for parent in parents)


def test_a_small_table_packs_with_its_neighbours() -> None:
    blocks = [Block(("Goblin",), "Small humanoid.\n\n| STR | DEX |\n|---|---|\n| 8 (-1) | 14 (+2) |\n\nNimble Escape.")]
    windows = plan_windows(blocks)
    assert len(windows) == 1
    assert "Small humanoid." in windows[0].text and "| 8 (-1) | 14 (+2) |" in windows[0].text
