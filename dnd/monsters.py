"""Monster stat blocks and the combatants of a fight, as plain pydantic data.

The engine ships no monsters: callers pass stat blocks in (the database holds the imported SRD).
:meth:`MonsterBlock.from_srd` reads one monster in the 5e-database JSON format (``armor_class`` list,
``actions`` with ``attack_bonus`` and ``damage: [{damage_dice, damage_type: {name}}]``, ``proficiencies``
with "Saving Throw: DEX" entries, ``condition_immunities``...). A Multiattack action becomes the attacks it
describes (:class:`MultiattackOption`), read from its ``actions`` or ``action_options`` and checked against
its text.

A :class:`Combatant` is one creature in a fight: a monster instance (with its block) or a character (with a
snapshot of its sheet, for weapon attacks and saving throws). :func:`apply_to_character` writes the
combat's hit points, conditions and death saves back to the character afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from dnd.abilities import modifier, normalize_ability
from dnd.character import (
    Character,
    DeathSaves,
    ability_modifier,
    armor_class,
    initiative_bonus,
    saving_throw_modifier,
    scores_of,
)
from dnd.data.skills import ABILITIES, ABILITY_NAMES
from dnd.errors import RulesError
from dnd.frozen import Frozen
from dnd.phrases import singularize

__all__ = [
    "Combatant",
    "CombatantKind",
    "DamagePart",
    "MonsterAction",
    "MonsterBlock",
    "MultiattackOption",
    "MultiattackStep",
    "SaveRider",
    "apply_to_character",
    "cr_label",
    "slug",
]

CombatantKind = Literal["monster", "character"]

_ABILITY_FIELDS: dict[str, str] = {name.casefold(): code for code, name in ABILITY_NAMES.items()}
_AREA = re.compile(r"\beach creature\b|\bcreatures? (?:in|within) (?:a|that|the)\b", re.IGNORECASE)
_COST = re.compile(r"\(costs (\d) actions\)", re.IGNORECASE)
_ATTACK_KIND = re.compile(r"^\s*(melee or ranged|melee|ranged)\s+(?:weapon|spell)\s+attack", re.IGNORECASE)
_ABILITY_WORDS = "|".join(ABILITY_NAMES.values())
# "a DC 11 Constitution saving throw, taking 9 (2d8) poison damage on a failed save, or half as much ...".
_TEXT_SAVE = re.compile(rf"\bDC (\d+) ({_ABILITY_WORDS}) saving throw", re.IGNORECASE)
_TEXT_SAVE_DAMAGE = re.compile(
    rf"\bDC (?P<dc>\d+) (?P<ability>{_ABILITY_WORDS}) saving throw[^.]*?taking \d+ \((?P<dice>\d+d\d+"
    r"(?:\s*[+-]\s*\d+)?)\) (?P<type>[a-z]+) damage on a failed save(?P<half>, or half as much damage)?",
    re.IGNORECASE,
)
# The built-in bestiary's wording (dnd.data.bestiary): "a DC 11 Constitution save, taking 2d8 poison damage
# (half on a success)".
_SHORT_SAVE_DAMAGE = re.compile(
    rf"\bDC (?P<dc>\d+) (?P<ability>{_ABILITY_WORDS}) save, taking (?P<dice>\d+d\d+(?:[+-]\d+)?) "
    r"(?P<type>[a-z]+) damage(?P<half> \(half on a success\))?",
    re.IGNORECASE,
)
# "in a 60-foot cone", "in an 60-foot line that is 5 feet wide", "a 20-foot-radius sphere".
_AREA_SHAPE = re.compile(
    r"\b(\d+)-foot(?:-radius)? (cone|line|cube|sphere|cylinder|radius)(?: that is (\d+) feet wide)?", re.IGNORECASE
)


def slug(text: str) -> str:
    """``"Goblin 1"`` -> ``"goblin-1"``: lower case letters and digits joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"


def cr_label(cr: float) -> str:
    """0.125 -> "1/8", 0.25 -> "1/4", 0.5 -> "1/2", 3.0 -> "3"."""
    return {0.125: "1/8", 0.25: "1/4", 0.5: "1/2"}.get(cr, f"{cr:g}")


class DamagePart(Frozen):
    """One damage term of an action: ``dice`` ("1d6+2", or a flat "1") of a ``damage_type`` ("slashing")."""

    dice: str
    damage_type: str = ""


