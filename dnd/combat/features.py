"""Class and racial features that change a fight's numbers (SRD 5.1), read from the character's sheet.

* Improved Critical (Champion 3): a weapon attack crits on 19-20; Superior Critical (Champion 15): 18-20.
* Brutal Critical (Barbarian 9/13/17): one, two or three extra weapon damage dice on a melee critical hit.
* Rage (a bonus action, a use of Rage): +2/+3/+4 damage (Barbarian 1/9/16) on melee weapon attacks made with
  STR, and resistance to bludgeoning, piercing and slashing damage, until the fight ends (the minute and the
  "ends early if you don't attack" rule are not counted: the fight is the rage). Not in heavy armor.
* Martial Arts (Monk): unarmed strikes and monk weapons (shortswords, simple melee weapons that are neither
  two-handed nor heavy) use the better of STR and DEX and deal at least the martial-arts die (d4/d6/d8/d10 at
  1/5/11/17), while the monk wears no armor and no shield; after the Attack action, an unarmed strike as a
  bonus action.
* Sneak Attack (Rogue): once per turn, +Nd6 (N = half the rogue level, rounded up) on a hit with a finesse or
  ranged weapon when the attack has advantage, or when the attacker says an ally of theirs is within 5 feet of
  the target (the table has no map: the player says so, the DM may object) and the attack has no disadvantage.
* Damage resistances of characters: a Dragonborn's ancestry type, a Tiefling's fire, a Dwarf's poison; Rage's.
* Evasion (Monk 7, Rogue 7; a Hunter's Superior Hunter's Defense): a DEX save for half damage deals none on a
  success and half on a failure.
* A Hunter ranger's options (`dnd.class_choices`): Colossus Slayer, once per turn +1d8 on a weapon hit against a
  creature already below its hit point maximum; Multiattack Defense, +4 AC against a creature's later attacks of
  the turn once it hits the ranger (`dnd.combat.attacks`); Steel Will, advantage on saves against being frightened
  (`dnd.combat.saves`); Uncanny Dodge (`dnd.combat.reactions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnd.character import Character, class_level, equipped_armor
from dnd.data.classes import step
from dnd.data.equipment import Weapon
from dnd.data.races import DRACONIC_ANCESTRIES, find_race
from dnd.monsters import Combatant
from dnd.progression import get_class

PHYSICAL = ("bludgeoning", "piercing", "slashing")
COLOSSUS_SLAYER_DIE = "1d8"
MULTIATTACK_DEFENSE_AC = 4


def has_feature(character: Character | None, name: str) -> bool:
    return character is not None and any(f.casefold() == name.casefold() for f in character.features)


def _extra(class_name: str, key: str, character: Character) -> int:
    level = class_level(character, class_name)
    return int(step(get_class(class_name).extras[key], level) or 0) if level else 0


def crit_threshold(character: Character | None) -> int:
    """The lowest natural roll that is a critical hit with a weapon: 20, 19 (Improved Critical), 18 (Superior)."""
    if has_feature(character, "Superior Critical"):
        return 18
    return 19 if has_feature(character, "Improved Critical") else 20


def brutal_critical_dice(character: Character) -> int:
    return _extra("Barbarian", "brutal_critical_dice", character)


def rage_damage(character: Character) -> int:
    return _extra("Barbarian", "rage_damage_bonus", character)


def martial_arts_die(character: Character) -> int:
    """The Monk's martial-arts die (4, 6, 8, 10), 0 for a non-monk."""
    return _extra("Monk", "martial_arts_die", character)


def sneak_attack_dice(character: Character) -> int:
    return _extra("Rogue", "sneak_attack_dice", character)


def martial_arts_applies(character: Character, weapon: Weapon | None) -> bool:
    """A monk without armor or shield, striking unarmed (``weapon`` None) or with a monk weapon."""
    if not martial_arts_die(character) or any(equipped_armor(character)):
        return False
    if weapon is None:
        return True
    props = set(weapon.properties)
    simple_melee = weapon.category == "simple" and not weapon.ranged and not props & {"two-handed", "heavy"}
    return simple_melee or weapon.name.casefold() == "shortsword"


def die_size(dice: str) -> int:
    """"1d8" → 8; a flat number → 0."""
    _, _, size = dice.partition("d")
    return int(size) if size.isdigit() else 0


def resistances(target: Combatant) -> list[str]:
    """The damage types a character resists: its race's, and bludgeoning/piercing/slashing while raging."""
    character = target.character
    found: list[str] = list(PHYSICAL) if target.raging else []
    race = find_race(character.race) if character is not None else None
    if character is None or race is None:
        return found
    if "Damage Resistance" in race.traits and character.draconic_ancestry in DRACONIC_ANCESTRIES:
        found.append(DRACONIC_ANCESTRIES[character.draconic_ancestry])
    if "Hellish Resistance" in race.traits:
        found.append("fire")
    if "Dwarven Resilience" in race.traits:
        found.append("poison")
    return found


def evasion(target: Combatant, ability: str, half_on_success: bool) -> bool:
    """Evasion applies: a DEX save against an effect that deals half damage on a success."""
    return ability == "DEX" and half_on_success and has_feature(target.character, "Evasion")


@dataclass
class AttackExtras:
    """What features add to one weapon attack's damage roll (a dice expression) and the notes that say so."""

    damage: str = ""
    notes: list[str] = field(default_factory=list)
    sneak_attack: bool = False
    colossus_slayer: bool = False


def turn_key(round_: int, actor_id: str) -> str:
    return f"{round_}:{actor_id}"


def attack_extras(attacker: Combatant, weapon: Weapon | None, ability: str, *, advantage: bool,
                  disadvantage: bool, ally_adjacent: bool, turn: str, target: Combatant | None = None) -> AttackExtras:
    """Rage's damage (a melee weapon attack with STR), Sneak Attack's dice and Colossus Slayer's (each once per
    ``turn``; Colossus Slayer's on a ``target`` below its hit point maximum) for a character's weapon attack;
    ``weapon`` None is an unarmed strike."""
    out = AttackExtras()
    character = attacker.character
    if character is None:
        return out
    melee = weapon is None or not weapon.ranged
    if attacker.raging and melee and ability == "STR" and (bonus := rage_damage(character)):
        out.damage += f"+{bonus}"
        out.notes.append(f"Rage +{bonus}")
    dice = sneak_attack_dice(character)
    finesse_or_ranged = weapon is not None and (weapon.ranged or "finesse" in weapon.properties)
    trigger = advantage and not disadvantage or (ally_adjacent and not disadvantage)
    if dice and finesse_or_ranged and trigger and attacker.economy.sneak_attack_turn != turn:
        out.damage += f"+{dice}d6"
        out.notes.append(f"Sneak Attack +{dice}d6")
        out.sneak_attack = True
    if has_feature(character, "Colossus Slayer") and target is not None and target.hp < target.max_hp \
            and attacker.economy.colossus_slayer_turn != turn:
        out.damage += f"+{COLOSSUS_SLAYER_DIE}"
        out.notes.append(f"Colossus Slayer +{COLOSSUS_SLAYER_DIE}")
        out.colossus_slayer = True
    return out


def steel_will(target: Combatant, condition: str | None) -> bool:
    """Steel Will (Hunter 7): advantage on a saving throw against being frightened."""
    return condition == "Frightened" and has_feature(target.character, "Steel Will")
