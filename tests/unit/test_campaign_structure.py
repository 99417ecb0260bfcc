"""Tests for corpus.structure and the shipped campaigns in corpus/campaigns/."""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import pytest

from corpus.structure import (
    CampaignStructure,
    extract_structure,
    hooks,
    load_campaign,
    plot_structure,
    render_campaign_markdown,
    shipped_campaign_paths,
)
from tests.srd_paths import SRD_JSON_DIR

CAMPAIGN_PATHS = shipped_campaign_paths()
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALLOWED_ROLES = {"ally", "villain", "quest-giver", "merchant", "neutral"}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


@pytest.fixture(scope="module")
def srd_monster_names() -> set[str]:
    """Monster names from the SRD JSON, read at test time only (skipped when the file is absent)."""
    path = SRD_JSON_DIR / "5e-SRD-Monsters.json"
    if not path.is_file():
        pytest.skip(f"SRD monster list not available at {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {entry["name"].casefold() for entry in data if isinstance(entry, dict) and "name" in entry}


def test_three_campaigns_are_shipped() -> None:
    assert len(CAMPAIGN_PATHS) >= 3
    assert {"the-sunken-lantern", "ashes-of-thornwall", "the-glass-crypt"} <= set(_ids(CAMPAIGN_PATHS))


@pytest.fixture(scope="module", params=CAMPAIGN_PATHS, ids=_ids(CAMPAIGN_PATHS))
def campaign(request: pytest.FixtureRequest) -> CampaignStructure:
    return load_campaign(request.param)


@pytest.fixture(scope="module", params=CAMPAIGN_PATHS, ids=_ids(CAMPAIGN_PATHS))
def campaign_text(request: pytest.FixtureRequest) -> tuple[str, str]:
    path: Path = request.param
    return path.read_text(encoding="utf-8"), path.name


# --------------------------------------------------------------------------------------------------
# Shipped campaigns
# --------------------------------------------------------------------------------------------------


def test_campaign_title_pitch_and_metadata(campaign: CampaignStructure) -> None:
    assert campaign.title
    assert len(campaign.pitch.split()) >= 40
    meta = campaign.metadata
    assert meta.level_min is not None and meta.level_max is not None
    assert 1 <= meta.level_min < meta.level_max <= 20
    assert meta.region
    assert meta.tone
    assert meta.tier in {1, 2, 3, 4}
    assert campaign.overview


def test_campaign_length_is_reasonable(campaign_text: tuple[str, str]) -> None:
    text, _ = campaign_text
    words = len(text.split())
    assert 2500 <= words <= 4200, words


def test_campaign_has_three_acts_with_scenes(campaign: CampaignStructure) -> None:
    assert [act.number for act in campaign.acts] == [1, 2, 3]
    for act in campaign.acts:
        assert act.title
        assert 2 <= len(act.scenes) <= 4, act.title
        for idx, scene in enumerate(act.scenes, start=1):
            assert scene.number == f"{act.number}.{idx}"
            assert scene.title
            assert len(scene.summary.split()) >= 40, scene.title
            assert scene.location, scene.title
            assert scene.events, scene.title
            assert scene.hook, scene.title


def test_campaign_has_climax(campaign: CampaignStructure) -> None:
    assert campaign.climax is not None
    assert campaign.climax.title
    assert len(campaign.climax.summary.split()) >= 80
    assert campaign.climax.location
    assert campaign.climax.encounters
    assert campaign.climax.events


def test_campaign_npcs(campaign: CampaignStructure) -> None:
    assert len(campaign.npcs) >= 5
    names = [n.name.casefold() for n in campaign.npcs]
    assert len(names) == len(set(names))
    for npc in campaign.npcs:
        assert npc.role in ALLOWED_ROLES, (npc.name, npc.role)
        assert npc.personality, npc.name
        assert npc.location, npc.name
        assert npc.stats, npc.name
    assert campaign.npc_roles.get("villain", 0) >= 1
    assert campaign.npc_roles.get("ally", 0) >= 1
    assert campaign.npc_roles.get("merchant", 0) >= 1
    assert campaign.npc_roles.get("quest-giver", 0) >= 1
    assert sum(campaign.npc_roles.values()) == len(campaign.npcs)


def test_campaign_locations(campaign: CampaignStructure) -> None:
    with_encounters = [loc for loc in campaign.locations if loc.encounters]
    assert len(with_encounters) >= 4
    for loc in campaign.locations:
        assert loc.type, loc.name
        assert loc.description, loc.name
        for enc in loc.encounters:
            assert enc.count >= 1
    assert any(loc.shop is not None and loc.shop.kind for loc in campaign.locations)
    assert sum(campaign.location_types.values()) == len(campaign.locations)


def test_campaign_events(campaign: CampaignStructure) -> None:
    assert 6 <= len(campaign.events) <= 10
    ids = campaign.event_ids()
    assert len(ids) == len(set(ids)), "event ids must be unique"
    for event in campaign.events:
        assert SLUG_RE.match(event.id), event.id
        assert event.trigger, event.id
        assert event.effect, event.id


def test_scene_references_resolve(campaign: CampaignStructure) -> None:
    event_ids = set(campaign.event_ids())
    missing_events = [eid for eid in campaign.referenced_event_ids() if eid not in event_ids]
    assert not missing_events, f"scene event ids not in Events: {missing_events}"

    npc_names = {n.casefold() for n in campaign.npc_names()}
    missing_npcs = [n for n in campaign.referenced_npc_names() if n.casefold() not in npc_names]
    assert not missing_npcs, f"scene NPCs not listed under NPCs: {missing_npcs}"

    location_names = {loc.name.casefold() for loc in campaign.locations}
    missing_locs = [n for n in campaign.referenced_location_names() if n.casefold() not in location_names]
    assert not missing_locs, f"scene locations not listed under Locations: {missing_locs}"
    missing_npc_locs = [
        n.name for n in campaign.npcs if n.location and n.location.casefold() not in location_names
    ]
    assert not missing_npc_locs, f"NPC locations not listed under Locations: {missing_npc_locs}"


def test_campaign_plot_hooks(campaign: CampaignStructure) -> None:
    assert 5 <= len(campaign.plot_hooks) <= 8
    all_hooks = hooks(campaign)
    assert all_hooks[: len(campaign.plot_hooks)] == campaign.plot_hooks
    assert len(all_hooks) > len(campaign.plot_hooks)  # scene hooks follow
    assert hooks(campaign, include_scene_hooks=False) == campaign.plot_hooks


def test_campaign_pacing(campaign: CampaignStructure) -> None:
    pacing = campaign.pacing
    assert pacing.scenes_per_act == [len(a.scenes) for a in campaign.acts]
    assert all(w > 200 for w in pacing.words_per_act)
    assert sum(pacing.share_per_act) == pytest.approx(1.0, abs=0.01)
    assert all(0.15 < share < 0.6 for share in pacing.share_per_act)
    assert not pacing.combat_heuristic
    assert pacing.combat_encounters_per_act == [
        sum(1 for s in a.scenes if s.encounters) for a in campaign.acts
    ]
    assert sum(pacing.combat_encounters_per_act) >= 3
    assert pacing.climax_words > 0
    assert pacing.total_words > pacing.act_words


def test_campaign_monsters_exist_in_srd(campaign: CampaignStructure, srd_monster_names: set[str]) -> None:
    unknown = [name for name in campaign.monster_names() if name.casefold() not in srd_monster_names]
    assert not unknown, f"not SRD monster names: {unknown}"


def test_plot_structure_and_json(campaign: CampaignStructure) -> None:
    plot = plot_structure(campaign)
    json.dumps(plot)  # must be JSON-serialisable
    assert plot["title"] == campaign.title
    assert [a["number"] for a in plot["acts"]] == [1, 2, 3]
    for act, act_plot in zip(campaign.acts, plot["acts"], strict=True):
        assert [s["events"] for s in act_plot["scenes"]] == [s.events for s in act.scenes]
    assert plot["climax"]["title"] == campaign.climax.title  # type: ignore[union-attr]
    assert set(plot["events"]) == set(campaign.event_ids())

    dumped = json.loads(campaign.to_json())
    assert dumped["title"] == campaign.title
    assert dumped["pacing"]["scenes_per_act"] == campaign.pacing.scenes_per_act
    assert CampaignStructure.model_validate(dumped).acts == campaign.acts


# --------------------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------------------

MAIN_FIELDS = (
    "title",
    "pitch",
    "overview",
    "metadata",
    "acts",
    "climax",
    "npcs",
    "locations",
    "events",
    "plot_hooks",
)


def test_render_round_trip(campaign: CampaignStructure) -> None:
    rendered = render_campaign_markdown(campaign)
    again = extract_structure(rendered, campaign.source_name)
    for name in MAIN_FIELDS:
        assert getattr(again, name) == getattr(campaign, name), name
    assert again.npc_roles == campaign.npc_roles
    assert again.location_types == campaign.location_types
    assert again.pacing.scenes_per_act == campaign.pacing.scenes_per_act
    # Rendering is a fixed point after one pass.
    assert render_campaign_markdown(again) == rendered


def test_shipped_files_are_in_canonical_form(campaign_text: tuple[str, str]) -> None:
    """The shipped Markdown is exactly what the renderer writes, so the layout stays machine-readable."""
    text, name = campaign_text
    assert render_campaign_markdown(extract_structure(text, name)) == text


def test_render_minimal_spec_round_trip() -> None:
    spec = CampaignStructure.model_validate(
        {
            "title": "The Quiet Mill",
            "pitch": "A short test adventure for levels 1–3 in a river village.",
            "metadata": {
                "levels": "1–3",
                "level_min": 1,
                "level_max": 3,
                "region": "river village",
                "tier": 1,
            },
            "acts": [
                {
                    "number": 1,
                    "title": "Flour and Fear",
                    "scenes": [
                        {
                            "number": "1.1",
                            "title": "The Miller's Plea",
                            "summary": "The miller asks for help.",
                            "location": "Old Mill",
                            "npcs": ["Bess Miller"],
                            "events": ["mill-plea"],
                            "event_note": "Bess begs for help.",
                            "hook": "Flour dust shows small footprints.",
                        },
                        {
                            "number": "1.2",
                            "title": "Rats Below",
                            "location": "Old Mill",
                            "encounters": [{"monster": "Giant Rat", "count": 3}],
                            "events": ["rats-below"],
                        },
                    ],
                }
            ],
            "climax": {"title": "The Rat King", "summary": "A swarm boils out of the millrace."},
            "npcs": [
                {"name": "Bess Miller", "role": "quest-giver", "personality": "Anxious", "stats": "Commoner"}
            ],
            "locations": [
                {
                    "name": "Old Mill",
                    "type": "village",
                    "description": "A creaking mill.",
                    "encounters": [{"monster": "Swarm of Rats", "count": 2}],
                    "shop": {"name": "Bess's Flour Stall", "kind": "general"},
                },
                {"name": "Millrace", "type": "wilderness"},
            ],
            "events": [
                {"id": "mill-plea", "trigger": "Party arrives", "effect": "Quest offered"},
                {
                    "id": "rats-below",
                    "trigger": "Cellar opened",
                    "effect": "Rats attack",
                    "description": "Noisy.",
                },
            ],
            "plot_hooks": ["A child hears squeaking under the floor."],
        }
    )
    again = extract_structure(render_campaign_markdown(spec), "quiet-mill.md")
    for name in MAIN_FIELDS:
        assert getattr(again, name) == getattr(spec, name), name
    assert again.pacing.combat_encounters_per_act == [1]
    assert again.npc_roles == {"quest-giver": 1}
    assert again.location_types == {"village": 1, "wilderness": 1}


# --------------------------------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   \n\n  ", "just one line", "#", "## \n###", "```\n# not a heading\n```"]
)
def test_degenerate_text_gives_empty_structure(text: str) -> None:
    s = extract_structure(text, "odd-file.md")
    assert s.acts == []
    assert s.npcs == [] and s.locations == [] and s.events == [] and s.plot_hooks == []
    assert s.climax is None
    assert s.title
    json.loads(s.to_json())
    json.dumps(plot_structure(s))
    assert hooks(s) == []
    extract_structure(render_campaign_markdown(s), "again.md")


