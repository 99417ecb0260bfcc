"""The shell's pure parts of table play: a combat survives the trip through its `combat_state` row (turn order,
defeated monsters, whose turn, whether it started, a Multiattack; rows stored before Multiattack was read still
load), `!cast` reads its level and targets, quantities are parsed strictly, and places map to shop kinds."""

from __future__ import annotations

import random

import pytest

from db.combat import from_row, to_columns
from db.models import CombatState as CombatRow
from dnd import combat
from dnd.monsters import Combatant, DamagePart, MonsterAction, MonsterBlock, MultiattackOption, MultiattackStep
from dnd.shops import location_kind
from tasks.handlers.characters import parse_cast
from tasks.handlers.economy import parse_quantity
from tasks.handlers.registry import CommandError

GOBLIN = MonsterBlock(index="goblin", name="Goblin", armor_class=5, hit_points=1,
                      ability_scores={"STR": 8, "DEX": 14, "CON": 10, "INT": 10, "WIS": 8, "CHA": 8},
                      actions=[MonsterAction(name="Scimitar", attack_bonus=4, reach="melee",
                                             damage=[DamagePart(dice="1d6+2", damage_type="slashing")])])


def row_of(state: combat.CombatState) -> CombatRow:
    return CombatRow(campaign_id=1, channel_id=1000, active=True, **to_columns(state))


def test_a_fight_round_trips_through_its_row() -> None:
    rng = random.Random(3)
    state, _ = combat.roll_initiative(combat.monster_combatants(GOBLIN, 1, rng, existing_names=["Orc"]), rng)
    orc = Combatant.from_monster(GOBLIN.model_copy(update={"name": "Orc", "index": "orc"}), name="Orc", id="orc")
    state, _ = combat.roll_initiative([*state.combatants, orc], rng)
    assert from_row(row_of(state)) == state
    assert not from_row(row_of(state)).started

    attacker = combat.current_actor(state)
    target = next(c for c in state.combatants if c.id != attacker.id)
    for _ in range(20):  # AC 5 and 1 HP: a hit defeats the target and moves it out of the order
        after, result = combat.attack(state, attacker.id, target.name, rng=rng)
        if result.defeated:
            state = after
            break
    assert state.defeated and state.started
    restored = from_row(row_of(state))
    assert restored == state
    assert [c.id for c in restored.defeated] == [target.id]


def test_a_multiattack_round_trips_and_old_rows_still_load() -> None:
    twice = GOBLIN.model_copy(update={"multiattack": [MultiattackOption(steps=[MultiattackStep(action="Scimitar",
                                                                                                count="2")])]})
    state, _ = combat.roll_initiative([Combatant.from_monster(twice, name="Brute", id="brute")], random.Random(1))
    assert from_row(row_of(state)) == state
    row = row_of(state)
    for entry in row.initiative:  # a row written before the field existed
        entry["monster"].pop("multiattack")
    assert from_row(row).combatants[0].monster.multiattack == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Magic Missile", ("Magic Missile", None, [])),
    ("Magic Missile at 2", ("Magic Missile", 2, [])),
    ("Cure Wounds at 2nd level on Bram", ("Cure Wounds", 2, ["Bram"])),
    ("Cure Wounds on <@123> at level 3", ("Cure Wounds", 3, ["<@123>"])),
    ("Fire Bolt at goblin 1", ("Fire Bolt", None, ["goblin 1"])),
    ("Burning Hands on Goblin 1, goblin 2 and Orc 1", ("Burning Hands", None, ["Goblin 1", "goblin 2", "Orc 1"])),
    ("Blargh of Doom", ("Blargh of Doom", None, [])),
])
def test_cast_reads_level_and_targets(text: str, expected: tuple[str, int | None, list[str]]) -> None:
    assert parse_cast(text) == expected


@pytest.mark.parametrize("text", ["Fire Bolt at 2 at 3", "Fire Bolt at goblin on orc"])
def test_cast_refuses_a_level_or_targets_given_twice(text: str) -> None:
    with pytest.raises(CommandError):
        parse_cast(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Torch", ("Torch", 1)), ("3 Torch", ("Torch", 3)), ("3x Torch", ("Torch", 3)), ("Torch x3", ("Torch", 3)),
    ("Torch 3", ("Torch", 3)), ("Potion of Healing 2", ("Potion of Healing", 2)),
    ("Rope, hempen (50 feet)", ("Rope, hempen (50 feet)", 1)),
])
def test_quantities(text: str, expected: tuple[str, int]) -> None:
    assert parse_quantity(text, "usage") == expected


@pytest.mark.parametrize("text", ["", "Torch 0", "-2 Torch", "Torch 1001", "Torch x-1"])
def test_bad_quantities_are_refused(text: str) -> None:
    with pytest.raises(CommandError):
        parse_quantity(text, "usage")


def test_places_map_to_kinds_of_shop() -> None:
    assert location_kind("Saltmarsh Harbour") == "urban_port"
    assert location_kind("Phandalin village") == "frontier_village"
    assert location_kind("Town Square") == "town"