class SaveRider(Frozen):
    """What a hit also does through a saving throw: the Giant Spider's bite, "DC 11 CON save, 2d8 poison
    damage on a failure, half on a success"."""

    dc: int = Field(ge=1)
    ability: str  # "CON"
    dice: str  # "2d8"
    damage_type: str = ""
    half_on_success: bool = False
    # "If the poison damage reduces the target to 0 hit points, the target is stable but poisoned ... and is
    # paralyzed while poisoned in this way" (the Giant Spider, Giant Wasp, Phase Spider...).
    stable_at_zero: bool = False


class MonsterAction(Frozen):
    """An action of a stat block. ``attack_bonus`` is set for attack rolls; ``dc`` for saving throws.

    ``rider``: a save the target of a hit makes (its damage is not in ``damage``). ``area``: the shape the text
    gives ("60-foot cone"). ``part_of``: the action this one is an option of (a metallic dragon's Fire Breath
    of its Breath Weapons), whose recharge it shares.
    """

    name: str
    desc: str = ""
    attack_bonus: int | None = None
    damage: list[DamagePart] = Field(default_factory=list)
    reach: Literal["melee", "ranged", "melee or ranged"] | None = None
    dc: int | None = None
    dc_ability: str | None = None  # "DEX"
    half_on_success: bool = False
    recharge: int | None = None  # "Recharge 5-6": charged again at the start of its turn on a d6 this high
    per_fight: int | None = None  # "3/Day" (and "recharges after a rest": once): uses in one fight
    cost: int = Field(1, ge=1)  # a legendary action's cost ("Costs 2 Actions")
    rider: SaveRider | None = None
    area: str | None = None
    part_of: str | None = None

    @property
    def use_key(self) -> str:
        """The name its recharge and uses are counted under: one Breath Weapons for all its breaths."""
        return self.part_of or self.name

    @property
    def is_attack(self) -> bool:
        return self.attack_bonus is not None

    @property
    def is_area(self) -> bool:
        """A saving throw against damage for each creature in an area (a breath, a cone, a burst)."""
        return self.dc is not None and bool(self.damage) and not self.is_attack and _AREA.search(self.desc) is not None

    @property
    def ranged(self) -> bool:
        """True only for a purely ranged attack ("Ranged Weapon Attack")."""
        return self.reach == "ranged"

    def damage_expression(self) -> str:
        """The dice text for the damage roll: "1d6+2" or "(2d10+8)[piercing]+(2d6)[fire]" with several types."""
        if len(self.damage) == 1:
            return self.damage[0].dice
        return "+".join(f"({p.dice})[{p.damage_type or 'untyped'}]" for p in self.damage)


def _damage_parts(entries: list[Mapping[str, Any]]) -> list[DamagePart]:
    parts: list[DamagePart] = []
    for entry in entries:
        if "damage_dice" not in entry and isinstance(entry.get("from"), Mapping):
            # "lightning or thunder damage (djinni's choice)": the first option stands for the choice.
            options = entry["from"].get("options") or []
            entry = options[0] if options else {}
        dice = str(entry.get("damage_dice", "")).replace(" ", "")
        if not dice:
            continue
        damage_type = entry.get("damage_type") or {}
        name = damage_type.get("name", "") if isinstance(damage_type, Mapping) else str(damage_type)
        parts.append(DamagePart(dice=dice, damage_type=name.casefold()))
    return parts


def _rider(desc: str) -> SaveRider | None:
    """The save a hit also calls for, with its damage, from an attack's text (the data has no field for it)."""
    hit = desc.partition("Hit:")[2] or desc
    match = _TEXT_SAVE_DAMAGE.search(hit) or _SHORT_SAVE_DAMAGE.search(hit)
    if match is None:
        return None
    return SaveRider(dc=int(match["dc"]), ability=normalize_ability(match["ability"]),
                     dice=match["dice"].replace(" ", ""), damage_type=match["type"].casefold(),
                     half_on_success=match["half"] is not None,
                     stable_at_zero="0 hit points, the target is stable but poisoned" in hit)


def _area(desc: str) -> str | None:
    match = _AREA_SHAPE.search(desc)
    if match is None:
        return None
    length, shape, width = match.groups()
    return f"{length}-foot {shape.casefold()}" + (f", {width} feet wide" if width else "")


def _save_fields(entry: Mapping[str, Any], desc: str) -> dict[str, Any]:
    """DC, ability and half-on-success from the structured ``dc``, else from the text ("DC 18 Dexterity
    saving throw"), with the text's damage when the data has none."""
    dc_entry = entry.get("dc") if isinstance(entry.get("dc"), Mapping) else None
    half = "half as much damage" in desc
    if dc_entry is not None:
        ability = (dc_entry.get("dc_type") or {}).get("name", "")
        return {"dc": int(dc_entry.get("dc_value", 0)) or None,
                "dc_ability": normalize_ability(ability) if ability else None,
                "half_on_success": dc_entry.get("success_type") == "half" or half}
    text = _TEXT_SAVE.search(desc)
    if text is None or entry.get("attack_bonus") is not None:  # an attack's save is its rider
        return {}
    found: dict[str, Any] = {"dc": int(text.group(1)), "dc_ability": normalize_ability(text.group(2)),
                             "half_on_success": half}
    damage = _TEXT_SAVE_DAMAGE.search(desc)
    if damage is not None and not entry.get("damage"):
        found["damage"] = [DamagePart(dice=damage["dice"].replace(" ", ""), damage_type=damage["type"].casefold())]
    return found


