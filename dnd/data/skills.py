"""Ability scores and the 18 skills (SRD 5.1), written by hand."""

from __future__ import annotations

from typing import Final

ABILITIES: Final[tuple[str, ...]] = ("STR", "DEX", "CON", "INT", "WIS", "CHA")

ABILITY_NAMES: Final[dict[str, str]] = {
    "STR": "Strength",
    "DEX": "Dexterity",
    "CON": "Constitution",
    "INT": "Intelligence",
    "WIS": "Wisdom",
    "CHA": "Charisma",
}

# skill -> governing ability
SKILLS: Final[dict[str, str]] = {
    "Acrobatics": "DEX",
    "Animal Handling": "WIS",
    "Arcana": "INT",
    "Athletics": "STR",
    "Deception": "CHA",
    "History": "INT",
    "Insight": "WIS",
    "Intimidation": "CHA",
    "Investigation": "INT",
    "Medicine": "WIS",
    "Nature": "INT",
    "Perception": "WIS",
    "Performance": "CHA",
    "Persuasion": "CHA",
    "Religion": "INT",
    "Sleight of Hand": "DEX",
    "Stealth": "DEX",
    "Survival": "WIS",
}

LANGUAGES_STANDARD: Final[tuple[str, ...]] = (
    "Common", "Dwarvish", "Elvish", "Giant", "Gnomish", "Goblin", "Halfling", "Orc",
)
LANGUAGES_EXOTIC: Final[tuple[str, ...]] = (
    "Abyssal", "Celestial", "Draconic", "Deep Speech", "Infernal", "Primordial", "Sylvan", "Undercommon",
)
LANGUAGES: Final[tuple[str, ...]] = LANGUAGES_STANDARD + LANGUAGES_EXOTIC
