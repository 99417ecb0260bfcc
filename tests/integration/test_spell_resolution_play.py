"""Spells beyond one roll at the local table with the real workers: Scorching Ray split over two goblins posts
three attack rolls (never more names than rays: refused, nothing changed), and Aid and Prayer of Healing outside
a fight change two party members' rows (more targets than Aid allows: refused, every row as it was)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from db import combat as combats
from dnd.character import Character
from dnd.combat.state import replace_combatant
from dnd.leveling import LevelUpChoices, apply_level_up
from tests.integration.test_characters import fighter, owner, seed, sheet, state
from tests.integration.test_spell_life import cleric
from tests.integration.test_table_play import (  # noqa: F401  (srd: the fixture)
    combat_snapshot,
    fighter_in_fight,
    fresh_fight,
    srd,
    turn_until,
    wizard_with,
)
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def leveled(character: Character, class_name: str, level: int, **choices: str) -> Character:
    character = character.model_copy(update={"xp": 900})  # enough for 3rd level
    for _ in range(character.level, level):
        character, _ = apply_level_up(character, class_name, LevelUpChoices(**choices))  # type: ignore[arg-type]
        choices = {}
    return character


def toughen(system: SystemUnderTest, name: str, hp: int) -> None:
    """Test set-up: the stored fight's `name` gets `hp` hit points, so no single ray can drop it."""
    with Session(system.db) as session, session.begin():
        row = combats.active_for_update(session, system.channel_id)
        assert row is not None
        fight = combats.from_row(row)
        monster = next(c for c in fight.combatants if c.name == name)
        combats.store(session, row, replace_combatant(fight, monster.model_copy(update={"hp": hp, "max_hp": hp})))


def slots(system: SystemUnderTest, player: int, level: int) -> int:
    return int(sheet(system, player)["spell_slots"][str(level)])


def damage_lines(reply: str, name: str) -> list[tuple[int, int]]:
    """Every "<name> takes **N** damage (X/M HP)" in the reply: (damage, hit points after)."""
    return [(int(d), int(h)) for d, h in re.findall(rf"{re.escape(name)} takes \*\*(\d+)\*\* damage \((\d+)/\d+ HP\)",
                                                   reply)]


def test_scorching_ray_split_over_two_goblins_posts_three_attack_rolls(srd: SystemUnderTest) -> None:  # noqa: F811
    system = srd
    fresh_fight(system)
    mage = new_player_id()
    wizard = leveled(wizard_with(f"Ryn{mage}"), "Wizard", 3, subclass="Evocation")
    seed(system, mage, wizard.model_copy(update={"spells_known": [*wizard.spells_known, "Scorching Ray"],
                                                 "spells_prepared": [*wizard.spells_prepared, "Scorching Ray"]}))
    system.command(mage, f"!initiative <@{mage}>")
    assert "Goblin 2" in owner(system, "!initiative add goblin 2")
    for goblin in ("Goblin 1", "Goblin 2"):
        toughen(system, goblin, 40)
    turn_until(system, lambda actor: actor.get("player_id") == str(mage))
    assert slots(system, mage, 2) == 2

    for text, expected in (("!cast Scorching Ray at Goblin 1, Goblin 1, Goblin 2, Goblin 2",
                            "makes 3 rays here: name at most 3 targets (4 given)"),
                           ("!cast Scorching Ray at Goblin 1, Goblin 2", "or one for each ray"),
                           ("!cast Scorching Ray at Goblin 1, Goblin 1, dragon", "There is no 'dragon'")):
        before, fight = state(system, mage), combat_snapshot(system)
        reply = system.command(mage, text)["content"]
        assert expected in reply, reply
        assert state(system, mage) == before and combat_snapshot(system) == fight  # no slot, no ray, no action

    reply = system.command(mage, "!cast Scorching Ray at Goblin 1, goblin 1, Goblin 2")["content"]
    assert reply.count("Scorching Ray attack on Goblin 1") == 2, reply
    assert reply.count("Scorching Ray attack on Goblin 2") == 1, reply
    assert "**Scorching Ray**: 3 rays at Goblin 1 ×2, Goblin 2." in reply, reply
    for goblin in ("Goblin 1", "Goblin 2"):
        dealt = damage_lines(reply, goblin)
        hp = fighter_in_fight(system, goblin)["hp"]
        assert hp == 40 - sum(d for d, _ in dealt) == (dealt[-1][1] if dealt else 40), reply
    assert slots(system, mage, 2) == 1  # one slot for all three rays
    owner(system, "!end_combat")


def test_aid_and_prayer_of_healing_change_two_party_rows_outside_a_fight(srd: SystemUnderTest) -> None:  # noqa: F811
    system = srd
    fresh_fight(system)
    priest, first, second, stranger = new_player_id(), new_player_id(), new_player_id(), new_player_id()
    healer = leveled(cleric(f"Oda{priest}"), "Cleric", 3)
    seed(system, priest, healer.model_copy(update={"spells_prepared": [*healer.spells_prepared, "Aid",
                                                                          "Prayer of Healing"]}))
    seed(system, first, fighter(f"Ulf{first}"))
    seed(system, second, fighter(f"Vik{second}"))
    seed(system, stranger, fighter(f"Xan{stranger}"))
    party = (priest, first, second, stranger)
    maxima = {p: sheet(system, p)["max_hp"] for p in party}

    for text, expected in ((f"!cast Aid on <@{first}>, <@{second}>, <@{priest}>, <@{stranger}>",
                            "Aid affects up to 3 creatures: name at most 3 (4 given)"),
                           (f"!cast Aid on <@{first}>, goblin", "There's no creature called 'goblin' here"),
                           (f"!cast Aid on <@{first}>, <@{first}>", "named twice")):
        before = {p: state(system, p) for p in party}
        reply = system.command(priest, text)["content"]
        assert expected in reply, reply
        assert {p: state(system, p) for p in party} == before  # no slot spent, no maximum raised

    reply = system.command(priest, f"!cast Aid on <@{first}>, <@{second}>")["content"]
    assert "2nd-level slot spent" in reply, reply
    for player in (first, second):
        s = sheet(system, player)
        assert (s["max_hp"], s["hp"], s["hp_max_bonus"]) == (maxima[player] + 5, maxima[player] + 5, 5), reply
        assert system.sql("SELECT max_hp FROM characters WHERE player_id = :p", p=player)[0].max_hp == s["max_hp"]
        assert f"rise by **5** ({maxima[player] + 5}/{maxima[player] + 5})" in reply
    assert sheet(system, priest)["max_hp"] == maxima[priest] and sheet(system, stranger)["max_hp"] == maxima[stranger]

    for player in (first, second):
        owner(system, f"!hp <@{player}> 3")
    reply = system.command(priest, f"!cast Prayer of Healing on <@{first}>, <@{second}>")["content"]
    healed = re.search(r"Healing: .*?`(\d+)`", reply)
    assert healed is not None, reply
    for player in (first, second):  # the same roll for both, up to the raised maximum
        assert sheet(system, player)["hp"] == min(maxima[player] + 5, 3 + int(healed.group(1))), reply

    system.confirm(system.command(first, "!rest long"), first)  # Aid's 8 hours end with a long rest
    assert (sheet(system, first)["max_hp"], sheet(system, first)["hp_max_bonus"]) == (maxima[first], 0)
