"""Short and long rests."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dnd.character import Character, DeathSaves, Resource, derive
from dnd.errors import RulesError
from dnd.feats import use_resource
from dnd.rests import long_rest, short_rest

SCORES = {"STR": 14, "DEX": 12, "CON": 14, "INT": 10, "WIS": 14, "CHA": 14}


def pc(levels: dict[str, int], **fields: Any) -> Character:
    c = derive(Character(name="Tor", race="Human", class_levels=levels, base_scores=SCORES, **fields))
    return c.model_copy(update={"hp": c.max_hp})


def test_short_rest_spends_hit_dice() -> None:
    c = pc({"Fighter": 4}).model_copy(update={"hp": 10})
    rng = random.Random(3)
    expected = [random.Random(3).randint(1, 10)]
    c2, r = short_rest(c, 1, rng)
    assert r.hit_dice_rolls[0].roll == expected[0]
    assert c2.hp == min(c.max_hp, 10 + expected[0] + 2)
    assert c2.hit_dice == {"d10": 3}
    assert r.kind == "short" and "Hit Die d10" in r.lines[1]


def test_short_rest_healing_capped_and_dice_checked() -> None:
    base = pc({"Fighter": 2})
    c = base.model_copy(update={"hp": base.max_hp - 1})
    c2, r = short_rest(c, 2, random.Random(1))
    assert c2.hp == c.max_hp
    assert sum(x.healed for x in r.hit_dice_rolls) == 1
    with pytest.raises(RulesError, match="has only 2 Hit Dice left"):
        short_rest(c, 3, random.Random(1))
    with pytest.raises(RulesError, match="needs dice"):
        short_rest(c, 1)
    with pytest.raises(RulesError, match="only 0 d8 Hit Dice"):
        short_rest(c, {"d8": 1}, random.Random(1))


def test_short_rest_per_die_size_multiclass() -> None:
    c = pc({"Fighter": 2, "Wizard": 2}).model_copy(update={"hp": 1})
    assert c.hit_dice == {"d10": 2, "d6": 2}
    c2, r = short_rest(c, {"d6": 2}, random.Random(9))
    assert c2.hit_dice == {"d10": 2, "d6": 0}
    assert [x.die for x in r.hit_dice_rolls] == ["d6", "d6"]
    c3, _ = short_rest(c, 3, random.Random(9))  # largest dice first
    assert c3.hit_dice == {"d10": 0, "d6": 1}


def test_short_rest_recovers_short_resources_and_pact_slots() -> None:
    c = pc({"Fighter": 2, "Warlock": 3})
    c, _ = use_resource(c, "Action Surge")
    c, _ = use_resource(c, "Second Wind")
    c = c.model_copy(update={"pact_slots": 0})
    c2, r = short_rest(c, 0)
    uses = {a.name: a.uses for a in c2.abilities}
    assert uses["Action Surge"] == 1 and uses["Second Wind"] == 1
    assert c2.pact_slots == 2 and r.pact_slots_restored
    assert set(r.recovered) == {"Action Surge", "Second Wind"}


def test_short_rest_keeps_long_rest_resources() -> None:
    c = pc({"Barbarian": 3}, feats=[Resource(name="Lucky", uses=3, max_uses=3, source="feat")])
    c, _ = use_resource(c, "Rage")
    c, _ = use_resource(c, "Lucky")
    c2, _ = short_rest(c, 0)
    assert {a.name: a.uses for a in c2.abilities}["Rage"] == 2
    assert c2.feats[0].uses == 2
    c3, r = long_rest(c2)
    assert {a.name: a.uses for a in c3.abilities}["Rage"] == 3
    assert c3.feats[0].uses == 3
    assert set(r.recovered) == {"Rage", "Lucky"}


def test_bardic_inspiration_recovery_changes_at_5() -> None:
    assert pc({"Bard": 4}).abilities[0].recovery == "long"
    assert pc({"Bard": 5}).abilities[0].recovery == "short"
    assert pc({"Bard": 5}).abilities[0].max_uses == 2  # CHA 14


def test_long_rest() -> None:
    c = pc({"Wizard": 6}).model_copy(update={
        "hp": 3, "temp_hp": 5, "hit_dice": {"d6": 0}, "spell_slots": {1: 0, 2: 1, 3: 0},
        "exhaustion": 2, "conditions": ["Poisoned"], "death_saves": DeathSaves(successes=1, failures=1),
    })
    c2, r = long_rest(c)
    assert c2.hp == c2.max_hp and c2.temp_hp == 0
    assert c2.hit_dice == {"d6": 3}  # half of 6
    assert c2.spell_slots == c2.spell_slots_max == {1: 4, 2: 3, 3: 3}
    assert c2.exhaustion == 1 and r.exhaustion == (2, 1)
    assert c2.conditions == ["Poisoned"]  # resting doesn't end conditions
    assert c2.death_saves == DeathSaves()
    assert r.hit_dice_regained == {"d6": 3} and r.slots_restored


def test_long_rest_hit_dice_minimum_one_and_cap() -> None:
    c = pc({"Fighter": 1}).model_copy(update={"hit_dice": {"d10": 0}})
    assert long_rest(c)[0].hit_dice == {"d10": 1}
    c = pc({"Fighter": 5}).model_copy(update={"hit_dice": {"d10": 4}})
    assert long_rest(c)[0].hit_dice == {"d10": 5}
    c = pc({"Fighter": 3, "Wizard": 2}).model_copy(update={"hit_dice": {"d10": 0, "d6": 0}})
    assert long_rest(c)[0].hit_dice == {"d10": 2, "d6": 0}  # half of 5 = 2, largest first


def test_long_rest_needs_one_hp_and_exhaustion_4_halves() -> None:
    c = pc({"Fighter": 3}).model_copy(update={"hp": 0})
    with pytest.raises(RulesError, match="at least 1 hit point"):
        long_rest(c)
    c = pc({"Fighter": 3}).model_copy(update={"hp": 1, "exhaustion": 5})
    c2, _ = long_rest(c)
    assert c2.exhaustion == 4 and c2.hp == c2.max_hp // 2


def test_dead_characters_do_not_rest_and_zero_hp_wakes() -> None:
    dead = pc({"Fighter": 3}).model_copy(update={"hp": 0, "death_saves": DeathSaves(failures=3)})
    with pytest.raises(RulesError, match="is dead"):
        short_rest(dead)
    down = pc({"Fighter": 3}).model_copy(update={
        "hp": 0, "conditions": ["Unconscious"], "death_saves": DeathSaves(successes=3)})
    up, _ = short_rest(down, 1, random.Random(2))
    assert up.hp > 0 and up.conditions == [] and up.death_saves == DeathSaves()


def test_the_long_rest_offer_says_what_it_gives_back_and_refuses_as_the_rest_does() -> None:
    from dnd.rests import long_rest_offer

    fighter = pc({"Fighter": 4})
    spent, _ = use_resource(fighter, "Second Wind")
    tired = spent.model_copy(update={"hp": 5, "hit_dice": {"d10": 1}, "exhaustion": 2})
    offer = long_rest_offer(tired)
    assert offer.startswith(f"HP 5 → {fighter.max_hp}, 2 d10 hit dice, Second Wind, exhaustion 2 → 1")
    assert long_rest_offer(fighter) == f"HP {fighter.max_hp} → {fighter.max_hp}."
    with pytest.raises(RulesError, match="at least 1 hit point"):
        long_rest_offer(fighter.model_copy(update={"hp": 0, "death_saves": DeathSaves(successes=3)}))
