"""The engine's own compact rules facts (SRD 5.1), written by hand.

Nothing here is read from files: the SRD JSON is only used by the test suite to check these tables.
"""

from __future__ import annotations

from dnd.data.backgrounds import BACKGROUNDS, BackgroundInfo, find_background
from dnd.data.classes import (
    ASI,
    CLASSES,
    SUBCLASSES,
    ClassInfo,
    ResourceSpec,
    SubclassInfo,
    find_class,
    find_subclass,
    subclasses_of,
)
from dnd.data.conditions import CONDITIONS, EXHAUSTION_EFFECTS, ConditionInfo, find_condition
from dnd.data.equipment import ITEMS, STARTING_KITS, Armor, Item, Weapon, find_item
from dnd.data.feats import FEATS, FeatInfo, find_feat
from dnd.data.races import RACES, SUBRACES, RaceInfo, SubraceInfo, find_race, find_subrace
from dnd.data.skills import ABILITIES, ABILITY_NAMES, LANGUAGES, SKILLS
from dnd.data.spells import SPELLS, SpellInfo, find_spell
from dnd.data.tables import (
    POINT_BUY_BUDGET,
    POINT_BUY_COSTS,
    STANDARD_ARRAY,
    XP_THRESHOLDS,
    proficiency_bonus_for,
)

__all__ = [
    "ABILITIES", "ABILITY_NAMES", "ASI", "BACKGROUNDS", "CLASSES", "CONDITIONS", "EXHAUSTION_EFFECTS",
    "FEATS", "ITEMS", "LANGUAGES", "POINT_BUY_BUDGET", "POINT_BUY_COSTS", "RACES", "SKILLS", "SPELLS",
    "STANDARD_ARRAY",
    "STARTING_KITS", "SUBCLASSES", "SUBRACES", "XP_THRESHOLDS", "Armor", "BackgroundInfo", "ClassInfo",
    "ConditionInfo", "FeatInfo", "Item", "RaceInfo", "ResourceSpec", "SpellInfo", "SubclassInfo",
    "SubraceInfo", "Weapon", "find_background", "find_class", "find_condition", "find_feat", "find_item",
    "find_race", "find_spell", "find_subclass", "find_subrace", "proficiency_bonus_for", "subclasses_of",
]
