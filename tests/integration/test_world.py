"""`!weather`, and the owner's `!encounter` and `!loot`, through the local table."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_narrator import activate_shipped_campaign
from tests.integration.test_srd_import import import_if_present
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def test_weather_is_rolled_for_the_campaign_region_and_kept(system: SystemUnderTest) -> None:
    campaign_id = activate_shipped_campaign(system, "the-sunken-lantern")  # an urban port: coastal weather
    system.sql("UPDATE world_state SET weather = '{}' WHERE campaign_id = :i", i=campaign_id)
    player = new_player_id()
    first = system.command(player, "!weather")["content"]
    assert re.search(r"\*\*Spring, coastal\*\*", first) and "°F" in first
    assert system.command(player, "!weather")["content"] == first  # the day's weather stays
    assert system.command(player, "!weather new winter")["content"] == "Only the owner can change the weather."
    winter = system.command(system.owner_id, "!weather new winter")["content"]
    assert "**Winter, coastal**" in winter
    assert "not a season I know" in system.command(system.owner_id, "!weather new monsoon")["content"]
    assert system.sql("SELECT weather->>'season' AS s FROM world_state WHERE campaign_id = :i",
                      i=campaign_id)[0].s == "winter"


def test_encounters_and_loot(system: SystemUnderTest) -> None:
    import_if_present(system)
    activate_shipped_campaign(system, "ashes-of-thornwall")
    assert system.command(new_player_id(), "!encounter")["content"] == "Only the owner can use `!encounter`."
    encounter = system.command(system.owner_id, "!encounter hard preview")["content"]
    assert "adjusted XP" in encounter and "against the hard budget" in encounter
    assert system.command(system.owner_id, "!encounter brutal")["content"].startswith("Usage: `!encounter")
    assert system.command(system.owner_id, "!encounter hard now")["content"].startswith("Usage: `!encounter")
    loot = system.command(system.owner_id, "!loot 1/4")["content"]
    assert "Treasure (CR 1/4" in loot
    assert "between 0 and 30" in system.command(system.owner_id, "!loot 31")["content"]
    assert system.command(system.owner_id, "!loot lots")["content"].startswith("Usage: `!loot")


def test_the_owners_encounter_starts_the_fight_for_the_table(system: SystemUnderTest) -> None:
    from tests.integration.test_characters import fighter, seed

    import_if_present(system)
    activate_shipped_campaign(system, "ashes-of-thornwall")
    rows = system.sql("SELECT id FROM combat_state WHERE channel_id = :c AND active", c=system.channel_id)
    if rows:
        system.command(system.owner_id, "!end_combat")
    p1, p2 = new_player_id(), new_player_id()
    seed(system, p1, fighter(f"Orin{p1}"))
    seed(system, p2, fighter(f"Pell{p2}"))
    for player in (p1, p2):  # they are at the table: they spoke in the channel
        system.command(player, "!roll 1d20")
    started = system.command(system.owner_id, "!encounter easy")["content"]
    assert started.startswith("⚔️ **An encounter!**") and "Roll for initiative!" in started, started
    assert f"Orin{p1}" in started and f"Pell{p2}" in started
    assert " the fight (average hit points)." in started, started  # the creatures joined
    fight = system.sql("SELECT initiative FROM combat_state WHERE channel_id = :c AND active", c=system.channel_id)
    # Everyone who spoke here lately and has a character in the campaign is in it (other tests' players too).
    in_fight = {c["player_id"] for c in fight[0].initiative if c["kind"] == "character"}
    assert {str(p1), str(p2)} <= in_fight
    assert any(c["kind"] == "monster" for c in fight[0].initiative)
    assert "already running" in system.command(system.owner_id, "!encounter easy")["content"]
    system.command(system.owner_id, "!end_combat")
