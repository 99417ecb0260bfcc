"""Chunking, small-to-big: blocks → child windows (embedded) → parent chunks (returned to the model).

1. **Structure first.** Every block (one section of one page) is cut into child windows at paragraph
   boundaries, then lines, then sentences, and only as a last resort at a word-piece boundary. A window never
   crosses a section, so each window has exactly one heading path. A window's embedded text is its heading
   breadcrumb plus its text and fits the model's window (≤ 254 word pieces + CLS/SEP): nothing is truncated.
2. **Semantic grouping.** Consecutive windows of a file are grouped into parent chunks of 512–1024 tokens by
   dynamic programming over the break points: a break at a heading boundary is preferred (the shallower the
   heading, the better), then a page boundary, then, inside one long section, the point where consecutive
   windows' embeddings are least similar (the topic shifts there). The embeddings are the windows' own, so
   the semantic split costs no extra model call.

The parent text keeps the headings (`### Grappling`) and each window records its character span in it, so a
search hit can quote the window and return the whole parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from corpus.embedding import MAX_TEXT_TOKENS, count_tokens, encode_ids, word_start_offsets
from corpus.readers import Block

MIN_PARENT_TOKENS = 512
MAX_PARENT_TOKENS = 1024
# The breadcrumb is context, not content: capped so it never crowds the window's text out.
MAX_PREFIX_TOKENS = 48
BREADCRUMB_SEPARATOR = " > "

# Dynamic-programming weights (see group_windows).
GROUP_COST = 0.55
UNDERSIZE_PENALTY = 1.5
PAGE_BREAK_BONUS = 0.15
# Room for the breadcrumb line a parent gets when it starts mid-section.
GROUP_TOKEN_LIMIT = MAX_PARENT_TOKENS - MAX_PREFIX_TOKENS - 4

_SENTENCE_END_RE = re.compile(r"(?<=[.!?;:])\s+(?=\S)")

Counter = Callable[[Sequence[str]], list[int]]
Encoder = Callable[[Sequence[str]], list[list[int]]]


@dataclass
class Window:
    block: int
    heading_path: tuple[str, ...]
    page: int | None
    text: str
    tokens: int
    embed_text: str = ""
    # The block's heading line, on the block's first window only (shown once in the parent text).
    heading_line: str | None = None
    first_of_block: bool = False
    # Word pieces of `embed_text` (breadcrumb + text; the model adds CLS and SEP) and their ids.
    embed_tokens: int = 0
    ids: list[int] = field(default_factory=list)


@dataclass
class ParentChunk:
    text: str
    heading_path: tuple[str, ...]
    page: int | None
    page_end: int | None
    windows: list[int]
    # (char_start, char_end) of each window's text inside `text`.
    spans: list[tuple[int, int]] = field(default_factory=list)
    tokens: int = 0


def breadcrumb(context: Sequence[str], heading_path: Sequence[str]) -> str:
    parts = [part for part in (*context, *heading_path) if part]
    deduped = [part for index, part in enumerate(parts) if index == 0 or part.casefold() != parts[index - 1].casefold()]
    return BREADCRUMB_SEPARATOR.join(deduped)


def _split_units(text: str) -> list[tuple[str, str]]:
    """Paragraphs, each with the separator that joins it to the previous one."""
    return [(paragraph, "\n\n") for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]


# --------------------------------------------------------------------------- tables

_TABLE_RULE_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_CAPTION_RE = re.compile(r"^(\*\*[^*]{2,100}\*\*|table\b.{0,100})$", re.IGNORECASE)
# Rows per table window: a few rows with their header, so a question about one row finds that row and the
# header says what its cells mean.
TABLE_WINDOW_TOKENS = 128


@dataclass(frozen=True)
class Table:
    caption: tuple[str, ...]
    header: str
    rows: tuple[str, ...]


def _table_row(line: str) -> str:
    return re.sub(r"\s*\|\s*", " | ", line.strip()).strip()


def parse_table(paragraph: str) -> Table | None:
    """A Markdown pipe table (a header line, a `|---|` rule, rows), or None. Empty rows are dropped and cell
    padding is squeezed (it costs characters, not meaning)."""
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("|") or not _TABLE_RULE_RE.match(lines[1].replace(" ", "")):
        return None
    if not all(line.startswith("|") for line in lines[2:]):
        return None
    rows = tuple(_table_row(line) for line in lines[2:] if line.strip("| \t"))
    return Table((), _table_row(lines[0]), rows)


def _table_text(table: Table, rows: Sequence[str]) -> str:
    columns = table.header.count("|") - 1
    rule = "|" + "---|" * max(1, columns)
    return "\n".join([*table.caption, table.header, rule, *rows])


def table_units(units: list[tuple[str, str]]) -> list[tuple[str, str, Table | None]]:
    """Paragraph units with their tables recognised; a caption paragraph (`**Table- Weapons**`, up to two)
    just before a table becomes part of it."""
    out: list[tuple[str, str, Table | None]] = []
    for unit, separator in units:
        table = parse_table(unit)
        if table is None:
            out.append((unit, separator, None))
            continue
        caption: list[str] = []
        while out and out[-1][2] is None and len(caption) < 2 and "\n" not in out[-1][0].strip() \
                and _CAPTION_RE.match(out[-1][0].strip()):
            caption.insert(0, out.pop()[0].strip())
            separator = "\n\n"
        out.append(("", separator, Table(tuple(caption), table.header, table.rows)))
    return out


def table_pieces(table: Table, limit: int, encoder: Encoder) -> list[tuple[str, list[int]]]:
    """The table cut between rows into pieces of about TABLE_WINDOW_TOKENS, each repeating the caption and the
    header; a row too long for a window is cut by word pieces (with the header, if it fits)."""
    head_ids = encoder([_table_text(table, [])])[0]
    budget = min(limit, max(TABLE_WINDOW_TOKENS, len(head_ids) + 32))
    row_ids = encoder(list(table.rows)) if table.rows else []
    pieces: list[tuple[str, list[int]]] = []
    current: list[str] = []
    used = len(head_ids)
    for row, ids in zip(table.rows, row_ids, strict=True):
        if current and used + len(ids) > budget:
            pieces.append((_table_text(table, current), []))
            current, used = [], len(head_ids)
        current.append(row)
        used += len(ids)
    if current or not table.rows:
        pieces.append((_table_text(table, current), []))
    out: list[tuple[str, list[int]]] = []
    for piece, piece_ids in zip([p for p, _ in pieces], encoder([p for p, _ in pieces]), strict=True):
        out.extend(_fit(piece, piece_ids, limit, encoder))
    return out


def _cut_by_tokens(text: str, limit: int) -> list[str]:
    """Last resort for a 'sentence' longer than the window (a table row, a list without punctuation): cut before
    a word piece that starts a word, so each piece tokenizes exactly as it did inside the whole."""
    pieces_offsets = word_start_offsets(text)
    pieces: list[str] = []
    start = 0
    while start < len(pieces_offsets):
        end = min(start + limit, len(pieces_offsets))
        if end < len(pieces_offsets):
            cut = end
            while cut > start + 1 and not pieces_offsets[cut][2]:
                cut -= 1
            end = cut if cut > start + 1 else end
        start_char = pieces_offsets[start][0]
        end_char = pieces_offsets[end][0] if end < len(pieces_offsets) else len(text)
        pieces.append(text[start_char:end_char].strip())
        start = end
    return [piece for piece in pieces if piece]


def _fit(unit: str, ids: list[int], limit: int, encoder: Encoder) -> list[tuple[str, list[int]]]:
    """Split one over-long unit: lines, then sentences, then word pieces."""
    if len(ids) <= limit:
        return [(unit, ids)]
    for pattern in ("\n", _SENTENCE_END_RE):
        parts = [part.strip() for part in (unit.split(pattern) if isinstance(pattern, str) else pattern.split(unit))]
        parts = [part for part in parts if part]
        if len(parts) > 1:
            out: list[tuple[str, list[int]]] = []
            for part, part_ids in zip(parts, encoder(parts), strict=True):
                out.extend(_fit(part, part_ids, limit, encoder))
            return out
    pieces = _cut_by_tokens(unit, limit)
    return list(zip(pieces, encoder(pieces), strict=True))


def plan_windows(blocks: Sequence[Block], context: Sequence[str] = (), encoder: Encoder = encode_ids) -> list[Window]:
    """Cut blocks into windows whose embedded text (breadcrumb + text) fits the model's window. Each window keeps
    its word-piece ids (BERT's pre-tokenizer splits on whitespace and punctuation, so the ids of texts joined by
    whitespace are the concatenation of their ids), so the model does not tokenize it again."""
    prefixes = [breadcrumb(context, block.heading_path) for block in blocks]
    prefix_ids = encoder(prefixes)
    for index, ids in enumerate(prefix_ids):
        if len(ids) > MAX_PREFIX_TOKENS:
            prefixes[index] = _cut_by_tokens(prefixes[index], MAX_PREFIX_TOKENS)[0]
            prefix_ids[index] = encoder([prefixes[index]])[0]
    units_per_block = [table_units(_split_units(block.text)) for block in blocks]
    flat_ids = iter(encoder([unit for units in units_per_block for unit, _, table in units if table is None]))
    windows: list[Window] = []
    for index, (block, units) in enumerate(zip(blocks, units_per_block, strict=True)):
        limit = MAX_TEXT_TOKENS - len(prefix_ids[index])
        # (text, ids, separator, a window of its own: a piece of a table)
        pieces: list[tuple[str, list[int], str, bool]] = []
        for unit, separator, table in units:
            fitted = _fit(unit, next(flat_ids), limit, encoder) if table is None else \
                table_pieces(table, limit, encoder)
            # A table in one piece (a monster's ability scores) packs with its neighbours like a paragraph.
            solo = table is not None and len(fitted) > 1
            for piece_number, (piece, piece_ids) in enumerate(fitted):
                pieces.append((piece, piece_ids, separator if piece_number == 0 else "\n", solo))
        # Greedy packing: whole pieces into windows up to the limit; a table piece is a window alone.
        block_windows: list[Window] = []
        current: list[str] = []
        current_ids: list[int] = []
        current_solo = False
        for piece, piece_ids, separator, solo in pieces:
            if current and (solo or current_solo or len(current_ids) + len(piece_ids) > limit):
                block_windows.append(Window(index, block.heading_path, block.page, "".join(current).strip(),
                                            len(current_ids), ids=current_ids))
                current, current_ids = [], []
            current.append((separator if current else "") + piece)
            current_ids = current_ids + piece_ids
            current_solo = solo
        if current:
            block_windows.append(Window(index, block.heading_path, block.page, "".join(current).strip(),
                                        len(current_ids), ids=current_ids))
        for position, window in enumerate(block_windows):
            window.embed_text = f"{prefixes[index]}\n{window.text}" if prefixes[index] else window.text
            window.first_of_block = position == 0
            window.heading_line = block.heading_line if position == 0 else None
            window.ids = prefix_ids[index] + window.ids
            window.embed_tokens = len(window.ids)
        windows.extend(block_windows)
    return windows


def _divergence_depth(a: Sequence[str], b: Sequence[str]) -> int | None:
    """1-based depth of the first differing heading (1 = top level); None when the paths are equal."""
    for depth, (left, right) in enumerate(zip(a, b, strict=False), start=1):
        if left != right:
            return depth
    if len(a) != len(b):
        return min(len(a), len(b)) + 1
    return None


def break_strengths(windows: Sequence[Window], vectors: np.ndarray | None) -> list[float]:
    """Strength of a break before each window (index 0 unused): headings > pages > topic shifts."""
    strengths = [0.0] * len(windows)
    for index in range(1, len(windows)):
        previous, current = windows[index - 1], windows[index]
        depth = _divergence_depth(previous.heading_path, current.heading_path)
        if depth is not None:
            strengths[index] = max(0.6, 1.0 - 0.1 * (depth - 1))
            continue
        semantic = 0.0
        if vectors is not None and len(vectors) == len(windows):
            semantic = 0.5 * float(1.0 - np.dot(vectors[index - 1], vectors[index]))
        page_bonus = PAGE_BREAK_BONUS if current.page != previous.page else 0.0
        heading_bonus = 0.1 if current.first_of_block and current.heading_line else 0.0
        strengths[index] = min(0.55, semantic + page_bonus + heading_bonus)
    return strengths


def group_windows(windows: Sequence[Window], vectors: np.ndarray | None = None,
                  sizes: Sequence[int] | None = None) -> list[list[int]]:
    """Consecutive windows → groups of 512–1024 tokens, choosing the strongest break points.

    Minimises Σ(GROUP_COST + under-size penalty) − Σ(strength of the chosen breaks); a group never exceeds
    MAX_PARENT_TOKENS (a lone window always fits: it is at most 254 tokens).
    """
    n = len(windows)
    if n == 0:
        return []
    size = list(sizes) if sizes is not None else [window.tokens for window in windows]
    strengths = break_strengths(windows, vectors)
    prefix = [0]
    for value in size:
        prefix.append(prefix[-1] + value)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        start = end - 1
        while start >= 0:
            total = prefix[end] - prefix[start]
            if total > GROUP_TOKEN_LIMIT and end - start > 1:
                break
            cost = GROUP_COST
            if total < MIN_PARENT_TOKENS:
                cost += UNDERSIZE_PENALTY * (MIN_PARENT_TOKENS - total) / MIN_PARENT_TOKENS
            if start > 0:
                cost -= strengths[start]
            candidate = best[start] + cost
            if candidate < best[end]:
                best[end], back[end] = candidate, start
            start -= 1
    groups: list[list[int]] = []
    end = n
    while end > 0:
        start = back[end]
        groups.append(list(range(start, end)))
        end = start
    groups.reverse()
    return groups


def build_parents(windows: Sequence[Window], groups: Sequence[Sequence[int]], sizes: Sequence[int],
                  context: Sequence[str] = (), counter: Counter = count_tokens) -> list[ParentChunk]:
    """The parent texts: headings where a section starts, a breadcrumb where a chunk starts mid-section."""
    parents: list[ParentChunk] = []
    for group in groups:
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        length = 0
        tokens = sum(sizes[index] for index in group)
        breadcrumb_line = ""
        for position, index in enumerate(group):
            window = windows[index]
            lead = ""
            if window.first_of_block and window.heading_line:
                lead = window.heading_line + "\n\n"
            elif position == 0 and window.heading_path:
                breadcrumb_line = f"[{breadcrumb(context, window.heading_path)}]"
                lead = breadcrumb_line + "\n\n"
            separator = "\n\n" if parts else ""
            piece = separator + lead
            parts.append(piece)
            length += len(piece)
            parts.append(window.text)
            spans.append((length, length + len(window.text)))
            length += len(window.text)
        first = windows[group[0]]
        pages = [windows[index].page for index in group if windows[index].page is not None]
        if breadcrumb_line:
            tokens += counter([breadcrumb_line])[0]
        parents.append(ParentChunk("".join(parts), first.heading_path, min(pages) if pages else None,
                                   max(pages) if pages else None, list(group), spans, tokens))
    return parents


def heading_overhead(windows: Sequence[Window], counter: Counter = count_tokens) -> list[int]:
    """Tokens each window brings to its parent: its text plus its heading line."""
    headings = [window.heading_line or "" for window in windows]
    heading_counts = counter(headings)
    return [window.tokens + extra for window, extra in zip(windows, heading_counts, strict=True)]
