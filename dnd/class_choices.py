"""Class choices other than spells (SRD 5.1), asked at creation and level-up and stored on the level's record
(`LevelRecord.choices`): what is offered at which class level, the checks, and what each does in the engine.

* Fighting Style — Fighter 1 (and Champion 10, Additional Fighting Style), Paladin 2, Ranger 2 — one style a
  time, never the same twice:
  Archery +2 to hit with ranged weapons; Defense +1 AC while wearing armor; Dueling +2 damage with a melee
  weapon used in one hand (the engine counts any melee weapon that isn't two-handed and isn't swung two-handed);
  Great Weapon Fighting rerolls a 1 or 2 on the damage dice of a two-handed or versatile melee weapon swung in
  two hands (once); Protection is a reaction (`dnd.combat.reactions.protection`); Two-Weapon Fighting is stored
  and shown (the off-hand attack is not modelled).
* Dragon Ancestor — Draconic Bloodline sorcerer 1: the dragon type (its damage type is the one Elemental
  Affinity adds to); Draconic Resilience gives +1 hit point per sorcerer level (`dnd.character.compute_max_hp`).
* Favored Enemy — Ranger 1, 6 and 14: a creature type (or two humanoid races, "gnolls and orcs"), never the same
  twice, each with a language its creatures speak (a choice of its own, added to the languages by
  `dnd.character.derive`). Advantage on Wisdom (Survival) checks to track them and on Intelligence checks to recall
  information about them: the check names the creature or its type (`!check survival goblin`,
  :func:`check_bonuses`).
* Natural Explorer — Ranger 1, 6 and 10: a favored terrain. An Intelligence or Wisdom check that names it, with a
  skill the ranger is proficient in, adds the proficiency bonus twice (:func:`check_bonuses`).
* Metamagic — Sorcerer 3 (two options), 10 and 17 (one more each), never the same twice; spent from the
  Sorcery Points of Font of Magic (a resource, regained on a long rest) when a spell is cast with it
  (`dnd.metamagic`). Quickened, Twinned, Empowered, Heightened, Careful, Extended (every lasting spell the
  fight keeps) and Subtle Spell (no Counterspell) act in a fight; Distant Spell spends its point and is told (the
  engine has no map).
* Eldritch Invocations — Warlock 2 (two), then as many as the Warlock table's Invocations Known column
  (`invocations_known` in `dnd.data.classes`), with the SRD prerequisites (warlock level, Pact Boon, Eldritch
  Blast known); at each Warlock level from 3rd one known invocation may be swapped for another
  (:data:`INVOCATION_SWAP`, optional). What acts: Agonizing Blast (+CHA to each Eldritch Blast beam's damage,
  `dnd.spellcasting`), Armor of Shadows (Mage Armor's 13 + DEX without armor, `dnd.character.armor_class`),
  Thirsting Blade (two attacks per Attack action with the pact weapon, `dnd.combat.economy.attacks_per_action`),
  Lifedrinker (+CHA necrotic on a pact weapon hit, `dnd.combat.attacks`). The others are stored and shown with
  what they allow (Repelling Blast's push: there is no map; the senses, the at-will spells, Book of Ancient
  Secrets' rituals).
* Pact Boon — Warlock 3: Pact of the Chain (Find Familiar known as a ritual, the familiar stored and shown),
  of the Blade (the pact weapon's form, a melee weapon, proficient by the pact), or of the Tome (three cantrips
  from any class's list, added to the cantrips known: checked against the game's spells by the level-up flow).
* A Hunter ranger's options (:data:`HUNTER_OPTIONS`), each a feature of the character once chosen
  (`dnd.character.compute_features`): Hunter's Prey at Ranger 3 — Colossus Slayer acts (+1d8 once per turn on a
  weapon hit against a creature below its hit point maximum, `dnd.combat.features.attack_extras`), so does Giant
  Killer (a reaction attack at a Large or larger creature that attacked the ranger this turn,
  `dnd.combat.reactions.reaction_attack`); Horde Breaker is told; Defensive Tactics at 7 —
  Multiattack Defense (+4 AC against a creature's later attacks of the turn once it hits, `dnd.combat.attacks`)
  and Steel Will (advantage on saves against being frightened, `dnd.combat.saves`) act, Escape the Horde is told;
  Multiattack at 11 — Volley and Whirlwind Attack are told (no map); Superior Hunter's Defense at 15 — Evasion and
  Uncanny Dodge are the Rogue's (`dnd.combat.saves`, `dnd.combat.reactions.uncanny_dodge`), Stand Against the
  Tide is told.
* Bonus Proficiencies — Lore bard 3: three skills not already had, added to the skills by `dnd.character.derive`.
* Bonus Cantrip and Circle Land — Land druid 2: one druid cantrip (checked against the game's spells by the
  level-up flow, added to the cantrips known) and the land (the SRD's seven; it has no Underdark list) whose
  circle spells (`dnd.data.classes.CIRCLE_SPELLS`) are always prepared from Druid 3, not counted
  (`dnd.spellcasting.always_prepared`, as a domain's or an oath's).
* Spell Mastery — Wizard 18: a 1st-level and a 2nd-level spell of the spellbook, cast at their level without a
  slot while prepared; Signature Spells — Wizard 20: two 3rd-level spellbook spells, always prepared, each cast
  once at 3rd level without a slot (a resource, regained on a short or long rest). `dnd.spellcasting.cast_spell`
  spends no slot for them; the levels are checked against the game's spells by the level-up flow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from dnd.character import (
    BONUS_PROFICIENCIES,
    CIRCLE_LAND,
    ELDRITCH_INVOCATIONS,
    FAVORED_ENEMY_LANGUAGE,
    HUNTER_POINTS,
    INVOCATION_SWAP,
    SIGNATURE_SPELLS,
    SPELL_MASTERY,
    SWAP_ARROW,
    Character,
    LevelRecord,
    choice_names,
    class_level,
    comma_names,
    invocations,
)
from dnd.data.classes import CIRCLE_SPELLS, CLASSES, step
from dnd.data.equipment import Weapon, find_item
from dnd.data.races import DRACONIC_ANCESTRIES
from dnd.data.skills import LANGUAGES, SKILLS
from dnd.errors import RulesError

FIGHTING_STYLE: Final = "Fighting Style"
DRAGON_ANCESTOR: Final = "Dragon Ancestor"
FAVORED_ENEMY: Final = "Favored Enemy"
NATURAL_EXPLORER: Final = "Natural Explorer"
METAMAGIC: Final = "Metamagic"
PACT_BOON: Final = "Pact Boon"
HUNTERS_PREY, DEFENSIVE_TACTICS, HUNTER_MULTIATTACK, SUPERIOR_HUNTERS_DEFENSE = HUNTER_POINTS
BONUS_CANTRIP: Final = "Bonus Cantrip"
# Answered with a "no" the choice is left out of the level's record (every other point must be answered).
OPTIONAL_POINTS: Final = frozenset({INVOCATION_SWAP})
# Several names in one answer, comma-separated (as many as :func:`picks` says).
_MANY: Final[dict[str, str]] = {METAMAGIC: "Metamagic options", ELDRITCH_INVOCATIONS: "Eldritch Invocations",
                                 BONUS_PROFICIENCIES: "skills"}
# Spells named by the answer, checked against the game's spells by the level-up flow (the levels, the druid list);
# here: how many, and a Wizard's from the spellbook.
SPELL_POINTS: Final = frozenset({BONUS_CANTRIP, SPELL_MASTERY, SIGNATURE_SPELLS})
# The spell levels of a Wizard's Spell Mastery (one 1st, one 2nd) and Signature Spells (two 3rd).
SPELLBOOK_LEVELS: Final[dict[str, tuple[int, ...]]] = {SPELL_MASTERY: (1, 2), SIGNATURE_SPELLS: (3, 3)}
_PICKS: Final[dict[str, int]] = {BONUS_PROFICIENCIES: 3, SPELL_MASTERY: 2, SIGNATURE_SPELLS: 2}

# A Hunter ranger's options at Ranger 3, 7, 11 and 15 and what each does, in the engine's words ("told": shown,
# the table plays it; the engine has no map).
HUNTER_OPTIONS: Final[dict[str, dict[str, str]]] = {
    HUNTERS_PREY: {
        "Colossus Slayer": "once per turn, +1d8 damage on a weapon hit against a creature below its hit point "
                           "maximum",
        "Giant Killer": "your reaction: attack a Large or larger creature within 5 ft that attacked you this turn "
                        "(`!react attack <creature>`)",
        "Horde Breaker": "once per turn, another attack against a second creature within 5 ft of the first (told)",
    },
    DEFENSIVE_TACTICS: {
        "Escape the Horde": "opportunity attacks against you have disadvantage (told)",
        "Multiattack Defense": "once a creature hits you, +4 AC against its other attacks this turn",
        "Steel Will": "advantage on saving throws against being frightened",
    },
    HUNTER_MULTIATTACK: {
        "Volley": "a ranged attack against any number of creatures within 10 ft of a point you can see (told)",
        "Whirlwind Attack": "a melee attack against any number of creatures within 5 ft of you (told)",
    },
    SUPERIOR_HUNTERS_DEFENSE: {
        "Evasion": "a DEX save for half damage: none on a success, half on a failure",
        "Stand Against the Tide": "your reaction: a creature that misses you in melee attacks another creature "
                                  "(told)",
        "Uncanny Dodge": "your reaction: halve the damage of an attacker's hit you can see",
    },
}
_HUNTER_LEVELS: Final = dict(zip(HUNTER_POINTS, (3, 7, 11, 15), strict=True))

# The styles and what each does, in the engine's words.
FIGHTING_STYLES: Final[dict[str, str]] = {
    "Archery": "+2 to hit with ranged weapons",
    "Defense": "+1 AC while wearing armor",
    "Dueling": "+2 damage with a one-handed melee weapon",
    "Great Weapon Fighting": "reroll 1s and 2s on a two-handed weapon's damage dice",
    "Protection": "with a shield, impose disadvantage on an attack at an ally next to you (a reaction)",
    "Two-Weapon Fighting": "add your ability modifier to the off-hand attack's damage",
}
_STYLES_OF: Final[dict[str, tuple[str, ...]]] = {
    "Fighter": tuple(FIGHTING_STYLES),
    "Paladin": ("Defense", "Dueling", "Great Weapon Fighting", "Protection"),
    "Ranger": ("Archery", "Defense", "Dueling", "Two-Weapon Fighting"),
}
_STYLE_LEVEL: Final[dict[str, int]] = {"Fighter": 1, "Paladin": 2, "Ranger": 2}

# The SRD's favored enemy types; a humanoid favored enemy is two humanoid races instead.
FAVORED_ENEMY_TYPES: Final[tuple[str, ...]] = (
    "Aberrations", "Beasts", "Celestials", "Constructs", "Dragons", "Elementals", "Fey", "Fiends", "Giants",
    "Monstrosities", "Oozes", "Plants", "Undead",
)
# Humanoid races (the subtypes the SRD's humanoids have), singular as a stat block writes them.
HUMANOID_RACES: Final[tuple[str, ...]] = (
    "dwarf", "elf", "gnoll", "gnome", "goblinoid", "grimlock", "halfling", "human", "kobold", "lizardfolk",
    "merfolk", "orc", "sahuagin",
)
FAVORED_TERRAINS: Final[tuple[str, ...]] = (
    "Arctic", "Coast", "Desert", "Forest", "Grassland", "Mountain", "Swamp", "Underdark",
)
_FAVORED_ENEMY_LEVELS: Final = (1, 6, 14)
_NATURAL_EXPLORER_LEVELS: Final = (1, 6, 10)

# What each Metamagic option costs in sorcery points and does, in the engine's words ("=level": the spell's level,
# 1 for a cantrip).
METAMAGIC_OPTIONS: Final[dict[str, str]] = {
    "Careful Spell": "1 point: your allies among the spell's targets (up to your CHA modifier) succeed on its save",
    "Distant Spell": "1 point: double the spell's range, or 30 ft for a touch spell (told: there is no map)",
    "Empowered Spell": "1 point: reroll up to your CHA modifier of the lowest damage dice, keeping the new rolls",
    "Extended Spell": "1 point: double a duration of a minute or more (counted in a fight for the spells it keeps)",
    "Heightened Spell": "3 points: one target has disadvantage on its first save against the spell",
    "Quickened Spell": "2 points: a spell with a casting time of 1 action cast as a bonus action",
    "Subtle Spell": "1 point: no verbal or somatic components, so the spell can't be counterspelled",
    "Twinned Spell": "points = the spell's level (1 for a cantrip): a single-target spell gets a second target",
}


@dataclass(frozen=True)
class Invocation:
    """An Eldritch Invocation, its prerequisites, and what it does (``acts``: the engine applies it)."""

    name: str
    effect: str
    level: int = 0  # warlock level
    pact: str = ""  # "Blade", "Chain", "Tome"
    eldritch_blast: bool = False
    acts: bool = False


def _inv(name: str, effect: str, level: int = 0, pact: str = "", *, eldritch_blast: bool = False,
         acts: bool = False) -> Invocation:
    return Invocation(name, effect, level, pact, eldritch_blast, acts)


INVOCATIONS: Final[dict[str, Invocation]] = {i.name: i for i in (
    _inv("Agonizing Blast", "+CHA modifier to each Eldritch Blast beam's damage", eldritch_blast=True, acts=True),
    _inv("Armor of Shadows", "Mage Armor on yourself at will: AC 13 + DEX without armor", acts=True),
    _inv("Ascendant Step", "Levitate on yourself at will", 9),
    _inv("Beast Speech", "Speak with Animals at will"),
    _inv("Beguiling Influence", "proficiency in Deception and Persuasion"),
    _inv("Bewitching Whispers", "Compulsion once per long rest with a warlock slot", 7),
    _inv("Book of Ancient Secrets", "ritual spells written in your Book of Shadows", pact="Tome"),
    _inv("Chains of Carceri", "Hold Monster at will on a celestial, fiend or elemental", 15, "Chain"),
    _inv("Devil's Sight", "see normally in darkness, magical too, to 120 ft"),
    _inv("Dreadful Word", "Confusion once per long rest with a warlock slot", 7),
    _inv("Eldritch Sight", "Detect Magic at will"),
    _inv("Eldritch Spear", "Eldritch Blast's range becomes 300 ft", eldritch_blast=True),
    _inv("Eyes of the Rune Keeper", "read all writing"),
    _inv("Fiendish Vigor", "False Life on yourself at will as a 1st-level spell"),
    _inv("Gaze of Two Minds", "perceive through a willing humanoid's senses"),
    _inv("Lifedrinker", "+CHA modifier necrotic damage on a pact weapon hit", 12, "Blade", acts=True),
    _inv("Mask of Many Faces", "Disguise Self at will"),
    _inv("Master of Myriad Forms", "Alter Self at will", 15),
    _inv("Minions of Chaos", "Conjure Elemental once per long rest with a warlock slot", 9),
    _inv("Mire the Mind", "Slow once per long rest with a warlock slot", 5),
    _inv("Misty Visions", "Silent Image at will"),
    _inv("One with Shadows", "invisible in dim light or darkness until you move or act", 5),
    _inv("Otherworldly Leap", "Jump on yourself at will", 9),
    _inv("Repelling Blast", "an Eldritch Blast beam that hits pushes the creature 10 ft (told: there is no map)",
         eldritch_blast=True),
    _inv("Sculptor of Flesh", "Polymorph once per long rest with a warlock slot", 7),
    _inv("Sign of Ill Omen", "Bestow Curse once per long rest with a warlock slot", 5),
    _inv("Thief of Five Fates", "Bane once per long rest with a warlock slot"),
    _inv("Thirsting Blade", "two attacks with your pact weapon per Attack action", 5, "Blade", acts=True),
    _inv("Visions of Distant Realms", "Arcane Eye at will", 15),
    _inv("Voice of the Chain Master", "talk through and perceive through your familiar", pact="Chain"),
    _inv("Whispers of the Grave", "Speak with Dead at will", 9),
    _inv("Witch Sight", "see the true form of shapechangers and illusions within 30 ft", 15),
)}

# The pact boons and what each gives, in the engine's words.
PACT_BOONS: Final[dict[str, str]] = {
    "Pact of the Chain": "Find Familiar known as a ritual, for a familiar of your own (on your sheet)",
    "Pact of the Blade": "a pact weapon of the melee form you name (proficient), e.g. `blade longsword`",
    "Pact of the Tome": "a Book of Shadows: three cantrips from any class's list, e.g. `tome: guidance, light, "
                        "thaumaturgy`",
}
TOME_CANTRIPS: Final = 3
_METAMAGIC_LEVELS: Final = (3, 10, 17)


def choice_points(class_name: str, class_level: int, subclass: str | None) -> list[str]:
    """The choices a class level asks for (besides spells, skills, ASIs and subclass)."""
    points: list[str] = []
    if _STYLE_LEVEL.get(class_name) == class_level:
        points.append(FIGHTING_STYLE)
    if class_name == "Fighter" and class_level == 10 and (subclass or "").casefold() == "champion":
        points.append(FIGHTING_STYLE)  # Additional Fighting Style
    if class_name == "Sorcerer" and class_level == 1 and (subclass or "").casefold() == "draconic":
        points.append(DRAGON_ANCESTOR)
    if class_name == "Ranger" and class_level in _FAVORED_ENEMY_LEVELS:
        points += [FAVORED_ENEMY, FAVORED_ENEMY_LANGUAGE]
    if class_name == "Ranger" and class_level in _NATURAL_EXPLORER_LEVELS:
        points.append(NATURAL_EXPLORER)
    if class_name == "Sorcerer" and class_level in _METAMAGIC_LEVELS:
        points.append(METAMAGIC)
    if class_name == "Warlock" and class_level == 3:
        points.append(PACT_BOON)
    if class_name == "Warlock" and picks(ELDRITCH_INVOCATIONS, class_name, class_level):
        points.append(ELDRITCH_INVOCATIONS)
    if class_name == "Warlock" and _invocations_known(class_level - 1):
        points.append(INVOCATION_SWAP)
    points += _subclass_points(class_name, class_level, (subclass or "").casefold())
    if class_name == "Wizard" and class_level == 18:
        points.append(SPELL_MASTERY)
    if class_name == "Wizard" and class_level == 20:
        points.append(SIGNATURE_SPELLS)
    return points


def _subclass_points(class_name: str, class_level: int, subclass: str) -> list[str]:
    """A Hunter's options, a Lore bard's Bonus Proficiencies, a Land druid's bonus cantrip and land."""
    if class_name == "Ranger" and subclass == "hunter":
        return [p for p, lvl in _HUNTER_LEVELS.items() if lvl == class_level]
    if class_name == "Bard" and subclass == "lore" and class_level == 3:
        return [BONUS_PROFICIENCIES]
    if class_name == "Druid" and subclass == "land" and class_level == 2:
        return [BONUS_CANTRIP, CIRCLE_LAND]
    return []


