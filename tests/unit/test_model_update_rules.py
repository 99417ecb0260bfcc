"""What the model's proposed state updates may do, decided from the facts of their turn (pure)."""

from __future__ import annotations

import random
from typing import Any

from dnd.character import Character, derive
from workers.llm.schema import Update, validate_update
from workers.llm.update_rules import (
    MAX_PLOT_FLAGS,
    NARRATION_ONLY,
    CampaignFacts,
    CharacterChange,
    Dropped,
    NpcAttitudeChange,
    NpcFacts,
    PlotFlagChange,
    Question,
    SceneChange,
    TargetFacts,
    UpdateFacts,
    decide,
)

PLAYER = 42
STRUCTURE = {"acts": [{"number": 1, "title": "The Raid", "scenes": [{"number": 1, "title": "Granary"},
                                                                    {"number": 2, "title": "Woods"}]}]}


def aria(**fields: Any) -> Character:
    c = derive(Character(name="Aria", race="Human", class_levels={"Fighter": 3},
                         base_scores={"STR": 16, "DEX": 12, "CON": 14, "INT": 10, "WIS": 10, "CHA": 10}))
    return c.model_copy(update={"hp": c.max_hp, **fields})


def facts(**fields: Any) -> UpdateFacts:
    base: dict[str, Any] = {"narration_only": False, "players_in_turn": frozenset({PLAYER}), "campaign_id": 1}
    return UpdateFacts(**(base | fields))


def update(**raw: Any) -> Update:
    return validate_update(raw)


def on(character: Character, **fields: Any) -> UpdateFacts:
    return facts(target=TargetFacts(False, character), **fields)


def campaign(**fields: Any) -> CampaignFacts:
    return CampaignFacts(**({"name": "Ashes", "plot_flags": {}, "plot_structure": STRUCTURE, "act": 1,
                             "scene": 1} | fields))


def test_a_narration_of_results_already_applied_changes_nothing() -> None:
    hurt = update(type="hp_change", target_player_id=PLAYER, amount=-3)
    assert decide(hurt, on(aria(), narration_only=True), random.Random(1)) == Dropped(NARRATION_ONLY)


def test_hit_points_only_for_a_speaker_with_a_character_outside_a_fight() -> None:
    hurt = update(type="hp_change", target_player_id=PLAYER, amount=-3)
    rng = random.Random(1)
    assert decide(update(type="hp_change", target_player_id=7, amount=-3), on(aria()), rng) == Dropped(
        "the target is not a player in this turn")
    assert decide(hurt, facts(campaign_id=None), rng) == Dropped("no campaign is loaded")
    assert decide(hurt, facts(target=TargetFacts(True, None)), rng) == Dropped(
        "during a combat, hit points and conditions belong to the combat engine")
    assert decide(hurt, facts(target=TargetFacts(False, None)), rng) == Dropped(
        "that player has no character in this campaign")
    change = decide(hurt, on(aria()), rng)
    assert isinstance(change, CharacterChange) and change.player_id == PLAYER
    taken = -change.details["applied"]
    assert 1 <= taken <= 3 and change.character.hp == aria().hp - taken
    assert change.line.startswith(f"🩸 Aria takes {taken} damage")
    full = update(type="hp_change", target_player_id=PLAYER, amount=5)
    assert decide(full, on(aria()), rng) == Dropped(f"changes nothing: Aria is at {aria().hp}/{aria().max_hp} HP")


def test_conditions_follow_the_engine_and_unconscious_at_zero_hp_stays() -> None:
    down = aria(hp=0, conditions=["Unconscious"])
    wake = update(type="condition", target_player_id=PLAYER, condition="unconscious", action="remove")
    assert decide(wake, on(down), random.Random(1)) == Dropped("Aria is at 0 HP and stays unconscious until healed.")
    prone = update(type="condition", target_player_id=PLAYER, condition="prone", action="add")
    change = decide(prone, on(aria()), random.Random(1))
    assert isinstance(change, CharacterChange) and change.character.conditions == ["Prone"]
    assert change.line == "🩹 Aria is now prone."
    assert decide(prone, on(aria(conditions=["Prone"])), random.Random(1)) == Dropped(
        "changes nothing for Aria (prone)")


def test_plot_flags_are_bounded_and_must_change_something() -> None:
    flag = update(type="plot_flag", name="met_mayor", value=True)
    assert decide(flag, facts(), random.Random(1)) == Dropped("no campaign is loaded")
    assert decide(flag, facts(campaign=campaign()), random.Random(1)) == PlotFlagChange("met_mayor", True, None)
    assert decide(flag, facts(campaign=campaign(plot_flags={"met_mayor": True})), random.Random(1)) == Dropped(
        "changes nothing: `met_mayor` is already `True`")
    full = {f"flag{n}": 1 for n in range(MAX_PLOT_FLAGS)}
    assert decide(flag, facts(campaign=campaign(plot_flags=full)), random.Random(1)) == Dropped(
        f"the campaign already has {MAX_PLOT_FLAGS} plot flags")


def test_the_story_moves_one_scene_per_turn() -> None:
    advance = update(type="scene", advance=True)
    change = decide(advance, facts(campaign=campaign()), random.Random(1))
    assert isinstance(change, SceneChange) and (change.act, change.scene, change.before_scene) == (1, 2, 1)
    assert decide(advance, facts(campaign=campaign(), scene_moved=True), random.Random(1)) == Dropped(
        "the story moves on one scene per turn at most")
    assert decide(update(type="scene", advance=False), facts(campaign=campaign()), random.Random(1)) == Dropped(
        "changes nothing: the scene stays")
    assert decide(advance, facts(campaign=campaign(scene=2)), random.Random(1)) == Dropped(
        "Ashes has no next scene to advance to")


def test_npc_attitudes_and_one_question() -> None:
    friendly = update(type="npc_attitude", npc="Mayor Hollis", attitude="friendly")
    assert decide(friendly, facts(campaign=campaign()), random.Random(1)) == NpcAttitudeChange(
        "Mayor Hollis", "friendly", None)
    assert decide(friendly, facts(campaign=campaign(), npc=NpcFacts("Mayor Hollis", "friendly")),
                  random.Random(1)) == Dropped("changes nothing: Mayor Hollis is already friendly")
    ask = update(type="clarify", question="Which door?")
    assert decide(ask, facts(), random.Random(1)) == Question("Which door?")
    assert decide(ask, facts(question_asked=True), random.Random(1)) == Dropped(
        "one question per turn, and this turn's was already asked")
