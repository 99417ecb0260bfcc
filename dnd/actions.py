"""Character actions behind the player commands: roll modifiers from a feat, ability or item
(``!roll … --feat Lucky``), ability checks and saving throws with proficiency and conditions, using a
consumable item, and setting hit points. Pure: dice come from the ``random.Random`` given.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

from dnd.abilities import normalize_ability, normalize_skill
from dnd.character import (
    Character,
    DeathSaves,
    InventoryItem,
    ability_modifier,
    class_level,
    effective_max_hp,
    equipped_armor,
    saving_throw_modifier,
    skill_modifier,
)
from dnd.class_choices import CheckSubject, check_bonuses, pact_weapon
from dnd.conditions import RollMode, ability_check_mode, saving_throw_mode
from dnd.data.equipment import Weapon, find_item
from dnd.data.feats import find_feat
from dnd.data.skills import ABILITY_NAMES, SKILLS
from dnd.dice import MAX_DEPTH, MAX_EXPRESSION_LENGTH, MAX_PARENTHESES, DiceError, RollResult, roll
from dnd.dice_parser import DiceSyntaxError, parse_roll
from dnd.errors import RulesError
from dnd.feats import find_resource, use_resource
from dnd.inventory import remove_item
from dnd.phrases import advantage_word


@lru_cache(maxsize=4096)  # asked for each item carried at every weapon attack
def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("’", "'").split()).casefold()


# --------------------------------------------------------------------------- roll modifiers


@dataclass
class RollPlan:
    """What the chosen feat/ability/item does to a roll: extra terms (``+2``, ``+1d6``, ``-5``), advantage,
    notes for the player, and the character with any use spent."""

    character: Character
    terms: list[str] = field(default_factory=list)
    advantage: bool = False
    notes: list[str] = field(default_factory=list)
    default_expression: str | None = None  # when the player gave no dice (``!roll --item Longsword``)


def split_roll_text(text: str) -> tuple[str, str | None, str | None, int | None]:
    """(expression, label, advantage word, repeat) of a dice text; DiceError when it can't be parsed."""
    try:
        parsed = parse_roll(text, max_length=MAX_EXPRESSION_LENGTH, max_depth=MAX_DEPTH,
                            max_parentheses=MAX_PARENTHESES)
    except DiceSyntaxError as error:
        raise DiceError(str(error), error.position) from None
    adv = {"advantage": "adv", "disadvantage": "dis"}.get(parsed.advantage or "")
    return parsed.expression_text, parsed.label, adv, parsed.repeat


def compose(text: str, plan: RollPlan) -> str:
    """The dice text with the plan's terms appended to the expression (before the label)."""
    if not text.strip():
        text = plan.default_expression or "1d20"
    if not plan.terms and not plan.advantage:
        return text
    expression, label, adv, repeat = split_roll_text(text)
    if repeat is not None:
        raise RulesError("Feats, abilities and items can't modify a repeated roll (N#…); roll once.")
    words = [expression + "".join(plan.terms)]
    if label:
        words.append(label)
    if adv:
        words.append(adv)
    if plan.advantage:
        words.append("adv")
    return " ".join(words)


def _is_d20_roll(text: str) -> bool:
    return bool(re.search(r"(?<!\d)(\d*)d20(?!\d)", text.casefold())) or not text.strip()


_RAGE_DAMAGE = ((1, 2), (9, 3), (16, 4))
_BARDIC_DIE = ((1, 6), (5, 8), (10, 10), (15, 12))


def _step(table: tuple[tuple[int, int], ...], level: int) -> int:
    value = table[0][1]
    for from_level, v in table:
        if level >= from_level:
            value = v
    return value


