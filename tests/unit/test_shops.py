"""Shops: stock by place and tier, prices, buying with change, selling, restocking, forgiving names.

Equipment and magic items come from the SRD 5e-database JSON (test data only; ``SRD_JSON_DIR``), turned into
plain item dicts at test time.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from dnd.character import Character, carry_weight, derive
from dnd.errors import RulesError
from dnd.shops import (
    PROFILES,
    ShopStock,
    StockEntry,
    buy,
    catalogue_items,
    generate_stock,
    item_from_srd,
    item_group,
    match_item_name,
    plural,
    price_of,
    profile_for,
    purchase,
    restock,
    sell,
    sell_item,
    sell_price,
)
from dnd.wealth import Wealth, total_cp
from tests.srd_paths import srd_json as srd


def equipment() -> list[dict[str, Any]]:
    return [item_from_srd(e) for e in srd("Equipment")]


def magic_items() -> list[dict[str, Any]]:
    return [item_from_srd(e) for e in srd("Magic-Items")]


RANK = {"common": 0, "uncommon": 1, "rare": 2, "very rare": 3}


def magic_ranks(stock: ShopStock) -> list[int]:
    out = []
    for e in stock.entries:
        if e.rarity is not None:
            rarity = e.rarity.casefold()
            assert rarity in RANK, f"{e.name} has rarity {e.rarity}, which no shop sells"
            out.append(RANK[rarity])
    return out


def entry(name: str, price: int, qty: int, bundle: int = 1) -> StockEntry:
    return StockEntry(name=name, category="Standard Gear", group="gear", base_cost=price, price=price, qty=qty,
                      full_qty=qty, bundle=bundle, weight=1.0)


def shop(*entries: StockEntry) -> ShopStock:
    return ShopStock(location_kind="town", tier=1, entries=list(entries))


# ------------------------------------------------------------------------------------------ converting items


def test_item_from_srd() -> None:
    by_name = {i["name"]: i for i in equipment()}
    assert by_name["Torch"] == {"name": "Torch", "category": "Standard Gear", "cost": 1, "weight": 1.0,
                                "rarity": None, "bundle": 1}
    assert by_name["Longsword"]["category"] == "Weapon (Martial Melee)" and by_name["Longsword"]["cost"] == 1500
    assert by_name["Arrow"]["bundle"] == 20 and by_name["Arrow"]["cost"] == 100
    assert by_name["Rowboat"]["category"] == "Waterborne Vehicles"
    potions = [i for i in magic_items() if i["name"] == "Potion of Healing"]
    assert {p["rarity"] for p in potions} == {"Varies", "Common"}
    assert item_group(by_name["Rowboat"]) == "nautical"
    assert item_group(by_name["Holy water (flask)"]) == "holy"
    assert item_group(by_name["Herbalism Kit"]) == "herbal"
    assert item_group(by_name["Dagger"]) == "simple weapons" and item_group(by_name["Longsword"]) == "martial weapons"


def test_catalogue_items_match_the_engine_catalogue() -> None:
    items = {i["name"]: i for i in catalogue_items()}
    assert items["Longsword"]["cost"] == 1500 and items["Potion of Healing"]["rarity"] == "Common"
    assert "Alms box" not in items  # no price of its own


# ------------------------------------------------------------------------------------------ stock


@pytest.mark.parametrize("kind", sorted(PROFILES))
def test_magic_items_never_exceed_the_tier(kind: str) -> None:
    eq, mi = equipment(), magic_items()
    uncommon_at_tier_1 = 0
    for seed in range(30):
        for tier in (1, 2, 3, 4):
            stock = generate_stock(kind, tier, eq, mi, random.Random(seed * 7 + tier))
            ranks = magic_ranks(stock)
            assert max(ranks, default=0) <= max(tier - 1, 0) or (tier == 1 and max(ranks) == 1)
            if tier == 1:
                assert ranks.count(1) <= 1  # now and then one uncommon item, never more
                assert 2 not in ranks and 3 not in ranks  # no rare items at tier 1
                uncommon_at_tier_1 += ranks.count(1)
            names = [e.name for e in stock.entries]
            assert len(names) == len(set(names))
    if PROFILES[kind].magic_slots[0] and kind != "frontier_village":
        assert uncommon_at_tier_1 > 0  # "occasionally" does happen


def test_tier_one_sells_potions_of_healing_and_common_items() -> None:
    for kind in ("frontier_village", "urban_port", "mountain_monastery"):
        stock = generate_stock(kind, 1, equipment(), magic_items(), random.Random(3))
        potion = stock.find("Potion of Healing")
        assert potion is not None and potion.qty >= 1 and potion.price == 5000


def test_urban_port_has_wide_stock_nautical_gear_and_uncommon_magic_at_tier_2() -> None:
    stocks = [generate_stock("urban port", 2, equipment(), magic_items(), random.Random(s)) for s in range(10)]
    for stock in stocks:
        groups = {e.group for e in stock.entries}
        assert {"nautical", "martial weapons", "armor", "gear", "ammunition", "herbal"} <= groups
        assert len(stock.entries) > 120
        assert any(e.name in ("Rowboat", "Keelboat", "Sailing ship", "Galley", "Longship", "Warship")
                   for e in stock.entries)
    assert sum(magic_ranks(s).count(1) for s in stocks) >= 10


def test_frontier_village_and_mountain_monastery_profiles() -> None:
    eq, mi = equipment(), magic_items()
    for seed in range(10):
        village = generate_stock("frontier village", 2, eq, mi, random.Random(seed))
        assert all(e.category.casefold() == "potion" for e in village.entries if e.rarity)
        assert any(e.group == "simple weapons" for e in village.entries)
        assert not any(e.name == "Plate Armor" and e.qty > 2 for e in village.entries)
        monastery = generate_stock("monastery", 1, eq, mi, random.Random(seed))
        groups = {e.group for e in monastery.entries}
        assert {"holy", "herbal"} <= groups
        assert "armor" not in groups and "martial weapons" not in groups and "nautical" not in groups
        assert monastery.find("Holy water") is not None and monastery.find("herbalism kit") is not None
    with pytest.raises(RulesError, match="Kinds of place: urban port, city"):
        profile_for("moon base")
    with pytest.raises(RulesError, match="tier"):
        generate_stock("town", 5, eq, mi, random.Random(1))


def test_stock_is_deterministic_and_quantities_positive() -> None:
    a = generate_stock("city", 3, equipment(), magic_items(), random.Random(11))
    b = generate_stock("city", 3, equipment(), magic_items(), random.Random(11))
    assert a == b
    assert all(e.qty >= 1 and e.full_qty == e.qty for e in a.entries)
    assert all(e.qty == 1 for e in a.entries if e.group == "magic")


# ------------------------------------------------------------------------------------------ prices


def test_price_modifier_and_rounding() -> None:
    longsword = {"name": "Longsword", "category": "Weapon", "cost": 1500, "weight": 3}
    assert price_of(longsword) == 1500
    assert price_of(longsword, 1.1) == 1700  # 16.5 gp rounds half up to 17 gp
    assert price_of(longsword, 0.8) == 1200
    assert price_of({"name": "Torch", "cost": 1}, 0.5) == 1  # never free
    assert price_of({"name": "Rope", "cost": 100}, 1.25) == 130  # 1 gp 2.5 sp -> 1 gp 3 sp
    assert price_of({"name": "Ink", "cost": 7}, 1.5) == 11  # below 1 gp: to the cp
    assert price_of({"name": "Bag of Holding", "category": "Wondrous Items", "rarity": "Uncommon"}) == 40000
    assert price_of({"name": "Potion of Climbing", "category": "Potion", "rarity": "Common"}) == 5000
    with pytest.raises(RulesError, match="more than 0"):
        price_of(longsword, 0)
    cheap = generate_stock("city", 2, equipment(), magic_items(), random.Random(5), price_modifier=1.0)
    dear = generate_stock("city", 2, equipment(), magic_items(), random.Random(5), price_modifier=1.5)
    assert [e.name for e in cheap.entries] == [e.name for e in dear.entries]
    for low, high in zip(cheap.entries, dear.entries, strict=True):
        assert high.price == price_of(low, 1.5) and high.price >= low.price
    assert dear.find("Longsword") is None or dear.find("Longsword").price == 2300  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ buying


def test_buy_with_change() -> None:
    stock = shop(entry("Lantern, hooded", 150, 3))
    after, wealth, receipt = buy(stock, Wealth(gp=2), "hooded lantern")
    assert wealth == Wealth(sp=5)
    assert receipt.total == 150 and receipt.handed_over == Wealth(gp=2) and receipt.change == Wealth(sp=5)
    assert "5 sp in change" in receipt.message
    assert after.find("Lantern, hooded").qty == 2  # type: ignore[union-attr]
    assert stock.find("Lantern, hooded").qty == 3  # type: ignore[union-attr]  # the old stock is unchanged
    _, wealth, receipt = buy(stock, Wealth(cp=50, sp=10, gp=1), "Lantern, hooded")
    assert total_cp(wealth) == 250 - 150 and receipt.change == Wealth()


def test_the_merchant_makes_change_in_the_fewest_coins_buying_and_selling() -> None:
    """Found playing at the local table: after buying and selling the purse stayed 37 sp 14 cp. Coins stay as
    paid, but a shopkeeper gives the purse's gold, silver and copper back in the fewest coins."""
    from dnd.inventory import expand

    _, wealth, receipt = buy(shop(entry("Torch", 1, 5)), Wealth(sp=37, cp=14, pp=1), "torch")
    assert wealth == Wealth(gp=3, sp=8, cp=3, pp=1)  # 384 cp - 1 cp; the platinum piece untouched
    assert receipt.handed_over == Wealth(sp=29, cp=11) and receipt.change == Wealth(gp=3)
    assert "you hand over 29 sp 11 cp and get 3 gp in change" in receipt.message
    hero = derive(Character(name="Tor", race="Human", class_levels={"Fighter": 1},
                            base_scores={"STR": 15, "DEX": 12, "CON": 14, "INT": 10, "WIS": 10, "CHA": 8},
                            wealth=Wealth(sp=37, cp=14), inventory=expand([("Dagger", 1)])))
    hero, sale = sell_item(hero, "dagger")
    assert sale.total == 100 and hero.wealth == Wealth(gp=4, sp=8, cp=4)  # 384 cp + half a dagger's 2 gp


