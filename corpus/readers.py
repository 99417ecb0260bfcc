"""Readers: a source file → blocks of text, each with its heading path (and page, for PDFs).

A block is the text of one section (Markdown: the lines under one heading, before its first sub-heading;
PDF: the same, cut at page ends so every block has one page). Structure is kept as metadata instead of being
flattened: chunking splits at these boundaries first.

Bad input raises :class:`ReaderError` with a message meant for the operator (empty, binary, not UTF-8, too
large, corrupt PDF, no extractable text); the ingestion job records it and carries on with the next file.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKDOWN_SUFFIXES = {".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | PDF_SUFFIXES
DEFAULT_MAX_FILE_MB = 20


class ReaderError(Exception):
    """The file cannot be indexed; the message says why."""


@dataclass(frozen=True)
class Block:
    heading_path: tuple[str, ...]
    text: str
    # The heading as written (Markdown `### Grappling`, or the PDF heading's text), shown in parent chunks.
    heading_line: str | None = None
    page: int | None = None


def max_file_bytes() -> int:
    raw = os.environ.get("CORPUS_MAX_FILE_MB", "").strip()
    return int(float(raw) * 1024 * 1024) if raw else DEFAULT_MAX_FILE_MB * 1024 * 1024


def check_size(size: int) -> None:
    limit = max_file_bytes()
    if size > limit:
        raise ReaderError(f"too large ({size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB, "
                          "CORPUS_MAX_FILE_MB)")


def read_blocks(path: Path, data: bytes | None = None) -> list[Block]:
    """The blocks of a Markdown or PDF file (`data`: its bytes when already read)."""
    suffix = path.suffix.lower()
    if data is None:
        check_size(path.stat().st_size)
        data = path.read_bytes()
    check_size(len(data))
    if not data.strip():
        raise ReaderError("empty file")
    if suffix in MARKDOWN_SUFFIXES:
        return markdown_blocks(decode_text(data), default_title=path.stem)
    if suffix in PDF_SUFFIXES:
        return pdf_blocks(data)
    raise ReaderError(f"unsupported file type {suffix or '(none)'}")


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ReaderError("binary content (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ReaderError(f"not UTF-8 text (invalid byte at offset {error.start})") from None
    # Mostly control characters: a binary file that happens to decode.
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 50):
        raise ReaderError("binary content (control characters), not a text file")
    if not text.strip():
        raise ReaderError("empty file")
    return text


# --------------------------------------------------------------------------- Markdown

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")


def clean_heading(title: str) -> str:
    title = re.sub(r"[*_`]+", "", title)
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # [text](link) → text
    title = re.sub(r"\{#[^}]*\}", "", title)  # pandoc heading ids
    return re.sub(r"\s+", " ", title).strip()


def markdown_blocks(text: str, default_title: str = "") -> list[Block]:
    """One block per section body; the heading path is the titles of the enclosing headings."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    heading_line: str | None = None
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        content = "\n".join(body).strip("\n")
        path = tuple(title for _, title in stack) or ((default_title,) if default_title else ())
        if content.strip():
            blocks.append(Block(path, content, heading_line))

    for line in text.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            body.append(line)
            continue
        match = None if in_fence else _HEADING_RE.match(line)
        if match is None:
            body.append(line)
            continue
        flush()
        level, title = len(match.group(1)), clean_heading(match.group(2))
        while stack and stack[-1][0] >= level:
            stack.pop()
        if title:
            stack.append((level, title))
        heading_line, body = line.strip(), []
    flush()
    if not blocks and stack:
        # Headings only: index the headings themselves so the file is still findable.
        titles = [title for _, title in stack]
        blocks.append(Block(tuple(titles), "\n".join(titles)))
    return blocks


# --------------------------------------------------------------------------- PDF

_SPACES_RE = re.compile(r"[\t\r\xa0\u2002\u2003\u2009 ]+")
_HYPHENS_RE = re.compile(r"[-\xad\u2010\u2011]{2,}|\xad")
_BOLD_RE = re.compile(r"bold|semibold|heavy|black|demi", re.IGNORECASE)