def _action(entry: Mapping[str, Any], part_of: str | None = None) -> MonsterAction:
    desc = str(entry.get("desc", ""))
    match = _ATTACK_KIND.match(desc)
    reach = match.group(1).casefold() if match else None
    bonus = entry.get("attack_bonus")
    damage = _damage_parts(entry.get("damage") or [])
    rider = _rider(desc) if bonus is not None else None
    if rider is not None:
        # Some blocks (the Assassin's) list the rider's dice as damage too: the hit deals only the rest.
        damage = [p for p in damage if (p.dice, p.damage_type) != (rider.dice, rider.damage_type)]
    fields: dict[str, Any] = {"damage": damage, **_save_fields(entry, desc)}
    return MonsterAction(
        name=str(entry.get("name", "")),
        desc=desc,
        attack_bonus=int(bonus) if bonus is not None else None,
        reach=reach,  # type: ignore[arg-type]
        rider=rider,
        area=_area(desc),
        part_of=part_of,
        **fields,
        **_usage(entry),
    )


def _options(entry: Mapping[str, Any]) -> list[MonsterAction]:
    """The actions an action offers a choice of (a metallic dragon's breaths), each with its own paragraph of
    the text, DC and damage, and the parent's recharge."""
    choices = entry.get("options")
    if not isinstance(choices, Mapping) or not isinstance(choices.get("from"), Mapping):
        return []
    desc = str(entry.get("desc", ""))
    parent = str(entry.get("name", ""))
    found: list[MonsterAction] = []
    for option in choices["from"].get("options") or []:
        if not isinstance(option, Mapping) or not option.get("name"):
            continue
        name = str(option["name"])
        paragraph = next((line for line in desc.splitlines() if line.startswith(f"{name}.")), "")
        found.append(_action({**option, "desc": paragraph, "usage": entry.get("usage")}, part_of=parent))
    return found


def _usage(entry: Mapping[str, Any]) -> dict[str, int]:
    """Recharge, uses a day (counted per fight: a monster joins each fight fresh) and a legendary cost."""
    usage = entry.get("usage") if isinstance(entry.get("usage"), Mapping) else {}
    found: dict[str, int] = {}
    kind = str(usage.get("type", ""))
    if kind == "recharge on roll":
        found["recharge"] = int(usage.get("min_value") or 6)
    elif kind == "per day":
        found["per_fight"] = int(usage.get("times") or 1)
    elif kind == "recharge after rest":
        found["per_fight"] = 1
    cost = _COST.search(str(entry.get("name", "")))
    if cost:
        found["cost"] = int(cost.group(1))
    return found


class MultiattackStep(Frozen):
    """``count`` attacks with the action ``action``; ``count`` is a number or dice ("1d4": rolled each turn)."""

    action: str
    count: str = "1"


class MultiattackOption(Frozen):
    """One way to make a Multiattack: its attack rolls in order, and the parts that aren't attack rolls
    (Frightful Presence, a breath weapon) which the DM uses separately."""

    steps: list[MultiattackStep] = Field(default_factory=list)
    others: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{s.count} × {s.action}" for s in self.steps] + [f"{o} (separately)" for o in self.others]
        return ", ".join(parts)


_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8}
_NUMBER = "|".join(_NUMBERS)
# "two longsword attacks", "a shortsword attack", "one with its bite", "two attacks with its pincers".
_TEXT_COUNTS = (re.compile(rf"\b({_NUMBER})\s+([a-z][a-z ]*?)\s+attacks?\b", re.IGNORECASE),
                re.compile(rf"\b({_NUMBER})\s+(?:attacks?\s+)?with\s+its\s+([a-z][a-z ]*?)"
                           r"(?=\s*(?:,|\.|;|$)|\s+(?:and|or)\b)", re.IGNORECASE))
_COUNT = re.compile(r"^\d+$|^\d*d\d+$")


def _bare(name: str) -> str:
    """"Claw (Oni Form Only)" -> "claw"."""
    return " ".join(re.sub(r"\([^)]*\)", " ", name).split()).casefold()


