"""Spells between fights at the local table: `!prepare` after a long rest (Cleric, domain spells always
prepared) and `!copy_spell` from a scroll into a Wizard's spellbook (gold through the ledger). Every refusal —
malformed, oversized, unauthorized or against the rules — gets a clear message and leaves the character row as
it was."""

from __future__ import annotations

import pytest

from dnd.character import Character, InventoryItem
from dnd.creation import CreationChoices, create_character
from dnd.wealth import Wealth
from tests.integration.test_characters import fighter, seed, sheet, state
from tests.integration.test_table_play import srd, wizard_with  # noqa: F401  (the fixture)
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def cleric(name: str) -> Character:
    """Cleric 1 (Life), WIS 16: prepares 3 + 1 = 4 spells; Bless and Cure Wounds always prepared."""
    return create_character(CreationChoices(
        name=name, race="Human", class_name="Cleric", subclass="Life", ability_method="standard_array",
        base_scores={"STR": 13, "DEX": 10, "CON": 14, "INT": 8, "WIS": 15, "CHA": 12}, background="Acolyte",
        skills=["History", "Medicine"], languages=["Giant", "Dwarvish", "Elvish"],
        cantrips=["Sacred Flame", "Light"], spells=["Guiding Bolt"],
    ))


def refused(system: SystemUnderTest, player: int, text: str, expected: str) -> str:
    before = state(system, player)
    reply = system.command(player, text)["content"]
    assert expected in reply, reply
    assert state(system, player) == before
    return reply


def test_prepare_after_a_long_rest(srd: SystemUnderTest) -> None:  # noqa: F811
    system = srd
    priest, soldier, nobody = new_player_id(), new_player_id(), new_player_id()
    seed(system, priest, cleric(f"Ama{priest}"))
    seed(system, soldier, fighter(f"Tor{soldier}"))
    assert sheet(system, priest)["spells_prepared"] == ["Guiding Bolt", "Bless", "Cure Wounds"]

    assert "character" in system.command(nobody, "!prepare Bless")["content"]  # no character here
    refused(system, soldier, "!prepare Bless", "doesn't prepare spells")
    refused(system, priest, "!prepare " + "Bless, " * 200, "too long")
    refused(system, priest, "!prepare , ;", "Name the spells to prepare")
    refused(system, priest, "!prepare Fireball", "Fireball is a level 3 spell; you have slots up to 1st level")
    refused(system, priest, "!prepare Magic Missile", "not on the Cleric spell list")
    refused(system, priest, "!prepare Guidng Bolt", "Did you mean Guiding Bolt")
    refused(system, priest, "!prepare Guiding Bolt, Healing Word, Command, Inflict Wounds, Detect Magic",
            "Too many spells: " + f"Ama{priest} prepares 4 as a Cleric")
    reply = system.command(priest, "!prepare")["content"]
    assert "prepares 4 as a Cleric" in reply and "now" in reply, reply

    reply = system.command(priest, "!prepare Guiding Bolt, Healing Word, Command, Inflict Wounds, Bless")["content"]
    assert "prepares: Bless, Cure Wounds, Guiding Bolt, Healing Word, Command, Inflict Wounds" in reply, reply
    s = sheet(system, priest)
    assert s["spells_prepared"] == ["Bless", "Cure Wounds", "Guiding Bolt", "Healing Word", "Command",
                                    "Inflict Wounds"]
    refused(system, priest, "!prepare Command", "when a long rest ends")
    system.confirm(system.command(priest, "!rest long"), priest)
    assert "prepares: Bless, Cure Wounds, Command" in system.command(priest, "!prepare Command")["content"]


def test_a_wizard_copies_a_scroll_into_the_spellbook(srd: SystemUnderTest) -> None:  # noqa: F811
    system = srd
    mage, soldier = new_player_id(), new_player_id()
    base = wizard_with(f"Ori{mage}")
    scroll = InventoryItem(name="Spell Scroll (Thunderwave)", qty=1, weight=0)
    seed(system, mage, base.model_copy(update={"inventory": [*base.inventory, scroll],
                                               "wealth": Wealth(gp=60)}))
    seed(system, soldier, fighter(f"Tor{soldier}"))

    refused(system, mage, "!copy_spell", "Which spell?")
    refused(system, mage, "!copy_spell " + "x" * 80, "too long")
    refused(system, soldier, "!copy_spell Thunderwave", "isn't a Wizard")
    refused(system, mage, "!copy_spell Fireball", "no spell scroll of Fireball")
    refused(system, mage, "!copy_spell Thundrwave", "Did you mean Thunderwave")

    reply = system.command(mage, "!copy_spell Thunderwave")["content"]
    assert "spends 2 hours and 50 gp copying Thunderwave" in reply and "against DC 11" in reply, reply
    s = sheet(system, mage)
    assert s["wealth"]["gp"] * 100 + s["wealth"]["sp"] * 10 + s["wealth"]["cp"] == 1000  # 60 gp - 50 gp
    assert all(i["name"] != "Spell Scroll (Thunderwave)" for i in s["inventory"])
    assert ("Thunderwave" in s["spells_known"]) == ("now in the spellbook" in reply)
    moved = system.sql("SELECT item, quantity_delta FROM ledger WHERE reason = 'copy Thunderwave' "
                       "AND character_id IS NOT NULL ORDER BY item")
    assert {(r.item, r.quantity_delta) for r in moved} >= {("Spell Scroll (Thunderwave)", -1)}
    value = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
    assert sum(r.quantity_delta * value[r.item] for r in moved if r.item in value) == -5000
    refused(system, mage, "!copy_spell Thunderwave", "no spell scroll of Thunderwave")
