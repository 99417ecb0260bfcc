"""Feats. Grappler is the only feat in the SRD 5.1; the others are common Player's Handbook feats
summarised in our own words and marked ``srd=False``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from dnd.data.classes import Recovery


@dataclass(frozen=True)
class FeatInfo:
    name: str
    summary: str
    srd: bool = False
    prerequisites: dict[str, int] = field(default_factory=dict)  # ability minimums
    requires_spellcasting: bool = False
    uses: int | None = None  # limited uses, recovered on ``recovery``
    recovery: Recovery = "none"
    ability_increase: dict[str, int] = field(default_factory=dict)  # fixed increases
    ability_choice: tuple[str, ...] = ()  # +1 to one of these (player's choice)
    hp_per_level: int = 0
    initiative_bonus: int = 0
    speed_bonus: int = 0
    passive_bonus: int = 0  # passive Perception and Investigation


FEATS: Final[dict[str, FeatInfo]] = {
    f.name: f
    for f in (
        FeatInfo(
            "Grappler",
            "Advantage on attack rolls against a creature you are grappling; you can use your action to "
            "try to pin a creature you have grappled, restraining you both.",
            srd=True,
            prerequisites={"STR": 13},
        ),
        FeatInfo(
            "Alert",
            "+5 to initiative; you can't be surprised while conscious; hidden attackers gain no advantage "
            "against you.",
            initiative_bonus=5,
        ),
        FeatInfo(
            "Great Weapon Master",
            "After a melee critical hit or kill, make one weapon attack as a bonus action; before a heavy "
            "weapon attack you may take -5 to hit for +10 damage.",
        ),
        FeatInfo(
            "Lucky",
            "Three times per long rest, roll an extra d20 for an attack, check or save (or an attack "
            "against you) and choose which d20 counts.",
            uses=3,
            recovery="long",
        ),
        FeatInfo(
            "Mobile",
            "+10 feet of speed; Dash ignores difficult terrain; a creature you attack in melee can't make "
            "opportunity attacks against you this turn.",
            speed_bonus=10,
        ),
        FeatInfo(
            "Observant",
            "+1 to Intelligence or Wisdom; you can read lips; +5 to passive Perception and Investigation.",
            ability_choice=("INT", "WIS"),
            passive_bonus=5,
        ),
        FeatInfo(
            "Sentinel",
            "Your opportunity attacks stop the target's movement; Disengage doesn't protect from them; you "
            "can strike a creature that attacks an ally next to you.",
        ),
        FeatInfo(
            "Sharpshooter",
            "Long range imposes no disadvantage and cover is ignored on ranged weapon attacks; before such "
            "an attack you may take -5 to hit for +10 damage.",
        ),
        FeatInfo(
            "Tough",
            "Your hit point maximum increases by 2 for every character level you have.",
            hp_per_level=2,
        ),
        FeatInfo(
            "War Caster",
            "Advantage on Constitution saves to keep concentration; cast with hands full; cast a spell as "
            "an opportunity attack.",
            requires_spellcasting=True,
        ),
    )
}


def find_feat(name: str) -> FeatInfo | None:
    key = " ".join(name.replace("_", " ").split()).casefold()
    for feat in FEATS.values():
        if feat.name.casefold() == key:
            return feat
    return None
