"""The 12 SRD 5.1 classes and their SRD subclasses, written by hand as compact tables.

Feature names follow the spelling of the 5e-database ``Levels.json`` (e.g. ``"Spellcasting: Bard"``,
``"Path feature"``). ``"Ability Score Improvement"`` is not repeated in the feature tables: it is added
at the levels listed in ``asi_levels``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Recovery = Literal["short", "long", "none"]
CasterType = Literal["full", "half", "third", "pact", "none"]

# A step table: ((from_level, value), ...) sorted by level; the value holds until the next step.
Steps = tuple[tuple[int, float | int | bool | None], ...]

ASI: Final[str] = "Ability Score Improvement"
UNLIMITED: Final[None] = None

_DEFAULT_ASI: Final[tuple[int, ...]] = (4, 8, 12, 16, 19)


def step(table: Steps, level: int) -> float | int | bool | None:
    """The value of a step table at ``level`` (the last step at or below it)."""
    value: float | int | bool | None = 0
    for from_level, v in table:
        if level >= from_level:
            value = v
        else:
            break
    return value


@dataclass(frozen=True)
class ResourceSpec:
    """A limited-use class/race/feat resource (Rage, Ki, Lucky, ...).

    The maximum is, in order of precedence: ``per_level`` x class level; the ability modifier of
    ``ability`` (+ ``ability_bonus``, minimum 1); else the step table ``counts``. ``None`` = unlimited.
    """

    name: str
    recovery: Recovery
    counts: Steps = ()
    per_level: int = 0
    ability: str | None = None
    ability_bonus: int = 0
    min_level: int = 1
    short_rest_from: int | None = None  # recovery becomes "short" from this class level

    def maximum(self, class_level: int, ability_mod: int = 0) -> int | None:
        if class_level < self.min_level:
            return 0
        if self.per_level:
            return self.per_level * class_level
        if self.ability is not None:
            return max(1, ability_mod + self.ability_bonus)
        value = step(self.counts, class_level)
        return None if value is None else int(value)

    def recovery_at(self, class_level: int) -> Recovery:
        if self.short_rest_from is not None and class_level >= self.short_rest_from:
            return "short"
        return self.recovery


@dataclass(frozen=True)
class SubclassInfo:
    name: str  # short SRD name, e.g. "Berserker"
    full_name: str  # e.g. "Path of the Berserker"
    class_name: str
    features: dict[int, tuple[str, ...]]
    spells: dict[int, tuple[str, ...]] = field(default_factory=dict)  # always prepared, by class level
    proficiencies: tuple[str, ...] = ()
    resources: tuple[ResourceSpec, ...] = ()
    unarmored_ac_ability: str | None = None  # Draconic Resilience: 13 + DEX


@dataclass(frozen=True)
class ClassInfo:
    name: str
    hit_die: int
    saving_throws: tuple[str, str]
    armor: tuple[str, ...]
    weapons: tuple[str, ...]
    tools: tuple[str, ...]
    tool_choices: int  # number of tools/instruments to choose (see tool_options)
    tool_options: str  # "instrument", "artisan_or_instrument" or ""
    skill_count: int
    skill_options: tuple[str, ...]
    caster: CasterType
    spellcasting_ability: str | None
    prepares_spells: bool  # cleric, druid, paladin, wizard prepare from a list
    features: dict[int, tuple[str, ...]]
    subclass_level: int
    subclass_title: str  # "Primal Path"
    subclass_feature_label: str  # the Levels.json placeholder, e.g. "Path feature"
    subclass: str  # the SRD subclass (short name)
    multiclass_prereqs: tuple[dict[str, int], ...]  # alternatives, each a set of minimums
    multiclass_proficiencies: tuple[str, ...]
    multiclass_skills: int
    starting_gold: tuple[int, int]  # (number of d4, multiplier) in gp
    asi_levels: tuple[int, ...] = _DEFAULT_ASI
    cantrips_known: tuple[int, ...] | None = None
    spells_known: tuple[int, ...] | None = None
    resources: tuple[ResourceSpec, ...] = ()
    extras: dict[str, Steps] = field(default_factory=dict)
    unarmored_ac_ability: str | None = None  # Barbarian CON, Monk WIS
    unarmored_shield_ok: bool = True


def _known(*runs: tuple[int, int]) -> tuple[int, ...]:
    """Expand (count, value) runs into a 20-level table."""
    out: list[int] = []
    for count, value in runs:
        out.extend([value] * count)
    assert len(out) == 20
    return tuple(out)


ALL_ARMOR: Final[tuple[str, ...]] = ("Light Armor", "Medium Armor", "Heavy Armor", "Shields")
LIGHT_MEDIUM_SHIELD: Final[tuple[str, ...]] = ("Light Armor", "Medium Armor", "Shields")
SIMPLE_MARTIAL: Final[tuple[str, ...]] = ("Simple Weapons", "Martial Weapons")
ROGUISH_WEAPONS: Final[tuple[str, ...]] = (
    "Simple Weapons", "Hand Crossbows", "Longswords", "Rapiers", "Shortswords",
)
ARCANE_WEAPONS: Final[tuple[str, ...]] = ("Daggers", "Darts", "Slings", "Quarterstaffs", "Light Crossbows")
ALL_SKILLS_LABEL: Final[str] = "*"

CLASSES: Final[dict[str, ClassInfo]] = {
    "Barbarian": ClassInfo(
        name="Barbarian",
        hit_die=12,
        saving_throws=("STR", "CON"),
        armor=LIGHT_MEDIUM_SHIELD,
        weapons=SIMPLE_MARTIAL,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Animal Handling", "Athletics", "Intimidation", "Nature", "Perception", "Survival"),
        caster="none",
        spellcasting_ability=None,
        prepares_spells=False,
        features={
            1: ("Rage", "Unarmored Defense"),
            2: ("Reckless Attack", "Danger Sense"),
            3: ("Primal Path",),
            5: ("Extra Attack", "Fast Movement"),
            6: ("Path feature",),
            7: ("Feral Instinct",),
            9: ("Brutal Critical (1 die)",),
            10: ("Path feature",),
            11: ("Relentless Rage",),
            13: ("Brutal Critical (2 dice)",),
            14: ("Path feature",),
            15: ("Persistent Rage",),
            17: ("Brutal Critical (3 dice)",),
            18: ("Indomitable Might",),
            20: ("Primal Champion",),
        },
        subclass_level=3,
        subclass_title="Primal Path",
        subclass_feature_label="Path feature",
        subclass="Berserker",
        multiclass_prereqs=({"STR": 13},),
        multiclass_proficiencies=("Shields", "Simple Weapons", "Martial Weapons"),
        multiclass_skills=0,
        starting_gold=(2, 10),
        resources=(
            ResourceSpec("Rage", "long", counts=((1, 2), (3, 3), (6, 4), (12, 5), (17, 6), (20, UNLIMITED))),
        ),
        extras={
            "rage_count": ((1, 2), (3, 3), (6, 4), (12, 5), (17, 6), (20, UNLIMITED)),
            "rage_damage_bonus": ((1, 2), (9, 3), (16, 4)),
            "brutal_critical_dice": ((1, 0), (9, 1), (13, 2), (17, 3)),
        },
        unarmored_ac_ability="CON",
    ),
    "Bard": ClassInfo(
        name="Bard",
        hit_die=8,
        saving_throws=("DEX", "CHA"),
        armor=("Light Armor",),
        weapons=ROGUISH_WEAPONS,
        tools=(),
        tool_choices=3,
        tool_options="instrument",
        skill_count=3,
        skill_options=(ALL_SKILLS_LABEL,),
        caster="full",
        spellcasting_ability="CHA",
        prepares_spells=False,
        features={
            1: ("Spellcasting: Bard", "Bardic Inspiration (d6)"),
            2: ("Jack of All Trades", "Song of Rest (d6)"),
            3: ("Expertise", "Bard College"),
            5: ("Bardic Inspiration (d8)", "Font of Inspiration"),
            6: ("Countercharm", "Bard College feature"),
            9: ("Song of Rest (d8)",),
            10: ("Expertise", "Bardic Inspiration (d10)", "Magical Secrets"),
            13: ("Song of Rest (d10)",),
            14: ("Magical Secrets", "Bard College feature"),
            15: ("Bardic Inspiration (d12)",),
            17: ("Song of Rest (d12)",),
            18: ("Magical Secrets",),
            20: ("Superior Inspiration",),
        },
        subclass_level=3,
        subclass_title="Bard College",
        subclass_feature_label="Bard College feature",
        subclass="Lore",
        multiclass_prereqs=({"CHA": 13},),
        multiclass_proficiencies=("Light Armor",),
        multiclass_skills=1,
        starting_gold=(5, 10),
        cantrips_known=_known((3, 2), (6, 3), (11, 4)),
        spells_known=(4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 15, 16, 18, 19, 19, 20, 22, 22, 22),
        resources=(ResourceSpec("Bardic Inspiration", "long", ability="CHA", short_rest_from=5),),
        extras={
            "bardic_inspiration_die": ((1, 6), (5, 8), (10, 10), (15, 12)),
            "song_of_rest_die": ((1, 0), (2, 6), (9, 8), (13, 10), (17, 12)),
            "magical_secrets_max_5": ((1, 0), (10, 2)),
            "magical_secrets_max_7": ((1, 0), (14, 2)),
            "magical_secrets_max_9": ((1, 0), (18, 2)),
        },
    ),
    "Cleric": ClassInfo(
        name="Cleric",
        hit_die=8,
        saving_throws=("WIS", "CHA"),
        armor=LIGHT_MEDIUM_SHIELD,
        weapons=("Simple Weapons",),
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("History", "Insight", "Medicine", "Persuasion", "Religion"),
        caster="full",
        spellcasting_ability="WIS",
        prepares_spells=True,
        features={
            1: ("Spellcasting: Cleric", "Divine Domain", "Domain Spells"),
            2: ("Channel Divinity (1/rest)", "Channel Divinity: Turn Undead", "Divine Domain feature"),
            3: ("Domain Spells",),
            5: ("Domain Spells", "Destroy Undead (CR 1/2 or below)"),
            6: ("Channel Divinity (2/rest)", "Divine Domain feature"),
            7: ("Domain Spells",),
            8: ("Destroy Undead (CR 1 or below)", "Divine Domain feature"),
            9: ("Domain Spells",),
            10: ("Divine Intervention",),
            11: ("Destroy Undead (CR 2 or below)",),
            14: ("Destroy Undead (CR 3 or below)",),
            17: ("Destroy Undead (CR 4 or below)", "Divine Domain feature"),
            18: ("Channel Divinity (3/rest)",),
            20: ("Divine Intervention Improvement",),
        },
        subclass_level=1,
        subclass_title="Divine Domain",
        subclass_feature_label="Divine Domain feature",
        subclass="Life",
        multiclass_prereqs=({"WIS": 13},),
        multiclass_proficiencies=LIGHT_MEDIUM_SHIELD,
        multiclass_skills=0,
        starting_gold=(5, 10),
        cantrips_known=_known((3, 3), (6, 4), (11, 5)),
        resources=(
            ResourceSpec("Channel Divinity", "short", counts=((2, 1), (6, 2), (18, 3)), min_level=2),
            ResourceSpec("Divine Intervention", "long", counts=((10, 1),), min_level=10),
        ),
        extras={
            "channel_divinity_charges": ((1, 0), (2, 1), (6, 2), (18, 3)),
            "destroy_undead_cr": ((1, 0), (5, 0.5), (8, 1), (11, 2), (14, 3), (17, 4)),
        },
    ),
    "Druid": ClassInfo(
        name="Druid",
        hit_die=8,
        saving_throws=("INT", "WIS"),
        armor=LIGHT_MEDIUM_SHIELD,
        weapons=("Clubs", "Daggers", "Darts", "Javelins", "Maces", "Quarterstaffs", "Scimitars", "Sickles",
                 "Slings", "Spears"),
        tools=("Herbalism Kit",),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Arcana", "Animal Handling", "Insight", "Medicine", "Nature", "Perception", "Religion",
                       "Survival"),
        caster="full",
        spellcasting_ability="WIS",
        prepares_spells=True,
        features={
            1: ("Spellcasting: Druid", "Druidic"),
            2: ("Wild Shape (CR 1/4 or below, no flying or swim speed)", "Druid Circle"),
            4: ("Wild Shape (CR 1/2 or below, no flying speed)",),
            6: ("Druid Circle feature",),
            8: ("Wild Shape (CR 1 or below)",),
            10: ("Druid Circle feature",),
            14: ("Druid Circle feature",),
            18: ("Timeless Body", "Beast Spells"),
            20: ("Archdruid",),
        },
        subclass_level=2,
        subclass_title="Druid Circle",
        subclass_feature_label="Druid Circle feature",
        subclass="Land",
        multiclass_prereqs=({"WIS": 13},),
        multiclass_proficiencies=LIGHT_MEDIUM_SHIELD,
        multiclass_skills=0,
        starting_gold=(2, 10),
        cantrips_known=_known((3, 2), (6, 3), (11, 4)),
        resources=(ResourceSpec("Wild Shape", "short", counts=((2, 2), (20, UNLIMITED)), min_level=2),),
        extras={
            "wild_shape_max_cr": ((1, 0), (2, 0.25), (4, 0.5), (8, 1)),
            "wild_shape_swim": ((1, False), (4, True)),
            "wild_shape_fly": ((1, False), (8, True)),
        },
    ),
    "Fighter": ClassInfo(
        name="Fighter",
        hit_die=10,
        saving_throws=("STR", "CON"),
        armor=ALL_ARMOR,
        weapons=SIMPLE_MARTIAL,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Acrobatics", "Animal Handling", "Athletics", "History", "Insight", "Intimidation",
                       "Perception", "Survival"),
        caster="none",
        spellcasting_ability=None,
        prepares_spells=False,
        features={
            1: ("Fighting Style", "Second Wind"),
            2: ("Action Surge (1 use)",),
            3: ("Martial Archetype",),
            5: ("Extra Attack",),
            7: ("Martial Archetype feature",),
            9: ("Indomitable (1 use)",),
            10: ("Martial Archetype feature",),
            11: ("Extra Attack (2)",),
            13: ("Indomitable (2 uses)",),
            15: ("Martial Archetype feature",),
            17: ("Action Surge (2 uses)", "Indomitable (3 uses)"),
            18: ("Martial Archetype feature",),
            20: ("Extra Attack (3)",),
        },
        subclass_level=3,
        subclass_title="Martial Archetype",
        subclass_feature_label="Martial Archetype feature",
        subclass="Champion",
        multiclass_prereqs=({"STR": 13}, {"DEX": 13}),
        multiclass_proficiencies=LIGHT_MEDIUM_SHIELD + SIMPLE_MARTIAL,
        multiclass_skills=0,
        starting_gold=(5, 10),
        asi_levels=(4, 6, 8, 12, 14, 16, 19),
        resources=(
            ResourceSpec("Second Wind", "short", counts=((1, 1),)),
            ResourceSpec("Action Surge", "short", counts=((2, 1), (17, 2)), min_level=2),
            ResourceSpec("Indomitable", "long", counts=((9, 1), (13, 2), (17, 3)), min_level=9),
        ),
        extras={
            "action_surges": ((1, 0), (2, 1), (17, 2)),
            "indomitable_uses": ((1, 0), (9, 1), (13, 2), (17, 3)),
            "extra_attacks": ((1, 0), (5, 1), (11, 2), (20, 3)),
        },
    ),
    "Monk": ClassInfo(
        name="Monk",
        hit_die=8,
        saving_throws=("STR", "DEX"),
        armor=(),
        weapons=("Simple Weapons", "Shortswords"),
        tools=(),
        tool_choices=1,
        tool_options="artisan_or_instrument",
        skill_count=2,
        skill_options=("Acrobatics", "Athletics", "History", "Insight", "Religion", "Stealth"),
        caster="none",
        spellcasting_ability=None,
        prepares_spells=False,
        features={
            1: ("Unarmored Defense", "Martial Arts"),
            2: ("Ki", "Flurry of Blows", "Patient Defense", "Step of the Wind", "Unarmored Movement"),
            3: ("Monastic Tradition", "Deflect Missiles"),
            4: ("Slow Fall",),
            5: ("Extra Attack", "Stunning Strike"),
            6: ("Ki Empowered Strikes", "Monastic Tradition feature"),
            7: ("Evasion", "Stillness of Mind"),
            9: ("Unarmored Movement",),
            10: ("Purity of Body",),
            11: ("Monastic Tradition feature",),
            13: ("Tongue of the Sun and Moon",),
            14: ("Diamond Soul",),
            15: ("Timeless Body",),
            17: ("Monastic Tradition feature",),
            18: ("Empty Body",),
            20: ("Perfect Self",),
        },
        subclass_level=3,
        subclass_title="Monastic Tradition",
        subclass_feature_label="Monastic Tradition feature",
        subclass="Open Hand",
        multiclass_prereqs=({"DEX": 13, "WIS": 13},),
        multiclass_proficiencies=("Simple Weapons", "Shortswords"),
        multiclass_skills=0,
        starting_gold=(5, 1),
        resources=(ResourceSpec("Ki", "short", per_level=1, min_level=2),),
        extras={
            "martial_arts_die": ((1, 4), (5, 6), (11, 8), (17, 10)),
            "unarmored_movement": ((1, 0), (2, 10), (6, 15), (10, 20), (14, 25), (18, 30)),
        },
        unarmored_ac_ability="WIS",
        unarmored_shield_ok=False,
    ),
    "Paladin": ClassInfo(
        name="Paladin",
        hit_die=10,
        saving_throws=("WIS", "CHA"),
        armor=ALL_ARMOR,
        weapons=SIMPLE_MARTIAL,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Athletics", "Insight", "Intimidation", "Medicine", "Persuasion", "Religion"),
        caster="half",
        spellcasting_ability="CHA",
        prepares_spells=True,
        features={
            1: ("Divine Sense", "Lay on Hands"),
            2: ("Fighting Style", "Spellcasting: Paladin", "Divine Smite"),
            3: ("Divine Health", "Sacred Oath", "Oath Spells", "Channel Divinity"),
            5: ("Extra Attack",),
            6: ("Aura of Protection",),
            7: ("Sacred Oath feature",),
            10: ("Aura of Courage",),
            11: ("Improved Divine Smite",),
            14: ("Cleansing Touch",),
            15: ("Sacred Oath feature",),
            18: ("Aura improvements",),
            20: ("Sacred Oath feature",),
        },
        subclass_level=3,
        subclass_title="Sacred Oath",
        subclass_feature_label="Sacred Oath feature",
        subclass="Devotion",
        multiclass_prereqs=({"STR": 13, "CHA": 13},),
        multiclass_proficiencies=LIGHT_MEDIUM_SHIELD + SIMPLE_MARTIAL,
        multiclass_skills=0,
        starting_gold=(5, 10),
        resources=(
            ResourceSpec("Divine Sense", "long", ability="CHA", ability_bonus=1),
            ResourceSpec("Lay on Hands", "long", per_level=5),
            ResourceSpec("Channel Divinity", "short", counts=((3, 1),), min_level=3),
            ResourceSpec("Cleansing Touch", "long", ability="CHA", min_level=14),
        ),
        extras={"aura_range": ((1, 0), (6, 10), (18, 30))},
    ),
    "Ranger": ClassInfo(
        name="Ranger",
        hit_die=10,
        saving_throws=("STR", "DEX"),
        armor=LIGHT_MEDIUM_SHIELD,
        weapons=SIMPLE_MARTIAL,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=3,
        skill_options=("Animal Handling", "Athletics", "Insight", "Investigation", "Nature", "Perception",
                       "Stealth", "Survival"),
        caster="half",
        spellcasting_ability="WIS",
        prepares_spells=False,
        features={
            1: ("Favored Enemy (1 type)", "Natural Explorer (1 terrain type)"),
            2: ("Fighting Style", "Spellcasting: Ranger"),
            3: ("Ranger Archetype", "Primeval Awareness"),
            5: ("Extra Attack",),
            6: ("Favored Enemy (2 types)", "Natural Explorer (2 terrain types)"),
            7: ("Ranger Archetype feature",),
            8: ("Land's Stride",),
            10: ("Natural Explorer (3 terrain types)", "Hide in Plain Sight"),
            11: ("Ranger Archetype feature",),
            14: ("Favored Enemy (3 enemies)", "Vanish"),
            15: ("Ranger Archetype feature",),
            18: ("Feral Senses",),
            20: ("Foe Slayer",),
        },
        subclass_level=3,
        subclass_title="Ranger Archetype",
        subclass_feature_label="Ranger Archetype feature",
        subclass="Hunter",
        multiclass_prereqs=({"DEX": 13, "WIS": 13},),
        multiclass_proficiencies=LIGHT_MEDIUM_SHIELD + SIMPLE_MARTIAL,
        multiclass_skills=1,
        starting_gold=(5, 10),
        spells_known=(0, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11),
        extras={
            "favored_enemies": ((1, 1), (6, 2), (14, 3)),
            "favored_terrain": ((1, 1), (6, 2), (10, 3)),
        },
    ),
    "Rogue": ClassInfo(
        name="Rogue",
        hit_die=8,
        saving_throws=("DEX", "INT"),
        armor=("Light Armor",),
        weapons=ROGUISH_WEAPONS,
        tools=("Thieves' Tools",),
        tool_choices=0,
        tool_options="",
        skill_count=4,
        skill_options=("Acrobatics", "Athletics", "Deception", "Insight", "Intimidation", "Investigation",
                       "Perception", "Performance", "Persuasion", "Sleight of Hand", "Stealth"),
        caster="none",
        spellcasting_ability=None,
        prepares_spells=False,
        features={
            1: ("Expertise", "Sneak Attack", "Thieves' Cant"),
            2: ("Cunning Action",),
            3: ("Roguish Archetype",),
            5: ("Uncanny Dodge",),
            6: ("Expertise",),
            7: ("Evasion",),
            9: ("Roguish Archetype feature",),
            11: ("Reliable Talent",),
            13: ("Roguish Archetype feature",),
            14: ("Blindsense",),
            15: ("Slippery Mind",),
            17: ("Roguish Archetype feature",),
            18: ("Elusive",),
            20: ("Stroke of Luck",),
        },
        subclass_level=3,
        subclass_title="Roguish Archetype",
        subclass_feature_label="Roguish Archetype feature",
        subclass="Thief",
        multiclass_prereqs=({"DEX": 13},),
        multiclass_proficiencies=("Light Armor", "Thieves' Tools"),
        multiclass_skills=1,
        starting_gold=(4, 10),
        asi_levels=(4, 8, 10, 12, 16, 19),
        resources=(ResourceSpec("Stroke of Luck", "short", counts=((20, 1),), min_level=20),),
        extras={
            "sneak_attack_dice": tuple((lvl, (lvl + 1) // 2) for lvl in range(1, 21, 2)),
        },
    ),
    "Sorcerer": ClassInfo(
        name="Sorcerer",
        hit_die=6,
        saving_throws=("CON", "CHA"),
        armor=(),
        weapons=ARCANE_WEAPONS,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Arcana", "Deception", "Insight", "Intimidation", "Persuasion", "Religion"),
        caster="full",
        spellcasting_ability="CHA",
        prepares_spells=False,
        features={
            1: ("Spellcasting: Sorcerer", "Sorcerous Origin"),
            2: ("Font of Magic", "Flexible Casting: Creating Spell Slots",
                "Flexible Casting: Converting Spell Slot"),
            3: ("Metamagic",),
            6: ("Sorcerous Origin feature",),
            10: ("Metamagic",),
            14: ("Sorcerous Origin feature",),
            17: ("Metamagic",),
            18: ("Sorcerous Origin feature",),
            20: ("Sorcerous Restoration",),
        },
        subclass_level=1,
        subclass_title="Sorcerous Origin",
        subclass_feature_label="Sorcerous Origin feature",
        subclass="Draconic",
        multiclass_prereqs=({"CHA": 13},),
        multiclass_proficiencies=(),
        multiclass_skills=0,
        starting_gold=(3, 10),
        cantrips_known=_known((3, 4), (6, 5), (11, 6)),
        spells_known=(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15, 15),
        resources=(ResourceSpec("Sorcery Points", "long", per_level=1, min_level=2),),
        extras={"metamagic_known": ((1, 0), (3, 2), (10, 3), (17, 4))},
    ),
    "Warlock": ClassInfo(
        name="Warlock",
        hit_die=8,
        saving_throws=("WIS", "CHA"),
        armor=("Light Armor",),
        weapons=("Simple Weapons",),
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Arcana", "Deception", "History", "Intimidation", "Investigation", "Nature",
                       "Religion"),
        caster="pact",
        spellcasting_ability="CHA",
        prepares_spells=False,
        features={
            1: ("Otherworldly Patron", "Pact Magic"),
            2: ("Eldritch Invocations",),
            3: ("Pact Boon",),
            6: ("Otherworldly Patron feature",),
            10: ("Otherworldly Patron feature",),
            11: ("Mystic Arcanum (6th level)",),
            13: ("Mystic Arcanum (7th level)",),
            14: ("Otherworldly Patron feature",),
            15: ("Mystic Arcanum (8th level)",),
            17: ("Mystic Arcanum (9th level)",),
            20: ("Eldritch Master",),
        },
        subclass_level=1,
        subclass_title="Otherworldly Patron",
        subclass_feature_label="Otherworldly Patron feature",
        subclass="Fiend",
        multiclass_prereqs=({"CHA": 13},),
        multiclass_proficiencies=("Light Armor", "Simple Weapons"),
        multiclass_skills=0,
        starting_gold=(4, 10),
        cantrips_known=_known((3, 2), (6, 3), (11, 4)),
        spells_known=(2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15),
        resources=(
            ResourceSpec("Mystic Arcanum (6th level)", "long", counts=((11, 1),), min_level=11),
            ResourceSpec("Mystic Arcanum (7th level)", "long", counts=((13, 1),), min_level=13),
            ResourceSpec("Mystic Arcanum (8th level)", "long", counts=((15, 1),), min_level=15),
            ResourceSpec("Mystic Arcanum (9th level)", "long", counts=((17, 1),), min_level=17),
            ResourceSpec("Eldritch Master", "long", counts=((20, 1),), min_level=20),
        ),
        extras={
            "invocations_known": ((1, 0), (2, 2), (5, 3), (7, 4), (9, 5), (12, 6), (15, 7), (18, 8)),
            "mystic_arcanum_level_6": ((1, 0), (11, 1)),
            "mystic_arcanum_level_7": ((1, 0), (13, 1)),
            "mystic_arcanum_level_8": ((1, 0), (15, 1)),
            "mystic_arcanum_level_9": ((1, 0), (17, 1)),
        },
    ),
    "Wizard": ClassInfo(
        name="Wizard",
        hit_die=6,
        saving_throws=("INT", "WIS"),
        armor=(),
        weapons=ARCANE_WEAPONS,
        tools=(),
        tool_choices=0,
        tool_options="",
        skill_count=2,
        skill_options=("Arcana", "History", "Insight", "Investigation", "Medicine", "Religion"),
        caster="full",
        spellcasting_ability="INT",
        prepares_spells=True,
        features={
            1: ("Spellcasting: Wizard", "Arcane Recovery"),
            2: ("Arcane Tradition",),
            6: ("Arcane Tradition feature",),
            10: ("Arcane Tradition feature",),
            14: ("Arcane Tradition feature",),
            18: ("Spell Mastery",),
            20: ("Signature Spell",),
        },
        subclass_level=2,
        subclass_title="Arcane Tradition",
        subclass_feature_label="Arcane Tradition feature",
        subclass="Evocation",
        multiclass_prereqs=({"INT": 13},),
        multiclass_proficiencies=(),
        multiclass_skills=0,
        starting_gold=(4, 10),
        cantrips_known=_known((3, 3), (6, 4), (11, 5)),
        resources=(ResourceSpec("Arcane Recovery", "long", counts=((1, 1),)),),
        extras={
            "arcane_recovery_levels": tuple((lvl, (lvl + 1) // 2) for lvl in range(1, 21, 2)),
        },
    ),
}

SUBCLASSES: Final[dict[str, SubclassInfo]] = {
    "Berserker": SubclassInfo(
        "Berserker", "Path of the Berserker", "Barbarian",
        {3: ("Frenzy",), 6: ("Mindless Rage",), 10: ("Intimidating Presence",), 14: ("Retaliation",)},
    ),
    "Lore": SubclassInfo(
        "Lore", "College of Lore", "Bard",
        {3: ("Bonus Proficiencies", "Cutting Words"), 6: ("Additional Magical Secrets",),
         14: ("Peerless Skill",)},
    ),
    "Life": SubclassInfo(
        "Life", "Life Domain", "Cleric",
        {1: ("Bonus Proficiency", "Disciple of Life"), 2: ("Channel Divinity: Preserve Life",),
         6: ("Blessed Healer",), 8: ("Divine Strike",), 17: ("Supreme Healing",)},
        spells={1: ("Bless", "Cure Wounds"), 3: ("Lesser Restoration", "Spiritual Weapon"),
                5: ("Beacon of Hope", "Revivify"), 7: ("Death Ward", "Guardian of Faith"),
                9: ("Mass Cure Wounds", "Raise Dead")},
        proficiencies=("Heavy Armor",),
    ),
    "Land": SubclassInfo(
        "Land", "Circle of the Land", "Druid",
        {2: ("Bonus Cantrip", "Natural Recovery"), 6: ("Land's Stride",), 10: ("Nature's Ward",),
         14: ("Nature's Sanctuary",)},
        resources=(ResourceSpec("Natural Recovery", "long", counts=((2, 1),), min_level=2),),
    ),
    "Champion": SubclassInfo(
        "Champion", "Champion", "Fighter",
        {3: ("Improved Critical",), 7: ("Remarkable Athlete",), 10: ("Additional Fighting Style",),
         15: ("Superior Critical",), 18: ("Survivor",)},
    ),
    "Open Hand": SubclassInfo(
        "Open Hand", "Way of the Open Hand", "Monk",
        {3: ("Open Hand Technique",), 6: ("Wholeness of Body",), 11: ("Tranquility",),
         17: ("Quivering Palm",)},
        resources=(ResourceSpec("Wholeness of Body", "long", counts=((6, 1),), min_level=6),),
    ),
    "Devotion": SubclassInfo(
        "Devotion", "Oath of Devotion", "Paladin",
        {3: ("Channel Divinity: Sacred Weapon", "Channel Divinity: Turn the Unholy"),
         7: ("Aura of Devotion",), 15: ("Purity of Spirit",), 20: ("Holy Nimbus",)},
        spells={3: ("Protection from Evil and Good", "Sanctuary"), 5: ("Lesser Restoration", "Zone of Truth"),
                9: ("Beacon of Hope", "Dispel Magic"), 13: ("Freedom of Movement", "Guardian of Faith"),
                17: ("Commune", "Flame Strike")},
        resources=(ResourceSpec("Holy Nimbus", "long", counts=((20, 1),), min_level=20),),
    ),
    "Hunter": SubclassInfo(
        "Hunter", "Hunter", "Ranger",
        {3: ("Hunter's Prey",), 7: ("Defensive Tactics",), 11: ("Multiattack",),
         15: ("Superior Hunter's Defense",)},
    ),
    "Thief": SubclassInfo(
        "Thief", "Thief", "Rogue",
        {3: ("Fast Hands", "Second-Story Work"), 9: ("Supreme Sneak",), 13: ("Use Magic Device",),
         17: ("Thief's Reflexes",)},
    ),
    "Draconic": SubclassInfo(
        "Draconic", "Draconic Bloodline", "Sorcerer",
        {1: ("Dragon Ancestor", "Draconic Resilience"), 6: ("Elemental Affinity",), 14: ("Dragon Wings",),
         18: ("Draconic Presence",)},
        unarmored_ac_ability="DEX",
    ),
    "Fiend": SubclassInfo(
        "Fiend", "The Fiend", "Warlock",
        {1: ("Dark One's Blessing",), 6: ("Dark One's Own Luck",), 10: ("Fiendish Resilience",),
         14: ("Hurl Through Hell",)},
        spells={1: ("Burning Hands", "Command"), 3: ("Blindness/Deafness", "Scorching Ray"),
                5: ("Fireball", "Stinking Cloud"), 7: ("Fire Shield", "Wall of Fire"),
                9: ("Flame Strike", "Hallow")},
        resources=(
            ResourceSpec("Dark One's Own Luck", "short", counts=((6, 1),), min_level=6),
            ResourceSpec("Hurl Through Hell", "long", counts=((14, 1),), min_level=14),
        ),
    ),
    "Evocation": SubclassInfo(
        "Evocation", "School of Evocation", "Wizard",
        {2: ("Evocation Savant", "Sculpt Spells"), 6: ("Potent Cantrip",), 10: ("Empowered Evocation",),
         14: ("Overchannel",)},
    ),
}


# A Circle of the Land druid's circle spells, by the land chosen at Druid 2 and the druid level they come at
# (always prepared, not counted: `dnd.spellcasting.always_prepared`). The SRD's lands; it has no Underdark list.
CIRCLE_SPELLS: Final[dict[str, dict[int, tuple[str, ...]]]] = {
    "Arctic": {3: ("Hold Person", "Spike Growth"), 5: ("Sleet Storm", "Slow"),
               7: ("Freedom of Movement", "Ice Storm"), 9: ("Commune with Nature", "Cone of Cold")},
    "Coast": {3: ("Mirror Image", "Misty Step"), 5: ("Water Breathing", "Water Walk"),
              7: ("Control Water", "Freedom of Movement"), 9: ("Conjure Elemental", "Scrying")},
    "Desert": {3: ("Blur", "Silence"), 5: ("Create Food and Water", "Protection from Energy"),
               7: ("Blight", "Hallucinatory Terrain"), 9: ("Insect Plague", "Wall of Stone")},
    "Forest": {3: ("Barkskin", "Spider Climb"), 5: ("Call Lightning", "Plant Growth"),
               7: ("Divination", "Freedom of Movement"), 9: ("Commune with Nature", "Tree Stride")},
    "Grassland": {3: ("Invisibility", "Pass without Trace"), 5: ("Daylight", "Haste"),
                  7: ("Divination", "Freedom of Movement"), 9: ("Dream", "Insect Plague")},
    "Mountain": {3: ("Spider Climb", "Spike Growth"), 5: ("Lightning Bolt", "Meld into Stone"),
                 7: ("Stone Shape", "Stoneskin"), 9: ("Passwall", "Wall of Stone")},
    "Swamp": {3: ("Acid Arrow", "Darkness"), 5: ("Stinking Cloud", "Water Walk"),
              7: ("Freedom of Movement", "Locate Creature"), 9: ("Insect Plague", "Scrying")},
}


def find_class(name: str) -> ClassInfo | None:
    """Case-insensitive class lookup."""
    return CLASSES.get(name.strip().title())


def find_subclass(class_name: str, name: str) -> SubclassInfo | None:
    """Look up a class's subclass by short ("Berserker") or full ("Path of the Berserker") name."""
    key = " ".join(name.replace("_", " ").split()).casefold()
    for sub in SUBCLASSES.values():
        if sub.class_name.casefold() != class_name.strip().casefold():
            continue
        if key in (sub.name.casefold(), sub.full_name.casefold()):
            return sub
    return None


def subclasses_of(class_name: str) -> tuple[SubclassInfo, ...]:
    return tuple(s for s in SUBCLASSES.values() if s.class_name.casefold() == class_name.casefold())
