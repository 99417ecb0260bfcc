"""Level up: 1 -> 5 for several classes, refusals, multiclassing."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dnd.character import Character, hp_gain, recompute
from dnd.creation import CreationChoices, create_character
from dnd.errors import RulesError
from dnd.feats import use_resource
from dnd.leveling import (
    LevelUpChoices,
    apply_level_up,
    level_for_xp,
    level_up_options,
    xp_for_level,
)
from dnd.spellcasting import cast_spell

RICH_XP = 400_000


def make(class_name: str, scores: dict[str, int], skills: list[str], **extra: Any) -> Character:
    data: dict[str, Any] = {
        "name": "Eldrin", "race": "Human", "class_name": class_name, "ability_method": "point_buy",
        "base_scores": scores, "background": "Acolyte", "skills": skills,
        "languages": ["Elvish", "Dwarvish", "Giant"],
    }
    data.update(extra)
    return create_character(CreationChoices(**data)).model_copy(update={"xp": RICH_XP})


def fighter() -> Character:
    # Point buy 15/14/13/12/10/8 -> +1 human: STR 16, DEX 13, CON 15 (+2), INT 11, WIS 14, CHA 9
    return make("Fighter", {"STR": 15, "DEX": 12, "CON": 14, "INT": 10, "WIS": 13, "CHA": 8},
                ["Athletics", "Perception"])


def wizard() -> Character:
    return make("Wizard", {"STR": 8, "DEX": 14, "CON": 13, "INT": 15, "WIS": 12, "CHA": 10},
                ["Arcana", "History"], cantrips=["Fire Bolt", "Light", "Mage Hand"],
                spells=["Magic Missile", "Shield"])


def up(c: Character, cls: str, rng: random.Random | None = None, **choices: Any) -> Character:
    new, _ = apply_level_up(c, cls, LevelUpChoices(**choices), rng)
    return new


def test_xp_helpers() -> None:
    assert xp_for_level(1) == 0 and xp_for_level(2) == 300 and xp_for_level(20) == 355_000
    assert level_for_xp(0) == 1 and level_for_xp(299) == 1 and level_for_xp(300) == 2
    assert level_for_xp(1_000_000) == 20
    with pytest.raises(RulesError):
        xp_for_level(21)


def test_fighter_1_to_5_average_hp() -> None:
    c = fighter()
    assert (c.max_hp, c.ability_scores["CON"]) == (12, 15)
    c = up(c, "fighter")
    assert c.max_hp == 12 + 8  # 10/2+1 = 6, +2 CON
    assert "Action Surge (1 use)" in c.features
    assert {a.name: a.uses for a in c.abilities}["Action Surge"] == 1
    c = up(c, "Fighter", subclass="champion")
    assert c.subclasses == {"Fighter": "Champion"} and "Improved Critical" in c.features
    c, summary = apply_level_up(c, "Fighter", LevelUpChoices(asi={"STR": 2}))
    assert c.ability_scores["STR"] == 18 and summary.asi == {"STR": 2}
    assert "Ability Score Improvement" in summary.features
    c, summary = apply_level_up(c, "Fighter", LevelUpChoices())
    assert c.level == 5 and c.proficiency_bonus == 3
    assert c.max_hp == 12 + 4 * 8 == 44 == c.hp
    assert c.hit_dice == {"d10": 5}
    assert "Extra Attack" in summary.features
    assert any("Proficiency bonus: +2 -> +3" in line for line in summary.lines)
    assert recompute(c)[1] == []


def test_wizard_1_to_5_rolled_hp_and_slots() -> None:
    rng = random.Random(42)
    c = wizard()
    expected_rolls = [random.Random(42).randint(1, 6)]
    c, s = apply_level_up(c, "Wizard", LevelUpChoices(hp_method="roll", subclass="Evocation"), rng)
    assert s.hp_roll == expected_rolls[0]
    assert s.hp_gained == s.hp_roll + 2  # CON 13 + 1 (human) = 14 -> +2
    assert "Sculpt Spells" in c.features
    for _ in range(3):
        choices = LevelUpChoices(hp_method="roll", asi={"INT": 1, "CON": 1} if c.level == 3 else {})
        c, s = apply_level_up(c, "Wizard", choices, rng)
    assert c.level == 5
    assert c.spell_slots_max == c.spell_slots == {1: 4, 2: 3, 3: 2}
    assert c.ability_scores["INT"] == 17 and c.ability_scores["CON"] == 15
    assert c.hit_dice == {"d6": 5}


def test_cleric_1_to_5() -> None:
    c = make("Cleric", {"STR": 14, "DEX": 10, "CON": 13, "INT": 8, "WIS": 15, "CHA": 12},
             ["History", "Medicine"],
             subclass="Life", spells=["Guiding Bolt"])
    c = up(c, "Cleric")
    assert {a.name: (a.uses, a.recovery) for a in c.abilities}["Channel Divinity"] == (1, "short")
    assert "Channel Divinity: Preserve Life" in c.features
    for _ in range(2):
        c = up(c, "Cleric", asi={"WIS": 2} if c.level == 3 else {})
    c, s = apply_level_up(c, "Cleric", LevelUpChoices())
    assert c.spell_slots_max == {1: 4, 2: 3, 3: 2}
    assert "Destroy Undead (CR 1/2 or below)" in s.features
    assert {"Lesser Restoration", "Spiritual Weapon", "Beacon of Hope", "Revivify"} <= set(c.spells_prepared)


def test_warlock_pact_slots_rise() -> None:
    c = make("Warlock", {"STR": 8, "DEX": 14, "CON": 13, "INT": 10, "WIS": 12, "CHA": 15},
             ["Arcana", "History"], subclass="Fiend", cantrips=["Eldritch Blast", "Mage Hand"],
             spells=["Hellish Rebuke", "Charm Person"])
    assert (c.pact_slots, c.pact_slots_max, c.pact_slot_level) == (1, 1, 1)
    c = up(c, "Warlock")
    c = up(c, "Warlock")
    assert (c.pact_slots_max, c.pact_slot_level) == (2, 2)
    c = up(c, "Warlock", feat="Alert")
    c = up(c, "Warlock")
    assert (c.pact_slots, c.pact_slots_max, c.pact_slot_level) == (2, 2, 3)
    assert c.spell_slots_max == {}
    assert [f.name for f in c.feats] == ["Alert"]


def test_spent_resources_stay_spent_new_ones_arrive_full() -> None:
    c = fighter()
    c, _ = use_resource(c, "Second Wind")
    c = c.model_copy(update={"hp": 5})
    c = up(c, "Fighter")
    uses = {a.name: a.uses for a in c.abilities}
    assert uses["Second Wind"] == 0 and uses["Action Surge"] == 1
    assert c.hp == 5 + 8  # hp rises by the max hp gained

    w = wizard()
    w, _ = cast_spell(w, "Magic Missile")
    assert w.spell_slots == {1: 1}
    w = up(w, "Wizard", subclass="Evocation")
    assert w.spell_slots == {1: 2} and w.spell_slots_max == {1: 3}


def test_con_increase_is_retroactive() -> None:
    c = _fighter_at_3()
    before = c.max_hp
    c = up(c, "Fighter", asi={"CON": 1, "STR": 1})  # CON 15 -> 16: modifier +2 -> +3
    assert c.max_hp == before + (6 + 3) + 3  # the new level, and +1 for each of the 3 earlier levels


def test_hp_minimum_one() -> None:
    assert hp_gain(1, -3) == 1
    frail = {"STR": 8, "DEX": 15, "CON": 8, "INT": 15, "WIS": 12, "CHA": 10}
    c = make("Wizard", frail, ["Arcana", "History"])
    assert c.ability_scores["CON"] == 9  # human +1 -> modifier -1

    class Ones(random.Random):
        def randint(self, a: int, b: int) -> int:
            return a

    c, s = apply_level_up(c, "Wizard", LevelUpChoices(hp_method="roll", subclass="Evocation"), Ones())
    assert s.hp_roll == 1 and s.hp_gained == 1


def test_level_up_options() -> None:
    c = fighter()
    o = level_up_options(c, "fighter")
    assert (o.class_level, o.character_level, o.hit_die, o.hp_average) == (2, 2, 10, 8)
    assert o.hp_roll_range == (3, 12)
    assert not o.asi and not o.subclass_required and o.features == ["Action Surge (1 use)"]
    assert o.xp_ok and o.proficiency_bonus == (2, 2)
    assert any("roll 1d10+2" in p for p in o.prompts)
    c = up(up(c, "Fighter"), "Fighter", subclass="Champion")
    o = level_up_options(c, "Fighter")
    assert o.asi and any("Ability Score Improvement" in p for p in o.prompts)
    o = level_up_options(c, "Wizard")
    assert o.multiclass and o.prerequisite_problems == [
        "The Wizard needs Intelligence 13 (you have Intelligence 11)."]


# ----------------------------------------------------------------------------- refusals


def test_level_21_refused() -> None:
    c = fighter().model_copy(update={"class_levels": {"Fighter": 20}})
    with pytest.raises(RulesError, match="already level 20; there is no level 21"):
        apply_level_up(c, "Fighter", LevelUpChoices())


def test_xp_required() -> None:
    c = fighter().model_copy(update={"xp": 299})
    with pytest.raises(RulesError, match=r"needs 300 XP to reach level 2 \(has 299 XP\)"):
        apply_level_up(c, "Fighter", LevelUpChoices())
    leveled, _ = apply_level_up(c, "Fighter", LevelUpChoices(), require_xp=False)
    assert leveled.level == 2


def test_roll_needs_rng() -> None:
    with pytest.raises(RulesError, match="needs dice"):
        apply_level_up(fighter(), "Fighter", LevelUpChoices(hp_method="roll"))


def _fighter_at_3() -> Character:
    return up(up(fighter(), "Fighter"), "Fighter", subclass="Champion")


@pytest.mark.parametrize(("choices", "match"), [
    ({}, "either an Ability Score Improvement"),
    ({"asi": {"STR": 2}, "feat": "Alert"}, "either an Ability Score Improvement"),
    ({"asi": {"STR": 3}}, r"\+2 to one ability or \+1 to two"),
    ({"asi": {"STR": 1}}, r"\+2 to one ability or \+1 to two"),
    ({"asi": {"STR": 1, "DEX": 1, "CON": 1}}, r"\+2 to one ability or \+1 to two"),
    ({"asi": {"LUCK": 2}}, "not an ability score"),
    ({"feat": "Telekinetic"}, "Unknown feat"),
    ({"feat": "War Caster"}, "requires the ability to cast"),
    ({"feat": "Observant"}, "choose one"),
    ({"feat": "Observant", "feat_ability": "STR"}, "can increase INT or WIS, not STR"),
])
def test_asi_refusals(choices: dict[str, Any], match: str) -> None:
    with pytest.raises(RulesError, match=match):
        apply_level_up(_fighter_at_3(), "Fighter", LevelUpChoices(**choices))


def test_asi_above_20_refused() -> None:
    c = _fighter_at_3()
    c = c.model_copy(update={"base_scores": {**c.base_scores, "STR": 19}})  # 19 + 1 racial = 20
    with pytest.raises(RulesError, match=r"can't raise STR above 20 \(20 \+ 2 = 22\)"):
        apply_level_up(c, "Fighter", LevelUpChoices(asi={"STR": 2}))
    with pytest.raises(RulesError, match="above 20"):
        apply_level_up(c, "Fighter", LevelUpChoices(asi={"STR": 1, "CON": 1}))


def test_feat_already_taken() -> None:
    c = up(_fighter_at_3(), "Fighter", feat="Alert")
    for _ in range(1):
        c = up(c, "Fighter")
    with pytest.raises(RulesError, match="already have the Alert feat"):
        apply_level_up(c, "Fighter", LevelUpChoices(feat="alert"))


def test_asi_at_non_asi_level() -> None:
    with pytest.raises(RulesError, match="doesn't grant an Ability Score Improvement"):
        apply_level_up(fighter(), "Fighter", LevelUpChoices(asi={"STR": 2}))


def test_subclass_refusals() -> None:
    c = up(fighter(), "Fighter")
    with pytest.raises(RulesError, match="Choose your Martial Archetype at Fighter level 3"):
        apply_level_up(c, "Fighter", LevelUpChoices())
    with pytest.raises(RulesError, match="Unknown Martial Archetype 'Battle Master'"):
        apply_level_up(c, "Fighter", LevelUpChoices(subclass="Battle Master"))
    with pytest.raises(RulesError, match="chosen at Fighter level 3, not level 2"):
        apply_level_up(fighter(), "Fighter", LevelUpChoices(subclass="Champion"))


def test_unknown_class() -> None:
    with pytest.raises(RulesError, match="Unknown class"):
        level_up_options(fighter(), "Gunslinger")


# ----------------------------------------------------------------------------- multiclassing


def test_multiclass_prerequisites_checked() -> None:
    c = fighter()  # INT 11
    with pytest.raises(RulesError, match="can't multiclass into the Wizard. The Wizard needs Intelligence"):
        apply_level_up(c, "Wizard", LevelUpChoices())
    weak = make("Wizard", {"STR": 8, "DEX": 14, "CON": 13, "INT": 15, "WIS": 12, "CHA": 10},
                ["Arcana", "History"])
    # STR 9 but DEX 15: the fighter asks for STR 13 *or* DEX 13, so this is allowed.
    leveled, _ = apply_level_up(weak, "Fighter", LevelUpChoices())
    assert leveled.class_levels == {"Wizard": 1, "Fighter": 1}
    with pytest.raises(RulesError, match="The Barbarian needs Strength 13"):
        apply_level_up(weak, "Barbarian", LevelUpChoices())


def test_fighter_into_wizard() -> None:
    c = make("Fighter", {"STR": 15, "DEX": 10, "CON": 14, "INT": 13, "WIS": 12, "CHA": 8},
             ["Athletics", "Perception"])
    c = up(c, "Fighter")
    c, s = apply_level_up(c, "Wizard", LevelUpChoices())
    assert c.class_levels == {"Fighter": 2, "Wizard": 1}
    assert c.primary_class == "Fighter" and c.saving_throws == ["STR", "CON"]
    assert c.hit_dice == {"d10": 2, "d6": 1}
    assert c.spell_slots_max == {1: 2}
    assert c.max_hp == 12 + 8 + 6  # wizard level: 6/2+1 + 2
    assert "Spellcasting: Wizard" in s.features and "Arcane Recovery" in c.features
    assert recompute(c)[1] == []


def test_multiclass_skill_choice() -> None:
    c = make("Fighter", {"STR": 15, "DEX": 14, "CON": 13, "INT": 10, "WIS": 12, "CHA": 8},
             ["Athletics", "Perception"])
    with pytest.raises(RulesError, match=r"gives 1 skill\(s\)"):
        apply_level_up(c, "Rogue", LevelUpChoices(expertise=[]))
    with pytest.raises(RulesError, match="Arcana is not a skill you can gain from the Rogue"):
        apply_level_up(c, "Rogue", LevelUpChoices(skills=["Arcana"], expertise=["Athletics", "Perception"]))
    c, s = apply_level_up(c, "Rogue", LevelUpChoices(skills=["Stealth"], expertise=["Stealth", "Athletics"]))
    assert "Stealth" in c.skills and c.expertise == ["Stealth", "Athletics"]
    assert "Thieves' Tools" in c.proficiencies and "Light Armor" in c.proficiencies
    with pytest.raises(RulesError, match="doesn't grant new skill"):
        apply_level_up(c, "Fighter", LevelUpChoices(skills=["Stealth"]))
