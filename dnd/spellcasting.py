"""Casting spells: known/prepared checks, spending a slot (upcasting, cantrips free, Warlock pact
slots), and the damage/healing dice of the common spells the engine knows (``dnd.data.spells``) or of a
spell read from an SRD compendium entry (:func:`spell_from_srd`).

Refusals are :class:`RulesError` in the game's voice: "Your spell fails; no slots remain",
"You have no 3rd-level slots left".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dnd.abilities import normalize_ability
from dnd.character import Character, ability_modifier, spell_attack_bonus, spell_save_dc
from dnd.data.spells import SPELLS, SpellInfo, find_spell
from dnd.errors import RulesError
from dnd.progression import get_class

SlotKind = Literal["cantrip", "slot", "pact"]

__all__ = [
    "SPELLS", "CastResult", "SpellInfo", "available_slots", "cast_spell", "castable_spells", "damage_at",
    "find_spell", "healing_at", "is_castable", "ordinal", "restore_slots", "spell_from_srd",
]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


_DICE = re.compile(r"^\s*(\d+)d(\d+)\s*(?:\+\s*(\d+))?\s*$")


def _scale(base: str, extra: str, times: int) -> str:
    """"8d6" + 2 x "1d6" -> "10d6"; "3d4+3" + 1 x "1d4+1" -> "4d4+4"."""
    if not extra or times <= 0:
        return base
    b, e = _DICE.match(base), _DICE.match(extra)
    if b is None or e is None or b.group(2) != e.group(2):
        raise ValueError(f"can't scale {base!r} by {extra!r}")
    count = int(b.group(1)) + times * int(e.group(1))
    flat = int(b.group(3) or 0) + times * int(e.group(3) or 0)
    return f"{count}d{b.group(2)}" + (f"+{flat}" if flat else "")


def _cantrip_multiplier(character_level: int) -> int:
    return 1 + (character_level >= 5) + (character_level >= 11) + (character_level >= 17)


def _from_table(table: tuple[tuple[int, str], ...], level: int, ability_mod: int | None) -> str:
    """The dice of the highest row at or below ``level`` ("1d8 + MOD" -> "1d8+3"; no modifier known: "1d8")."""
    rows = [dice for at, dice in sorted(table) if at <= level] or [sorted(table)[0][1]]
    dice = rows[-1].replace(" ", "")
    mod = f"{ability_mod:+d}" if ability_mod else ""
    return re.sub(r"\+?MOD", mod, dice, flags=re.IGNORECASE) or "0"


def damage_at(spell: SpellInfo, slot_level: int | None = None, character_level: int = 1,
              ability_mod: int | None = None) -> str:
    """Damage dice of ``spell`` cast with a ``slot_level`` slot (cantrips scale with character level).
    With ``ability_mod`` given, it is added for spells that add it (Spiritual Weapon)."""
    if spell.damage_by_character_level:
        return _from_table(spell.damage_by_character_level, character_level, ability_mod)
    if spell.damage_by_slot:
        return _from_table(spell.damage_by_slot, spell.level if slot_level is None else slot_level, ability_mod)
    if not spell.damage:
        return ""
    if spell.is_cantrip:
        dice = spell.damage
        if spell.cantrip_scaling:
            dice = _scale(spell.damage, spell.damage, _cantrip_multiplier(character_level) - 1)
    else:
        level = spell.level if slot_level is None else slot_level
        if level < spell.level:
            raise RulesError(f"{spell.name} can't be cast below {ordinal(spell.level)} level.")
        dice = _scale(spell.damage, spell.upcast, (level - spell.level) // spell.upcast_every)
    if spell.add_mod_to_damage and ability_mod is not None:
        dice += f"{ability_mod:+d}"
    return dice


def healing_at(spell: SpellInfo, slot_level: int | None = None, ability_mod: int | None = None) -> str:
    """Healing dice at this slot level, plus the spellcasting modifier when given."""
    level = spell.level if slot_level is None else slot_level
    if spell.heal_by_slot:
        return _from_table(spell.heal_by_slot, level, ability_mod)
    if not spell.heal:
        return ""
    dice = _scale(spell.heal, spell.upcast, (level - spell.level) // spell.upcast_every)
    return dice + (f"{ability_mod:+d}" if ability_mod is not None else "")


@dataclass(frozen=True)
class CastResult:
    spell: str
    spell_level: int
    slot_level: int | None  # None for a cantrip
    slot_kind: SlotKind
    message: str
    damage: str = ""
    damage_type: str = ""
    healing: str = ""
    attack: str | None = None  # "ranged"/"melee" spell attack
    attack_bonus: int | None = None
    save: str | None = None
    save_dc: int | None = None
    save_effect: Literal["half", "none", ""] = ""  # on a successful save
    concentration: bool = False


def available_slots(character: Character) -> dict[int, int]:
    """Remaining slots by level, pact slots included."""
    out = {lvl: n for lvl, n in character.spell_slots.items() if n > 0}
    if character.pact_slots > 0 and character.pact_slot_level:
        out[character.pact_slot_level] = out.get(character.pact_slot_level, 0) + character.pact_slots
    return dict(sorted(out.items()))


def _key(name: str) -> str:
    return " ".join(name.replace("’", "'").split()).casefold()


def castable_spells(character: Character) -> list[str]:
    """Cantrips, prepared spells, and known spells for classes that know (not prepare) spells."""
    out = list(character.cantrips) + list(character.spells_prepared)
    if any(get_class(c).spells_known is not None for c in character.class_levels):
        out += character.spells_known
    return out


def is_castable(character: Character, spell_name: str) -> bool:
    key = _key(spell_name)
    return any(_key(s) == key for s in castable_spells(character))


def _check_known(character: Character, name: str, cantrip: bool) -> None:
    if is_castable(character, name):
        return
    key = _key(name)
    if not cantrip and any(_key(s) == key for s in character.spells_known):
        raise RulesError(f"You haven't prepared {name}.")
    raise RulesError(f"You don't know {name}.")


def _caster_class(character: Character, spell: SpellInfo | None) -> str | None:
    casters = [c for c in character.class_levels if get_class(c).spellcasting_ability]
    if spell is not None:
        for c in casters:
            if get_class(c).name in spell.classes:
                return c
    return casters[0] if casters else None


def cast_spell(character: Character, spell_name: str, *, slot_level: int | None = None,
               spell_level: int | None = None, use_pact: bool | None = None,
               check_known: bool = True, spell: SpellInfo | None = None) -> tuple[Character, CastResult]:
    """Spend what casting ``spell_name`` costs and describe the result.

    ``spell`` describes a spell outside the engine's table (e.g. read with :func:`spell_from_srd`); without
    it such a spell needs its ``spell_level``. With no ``slot_level`` the spell's own level is used, or a
    Warlock's pact slot if no such slot remains. Cantrips cost nothing. ``use_pact`` True/False forces or
    forbids pact slots.
    """
    info = spell or find_spell(spell_name)
    name = info.name if info else spell_name.strip()
    level = info.level if info else spell_level
    if level is None:
        raise RulesError(f"I don't know the spell '{spell_name}'; tell me its level.")
    if not 0 <= level <= 9:
        raise RulesError(f"There are no {ordinal(level)}-level spells.")
    caster_class = _caster_class(character, info)
    if caster_class is None:
        raise RulesError(f"{character.name} can't cast spells.")
    if check_known:
        _check_known(character, name, cantrip=level == 0)

    mod = ability_modifier(character, get_class(caster_class).spellcasting_ability or "INT")
    extras = _cast_details(character, info, caster_class)
    if level == 0:
        dmg = damage_at(info, character_level=character.level, ability_mod=mod) if info else ""
        return character, CastResult(spell=name, spell_level=0, slot_level=None, slot_kind="cantrip",
                                     message=f"{character.name} casts {name}.", damage=dmg,
                                     **extras)  # type: ignore[arg-type]

    updated, kind, used_level, left = _spend_slot(character, name, level, slot_level, use_pact)
    upcast = f" at {ordinal(used_level)} level" if used_level > level else ""
    source = "pact slot" if kind == "pact" else f"{ordinal(used_level)}-level slot"
    message = f"{character.name} casts {name}{upcast} ({source} spent, {left} left)."
    dmg = damage_at(info, used_level, character.level, mod) if info else ""
    heal = healing_at(info, used_level, mod) if info else ""
    return updated, CastResult(spell=name, spell_level=level, slot_level=used_level, slot_kind=kind,
                               message=message, damage=dmg, healing=heal, **extras)  # type: ignore[arg-type]


def _cast_details(character: Character, info: SpellInfo | None, caster_class: str) -> dict[str, object]:
    """What a known spell does when cast: damage type, attack bonus or save DC, concentration."""
    if info is None:
        return {}
    return {
        "damage_type": info.damage_type,
        "attack": info.attack,
        "attack_bonus": spell_attack_bonus(character, caster_class) if info.attack else None,
        "save": info.save,
        "save_dc": spell_save_dc(character, caster_class) if info.save else None,
        "save_effect": info.save_effect,
        "concentration": info.concentration,
    }


def _spend_slot(character: Character, name: str, level: int, slot_level: int | None,
                use_pact: bool | None) -> tuple[Character, SlotKind, int, int]:
    """Spend the slot a levelled spell is cast with: (the character, the kind of slot, its level, how many
    of that kind are left). A regular slot of the wanted level goes first, then a pact slot."""
    if slot_level is not None and not 1 <= slot_level <= 9:
        raise RulesError(f"There are no {ordinal(slot_level)}-level spell slots.")
    if slot_level is not None and slot_level < level:
        raise RulesError(f"{name} is a {ordinal(level)}-level spell; it can't be cast with a "
                         f"{ordinal(slot_level)}-level slot.")
    if not available_slots(character):
        raise RulesError("Your spell fails; no slots remain.")

    pact_ok = (use_pact is not False and character.pact_slots > 0
               and character.pact_slot_level >= (slot_level or level)
               and (slot_level is None or slot_level == character.pact_slot_level))
    wanted = slot_level or level
    if use_pact is not True and character.spell_slots.get(wanted, 0) > 0:
        slots = dict(character.spell_slots)
        slots[wanted] -= 1
        return character.model_copy(update={"spell_slots": slots}), "slot", wanted, slots[wanted]
    if pact_ok:
        updated = character.model_copy(update={"pact_slots": character.pact_slots - 1})
        return updated, "pact", character.pact_slot_level, updated.pact_slots
    higher = [lvl for lvl, n in available_slots(character).items() if lvl > wanted and n > 0]
    hint = f" (you could cast it with a {ordinal(higher[0])}-level slot)" if higher else ""
    if use_pact and character.pact_slots > 0:
        raise RulesError(f"Your pact slots are {ordinal(character.pact_slot_level)} level; "
                         f"they can't cast {name} at {ordinal(wanted)} level.")
    raise RulesError(f"You have no {ordinal(wanted)}-level slots left{hint}.")


def restore_slots(character: Character) -> Character:
    """All spell and pact slots back to their maximum."""
    return character.model_copy(update={"spell_slots": dict(character.spell_slots_max),
                                        "pact_slots": character.pact_slots_max})


def _levels(table: Any) -> tuple[tuple[int, str], ...]:
    if not isinstance(table, Mapping):
        return ()
    return tuple(sorted((int(k), str(v)) for k, v in table.items() if str(k).isdigit() and str(v).strip()))


def spell_from_srd(entry: Mapping[str, Any]) -> SpellInfo:
    """A spell from one entry of the 5e-database JSON (``5e-SRD-Spells.json``): ``attack_type`` (melee or
    ranged spell attack), ``dc`` (``dc_type`` ability, ``dc_success`` "half" or "none"), ``damage`` by slot
    or character level, ``heal_at_slot_level``."""
    name = str(entry.get("name") or "").strip()
    if not name:
        raise RulesError("A spell needs a name.")
    level = entry.get("level")
    if not isinstance(level, int) or not 0 <= level <= 9:
        raise RulesError(f"{name} has no spell level in the compendium.")
    dc = entry.get("dc") if isinstance(entry.get("dc"), Mapping) else {}
    dc_type = dc.get("dc_type") if isinstance(dc.get("dc_type"), Mapping) else {}
    save_type = dc_type.get("name") or dc_type.get("index")
    save = normalize_ability(str(save_type)) if save_type else None
    effect: Literal["half", "none", ""] = ("half" if dc.get("dc_success") == "half" else "none") if save else ""
    damage = entry.get("damage") if isinstance(entry.get("damage"), Mapping) else {}
    damage_type = str((damage.get("damage_type") or {}).get("name", "")).casefold()
    by_slot = _levels(damage.get("damage_at_slot_level"))
    by_character = _levels(damage.get("damage_at_character_level"))
    damage_table = by_slot or by_character
    heal = _levels(entry.get("heal_at_slot_level"))
    attack = entry.get("attack_type") if entry.get("attack_type") in ("melee", "ranged") else None
    school = entry.get("school")
    classes = tuple(str(c.get("name", "")) for c in entry.get("classes") or [] if isinstance(c, Mapping))
    return SpellInfo(
        name=name, level=level, school=str(school.get("name", "")) if isinstance(school, Mapping) else "",
        casting_time=str(entry.get("casting_time", "")), range=str(entry.get("range", "")), classes=classes,
        concentration=bool(entry.get("concentration")), ritual=bool(entry.get("ritual")), attack=attack,
        save=save, save_effect=effect, damage=_from_table(damage_table, level, None) if damage_table else "",
        damage_type=damage_type, heal=_from_table(heal, level, None) if heal else "", damage_by_slot=by_slot,
        damage_by_character_level=by_character, heal_by_slot=heal,
    )
