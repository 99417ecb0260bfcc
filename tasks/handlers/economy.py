"""The economy at the table: the local shop (`!shop_list`, `!buy_item`, `!sell_item`), trades between players
(`!trade_item` confirmed by the receiver's ✅/❌), and items left on the ground (`!drop_item`, `!pick_up`).

Every change locks its rows first (the character FOR UPDATE, then the shop or the world state; two characters in
id order) and writes `ledger` rows for each movement of items and coins (coins as copper pieces, item "cp"), so
conservation can be checked. The engine's refusals (not enough coins, not carried, out of stock…) roll the
whole command back.
"""

from __future__ import annotations

from typing import Any

import keys
from db import combat as fights
from db import ledger, shops, trades
from db.campaigns import campaign_name, ensure_active_campaign
from db.characters import find_many, load_many_for_update
from db.characters import save as save_character
from db.engine import Session
from db.outbox import Reply, reply_target
from db.world import DEFAULT_LOCATION, current_location, world_for_update
from dnd.character import armor_class
from dnd.errors import RulesError
from dnd.inventory import armor_proficient, equip, is_armor, merge_items, remove_item, unequip
from dnd.shops import (
    SHOPS,
    ShopPage,
    StockEntry,
    find_shop,
    match_item_name,
    plural,
    purchase,
    sell_item,
    shop_pages,
    shops_here,
)
from dnd.trade import Offer, execute_trade, parse_coins, validate_offer
from dnd.wealth import format_cp, format_wealth
from tasks.handlers.character_support import MENTION, mention, mentioned_id, my_character, no_character
from tasks.handlers.ground_support import dropped, parse_quantity, pick_up
from tasks.handlers.registry import (
    ACCEPT,
    DECLINE,
    CommandContext,
    CommandError,
    command,
    confirmation,
    reaction,
)
from tasks.redis_client import get_redis

CATEGORY = "Economy"
TRADE_TTL = trades.OFFER_TTL
EMBED_DESCRIPTION_LIMIT = 4000


# --------------------------------------------------------------------------- shared


# --------------------------------------------------------------------------- the shop


MAX_SHOP_ARGS_CHARS = 60
MAX_SHOP_PAGE = 999


def _stock_line(entry: StockEntry) -> str:
    return (f"**{entry.name}**{f' ×{entry.bundle}' if entry.bundle > 1 else ''} — {format_cp(entry.price)} — "
            + (f"{entry.qty} in stock" if entry.qty else "sold out"))


def parse_shop_args(args: str) -> tuple[str | None, int]:
    """`!shop_list`, `!shop_list 2`, `!shop_list smith`, `!shop_list the smithy 2` → (shop or None, page)."""
    text = args.strip()
    if len(text) > MAX_SHOP_ARGS_CHARS:
        raise CommandError(f"That's too long for a shop's name (at most {MAX_SHOP_ARGS_CHARS} characters).")
    words = text.split()
    page = 1
    if words and words[-1].isdigit():
        page = int(words.pop())
        if not 1 <= page <= MAX_SHOP_PAGE:
            raise CommandError("Pages start at 1.")
    if not words:
        return None, page
    shop = find_shop(" ".join(words))
    if shop is None:
        names = ", ".join(name for name, _ in SHOPS)
        raise CommandError(f"There's no shop called “{' '.join(words)[:40]}” — shops are: {names}.")
    return shop, page


def _shop_embed(location: str, shop: str | None, page: ShopPage, modifier: float,
                here: list[str]) -> dict[str, Any]:
    lines: list[str] = []
    for name, entries in page.sections:
        lines.append(f"__{name.capitalize()}__")
        lines.extend(_stock_line(entry) for entry in entries)
    where = f"the {shop}" if shop else "the shops"
    more = f" · `!shop_list {shop + ' ' if shop else ''}{page.number + 1}` for more" if page.number < page.pages else ""
    return {"title": f"🛒 {where.capitalize()} at {location}",
            "description": "\n".join(lines)[:EMBED_DESCRIPTION_LIMIT] or "The shelves are bare.",
            "footer": {"text": f"Page {page.number}/{page.pages}{more} · here: {', '.join(here) or 'nothing'} · "
                               f"prices ×{modifier:g} · `!buy_item <item> [qty]`, `!sell_item <item> [qty]`"}}


@command("shop_list", "!shop_list [shop] [page]", "What the shops where the party stands sell (the general store, "
         "the smith, the alchemist, the temple, the stable…), a page at a time: item, price, stock.",
         category=CATEGORY)
