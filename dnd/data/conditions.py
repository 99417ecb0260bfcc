"""The 15 SRD conditions: short summaries written for this engine and their mechanical flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ConditionInfo:
    name: str
    summary: str
    incapacitated: bool = False  # no actions or reactions
    speed_zero: bool = False
    attack_disadvantage: bool = False  # on the creature's own attack rolls
    attack_advantage: bool = False  # on the creature's own attack rolls (invisible)
    attacked_with_advantage: bool = False  # attack rolls against the creature
    attacked_with_disadvantage: bool = False  # attack rolls against the creature
    prone_like: bool = False  # advantage within 5 ft, disadvantage from farther away
    check_disadvantage: bool = False  # all ability checks
    auto_fail_saves: tuple[str, ...] = ()
    save_disadvantage: tuple[str, ...] = ()
    crit_within_5ft: bool = False  # a hit from within 5 feet is a critical hit
    implies: tuple[str, ...] = ()  # conditions this one includes


CONDITIONS: Final[dict[str, ConditionInfo]] = {
    c.name: c
    for c in (
        ConditionInfo(
            "Blinded",
            "Can't see: fails checks that need sight; its attacks have disadvantage and attacks "
            "against it have advantage.",
            attack_disadvantage=True,
            attacked_with_advantage=True,
        ),
        ConditionInfo(
            "Charmed",
            "Can't attack or target the charmer with harmful effects; the charmer has advantage on "
            "social checks against it.",
        ),
        ConditionInfo("Deafened", "Can't hear: fails any check that needs hearing."),
        ConditionInfo(
            "Frightened",
            "Disadvantage on ability checks and attack rolls while the source of fear is in sight; "
            "can't willingly move closer to it.",
            attack_disadvantage=True,
            check_disadvantage=True,
        ),
        ConditionInfo("Grappled", "Speed becomes 0 until the grapple ends.", speed_zero=True),
        ConditionInfo("Incapacitated", "Can't take actions or reactions.", incapacitated=True),
        ConditionInfo(
            "Invisible",
            "Can't be seen without magic or special senses; its attacks have advantage and attacks "
            "against it have disadvantage.",
            attack_advantage=True,
            attacked_with_disadvantage=True,
        ),
        ConditionInfo(
            "Paralyzed",
            "Incapacitated and unable to move or speak; fails STR and DEX saves; attacks against it "
            "have advantage and hits from within 5 feet are critical.",
            incapacitated=True,
            speed_zero=True,
            attacked_with_advantage=True,
            auto_fail_saves=("STR", "DEX"),
            crit_within_5ft=True,
            implies=("Incapacitated",),
        ),
        ConditionInfo(
            "Petrified",
            "Turned to inert substance: incapacitated, unaware, resistant to all damage and immune to "
            "poison and disease; fails STR and DEX saves; attacks against it have advantage.",
            incapacitated=True,
            speed_zero=True,
            attacked_with_advantage=True,
            auto_fail_saves=("STR", "DEX"),
            implies=("Incapacitated",),
        ),
        ConditionInfo(
            "Poisoned",
            "Disadvantage on attack rolls and ability checks.",
            attack_disadvantage=True,
            check_disadvantage=True,
        ),
        ConditionInfo(
            "Prone",
            "Can only crawl unless it stands up; its attacks have disadvantage; attacks against it "
            "have advantage within 5 feet and disadvantage from farther away.",
            attack_disadvantage=True,
            prone_like=True,
        ),
        ConditionInfo(
            "Restrained",
            "Speed 0; its attacks and DEX saves have disadvantage; attacks against it have advantage.",
            speed_zero=True,
            attack_disadvantage=True,
            attacked_with_advantage=True,
            save_disadvantage=("DEX",),
        ),
        ConditionInfo(
            "Stunned",
            "Incapacitated, can't move and speaks falteringly; fails STR and DEX saves; attacks "
            "against it have advantage.",
            incapacitated=True,
            speed_zero=True,
            attacked_with_advantage=True,
            auto_fail_saves=("STR", "DEX"),
            implies=("Incapacitated",),
        ),
        ConditionInfo(
            "Unconscious",
            "Incapacitated, unaware, drops what it holds and falls prone; fails STR and DEX saves; "
            "attacks against it have advantage and hits from within 5 feet are critical.",
            incapacitated=True,
            speed_zero=True,
            attacked_with_advantage=True,
            auto_fail_saves=("STR", "DEX"),
            crit_within_5ft=True,
            implies=("Incapacitated", "Prone"),
        ),
        ConditionInfo(
            "Exhaustion",
            "Measured in six levels, each adding to the last: 1 disadvantage on ability checks; "
            "2 speed halved; 3 disadvantage on attacks and saves; 4 hit point maximum halved; "
            "5 speed 0; 6 death. A long rest with food and drink removes one level.",
        ),
    )
}

# Cumulative effects by exhaustion level.
EXHAUSTION_EFFECTS: Final[dict[int, str]] = {
    1: "Disadvantage on ability checks",
    2: "Speed halved",
    3: "Disadvantage on attack rolls and saving throws",
    4: "Hit point maximum halved",
    5: "Speed reduced to 0",
    6: "Death",
}
MAX_EXHAUSTION: Final[int] = 6


def find_condition(name: str) -> ConditionInfo | None:
    key = name.strip().casefold()
    for cond in CONDITIONS.values():
        if cond.name.casefold() == key:
            return cond
    return None