def test_not_enough_gold_and_out_of_stock() -> None:
    stock = shop(entry("Longsword", 1500, 1), entry("Torch", 1, 2), entry("Rope", 100, 0))
    with pytest.raises(RulesError, match="You need 15 gp but have 12 gp 5 sp"):
        buy(stock, Wealth(gp=12, sp=5), "longsword")
    with pytest.raises(RulesError, match="The shop has only 2 torches"):
        buy(stock, Wealth(gp=1), "torches", 3)
    with pytest.raises(RulesError, match="out of ropes"):
        buy(stock, Wealth(gp=1), "rope")
    with pytest.raises(RulesError, match="doesn't sell 'airship'"):
        buy(stock, Wealth(gp=1), "airship")
    with pytest.raises(RulesError, match="at least one"):
        buy(stock, Wealth(gp=1), "torch", 0)


def test_forgiving_item_names() -> None:
    names = ["Torch", "Potion of Healing", "Crossbow, light", "Arrow", "Rope, hempen (50 feet)", "Potion of Climbing",
             "Rations (1 day)", "Ball bearings (bag of 1,000)", "Holy water (flask)"]
    assert match_item_name("torches", names) == "Torch"
    assert match_item_name("TORCH", names) == "Torch"
    assert match_item_name("healing potion", names) == "Potion of Healing"
    assert match_item_name("potions of healing", names) == "Potion of Healing"
    assert match_item_name("light crossbow", names) == "Crossbow, light"
    assert match_item_name("arrows", names) == "Arrow"
    assert match_item_name("rope", names) == "Rope, hempen (50 feet)"
    assert match_item_name("climbing potion", names) == "Potion of Climbing"
    assert match_item_name("rations", names) == "Rations (1 day)"
    assert match_item_name("ball bearings", names) == "Ball bearings (bag of 1,000)"
    assert match_item_name("potion", names) is None  # two potions: ambiguous
    assert match_item_name("sword", names) is None
    assert plural("Torch", 2) == "2 torches" and plural("Potion of Healing", 3) == "3 potions of healing"
    assert plural("Torch", 1) == "1 torch"


