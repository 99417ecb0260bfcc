"""Attack rolls: a character's weapons, a monster's actions, critical hits, and a monster's Multiattack."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from dnd.actions import find_inventory_item, magic_bonus, proficient_with, weapon_ability
from dnd.character import Character, InventoryItem, ability_modifier
from dnd.combat.damage import take_damage
from dnd.combat.lines import (
    AttacksUnused,
    AttackVerdict,
    Line,
    MultiattackOptions,
    MultiattackUnread,
    MultiattackUsed,
    NoDamage,
    NotRolledHere,
    Rolled,
)
from dnd.combat.results import AttackResult, MultiattackResult
from dnd.combat.state import (
    CombatState,
    check_turn,
    find_anywhere,
    find_combatant,
    log_event,
    mode_word,
    name_key,
    roll_dice,
)
from dnd.conditions import attack_roll_mode, hit_is_critical, is_incapacitated
from dnd.data.equipment import Weapon, find_item
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterAction, MultiattackOption, MultiattackStep

_UNARMED = {"unarmed", "unarmed strike", "fist", "fists", "punch", "kick"}


@dataclass(frozen=True)
class _Profile:
    label: str
    to_hit: int
    damage: str  # dice expression, "" for no damage (a net)
    damage_type: str
    ranged: bool
    magical: bool
    notes: tuple[str, ...] = ()


_PROPERTY_DAMAGE = re.compile(r"^(\d+d\d+|\d+)\s+([a-z]+)$")


def _weapon_from_properties(item: InventoryItem) -> Weapon | None:
    """A weapon the catalogue doesn't know, described by its tags ("1d8 slashing", "finesse", "ranged")."""
    props = [p.strip().casefold() for p in item.properties]
    damage = next((m for p in props if (m := _PROPERTY_DAMAGE.match(p))), None)
    if damage is None:
        return None
    category = "martial" if "martial" in props else "simple"
    return Weapon(name=item.name, kind="weapon", cost_cp=0, weight=item.weight, properties=tuple(props),
                  category=category, ranged="ranged" in props, damage=damage.group(1),  # type: ignore[arg-type]
                  damage_type=damage.group(2))


def _weapons_carried(character: Character) -> list[InventoryItem]:
    out = []
    for item in character.inventory:
        if item.qty > 0 and (isinstance(find_item(item.name), Weapon) or _weapon_from_properties(item)):
            out.append(item)
    return sorted(out, key=lambda i: not i.equipped)


def _character_profile(c: Combatant, weapon: str | None, two_handed: bool) -> _Profile:
    character = c.character
    if character is None:
        raise RulesError(f"{c.name} has no character sheet in this fight; give the attack bonus and damage.")
    carried = _weapons_carried(character)
    if weapon is None:
        if not carried:
            weapon = "unarmed strike"
        else:
            weapon = carried[0].name
    if name_key(weapon) in _UNARMED:
        mod = ability_modifier(character, "STR")
        return _Profile("Unarmed strike", mod + character.proficiency_bonus, str(max(0, 1 + mod)), "bludgeoning",
                        False, False)
    item = find_inventory_item(character, weapon)
    if item is None:
        names = ", ".join(dict.fromkeys(i.name for i in carried)) or "none"
        raise RulesError(f"{c.name} doesn't carry a {weapon} (weapons: {names}).")
    info = find_item(item.name)
    if not isinstance(info, Weapon):
        info = _weapon_from_properties(item)
    if info is None:
        raise RulesError(f"{item.name} is not a weapon.")
    ability = weapon_ability(character, info)
    mod = ability_modifier(character, ability)
    magic = magic_bonus(item)
    proficient = proficient_with(character, info)
    to_hit = mod + (character.proficiency_bonus if proficient else 0) + magic
    notes = [f"{ability} {mod:+d}" + (f", proficiency +{character.proficiency_bonus}" if proficient else
                                       ", not proficient") + (f", magic +{magic}" if magic else "")]
    dice = info.versatile if two_handed and info.versatile else info.damage
    damage = f"{dice}{mod + magic:+d}" if dice and (mod + magic) else dice
    return _Profile(item.name, to_hit, damage, info.damage_type, info.ranged, magic > 0, tuple(notes))


