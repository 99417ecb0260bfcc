"""A character sheet exported from Foundry VTT's dnd5e system, mapped onto our :class:`Character`.

The format is Foundry's actor export ("Export Data" on a character): a JSON object with ``name``,
``type: "character"``, ``system`` (the actor's data) and ``items`` (classes, race, background, gear,
spells, feats as embedded items). Its shape is published as the dnd5e system's data models:
foundryvtt/dnd5e ``module/data/actor/character.mjs`` (attributes.hp, details.xp, details.background),
``module/data/actor/templates/common.mjs`` (abilities.<abl>.value), ``module/data/shared/currency.mjs``
(currency pp/gp/ep/sp/cp), ``module/data/actor/templates/creature.mjs`` (skills.<key>.value: 0, 0.5, 1, 2)
and ``module/data/item/*.mjs`` (class ``levels``/``identifier``, subclass ``classIdentifier``,
``quantity``, ``weight``, ``equipped``, spell ``level`` and ``prepared``/``preparation``).

Only the player's *choices* and current state are taken from the file; everything derived (max HP,
slots, features, saving throws, resources) is recomputed by :func:`dnd.character.derive`, the rules of
``!resync_character``, so a sheet can't bring in numbers the engine wouldn't give it. What can't be
mapped is listed back to the player, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dnd.character import Character, InventoryItem, LevelRecord, armor_class, derive
from dnd.data.backgrounds import find_background
from dnd.data.classes import find_class, find_subclass
from dnd.data.feats import find_feat
from dnd.data.races import find_race, find_subrace
from dnd.data.skills import ABILITIES
from dnd.errors import RulesError
from dnd.inventory import make_item, merge_items
from dnd.progression import multiclass_pact_slots, multiclass_spell_slots
from dnd.spellcasting import SpellInfo
from dnd.wealth import Wealth

# Foundry's skill keys (CONFIG.DND5E.skills) -> our skill names.
FOUNDRY_SKILLS: dict[str, str] = {
    "acr": "Acrobatics", "ani": "Animal Handling", "arc": "Arcana", "ath": "Athletics", "dec": "Deception",
    "his": "History", "ins": "Insight", "itm": "Intimidation", "inv": "Investigation", "med": "Medicine",
    "nat": "Nature", "prc": "Perception", "prf": "Performance", "per": "Persuasion", "rel": "Religion",
    "slt": "Sleight of Hand", "ste": "Stealth", "sur": "Survival",
}
GEAR_TYPES = frozenset({"weapon", "equipment", "consumable", "tool", "loot", "container", "backpack"})
IGNORED_TYPES = frozenset({"class", "subclass", "race", "background", "spell", "feat"})
MAX_ITEMS = 400
MAX_NAME_CHARS = 64
MAX_QTY = 9999

SpellResolver = Callable[[str], "SpellInfo | None"]


@dataclass
class ImportResult:
    character: Character
    unmapped: list[str] = field(default_factory=list)  # what the file had and we didn't take, in words
    differences: list[str] = field(default_factory=list)  # numbers the engine computes differently


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return default


def _name(value: Any) -> str:
    return value.strip()[:MAX_NAME_CHARS] if isinstance(value, str) else ""


def _items(data: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    raw = data.get("items")
    return [i for i in raw if isinstance(i, dict) and i.get("type") == kind] if isinstance(raw, list) else []


def _weight(system: Mapping[str, Any]) -> float:
    weight = system.get("weight")
    if isinstance(weight, dict):  # dnd5e 4.x: {"value": 3, "units": "lb"}
        weight = weight.get("value")
    return max(0.0, float(weight)) if isinstance(weight, int | float) and not isinstance(weight, bool) else 0.0


def _classes(data: Mapping[str, Any], unmapped: list[str]) -> tuple[dict[str, int], dict[str, str], str]:
    """Class levels (the original class first), subclasses, and the primary class."""
    levels: dict[str, int] = {}
    by_identifier: dict[str, str] = {}
    original = _name(_obj(_obj(data.get("system")).get("details")).get("originalClass"))
    primary = ""
    for item in _items(data, "class"):
        info = find_class(_name(item.get("name")))
        system = _obj(item.get("system"))
        if info is None:
            unmapped.append(f"class “{_name(item.get('name'))}” (not an SRD class)")
            continue
        count = _int(system.get("levels"), 1)
        if not 1 <= count <= 20:
            raise RulesError(f"{info.name} level {count} in the file: class levels run from 1 to 20.")
        levels[info.name] = levels.get(info.name, 0) + count
        by_identifier[_name(system.get("identifier")).casefold() or info.name.casefold()] = info.name
        if original and item.get("_id") == original:
            primary = info.name
    subclasses: dict[str, str] = {}
    for item in _items(data, "subclass"):
        system = _obj(item.get("system"))
        class_name = by_identifier.get(_name(system.get("classIdentifier")).casefold())
        found = find_subclass(class_name, _name(item.get("name"))) if class_name else None
        if found is None:
            unmapped.append(f"subclass “{_name(item.get('name'))}” (not an SRD subclass of your classes)")
            continue
        subclasses[class_name] = found.name  # type: ignore[index]
    if not levels:
        raise RulesError("The file has no class the engine knows (an SRD class item with its levels).")
    ordered = dict(sorted(levels.items(), key=lambda kv: kv[0] != (primary or next(iter(levels)))))
    return ordered, subclasses, primary or next(iter(ordered))


def _race(data: Mapping[str, Any], unmapped: list[str]) -> tuple[str, str | None]:
    system = _obj(data.get("system"))
    names = [_name(i.get("name")) for i in _items(data, "race")]
    names.append(_name(_obj(system.get("details")).get("race")))
    for name in filter(None, names):
        sub = find_subrace(name)
        if sub is not None:
            return sub.race, sub.name
        race = find_race(name)
        if race is not None:
            return race.name, None
    raise RulesError("The file's race isn't one the engine knows (an SRD race such as Dwarf, Elf or "
                     f"High Elf){': it says “' + names[0] + '”' if names and names[0] else ''}.")


def _history(levels: Mapping[str, int], subclasses: Mapping[str, str]) -> list[LevelRecord]:
    """One record per level, average hit points (the first level's die at its maximum)."""
    records: list[LevelRecord] = []
    for class_name, count in levels.items():
        info = find_class(class_name)
        assert info is not None
        for class_level in range(1, count + 1):
            first = not records
            roll = info.hit_die if first else info.hit_die // 2 + 1
            sub = subclasses.get(class_name) if class_level == info.subclass_level else None
            records.append(LevelRecord(class_name=class_name, class_level=class_level,
                                       hp_method="max" if first else "average", hp_roll=roll, subclass=sub))
    return records


def _asi_levels(class_name: str) -> tuple[int, ...]:
    info = find_class(class_name)
    return info.asi_levels if info else ()


def _place_feats(data: Mapping[str, Any], history: list[LevelRecord], unmapped: list[str]) -> list[str]:
    """Feats go into the ASI levels, in order; the names placed are returned."""
    slots = [i for i, rec in enumerate(history) if rec.class_level in _asi_levels(rec.class_name)]
    placed: list[str] = []
    for item in _items(data, "feat"):
        feat = find_feat(_name(item.get("name")))
        if feat is None:
            continue  # class and race features: the engine computes its own
        if feat.ability_choice:
            unmapped.append(f"feat {feat.name} (it asks for an ability: the owner can add it)")
        elif not slots:
            unmapped.append(f"feat {feat.name} (no Ability Score Improvement level left for it)")
        else:
            index = slots.pop(0)
            history[index] = history[index].model_copy(update={"feat": feat.name})
            placed.append(feat.name)
    return placed


def _base_scores(data: Mapping[str, Any], racial: Mapping[str, int], feats: list[str]) -> dict[str, int]:
    """The file keeps final scores; our sheet keeps base scores under the racial and feat increases."""
    abilities = _obj(_obj(data.get("system")).get("abilities"))
    increases = dict(racial)
    for name in feats:
        feat = find_feat(name)
        for ability, value in (feat.ability_increase.items() if feat else ()):
            increases[ability] = increases.get(ability, 0) + value
    out: dict[str, int] = {}
    for code in ABILITIES:
        final = _int(_obj(abilities.get(code.lower())).get("value"), 10)
        if not 1 <= final <= 30:
            raise RulesError(f"{code} {final} in the file is not an ability score (1 to 30).")
        out[code] = max(1, final - increases.get(code, 0))
    return out


def _skills(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    skills = _obj(_obj(data.get("system")).get("skills"))
    proficient, expert = [], []
    for key, name in FOUNDRY_SKILLS.items():
        value = _obj(skills.get(key)).get("value", 0)
        if isinstance(value, int | float) and value >= 1:
            proficient.append(name)
            if value >= 2:
                expert.append(name)
    return proficient, expert


def _gear(data: Mapping[str, Any], unmapped: list[str]) -> list[InventoryItem]:
    raw = data.get("items")
    entries = [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []
    if len(entries) > MAX_ITEMS:
        raise RulesError(f"The file holds {len(entries)} items; at most {MAX_ITEMS} can be imported.")
    inventory: list[InventoryItem] = []
    plain: list[str] = []
    for item in entries:
        kind, name = item.get("type"), _name(item.get("name"))
        if kind in IGNORED_TYPES or not name:
            continue
        if kind not in GEAR_TYPES:
            unmapped.append(f"{name} (a “{kind}” item)")
            continue
        system = _obj(item.get("system"))
        qty = max(0, min(MAX_QTY, _int(system.get("quantity"), 1)))
        if qty == 0:
            continue
        try:
            entry = make_item(name, qty)
        except RulesError:  # kept, with the file's weight, but the engine has no rules for it
            entry = InventoryItem(name=name, qty=qty, weight=_weight(system))
            plain.append(name)
        inventory = merge_items(inventory, [entry.model_copy(update={"equipped": system.get("equipped") is True})])
    if plain:
        unmapped.append("kept as plain items without rules: " + ", ".join(plain[:20])
                        + (f" and {len(plain) - 20} more" if len(plain) > 20 else ""))
    return inventory


def _wealth(data: Mapping[str, Any]) -> Wealth:
    coins = _obj(_obj(data.get("system")).get("currency"))
    return Wealth(**{coin: max(0, min(10**7, _int(coins.get(coin)))) for coin in ("cp", "sp", "ep", "gp", "pp")})


def _castable_levels(levels: Mapping[str, int]) -> int:
    """The highest spell level the classes can learn: slots, pact slots, or a warlock's Mystic Arcanum."""
    slots = multiclass_spell_slots(dict(levels))
    _, pact_level = multiclass_pact_slots(dict(levels))
    warlock = levels.get("Warlock", 0)
    arcanum = max((spell for spell, at in ((6, 11), (7, 13), (8, 15), (9, 17)) if warlock >= at), default=0)
    return max([*slots, pact_level, arcanum])


def _any_list(levels: Mapping[str, int], subclasses: Mapping[str, str]) -> bool:
    """Magical Secrets: a Bard from 10th level (a College of Lore bard from 6th) learns from any list."""
    bard = levels.get("Bard", 0)
    return bard >= 10 or (bard >= 6 and subclasses.get("Bard") == "Lore")


def _spells(data: Mapping[str, Any], resolve: SpellResolver, levels: Mapping[str, int],
            subclasses: Mapping[str, str], unmapped: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Cantrips, known (or spellbook) and prepared spells; each checked against the class lists and the
    highest level the character can cast, as the level-up flow checks them."""
    cantrips: list[str] = []
    known: list[str] = []
    prepared: list[str] = []
    refused: list[str] = []
    top = _castable_levels(levels)
    lists = {name.casefold() for name in levels}
    for item in _items(data, "spell"):
        system, written = _obj(item.get("system")), _name(item.get("name"))
        info = resolve(written) if written else None
        if info is None:
            refused.append(f"{written} (not in the compendium)")
            continue
        if not _any_list(levels, subclasses) and not lists & {c.casefold() for c in info.classes}:
            refused.append(f"{info.name} (not on your class's spell list)")
            continue
        if info.level > top:
            refused.append(f"{info.name} (level {info.level}: above what you can cast)")
            continue
        target = cantrips if info.level == 0 else known
        if info.name not in target:
            target.append(info.name)
        preparation = _obj(system.get("preparation"))
        is_prepared = system.get("prepared") in (True, 1, 2) or preparation.get("prepared") is True
        if target is known and is_prepared and info.name not in prepared:
            prepared.append(info.name)
    if refused:
        unmapped.append("spells not taken: " + ", ".join(refused[:20])
                        + (f" and {len(refused) - 20} more" if len(refused) > 20 else ""))
    return cantrips, known, prepared


def from_foundry(data: Any, resolve_spell: SpellResolver) -> ImportResult:
    """Map a Foundry dnd5e character export onto a :class:`Character`, derived by the engine's own rules.

    Raises :class:`RulesError` with a message for the player when the file can't make a character.
    """
    if not isinstance(data, dict) or not isinstance(data.get("system"), dict):
        raise RulesError("That isn't a Foundry VTT character export (a JSON object with `system` and `items`).")
    if data.get("type") != "character":
        raise RulesError(f"That file is a Foundry “{_name(data.get('type')) or 'unknown'}” actor, not a character.")
    name = _name(data.get("name"))
    if not name:
        raise RulesError("The character in the file has no name.")
    unmapped: list[str] = []
    levels, subclasses, primary = _classes(data, unmapped)
    if sum(levels.values()) > 20:
        raise RulesError(f"The file's classes add up to level {sum(levels.values())}; the most is 20.")
    race, subrace = _race(data, unmapped)
    race_info, sub_info = find_race(race), find_subrace(subrace) if subrace else None
    racial = {**(race_info.ability_bonuses if race_info else {}), **(sub_info.ability_bonuses if sub_info else {})}
    history = _history(levels, subclasses)
    feats = _place_feats(data, history, unmapped)
    system = _obj(data.get("system"))
    details, attributes = _obj(system.get("details")), _obj(system.get("attributes"))
    background_item = next((_name(i.get("name")) for i in _items(data, "background")), "")
    background_name = background_item or _name(details.get("background"))
    background = find_background(background_name) if background_name else None
    if background_name and background is None:
        unmapped.append(f"background “{background_name}” (not one the engine knows)")
    skills, expertise = _skills(data)
    cantrips, known, prepared = _spells(data, resolve_spell, levels, subclasses, unmapped)
    hp = _obj(attributes.get("hp"))
    try:
        character = Character(
            name=name, race=race, subrace=subrace, background=background.name if background else "",
            class_levels=levels, primary_class=primary, subclasses=subclasses,
            base_scores=_base_scores(data, racial, feats), racial_bonuses=racial, skills=skills,
            expertise=expertise, inventory=_gear(data, unmapped), wealth=_wealth(data),
            xp=max(0, min(355_000, _int(_obj(details.get("xp")).get("value")))), history=history,
            cantrips=cantrips, spells_known=known, spells_prepared=prepared,
            hp=10**6, temp_hp=max(0, min(999, _int(hp.get("temp")))),
        )
    except ValidationError as error:
        raise RulesError(f"The file doesn't make a valid character: {error.errors()[0]['msg']}.") from None
    derived = derive(character)  # max HP, slots, features, saves and resources by the engine's rules
    current = max(0, min(derived.max_hp, _int(hp.get("value"), derived.max_hp)))
    derived = derived.model_copy(update={"hp": current})
    return ImportResult(derived, unmapped, _differences(derived, hp, attributes))


def _differences(character: Character, hp: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    file_max = hp.get("max")
    if isinstance(file_max, int) and not isinstance(file_max, bool) and file_max != character.max_hp:
        out.append(f"max HP {file_max} in the file, {character.max_hp} by the engine (average hit points a level)")
    file_ac = _obj(attributes.get("ac")).get("flat") or _obj(attributes.get("ac")).get("value")
    if isinstance(file_ac, int) and not isinstance(file_ac, bool) and file_ac != armor_class(character):
        out.append(f"AC {file_ac} in the file, {armor_class(character)} by the engine (from the armor you carry)")
    return out