def _apply_feat(plan: RollPlan, name: str, d20: bool) -> None:
    character = plan.character
    found = find_resource(character, name)
    if found is None or found[0] != "feats":
        have = ", ".join(f.name for f in character.feats) or "none"
        raise RulesError(f"{character.name} doesn't have the feat '{name}' (feats: {have}).")
    res = found[2]
    info = find_feat(res.name)
    feat = info.name if info else res.name
    if feat == "Lucky":
        if not d20:
            raise RulesError("Lucky rerolls a d20: use it on an attack roll, ability check or saving throw.")
        plan.advantage = True
        plan.notes.append("Lucky: an extra d20, the better one counts")
    elif feat in ("Sharpshooter", "Great Weapon Master"):
        plan.terms.append("-5" if d20 else "+10")
        plan.notes.append(f"{feat}: " + ("-5 to hit" if d20 else "+10 damage"))
    elif feat == "Alert":
        if not d20:
            raise RulesError("Alert adds +5 to initiative, a d20 roll.")
        plan.terms.append("+5")
        plan.notes.append("Alert: +5 initiative")
    elif feat in ("Grappler", "War Caster"):
        if not d20:
            raise RulesError(f"{feat} grants advantage on a d20 roll.")
        plan.advantage = True
        plan.notes.append(f"{feat}: advantage")
    elif res.max_uses is None:
        raise RulesError(f"{feat} doesn't change dice rolls.")
    if res.max_uses is not None:
        plan.character, message = use_resource(plan.character, res.name)
        plan.notes.append(message)


def _apply_ability(plan: RollPlan, name: str, d20: bool) -> None:
    character = plan.character
    found = find_resource(character, name)
    if found is None or found[0] != "abilities":
        if _key(name) == "sneak attack" and class_level(character, "Rogue"):
            if d20:
                raise RulesError("Sneak Attack adds damage dice: use it on the damage roll.")
            dice = (class_level(character, "Rogue") + 1) // 2
            plan.terms.append(f"+{dice}d6")
            plan.notes.append(f"Sneak Attack: +{dice}d6")
            return
        have = ", ".join(a.name for a in character.abilities) or "none"
        raise RulesError(f"{character.name} doesn't have the ability '{name}' (abilities: {have}).")
    res = found[2]
    if res.name == "Rage":
        if d20:
            plan.advantage = True
            plan.notes.append("Rage: advantage on Strength checks and saving throws")
        else:
            bonus = _step(_RAGE_DAMAGE, class_level(character, "Barbarian"))
            plan.terms.append(f"+{bonus}")
            plan.notes.append(f"Rage: +{bonus} melee damage")
    elif res.name == "Bardic Inspiration":
        if not d20:
            raise RulesError("Bardic Inspiration adds its die to a d20 roll (attack, check or save).")
        die = _step(_BARDIC_DIE, class_level(character, "Bard"))
        plan.terms.append(f"+1d{die}")
        plan.notes.append(f"Bardic Inspiration: +1d{die}")
    if res.max_uses is not None:
        plan.character, message = use_resource(plan.character, res.name)
        plan.notes.append(message)
    elif res.name not in ("Rage", "Bardic Inspiration"):
        raise RulesError(f"{res.name} doesn't change dice rolls.")


def proficient_with(character: Character, weapon: Weapon) -> bool:
    """By the sheet's proficiencies, or as a Pact of the Blade's pact weapon (its form: proficient by the pact)."""
    profs = {_key(p) for p in character.proficiencies}
    if f"{weapon.category} weapons" in profs or weapon.name == pact_weapon(character):
        return True
    name = _key(weapon.name)
    if "," in name:  # "crossbow, light" -> "light crossbow"
        base, _, kind = name.partition(",")
        name = f"{kind.strip()} {base.strip()}"
    return name in profs or f"{name}s" in profs


_MAGIC_BONUS = re.compile(r"(?:magic|weapon|attack)?\s*\+(\d)")


def magic_bonus(item: InventoryItem) -> int:
    """A +N weapon's bonus, from its tags ("+1", "magic +2")."""
    for prop in item.properties:
        match = _MAGIC_BONUS.fullmatch(prop.strip().casefold())
        if match:
            return int(match.group(1))
    return 0