def monster_action(c: Combatant, action: str | None) -> MonsterAction:
    block = c.monster
    if block is None:
        raise RulesError(f"{c.name} has no stat block in this fight; give the attack bonus and damage.")
    attacks = block.attacks
    if action is None:
        if not attacks:
            raise RulesError(f"{c.name} has no attack actions.")
        return attacks[0]
    found = block.find_action(action)
    if found is None:
        names = ", ".join(a.name for a in attacks) or "none"
        raise RulesError(f"{c.name} has no action '{action}' (attacks: {names}).")
    if not found.is_attack:
        how = f" (DC {found.dc} {found.dc_ability} save)" if found.dc else ""
        raise RulesError(f"{found.name} is not an attack roll{how}; use a saving throw.")
    return found


def _monster_profile(c: Combatant, action: str | None) -> _Profile:
    found = monster_action(c, action)
    damage_type = found.damage[0].damage_type if len(found.damage) == 1 else ""
    return _Profile(found.name, found.attack_bonus or 0, found.damage_expression(), damage_type, found.ranged,
                    False)


def attack(state: CombatState, attacker_id: str, target_name: str, weapon: str | None = None,
           rng: random.Random | None = None, *, ranged: bool | None = None, advantage: bool = False,
           disadvantage: bool = False, two_handed: bool = False, attack_bonus: int | None = None,
           damage: str | None = None, damage_type: str = "", magical: bool = False) -> tuple[
        CombatState, AttackResult]:
    """The current combatant attacks ``target_name`` with a carried weapon (characters; default: the equipped
    or first weapon carried, else an unarmed strike) or a stat-block action (monsters; default: its first
    attack). ``attack_bonus`` and ``damage`` describe any other attack (a spell attack: ``weapon="Fire Bolt",
    attack_bonus=5, damage="1d10", damage_type="fire", ranged=True``).

    ``ranged``: the attack is made from beyond 5 feet (default: the weapon's kind; pass True for a thrown
    weapon). ``advantage``/``disadvantage``: other sources, combined with the conditions of both sides.
    """
    attacker = check_turn(state, attacker_id)
    if attacker.dead or attacker.hp == 0:
        raise RulesError(f"{attacker.name} is down and can't attack.")
    if is_incapacitated(attacker.conditions):
        blocking = ", ".join(attacker.conditions)
        raise RulesError(f"{attacker.name} can't take actions ({blocking}).")
    target = find_combatant(state, target_name)
    if target.id == attacker.id:
        raise RulesError(f"{attacker.name} can't attack themselves.")

    if attack_bonus is not None:
        if damage is None:
            raise RulesError("Give the damage dice of the attack too (\"\" for none).")
        profile = _Profile(weapon or "Attack", attack_bonus, damage, damage_type.casefold(), bool(ranged), magical)
    elif attacker.kind == "monster":
        profile = _monster_profile(attacker, weapon)
    else:
        profile = _character_profile(attacker, weapon, two_handed)
    is_ranged = profile.ranged if ranged is None else ranged
    within_5ft = not is_ranged
    mode = attack_roll_mode(attacker.conditions, target.conditions, attacker_exhaustion=attacker.exhaustion,
                            within_5ft=within_5ft, advantage=advantage,
                            disadvantage=disadvantage or target.dodging)
    attack_roll = roll_dice(f"1d20{profile.to_hit:+d}{mode_word(mode)} {profile.label} attack on {target.name}", rng)
    natural = attack_roll.natural
    if natural == 20:
        hit, critical = True, True
    elif natural == 1:
        hit, critical = False, False
    else:
        hit = attack_roll.total >= target.ac
        critical = hit and hit_is_critical(target.conditions, within_5ft=within_5ft)
    told: list[Line] = [Rolled(attack_roll)]
    notes = list(profile.notes)
    if mode != "normal":
        notes.append(f"{mode} from conditions" if not (advantage or disadvantage) else mode)
    told.append(AttackVerdict(attacker.name, target.name, target.ac, hit, critical, natural))
    state = state.model_copy(update={"started": True})
    state = log_event(state, "attack", f"{attacker.name} attacks {target.name} with {profile.label}: "
                   + ("critical hit" if critical else "hit" if hit else "miss") + ".",
                   actor=attacker.id, target=target.id)
    if not hit or not profile.damage:
        if hit:
            told.append(NoDamage(profile.label))
        return state, AttackResult(
            attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
            attack_bonus=profile.to_hit, target_ac=target.ac, hit=hit, critical=critical, target_hp=target.hp,
            notes=notes, told=told)

    damage_roll = roll_dice(f"{profile.damage} {profile.label} damage", rng, crit=critical)
    told.append(Rolled(damage_roll))
    by_type = dict(damage_roll.damage_by_type) or {profile.damage_type: damage_roll.total}
    state, dealt, applied = take_damage(state, target, by_type, profile.magical, critical=critical,
                                        actor_id=attacker.id, source=profile.label, told=told)
    after = find_anywhere(state, target.id)
    return state, AttackResult(
        attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
        attack_bonus=profile.to_hit, target_ac=target.ac, hit=True, critical=critical, damage_roll=damage_roll,
        damage=dealt, target_hp=after.hp, fell=applied.fell, defeated=applied.defeated, dead=applied.dead,
        death_save_failures=applied.failures, notes=notes, told=told)


