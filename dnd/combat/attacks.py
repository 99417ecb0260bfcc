"""Attack rolls: a character's weapons, a monster's actions, critical hits, and a monster's Multiattack."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from dnd.actions import find_inventory_item, magic_bonus, proficient_with, weapon_ability
from dnd.character import Character, DeathSaves, InventoryItem, ability_modifier, has_fighting_style, invocations
from dnd.class_choices import pact_weapon
from dnd.combat.concentration import weapon_hit_spells
from dnd.combat.damage import take_damage
from dnd.combat.economy import take_reaction
from dnd.combat.effects import give_condition
from dnd.combat.features import (
    MULTIATTACK_DEFENSE_AC,
    AttackExtras,
    attack_extras,
    brutal_critical_dice,
    crit_threshold,
    die_size,
    has_feature,
    martial_arts_applies,
    martial_arts_die,
    turn_key,
)
from dnd.combat.lines import (
    AttacksUnused,
    AttackVerdict,
    FeatureUsed,
    Line,
    MultiattackOptions,
    MultiattackUnread,
    MultiattackUsed,
    NoDamage,
    NotRolledHere,
    Rolled,
)
from dnd.combat.monster_spells import castable_spells, monster_spell
from dnd.combat.results import AttackResult, MultiattackResult, SaveResult
from dnd.combat.saves import saving_throw
from dnd.combat.state import (
    CombatState,
    check_turn,
    current_actor,
    find_anywhere,
    find_combatant,
    log_event,
    mark_started,
    mode_word,
    name_key,
    replace_combatant,
    roll_dice,
)
from dnd.conditions import TURNED, RollMode, attack_roll_mode, hit_is_critical, is_incapacitated
from dnd.data.equipment import Weapon, find_item
from dnd.dice import RollResult
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterAction, MultiattackOption, MultiattackStep, ReactionOffer, SaveRider

_UNARMED = {"unarmed", "unarmed strike", "fist", "fists", "punch", "kick"}

SHIELD_AC = 5  # the Shield spell's AC, until the start of the caster's next turn


@dataclass(frozen=True)
class _Profile:
    label: str
    to_hit: int
    damage: str  # dice expression, "" for no damage (a net)
    damage_type: str
    ranged: bool
    magical: bool
    notes: tuple[str, ...] = ()
    weapon_attack: bool = False  # a character's weapon or unarmed strike (features apply)
    weapon: Weapon | None = None  # the weapon's entry; None for an unarmed strike
    ability: str = ""
    rider: SaveRider | None = None  # a monster's save on a hit (the Giant Spider's poison)


_PROPERTY_DAMAGE = re.compile(r"^(\d+d\d+|\d+)\s+([a-z]+)$")


def _weapon_from_properties(item: InventoryItem) -> Weapon | None:
    """A weapon the catalogue doesn't know, described by its tags ("1d8 slashing", "finesse", "ranged")."""
    if not item.properties:  # most gear: no tags to read (asked for every item carried, every attack)
        return None
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


def _unarmed(character: Character) -> _Profile:
    """An unarmed strike: 1 + STR, or with Martial Arts the martial-arts die + the better of STR and DEX."""
    ability = "STR"
    dice = ""
    if martial_arts_applies(character, None):
        ability = max(("STR", "DEX"), key=lambda a: ability_modifier(character, a))
        dice = f"1d{martial_arts_die(character)}"
    mod = ability_modifier(character, ability)
    damage = (f"{dice}{mod:+d}" if mod else dice) if dice else str(max(0, 1 + mod))
    notes = (f"Martial Arts: {ability} {mod:+d}, {dice}",) if dice else ()
    return _Profile("Unarmed strike", mod + character.proficiency_bonus, damage, "bludgeoning", False, False,
                    notes, weapon_attack=True, ability=ability)


def _find_weapon(c: Combatant, character: Character, weapon: str) -> tuple[InventoryItem, Weapon]:
    item = find_inventory_item(character, weapon)
    if item is None:
        carried = _weapons_carried(character)
        names = ", ".join(dict.fromkeys(i.name for i in carried)) or "none"
        raise RulesError(f"{c.name} doesn't carry a {weapon} (weapons: {names}).")
    info = find_item(item.name)
    if not isinstance(info, Weapon):
        info = _weapon_from_properties(item)
    if info is None:
        raise RulesError(f"{item.name} is not a weapon.")
    return item, info


