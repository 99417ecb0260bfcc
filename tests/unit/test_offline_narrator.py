"""The offline narrator reads like a narrator: the campaign file's places and names, spelled as written; the
fight retold from its data; no Markdown; no sentence said twice within a few turns; one hook at a time."""

from __future__ import annotations

import json
import re
from typing import Any

from corpus import plot
from corpus.campaigns import read_structure
from corpus.structure import plot_structure
from dnd.render.facts import hp_band
from workers.llm.prompts import build_turn_request
from workers.llm.providers.offline import OfflineNarrator

CAMPAIGN = read_structure("the-sunken-lantern")
DOCKS = next(loc.description for loc in CAMPAIGN.locations if loc.name == "Brinehollow Docks")
SCENE = plot.scene_brief(plot_structure(CAMPAIGN), 1, 1, DOCKS)


def narrate(turn: str, history: list[str], **context: Any) -> str:
    base: dict[str, Any] = {"campaign": "The Sunken Lantern", "plot": {"current_act": 1, "current_scene": "1"},
                            "scene": SCENE, "history": history[-12:]}
    request = build_turn_request({**base, **context}, turn, max_model_len=16_000)
    return json.loads(OfflineNarrator().narrate(request.request_id, request.context))["narration"]


def sentences(text: str) -> list[str]:
    return [" ".join(re.sub(r"[^\w\s]", "", s.casefold()).split())
            for s in re.split(r"(?<=[.!?…”])\s+", text) if s.strip()]


def play(texts: list[str]) -> list[str]:
    history: list[str] = []
    told: list[str] = []
    for number, text in enumerate(texts):
        narration = narrate(f"turn-{number}", history,
                            player_messages=[{"author": "Aria", "player_id": 1, "text": text}])
        told.append(narration)
        history += [text, narration]
    return told


def test_the_scene_brief_comes_from_the_campaign_file() -> None:
    assert SCENE is not None
    assert SCENE["location"] == "Brinehollow Docks" and SCENE["npcs"] == ["Pell Quickwater", "Orrin Vask"]
    assert SCENE["description"].startswith("Wet stone quays") and SCENE["exits"] == ["The Harbour Office"]


def test_the_place_is_named_never_the_scene_number_and_the_scene_is_described() -> None:
    told = play(["I look around", "I wait by the water", "I listen"])
    for narration in told:
        assert "Brinehollow Docks" in narration, narration
        assert not re.search(r"\bthe \d+\b|\b(?:across|in|of) \d+\b", narration), narration
    described = " ".join(told)
    assert any(part in described for part in ("Wet stone quays", "At night the lamps", "The fog is thick"))
    assert "Pell Quickwater" in described or "Orrin Vask" in described


def test_names_are_capitalised_as_the_campaign_file_spells_them() -> None:
    narration = narrate("hook", [], plot_hook="pell quickwater turns up, soaked, asking for the party.",
                        player_messages=[{"author": "Aria", "player_id": 1, "text": "I wait"}])
    assert "Pell Quickwater" in narration and "pell" not in narration.replace("Pell", ""), narration
    lowered = narrate("hook-2", [], plot_hook="Pell Quickwater turns up, soaked.",
                      player_messages=[{"author": "Aria", "player_id": 1, "text": "I wait"}])
    assert "Pell Quickwater turns up" in lowered and ", pell" not in lowered, lowered


def test_no_sentence_is_repeated_within_a_few_turns() -> None:
    told = play(["I look around", "I look around", "I look around", "I look around", "I look around"])
    window = 3
    for number, narration in enumerate(told):
        earlier = {s for before in told[max(0, number - window):number] for s in sentences(before)
                   if "i look around" not in s}
        repeated = [s for s in sentences(narration) if s in earlier]
        assert not repeated, (number, repeated, told)


def test_markdown_replies_are_retold_without_markup_or_dice() -> None:
    pasted = "Aria (!attack goblin 2): In the fight, **Longsword attack on Goblin 2**: 1d20 (13) + 4 = `17`."
    narration = narrate("md", [], mechanical_results=[pasted], in_combat=True)
    assert not any(mark in narration for mark in ("**", "`", "1d20", "(!attack")), narration


def test_a_round_is_retold_from_its_events_in_order() -> None:
    events = [{"event": "attack", "actor": "Goblin 2", "target": "Bram", "result": "miss", "weapon": "Scimitar"},
              {"event": "attack", "actor": "Aria", "target": "Goblin 2", "result": "hit", "weapon": "Longsword"},
              {"event": "damage", "target": "Goblin 2", "amount": 5, "state": "bloodied"}]
    narration = narrate("fight", [], fight=events, in_combat=True,
                        mechanical_results=["In the fight, Aria attacks Goblin 2 (AC 15): a hit."])
    assert narration.index("Bram") < narration.index("Aria") < narration.rindex("Goblin 2"), narration
    assert "scimitar" in narration and "longsword" in narration and "AC 15" not in narration, narration
    assert not any(digit in narration.replace("Goblin 2", "") for digit in "0123456789"), narration


def test_a_hit_a_reaction_undid_is_retold_as_a_miss() -> None:
    events = [{"event": "hit_undone", "actor": "Ogre", "target": "Wyn", "result": "miss", "state": "unhurt"}]
    narration = narrate("shield", [], fight=events, in_combat=True)
    assert re.search(r"misses after all|glances off Wyn", narration), narration


def test_at_most_one_hook_and_never_the_same_hook_twice() -> None:
    hook = "A soaked survivor grabs a sleeve and whispers about the harbour office."
    first = narrate("h1", [], plot_hook=hook)
    second = narrate("h2", ["I wait", first], plot_hook=hook)
    assert "survivor grabs a sleeve" in first and "survivor grabs a sleeve" not in second


def test_hp_bands() -> None:
    assert [hp_band(hp, 20) for hp in (20, 15, 10, 1, 0)] == ["unhurt", "wounded", "bloodied", "bloodied", "down"]
