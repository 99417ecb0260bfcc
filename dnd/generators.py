"""Random encounters, loot and weather, from tables written by hand for this engine.

* Encounters follow the 5e encounter-building arithmetic: each character's XP threshold for the difficulty
  (:data:`ENCOUNTER_THRESHOLDS`) summed into a budget; the monsters' XP summed and multiplied by a factor for
  their number (:data:`ENCOUNTER_MULTIPLIERS`, one step up for parties under 3, one down for 6 or more).
  The monsters come from a list passed in (name, challenge rating, XP, type, environment tags if any).
* Loot: coins by challenge-rating band on the individual-treasure tables (:data:`INDIVIDUAL_TREASURE`), and
  now and then a magic item of a rarity that suits the band, from a list passed in; a boss's hoard
  (:data:`HOARD_TREASURE`: more coins, and a few magic items of the band's rarities).
* Weather: temperature, wind and precipitation by region and season, with a short description.

Everything is deterministic for a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from dnd.dice import roll
from dnd.errors import RulesError
from dnd.monsters import MonsterBlock, cr_label
from dnd.wealth import Wealth, total_cp

__all__ = [
    "CR_XP",
    "HOARD_TREASURE",
    "generate_hoard",
    "DIFFICULTIES",
    "ENCOUNTER_MULTIPLIERS",
    "ENCOUNTER_THRESHOLDS",
    "INDIVIDUAL_TREASURE",
    "LOCATION_TYPES",
    "REGIONS",
    "SEASONS",
    "Encounter",
    "EncounterGroup",
    "Loot",
    "Weather",
    "cr_band",
    "encounter_multiplier",
    "generate_encounter",
    "generate_loot",
    "generate_weather",
    "party_thresholds",
    "rate_encounter",
    "xp_for_cr",
]

Difficulty = Literal["easy", "medium", "hard", "deadly"]
DIFFICULTIES: Final[tuple[Difficulty, ...]] = ("easy", "medium", "hard", "deadly")

# XP thresholds per character by level (levels 1-20): easy, medium, hard, deadly.
ENCOUNTER_THRESHOLDS: Final[tuple[tuple[int, int, int, int], ...]] = (
    (25, 50, 75, 100), (50, 100, 150, 200), (75, 150, 225, 400), (125, 250, 375, 500),
    (250, 500, 750, 1100), (300, 600, 900, 1400), (350, 750, 1100, 1700), (450, 900, 1400, 2100),
    (550, 1100, 1600, 2400), (600, 1200, 1900, 2800), (800, 1600, 2400, 3600), (1000, 2000, 3000, 4500),
    (1100, 2200, 3400, 5100), (1250, 2500, 3800, 5700), (1400, 2800, 4300, 6400), (1600, 3200, 4800, 7200),
    (2000, 3900, 5900, 8800), (2100, 4200, 6300, 9500), (2400, 4900, 7300, 10900), (2800, 5700, 8500, 12700),
)

# Experience points by challenge rating.
CR_XP: Final[dict[float, int]] = {
    0: 10, 0.125: 25, 0.25: 50, 0.5: 100, 1: 200, 2: 450, 3: 700, 4: 1100, 5: 1800, 6: 2300, 7: 2900, 8: 3900,
    9: 5000, 10: 5900, 11: 7200, 12: 8400, 13: 10000, 14: 11500, 15: 13000, 16: 15000, 17: 18000, 18: 20000,
    19: 22000, 20: 25000, 21: 33000, 22: 41000, 23: 50000, 24: 62000, 25: 75000, 26: 90000, 27: 105000,
    28: 120000, 29: 135000, 30: 155000,
}

# (fewest monsters, multiplier), in order; the steps below the first and above the last serve party size.
ENCOUNTER_MULTIPLIERS: Final[tuple[tuple[int, float], ...]] = (
    (1, 1.0), (2, 1.5), (3, 2.0), (7, 2.5), (11, 3.0), (15, 4.0),
)
_MULTIPLIER_STEPS: Final[tuple[float, ...]] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
MAX_ENCOUNTER_MONSTERS: Final[int] = 12

# Monster types at home in each kind of place (used when monsters carry no environment tags).
LOCATION_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "forest": ("beast", "fey", "plant", "humanoid", "monstrosity", "swarm"),
    "grassland": ("beast", "humanoid", "monstrosity", "swarm"),
    "hills": ("beast", "giant", "humanoid", "monstrosity", "dragon"),
    "mountain": ("beast", "giant", "dragon", "elemental", "monstrosity", "humanoid"),
    "desert": ("beast", "monstrosity", "elemental", "undead", "dragon", "humanoid"),
    "arctic": ("beast", "giant", "dragon", "elemental", "monstrosity"),
    "swamp": ("beast", "undead", "plant", "monstrosity", "dragon", "swarm", "ooze", "humanoid"),
    "coastal": ("beast", "humanoid", "monstrosity", "elemental", "dragon"),
    "underwater": ("beast", "monstrosity", "elemental", "aberration"),
    "underdark": ("aberration", "ooze", "monstrosity", "humanoid", "undead", "construct", "fiend"),
    "dungeon": ("undead", "ooze", "construct", "monstrosity", "humanoid", "aberration", "fiend", "beast", "swarm"),
    "urban": ("humanoid", "undead", "fiend", "construct", "beast", "swarm"),
    "ruins": ("undead", "construct", "monstrosity", "humanoid", "beast", "ooze"),
    "planar": ("celestial", "fiend", "elemental", "aberration", "construct", "dragon"),
}
_LOCATION_ALIASES: Final[dict[str, str]] = {
    "woods": "forest", "jungle": "forest", "plains": "grassland", "steppe": "grassland", "mountains": "mountain",
    "tundra": "arctic", "marsh": "swamp", "coast": "coastal", "sea": "underwater", "city": "urban",
    "town": "urban", "village": "urban", "road": "grassland", "cave": "underdark", "caves": "underdark",
    "crypt": "dungeon", "tomb": "dungeon",
}


def xp_for_cr(cr: float) -> int:
    """XP of a monster of challenge rating ``cr`` (0, 1/8, 1/4, 1/2, 1 ... 30)."""
    if cr not in CR_XP:
        raise RulesError(f"There is no challenge rating {cr_label(cr)}.")
    return CR_XP[cr]


def party_thresholds(party_levels: Sequence[int]) -> dict[str, int]:
    """The party's XP thresholds: each character's threshold by level, summed, for each difficulty."""
    if not party_levels:
        raise RulesError("An encounter needs a party of at least one character.")
    if any(not 1 <= lvl <= 20 for lvl in party_levels):
        raise RulesError("Character levels run from 1 to 20.")
    return {d: sum(ENCOUNTER_THRESHOLDS[lvl - 1][i] for lvl in party_levels) for i, d in enumerate(DIFFICULTIES)}


def encounter_multiplier(monster_count: int, party_size: int = 4) -> float:
    """The XP multiplier for ``monster_count`` monsters: x1, x1.5, x2 (3-6), x2.5 (7-10), x3 (11-14), x4 (15+);
    one step higher for a party of fewer than 3, one lower for 6 or more."""
    if monster_count < 1:
        return 1.0
    base = next(m for least, m in reversed(ENCOUNTER_MULTIPLIERS) if monster_count >= least)
    step = _MULTIPLIER_STEPS.index(base)
    if party_size < 3:
        step += 1
    elif party_size >= 6:
        step -= 1
    return _MULTIPLIER_STEPS[step]


def rate_encounter(party_levels: Sequence[int], monster_xp: Sequence[int]) -> tuple[str, int]:
    """(difficulty, adjusted XP) of a fight: "trivial" below the easy threshold, else the highest reached."""
    thresholds = party_thresholds(party_levels)
    adjusted = int(sum(monster_xp) * encounter_multiplier(len(monster_xp), len(party_levels)))
    label = "trivial"
    for d in DIFFICULTIES:
        if adjusted >= thresholds[d]:
            label = d
    return label, adjusted


class EncounterGroup(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    count: int = Field(ge=1)
    challenge_rating: float
    xp: int  # each


class Encounter(BaseModel):
    """Monsters and counts, their base XP, the multiplier and adjusted XP against the party's ``budget`` (the
    threshold of the difficulty asked for) and the difficulty the adjusted XP actually reaches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    location_kind: str
    difficulty: str
    groups: list[EncounterGroup]
    base_xp: int
    multiplier: float
    adjusted_xp: int
    budget: int
    thresholds: dict[str, int]
    rated: str

    @property
    def monster_count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def text(self) -> str:
        who = ", ".join(f"{g.count} × {g.name} (CR {cr_label(g.challenge_rating)})" for g in self.groups)
        return (f"{who} — {self.adjusted_xp} adjusted XP ({self.base_xp} × {self.multiplier:g}) against the "
                f"{self.difficulty} budget of {self.budget}; rated {self.rated}.")


