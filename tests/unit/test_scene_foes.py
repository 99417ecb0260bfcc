"""A scene's foes (its **Encounter:** line) from the campaign Markdown to the offline narrator's proposal (pure)."""

from __future__ import annotations

import json

from corpus import plot
from corpus.structure import extract_structure, load_campaign, plot_structure
from settings import PROJECT_ROOT
from workers.llm.prompts import build_turn_request
from workers.llm.providers.offline import OfflineNarrator
from workers.llm.schema import ModelOutput

CAMPAIGN = """# The Test Road

## Act 1: On the Road

### Scene 1.1: The Milestone

The party rests by an old milestone.

- **Location:** The Old Road

### Scene 1.2: Ambush at the Ford

Bandits wait in the reeds.

- **Location:** The Ford
- **Encounter:** 3 Goblin, 1 Bugbear
"""


def test_a_scene_names_its_foes_with_its_encounter_line() -> None:
    structure = plot_structure(extract_structure(CAMPAIGN, "test-road.md"))
    assert plot.scene_foes(structure, 1, 2) == [{"monster": "Goblin", "count": 3}, {"monster": "Bugbear", "count": 1}]
    assert plot.scene_foes(structure, 1, 1) == []  # a scene without an Encounter line has no foes
    assert plot.scene_foes(structure, 2, 1) == [] and plot.scene_foes({}, 1, 1) == []


def test_a_plot_structure_stored_before_scenes_kept_foes_has_none() -> None:
    structure = plot_structure(extract_structure(CAMPAIGN, "test-road.md"))
    for scene in structure["acts"][0]["scenes"]:
        scene.pop("foes")
    assert plot.scene_foes(structure, 1, 2) == []


def test_the_shipped_campaigns_open_with_a_fight() -> None:
    thornwall = plot_structure(load_campaign(PROJECT_ROOT / "corpus" / "campaigns" / "ashes-of-thornwall.md"))
    assert plot.scene_foes(thornwall, 1, 1) == [{"monster": "Goblin", "count": 4}, {"monster": "Wolf", "count": 1}]
    assert plot.scene_foes(thornwall, 1, 2) == []  # the council talks


def _offline_updates(scene_foes: list[dict]) -> list[dict]:
    context = {"player_messages": [{"author": "Ann", "player_id": 5, "text": "We cross the ford"}],
               "scene_foes": scene_foes}
    request = build_turn_request(context, "turn-1")
    answer = ModelOutput.model_validate_json(OfflineNarrator().narrate(request.request_id, request.context))
    return [update.model_dump(mode="json") for update in answer.updates]


def test_the_offline_narrator_proposes_the_scenes_foes_as_an_encounter() -> None:
    foes = [{"monster": "Goblin", "count": 3}, {"monster": "Bugbear", "count": 1}]
    assert _offline_updates(foes) == [{"type": "encounter", "creatures": foes}]
    assert _offline_updates([]) == []


def test_foes_the_schema_refuses_are_not_proposed_and_the_narration_still_comes() -> None:
    too_many = [{"monster": f"Beast {n}", "count": 1} for n in range(9)]
    assert _offline_updates(too_many) == []
    assert _offline_updates([{"monster": "Goblin", "count": 500}]) == []
    context = {"player_messages": [{"author": "Ann", "player_id": 5, "text": "hi"}], "scene_foes": too_many}
    assert json.loads(OfflineNarrator().narrate("t", context))["narration"]