def _invocations_known(warlock_level: int) -> int:
    return int(step(CLASSES["Warlock"].extras["invocations_known"], warlock_level) or 0)


def _metamagic_known(sorcerer_level: int) -> int:
    return int(step(CLASSES["Sorcerer"].extras["metamagic_known"], sorcerer_level) or 0)


def picks(point: str, class_name: str, class_level: int) -> int:
    """How many names the point's answer gives: the new Metamagic options or invocations of the level (the class
    table's count, less the one before), else 1."""
    if point == METAMAGIC:
        return _metamagic_known(class_level) - _metamagic_known(class_level - 1)
    if point == ELDRITCH_INVOCATIONS:
        return _invocations_known(class_level) - _invocations_known(class_level - 1) if class_name == "Warlock" else 0
    return _PICKS.get(point, 1)


_OPTIONS: Final[dict[str, Callable[[str], tuple[str, ...]]]] = {
    FIGHTING_STYLE: lambda class_name: _STYLES_OF.get(class_name, ()),
    DRAGON_ANCESTOR: lambda class_name: tuple(DRACONIC_ANCESTRIES),
    FAVORED_ENEMY: lambda class_name: FAVORED_ENEMY_TYPES,
    FAVORED_ENEMY_LANGUAGE: lambda class_name: LANGUAGES,
    NATURAL_EXPLORER: lambda class_name: FAVORED_TERRAINS,
    METAMAGIC: lambda class_name: tuple(METAMAGIC_OPTIONS),
    ELDRITCH_INVOCATIONS: lambda class_name: tuple(INVOCATIONS),
    INVOCATION_SWAP: lambda class_name: tuple(INVOCATIONS),
    PACT_BOON: lambda class_name: tuple(PACT_BOONS),
    **{point: (lambda class_name, point=point: tuple(HUNTER_OPTIONS[point])) for point in HUNTER_POINTS},
    BONUS_PROFICIENCIES: lambda class_name: SKILLS,
    CIRCLE_LAND: lambda class_name: tuple(CIRCLE_SPELLS),
    **dict.fromkeys(SPELL_POINTS, lambda class_name: ()),  # the game's spells: typed (checked by the flow)
}


