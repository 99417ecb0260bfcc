"""Unit tests for dnd.progression: single-class rows, errors, multiclass slots and prerequisites."""

from __future__ import annotations

import pytest

from dnd.errors import RulesError
from dnd.progression import (
    at_level,
    caster_level,
    character_features,
    check_multiclass,
    features_through,
    meets_multiclass_prerequisites,
    multiclass_pact_slots,
    multiclass_prerequisite_failures,
    multiclass_spell_slots,
    slots_for,
)


def test_rules_error_is_a_value_error() -> None:
    assert issubclass(RulesError, ValueError)


@pytest.mark.parametrize("name", ["wizard", "WIZARD", " Wizard "])
def test_class_names_are_case_insensitive(name: str) -> None:
    row = at_level(name, 5)
    assert row.class_name == "Wizard"
    assert row.spell_slots == {1: 4, 2: 3, 3: 2}
    assert row.proficiency_bonus == 3
    assert row.hit_die == 6


@pytest.mark.parametrize("level", [0, 21, -1])
def test_level_out_of_range(level: int) -> None:
    with pytest.raises(ValueError, match="1 to 20"):
        at_level("Fighter", level)


def test_unknown_class() -> None:
    with pytest.raises(RulesError, match="Unknown class 'Artificer'"):
        at_level("Artificer", 1)


def test_warlock_pact_slots_at_pact_level() -> None:
    assert at_level("warlock", 1).spell_slots == {1: 1}
    assert at_level("warlock", 5).spell_slots == {3: 2}
    assert at_level("warlock", 11).spell_slots == {5: 3}
    assert at_level("warlock", 20).spell_slots == {5: 4}
    assert at_level("warlock", 5).pact_slot_level == 3


def test_asi_levels() -> None:
    assert [lvl for lvl in range(1, 21) if at_level("Fighter", lvl).asi] == [4, 6, 8, 12, 14, 16, 19]
    assert [lvl for lvl in range(1, 21) if at_level("Rogue", lvl).asi] == [4, 8, 10, 12, 16, 19]
    assert [lvl for lvl in range(1, 21) if at_level("Cleric", lvl).asi] == [4, 8, 12, 16, 19]


def test_features_and_resources() -> None:
    rogue2 = at_level("Rogue", 2)
    assert rogue2.features == ["Cunning Action"]
    assert at_level("Barbarian", 1).resources == {"Rage": 2}
    assert at_level("Barbarian", 20).resources == {"Rage": None}  # unlimited
    assert at_level("Monk", 7).resources == {"Ki": 7}
    assert at_level("Fighter", 17).resources == {"Second Wind": 1, "Action Surge": 2, "Indomitable": 3}
    assert at_level("Rogue", 5).extras["sneak_attack_dice"] == 3
    assert at_level("Cleric", 1).subclass_choice and not at_level("Cleric", 2).subclass_choice


def test_character_features_replace_placeholder() -> None:
    assert character_features("Barbarian", 6) == ["Path feature"]
    assert character_features("Barbarian", 6, "Berserker") == ["Mindless Rage"]
    assert character_features("Barbarian", 3, "Path of the Berserker") == ["Primal Path", "Frenzy"]
    through = features_through("Rogue", 6, "Thief")
    assert through.count("Expertise") == 1
    assert "Fast Hands" in through


def test_unknown_subclass() -> None:
    with pytest.raises(RulesError, match="Unknown Roguish Archetype 'Arcane Trickster'"):
        character_features("Rogue", 3, "Arcane Trickster")


def test_third_and_half_tables() -> None:
    assert slots_for("half", 1) == {}
    assert slots_for("half", 2) == {1: 2}
    assert slots_for("third", 3) == {1: 2}
    assert slots_for("third", 7) == {1: 4, 2: 2}
    assert slots_for("third", 19) == {1: 4, 2: 3, 3: 3, 4: 1}
    assert slots_for("none", 5) == {}


def test_multiclass_slots_combine_casters() -> None:
    # Wizard 3 + Cleric 2 = caster level 5.
    assert multiclass_spell_slots({"Wizard": 3, "Cleric": 2}) == {1: 4, 2: 3, 3: 2}
    # Paladin 4 (half -> 2) + Sorcerer 3 = 5.
    assert caster_level({"Paladin": 4, "Sorcerer": 3}) == 5
    assert multiclass_spell_slots({"Paladin": 4, "Sorcerer": 3}) == {1: 4, 2: 3, 3: 2}
    # Ranger 5 (2) + Paladin 5 (2) = 4; each rounded down separately.
    assert multiclass_spell_slots({"Ranger": 5, "Paladin": 5}) == {1: 4, 2: 3}


def test_single_caster_uses_own_table() -> None:
    # A paladin 3 / fighter 2 is not a multiclass caster: paladin table at 3rd level.
    assert multiclass_spell_slots({"Paladin": 3, "Fighter": 2}) == {1: 3}
    # A paladin 1 has no Spellcasting yet: only the wizard counts.
    assert multiclass_spell_slots({"Wizard": 3, "Paladin": 1}) == {1: 4, 2: 2}
    assert multiclass_spell_slots({"Fighter": 5}) == {}


def test_third_caster_multiclass() -> None:
    # Fighter 7 with an Eldritch-Knight-style subclass (third: 2) + Wizard 1 = 3.
    assert multiclass_spell_slots({"Fighter": 7, "Wizard": 1}, third_casters=["fighter"]) == {1: 4, 2: 2}
    # Alone, such a fighter uses the third-caster table.
    assert multiclass_spell_slots({"Fighter": 7}, third_casters=["Fighter"]) == {1: 4, 2: 2}


def test_warlock_slots_stay_separate() -> None:
    assert multiclass_spell_slots({"Warlock": 5, "Sorcerer": 2}) == {1: 3}
    assert multiclass_pact_slots({"Warlock": 5, "Sorcerer": 2}) == (2, 3)
    assert multiclass_pact_slots({"Sorcerer": 2}) == (0, 0)


def test_multiclass_total_level_cap() -> None:
    with pytest.raises(RulesError, match="can't exceed 20"):
        multiclass_spell_slots({"Wizard": 15, "Cleric": 6})


def test_multiclass_prerequisites() -> None:
    scores = {"STR": 13, "DEX": 10, "CON": 14, "INT": 8, "WIS": 12, "CHA": 13}
    assert meets_multiclass_prerequisites("Paladin", scores)
    assert meets_multiclass_prerequisites("Fighter", scores)  # STR 13 or DEX 13
    assert not meets_multiclass_prerequisites("Monk", scores)  # DEX 13 and WIS 13
    assert multiclass_prerequisite_failures("Wizard", scores) == [
        "The Wizard needs Intelligence 13 (you have Intelligence 8)."
    ]
    check_multiclass({"Fighter": 3}, "Paladin", scores)
    check_multiclass({"Wizard": 3}, "Wizard", {"INT": 3})  # not multiclassing: no check
    with pytest.raises(RulesError, match="The Monk needs Dexterity 13 and Wisdom 13"):
        check_multiclass({"Fighter": 3}, "Monk", scores)
    # Both the current and the new class must be satisfied.
    with pytest.raises(RulesError, match="The Wizard needs Intelligence 13"):
        check_multiclass({"Wizard": 3}, "Fighter", scores)
