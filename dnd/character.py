"""The character as stored (plain pydantic data) and the pure functions that derive values from it.

A :class:`Character` keeps the player's *choices* (race, base scores, racial bonus picks, one
:class:`LevelRecord` per level with the hit point roll, ASI or feat and subclass) next to the *current*
state (hp, spent hit dice and slots, resource uses, conditions, inventory, coins). Derived values
(ability scores, max hp, slot maxima, resource maxima, features, saving throws) are stored too, so the
sheet can be shown without the engine, and :func:`recompute` rebuilds them from the choices and reports
what differed (for the owner's ``!resync_character``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, model_validator

from dnd.abilities import apply_proficiency, modifier, normalize_ability, normalize_skill, passive_score
from dnd.data.backgrounds import find_background
from dnd.data.classes import ClassInfo, Recovery, ResourceSpec, find_subclass
from dnd.data.conditions import CONDITIONS
from dnd.data.equipment import Armor, find_item
from dnd.data.feats import find_feat
from dnd.data.races import find_race, find_subrace
from dnd.data.skills import ABILITIES, SKILLS
from dnd.data.tables import ABILITY_SCORE_CAP, MAX_LEVEL, proficiency_bonus_for
from dnd.errors import RulesError
from dnd.frozen import Frozen
from dnd.progression import (
    features_through,
    get_class,
    multiclass_pact_slots,
    multiclass_spell_slots,
)
from dnd.wealth import Wealth, coin_weight

HpMethod = Literal["max", "average", "roll"]
# A ranger's Favored Enemy comes with a language of its own choosing (dnd.class_choices); derive() adds it.
FAVORED_ENEMY_LANGUAGE = "Favored Enemy Language"
# A warlock's invocations: those learned at a level (comma-separated) and one swapped ("Old → New"), read here
# because the AC and the attacks need them (the choices themselves: dnd.class_choices).
ELDRITCH_INVOCATIONS = "Eldritch Invocations"
INVOCATION_SWAP = "Invocation Swap"
SWAP_ARROW = " → "
# A Hunter ranger's options: the one chosen at each of these points is a feature of the character (compute_features
# adds it; the fight reads Colossus Slayer, Multiattack Defense, Steel Will, Evasion and Uncanny Dodge).
HUNTER_POINTS = ("Hunter's Prey", "Defensive Tactics", "Multiattack", "Superior Hunter's Defense")
# A Lore bard's three skills of Bonus Proficiencies (comma-separated), added to the skills by derive().
BONUS_PROFICIENCIES = "Bonus Proficiencies"
# A Land druid's land, whose circle spells are always prepared (dnd.spellcasting.always_prepared).
CIRCLE_LAND = "Circle Land"
# A Wizard's two Spell Mastery spells (1st and 2nd level) and two Signature Spells (3rd), comma-separated; each
# Signature Spell has a free use, a resource regained on a short or long rest (resource_maxima).
SPELL_MASTERY = "Spell Mastery"
SIGNATURE_SPELLS = "Signature Spells"


class InventoryItem(Frozen):
    """An item carried: ``weight`` is per unit, ``properties`` are free tags ("finesse", "ac+1")."""

    name: str
    qty: int = Field(1, ge=0)
    weight: float = Field(0.0, ge=0)
    properties: list[str] = Field(default_factory=list)
    equipped: bool = False


class Resource(Frozen):
    """A feat or ability with limited uses: ``uses``/``max_uses`` is e.g. Lucky 3/3.
    ``max_uses`` None means no limit (Rage at barbarian 20, or a feat with no uses to track)."""

    name: str
    uses: int | None = None
    max_uses: int | None = None
    recovery: Recovery = "long"
    source: str = ""

    @property
    def limited(self) -> bool:
        return self.max_uses is not None


class LevelRecord(Frozen):
    """The choices made when a level was gained (the first one is made at character creation)."""

    class_name: str
    class_level: int = Field(ge=1, le=MAX_LEVEL)
    hp_method: HpMethod = "average"
    hp_roll: int = Field(ge=1)  # the hit die's value: its maximum, its average (X/2+1) or the roll
    asi: dict[str, int] = Field(default_factory=dict)
    feat: str | None = None
    feat_ability: str | None = None  # the +1 of a feat that lets you choose (Observant)
    subclass: str | None = None
    skills: list[str] = Field(default_factory=list)  # skills gained by multiclassing into this class
    choices: dict[str, str] = Field(default_factory=dict)  # {"Fighting Style": "Defense"}: dnd.class_choices


class WildShape(Frozen):
    """A druid in a beast's shape (`dnd.wild_shape`): the beast's own hit points and its stat block (the compendium's
    entry), which stand in for the druid's in a fight; the druid's own hit points stay in ``Character.hp``."""

    beast: str
    hp: int = Field(ge=0)
    max_hp: int = Field(ge=1)
    stat_block: dict[str, Any] = Field(default_factory=dict)


class DeathSaves(Frozen):
    successes: int = Field(0, ge=0, le=3)
    failures: int = Field(0, ge=0, le=3)


class Character(Frozen):
    """A player character as stored. ``class_levels`` keeps insertion order; ``primary_class`` (the class
    taken at 1st level, which gives the saving throws) is filled from its first key when omitted, so the
    order survives storage in JSONB, which does not keep key order."""

    name: str
    race: str
    subrace: str | None = None
    background: str = ""
    class_levels: dict[str, int]
    primary_class: str = ""
    subclasses: dict[str, str] = Field(default_factory=dict)
    base_scores: dict[str, int]
    racial_bonuses: dict[str, int] = Field(default_factory=dict)
    ability_scores: dict[str, int] = Field(default_factory=dict)
    skills: list[str] = Field(default_factory=list)
    expertise: list[str] = Field(default_factory=list)
    saving_throws: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    proficiencies: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)
    hp: int = Field(0, ge=0)
    max_hp: int = Field(0, ge=0)
    temp_hp: int = Field(0, ge=0)
    hp_max_bonus: int = Field(0, ge=0)  # Aid's raise of the hit point maximum (in max_hp), until a long rest
    hit_dice: dict[str, int] = Field(default_factory=dict)  # remaining, e.g. {"d10": 3}
    xp: int = Field(0, ge=0)
    inventory: list[InventoryItem] = Field(default_factory=list)
    wealth: Wealth = Field(default_factory=Wealth)
    feats: list[Resource] = Field(default_factory=list)
    abilities: list[Resource] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    exhaustion: int = Field(0, ge=0, le=6)
    spell_slots: dict[int, int] = Field(default_factory=dict)
    spell_slots_max: dict[int, int] = Field(default_factory=dict)
    pact_slots: int = Field(0, ge=0)
    pact_slots_max: int = Field(0, ge=0)
    pact_slot_level: int = Field(0, ge=0, le=5)
    cantrips: list[str] = Field(default_factory=list)
    spells_known: list[str] = Field(default_factory=list)  # known spells, or a wizard's spellbook
    spells_prepared: list[str] = Field(default_factory=list)
    can_prepare: bool = True  # a long rest ended since the prepared spells were last changed (`!prepare`)
    death_saves: DeathSaves = Field(default_factory=DeathSaves)
    history: list[LevelRecord] = Field(default_factory=list)
    draconic_ancestry: str | None = None
    inspiration_die: int = Field(0, ge=0, le=12)  # a Bardic Inspiration die given to this character, until spent
    wild_shape: WildShape | None = None  # a druid's beast shape, until it reverts

    @model_validator(mode="before")
    @classmethod
    def _fill_primary_class(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("primary_class") and data.get("class_levels"):
            data = {**data, "primary_class": next(iter(data["class_levels"]))}
        return data

    @model_validator(mode="after")
    def _check_levels(self) -> Character:
        if not self.class_levels:
            raise ValueError("a character needs at least one class level")
        if any(not 1 <= v <= MAX_LEVEL for v in self.class_levels.values()):
            raise ValueError("class levels run from 1 to 20")
        if sum(self.class_levels.values()) > MAX_LEVEL:
            raise ValueError("total character level can't exceed 20")
        return self

    @property
    def level(self) -> int:
        return sum(self.class_levels.values())

    @property
    def proficiency_bonus(self) -> int:
        return proficiency_bonus_for(self.level)


# --------------------------------------------------------------------------- ability scores & checks


def compute_ability_scores(character: Character) -> dict[str, int]:
    """Base scores + racial bonuses + every ASI and feat increase in the history (capped at 20)."""
    scores = {a: character.base_scores.get(a, 10) + character.racial_bonuses.get(a, 0) for a in ABILITIES}
    for rec in character.history:
        increases: dict[str, int] = dict(rec.asi)
        feat = find_feat(rec.feat) if rec.feat else None
        if feat is not None:
            for a, v in feat.ability_increase.items():
                increases[a] = increases.get(a, 0) + v
        if rec.feat_ability:
            a = normalize_ability(rec.feat_ability)
            increases[a] = increases.get(a, 0) + 1
        for a, v in increases.items():
            code = normalize_ability(a)
            scores[code] = min(ABILITY_SCORE_CAP, scores[code] + v)
    return scores


def scores_of(character: Character) -> dict[str, int]:
    """The stored ability scores (falling back to a fresh computation if they were never stored)."""
    return dict(character.ability_scores) if character.ability_scores else compute_ability_scores(character)


def ability_modifier(character: Character, ability: str) -> int:
    return modifier(scores_of(character)[normalize_ability(ability)])


def _has_feat(character: Character, name: str) -> bool:
    return any(f.name.casefold() == name.casefold() for f in character.feats) or any(
        (r.feat or "").casefold() == name.casefold() for r in character.history
    )


def class_level(character: Character, class_name: str) -> int:
    return next((v for k, v in character.class_levels.items() if k.casefold() == class_name.casefold()), 0)


def subclass_of(character: Character, class_name: str) -> str | None:
    return next((v for k, v in character.subclasses.items() if k.casefold() == class_name.casefold()), None)


def _jack_of_all_trades(character: Character) -> bool:
    return class_level(character, "Bard") >= 2


def _remarkable_athlete(character: Character) -> bool:
    sub = subclass_of(character, "Fighter")
    return class_level(character, "Fighter") >= 7 and sub is not None and sub.casefold() == "champion"


def skill_modifier(character: Character, skill: str) -> int:
    """Ability modifier + proficiency (x2 with expertise; half with Jack of All Trades; half rounded up
    for STR/DEX/CON checks with Remarkable Athlete)."""
    name = normalize_skill(skill)
    ability = SKILLS[name]
    proficient = name in {normalize_skill(s) for s in character.skills}
    expert = name in {normalize_skill(s) for s in character.expertise}
    base = ability_modifier(character, ability)
    pb = character.proficiency_bonus
    if proficient or expert:
        return apply_proficiency(base, pb, proficient=proficient, expertise=expert)
    if _remarkable_athlete(character) and ability in ("STR", "DEX", "CON"):
        return apply_proficiency(base, pb, proficient=False, half=True, round_up=True)
    return apply_proficiency(base, pb, proficient=False, half=_jack_of_all_trades(character))


def saving_throw_modifier(character: Character, ability: str) -> int:
    """Ability modifier + proficiency where proficient (every save with Diamond Soul, Monk 14), + a Paladin's
    own Aura of Protection from 6th level (CHA modifier, at least +1; allies in the aura are the DM's call)."""
    code = normalize_ability(ability)
    proficient = code in character.saving_throws or class_level(character, "Monk") >= 14
    bonus = apply_proficiency(ability_modifier(character, code), character.proficiency_bonus, proficient=proficient)
    if class_level(character, "Paladin") >= 6:
        bonus += max(1, ability_modifier(character, "CHA"))
    return bonus


def passive_perception(character: Character) -> int:
    bonus = 5 if _has_feat(character, "Observant") else 0
    return passive_score(skill_modifier(character, "Perception"), bonus=bonus)


def initiative_bonus(character: Character) -> int:
    """DEX modifier + Alert's +5 + half proficiency from Jack of All Trades / Remarkable Athlete."""
    bonus = ability_modifier(character, "DEX")
    pb = character.proficiency_bonus
    if _remarkable_athlete(character):
        bonus += -(-pb // 2)
    elif _jack_of_all_trades(character):
        bonus += pb // 2
    for feat in character.feats:
        info = find_feat(feat.name)
        if info is not None:
            bonus += info.initiative_bonus
    return bonus


# --------------------------------------------------------------------------- armor class, speed, weight


def equipped_armor(character: Character) -> tuple[Armor | None, Armor | None]:
    """(body armor, shield) among equipped inventory items."""
    body: Armor | None = None
    shield: Armor | None = None
    for item in character.inventory:
        if not item.equipped or item.qty <= 0:
            continue
        info = find_item(item.name)
        if isinstance(info, Armor):
            if info.category == "shield":
                shield = shield or info
            elif body is None or info.base_ac > body.base_ac:
                body = info
    return body, shield


def _item_ac_bonus(character: Character) -> int:
    """Magic bonuses written as item properties like "ac+1" on equipped items."""
    total = 0
    for item in character.inventory:
        if not item.equipped:
            continue
        for prop in item.properties:
            p = prop.replace(" ", "").casefold()
            if p.startswith("ac+") and p[3:].isdigit():
                total += int(p[3:])
    return total


def armor_class(character: Character) -> int:
    """Armor (with its DEX cap) or the best unarmored option: 10 + DEX, Barbarian 10 + DEX + CON
    (shield allowed), Monk 10 + DEX + WIS (no shield), Draconic Resilience and a warlock's Armor of Shadows (Mage
    Armor) 13 + DEX; +2 for a shield."""
    body, shield = equipped_armor(character)
    dex = ability_modifier(character, "DEX")
    if body is not None:
        ac = body.base_ac + (dex if body.dex_cap is None else min(dex, body.dex_cap))
    else:
        options = [10 + dex]
        for cls in character.class_levels:
            info = get_class(cls)
            if info.unarmored_ac_ability and (shield is None or info.unarmored_shield_ok):
                options.append(10 + dex + ability_modifier(character, info.unarmored_ac_ability))
            sub_name = subclass_of(character, cls)
            sub = find_subclass(info.name, sub_name) if sub_name else None
            if sub is not None and sub.unarmored_ac_ability:
                options.append(13 + ability_modifier(character, sub.unarmored_ac_ability))
        if "Armor of Shadows" in invocations(character):
            options.append(13 + dex)  # Mage Armor on itself at will: kept on whenever no armor is worn
        ac = max(options)
    if shield is not None:
        ac += shield.base_ac
    if body is not None and has_fighting_style(character, "Defense"):
        ac += 1
    return ac + _item_ac_bonus(character)


def invocations(character: Character) -> list[str]:
    """The Eldritch Invocations known now: each level's new ones, with each level's swap applied in order."""
    known: list[str] = []
    if not class_level(character, "Warlock"):  # asked at every weapon attack of a fight
        return known
    for record in character.history:
        known += [n.strip() for n in record.choices.get(ELDRITCH_INVOCATIONS, "").split(",") if n.strip()]
        old, _, new = record.choices.get(INVOCATION_SWAP, "").partition(SWAP_ARROW)
        if old in known and new:
            known[known.index(old)] = new
    return known


def comma_names(value: str) -> list[str]:
    """"Protection from Evil and Good, Misty Step" -> the two names (only commas part them)."""
    return [n.strip() for n in value.split(",") if n.strip()]


def choice_names(character: Character, point: str) -> list[str]:
    """The names chosen at a class choice point over the levels (a comma-separated answer gives several)."""
    return [n for record in character.history for n in comma_names(record.choices.get(point, ""))]


def signature_spell_use(spell: str) -> str:
    """The resource of a Signature Spell's free casting: "Signature Spell (Fireball)"."""
    return f"Signature Spell ({spell})"


def has_fighting_style(character: Character, style: str) -> bool:
    """A Fighting Style chosen at some level (the choices and their effects: `dnd.class_choices`)."""
    return any(r.choices.get("Fighting Style") == style for r in character.history)


def base_speed(character: Character) -> int:
    race = find_race(character.race)
    return race.speed if race else 30


def speed(character: Character) -> int:
    """Walking speed in feet after armor, class features, feats, conditions and exhaustion."""
    race = find_race(character.race)
    value = base_speed(character)
    body, shield = equipped_armor(character)
    scores = scores_of(character)
    if body is not None and body.str_minimum and scores["STR"] < body.str_minimum:
        if not (race and race.heavy_armor_no_speed_penalty):
            value -= 10
    if class_level(character, "Barbarian") >= 5 and not (body and body.category == "heavy"):
        value += 10  # Fast Movement
    monk = class_level(character, "Monk")
    if monk >= 2 and body is None and shield is None:
        extra = get_class("Monk").extras["unarmored_movement"]
        value += int(next(v for lvl, v in reversed(extra) if monk >= lvl) or 0)
    for feat in character.feats:
        info = find_feat(feat.name)
        if info is not None:
            value += info.speed_bonus
    if any(CONDITIONS[c].speed_zero for c in character.conditions if c in CONDITIONS):
        return 0
    if character.exhaustion >= 5:
        return 0
    if character.exhaustion >= 2:
        value //= 2
    return max(0, value)


def carry_weight(character: Character, include_coins: bool = True) -> float:
    """Total weight carried in pounds (items x quantity, plus 1 lb per 50 coins)."""
    total = sum(item.qty * item.weight for item in character.inventory)
    if include_coins:
        total += coin_weight(character.wealth)
    return round(total, 2)


def carrying_capacity(character: Character) -> int:
    """STR score x 15 pounds (no encumbrance penalties are applied by the engine)."""
    return scores_of(character)["STR"] * 15


# --------------------------------------------------------------------------- spellcasting numbers


def spellcasting_classes(character: Character) -> list[str]:
    return [c for c in character.class_levels if get_class(c).spellcasting_ability]


def _spell_ability(character: Character, class_name: str | None) -> str:
    if class_name is None:
        casters = spellcasting_classes(character)
        if not casters:
            raise RulesError(f"{character.name} has no spellcasting class.")
        class_name = casters[0]
    info = get_class(class_name)
    if info.spellcasting_ability is None:
        raise RulesError(f"The {info.name} has no spellcasting ability.")
    return info.spellcasting_ability


def spell_save_dc(character: Character, class_name: str | None = None) -> int:
    """8 + proficiency bonus + spellcasting ability modifier (of ``class_name`` or the first caster class)."""
    ability = _spell_ability(character, class_name)
    return 8 + character.proficiency_bonus + ability_modifier(character, ability)


def spell_attack_bonus(character: Character, class_name: str | None = None) -> int:
    return character.proficiency_bonus + ability_modifier(character, _spell_ability(character, class_name))


# --------------------------------------------------------------------------- hit points and hit dice


def average_hp_roll(hit_die: int) -> int:
    """The fixed value a level gives instead of rolling: X/2 + 1."""
    return hit_die // 2 + 1


def hp_gain(hit_die_value: int, con_mod: int) -> int:
    """Hit points for one level: the die value + CON modifier, at least 1."""
    return max(1, hit_die_value + con_mod)


def max_hp_at_level(hit_dice: Iterable[int], con_mod: int, *, rolls: Iterable[int | None] = (),
                    per_level_bonus: int = 0) -> int:
    """Max hp for a sequence of per-level hit dice (first = 1st level, which takes the die's maximum).
    ``rolls`` gives the die value rolled for each later level; a missing or None roll takes the
    average (X/2+1). ``per_level_bonus`` is added per level (Hill Dwarf +1, Tough +2)."""
    dice = list(hit_dice)
    roll_list = list(rolls)
    total = 0
    for i, die in enumerate(dice):
        if i == 0:
            value = die
        else:
            r = roll_list[i - 1] if i - 1 < len(roll_list) else None
            value = average_hp_roll(die) if r is None else r
        total += hp_gain(value, con_mod) + per_level_bonus
    return total


def _per_level_hp_bonus(character: Character) -> int:
    bonus = 0
    sub = find_subrace(character.subrace) if character.subrace else None
    if sub is not None:
        bonus += sub.hp_per_level
    for feat in {f.name for f in character.feats} | {r.feat for r in character.history if r.feat}:
        info = find_feat(feat)
        if info is not None:
            bonus += info.hp_per_level
    return bonus


def _records(character: Character) -> list[LevelRecord]:
    """The level history, completed with average-hp records for levels that have none (old data)."""
    records = list(character.history)
    seen: dict[str, int] = {}
    for rec in records:
        key = get_class(rec.class_name).name
        seen[key] = max(seen.get(key, 0), rec.class_level)
    for cls, lvl in character.class_levels.items():
        info = get_class(cls)
        for class_level in range(seen.get(info.name, 0) + 1, lvl + 1):
            first = not records
            value = info.hit_die if first else average_hp_roll(info.hit_die)
            records.append(LevelRecord(class_name=info.name, class_level=class_level,
                                       hp_method="max" if first else "average", hp_roll=value))
    return records


def compute_max_hp(character: Character, scores: dict[str, int] | None = None) -> int:
    """Max hp from the level history: each level's die value + the *current* CON modifier (min 1 per
    level), plus per-level bonuses (Hill Dwarf, Tough), Draconic Resilience's 1 per sorcerer level and Aid's
    raise (``hp_max_bonus``)."""
    con_mod = modifier((scores or compute_ability_scores(character))["CON"])
    per_level = _per_level_hp_bonus(character)
    sorcerer = subclass_of(character, "Sorcerer")
    resilience = class_level(character, "Sorcerer") if (sorcerer or "").casefold() == "draconic" else 0
    return (sum(hp_gain(r.hp_roll, con_mod) + per_level for r in _records(character)) + resilience
            + character.hp_max_bonus)


def effective_max_hp(character: Character) -> int:
    """Max hp with exhaustion level 4+ halving it."""
    return character.max_hp // 2 if character.exhaustion >= 4 else character.max_hp


def hit_dice_max(character: Character) -> dict[str, int]:
    """Hit dice by size: one per class level, e.g. Fighter 3 / Wizard 2 -> {"d10": 3, "d6": 2}."""
    out: dict[str, int] = {}
    for cls, lvl in character.class_levels.items():
        key = f"d{get_class(cls).hit_die}"
        out[key] = out.get(key, 0) + lvl
    return dict(sorted(out.items(), key=lambda kv: -int(kv[0][1:])))


# --------------------------------------------------------------------------- derived state


def _spec_resource(spec: ResourceSpec, level: int, scores: dict[str, int], source: str) -> Resource | None:
    if level < spec.min_level:
        return None
    mod = modifier(scores[spec.ability]) if spec.ability else 0
    maximum = spec.maximum(level, mod)
    if maximum == 0:
        return None
    return Resource(name=spec.name, uses=maximum, max_uses=maximum, recovery=spec.recovery_at(level),
                    source=source)


def resource_maxima(character: Character, scores: dict[str, int] | None = None) -> list[Resource]:
    """Class, subclass and racial resources at full uses for this character."""
    scores = scores or compute_ability_scores(character)
    found: dict[str, Resource] = {}

    def add(res: Resource | None) -> None:
        if res is None:
            return
        old = found.get(res.name)
        bigger = old is not None and old.max_uses is not None and (
            res.max_uses is None or res.max_uses > old.max_uses)
        if old is None or bigger:
            found[res.name] = res

    for cls, lvl in character.class_levels.items():
        info = get_class(cls)
        for spec in info.resources:
            add(_spec_resource(spec, lvl, scores, info.name))
        sub_name = subclass_of(character, info.name)
        sub = find_subclass(info.name, sub_name) if sub_name else None
        if sub is not None:
            for spec in sub.resources:
                add(_spec_resource(spec, lvl, scores, sub.full_name))
    for spell in choice_names(character, SIGNATURE_SPELLS):  # each cast once at 3rd level without a slot
        add(Resource(name=signature_spell_use(spell), uses=1, max_uses=1, recovery="short", source="Wizard"))
    race = find_race(character.race)
    if race is not None:
        for spec in race.resources:
            add(_spec_resource(spec, character.level, scores, race.name))
    return list(found.values())


def feat_entries(character: Character) -> list[Resource]:
    """The character's feats (from ``feats`` and the level history) with their use limits."""
    names: list[str] = []
    for name in [f.name for f in character.feats] + [r.feat for r in character.history if r.feat]:
        info = find_feat(name)
        canonical = info.name if info else name
        if canonical not in names:
            names.append(canonical)
    out: list[Resource] = []
    for name in names:
        info = find_feat(name)
        if info is not None and info.uses is not None:
            out.append(Resource(name=name, uses=info.uses, max_uses=info.uses, recovery=info.recovery,
                                source="feat"))
        else:
            out.append(Resource(name=name, recovery="none", source="feat"))
    return out


def merge_uses(old: Iterable[Resource], new: Iterable[Resource], *, grow: bool) -> list[Resource]:
    """Carry current uses from ``old`` into ``new`` maxima. With ``grow`` (a level up) the uses rise by
    as much as the maximum did; otherwise they are only clamped to the new maximum."""
    previous = {r.name: r for r in old}
    out: list[Resource] = []
    for res in new:
        before = previous.get(res.name)
        if res.max_uses is None:
            out.append(res.model_copy(update={"uses": None}))
            continue
        if before is None or before.uses is None or before.max_uses is None:
            uses = res.max_uses
        elif grow:
            uses = before.uses + max(0, res.max_uses - before.max_uses)
        else:
            uses = before.uses
        out.append(res.model_copy(update={"uses": max(0, min(res.max_uses, uses))}))
    return out


def required_proficiencies(character: Character) -> list[str]:
    """Armor, weapon and tool proficiencies the character's race, classes, subclasses and background
    give automatically (tool choices are stored separately in ``proficiencies``)."""
    out: list[str] = []

    def add(names: Iterable[str]) -> None:
        out.extend(n for n in names if n not in out)

    primary = get_class(character.primary_class or next(iter(character.class_levels))).name
    for cls in character.class_levels:
        info: ClassInfo = get_class(cls)
        if info.name == primary:
            add(info.armor + info.weapons + info.tools)
        else:
            add(info.multiclass_proficiencies)
        sub_name = subclass_of(character, info.name)
        sub = find_subclass(info.name, sub_name) if sub_name else None
        if sub is not None and class_level(character, info.name) >= info.subclass_level:
            add(sub.proficiencies)
    race = find_race(character.race)
    if race is not None:
        add(race.proficiencies)
    sub_race = find_subrace(character.subrace) if character.subrace else None
    if sub_race is not None:
        add(sub_race.proficiencies)
    bg = find_background(character.background) if character.background else None
    if bg is not None:
        add(bg.tools)
    return out


def required_skills(character: Character) -> list[str]:
    out: list[str] = []
    race = find_race(character.race)
    if race is not None:
        out.extend(race.skills)
    bg = find_background(character.background) if character.background else None
    if bg is not None:
        out.extend(s for s in bg.skills if s not in out)
    return out


def compute_features(character: Character) -> list[str]:
    out: list[str] = []
    for cls, lvl in character.class_levels.items():
        for name in features_through(cls, lvl, subclass_of(character, cls)):
            if name not in out:
                out.append(name)
    out += [n for point in HUNTER_POINTS for n in choice_names(character, point) if n not in out]
    return out


def _clamp_slots(current: dict[int, int], maximum: dict[int, int],
                 old_max: dict[int, int] | None) -> dict[int, int]:
    out: dict[int, int] = {}
    for lvl, mx in maximum.items():
        if old_max is None:
            cur = current.get(lvl, mx)
        else:
            cur = current.get(lvl, 0) + max(0, mx - old_max.get(lvl, 0))
        out[lvl] = max(0, min(mx, cur))
    return out


def derive(character: Character, *, grow_from: Character | None = None) -> Character:
    """Rebuild every derived field from the stored choices.

    Current values are kept and clamped to the new maxima; with ``grow_from`` (the character before a
    level up) they also rise by as much as each maximum rose (new slots and resource uses arrive full,
    spent ones stay spent, hp rises by the max hp gained).
    """
    scores = compute_ability_scores(character)
    primary = get_class(character.primary_class or next(iter(character.class_levels)))
    max_hp = compute_max_hp(character, scores)
    slots_max = multiclass_spell_slots(character.class_levels)
    pact_count, pact_level = multiclass_pact_slots(character.class_levels)

    prev = grow_from or character
    grow = grow_from is not None
    if grow_from is not None:
        hp = min(max_hp, character.hp + max(0, max_hp - grow_from.max_hp))
        hd: dict[str, int] = {}
        old_max = hit_dice_max(grow_from)
        for die, mx in hit_dice_max(character).items():
            cur = grow_from.hit_dice.get(die, old_max.get(die, 0)) + mx - old_max.get(die, 0)
            hd[die] = max(0, min(mx, cur))
        slots = _clamp_slots(character.spell_slots, slots_max, grow_from.spell_slots_max)
        pact = min(pact_count, character.pact_slots + max(0, pact_count - grow_from.pact_slots_max))
    else:
        hp = min(character.hp, max_hp)
        hd = {die: max(0, min(mx, character.hit_dice.get(die, mx)))
              for die, mx in hit_dice_max(character).items()}
        slots = _clamp_slots(character.spell_slots, slots_max, None)
        pact = min(character.pact_slots, pact_count) if character.pact_slots_max else pact_count

    proficiencies = list(character.proficiencies)
    proficiencies += [p for p in required_proficiencies(character) if p not in proficiencies]
    skills = list(character.skills)
    skills += [s for s in [*required_skills(character), *choice_names(character, BONUS_PROFICIENCIES)]
               if s not in skills]
    race = find_race(character.race)
    languages = list(character.languages)
    if race is not None:
        languages = [*race.languages, *[lang for lang in languages if lang not in race.languages]]
    languages += [r.choices[FAVORED_ENEMY_LANGUAGE] for r in character.history
                  if FAVORED_ENEMY_LANGUAGE in r.choices and r.choices[FAVORED_ENEMY_LANGUAGE] not in languages]

    return character.model_copy(update={
        "ability_scores": scores,
        "saving_throws": list(primary.saving_throws),
        "max_hp": max_hp,
        "hp": hp,
        "hit_dice": hd,
        "spell_slots_max": slots_max,
        "spell_slots": slots,
        "pact_slots_max": pact_count,
        "pact_slot_level": pact_level,
        "pact_slots": pact,
        "features": compute_features(character),
        "abilities": merge_uses(prev.abilities, resource_maxima(character, scores), grow=grow),
        "feats": merge_uses(prev.feats, feat_entries(character), grow=grow),
        "proficiencies": proficiencies,
        "skills": skills,
        "languages": languages,
        "primary_class": primary.name if not character.primary_class else character.primary_class,
    })


def _fmt(value: object) -> str:
    if isinstance(value, list) and value and isinstance(value[0], Resource):
        return ", ".join(f"{r.name} {r.uses}/{r.max_uses}" if r.limited else r.name for r in value) or "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)


_REPORTED_FIELDS: tuple[str, ...] = (
    "ability_scores", "max_hp", "hp", "saving_throws", "hit_dice", "spell_slots_max", "spell_slots",
    "pact_slots_max", "pact_slot_level", "pact_slots", "features", "abilities", "feats", "proficiencies",
    "skills", "languages",
)


def recompute(character: Character) -> tuple[Character, list[str]]:
    """Recompute all derived values from the stored choices; return the fixed character and one line per
    field that differed (empty when the sheet was already consistent)."""
    fixed = derive(character)
    changes: list[str] = []
    for name in _REPORTED_FIELDS:
        before = getattr(character, name)
        after = getattr(fixed, name)
        if before == after:
            continue
        if isinstance(before, list) and isinstance(after, list) and name in ("features", "proficiencies",
                                                                            "skills", "languages"):
            added = [x for x in after if x not in before]
            removed = [x for x in before if x not in after]
            if not added and not removed:
                continue
            parts = []
            if added:
                parts.append("added " + ", ".join(added))
            if removed:
                parts.append("removed " + ", ".join(removed))
            changes.append(f"{name}: " + "; ".join(parts))
            continue
        changes.append(f"{name}: {_fmt(before)} -> {_fmt(after)}")
    return fixed, changes


def summary(character: Character) -> dict[str, object]:
    """Derived numbers for a character sheet."""
    return {
        "level": character.level,
        "proficiency_bonus": character.proficiency_bonus,
        "ability_modifiers": {a: modifier(s) for a, s in scores_of(character).items()},
        "armor_class": armor_class(character),
        "initiative": initiative_bonus(character),
        "speed": speed(character),
        "passive_perception": passive_perception(character),
        "carry_weight": carry_weight(character),
        "carrying_capacity": carrying_capacity(character),
        "hit_dice_max": hit_dice_max(character),
        "spell_save_dc": {c: spell_save_dc(character, c) for c in spellcasting_classes(character)},
        "spell_attack_bonus": {c: spell_attack_bonus(character, c) for c in spellcasting_classes(character)},
    }