def _fighting_style(character: Character, weapon: Weapon, dice: str, two_handed: bool) -> tuple[str, int, int, str]:
    """(the style that applies, to-hit bonus, damage bonus, damage dice): Archery +2 to hit with a ranged weapon;
    Dueling +2 damage with a melee weapon in one hand; Great Weapon Fighting rerolls 1s and 2s (once) on a
    two-handed or two-handed versatile melee weapon's dice."""
    props = set(weapon.properties)
    if weapon.ranged and "thrown" not in props:
        return ("Archery +2", 2, 0, dice) if has_fighting_style(character, "Archery") else ("", 0, 0, dice)
    two_hands = "two-handed" in props or (two_handed and "versatile" in props)
    if two_hands and dice and has_fighting_style(character, "Great Weapon Fighting"):
        return "Great Weapon Fighting", 0, 0, f"{dice}ro<3"
    if not two_hands and has_fighting_style(character, "Dueling"):
        return "Dueling +2", 0, 2, dice
    return "", 0, 0, dice


# A weapon's profile is a function of the character's sheet alone, and a sheet is frozen (a change makes a new
# one), so it is kept per sheet object: a fight asks for it at every attack. The entry holds the sheet, so its id
# can't be reused while the entry lives.
_PROFILES: dict[tuple[int, str | None, bool], tuple[Character, _Profile]] = {}
_PROFILES_KEPT = 512


def _character_profile(c: Combatant, weapon: str | None, two_handed: bool) -> _Profile:
    character = c.character
    if character is None:
        raise RulesError(f"{c.name} has no character sheet in this fight; give the attack bonus and damage.")
    key = (id(character), weapon, two_handed)
    kept = _PROFILES.get(key)
    if kept is not None and kept[0] is character:
        return kept[1]
    profile = _sheet_profile(c, character, weapon, two_handed)
    if len(_PROFILES) >= _PROFILES_KEPT:
        _PROFILES.clear()
    _PROFILES[key] = (character, profile)
    return profile


def _sheet_profile(c: Combatant, character: Character, weapon: str | None, two_handed: bool) -> _Profile:
    if weapon is None:
        carried = _weapons_carried(character)
        weapon = carried[0].name if carried else "unarmed strike"
    if name_key(weapon) in _UNARMED:
        return _unarmed(character)
    item, info = _find_weapon(c, character, weapon)
    ability = weapon_ability(character, info)
    dice = info.versatile if two_handed and info.versatile else info.damage
    monk = martial_arts_applies(character, info)
    if monk:  # Martial Arts: the better of STR and DEX, and at least the martial-arts die
        ability = max(("STR", "DEX"), key=lambda a: ability_modifier(character, a))
        if die_size(dice) < martial_arts_die(character):
            dice = f"1d{martial_arts_die(character)}"
    mod = ability_modifier(character, ability)
    magic = magic_bonus(item)
    proficient = proficient_with(character, info)
    style, style_hit, style_damage, dice = _fighting_style(character, info, dice, two_handed)
    to_hit = mod + (character.proficiency_bonus if proficient else 0) + magic + style_hit
    notes = [f"{ability} {mod:+d}" + (f", proficiency +{character.proficiency_bonus}" if proficient else
                                       ", not proficient") + (f", magic +{magic}" if magic else "")
             + (", Martial Arts" if monk else "") + (f", {style}" if style else "")]
    bonus = mod + magic + style_damage
    damage = f"{dice}{bonus:+d}" if dice and bonus else dice
    return _Profile(item.name, to_hit, damage, info.damage_type, info.ranged, magic > 0, tuple(notes),
                    weapon_attack=True, weapon=info, ability=ability)


def weapon_damage(c: Combatant) -> str:
    """The damage dice of a character's attack with its equipped (else first carried) weapon; "" without a sheet."""
    return _character_profile(c, None, False).damage if c.character is not None else ""


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
    damage = found.damage_expression() if found.damage else ""
    return _Profile(found.name, found.attack_bonus or 0, damage, damage_type, found.ranged, False,
                    rider=found.rider)


