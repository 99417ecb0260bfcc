"""Concentration at the local table with the real workers: Spirit Guardians hurts a fire giant at the start of each of
its turns for three rounds (not on casting), then the fire giant's blows call for the cleric's concentration saves
until one fails and the spell ends (no more harm at its next turn). The test session sets MONSTER_CONTROL=owner:
the owner plays the fire giant."""

from __future__ import annotations

import re

import pytest

from dnd.character import Character
from dnd.creation import CreationChoices, create_character
from dnd.leveling import LevelUpChoices, apply_level_up
from tests.integration.test_characters import owner, seed
from tests.integration.test_table_play import combat_row, fighter_in_fight, fresh_fight, srd, taken, turn_until  # noqa: F401
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def cleric5(name: str) -> Character:
    """Cleric 5 (Life), WIS 16, CON 6 (a -2 CON save, so concentration often fails), Spirit Guardians prepared;
    hit points raised so the fire giant can't drop it before a save fails."""
    c = create_character(CreationChoices(
        name=name, race="Human", class_name="Cleric", subclass="Life", ability_method="point_buy",
        base_scores={"STR": 14, "DEX": 14, "CON": 8, "INT": 8, "WIS": 15, "CHA": 12}, background="Acolyte",
        skills=["History", "Medicine"], languages=["Giant", "Dwarvish", "Elvish"],
        cantrips=["Sacred Flame", "Light"], spells=["Guiding Bolt"],
    )).model_copy(update={"xp": 6500})
    for level in range(2, 6):
        c, _ = apply_level_up(c, "Cleric", LevelUpChoices(asi={"DEX": 1, "CHA": 1} if level == 4 else {}))
    scores = {**c.ability_scores, "CON": 6}
    return c.model_copy(update={"spells_prepared": [*c.spells_prepared, "Spirit Guardians"], "hp": 400,
                                "max_hp": 400, "ability_scores": scores})


def test_spirit_guardians_each_turn_then_concentration_broken(srd: SystemUnderTest) -> None:  # noqa: F811
    system = srd
    fresh_fight(system)
    priest = new_player_id()
    name = f"Cyra{priest}"
    seed(system, priest, cleric5(name))
    system.command(priest, f"!initiative <@{priest}>")
    assert "Fire Giant 1" in owner(system, "!initiative add fire giant")

    def is_priest(actor: dict) -> bool:
        return actor.get("player_id") == str(priest)

    turn_until(system, is_priest)
    reply = system.command(priest, "!cast Spirit Guardians on Fire Giant 1")["content"]
    assert "takes hold around Fire Giant 1" in reply, reply
    assert fighter_in_fight(system, "Fire Giant 1")["hp"] == 162  # nothing on casting

    hp = 162
    for _ in range(3):  # three rounds: the fire giant's turn starts inside the guardians
        reply = system.command(priest, "!end_turn")["content"]
        assert "Fire Giant 1 starts a turn in **Spirit Guardians**" in reply, reply
        assert re.search(r"\*\*Fire Giant 1 WIS save\*\*: .*? vs DC 14", reply), reply  # 8 + prof 3 + WIS 3
        dealt = taken(reply, "Fire Giant 1")
        assert dealt is not None and dealt[1] == hp - dealt[0] == fighter_in_fight(system, "Fire Giant 1")["hp"], reply
        hp = dealt[1]
        owner(system, "!end_turn")

    broken = ""
    for _ in range(12):  # the fire giant clubs the cleric each turn: a CON save on every hit, until one fails
        reply = system.command(priest, "!end_turn")["content"]
        if broken:
            assert "Spirit Guardians" not in reply, reply  # the spell ended: no harm at this turn's start
            assert fighter_in_fight(system, "Fire Giant 1")["hp"] == hp
            break
        assert combat_row(system) is not None, reply
        hp = fighter_in_fight(system, "Fire Giant 1")["hp"]
        blow = owner(system, f"!attack {name}")
        if "loses concentration on **Spirit Guardians** (a failed Constitution save)" in blow:
            broken = blow
        elif taken(blow, name) is not None:
            assert "keeps concentrating on **Spirit Guardians**" in blow, blow
        owner(system, "!end_turn")
    assert broken, "no concentration save failed in twelve blows"
    assert "Combat summary" in system.command(priest, "!end_combat")["content"]