@dataclass(frozen=True)
class _Candidate:
    name: str
    cr: float
    xp: int
    type: str
    environments: tuple[str, ...]


def _candidate(m: Mapping[str, Any] | MonsterBlock) -> _Candidate:
    if isinstance(m, MonsterBlock):
        return _Candidate(m.name, m.challenge_rating, m.xp, m.type.casefold(), tuple(m.environments))
    cr = float(m.get("cr", m.get("challenge_rating", 0)) or 0)
    given = m.get("xp")
    xp = CR_XP.get(cr, 0) if given is None else int(given)  # a given 0 stays 0 (harmless creatures)
    envs = m.get("environments") or m.get("environment") or ()
    if isinstance(envs, str):
        envs = (envs,)
    return _Candidate(str(m["name"]), cr, xp, str(m.get("type", "")).casefold(), tuple(e.casefold() for e in envs))


def _location_key(location_kind: str) -> str:
    key = location_kind.strip().casefold().replace("_", " ")
    return _LOCATION_ALIASES.get(key, key)


def _suits(c: _Candidate, location: str) -> bool:
    if c.environments:
        return location in c.environments
    types = LOCATION_TYPES.get(location)
    return types is None or any(c.type.startswith(t) for t in types)


def generate_encounter(party_levels: Sequence[int], difficulty: str,
                       monsters: Sequence[Mapping[str, Any] | MonsterBlock], location_kind: str = "",
                       rng: random.Random | None = None, *, attempts: int = 60) -> Encounter:
    """Monsters for a fight of ``difficulty`` against the party, from ``monsters`` (dicts with name, cr or
    challenge_rating, xp, type, and environment tags if any, or stat blocks) that suit ``location_kind``
    (their environment tags, else the types at home there; any monster when none suits).

    The adjusted XP (monster XP x the multiplier for their number and the party's size) never exceeds the
    budget; among random tries the one closest to it wins. At most two kinds of monster, at most
    :data:`MAX_ENCOUNTER_MONSTERS`, none above the party's average level + 3 in challenge rating.
    """
    key = difficulty.strip().casefold()
    if key not in DIFFICULTIES:
        raise RulesError(f"'{difficulty}' is not a difficulty (easy, medium, hard or deadly).")
    thresholds = party_thresholds(party_levels)
    budget = thresholds[key]
    rng = rng or random.Random()
    party = len(party_levels)
    cap_cr = sum(party_levels) / party + 3
    pool = [c for c in (_candidate(m) for m in monsters) if c.xp > 0 and c.cr <= cap_cr]
    location = _location_key(location_kind) if location_kind else ""
    suited = [c for c in pool if _suits(c, location)] if location else pool
    pool = suited or pool
    affordable = [c for c in pool if c.xp * encounter_multiplier(1, party) <= budget]
    if not affordable:
        raise RulesError(f"No monster in the list fits a {key} encounter for this party ({budget} XP).")

    def adjusted(groups: list[tuple[_Candidate, int]]) -> int:
        count = sum(n for _, n in groups)
        return int(sum(c.xp * n for c, n in groups) * encounter_multiplier(count, party))

    best: list[tuple[_Candidate, int]] | None = None
    best_xp = -1
    for _ in range(max(1, attempts)):
        leader = rng.choice(affordable)
        most = 1
        while most < MAX_ENCOUNTER_MONSTERS and adjusted([(leader, most + 1)]) <= budget:
            most += 1
        groups = [(leader, rng.randint(max(1, most // 2), most))]
        if rng.random() < 0.5:
            extras = [c for c in affordable if c.name != leader.name and c.xp <= leader.xp]
            if extras:
                minion = rng.choice(extras)
                n = 0
                while (sum(g[1] for g in groups) + n < MAX_ENCOUNTER_MONSTERS
                       and adjusted([*groups, (minion, n + 1)]) <= budget):
                    n += 1
                if n:
                    groups.append((minion, rng.randint(1, n)))
        xp = adjusted(groups)
        if xp <= budget and xp > best_xp:
            best, best_xp = groups, xp
    assert best is not None  # a single affordable monster always fits
    count = sum(n for _, n in best)
    base = sum(c.xp * n for c, n in best)
    rated, _ = rate_encounter(party_levels, [c.xp for c, n in best for _ in range(n)])
    return Encounter(
        location_kind=location or location_kind, difficulty=key,
        groups=[EncounterGroup(name=c.name, count=n, challenge_rating=c.cr, xp=c.xp) for c, n in best],
        base_xp=base, multiplier=encounter_multiplier(count, party), adjusted_xp=best_xp, budget=budget,
        thresholds=thresholds, rated=rated,
    )


# ------------------------------------------------------------------------------------------ loot

# The roll's label names the coin in words: "3d6 ep" would read "ep" as dice modifiers (explode, drop).
_COIN_NAMES: Final[dict[str, str]] = {"cp": "copper pieces", "sp": "silver pieces", "ep": "electrum pieces",
                                      "gp": "gold pieces", "pp": "platinum pieces"}

# Individual treasure by CR band: (lowest CR, rows of (highest d100, coin rolls "dice*multiplier coin")).
INDIVIDUAL_TREASURE: Final[tuple[tuple[float, tuple[tuple[int, tuple[str, ...]], ...]], ...]] = (
    (0, ((30, ("5d6 cp",)), (60, ("4d6 sp",)), (70, ("3d6 ep",)), (95, ("3d6 gp",)), (100, ("1d6 pp",)))),
    (5, ((30, ("4d6*100 cp", "1d6*10 ep")), (60, ("6d6*10 sp", "2d6*10 gp")), (70, ("3d6*10 ep", "2d6*10 gp")),
         (95, ("4d6*10 gp",)), (100, ("2d6*10 gp", "3d6 pp")))),
    (11, ((20, ("4d6*100 sp", "1d6*100 gp")), (35, ("1d6*100 ep", "1d6*100 gp")),
          (75, ("2d6*100 gp", "1d6*10 pp")), (100, ("2d6*100 gp", "2d6*10 pp")))),
    (17, ((15, ("2d6*1000 ep", "8d6*100 gp")), (55, ("1d6*1000 gp", "1d6*100 pp")),
          (100, ("1d6*1000 gp", "2d6*100 pp")))),
)
# Chance of a magic item by band, and the rarities (with weights) it is drawn from.
_LOOT_ITEMS: Final[tuple[tuple[float, tuple[tuple[str, int], ...]], ...]] = (
    (0.05, (("common", 7), ("uncommon", 3))),
    (0.10, (("uncommon", 7), ("rare", 3))),
    (0.15, (("rare", 6), ("very rare", 4))),
    (0.20, (("very rare", 7), ("legendary", 3))),
)


def cr_band(cr: float) -> int:
    """0 for CR 0-4, 1 for 5-10, 2 for 11-16, 3 for 17+."""
    if cr < 0:
        raise RulesError("A challenge rating can't be negative.")
    return max(i for i, (low, _) in enumerate(INDIVIDUAL_TREASURE) if cr >= low)


class Loot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    challenge_rating: float
    d100: int
    coins: Wealth
    items: list[str] = Field(default_factory=list)
    lines: list[str] = Field(default_factory=list)

    @property
    def value_cp(self) -> int:
        return total_cp(self.coins)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def generate_loot(cr: float, rng: random.Random | None = None,
                  magic_items: Sequence[Mapping[str, Any]] = ()) -> Loot:
    """Coins a creature of challenge rating ``cr`` carries (individual treasure for its band), and now and
    then a magic item of a rarity for the band from ``magic_items`` (dicts with ``name`` and ``rarity``)."""
    band = cr_band(cr)
    rng = rng or random.Random()
    d100 = rng.randint(1, 100)
    rows = INDIVIDUAL_TREASURE[band][1]
    row = next(coins for top, coins in rows if d100 <= top)
    counts = {"cp": 0, "sp": 0, "ep": 0, "gp": 0, "pp": 0}
    lines = [f"Treasure (CR {cr_label(cr)}, d100 = {d100})"]
    for spec in row:
        dice, coin = spec.split()
        result = roll(f"{dice} {_COIN_NAMES[coin]}", rng)
        counts[coin] += result.total
        lines.append(str(result))
    items: list[str] = []
    chance, rarities = _LOOT_ITEMS[band]
    if magic_items and rng.random() < chance:
        rarity = rng.choices([r for r, _ in rarities], weights=[w for _, w in rarities])[0]
        pool = [str(m["name"]) for m in magic_items if _rarity(m) == rarity]
        if pool:
            items.append(rng.choice(sorted(set(pool))))
            lines.append(f"Also: {items[0]} ({rarity}).")
    return Loot(challenge_rating=cr, d100=d100, coins=Wealth(**counts), items=items, lines=lines)


# A boss's hoard by CR band: its coin rolls, and how many magic items (dice) of the band's rarities it holds.
HOARD_TREASURE: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("6d6*100 cp", "3d6*100 sp", "2d6*10 gp"), "1d4"),
    (("2d6*100 cp", "2d6*1000 sp", "6d6*100 gp", "3d6*10 pp"), "1d4"),
    (("4d6*1000 gp", "5d6*100 pp"), "1d4+1"),
    (("12d6*1000 gp", "8d6*1000 pp"), "1d4+2"),
)


def generate_hoard(cr: float, rng: random.Random | None = None,
                   magic_items: Sequence[Mapping[str, Any]] = ()) -> Loot:
    """A boss's treasure hoard for its challenge rating: the band's coins and a few magic items of its rarities
    from ``magic_items`` (when any are given)."""
    band = cr_band(cr)
    rng = rng or random.Random()
    coin_rolls, item_dice = HOARD_TREASURE[band]
    counts = {"cp": 0, "sp": 0, "ep": 0, "gp": 0, "pp": 0}
    lines = [f"Hoard (CR {cr_label(cr)})"]
    for spec in coin_rolls:
        dice, coin = spec.split()
        result = roll(f"{dice} {_COIN_NAMES[coin]}", rng)
        counts[coin] += result.total
        lines.append(str(result))
    items: list[str] = []
    _, rarities = _LOOT_ITEMS[band]
    for _ in range(roll(item_dice, rng).total if magic_items else 0):
        rarity = rng.choices([r for r, _ in rarities], weights=[w for _, w in rarities])[0]
        pool = sorted({str(m["name"]) for m in magic_items if _rarity(m) == rarity})
        if pool:
            items.append(rng.choice(pool))
            lines.append(f"Also: {items[-1]} ({rarity}).")
    return Loot(challenge_rating=cr, d100=0, coins=Wealth(**counts), items=items, lines=lines)


def _rarity(item: Mapping[str, Any]) -> str:
    rarity = item.get("rarity")
    if isinstance(rarity, Mapping):
        rarity = rarity.get("name")
    return str(rarity or "").strip().casefold()


# ------------------------------------------------------------------------------------------ weather

REGIONS: Final[tuple[str, ...]] = ("temperate", "arctic", "desert", "tropical", "mountain", "coastal", "swamp")
SEASONS: Final[tuple[str, ...]] = ("spring", "summer", "autumn", "winter")

# Daytime temperature range in °F by region and season (spring, summer, autumn, winter).
_TEMPERATURE: Final[dict[str, tuple[tuple[int, int], ...]]] = {
    "temperate": ((45, 65), (65, 88), (42, 65), (15, 42)),
    "arctic": ((-10, 25), (25, 50), (-5, 25), (-45, 0)),
    "desert": ((70, 95), (95, 120), (70, 95), (45, 70)),
    "tropical": ((78, 92), (82, 98), (78, 92), (72, 88)),
    "mountain": ((25, 50), (45, 70), (25, 50), (-15, 25)),
    "coastal": ((48, 64), (62, 80), (50, 66), (34, 50)),
    "swamp": ((55, 78), (75, 95), (55, 78), (35, 58)),
}
# Weights of precipitation (none, light, heavy) by region and season.
_PRECIPITATION: Final[dict[str, tuple[tuple[int, int, int], ...]]] = {
    "temperate": ((50, 35, 15), (65, 25, 10), (50, 35, 15), (55, 30, 15)),
    "arctic": ((65, 25, 10), (70, 25, 5), (60, 28, 12), (55, 25, 20)),
    "desert": ((92, 6, 2), (96, 3, 1), (92, 6, 2), (85, 12, 3)),
    "tropical": ((40, 35, 25), (30, 35, 35), (40, 35, 25), (60, 30, 10)),
    "mountain": ((50, 32, 18), (60, 28, 12), (50, 32, 18), (45, 30, 25)),
    "coastal": ((45, 35, 20), (60, 28, 12), (40, 35, 25), (40, 35, 25)),
    "swamp": ((40, 40, 20), (45, 35, 20), (40, 40, 20), (50, 35, 15)),
}
# Weights of wind (calm, light, strong, gale) by region (seasons shift it: winter +1 strong, summer +1 calm).
_WIND: Final[dict[str, tuple[int, int, int, int]]] = {
    "temperate": (35, 45, 17, 3), "arctic": (20, 40, 30, 10), "desert": (30, 40, 24, 6),
    "tropical": (40, 40, 15, 5), "mountain": (15, 40, 33, 12), "coastal": (15, 45, 30, 10),
    "swamp": (50, 40, 9, 1),
}
_WIND_NAMES: Final[tuple[str, ...]] = ("calm", "light wind", "strong wind", "gale")
_REGION_ALIASES: Final[dict[str, str]] = {
    "forest": "temperate", "grassland": "temperate", "plains": "temperate", "hills": "temperate",
    "tundra": "arctic", "polar": "arctic", "jungle": "tropical", "mountains": "mountain", "coast": "coastal",
    "sea": "coastal", "marsh": "swamp", "wasteland": "desert",
}
_SEASON_ALIASES: Final[dict[str, str]] = {"fall": "autumn"}


class Weather(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    season: str
    temperature_f: int
    temperature_c: int
    temperature: str  # "freezing", "cold", "cool", "mild", "warm", "hot", "scorching"
    wind: str
    precipitation: str  # "none", "light rain", "heavy snow", "sandstorm"...
    description: str
    effects: list[str] = Field(default_factory=list)


def _temperature_word(f: int) -> str:
    for top, word in ((0, "bitterly cold"), (32, "freezing"), (50, "cold"), (60, "cool"), (75, "mild"),
                      (90, "warm"), (105, "hot")):
        if f < top:
            return word
    return "scorching"


def _norm_choice(value: str, options: tuple[str, ...], aliases: dict[str, str], what: str) -> str:
    key = value.strip().casefold()
    key = aliases.get(key, key)
    if key not in options:
        raise RulesError(f"'{value}' is not a {what} I know ({', '.join(options)}).")
    return key


# Words in a campaign's region text that name a weather region (the first group found wins; else temperate).
_REGION_WORDS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("port", "coast", "sea", "harbour", "harbor"), "coastal"), (("mountain", "monastery", "peak"), "mountain"),
    (("desert", "dune"), "desert"), (("arctic", "frozen", "ice", "tundra"), "arctic"),
    (("swamp", "marsh", "bog"), "swamp"), (("jungle", "tropic"), "tropical"))


def weather_region(region_text: str) -> str:
    """The weather tables' region for a campaign's own region text ("urban port" → coastal)."""
    text = region_text.lower()
    for words, region in _REGION_WORDS:
        if any(word in text for word in words):
            return region
    return "temperate"


def generate_weather(region: str, season: str, rng: random.Random | None = None) -> Weather:
    """The day's weather for a region (temperate, arctic, desert, tropical, mountain, coastal, swamp) and a
    season: temperature, wind and precipitation with a line of description and the rules effects of extreme
    conditions (strong wind, heavy precipitation, extreme cold or heat)."""
    region_key = _norm_choice(region, REGIONS, _REGION_ALIASES, "region")
    season_key = _norm_choice(season, SEASONS, _SEASON_ALIASES, "season")
    rng = rng or random.Random()
    s = SEASONS.index(season_key)
    low, high = _TEMPERATURE[region_key][s]
    temp_f = rng.randint(low, high)
    if rng.random() < 0.1:  # a cold snap or a heat wave
        temp_f += rng.choice((-1, 1)) * rng.randint(8, 15)
    wind_weights = list(_WIND[region_key])
    if season_key == "winter":
        wind_weights[2] += 10
    elif season_key == "summer":
        wind_weights[0] += 10
    wind = rng.choices(_WIND_NAMES, weights=wind_weights)[0]
    amount = rng.choices(("none", "light", "heavy"), weights=_PRECIPITATION[region_key][s])[0]
    if amount == "none":
        precipitation = "fog" if region_key in ("swamp", "coastal") and rng.random() < 0.25 else "none"
    elif region_key == "desert" and wind in ("strong wind", "gale"):
        precipitation = "sandstorm"
    elif temp_f <= 30:
        precipitation = f"{amount} snow"
    elif temp_f <= 36:
        precipitation = "sleet"
    else:
        precipitation = f"{amount} rain"
    word = _temperature_word(temp_f)
    sky = {"none": "clear skies" if rng.random() < 0.6 else "scattered clouds", "fog": "thick fog",
           "sandstorm": "a howling sandstorm", "sleet": "grey skies and sleet"}.get(precipitation,
                                                                                   f"{precipitation} from grey skies")
    description = f"A {word} {season_key} day ({temp_f}°F) with {sky}; {wind}."
    effects: list[str] = []
    if wind in ("strong wind", "gale") or precipitation == "sandstorm":
        effects.append("Strong wind: disadvantage on ranged weapon attacks and on Perception checks that rely on "
                       "hearing; open flames are extinguished.")
    if precipitation.startswith("heavy") or precipitation in ("fog", "sandstorm"):
        effects.append("Heavy precipitation or fog: the area is lightly obscured (disadvantage on Perception "
                       "checks that rely on sight).")
    if temp_f <= 0:
        effects.append("Extreme cold: DC 10 Constitution save each hour without cold weather gear, or a level of "
                       "exhaustion.")
    if temp_f >= 100:
        effects.append("Extreme heat: DC 5 Constitution save each hour without water (DC +1 per hour), or a "
                       "level of exhaustion.")
    return Weather(region=region_key, season=season_key, temperature_f=temp_f,
                   temperature_c=round((temp_f - 32) * 5 / 9), temperature=word, wind=wind,
                   precipitation=precipitation, description=description, effects=effects)
