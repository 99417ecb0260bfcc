"""`!weather`, and the owner's `!encounter` and `!loot`, through the local table."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_narrator import activate_shipped_campaign
from tests.integration.test_srd_import import run_import
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


def test_encounters_and_loot_from_the_srd(system: SystemUnderTest) -> None:
    run_import(system)
    activate_shipped_campaign(system, "ashes-of-thornwall")
    assert system.command(new_player_id(), "!encounter")["content"] == "Only the owner can use `!encounter`."
    encounter = system.command(system.owner_id, "!encounter hard")["content"]
    assert "adjusted XP" in encounter and "against the hard budget" in encounter
    assert system.command(system.owner_id, "!encounter brutal")["content"].startswith("Difficulty must be one of")
    loot = system.command(system.owner_id, "!loot 1/4")["content"]
    assert "Treasure (CR 1/4" in loot
    assert "between 0 and 30" in system.command(system.owner_id, "!loot 31")["content"]
    assert system.command(system.owner_id, "!loot lots")["content"].startswith("Usage: `!loot")