def options(point: str, class_name: str) -> tuple[str, ...]:
    """The answers a menu can offer (a humanoid favored enemy, two races, is typed)."""
    return _OPTIONS[point](class_name)


def describe_options(point: str, class_name: str, taken: Sequence[str] = (), *, character: Character | None = None,
                     class_level: int = 0, answered: Mapping[str, str] | None = None) -> str:
    """The menu of a choice point: what is left to choose (for invocations, those whose prerequisites are met at
    ``class_level``, with the Pact Boon ``answered`` at this level), each with what it does."""
    if point == METAMAGIC:
        return (f"choose {picks(point, class_name, class_level)}, separated by commas:\n"
                + "\n".join(f"• **{m}** — {e}" for m, e in METAMAGIC_OPTIONS.items() if m not in taken))
    if point in (ELDRITCH_INVOCATIONS, INVOCATION_SWAP):
        allowed = open_invocations(character, class_level, answered or {})
        if point == INVOCATION_SWAP:  # names only: the menu with effects was shown when they were learned
            return (f"you may replace one invocation you know ({', '.join(taken)}) with another: reply "
                    f"`replace <old> with <new>`, or `no`. Open to you: {', '.join(i.name for i in allowed)}.")
        menu = "\n".join(f"• **{i.name}** — {i.effect}" for i in allowed)
        return f"choose {picks(point, class_name, class_level)}, separated by commas:\n{menu}"
    if point == PACT_BOON:
        return "\n".join(f"• **{p}** — {e}" for p, e in PACT_BOONS.items())
    if point in HUNTER_OPTIONS:
        return "\n".join(f"• **{o}** — {e}" for o, e in HUNTER_OPTIONS[point].items())
    if point in _SUBCLASS_MENUS:
        return _SUBCLASS_MENUS[point](taken)
    if point == FIGHTING_STYLE:
        return "\n".join(f"• **{s}** — {FIGHTING_STYLES[s]}" for s in options(point, class_name)
                         if s not in taken)
    if point == DRAGON_ANCESTOR:
        return ", ".join(f"{k} ({v})" for k, v in DRACONIC_ANCESTRIES.items())
    if point == FAVORED_ENEMY:
        return (", ".join(t for t in FAVORED_ENEMY_TYPES if t not in taken)
                + f" — or two humanoid races, e.g. `gnolls and orcs` ({', '.join(HUMANOID_RACES)}). Advantage on "
                  "Survival checks to track them and Intelligence checks to recall what you know of them.")
    if point == FAVORED_ENEMY_LANGUAGE:
        return ("a language your favored enemies speak (one you don't know yet): "
                + ", ".join(lang for lang in LANGUAGES if lang not in taken))
    return (", ".join(t for t in FAVORED_TERRAINS if t not in taken)
            + " — double proficiency on Intelligence and Wisdom checks about that terrain.")


