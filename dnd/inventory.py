"""Building inventory entries from the equipment catalogue and merging them into a character's pack."""

from __future__ import annotations

from collections.abc import Iterable

from dnd.character import Character, InventoryItem
from dnd.data.equipment import Armor, Weapon, find_item
from dnd.errors import RulesError
from dnd.wealth import total_cp


def make_item(name: str, qty: int = 1) -> InventoryItem:
    """An inventory entry for a catalogue item (per-unit weight, its properties as tags)."""
    info = find_item(name)
    if info is None:
        raise RulesError(f"I don't know an item called '{name}'.")
    props: list[str] = list(info.properties)
    if isinstance(info, Weapon):
        props = [info.category, "ranged" if info.ranged else "melee", *props]
        if info.damage:
            props.append(f"{info.damage} {info.damage_type}".strip())
        if info.versatile:
            props.append(f"versatile ({info.versatile})")
        if info.range_long:
            props.append(f"range {info.range_normal}/{info.range_long}")
    elif isinstance(info, Armor):
        props = [f"{info.category} armor" if info.category != "shield" else "shield", *props]
        if info.stealth_disadvantage:
            props.append("stealth disadvantage")
    elif info.heal:
        props.append(f"heals {info.heal}")
    return InventoryItem(name=info.name, qty=qty, weight=round(info.unit_weight, 4), properties=props)


def expand(entries: Iterable[tuple[str, int]]) -> list[InventoryItem]:
    """Catalogue (name, qty) pairs -> merged inventory entries, with equipment packs unpacked."""
    items: list[InventoryItem] = []
    for name, qty in entries:
        info = find_item(name)
        if info is not None and info.contents:
            for _ in range(qty):
                items = merge_items(items, expand(info.contents))
        else:
            items = merge_items(items, [make_item(name, qty)])
    return items


def merge_items(current: Iterable[InventoryItem], new: Iterable[InventoryItem]) -> list[InventoryItem]:
    """Add items, stacking entries with the same name, weight, properties and equipped state."""
    out = list(current)
    for item in new:
        for i, have in enumerate(out):
            same = (have.name.casefold() == item.name.casefold() and have.weight == item.weight
                    and have.properties == item.properties and have.equipped == item.equipped)
            if same:
                out[i] = have.model_copy(update={"qty": have.qty + item.qty})
                break
        else:
            out.append(item)
    return out


def add_items(character: Character, items: Iterable[InventoryItem]) -> Character:
    return character.model_copy(update={"inventory": merge_items(character.inventory, items)})


def count_of(items: Iterable[InventoryItem], name: str) -> int:
    """How many of an item (case-insensitive name) the stacks hold together."""
    key = name.strip().casefold()
    return sum(i.qty for i in items if i.name.casefold() == key)


def take_from_stacks(items: Iterable[InventoryItem], name: str, qty: int) -> list[InventoryItem]:
    """The items left once ``qty`` of an item (case-insensitive name) are taken, from the first stacks on; a
    stack taken whole is gone. Refuses taking more than the stacks hold."""
    stacks = list(items)
    if qty > count_of(stacks, name):
        raise RulesError(f"There are only {count_of(stacks, name)} × {name}, not {qty}.")
    key = name.strip().casefold()
    out: list[InventoryItem] = []
    left = qty
    for item in stacks:
        if left and item.name.casefold() == key:
            take = min(left, item.qty)
            left -= take
            if item.qty - take:
                out.append(item.model_copy(update={"qty": item.qty - take}))
            continue
        out.append(item)
    return out


def remove_item(character: Character, name: str, qty: int = 1) -> Character:
    """Remove ``qty`` of an item (case-insensitive name); refuses if the character has fewer."""
    if qty < 1:
        raise RulesError("Remove at least one item.")
    have = count_of(character.inventory, name)
    if have < qty:
        raise RulesError(f"{character.name} has {have} × {name}, not {qty}.")
    return character.model_copy(update={"inventory": take_from_stacks(character.inventory, name, qty)})


# (item, quantity moved): positive into the character's hands, negative out of them; coins as "cp".
Movement = tuple[str, int]


def holdings(character: Character) -> list[Movement]:
    """Everything the character carries, as movements into their hands (the coins in copper pieces, "cp")."""
    moves: list[Movement] = []
    for item in character.inventory:
        moves.append((item.name, item.qty))
    if coins := total_cp(character.wealth):
        moves.append(("cp", coins))
    return moves


def movements_between(before: Character, after: Character) -> list[Movement]:
    """Every item whose count changed, then the coins (in copper pieces, "cp"), if the purse changed."""
    counts: dict[str, int] = {}
    for item in before.inventory:
        counts[item.name] = counts.get(item.name, 0) - item.qty
    for item in after.inventory:
        counts[item.name] = counts.get(item.name, 0) + item.qty
    moves = [(name, n) for name, n in counts.items() if n]
    coins = total_cp(after.wealth) - total_cp(before.wealth)
    if coins:
        moves.append(("cp", coins))
    return moves


def equip(character: Character, name: str) -> tuple[Character, list[str]]:
    """Wear armor or a shield, or take up a weapon. One body armor and one shield at a time: the one worn before
    goes back into the pack (its name is returned). Raises for an item the character doesn't carry."""
    item = next((i for i in character.inventory if i.name == name and i.qty > 0), None)
    if item is None:
        raise RulesError(f"{character.name} doesn't carry '{name}'.")
    info = find_item(name)
    body = isinstance(info, Armor) and info.category != "shield"
    shield = isinstance(info, Armor) and info.category == "shield"
    taken_off: list[str] = []
    items: list[InventoryItem] = []
    for have in character.inventory:
        have_info = find_item(have.name)
        same_slot = isinstance(have_info, Armor) and (body and have_info.category != "shield"
                                                      or shield and have_info.category == "shield")
        if have.equipped and same_slot and have is not item:
            taken_off.append(have.name)
            items.append(have.model_copy(update={"equipped": False}))
        else:
            items.append(have.model_copy(update={"equipped": True}) if have is item else have)
    return character.model_copy(update={"inventory": merge_items([], items)}), taken_off


def unequip(character: Character, name: str) -> Character:
    """Take armor or a shield off, or put a weapon away (it stays in the pack)."""
    if not any(i.name == name and i.equipped for i in character.inventory):
        raise RulesError(f"{character.name} isn't wearing or holding '{name}'.")
    return character.model_copy(update={"inventory": merge_items([], [
        i.model_copy(update={"equipped": False}) if i.name == name else i for i in character.inventory])})


def is_armor(name: str) -> bool:
    return isinstance(find_item(name), Armor)


def armor_proficient(character: Character, name: str) -> bool:
    """Trained in this armor (its category's proficiency, "Shields" for a shield); True for what isn't armor."""
    info = find_item(name)
    if not isinstance(info, Armor):
        return True
    wanted = "shields" if info.category == "shield" else f"{info.category} armor"
    return wanted in {p.casefold() for p in character.proficiencies}
