"""A monster casting from its Spellcasting (SRD 5.1 stat blocks; `dnd.monsters.MonsterSpellcasting`).

Its slots by level and its innate spells' uses a day are spent on the monster for the fight
(``Combatant.used``: ``"slot:<level>"``, ``"spell:<name>"``); a cantrip or an innate "at will" spell costs
nothing. The spell resolves as a character's does (`dnd.combat.spells.cast_monster_spell`: attack rolls, saves, damage,
concentration, zones) with the monster's own spell save DC and spell attack bonus, its cantrips scaling with
its caster level, a levelled spell cast with the lowest slot of its level or higher that is left. Only the
spells of the engine's spell table (`dnd.data.spells`) can be cast; the others on a list are never chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnd.data.spells import SpellInfo, find_spell
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterSpell
from dnd.spellcasting import CastResult, ordinal, spell_effect


@dataclass(frozen=True)
class Castable:
    """A spell the monster can cast now: the engine's spell, and the slot level it would spend (None: free)."""

    info: SpellInfo
    slot_level: int | None
    per_day: bool = False  # an innate spell with uses a day


def slots_left(monster: Combatant, level: int) -> int:
    casting = monster.monster.spellcasting if monster.monster is not None else None
    return (casting.slots.get(level, 0) if casting else 0) - monster.used.get(f"slot:{level}", 0)


def _castable(monster: Combatant, spell: MonsterSpell, at_least: int = 0) -> Castable | None:
    info = find_spell(spell.name)
    casting = monster.monster.spellcasting if monster.monster is not None else None
    if info is None or casting is None:
        return None
    if spell.per_day is not None:
        left = spell.per_day - monster.used.get(f"spell:{info.name}", 0)
        return Castable(info, None, per_day=True) if left > 0 else None
    if info.level == 0 or not casting.slots:  # a cantrip, or an innate spell at will
        return Castable(info, None)
    level = next((lvl for lvl in range(max(info.level, at_least), 10) if slots_left(monster, lvl) > 0), None)
    return Castable(info, level) if level is not None else None


def castable_spells(monster: Combatant) -> list[Castable]:
    """The spells on the monster's list it can cast now, in the list's order."""
    casting = monster.monster.spellcasting if monster.monster is not None else None
    if casting is None:
        return []
    return [found for spell in casting.spells if (found := _castable(monster, spell)) is not None]


def preview(monster: Combatant, found: Castable, message: str = "") -> CastResult:
    """What casting ``found`` would do (its dice, DC or attack bonus), without paying for it."""
    casting = monster.monster.spellcasting if monster.monster is not None else None
    if casting is None or monster.monster is None:
        raise RulesError(f"{monster.name} can't cast spells.")
    info = found.info
    level = (found.slot_level or info.level) if info.level else None
    return spell_effect(info, info.name, info.level, level, "slot" if info.level else "cantrip",
                        message or f"{monster.name} casts {info.name}.", casting.caster_level,
                        monster.monster.ability_modifier(casting.ability), casting.attack_bonus or 0,
                        casting.dc or 10)


def monster_spell(monster: Combatant, name: str, at_least: int = 0) -> tuple[Combatant, CastResult]:
    """The monster pays for ``name`` (a slot, or a use of an innate spell; the lowest slot of ``at_least`` or
    higher, when given) and gets what it does; refused when it has no such spell, or nothing left to cast it
    with."""
    casting = monster.monster.spellcasting if monster.monster is not None else None
    key = " ".join(name.split()).casefold()
    listed = next((s for s in casting.spells if s.name.casefold() == key), None) if casting else None
    if casting is None or listed is None:
        raise RulesError(f"{monster.name} has no spell called '{name}'.")
    found = _castable(monster, listed, at_least)
    if found is None:
        raise RulesError(f"{monster.name} can't cast {listed.name} now (no slot or use of it is left, or the "
                         "engine doesn't know the spell).")
    info, used = found.info, dict(monster.used)
    spent = ""
    if found.per_day:
        used[f"spell:{info.name}"] = used.get(f"spell:{info.name}", 0) + 1
        spent = " (a use of the day spent)"
    elif found.slot_level is not None:
        used[f"slot:{found.slot_level}"] = used.get(f"slot:{found.slot_level}", 0) + 1
        spent = f" ({ordinal(found.slot_level)}-level slot spent, {slots_left(monster, found.slot_level) - 1} left)"
    paid = monster.model_copy(update={"used": used})
    return paid, preview(monster, found, f"{monster.name} casts {info.name}{spent}.")
