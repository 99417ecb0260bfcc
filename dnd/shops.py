"""Shops: stock by kind of place and campaign tier, prices, buying with change, selling, restocking.

Items are plain data passed in by the caller (the database holds the imported SRD equipment and magic
items): dicts with ``name``, ``category`` (free text such as "Weapon (Martial Melee)", "Standard Gear",
"Waterborne Vehicles", "Potion"), ``cost`` in copper pieces, ``weight`` in pounds, and ``rarity`` for magic
items ("Common", "Uncommon", "Rare", "Very Rare"); optionally ``bundle`` (20 arrows come for one price).
:func:`item_from_srd` turns a 5e-database equipment or magic-item entry into such a dict, and
:func:`catalogue_items` gives the engine's own equipment catalogue in the same form.

The kinds of place (:data:`PROFILES`) and the magic item rules are this engine's own:

* tier 1 (levels 1-4): common magic items and Potions of Healing, now and then one uncommon item;
* tier 2 (levels 5-10): up to uncommon; tier 3 (11-16): up to rare; tier 4 (17-20): up to very rare;
* legendary items, artifacts and "varies" entries (families such as "Weapon, +1, +2, or +3") are never sold.

Magic items without a price get one from their rarity (:data:`RARITY_PRICE_GP`, consumables at half).
Selling follows the SRD: equipment fetches half its price, trade goods (and gems and art objects) their full
value. A stock unit is one purchase bundle: buying 1 "Arrow" buys the bundle of 20.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dnd.character import Character, InventoryItem
from dnd.data.equipment import ITEMS, Armor, Item, Weapon, find_item
from dnd.data.tables import COIN_VALUES
from dnd.errors import RulesError
from dnd.inventory import make_item, merge_items, remove_item
from dnd.phrases import singular_word
from dnd.wealth import (
    DENOMINATIONS,
    Wealth,
    can_afford,
    format_cp,
    format_wealth,
    from_cp,
    settle_with_merchant,
)

__all__ = [
    "PROFILES",
    "RARITY_PRICE_GP",
    "Purchase",
    "Sale",
    "ShopItem",
    "ShopProfile",
    "ShopStock",
    "StockEntry",
    "buy",
    "built_in_magic_items",
    "catalogue_items",
    "generate_stock",
    "item_from_srd",
    "item_group",
    "match_item_name",
    "plural",
    "plural_noun",
    "price_of",
    "profile_for",
    "purchase",
    "restock",
    "sell",
    "sell_item",
    "sell_price",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

RARITIES: Final[tuple[str, ...]] = ("common", "uncommon", "rare", "very rare", "legendary", "artifact")
RARITY_PRICE_GP: Final[dict[str, int]] = {"common": 100, "uncommon": 400, "rare": 4_000, "very rare": 40_000}
TIER_MAX_RARITY: Final[dict[int, str]] = {1: "common", 2: "uncommon", 3: "rare", 4: "very rare"}
# Odds of each rarity for a magic item slot, by tier (rarity, weight).
_TIER_RARITY_WEIGHTS: Final[dict[int, tuple[tuple[str, int], ...]]] = {
    1: (("common", 1),),
    2: (("common", 3), ("uncommon", 7)),
    3: (("common", 15), ("uncommon", 35), ("rare", 50)),
    4: (("uncommon", 25), ("rare", 35), ("very rare", 40)),
}
TIER1_UNCOMMON_CHANCE: Final[float] = 0.15  # a tier 1 shop with magic now and then has one uncommon item
HEALING_POTION: Final[str] = "Potion of Healing"
_CONSUMABLE_CATEGORIES: Final[tuple[str, ...]] = ("potion", "scroll", "ammunition")
_FULL_PRICE_CATEGORIES: Final[tuple[str, ...]] = ("trade good", "gem", "art object")

_HOLY: Final[frozenset[str]] = frozenset({
    "holy water (flask)", "amulet", "emblem", "reliquary", "vestments", "censer", "block of incense", "alms box",
    "candle", "robes", "priest's pack",
})
_HERBAL: Final[frozenset[str]] = frozenset({
    "herbalism kit", "healer's kit", "antitoxin (vial)", "potion of healing", "alchemist's supplies",
})
_NAUTICAL: Final[frozenset[str]] = frozenset({
    "fishing tackle", "navigator's tools", "spyglass", "rope, hempen (50 feet)", "rope, silk (50 feet)",
    "block and tackle", "grappling hook", "barrel", "chain (10 feet)", "net", "lantern, hooded", "oil (flask)",
})


# ------------------------------------------------------------------------------------------ items


class ShopItem(BaseModel):
    """An item a shop may sell: ``cost`` in copper pieces for one ``bundle``; ``rarity`` marks magic items."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    category: str = "Standard Gear"
    cost: int = Field(0, ge=0)
    weight: float = Field(0.0, ge=0)
    rarity: str | None = None
    bundle: int = Field(1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            if "cost" not in data and "cost_cp" in data:
                data["cost"] = data["cost_cp"]
            if data.get("weight") is None:
                data["weight"] = 0.0
            if isinstance(data.get("rarity"), Mapping):
                data["rarity"] = data["rarity"].get("name")
            if not data.get("rarity"):
                data["rarity"] = None
        return data

    @property
    def rarity_key(self) -> str | None:
        return _norm(self.rarity) if self.rarity else None

    @property
    def magic(self) -> bool:
        return self.rarity is not None


def _coerce(item: ShopItem | Mapping[str, Any]) -> ShopItem:
    return item if isinstance(item, ShopItem) else ShopItem.model_validate(item)


def _srd_cost(cost: Any) -> int:
    if not isinstance(cost, Mapping):
        return 0
    return int(cost.get("quantity", 0)) * COIN_VALUES.get(str(cost.get("unit", "cp")).casefold(), 1)


def item_from_srd(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A 5e-database ``Equipment`` or ``Magic-Items`` entry as a plain shop item dict (a converter: the data
    itself comes from the caller)."""
    name = str(entry["name"])
    category = str((entry.get("equipment_category") or {}).get("name", "Standard Gear"))
    for key in ("gear_category", "tool_category", "vehicle_category"):
        sub = entry.get(key)
        if sub:
            category = str(sub.get("name", category)) if isinstance(sub, Mapping) else str(sub)
            break
    if entry.get("weapon_category"):
        category = f"Weapon ({entry.get('category_range') or entry['weapon_category']})"
    elif entry.get("armor_category"):
        category = f"Armor ({entry['armor_category']})"
    rarity = entry.get("rarity")
    if isinstance(rarity, Mapping):
        rarity = rarity.get("name")
    return {
        "name": name,
        "category": category,
        "cost": _srd_cost(entry.get("cost")),
        "weight": float(entry.get("weight") or 0),
        "rarity": rarity or None,
        "bundle": int(entry.get("quantity") or 1),
    }


_KIND_CATEGORY: Final[dict[str, str]] = {
    "ammunition": "Ammunition", "tool": "Other Tools", "instrument": "Musical Instrument", "focus": "Arcane Foci",
    "pack": "Equipment Packs", "potion": "Potion", "gear": "Standard Gear",
}


def _catalogue_category(item: Item) -> str:
    if isinstance(item, Weapon):
        return f"Weapon ({item.category.title()} {'Ranged' if item.ranged else 'Melee'})"
    if isinstance(item, Armor):
        return f"Armor ({item.category.title()})"
    return _KIND_CATEGORY.get(item.kind, "Standard Gear")


def catalogue_items() -> list[dict[str, Any]]:
    """The engine's own equipment catalogue (``dnd.data.equipment``) as shop item dicts (no free pack
    contents)."""
    out = []
    for item in ITEMS.values():
        if item.cost_cp <= 0:
            continue
        out.append({"name": item.name, "category": _catalogue_category(item), "cost": item.cost_cp,
                    "weight": item.weight, "bundle": item.bundle,
                    "rarity": "Common" if item.kind == "potion" else None})
    return out


# The engine's own magic items, sold when no SRD compendium is imported (the import's replace them): a few
# consumables and +1 arms by rarity, so every tier has something (prices from :data:`RARITY_PRICE_GP`).
_BUILT_IN_MAGIC: Final[tuple[tuple[str, str, str], ...]] = (
    ("Potion of Greater Healing", "Potion", "Uncommon"), ("Potion of Superior Healing", "Potion", "Rare"),
    ("Potion of Climbing", "Potion", "Common"), ("Potion of Water Breathing", "Potion", "Uncommon"),
    ("Spell Scroll (Cantrip)", "Scroll", "Common"), ("Spell Scroll (1st Level)", "Scroll", "Common"),
    ("Spell Scroll (2nd Level)", "Scroll", "Uncommon"), ("Spell Scroll (3rd Level)", "Scroll", "Uncommon"),
    ("Longsword, +1", "Weapon", "Uncommon"), ("Shortsword, +1", "Weapon", "Uncommon"),
    ("Dagger, +1", "Weapon", "Uncommon"), ("Mace, +1", "Weapon", "Uncommon"), ("Longbow, +1", "Weapon", "Uncommon"),
    ("Arrow, +1", "Ammunition", "Uncommon"), ("Shield, +1", "Armor", "Uncommon"),
    ("Leather Armor, +1", "Armor", "Rare"), ("Chain Mail, +1", "Armor", "Rare"),
    ("Longsword, +2", "Weapon", "Rare"), ("Bag of Holding", "Wondrous Item", "Uncommon"),
    ("Cloak of Protection", "Wondrous Item", "Uncommon"), ("Driftglobe", "Wondrous Item", "Uncommon"),
)


def built_in_magic_items() -> list[dict[str, Any]]:
    """The engine's own magic items as shop item dicts (Potions of Healing are in :func:`catalogue_items`)."""
    return [{"name": name, "category": category, "cost": 0, "weight": 0.0, "rarity": rarity, "bundle": 1}
            for name, category, rarity in _BUILT_IN_MAGIC]


def item_group(item: ShopItem | Mapping[str, Any]) -> str:
    """The shelf an item belongs on: "magic", "nautical", "mounts", "vehicles", "martial weapons", "simple
    weapons", "armor", "ammunition", "holy", "herbal", "foci", "instruments", "games", "artisan", "tools",
    "packs", "trade goods" or "gear"."""
    it = _coerce(item)
    cat = it.category.casefold()
    name = _norm(it.name)
    if it.magic:
        return "magic"
    if name == _norm(HEALING_POTION):
        return "herbal"
    for shelf, category_words, names in _SHELVES:
        if any(word in cat for word in category_words) or name in names:
            if shelf == "weapons":
                return "martial weapons" if "martial" in cat else "simple weapons"
            return shelf
    return "gear"


# The first shelf whose category words are in an item's category, or that lists its name, is where it goes.
_SHELVES: Final[tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]] = (
    ("nautical", ("waterborne", "ship"), _NAUTICAL),
    ("mounts", ("mount", "animal"), frozenset()),
    ("vehicles", ("tack", "vehicle", "harness"), frozenset()),
    ("weapons", ("weapon",), frozenset()),
    ("armor", ("armor", "shield"), frozenset()),
    ("ammunition", ("ammunition",), frozenset()),
    ("holy", ("holy",), _HOLY),
    ("herbal", (), _HERBAL),
    ("foci", ("foci", "focus"), frozenset()),
    ("instruments", ("instrument",), frozenset()),
    ("games", ("gaming",), frozenset()),
    ("artisan", ("artisan",), frozenset()),
    ("tools", ("tool", "kit"), frozenset()),
    ("packs", ("pack",), frozenset()),
    ("trade goods", _FULL_PRICE_CATEGORIES, frozenset()),
)