def attack(state: CombatState, attacker_id: str, target_name: str, weapon: str | None = None,
           rng: random.Random | None = None, *, ranged: bool | None = None, advantage: bool = False,
           disadvantage: bool = False, two_handed: bool = False, attack_bonus: int | None = None,
           damage: str | None = None, damage_type: str = "", magical: bool = False, ally_adjacent: bool = False,
           reaction: bool = False, roll_bonus: str = "") -> tuple[CombatState, AttackResult]:
    """The current combatant attacks ``target_name`` with a carried weapon (characters; default: the equipped
    or first weapon carried, else an unarmed strike) or a stat-block action (monsters; default: its first
    attack). ``attack_bonus`` and ``damage`` describe any other attack (a spell attack: ``weapon="Fire Bolt",
    attack_bonus=5, damage="1d10", damage_type="fire", ranged=True``).

    ``ranged``: the attack is made from beyond 5 feet (default: the weapon's kind; pass True for a thrown
    weapon). ``advantage``/``disadvantage``: other sources, combined with the conditions of both sides (and
    the Dodge, Hide and Help actions). ``ally_adjacent``: the attacker says an ally is within 5 feet of the
    target (Sneak Attack). ``reaction``: an attack out of the attacker's turn (an opportunity attack; the
    caller spends the reaction). ``roll_bonus``: dice added to the attack roll ("+1d8", Bardic Inspiration). A
    character's weapon attacks apply its features (`dnd.combat.features`).
    """
    attacker = _attacker(state, attacker_id, reaction)
    target = find_combatant(state, target_name)
    if target.id == attacker.id:
        raise RulesError(f"{attacker.name} can't attack themselves.")

    if attack_bonus is not None:
        if damage is None:
            raise RulesError("Give the damage dice of the attack too (\"\" for none).")
        profile = _Profile(weapon or "Attack", attack_bonus, damage, damage_type.casefold(), bool(ranged), magical)
    else:
        beastly = attacker.kind == "monster" or attacker.wild_shaped  # a druid in a beast's shape: the beast's attacks
        profile = _monster_profile(attacker, weapon) if beastly else _character_profile(attacker, weapon, two_handed)
    is_ranged = profile.ranged if ranged is None else ranged
    within_5ft = not is_ranged
    boons = attacker.economy.hidden is not None or attacker.economy.helped_by is not None
    mode = attack_roll_mode(attacker.conditions, target.conditions, attacker_exhaustion=attacker.exhaustion,
                            within_5ft=within_5ft, advantage=advantage or boons,
                            disadvantage=disadvantage or target.dodging)
    attack_roll = roll_dice(f"1d20{profile.to_hit:+d}{roll_bonus}{mode_word(mode)} {profile.label} attack on "
                            f"{target.name}", rng)
    threshold = crit_threshold(attacker.character) if profile.weapon_attack else 20
    told: list[Line] = [Rolled(attack_roll)]
    target, defended = _multiattack_defense(state, attacker, target, told)
    hit, critical = _verdict(attack_roll, target, within_5ft, threshold)
    state, parry = _monster_reacts(state, target, attack_roll, hit and not critical, within_5ft, told)
    hit = hit and not parry
    notes = list(profile.notes)
    if mode != "normal":
        notes.append(f"{mode} from conditions" if not (advantage or disadvantage or boons) else mode)
    told.append(AttackVerdict(attacker.name, target.name, target.ac + parry, hit, critical, attack_roll.natural))
    if threshold < 20 and critical and attack_roll.natural < 20:
        notes.append(f"critical on {threshold}-20")
        told.append(FeatureUsed(attacker.name, "Improved Critical", notes[-1]))
    state = mark_started(state)
    state = _defend_from(state, target, attacker.id, hit and not defended)
    state = _giant_killer_offer(state, attacker, target)
    if boons:  # attacking reveals a hidden attacker; the Help is spent
        state = replace_combatant(state, attacker.model_copy(update={"economy": attacker.economy.model_copy(
            update={"hidden": None, "helped_by": None})}))
    state = log_event(state, "attack", f"{attacker.name} attacks {target.name} with {profile.label}: "
                   + ("critical hit" if critical else "hit" if hit else "miss") + ".",
                   actor=attacker.id, target=target.id)
    if not hit or not profile.damage:
        rider = None
        if hit and profile.rider is not None:  # a hit that is only a save (the Guardian Naga's Spit Poison)
            state, rider = _rider_save(state, profile, attacker, target, rng, told)
        elif hit:
            told.append(NoDamage(profile.label))
        return state, AttackResult(
            attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
            attack_bonus=profile.to_hit, target_ac=target.ac, hit=hit, critical=critical,
            target_hp=find_anywhere(state, target.id).hp, notes=notes, told=told, rider=rider,
            **_rider_fell(rider))

    actor_now = find_anywhere(state, attacker.id)
    state, extras = _features(state, actor_now, profile, mode, ally_adjacent, find_anywhere(state, target.id))
    notes += extras.notes
    told += [FeatureUsed(attacker.name, note) for note in extras.notes]  # the table sees what a feature added
    state, dice = _with_held_spells(state, attacker.id, profile, f"{profile.damage}{extras.damage}", told)
    dice = _lifedrinker(actor_now, profile, dice, notes, told)
    damage_roll = roll_dice(f"{dice} {profile.label} damage", rng, crit=critical)
    told.append(Rolled(damage_roll))
    by_type = dict(damage_roll.damage_by_type) or {profile.damage_type: damage_roll.total}
    if critical and profile.weapon_attack and not is_ranged:
        by_type = _brutal_critical(actor_now, profile, by_type, rng, told, notes)
    before = find_anywhere(state, target.id)
    logged_at = len(state.log)
    state, dealt, applied = take_damage(state, target, by_type, profile.magical, critical=critical,
                                        actor_id=attacker.id, source=profile.label, told=told, rng=rng)
    state = _offer_reaction(state, before, attacker, attack_roll, critical, dealt, logged_at)
    rider = _rider_save(state, profile, attacker, target, rng, told) if profile.rider is not None else None
    if rider is not None:
        state, rider = rider
    after = find_anywhere(state, target.id)
    fell = _rider_fell(rider)
    return state, AttackResult(
        attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
        attack_bonus=profile.to_hit, target_ac=target.ac, hit=True, critical=critical, damage_roll=damage_roll,
        damage=dealt, target_hp=after.hp, fell=applied.fell or fell.get("fell", False),
        defeated=applied.defeated or fell.get("defeated", False), dead=applied.dead or fell.get("dead", False),
        death_save_failures=applied.failures, notes=notes, told=told, rider=rider)