def _standing(state: CombatState, combatant_id: str) -> bool:
    return any(c.id == combatant_id and c.hp > 0 and not c.dead for c in state.combatants)


def _attack_count(count: str, rng: random.Random | None, label: str, told: list[Line]) -> int:
    if count.isdigit():
        return int(count)
    rolled = roll_dice(f"{count} {label} attacks", rng)  # "1d4 Rotting Touch attacks"
    told.append(Rolled(rolled))
    return max(0, rolled.total)


def _option_text(options: list[MultiattackOption]) -> str:
    return "; ".join(f"{n}) {o.describe()}" for n, o in enumerate(options, start=1))  # for a refusal


def multiattack(state: CombatState, attacker_id: str, target_name: str, rng: random.Random | None = None, *,
                option: int = 1) -> tuple[CombatState, MultiattackResult]:
    """A monster's Multiattack at one target: the attacks of its ``option`` (1: the first its stat block lists),
    in order, until the target drops (the attacks left are lost; the lines say how many). A monster without a
    Multiattack makes one attack with its first attack; so does one whose Multiattack couldn't be read, and
    the lines say so."""
    attacker = check_turn(state, attacker_id)
    block = attacker.monster
    if block is None:
        raise RulesError(f"{attacker.name} isn't a monster; only monsters have a Multiattack.")
    target = find_combatant(state, target_name)
    told: list[Line] = []
    options = block.multiattack
    read = block.multiattack_action is None or bool(options)
    if not options:
        if option != 1:
            raise RulesError(f"{attacker.name} has no Multiattack options to choose from.")
        first = monster_action(attacker, None)
        chosen = MultiattackOption(steps=[MultiattackStep(action=first.name)])
        if not read:
            desc = block.multiattack_action.desc if block.multiattack_action else ""
            told.append(MultiattackUnread(attacker.name, desc, first.name))
    elif not 1 <= option <= len(options):
        raise RulesError(f"{attacker.name}'s Multiattack has {len(options)} option"
                         f"{'s' if len(options) != 1 else ''}: {_option_text(options)}.")
    else:
        chosen = options[option - 1]
        told.append(MultiattackUsed(attacker.name, target.name, chosen.describe()))
        if len(options) > 1:
            told.append(MultiattackOptions(tuple(o.describe() for o in options)))
    actions: list[str] = []
    for step in chosen.steps:
        actions += [step.action] * _attack_count(step.count, rng, step.action, told)
    results: list[AttackResult] = []
    for number, action in enumerate(actions):
        if not _standing(state, target.id):
            left = len(actions) - number
            told.append(AttacksUnused(target.name, left))
            break
        state, result = attack(state, attacker.id, target.id, action, rng)
        results.append(result)
        told += result.told
    if chosen.others:
        told.append(NotRolledHere(tuple(chosen.others)))
    state = state.model_copy(update={"started": True})
    return state, MultiattackResult(attacker=attacker.name, target=target.name, attacks=results, read=read,
                                    told=told)