# ------------------------------------------------------------------------------------------ profiles


@dataclass(frozen=True)
class ShopProfile:
    """What a kind of place stocks: the chance that each item of a shelf is in stock, the magic item categories
    sold (substrings of the category, None for any), magic items stocked by tier (besides Potions of Healing),
    how many Potions of Healing (None: never) and a quantity scale."""

    name: str
    description: str
    groups: dict[str, float]
    magic_categories: tuple[str, ...] | None
    magic_slots: tuple[int, int, int, int]
    healing_potions: tuple[int, int] | None
    quantity: float = 1.0


_EVERYTHING = {
    "gear": 0.9, "ammunition": 1.0, "simple weapons": 0.9, "martial weapons": 0.8, "armor": 0.7, "tools": 0.8,
    "artisan": 0.6, "instruments": 0.6, "games": 1.0, "foci": 0.7, "holy": 0.6, "herbal": 1.0, "packs": 1.0,
    "nautical": 0.4, "mounts": 0.4, "vehicles": 0.4, "trade goods": 1.0,
}

PROFILES: Final[dict[str, ShopProfile]] = {
    p.name: p
    for p in (
        ShopProfile("urban_port", "A bustling harbour market: wide stock, ship's chandlers and foreign curios.",
                    {**_EVERYTHING, "nautical": 1.0}, None, (2, 4, 6, 8), (3, 8), 1.5),
        ShopProfile("city", "A great city's markets and guild shops.", dict(_EVERYTHING), None, (2, 4, 6, 8),
                    (3, 8), 1.5),
        ShopProfile("town", "A market town's general store, smithy and apothecary.",
                    {"gear": 0.7, "ammunition": 0.9, "simple weapons": 0.7, "martial weapons": 0.4, "armor": 0.4,
                     "tools": 0.5, "artisan": 0.3, "instruments": 0.3, "games": 0.8, "foci": 0.4, "holy": 0.5,
                     "herbal": 0.8, "packs": 0.8, "nautical": 0.2, "mounts": 0.5, "vehicles": 0.5,
                     "trade goods": 0.8},
                    ("potion", "scroll", "ammunition", "wondrous"), (1, 2, 3, 3), (2, 5), 1.0),
        ShopProfile("frontier_village", "A frontier village's trading store: basic gear, weapons, a few potions.",
                    {"gear": 0.55, "ammunition": 1.0, "simple weapons": 0.8, "martial weapons": 0.25,
                     "armor": 0.25, "tools": 0.2, "games": 0.5, "herbal": 0.6, "holy": 0.2, "packs": 0.5,
                     "mounts": 0.6, "vehicles": 0.3, "trade goods": 0.8},
                    ("potion",), (0, 1, 1, 1), (1, 3), 0.7),
        ShopProfile("mountain_monastery", "A mountain monastery's storeroom: holy items, herbs and simple needs.",
                    {"holy": 1.0, "herbal": 1.0, "gear": 0.35, "foci": 0.6, "instruments": 0.3, "artisan": 0.3,
                     "simple weapons": 0.3, "packs": 0.4, "trade goods": 0.5},
                    ("potion", "scroll", "wondrous"), (1, 2, 2, 3), (2, 6), 0.8),
        ShopProfile("dwarven_hold", "A mountain hold's forges and halls: arms, armor and tools of fine make.",
                    {"simple weapons": 1.0, "martial weapons": 1.0, "armor": 1.0, "ammunition": 1.0, "artisan": 0.9,
                     "tools": 0.8, "gear": 0.6, "games": 0.5, "packs": 0.5, "trade goods": 1.0},
                    ("weapon", "armor", "ring", "ammunition", "potion"), (1, 2, 4, 5), (1, 4), 1.0),
        ShopProfile("trading_post", "A lonely trading post on the road: supplies, ammunition and pack animals.",
                    {"gear": 0.7, "ammunition": 1.0, "simple weapons": 0.6, "martial weapons": 0.2, "armor": 0.15,
                     "herbal": 0.6, "mounts": 0.6, "vehicles": 0.5, "packs": 0.8, "trade goods": 1.0},
                    ("potion",), (0, 1, 1, 1), (1, 3), 0.7),
    )
}

