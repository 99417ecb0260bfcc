"""The Character model and its derived values, wealth, resource uses, conditions and resync."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from dnd import abilities
from dnd.character import (
    Character,
    InventoryItem,
    LevelRecord,
    Resource,
    armor_class,
    carry_weight,
    carrying_capacity,
    compute_max_hp,
    derive,
    initiative_bonus,
    max_hp_at_level,
    passive_perception,
    recompute,
    saving_throw_modifier,
    skill_modifier,
    speed,
    spell_attack_bonus,
    spell_save_dc,
    summary,
)
from dnd.conditions import (
    ability_check_mode,
    add_condition,
    attack_roll_mode,
    clear_conditions,
    hit_is_critical,
    is_incapacitated,
    remove_condition,
    saving_throw_mode,
    stays_unconscious,
)
from dnd.errors import RulesError
from dnd.feats import list_abilities, list_feats, restore_resource, use_resource
from dnd.inventory import count_of, make_item, movements_between, remove_item, take_from_stacks
from dnd.wealth import Wealth, add_coins, format_cp, from_cp, parse_price, pay, total_cp

SCORES = {"STR": 14, "DEX": 16, "CON": 14, "INT": 10, "WIS": 14, "CHA": 12}


def pc(levels: dict[str, int], race: str = "Human", **fields: Any) -> Character:
    c = derive(Character(name="Ash", race=race, class_levels=levels, base_scores=fields.pop("scores", SCORES),
                         **fields))
    return c.model_copy(update={"hp": c.max_hp})


def wearing(*names: str) -> list[InventoryItem]:
    return [make_item(n).model_copy(update={"equipped": True}) for n in names]


# ----------------------------------------------------------------------------- abilities


@pytest.mark.parametrize(("score", "mod"),
                         [(1, -5), (8, -1), (9, -1), (10, 0), (11, 0), (15, 2), (20, 5), (30, 10)])
def test_modifier(score: int, mod: int) -> None:
    assert abilities.modifier(score) == mod


def test_skill_and_save_math() -> None:
    scores = {"STR": 10, "DEX": 16, "CON": 10, "INT": 10, "WIS": 14, "CHA": 10}
    assert abilities.skill_ability("sleight_of_hand") == "DEX"
    assert abilities.skill_bonus(scores, "Stealth", 3) == 3
    assert abilities.skill_bonus(scores, "stealth", 3, proficient_skills=["Stealth"]) == 6
    expert = abilities.skill_bonus(scores, "Stealth", 3, proficient_skills=["Stealth"],
                                   expertise_skills=["Stealth"])
    assert expert == 9
    assert abilities.skill_bonus(scores, "Arcana", 3, jack_of_all_trades=True) == 1
    assert abilities.saving_throw_bonus(scores, "dexterity", 2, proficient_saves=["DEX"]) == 5
    assert abilities.passive_perception(scores, 2, proficient_skills=["Perception"]) == 14
    assert abilities.passive_score(4, advantage=True) == 19
    with pytest.raises(RulesError):
        abilities.normalize_ability("Luck")
    with pytest.raises(RulesError):
        abilities.normalize_skill("Cooking")


def test_character_skill_save_passive() -> None:
    c = pc({"Rogue": 3}, skills=["Stealth", "Perception"], expertise=["Stealth"])
    assert skill_modifier(c, "Stealth") == 3 + 4
    assert skill_modifier(c, "Perception") == 2 + 2
    assert saving_throw_modifier(c, "DEX") == 5 and saving_throw_modifier(c, "STR") == 2
    assert passive_perception(c) == 14
    bard = pc({"Bard": 2})
    assert skill_modifier(bard, "Arcana") == 0 + 1  # Jack of All Trades


# ----------------------------------------------------------------------------- armor class


def test_armor_class_variants() -> None:
    assert armor_class(pc({"Fighter": 1})) == 13  # 10 + DEX 3
    assert armor_class(pc({"Fighter": 1}, inventory=wearing("Leather Armor"))) == 14
    assert armor_class(pc({"Fighter": 1}, inventory=wearing("Half Plate Armor"))) == 17  # DEX capped at 2
    assert armor_class(pc({"Fighter": 1}, inventory=wearing("Plate Armor", "Shield"))) == 20
    unequipped = [make_item("Plate Armor")]
    assert armor_class(pc({"Fighter": 1}, inventory=unequipped)) == 13
    ring = [InventoryItem(name="Ring of Protection", properties=["ac+1"], equipped=True)]
    assert armor_class(pc({"Fighter": 1}, inventory=ring)) == 14


def test_unarmored_defense() -> None:
    assert armor_class(pc({"Barbarian": 1})) == 10 + 3 + 2
    assert armor_class(pc({"Barbarian": 1}, inventory=wearing("Shield"))) == 10 + 3 + 2 + 2
    assert armor_class(pc({"Monk": 1})) == 10 + 3 + 2
    assert armor_class(pc({"Monk": 1}, inventory=wearing("Shield"))) == 10 + 3 + 2  # monk: no shield
    assert armor_class(pc({"Barbarian": 1}, inventory=wearing("Chain Shirt"))) == 13 + 2
    assert armor_class(pc({"Sorcerer": 1}, subclasses={"Sorcerer": "Draconic"})) == 13 + 3


# ----------------------------------------------------------------------------- hit points


def test_max_hp_formula() -> None:
    assert max_hp_at_level([10], 2) == 12
    assert max_hp_at_level([10, 10, 10], 2) == 12 + 8 + 8
    assert max_hp_at_level([10, 10], 2, rolls=[3]) == 12 + 5
    assert max_hp_at_level([6, 6], -4, rolls=[1]) == 2 + 1  # each level at least 1
    assert max_hp_at_level([8, 8], 1, per_level_bonus=1) == (8 + 1 + 1) + (5 + 1 + 1)
    hill = pc({"Cleric": 3}, race="Dwarf", subrace="Hill Dwarf")
    assert hill.max_hp == compute_max_hp(hill) == (8 + 2) + 2 * (5 + 2) + 3


def test_max_hp_from_recorded_rolls() -> None:
    history = [LevelRecord(class_name="Fighter", class_level=1, hp_method="max", hp_roll=10),
               LevelRecord(class_name="Fighter", class_level=2, hp_method="roll", hp_roll=2)]
    c = pc({"Fighter": 2}, history=history)
    assert c.max_hp == 12 + 4


# ----------------------------------------------------------------------------- initiative, speed, weight


def test_initiative() -> None:
    assert initiative_bonus(pc({"Fighter": 1})) == 3
    assert initiative_bonus(pc({"Fighter": 1}, feats=[Resource(name="Alert", recovery="none")])) == 8
    assert initiative_bonus(pc({"Bard": 2})) == 4  # + half proficiency
    champion = pc({"Fighter": 7}, subclasses={"Fighter": "Champion"})
    assert initiative_bonus(champion) == 3 + 2  # Remarkable Athlete: half of +3 rounded up


def test_speed() -> None:
    assert speed(pc({"Fighter": 1})) == 30
    assert speed(pc({"Fighter": 1}, race="Dwarf", subrace="Hill Dwarf")) == 25
    weak = {**SCORES, "STR": 12}
    assert speed(pc({"Fighter": 1}, scores=weak, inventory=wearing("Plate Armor"))) == 20
    assert speed(pc({"Fighter": 1}, race="Dwarf", scores=weak, inventory=wearing("Plate Armor"))) == 25
    assert speed(pc({"Barbarian": 5})) == 40
    assert speed(pc({"Monk": 6})) == 45
    assert speed(pc({"Monk": 6}, inventory=wearing("Shield"))) == 30
    assert speed(pc({"Fighter": 1}, conditions=["Grappled"])) == 0
    assert speed(pc({"Fighter": 1}, exhaustion=2)) == 15
    assert speed(pc({"Fighter": 1}, exhaustion=5)) == 0


def test_carry_weight() -> None:
    items = [make_item("Longsword"), make_item("Arrow", 20), make_item("Rations (1 day)", 5)]
    c = pc({"Fighter": 1}, inventory=items, wealth=Wealth(gp=100))
    assert carry_weight(c, include_coins=False) == 3 + 1 + 10
    assert carry_weight(c) == 14 + 2  # 100 coins = 2 lb
    assert carrying_capacity(c) == 14 * 15
    c = remove_item(c, "arrow", 5)
    assert next(i.qty for i in c.inventory if i.name == "Arrow") == 15
    with pytest.raises(RulesError, match="has 0"):
        remove_item(c, "Potion of Healing")


def test_taking_from_stacks_and_what_moved() -> None:
    ground = [make_item("Torch", 2), make_item("Rope, hempen (50 feet)"), make_item("Torch", 3)]
    assert count_of(ground, "torch") == 5
    left = take_from_stacks(ground, "Torch", 3)  # the first stack whole, then one from the next
    assert [(i.name, i.qty) for i in left] == [("Rope, hempen (50 feet)", 1), ("Torch", 2)]
    assert take_from_stacks(ground, "Torch", 5) == [ground[1]]
    with pytest.raises(RulesError, match="only 5"):
        take_from_stacks(ground, "Torch", 6)
    before = pc({"Fighter": 1}, inventory=[make_item("Torch", 2)], wealth=Wealth(gp=1))
    after = before.model_copy(update={"inventory": [make_item("Torch", 5), make_item("Dagger")],
                                      "wealth": Wealth(sp=5)})
    assert movements_between(before, after) == [("Torch", 3), ("Dagger", 1), ("cp", -50)]
    assert movements_between(before, before) == []


def test_spell_dc_and_attack() -> None:
    c = pc({"Wizard": 5, "Cleric": 1})
    assert spell_save_dc(c) == 8 + 3 + 0  # INT 10
    assert spell_save_dc(c, "Cleric") == 8 + 3 + 2
    assert spell_attack_bonus(c, "cleric") == 5
    with pytest.raises(RulesError, match="no spellcasting class"):
        spell_save_dc(pc({"Fighter": 3}))
    with pytest.raises(RulesError, match="no spellcasting ability"):
        spell_save_dc(c, "Fighter")
    assert summary(c)["spell_save_dc"] == {"Wizard": 11, "Cleric": 13}


# ----------------------------------------------------------------------------- model


def test_model_roundtrip_and_validation() -> None:
    c = pc({"Fighter": 2, "Wizard": 3}, inventory=wearing("Shield"))
    assert c.primary_class == "Fighter"
    again = Character.model_validate_json(c.model_dump_json())
    assert again == c and again.spell_slots == {1: 4, 2: 2}
    with pytest.raises(ValidationError):
        Character(name="X", race="Human", class_levels={"Fighter": 21}, base_scores=SCORES)
    with pytest.raises(ValidationError):
        Character(name="X", race="Human", class_levels={"Fighter": 15, "Wizard": 6}, base_scores=SCORES)
    with pytest.raises(ValidationError):
        Character(name="X", race="Human", class_levels={}, base_scores=SCORES)
    with pytest.raises(ValidationError):
        Wealth(gp=-1)
    # JSONB reorders keys: primary_class keeps the 1st-level class.
    data = c.model_dump()
    data["class_levels"] = {"Wizard": 3, "Fighter": 2}
    assert Character.model_validate(data).primary_class == "Fighter"


# ----------------------------------------------------------------------------- wealth


def test_wealth_totals_and_formatting() -> None:
    w = Wealth(cp=5, sp=4, ep=1, gp=3, pp=1)
    assert total_cp(w) == 5 + 40 + 50 + 300 + 1000
    assert parse_price("15 gp") == 1500 and parse_price("1 gp 5 sp") == 150 and parse_price("2GP") == 200
    with pytest.raises(RulesError):
        parse_price("fifteen gold")
    assert format_cp(1520) == "15 gp 2 sp" and format_cp(0) == "0 cp"
    assert from_cp(1234) == Wealth(gp=12, sp=3, cp=4)
    assert add_coins(w, gp=2, cp=1) == Wealth(cp=6, sp=4, ep=1, gp=5, pp=1)
    with pytest.raises(RulesError):
        add_coins(w, gp=-1)


@pytest.mark.parametrize(("purse", "price", "after"), [
    (Wealth(gp=1, sp=5), 120, Wealth(sp=3)),
    (Wealth(gp=10), 1500 - 500 - 100 * 5, Wealth(gp=5)),
    (Wealth(cp=3, gp=1), 5, Wealth(cp=8, sp=9)),
    (Wealth(pp=1, cp=50), 60, Wealth(sp=9, gp=9)),
    (Wealth(sp=15), 12, Wealth(sp=13, cp=8)),
    (Wealth(ep=2), 50, Wealth(ep=1)),
    (Wealth(gp=2), 200, Wealth()),
])
def test_pay_makes_change(purse: Wealth, price: int, after: Wealth) -> None:
    result = pay(purse, price)
    assert result == after
    assert total_cp(result) == total_cp(purse) - price
    assert all(v >= 0 for v in result.coins().values())


def test_pay_refuses_when_short() -> None:
    with pytest.raises(RulesError, match="You can't afford that: it costs 15 gp and you have 12 gp 5 sp"):
        pay(Wealth(gp=12, sp=5), 1500)
    with pytest.raises(RulesError):
        pay(Wealth(gp=1), -5)


# ----------------------------------------------------------------------------- resources


def test_use_lucky() -> None:
    c = pc({"Fighter": 1}, feats=[Resource(name="Lucky", recovery="long")])
    assert list_feats(c) == ["Lucky: 3/3"]
    for left in (2, 1, 0):
        c, msg = use_resource(c, "lucky")
        assert msg.endswith(f"{left}/3 left.")
    with pytest.raises(RulesError) as err:
        use_resource(c, "Lucky")
    assert str(err.value) == "Lucky has no uses left (0/3); it returns on a long rest."
    assert list_feats(restore_resource(c, "Lucky")) == ["Lucky: 3/3"]


def test_use_abilities() -> None:
    c = pc({"Paladin": 3})
    c, _ = use_resource(c, "Lay on Hands", 10)
    assert "Lay on Hands: 5/15" in list_abilities(c)
    with pytest.raises(RulesError, match="has only 5 of 15 left, not 6; it returns on a long rest"):
        use_resource(c, "lay on hands", 6)
    c, _ = use_resource(c, "Channel Divinity")
    with pytest.raises(RulesError, match=r"Channel Divinity has no uses left \(0/1\); it returns on a short"):
        use_resource(c, "Channel Divinity")
    with pytest.raises(RulesError, match="doesn't have the feat or ability 'Rage'"):
        use_resource(c, "Rage")
    with pytest.raises(RulesError, match="doesn't have the feat 'Lucky'"):
        use_resource(c, "Lucky")
    barbarian = pc({"Barbarian": 20})
    assert list_abilities(barbarian) == ["Rage: unlimited"]
    assert use_resource(barbarian, "Rage")[0] == barbarian
    sharp = pc({"Fighter": 1}, feats=[Resource(name="Sharpshooter", recovery="none")])
    assert list_feats(sharp) == ["Sharpshooter"]
    assert use_resource(sharp, "sharpshooter")[1] == "Ash uses Sharpshooter."


# ----------------------------------------------------------------------------- conditions


def test_condition_roll_modes() -> None:
    assert attack_roll_mode(["Poisoned"]) == "disadvantage"
    assert ability_check_mode(["Poisoned"]) == "disadvantage"
    assert ability_check_mode([], exhaustion=1) == "disadvantage"
    assert attack_roll_mode([], ["Prone"], within_5ft=True) == "advantage"
    assert attack_roll_mode([], ["Prone"], within_5ft=False) == "disadvantage"
    assert attack_roll_mode(["Invisible"]) == "advantage"
    assert attack_roll_mode(["Invisible"], ["Invisible"]) == "normal"
    assert attack_roll_mode(["Blinded"], ["Restrained"]) == "normal"
    assert attack_roll_mode([], ["Restrained"]) == "advantage"
    assert attack_roll_mode([], [], attacker_exhaustion=3) == "disadvantage"
    assert saving_throw_mode(["Restrained"], "DEX") == "disadvantage"
    assert saving_throw_mode(["Restrained"], "WIS") == "normal"
    for cond in ("Paralyzed", "Unconscious", "Stunned", "Petrified"):
        assert saving_throw_mode([cond], "strength") == "auto_fail"
        assert saving_throw_mode([cond], "DEX") == "auto_fail"
        assert saving_throw_mode([cond], "CON") == "normal"
        assert is_incapacitated([cond])
    assert hit_is_critical(["Unconscious"], within_5ft=True)
    assert not hit_is_critical(["Stunned"], within_5ft=True)
    assert attack_roll_mode([], ["Unconscious"], within_5ft=False) == "normal"  # prone cancels from afar


def test_add_and_remove_conditions() -> None:
    c = pc({"Fighter": 1})
    c = add_condition(c, "poisoned")
    assert c.conditions == ["Poisoned"]
    assert add_condition(c, "Poisoned").conditions == ["Poisoned"]
    c = add_condition(add_condition(c, "Exhaustion"), "exhaustion")
    assert c.exhaustion == 2
    c = remove_condition(remove_condition(c, "Poisoned"), "Exhaustion")
    assert c.conditions == [] and c.exhaustion == 1
    with pytest.raises(RulesError, match="is not poisoned"):
        remove_condition(c, "Poisoned")
    with pytest.raises(RulesError, match="'Sleepy' is not a condition"):
        add_condition(c, "Sleepy")
    c = c.model_copy(update={"exhaustion": 6})
    with pytest.raises(RulesError, match="already at exhaustion level 6"):
        add_condition(c, "Exhaustion")


def test_at_zero_hp_a_character_stays_unconscious_until_healed() -> None:
    """One rule for every path: the owner's `!set_condition`, the narrator's updates, a combatant's condition."""
    down = pc({"Fighter": 1}).model_copy(update={"hp": 0, "conditions": ["Unconscious", "Prone"]})
    with pytest.raises(RulesError, match="is at 0 HP and stays unconscious until healed"):
        remove_condition(down, "unconscious")
    with pytest.raises(RulesError, match="stays unconscious"):
        stays_unconscious(down.name, 0, "Unconscious")
    assert remove_condition(down, "Prone").conditions == ["Unconscious"]
    assert clear_conditions(down).conditions == ["Unconscious"]
    awake = down.model_copy(update={"hp": 3})
    assert remove_condition(awake, "Unconscious").conditions == ["Prone"]
    assert clear_conditions(awake).conditions == []
    stays_unconscious(down.name, 0, "Prone")  # other conditions end as usual


