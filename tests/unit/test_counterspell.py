"""Counterspell both ways (dnd.combat.counterspell): a monster's spell waits on the characters who could counter
it; a monster the DM plays counters a character's spell; Subtle Spell can't be countered."""

from __future__ import annotations

import dataclasses
import random

import pytest

from dnd.combat import CombatState, add_monsters, roll_initiative
from dnd.combat.counterspell import (
    can_counter,
    could_counter,
    counter,
    counterspellers,
    hold_spell,
    monster_counters,
    settle,
    spell_waits,
)
from dnd.combat.reactions import let_pass, who_may_react
from dnd.combat.state import replace_combatant
from dnd.data.bestiary import entry
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock, MonsterSpell, MonsterSpellcasting
from dnd.render.discord import combat_lines
from dnd.render.facts import combat_text
from dnd.spellcasting import cast_spell
from tests.unit.test_combat import Script, aria, get, pc

WIZARD = {"STR": 8, "DEX": 14, "CON": 12, "INT": 16, "WIS": 10, "CHA": 10}


def wren(**changes: object) -> Combatant:
    """Wizard 5 (INT +3), Counterspell prepared, two 3rd-level slots."""
    character = pc("Wren", "Wizard", WIZARD, [], level=5)
    spells = ["Counterspell", "Magic Missile", "Fireball"]
    character = character.model_copy(update={"spells_known": spells, "spells_prepared": spells, **changes})
    return Combatant.from_character(character)


def fight(monster: str = "Priest", *, wizard: Combatant | None = None) -> tuple[CombatState, str]:
    """Aria and Wren against one built-in creature, the creature's turn; its id."""
    state, _ = roll_initiative([Combatant.from_character(aria()), wizard or wren()], Script(15, 10))
    state, _ = add_monsters(state, MonsterBlock.from_srd(entry(monster)), 1, Script(2))
    foe = next(c for c in state.combatants if c.kind == "monster")
    return state.model_copy(update={"current": state.combatants.index(foe)}), foe.id


def given_spells(state: CombatState, monster_id: str, slots: dict[int, int], *names: tuple[str, int],
                 ability: str = "INT") -> CombatState:
    monster = next(c for c in state.combatants if c.id == monster_id)
    casting = MonsterSpellcasting(caster_level=9, ability=ability, dc=14, attack_bonus=6, slots=slots,
                                  spells=[MonsterSpell(name=n, level=lvl) for n, lvl in names])
    return replace_combatant(state, monster.model_copy(update={
        "monster": monster.monster.model_copy(update={"spellcasting": casting})}))


def text(result: object) -> str:
    return "\n".join(combat_lines(result.told))  # type: ignore[attr-defined]


def test_a_monsters_spell_waits_on_the_wizard_who_could_counter_it_and_fails_when_countered() -> None:
    state, priest = fight()
    assert [c.name for c in could_counter(state, get(state, "Priest 1"))] == ["Wren"]
    state, begun = hold_spell(state, priest, "Guiding Bolt", ["aria"])
    assert get(state, "Priest 1").used == {"slot:1": 1}  # the slot is spent as it begins
    assert spell_waits(state) and [c.name for c in who_may_react(state)] == ["Wren"]
    assert "Priest 1 begins casting **Guiding Bolt** (1st level) at Aria — **Wren** may counter it" in text(begun)
    assert combat_text(begun) == "Priest 1 begins to cast Guiding Bolt at Aria, and Wren could still stop it."
    paid, cast_with = cast_spell(get(state, "Wren").character, "Counterspell")
    state, result = counter(state, "wren", cast_with, Script())  # 1st level against a 3rd-level slot: no roll
    assert "Wren's 3rd-level Counterspell: Priest 1's **Guiding Bolt** fails" in text(result)
    assert combat_text(result) == "Wren counters Priest 1's Guiding Bolt: the spell fails."  # the narrator's
    assert get(state, "Wren").economy.reaction == "Counterspell" and not spell_waits(state)
    state, effect = settle(state, Script())
    assert effect is None and state.pending_spell is None
    assert get(state, "Aria").hp == get(state, "Aria").max_hp and get(state, "Priest 1").used == {"slot:1": 1}
    assert paid.spell_slots[3] == 1


def test_a_spell_above_the_slot_needs_the_check_and_goes_on_when_it_is_missed() -> None:
    state, mage = fight("Bandit")
    state = given_spells(state, mage, {4: 1}, ("Ice Storm", 4))
    state, _ = hold_spell(state, mage, "Ice Storm", ["aria", "wren"])
    _, cast_with = cast_spell(get(state, "Wren").character, "Counterspell")
    won, _ = counter(state, "wren", cast_with, Script(11))  # 11 + 3 = 14 against DC 10 + 4
    assert won.pending_spell is not None and won.pending_spell.countered
    state, result = counter(state, "wren", cast_with, Script(10))  # 13: the spell goes on
    assert "misses its DC 14 check: Bandit 1's **Ice Storm** goes on" in text(result)
    assert not spell_waits(state) and not state.pending_spell.countered
    state, effect = settle(state, random.Random(3))
    assert effect is not None and effect.spell == "Ice Storm" and set(effect.targets) == {"Aria", "Wren"}
    assert get(state, "Aria").hp < get(state, "Aria").max_hp and state.pending_spell is None