def _match_action(actions: list[MonsterAction], name: str) -> MonsterAction | None:
    """The action called ``name``, forgiving a plural ("Claws" for "Claw", "Bites") and a form note
    ("Bite (Bat or Vampire Form Only)" for "Bite")."""
    key = _bare(name)
    found = next((a for a in actions if _bare(a.name) == key), None)
    if found is None:
        found = next((a for a in actions if singularize(_bare(a.name)) == singularize(key)), None)
    return found


def _text_counts(desc: str, actions: list[MonsterAction]) -> dict[str, int]:
    """How many attacks of each action the Multiattack's text names."""
    counts: dict[str, int] = {}
    for pattern in _TEXT_COUNTS:
        for number, name in pattern.findall(desc):
            found = _match_action(actions, name)
            if found is not None and found.is_attack and found.name not in counts:
                counts[found.name] = _NUMBERS[number.casefold()]
    return counts


def _multiattack_option(items: list[Any], actions: list[MonsterAction]) -> MultiattackOption | None:
    steps: list[MultiattackStep] = []
    others: list[str] = []
    for item in items:
        if not isinstance(item, Mapping):
            return None
        name = str(item.get("action_name", ""))
        count = str(item.get("count", 1)).replace(" ", "")
        found = _match_action(actions, name)
        if found is None or not found.is_attack:
            others.append(found.name if found is not None else name)
            continue
        if not _COUNT.match(count):  # "Number of Heads": nothing to count with
            return None
        steps.append(MultiattackStep(action=found.name, count=count))
    return MultiattackOption(steps=steps, others=others) if steps else None


def _multiattack(entries: list[Mapping[str, Any]], actions: list[MonsterAction]) -> list[MultiattackOption]:
    """The options of the stat block's Multiattack, [] when it has none or it can't be read."""
    entry = next((e for e in entries if str(e.get("name", "")).casefold() == "multiattack"), None)
    if entry is None:
        return []
    if entry.get("actions"):
        option = _multiattack_option(list(entry["actions"]), actions)
        if option is None:
            return []
        # The structured counts are sometimes wrong (the Veteran's "two longsword attacks ... also a shortsword
        # attack" lists two shortsword attacks): the text wins where it names a count.
        text = _text_counts(str(entry.get("desc", "")), actions)
        steps = [s.model_copy(update={"count": str(text[s.action])}) if s.action in text and s.count.isdigit()
                 else s for s in option.steps]
        return [option.model_copy(update={"steps": steps})]
    choices = entry.get("action_options")
    options_data = ((choices.get("from") or {}).get("options") or []) if isinstance(choices, Mapping) else []
    options: list[MultiattackOption] = []
    for choice in options_data:
        if not isinstance(choice, Mapping):
            continue
        items = choice.get("items") if choice.get("option_type") == "multiple" else [choice]
        option = _multiattack_option(list(items or []), actions)
        if option is not None:
            options.append(option)
    return options


def _armor_class(entries: list[Any] | int) -> int:
    """The AC the stat block prints first: with its armor and shield (the Azer's 17, not its natural 15), not
    one that needs a spell or a condition (the Mage's 15 with mage armor, the Ankheg's 11 while prone)."""
    if isinstance(entries, int):
        return entries
    usable = [e for e in entries if isinstance(e, Mapping) and e.get("type") not in ("spell", "condition")]
    values = [int(e["value"]) for e in usable or entries if isinstance(e, Mapping) and "value" in e]
    return max(values) if values else 10


def _legendary_resistance(entries: list[Any]) -> int:
    for entry in entries:
        if isinstance(entry, Mapping) and str(entry.get("name", "")).casefold().startswith("legendary resistance"):
            return _usage(entry).get("per_fight", 1)
    return 0


def _names(entries: list[Any]) -> list[str]:
    return [str(e.get("name", "")) if isinstance(e, Mapping) else str(e) for e in entries]


class MonsterSpell(Frozen):
    """A spell on a monster's list: its level, and ``per_day`` uses for an innate spell with a limit (None: cast
    with a slot, or at will for a cantrip or an innate "at will" spell)."""

    name: str
    level: int = Field(0, ge=0, le=9)
    per_day: int | None = Field(None, ge=1)


class MonsterSpellcasting(Frozen):
    """A monster's Spellcasting (or Innate Spellcasting): the caster level its cantrips scale with, the ability,
    the spell save DC and spell attack bonus, its slots by level, and its spells."""

    caster_level: int = Field(1, ge=1, le=20)
    ability: str = "INT"
    dc: int | None = None
    attack_bonus: int | None = None
    slots: dict[int, int] = Field(default_factory=dict)
    spells: list[MonsterSpell] = Field(default_factory=list)