# ----------------------------------------------------------------------------- resync


def test_recompute_reports_and_fixes_differences() -> None:
    good = pc({"Fighter": 3, "Wizard": 2}, subclasses={"Fighter": "Champion"})
    assert recompute(good) == (good, [])
    bad = good.model_copy(update={
        "max_hp": 99,
        "hp": 99,
        "ability_scores": {**good.ability_scores, "STR": 18},
        "spell_slots_max": {1: 4, 2: 3},
        "spell_slots": {1: 4, 2: 3},
        "abilities": [a for a in good.abilities if a.name != "Action Surge"],
        "features": [f for f in good.features if f != "Improved Critical"],
        "saving_throws": ["INT", "WIS"],
    })
    fixed, changes = recompute(bad)
    assert fixed.max_hp == good.max_hp and fixed.hp == good.max_hp
    assert fixed.ability_scores == good.ability_scores
    assert fixed.spell_slots_max == {1: 3} and fixed.spell_slots == {1: 3}
    assert fixed.saving_throws == ["STR", "CON"]
    assert fixed.features == good.features
    assert any(a.name == "Action Surge" for a in fixed.abilities)
    text = "\n".join(changes)
    assert f"max_hp: 99 -> {good.max_hp}" in text
    assert "ability_scores:" in text and "STR: 18" in text
    assert "spell_slots_max: 1: 4, 2: 3 -> 1: 3" in text
    assert "features: added Improved Critical" in text
    assert "saving_throws: INT, WIS -> STR, CON" in text
    assert "Action Surge 1/1" in text
    assert recompute(fixed)[1] == []


def test_recompute_keeps_spent_uses() -> None:
    c = pc({"Fighter": 2})
    c, _ = use_resource(c, "Action Surge")
    c = c.model_copy(update={"hp": 3, "spell_slots": {}})
    fixed, changes = recompute(c)
    assert fixed == c and changes == []
