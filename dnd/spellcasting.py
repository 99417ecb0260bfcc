"""Casting spells: known/prepared checks, spending a slot (upcasting, cantrips free, Warlock pact
slots), and the damage/healing dice of the common spells the engine knows (``dnd.data.spells``) or of a
spell read from an SRD compendium entry (:func:`spell_from_srd`).

Refusals are :class:`RulesError` in the game's voice: "Your spell fails; no slots remain",
"You have no 3rd-level slots left".
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from dnd.abilities import normalize_ability
from dnd.character import (
    CIRCLE_LAND,
    SIGNATURE_SPELLS,
    SPELL_MASTERY,
    Character,
    ability_modifier,
    choice_names,
    class_level,
    invocations,
    signature_spell_use,
    skill_modifier,
    spell_attack_bonus,
    spell_save_dc,
)
from dnd.data.classes import CIRCLE_SPELLS, find_subclass
from dnd.data.spells import SPELLS, SpellInfo, find_spell
from dnd.errors import RulesError
from dnd.feats import find_resource, use_resource
from dnd.inventory import remove_item
from dnd.progression import get_class, slots_for
from dnd.wealth import can_afford, pay, total_cp

BEAST_SPELLS_LEVEL = 18  # a druid casts in a beast's shape from this level (Beast Spells)
SlotKind = Literal["cantrip", "slot", "pact", "free"]  # free: Spell Mastery, a Signature Spell's free casting

__all__ = [
    "SPELLS", "CastResult", "SpellCatalog", "SpellGains", "SpellInfo", "always_prepared", "available_slots",
    "CopyResult", "builtin_catalog", "cast_spell", "castable_spells", "catalog_from_srd", "choose_spells",
    "boost_at", "copy_spell", "damage_at", "projectiles_at",
    "find_spell", "healing_at", "is_castable", "max_spell_level", "ordinal", "prepare_limit", "prepare_spells",
    "restore_slots", "spell_from_srd", "spell_gains",
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
    if spell.extra_damage:  # two damage types, each tagged so resistances apply to its own part
        return f"{_typed(dice, spell.damage_type)}+{_typed(spell.extra_damage, spell.extra_damage_type)}"
    return dice


def _typed(dice: str, damage_type: str) -> str:
    """"2d8" + "cold" -> "2d8[cold]"; "3d4+3" -> "(3d4+3)[cold]" (a tag types the term right before it)."""
    return f"({dice})[{damage_type}]" if "+" in dice or "-" in dice else f"{dice}[{damage_type}]"


def projectiles_at(spell: SpellInfo, slot_level: int | None = None, character_level: int = 1) -> int:
    """How many beams, rays or darts the spell makes (0: it isn't such a spell): a cantrip's grow at 5th, 11th
    and 17th character level (Eldritch Blast), a levelled spell's by one per slot level above its own."""
    if not spell.projectiles:
        return 0
    if spell.is_cantrip:
        return spell.projectiles * _cantrip_multiplier(character_level)
    level = spell.level if slot_level is None else slot_level
    return spell.projectiles + max(0, level - spell.level)


def boost_at(spell: SpellInfo, slot_level: int | None = None, ability_mod: int | None = None) -> str:
    """The temporary hit points (False Life "1d4+4"; Heroism's spellcasting modifier) or the hit point maximum
    raise (Aid "5") the spell gives at this slot level; "" for a spell that gives neither."""
    level = spell.level if slot_level is None else slot_level
    more = spell.boost_upcast * max(0, level - spell.level)
    if spell.max_hp_bonus:
        return str(spell.max_hp_bonus + more)
    if not spell.temp_hp:
        return ""
    if spell.temp_hp.upper() == "MOD":
        return str(max(0, ability_mod or 0))
    found = _DICE.match(spell.temp_hp)
    if found is None:
        raise ValueError(f"can't scale {spell.temp_hp!r}")
    flat = int(found.group(3) or 0) + more
    return f"{found.group(1)}d{found.group(2)}" + (f"+{flat}" if flat else "")


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
    casting_time: str = ""
    projectiles: int = 0  # beams, rays or darts, each at its own target (``damage_each`` each)
    damage_each: str = ""
    max_targets: int = 1  # creatures a healing or bolstering spell may choose
    living_only: bool = False  # no effect on undead or constructs
    temp_hp: str = ""  # temporary hit points each target gains (dice or a number)
    max_hp_bonus: int = 0  # each target's hit point maximum and current hit points rise by this (Aid)
    later: Literal["", "next_hit", "each_hit", "bonus_action", "action"] = ""  # its damage comes later
    metamagic: str = ""  # the Metamagic option it is cast with (dnd.metamagic)
    rounds: int | None = None  # how long it lasts in rounds (duration_rounds), None: not counted


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
    if character.wild_shape is not None and class_level(character, "Druid") < BEAST_SPELLS_LEVEL:
        raise RulesError(f"{character.name} can't cast spells in the {character.wild_shape.beast}'s shape (Beast "
                         f"Spells comes at Druid {BEAST_SPELLS_LEVEL}); `!revert` first.")
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
    bonus, dc = spell_attack_bonus(character, caster_class), spell_save_dc(character, caster_class)
    if level == 0:
        cantrip = spell_effect(info, name, 0, None, "cantrip", f"{character.name} casts {name}.", character.level,
                               mod, bonus, dc)
        if name == "Eldritch Blast" and "Agonizing Blast" in invocations(character) and cantrip.damage_each:
            cantrip = dataclasses.replace(  # each beam
                cantrip, damage_each=f"{cantrip.damage_each}{ability_modifier(character, 'CHA'):+d}")
        return character, cantrip

    free = _free_casting(character, name, level, slot_level)
    if free is not None:
        updated, why = free
        message = f"{character.name} casts {name} ({why}: no slot spent)."
        return updated, spell_effect(info, name, level, level, "free", message, character.level, mod, bonus, dc)
    updated, kind, used_level, left = _spend_slot(character, name, level, slot_level, use_pact)
    upcast = f" at {ordinal(used_level)} level" if used_level > level else ""
    source = "pact slot" if kind == "pact" else f"{ordinal(used_level)}-level slot"
    message = f"{character.name} casts {name}{upcast} ({source} spent, {left} left)."
    return updated, spell_effect(info, name, level, used_level, kind, message, character.level, mod, bonus, dc)


def spell_effect(info: SpellInfo | None, name: str, level: int, slot_level: int | None, kind: SlotKind,
                 message: str, caster_level: int, ability_mod: int, attack_bonus: int,
                 save_dc: int) -> CastResult:
    """What a spell paid for does, for any caster (a character's class, a monster's Spellcasting): its dice at the
    slot level (a cantrip's at the caster level), with the caster's spell attack bonus or save DC."""
    extras = _cast_details(info, attack_bonus, save_dc)
    if level == 0:
        dmg = damage_at(info, character_level=caster_level, ability_mod=ability_mod) if info else ""
        return CastResult(spell=name, spell_level=0, slot_level=None, slot_kind="cantrip", message=message,
                          damage=dmg, **extras, **_volley(info, None, caster_level, dmg))  # type: ignore[arg-type]
    dmg = damage_at(info, slot_level, caster_level, ability_mod) if info else ""
    heal = healing_at(info, slot_level, ability_mod) if info else ""
    boost = boost_at(info, slot_level, ability_mod) if info else ""
    bolster = {"max_hp_bonus": int(boost)} if info and info.max_hp_bonus else {"temp_hp": boost}
    return CastResult(spell=name, spell_level=level, slot_level=slot_level, slot_kind=kind, message=message,
                      damage=dmg, healing=heal, **extras, **bolster,  # type: ignore[arg-type]
                      **_volley(info, slot_level, caster_level, dmg))


def _volley(info: SpellInfo | None, slot_level: int | None, character_level: int, damage: str) -> dict[str, object]:
    """A spell of several beams, rays or darts: how many, and each one's dice."""
    count = projectiles_at(info, slot_level, character_level) if info else 0
    return {"projectiles": count, "damage_each": (info.damage_each or damage) if info and count else ""}


def _cast_details(info: SpellInfo | None, attack_bonus: int, save_dc: int) -> dict[str, object]:
    """What a known spell does when cast: damage type, attack bonus or save DC, concentration."""
    if info is None:
        return {}
    return {
        "damage_type": info.damage_type,
        "attack": info.attack,
        "attack_bonus": attack_bonus if info.attack else None,
        "save": info.save,
        "save_dc": save_dc if info.save else None,
        "save_effect": info.save_effect,
        "concentration": info.concentration,
        "casting_time": info.casting_time,
        "max_targets": info.max_targets,
        "living_only": info.living_only,
        "later": info.later,
        "rounds": duration_rounds(info.duration),
    }


_DURATION: Final = re.compile(r"(\d+)\s+(minute|hour)s?\b", re.IGNORECASE)
_ROUNDS_PER: Final = {"minute": 10, "hour": 600}


def duration_rounds(duration: str) -> int | None:
    """A duration in rounds, 10 a minute ("Up to 1 minute" → 10, "1 hour" → 600); None for an instant one, one
    "until dispelled", or one of rounds (True Strike's round is the narrator's: the fight counts it in the
    caster's turns, which would end it before the turn it is for)."""
    found = _DURATION.search(duration)
    return int(found.group(1)) * _ROUNDS_PER[found.group(2).casefold()] if found else None


def _free_casting(character: Character, name: str, level: int,
                  slot_level: int | None) -> tuple[Character, str] | None:
    """A Wizard's spell cast at its own level without a slot: a Spell Mastery spell while prepared, or a
    Signature Spell while its free casting is unspent (spent here, regained on a short or long rest)."""
    if slot_level not in (None, level):
        return None  # a higher level takes a slot as usual
    key = _key(name)
    if any(_key(s) == key for s in choice_names(character, SPELL_MASTERY)) \
            and any(_key(s) == key for s in character.spells_prepared):
        return character, "Spell Mastery"
    signature = next((s for s in choice_names(character, SIGNATURE_SPELLS) if _key(s) == key), None)
    found = find_resource(character, signature_spell_use(signature)) if signature else None
    if signature is None or found is None or not found[2].uses:
        return None
    updated, _ = use_resource(character, signature_spell_use(signature))
    return updated, "Signature Spell, its free casting until a short or long rest"


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
        duration=str(entry.get("duration") or "").removeprefix("Up to ").strip(),
    )


