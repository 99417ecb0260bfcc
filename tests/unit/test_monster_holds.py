"""A spellcasting monster holds the hero whose lost turns are worth most (dnd.tactics.best_hold): the Cult
Fanatic's Hold Person at a weak-willed fighter, paid with a slot; never at one already held, nor while it
concentrates on a hold; the held hero can't attack and repeats the save at the end of its turns; Command costs its
target the next turn. Built-in bestiary, no SRD data needed."""

from __future__ import annotations

import random

import pytest

from dnd.combat import CombatState, attack, cast
from dnd.combat.concentration import concentrating_on
from dnd.combat.holds import finish_turn
from dnd.combat.state import OngoingSpell
from dnd.data.bestiary import entry
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock
from dnd.render.facts import combat_text
from dnd.spellcasting import cast_spell
from dnd.tactics import best_hold, legal_actions, plan_turn, resolve
from tests.unit.test_class_features import hero, turn
from tests.unit.test_combat import Script, get

WEAK_WILLED = {"STR": 16, "DEX": 12, "CON": 14, "INT": 10, "WIS": 8, "CHA": 10}  # WIS save -1
STRONG_WILLED = {"STR": 10, "DEX": 10, "CON": 14, "INT": 10, "WIS": 18, "CHA": 12}


def fanatic_vs(*heroes: Combatant) -> tuple[CombatState, str]:
    """The heroes, then a Cult Fanatic (Hold Person, Command; WIS DC 11) whose turn it is."""
    fanatic = Combatant.from_monster(MonsterBlock.from_srd(entry("Cult Fanatic")), name="Cult Fanatic 1", id="cf")
    return CombatState(combatants=[*heroes, fanatic], current=len(heroes)), "cf"


def kara(scores: dict[str, int] = WEAK_WILLED) -> Combatant:
    """Fighter 5 (Extra Attack), a greatsword: about 13 damage a turn."""
    sheet = hero("Kara", "Fighter", 5, scores, [("Greatsword", 1), ("Chain Mail", 1)], ("Chain Mail", "Greatsword"))
    return Combatant.from_character(sheet.model_copy(update={"max_hp": 90, "hp": 90}), id="kara", player_id="1")


def test_a_cult_fanatic_holds_a_weak_willed_fighter_with_a_slot_and_she_cant_attack_until_she_saves() -> None:
    state, cf = fanatic_vs(kara())
    plan = plan_turn(state, cf, random.Random(1))
    assert (plan.kind, plan.action, plan.target_ids) == ("spell", "Hold Person", ("kara",)), plan
    assert plan.id == "spell:Hold Person:kara" and plan.id in {p.id for p in legal_actions(state, cf)}
    state, result = resolve(state, plan, Script(5))  # 5 - 1 = 4 against DC 11: held
    assert "Paralyzed" in get(state, "Kara").conditions, combat_text(result)
    assert get(state, "Cult Fanatic 1").used == {"slot:2": 1}
    held = concentrating_on(state, cf)
    assert held is not None and held.spell == "Hold Person" and held.targets == ["kara"] and held.rounds_left == 10
    state = turn(state, "kara")
    with pytest.raises(RulesError, match="can't take actions"):
        attack(state, "kara", "Cult Fanatic 1", "Greatsword", Script(15, 4, 4))
    state, ended = finish_turn(state, "kara", Script(6))  # 5: still held
    assert "Paralyzed" in get(state, "Kara").conditions and "WIS" in repr(ended.held)
    again = plan_turn(turn(state, cf), cf, random.Random(1))  # she is held: no second Hold Person
    assert again.action != "Hold Person" and "spell:Hold Person:kara" not in {p.id for p in legal_actions(state, cf)}
    state = turn(state, "kara")
    state, _ = finish_turn(state, "kara", Script(15))  # 14 against DC 11: free
    assert "Paralyzed" not in get(state, "Kara").conditions


def test_no_hold_while_it_concentrates_on_one_nor_at_a_strong_willed_hero() -> None:
    state, cf = fanatic_vs(kara())
    holding = OngoingSpell(caster_id=cf, spell="Hold Person", targets=["someone"], conditions=["Paralyzed"])
    busy = state.model_copy(update={"ongoing": [holding]})
    assert plan_turn(busy, cf, random.Random(1)).action not in ("Hold Person",)
    resisted = state.model_copy(update={"ongoing": [holding.model_copy(update={"targets": []})]})
    assert plan_turn(resisted, cf, random.Random(1)).action == "Hold Person"  # its hold took no one: cast again
    wise, cf = fanatic_vs(kara(STRONG_WILLED))  # WIS save +4: fails DC 11 only a third of the time
    assert best_hold(wise, get(wise, "Cult Fanatic 1")) is None
    assert plan_turn(wise, cf, random.Random(1)).action != "Hold Person"


def test_a_cult_fanatic_that_can_only_hold_with_command_costs_the_fighter_her_next_turn() -> None:
    state, cf = fanatic_vs(kara())
    fanatic = get(state, "Cult Fanatic 1")
    state = state.model_copy(update={"combatants": [get(state, "Kara"), fanatic.model_copy(update={
        "used": {"slot:1": 3, "slot:2": 3}})]})  # one 1st-level slot left: Command or Inflict Wounds
    plan = plan_turn(state, cf, random.Random(1))
    assert (plan.action, plan.target_ids) == ("Inflict Wounds", ("kara",))  # 10.7 damage beats a turn of 7
    state, result = cast_command(state, cf, Script(3))
    assert get(state, "Kara").skip_next and "Kara will skip their next turn." in result
    assert get(state, "Cult Fanatic 1").used == {"slot:1": 4, "slot:2": 3}
    assert best_hold(state, get(state, "Cult Fanatic 1")) is None  # commanded already, and no slot left


def cast_command(state: CombatState, caster_id: str, rng: Script) -> tuple[CombatState, str]:
    from dnd.combat.spells import cast_monster_spell
    from dnd.render.discord import combat_lines

    state, result = cast_monster_spell(state, caster_id, "Command", ["Kara"], rng)
    return state, "\n".join(combat_lines(result.told))


def test_command_cast_by_a_cleric_costs_a_goblin_its_turn_but_not_a_zombie() -> None:
    cleric = hero("Ilsa", "Cleric", 1, STRONG_WILLED, [("Mace", 1)], spells_prepared=["Command"])
    ilsa = Combatant.from_character(cleric, id="ilsa", player_id="1")
    goblin = Combatant.from_monster(MonsterBlock.from_srd(entry("Goblin")), name="Goblin 1", id="g1")
    zombie = Combatant.from_monster(MonsterBlock.from_srd(entry("Zombie")), name="Zombie 1", id="z1")
    state = CombatState(combatants=[ilsa, goblin, zombie], current=0)
    _, spell = cast_spell(cleric, "Command")
    commanded, _ = cast(state, "ilsa", spell, ["Goblin 1"], Script(2))
    assert get(commanded, "Goblin 1").skip_next
    state, told = finish_turn(commanded, "ilsa")
    assert told.skipped == ["Goblin 1"] and get(state, "Zombie 1").id == state.combatants[state.current].id
    undead, result = cast(commanded, "ilsa", spell, ["Zombie 1"], Script(2))
    assert not get(undead, "Zombie 1").skip_next and "immune to being commanded" in combat_text(result)