def _spellcasting(entries: list[Any]) -> MonsterSpellcasting | None:
    """The first Spellcasting of the 5e-database's special abilities (its structured ``spellcasting``)."""
    for entry in entries:
        data = entry.get("spellcasting") if isinstance(entry, Mapping) else None
        if not isinstance(data, Mapping):
            continue
        spells = []
        for spell in data.get("spells") or []:
            if not isinstance(spell, Mapping) or not spell.get("name"):
                continue
            usage = spell.get("usage") if isinstance(spell.get("usage"), Mapping) else {}
            per_day = int(usage["times"]) if usage.get("type") == "per day" and usage.get("times") else None
            spells.append(MonsterSpell(name=str(spell["name"]), level=int(spell.get("level") or 0), per_day=per_day))
        ability = data.get("ability")
        return MonsterSpellcasting(
            caster_level=max(1, min(20, int(data.get("level") or 1))),
            ability=normalize_ability(str(ability.get("name") if isinstance(ability, Mapping) else ability or "INT")),
            dc=int(data["dc"]) if data.get("dc") is not None else None,
            attack_bonus=int(data["modifier"]) if data.get("modifier") is not None else None,
            slots={int(level): int(count) for level, count in (data.get("slots") or {}).items() if int(count) > 0},
            spells=spells)
    return None


_PARRY_BONUS = re.compile(r"adds (\d+) to its AC|\+(\d+) AC", re.IGNORECASE)


def _parry(reactions: list[Any]) -> int:
    """The AC a Parry reaction adds against one melee attack that would hit (the knight's +2), 0 without one."""
    for reaction in reactions:
        if isinstance(reaction, Mapping) and str(reaction.get("name", "")).casefold() == "parry":
            found = _PARRY_BONUS.search(str(reaction.get("desc", "")))
            return int(found.group(1) or found.group(2)) if found else 2
    return 0