def shop_list_command(ctx: CommandContext) -> None:
    shop, number = parse_shop_args(ctx.args)
    campaign_id = ensure_active_campaign(ctx.session)
    location = current_location(ctx.session, campaign_id)
    row = shops.ensure_shop(ctx.session, campaign_id, location)
    if shops.restock_due(row):
        ctx.follow_ups.append((keys.RESTOCK_SHOP_TASK, (campaign_id, location)))
    stock = shops.stock_of(row)
    here = [name for name, _ in shops_here(stock)]
    if shop is not None and shop not in here:
        raise CommandError(f"There's no {shop} at **{location}**. Here: {', '.join(here) or 'no shop at all'}.")
    pages = shop_pages(stock, shop)
    if number > len(pages):
        raise CommandError(f"There {'is only one page' if len(pages) == 1 else f'are {len(pages)} pages'} "
                           f"of {'the ' + shop if shop else 'the shops'} here.")
    ctx.reply(f"The shop{'s' if shop is None and len(here) != 1 else ''} at **{location}** "
              f"({campaign_name(ctx.session, campaign_id)}; stock from the {shops.stock_source(ctx.session)} "
              "compendium).",
              embeds=[_shop_embed(location, shop, pages[number - 1], row.price_modifier, here)])


@command("buy_item", "!buy_item <item> [qty]", "Buy from the local shop (change is given in coins).",
         category=CATEGORY)
def buy_item_command(ctx: CommandContext) -> None:
    name, qty = parse_quantity(ctx.args, "!buy_item <item> [qty]")
    stored = my_character(ctx, for_update=True)
    location = current_location(ctx.session, stored.campaign_id)
    row = shops.ensure_shop(ctx.session, stored.campaign_id, location)
    before = stored.character
    stock, after, receipt = purchase(before, shops.stock_of(row), name, qty)
    shops.store(row, stock)
    save_character(ctx.session, stored, after)
    ledger.record_change(ctx.session, stored, before, after, f"shop:{row.id}", f"buy {receipt.item.name} x{qty}",
                         mirror=True)
    wear = f" Wear it with `!equip {receipt.item.name}`." if is_armor(receipt.item.name) else ""
    ctx.reply(f"🛒 {before.name}: {receipt.message} Purse: {format_wealth(after.wealth)}.{wear}")
    # A purchase is a moment of the story: the merchant's voice follows the receipt (GPU path).
    ctx.narrate(f"The merchant at {location} sells to {before.name}. "
                f"{receipt.message.replace('You ', f'{before.name} ', 1)}")


@command("sell_item", "!sell_item <item> [qty]", "Sell a carried item to the local shop (half price; trade goods "
         "full).", category=CATEGORY)
def sell_item_command(ctx: CommandContext) -> None:
    name, qty = parse_quantity(ctx.args, "!sell_item <item> [qty]")
    stored = my_character(ctx, for_update=True)
    location = current_location(ctx.session, stored.campaign_id)
    row = shops.ensure_shop(ctx.session, stored.campaign_id, location)
    stock = shops.stock_of(row)
    catalogue = [{"name": e.name, "category": e.category, "cost": e.base_cost, "bundle": e.bundle,
                  "rarity": e.rarity, "weight": e.weight} for e in stock.entries]
    before = stored.character
    after, sale = sell_item(before, name, qty, row.price_modifier, catalogue)
    if sale.total <= 0:
        raise CommandError(f"No merchant pays anything for {plural(sale.item, qty)}.")
    save_character(ctx.session, stored, after)
    ledger.record_change(ctx.session, stored, before, after, f"shop:{row.id}", f"sell {sale.item} x{qty}", mirror=True)
    ctx.reply(f"💰 {sale.message} Purse: {format_wealth(after.wealth)}.")
    ctx.narrate(f"The merchant at {location} buys from {before.name}. {sale.message}")


# --------------------------------------------------------------------------- trades


def _split_mention(args: str, usage: str) -> tuple[int, str]:
    found = MENTION.search(args)
    if found is None:
        raise CommandError(f"Whom to? Mention the player: `{usage}`.")
    return mentioned_id(found), (args[:found.start()] + " " + args[found.end():]).strip()


@command("trade_item", "!trade_item <item|25gp> [qty] @player", "Offer an item or coins to another player; they "
         "accept with ✅ or decline with ❌ within 3 minutes.", category=CATEGORY)