# --------------------------------------------------------------------------- the spells a character can learn


@dataclass(frozen=True)
class SpellCatalog:
    """Every spell the game knows, by name: the imported SRD compendium's when there is one, with the engine's
    own entries (``dnd.data.spells``) over them. Learning and preparing check names against it."""

    spells: Mapping[str, SpellInfo]

    @classmethod
    def of(cls, infos: Iterable[SpellInfo]) -> SpellCatalog:
        return cls({_key(s.name): s for s in infos})

    def find(self, name: str) -> SpellInfo | None:
        return self.spells.get(_key(name.replace("_", " ")))

    def get(self, name: str) -> SpellInfo:
        """The spell named ``name``, or a refusal that suggests the closest names ("Fireblt" → Fire Bolt)."""
        info = self.find(name)
        if info is not None:
            return info
        shown = " ".join(name.split())[:60]
        close = difflib.get_close_matches(_key(name), list(self.spells), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(self.spells[c].name for c in close)}?" if close else ""
        raise RulesError(f"I don't know a spell called '{shown}'.{hint}")

    def for_class(self, class_name: str, max_level: int, min_level: int = 0) -> list[SpellInfo]:
        """The class's spells of ``min_level``..``max_level``, by level then name."""
        return sorted((s for s in self.spells.values() if class_name in s.classes
                       and min_level <= s.level <= max_level), key=lambda s: (s.level, s.name))