class MonsterBlock(Frozen):
    """A monster's stat block: what combat, encounters and loot need of it."""

    index: str
    name: str
    size: str = "Medium"
    type: str = ""
    subtype: str | None = None
    alignment: str = ""
    armor_class: int = Field(10, ge=0)
    hit_points: int = Field(1, ge=1)  # the stat block's average
    hit_dice: str = ""  # "2d6"
    hit_points_roll: str = ""  # "2d8+6": hit dice with the CON bonus, to roll hit points
    speed: dict[str, str] = Field(default_factory=dict)
    ability_scores: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(ABILITIES, 10))
    challenge_rating: float = Field(0, ge=0)
    xp: int = Field(0, ge=0)
    proficiency_bonus: int = 2
    saving_throws: dict[str, int] = Field(default_factory=dict)  # proficient saves: {"DEX": 6}
    skills: dict[str, int] = Field(default_factory=dict)
    damage_vulnerabilities: list[str] = Field(default_factory=list)
    damage_resistances: list[str] = Field(default_factory=list)
    damage_immunities: list[str] = Field(default_factory=list)
    condition_immunities: list[str] = Field(default_factory=list)
    languages: str = ""
    actions: list[MonsterAction] = Field(default_factory=list)
    multiattack: list[MultiattackOption] = Field(default_factory=list)  # its options; [] when none or unread
    special_abilities: list[str] = Field(default_factory=list)  # names only
    legendary_actions: list[MonsterAction] = Field(default_factory=list)
    legendary_resistance: int = Field(0, ge=0)  # "Legendary Resistance (3/Day)": failed saves made successes
    spellcasting: MonsterSpellcasting | None = None
    parry: int = Field(0, ge=0)  # the Parry reaction's AC against one melee attack that would hit; 0: none
    environments: list[str] = Field(default_factory=list)  # tags, when the data has them

    @classmethod
    def from_srd(cls, data: Mapping[str, Any]) -> MonsterBlock:
        """Build a block from one monster of the 5e-database JSON (``5e-SRD-Monsters.json``)."""
        try:
            name = str(data["name"])
        except KeyError:
            raise RulesError("A monster needs a name.") from None
        ac = _armor_class(data.get("armor_class") or [])
        scores = {code: int(data.get(field, 10)) for field, code in _ABILITY_FIELDS.items()}
        saves: dict[str, int] = {}
        skills: dict[str, int] = {}
        for prof in data.get("proficiencies") or []:
            label = str((prof.get("proficiency") or {}).get("name", ""))
            value = int(prof.get("value", 0))
            if label.startswith("Saving Throw:"):
                saves[normalize_ability(label.split(":", 1)[1])] = value
            elif label.startswith("Skill:"):
                skills[label.split(":", 1)[1].strip()] = value
        speed_entries = data.get("speed") or {}
        speed = {k: str(v) for k, v in speed_entries.items() if isinstance(v, str)}
        environments = data.get("environments") or data.get("environment") or []
        if isinstance(environments, str):
            environments = [environments]
        entries = [a for a in data.get("actions") or [] if isinstance(a, Mapping)]
        actions = [found for a in entries for found in (_action(a), *_options(a))]
        return cls(
            index=str(data.get("index") or slug(name)),
            name=name,
            size=str(data.get("size", "Medium")),
            type=str(data.get("type", "")),
            subtype=data.get("subtype"),
            alignment=str(data.get("alignment", "")),
            armor_class=ac,
            hit_points=max(1, int(data.get("hit_points", 1))),
            hit_dice=str(data.get("hit_dice", "")),
            hit_points_roll=str(data.get("hit_points_roll") or data.get("hit_dice") or ""),
            speed=speed,
            ability_scores=scores,
            challenge_rating=float(data.get("challenge_rating", 0)),
            xp=int(data.get("xp", 0)),
            proficiency_bonus=int(data.get("proficiency_bonus", 2)),
            saving_throws=saves,
            skills=skills,
            damage_vulnerabilities=_names(data.get("damage_vulnerabilities") or []),
            damage_resistances=_names(data.get("damage_resistances") or []),
            damage_immunities=_names(data.get("damage_immunities") or []),
            condition_immunities=_names(data.get("condition_immunities") or []),
            languages=str(data.get("languages", "")),
            actions=actions,
            multiattack=_multiattack(entries, actions),
            special_abilities=_names(data.get("special_abilities") or []),
            legendary_actions=[_action(a) for a in data.get("legendary_actions") or [] if isinstance(a, Mapping)],
            legendary_resistance=_legendary_resistance(data.get("special_abilities") or []),
            spellcasting=_spellcasting(data.get("special_abilities") or []),
            parry=_parry(data.get("reactions") or []),
            environments=[str(e).casefold() for e in environments],
        )

    # ------------------------------------------------------------------ derived values

    def ability_modifier(self, ability: str) -> int:
        return modifier(self.ability_scores.get(normalize_ability(ability), 10))

    @property
    def dex_modifier(self) -> int:
        return self.ability_modifier("DEX")

    def saving_throw_bonus(self, ability: str) -> int:
        """The listed save bonus for proficient saves, else the ability modifier."""
        code = normalize_ability(ability)
        return self.saving_throws.get(code, self.ability_modifier(code))

    @property
    def cr_text(self) -> str:
        return cr_label(self.challenge_rating)

    @property
    def attacks(self) -> list[MonsterAction]:
        """Actions that make an attack roll, in stat-block order."""
        return [a for a in self.actions if a.is_attack]

    @property
    def multiattack_action(self) -> MonsterAction | None:
        """The stat block's Multiattack action (its text), whether or not it could be read."""
        return next((a for a in self.actions if a.name.casefold() == "multiattack"), None)

    def find_action(self, name: str) -> MonsterAction | None:
        key = " ".join(name.split()).casefold()
        for action in self.actions:
            if action.name.casefold() == key:
                return action
        starts = [a for a in self.actions if a.name.casefold().startswith(key)]
        return starts[0] if len(starts) == 1 else None


# What a character's action was spent on (dnd.combat.economy).
ActionKind = Literal["attack", "cast", "item", "dash", "disengage", "dodge", "help", "hide", "ready", "feature"]


class ReactionOffer(Frozen):
    """A reaction a character may take out of its turn (`dnd.combat.reactions`): a hit it took (Shield, Uncanny
    Dodge), a creature the DM says leaves its reach (an opportunity attack), a Large one that attacked a Hunter
    with Giant Killer, or a spell a creature is casting (Counterspell, `dnd.combat.counterspell`). Offers last
    until a character next acts or ends a turn."""

    # attacked: by a Large creature, hit or miss (Giant Killer); spell: being cast (Counterspell)
    kind: Literal["hit", "leaves_reach", "attacked", "spell"]
    other_id: str  # the attacker, the creature leaving reach, or the caster
    other_name: str
    total: int = 0  # the attack roll's total (a hit)
    natural: int = 0
    amount: int = 0  # the damage the hit dealt, after defenses
    critical: bool = False
    hp_before: int = 0  # the target's hit points and temporary hit points before the hit
    temp_before: int = 0
    logged_at: int = 0  # the fight log's length before the hit: a reaction that undoes it corrects what came after


