"""The class choices a character's levels owe (dnd.owed_choices): a character levelled before a choice existed has
a level record without it; `!choose` finds each, asks it with its options, checks the answer as the level-up does
(at that class level, with that level's other choices) and stores it on that level's record, where the engine
uses it."""

from __future__ import annotations

import pytest

from dnd.character import Character, armor_class, invocations
from dnd.class_choices import (
    DRAGON_ANCESTOR,
    ELDRITCH_INVOCATIONS,
    FAVORED_ENEMY,
    FIGHTING_STYLE,
    NATURAL_EXPLORER,
    PACT_BOON,
    fighting_styles,
    metamagic_known,
    pact_boon,
)
from dnd.errors import RulesError
from dnd.owed_choices import answer_owed, find_owed, owed_choices, owed_text
from dnd.spellcasting import builtin_catalog
from tests.unit.test_class_features import fighter
from tests.unit.test_sorcerer_warlock_choices import CASTER, chosen, hero, warlock

CATALOG = builtin_catalog()
FULL_WARLOCK = {"l2": {ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"},
                "l3": {PACT_BOON: "Pact of the Blade (Longsword)"}, "l5": {ELDRITCH_INVOCATIONS: "Thirsting Blade"}}


def owed(character: Character) -> list[str]:
    return [o.label for o in owed_choices(character)]


def choose(character: Character, text: str) -> Character:
    return answer_owed(character, text, CATALOG)[0]


def test_a_fighter_1_with_no_style_owes_a_fighting_style_and_gets_its_effect() -> None:
    kara = chosen(fighter(1))
    assert owed(kara) == ["Fighting Style (Fighter 1)"]
    assert "Defense** — +1 AC while wearing armor" in owed_text(kara)
    styled = choose(kara, "1 defense")
    assert styled.history[0].choices == {FIGHTING_STYLE: "Defense"} and fighting_styles(styled) == ["Defense"]
    assert armor_class(styled) == armor_class(kara) + 1  # in chain mail
    assert owed(styled) == [] and owed_text(styled) == ""
    # by the choice's name, too
    assert fighting_styles(choose(kara, "Fighting Style: Archery")) == ["Archery"]


def test_a_champion_10_owes_its_additional_style_never_the_same_twice() -> None:
    champion = chosen(fighter(10, subclass="Champion"), l1={FIGHTING_STYLE: "Defense"})
    assert owed(champion) == ["Fighting Style (Fighter 10)"]
    with pytest.raises(RulesError, match="Defense is already one of your fighting styles"):
        choose(champion, "fighting style defense")
    assert fighting_styles(choose(champion, "fighting style dueling")) == ["Defense", "Dueling"]


def test_a_sorcerer_3_owes_two_metamagic_options() -> None:
    sira = chosen(hero("Sira", "Sorcerer", 3, CASTER, [], cantrips=["Fire Bolt"]))
    assert owed(sira) == ["Metamagic (Sorcerer 3)"] and "choose 2" in owed_text(sira)
    with pytest.raises(RulesError, match=r"Choose 2 Metamagic options, separated by commas \(1 given\)"):
        choose(sira, "1 quickened")
    assert metamagic_known(choose(sira, "metamagic quickened, twinned")) == ["Quickened Spell", "Twinned Spell"]


def test_a_warlock_5_owes_invocations_and_a_pact_boon_each_at_its_own_level() -> None:
    vex = warlock(5)
    assert owed(vex) == ["Eldritch Invocations (Warlock 2)", "Pact Boon (Warlock 3)",
                         "Eldritch Invocations (Warlock 5)"]
    assert "Thirsting Blade" not in owed_text(vex).split("2. ")[0]  # a 5th-level invocation isn't offered at 2nd
    with pytest.raises(RulesError, match="Thirsting Blade needs warlock level 5"):
        choose(vex, "1 thirsting blade, armor of shadows")
    vex = choose(vex, "1 agonizing blast, armor of shadows")
    assert owed(vex) == ["Pact Boon (Warlock 3)", "Eldritch Invocations (Warlock 5)"]
    with pytest.raises(RulesError, match="Thirsting Blade needs the Pact of the Blade"):
        choose(vex, "2 thirsting blade")  # the 5th level's, now numbered 2: no pact yet
    vex = choose(vex, "pact boon blade longsword")
    vex = choose(vex, "eldritch invocations thirsting blade")
    assert pact_boon(vex) == "Pact of the Blade (Longsword)"
    assert invocations(vex) == ["Agonizing Blast", "Armor of Shadows", "Thirsting Blade"] and owed(vex) == []


def test_an_owed_pact_of_the_tome_learns_its_cantrips() -> None:
    vex = warlock(3, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"})
    with pytest.raises(RulesError, match="already know Eldritch Blast"):
        choose(vex, "pact boon tome: guidance, light, eldritch blast")
    tome = choose(vex, "pact boon tome: guidance, light, sacred flame")
    assert tome.cantrips == ["Eldritch Blast", "Minor Illusion", "Guidance", "Light", "Sacred Flame"]


def test_rangers_and_draconic_sorcerers_owe_their_first_level_choices() -> None:
    scout = chosen(hero("Nim", "Ranger", 1, CASTER, []))
    assert owed(scout) == ["Favored Enemy (Ranger 1)", "Favored Enemy Language (Ranger 1)",
                           "Natural Explorer (Ranger 1)"]
    assert find_owed(scout, "favored enemy language abyssal")[0].point == "Favored Enemy Language"
    scout = choose(choose(scout, "favored enemy undead"), "natural explorer forest")
    assert scout.history[0].choices == {FAVORED_ENEMY: "Undead", NATURAL_EXPLORER: "Forest"}
    assert "Abyssal" in choose(scout, "1 abyssal").languages
    dragon = chosen(hero("Sira", "Sorcerer", 1, CASTER, [], subclass="Draconic"))
    assert owed(dragon) == ["Dragon Ancestor (Sorcerer 1)"]
    assert choose(dragon, "1 red").history[0].choices == {DRAGON_ANCESTOR: "Red"}


def test_a_character_with_every_choice_made_owes_nothing_and_is_told_so() -> None:
    assert owed(warlock(5, **FULL_WARLOCK)) == []
    assert owed(chosen(fighter(1), l1={FIGHTING_STYLE: "Defense"})) == []
    assert owed(warlock(5, **FULL_WARLOCK, l4={})) == []  # the optional invocation swap is never owed
    with pytest.raises(RulesError, match="owes no class choices"):
        choose(warlock(5, **FULL_WARLOCK), "1 agonizing blast")


def test_malformed_oversized_and_unowed_answers_are_refused() -> None:
    kara = chosen(fighter(1))
    with pytest.raises(RulesError, match="isn't a choice Kara owes: 1. Fighting Style"):
        choose(kara, "metamagic quickened, twinned")
    with pytest.raises(RulesError, match="no owed choice 2"):
        choose(kara, "2 defense")
    with pytest.raises(RulesError, match="Choose a fighting style of the Fighter"):
        choose(kara, "1 kung fu")
    with pytest.raises(RulesError, match="Give your answer after the choice"):
        choose(kara, "1")
    with pytest.raises(RulesError, match="too long"):
        choose(kara, "1 " + "defense " * 60)
    assert find_owed(kara, "fighting style   Defense")[1] == "Defense"


def test_a_land_druid_levelled_before_the_circle_owes_its_cantrip_and_land_and_learns_the_cantrip() -> None:
    from dnd.spellcasting import always_prepared
    from tests.unit.test_subclass_choices import DRUID

    moss = chosen(hero("Moss", "Druid", 3, DRUID, [], subclass="Land", cantrips=["Druidcraft", "Produce Flame"]))
    assert owed(moss) == ["Bonus Cantrip (Druid 2)", "Circle Land (Druid 2)"]
    with pytest.raises(RulesError):
        choose(moss, "bonus cantrip Fire Bolt")  # not a druid cantrip
    learned = choose(moss, "bonus cantrip shillelagh")
    assert learned.cantrips == ["Druidcraft", "Produce Flame", "Shillelagh"]
    landed = choose(learned, "circle land coast")
    assert always_prepared(landed, "Druid") == ["Mirror Image", "Misty Step"] and owed(landed) == []