def _normalise(text: str) -> str:
    text = _HYPHENS_RE.sub("-", text)
    return _SPACES_RE.sub(" ", text)


@dataclass
class _Run:
    text: str
    size: float
    bold: bool
    newline: bool


# A paragraph's first line is indented by this much (points) relative to the line before it.
PARAGRAPH_INDENT = (4.0, 30.0)
# Words this far apart (points) on one line are in different cells of a table (a space is about 3 points; two
# columns of a page are further apart). The mark between cells is replaced when the lines are joined.
CELL_GAP = (8.0, 150.0)
CELL_MARK = "\u241f"
# A line of this many cells or more is a table row.
MIN_TABLE_CELLS = 3
_TOKEN_RE = re.compile(r"\r\n|\n|[^\s\xa0]+|[\s\xa0]+")


def _page_runs(page: Any) -> list[_Run]:
    """A page's text as runs of one style (effective size, bold) with the line ends between them. PDFium's text
    page gives the characters in reading order with generated spaces and line ends; the style is read once per
    word (two calls into PDFium), which keeps a 400-page book at a couple of seconds."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        handle = textpage.raw
        count = pdfium_c.FPDFText_CountChars(handle)
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        box = pdfium_c.FS_RECTF()
        runs: list[_Run] = []
        style: tuple[float, bool] | None = None
        line_start = True
        previous_left: float | None = None
        previous_right: float | None = None
        for match in _TOKEN_RE.finditer(text):
            token, start = match.group(), match.start()
            if token in ("\r\n", "\n"):
                runs.append(_Run("\n", style[0] if style else 0.0, style[1] if style else False, True))
                style, line_start = None, True
                continue
            if token.isspace() or token == "\xa0" * len(token):
                if runs and not runs[-1].newline:
                    runs[-1].text += " "
                continue
            if start >= count:
                break
            # The loose box spans the font's ascent to descent: its height is the size the text is set in.
            indented = cell = False
            if pdfium_c.FPDFText_GetLooseCharBox(handle, start, box):
                size = round(abs(box.top - box.bottom) * 2) / 2
                left = box.left
                previous_right, right = _word_right(handle, match.end() - 1, box), previous_right
                if line_start:
                    # A line starting a little right of the one before (same column) starts a paragraph.
                    indented = previous_left is not None and \
                        PARAGRAPH_INDENT[0] <= left - previous_left <= PARAGRAPH_INDENT[1]
                    previous_left = left
                else:
                    # A wide gap inside a line separates the cells of a table row.
                    cell = right is not None and CELL_GAP[0] <= left - right <= CELL_GAP[1]
            else:
                size = round(pdfium_c.FPDFText_GetFontSize(handle, start) * 2) / 2
                previous_right = None
            line_start = False
            pdfium_c.FPDFText_GetFontInfo(handle, start, name, len(name), ctypes.byref(flags))
            current = (size, bool(_BOLD_RE.search(name.value.decode("latin-1", "replace"))))
            if indented:
                token = "\t" + token  # read by _PdfBlocks.page as a paragraph start
                style = None
            elif cell:
                token = CELL_MARK + token
            if style == current and runs and not runs[-1].newline:
                runs[-1].text += token
            else:
                runs.append(_Run(token, current[0], current[1], False))
                style = current
        return runs
    finally:
        textpage.close()


def _word_right(handle: Any, last_char: int, box: Any) -> float | None:
    """The right edge of a word (of its last character's box)."""
    import pypdfium2.raw as pdfium_c

    return float(box.right) if pdfium_c.FPDFText_GetLooseCharBox(handle, last_char, box) else None


def _is_heading_text(text: str) -> bool:
    stripped = text.strip()
    return (2 <= len(stripped) <= 90 and any(ch.isalpha() for ch in stripped)
            and not stripped.endswith((",", ";")) and len(stripped.split()) <= 12)


def pdf_blocks(data: bytes) -> list[Block]:
    """Pages → blocks. Headings are the bold runs set larger than the body text; their sizes give the levels."""
    pages = _pdf_pages(data)
    page_runs: list[list[_Run]] = []
    failed_pages = 0
    for page in pages:
        try:
            page_runs.append(_page_runs(page))
        except Exception:  # one unreadable page must not lose the others
            failed_pages += 1
            page_runs.append([])
    if failed_pages == len(pages):
        raise ReaderError("corrupt PDF (no page could be read)")

    builder = _PdfBlocks(_heading_levels(page_runs), _running_lines(page_runs, len(pages)))
    for number, runs in enumerate(page_runs, start=1):
        builder.page(number, runs)
    blocks = builder.blocks
    if not blocks:
        raise ReaderError("no extractable text (a scanned PDF?)")
    return blocks


def _pdf_pages(data: bytes) -> list[Any]:
    """The PDF's pages (PDFium, through pypdfium2); a ReaderError for an encrypted, corrupt or empty one."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        message = str(error)
        if "password" in message.lower():
            raise ReaderError("encrypted PDF") from None
        raise ReaderError(f"corrupt PDF ({message[:200]})") from None
    pages = [document[index] for index in range(len(document))]
    if not pages:
        raise ReaderError("PDF without pages")
    return pages


def _heading_levels(page_runs: list[list[_Run]]) -> dict[float, int]:
    """Heading level by font size. The body size is the size most of the text is set in; headings are bold
    and larger, the largest is level 1."""
    weight: Counter[float] = Counter()
    for runs in page_runs:
        for run in runs:
            weight[run.size] += len(run.text)
    if not weight:
        raise ReaderError("no extractable text (a scanned PDF?)")
    body_size = weight.most_common(1)[0][0]
    heading_sizes = sorted({run.size for runs in page_runs for run in runs
                            if run.bold and run.size >= body_size + 0.75}, reverse=True)
    return {size: min(index + 1, 6) for index, size in enumerate(heading_sizes)}


def _running_lines(page_runs: list[list[_Run]], page_count: int) -> set[str]:
    """Running headers and footers: short lines repeated on many pages."""
    repeated: Counter[str] = Counter()
    for number, runs in enumerate(page_runs, start=1):
        repeated.update({_without_page_number(_normalise(run.text).strip(), number) for run in runs
                         if len(run.text.strip()) < 60})
    return {text for text, count in repeated.items()
            if count >= max(3, page_count // 4) and sum(ch.isalpha() for ch in text) >= 4}


def _without_page_number(line: str, number: int) -> str:
    """`System Reference Document 5.1 66` on page 66 → its running part (the page number in it changes)."""
    return re.sub(rf"[\s{CELL_MARK}]*\b{number}$", "", line)


class _PdfBlocks:
    """Runs → blocks, keeping the heading stack across pages."""

    def __init__(self, level_of: dict[float, int], boilerplate: set[str]) -> None:
        self.level_of = level_of
        self.boilerplate = boilerplate
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str]] = []
        self.number = 0
        self.body: list[str] = []
        self.heading_line: str | None = None
        self.pending_heading: list[str] = []
        self.pending_level = 0
        # The header of the last table and its section: a table continued on the next page gets it again.
        self.table_header: str | None = None
        self.table_path: tuple[str, ...] = ()

    def flush_body(self) -> None:
        path = tuple(title for _, title in self.stack)
        carried = self.table_header if self.table_path == path else None
        text, header = _join_lines("".join(self.body), carried)
        if header is not None:
            self.table_header, self.table_path = header, path
        if text:
            self.blocks.append(Block(tuple(title for _, title in self.stack), text, self.heading_line, self.number))
        self.body = []

    def close_heading(self) -> None:
        title = _normalise("".join(self.pending_heading).replace(CELL_MARK, " ")).strip()
        self.pending_heading = []
        if not _is_heading_text(title):
            self.body.append(title + "\n")
            return
        self.flush_body()
        while self.stack and self.stack[-1][0] >= self.pending_level:
            self.stack.pop()
        self.stack.append((self.pending_level, title))
        self.heading_line = title

    def page(self, number: int, runs: list[_Run]) -> None:
        self.number = number
        self.body, self.heading_line, self.pending_heading = [], None, []
        for run in runs:
            clean = _normalise(run.text)
            stripped = clean.strip()
            if not stripped:  # spacing and line ends: inside a heading they only separate its words
                if self.pending_heading:
                    self.pending_heading.append(" ")
                else:
                    self.body.append("\n" if "\n" in run.text else clean)
                continue
            level = self.level_of.get(run.size) if run.bold else None
            if _without_page_number(stripped, number) in self.boilerplate or stripped.strip(CELL_MARK) == str(number) \
                    or (level is not None and stripped.isdigit()):  # running headers, page numbers
                continue
            if level is not None:
                # A heading set over two lines (or split into runs) is one heading: same level, no text between.
                if self.pending_heading and level != self.pending_level:
                    self.close_heading()
                self.pending_level = level
                self.pending_heading.append(clean.replace("\n", " "))
                continue
            if self.pending_heading:
                self.close_heading()
            # An indented line starts a paragraph.
            body = self.body
            if run.text[:1] in ("\t", "\xa0") and body and body[-1].endswith("\n") and not body[-1].endswith("\n\n"):
                body.append("\n")
            body.append(clean)
        if self.pending_heading:
            self.close_heading()
        self.flush_body()


def _table_row(line: str) -> str | None:
    cells = [cell.strip() for cell in line.split(CELL_MARK)]
    if len(cells) < MIN_TABLE_CELLS or not all(cells):
        return None
    return "| " + " | ".join(cells) + " |"


def _tables(lines: list[str], carried_header: str | None) -> tuple[list[tuple[str, bool]], str | None]:
    """Lines → (line, is a table) units: runs of row lines become one Markdown table each (its first row the
    header, or the header carried from an earlier table of the same section when the cell counts match: a table
    continued on the next page or after a sub-heading row); a short line between two rows ("Martial Melee
    Weapons") stays inside as a row of its own."""
    rows = [_table_row(line) for line in lines]
    units: list[tuple[str, bool]] = []
    last_header: str | None = None
    index = 0
    while index < len(lines):
        if rows[index] is None:
            units.append((lines[index].replace(CELL_MARK, " "), False))
            index += 1
            continue
        table: list[str] = []
        while index < len(lines):
            row = rows[index]
            if row is None and len(lines[index]) <= 40 and index + 1 < len(lines) and rows[index + 1] is not None:
                row = f"| {lines[index].replace(CELL_MARK, ' ').strip()} |"
            if row is None:
                break
            table.append(row)
            index += 1
        columns = table[0].count("|")
        header = carried_header if carried_header is not None and carried_header.count("|") == columns else None
        if header is not None:
            table.insert(0, header)
        if len(table) < 2:
            # A header row alone (at a page's end, its rows on the next page): kept as text, carried on.
            units.append((table[0].strip("| ").replace(" | ", " "), False))
            last_header = carried_header = table[0]
            continue
        last_header = carried_header = table[0]
        rule = "|" + "---|" * (columns - 1)
        units.append(("\n".join([table[0], rule, *table[1:]]), True))
    return units, last_header


def _join_lines(text: str, carried_header: str | None = None) -> tuple[str, str | None]:
    """Column lines → paragraphs: a hyphen at a line end joins the word; other line ends become spaces; table
    rows (cells apart on one line) become a Markdown table, a paragraph of its own. Also returns the header of
    the last table."""
    paragraphs = []
    last_header: str | None = None
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        units, header = _tables(lines, last_header or carried_header)
        last_header = header or last_header
        joined = ""
        for line, is_table in units:
            if is_table:
                if joined:
                    paragraphs.append(re.sub(r" {2,}", " ", joined))
                paragraphs.append(line)
                joined = ""
            elif not joined:
                joined = line
            elif joined.endswith("-") and line[:1].islower():
                joined += line
            elif line.startswith(("•", "-")):
                joined += "\n" + line
            else:
                joined += " " + line
        if joined:
            paragraphs.append(re.sub(r" {2,}", " ", joined))
    return "\n\n".join(paragraphs).strip(), last_header