def weapon_ability(character: Character, weapon: Weapon) -> str:
    if weapon.ranged and "thrown" not in weapon.properties:
        return "DEX"
    if "finesse" in weapon.properties:
        return "DEX" if ability_modifier(character, "DEX") > ability_modifier(character, "STR") else "STR"
    return "STR"


def find_inventory_item(character: Character, name: str) -> InventoryItem | None:
    key = _key(name)
    info = find_item(name)
    canonical = _key(info.name) if info else key
    for item in character.inventory:
        if item.qty > 0 and _key(item.name) in (key, canonical):
            return item
    return None


def _apply_item(plan: RollPlan, name: str, d20: bool) -> None:
    character = plan.character
    item = find_inventory_item(character, name)
    if item is None:
        raise RulesError(f"{character.name} doesn't carry '{name}'.")
    info = find_item(item.name)
    if not isinstance(info, Weapon):
        raise RulesError(f"{item.name} doesn't add anything to a roll (only weapons do; use `!use_item` for "
                         "potions).")
    ability = weapon_ability(character, info)
    mod = ability_modifier(character, ability)
    magic = magic_bonus(item)
    if d20:
        proficient = proficient_with(character, info)
        bonus = mod + (character.proficiency_bonus if proficient else 0) + magic
        plan.terms.append(f"{bonus:+d}")
        plan.notes.append(f"{item.name}: {bonus:+d} to hit ({ability} {mod:+d}"
                          + (f", proficiency +{character.proficiency_bonus}" if proficient else ", not proficient")
                          + (f", magic +{magic}" if magic else "") + ")")
    else:
        bonus = mod + magic
        plan.terms.append(f"{bonus:+d}")
        plan.notes.append(f"{item.name}: {bonus:+d} damage ({ability} {mod:+d}" + (f", magic +{magic}" if magic else "")
                          + ")")
    plan.default_expression = info.damage or "1d20"


def plan_roll(character: Character, text: str, *, feat: str | None = None, ability: str | None = None,
              item: str | None = None) -> RollPlan:
    """What ``--feat``, ``--ability`` and ``--item`` do to the roll ``text``; refuses ones the character doesn't
    have or that don't change a roll, and spends a use where the feat or ability has uses."""
    plan = RollPlan(character=character)
    if item and not text.strip():
        found = find_inventory_item(character, item)
        info = find_item(found.name) if found else None
        if isinstance(info, Weapon) and info.damage:
            text = info.damage  # "!roll --item Longsword": the weapon's damage
    d20 = _is_d20_roll(text)
    if item:
        _apply_item(plan, item, d20)
    if feat:
        _apply_feat(plan, feat, d20)
    if ability:
        _apply_ability(plan, ability, d20)
    return plan


# --------------------------------------------------------------------------- checks and saves


@dataclass(frozen=True)
class D20Test:
    label: str
    modifier: int
    mode: RollMode | str  # "advantage", "disadvantage", "normal" or "auto_fail"
    reasons: list[str]
    bonus_dice: str = ""  # "+1d8": a Bardic Inspiration die spent on the roll

    def expression(self) -> str:
        adv = {"advantage": " adv", "disadvantage": " dis"}.get(self.mode, "")
        return f"1d20{self.modifier:+d}{self.bonus_dice} {self.label}{adv}"


def _flags(extra: str) -> tuple[bool, bool]:
    modes = {advantage_word(word) for word in extra.split()}
    return "advantage" in modes, "disadvantage" in modes


def split_check(words: list[str]) -> tuple[str, str]:
    """("Survival", "goblin 2") for `survival goblin 2`: the longest leading words that name a skill or an ability,
    and what the check is about (the rest); the words unchanged when none do."""
    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        for normalize in (normalize_skill, normalize_ability):
            try:
                normalize(head)
            except RulesError:
                continue
            return head, " ".join(words[n:])
    return " ".join(words), ""