def trade_item_command(ctx: CommandContext) -> None:
    usage = "!trade_item <item|25gp> [qty] @player"
    receiver_id, what = _split_mention(ctx.args, usage)
    if receiver_id == ctx.author_id:
        raise CommandError("You can't trade with yourself.")
    if not what:
        raise CommandError(f"What do you offer? `{usage}`.")
    campaign_id = ensure_active_campaign(ctx.session)
    both = find_many(ctx.session, [ctx.author_id, receiver_id], campaign_id)
    sender, receiver = both.get(ctx.author_id), both.get(receiver_id)
    if sender is None:
        raise no_character(ctx, campaign_id)
    if receiver is None:
        raise CommandError(f"{mention(receiver_id)} isn't a player with a character in "
                           f"**{campaign_name(ctx.session, campaign_id)}** — I can't trade with them.")
    if get_redis().get(keys.presence(receiver_id)) != "online":
        raise CommandError(f"{mention(receiver_id)} isn't online right now; trades need both players present.")
    if parse_coins(what) is not None:
        qty = 1
    else:
        what, qty = parse_quantity(what, usage)
    offer = validate_offer(sender.character, receiver.character, what, qty)
    trade_id = trades.offer(ctx.session, sender.campaign_id, ctx.author_id, receiver_id,
                            {"offer": offer.model_dump(mode="json"), "text": offer.text,
                             "channel_id": ctx.event.get("channel_id")})
    minutes = int(TRADE_TTL.total_seconds() // 60)
    ctx.reply(f"🤝 {mention(receiver_id)}, **{offer.sender}** offers you {_offered(offer)}. React {ACCEPT} to "
              f"accept or {DECLINE} to decline (within {minutes} minutes).",
              meta=confirmation("trade", trade_id=trade_id))


def _offered(offer: Offer) -> str:
    return format_wealth(offer.coins) if offer.coins is not None else plural(offer.item or "", offer.qty)


@reaction("trade")
def settle_trade(ctx: CommandContext) -> None:
    """The receiver's ✅ or ❌ on a trade offer: settled once, with the trade row and both characters locked;
    an accepted trade is narrated after the settlement."""
    trade_id = (ctx.event.get("meta") or {}).get("trade_id")
    emoji = ctx.event.get("emoji")
    if trade_id is None or emoji not in (ACCEPT, DECLINE) or ctx.event.get("author_id") is None:
        return
    trade = trades.offer_for_update(ctx.session, int(trade_id))
    if trade is None or ctx.author_id != trade.receiver_id:
        return  # only the receiver's answer counts
    if trade.status != "pending":
        ctx.reply(f"This trade is already settled ({trade.status}).")
        return

    def settle(status: str) -> None:
        trades.set_status(ctx.session, trade.id, status)

    if trade.expired:
        settle("expired")
        ctx.reply("This trade offer expired — make a new one with `!trade_item`.")
        return
    if emoji == DECLINE:
        settle("declined")
        ctx.reply(f"❌ {mention(trade.receiver_id)} declines: {trade.item.get('text', '')}.")
        return
    locked = load_many_for_update(ctx.session, [trade.sender_id, trade.receiver_id], trade.campaign_id)
    sender, receiver = locked.get(trade.sender_id), locked.get(trade.receiver_id)
    if sender is None or receiver is None:
        settle("failed")
        ctx.reply("The trade can't happen: one of the characters is gone.")
        return
    offer = Offer.model_validate(trade.item["offer"])
    try:
        sender_after, receiver_after = execute_trade(sender.character, receiver.character, offer)
    except RulesError as error:
        settle("failed")
        ctx.reply(f"The trade can't happen: {error}")
        return
    sender_before, receiver_before = sender.character, receiver.character
    save_character(ctx.session, sender, sender_after)
    save_character(ctx.session, receiver, receiver_after)
    ledger.record_change(ctx.session, sender, sender_before, sender_after, f"trade:{trade.id}",
                         f"trade to {trade.receiver_id}")
    ledger.record_change(ctx.session, receiver, receiver_before, receiver_after, f"trade:{trade.id}",
                         f"trade from {trade.sender_id}")
    settle("accepted")
    ctx.reply(f"✅ Trade done: {offer.text}.")
    ctx.narrate(f"{sender_before.name} hands {_offered(offer)} to {receiver_before.name}, who accepts.",
                {**ctx.event, "message_id": f"reaction-{ctx.event['reaction_id']}"})


def expire_stale_trades(session: Session) -> list[Reply]:
    """The sweeper's part: offers nobody answered in time are marked expired, and their channel is told."""
    replies = []
    for row in trades.expire_stale(session):
        text = (f"⌛ {mention(row.sender_id)}'s offer to {mention(row.receiver_id)} "
                f"({(row.item or {}).get('text', 'a trade')}) expired unanswered; nothing changed hands.")
        # Told where the offer was made, or the sender's DMs.
        target = reply_target({"channel_id": (row.item or {}).get("channel_id"), "author_id": row.sender_id})
        replies.append(Reply(content=text, meta={"trade_id": row.id, "expired": True}, **target))
    return replies


# --------------------------------------------------------------------------- the ground


@command("drop_item", "!drop_item <item> [qty]", "Leave an item on the ground where the party is.",
         category=CATEGORY)
def drop_item_command(ctx: CommandContext) -> None:
    name, qty = parse_quantity(ctx.args, "!drop_item <item> [qty]")
    stored = my_character(ctx, for_update=True)
    before = stored.character
    carried = match_item_name(name, [i.name for i in before.inventory if i.qty > 0])
    if carried is None:
        raise CommandError(f"{before.name} doesn't carry '{name[:80]}'.")
    template = next(i for i in before.inventory if i.name == carried)
    after = remove_item(before, carried, qty)
    world = world_for_update(ctx.session, stored.campaign_id)
    location = world.location or DEFAULT_LOCATION
    ground = merge_items(dropped(world.dropped_items, location),
                         [template.model_copy(update={"qty": qty, "equipped": False})])
    world.dropped_items = {**(world.dropped_items or {}), location: [i.model_dump(mode="json") for i in ground]}
    save_character(ctx.session, stored, after)
    ledger.record_change(ctx.session, stored, before, after, f"ground:{location}", "drop", mirror=True)
    ctx.reply(f"⬇️ {before.name} drops {plural(carried, qty)} at {location}.")


@command("pick_up", "!pick_up <item> [qty]", "Pick up an item lying on the ground here (all of it by default).",
         category=CATEGORY)
def pick_up_command(ctx: CommandContext) -> None:
    pick_up(ctx, ctx.args)


@command("equip", "!equip <item>", "Wear armor or a shield, or take up a weapon (armor you carry counts for your "
         "AC only once worn).", category=CATEGORY)
def equip_command(ctx: CommandContext) -> None:
    name = " ".join(ctx.args.split())
    if not name:
        raise CommandError("What? `!equip <item>`, e.g. `!equip chain mail`.")
    stored = my_character(ctx, for_update=True)
    before = stored.character
    carried = match_item_name(name, [i.name for i in before.inventory if i.qty > 0])
    if carried is None:
        raise CommandError(f"{before.name} doesn't carry '{name[:80]}'. `!inventory` lists what you have.")
    if is_armor(carried) and fights.player_in_fight(ctx.session, stored.campaign_id, ctx.author_id):
        raise CommandError("Donning armor takes minutes, not a turn: after the fight.")
    after, taken_off = equip(before, carried)
    save_character(ctx.session, stored, after)
    off = f" ({', '.join(taken_off)} back in the pack)" if taken_off else ""
    warn = "" if armor_proficient(after, carried) else \
        f" {before.name} isn't trained in it: disadvantage on STR and DEX checks, saves and attacks, and no spells."
    ctx.reply(f"🛡️ {before.name} {'puts on' if is_armor(carried) else 'takes up'} {carried}{off}: AC "
              f"{armor_class(before)} → **{armor_class(after)}**.{warn}")


@command("unequip", "!unequip <item>", "Take armor or a shield off, or put a weapon away.", category=CATEGORY)
def unequip_command(ctx: CommandContext) -> None:
    name = " ".join(ctx.args.split())
    if not name:
        raise CommandError("What? `!unequip <item>`.")
    stored = my_character(ctx, for_update=True)
    before = stored.character
    worn = match_item_name(name, [i.name for i in before.inventory if i.equipped])
    if worn is None:
        raise CommandError(f"{before.name} isn't wearing or holding '{name[:80]}'.")
    if is_armor(worn) and fights.player_in_fight(ctx.session, stored.campaign_id, ctx.author_id):
        raise CommandError("Taking armor off takes minutes, not a turn: after the fight.")
    after = unequip(before, worn)
    save_character(ctx.session, stored, after)
    ctx.reply(f"🎒 {before.name} stows {worn}: AC {armor_class(before)} → **{armor_class(after)}**.")
