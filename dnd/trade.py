"""Trades between two characters: validating an offer and carrying it out without creating or destroying
anything.

An offer is either items from the sender's inventory (matched forgivingly: "torches" -> Torch) or coins
written like a price ("25gp", "1 gp 5 sp"). Coins move as the very coins named when the sender has them;
otherwise the sender pays the value with change (:func:`dnd.wealth.pay`) and the receiver gets the same value
in gp, sp and cp. Items keep their per-unit weight and tags; they arrive unequipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from dnd.character import Character, InventoryItem
from dnd.errors import RulesError
from dnd.inventory import merge_items
from dnd.shops import match_item_name, plural
from dnd.wealth import (
    DENOMINATIONS,
    Wealth,
    add_wealth,
    format_cp,
    format_wealth,
    from_cp,
    parse_price,
    pay,
    total_cp,
)

__all__ = ["Offer", "conservation_check", "execute_trade", "parse_coins", "validate_offer"]

_COIN_TEXT: Final = re.compile(r"^\s*(?:\d+\s*(?:cp|sp|ep|gp|pp)\s*,?\s*)+$", re.IGNORECASE)
_COIN_PART: Final = re.compile(r"(\d+)\s*(cp|sp|ep|gp|pp)", re.IGNORECASE)


class Offer(BaseModel):
    """What ``sender`` hands to ``receiver``: ``qty`` of the inventory item ``item``, or ``coins``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender: str
    receiver: str
    item: str | None = None
    qty: int = Field(0, ge=0)
    coins: Wealth | None = None

    @property
    def value_cp(self) -> int:
        return total_cp(self.coins) if self.coins is not None else 0

    @property
    def text(self) -> str:
        what = format_wealth(self.coins) if self.coins is not None else plural(self.item or "", self.qty)
        return f"{self.sender} gives {self.receiver} {what}"


def parse_coins(text: str) -> Wealth | None:
    """``"25gp"``, ``"1 gp 5 sp"`` -> the coins named; None when the text is not a coin amount."""
    if not _COIN_TEXT.match(text):
        return None
    parse_price(text)  # the engine's own validation of a price
    counts = dict.fromkeys(DENOMINATIONS, 0)
    for amount, unit in _COIN_PART.findall(text):
        counts[unit.casefold()] += int(amount)
    return Wealth(**counts)


def _same(a: Character, b: Character) -> bool:
    return a.name.strip().casefold() == b.name.strip().casefold()


def validate_offer(sender: Character, receiver: Character, what: str, qty: int = 1) -> Offer:
    """Check an offer and spell it out: not to yourself, a positive quantity, and the sender has it. ``what``
    is an item name or coins ("25gp"; ``qty`` then multiplies the amount)."""
    if _same(sender, receiver):
        raise RulesError("You can't trade with yourself.")
    if qty < 1:
        raise RulesError("Offer a quantity of at least 1.")
    coins = parse_coins(what)
    if coins is not None:
        coins = Wealth(**{d: n * qty for d, n in coins.coins().items()})
        value = total_cp(coins)
        if value <= 0:
            raise RulesError("Offer at least 1 cp.")
        if total_cp(sender.wealth) < value:
            raise RulesError(f"{sender.name} has only {format_wealth(sender.wealth)}, not {format_cp(value)}.")
        return Offer(sender=sender.name, receiver=receiver.name, coins=coins)
    name = match_item_name(what, [i.name for i in sender.inventory if i.qty > 0])
    if name is None:
        raise RulesError(f"{sender.name} doesn't carry '{what}'.")
    have = sum(i.qty for i in sender.inventory if i.name == name)
    if have < qty:
        raise RulesError(f"{sender.name} has only {plural(name, have)}.")
    return Offer(sender=sender.name, receiver=receiver.name, item=name, qty=qty)