_SUBCLASS_MENUS: Final[dict[str, Callable[[Sequence[str]], str]]] = {
    BONUS_PROFICIENCIES: lambda taken: "three skills you aren't proficient in, separated by commas: "
                                       + ", ".join(s for s in SKILLS if s not in taken) + ".",
    BONUS_CANTRIP: lambda taken: "one more druid cantrip (one you don't know yet), e.g. `shillelagh`.",
    CIRCLE_LAND: lambda taken: ("the land where you became a druid; its circle spells are always prepared from "
                                "Druid 3 (not counted): " + "; ".join(
                                    f"{land} ({', '.join(s for lvl in sorted(by) for s in by[lvl])})"
                                    for land, by in CIRCLE_SPELLS.items())),
    SPELL_MASTERY: lambda taken: ("one 1st-level and one 2nd-level spell of your spellbook, e.g. `shield, misty "
                                  "step`: while prepared, cast at their lowest level without a slot."),
    SIGNATURE_SPELLS: lambda taken: ("two 3rd-level spells of your spellbook, e.g. `fireball, counterspell`: always "
                                     "prepared, each cast once at 3rd level without a slot (back on a short or "
                                     "long rest)."),
}


def choice_title(point: str) -> str:
    """How a prompt names the choice: "Choose your **favored terrain**"."""
    return {NATURAL_EXPLORER: "favored terrain (Natural Explorer)", FAVORED_ENEMY_LANGUAGE: "favored enemy's language",
            METAMAGIC: "Metamagic options", ELDRITCH_INVOCATIONS: "Eldritch Invocations",
            INVOCATION_SWAP: "invocation to replace", PACT_BOON: "Pact Boon",
            BONUS_PROFICIENCIES: "Bonus Proficiencies (three skills)", BONUS_CANTRIP: "bonus cantrip",
            CIRCLE_LAND: "land (Circle Spells)", SPELL_MASTERY: "Spell Mastery spells",
            SIGNATURE_SPELLS: "Signature Spells"}.get(point, point.lower() if point not in HUNTER_OPTIONS else point)