class TurnEconomy(Frozen):
    """What a combatant's turn has spent besides its action (`dnd.combat.economy`), reset when its next turn
    starts; ``reaction`` (what it was spent on) and ``shield`` (AC the Shield spell added) last until then too."""

    bonus_action: str | None = None
    reaction: str | None = None
    extra_actions: int = Field(0, ge=0)  # Action Surge: another action this turn
    surged: bool = False  # Action Surge was used this turn (once a turn)
    disengaged: bool = False
    hidden: int | None = None  # the Stealth total of the Hide action, until it attacks
    helped_by: str | None = None  # the Help action: advantage on its next attack roll
    readied: str | None = None  # the Ready action's trigger and response, in the player's words
    shield: int = Field(0, ge=0)
    sneak_attack_turn: str | None = None  # the turn ("round:actor") its Sneak Attack was last used in
    colossus_slayer_turn: str | None = None  # the same for a Hunter's Colossus Slayer
    defended_from: str | None = None  # Multiattack Defense: "round:actor>attacker", the attacker that hit it
    # The spells cast this turn, to hold the bonus-action spell rule: "bonus" (a spell cast as a bonus action),
    # "cantrip" and "leveled" (cast with the action).
    spells_cast: tuple[str, ...] = ()


class Combatant(Frozen):
    """One creature in a fight. ``defeated``: a monster at 0 HP, or a dead character."""

    id: str
    name: str
    kind: CombatantKind
    player_id: str | None = None
    hp: int = Field(ge=0)
    max_hp: int = Field(ge=1)
    temp_hp: int = Field(0, ge=0)
    hp_max_bonus: int = Field(0, ge=0)  # Aid's raise of the hit point maximum, included in max_hp
    ac: int = Field(ge=0)
    dex_modifier: int = 0
    dex_score: int = 10
    initiative_bonus: int = 0
    initiative: int | None = None
    conditions: list[str] = Field(default_factory=list)
    exhaustion: int = Field(0, ge=0, le=6)
    defeated: bool = False
    dead: bool = False
    stable: bool = False
    death_saves: DeathSaves = Field(default_factory=DeathSaves)
    skip_next: bool = False  # pass over this combatant's next turn
    # Who plays a monster: "dm" (its turns play themselves) or "owner" (`!attack`, `!end_turn`); None: the
    # table's default (MONSTER_CONTROL).
    controller: Literal["dm", "owner"] | None = None
    # This turn's action economy (dnd.combat.economy), reset when the combatant's turn starts.
    action_this_turn: ActionKind | None = None
    attacks_this_turn: int = Field(0, ge=0)
    dodging: bool = False  # took the Dodge action: attacks at it have disadvantage until its next turn starts
    economy: TurnEconomy = Field(default_factory=TurnEconomy)
    raging: bool = False  # a Barbarian's Rage, until the fight ends (its minute is not counted)
    offers: list[ReactionOffer] = Field(default_factory=list)
    # A monster's limited abilities this fight (dnd.combat.abilities): the recharge actions used and not yet
    # charged again, the uses spent by name ("Legendary Resistance" too), the legendary actions left this round.
    spent: list[str] = Field(default_factory=list)
    used: dict[str, int] = Field(default_factory=dict)
    legendary_left: int = Field(0, ge=0)
    # The model's choice for this monster's next turn, made while it narrated the last one: a menu id of
    # `dnd.tactics.legal_actions` and the provider that chose it. Played only if still legal when the turn comes.
    intent: str | None = None
    intent_by: str | None = None
    monster: MonsterBlock | None = None
    character: Character | None = None

    @classmethod
    def from_monster(cls, block: MonsterBlock, *, name: str | None = None, id: str | None = None,
                     hp: int | None = None) -> Combatant:
        """A monster instance; ``hp`` defaults to the block's average hit points (as the SRD suggests)."""
        shown = name or block.name
        max_hp = block.hit_points if hp is None else max(1, hp)
        return cls(
            id=id or slug(shown), name=shown, kind="monster", hp=max_hp, max_hp=max_hp, ac=block.armor_class,
            dex_modifier=block.dex_modifier, dex_score=block.ability_scores.get("DEX", 10),
            initiative_bonus=block.dex_modifier, monster=block,
            legendary_left=3 if block.legendary_actions else 0,  # dnd.combat.abilities: 3 a round
        )

    @classmethod
    def from_character(cls, character: Character, *, player_id: str | None = None,
                       id: str | None = None) -> Combatant:
        """A character in the fight: hit points, AC, initiative bonus and conditions from the sheet; a druid in a
        beast's shape (`dnd.wild_shape`) fights with the beast's hit points, armor class, DEX and stat block."""
        scores = scores_of(character)
        conditions = list(character.conditions)
        if character.hp == 0 and "Unconscious" not in conditions:
            conditions.append("Unconscious")
        dead = character.death_saves.failures >= 3
        fighter = cls(
            id=id or slug(character.name), name=character.name, kind="character", player_id=player_id,
            hp=character.hp, max_hp=max(1, character.max_hp), temp_hp=character.temp_hp,
            hp_max_bonus=character.hp_max_bonus,
            ac=armor_class(character), dex_modifier=ability_modifier(character, "DEX"),
            dex_score=scores.get("DEX", 10), initiative_bonus=initiative_bonus(character),
            conditions=conditions, exhaustion=character.exhaustion, dead=dead, defeated=dead,
            death_saves=character.death_saves, character=character,
        )
        shape = character.wild_shape
        if shape is None:
            return fighter
        beast = in_shape(MonsterBlock.from_srd(shape.stat_block), character, scores)
        return fighter.model_copy(update={
            "hp": shape.hp, "max_hp": shape.max_hp, "ac": beast.armor_class, "dex_modifier": beast.dex_modifier,
            "dex_score": beast.ability_scores.get("DEX", 10), "monster": beast, "hp_max_bonus": 0,
            "conditions": [c for c in conditions if c != "Unconscious"]})

    @property
    def wild_shaped(self) -> bool:
        """A druid fighting in a beast's shape (its ``monster`` is the beast's stat block)."""
        return self.character is not None and self.character.wild_shape is not None

    @property
    def creature_type(self) -> str:
        """"humanoid", "beast", "undead"…: a monster's (or a wild-shaped druid's beast's) type; a character is a
        humanoid (every SRD race is)."""
        return self.monster.type.casefold() if self.monster is not None else "humanoid"

    @property
    def unconscious(self) -> bool:
        return "Unconscious" in self.conditions

    @property
    def dying(self) -> bool:
        """A character at 0 hit points who is neither stable nor dead."""
        return self.kind == "character" and self.hp == 0 and not self.dead and not self.stable

    @property
    def active(self) -> bool:
        """Still in the fight and able to act (not defeated, dead or at 0 hit points)."""
        return not self.defeated and not self.dead and self.hp > 0

    def saving_throw_bonus(self, ability: str) -> int:
        code = normalize_ability(ability)
        if self.monster is not None:
            return self.monster.saving_throw_bonus(code)
        if self.character is not None:
            return saving_throw_modifier(self.character, code)
        return 0


