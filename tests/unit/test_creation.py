"""Character creation: every refusal, the three ability-score methods, and the built character."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dnd.character import armor_class, recompute
from dnd.creation import (
    CreationChoices,
    create_character,
    point_buy_cost,
    roll_4d6_drop_lowest,
    roll_ability_scores,
    roll_starting_gold,
    validate_point_buy,
    validate_rolled,
    validate_standard_array,
)
from dnd.errors import RulesError
from dnd.wealth import total_cp

ARRAY = {"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}


def fighter(**overrides: Any) -> CreationChoices:
    data: dict[str, Any] = {
        "name": "Brakka",
        "race": "Half-Orc",
        "class_name": "Fighter",
        "ability_method": "standard_array",
        "base_scores": ARRAY,
        "background": "Acolyte",
        "skills": ["Athletics", "Perception"],
        "languages": ["Giant", "Dwarvish"],
    }
    data.update(overrides)
    return CreationChoices(**data)


def refused(choices: CreationChoices, match: str) -> None:
    with pytest.raises(RulesError, match=match):
        create_character(choices, random.Random(1))


# ----------------------------------------------------------------------------- ability scores


def test_point_buy_costs() -> None:
    assert point_buy_cost({"STR": 15, "DEX": 15, "CON": 15, "INT": 8, "WIS": 8, "CHA": 8}) == 27
    assert point_buy_cost({a: 8 for a in ARRAY}) == 0
    mixed = {"STR": 14, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 10}
    assert point_buy_cost(mixed) == 7 + 7 + 5 + 4 + 2 + 2
    assert validate_point_buy({"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}) == 27


def test_point_buy_over_budget() -> None:
    with pytest.raises(RulesError) as err:
        validate_point_buy({"STR": 15, "DEX": 15, "CON": 15, "INT": 9, "WIS": 8, "CHA": 9})
    assert str(err.value) == "Point buy exceeds 27 points (spent 29)"


@pytest.mark.parametrize("bad", [16, 7])
def test_point_buy_range(bad: int) -> None:
    with pytest.raises(RulesError, match="run from 8 to 15"):
        point_buy_cost({"STR": bad, "DEX": 8, "CON": 8, "INT": 8, "WIS": 8, "CHA": 8})


def test_point_buy_refused_in_creation() -> None:
    scores = {"STR": 15, "DEX": 15, "CON": 15, "INT": 9, "WIS": 8, "CHA": 9}
    refused(fighter(ability_method="point_buy", base_scores=scores), r"exceeds 27 points \(spent 29\)")


def test_missing_ability() -> None:
    with pytest.raises(RulesError, match="missing CHA"):
        validate_standard_array({"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10})


def test_standard_array_exactly_once() -> None:
    validate_standard_array({"strength": 8, "dex": 15, "CON": 14, "INT": 13, "WIS": 12, "CHA": 10})
    with pytest.raises(RulesError, match="standard array 15, 14, 13, 12, 10, 8 exactly once"):
        validate_standard_array({"STR": 15, "DEX": 15, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8})


def test_4d6_drop_lowest_shows_dice() -> None:
    rng = random.Random(7)
    rolls = roll_ability_scores(rng)
    assert len(rolls) == 6
    for r in rolls:
        assert len(r.dice) == 4 and all(1 <= d <= 6 for d in r.dice)
        assert sorted(r.kept) == sorted(r.dice)[1:]
        assert r.total == sum(sorted(r.dice)[1:])
        assert 3 <= r.total <= 18
    # Deterministic for a given seed.
    assert [r.dice for r in roll_ability_scores(random.Random(7))] == [r.dice for r in rolls]
    one = roll_4d6_drop_lowest(random.Random(3))
    assert "drop" in str(one)


def test_rolled_scores_must_be_assigned_exactly() -> None:
    rolled = [16, 14, 12, 11, 9, 7]
    validate_rolled({"STR": 16, "DEX": 14, "CON": 12, "INT": 11, "WIS": 9, "CHA": 7}, rolled)
    with pytest.raises(RulesError, match="Assign exactly the scores you rolled"):
        validate_rolled({"STR": 17, "DEX": 14, "CON": 12, "INT": 11, "WIS": 9, "CHA": 7}, rolled)
    with pytest.raises(RulesError, match="Roll six scores"):
        validate_rolled(ARRAY, [15, 14])
    assigned = {"STR": 16, "DEX": 14, "CON": 12, "INT": 11, "WIS": 9, "CHA": 7}
    c = create_character(fighter(ability_method="rolled", rolled_scores=rolled, base_scores=assigned))
    assert c.ability_scores["STR"] == 18  # +2 half-orc


# ----------------------------------------------------------------------------- race / class / background


def test_unknown_race_and_subrace() -> None:
    refused(fighter(race="Kobold"), "Unknown race 'Kobold'")
    refused(fighter(race="Dwarf", race_tool="Smith's Tools"), "Choose a subrace for the Dwarf: Hill Dwarf")
    refused(fighter(race="Elf", subrace="Hill Dwarf"), "'Hill Dwarf' is not a subrace of the Elf")


def test_unknown_class_and_subclass_timing() -> None:
    refused(fighter(class_name="Artificer"), "Unknown class 'Artificer'")
    refused(fighter(subclass="Champion"), "chooses a Martial Archetype at level 3, not at 1st level")
    refused(fighter(class_name="Cleric", skills=["History", "Medicine"]),
            "A Cleric chooses a Divine Domain at 1st level")
    refused(fighter(class_name="Cleric", subclass="Tempest", skills=["History", "Medicine"]),
            "Unknown Divine Domain 'Tempest'")


def test_unknown_background() -> None:
    refused(fighter(background="Pirate"), "Unknown background 'Pirate'")


def test_skill_refusals() -> None:
    refused(fighter(skills=["Athletics"]), "A Fighter chooses 2 skills")
    refused(fighter(skills=["Athletics", "Arcana"]), "Arcana is not a Fighter skill")
    refused(fighter(skills=["Athletics", "Athletics"]), "same skill twice")
    # Insight comes from the Acolyte background, Intimidation from the Half-Orc.
    refused(fighter(skills=["Athletics", "Insight"]), "You already have Insight")
    refused(fighter(skills=["Athletics", "Intimidation"]), "You already have Intimidation")
    refused(fighter(skills=["Athletics", "Dancing"]), "'Dancing' is not a skill")


def test_half_elf_choices() -> None:
    base = {"race": "Half-Elf", "languages": ["Giant", "Dwarvish", "Orc"]}
    refused(fighter(**base, ability_choices=["STR", "CON"]), "chooses 2 extra skill")
    refused(fighter(**base, race_skills=["Stealth", "Arcana"]),
            r"\+1 to 2 different abilities \(you chose 0\)")
    refused(fighter(**base, race_skills=["Stealth", "Arcana"], ability_choices=["CHA", "STR"]),
            "other than CHA")
    refused(fighter(**base, race_skills=["Stealth", "Arcana"], ability_choices=["STR", "STR"]),
            "different abilities")
    c = create_character(fighter(**base, race_skills=["Stealth", "Arcana"], ability_choices=["STR", "CON"]))
    assert c.ability_scores == {"STR": 16, "DEX": 14, "CON": 14, "INT": 12, "WIS": 10, "CHA": 10}
    assert {"Stealth", "Arcana", "Insight", "Religion", "Athletics", "Perception"} == set(c.skills)


def test_ability_choices_refused_for_fixed_races() -> None:
    refused(fighter(ability_choices=["STR"]), "has no ability increases to choose")


def test_language_refusals() -> None:
    refused(fighter(languages=["Giant"]), r"Choose 2 extra language\(s\) \(you chose 1\)")
    refused(fighter(languages=["Giant", "Orc"]), "You already speak Orc")
    refused(fighter(languages=["Giant", "Klingon"]), "'Klingon' is not a language")
    refused(fighter(languages=["Giant", "giant"]), "You already speak Giant")


def test_tool_refusals() -> None:
    dwarf = {"race": "Dwarf", "subrace": "Hill Dwarf", "languages": ["Giant", "Elvish"]}
    refused(fighter(**dwarf), "The Dwarf chooses one tool")
    c = create_character(fighter(**dwarf, race_tool="mason's tools"))
    assert "Mason's Tools" in c.proficiencies and "Battleaxes" in c.proficiencies
    bard = {"class_name": "Bard", "skills": ["Stealth", "Arcana", "Persuasion"]}
    refused(fighter(**bard), r"A Bard chooses 3 musical instruments \(you chose 0\)")
    refused(fighter(**bard, tools=["Lute", "Drum", "Smith's Tools"]), "Smith's Tools is not one of")
    refused(fighter(tools=["Lute"]), "A Fighter doesn't choose tool proficiencies")


def test_feat_refusals() -> None:
    refused(fighter(feat="Alert"), "Only a Variant Human chooses a feat")
    vh = {"race": "Human", "subrace": "Variant Human", "ability_choices": ["STR", "CON"],
          "race_skills": ["Survival"], "languages": ["Giant", "Dwarvish", "Elvish"]}
    refused(fighter(**vh), "A Variant Human chooses one feat")
    refused(fighter(**vh, feat="Telekinetic"), "Unknown feat 'Telekinetic'")
    refused(fighter(**vh, feat="War Caster"), "requires the ability to cast")
    weak = {"STR": 8, "DEX": 15, "CON": 14, "INT": 13, "WIS": 12, "CHA": 10}
    refused(fighter(**{**vh, "ability_choices": ["DEX", "CON"]}, base_scores=weak, feat="Grappler"),
            r"Grappler requires STR 13 \(you have 8\)")
    refused(fighter(**vh, feat="Observant"), "increases one of INT, WIS by 1: choose one")
    c = create_character(fighter(**vh, feat="Lucky"))
    assert c.ability_scores["STR"] == 16 and c.ability_scores["DEX"] == 14
    assert [(f.name, f.uses, f.max_uses) for f in c.feats] == [("Lucky", 3, 3)]
    tough = create_character(fighter(**vh, feat="tough"))
    assert tough.max_hp == 10 + 2 + 2  # d10 max + CON +2 (13 + 1) + Tough 2


def test_expertise_refusals() -> None:
    rogue = {"class_name": "Rogue", "skills": ["Stealth", "Acrobatics", "Deception", "Sleight of Hand"]}
    refused(fighter(**rogue), r"Choose 2 proficient skills for Expertise \(you chose 0\)")
    refused(fighter(**rogue, expertise=["Stealth", "Arcana"]), "aren't proficient in Arcana")
    refused(fighter(**rogue, expertise=["Stealth", "stealth"]), "already have Expertise in Stealth")
    refused(fighter(expertise=["Athletics", "Perception"]), "doesn't gain Expertise")
    c = create_character(fighter(**rogue, expertise=["Stealth", "Thieves' Tools"]))
    assert c.expertise == ["Stealth", "Thieves' Tools"]


def test_dragonborn_ancestry() -> None:
    db = {"race": "Dragonborn", "languages": ["Giant", "Dwarvish"]}
    refused(fighter(**db), "Choose a draconic ancestry")
    refused(fighter(draconic_ancestry="Red"), "Only a Dragonborn")
    c = create_character(fighter(**db, draconic_ancestry="red"))
    assert c.draconic_ancestry == "Red"
    assert any(a.name == "Breath Weapon" and a.recovery == "short" for a in c.abilities)


def test_spell_choice_refusals() -> None:
    wiz = {"class_name": "Wizard", "skills": ["Arcana", "History"],
           "base_scores": {"STR": 8, "DEX": 14, "CON": 13, "INT": 15, "WIS": 12, "CHA": 10}}
    refused(fighter(**wiz, cantrips=["Fire Bolt", "Light", "Mage Hand", "Ray of Frost"]),
            r"knows 3 cantrip\(s\), not 4")
    refused(fighter(**wiz, cantrips=["Magic Missile"]), "Magic Missile is not a cantrip")
    refused(fighter(**wiz, cantrips=["Sacred Flame"]), "Sacred Flame is not on the Wizard spell list")
    refused(fighter(**wiz, spells=["Fireball"]), "level 3 spell")
    refused(fighter(**wiz, spells=["Cure Wounds"]), "not on the Wizard spell list")
    refused(fighter(**wiz, spells=["Fire Bolt"]), "is a cantrip")
    refused(fighter(**wiz, spells=["Shield"] * 2), "same spell twice")
    refused(fighter(**wiz, spells=["Shield", "Sleep", "Magic Missile", "Burning Hands", "Mage Armor",
                                   "Detect Magic", "Thunderwave"]), "has 6 spells in the spellbook, not 7")
    refused(fighter(spells=["Shield"]), "has 0 spells")


# ----------------------------------------------------------------------------- the built character


def test_fighter_built() -> None:
    c = create_character(fighter())
    assert c.class_levels == {"Fighter": 1}
    assert c.primary_class == "Fighter"
    assert c.ability_scores == {"STR": 17, "DEX": 14, "CON": 14, "INT": 12, "WIS": 10, "CHA": 8}
    assert c.max_hp == c.hp == 12  # d10 + CON 2
    assert c.hit_dice == {"d10": 1}
    assert c.saving_throws == ["STR", "CON"]
    assert set(c.skills) == {"Insight", "Religion", "Intimidation", "Athletics", "Perception"}
    assert c.languages == ["Common", "Orc", "Giant", "Dwarvish"]
    assert {"Heavy Armor", "Shields", "Martial Weapons"} <= set(c.proficiencies)
    assert c.features == ["Fighting Style", "Second Wind"]
    assert [(a.name, a.uses, a.recovery) for a in c.abilities] == [
        ("Second Wind", 1, "short"), ("Relentless Endurance", 1, "long")]
    assert c.wealth.gp == 15  # the Acolyte's pouch
    names = {i.name for i in c.inventory}
    assert {"Chain Mail", "Longsword", "Shield", "Torch", "Amulet"} <= names
    assert "Dungeoneer's Pack" not in names  # packs are unpacked
    assert armor_class(c) == 18  # chain mail 16 + shield 2, both equipped
    assert recompute(c)[1] == []


def test_cleric_with_domain() -> None:
    wise = {"STR": 14, "DEX": 10, "CON": 13, "INT": 8, "WIS": 15, "CHA": 12}
    c = create_character(fighter(class_name="Cleric", subclass="life domain", skills=["History", "Medicine"],
                                 base_scores=wise, cantrips=["Sacred Flame", "Light"],
                                 spells=["Guiding Bolt", "Healing Word"]))
    assert c.subclasses == {"Cleric": "Life"}
    assert "Disciple of Life" in c.features and "Heavy Armor" in c.proficiencies
    assert c.spell_slots == c.spell_slots_max == {1: 2}
    assert c.spells_prepared == ["Guiding Bolt", "Healing Word", "Bless", "Cure Wounds"]


def test_starting_gold_instead_of_package() -> None:
    rng = random.Random(5)
    expected = roll_starting_gold("Fighter", random.Random(5))
    assert 50 <= expected <= 200 and expected % 10 == 0
    c = create_character(fighter(equipment="gold"), rng)
    assert c.wealth.gp == expected + 15
    assert not any(i.name == "Chain Mail" for i in c.inventory)
    with pytest.raises(RulesError, match="needs dice"):
        create_character(fighter(equipment="gold"))
    assert total_cp(c.wealth) == (expected + 15) * 100