def test_random_text_never_raises() -> None:
    rng = random.Random(1234)
    alphabet = string.ascii_letters + string.digits + " \n\t#*-_`>:;.,()[]|–—"
    tokens = [
        "# ",
        "## Act ",
        "### Scene ",
        "**Location:**",
        "**NPCs:**",
        "- `",
        "`",
        "\n",
        "## NPCs\n",
        "Chapter ",
    ]
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.3:
                parts.append(rng.choice(tokens))
            else:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
        text = "".join(parts)
        s = extract_structure(text, "random.md")
        json.dumps(plot_structure(s))
        s.to_json()
        extract_structure(render_campaign_markdown(s), "random.md")


CHAPTER_BOOK = """\
# The Wyrm of Hollow Fen

An adventure for 3rd- to 6th-level characters set in a marshland barony.

## Introduction

The barony has been losing cattle for a month.

# Chapter 1: Into the Fen

The characters arrive in the fen town of Mossgate.

## Arrival at Mossgate

The mayor greets the party at the gate.

## The Drowned Road

Lizardfolk ambush travellers on the causeway. Roll initiative as they attack.

# Chapter 2: The Sunken Temple

## Temple Entrance

A collapsed arch marks the way in.

## The Flooded Nave

Skeletons rise from the water and attack.

## Characters

### Mayor Edric Hale

**Role:** quest-giver. **Personality:** Pompous but brave.

# Chapter 3: The Wyrm's Lair

The final battle against the black dragon.

## The Lair

The wyrm waits in the reeds.

# Appendix A: Rumours

- Cattle vanish on moonless nights.
- The old temple bell was heard last week.
"""


