"""Campaign files: unsafe names are refused and nothing is written outside CAMPAIGNS_DIR; generated campaigns
are deterministic and parse back into the same structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.campaigns import (
    GENERATED_MARKER,
    CampaignError,
    add_campaign_file,
    check_campaign_name,
    find_slug,
    generate_campaign,
    remove_campaign_file,
    unique_slug,
    write_generated,
)
from corpus.structure import extract_structure, render_campaign_markdown, shipped_campaign_paths
from corpus.structure import load_campaign as load_structure
from settings import load_settings

SHIPPED = shipped_campaign_paths()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CAMPAIGNS_DIR", str(tmp_path / "campaigns"))
    (tmp_path / "campaigns").mkdir()
    return load_settings()


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", "..", "../../etc/passwd", "x/../../y", "/abs",
                                  "with space", ".hidden", "dots.in.name", "", "UPPER/../x"])
def test_unsafe_campaign_names_are_refused(name: str) -> None:
    with pytest.raises(CampaignError):
        check_campaign_name(name)


def test_a_campaign_file_is_copied_only_into_the_campaigns_folder(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = SHIPPED[0]
    before = sorted(path.name for path in tmp_path.iterdir())
    for bad in ("../escaped", "sub/dir", "..\\win"):
        with pytest.raises(CampaignError):
            add_campaign_file(source, bad, settings)
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    target = add_campaign_file(source, "my-copy", settings)
    assert target == settings.campaigns_dir.resolve() / "my-copy.md"
    assert target.read_bytes() == source.read_bytes()
    with pytest.raises(CampaignError, match="already exists"):
        add_campaign_file(source, "my-copy", settings)
    assert find_slug("my-copy", settings) == "my-copy"
    assert find_slug("My Copy", settings) == "my-copy"
    assert remove_campaign_file("my-copy", settings) is True
    assert not target.exists()


def test_binary_and_title_less_files_are_not_campaigns(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CampaignError, match="binary"):
        add_campaign_file(binary, None, settings)
    plain = tmp_path / "plain.md"
    plain.write_text("just some words, no title")
    with pytest.raises(CampaignError, match="Title"):
        add_campaign_file(plain, None, settings)
    assert list(settings.campaigns_dir.iterdir()) == []


def test_generated_campaigns_are_deterministic_and_round_trip(settings) -> None:  # type: ignore[no-untyped-def]
    references = [load_structure(path) for path in SHIPPED]
    description = "A haunted lighthouse on a storm coast where smugglers serve a sea hag, levels 3-6"
    first = generate_campaign(description, references)
    assert first == generate_campaign(description, references)
    assert len(first.acts) == 3 and all(len(act.scenes) == 3 for act in first.acts)
    assert first.metadata.level_min == 3 and first.metadata.level_max == 6
    assert GENERATED_MARKER in first.pitch
    back = extract_structure(render_campaign_markdown(first), "x.md")
    assert back.title == first.title
    assert [npc.name for npc in back.npcs] == [npc.name for npc in first.npcs]
    assert len(back.scenes()) == len(first.scenes())
    slug, path = write_generated(first, settings)
    assert path.parent == settings.campaigns_dir.resolve() and path.name == f"{slug}.md"
    assert unique_slug(first.title, settings) == f"{slug}-2"
    with pytest.raises(CampaignError):
        generate_campaign("short", references)