def test_the_spell_goes_on_when_the_wizard_lets_it_pass() -> None:
    state, priest = fight()
    state, _ = hold_spell(state, priest, "Guiding Bolt", ["aria"])
    state, _ = let_pass(state, "wren")
    assert not spell_waits(state) and counterspellers(state) == []
    state, effect = settle(state, random.Random(5))
    assert effect is not None and effect.kind == "attack" and effect.targets == ["Aria"]


def test_no_one_holds_the_spell_up_without_a_reaction_a_slot_or_the_spell() -> None:
    for wizard in (wren(spell_slots={1: 4, 2: 3, 3: 0}), wren(spells_prepared=["Magic Missile"])):
        state, _ = fight(wizard=wizard)
        assert not can_counter(get(state, "Wren")) and could_counter(state, get(state, "Priest 1")) == []
    state, _ = fight()
    spent = get(state, "Wren").model_copy(update={"economy": get(state, "Wren").economy.model_copy(
        update={"reaction": "Shield"})})
    assert could_counter(replace_combatant(state, spent), get(state, "Priest 1")) == []


def test_counterspell_with_nothing_being_cast_is_refused_and_changes_nothing() -> None:
    state, _ = fight()
    _, cast_with = cast_spell(get(state, "Wren").character, "Counterspell")
    with pytest.raises(RulesError, match="no spell is being cast that Wren could counter"):
        counter(state, "wren", cast_with, Script())
    assert get(state, "Wren").economy.reaction is None


def test_a_monster_counters_a_characters_spell_but_never_a_cantrip_or_a_subtle_one() -> None:
    state, mage = fight("Bandit", wizard=wren(cantrips=["Fire Bolt"]))
    state = given_spells(state, mage, {3: 2}, ("Counterspell", 3))
    state = state.model_copy(update={"current": 1})  # Wren's turn
    character = get(state, "Wren").character
    _, missile = cast_spell(character, "Magic Missile")
    after, answer, countered = monster_counters(state, "wren", missile, Script())  # 1st against 3rd: no roll
    assert countered and answer is not None and "Bandit 1's 3rd-level Counterspell" in text(answer)
    assert get(after, "Bandit 1").used == {"slot:3": 1} and get(after, "Bandit 1").economy.reaction == "Counterspell"
    _, bolt = cast_spell(character, "Fire Bolt")
    assert monster_counters(state, "wren", bolt, Script()) == (state, None, False)  # not worth a slot
    subtle = dataclasses.replace(missile, metamagic="Subtle Spell")  # no components: not seen being cast
    assert monster_counters(state, "wren", subtle, Script()) == (state, None, False)
    # a 5th-level Magic Missile against its 3rd-level slots: the check, DC 15, with its INT (Bandit 10: +0)
    _, upcast = cast_spell(character, "Magic Missile", slot_level=3)
    high = dataclasses.replace(upcast, slot_level=5)
    missed, answer, countered = monster_counters(state, "wren", high, Script(14))
    assert not countered and answer is not None and "misses its DC 15 check" in text(answer)
    assert get(missed, "Bandit 1").economy.reaction == "Counterspell"  # the reaction is spent all the same
    busy = replace_combatant(state, get(state, "Bandit 1").model_copy(update={"conditions": ["Stunned"]}))
    assert monster_counters(busy, "wren", missile, Script())[1] is None
    assert monster_counters(state, "wren", missile, Script(), plays=lambda monster: False)[1] is None


# --------------------------------------------------------------------------------------------- Careful Spell


def test_careful_spell_spares_the_allies_caught_and_is_refused_when_none_is() -> None:
    from dnd.combat import cast
    from dnd.metamagic import apply_metamagic
    from tests.unit.test_sorcerer_warlock_choices import points, sorcerer

    sira = sorcerer(3, "Careful Spell, Subtle Spell")  # CHA +3: up to three allies
    state, _ = roll_initiative([Combatant.from_character(sira), Combatant.from_character(aria())], Script(18, 2))
    state, _ = add_monsters(state, MonsterBlock.from_srd(entry("Goblin")), 1, Script(1))
    spent, careful = apply_metamagic(*cast_spell(sira, "Burning Hands"), "careful")
    assert points(spent) == 2
    after, effect = cast(state, "sira", careful, ["Goblin 1", "Aria"], Script(3, 3, 3, 2))  # 9 fire; goblin: 2
    spared = next(o for o in effect.save.outcomes if o.target == "Aria")
    assert spared.success and spared.roll is None and spared.mode == "auto_success" and spared.damage == 4
    assert "Aria succeeds on the DEX save (Careful Spell)" in text(effect)
    goblin = next(o for o in effect.save.outcomes if o.target == "Goblin 1")
    assert goblin.roll is not None and not goblin.success
    with pytest.raises(RulesError, match="none of its targets is one"):
        cast(state, "sira", careful, ["Goblin 1"], Script(3, 3, 3, 2))
    with pytest.raises(RulesError, match="Careful Spell works on a spell with a saving throw"):
        apply_metamagic(*cast_spell(sira, "Magic Missile"), "careful")
    assert get(after, "Aria").hp == get(after, "Aria").max_hp - 4