def builtin_catalog() -> SpellCatalog:
    return SpellCatalog.of(SPELLS.values())


def catalog_from_srd(entries: Iterable[Mapping[str, Any]]) -> SpellCatalog:
    """The compendium's spells (entries of ``5e-SRD-Spells.json``), the engine's own entries taking precedence.
    An entry the engine can't read is left out rather than failing every look-up."""
    infos: list[SpellInfo] = []
    for entry in entries:
        try:
            infos.append(spell_from_srd(entry))
        except RulesError:
            continue
    return SpellCatalog.of([*infos, *SPELLS.values()])


# Warlock's Mystic Arcanum: the class level that gives one spell of each level (once per long rest, no slot).
MYSTIC_ARCANUM: Final[dict[int, int]] = {11: 6, 13: 7, 15: 8, 17: 9}
# Bard's Magical Secrets: at these levels the two new spells known may come from any class's list.
MAGICAL_SECRETS: Final[dict[int, int]] = {10: 2, 14: 2, 18: 2}
# Casters who know spells may swap one known spell for another when they gain a level in the class.
_SWAPPERS: Final[frozenset[str]] = frozenset({"Bard", "Ranger", "Sorcerer", "Warlock"})
WIZARD_FIRST_SPELLBOOK, WIZARD_SPELLS_PER_LEVEL = 6, 2