def in_shape(beast: MonsterBlock, druid: Character, scores: Mapping[str, int]) -> MonsterBlock:
    """The beast's block as the druid wears it (SRD Wild Shape): the druid keeps its Intelligence, Wisdom and
    Charisma, and its saving throw proficiencies; a save uses the better of the beast's bonus and the druid's own
    (its proficiency and features, with the ability score it has in the shape)."""
    kept = {code: scores.get(code, 10) for code in ("INT", "WIS", "CHA")}
    shaped = {**beast.ability_scores, **kept}
    saves: dict[str, int] = {}
    for code in ABILITIES:
        own = saving_throw_modifier(druid, code) - modifier(scores.get(code, 10)) + modifier(shaped.get(code, 10))
        listed = beast.saving_throws.get(code, modifier(shaped.get(code, 10)))
        if max(own, listed) != modifier(shaped.get(code, 10)):
            saves[code] = max(own, listed)
    return beast.model_copy(update={"ability_scores": shaped, "saving_throws": saves})


def apply_to_character(combatant: Combatant, character: Character) -> Character:
    """The character after the fight: hit points, temporary hit points, Aid's raised maximum, conditions and
    death saves."""
    if combatant.kind != "character":
        raise RulesError(f"{combatant.name} is not a character.")
    conditions = list(combatant.conditions)
    shape = combatant.character.wild_shape if combatant.character is not None else None
    if shape is not None:  # still in the beast's shape: its hit points are the beast's, the druid's wait
        return character.model_copy(update={"wild_shape": shape.model_copy(update={"hp": combatant.hp}),
                                            "temp_hp": combatant.temp_hp, "conditions": conditions})
    max_hp = character.max_hp - character.hp_max_bonus + combatant.hp_max_bonus
    return character.model_copy(update={
        "wild_shape": None,
        "hp": min(combatant.hp, max_hp),
        "max_hp": max_hp,
        "hp_max_bonus": combatant.hp_max_bonus,
        "temp_hp": combatant.temp_hp,
        "conditions": conditions,
        # Dead is three failed death saves on the sheet, however it came (massive damage too).
        "death_saves": (combatant.death_saves.model_copy(update={"failures": 3}) if combatant.dead
                        else combatant.death_saves if combatant.hp == 0 else DeathSaves()),
    })
