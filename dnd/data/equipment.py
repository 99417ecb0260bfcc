"""Common equipment with prices (in copper pieces) and weights (lb), written by hand.

Weapons and armor cover the SRD tables; adventuring gear, tools and packs cover what characters
usually carry. Names follow the SRD equipment tables ("Crossbow, light", "Rations (1 day)"); common
alternative spellings are accepted by :func:`find_item`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from dnd.data.tables import COIN_VALUES
from dnd.phrases import singularize

ItemKind = Literal["weapon", "armor", "gear", "ammunition", "tool", "instrument", "focus", "pack", "potion"]


def price_cp(price: str) -> int:
    """``"15 gp"`` -> 1500. Accepts cp, sp, ep, gp, pp."""
    amount, unit = price.split()
    return int(amount) * COIN_VALUES[unit.lower()]


@dataclass(frozen=True)
class Item:
    name: str
    kind: ItemKind
    cost_cp: int
    weight: float  # weight of one bundle
    bundle: int = 1  # how many come for the price (20 arrows)
    properties: tuple[str, ...] = ()
    contents: tuple[tuple[str, int], ...] = ()  # equipment packs
    heal: str = ""  # potions: dice healed
    description: str = ""

    @property
    def unit_weight(self) -> float:
        return self.weight / self.bundle


@dataclass(frozen=True)
class Weapon(Item):
    category: Literal["simple", "martial"] = "simple"
    ranged: bool = False
    damage: str = ""  # "" for the net
    damage_type: str = ""
    versatile: str = ""
    range_normal: int = 5
    range_long: int = 0


@dataclass(frozen=True)
class Armor(Item):
    category: Literal["light", "medium", "heavy", "shield"] = "light"
    base_ac: int = 10
    dex_cap: int | None = None  # None: full DEX bonus; 0: no DEX bonus
    str_minimum: int = 0
    stealth_disadvantage: bool = False


# name, category, melee/ranged, cost, weight, damage, damage type, properties, range, versatile die
_WEAPONS: Final[tuple[tuple[str, str, str, str, float, str, str, str, str, str], ...]] = (
    ("Club", "simple", "melee", "1 sp", 2, "1d4", "bludgeoning", "light", "", ""),
    ("Dagger", "simple", "melee", "2 gp", 1, "1d4", "piercing", "finesse light thrown", "20/60", ""),
    ("Greatclub", "simple", "melee", "2 sp", 10, "1d8", "bludgeoning", "two-handed", "", ""),
    ("Handaxe", "simple", "melee", "5 gp", 2, "1d6", "slashing", "light thrown", "20/60", ""),
    ("Javelin", "simple", "melee", "5 sp", 2, "1d6", "piercing", "thrown", "30/120", ""),
    ("Light hammer", "simple", "melee", "2 gp", 2, "1d4", "bludgeoning", "light thrown", "20/60", ""),
    ("Mace", "simple", "melee", "5 gp", 4, "1d6", "bludgeoning", "", "", ""),
    ("Quarterstaff", "simple", "melee", "2 sp", 4, "1d6", "bludgeoning", "versatile", "", "1d8"),
    ("Sickle", "simple", "melee", "1 gp", 2, "1d4", "slashing", "light", "", ""),
    ("Spear", "simple", "melee", "1 gp", 3, "1d6", "piercing", "thrown versatile", "20/60", "1d8"),
    ("Crossbow, light", "simple", "ranged", "25 gp", 5, "1d8", "piercing", "ammunition loading two-handed",
     "80/320", ""),
    ("Dart", "simple", "ranged", "5 cp", 0.25, "1d4", "piercing", "finesse thrown", "20/60", ""),
    ("Shortbow", "simple", "ranged", "25 gp", 2, "1d6", "piercing", "ammunition two-handed", "80/320", ""),
    ("Sling", "simple", "ranged", "1 sp", 0, "1d4", "bludgeoning", "ammunition", "30/120", ""),
    ("Battleaxe", "martial", "melee", "10 gp", 4, "1d8", "slashing", "versatile", "", "1d10"),
    ("Flail", "martial", "melee", "10 gp", 2, "1d8", "bludgeoning", "", "", ""),
    ("Glaive", "martial", "melee", "20 gp", 6, "1d10", "slashing", "heavy reach two-handed", "", ""),
    ("Greataxe", "martial", "melee", "30 gp", 7, "1d12", "slashing", "heavy two-handed", "", ""),
    ("Greatsword", "martial", "melee", "50 gp", 6, "2d6", "slashing", "heavy two-handed", "", ""),
    ("Halberd", "martial", "melee", "20 gp", 6, "1d10", "slashing", "heavy reach two-handed", "", ""),
    ("Lance", "martial", "melee", "10 gp", 6, "1d12", "piercing", "reach special", "", ""),
    ("Longsword", "martial", "melee", "15 gp", 3, "1d8", "slashing", "versatile", "", "1d10"),
    ("Maul", "martial", "melee", "10 gp", 10, "2d6", "bludgeoning", "heavy two-handed", "", ""),
    ("Morningstar", "martial", "melee", "15 gp", 4, "1d8", "piercing", "", "", ""),
    ("Pike", "martial", "melee", "5 gp", 18, "1d10", "piercing", "heavy reach two-handed", "", ""),
    ("Rapier", "martial", "melee", "25 gp", 2, "1d8", "piercing", "finesse", "", ""),
    ("Scimitar", "martial", "melee", "25 gp", 3, "1d6", "slashing", "finesse light", "", ""),
    ("Shortsword", "martial", "melee", "10 gp", 2, "1d6", "piercing", "finesse light", "", ""),
    ("Trident", "martial", "melee", "5 gp", 4, "1d6", "piercing", "thrown versatile", "20/60", "1d8"),
    ("War pick", "martial", "melee", "5 gp", 2, "1d8", "piercing", "", "", ""),
    ("Warhammer", "martial", "melee", "15 gp", 2, "1d8", "bludgeoning", "versatile", "", "1d10"),
    ("Whip", "martial", "melee", "2 gp", 3, "1d4", "slashing", "finesse reach", "", ""),
    ("Blowgun", "martial", "ranged", "10 gp", 1, "1", "piercing", "ammunition loading", "25/100", ""),
    ("Crossbow, hand", "martial", "ranged", "75 gp", 3, "1d6", "piercing", "ammunition light loading",
     "30/120", ""),
    ("Crossbow, heavy", "martial", "ranged", "50 gp", 18, "1d10", "piercing",
     "ammunition heavy loading two-handed", "100/400", ""),
    ("Longbow", "martial", "ranged", "50 gp", 2, "1d8", "piercing", "ammunition heavy two-handed",
     "150/600", ""),
    ("Net", "martial", "ranged", "1 gp", 3, "", "", "special thrown", "5/15", ""),
)

# name, category, cost, weight, base AC, DEX cap ("-" = none, "0" = no DEX), STR minimum, stealth disadv.
_ARMOR: Final[tuple[tuple[str, str, str, float, int, str, int, bool], ...]] = (
    ("Padded Armor", "light", "5 gp", 8, 11, "-", 0, True),
    ("Leather Armor", "light", "10 gp", 10, 11, "-", 0, False),
    ("Studded Leather Armor", "light", "45 gp", 13, 12, "-", 0, False),
    ("Hide Armor", "medium", "10 gp", 12, 12, "2", 0, False),
    ("Chain Shirt", "medium", "50 gp", 20, 13, "2", 0, False),
    ("Scale Mail", "medium", "50 gp", 45, 14, "2", 0, True),
    ("Breastplate", "medium", "400 gp", 20, 14, "2", 0, False),
    ("Half Plate Armor", "medium", "750 gp", 40, 15, "2", 0, True),
    ("Ring Mail", "heavy", "30 gp", 40, 14, "0", 0, True),
    ("Chain Mail", "heavy", "75 gp", 55, 16, "0", 13, True),
    ("Splint Armor", "heavy", "200 gp", 60, 17, "0", 15, True),
    ("Plate Armor", "heavy", "1500 gp", 65, 18, "0", 15, True),
    ("Shield", "shield", "10 gp", 6, 2, "0", 0, False),
)

# name, kind, cost, weight (of the bundle), bundle size
_GEAR: Final[tuple[tuple[str, ItemKind, str, float, int], ...]] = (
    ("Abacus", "gear", "2 gp", 2, 1),
    ("Acid (vial)", "gear", "25 gp", 1, 1),
    ("Alchemist's fire (flask)", "gear", "50 gp", 1, 1),
    ("Arrow", "ammunition", "1 gp", 1, 20),
    ("Blowgun needle", "ammunition", "1 gp", 1, 50),
    ("Crossbow bolt", "ammunition", "1 gp", 1.5, 20),
    ("Sling bullet", "ammunition", "4 cp", 1.5, 20),
    ("Antitoxin (vial)", "gear", "50 gp", 0, 1),
    ("Crystal", "focus", "10 gp", 1, 1),
    ("Orb", "focus", "20 gp", 3, 1),
    ("Rod", "focus", "10 gp", 2, 1),
    ("Staff", "focus", "5 gp", 4, 1),
    ("Wand", "focus", "10 gp", 1, 1),
    ("Sprig of mistletoe", "focus", "1 gp", 0, 1),
    ("Totem", "focus", "1 gp", 0, 1),
    ("Wooden staff", "focus", "5 gp", 4, 1),
    ("Yew wand", "focus", "10 gp", 1, 1),
    ("Amulet", "focus", "5 gp", 1, 1),
    ("Emblem", "focus", "5 gp", 0, 1),
    ("Reliquary", "focus", "5 gp", 2, 1),
    ("Backpack", "gear", "2 gp", 5, 1),
    ("Ball bearings (bag of 1,000)", "gear", "1 gp", 2, 1),
    ("Barrel", "gear", "2 gp", 70, 1),
    ("Basket", "gear", "4 sp", 2, 1),
    ("Bedroll", "gear", "1 gp", 7, 1),
    ("Bell", "gear", "1 gp", 0, 1),
    ("Blanket", "gear", "5 sp", 3, 1),
    ("Block and tackle", "gear", "1 gp", 5, 1),
    ("Book", "gear", "25 gp", 5, 1),
    ("Bottle, glass", "gear", "2 gp", 2, 1),
    ("Bucket", "gear", "5 cp", 2, 1),
    ("Candle", "gear", "1 cp", 0, 1),
    ("Case, crossbow bolt", "gear", "1 gp", 1, 1),
    ("Case, map or scroll", "gear", "1 gp", 1, 1),
    ("Chain (10 feet)", "gear", "5 gp", 10, 1),
    ("Chalk (1 piece)", "gear", "1 cp", 0, 1),
    ("Chest", "gear", "5 gp", 25, 1),
    ("Clothes, common", "gear", "5 sp", 3, 1),
    ("Clothes, costume", "gear", "5 gp", 4, 1),
    ("Clothes, fine", "gear", "15 gp", 6, 1),
    ("Clothes, traveler's", "gear", "2 gp", 4, 1),
    ("Component pouch", "gear", "25 gp", 2, 1),
    ("Crowbar", "gear", "2 gp", 5, 1),
    ("Fishing tackle", "gear", "1 gp", 4, 1),
    ("Flask or tankard", "gear", "2 cp", 1, 1),
    ("Grappling hook", "gear", "2 gp", 4, 1),
    ("Hammer", "gear", "1 gp", 3, 1),
    ("Hammer, sledge", "gear", "2 gp", 10, 1),
    ("Holy water (flask)", "gear", "25 gp", 1, 1),
    ("Hourglass", "gear", "25 gp", 1, 1),
    ("Hunting trap", "gear", "5 gp", 25, 1),
    ("Ink (1 ounce bottle)", "gear", "10 gp", 0, 1),
    ("Ink pen", "gear", "2 cp", 0, 1),
    ("Jug or pitcher", "gear", "2 cp", 4, 1),
    ("Ladder (10-foot)", "gear", "1 sp", 25, 1),
    ("Lamp", "gear", "5 sp", 1, 1),
    ("Lantern, bullseye", "gear", "10 gp", 2, 1),
    ("Lantern, hooded", "gear", "5 gp", 2, 1),
    ("Lock", "gear", "10 gp", 1, 1),
    ("Magnifying glass", "gear", "100 gp", 0, 1),
    ("Manacles", "gear", "2 gp", 6, 1),
    ("Mess Kit", "gear", "2 sp", 1, 1),
    ("Mirror, steel", "gear", "5 gp", 0.5, 1),
    ("Oil (flask)", "gear", "1 sp", 1, 1),
    ("Paper (one sheet)", "gear", "2 sp", 0, 1),
    ("Parchment (one sheet)", "gear", "1 sp", 0, 1),
    ("Perfume (vial)", "gear", "5 gp", 0, 1),
    ("Pick, miner's", "gear", "2 gp", 10, 1),
    ("Piton", "gear", "5 cp", 0.25, 1),
    ("Poison, basic (vial)", "gear", "100 gp", 0, 1),
    ("Pole (10-foot)", "gear", "5 cp", 7, 1),
    ("Pot, iron", "gear", "2 gp", 10, 1),
    ("Pouch", "gear", "5 sp", 1, 1),
    ("Quiver", "gear", "1 gp", 1, 1),
    ("Ram, portable", "gear", "4 gp", 35, 1),
    ("Rations (1 day)", "gear", "5 sp", 2, 1),
    ("Robes", "gear", "1 gp", 4, 1),
    ("Rope, hempen (50 feet)", "gear", "1 gp", 10, 1),
    ("Rope, silk (50 feet)", "gear", "10 gp", 5, 1),
    ("Sack", "gear", "1 cp", 0.5, 1),
    ("Scale, merchant's", "gear", "5 gp", 3, 1),
    ("Sealing wax", "gear", "5 sp", 0, 1),
    ("Shovel", "gear", "2 gp", 5, 1),
    ("Signal whistle", "gear", "5 cp", 0, 1),
    ("Signet ring", "gear", "5 gp", 0, 1),
    ("Soap", "gear", "2 cp", 0, 1),
    ("Spellbook", "gear", "50 gp", 3, 1),
    ("Spyglass", "gear", "1000 gp", 1, 1),
    ("Tent, two-person", "gear", "2 gp", 20, 1),
    ("Tinderbox", "gear", "5 sp", 1, 1),
    ("Torch", "gear", "1 cp", 1, 1),
    ("Vial", "gear", "1 gp", 0, 1),
    ("Waterskin", "gear", "2 sp", 5, 1),
    ("Whetstone", "gear", "1 cp", 1, 1),
    # Items that only come inside packs or backgrounds (no listed price).
    ("Alms box", "gear", "0 cp", 0, 1),
    ("Block of incense", "gear", "0 cp", 0, 1),
    ("Censer", "gear", "0 cp", 0, 1),
    ("Vestments", "gear", "0 cp", 0, 1),
    ("Little bag of sand", "gear", "0 cp", 0, 1),
    ("Small knife", "gear", "0 cp", 0, 1),
    ("String (10 feet)", "gear", "0 cp", 0, 1),
    # Kits and tools.
    ("Climber's Kit", "tool", "25 gp", 12, 1),
    ("Disguise Kit", "tool", "25 gp", 3, 1),
    ("Forgery Kit", "tool", "15 gp", 5, 1),
    ("Healer's Kit", "tool", "5 gp", 3, 1),
    ("Herbalism Kit", "tool", "5 gp", 3, 1),
    ("Poisoner's Kit", "tool", "50 gp", 2, 1),
    ("Navigator's Tools", "tool", "25 gp", 2, 1),
    ("Thieves' Tools", "tool", "25 gp", 1, 1),
    ("Alchemist's Supplies", "tool", "50 gp", 8, 1),
    ("Brewer's Supplies", "tool", "20 gp", 9, 1),
    ("Calligrapher's Supplies", "tool", "10 gp", 5, 1),
    ("Carpenter's Tools", "tool", "8 gp", 6, 1),
    ("Cartographer's Tools", "tool", "15 gp", 6, 1),
    ("Cobbler's Tools", "tool", "5 gp", 5, 1),
    ("Cook's utensils", "tool", "1 gp", 8, 1),
    ("Glassblower's Tools", "tool", "30 gp", 5, 1),
    ("Jeweler's Tools", "tool", "25 gp", 2, 1),
    ("Leatherworker's Tools", "tool", "5 gp", 5, 1),
    ("Mason's Tools", "tool", "10 gp", 8, 1),
    ("Painter's Supplies", "tool", "10 gp", 5, 1),
    ("Potter's Tools", "tool", "10 gp", 3, 1),
    ("Smith's Tools", "tool", "20 gp", 8, 1),
    ("Tinker's Tools", "tool", "50 gp", 10, 1),
    ("Weaver's Tools", "tool", "1 gp", 5, 1),
    ("Woodcarver's Tools", "tool", "1 gp", 5, 1),
    ("Dice Set", "tool", "1 sp", 0, 1),
    ("Playing Card Set", "tool", "5 sp", 0, 1),
    ("Bagpipes", "instrument", "30 gp", 6, 1),
    ("Drum", "instrument", "6 gp", 3, 1),
    ("Dulcimer", "instrument", "25 gp", 10, 1),
    ("Flute", "instrument", "2 gp", 1, 1),
    ("Lute", "instrument", "35 gp", 2, 1),
    ("Lyre", "instrument", "30 gp", 2, 1),
    ("Horn", "instrument", "3 gp", 2, 1),
    ("Pan flute", "instrument", "12 gp", 2, 1),
    ("Shawm", "instrument", "2 gp", 1, 1),
    ("Viol", "instrument", "30 gp", 1, 1),
)

ARTISAN_TOOLS: Final[tuple[str, ...]] = (
    "Alchemist's Supplies", "Brewer's Supplies", "Calligrapher's Supplies", "Carpenter's Tools",
    "Cartographer's Tools", "Cobbler's Tools", "Cook's utensils", "Glassblower's Tools", "Jeweler's Tools",
    "Leatherworker's Tools", "Mason's Tools", "Painter's Supplies", "Potter's Tools", "Smith's Tools",
    "Tinker's Tools", "Weaver's Tools", "Woodcarver's Tools",
)
MUSICAL_INSTRUMENTS: Final[tuple[str, ...]] = (
    "Bagpipes", "Drum", "Dulcimer", "Flute", "Lute", "Lyre", "Horn", "Pan flute", "Shawm", "Viol",
)

# Equipment packs: (name, cost, contents).
_PACKS: Final[tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...]] = (
    ("Burglar's Pack", "16 gp", (
        ("Backpack", 1), ("Ball bearings (bag of 1,000)", 1), ("String (10 feet)", 1), ("Bell", 1),
        ("Candle", 5), ("Crowbar", 1), ("Hammer", 1), ("Piton", 10), ("Lantern, hooded", 1),
        ("Oil (flask)", 2), ("Rations (1 day)", 5), ("Tinderbox", 1), ("Waterskin", 1),
        ("Rope, hempen (50 feet)", 1))),
    ("Diplomat's Pack", "39 gp", (
        ("Chest", 1), ("Case, map or scroll", 2), ("Clothes, fine", 1), ("Ink (1 ounce bottle)", 1),
        ("Ink pen", 1), ("Lamp", 1), ("Oil (flask)", 2), ("Paper (one sheet)", 5), ("Perfume (vial)", 1),
        ("Sealing wax", 1), ("Soap", 1))),
    ("Dungeoneer's Pack", "12 gp", (
        ("Backpack", 1), ("Crowbar", 1), ("Hammer", 1), ("Piton", 10), ("Torch", 10), ("Tinderbox", 1),
        ("Rations (1 day)", 10), ("Waterskin", 1), ("Rope, hempen (50 feet)", 1))),
    ("Entertainer's Pack", "40 gp", (
        ("Backpack", 1), ("Bedroll", 1), ("Clothes, costume", 2), ("Candle", 5), ("Rations (1 day)", 5),
        ("Waterskin", 1), ("Disguise Kit", 1))),
    ("Explorer's Pack", "10 gp", (
        ("Backpack", 1), ("Bedroll", 1), ("Mess Kit", 1), ("Tinderbox", 1), ("Torch", 10),
        ("Rations (1 day)", 10), ("Waterskin", 1), ("Rope, hempen (50 feet)", 1))),
    ("Priest's Pack", "19 gp", (
        ("Backpack", 1), ("Blanket", 1), ("Candle", 10), ("Tinderbox", 1), ("Alms box", 1),
        ("Block of incense", 2), ("Censer", 1), ("Vestments", 1), ("Rations (1 day)", 2), ("Waterskin", 1))),
    ("Scholar's Pack", "40 gp", (
        ("Backpack", 1), ("Book", 1), ("Ink (1 ounce bottle)", 1), ("Ink pen", 1),
        ("Parchment (one sheet)", 10), ("Little bag of sand", 1), ("Small knife", 1))),
)

# Potions (magic items sold in shops): (name, cost, weight, healing dice).
_POTIONS: Final[tuple[tuple[str, str, float, str], ...]] = (
    ("Potion of Healing", "50 gp", 0.5, "2d4+2"),
)


def _range(text: str) -> tuple[int, int]:
    if not text:
        return 5, 0
    normal, long = text.split("/")
    return int(normal), int(long)


def _build() -> dict[str, Item]:
    items: dict[str, Item] = {}
    for name, cat, reach, cost, weight, dmg, dtype, props, rng, vers in _WEAPONS:
        normal, long = _range(rng)
        items[name] = Weapon(
            name=name, kind="weapon", cost_cp=price_cp(cost), weight=weight,
            properties=tuple(props.split()), category=cat,  # type: ignore[arg-type]
            ranged=reach == "ranged", damage=dmg, damage_type=dtype, versatile=vers,
            range_normal=normal, range_long=long,
        )
    for name, cat, cost, weight, base, cap, str_min, stealth in _ARMOR:
        items[name] = Armor(
            name=name, kind="armor", cost_cp=price_cp(cost), weight=weight, category=cat,  # type: ignore[arg-type]
            base_ac=base, dex_cap=None if cap == "-" else int(cap), str_minimum=str_min,
            stealth_disadvantage=stealth,
        )
    for name, kind, cost, weight, bundle in _GEAR:
        items[name] = Item(name=name, kind=kind, cost_cp=price_cp(cost), weight=weight, bundle=bundle)
    for name, cost, contents in _PACKS:
        pack_weight = sum(items[n].unit_weight * q for n, q in contents)
        items[name] = Item(name=name, kind="pack", cost_cp=price_cp(cost), weight=pack_weight,
                           contents=contents)
    for name, cost, weight, heal in _POTIONS:
        items[name] = Item(name=name, kind="potion", cost_cp=price_cp(cost), weight=weight, heal=heal,
                           properties=("consumable",), description=f"Drink to regain {heal} hit points.")
    return items


ITEMS: Final[dict[str, Item]] = _build()

_ALIASES: Final[dict[str, str]] = {
    "light crossbow": "Crossbow, light",
    "hand crossbow": "Crossbow, hand",
    "heavy crossbow": "Crossbow, heavy",
    "healing potion": "Potion of Healing",
    "potion of healing": "Potion of Healing",
    "padded": "Padded Armor",
    "leather": "Leather Armor",
    "studded leather": "Studded Leather Armor",
    "hide": "Hide Armor",
    "half plate": "Half Plate Armor",
    "splint": "Splint Armor",
    "plate": "Plate Armor",
    "arrows": "Arrow",
    "crossbow bolts": "Crossbow bolt",
    "bolts": "Crossbow bolt",
    "rations": "Rations (1 day)",
    "rope": "Rope, hempen (50 feet)",
    "holy symbol": "Amulet",
    "torches": "Torch",
}


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("’", "'").split()).casefold()


_BY_KEY: Final[dict[str, str]] = {_norm(n): n for n in ITEMS}


@lru_cache(maxsize=4096)  # the table is fixed and items are frozen; a fight looks up each carried item per attack
def find_item(name: str) -> Item | None:
    """Case-insensitive lookup by SRD name or a common alias ("light crossbow", "healing potion")."""
    key = _norm(name)
    canonical = _BY_KEY.get(key) or _ALIASES.get(key)
    if canonical is None:  # a plural: "torches", "potions of healing", "healing potions"
        singular = singularize(key)
        canonical = _BY_KEY.get(singular) or _ALIASES.get(singular)
    return ITEMS.get(canonical) if canonical else None


def weapons() -> tuple[Weapon, ...]:
    return tuple(i for i in ITEMS.values() if isinstance(i, Weapon))


def armors() -> tuple[Armor, ...]:
    return tuple(i for i in ITEMS.values() if isinstance(i, Armor))


def is_monk_weapon(weapon: Weapon) -> bool:
    """Shortswords and simple melee weapons that are neither two-handed nor heavy."""
    if weapon.name == "Shortsword":
        return True
    return (weapon.category == "simple" and not weapon.ranged
            and "two-handed" not in weapon.properties and "heavy" not in weapon.properties)


# The foci a spellcaster may start with (the SRD's equipment categories), by name.
ARCANE_FOCI: Final[tuple[str, ...]] = ("Crystal", "Orb", "Rod", "Staff", "Wand")
DRUIDIC_FOCI: Final[tuple[str, ...]] = ("Sprig of mistletoe", "Totem", "Wooden staff", "Yew wand")
HOLY_SYMBOLS: Final[tuple[str, ...]] = ("Amulet", "Emblem", "Reliquary")


@dataclass(frozen=True)
class KitPick:
    """"any martial weapon": ``count`` items the player names from a group (`dnd.starting_kit.group_items`);
    ``default``: the one a character made without the conversation gets."""

    group: str  # "martial weapon", "simple melee weapon", "musical instrument", "arcane focus", ...
    count: int = 1
    default: str = ""
    exclude: tuple[str, ...] = ()  # "any other musical instrument" than the lute


KitEntry = tuple[str, int] | KitPick


@dataclass(frozen=True)
class KitOption:
    """One lettered option of a starting-equipment choice; ``requires``: a proficiency it needs ("if proficient")."""

    label: str
    entries: tuple[KitEntry, ...]
    requires: str = ""


@dataclass(frozen=True)
class StartingKit:
    """A class's starting equipment (SRD 5.1): what every member gets, then each choice's options, (a) first."""

    fixed: tuple[tuple[str, int], ...]
    choices: tuple[tuple[KitOption, ...], ...]


def _o(label: str, *entries: KitEntry, requires: str = "") -> KitOption:
    return KitOption(label, entries, requires)


_BOLTS: Final = _o("a light crossbow and 20 bolts", ("Crossbow, light", 1), ("Crossbow bolt", 20))
_ANY_SIMPLE: Final = _o("any simple weapon", KitPick("simple weapon"))
_DUNGEONEER_OR_EXPLORER: Final = (_o("a dungeoneer's pack", ("Dungeoneer's Pack", 1)),
                                  _o("an explorer's pack", ("Explorer's Pack", 1)))
_POUCH_OR_FOCUS: Final = (_o("a component pouch", ("Component pouch", 1)),
                          _o("an arcane focus", KitPick("arcane focus")))
_MARTIAL_AND_SHIELD: Final = (_o("a martial weapon and a shield", KitPick("martial weapon", default="Longsword"),
                                 ("Shield", 1)),
                              _o("two martial weapons", KitPick("martial weapon", 2)))
_HOLY_SYMBOL: Final = (_o("a holy symbol", KitPick("holy symbol", default="Amulet")),)

STARTING_KITS: Final[dict[str, StartingKit]] = {
    "Barbarian": StartingKit((("Explorer's Pack", 1), ("Javelin", 4)), (
        (_o("a greataxe", ("Greataxe", 1)), _o("any martial melee weapon", KitPick("martial melee weapon"))),
        (_o("two handaxes", ("Handaxe", 2)), _ANY_SIMPLE),
    )),
    "Bard": StartingKit((("Leather Armor", 1), ("Dagger", 1)), (
        (_o("a rapier", ("Rapier", 1)), _o("a longsword", ("Longsword", 1)), _ANY_SIMPLE),
        (_o("a diplomat's pack", ("Diplomat's Pack", 1)), _o("an entertainer's pack", ("Entertainer's Pack", 1))),
        (_o("a lute", ("Lute", 1)),
         _o("any other musical instrument", KitPick("musical instrument", exclude=("Lute",)))),
    )),
    "Cleric": StartingKit((("Shield", 1),), (
        (_o("a mace", ("Mace", 1)), _o("a warhammer (if proficient)", ("Warhammer", 1), requires="Martial Weapons")),
        (_o("scale mail", ("Scale Mail", 1)), _o("leather armor", ("Leather Armor", 1)),
         _o("chain mail (if proficient)", ("Chain Mail", 1), requires="Heavy Armor")),
        (_BOLTS, _ANY_SIMPLE),
        (_o("a priest's pack", ("Priest's Pack", 1)), _o("an explorer's pack", ("Explorer's Pack", 1))),
        _HOLY_SYMBOL,
    )),
    "Druid": StartingKit((("Leather Armor", 1), ("Explorer's Pack", 1)), (
        (_o("a wooden shield", ("Shield", 1)), _ANY_SIMPLE),
        (_o("a scimitar", ("Scimitar", 1)), _o("any simple melee weapon", KitPick("simple melee weapon"))),
        (_o("a druidic focus", KitPick("druidic focus", default="Wooden staff")),),
    )),
    "Fighter": StartingKit((), (
        (_o("chain mail", ("Chain Mail", 1)),
         _o("leather armor, a longbow and 20 arrows", ("Leather Armor", 1), ("Longbow", 1), ("Arrow", 20))),
        _MARTIAL_AND_SHIELD,
        (_BOLTS, _o("two handaxes", ("Handaxe", 2))),
        _DUNGEONEER_OR_EXPLORER,
    )),
    "Monk": StartingKit((("Dart", 10),), (
        (_o("a shortsword", ("Shortsword", 1)), _ANY_SIMPLE),
        _DUNGEONEER_OR_EXPLORER,
    )),
    "Paladin": StartingKit((("Chain Mail", 1),), (
        _MARTIAL_AND_SHIELD,
        (_o("five javelins", ("Javelin", 5)), _o("any simple melee weapon", KitPick("simple melee weapon"))),
        (_o("a priest's pack", ("Priest's Pack", 1)), _o("an explorer's pack", ("Explorer's Pack", 1))),
        _HOLY_SYMBOL,
    )),
    "Ranger": StartingKit((("Longbow", 1), ("Quiver", 1), ("Arrow", 20)), (
        (_o("scale mail", ("Scale Mail", 1)), _o("leather armor", ("Leather Armor", 1))),
        (_o("two shortswords", ("Shortsword", 2)), _o("two simple melee weapons", KitPick("simple melee weapon", 2))),
        _DUNGEONEER_OR_EXPLORER,
    )),
    "Rogue": StartingKit((("Leather Armor", 1), ("Dagger", 2), ("Thieves' Tools", 1)), (
        (_o("a rapier", ("Rapier", 1)), _o("a shortsword", ("Shortsword", 1))),
        (_o("a shortbow and a quiver of 20 arrows", ("Shortbow", 1), ("Quiver", 1), ("Arrow", 20)),
         _o("a shortsword", ("Shortsword", 1))),
        (_o("a burglar's pack", ("Burglar's Pack", 1)), *_DUNGEONEER_OR_EXPLORER),
    )),
    "Sorcerer": StartingKit((("Dagger", 2),), (
        (_BOLTS, _ANY_SIMPLE),
        _POUCH_OR_FOCUS,
        _DUNGEONEER_OR_EXPLORER,
    )),
    "Warlock": StartingKit((("Leather Armor", 1), ("Dagger", 2)), (
        (_BOLTS, _ANY_SIMPLE),
        _POUCH_OR_FOCUS,
        (_o("a scholar's pack", ("Scholar's Pack", 1)), _o("a dungeoneer's pack", ("Dungeoneer's Pack", 1))),
        (_o("any simple weapon", KitPick("simple weapon", default="Quarterstaff")),),
    )),
    "Wizard": StartingKit((("Spellbook", 1),), (
        (_o("a quarterstaff", ("Quarterstaff", 1)), _o("a dagger", ("Dagger", 1))),
        _POUCH_OR_FOCUS,
        (_o("a scholar's pack", ("Scholar's Pack", 1)), _o("an explorer's pack", ("Explorer's Pack", 1))),
    )),
}