def _key(value: str) -> str:
    return " ".join(value.replace("-", " ").split()).casefold()


def _singular(enemy_type: str) -> str:
    """"Undead" -> "undead", "Monstrosities" -> "monstrosity": the type as a stat block writes it."""
    key = enemy_type.casefold()
    return key[:-3] + "y" if key.endswith("ies") else key.removesuffix("s")


def _enemy_type(text: str) -> str | None:
    key = _key(text)
    return next((t for t in FAVORED_ENEMY_TYPES if key in (t.casefold(), _singular(t))), None)


def _humanoid_races(value: str) -> list[str] | None:
    """"gnolls and orcs" -> ["gnoll", "orc"]; None when the words aren't two humanoid races."""
    words = [w for w in re.sub(r"[,()]", " ", _key(value)).split() if w not in ("and", "&", "humanoids", "humanoid")]
    races = [next((r for r in HUMANOID_RACES if w in (r, r + "s", r.removesuffix("oid"), r.removesuffix("oid") + "s",
                                                      r.replace("dwarf", "dwarves").replace("elf", "elves"))), None)
             for w in words]
    return [r for r in races if r] if len(races) == 2 and all(races) else None


def _validate_favored_enemy(value: str, taken: Sequence[str]) -> str:
    found = _enemy_type(value)
    if found is None:
        races = _humanoid_races(value)
        if races is None or races[0] == races[1]:
            raise RulesError(f"Choose a favored enemy: {', '.join(FAVORED_ENEMY_TYPES)}, or two humanoid races "
                             f"(e.g. `gnolls and orcs`: {', '.join(HUMANOID_RACES)}).")
        found = f"Humanoids ({races[0]}, {races[1]})"
    if found in taken:
        raise RulesError(f"{found} are already your favored enemies; choose another.")
    return found


# --------------------------------------------------------------------------- Metamagic, invocations, Pact Boon


def _names(value: str) -> list[str]:
    return [n.strip() for n in re.split(r",|;|\s+and\s+", value) if n.strip()]


def _canonical(name: str, allowed: Sequence[str], what: str) -> str:
    key = _key(name)
    found = next((o for o in allowed if _key(o) in (key, f"{key} spell")), None)
    if found is None:
        raise RulesError(f"'{name[:60]}' is not one of the {what}: {', '.join(allowed)}.")
    return found


def _pact(value: str | None) -> str:
    """"Pact of the Blade (Longsword)" -> "Blade"; "" for none."""
    found = re.match(r"Pact of the (\w+)", value or "")
    return found.group(1) if found else ""


