"""The bound on a narrated hit point change: the SRD improvised-damage setback die the engine rolls."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnd.actions import bounded_hp_change, improvised_damage_dice
from dnd.character import Character, derive

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCORES = {"STR": 14, "DEX": 12, "CON": 14, "INT": 10, "WIS": 14, "CHA": 14}
DICE_COUNT = {"1d10": 1, "2d10": 2, "4d10": 4, "10d10": 10}


def pc(level: int, **fields: Any) -> Character:
    c = derive(Character(name="Tor", race="Human", class_levels={"Fighter": level}, base_scores=SCORES))
    return c.model_copy(update={"hp": c.max_hp, **fields})


@pytest.mark.parametrize(("level", "dice"), [(1, "1d10"), (4, "1d10"), (5, "2d10"), (10, "2d10"), (11, "4d10"),
                                             (16, "4d10"), (17, "10d10"), (20, "10d10")])
def test_setback_die_by_level(level: int, dice: str) -> None:
    assert improvised_damage_dice(level) == dice


def test_damage_is_the_smaller_of_the_proposal_and_the_roll() -> None:
    c = pc(3)
    change = bounded_hp_change(c, -999, random.Random(7))
    assert change.applied == -change.roll.total and 1 <= change.roll.total <= 10
    assert change.character.hp == c.max_hp - change.roll.total
    small = bounded_hp_change(c, -1, random.Random(7))
    assert small.applied == -1 and small.character.hp == c.max_hp - 1


def test_damage_to_zero_knocks_out_and_healing_wakes() -> None:
    c = pc(1, hp=1)
    down = bounded_hp_change(c, -50, random.Random(1))
    assert down.character.hp == 0 and down.applied == -1
    assert "Unconscious" in down.character.conditions
    again = bounded_hp_change(down.character, -50, random.Random(2))
    assert again.applied == 0 and again.character.hp == 0
    up = bounded_hp_change(down.character, 3, random.Random(3))
    assert up.character.hp == min(3, up.roll.total) and "Unconscious" not in up.character.conditions


def test_healing_never_passes_the_maximum() -> None:
    c = pc(20)
    assert bounded_hp_change(c, 999, random.Random(5)).applied == 0
    hurt = c.model_copy(update={"hp": c.max_hp - 2})
    healed = bounded_hp_change(hurt, 999, random.Random(5))
    assert healed.character.hp == c.max_hp and healed.applied == 2


@FAST
@given(level=st.integers(1, 20), hp_lost=st.integers(0, 400), amount=st.integers(-999, 999),
       seed=st.integers(0, 2**32))
def test_the_change_is_always_within_the_roll_and_the_hit_points(level: int, hp_lost: int, amount: int,
                                                                 seed: int) -> None:
    c = pc(level)
    c = c.model_copy(update={"hp": max(0, c.max_hp - hp_lost)})
    change = bounded_hp_change(c, amount, random.Random(seed))
    dice = improvised_damage_dice(level)
    assert change.roll.expression.startswith(dice)
    assert DICE_COUNT[dice] <= change.roll.total <= 10 * DICE_COUNT[dice]
    assert abs(change.applied) <= min(abs(amount), change.roll.total)
    assert 0 <= change.character.hp <= c.max_hp
    assert change.character.hp == c.hp + change.applied
    # The sign follows the proposal: damage never heals and healing never hurts.
    assert change.applied * amount >= 0
    assert (change.character.hp == 0) <= ("Unconscious" in change.character.conditions or c.hp == 0)
