"""The ground where the party is (`world_state.dropped_items` by location): what `!drop_item` leaves and a fight's
treasure, picked up with `!pick_up` or `!loot take` through the ledger. Coins lie as stacks named by
:data:`COIN_STACKS` and go into the purse when picked up."""

from __future__ import annotations

from typing import Any

from db import ledger
from db.characters import save as save_character
from db.world import DEFAULT_LOCATION, world_for_update
from dnd.character import InventoryItem
from dnd.combat.rewards import Treasure
from dnd.inventory import count_of, merge_items, take_from_stacks
from dnd.phrases import counted_name
from dnd.shops import match_item_name, plural
from dnd.wealth import DENOMINATIONS, add_coins
from tasks.handlers.character_support import my_character
from tasks.handlers.registry import CommandContext, CommandError

COIN_STACKS = {"cp": "Copper pieces", "sp": "Silver pieces", "ep": "Electrum pieces", "gp": "Gold pieces",
               "pp": "Platinum pieces"}
COIN_WEIGHT = 0.02  # 50 coins to the pound
MAX_QUANTITY = 1000


def parse_quantity(text: str, usage: str) -> tuple[str, int]:
    """`Torch`, `3 Torch`, `3x Torch`, `Torch x3`, `Torch 3`, `three torches` → (name, quantity) as
    `dnd.phrases.parse_quantity` reads them, within 1..MAX_QUANTITY."""
    if not text.strip():
        raise CommandError(f"Which item? `{usage}`.")
    qty, name = counted_name(text)
    if not 1 <= qty <= MAX_QUANTITY:
        raise CommandError(f"The quantity must be between 1 and {MAX_QUANTITY}.")
    return name, qty


def dropped(world_items: dict[str, Any], location: str) -> list[InventoryItem]:
    return [InventoryItem.model_validate(i) for i in (world_items or {}).get(location, [])]


def ground_stacks(treasure: Treasure) -> list[InventoryItem]:
    coins = [InventoryItem(name=COIN_STACKS[d], qty=n, weight=COIN_WEIGHT, properties=["coins"])
             for d, n in treasure.coins.coins().items() if n]
    items = [InventoryItem(name=name, qty=1) for name in treasure.items]
    return merge_items([], [*coins, *items])


def coin_of(item_name: str) -> str | None:
    """The denomination of a ground coin stack ("Gold pieces" -> "gp"), else None."""
    return next((d for d in DENOMINATIONS if COIN_STACKS[d].casefold() == item_name.casefold()), None)


def pick_up(ctx: CommandContext, text: str) -> None:
    """`!pick_up` and `!loot take`: an item (or coins) lying on the ground here into the author's hands."""
    wanted = " ".join(text.split())
    if not wanted:
        raise CommandError("Pick up what? `!pick_up <item> [qty]`.")
    stored = my_character(ctx, for_update=True)
    world = world_for_update(ctx.session, stored.campaign_id)
    location = world.location or DEFAULT_LOCATION
    ground = dropped(world.dropped_items, location)
    name, qty = wanted, 0
    if match_item_name(wanted, [i.name for i in ground]) is None:
        name, qty = parse_quantity(wanted, "!pick_up <item> [qty]")
    found = match_item_name(name, [i.name for i in ground])
    if found is None:
        lying = ", ".join(f"{i.name} ×{i.qty}" for i in ground) or "nothing"
        raise CommandError(f"There's no '{name[:80]}' on the ground at {location}. Lying here: {lying}.")
    here = count_of(ground, found)
    qty = qty or here
    if qty > here:
        raise CommandError(f"Only {plural(found, here)} lie here.")
    template = next(i for i in ground if i.name == found)
    left = take_from_stacks(ground, found, qty)
    before = stored.character
    coin = coin_of(found)
    if coin is not None:  # the coins of a fight's treasure go into the purse
        after = before.model_copy(update={"wealth": add_coins(before.wealth, **{coin: qty})})
    else:
        after = before.model_copy(update={"inventory": merge_items(before.inventory,
                                                                   [template.model_copy(update={"qty": qty})])})
    items = {**(world.dropped_items or {}), location: [i.model_dump(mode="json") for i in left]}
    if not left:
        items.pop(location)
    world.dropped_items = items
    save_character(ctx.session, stored, after)
    ledger.record_change(ctx.session, stored, before, after, f"ground:{location}", "pick up", mirror=True)
    ctx.reply(f"⬆️ {before.name} picks up {plural(found, qty)}.")