_PROFILE_ALIASES: Final[dict[str, str]] = {
    "port": "urban_port", "harbor": "urban_port", "harbour": "urban_port", "port city": "urban_port",
    "metropolis": "city", "capital": "city", "market town": "town", "village": "frontier_village",
    "frontier": "frontier_village", "hamlet": "frontier_village", "monastery": "mountain_monastery",
    "temple": "mountain_monastery", "shrine": "mountain_monastery", "dwarven": "dwarven_hold",
    "hold": "dwarven_hold", "mine": "dwarven_hold", "outpost": "trading_post", "camp": "trading_post",
}


# Words in a place's name that say what kind of place it is (the first one found wins; else a town).
_KIND_WORDS: Final[dict[str, str]] = {
    "port": "urban_port", "harbour": "urban_port", "harbor": "urban_port", "docks": "urban_port", "city": "city",
    "capital": "city", "village": "frontier_village", "hamlet": "frontier_village", "frontier": "frontier_village",
    "monastery": "mountain_monastery", "temple": "mountain_monastery", "hold": "dwarven_hold", "mine": "dwarven_hold",
    "outpost": "trading_post", "camp": "trading_post"}


def location_kind(location: str) -> str:
    """The kind of place a location's name says ("Saltmarsh Harbour" → urban_port), for its shops."""
    for word in location.casefold().replace(",", " ").split():
        kind = _KIND_WORDS.get(word)
        if kind is not None:
            return kind
    return "town"


