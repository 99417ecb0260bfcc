"""Lasting spells last their SRD duration in a fight (dnd.combat.holds: counted in the caster's turns, 10 a
minute): Bless ends after ten of its cleric's turns with a line to the table, or earlier when concentration
breaks; Extended Spell doubles it; the engine's table gives each lasting spell the SRD's duration."""

from __future__ import annotations

import dataclasses

from dnd.combat import CombatState, cast
from dnd.combat.concentration import check_concentration, concentrating_on
from dnd.combat.holds import finish_turn
from dnd.data.bestiary import entry
from dnd.data.spells import SPELLS
from dnd.monsters import Combatant, MonsterBlock
from dnd.render.discord import combat_lines
from dnd.spellcasting import cast_spell, duration_rounds, spell_from_srd
from tests.srd_paths import srd_json
from tests.unit.test_class_features import hero, turn
from tests.unit.test_combat import Script, get

CLERIC = {"STR": 12, "DEX": 10, "CON": 14, "INT": 10, "WIS": 16, "CHA": 10}


def blessed(metamagic: str = "") -> CombatState:
    """Ilsa (Cleric 1) blesses herself on her turn, a bandit beside her."""
    cleric = hero("Ilsa", "Cleric", 1, CLERIC, [("Mace", 1)], spells_prepared=["Bless"])
    bandit = Combatant.from_monster(MonsterBlock.from_srd(entry("Bandit")), name="Bandit 1", id="b1")
    state = CombatState(combatants=[Combatant.from_character(cleric, id="ilsa", player_id="1"), bandit], current=0)
    _, spell = cast_spell(cleric, "Bless")
    state, _ = cast(state, "ilsa", dataclasses.replace(spell, metamagic=metamagic), ["Ilsa"], Script())
    return state


def caster_turns(state: CombatState, count: int) -> tuple[CombatState, list[str]]:
    """``count`` of Ilsa's turns end (the bandit's in between); the lines told at the last."""
    told: list[str] = []
    for _ in range(count):
        state, ended = finish_turn(turn(state, "ilsa"), "ilsa", Script())
        told = combat_lines(ended.held)
        state, _ = finish_turn(turn(state, "b1"), "b1", Script())
    return state, told


def test_bless_ends_after_ten_of_its_casters_turns_with_a_line_to_the_table() -> None:
    state = blessed()
    assert concentrating_on(state, "ilsa").rounds_left == 10
    state, told = caster_turns(state, 9)
    assert concentrating_on(state, "ilsa").spell == "Bless" and told == []
    state, told = caster_turns(state, 1)
    assert concentrating_on(state, "ilsa") is None
    assert told == ["⚡ Ilsa: **Bless** — its duration is over."]


def test_bless_ends_early_when_concentration_breaks() -> None:
    state, _ = caster_turns(blessed(), 3)
    hurt = state.model_copy(update={"combatants": [get(state, "Ilsa").model_copy(update={"hp": 1}),
                                                   get(state, "Bandit 1")]})
    broken, told = check_concentration(hurt, "ilsa", 12, Script(2))  # 2 + 2 against DC 10: lost
    assert concentrating_on(broken, "ilsa") is None and broken.ongoing == []
    assert any("Bless" in line for line in combat_lines(told))
    later, told = caster_turns(broken, 7)
    assert told == []  # no second ending: the spell is gone


def test_extended_spell_doubles_blesss_minute() -> None:
    state = blessed("Extended Spell")
    assert concentrating_on(state, "ilsa").rounds_left == 20
    state, _ = caster_turns(state, 10)
    assert concentrating_on(state, "ilsa").spell == "Bless"
    state, told = caster_turns(state, 10)
    assert concentrating_on(state, "ilsa") is None and "its duration is over" in " ".join(told)


def test_durations_in_rounds() -> None:
    assert [duration_rounds(d) for d in ("1 minute", "Up to 10 minutes", "1 hour", "8 hours", "Instantaneous",
                                         "Until dispelled", "1 round", "")] == [10, 100, 600, 4800, None, None,
                                                                                 None, None]
    assert spell_from_srd({"name": "Hold Monster", "level": 5, "duration": "Up to 1 minute"}).duration == "1 minute"


def test_the_engines_lasting_spells_have_the_srds_durations() -> None:
    srd = {s["name"].casefold(): s for s in srd_json("Spells")}
    checked = 0
    for name, info in SPELLS.items():
        if not info.concentration and name != "Blindness/Deafness":  # the spells a fight keeps going
            continue
        assert info.duration == srd[name.casefold()]["duration"].removeprefix("Up to "), name
        checked += 1
    assert checked > 50
