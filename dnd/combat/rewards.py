"""What a fight earns: experience points for the monsters defeated, split among the characters who survived, and
their treasure.

By the SRD, the party shares the XP of the monsters it defeated: the total divided evenly among the party
members (here: the characters in the fight still alive), rounded down. A monster that fled was not defeated
and earns nothing; a character who died in the fight has no share.

Treasure (:func:`fight_treasure`): each monster brought to 0 hit points leaves its individual treasure by CR
(``dnd.generators.generate_loot``); a boss (a legendary creature, or one the caller names) leaves a hoard
instead (``generate_hoard``). Monsters that fled take theirs with them.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dnd.combat.state import CombatState
from dnd.generators import generate_hoard, generate_loot
from dnd.monsters import Combatant
from dnd.wealth import Wealth, add_wealth


@dataclass(frozen=True)
class XpAward:
    """A character's share of the fight's XP."""

    combatant: Combatant
    xp: int


def defeated_xp(state: CombatState) -> int:
    """The XP of the monsters brought to 0 hit points (not those that fled)."""
    return sum(c.monster.xp for c in state.defeated if c.kind == "monster" and c.monster and c.hp == 0)


def xp_awards(state: CombatState) -> list[XpAward]:
    """Each surviving character's share of the defeated monsters' XP (none when nobody survived or earned any)."""
    survivors = [c for c in [*state.combatants, *state.defeated] if c.kind == "character" and not c.dead]
    total = defeated_xp(state)
    if not survivors or total <= 0:
        return []
    share = total // len(survivors)
    return [XpAward(c, share) for c in survivors] if share else []


@dataclass(frozen=True)
class Treasure:
    """What the defeated left: coins, item names, and the lines of the rolls (a heading per creature)."""

    coins: Wealth = field(default_factory=Wealth)
    items: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def is_boss(monster: Combatant, bosses: Collection[str]) -> bool:
    block = monster.monster
    return block is not None and (bool(block.legendary_actions) or block.index in bosses)


def fight_treasure(state: CombatState, rng: random.Random | None = None,
                   magic_items: Sequence[Mapping[str, Any]] = (), bosses: Collection[str] = ()) -> Treasure:
    """The treasure of the monsters defeated (not those that fled); ``bosses``: stat-block indexes that leave a
    hoard."""
    coins, items, lines = Wealth(), [], []
    for monster in state.defeated:
        if monster.kind != "monster" or monster.monster is None or monster.hp > 0:
            continue
        cr = monster.monster.challenge_rating
        hoard = is_boss(monster, bosses)
        loot = generate_hoard(cr, rng, magic_items) if hoard else generate_loot(cr, rng, magic_items)
        coins = add_wealth(coins, loot.coins)
        items += loot.items
        lines.append(f"{monster.name}: " + " · ".join(loot.lines[1:] or ["nothing"]))
    return Treasure(coins, items, lines)