def profile_for(location_kind: str) -> ShopProfile:
    """The profile of a kind of place ("urban port", "Frontier Village", "monastery"...)."""
    key = re.sub(r"[\s\-]+", "_", location_kind.strip().casefold())
    if key in PROFILES:
        return PROFILES[key]
    alias = _PROFILE_ALIASES.get(key.replace("_", " "))
    if alias:
        return PROFILES[alias]
    kinds = ", ".join(k.replace("_", " ") for k in PROFILES)
    raise RulesError(f"I don't know what shops a '{location_kind}' has. Kinds of place: {kinds}.")


# ------------------------------------------------------------------------------------------ stock


class StockEntry(BaseModel):
    """A line of a shop's stock: ``price`` in copper pieces per unit (one bundle), ``qty`` units in stock,
    ``full_qty`` what restocking refills to."""

    model_config = _FROZEN

    name: str
    category: str
    group: str
    base_cost: int = Field(ge=0)
    price: int = Field(ge=0)
    weight: float = Field(0.0, ge=0)
    bundle: int = Field(1, ge=1)
    rarity: str | None = None
    qty: int = Field(ge=0)
    full_qty: int = Field(ge=0)


class ShopStock(BaseModel):
    model_config = _FROZEN

    location_kind: str
    tier: int = Field(ge=1, le=4)
    price_modifier: float = Field(1.0, gt=0)
    entries: list[StockEntry] = Field(default_factory=list)

    def find(self, name: str) -> StockEntry | None:
        found = match_item_name(name, [e.name for e in self.entries])
        return next((e for e in self.entries if e.name == found), None) if found else None


# ------------------------------------------------------------------------------------------ the shops of a place

# A place's stock is sold across several shops, each keeping some shelves (in this order). Magic potions are the
# alchemist's, scrolls the temple's, other magic the curio dealer's.
SHOPS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("general store", frozenset({"gear", "packs", "games", "tools", "artisan", "instruments", "trade goods"})),
    ("smith", frozenset({"simple weapons", "martial weapons", "armor", "ammunition"})),
    ("alchemist", frozenset({"herbal"})),
    ("temple", frozenset({"holy", "foci"})),
    ("stable", frozenset({"mounts", "vehicles"})),
    ("chandler", frozenset({"nautical"})),
    ("curio dealer", frozenset({"magic"})),
)
_SHOP_WORDS: Final[dict[str, str]] = {
    "general": "general store", "store": "general store", "general store": "general store", "shop": "general store",
    "smith": "smith", "smithy": "smith", "blacksmith": "smith", "armorer": "smith", "armourer": "smith",
    "weaponsmith": "smith", "alchemist": "alchemist", "apothecary": "alchemist", "herbalist": "alchemist",
    "temple": "temple", "shrine": "temple", "stable": "stable", "stables": "stable", "chandler": "chandler",
    "ship's chandler": "chandler", "curio dealer": "curio dealer", "curios": "curio dealer", "curio": "curio dealer",
    "magic": "curio dealer",
}
SHOP_PAGE_ITEMS = 20


