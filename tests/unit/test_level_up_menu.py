"""The level-up questions with a short list of answers offer them as a menu, and every entry is an answer the
step takes (as the character creation's menus)."""

from __future__ import annotations

import random
from typing import Any

from dnd.character import Character
from dnd.creation import CreationChoices, create_character
from dnd.creation_flow import MAX_MENU_CHOICES
from dnd.level_up_flow import LevelUpState, answer, menu, menu_count, start

SCORES = {"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}


def character(class_name: str, xp: int, **overrides: Any) -> Character:
    data: dict[str, Any] = {
        "name": "Eldrin", "race": "Half-Orc", "class_name": class_name, "ability_method": "standard_array",
        "base_scores": SCORES, "background": "Acolyte", "languages": ["Giant", "Dwarvish"],
    }
    data.update(overrides)
    return create_character(CreationChoices(**data)).model_copy(update={"xp": xp})


def walk(hero: Character, picks: dict[str, str] | None = None) -> list[tuple[str, list[str]]]:
    """Through the level-up, answering each question with its menu's first entry (or `picks[step]`): the
    (step, menu) of every question up to the confirmation. Every entry of every menu must be taken."""
    state, _ = start(hero)
    seen: list[tuple[str, list[str]]] = []
    while state.step != "confirm":
        options, count = menu(state, hero), menu_count(state, hero)
        assert len(options) <= MAX_MENU_CHOICES
        for option in options:  # with the first others where the answer names several
            whole = ", ".join([option, *[o for o in options if o != option][:count - 1]])
            after, reply = answer(state, hero, whole, random.Random(1))
            assert after.step != state.step or after.status != "active", (state.step, whole, reply)
        seen.append((state.step, options))
        state, reply = answer(state, hero, (picks or {}).get(state.step) or ", ".join(options[:count]),
                              random.Random(1))
    assert menu(state, hero) == []  # the confirmation is answered with ✅/❌ instead
    return seen


def test_a_fighter_picks_class_hit_points_and_asi_or_feat_from_menus() -> None:
    steps = dict(walk(character("Fighter", 2700, skills=["Athletics", "Perception"]).model_copy(
        update={"class_levels": {"Fighter": 3}})))
    assert steps["class"][0] == "Fighter" and "Wizard" not in steps["class"]  # INT 12: no Wizard multiclass
    assert steps["hp"] == ["roll", "average"]
    assert "+2 STR" in steps["asi"] and "feat Lucky" in steps["asi"]


def test_a_ranger_picks_each_class_choice_from_the_class_choice_definitions() -> None:
    ranger = character("Ranger", 14_000, skills=["Survival", "Nature", "Perception"])
    ranger = ranger.model_copy(update={"class_levels": {"Ranger": 5}})
    steps = walk(ranger)
    choices = [options for step, options in steps if step.startswith("class_choice")]
    assert "Undead" in choices[0] and "Elvish" in choices[1] and "Forest" in choices[2], steps


def test_a_step_that_names_several_offers_a_menu_of_that_many_and_a_long_list_offers_none() -> None:
    rogue = character("Rogue", 14_000, skills=["Stealth", "Acrobatics", "Perception", "Deception"],
                      expertise=["Stealth", "Perception"]).model_copy(update={"class_levels": {"Rogue": 5}})
    state = LevelUpState(step="expertise", class_name="Rogue")  # Rogue 6: two more skills for Expertise
    options = menu(state, rogue)
    assert menu_count(state, rogue) == 2 and "Acrobatics" in options and "Thieves' Tools" in options
    assert "Stealth" not in options  # already an expert
    after, reply = answer(state, rogue, "Acrobatics, Thieves' Tools", random.Random(1))
    assert after.step != "expertise", reply
    wizard = character("Wizard", 300, skills=["Arcana", "History"])
    spells = LevelUpState(step="spells", class_name="Wizard", subclass="Evocation")
    assert menu_count(spells, wizard) == 2 and menu(spells, wizard) == []  # more 1st-level spells than a menu holds
    assert menu(LevelUpState(step="class", status="done"), rogue) == []