def test_purchase_puts_items_with_weight_into_the_inventory() -> None:
    hero = derive(Character(name="Tor", race="Human", class_levels={"Fighter": 1},
                            base_scores={"STR": 15, "DEX": 12, "CON": 14, "INT": 10, "WIS": 10, "CHA": 8},
                            wealth=Wealth(gp=5)))
    stock = generate_stock("town", 1, catalogue_items(), (), random.Random(1))
    stock = stock.model_copy(update={"entries": [*stock.entries, entry("Arrow", 100, 5, bundle=20)]})
    stock, hero, receipt = purchase(hero, stock, "arrows", 2)
    arrows = next(i for i in hero.inventory if i.name == "Arrow")
    assert arrows.qty == 40 and arrows.weight == pytest.approx(0.05)
    assert hero.wealth == Wealth(gp=3) and receipt.total == 200
    assert carry_weight(hero, include_coins=False) == pytest.approx(2.0)
    hero, sale = sell_item(hero, "arrows", 20)
    assert sale.total == 50 and next(i for i in hero.inventory if i.name == "Arrow").qty == 20
    assert total_cp(hero.wealth) == 350


# ------------------------------------------------------------------------------------------ selling and restocking


def test_sell_half_price_and_trade_goods_full() -> None:
    assert sell("Longsword") == Wealth(gp=7, sp=5)
    assert sell({"name": "Longsword", "category": "Weapon", "cost": 1500}, 2) == Wealth(gp=15)
    assert sell_price("Torch", 3) == 1  # 1.5 cp rounds down
    wheat = {"name": "Wheat (1 lb)", "category": "Trade Goods", "cost": 1, "weight": 1}
    assert sell_price(wheat, 10) == 10 and sell(wheat, 10) == Wealth(sp=1)
    assert sell({"name": "Ruby", "category": "Gemstone (trade goods)", "cost": 500000}) == Wealth(gp=5000)
    assert sell("Longsword", 1, 1.2) == Wealth(gp=9)
    assert sell_price("Arrow", 20) == 50  # half of a bundle of 20's 1 gp
    with pytest.raises(RulesError, match="knows what"):
        sell("mystery box")
    with pytest.raises(RulesError, match="at least one"):
        sell("Torch", 0)


