"""Trades between characters: validation, execution, and conservation of items and coins (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnd.character import Character, InventoryItem, carry_weight, derive
from dnd.errors import RulesError
from dnd.inventory import expand
from dnd.trade import Offer, conservation_check, execute_trade, parse_coins, validate_offer
from dnd.wealth import DENOMINATIONS, Wealth, total_cp

SCORES = {"STR": 12, "DEX": 12, "CON": 12, "INT": 12, "WIS": 12, "CHA": 12}
_BASE: dict[str, Character] = {}


def hero(name: str, items: list[InventoryItem] | None = None, wealth: Wealth | None = None) -> Character:
    if name not in _BASE:
        _BASE[name] = derive(Character(name=name, race="Human", class_levels={"Fighter": 1}, base_scores=SCORES))
    update: dict[str, Any] = {"inventory": items or [], "wealth": wealth or Wealth()}
    return _BASE[name].model_copy(update=update)


def test_coin_offers_are_parsed_like_prices() -> None:
    assert parse_coins("25gp") == Wealth(gp=25)
    assert parse_coins("1 gp 5 sp") == Wealth(gp=1, sp=5)
    assert parse_coins("1 gp, 2 gp") == Wealth(gp=3)
    assert parse_coins("torch") is None and parse_coins("25 gold") is None


def test_validate_offer_refusals() -> None:
    ana = hero("Ana", expand([("Torch", 3), ("Longsword", 1)]), Wealth(gp=12, sp=5))
    ben = hero("Ben")
    with pytest.raises(RulesError, match="trade with yourself"):
        validate_offer(ana, ana, "torch")
    with pytest.raises(RulesError, match="trade with yourself"):
        validate_offer(ana, hero("ana"), "torch")
    with pytest.raises(RulesError, match="at least 1"):
        validate_offer(ana, ben, "torch", 0)
    with pytest.raises(RulesError, match="at least 1"):
        validate_offer(ana, ben, "torch", -2)
    with pytest.raises(RulesError, match="Ana doesn't carry 'rope'"):
        validate_offer(ana, ben, "rope")
    with pytest.raises(RulesError, match="Ana has only 3 torches"):
        validate_offer(ana, ben, "torches", 4)
    with pytest.raises(RulesError, match="Ana has only 12 gp 5 sp, not 15 gp"):
        validate_offer(ana, ben, "15gp")
    with pytest.raises(RulesError, match="at least 1 cp"):
        validate_offer(ana, ben, "0 gp")
    offer = validate_offer(ana, ben, "torches", 2)
    assert (offer.item, offer.qty, offer.coins) == ("Torch", 2, None)
    assert offer.text == "Ana gives Ben 2 torches"
    coins = validate_offer(ana, ben, "2 gp 5 sp", 2)  # qty multiplies coins
    assert coins.coins == Wealth(gp=4, sp=10) and coins.value_cp == 500


def test_items_move_with_weight_and_arrive_unequipped() -> None:
    items = expand([("Longsword", 2), ("Torch", 5)])
    items = [i.model_copy(update={"equipped": i.name == "Longsword"}) for i in items]
    items.append(InventoryItem(name="Longsword", qty=1, weight=3.0, properties=["magic +1"]))
    ana = hero("Ana", items)
    ben = hero("Ben", expand([("Torch", 1)]))
    offer = validate_offer(ana, ben, "longsword", 2)
    ana2, ben2 = execute_trade(ana, ben, offer)
    # The unequipped +1 sword goes first, then one of the equipped pair; Ana keeps one equipped.
    assert [(i.name, i.qty, i.equipped, i.properties) for i in ana2.inventory if i.name == "Longsword"] == [
        ("Longsword", 1, True, items[0].properties)]
    swords = [i for i in ben2.inventory if i.name == "Longsword"]
    assert sorted(i.qty for i in swords) == [1, 1] and not any(i.equipped for i in swords)
    assert any("magic +1" in i.properties for i in swords)
    assert carry_weight(ana2) + carry_weight(ben2) == pytest.approx(carry_weight(ana) + carry_weight(ben))
    assert carry_weight(ben2) == pytest.approx(1 + 6)
    ana3, ben3 = execute_trade(ana2, ben2, validate_offer(ana2, ben2, "torch", 5))
    assert [i for i in ana3.inventory if i.name == "Torch"] == []
    assert next(i.qty for i in ben3.inventory if i.name == "Torch") == 6
    assert conservation_check([ana, ben], [ana3, ben3]) == []


def test_coins_move_exactly_or_with_change() -> None:
    ana = hero("Ana", wealth=Wealth(gp=30, sp=4))
    ben = hero("Ben", wealth=Wealth(cp=7))
    ana2, ben2 = execute_trade(ana, ben, validate_offer(ana, ben, "25gp"))
    assert ana2.wealth == Wealth(gp=5, sp=4) and ben2.wealth == Wealth(cp=7, gp=25)
    # Ana has no silver to speak of: she pays 5 sp out of her gold and keeps the change.
    ana3, ben3 = execute_trade(ana2, ben2, validate_offer(ana2, ben2, "9 sp"))
    assert total_cp(ana3.wealth) == 540 - 90 and total_cp(ben3.wealth) == 2507 + 90
    assert conservation_check([ana, ben], [ana3, ben3]) == []


def test_execute_refuses_stale_or_foreign_offers() -> None:
    ana = hero("Ana", expand([("Torch", 1)]))
    ben = hero("Ben")
    offer = validate_offer(ana, ben, "torch")
    with pytest.raises(RulesError, match="other characters"):
        execute_trade(ben, ana, offer)
    with pytest.raises(RulesError, match="Only 0"):
        execute_trade(ana.model_copy(update={"inventory": []}), ben, offer)
    with pytest.raises(RulesError, match="nothing to give"):
        execute_trade(ana, ben, Offer(sender="Ana", receiver="Ben"))


def test_conservation_check_reports_what_changed() -> None:
    ana = hero("Ana", expand([("Torch", 2)]), Wealth(gp=1))
    ben = hero("Ben")
    duped = ben.model_copy(update={"inventory": expand([("Torch", 1)])})
    assert conservation_check([ana, ben], [ana, duped]) == ["torch: 2 before, 3 after"]
    richer = ben.model_copy(update={"wealth": Wealth(cp=1)})
    assert conservation_check([ana, ben], [ana, richer]) == ["coins: 1 gp before, 1 gp 1 cp after"]
    heavier = ana.model_copy(update={"inventory": [ana.inventory[0].model_copy(update={"weight": 2.0})]})
    assert conservation_check([ana, ben], [heavier, ben]) == ["torch: 2.0 lb before, 4.0 lb after"]


# ------------------------------------------------------------------------------------------ property

ITEM_NAMES = ["Torch", "Rope, hempen (50 feet)", "Longsword", "Arrow", "Potion of Healing", "Rations (1 day)"]

inventories = st.lists(
    st.builds(lambda name, qty, equipped, magic: InventoryItem(
        name=name, qty=qty, weight={"Torch": 1.0, "Longsword": 3.0, "Arrow": 0.05}.get(name, 0.5),
        equipped=equipped, properties=["magic +1"] if magic else []),
        st.sampled_from(ITEM_NAMES), st.integers(0, 30), st.booleans(), st.booleans()),
    max_size=8)
purses = st.builds(Wealth, **{d: st.integers(0, 60) for d in DENOMINATIONS})
offers = st.one_of(
    st.tuples(st.sampled_from([n.casefold() for n in ITEM_NAMES] + ["torches", "arrows", "healing potion"]),
              st.integers(-1, 40)),
    st.tuples(st.builds(lambda n, d: f"{n} {d}", st.integers(0, 80), st.sampled_from(DENOMINATIONS)),
              st.integers(1, 3)),
)


@settings(max_examples=300, deadline=None)
@given(inventories, purses, inventories, purses, st.lists(offers, min_size=1, max_size=5), st.booleans())
def test_trades_never_create_or_destroy_items_or_coins(inv_a: list[InventoryItem], purse_a: Wealth,
                                                       inv_b: list[InventoryItem], purse_b: Wealth,
                                                       plan: list[tuple[str, int]], b_gives: bool) -> None:
    a, b = hero("Ana", inv_a, purse_a), hero("Ben", inv_b, purse_b)
    start = [a, b]
    for what, qty in plan:
        sender, receiver = (b, a) if b_gives else (a, b)
        try:
            offer = validate_offer(sender, receiver, what, qty)
        except RulesError:
            continue
        new_sender, new_receiver = execute_trade(sender, receiver, offer)
        if offer.coins is not None:
            assert total_cp(new_receiver.wealth) - total_cp(receiver.wealth) == offer.value_cp
            if all(getattr(sender.wealth, d) >= getattr(offer.coins, d) for d in DENOMINATIONS):
                for d in DENOMINATIONS:  # the very coins named changed hands
                    assert getattr(new_sender.wealth, d) + getattr(new_receiver.wealth, d) == (
                        getattr(sender.wealth, d) + getattr(receiver.wealth, d))
        else:
            moved = sum(i.qty for i in new_receiver.inventory if i.name == offer.item) - sum(
                i.qty for i in receiver.inventory if i.name == offer.item)
            assert moved == offer.qty
        assert conservation_check([sender, receiver], [new_sender, new_receiver]) == []
        a, b = (new_receiver, new_sender) if b_gives else (new_sender, new_receiver)
        b_gives = not b_gives
    assert conservation_check(start, [a, b]) == []
    assert carry_weight(a, include_coins=False) + carry_weight(b, include_coins=False) == pytest.approx(
        carry_weight(start[0], include_coins=False) + carry_weight(start[1], include_coins=False))
