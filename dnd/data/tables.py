"""Level-indexed tables of the SRD 5.1 rules, written by hand.

Every table with 20 rows is indexed by ``level - 1``.
"""

from __future__ import annotations

from typing import Final

MAX_LEVEL: Final[int] = 20

# Character level -> minimum XP (Character Advancement table).
XP_THRESHOLDS: Final[tuple[int, ...]] = (
    0, 300, 900, 2_700, 6_500, 14_000, 23_000, 34_000, 48_000, 64_000,
    85_000, 100_000, 120_000, 140_000, 165_000, 195_000, 225_000, 265_000, 305_000, 355_000,
)


def proficiency_bonus_for(level: int) -> int:
    """+2 at levels 1-4, +3 at 5-8, ... +6 at 17-20."""
    return 2 + (level - 1) // 4


# Spell slots per spell level (1st, 2nd, ...) by caster level.
FULL_CASTER_SLOTS: Final[tuple[tuple[int, ...], ...]] = (
    (2,),
    (3,),
    (4, 2),
    (4, 3),
    (4, 3, 2),
    (4, 3, 3),
    (4, 3, 3, 1),
    (4, 3, 3, 2),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 2),
    (4, 3, 3, 3, 2, 1),
    (4, 3, 3, 3, 2, 1),
    (4, 3, 3, 3, 2, 1, 1),
    (4, 3, 3, 3, 2, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1, 1),
    (4, 3, 3, 3, 3, 1, 1, 1, 1),
    (4, 3, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 3, 2, 2, 1, 1),
)

# Paladin and ranger.
HALF_CASTER_SLOTS: Final[tuple[tuple[int, ...], ...]] = (
    (),
    (2,),
    (3,),
    (3,),
    (4, 2),
    (4, 2),
    (4, 3),
    (4, 3),
    (4, 3, 2),
    (4, 3, 2),
    (4, 3, 3),
    (4, 3, 3),
    (4, 3, 3, 1),
    (4, 3, 3, 1),
    (4, 3, 3, 2),
    (4, 3, 3, 2),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 2),
    (4, 3, 3, 3, 2),
)

# Eldritch Knight / Arcane Trickster style subclasses (none is in the SRD; kept for multiclassing).
THIRD_CASTER_SLOTS: Final[tuple[tuple[int, ...], ...]] = (
    (),
    (),
    (2,),
    (3,),
    (3,),
    (3,),
    (4, 2),
    (4, 2),
    (4, 2),
    (4, 3),
    (4, 3),
    (4, 3),
    (4, 3, 2),
    (4, 3, 2),
    (4, 3, 2),
    (4, 3, 3),
    (4, 3, 3),
    (4, 3, 3),
    (4, 3, 3, 1),
    (4, 3, 3, 1),
)

# Warlock Pact Magic: (number of slots, slot level) by warlock level.
PACT_SLOTS: Final[tuple[tuple[int, int], ...]] = (
    (1, 1), (2, 1), (2, 2), (2, 2), (2, 3), (2, 3), (2, 4), (2, 4), (2, 5), (2, 5),
    (3, 5), (3, 5), (3, 5), (3, 5), (3, 5), (3, 5), (4, 5), (4, 5), (4, 5), (4, 5),
)

# Ability score generation.
STANDARD_ARRAY: Final[tuple[int, ...]] = (15, 14, 13, 12, 10, 8)
POINT_BUY_BUDGET: Final[int] = 27
POINT_BUY_COSTS: Final[dict[int, int]] = {8: 0, 9: 1, 10: 2, 11: 3, 12: 4, 13: 5, 14: 7, 15: 9}
ABILITY_SCORE_CAP: Final[int] = 20

# Coin values in copper pieces.
COIN_VALUES: Final[dict[str, int]] = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
COINS_PER_POUND: Final[int] = 50
