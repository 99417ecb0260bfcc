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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from dnd.character import FAVORED_ENEMY_LANGUAGE, Character, LevelRecord
from dnd.data.races import DRACONIC_ANCESTRIES
from dnd.data.skills import LANGUAGES, SKILLS
from dnd.errors import RulesError

FIGHTING_STYLE: Final = "Fighting Style"
DRAGON_ANCESTOR: Final = "Dragon Ancestor"
FAVORED_ENEMY: Final = "Favored Enemy"
NATURAL_EXPLORER: Final = "Natural Explorer"

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
    return points


_OPTIONS: Final[dict[str, Callable[[str], tuple[str, ...]]]] = {
    FIGHTING_STYLE: lambda class_name: _STYLES_OF.get(class_name, ()),
    DRAGON_ANCESTOR: lambda class_name: tuple(DRACONIC_ANCESTRIES),
    FAVORED_ENEMY: lambda class_name: FAVORED_ENEMY_TYPES,
    FAVORED_ENEMY_LANGUAGE: lambda class_name: LANGUAGES,
    NATURAL_EXPLORER: lambda class_name: FAVORED_TERRAINS,
}


def options(point: str, class_name: str) -> tuple[str, ...]:
    """The answers a menu can offer (a humanoid favored enemy, two races, is typed)."""
    return _OPTIONS[point](class_name)


def describe_options(point: str, class_name: str, taken: Sequence[str] = ()) -> str:
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


def choice_title(point: str) -> str:
    """How a prompt names the choice: "Choose your **favored terrain**"."""
    return {NATURAL_EXPLORER: "favored terrain (Natural Explorer)",
            FAVORED_ENEMY_LANGUAGE: "favored enemy's language"}.get(point, point.lower())


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


def validate_choice(point: str, class_name: str, value: str, taken: Sequence[str] = ()) -> str:
    """The canonical name of ``value`` for ``point``; refused when it isn't offered or already taken (the
    fighting styles, favored enemies, terrains already chosen; the languages already known)."""
    if point == FAVORED_ENEMY:
        return _validate_favored_enemy(value, taken)
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
        if point not in chosen and not required:
            continue
        if point not in chosen:
            raise RulesError(f"Choose a {point.lower()}: {', '.join(options(point, class_name))}.")
        out[point] = validate_choice(point, class_name, chosen[point], already_chosen(point, character, languages))
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
    return "; ".join(parts)


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