def test_restock() -> None:
    stock = shop(entry("Torch", 1, 20), entry("Rope", 100, 5))
    for _ in range(3):
        stock, _, _ = buy(stock, Wealth(gp=10), "torch", 5)
    assert stock.find("torch").qty == 5  # type: ignore[union-attr]
    assert restock(stock, 0, random.Random(1)) == stock
    later = restock(stock, 5, random.Random(1))
    assert later == restock(stock, 5, random.Random(1))
    assert 5 < later.find("torch").qty <= 20  # type: ignore[union-attr]
    full = restock(stock, 365, random.Random(2))
    assert full.find("torch").qty == 20 and full.find("rope").qty == 5  # type: ignore[union-attr]
    with pytest.raises(RulesError):
        restock(stock, -1)


# ------------------------------------------------------------------------------------------ the shops of a place


def test_a_place_sells_through_shops_that_fit_their_wares() -> None:
    from dnd.shops import SHOP_PAGE_ITEMS, find_shop, shop_of, shop_pages, shops_here

    stock = generate_stock("city", 2, equipment(), magic_items(), random.Random(5))
    by_shop = dict(shops_here(stock))
    assert {"general store", "smith", "alchemist", "temple"} <= set(by_shop)
    assert all(e.group in ("simple weapons", "martial weapons", "armor", "ammunition") for e in by_shop["smith"])
    assert any(e.name == "Longsword" for e in by_shop["smith"])
    assert not any(e.name == "Longsword" for e in by_shop["general store"])
    assert all("potion" in e.category.casefold() or e.group == "herbal" for e in by_shop["alchemist"])
    assert sum(len(entries) for entries in by_shop.values()) == len(stock.entries)  # every item in one shop
    assert {shop_of(e) for e in stock.entries} == set(by_shop)
    for word, shop_name in [("smithy", "smith"), ("The Blacksmith", "smith"), ("stables", "stable"),
                            ("apothecary", "alchemist"), ("general", "general store")]:
        assert find_shop(word) == shop_name
    assert find_shop("bakery") is None

    pages = shop_pages(stock)
    assert len(pages) > 1 and [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(sum(len(entries) for _, entries in p.sections) <= SHOP_PAGE_ITEMS for p in pages)
    listed = [e.name for p in pages for _, entries in p.sections for e in entries]
    assert sorted(listed) == sorted(e.name for e in stock.entries)
    smith_pages = shop_pages(stock, "smith")
    assert {name for p in smith_pages for name, _ in p.sections} == {"smith"}


def test_a_village_has_fewer_shops_than_a_city() -> None:
    from dnd.shops import shops_here

    village = generate_stock("frontier village", 1, equipment(), magic_items(), random.Random(2))
    city = generate_stock("city", 1, equipment(), magic_items(), random.Random(2))
    assert len(village.entries) < len(city.entries)
    assert "chandler" not in dict(shops_here(village))
