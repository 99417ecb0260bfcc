"""One reading of how players write quantities, plurals and advantage: "Torch 3" is three torches in a command
and in plain words alike."""

from __future__ import annotations

import pytest

from dnd.data.equipment import find_item
from dnd.phrases import advantage_word, counted_name, parse_quantity, singular_word
from dnd.stated_actions import Clarification, StatedAction, parse_actions
from tasks.handlers.economy import parse_quantity as command_quantity

THREE_TORCHES = ["Torch 3", "3 Torch", "3x Torch", "3 x Torch", "Torch x3", "Torch ×3", "Torch x 3", "three Torch"]


@pytest.mark.parametrize("text", THREE_TORCHES)
def test_every_way_of_writing_three_torches_reads_the_same(text: str) -> None:
    assert parse_quantity(text) == (3, "Torch")
    assert command_quantity(text, "usage") == ("Torch", 3)


@pytest.mark.parametrize("text", ["torch 3", "torch x3", "3 torches", "three torches"])
def test_torch_3_in_plain_words_is_three_torches_too(text: str) -> None:
    assert parse_actions(f"I pick up {text}", 1) == [StatedAction(kind="pick_up", actor_player_id=1, item="Torch",
                                                                  quantity=3)]


def test_no_count_is_none_or_one() -> None:
    assert parse_quantity("Rope, hempen (50 feet)") == (None, "Rope, hempen (50 feet)")
    assert counted_name("Potion of Healing") == (1, "Potion of Healing")
    assert parse_quantity("-2 Torch") == (-2, "Torch")  # each caller bounds the count


@pytest.mark.parametrize("text", ["I buy 100 arrows", "I drop 0 torches"])
def test_a_stated_count_out_of_bounds_is_a_question(text: str) -> None:
    [asked] = parse_actions(text, 1)
    assert isinstance(asked, Clarification) and "How many" in asked.question


@pytest.mark.parametrize(("word", "mode"), [("adv", "advantage"), ("Advantage", "advantage"), ("DIS", "disadvantage"),
                                            ("disadvantage", "disadvantage"), ("advantageous", None), ("", None)])
def test_advantage_words(word: str, mode: str | None) -> None:
    assert advantage_word(word) == mode


@pytest.mark.parametrize(("plural", "singular"), [
    ("torches", "torch"), ("Potions", "Potion"), ("knives", "knife"), ("rubies", "ruby"), ("boxes", "box"),
    ("goblins", "goblin"), ("glass", "glass"), ("bonus", "bonus"), ("axis", "axis"), ("ties", "tie"),
])
def test_one_singular_for_every_word(plural: str, singular: str) -> None:
    assert singular_word(plural) == singular


@pytest.mark.parametrize(("typed", "name"), [("torches", "Torch"), ("Daggers", "Dagger"),
                                             ("potions of healing", "Potion of Healing"),
                                             ("healing potions", "Potion of Healing")])
def test_the_catalogue_reads_plurals_with_the_same_singular(typed: str, name: str) -> None:
    found = find_item(typed)
    assert found is not None and found.name == name