_GIANT_SIZES = ("Large", "Huge", "Gargantuan")


def _giant_killer_offer(state: CombatState, attacker: Combatant, attacked: Combatant) -> CombatState:
    """Giant Killer (Hunter 3): a Large or larger creature's attack, hit or miss, on a conscious ranger whose
    reaction is unspent leaves it the offer of an attack back (`dnd.combat.reactions.reaction_attack`)."""
    if attacked.kind != "character" or attacked.hp == 0 or attacked.economy.reaction is not None \
            or attacker.monster is None or attacker.monster.size not in _GIANT_SIZES \
            or not has_feature(attacked.character, "Giant Killer"):
        return state
    target = find_anywhere(state, attacked.id)
    offer = ReactionOffer(kind="attacked", other_id=attacker.id, other_name=attacker.name)
    return replace_combatant(state, target.model_copy(update={"offers": [*target.offers, offer]}))


def _defense_key(state: CombatState, attacker_id: str) -> str:
    """This turn's attacks by ``attacker_id`` ("round:actor>attacker")."""
    return f"{turn_key(state.round, current_actor(state).id)}>{attacker_id}"


def _multiattack_defense(state: CombatState, attacker: Combatant, target: Combatant,
                         told: list[Line]) -> tuple[Combatant, bool]:
    """The target as this attack's roll meets it: +4 AC (not stored) when Multiattack Defense holds against the
    attacker (it hit the ranger earlier this turn)."""
    if target.economy.defended_from is None or target.economy.defended_from != _defense_key(state, attacker.id):
        return target, False  # (most targets have no defense to check: the key isn't built for them)
    told.append(FeatureUsed(target.name, "Multiattack Defense", f"+{MULTIATTACK_DEFENSE_AC} AC against "
                            f"{attacker.name}'s attacks this turn"))
    return target.model_copy(update={"ac": target.ac + MULTIATTACK_DEFENSE_AC}), True


def _defend_from(state: CombatState, attacked: Combatant, attacker_id: str, hit: bool) -> CombatState:
    """Multiattack Defense (Hunter 7): a creature that hits the ranger meets +4 AC on its other attacks this
    turn."""
    if not hit or attacked.character is None or not has_feature(attacked.character, "Multiattack Defense"):
        return state
    target = find_anywhere(state, attacked.id)
    return replace_combatant(state, target.model_copy(update={"economy": target.economy.model_copy(
        update={"defended_from": _defense_key(state, attacker_id)})}))


def _with_held_spells(state: CombatState, attacker_id: str, profile: _Profile, dice: str,
                      told: list[Line]) -> tuple[CombatState, str]:
    """A weapon hit's damage dice with a smite's or Divine Favor's held for it, each part typed so defenses apply
    to its own type."""
    if not profile.weapon_attack:
        return state, dice
    state, extra, spells_told = weapon_hit_spells(state, attacker_id)
    if not extra:
        return state, dice
    told += spells_told
    return state, f"({dice})[{profile.damage_type}]{extra}"


