"""What a fight earns: experience points for the monsters defeated, split among the characters who survived.

By the SRD, the party shares the XP of the monsters it defeated: the total divided evenly among the party
members (here: the characters in the fight still alive), rounded down. A monster that fled was not defeated
and earns nothing; a character who died in the fight has no share.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnd.combat.state import CombatState
from dnd.monsters import Combatant


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
