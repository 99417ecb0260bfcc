"""Readers: Markdown heading paths, PDF headings and pages, and the errors that make a file un-indexable."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.readers import Block, ReaderError, decode_text, markdown_blocks, pdf_blocks, read_blocks


def make_pdf(pages: list[list[tuple[str, int, str]]]) -> bytes:
    """A small valid PDF: per page, lines of (font F1 regular | F2 bold, size, text; `a|b|c` sets cells apart)."""
    objects: list[bytes] = []
    page_ids = [3 + 2 * index for index in range(len(pages))]
    font_regular, font_bold = 3 + 2 * len(pages), 4 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for index, lines in enumerate(pages):
        content = []
        y = 760
        for font, size, text in lines:
            # "a|b|c": the cells of a table row, 130 points apart on one line.
            for column, cell in enumerate(text.split("|")):
                escaped = cell.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                content.append(f"BT /{font} {size} Tf {72 + 130 * column} {y} Td ({escaped}) Tj ET")
            y -= size + 6
        stream = "\n".join(content).encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_ids[index] + 1} 0 R "
                       f"/Resources << /Font << /F1 {font_regular} 0 R /F2 {font_bold} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_markdown_heading_paths_follow_the_nesting() -> None:
    text = "# Combat\nIntro.\n\n## Grappling\nGrab it.\n\n### Escaping\nWriggle.\n\n## Shoving\nPush.\n"
    blocks = markdown_blocks(text)
    assert [block.heading_path for block in blocks] == [
        ("Combat",), ("Combat", "Grappling"), ("Combat", "Grappling", "Escaping"), ("Combat", "Shoving")]
    assert blocks[1].heading_line == "## Grappling"
    assert blocks[1].text == "Grab it."


def test_markdown_ignores_headings_inside_code_fences_and_uses_the_file_title_without_headings() -> None:
    blocks = markdown_blocks("```\n# not a heading\n```\nplain text", default_title="Notes")
    assert len(blocks) == 1 and blocks[0].heading_path == ("Notes",)
    assert "# not a heading" in blocks[0].text


def test_markdown_heading_markup_is_cleaned() -> None:
    blocks = markdown_blocks("## **Bold** [Link](x.md) {#id}\nbody")
    assert blocks[0].heading_path == ("Bold Link",)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"\xff\xfe\xfa invalid utf-8 \xc3\x28", "not UTF-8"),
    (bytes(range(1, 32)) * 50, "binary"),
])
def test_unreadable_text_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ReaderError, match=message):
        if data.strip():
            decode_text(data)
        else:
            read_blocks(Path("x.md"), data)


def test_too_large_files_are_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_MAX_FILE_MB", "0.001")
    path = tmp_path / "big.md"
    path.write_text("word " * 1000)
    with pytest.raises(ReaderError, match="too large"):
        read_blocks(path)


def test_a_corrupt_pdf_is_refused() -> None:
    with pytest.raises(ReaderError, match="PDF"):
        pdf_blocks(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ngarbage\n%%EOF")
    with pytest.raises(ReaderError):
        pdf_blocks(b"this is not a pdf at all")


def test_pdf_pages_and_bold_larger_headings_become_the_heading_path() -> None:
    body = "A grapple check is a contested Strength check against the target."
    pdf = make_pdf([
        [("F2", 18, "Combat Rules"), ("F1", 10, "Combat has rounds and turns."), ("F2", 13, "Grappling"),
         ("F1", 10, body), ("F1", 10, body)],
        [("F1", 10, "The grappled condition ends when the grappler is incapacitated."), ("F2", 13, "Shoving"),
         ("F1", 10, "You can push a creature away from you.")],
    ])
    blocks = pdf_blocks(pdf)
    assert [(block.heading_path, block.page) for block in blocks] == [
        (("Combat Rules",), 1), (("Combat Rules", "Grappling"), 1), (("Combat Rules", "Grappling"), 2),
        (("Combat Rules", "Shoving"), 2)]
    assert "contested Strength check" in blocks[1].text
    assert isinstance(blocks[0], Block)


def test_a_pdf_table_becomes_rows_under_their_header_even_across_a_page() -> None:
    pdf = make_pdf([
        [("F2", 18, "Equipment"), ("F1", 10, "Every weapon is listed below."), ("F2", 13, "Weapons"),
         ("F1", 10, "Name|Cost|Damage"), ("F1", 10, "Club|1 sp|1d4 bludgeoning"),
         ("F1", 10, "Longsword|15 gp|1d8 slashing")],
        [("F1", 10, "Dagger|2 gp|1d4 piercing"), ("F1", 10, "Whip|2 gp|1d4 slashing"),
         ("F1", 10, "Weapons can be silvered.")],
    ])
    blocks = pdf_blocks(pdf)
    weapons = [block for block in blocks if block.heading_path == ("Equipment", "Weapons")]
    assert [block.page for block in weapons] == [1, 2]
    assert "| Name | Cost | Damage |\n|---|---|---|\n| Club | 1 sp | 1d4 bludgeoning |\n" \
           "| Longsword | 15 gp | 1d8 slashing |" in weapons[0].text
    # Continued on page 2: the rows get the header of page 1 again; the prose after the table stays prose.
    assert weapons[1].text.startswith("| Name | Cost | Damage |\n|---|---|---|\n| Dagger | 2 gp | 1d4 piercing |")
    assert weapons[1].text.endswith("\n\nWeapons can be silvered.")
    assert "Every weapon is listed below." in blocks[0].text and "|" not in blocks[0].text