def _lifedrinker(attacker: Combatant, profile: _Profile, dice: str, notes: list[str], told: list[Line]) -> str:
    """Lifedrinker: a hit with the pact weapon deals the warlock's CHA modifier (at least 1) more, necrotic (typed,
    so the target's defenses meet it apart from the weapon's own damage)."""
    character = attacker.character
    if character is None or profile.weapon is None or profile.weapon.name != pact_weapon(character) \
            or "Lifedrinker" not in invocations(character):
        return dice
    bonus = max(1, ability_modifier(character, "CHA"))
    notes.append(f"Lifedrinker +{bonus} necrotic")
    told.append(FeatureUsed(attacker.name, notes[-1]))
    typed = dice if "[" in dice else f"({dice})[{profile.damage_type}]"
    return f"{typed}+{bonus}[necrotic]"


def _rider_save(state: CombatState, profile: _Profile, attacker: Combatant, target: Combatant,
                rng: random.Random | None, told: list[Line]) -> tuple[CombatState, SaveResult | None]:
    """The save a monster's hit calls for, rolled for the target with its own save bonus, conditions and
    defenses; its damage (not doubled by a critical hit: it isn't the attack's) full on a failure, half on a
    success where the block says so, dealt by the attacker. Nothing when the hit killed the target or took it
    out of the fight."""
    rider = profile.rider
    assert rider is not None
    current = find_anywhere(state, target.id)
    if current.dead or current.defeated or all(c.id != current.id for c in state.combatants):
        return state, None
    state, result = saving_throw(state, current.id, rider.ability, rider.dc, rng, damage=rider.dice,
                                 damage_type=rider.damage_type, half_on_success=rider.half_on_success,
                                 source=f"{profile.label} {rider.damage_type}".strip(), magical=False,
                                 dealt_by=attacker.id)
    told += result.told
    if rider.stable_at_zero and result.outcomes and result.outcomes[0].fell:
        state = _stable_but_poisoned(state, current.id, told)
    return state, result


def _stable_but_poisoned(state: CombatState, target_id: str, told: list[Line]) -> CombatState:
    """A character the rider's poison dropped is stable (no death saves) but poisoned and, while so, paralyzed;
    the hour it lasts outlives the fight, so the table ends it (`!set_condition`)."""
    target = find_anywhere(state, target_id)
    if target.kind != "character" or target.dead or target.hp != 0:
        return state
    state = replace_combatant(state, target.model_copy(update={"stable": True, "death_saves": DeathSaves()}))
    for condition in ("Poisoned", "Paralyzed"):
        state, given = give_condition(state, find_anywhere(state, target_id), condition)
        told += given.told
    told.append(FeatureUsed(target.name, "Stable", "the poison leaves them stable but poisoned and paralyzed"))
    return log_event(state, "stable", f"{target.name} is stable but poisoned.", target=target_id)


def _rider_fell(rider: SaveResult | None) -> dict[str, bool]:
    """What the rider's damage did to the target, for the attack's result."""
    if rider is None or not rider.outcomes:
        return {}
    outcome = rider.outcomes[0]
    return {"fell": outcome.fell, "defeated": outcome.defeated, "dead": outcome.dead}


def _features(state: CombatState, attacker: Combatant, profile: _Profile, mode: RollMode,
              ally_adjacent: bool, target: Combatant) -> tuple[CombatState, AttackExtras]:
    """A character's weapon attack that hit: what its features add (Rage, Sneak Attack and Colossus Slayer,
    marked as used)."""
    if not profile.weapon_attack:
        return state, AttackExtras()
    turn = turn_key(state.round, current_actor(state).id)
    extras = attack_extras(attacker, profile.weapon, profile.ability, advantage=mode == "advantage",
                           disadvantage=mode == "disadvantage", ally_adjacent=ally_adjacent, turn=turn,
                           target=target)
    marks = {"sneak_attack_turn": turn} if extras.sneak_attack else {}
    if extras.colossus_slayer:
        marks["colossus_slayer_turn"] = turn
    if marks:
        state = replace_combatant(state, attacker.model_copy(update={"economy": attacker.economy.model_copy(
            update=marks)}))
    return state, extras


