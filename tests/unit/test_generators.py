"""Encounters, loot and weather. Monsters and magic items come from the SRD 5e-database JSON (test data only;
``SRD_JSON_DIR``)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from dnd.errors import RulesError
from dnd.generators import (
    CR_XP,
    ENCOUNTER_THRESHOLDS,
    INDIVIDUAL_TREASURE,
    REGIONS,
    SEASONS,
    cr_band,
    encounter_multiplier,
    generate_encounter,
    generate_loot,
    generate_weather,
    party_thresholds,
    rate_encounter,
    weather_region,
    xp_for_cr,
)
from dnd.monsters import MonsterBlock
from tests.srd_paths import srd_json as srd


def monster_list() -> list[dict[str, Any]]:
    return [{"name": m["name"], "cr": m["challenge_rating"], "xp": m["xp"], "type": m["type"]}
            for m in srd("Monsters")]


def magic_list() -> list[dict[str, Any]]:
    return [{"name": m["name"], "rarity": m["rarity"]["name"]} for m in srd("Magic-Items")]


# ------------------------------------------------------------------------------------------ tables


def test_threshold_table_spot_checks() -> None:
    assert len(ENCOUNTER_THRESHOLDS) == 20
    assert ENCOUNTER_THRESHOLDS[0] == (25, 50, 75, 100)
    assert ENCOUNTER_THRESHOLDS[4] == (250, 500, 750, 1100)
    assert ENCOUNTER_THRESHOLDS[19] == (2800, 5700, 8500, 12700)
    for row in ENCOUNTER_THRESHOLDS:
        assert list(row) == sorted(row)
    for a, b in zip(ENCOUNTER_THRESHOLDS, ENCOUNTER_THRESHOLDS[1:], strict=False):
        assert all(x <= y for x, y in zip(a, b, strict=True))
    assert party_thresholds([1, 1, 1, 1]) == {"easy": 100, "medium": 200, "hard": 300, "deadly": 400}
    assert party_thresholds([3, 5]) == {"easy": 325, "medium": 650, "hard": 975, "deadly": 1500}
    with pytest.raises(RulesError):
        party_thresholds([])
    with pytest.raises(RulesError):
        party_thresholds([21])


def test_cr_xp_table_agrees_with_the_srd_monsters() -> None:
    seen: dict[float, Counter[int]] = {}
    for m in srd("Monsters"):
        seen.setdefault(float(m["challenge_rating"]), Counter())[m["xp"]] += 1
    for cr, counts in seen.items():
        most_common = counts.most_common(1)[0][0]
        if cr == 0:
            assert CR_XP[0] in counts  # 0 or 10 XP in the SRD
        else:
            assert CR_XP[cr] == most_common, cr
    assert xp_for_cr(0.25) == 50
    with pytest.raises(RulesError, match="no challenge rating 1/3|no challenge rating 0.333"):
        xp_for_cr(1 / 3)


def test_encounter_multipliers() -> None:
    assert [encounter_multiplier(n) for n in (1, 2, 3, 6, 7, 10, 11, 14, 15, 30)] == [
        1, 1.5, 2, 2, 2.5, 2.5, 3, 3, 4, 4]
    assert encounter_multiplier(1, party_size=2) == 1.5
    assert encounter_multiplier(15, party_size=1) == 5
    assert encounter_multiplier(1, party_size=6) == 0.5
    assert encounter_multiplier(3, party_size=7) == 1.5
    assert rate_encounter([1, 1, 1, 1], [50, 50, 50]) == ("hard", 300)
    assert rate_encounter([5, 5, 5, 5], [10]) == ("trivial", 10)


# ------------------------------------------------------------------------------------------ encounters

PARTIES = [[1, 1, 1, 1], [2, 3], [5, 5, 5, 5, 5, 5], [10, 11, 9], [17, 18, 20, 16], [1]]


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard", "deadly"])
def test_encounters_stay_within_the_budget(difficulty: str) -> None:
    monsters = monster_list()
    by_name = {m["name"]: m for m in monsters}
    for seed in range(12):
        for party in PARTIES:
            e = generate_encounter(party, difficulty, monsters, "dungeon", random.Random(seed), attempts=25)
            budget = party_thresholds(party)[difficulty]
            assert e.budget == budget
            assert 0 < e.adjusted_xp <= budget
            assert 1 <= e.monster_count <= 12 and 1 <= len(e.groups) <= 2
            base = sum(by_name[g.name]["xp"] * g.count for g in e.groups)
            assert e.base_xp == base
            assert e.adjusted_xp == int(base * encounter_multiplier(e.monster_count, len(party)))
            assert all(g.challenge_rating <= sum(party) / len(party) + 3 for g in e.groups)
            label, adjusted = rate_encounter(party, [g.xp for g in e.groups for _ in range(g.count)])
            assert (e.rated, e.adjusted_xp) == (label, adjusted)


def test_encounter_fills_the_budget_reasonably_and_is_deterministic() -> None:
    monsters = monster_list()
    party = [5, 5, 5, 5]
    e = generate_encounter(party, "hard", monsters, "forest", random.Random(3))
    assert e == generate_encounter(party, "hard", monsters, "forest", random.Random(3))
    assert e.adjusted_xp >= party_thresholds(party)["medium"]
    assert "adjusted XP" in e.text


def test_encounter_location_filters() -> None:
    monsters = monster_list()
    types = {m["name"]: m["type"] for m in monsters}
    for seed in range(15):
        e = generate_encounter([4, 4, 4], "medium", monsters, "city", random.Random(seed))
        assert all(types[g.name] in ("humanoid", "undead", "fiend", "construct", "beast", "swarm of Tiny beasts")
                   for g in e.groups)
    tagged = [{"name": "Sand Wyrm", "cr": 1, "type": "monstrosity", "environments": ["desert"]},
              {"name": "Marsh Hag", "cr": 1, "xp": 200, "type": "fey", "environments": ["swamp"]}]
    for seed in range(10):
        e = generate_encounter([3, 3, 3, 3], "medium", tagged, "desert", random.Random(seed))
        assert [g.name for g in e.groups] == ["Sand Wyrm"] and e.groups[0].xp == 200  # XP from the CR table
    blocks = [MonsterBlock.from_srd(m) for m in srd("Monsters") if m["index"] in ("goblin", "orc", "wolf")]
    e = generate_encounter([2, 2], "easy", blocks, "", random.Random(1))
    assert {g.name for g in e.groups} <= {"Goblin", "Orc", "Wolf"}


def test_encounter_refusals() -> None:
    with pytest.raises(RulesError, match="not a difficulty"):
        generate_encounter([1], "brutal", monster_list(), "forest", random.Random(1))
    with pytest.raises(RulesError, match="No monster in the list fits"):
        generate_encounter([1], "easy", [{"name": "Ogre", "cr": 2, "xp": 450, "type": "giant"}], "hills",
                           random.Random(1))


# ------------------------------------------------------------------------------------------ loot

# (lowest CR, highest CR, {coin: (min, max)} for each row of the band) -- written independently of the module.
BANDS = [
    (0, 4, [{"cp": (5, 30)}, {"sp": (4, 24)}, {"ep": (3, 18)}, {"gp": (3, 18)}, {"pp": (1, 6)}]),
    (5, 10, [{"cp": (400, 2400), "ep": (10, 60)}, {"sp": (60, 360), "gp": (20, 120)},
             {"ep": (30, 180), "gp": (20, 120)}, {"gp": (40, 240)}, {"gp": (20, 120), "pp": (3, 18)}]),
    (11, 16, [{"sp": (400, 2400), "gp": (100, 600)}, {"ep": (100, 600), "gp": (100, 600)},
              {"gp": (200, 1200), "pp": (10, 60)}, {"gp": (200, 1200), "pp": (20, 120)}]),
    (17, 30, [{"ep": (2000, 12000), "gp": (800, 4800)}, {"gp": (1000, 6000), "pp": (100, 600)},
              {"gp": (1000, 6000), "pp": (200, 1200)}]),
]


def fits(coins: dict[str, int], row: dict[str, tuple[int, int]]) -> bool:
    return all((coins[c] == 0) if c not in row else row[c][0] <= coins[c] <= row[c][1] for c in coins)


@pytest.mark.parametrize(("low", "high", "rows"), BANDS)
def test_loot_coins_stay_within_the_band(low: float, high: float, rows: list[dict[str, tuple[int, int]]]) -> None:
    seen_rows: set[int] = set()
    for cr in {low, high, (low + high) // 2}:
        for seed in range(150):
            loot = generate_loot(cr, random.Random(seed))
            coins = loot.coins.coins()
            matching = [i for i, row in enumerate(rows) if fits(coins, row)]
            assert matching, (cr, coins)
            seen_rows.update(matching)
            assert loot.items == [] and loot.value_cp > 0
    assert seen_rows == set(range(len(rows)))  # every row of the table comes up


def test_loot_items_have_band_rarities() -> None:
    items = magic_list()
    expected = {0: {"common", "uncommon"}, 1: {"uncommon", "rare"}, 2: {"rare", "very rare"},
                3: {"very rare", "legendary"}}
    rarity = {i["name"]: i["rarity"].casefold() for i in items if i["rarity"] != "Varies"}
    found = Counter[int]()
    for cr in (1, 7, 13, 20):
        for seed in range(300):
            loot = generate_loot(cr, random.Random(seed), items)
            for name in loot.items:
                assert rarity[name] in expected[cr_band(cr)], (cr, name)
                found[cr_band(cr)] += 1
    assert all(found[band] > 0 for band in range(4))
    assert found[0] < found[3]  # items are rarer for weak creatures


def test_loot_bands_and_determinism() -> None:
    assert [cr_band(x) for x in (0, 0.125, 4, 5, 10, 11, 16, 17, 30)] == [0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert len(INDIVIDUAL_TREASURE) == 4
    assert generate_loot(3, random.Random(9)) == generate_loot(3, random.Random(9))
    with pytest.raises(RulesError):
        cr_band(-1)


# ------------------------------------------------------------------------------------------ weather


def test_a_campaign_region_text_names_a_weather_region() -> None:
    assert weather_region("Urban port on the Sword Coast") == "coastal"
    assert weather_region("Frozen north") == "arctic"
    assert weather_region("Marshlands") == "swamp"
    assert weather_region("") == "temperate" and weather_region("rolling farmland") == "temperate"
    assert all(weather_region(text) in REGIONS for text in ("peak", "dune", "jungle"))


def test_weather_is_deterministic_under_a_seed() -> None:
    for region in REGIONS:
        for season in SEASONS:
            assert generate_weather(region, season, random.Random(42)) == generate_weather(
                region, season, random.Random(42))
    varied = {generate_weather("temperate", "spring", random.Random(s)).description for s in range(30)}
    assert len(varied) > 10


def test_weather_fits_region_and_season() -> None:
    for seed in range(200):
        desert = generate_weather("desert", "summer", random.Random(seed))
        assert desert.temperature_f >= 80 and "snow" not in desert.precipitation
        arctic = generate_weather("Arctic", "Winter", random.Random(seed))
        assert arctic.temperature_f <= 15 and "rain" not in arctic.precipitation
        assert any("Extreme cold" in e for e in arctic.effects) == (arctic.temperature_f <= 0)
        w = generate_weather("coastal", "fall", random.Random(seed))
        assert w.season == "autumn" and w.wind in ("calm", "light wind", "strong wind", "gale")
        assert w.temperature_c == round((w.temperature_f - 32) * 5 / 9)
        if w.wind in ("strong wind", "gale"):
            assert any("Strong wind" in e for e in w.effects)
        assert str(w.temperature_f) in w.description
    with pytest.raises(RulesError, match="region"):
        generate_weather("moon", "summer", random.Random(1))
    with pytest.raises(RulesError, match="season"):
        generate_weather("temperate", "monsoon", random.Random(1))