def pact_boon(character: Character | None) -> str | None:
    """The Pact Boon chosen ("Pact of the Tome (Guidance, Light, Thaumaturgy)"), if any."""
    records = _records(character) if character is not None else []
    return next((r.choices[PACT_BOON] for r in records if PACT_BOON in r.choices), None)


def pact_weapon(character: Character) -> str | None:
    """The pact weapon's form of a Pact of the Blade ("Longsword")."""
    if not class_level(character, "Warlock"):  # asked at every weapon attack of a fight
        return None
    found = re.match(r"Pact of the Blade \((.+)\)$", pact_boon(character) or "")
    return found.group(1) if found else None


def tome_cantrips(value: str | None) -> list[str]:
    """The cantrips of a Pact of the Tome's Book of Shadows, from the Pact Boon's value."""
    found = re.match(r"Pact of the Tome \((.+)\)$", value or "")
    return _names(found.group(1)) if found else []


def metamagic_known(character: Character) -> list[str]:
    return choice_names(character, METAMAGIC)


def _validate_pact_boon(value: str) -> str:
    found = re.match(r"^\s*(?:pact\s+of\s+(?:the\s+)?)?(chain|blade|tome)\b[\s:(]*(.*?)[\s)]*$", value,
                     re.IGNORECASE)
    if found is None:
        raise RulesError(f"Choose a pact boon: {', '.join(PACT_BOONS)}.")
    kind, rest = found.group(1).casefold(), found.group(2)
    if kind == "chain":
        return "Pact of the Chain"
    if kind == "blade":
        weapon = find_item(rest) if rest else None
        if not isinstance(weapon, Weapon) or weapon.ranged:
            raise RulesError("Name the pact weapon's form, a melee weapon: e.g. `blade longsword`.")
        return f"Pact of the Blade ({weapon.name})"
    cantrips = _names(rest)
    if len(cantrips) != TOME_CANTRIPS or len({_key(c) for c in cantrips}) != TOME_CANTRIPS:
        raise RulesError(f"Pact of the Tome: name {TOME_CANTRIPS} different cantrips from any class's list, e.g. "
                         "`tome: guidance, light, thaumaturgy`.")
    return f"Pact of the Tome ({', '.join(cantrips)})"


def unmet_prerequisite(invocation: Invocation, warlock_level: int, pact: str, cantrips: Sequence[str]) -> str | None:
    """Why an invocation can't be learned yet ("needs 5th level"), or None."""
    if invocation.level > warlock_level:
        return f"{invocation.name} needs warlock level {invocation.level}"
    if invocation.pact and invocation.pact != pact:
        return f"{invocation.name} needs the Pact of the {invocation.pact}"
    if invocation.eldritch_blast and "eldritch blast" not in {_key(c) for c in cantrips}:
        return f"{invocation.name} needs the Eldritch Blast cantrip"
    return None


def _pact_now(character: Character | None, answered: Mapping[str, str]) -> str:
    return _pact(pact_boon(character) or answered.get(PACT_BOON))


def _spells_of(character: Character | None) -> list[str]:
    """The cantrips and spells known (Eldritch Blast counts wherever it is written)."""
    return [*character.cantrips, *character.spells_known] if character is not None else []


def open_invocations(character: Character | None, warlock_level: int,
                     answered: Mapping[str, str] | None = None) -> list[Invocation]:
    """The invocations a warlock reaching ``warlock_level`` may learn: prerequisites met, not known already (nor
    learned at this level, in ``answered``)."""
    answered = answered or {}
    known = {*(invocations(character) if character is not None else []),
             *_names(answered.get(ELDRITCH_INVOCATIONS, ""))}
    pact = _pact_now(character, answered)
    return [i for i in INVOCATIONS.values()
            if i.name not in known and unmet_prerequisite(i, warlock_level, pact, _spells_of(character)) is None]


def unmet_invocations(character: Character) -> dict[str, str]:
    """The invocations known whose prerequisite no longer holds, each with why ("needs the Eldritch Blast
    cantrip"): they can't be kept (a change that would cause this is refused: :func:`check_invocations_kept`)."""
    level, pact, spells = class_level(character, "Warlock"), _pact(pact_boon(character)), _spells_of(character)
    found = {n: unmet_prerequisite(INVOCATIONS[n], level, pact, spells) for n in invocations(character)
             if n in INVOCATIONS}
    return {n: why for n, why in found.items() if why}


def check_invocations_kept(before: Character, after: Character) -> None:
    """Refuses a change (a spell given up, say) that would leave a known invocation without its
    prerequisite: the SRD lets a warlock keep only invocations whose prerequisites it meets."""
    broken = {n: why for n, why in unmet_invocations(after).items() if n not in unmet_invocations(before)}
    if broken:
        raise RulesError("; ".join(broken.values()) + ": an invocation can't be kept without its prerequisite. "
                         "Replace that invocation first, or keep what it needs.")


def _check_invocation(name: str, character: Character | None, warlock_level: int,
                      answered: Mapping[str, str]) -> None:
    problem = unmet_prerequisite(INVOCATIONS[name], warlock_level, _pact_now(character, answered),
                                 _spells_of(character))
    if problem:
        raise RulesError(problem + ".")


def _validate_many(point: str, class_name: str, value: str, taken: Sequence[str], class_level: int,
                   character: Character | None, answered: Mapping[str, str]) -> str:
    wanted = picks(point, class_name, class_level)
    what = _MANY[point]
    names = _names(value)
    if len(names) != wanted:
        raise RulesError(f"Choose {wanted} {what}, separated by commas ({len(names)} given).")
    found = [_canonical(n, options(point, class_name), what) for n in names]
    if len(set(found)) != len(found):
        raise RulesError(f"{what}: each one once.")
    again = next((f for f in found if f in taken), None)
    if again:
        known = "are already proficient in" if point == BONUS_PROFICIENCIES else "already know"
        raise RulesError(f"You {known} {again}; choose another.")
    if point == ELDRITCH_INVOCATIONS:
        for name in found:
            _check_invocation(name, character, class_level, answered)
    return ", ".join(found)


