"""Coins: totals, paying a price with correct change, adding coins, a merchant's change.

Coins stay as they are paid (the SRD has no rule that turns 14 cp into a silver piece by itself, and a trade
between characters hands over exact coins); a shopkeeper, though, makes change: a deal at a shop leaves the
purse's gold, silver and copper in the fewest of those coins (:func:`settle_with_merchant`).

>>> pay(Wealth(gp=1, sp=5), 120).model_dump()   # pay 1 gp 2 sp out of 1 gp 5 sp
{'cp': 0, 'sp': 3, 'ep': 0, 'gp': 0, 'pp': 0}
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from dnd.data.tables import COIN_VALUES, COINS_PER_POUND
from dnd.errors import RulesError

DENOMINATIONS: Final[tuple[str, ...]] = ("cp", "sp", "ep", "gp", "pp")  # smallest first
_CHANGE_DENOMINATIONS: Final[tuple[str, ...]] = ("gp", "sp", "cp")  # merchants give change in these


class Wealth(BaseModel):
    """A purse of coins. Counts are never negative."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cp: int = Field(0, ge=0)
    sp: int = Field(0, ge=0)
    ep: int = Field(0, ge=0)
    gp: int = Field(0, ge=0)
    pp: int = Field(0, ge=0)

    def coins(self) -> dict[str, int]:
        return {d: getattr(self, d) for d in DENOMINATIONS}

    def __str__(self) -> str:
        return format_wealth(self)


def total_cp(wealth: Wealth) -> int:
    """The value of the purse in copper pieces."""
    return sum(getattr(wealth, d) * COIN_VALUES[d] for d in DENOMINATIONS)


def coin_count(wealth: Wealth) -> int:
    return sum(wealth.coins().values())


def coin_weight(wealth: Wealth) -> float:
    """Fifty coins weigh a pound."""
    return coin_count(wealth) / COINS_PER_POUND


def from_cp(amount: int) -> Wealth:
    """Express an amount in the fewest gp/sp/cp coins (no pp or ep)."""
    if amount < 0:
        raise RulesError("An amount of money can't be negative.")
    gp, rest = divmod(amount, COIN_VALUES["gp"])
    sp, cp = divmod(rest, COIN_VALUES["sp"])
    return Wealth(gp=gp, sp=sp, cp=cp)


def format_cp(amount: int) -> str:
    """1520 -> "15 gp 2 sp"; 0 -> "0 cp"."""
    return format_wealth(from_cp(amount))


def format_wealth(wealth: Wealth) -> str:
    parts = [f"{getattr(wealth, d)} {d}" for d in reversed(DENOMINATIONS) if getattr(wealth, d)]
    return " ".join(parts) if parts else "0 cp"


_PRICE_RE: Final = re.compile(r"(\d+)\s*(cp|sp|ep|gp|pp)", re.IGNORECASE)


def parse_price(text: str) -> int:
    """``"15 gp"``, ``"1 gp 5 sp"``, ``"2gp"`` -> copper pieces."""
    matches = _PRICE_RE.findall(text)
    leftover = _PRICE_RE.sub("", text).replace(",", "").strip()
    if not matches or leftover:
        raise RulesError(f"'{text}' is not a price (write it like '15 gp' or '1 gp 5 sp').")
    return sum(int(n) * COIN_VALUES[unit.lower()] for n, unit in matches)


def add_coins(wealth: Wealth, cp: int = 0, sp: int = 0, ep: int = 0, gp: int = 0, pp: int = 0) -> Wealth:
    """Add coins as they are (no conversion). Negative amounts are refused: use :func:`pay`."""
    delta = {"cp": cp, "sp": sp, "ep": ep, "gp": gp, "pp": pp}
    if any(v < 0 for v in delta.values()):
        raise RulesError("Use pay() to spend coins; add_coins() only adds.")
    return Wealth(**{d: getattr(wealth, d) + delta[d] for d in DENOMINATIONS})


def add_wealth(a: Wealth, b: Wealth) -> Wealth:
    return add_coins(a, **b.coins())


def can_afford(wealth: Wealth, price_cp: int) -> bool:
    return total_cp(wealth) >= price_cp


def pay(wealth: Wealth, price_cp: int) -> Wealth:
    """Pay ``price_cp`` copper pieces' worth from the purse and return the purse afterwards.

    Coins are handed over from the smallest denomination up until the price is covered; if the last
    coin overpays, the change comes back in gp, sp and cp. No count ever goes negative and the value
    afterwards is exactly ``total - price``. Raises :class:`RulesError` if the purse is short.
    """
    if price_cp < 0:
        raise RulesError("A price can't be negative.")
    have = total_cp(wealth)
    if have < price_cp:
        raise RulesError(f"You can't afford that: it costs {format_cp(price_cp)} and you have "
                         f"{format_wealth(wealth)} ({format_cp(have)} in all).")
    coins = wealth.coins()
    remaining = price_cp
    for denom in DENOMINATIONS:
        if remaining <= 0:
            break
        value = COIN_VALUES[denom]
        used = min(coins[denom], -(-remaining // value))  # ceil division
        coins[denom] -= used
        remaining -= used * value
    change = -remaining  # overpaid by this much (>= 0)
    for denom in _CHANGE_DENOMINATIONS:
        n, change = divmod(change, COIN_VALUES[denom])
        coins[denom] += n
    result = Wealth(**coins)
    assert total_cp(result) == have - price_cp
    return result


def settle_with_merchant(wealth: Wealth, price_cp: int = 0, paid_cp: int = 0) -> Wealth:
    """A deal at a shop: the character pays ``price_cp`` (the coins handed over as :func:`pay` does) and is paid
    ``paid_cp``, and the merchant counts the purse's gold, silver and copper with it and gives them back in the
    fewest of those coins: 37 sp 14 cp and a 1 cp torch leave 3 gp 8 sp 3 cp. Platinum and electrum stay as
    :func:`pay` leaves them; the value afterwards is exactly ``total - price + paid``."""
    if paid_cp < 0:
        raise RulesError("A merchant can't pay a negative amount.")
    after = pay(wealth, price_cp)
    loose = sum(getattr(after, d) * COIN_VALUES[d] for d in _CHANGE_DENOMINATIONS) + paid_cp
    settled = Wealth(**{**after.coins(), **{d: getattr(from_cp(loose), d) for d in _CHANGE_DENOMINATIONS}})
    assert total_cp(settled) == total_cp(wealth) - price_cp + paid_cp
    return settled