def _attacker(state: CombatState, attacker_id: str, reaction: bool) -> Combatant:
    """Whose turn it is (or, for a reaction, anyone in the fight), able to act."""
    attacker = find_anywhere(state, attacker_id) if reaction else check_turn(state, attacker_id)
    if attacker.dead or attacker.hp == 0:
        raise RulesError(f"{attacker.name} is down and can't attack.")
    if is_incapacitated(attacker.conditions):
        blocking = ", ".join(attacker.conditions)
        raise RulesError(f"{attacker.name} can't take actions ({blocking}).")
    return attacker


def _monster_reacts(state: CombatState, target: Combatant, attack_roll: RollResult, hit: bool, melee: bool,
                    told: list[Line]) -> tuple[CombatState, int]:
    """A monster answers a hit (not a critical one) with its reaction when that turns it into a miss: its Parry
    against a melee attack (the bonus for this attack), else the Shield spell from its list (+5 AC until its
    next turn, a slot spent: `dnd.combat.monster_spells`). Returns the state and the AC added (0: no reaction)."""
    if (not hit or target.kind != "monster" or target.monster is None or target.economy.reaction is not None
            or target.hp == 0 or is_incapacitated(target.conditions) or TURNED in target.conditions):
        return state, 0
    parry = target.monster.parry
    if parry and melee and attack_roll.total < target.ac + parry:
        state = take_reaction(state, target.id, "Parry")
        told.append(FeatureUsed(target.name, "Parry", f"+{parry} AC (AC {target.ac + parry}) against this attack"))
        return state, parry
    if attack_roll.total < target.ac + SHIELD_AC and any(f.info.name == "Shield" for f in castable_spells(target)):
        paid, spell = monster_spell(target, "Shield")
        economy = paid.economy.model_copy(update={"reaction": "Shield", "shield": SHIELD_AC})
        state = replace_combatant(state, paid.model_copy(update={"ac": paid.ac + SHIELD_AC, "economy": economy}))
        told.append(FeatureUsed(target.name, "Shield", f"+{SHIELD_AC} AC (AC {paid.ac + SHIELD_AC}) until its next "
                                f"turn — {spell.message}"))
        return state, SHIELD_AC
    return state, 0


def _verdict(attack_roll: RollResult, target: Combatant, within_5ft: bool, threshold: int) -> tuple[bool, bool]:
    """(hit, critical): a natural 20 (or the attacker's lower critical range) hits and crits, a 1 misses."""
    natural = attack_roll.natural
    if natural >= threshold:
        return True, True
    if natural == 1:
        return False, False
    hit = attack_roll.total >= target.ac
    return hit, hit and hit_is_critical(target.conditions, within_5ft=within_5ft)


def _brutal_critical(attacker: Combatant, profile: _Profile, by_type: dict[str, int], rng: random.Random | None,
                     told: list[Line], notes: list[str]) -> dict[str, int]:
    """Brutal Critical: extra weapon damage dice on a melee critical hit (not doubled themselves)."""
    count = brutal_critical_dice(attacker.character) if attacker.character is not None else 0
    size = die_size(profile.weapon.damage) if profile.weapon is not None else 0
    if not count or not size:
        return by_type
    extra = roll_dice(f"{count}d{size} Brutal Critical", rng)
    told.append(Rolled(extra))
    notes.append(f"Brutal Critical +{count}d{size}")
    told.append(FeatureUsed(attacker.name, notes[-1]))
    key = profile.damage_type if profile.damage_type in by_type else next(iter(by_type))
    return {**by_type, key: by_type[key] + extra.total}


def _offer_reaction(state: CombatState, before: Combatant, attacker: Combatant, attack_roll: RollResult,
                    critical: bool, dealt: int, logged_at: int) -> CombatState:
    """A conscious character hit by an attack, its reaction unspent, may answer it (Shield, Uncanny Dodge:
    `dnd.combat.reactions`)."""
    if before.kind != "character" or before.hp == 0 or before.economy.reaction is not None:
        return state
    after = next((c for c in state.combatants if c.id == before.id), None)
    if after is None:
        return state
    offer = ReactionOffer(kind="hit", other_id=attacker.id, other_name=attacker.name, total=attack_roll.total,
                          natural=attack_roll.natural, amount=dealt, critical=critical, hp_before=before.hp,
                          temp_before=before.temp_hp, logged_at=logged_at)
    return replace_combatant(state, after.model_copy(update={"offers": [*after.offers, offer]}))


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
    state = mark_started(state)
    return state, MultiattackResult(attacker=attacker.name, target=target.name, attacks=results, read=read,
                                    told=told)