_SWAP_WORDS = re.compile(r"^(?:replace|swap)?\s*(.+?)\s+(?:with|for|->|→|by)\s+(.+)$", re.IGNORECASE)


def _validate_swap(value: str, taken: Sequence[str], class_level: int, character: Character | None,
                   answered: Mapping[str, str]) -> str:
    found = _SWAP_WORDS.match(value.strip())
    if found is None:
        raise RulesError("Reply `replace <old invocation> with <new invocation>`, or `no`.")
    known = [*taken, *_names(answered.get(ELDRITCH_INVOCATIONS, ""))]
    old = next((k for k in known if _key(k) == _key(found.group(1))), None)
    if old is None:
        raise RulesError(f"You don't know the invocation '{found.group(1)[:60]}'. You know: {', '.join(known)}.")
    new = _canonical(found.group(2), tuple(INVOCATIONS), "Eldritch Invocations")
    if new in known:
        raise RulesError(f"You already know {new}; choose another.")
    _check_invocation(new, character, class_level, answered)
    return f"{old}{SWAP_ARROW}{new}"


def _validate_spell_names(point: str, value: str, taken: Sequence[str], character: Character | None) -> str:
    """The spells a spell point names: how many, none twice, a bonus cantrip not known already, a Wizard's from
    the spellbook (their levels and lists: the level-up flow, against the game's spells)."""
    names = comma_names(value)  # spell names may hold an "and"
    wanted = _PICKS.get(point, 1)
    if len(names) != wanted or len({_key(n) for n in names}) != wanted:
        raise RulesError(f"Name {wanted} different spell(s) for {point} ({len(names)} given).")
    if point == BONUS_CANTRIP:
        if _key(names[0]) in {_key(t) for t in taken}:
            raise RulesError(f"You already know {names[0]}; choose another cantrip.")
        return names[0]
    book = {_key(s): s for s in (character.spells_known if character is not None else [])}
    missing = next((n for n in names if _key(n) not in book), None)
    if missing is not None:
        raise RulesError(f"{missing} isn't in your spellbook; {point} takes spells you have written in it.")
    return ", ".join(book[_key(n)] for n in names)


def validate_choice(point: str, class_name: str, value: str, taken: Sequence[str] = (), *,
                    character: Character | None = None, class_level: int = 0,
                    answered: Mapping[str, str] | None = None) -> str:
    """The canonical name of ``value`` for ``point``; refused when it isn't offered or already taken (the
    fighting styles, favored enemies, terrains, Metamagic options, invocations already chosen; the languages
    already known) or, for an invocation, its prerequisites aren't met by ``character`` reaching ``class_level``
    (with the other answers of the level, ``answered``)."""
    if point == FAVORED_ENEMY:
        return _validate_favored_enemy(value, taken)
    if point in _MANY:
        return _validate_many(point, class_name, value, taken, class_level, character, answered or {})
    if point == INVOCATION_SWAP:
        return _validate_swap(value, taken, class_level, character, answered or {})
    if point == PACT_BOON:
        return _validate_pact_boon(value)
    if point in SPELL_POINTS:
        return _validate_spell_names(point, value, taken, character)
    key = _key(value).removesuffix(" dragon")
    allowed = options(point, class_name)
    found = next((o for o in allowed if o.casefold() == key), None)
    if found is None:
        raise RulesError(f"Choose a {point.lower()} of the {class_name}: {', '.join(allowed)}.")
    if found in taken:
        what = {FAVORED_ENEMY_LANGUAGE: "You already speak {}", NATURAL_EXPLORER: "{} is already a favored terrain"}
        raise RulesError(what.get(point, "{} is already one of your fighting styles").format(found)
                         + "; choose another.")
    return found


def already_chosen(point: str, character: Character | None, languages: Sequence[str] = ()) -> list[str]:
    """What ``point`` can't take again: the earlier answers, or, for a language, the ones known (``languages``:
    those of a character still being made)."""
    if point == FAVORED_ENEMY_LANGUAGE:
        return [*languages, *(character.languages if character is not None else [])]
    if point == METAMAGIC:
        return metamagic_known(character) if character is not None else []
    if point in (ELDRITCH_INVOCATIONS, INVOCATION_SWAP):
        return invocations(character) if character is not None else []
    if point == BONUS_PROFICIENCIES:
        return list(character.skills) if character is not None else []
    if point == BONUS_CANTRIP:
        return list(character.cantrips) if character is not None else []
    return [r.choices[point] for r in _records(character) if point in r.choices] if character is not None else []


def validate_choices(class_name: str, class_level: int, subclass: str | None, chosen: dict[str, str],
                     character: Character | None = None, *, languages: Sequence[str] = (),
                     required: bool = True) -> dict[str, str]:
    """Every choice point of the level answered (``required``; else those given), with allowed values not taken
    before by ``character`` (or, at creation, not among its ``languages``), and nothing else."""
    points = choice_points(class_name, class_level, subclass)
    extra = [k for k in chosen if k not in points]
    if extra:
        raise RulesError(f"A level {class_level} {class_name} doesn't choose a {extra[0].lower()}.")
    out = {}
    for point in points:
        if point not in chosen and (not required or point in OPTIONAL_POINTS):
            continue
        if point not in chosen:
            raise RulesError(f"Choose a {point.lower()}: {', '.join(options(point, class_name))}.")
        out[point] = validate_choice(point, class_name, chosen[point], already_chosen(point, character, languages),
                                     character=character, class_level=class_level, answered=chosen)
    return out


