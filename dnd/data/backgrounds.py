"""Backgrounds: the SRD's Acolyte plus a few generic ones written for this engine (marked non-SRD)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class BackgroundInfo:
    name: str
    skills: tuple[str, ...]
    languages: int  # languages of the player's choice
    tools: tuple[str, ...]
    equipment: tuple[tuple[str, int], ...]  # (item name, quantity)
    gold: int  # gp in the starting pouch
    feature: str
    summary: str
    srd: bool = True


BACKGROUNDS: Final[dict[str, BackgroundInfo]] = {
    "Acolyte": BackgroundInfo(
        name="Acolyte",
        skills=("Insight", "Religion"),
        languages=2,
        tools=(),
        equipment=(("Amulet", 1), ("Book", 1), ("Block of incense", 5), ("Vestments", 1),
                   ("Clothes, common", 1), ("Pouch", 1)),
        gold=15,
        feature="Shelter of the Faithful",
        summary="Raised in service to a temple; the faithful offer you and your companions shelter.",
    ),
    "Laborer": BackgroundInfo(
        name="Laborer",
        skills=("Athletics", "Survival"),
        languages=0,
        tools=("Carpenter's Tools",),
        equipment=(("Carpenter's Tools", 1), ("Clothes, common", 1), ("Pouch", 1)),
        gold=10,
        feature="Honest Work",
        summary="You hauled, dug and built for a living; working folk will point you to a bed and a meal.",
        srd=False,
    ),
    "Scholar": BackgroundInfo(
        name="Scholar",
        skills=("Arcana", "History"),
        languages=1,
        tools=(),
        equipment=(("Ink (1 ounce bottle)", 1), ("Ink pen", 1), ("Book", 1), ("Clothes, common", 1),
                   ("Pouch", 1)),
        gold=10,
        feature="Library Access",
        summary="Years among books; you can usually find where a piece of lore is kept and who guards it.",
        srd=False,
    ),
    "Wayfarer": BackgroundInfo(
        name="Wayfarer",
        skills=("Perception", "Survival"),
        languages=1,
        tools=(),
        equipment=(("Clothes, traveler's", 1), ("Bedroll", 1), ("Waterskin", 1), ("Pouch", 1)),
        gold=10,
        feature="Road Wisdom",
        summary="You have walked the roads for years and know where travellers can find water and camp.",
        srd=False,
    ),
}


def find_background(name: str) -> BackgroundInfo | None:
    key = name.strip().casefold()
    for bg in BACKGROUNDS.values():
        if bg.name.casefold() == key:
            return bg
    return None