def ability_check(character: Character, what: str, extra: str = "", about: CheckSubject | None = None) -> D20Test:
    """A skill check (with proficiency/expertise) or a plain ability check, with the conditions' effect, and what a
    ranger's Favored Enemy or Natural Explorer adds when the check is ``about`` one of them."""
    adv, dis = _flags(extra)
    reasons: list[str] = []
    try:
        skill = normalize_skill(what)
    except RulesError:
        skill = None
    proficient = False
    if skill is not None:
        label = f"{skill} check"
        mod = skill_modifier(character, skill)
        ability = SKILLS[skill]
        proficient = skill in character.skills and skill not in character.expertise
        body, _ = equipped_armor(character)
        if skill == "Stealth" and body is not None and body.stealth_disadvantage:
            dis = True
            reasons.append(f"{body.name}: disadvantage on Stealth")
    else:
        try:
            ability = normalize_ability(what)
        except RulesError:
            raise RulesError(f"'{what}' is neither a skill nor an ability. Skills: {', '.join(SKILLS)}; "
                             f"abilities: {', '.join(ABILITY_NAMES)}.") from None
        label = f"{ABILITY_NAMES[ability]} check"
        mod = ability_modifier(character, ability)
    favored, doubled, notes = check_bonuses(character, skill, ability, about, proficient)
    adv, mod, reasons = adv or favored, mod + doubled, reasons + notes
    if about is not None:
        label += f" ({about.name})"
    mode = ability_check_mode(character.conditions, character.exhaustion, advantage=adv, disadvantage=dis)
    reasons += _condition_reasons(character)
    return D20Test(label=label, modifier=mod, mode=mode, reasons=reasons)


def saving_throw(character: Character, what: str, extra: str = "") -> D20Test:
    adv, dis = _flags(extra)
    ability = normalize_ability(what)
    mod = saving_throw_modifier(character, ability)
    mode = saving_throw_mode(character.conditions, ability, character.exhaustion, advantage=adv, disadvantage=dis)
    return D20Test(label=f"{ABILITY_NAMES[ability]} saving throw", modifier=mod, mode=mode,
                   reasons=_condition_reasons(character))


def _condition_reasons(character: Character) -> list[str]:
    out = list(character.conditions)
    if character.exhaustion:
        out.append(f"Exhaustion {character.exhaustion}")
    return out


# --------------------------------------------------------------------------- hit points and items


def set_hp(character: Character, value: int) -> Character:
    """Set current hit points (0 to the maximum). Dropping to 0 makes the character unconscious; coming back
    from 0 ends it and resets death saves."""
    cap = effective_max_hp(character)
    if not 0 <= value <= cap:
        raise RulesError(f"Hit points must be between 0 and {character.name}'s maximum of {cap} (got {value}).")
    conditions = list(character.conditions)
    update: dict[str, object] = {"hp": value}
    if value == 0 and "Unconscious" not in conditions:
        update["conditions"] = [*conditions, "Unconscious"]
    elif value > 0 and character.hp == 0:
        update["conditions"] = [c for c in conditions if c != "Unconscious"]
        update["death_saves"] = DeathSaves()
    return character.model_copy(update=update)


def heal(character: Character, amount: int) -> tuple[Character, int]:
    """Regain hit points up to the maximum; returns the character and the hit points actually regained."""
    cap = effective_max_hp(character)
    new_hp = min(cap, character.hp + max(0, amount))
    return set_hp(character, new_hp), new_hp - character.hp


def gain_temp_hp(character: Character, amount: int) -> tuple[Character, int]:
    """Temporary hit points don't stack (SRD): the character keeps the higher of what it has and ``amount``.
    Returns the character and its temporary hit points now."""
    kept = max(character.temp_hp, max(0, amount))
    return character.model_copy(update={"temp_hp": kept}), kept