@dataclass(frozen=True)
class SpellGains:
    """What reaching ``class_level`` in a class lets a character learn: new cantrips, new spells known (or a
    Wizard's spellbook spells) of at most ``max_level``, of which ``any_list`` may come from any class's list,
    whether one known spell may be swapped, and the Mystic Arcanum level to choose (0 for none)."""

    class_name: str
    class_level: int
    cantrips: int
    spells: int
    max_level: int
    any_list: int = 0
    swap: bool = False
    arcanum: int = 0

    @property
    def label(self) -> str:
        return "spellbook spells" if self.class_name == "Wizard" else "spells known"


def max_spell_level(class_name: str, class_level: int) -> int:
    """The highest level of spell the class can learn at this class level (its own slots, as if single-classed;
    a Warlock's pact slot level)."""
    cls = get_class(class_name)
    return max(slots_for(cls.caster, class_level), default=0) if class_level else 0


def _table(values: tuple[int, ...] | None, level: int) -> int:
    return values[level - 1] if values and level >= 1 else 0


def spell_gains(class_name: str, class_level: int) -> SpellGains:
    """What a class gains to learn on reaching ``class_level`` (from the class's table)."""
    cls = get_class(class_name)
    cantrips = _table(cls.cantrips_known, class_level) - _table(cls.cantrips_known, class_level - 1)
    if cls.spells_known is not None:
        spells = _table(cls.spells_known, class_level) - _table(cls.spells_known, class_level - 1)
    elif cls.name == "Wizard":
        spells = WIZARD_FIRST_SPELLBOOK if class_level == 1 else WIZARD_SPELLS_PER_LEVEL
    else:
        spells = 0
    any_list = MAGICAL_SECRETS.get(class_level, 0) if cls.name == "Bard" else 0
    arcanum = MYSTIC_ARCANUM.get(class_level, 0) if cls.name == "Warlock" else 0
    swap = cls.name in _SWAPPERS and class_level > 1 and _table(cls.spells_known, class_level - 1) > 0
    return SpellGains(cls.name, class_level, max(0, cantrips), max(0, spells), max_spell_level(cls.name, class_level),
                      any_list=any_list, swap=swap, arcanum=arcanum)


def on_class_list(info: SpellInfo, class_name: str, subclass: str | None = None) -> bool:
    """On the class's list, or on its subclass's expanded list (a Fiend Warlock's)."""
    if class_name in info.classes:
        return True
    if subclass:
        sub = find_subclass(class_name, subclass)
        return sub is not None and any(_key(s) == _key(info.name) for names in sub.spells.values() for s in names)
    return False


def _level_words(low: int, high: int) -> str:
    return ordinal(high) if low == high else f"{ordinal(low)}–{ordinal(high)}"


