"""Spells that hold creatures in conditions (dnd.combat.holds): Hold Person paralyzes who fails, the held repeat
the save at the end of their turns, the DM plays no action for a creature that can't act, and the spell frees
them when the caster's concentration ends or its minute runs out. Built-in bestiary, no SRD data needed."""

from __future__ import annotations

import random

from dnd.combat import CombatState, cast
from dnd.combat.concentration import concentrating_on, end_concentration
from dnd.combat.holds import finish_turn
from dnd.data.bestiary import entry
from dnd.monsters import Combatant, MonsterBlock
from dnd.spellcasting import cast_spell
from dnd.tactics import legal_actions, plan_turn
from tests.unit.test_class_features import WIZARD, hero, turn
from tests.unit.test_combat import Script, get


def held_bandit(save_face: int) -> tuple[CombatState, str]:
    """Wyn (Wizard 3, DC 13) casts Hold Person at a bandit (WIS +0) whose save rolls ``save_face``."""
    wyn = hero("Wyn", "Wizard", 3, WIZARD, [("Dagger", 1)], spells_known=["Hold Person"],
               spells_prepared=["Hold Person"])
    bandit = Combatant.from_monster(MonsterBlock.from_srd(entry("Bandit")), name="Bandit 1", id="b1")
    state = CombatState(combatants=[Combatant.from_character(wyn, id="wyn", player_id="1"), bandit], current=0)
    _, spell = cast_spell(wyn, "Hold Person")
    state, result = cast(state, "wyn", spell, ["Bandit 1"], Script(save_face))
    return state, result.text


def test_hold_person_paralyzes_a_creature_that_fails_and_the_dm_plays_no_action_for_it() -> None:
    state, text = held_bandit(4)
    assert "Paralyzed" in get(state, "Bandit 1").conditions, text
    held = concentrating_on(state, "wyn")
    assert held is not None and held.targets == ["b1"] and held.repeat_save and held.rounds_left == 10
    state = turn(state, "b1")
    assert plan_turn(state, "b1", random.Random(1)).kind == "wait"
    assert [p.id for p in legal_actions(state, "b1")] == ["wait"]
    resisted, _ = held_bandit(18)
    assert "Paralyzed" not in get(resisted, "Bandit 1").conditions


def test_the_held_repeat_the_save_at_the_end_of_their_turns_and_a_success_frees_them() -> None:
    state, _ = held_bandit(4)
    state = turn(state, "b1")
    state, ended = finish_turn(state, "b1", Script(5))  # fails again: still held
    assert "Paralyzed" in get(state, "Bandit 1").conditions and "WIS" in " ".join(str(x) for x in ended.held)
    state = turn(state, "b1")
    state, _ = finish_turn(state, "b1", Script(15))  # 15 vs DC 13: free
    assert "Paralyzed" not in get(state, "Bandit 1").conditions
    assert concentrating_on(state, "wyn").targets == []  # still concentrating, on no one


def test_the_spell_ends_with_concentration_or_when_its_minute_is_over() -> None:
    state, _ = held_bandit(4)
    broken, told = end_concentration(state, "wyn", "failed save")
    assert "Paralyzed" not in get(broken, "Bandit 1").conditions and concentrating_on(broken, "wyn") is None
    for _ in range(9):  # ten of Wyn's turns: a minute
        state, _ = finish_turn(turn(state, "wyn"), "wyn", Script())
        assert "Paralyzed" in get(state, "Bandit 1").conditions
        state = turn(state, "b1")
        state, _ = finish_turn(state, "b1", Script(1))  # it keeps failing its saves
    state, last = finish_turn(turn(state, "wyn"), "wyn", Script())
    assert "Paralyzed" not in get(state, "Bandit 1").conditions and concentrating_on(state, "wyn") is None
    assert "its duration is over" in repr(last.held)


def test_an_extended_hold_person_lasts_twice_its_minute() -> None:
    import dataclasses

    wyn = hero("Wyn", "Wizard", 3, WIZARD, [("Dagger", 1)], spells_known=["Hold Person"],
               spells_prepared=["Hold Person"])
    bandit = Combatant.from_monster(MonsterBlock.from_srd(entry("Bandit")), name="Bandit 1", id="b1")
    state = CombatState(combatants=[Combatant.from_character(wyn, id="wyn", player_id="1"), bandit], current=0)
    _, spell = cast_spell(wyn, "Hold Person")
    state, _ = cast(state, "wyn", dataclasses.replace(spell, metamagic="Extended Spell"), ["Bandit 1"], Script(4))
    assert concentrating_on(state, "wyn").rounds_left == 20


def test_hold_person_holds_only_a_humanoid_and_hold_monster_no_undead() -> None:
    import pytest

    from dnd.combat.holds import unaffected
    from dnd.errors import RulesError
    from tests.unit.test_monster_holds import fanatic_vs, kara

    wyn = hero("Wyn", "Wizard", 9, WIZARD, [("Dagger", 1)], spells_known=["Hold Person"],
               spells_prepared=["Hold Person"])
    ogre = Combatant.from_monster(MonsterBlock.from_srd(entry("Ogre")), name="Ogre 1", id="o1")
    zombie = Combatant.from_monster(MonsterBlock.from_srd(entry("Zombie")), name="Zombie 1", id="z1")
    bandit = Combatant.from_monster(MonsterBlock.from_srd(entry("Bandit")), name="Bandit 1", id="b1")
    state = CombatState(combatants=[Combatant.from_character(wyn, id="wyn", player_id="1"), ogre, bandit],
                        current=0)
    _, person = cast_spell(wyn, "Hold Person")
    with pytest.raises(RulesError, match="Hold Person holds a humanoid, and Ogre 1 is a giant"):
        cast(state, "wyn", person, ["Ogre 1"], Script(4))
    held, _ = cast(state, "wyn", person, ["Bandit 1"], Script(2))
    assert "Paralyzed" in get(held, "Bandit 1").conditions
    assert unaffected("Hold Monster", zombie) == ("Hold Monster has no effect on an undead: Zombie 1 can't be held "
                                                  "by it.")
    assert unaffected("Hold Monster", ogre) is None
    # a druid in a wolf's shape is a beast: the cult fanatic doesn't try Hold Person on her
    shaped = kara().model_copy(update={"monster": MonsterBlock.from_srd(entry("Wolf"))})
    assert shaped.creature_type == "beast" and unaffected("Hold Person", shaped) is not None
    state, cf = fanatic_vs(shaped)
    assert plan_turn(state, cf, random.Random(1)).action != "Hold Person"
    assert not any(p.id.startswith("spell:Hold Person") for p in legal_actions(state, cf))
    assert unaffected("Hold Person", kara()) is None