def test_chapter_style_book_is_treated_as_acts() -> None:
    s = extract_structure(CHAPTER_BOOK, "wyrm.md")
    assert s.title == "The Wyrm of Hollow Fen"
    assert [a.number for a in s.acts] == [1, 2, 3]
    assert [a.title for a in s.acts] == ["Into the Fen", "The Sunken Temple", "The Wyrm's Lair"]
    assert [sc.title for sc in s.acts[0].scenes] == ["Arrival at Mossgate", "The Drowned Road"]
    # The NPC section inside chapter 2 is not a scene.
    assert [sc.title for sc in s.acts[1].scenes] == ["Temple Entrance", "The Flooded Nave"]
    assert [n.name for n in s.npcs] == ["Mayor Edric Hale"]
    assert s.npcs[0].role == "quest-giver"
    assert s.npc_roles == {"quest-giver": 1}
    assert s.plot_hooks == ["Cattle vanish on moonless nights.", "The old temple bell was heard last week."]
    assert s.metadata.level_min == 3 and s.metadata.level_max == 6 and s.metadata.tier == 1
    assert s.overview.startswith("The barony")
    assert s.locations == [] and s.events == [] and s.climax is None
    assert s.pacing.combat_heuristic
    assert s.pacing.combat_encounters_per_act[0] == 1
    assert s.pacing.combat_encounters_per_act[1] == 1
    assert len(s.pacing.share_per_act) == 3
    json.dumps(plot_structure(s))