def shop_of(entry: StockEntry) -> str:
    """The shop of the place that sells a stock entry."""
    if entry.group == "magic":
        category = entry.category.casefold()
        if "potion" in category:
            return "alchemist"
        if "scroll" in category:
            return "temple"
    for shop, groups in SHOPS:
        if entry.group in groups:
            return shop
    return "general store"


def find_shop(name: str) -> str | None:
    """"smithy", "the Blacksmith", "stables" → the shop's name; None for a word that names no shop."""
    key = re.sub(r"\s+", " ", name.strip().casefold()).removeprefix("the ").strip()
    return _SHOP_WORDS.get(key)


def shops_here(stock: ShopStock) -> list[tuple[str, list[StockEntry]]]:
    """The place's shops that have something on their shelves, in the order of :data:`SHOPS`, with their entries."""
    by_shop: dict[str, list[StockEntry]] = {}
    for entry in stock.entries:
        by_shop.setdefault(shop_of(entry), []).append(entry)
    return [(shop, by_shop[shop]) for shop, _ in SHOPS if shop in by_shop]


@dataclass(frozen=True)
class ShopPage:
    """One page of a listing: its entries under their shop's name, page `number` of `pages`."""

    sections: list[tuple[str, list[StockEntry]]]
    number: int
    pages: int


def shop_pages(stock: ShopStock, shop: str | None = None, per_page: int = SHOP_PAGE_ITEMS) -> list[ShopPage]:
    """The listing of one shop (or of every shop here) cut into pages of at most `per_page` entries; a page
    never splits an entry from its shop's name. An empty listing is one empty page."""
    sections = [(name, entries) for name, entries in shops_here(stock) if shop is None or name == shop]
    flat = [(name, entry) for name, entries in sections for entry in entries]
    chunks = [flat[start:start + per_page] for start in range(0, len(flat), per_page)] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        grouped: list[tuple[str, list[StockEntry]]] = []
        for name, entry in chunk:
            if not grouped or grouped[-1][0] != name:
                grouped.append((name, []))
            grouped[-1][1].append(entry)
        pages.append(ShopPage(grouped, number, len(chunks)))
    return pages


