"""Concentration and zone spells in a fight: one concentration spell at a time (a new one ends the old, and says
so), a CON save when the caster takes damage (DC 10 or half the damage), lost at 0 HP; Spirit Guardians acts on a
creature at the start of each of its turns, not on casting."""

from __future__ import annotations

import random

from dnd.combat import add_monsters, roll_initiative
from dnd.combat.concentration import check_concentration, concentrating_on
from dnd.combat.lines import ConcentrationEnds, ConcentrationHeld, ZoneTakesHold
from dnd.combat.spells import cast, zone_ticks
from dnd.combat.state import CombatState, replace_combatant
from dnd.monsters import Combatant
from dnd.render.discord import combat_lines
from dnd.spellcasting import cast_spell
from tests.unit.test_combat import Script, block, get, pc

WISE = {"STR": 10, "DEX": 10, "CON": 14, "INT": 10, "WIS": 16, "CHA": 10}


def fight() -> tuple[CombatState, str]:
    cleric = pc("Cyra", "Cleric", WISE, [], level=5)
    state, _ = roll_initiative([Combatant.from_character(cleric)], Script(20))
    state, _ = add_monsters(state, block("ogre"), 1, Script(1))  # 59 HP: survives three rounds of 3d8
    return state, cleric.name


def on_turn(state: CombatState, name: str, round_: int) -> CombatState:
    index = next(i for i, c in enumerate(state.combatants) if c.name == name)
    return state.model_copy(update={"current": index, "round": round_})


def test_spirit_guardians_hurts_at_the_start_of_each_turn_not_on_casting() -> None:
    state, cyra = fight()
    caster = get(state, cyra)
    _, spell = cast_spell(caster.character, "Spirit Guardians", check_known=False)  # type: ignore[arg-type]
    state, result = cast(state, caster.id, spell, ["Ogre 1"], random.Random(1))
    assert get(state, "Ogre 1").hp == 59 and "takes hold around Ogre 1" in result.text
    assert concentrating_on(state, caster.id).spell == "Spirit Guardians"
    hp = 59
    for round_ in (1, 2, 3):
        state = on_turn(state, "Ogre 1", round_)
        state, told = zone_ticks(state, random.Random(round_))
        assert any(isinstance(line, ZoneTakesHold) for line in told)
        assert get(state, "Ogre 1").hp < hp, combat_lines(told)  # 3d8 radiant: full, or half on a WIS save
        hp = get(state, "Ogre 1").hp
        again, twice = zone_ticks(state, random.Random(9))
        assert twice == [] and get(again, "Ogre 1").hp == hp  # once a turn
    state = on_turn(state, cyra, 3)
    assert zone_ticks(state, random.Random(1))[1] == []  # the caster isn't hurt by its own guardians


def test_a_new_concentration_spell_ends_the_old_one() -> None:
    state, cyra = fight()
    caster = get(state, cyra)
    _, guardians = cast_spell(caster.character, "Spirit Guardians", check_known=False)  # type: ignore[arg-type]
    state, _ = cast(state, caster.id, guardians, ["Ogre 1"], random.Random(1))
    state = state.model_copy(update={"combatants": [c.model_copy(update={"action_this_turn": None})
                                                    for c in state.combatants]})
    _, bane = cast_spell(caster.character, "Bane", check_known=False)  # type: ignore[arg-type]
    state, result = cast(state, caster.id, bane, ["Ogre 1"], random.Random(2))
    assert ConcentrationEnds(cyra, "Spirit Guardians", "new spell") in result.told
    assert "loses concentration on **Spirit Guardians**" in result.text
    assert [o.spell for o in state.ongoing] == ["Bane"]


def test_damage_calls_for_a_con_save_and_zero_hp_ends_concentration() -> None:
    state, cyra = fight()
    caster = get(state, cyra)
    _, guardians = cast_spell(caster.character, "Spirit Guardians", check_known=False)  # type: ignore[arg-type]
    state, _ = cast(state, caster.id, guardians, ["Ogre 1"], random.Random(1))
    bonus = caster.saving_throw_bonus("CON")
    # 30 damage: DC 15; a 2 on the die fails, a 19 holds.
    failed, told = check_concentration(state, caster.id, 30, Script(2))
    assert concentrating_on(failed, caster.id) is None and ConcentrationEnds(cyra, "Spirit Guardians",
                                                                             "failed save") in told
    held, told = check_concentration(state, caster.id, 30, Script(19))
    assert concentrating_on(held, caster.id) is not None and isinstance(told[0], ConcentrationHeld)
    assert told[0].dc == 15 and told[0].roll.total == 19 + bonus
    low, told = check_concentration(state, caster.id, 4, Script(15 - bonus - 6))  # DC 10 for small damage
    assert concentrating_on(low, caster.id) is None
    down = replace_combatant(state, get(state, cyra).model_copy(update={"hp": 0}))
    gone, told = check_concentration(down, caster.id, 12, Script())
    assert concentrating_on(gone, caster.id) is None and told == [ConcentrationEnds(cyra, "Spirit Guardians", "down")]