def test_part_headings_with_roman_numerals() -> None:
    text = (
        "# Book Title\n\n## Part I: Beginnings\n\nText.\n\n## Part II: Middles\n\n## Part III - Ends\n\nEnd."
    )
    s = extract_structure(text, "parts.md")
    assert [(a.number, a.title) for a in s.acts] == [(1, "Beginnings"), (2, "Middles"), (3, "Ends")]


def test_act_headings_win_over_chapters() -> None:
    text = "# T\n\n## Chapter 1: Prologue\n\n## Act 1: Real\n\n### Scene 1.1: A\n\n## Act 2: Also Real\n"
    s = extract_structure(text, "mixed.md")
    assert [a.title for a in s.acts] == ["Real", "Also Real"]
    assert [sc.number for sc in s.acts[0].scenes] == ["1.1"]


def test_inline_fields_and_variants() -> None:
    text = """\
# Inline Test

## Act 1: One

### Scene 1.1: Inline

Prose first; **Location:** The Inn; **NPCs:** Ann Vell (disguised) and Bo; **Event:** `a-b` note here;
**Hook:** Go north.

## NPCs

- **Ann Vell**: **Role:** Antagonist (smuggler); **Personality:** sly; **Stats:** Spy
- **Bo** — **Role:** shopkeeper

## Locations

### The Inn

**Type:** Tavern, two floors; **Encounters:** Thug x2, 1d4 Bandit, Giant Rat (Diseased)
**Shop:** Bo's Bar — drinks

## Events

- **a-b**: **Trigger:** t; **Effect:** e
"""
    s = extract_structure(text, "inline.md")
    scene = s.acts[0].scenes[0]
    assert scene.summary == "Prose first"
    assert scene.location == "The Inn"
    assert scene.npcs == ["Ann Vell", "Bo"]
    assert scene.events == ["a-b"] and scene.event_note == "note here"
    assert scene.hook == "Go north."
    assert [(n.name, n.stats) for n in s.npcs] == [("Ann Vell", "Spy"), ("Bo", None)]
    assert s.npc_roles == {"villain": 1, "merchant": 1}
    loc = s.locations[0]
    assert [(e.monster, e.count) for e in loc.encounters] == [
        ("Thug", 2),
        ("Bandit", 2),
        ("Giant Rat (Diseased)", 1),
    ]
    assert loc.shop is not None and (loc.shop.name, loc.shop.kind) == ("Bo's Bar", "drinks")
    assert s.location_types == {"tavern": 1}
    assert [(e.id, e.trigger, e.effect) for e in s.events] == [("a-b", "t", "e")]
