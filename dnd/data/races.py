"""SRD 5.1 races and subraces, written by hand (plus the Variant Human, marked non-SRD)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from dnd.data.classes import ResourceSpec

Size = Literal["Small", "Medium"]


@dataclass(frozen=True)
class SubraceInfo:
    name: str
    race: str
    ability_bonuses: dict[str, int]
    traits: tuple[str, ...]
    proficiencies: tuple[str, ...] = ()
    extra_languages: int = 0
    hp_per_level: int = 0  # Dwarven Toughness
    wizard_cantrips: int = 0  # High Elf Cantrip
    replaces_race_bonuses: bool = False  # Variant Human drops the +1 to every score
    ability_choices: int = 0  # +1 to this many different abilities of the player's choice
    skill_choices: int = 0  # any skills
    feat: bool = False  # gains one feat at 1st level
    srd: bool = True


@dataclass(frozen=True)
class RaceInfo:
    name: str
    speed: int
    size: Size
    ability_bonuses: dict[str, int]
    traits: tuple[str, ...]
    languages: tuple[str, ...]
    extra_languages: int = 0
    darkvision: int = 0
    skills: tuple[str, ...] = ()  # granted skill proficiencies
    skill_choices: int = 0  # any skills (Half-Elf Skill Versatility)
    ability_choices: int = 0  # +1 to this many other abilities (Half-Elf)
    proficiencies: tuple[str, ...] = ()
    tool_choices: tuple[str, ...] = ()  # choose one of these (Dwarf)
    heavy_armor_no_speed_penalty: bool = False
    resources: tuple[ResourceSpec, ...] = ()
    subraces: tuple[str, ...] = ()
    srd: bool = True


RACES: Final[dict[str, RaceInfo]] = {
    "Dwarf": RaceInfo(
        "Dwarf", 25, "Medium", {"CON": 2},
        ("Darkvision", "Dwarven Resilience", "Dwarven Combat Training", "Tool Proficiency", "Stonecunning"),
        ("Common", "Dwarvish"),
        darkvision=60,
        proficiencies=("Battleaxes", "Handaxes", "Light Hammers", "Warhammers"),
        tool_choices=("Smith's Tools", "Brewer's Supplies", "Mason's Tools"),
        heavy_armor_no_speed_penalty=True,
        subraces=("Hill Dwarf",),
    ),
    "Elf": RaceInfo(
        "Elf", 30, "Medium", {"DEX": 2},
        ("Darkvision", "Keen Senses", "Fey Ancestry", "Trance"),
        ("Common", "Elvish"),
        darkvision=60,
        skills=("Perception",),
        subraces=("High Elf",),
    ),
    "Halfling": RaceInfo(
        "Halfling", 25, "Small", {"DEX": 2},
        ("Lucky", "Brave", "Halfling Nimbleness"),
        ("Common", "Halfling"),
        subraces=("Lightfoot Halfling",),
    ),
    "Human": RaceInfo(
        "Human", 30, "Medium", {"STR": 1, "DEX": 1, "CON": 1, "INT": 1, "WIS": 1, "CHA": 1},
        (),
        ("Common",),
        extra_languages=1,
        subraces=("Variant Human",),
    ),
    "Dragonborn": RaceInfo(
        "Dragonborn", 30, "Medium", {"STR": 2, "CHA": 1},
        ("Draconic Ancestry", "Breath Weapon", "Damage Resistance"),
        ("Common", "Draconic"),
        resources=(ResourceSpec("Breath Weapon", "short", counts=((1, 1),)),),
    ),
    "Gnome": RaceInfo(
        "Gnome", 25, "Small", {"INT": 2},
        ("Darkvision", "Gnome Cunning"),
        ("Common", "Gnomish"),
        darkvision=60,
        subraces=("Rock Gnome",),
    ),
    "Half-Elf": RaceInfo(
        "Half-Elf", 30, "Medium", {"CHA": 2},
        ("Darkvision", "Fey Ancestry", "Skill Versatility"),
        ("Common", "Elvish"),
        extra_languages=1,
        darkvision=60,
        skill_choices=2,
        ability_choices=2,
    ),
    "Half-Orc": RaceInfo(
        "Half-Orc", 30, "Medium", {"STR": 2, "CON": 1},
        ("Darkvision", "Menacing", "Relentless Endurance", "Savage Attacks"),
        ("Common", "Orc"),
        darkvision=60,
        skills=("Intimidation",),
        resources=(ResourceSpec("Relentless Endurance", "long", counts=((1, 1),)),),
    ),
    "Tiefling": RaceInfo(
        "Tiefling", 30, "Medium", {"INT": 1, "CHA": 2},
        ("Darkvision", "Hellish Resistance", "Infernal Legacy"),
        ("Common", "Infernal"),
        darkvision=60,
    ),
}

SUBRACES: Final[dict[str, SubraceInfo]] = {
    "Hill Dwarf": SubraceInfo("Hill Dwarf", "Dwarf", {"WIS": 1}, ("Dwarven Toughness",), hp_per_level=1),
    "High Elf": SubraceInfo(
        "High Elf", "Elf", {"INT": 1}, ("Elf Weapon Training", "High Elf Cantrip", "Extra Language"),
        proficiencies=("Longswords", "Shortswords", "Shortbows", "Longbows"),
        extra_languages=1,
        wizard_cantrips=1,
    ),
    "Lightfoot Halfling": SubraceInfo("Lightfoot Halfling", "Halfling", {"CHA": 1}, ("Naturally Stealthy",)),
    "Rock Gnome": SubraceInfo(
        "Rock Gnome", "Gnome", {"CON": 1}, ("Artificer's Lore", "Tinker"), proficiencies=("Tinker's Tools",),
    ),
    # Not in the SRD (Player's Handbook option): described here in our own words.
    "Variant Human": SubraceInfo(
        "Variant Human", "Human", {}, ("Skills", "Feat"),
        replaces_race_bonuses=True,
        ability_choices=2,
        skill_choices=1,
        feat=True,
        srd=False,
    ),
}

DRACONIC_ANCESTRIES: Final[dict[str, str]] = {
    "Black": "acid", "Blue": "lightning", "Brass": "fire", "Bronze": "lightning", "Copper": "acid",
    "Gold": "fire", "Green": "poison", "Red": "fire", "Silver": "cold", "White": "cold",
}


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


def find_race(name: str) -> RaceInfo | None:
    key = _key(name)
    for race in RACES.values():
        if _key(race.name) == key:
            return race
    return None


def find_subrace(name: str) -> SubraceInfo | None:
    key = _key(name)
    for sub in SUBRACES.values():
        if _key(sub.name) == key:
            return sub
    return None