def _take(inventory: list[InventoryItem], name: str, qty: int) -> tuple[list[InventoryItem], list[InventoryItem]]:
    """(what stays, what goes): unequipped stacks are given first; what goes keeps weight and tags."""
    left = qty
    taken: dict[int, int] = {}
    order = sorted(range(len(inventory)), key=lambda i: inventory[i].equipped)
    for i in order:
        item = inventory[i]
        if left and item.name == name and item.qty > 0:
            n = min(left, item.qty)
            taken[i] = n
            left -= n
    if left:
        raise RulesError(f"Only {qty - left} × {name} to give, not {qty}.")
    stays: list[InventoryItem] = []
    goes: list[InventoryItem] = []
    for i, item in enumerate(inventory):
        n = taken.get(i, 0)
        if item.qty - n > 0:
            stays.append(item.model_copy(update={"qty": item.qty - n}) if n else item)
        if n:
            goes.append(item.model_copy(update={"qty": n, "equipped": False}))
    return stays, goes


def _exact(wealth: Wealth, coins: Wealth) -> bool:
    return all(getattr(wealth, d) >= getattr(coins, d) for d in DENOMINATIONS)


def execute_trade(sender: Character, receiver: Character, offer: Offer) -> tuple[Character, Character]:
    """Carry out a validated offer: (sender after, receiver after). Items and coins are conserved exactly."""
    if offer.sender.casefold() != sender.name.casefold() or offer.receiver.casefold() != receiver.name.casefold():
        raise RulesError("This offer was made between other characters.")
    if _same(sender, receiver):
        raise RulesError("You can't trade with yourself.")
    if offer.coins is not None:
        value = total_cp(offer.coins)
        if value <= 0:
            raise RulesError("Offer at least 1 cp.")
        if _exact(sender.wealth, offer.coins):
            left = Wealth(**{d: getattr(sender.wealth, d) - getattr(offer.coins, d) for d in DENOMINATIONS})
            given = offer.coins
        else:
            if total_cp(sender.wealth) < value:
                raise RulesError(f"{sender.name} has only {format_wealth(sender.wealth)}, not {format_cp(value)}.")
            left = pay(sender.wealth, value)
            given = from_cp(value)
        return (sender.model_copy(update={"wealth": left}),
                receiver.model_copy(update={"wealth": add_wealth(receiver.wealth, given)}))
    if offer.item is None or offer.qty < 1:
        raise RulesError("The offer names nothing to give.")
    stays, goes = _take(list(sender.inventory), offer.item, offer.qty)
    return (sender.model_copy(update={"inventory": stays}),
            receiver.model_copy(update={"inventory": merge_items(receiver.inventory, goes)}))


def _tally(characters: Iterable[Character]) -> tuple[dict[str, int], dict[str, float], int]:
    counts: dict[str, int] = {}
    weights: dict[str, float] = {}
    value = 0
    for c in characters:
        for item in c.inventory:
            key = item.name.casefold()
            counts[key] = counts.get(key, 0) + item.qty
            weights[key] = weights.get(key, 0.0) + item.qty * item.weight
        value += total_cp(c.wealth)
    return counts, weights, value


def conservation_check(before: Sequence[Character], after: Sequence[Character]) -> list[str]:
    """What a trade created or destroyed: item counts and weights by name and the coins' total value, summed
    over the characters before and after. Empty when everything was conserved."""
    counts_a, weights_a, value_a = _tally(before)
    counts_b, weights_b, value_b = _tally(after)
    problems: list[str] = []
    for key in sorted(set(counts_a) | set(counts_b)):
        if counts_a.get(key, 0) != counts_b.get(key, 0):
            problems.append(f"{key}: {counts_a.get(key, 0)} before, {counts_b.get(key, 0)} after")
        elif abs(weights_a.get(key, 0.0) - weights_b.get(key, 0.0)) > 1e-6:
            problems.append(f"{key}: {weights_a.get(key, 0.0)} lb before, {weights_b.get(key, 0.0)} lb after")
    if value_a != value_b:
        problems.append(f"coins: {format_cp(value_a)} before, {format_cp(value_b)} after")
    return problems