def choose_spells(catalog: SpellCatalog, names: Sequence[str], *, class_name: str, max_level: int,
                  min_level: int = 1, subclass: str | None = None, any_list: int = 0, known: Sequence[str] = (),
                  exactly: int | None = None) -> list[str]:
    """Checks spells a character learns: each one exists, is a spell of ``min_level``..``max_level`` (0..0 for
    cantrips), is on the class's list (``any_list`` of them may come from any list), isn't known already and
    isn't named twice; ``exactly`` is how many must be chosen. Returns the spells' proper names."""
    if exactly is not None and len(names) != exactly:
        raise RulesError(f"Choose exactly {exactly} (you named {len(names)}).")
    picked: list[SpellInfo] = [catalog.get(n) for n in names]
    if len({_key(s.name) for s in picked}) != len(picked):
        raise RulesError("You chose the same spell twice.")
    have = {_key(s) for s in known}
    off_list = 0
    for info in picked:
        if _key(info.name) in have:
            raise RulesError(f"You already know {info.name}.")
        if max_level == 0 and info.level != 0:
            raise RulesError(f"{info.name} is not a cantrip.")
        if max_level > 0 and info.level == 0:
            raise RulesError(f"{info.name} is a cantrip; choose it with your cantrips.")
        if not min_level <= info.level <= max_level:
            raise RulesError(f"{info.name} is a level {info.level} spell; you can learn {class_name} spells of "
                             f"{_level_words(min_level, max_level)} level here.")
        if not on_class_list(info, class_name, subclass):
            off_list += 1
            if off_list > any_list:
                raise RulesError(f"{info.name} is not on the {class_name} spell list.")
    return [s.name for s in picked]


def prepare_limit(character: Character, class_name: str) -> int:
    """How many spells a prepared caster prepares: its spellcasting modifier + its level in the class (half,
    rounded down, for a Paladin), at least one; 0 for classes that don't prepare (or a Paladin below 2nd)."""
    cls = get_class(class_name)
    level = character.class_levels.get(cls.name, 0)
    if not cls.prepares_spells or not cls.spellcasting_ability or not max_spell_level(cls.name, level):
        return 0
    caster_levels = level // 2 if cls.caster == "half" else level
    return max(1, ability_modifier(character, cls.spellcasting_ability) + caster_levels)


def always_prepared(character: Character, class_name: str) -> list[str]:
    """A prepared caster's subclass spells (Domain, Oath; a Land druid's circle spells, of the land it chose) at its
    level in the class, and a Wizard's Signature Spells: always prepared, not counted."""
    cls = get_class(class_name)
    sub = character.subclasses.get(cls.name)
    info = find_subclass(cls.name, sub) if sub and cls.prepares_spells else None
    level = character.class_levels.get(cls.name, 0)
    by_level = dict(info.spells) if info else {}
    if info is not None and info.name == "Land":
        by_level = CIRCLE_SPELLS.get(next(iter(choice_names(character, CIRCLE_LAND)), ""), {})
    found = [s for lvl, names in sorted(by_level.items()) if lvl <= level for s in names]
    if cls.name == "Wizard":
        found += choice_names(character, SIGNATURE_SPELLS)
    return list(dict.fromkeys(found))


def prepare_spells(character: Character, names: Sequence[str], catalog: SpellCatalog) -> Character:
    """The character's new list of prepared spells (replacing the old one): for each prepared-caster class at
    most :func:`prepare_limit` spells of a level it has slots for, from its class list (a Wizard's from its
    spellbook); the subclass's always-prepared spells are kept and not counted."""
    classes = [c for c in character.class_levels if prepare_limit(character, c)]
    if not classes:
        raise RulesError(f"{character.name} doesn't prepare spells (Clerics, Druids, Paladins and Wizards do).")
    if not character.can_prepare:
        raise RulesError(f"{character.name} changes the prepared spells when a long rest ends (`!rest long`); "
                         f"prepared now: {', '.join(character.spells_prepared) or 'none'}.")
    always = [s for c in classes for s in always_prepared(character, c)]
    picked = [catalog.get(n) for n in names]
    if len({_key(s.name) for s in picked}) != len(picked):
        raise RulesError("You named the same spell twice.")
    room = {c: prepare_limit(character, c) for c in classes}
    chosen: list[str] = []
    for info in picked:
        if any(_key(a) == _key(info.name) for a in always):
            continue  # already always prepared
        cls_name = _preparing_class(character, info, classes, room)
        room[cls_name] -= 1
        chosen.append(info.name)
    return character.model_copy(update={"spells_prepared": list(dict.fromkeys([*always, *chosen])),
                                        "can_prepare": False})


