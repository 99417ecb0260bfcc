"""Wearing armor and taking up weapons (dnd.inventory.equip/unequip): what is worn is what the AC counts."""

from __future__ import annotations

import pytest

from dnd.character import ability_modifier, armor_class
from dnd.errors import RulesError
from dnd.inventory import add_items, armor_proficient, equip, make_item, unequip
from tests.integration.test_characters import fighter


def test_bought_armor_counts_once_worn_and_one_body_armor_at_a_time() -> None:
    bork = fighter("Bork")
    bare = bork.model_copy(update={"inventory": [i.model_copy(update={"equipped": False}) for i in bork.inventory]})
    bare = add_items(bare, [make_item("Leather Armor"), make_item("Shield")])
    unarmored = armor_class(bare)
    worn, off = equip(bare, "Chain Mail")
    assert off == [] and armor_class(worn) == 16
    shielded, _ = equip(worn, "Shield")
    assert armor_class(shielded) == 18
    swapped, off = equip(shielded, "Leather Armor")
    assert off == ["Chain Mail"] and armor_class(swapped) == 11 + ability_modifier(bork, "DEX") + 2
    assert [i.name for i in swapped.inventory if i.equipped].count("Chain Mail") == 0
    assert armor_class(unequip(shielded, "Shield")) == 16
    assert armor_class(unequip(unequip(shielded, "Shield"), "Chain Mail")) == unarmored


def test_equipping_what_isnt_carried_or_taking_off_what_isnt_worn_is_refused() -> None:
    bork = fighter("Bork")
    with pytest.raises(RulesError, match="doesn't carry"):
        equip(bork, "Plate")
    with pytest.raises(RulesError, match="isn't wearing"):
        unequip(bork.model_copy(update={"inventory": []}), "Shield")


def test_armor_proficiency_follows_the_class() -> None:
    bork = fighter("Bork")
    assert armor_proficient(bork, "Plate") and armor_proficient(bork, "Shield") and armor_proficient(bork, "Rope")
    wizardly = bork.model_copy(update={"proficiencies": ["Daggers"]})
    assert not armor_proficient(wizardly, "Chain Mail")