def raise_hit_point_maximum(character: Character, amount: int) -> tuple[Character, int]:
    """Aid: the hit point maximum and current hit points rise by ``amount``; a second casting doesn't add to the
    first (the higher raise applies). Returns the character and how much both rose now."""
    rise = max(0, amount - character.hp_max_bonus)
    raised = character.model_copy(update={"hp_max_bonus": character.hp_max_bonus + rise,
                                          "max_hp": character.max_hp + rise})
    return (set_hp(raised, min(effective_max_hp(raised), raised.hp + rise)) if rise else raised), rise


# SRD "Improvising Damage", the setback column: (highest character level, dice).
IMPROVISED_SETBACK_DICE: tuple[tuple[int, str], ...] = ((4, "1d10"), (10, "2d10"), (16, "4d10"), (20, "10d10"))


def improvised_damage_dice(level: int) -> str:
    """The setback die for a character of `level` (1d10 at 1–4, 2d10 at 5–10, 4d10 at 11–16, 10d10 at 17–20)."""
    return next(dice for highest, dice in IMPROVISED_SETBACK_DICE if level <= highest)


@dataclass(frozen=True)
class BoundedHpChange:
    """A narrated hit point change as the engine allows it: `applied` is the signed change actually made."""

    character: Character
    roll: RollResult
    applied: int


def bounded_hp_change(character: Character, amount: int, rng: random.Random) -> BoundedHpChange:
    """Damage (negative `amount`) or healing (positive) the narrator proposed, bounded by the improvised
    damage the engine rolls for the character's level: min(|amount|, roll), HP kept within 0 and the maximum
    (at 0 the character falls unconscious, as `set_hp` does)."""
    rolled = roll(f"{improvised_damage_dice(character.level)} improvised damage", rng)
    size = min(abs(amount), rolled.total)
    if amount < 0:
        new_hp = max(0, character.hp - size)
    else:
        new_hp = max(character.hp, min(effective_max_hp(character), character.hp + size))
    if new_hp == character.hp:
        return BoundedHpChange(character, rolled, 0)
    # Above a maximum halved by exhaustion, damage only lowers the number (set_hp refuses values over it).
    updated = set_hp(character, new_hp) if new_hp <= effective_max_hp(character) else \
        character.model_copy(update={"hp": new_hp})
    return BoundedHpChange(updated, rolled, new_hp - character.hp)


@dataclass(frozen=True)
class ItemUse:
    """What using a consumable did, as data (``dnd.render`` words it): a potion's roll and the hit points
    regained (``healed``, from ``hp_before`` to ``hp_after`` of ``max_hp``), or rations eaten (``eats``)."""

    character: Character  # after the use
    user: str
    item: str  # the catalogue's name for it
    roll: RollResult | None = None
    consumed: str | None = None
    healed: int = 0
    hp_before: int = 0
    hp_after: int = 0
    max_hp: int = 0
    eats: str | None = None  # what eating the consumable is called ("eats a day's rations")


CONSUMED_WITHOUT_EFFECT = {"Rations (1 day)": "eats a day's rations"}


def use_item(character: Character, name: str, rng: random.Random) -> ItemUse:
    """Use a consumable: a healing potion rolls its dice and heals; rations are eaten. One is removed."""
    item = find_inventory_item(character, name)
    if item is None:
        raise RulesError(f"{character.name} doesn't carry '{name}'.")
    info = find_item(item.name)
    if info is not None and info.heal:
        result = roll(f"{info.heal} {info.name}", rng)
        after = remove_item(character, item.name)
        healed_character, healed = heal(after, result.total)
        return ItemUse(healed_character, character.name, info.name, result, item.name, healed=healed,
                       hp_before=character.hp, hp_after=healed_character.hp, max_hp=character.max_hp)
    if info is not None and info.name in CONSUMED_WITHOUT_EFFECT:
        after = remove_item(character, item.name)
        return ItemUse(after, character.name, info.name, None, item.name, eats=CONSUMED_WITHOUT_EFFECT[info.name])
    what = "Weapons are used with `!roll … --item`" if isinstance(info, Weapon) else "It has no effect to use"
    raise RulesError(f"{item.name} isn't something you can use up. {what}.")