def _round_price(cp: float) -> int:
    """Round half up to a sensible coin: cp below 1 gp, sp below 10 gp, gp above (never 0 for a real cost)."""
    step = 1 if cp < 100 else 10 if cp < 1_000 else 100
    value = int((cp + step / 2) // step) * step
    return max(1, value) if cp > 0 else 0


def _base_cost(item: ShopItem) -> int:
    if item.cost > 0:
        return item.cost
    if item.magic:
        known = find_item(item.name)
        if known is not None and known.cost_cp > 0:
            return known.cost_cp
        rarity = item.rarity_key or "common"
        gp = RARITY_PRICE_GP.get(rarity, RARITY_PRICE_GP["very rare"])
        if any(word in item.category.casefold() for word in _CONSUMABLE_CATEGORIES):
            gp //= 2
        return gp * COIN_VALUES["gp"]
    return 0


def price_of(item: ShopItem | StockEntry | Mapping[str, Any], modifier: float = 1.0) -> int:
    """The shop's price in copper pieces for one unit (bundle): the base cost (a magic item without one gets
    its rarity's price) times ``modifier``, rounded half up to the cp below 1 gp, to the sp below 10 gp and to
    the gp above."""
    if modifier <= 0:
        raise RulesError("A price modifier must be more than 0.")
    base = item.base_cost if isinstance(item, StockEntry) else _base_cost(_coerce(item))
    return _round_price(base * modifier)


def _unique(items: Iterable[ShopItem]) -> list[ShopItem]:
    """One item per name: the first, or the first with a rarity shops sell ("Potion of Healing" is listed both
    as "Varies" and as "Common")."""
    seen: dict[str, ShopItem] = {}
    for item in items:
        key = _norm(item.name)
        known = seen.get(key)
        if known is None or (known.rarity_key not in RARITY_PRICE_GP and item.rarity_key in RARITY_PRICE_GP):
            seen[key] = item
    return list(seen.values())


def _quantity(item: ShopItem, group: str, base: int, profile: ShopProfile, rng: random.Random) -> int:
    if group == "magic":
        return 1
    if group in ("mounts", "vehicles", "nautical") and base >= 50 * COIN_VALUES["gp"]:
        low, high = 1, 2
    elif base <= COIN_VALUES["gp"]:
        low, high = 5, 20
    elif base <= 10 * COIN_VALUES["gp"]:
        low, high = 2, 8
    elif base <= 100 * COIN_VALUES["gp"]:
        low, high = 1, 4
    else:
        low, high = 1, 2
    return max(1, round(rng.randint(low, high) * profile.quantity))


def _entry(item: ShopItem, group: str, qty: int, modifier: float) -> StockEntry:
    base = _base_cost(item)
    return StockEntry(name=item.name, category=item.category, group=group, base_cost=base,
                      price=_round_price(base * modifier), weight=item.weight, bundle=item.bundle,
                      rarity=item.rarity, qty=qty, full_qty=qty)


def _pick_rarity(tier: int, rng: random.Random) -> str:
    table = _TIER_RARITY_WEIGHTS[tier]
    return rng.choices([r for r, _ in table], weights=[w for _, w in table])[0]


def generate_stock(location_kind: str, tier: int, equipment: Sequence[Mapping[str, Any] | ShopItem],
                   magic_items: Sequence[Mapping[str, Any] | ShopItem] = (), rng: random.Random | None = None,
                   price_modifier: float = 1.0) -> ShopStock:
    """A shop's stock for a kind of place and a campaign tier (1-4), from the equipment and magic items given.

    Each mundane item is stocked with its shelf's chance in the place's profile; magic items are drawn up to
    the tier's rarity (tier 1 also has an occasional uncommon item) from the categories the place sells, plus
    Potions of Healing where the profile sells them. Prices are the base cost times ``price_modifier``.
    """
    if tier not in (1, 2, 3, 4):
        raise RulesError("The tier must be 1 (levels 1-4), 2 (5-10), 3 (11-16) or 4 (17-20).")
    if price_modifier <= 0:
        raise RulesError("A price modifier must be more than 0.")
    rng = rng or random.Random()
    profile = profile_for(location_kind)
    given = [_coerce(x) for x in equipment]
    mundane = [i for i in _unique(given) if not i.magic]
    magic = [i for i in _unique([*(_coerce(x) for x in magic_items), *given]) if i.magic]
    # The draws stay in this order (shelves, potions, magic): a seeded rng gives the same shop.
    entries = _mundane_entries(mundane, profile, rng, price_modifier)
    if profile.healing_potions is not None:
        entries.append(_healing_potions(profile.healing_potions, [*magic, *mundane], tier, rng, price_modifier))
    entries += _magic_entries(magic, profile, tier, rng, price_modifier)
    entries.sort(key=lambda e: (e.group == "magic", e.group, e.name))
    return ShopStock(location_kind=profile.name, tier=tier, price_modifier=price_modifier, entries=entries)


def _mundane_entries(mundane: list[ShopItem], profile: ShopProfile, rng: random.Random,
                     price_modifier: float) -> list[StockEntry]:
    """Each mundane item with its shelf's chance in the profile (Potions of Healing are stocked apart)."""
    entries: list[StockEntry] = []
    for item in mundane:
        group = item_group(item)
        base = _base_cost(item)
        if base <= 0 or _norm(item.name) == _norm(HEALING_POTION):
            continue
        if rng.random() < profile.groups.get(group, 0.0):
            entries.append(_entry(item, group, _quantity(item, group, base, profile, rng), price_modifier))
    return entries


def _healing_potions(count: tuple[int, int], candidates: list[ShopItem], tier: int, rng: random.Random,
                     price_modifier: float) -> StockEntry:
    """The shop's Potions of Healing: the given item if there is one, else the catalogue's; more at higher tiers."""
    potion = next((i for i in candidates if _norm(i.name) == _norm(HEALING_POTION)), None)
    if potion is None:
        known = ITEMS[HEALING_POTION]
        potion = ShopItem(name=known.name, category="Potion", cost=known.cost_cp, weight=known.weight,
                          rarity="Common")
    low, high = count
    return _entry(potion, "herbal", rng.randint(low, high) + (tier - 1) * 2, price_modifier)


def _magic_entries(magic: list[ShopItem], profile: ShopProfile, tier: int, rng: random.Random,
                   price_modifier: float) -> list[StockEntry]:
    """The tier's magic slots, each drawn up to the tier's rarity from the categories the place sells (tier 1
    also has an occasional uncommon item); one of each item at most."""
    wanted = profile.magic_slots[tier - 1]
    by_rarity: dict[str, list[ShopItem]] = {}
    for item in magic:
        rarity = item.rarity_key or ""
        if rarity not in RARITY_PRICE_GP or _norm(item.name) == _norm(HEALING_POTION):
            continue
        if profile.magic_categories is None or any(c in item.category.casefold() for c in profile.magic_categories):
            by_rarity.setdefault(rarity, []).append(item)
    entries: list[StockEntry] = []
    stocked: set[str] = set()

    def draw(rarity: str, limit: str) -> None:
        if RARITIES.index(rarity) > RARITIES.index(limit):
            return
        pool = [i for i in by_rarity.get(rarity, []) if i.name not in stocked]
        if pool:
            item = rng.choice(pool)
            stocked.add(item.name)
            entries.append(_entry(item, "magic", 1, price_modifier))

    for _ in range(wanted):
        draw(_pick_rarity(tier, rng), TIER_MAX_RARITY[tier])
    if tier == 1 and wanted and rng.random() < TIER1_UNCOMMON_CHANCE:
        draw("uncommon", "uncommon")
    return entries


def restock(stock: ShopStock, elapsed_days: int, rng: random.Random | None = None) -> ShopStock:
    """Time passes: each missing unit comes back with a chance that grows with the days (about half in five
    days for ordinary goods; magic items, once sold, come back far more slowly)."""
    if elapsed_days < 0:
        raise RulesError("Time doesn't run backwards.")
    rng = rng or random.Random()
    entries = []
    for entry in stock.entries:
        missing = entry.full_qty - entry.qty
        if missing <= 0 or elapsed_days == 0:
            entries.append(entry)
            continue
        daily = 0.02 if entry.group == "magic" else 0.13
        chance = 1 - (1 - daily) ** elapsed_days
        back = sum(1 for _ in range(missing) if rng.random() < chance)
        entries.append(entry.model_copy(update={"qty": entry.qty + back}))
    return stock.model_copy(update={"entries": entries})


# ------------------------------------------------------------------------------------------ names


def _norm(name: str) -> str:
    return " ".join(name.replace("’", "'").replace("_", " ").split()).casefold()


def _swap_comma(name: str) -> str:
    """"crossbow, light" -> "light crossbow"."""
    if "," in name and "(" not in name:
        base, _, kind = name.partition(",")
        return f"{kind.strip()} {base.strip()}"
    return name


def _variants(query: str) -> list[str]:
    key = _norm(query)
    words = key.split()
    out = [key, " ".join(singular_word(w) for w in words)]
    if words:
        out.append(" ".join([*words[:-1], singular_word(words[-1])]))
        out.append(" ".join([singular_word(words[0]), *words[1:]]))
        if singular_word(words[-1]) == "potion" and len(words) > 1:
            out.append("potion of " + " ".join(words[:-1]))
    known = find_item(query)
    if known is not None:
        out.append(_norm(known.name))
    return list(dict.fromkeys(out))


def match_item_name(query: str, names: Iterable[str]) -> str | None:
    """The name among ``names`` that ``query`` means, forgivingly: case, spacing, plurals ("torches" -> "Torch"),
    the catalogue's aliases ("healing potion" -> "Potion of Healing"), "light crossbow" for "Crossbow, light",
    "climbing potion" for "Potion of Climbing"; else a unique name starting with or containing the query."""
    candidates = list(names)
    index: dict[str, str] = {}
    for name in candidates:
        index.setdefault(_norm(name), name)
        index.setdefault(_swap_comma(_norm(name)), name)
    variants = _variants(query)
    for variant in variants:
        if variant in index:
            return index[variant]
    for test in (str.startswith, str.__contains__):
        hits = {index[k] for k in index for v in variants if v and test(k, v)}
        if len(hits) == 1:
            return hits.pop()
    return None


def plural(name: str, qty: int) -> str:
    """"2 torches", "1 torch", "3 potions of healing", "2 crossbows, light"."""
    if qty == 1:
        return f"1 {_lower(name)}"
    return f"{qty} {plural_noun(name)}"


def _lower(name: str) -> str:
    return name.casefold() if name[:1].isupper() and not name.isupper() else name


def plural_noun(name: str) -> str:
    """"Torch" -> "torches", "Potion of Healing" -> "potions of healing"."""
    text = _lower(name)
    head, sep, tail = text.partition(" of ") if " of " in text else text.partition(",")
    if not sep:
        head, sep, tail = text.partition(" (")
    words = head.split()
    if words and not words[-1].endswith("s"):
        last = words[-1]
        if last.endswith(("ch", "sh", "x", "z")):
            last += "es"
        elif last.endswith("y") and last[-2:-1] not in "aeiou":
            last = last[:-1] + "ies"
        else:
            last += "s"
        words[-1] = last
    return f"{' '.join(words)}{sep}{tail}"


# ------------------------------------------------------------------------------------------ buying


@dataclass(frozen=True)
class Purchase:
    item: StockEntry
    qty: int
    total: int  # copper pieces
    handed_over: Wealth
    change: Wealth
    message: str


def _delta(before: Wealth, after: Wealth) -> tuple[Wealth, Wealth]:
    """(coins that left the purse, coins that came back as change)."""
    gone = {d: max(0, getattr(before, d) - getattr(after, d)) for d in DENOMINATIONS}
    back = {d: max(0, getattr(after, d) - getattr(before, d)) for d in DENOMINATIONS}
    return Wealth(**gone), Wealth(**back)


def buy(stock: ShopStock, wealth: Wealth, item_name: str, qty: int = 1) -> tuple[ShopStock, Wealth, Purchase]:
    """Buy ``qty`` units of an item in stock: the shop's stock less those, the purse after paying (the merchant's
    change: the purse's gp, sp and cp in the fewest coins, :func:`dnd.wealth.settle_with_merchant`), and a
    receipt."""
    if qty < 1:
        raise RulesError("Buy at least one.")
    entry = stock.find(item_name)
    if entry is None:
        raise RulesError(f"The shop doesn't sell '{item_name}'.")
    if entry.qty == 0:
        raise RulesError(f"The shop is out of {plural_noun(entry.name)}.")
    if entry.qty < qty:
        raise RulesError(f"The shop has only {plural(entry.name, entry.qty)}.")
    total = entry.price * qty
    if not can_afford(wealth, total):
        raise RulesError(f"You need {format_cp(total)} but have {format_wealth(wealth)}.")
    after = settle_with_merchant(wealth, total)
    gone, back = _delta(wealth, after)
    entries = [e.model_copy(update={"qty": e.qty - qty}) if e.name == entry.name else e for e in stock.entries]
    change = f" and get {format_wealth(back)} in change" if any(back.coins().values()) else ""
    message = (f"You buy {plural(entry.name, qty)} for {format_cp(total)}: you hand over {format_wealth(gone)}"
               f"{change}.")
    return (stock.model_copy(update={"entries": entries}), after,
            Purchase(item=entry, qty=qty, total=total, handed_over=gone, change=back, message=message))


def _inventory_entries(entry: StockEntry, qty: int) -> list[InventoryItem]:
    units = qty * entry.bundle
    if find_item(entry.name) is not None:
        return [make_item(entry.name, units)]
    props = [entry.rarity.casefold()] if entry.rarity else []
    return [InventoryItem(name=entry.name, qty=units, weight=round(entry.weight / entry.bundle, 4),
                          properties=props)]


def purchase(character: Character, stock: ShopStock, item_name: str, qty: int = 1) -> tuple[
        ShopStock, Character, Purchase]:
    """:func:`buy` for a character: coins leave its purse and the items join its inventory (with weights)."""
    new_stock, wealth, receipt = buy(stock, character.wealth, item_name, qty)
    inventory = merge_items(character.inventory, _inventory_entries(receipt.item, qty))
    return new_stock, character.model_copy(update={"wealth": wealth, "inventory": inventory}), receipt


# ------------------------------------------------------------------------------------------ selling


@dataclass(frozen=True)
class Sale:
    item: str
    qty: int
    total: int  # copper pieces
    coins: Wealth
    message: str


def _item_for_sale(item: ShopItem | StockEntry | Mapping[str, Any] | str,
                   catalogue: Sequence[Mapping[str, Any] | ShopItem] = ()) -> tuple[str, str, int, int]:
    """(name, category, base cost of a bundle, bundle size)."""
    if isinstance(item, StockEntry):
        return item.name, item.category, item.base_cost, item.bundle
    if isinstance(item, str):
        listed = [_coerce(x) for x in catalogue]
        found = match_item_name(item, [x.name for x in listed])
        if found is not None:
            it = next(x for x in listed if x.name == found)
            return it.name, it.category, _base_cost(it), it.bundle
        known = find_item(item)
        if known is None or known.cost_cp <= 0:
            raise RulesError(f"No merchant here knows what '{item}' is worth.")
        return known.name, _catalogue_category(known), known.cost_cp, known.bundle
    it = _coerce(item)
    return it.name, it.category, _base_cost(it), it.bundle


def sell_price(item: ShopItem | StockEntry | Mapping[str, Any] | str, qty: int = 1, modifier: float = 1.0,
               catalogue: Sequence[Mapping[str, Any] | ShopItem] = ()) -> int:
    """What a merchant pays in copper pieces for ``qty`` single items (an arrow is 1/20 of its bundle's price):
    half the base price, or the full value of trade goods, gems and art objects, times ``modifier``, rounded
    down."""
    if qty < 1:
        raise RulesError("Sell at least one.")
    if modifier <= 0:
        raise RulesError("A price modifier must be more than 0.")
    _, category, base, bundle = _item_for_sale(item, catalogue)
    full = any(word in category.casefold() for word in _FULL_PRICE_CATEGORIES)
    share = 1.0 if full else 0.5
    return int(base * qty * modifier * share / bundle + 1e-9)


def sell(item: ShopItem | StockEntry | Mapping[str, Any] | str, qty: int = 1, modifier: float = 1.0,
         catalogue: Sequence[Mapping[str, Any] | ShopItem] = ()) -> Wealth:
    """The coins a merchant pays for ``qty`` of an item (see :func:`sell_price`), in gp, sp and cp."""
    return from_cp(sell_price(item, qty, modifier, catalogue))


def sell_item(character: Character, item_name: str, qty: int = 1, modifier: float = 1.0,
              catalogue: Sequence[Mapping[str, Any] | ShopItem] = ()) -> tuple[Character, Sale]:
    """A character sells ``qty`` of a carried item: it leaves the inventory and the price joins the purse (the
    merchant pays in the fewest coins and changes the purse's gp, sp and cp with it, as a purchase does)."""
    carried = match_item_name(item_name, [i.name for i in character.inventory if i.qty > 0])
    if carried is None:
        raise RulesError(f"{character.name} doesn't carry '{item_name}'.")
    total = sell_price(carried, qty, modifier, catalogue)
    after = remove_item(character, carried, qty)
    coins = from_cp(total)
    after = after.model_copy(update={"wealth": settle_with_merchant(after.wealth, paid_cp=total)})
    message = f"{character.name} sells {plural(carried, qty)} for {format_cp(total)}."
    return after, Sale(item=carried, qty=qty, total=total, coins=coins, message=message)
