"""A Foundry VTT dnd5e character export mapped onto our character (dnd.sheet_import), with the example files
in tests/data/foundry/ (written for these tests in Foundry's published actor format)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dnd.character import armor_class, recompute
from dnd.data.spells import find_spell
from dnd.errors import RulesError
from dnd.sheet_import import from_foundry

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "foundry"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def test_a_fighter_comes_over_with_every_field_the_engine_uses() -> None:
    result = from_foundry(example("brenna_fighter"), find_spell)
    brenna = result.character
    assert (brenna.name, brenna.race, brenna.subrace) == ("Brenna Stonehelm", "Dwarf", "Hill Dwarf")
    assert brenna.class_levels == {"Fighter": 3} and brenna.subclasses == {"Fighter": "Champion"}
    # The file keeps final scores; they survive as final scores (base + the Hill Dwarf's CON +2, WIS +1).
    assert brenna.ability_scores == {"STR": 16, "DEX": 12, "CON": 16, "INT": 10, "WIS": 13, "CHA": 8}
    assert brenna.base_scores["CON"] == 14 and brenna.base_scores["WIS"] == 12
    assert set(brenna.skills) >= {"Athletics", "Perception", "Insight", "Religion"} and not brenna.expertise
    assert (brenna.wealth.gp, brenna.wealth.sp, brenna.wealth.cp) == (37, 5, 12) and brenna.xp == 1250
    carried = {item.name: (item.qty, item.equipped) for item in brenna.inventory}
    assert carried["Longsword"] == (1, True) and carried["Handaxe"] == (2, False)
    assert carried["Potion of Healing"] == (2, False) and carried["Grandfather's Lucky Rivet"] == (1, False)
    assert armor_class(brenna) == 18  # chain mail 16 + shield, both equipped in the file
    # Derived by the engine, not read from the file: 10 + 2×6 + CON 3×3 + Dwarven Toughness 3 = 34.
    assert brenna.max_hp == 34 and brenna.hp == 27 and brenna.temp_hp == 2
    assert "Improved Critical" in brenna.features and "Second Wind" in brenna.features
    assert result.differences == ["max HP 31 in the file, 34 by the engine (average hit points a level)"]
    assert result.unmapped == ["kept as plain items without rules: Grandfather's Lucky Rivet"]
    assert recompute(brenna)[1] == []  # the saved sheet is what !resync_character would make it


def test_a_wizard_brings_only_the_spells_the_engine_allows_and_says_which_it_left() -> None:
    data = example("ilyra_wizard")
    data["items"] += [{"name": "Cure Wounds", "type": "spell", "system": {"level": 1}},
                      {"name": "Lightning Bolt", "type": "spell", "system": {"level": 3}}]
    fireball_only = {"Fireball"}
    ilyra = from_foundry(data, find_spell)
    wizard = ilyra.character
    assert wizard.class_levels == {"Wizard": 5} and wizard.subclasses == {"Wizard": "Evocation"}
    assert wizard.cantrips == ["Fire Bolt", "Mage Hand", "Light"]
    assert {"Magic Missile", "Shield", "Sleep"} | fireball_only <= set(wizard.spells_known)
    assert set(wizard.spells_prepared) == {"Magic Missile", "Shield", "Fireball"}  # Sleep is in the book only
    assert wizard.spell_slots_max == {1: 4, 2: 3, 3: 2}
    assert wizard.expertise == ["Investigation"] and "Perception" in wizard.skills  # Keen Senses, not the 0.5
    [spells_left] = [entry for entry in ilyra.unmapped if entry.startswith("spells not taken")]
    assert "Silvery Barbs (not in the compendium)" in spells_left
    assert "Cure Wounds (not on your class's spell list)" in spells_left
    assert "background “Sage” (not one the engine knows)" in ilyra.unmapped
    assert any("Mage Armor" in entry for entry in ilyra.unmapped)
    assert [feat.name for feat in wizard.feats] == ["Alert"]  # placed at the 4th-level ASI
    assert wizard.hp == 22 and wizard.max_hp == 32


def test_a_spell_above_the_characters_reach_is_refused() -> None:
    data = example("ilyra_wizard")
    for item in data["items"]:
        if item["type"] == "class":
            item["system"]["levels"] = 1
    data["items"] = [i for i in data["items"] if i["type"] != "subclass"]
    result = from_foundry(data, find_spell)
    assert "Fireball" not in result.character.spells_known
    assert any("Fireball (level 3: above what you can cast)" in entry for entry in result.unmapped)


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(example("brenna_fighter"))
    change(data)
    return data


@pytest.mark.parametrize("data,message", [
    ([1, 2, 3], "isn't a Foundry VTT character export"),
    ({"name": "X", "type": "character"}, "isn't a Foundry VTT character export"),
    (_broken(lambda d: d.update(type="npc")), "“npc” actor, not a character"),
    (_broken(lambda d: d.update(name="  ")), "has no name"),
    (_broken(lambda d: d.update(items=[i for i in d["items"] if i["type"] != "class"])), "no class the engine knows"),
    (_broken(lambda d: d["items"][0]["system"].update(levels=25)), "class levels"),
    (_broken(lambda d: d["items"].append({"name": "Wizard", "type": "class", "system": {"levels": 19}})),
     "add up to level 22"),
    (_broken(lambda d: [i.update(name="Tabaxi") for i in d["items"] if i["type"] == "race"]), "race isn't one"),
    (_broken(lambda d: d["system"]["abilities"]["str"].update(value=45)), "STR 45"),
    (_broken(lambda d: d["items"].extend({"name": "Torch", "type": "loot", "system": {}} for _ in range(401))),
     "at most 400"),
])
def test_a_file_that_cannot_make_a_character_is_refused_with_the_reason(data: Any, message: str) -> None:
    with pytest.raises(RulesError) as refused:
        from_foundry(data, find_spell)
    assert message in str(refused.value)


def test_odd_values_are_clamped_not_trusted() -> None:
    data = _broken(lambda d: (d["system"]["currency"].update(gp=-50, pp="lots"),
                              d["system"]["attributes"]["hp"].update(value=999),
                              d["items"][4]["system"].update(quantity=10**9)))
    brenna = from_foundry(data, find_spell).character
    assert brenna.wealth.gp == 0 and brenna.wealth.pp == 0
    assert brenna.hp == brenna.max_hp == 34
    assert next(i for i in brenna.inventory if i.name == "Longsword").qty == 9999
