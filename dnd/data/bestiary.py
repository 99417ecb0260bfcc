"""The engine's own bestiary: creatures from challenge rating 0 to 5 (and the one dragon a shipped campaign
ends with), written by hand as facts — armor class, hit points and hit dice, speed, abilities, saves, attacks,
multiattack, resistances and immunities, senses, challenge rating and XP — with short descriptions in the
project's own words.

The game plays with these when no SRD compendium is imported; an imported one extends and overrides them.
:func:`entry` gives a creature in the 5e-database JSON shape the imported monsters have, so one code path
(:meth:`dnd.monsters.MonsterBlock.from_srd`, the encounter builder, `!monster`) reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from dnd.abilities import modifier

__all__ = ["BESTIARY", "Attack", "Creature", "SaveAction", "Spells", "entries", "entry", "find_creature",
           "proficiency_for_cr", "xp_for_cr"]

# XP by challenge rating, and the proficiency bonus a creature of that rating has (the SRD's tables).
_XP: Final[dict[float, int]] = {0: 10, 0.125: 25, 0.25: 50, 0.5: 100, 1: 200, 2: 450, 3: 700, 4: 1100, 5: 1800,
                                6: 2300, 7: 2900, 8: 3900, 9: 5000, 10: 5900}


def xp_for_cr(cr: float) -> int:
    return _XP[cr]


def proficiency_for_cr(cr: float) -> int:
    return 2 if cr < 5 else 3 if cr < 9 else 4


@dataclass(frozen=True)
class Attack:
    """An attack roll: ``reach`` "melee", "ranged" or "melee or ranged"; ``extra``: more damage on a hit."""

    name: str
    to_hit: int
    dice: str
    damage_type: str
    reach: str = "melee"
    distance: str = "reach 5 ft."
    extra: tuple[tuple[str, str], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class SaveAction:
    """An effect resisted with a saving throw (a breath, a glare): half damage on a success when ``half``."""

    name: str
    dc: int
    ability: str
    dice: str = ""
    damage_type: str = ""
    half: bool = True
    note: str = ""


@dataclass(frozen=True)
class Spells:
    """A creature's Spellcasting as facts: its caster level, ability, save DC and spell attack bonus, slots by
    level, and its spells (name, level)."""

    level: int
    ability: str
    dc: int
    to_hit: int
    slots: tuple[tuple[int, int], ...]
    spells: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Creature:
    name: str
    size: str
    type: str
    alignment: str
    ac: int
    armor: str  # what the AC comes from: "natural armor", "leather armor, shield", "" for Dexterity alone
    hp: int
    hit_dice: str
    speed: str  # "30", "30, fly 60"
    abilities: tuple[int, int, int, int, int, int]  # STR DEX CON INT WIS CHA
    cr: float
    xp: int
    about: str  # one line in our own words
    subtype: str | None = None
    saves: dict[str, int] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    senses: str = ""  # "darkvision 60 ft., blindsight 10 ft."
    languages: str = ""
    vulnerable: tuple[str, ...] = ()
    resist: tuple[str, ...] = ()
    immune: tuple[str, ...] = ()
    condition_immune: tuple[str, ...] = ()
    attacks: tuple[Attack, ...] = ()
    saves_actions: tuple[SaveAction, ...] = ()
    multiattack: tuple[tuple[tuple[str, int], ...], ...] = ()  # options, each (action, count) pairs
    traits: tuple[tuple[str, str], ...] = ()
    spells: Spells | None = None  # the structured form of its "Spellcasting" trait

    @property
    def index(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.casefold()).strip("-")


_CON = "blinded, charmed, deafened, exhaustion, frightened, paralyzed, petrified, poisoned"
_SWARM_CONDITIONS = ("charmed", "frightened", "grappled", "paralyzed", "petrified", "prone", "restrained",
                     "stunned")
_BPS = ("bludgeoning", "piercing", "slashing")
_NONMAGIC = "bludgeoning, piercing, and slashing from nonmagical attacks"
_ENERGY = ("acid", "cold", "fire", "lightning", "thunder")
_INCORPOREAL = ("charmed", "exhaustion", "grappled", "paralyzed", "petrified", "poisoned", "prone", "restrained")


def _a(name: str, to_hit: int, dice: str, damage_type: str, **kw: Any) -> Attack:
    return Attack(name, to_hit, dice, damage_type, **kw)


def _r(name: str, to_hit: int, dice: str, damage_type: str, distance: str, **kw: Any) -> Attack:
    return Attack(name, to_hit, dice, damage_type, reach="ranged", distance=f"range {distance}", **kw)


def _mr(name: str, to_hit: int, dice: str, damage_type: str, distance: str, **kw: Any) -> Attack:
    return Attack(name, to_hit, dice, damage_type, reach="melee or ranged",
                  distance=f"reach 5 ft. or range {distance}", **kw)


def _c(name: str, kind: str, alignment: str, ac: int, armor: str, hp: int, hit_dice: str, speed: str,
       abilities: str, cr: float, xp: int, about: str, **kw: Any) -> Creature:
    size, rest = kind.split(" ", 1)
    type_, _, subtype = rest.partition(" (")
    scores = tuple(int(x) for x in abilities.split())
    return Creature(name, size, type_, alignment, ac, armor, hp, hit_dice, speed, scores,  # type: ignore[arg-type]
                    cr, xp, about, subtype=subtype.rstrip(")") or None, **kw)


_PACK = ("Pack Tactics", "Advantage on attacks against a target with one of its allies next to it.")
_KEEN_SMELL = ("Keen Smell", "Advantage on Wisdom (Perception) checks that rely on smell.")
_KEEN_HS = ("Keen Hearing and Smell", "Advantage on Perception checks that rely on hearing or smell.")
_SUNLIGHT = ("Sunlight Sensitivity", "Disadvantage on attacks and sight-based Perception in sunlight.")
_FALSE = ("False Appearance", "Motionless, it can't be told apart from an ordinary object.")
_ANTIMAGIC = ("Antimagic Susceptibility", "Incapacitated inside an antimagic field; dispel magic stuns it.")
_INCORP = ("Incorporeal Movement", "Moves through creatures and objects (5 force damage if it ends inside one).")
_DEVOTION = ("Dark Devotion", "Advantage on saves against being charmed or frightened.")
_SWARM = ("Swarm", "Can share spaces and squeeze through tiny gaps; can't regain hit points or gain temporary ones.")
_CLERIC_CANTRIPS = (("Light", 0), ("Sacred Flame", 0), ("Thaumaturgy", 0))
_TRIP = "a creature hit must succeed on a DC {dc} Strength save or fall prone"

BESTIARY: Final[dict[str, Creature]] = {c.name: c for c in (
    # ------------------------------------------------------------------ challenge 0
    _c("Commoner", "Medium humanoid (any race)", "any alignment", 10, "", 4, "1d8", "30", "10 10 10 10 10 10",
       0, 10, "A farmer, servant or townsfolk with a club and no wish to fight.", languages="any one language",
       attacks=(_a("Club", 2, "1d4", "bludgeoning"),)),
    _c("Rat", "Tiny beast", "unaligned", 10, "", 1, "1d4-1", "20", "2 11 9 2 10 4", 0, 10,
       "A sewer rat: a nuisance alone, a disease risk in numbers.", senses="darkvision 30 ft.",
       attacks=(_a("Bite", 0, "1", "piercing"),), traits=(_KEEN_SMELL,)),
    _c("Bat", "Tiny beast", "unaligned", 12, "", 1, "1d4-1", "5, fly 30", "2 15 8 2 12 4", 0, 10,
       "A cave bat that hunts by sound.", senses="blindsight 60 ft.",
       attacks=(_a("Bite", 0, "1", "piercing"),),
       traits=(("Echolocation", "No blindsight while deafened."),
               ("Keen Hearing", "Advantage on Perception checks that rely on hearing."))),
    _c("Cat", "Tiny beast", "unaligned", 12, "", 2, "1d4", "40, climb 30", "3 15 10 3 12 7", 0, 10,
       "A house or barn cat.", skills={"Perception": 3, "Stealth": 4},
       attacks=(_a("Claws", 0, "1", "slashing"),), traits=(_KEEN_SMELL,)),
    _c("Jackal", "Small beast", "unaligned", 12, "", 3, "1d6", "40", "8 15 11 3 12 6", 0, 10,
       "A scavenging wild dog that hunts in packs.", skills={"Perception": 3},
       attacks=(_a("Bite", 1, "1d4-1", "piercing"),), traits=(_KEEN_HS, _PACK)),
    _c("Hyena", "Medium beast", "unaligned", 11, "", 5, "1d8+1", "50", "11 13 12 2 12 5", 0, 10,
       "A cackling pack scavenger.", skills={"Perception": 3},
       attacks=(_a("Bite", 2, "1d6", "piercing"),), traits=(_PACK,)),
    _c("Giant Fire Beetle", "Small beast", "unaligned", 13, "natural armor", 4, "1d6+1", "30", "8 10 12 1 7 3",
       0, 10, "A dog-sized beetle whose glands glow with a steady orange light.", senses="blindsight 30 ft.",
       attacks=(_a("Bite", 1, "1d6-1", "slashing"),),
       traits=(("Illumination", "Bright light in a 10-foot radius, dim light 10 feet beyond."),)),
    # ------------------------------------------------------------------ challenge 1/8
    _c("Bandit", "Medium humanoid (any race)", "any non-lawful alignment", 12, "leather armor", 11, "2d8+2", "30",
       "11 12 12 10 10 10", 0.125, 25, "A highway robber who would rather threaten than fight.",
       languages="any one language (usually Common)",
       attacks=(_a("Scimitar", 3, "1d6+1", "slashing"), _r("Light Crossbow", 3, "1d8+1", "piercing", "80/320 ft."))),
    _c("Cultist", "Medium humanoid (any race)", "any non-good alignment", 12, "leather armor", 9, "2d8", "30",
       "11 12 10 10 11 10", 0.125, 25, "A sworn servant of a dark power, robed and fervent.",
       skills={"Deception": 2, "Religion": 2}, languages="any one language (usually Common)",
       attacks=(_a("Scimitar", 3, "1d6+1", "slashing"),), traits=(_DEVOTION,)),
    _c("Guard", "Medium humanoid (any race)", "any alignment", 16, "chain shirt, shield", 11, "2d8+2", "30",
       "13 12 12 10 11 10", 0.125, 25, "A town watchman or gate sentry with spear and shield.",
       skills={"Perception": 2}, languages="any one language (usually Common)",
       attacks=(_mr("Spear", 3, "1d6+1", "piercing", "20/60 ft."),)),
    _c("Noble", "Medium humanoid (any race)", "any alignment", 15, "breastplate", 9, "2d8", "30",
       "11 12 11 12 14 16", 0.125, 25, "A titled aristocrat, better at intrigue than swordplay.",
       skills={"Deception": 5, "Insight": 4, "Persuasion": 5}, languages="any two languages",
       attacks=(_a("Rapier", 3, "1d8+1", "piercing"),),
       traits=(("Parry", "Reaction: +2 AC against one melee attack it can see."),)),
    _c("Kobold", "Small humanoid (kobold)", "lawful evil", 12, "", 5, "2d6-2", "30", "7 15 9 8 7 8", 0.125, 25,
       "A small scaled creature that fights in swarms and loves traps.", senses="darkvision 60 ft.",
       languages="Common, Draconic",
       attacks=(_a("Dagger", 4, "1d4+2", "piercing"), _r("Sling", 4, "1d4+2", "bludgeoning", "30/120 ft.")),
       traits=(_SUNLIGHT, _PACK)),
    _c("Giant Rat", "Small beast", "unaligned", 12, "", 7, "2d6", "30", "7 15 11 2 10 4", 0.125, 25,
       "A rat the size of a dog, bold in packs.", senses="darkvision 60 ft.",
       attacks=(_a("Bite", 4, "1d4+2", "piercing"),), traits=(_KEEN_SMELL, _PACK)),
    _c("Giant Crab", "Medium beast", "unaligned", 15, "natural armor", 13, "3d8", "30, swim 30", "13 15 11 1 9 3",
       0.125, 25, "A shore crab as big as a cart wheel.", skills={"Stealth": 4}, senses="blindsight 30 ft.",
       attacks=(_a("Claw", 3, "1d6+1", "bludgeoning", note="the target is grappled (escape DC 11)"),),
       traits=(("Amphibious", "Breathes air and water."),)),
    _c("Mastiff", "Medium beast", "unaligned", 12, "", 5, "1d8+1", "40", "13 14 12 3 12 7", 0.125, 25,
       "A big guard dog.", skills={"Perception": 3},
       attacks=(_a("Bite", 3, "1d6+1", "piercing", note=_TRIP.format(dc=11)),), traits=(_KEEN_HS,)),
    # ------------------------------------------------------------------ challenge 1/4
    _c("Goblin", "Small humanoid (goblinoid)", "neutral evil", 15, "leather armor, shield", 7, "2d6", "30",
       "8 14 10 10 8 8", 0.25, 50, "A small, spiteful raider that strikes and slips away.",
       skills={"Stealth": 6}, senses="darkvision 60 ft.", languages="Common, Goblin",
       attacks=(_a("Scimitar", 4, "1d6+2", "slashing"), _r("Shortbow", 4, "1d6+2", "piercing", "80/320 ft.")),
       traits=(("Nimble Escape", "Disengages or hides as a bonus action."),)),
    _c("Skeleton", "Medium undead", "lawful evil", 13, "armor scraps", 13, "2d8+4", "30", "10 14 15 6 8 5", 0.25,
       50, "Old bones held together by necromancy, obeying whoever raised them.", senses="darkvision 60 ft.",
       languages="understands the languages it knew in life but can't speak", vulnerable=("bludgeoning",),
       immune=("poison",), condition_immune=("exhaustion", "poisoned"),
       attacks=(_a("Shortsword", 4, "1d6+2", "piercing"), _r("Shortbow", 4, "1d6+2", "piercing", "80/320 ft."))),
    _c("Zombie", "Medium undead", "neutral evil", 8, "", 22, "3d8+9", "20", "13 6 16 3 6 5", 0.25, 50,
       "A shambling corpse that keeps coming.", saves={"WIS": 0}, senses="darkvision 60 ft.",
       languages="understands the languages it knew in life but can't speak", immune=("poison",),
       condition_immune=("poisoned",), attacks=(_a("Slam", 3, "1d6+1", "bludgeoning"),),
       traits=(("Undead Fortitude", "Dropped to 0 by anything but radiant damage or a critical hit, it may make a "
                "Constitution save (DC 5 + the damage) to stay at 1 hit point."),)),
    _c("Wolf", "Medium beast", "unaligned", 13, "natural armor", 11, "2d8+2", "40", "12 15 12 3 12 6", 0.25, 50,
       "A grey hunter that runs with its pack.", skills={"Perception": 3, "Stealth": 4},
       attacks=(_a("Bite", 4, "2d4+2", "piercing", note=_TRIP.format(dc=11)),), traits=(_KEEN_HS, _PACK)),
    _c("Acolyte", "Medium humanoid (any race)", "any alignment", 10, "", 9, "2d8", "30", "10 10 10 10 14 11",
       0.25, 50, "A junior priest who tends a shrine and its sick.", skills={"Medicine": 4, "Religion": 2},
       languages="any one language (usually Common)", attacks=(_a("Club", 2, "1d4", "bludgeoning"),),
       traits=(("Spellcasting", "A 1st-level cleric (Wisdom, save DC 12, +4 to hit): sacred flame, bless, "
                "cure wounds, sanctuary."),),
       spells=Spells(1, "WIS", 12, 4, ((1, 3),),
                     (*_CLERIC_CANTRIPS, ("Bless", 1), ("Cure Wounds", 1), ("Sanctuary", 1)))),
    _c("Flying Sword", "Small construct", "unaligned", 17, "natural armor", 17, "5d6", "0, fly 50",
       "12 15 11 1 5 1", 0.25, 50, "An animated blade that darts through the air on its own.",
       saves={"DEX": 4}, senses="blindsight 60 ft. (blind beyond)", immune=("poison", "psychic"),
       condition_immune=tuple(_CON.replace("exhaustion, ", "").split(", ")),
       attacks=(_a("Longsword", 3, "1d8+1", "slashing"),), traits=(_ANTIMAGIC, _FALSE)),
    _c("Swarm of Bats", "Medium swarm (tiny beasts)", "unaligned", 12, "", 22, "5d8", "0, fly 30",
       "5 15 10 2 12 4", 0.25, 50, "A shrieking cloud of bats.", senses="blindsight 60 ft.", resist=_BPS,
       condition_immune=_SWARM_CONDITIONS,
       attacks=(_a("Bites", 4, "2d4", "piercing", distance="reach 0 ft.",
                   note="1d4 instead while the swarm has half its hit points or fewer"),),
       traits=(_SWARM, ("Echolocation", "No blindsight while deafened."))),
    _c("Swarm of Rats", "Medium swarm (tiny beasts)", "unaligned", 10, "", 24, "7d8-7", "30", "9 11 9 2 10 3",
       0.25, 50, "A squealing carpet of rats.", senses="darkvision 30 ft.", resist=_BPS,
       condition_immune=_SWARM_CONDITIONS,
       attacks=(_a("Bites", 2, "2d6", "piercing", distance="reach 0 ft.",
                   note="1d6 instead while the swarm has half its hit points or fewer"),),
       traits=(_SWARM, _KEEN_SMELL)),
    _c("Giant Wolf Spider", "Medium beast", "unaligned", 13, "", 11, "2d8+2", "40, climb 40", "12 16 13 3 12 4",
       0.25, 50, "A hairy spider the size of a pony that runs its prey down.",
       skills={"Perception": 3, "Stealth": 7}, senses="blindsight 10 ft., darkvision 60 ft.",
       attacks=(_a("Bite", 3, "1d6+1", "piercing",
                   note="the target makes a DC 11 Constitution save, taking 2d6 poison damage (half on a success)"),),
       traits=(("Spider Climb", "Climbs on walls and ceilings without checks."),)),
    _c("Boar", "Medium beast", "unaligned", 11, "natural armor", 11, "2d8+2", "40", "13 11 12 2 9 5", 0.25, 50,
       "A bad-tempered wild pig with tusks.", attacks=(_a("Tusk", 3, "1d6+1", "slashing"),),
       traits=(("Charge", "After moving 20 feet straight at a target, a tusk hit deals 1d6 more and may knock it "
                "prone (DC 11 Strength)."),
               ("Relentless", "Once per rest, 7 damage or less that would drop it leaves it at 1 hit point."))),
    # ------------------------------------------------------------------ challenge 1/2
    _c("Orc", "Medium humanoid (orc)", "chaotic evil", 13, "hide armor", 15, "2d8+6", "30", "16 12 16 7 11 10",
       0.5, 100, "A tusked raider who lives for the charge.", skills={"Intimidation": 2},
       senses="darkvision 60 ft.", languages="Common, Orc",
       attacks=(_a("Greataxe", 5, "1d12+3", "slashing"), _mr("Javelin", 5, "1d6+3", "piercing", "30/120 ft.")),
       traits=(("Aggressive", "As a bonus action, moves up to its speed toward a hostile creature it can see."),)),
    _c("Hobgoblin", "Medium humanoid (goblinoid)", "lawful evil", 18, "chain mail, shield", 11, "2d8+2", "30",
       "13 12 12 10 10 9", 0.5, 100, "A disciplined goblinoid soldier who fights in formation.",
       senses="darkvision 60 ft.", languages="Common, Goblin",
       attacks=(_a("Longsword", 3, "1d8+1", "slashing", note="1d10+1 with both hands"),
                _r("Longbow", 3, "1d8+1", "piercing", "150/600 ft.")),
       traits=(("Martial Advantage", "Once a turn, 2d6 extra damage to a target with one of its allies next to "
                "it."),)),
    _c("Thug", "Medium humanoid (any race)", "any non-good alignment", 11, "leather armor", 32, "5d8+10", "30",
       "15 11 14 10 10 11", 0.5, 100, "A hired bruiser who enforces with a mace.", skills={"Intimidation": 2},
       languages="any one language (usually Common)",
       attacks=(_a("Mace", 4, "1d6+2", "bludgeoning"), _r("Heavy Crossbow", 2, "1d10", "piercing", "100/400 ft.")),
       multiattack=((("Mace", 2),),), traits=(_PACK,)),
    _c("Scout", "Medium humanoid (any race)", "any alignment", 13, "leather armor", 16, "3d8+3", "30",
       "11 14 12 11 13 11", 0.5, 100, "A ranger of the wilds who shoots first from cover.",
       skills={"Nature": 4, "Perception": 5, "Stealth": 6, "Survival": 5},
       languages="any one language (usually Common)",
       attacks=(_a("Shortsword", 4, "1d6+2", "piercing"), _r("Longbow", 4, "1d8+2", "piercing", "150/600 ft.")),
       multiattack=((("Shortsword", 2),), (("Longbow", 2),)),
       traits=(("Keen Hearing and Sight", "Advantage on Perception checks that rely on hearing or sight."),)),
    _c("Shadow", "Medium undead", "chaotic evil", 12, "", 16, "3d8+3", "40", "6 14 13 6 10 8", 0.5, 100,
       "A living darkness that drains strength until its victim becomes a shadow too.",
       skills={"Stealth": 4}, senses="darkvision 60 ft.", vulnerable=("radiant",),
       resist=(*_ENERGY, _NONMAGIC), immune=("necrotic", "poison"),
       condition_immune=("exhaustion", "frightened", "grappled", "paralyzed", "petrified", "poisoned", "prone",
                         "restrained"),
       attacks=(_a("Strength Drain", 4, "2d6+2", "necrotic",
                   note="the target's Strength drops by 1d4 until a rest; at 0 it dies"),),
       traits=(("Amorphous", "Moves through gaps an inch wide."),
               ("Shadow Stealth", "Hides as a bonus action in dim light or darkness."), _SUNLIGHT)),
    _c("Reef Shark", "Medium beast", "unaligned", 12, "natural armor", 22, "4d8+4", "0, swim 40", "14 13 13 1 10 4",
       0.5, 100, "A lean shark of warm shallows.", skills={"Perception": 2}, senses="blindsight 30 ft.",
       attacks=(_a("Bite", 4, "1d8+2", "piercing"),),
       traits=(_PACK, ("Water Breathing", "Breathes only water."))),
    _c("Swarm of Insects", "Medium swarm (tiny beasts)", "unaligned", 12, "natural armor", 22, "5d8",
       "20, climb 20", "3 13 10 1 7 1", 0.5, 100, "A biting, crawling mass of beetles or wasps.",
       senses="blindsight 10 ft.", resist=_BPS, condition_immune=_SWARM_CONDITIONS,
       attacks=(_a("Bites", 3, "4d4", "piercing", distance="reach 0 ft.",
                   note="2d4 instead while the swarm has half its hit points or fewer"),), traits=(_SWARM,)),
    _c("Magma Mephit", "Small elemental", "neutral evil", 11, "", 22, "5d6+5", "30, fly 30", "8 12 12 7 10 10",
       0.5, 100, "An impish blob of molten rock that bursts when it dies.", skills={"Stealth": 3},
       senses="darkvision 60 ft.", languages="Ignan, Terran", vulnerable=("cold",), immune=("fire", "poison"),
       condition_immune=("poisoned",),
       attacks=(_a("Claws", 3, "1d4+1", "slashing", extra=(("1d4", "fire"),)),),
       saves_actions=(SaveAction("Fire Breath", 11, "DEX", "2d6", "fire",
                                 note="a 15-foot cone; recharges on a 6"),),
       traits=(("Death Burst", "Explodes when it dies: DC 11 Dexterity save, 2d6 fire damage (half on a "
                "success) within 5 feet."), _FALSE)),
    _c("Gnoll", "Medium humanoid (gnoll)", "chaotic evil", 15, "hide armor, shield", 22, "5d8", "30",
       "14 12 11 6 10 7", 0.5, 100, "A hyena-headed raider driven by hunger.", senses="darkvision 60 ft.",
       languages="Gnoll",
       attacks=(_a("Bite", 4, "1d4+2", "piercing"), _mr("Spear", 4, "1d6+2", "piercing", "20/60 ft."),
                _r("Longbow", 3, "1d8+1", "piercing", "150/600 ft.")),
       traits=(("Rampage", "After dropping a creature to 0 in melee, it moves half its speed and bites as a bonus "
                "action."),)),
    _c("Black Bear", "Medium beast", "unaligned", 11, "natural armor", 19, "3d8+6", "40, climb 30",
       "15 10 14 2 12 7", 0.5, 100, "A forest bear, dangerous when cornered or hungry.", skills={"Perception": 3},
       attacks=(_a("Bite", 3, "1d6+2", "piercing"), _a("Claws", 3, "2d4+2", "slashing")),
       multiattack=((("Bite", 1), ("Claws", 1)),), traits=(_KEEN_SMELL,)),
    _c("Worg", "Large monstrosity", "neutral evil", 13, "natural armor", 26, "4d10+4", "50", "16 13 13 7 11 8",
       0.5, 100, "A huge, cunning wolf that goblins ride to war.", skills={"Perception": 4},
       senses="darkvision 60 ft.", languages="Goblin, Worg",
       attacks=(_a("Bite", 5, "2d6+3", "piercing", note=_TRIP.format(dc=13)),), traits=(_KEEN_HS,)),
    # ------------------------------------------------------------------ challenge 1
    _c("Bugbear", "Medium humanoid (goblinoid)", "chaotic evil", 16, "hide armor, shield", 27, "5d8+5", "30",
       "15 14 13 8 11 9", 1, 200, "A hulking, hairy goblinoid that loves an ambush.",
       skills={"Stealth": 6, "Survival": 2}, senses="darkvision 60 ft.", languages="Common, Goblin",
       attacks=(_a("Morningstar", 4, "2d8+2", "piercing"),
                _mr("Javelin", 4, "2d6+2", "piercing", "30/120 ft.", note="1d6+2 at range")),
       traits=(("Brute", "Its melee weapons deal one extra die (included)."),
               ("Surprise Attack", "2d6 extra damage on a hit against a surprised creature in the first round."))),
    _c("Ghoul", "Medium undead", "chaotic evil", 12, "", 22, "5d8", "30", "13 15 10 7 10 6", 1, 200,
       "A corpse-eater whose claws paralyze.", senses="darkvision 60 ft.", languages="Common",
       immune=("poison",), condition_immune=("charmed", "exhaustion", "poisoned"),
       attacks=(_a("Bite", 2, "2d6+2", "piercing"),
                _a("Claws", 4, "2d4+2", "slashing",
                   note="a creature that isn't an elf or undead makes a DC 10 Constitution save or is paralyzed "
                        "for a minute (it repeats the save each turn)")),
       multiattack=()),
    _c("Specter", "Medium undead", "chaotic evil", 12, "", 22, "5d8", "0, fly 50", "1 14 11 10 10 11", 1, 200,
       "The restless spirit of someone who died in despair.", senses="darkvision 60 ft.",
       languages="understands the languages it knew in life but can't speak", resist=(*_ENERGY, _NONMAGIC),
       immune=("necrotic", "poison"), condition_immune=(*_INCORPOREAL, "unconscious"),
       attacks=(_a("Life Drain", 4, "3d6", "necrotic",
                   note="DC 10 Constitution save or its hit point maximum drops by the damage until a long rest"),),
       traits=(_INCORP, _SUNLIGHT)),
    _c("Animated Armor", "Medium construct", "unaligned", 18, "natural armor", 33, "6d8+6", "25",
       "14 11 13 1 3 1", 1, 200, "An empty suit of plate that walks and strikes.",
       senses="blindsight 60 ft. (blind beyond)", immune=("poison", "psychic"),
       condition_immune=tuple(_CON.split(", ")), attacks=(_a("Slam", 4, "1d6+2", "bludgeoning"),),
       multiattack=((("Slam", 2),),), traits=(_ANTIMAGIC, _FALSE)),
    _c("Brown Bear", "Large beast", "unaligned", 11, "natural armor", 34, "4d10+12", "40, climb 30",
       "19 10 16 2 13 7", 1, 200, "A massive bear of the deep woods.", skills={"Perception": 3},
       attacks=(_a("Bite", 6, "1d8+4", "piercing"), _a("Claws", 6, "2d6+4", "slashing")),
       multiattack=((("Bite", 1), ("Claws", 1)),), traits=(_KEEN_SMELL,)),
    _c("Giant Spider", "Large beast", "unaligned", 14, "natural armor", 26, "4d10+4", "30, climb 30",
       "14 16 12 2 11 4", 1, 200, "A horse-sized spider that waits in its web.", skills={"Stealth": 7},
       senses="blindsight 10 ft., darkvision 60 ft.",
       attacks=(_a("Bite", 5, "1d8+3", "piercing",
                   note="the target makes a DC 11 Constitution save, taking 2d8 poison damage (half on a success)"),
                _r("Web", 5, "", "", "30/60 ft.",
                   note="the target is restrained by webbing (DC 12 Strength to break free); recharges on 5-6")),
       traits=(("Spider Climb", "Climbs on walls and ceilings without checks."),
               ("Web Sense", "Knows where anything touching its web is."),
               ("Web Walker", "Ignores movement restrictions of webs."))),
    _c("Dire Wolf", "Large beast", "unaligned", 14, "natural armor", 37, "5d10+10", "50", "17 15 15 3 12 7",
       1, 200, "A wolf the size of a horse.", skills={"Perception": 3, "Stealth": 4},
       attacks=(_a("Bite", 5, "2d6+3", "piercing", note=_TRIP.format(dc=13)),), traits=(_KEEN_HS, _PACK)),
    _c("Harpy", "Medium monstrosity", "chaotic evil", 11, "", 38, "7d8+7", "20, fly 40", "12 13 12 7 10 13",
       1, 200, "A vulture-winged woman whose song lures travellers to their deaths.", languages="Common",
       attacks=(_a("Claws", 3, "2d4+1", "slashing"), _a("Club", 3, "1d4+1", "bludgeoning")),
       multiattack=((("Claws", 1), ("Club", 1)),),
       saves_actions=(SaveAction("Luring Song", 11, "WIS", half=False,
                                 note="creatures within 300 feet that hear it are charmed and walk toward it"),)),
    _c("Lion", "Large beast", "unaligned", 12, "", 26, "4d10+4", "50", "17 15 13 3 12 8", 1, 200,
       "A big cat of the grasslands that hunts with its pride.", skills={"Perception": 3, "Stealth": 6},
       attacks=(_a("Bite", 5, "1d8+3", "piercing"), _a("Claw", 5, "1d6+3", "slashing")),
       traits=(_KEEN_SMELL, _PACK, ("Pounce", "A claw after a 20-foot run may knock the target prone (DC 13 "
                                    "Strength) and allow a bite as a bonus action."))),
    # ------------------------------------------------------------------ challenge 2
    _c("Ogre", "Large giant", "chaotic evil", 11, "hide armor", 59, "7d10+21", "40", "19 8 16 5 7 7", 2, 450,
       "A dim, greedy giant that smashes first.", senses="darkvision 60 ft.", languages="Common, Giant",
       attacks=(_a("Greatclub", 6, "2d8+4", "bludgeoning"), _mr("Javelin", 6, "2d6+4", "piercing", "30/120 ft."))),
    _c("Ghast", "Medium undead", "chaotic evil", 13, "", 36, "8d8", "30", "16 17 10 11 10 8", 2, 450,
       "A ghoul's stinking master, whose touch paralyzes even elves.", senses="darkvision 60 ft.",
       languages="Common", resist=("necrotic",), immune=("poison",),
       condition_immune=("charmed", "exhaustion", "poisoned"),
       attacks=(_a("Bite", 3, "2d8+3", "piercing"),
                _a("Claws", 5, "2d6+3", "slashing",
                   note="a creature that isn't undead makes a DC 10 Constitution save or is paralyzed for a minute")),
       traits=(("Stench", "Creatures starting their turn within 5 feet make a DC 10 Constitution save or are "
                "poisoned until their next turn."),
               ("Turning Defiance", "It and ghouls near it have advantage on saves against turn undead."))),
    _c("Gargoyle", "Medium elemental", "chaotic evil", 15, "natural armor", 52, "7d8+21", "30, fly 60",
       "15 11 16 6 11 7", 2, 450, "A winged stone fiend that perches as a statue.", senses="darkvision 60 ft.",
       languages="Terran", resist=(f"{_NONMAGIC} that aren't adamantine",), immune=("poison",),
       condition_immune=("exhaustion", "petrified", "poisoned"),
       attacks=(_a("Bite", 4, "1d6+2", "piercing"), _a("Claws", 4, "1d6+2", "slashing")),
       multiattack=((("Bite", 1), ("Claws", 1)),), traits=(_FALSE,)),
    _c("Rug of Smothering", "Large construct", "unaligned", 12, "", 33, "6d10", "10", "17 14 10 1 3 1", 2, 450,
       "A fine carpet that wraps itself around whoever steps on it.",
       senses="blindsight 60 ft. (blind beyond)", immune=("poison", "psychic"),
       condition_immune=tuple(c for c in _CON.split(", ") if c != "exhaustion"),
       attacks=(_a("Smother", 5, "2d6+3", "bludgeoning",
                   note="the target is grappled (escape DC 13), restrained and blinded, and takes the damage at "
                        "the start of each of its turns"),),
       traits=(_ANTIMAGIC, _FALSE, ("Damage Transfer", "While grappling, it takes half the damage dealt to it and "
                                    "the grappled creature the other half."))),
    _c("Griffon", "Large monstrosity", "unaligned", 12, "", 59, "7d10+21", "30, fly 80", "18 15 16 2 13 8", 2, 450,
       "A lion with an eagle's head and wings, prized as a mount.", skills={"Perception": 5},
       senses="darkvision 60 ft.",
       attacks=(_a("Beak", 6, "1d8+4", "piercing"), _a("Claws", 6, "2d6+4", "slashing")),
       multiattack=((("Beak", 1), ("Claws", 1)),),
       traits=(("Keen Sight", "Advantage on Perception checks that rely on sight."),)),
    _c("Merrow", "Large monstrosity", "chaotic evil", 13, "natural armor", 45, "6d10+12", "10, swim 40",
       "18 10 15 8 10 9", 2, 450, "A brutish sea-folk raider with a barbed harpoon.", senses="darkvision 60 ft.",
       languages="Abyssal, Aquan",
       attacks=(_a("Bite", 6, "1d8+4", "piercing"), _a("Claws", 6, "2d4+4", "slashing"),
                _mr("Harpoon", 6, "2d6+4", "piercing", "20/60 ft.",
                    note="a Huge or smaller target may be pulled up to 20 feet closer")),
       multiattack=((("Bite", 1), ("Claws", 1)), (("Bite", 1), ("Harpoon", 1))),
       traits=(("Amphibious", "Breathes air and water."),)),
    _c("Sea Hag", "Medium fey", "chaotic evil", 14, "natural armor", 52, "7d8+21", "30, swim 40",
       "16 13 16 12 12 13", 2, 450, "A hideous witch of the drowned places who hates beauty.",
       senses="darkvision 60 ft.", languages="Aquan, Common, Giant",
       attacks=(_a("Claws", 5, "2d6+3", "slashing"),),
       saves_actions=(SaveAction("Death Glare", 11, "WIS", half=False,
                                 note="a frightened target that fails drops to 0 hit points"),),
       traits=(("Amphibious", "Breathes air and water."),
               ("Horrific Appearance", "Creatures that see its true form make a DC 11 Wisdom save or are "
                "frightened for a minute."))),
    _c("Cult Fanatic", "Medium humanoid (any race)", "any non-good alignment", 13, "leather armor", 33, "6d8+6",
       "30", "11 14 12 10 13 14", 2, 450, "A cult's zealous leader, with spells of command and harm.",
       skills={"Deception": 4, "Persuasion": 4, "Religion": 2}, languages="any one language (usually Common)",
       attacks=(_a("Dagger", 4, "1d4+2", "piercing"),), multiattack=((("Dagger", 2),),),
       traits=(_DEVOTION, ("Spellcasting", "A 4th-level caster (Wisdom, save DC 11, +3 to hit): light, sacred "
                           "flame, thaumaturgy, command, inflict wounds, shield of faith, hold person, "
                           "spiritual weapon.")),
       spells=Spells(4, "WIS", 11, 3, ((1, 4), (2, 3)), (*_CLERIC_CANTRIPS, ("Command", 1), ("Inflict Wounds", 1),
                                                          ("Shield of Faith", 1), ("Hold Person", 2),
                                                          ("Spiritual Weapon", 2)))),
    _c("Bandit Captain", "Medium humanoid (any race)", "any non-lawful alignment", 15, "studded leather", 65,
       "10d8+20", "30", "15 16 14 14 11 14", 2, 450, "The sharp-tongued leader of a bandit gang.",
       saves={"STR": 4, "DEX": 5, "WIS": 2}, skills={"Athletics": 4, "Deception": 4},
       languages="any two languages",
       attacks=(_a("Scimitar", 5, "1d6+3", "slashing"), _mr("Dagger", 5, "1d4+3", "piercing", "20/60 ft.")),
       multiattack=((("Scimitar", 2), ("Dagger", 1)), (("Dagger", 2),)),
       traits=(("Parry", "Reaction: +2 AC against one melee attack it can see."),)),
    _c("Priest", "Medium humanoid (any race)", "any alignment", 13, "chain shirt", 27, "5d8+5", "25",
       "10 10 12 13 16 13", 2, 450, "A temple's ordained priest, healer and voice of its god.",
       skills={"Medicine": 7, "Persuasion": 3, "Religion": 4}, languages="any two languages",
       attacks=(_a("Mace", 2, "1d6", "bludgeoning"),),
       traits=(("Spellcasting", "A 5th-level cleric (Wisdom, save DC 13, +5 to hit): sacred flame, cure wounds, "
                "guiding bolt, lesser restoration, spiritual weapon, dispel magic, spirit guardians."),),
       spells=Spells(5, "WIS", 13, 5, ((1, 4), (2, 3), (3, 2)),
                     (*_CLERIC_CANTRIPS, ("Cure Wounds", 1), ("Guiding Bolt", 1),
                                                                   ("Sanctuary", 1), ("Lesser Restoration", 2),
                                                                   ("Spiritual Weapon", 2), ("Dispel Magic", 3),
                                                                   ("Spirit Guardians", 3)))),
    _c("Berserker", "Medium humanoid (any race)", "any chaotic alignment", 13, "hide armor", 67, "9d8+27", "30",
       "16 12 17 9 11 9", 2, 450, "A warrior who fights in a howling rage.",
       languages="any one language (usually Common)", attacks=(_a("Greataxe", 5, "1d12+3", "slashing"),),
       traits=(("Reckless", "Can attack with advantage on its turn; attacks against it then have advantage."),)),
    _c("Gelatinous Cube", "Large ooze", "unaligned", 6, "", 84, "8d10+40", "15", "14 3 20 1 6 1", 2, 450,
       "A clear, quivering block of jelly that scours dungeon halls.", senses="blindsight 60 ft. (blind beyond)",
       condition_immune=("blinded", "charmed", "deafened", "exhaustion", "frightened", "prone"),
       attacks=(_a("Pseudopod", 4, "3d6", "acid"),),
       saves_actions=(SaveAction("Engulf", 12, "DEX", "3d6", "acid", half=False,
                                 note="a creature that fails is engulfed and takes 6d6 acid at the start of each "
                                      "of the cube's turns"),),
       traits=(("Transparent", "A DC 15 Perception check is needed to notice it before it moves."),)),
    _c("Mimic", "Medium monstrosity (shapechanger)", "neutral", 12, "natural armor", 58, "9d8+18", "15",
       "17 12 15 5 13 8", 2, 450, "A hungry shapechanger that poses as a chest or a door.", skills={"Stealth": 5},
       senses="darkvision 60 ft.", immune=("acid",), condition_immune=("prone",),
       attacks=(_a("Pseudopod", 5, "1d8+3", "bludgeoning", note="the target sticks to it (escape DC 13)"),
                _a("Bite", 5, "1d8+3", "piercing", extra=(("1d8", "acid"),))),
       traits=(("Adhesive", "Sticks to anything it touches in object form."), _FALSE)),
    # ------------------------------------------------------------------ challenge 3
    _c("Veteran", "Medium humanoid (any race)", "any alignment", 17, "splint", 58, "9d8+18", "30",
       "16 13 14 10 11 10", 3, 700, "A soldier who has survived many battles.",
       skills={"Athletics": 5, "Perception": 2}, languages="any one language (usually Common)",
       attacks=(_a("Longsword", 5, "1d8+3", "slashing", note="1d10+3 with both hands"),
                _a("Shortsword", 5, "1d6+3", "piercing"),
                _r("Heavy Crossbow", 3, "1d10+1", "piercing", "100/400 ft.")),
       multiattack=((("Longsword", 2), ("Shortsword", 1)),)),
    _c("Owlbear", "Large monstrosity", "unaligned", 13, "natural armor", 59, "7d10+21", "40", "20 12 17 3 12 7",
       3, 700, "A feathered bear with an owl's beak and a foul temper.", skills={"Perception": 3},
       senses="darkvision 60 ft.",
       attacks=(_a("Beak", 7, "1d10+5", "piercing"), _a("Claws", 7, "2d8+5", "slashing")),
       multiattack=((("Beak", 1), ("Claws", 1)),),
       traits=(("Keen Sight and Smell", "Advantage on Perception checks that rely on sight or smell."),)),
    _c("Wight", "Medium undead", "neutral evil", 14, "studded leather", 45, "6d8+18", "30", "15 14 16 10 13 15",
       3, 700, "A dead warrior that hates the living and drains their life.",
       skills={"Perception": 3, "Stealth": 4}, senses="darkvision 60 ft.",
       languages="the languages it knew in life",
       resist=("necrotic", f"{_NONMAGIC} that aren't silvered"), immune=("poison",),
       condition_immune=("exhaustion", "poisoned"),
       attacks=(_a("Life Drain", 4, "1d6+2", "necrotic",
                   note="DC 13 Constitution save or its hit point maximum drops by the damage"),
                _a("Longsword", 4, "1d8+2", "slashing", note="1d10+2 with both hands"),
                _r("Longbow", 4, "1d8+2", "piercing", "150/600 ft.")),
       multiattack=((("Longsword", 2),), (("Longbow", 2),), (("Longsword", 1), ("Life Drain", 1))),
       traits=(_SUNLIGHT,)),
    _c("Winter Wolf", "Large monstrosity", "neutral evil", 13, "natural armor", 75, "10d10+20", "50",
       "18 13 14 7 12 8", 3, 700, "A white wolf of the ice that breathes freezing air.",
       skills={"Perception": 5, "Stealth": 3}, languages="Common, Giant, Winter Wolf", immune=("cold",),
       attacks=(_a("Bite", 6, "2d6+4", "piercing", note=_TRIP.format(dc=14)),),
       saves_actions=(SaveAction("Cold Breath", 12, "DEX", "4d8", "cold",
                                 note="a 15-foot cone; recharges on 5-6"),),
       traits=(_KEEN_HS, _PACK, ("Snow Camouflage", "Advantage on Stealth checks in snow."))),
    _c("Minotaur", "Large monstrosity", "chaotic evil", 14, "natural armor", 76, "9d10+27", "40",
       "18 11 16 6 16 9", 3, 700, "A bull-headed brute of the labyrinths.", skills={"Perception": 7},
       senses="darkvision 60 ft.", languages="Abyssal",
       attacks=(_a("Greataxe", 6, "2d12+4", "slashing"), _a("Gore", 6, "2d8+4", "piercing")),
       traits=(("Charge", "A gore after a 10-foot run deals 2d8 more and may push the target back and prone."),
               ("Labyrinthine Recall", "Never forgets a path it has walked."),
               ("Reckless", "Can attack with advantage on its turn; attacks against it then have advantage."))),
    _c("Hell Hound", "Medium fiend", "lawful evil", 15, "natural armor", 45, "7d8+14", "50", "17 12 14 6 13 6",
       3, 700, "A fire-breathing hound of the lower planes.", skills={"Perception": 5},
       senses="darkvision 60 ft.", languages="understands Infernal but can't speak it", immune=("fire",),
       attacks=(_a("Bite", 5, "1d8+3", "piercing", extra=(("2d6", "fire"),)),),
       saves_actions=(SaveAction("Fire Breath", 12, "DEX", "6d6", "fire", note="a 15-foot cone; recharges on 5-6"),),
       traits=(_KEEN_HS, _PACK)),
    _c("Manticore", "Large monstrosity", "lawful evil", 14, "natural armor", 68, "8d10+24", "30, fly 50",
       "17 16 17 7 12 8", 3, 700, "A man-faced lion with bat wings and a tail of iron spikes.",
       senses="darkvision 60 ft.", languages="Common",
       attacks=(_a("Bite", 5, "1d8+3", "piercing"), _a("Claw", 5, "1d6+3", "slashing"),
                _r("Tail Spike", 5, "1d8+3", "piercing", "100/200 ft.")),
       multiattack=((("Bite", 1), ("Claw", 2)), (("Tail Spike", 3),)),
       traits=(("Tail Spike Regrowth", "It has twenty-four spikes and regrows them over a long rest."),)),
    _c("Knight", "Medium humanoid (any race)", "any alignment", 18, "plate", 52, "8d8+16", "30",
       "16 11 14 11 11 15", 3, 700, "A sworn warrior of an order or a lord, in plate.",
       saves={"CON": 4, "WIS": 2}, languages="any one language (usually Common)",
       attacks=(_a("Greatsword", 5, "2d6+3", "slashing"), _r("Heavy Crossbow", 2, "1d10", "piercing", "100/400 ft.")),
       multiattack=((("Greatsword", 2),),),
       traits=(("Brave", "Advantage on saves against being frightened."),
               ("Parry", "Reaction: +2 AC against one melee attack it can see."))),
    _c("Doppelganger", "Medium monstrosity (shapechanger)", "neutral", 14, "", 52, "8d8+16", "30",
       "11 18 14 11 12 14", 3, 700, "A grey shapechanger that takes the faces of others and reads their thoughts.",
       skills={"Deception": 6, "Insight": 3}, senses="darkvision 60 ft.", languages="Common",
       condition_immune=("charmed",), attacks=(_a("Slam", 6, "1d6+4", "bludgeoning"),),
       multiattack=((("Slam", 2),),),
       traits=(("Shapechanger", "Becomes any Small or Medium humanoid it has seen."),
               ("Ambusher", "Advantage on attacks against a creature it surprised."))),
    # ------------------------------------------------------------------ challenge 4
    _c("Ghost", "Medium undead", "any alignment", 11, "", 45, "10d8", "0, fly 40", "7 13 10 10 12 17", 4, 1100,
       "The lingering soul of someone with unfinished business.", senses="darkvision 60 ft.",
       languages="any languages it knew in life", resist=("acid", "fire", "lightning", "thunder", _NONMAGIC),
       immune=("cold", "necrotic", "poison"), condition_immune=(*_INCORPOREAL[:1], "exhaustion", "frightened",
                                                                *_INCORPOREAL[2:]),
       attacks=(_a("Withering Touch", 5, "4d6+3", "necrotic"),),
       saves_actions=(SaveAction("Horrifying Visage", 13, "WIS", half=False,
                                 note="frightened for a minute; a failure by 5 or more also ages the target"),
                      SaveAction("Possession", 13, "CHA", half=False,
                                 note="a humanoid that fails is possessed by the ghost")),
       traits=(("Ethereal Sight", "Sees into the Ethereal Plane."), _INCORP)),
    # ------------------------------------------------------------------ challenge 5
    _c("Troll", "Large giant", "chaotic evil", 15, "natural armor", 84, "8d10+40", "30", "18 13 20 7 9 7", 5, 1800,
       "A gangling green giant whose wounds close unless burned.", skills={"Perception": 2},
       senses="darkvision 60 ft.", languages="Giant",
       attacks=(_a("Bite", 7, "1d6+4", "piercing"), _a("Claw", 7, "2d6+4", "slashing")),
       multiattack=((("Bite", 1), ("Claw", 2)),),
       traits=(_KEEN_SMELL, ("Regeneration", "Regains 10 hit points at the start of its turn unless it took acid "
                             "or fire damage since its last turn; it dies only at 0 without regenerating."))),
    _c("Wraith", "Medium undead", "neutral evil", 13, "", 67, "9d8+27", "0, fly 60", "6 16 16 12 14 15", 5, 1800,
       "A spirit of pure malice that turns its victims into specters.", senses="darkvision 60 ft.",
       languages="the languages it knew in life",
       resist=("acid", "cold", "fire", "lightning", "thunder", f"{_NONMAGIC} that aren't silvered"),
       immune=("necrotic", "poison"), condition_immune=_INCORPOREAL,
       attacks=(_a("Life Drain", 6, "4d8+3", "necrotic",
                   note="DC 14 Constitution save or its hit point maximum drops by the damage"),),
       traits=(_INCORP, _SUNLIGHT)),
    _c("Half-Red Dragon Veteran", "Medium humanoid (human)", "any alignment", 18, "plate", 65, "10d8+20", "30",
       "16 13 14 10 11 10", 5, 1800, "A veteran with a red dragon's blood, fire in its breath.",
       skills={"Athletics": 5, "Perception": 2}, senses="blindsight 10 ft., darkvision 60 ft.",
       languages="Common, Draconic", resist=("fire",),
       attacks=(_a("Longsword", 5, "1d8+3", "slashing", note="1d10+3 with both hands"),
                _a("Shortsword", 5, "1d6+3", "piercing"),
                _r("Heavy Crossbow", 3, "1d10+1", "piercing", "100/400 ft.")),
       saves_actions=(SaveAction("Fire Breath", 15, "DEX", "7d6", "fire", note="a 15-foot cone; recharges on 5-6"),),
       multiattack=((("Longsword", 2), ("Shortsword", 1)),)),
    _c("Hill Giant", "Huge giant", "chaotic evil", 13, "natural armor", 105, "10d12+40", "40", "21 8 19 5 9 6", 5,
       1800, "A lumbering, gluttonous giant that throws boulders.", skills={"Perception": 2}, languages="Giant",
       attacks=(_a("Greatclub", 8, "3d8+5", "bludgeoning", distance="reach 10 ft."),
                _r("Rock", 8, "3d10+5", "bludgeoning", "60/240 ft.")),
       multiattack=((("Greatclub", 2),),)),
    # ------------------------------------------------------------------ above 5: the finale of Ashes of Thornwall
    _c("Young Red Dragon", "Large dragon", "chaotic evil", 18, "natural armor", 178, "17d10+85", "40, climb 40, fly 80",
       "23 10 21 14 11 19", 10, 5900, "A proud, greedy young dragon that burns what it cannot own.",
       saves={"DEX": 4, "CON": 9, "WIS": 4, "CHA": 8}, skills={"Perception": 8, "Stealth": 4},
       senses="blindsight 30 ft., darkvision 120 ft.", languages="Common, Draconic", immune=("fire",),
       attacks=(_a("Bite", 10, "2d10+6", "piercing", distance="reach 10 ft.", extra=(("1d6", "fire"),)),
                _a("Claw", 10, "2d6+6", "slashing")),
       saves_actions=(SaveAction("Fire Breath", 17, "DEX", "16d6", "fire", note="a 30-foot cone; recharges on 5-6"),),
       multiattack=((("Bite", 1), ("Claw", 2)),)),
)}


# ----------------------------------------------------------------------------- the 5e-database shape


def _speed(text: str) -> dict[str, str]:
    speed: dict[str, str] = {}
    for i, part in enumerate(p.strip() for p in text.split(",")):
        kind, _, feet = part.rpartition(" ")
        speed[kind or ("walk" if i == 0 else part)] = f"{feet} ft."
    return speed


def _senses(creature: Creature) -> dict[str, Any]:
    senses: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in creature.senses.split(","))):
        kind, _, rest = part.partition(" ")
        senses[kind] = rest
    wis = modifier(creature.abilities[4])
    senses["passive_perception"] = 10 + creature.skills.get("Perception", wis)
    return senses


def _damage(dice: str, damage_type: str, extra: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
    parts = [(dice, damage_type), *extra] if dice else list(extra)
    return [{"damage_dice": d, "damage_type": {"index": t, "name": t.capitalize()}} for d, t in parts]


def _attack_entry(attack: Attack) -> dict[str, Any]:
    kind = {"melee": "Melee", "ranged": "Ranged", "melee or ranged": "Melee or Ranged"}[attack.reach]
    hit = " plus ".join(f"{d} {t}" for d, t in ((attack.dice, attack.damage_type), *attack.extra) if d)
    desc = f"{kind} Weapon Attack: +{attack.to_hit} to hit, {attack.distance}, one target."
    desc += f" Hit: {hit} damage." if hit else ""
    desc += f" On a hit, {attack.note}." if attack.note else ""
    return {"name": attack.name, "desc": desc, "attack_bonus": attack.to_hit,
            "damage": _damage(attack.dice, attack.damage_type, attack.extra)}


def _save_entry(action: SaveAction) -> dict[str, Any]:
    damage = f" {action.dice} {action.damage_type} damage" if action.dice else ""
    effect = ", half as much damage on a success" if action.half and action.dice else ""
    desc = f"DC {action.dc} {action.ability} saving throw:{damage}{effect}" + (f"; {action.note}" if action.note
                                                                              else "") + "."
    return {"name": action.name, "desc": desc,
            "dc": {"dc_type": {"index": action.ability.casefold(), "name": action.ability}, "dc_value": action.dc,
                   "success_type": "half" if action.half else "none"},
            "damage": _damage(action.dice, action.damage_type)}


def _multiattack_entry(creature: Creature) -> dict[str, Any]:
    def items(option: tuple[tuple[str, int], ...]) -> list[dict[str, Any]]:
        return [{"option_type": "action", "action_name": name, "count": count, "type": "melee"}
                for name, count in option]

    text = " or ".join(", ".join(f"{count} × {name}" for name, count in option) for option in creature.multiattack)
    entry: dict[str, Any] = {"name": "Multiattack", "desc": f"It attacks several times: {text}."}
    if len(creature.multiattack) == 1:
        entry["actions"] = items(creature.multiattack[0])
    else:
        entry["action_options"] = {"choose": 1, "type": "action", "from": {"option_set_type": "options_array",
                                   "options": [{"option_type": "multiple", "items": items(o)}
                                               for o in creature.multiattack]}}
    return entry


def _summary(creature: Creature, data: dict[str, Any]) -> list[str]:
    """The lines `!monster` shows: our one-line description, then the numbers of the stat block."""
    scores = " ".join(f"{code} {score}" for code, score in zip(("STR", "DEX", "CON", "INT", "WIS", "CHA"),
                                                               creature.abilities, strict=True))
    lines = [f"*{creature.about}*",
             f"**Hit dice** {creature.hit_dice} · **Speed** {creature.speed} ft. · **XP** {creature.xp}",
             scores]
    for label, values in (("Saves", [f"{k} {v:+d}" for k, v in creature.saves.items()]),
                          ("Skills", [f"{k} {v:+d}" for k, v in creature.skills.items()]),
                          ("Vulnerable", creature.vulnerable), ("Resists", creature.resist),
                          ("Immune", creature.immune), ("Condition immunities", creature.condition_immune)):
        if values:
            lines.append(f"**{label}:** {', '.join(values)}")
    senses = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["senses"].items())
    lines.append(f"**Senses:** {senses}" + (f" · **Languages:** {creature.languages}" if creature.languages else ""))
    lines.extend(f"**{a['name']}.** {a['desc']}" for a in data["actions"])
    lines.extend(f"*{name}.* {desc}" for name, desc in creature.traits)
    return lines


def _hit_points_roll(creature: Creature) -> str:
    count = int(creature.hit_dice.split("d")[0])
    bonus = count * modifier(creature.abilities[2])
    dice = creature.hit_dice.split("+")[0].split("-")[0]
    return f"{dice}{bonus:+d}" if bonus else dice


REACTIONS: Final = frozenset({"Parry"})  # traits that are reactions (the 5e-database lists them apart)


def _trait_entry(creature: Creature, name: str, desc: str) -> dict[str, Any]:
    trait: dict[str, Any] = {"name": name, "desc": desc}
    if name == "Spellcasting" and creature.spells is not None:
        spells = creature.spells
        trait["spellcasting"] = {
            "level": spells.level, "ability": {"name": spells.ability}, "dc": spells.dc, "modifier": spells.to_hit,
            "slots": {str(level): count for level, count in spells.slots},
            "spells": [{"name": spell, "level": level} for spell, level in spells.spells]}
    return trait


@cache
def _entry(name: str) -> dict[str, Any]:
    creature = BESTIARY[name]
    armor_type = "natural" if creature.armor == "natural armor" else "armor" if creature.armor else "dex"
    fields = ("strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma")
    proficiencies = [{"value": v, "proficiency": {"name": f"Saving Throw: {k}"}} for k, v in creature.saves.items()]
    proficiencies += [{"value": v, "proficiency": {"name": f"Skill: {k}"}} for k, v in creature.skills.items()]
    actions = [_multiattack_entry(creature)] if creature.multiattack else []
    actions += [_attack_entry(a) for a in creature.attacks] + [_save_entry(s) for s in creature.saves_actions]
    data: dict[str, Any] = {
        "index": creature.index, "name": creature.name, "size": creature.size, "type": creature.type,
        "subtype": creature.subtype, "alignment": creature.alignment,
        "armor_class": [{"type": armor_type, "value": creature.ac, **({"desc": creature.armor}
                                                                       if creature.armor else {})}],
        "hit_points": creature.hp, "hit_dice": creature.hit_dice.split("+")[0].split("-")[0],
        "hit_points_roll": _hit_points_roll(creature), "speed": _speed(creature.speed),
        **dict(zip(fields, creature.abilities, strict=True)),
        "proficiencies": proficiencies,
        "damage_vulnerabilities": list(creature.vulnerable), "damage_resistances": list(creature.resist),
        "damage_immunities": list(creature.immune),
        "condition_immunities": [{"index": c, "name": c.capitalize()} for c in creature.condition_immune],
        "senses": _senses(creature), "languages": creature.languages,
        "challenge_rating": creature.cr, "proficiency_bonus": proficiency_for_cr(creature.cr), "xp": creature.xp,
        "special_abilities": [_trait_entry(creature, n, d) for n, d in creature.traits if n not in REACTIONS],
        "reactions": [{"name": n, "desc": d} for n, d in creature.traits if n in REACTIONS],
        "actions": actions, "source": "built-in",
    }
    data["desc"] = _summary(creature, data)
    return data


def entry(name: str) -> dict[str, Any]:
    """One creature as a 5e-database monster dict (a fresh copy: callers may change it)."""
    import copy

    return copy.deepcopy(_entry(name))


def entries() -> list[dict[str, Any]]:
    return [entry(name) for name in BESTIARY]


def find_creature(name: str) -> Creature | None:
    """By name or index ("goblin", "Giant Rat", "giant-rat"), case-insensitive."""
    key = re.sub(r"[^a-z0-9]+", "-", " ".join(name.split()).casefold()).strip("-")
    return next((c for c in BESTIARY.values() if c.index == key), None)