def _records(character: Character) -> list[LevelRecord]:
    return list(character.history)


def fighting_styles(character: Character) -> list[str]:
    return already_chosen(FIGHTING_STYLE, character)


def favored_enemies(character: Character) -> list[str]:
    return already_chosen(FAVORED_ENEMY, character)


def favored_terrains(character: Character) -> list[str]:
    return already_chosen(NATURAL_EXPLORER, character)


def dragon_ancestor(character: Character) -> str | None:
    return next((r.choices[DRAGON_ANCESTOR] for r in _records(character) if DRAGON_ANCESTOR in r.choices), None)


def choices_text(character: Character) -> str:
    """"Fighting Style: Defense; Dragon Ancestor: Red (fire)" for the sheet, "" when none."""
    parts = [f"{FIGHTING_STYLE}: {s}" for s in fighting_styles(character)]
    ancestor = dragon_ancestor(character)
    if ancestor:
        parts.append(f"{DRAGON_ANCESTOR}: {ancestor} ({DRACONIC_ANCESTRIES[ancestor]})")
    for record in _records(character):
        if FAVORED_ENEMY in record.choices:
            language = record.choices.get(FAVORED_ENEMY_LANGUAGE)
            parts.append(f"{FAVORED_ENEMY}: {record.choices[FAVORED_ENEMY]}" + (f" ({language})" if language else ""))
    parts += [f"{NATURAL_EXPLORER}: {t}" for t in favored_terrains(character)]
    if metamagic_known(character):
        parts.append(f"{METAMAGIC}: " + ", ".join(f"{m} ({METAMAGIC_OPTIONS.get(m, '')})"
                                                  for m in metamagic_known(character)))
    boon = pact_boon(character)
    if boon:
        familiar = " (Find Familiar known as a ritual)" if _pact(boon) == "Chain" else ""
        parts.append(f"{PACT_BOON}: {boon}{familiar}")
    if invocations(character):
        unmet = unmet_invocations(character)
        parts.append(f"{ELDRITCH_INVOCATIONS}: " + ", ".join(
            f"{n} (not in effect: {unmet[n].removeprefix(n + ' ')})" if n in unmet else
            f"{n} ({INVOCATIONS[n].effect}{'' if INVOCATIONS[n].acts else '; told, not modelled'})"
            if n in INVOCATIONS else n for n in invocations(character)))
    return "; ".join(parts + _subclass_choices_text(character))


def _subclass_choices_text(character: Character) -> list[str]:
    """A Hunter's options (with what each does), a Lore bard's skills, a Land druid's cantrip and land, a Wizard's
    Spell Mastery and Signature Spells."""
    parts = [f"{point}: {n} ({HUNTER_OPTIONS[point].get(n, '')})"
             for point in HUNTER_POINTS for n in choice_names(character, point)]
    shown = {BONUS_PROFICIENCIES: "", BONUS_CANTRIP: "", CIRCLE_LAND: " (circle spells always prepared)",
             SPELL_MASTERY: " (cast at their lowest level without a slot while prepared)",
             SIGNATURE_SPELLS: " (always prepared; each cast once at 3rd level without a slot per short rest)"}
    parts += [f"{point}: {', '.join(choice_names(character, point))}{note}"
              for point, note in shown.items() if choice_names(character, point)]
    return parts


# --------------------------------------------------------------------------- what Favored Enemy and Natural Explorer do


@dataclass(frozen=True)
class CheckSubject:
    """What a check is about, as the player named it: a creature (its type and subtype, from its stat block) or
    a terrain."""

    name: str
    creature_type: str = ""  # "humanoid", "undead", ...
    subtype: str = ""  # "goblinoid"
    terrain: str = ""


def find_terrain(text: str) -> str | None:
    return next((t for t in FAVORED_TERRAINS if _key(text) in (t.casefold(), t.casefold() + "s")), None)


def find_creature_type(text: str) -> tuple[str, str] | None:
    """("undead", "") for "undead", ("humanoid", "orc") for "orcs": a type or humanoid race named by itself."""
    found = _enemy_type(text)
    if found is not None:
        return _singular(found), ""
    race = _humanoid_races(f"{text} and {text}")
    return ("humanoid", race[0]) if race else None


def _is_favored(enemy: str, subject: CheckSubject) -> bool:
    kind = subject.creature_type.casefold()
    if enemy.startswith("Humanoids ("):
        races = enemy.removeprefix("Humanoids (").removesuffix(")").split(", ")
        return kind == "humanoid" and subject.subtype.casefold() in races
    return kind == _singular(enemy)


def check_bonuses(character: Character, skill: str | None, ability: str, subject: CheckSubject | None,
                  proficient: bool) -> tuple[bool, int, list[str]]:
    """(advantage, extra modifier, reasons) a ranger's check gets from what it is about: Favored Enemy's advantage
    on Survival (tracking) and Intelligence (recalling) checks about a favored enemy; Natural Explorer's doubled
    proficiency on an Intelligence or Wisdom check about a favored terrain with a proficient skill (``proficient``:
    proficient and not already an expert)."""
    if subject is None:
        return False, 0, []
    if subject.creature_type and (skill == "Survival" or ability == "INT"):
        enemy = next((e for e in favored_enemies(character) if _is_favored(e, subject)), None)
        if enemy is not None:
            return True, 0, [f"Favored Enemy: advantage against {enemy}"]
    if subject.terrain and subject.terrain in favored_terrains(character) and ability in ("INT", "WIS") \
            and skill in SKILLS and proficient:
        return False, character.proficiency_bonus, [f"Natural Explorer ({subject.terrain}): proficiency doubled"]
    return False, 0, []