def _preparing_class(character: Character, info: SpellInfo, classes: list[str], room: dict[str, int]) -> str:
    """The class that prepares ``info`` (the first that can and has room left), or the refusal saying why not."""
    if info.level == 0:
        raise RulesError(f"{info.name} is a cantrip: cantrips are always ready, not prepared.")
    able = [c for c in classes if info.level <= max_spell_level(c, character.class_levels[c])
            and (any(_key(s) == _key(info.name) for s in character.spells_known) if c == "Wizard"
                 else on_class_list(info, c, character.subclasses.get(c)))]
    if not able:
        if "Wizard" in classes and on_class_list(info, "Wizard"):
            raise RulesError(f"{info.name} isn't in your spellbook.")
        top = max(max_spell_level(c, character.class_levels[c]) for c in classes)
        if info.level > top:
            raise RulesError(f"{info.name} is a level {info.level} spell; you have slots up to {ordinal(top)} level.")
        raise RulesError(f"{info.name} is not on the {' or '.join(classes)} spell list.")
    for c in able:
        if room[c] > 0:
            return c
    counts = ", ".join(f"{prepare_limit(character, c)} as a {c}" for c in able)
    raise RulesError(f"Too many spells: {character.name} prepares {counts}.")


# --------------------------------------------------------------------------- a Wizard copying a spell scroll

COPY_GP_PER_LEVEL, COPY_HOURS_PER_LEVEL = 50, 2  # the SRD's cost of copying a spell, per spell level
_SCROLL = re.compile(r"^\s*(?:spell\s+)?scroll\s*(?:\((.+)\)|of\s+(.+))\s*$", re.IGNORECASE)


def scroll_spell(item_name: str) -> str | None:
    """"Spell Scroll (Fireball)" or "Scroll of Fireball" → "Fireball"."""
    found = _SCROLL.match(item_name)
    return " ".join((found.group(1) or found.group(2)).split()) if found else None


@dataclass(frozen=True)
class CopyResult:
    spell: str
    spell_level: int
    cost_gp: int
    hours: int
    check: int  # the Intelligence (Arcana) check's total
    dc: int
    copied: bool
    scroll: str  # the inventory item used up


def copy_spell(character: Character, spell_name: str, catalog: SpellCatalog, d20: int) -> tuple[Character,
                                                                                                CopyResult]:
    """A Wizard copies a Wizard spell from a spell scroll it carries into its spellbook: 50 gp and 2 hours per
    spell level; the Intelligence (Arcana) check against 10 + the spell's level (``d20`` is the die rolled)
    decides whether it is copied; either way the scroll is used up and the inks and components are spent.
    The spell must be of a level the Wizard has slots for."""
    level = character.class_levels.get("Wizard", 0)
    if not level:
        raise RulesError(f"{character.name} isn't a Wizard: only a Wizard copies spells into a spellbook.")
    info = catalog.get(spell_name)
    scroll = next((i.name for i in character.inventory
                   if (scroll_spell(i.name) or "").casefold() == info.name.casefold()), None)
    if scroll is None:
        raise RulesError(f"{character.name} has no spell scroll of {info.name} (an item named "
                         f"`Spell Scroll ({info.name})`).")
    if not on_class_list(info, "Wizard") or info.level == 0:
        raise RulesError(f"{info.name} is not a Wizard spell of 1st level or higher; it can't go in a spellbook.")
    if any(_key(s) == _key(info.name) for s in character.spells_known):
        raise RulesError(f"{info.name} is already in your spellbook.")
    top = max_spell_level("Wizard", level)
    if info.level > top:
        raise RulesError(f"{info.name} is a level {info.level} spell; a level {level} Wizard copies spells up to "
                         f"{ordinal(top)} level.")
    cost = COPY_GP_PER_LEVEL * info.level
    if not can_afford(character.wealth, cost * 100):
        raise RulesError(f"Copying {info.name} costs {cost} gp in inks and components; {character.name} has "
                         f"{total_cp(character.wealth) // 100} gp.")
    dc = 10 + info.level
    check = d20 + skill_modifier(character, "Arcana")
    paid = remove_item(character, scroll).model_copy(update={"wealth": pay(character.wealth, cost * 100)})
    if check >= dc:
        paid = paid.model_copy(update={"spells_known": [*character.spells_known, info.name]})
    return paid, CopyResult(info.name, info.level, cost, COPY_HOURS_PER_LEVEL * info.level, check, dc, check >= dc,
                            scroll)
