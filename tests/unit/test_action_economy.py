"""The action economy of a character's turn (dnd.combat.economy): one action, one attack per Attack action
unless Extra Attack gives more, and a fresh action when the character's next turn starts."""

from __future__ import annotations

import pytest

from dnd.combat import end_turn
from dnd.combat.economy import attacks_per_action, take_action
from dnd.errors import RulesError
from tests.unit.test_combat import aria, get, party_vs
from tests.unit.test_tactics import turn_of


def test_extra_attack_gives_more_attacks_per_action() -> None:
    fighter = aria()
    assert attacks_per_action(fighter) == 1  # a 3rd-level Fighter
    for features, attacks in [(["Extra Attack"], 2), (["Extra Attack", "Extra Attack (2)"], 3),
                              (["Extra Attack", "Extra Attack (2)", "Extra Attack (3)"], 4)]:
        assert attacks_per_action(fighter.model_copy(update={"features": features})) == attacks


def test_one_attack_then_the_action_is_spent_until_the_next_turn() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)  # Aria, Goblin 1, Bram
    state = take_action(state, "aria", "attack")
    with pytest.raises(RulesError, match="Aria has made its attack this turn"):
        take_action(state, "aria", "attack")
    with pytest.raises(RulesError, match=r"already used this turn's action \(the Attack action\)"):
        take_action(state, "aria", "cast")
    with pytest.raises(RulesError, match="not"):  # not Bram's turn
        take_action(state, "bram", "attack")
    for _ in range(3):  # around the table and back to Aria: a fresh action
        state, _ = end_turn(state)
    assert get(state, "Aria").action_this_turn is None
    assert get(take_action(state, "aria", "cast"), "Aria").action_this_turn == "cast"


def test_a_spell_or_a_potion_is_the_whole_action() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    cast = take_action(state, "aria", "cast")
    for kind in ("attack", "cast", "item"):
        with pytest.raises(RulesError, match=r"casting a spell"):
            take_action(cast, "aria", kind)  # type: ignore[arg-type]
    drank = take_action(state, "aria", "item")
    with pytest.raises(RulesError, match="using an item"):
        take_action(drank, "aria", "attack")


def test_extra_attack_allows_two_attacks_and_monsters_are_not_counted() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    fifth = get(state, "Aria").model_copy(update={"character": aria().model_copy(
        update={"features": ["Extra Attack"]})})
    from dnd.combat.state import replace_combatant

    state = replace_combatant(state, fifth)
    state = take_action(take_action(state, "aria", "attack"), "aria", "attack")
    with pytest.raises(RulesError, match="all 2 attacks of its Attack action"):
        take_action(state, "aria", "attack")
    goblin_turn = turn_of(state, "Goblin 1")
    assert take_action(goblin_turn, "goblin-1", "attack") == goblin_turn
