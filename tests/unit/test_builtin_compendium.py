"""The built-in compendium's other parts: the rule notes `!rule` answers from without a rulebook, the entries
`!spell`, `!monster` and `!condition` show, and shops stocked from the built-in equipment and magic items."""

from __future__ import annotations

import random

import pytest

from corpus.lookup import built_in_entry, built_in_names
from dnd.data.rule_notes import RULE_NOTES, find_notes
from dnd.generators import generate_loot
from dnd.shops import built_in_magic_items, catalogue_items, generate_stock, shops_here


@pytest.mark.parametrize(("question", "topic"), [
    ("How do death saving throws work?", "Death saving throws"),
    ("what does half cover give me", "Cover"),
    ("How does grappling work?", "Grappling and shoving"),
    ("how much can I carry", "Carrying capacity"),
    ("how fast do we travel at a fast pace", "Travel pace"),
    ("what happens on a short rest", "Resting"),
    ("what is the prone condition", "Conditions"),
    ("can I take a bonus action and a reaction", "Actions in combat"),
    ("concentration on a spell", "Spellcasting"),
])
def test_the_rule_notes_answer_common_questions(question: str, topic: str) -> None:
    assert topic in [note.topic for note in find_notes(question)]


def test_the_rule_notes_are_short_and_an_unrelated_question_finds_none() -> None:
    assert all(len(note.text) <= 1024 or note.topic == "Conditions" for note in RULE_NOTES)  # one embed field
    assert find_notes("what is the capital of France") == []
    assert find_notes("") == []


def test_built_in_entries_for_the_look_up_commands() -> None:
    name, text = built_in_entry("spell", "  fire   BOLT ")
    assert name == "Fire Bolt" and "Cantrip Evocation" in text and "1d10 fire" in text and "Wizard" in text
    name, text = built_in_entry("spell", "Cure Wounds")
    assert "**Healing:** 1d8 + your spellcasting modifier" in text and "+1d8 per slot level above" in text
    name, text = built_in_entry("monster", "giant rat")
    assert name == "Giant Rat" and "**AC** 12" in text and "**HP** 7" in text and "Bite." in text
    assert built_in_entry("condition", "grappled")[0] == "Grappled"
    assert built_in_entry("monster", "tarrasque") is None and built_in_entry("item", "rope") is None
    assert "Goblin" in built_in_names("monster") and "Fireball" in built_in_names("spell")


def test_a_shop_stocked_from_the_built_in_catalogue_fits_its_tier() -> None:
    low = generate_stock("town", 1, catalogue_items(), built_in_magic_items(), random.Random(3))
    high = generate_stock("town", 3, catalogue_items(), built_in_magic_items(), random.Random(3))
    assert {"general store", "smith", "alchemist"} <= {shop for shop, _ in shops_here(low)}
    assert any(e.name == "Potion of Healing" for e in low.entries)
    assert all((e.rarity or "Common").casefold() in ("common", "uncommon") for e in low.entries)
    assert any((e.rarity or "").casefold() in ("uncommon", "rare") for e in high.entries if e.group == "magic")
    assert all(e.price > 0 for e in low.entries + high.entries)


def test_loot_draws_on_the_built_in_magic_items() -> None:
    names = {m["name"] for m in built_in_magic_items()}
    found = set()
    for seed in range(200):
        found |= {line for line in generate_loot(4, random.Random(seed), built_in_magic_items()).lines
                  if any(name in line for name in names)}
    assert found
