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
"""

from __future__ import annotations

from typing import Final

from dnd.character import Character, LevelRecord
from dnd.data.races import DRACONIC_ANCESTRIES
from dnd.errors import RulesError

FIGHTING_STYLE: Final = "Fighting Style"
DRAGON_ANCESTOR: Final = "Dragon Ancestor"

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


def choice_points(class_name: str, class_level: int, subclass: str | None) -> list[str]:
    """The choices a class level asks for (besides spells, skills, ASIs and subclass)."""
    points: list[str] = []
    if _STYLE_LEVEL.get(class_name) == class_level:
        points.append(FIGHTING_STYLE)
    if class_name == "Fighter" and class_level == 10 and (subclass or "").casefold() == "champion":
        points.append(FIGHTING_STYLE)  # Additional Fighting Style
    if class_name == "Sorcerer" and class_level == 1 and (subclass or "").casefold() == "draconic":
        points.append(DRAGON_ANCESTOR)
    return points


def options(point: str, class_name: str) -> tuple[str, ...]:
    return _STYLES_OF.get(class_name, ()) if point == FIGHTING_STYLE else tuple(DRACONIC_ANCESTRIES)


def describe_options(point: str, class_name: str, taken: list[str] | None = None) -> str:
    if point == FIGHTING_STYLE:
        return "\n".join(f"• **{s}** — {FIGHTING_STYLES[s]}" for s in options(point, class_name)
                         if s not in (taken or []))
    return ", ".join(f"{k} ({v})" for k, v in DRACONIC_ANCESTRIES.items())


def validate_choice(point: str, class_name: str, value: str, taken: list[str] | None = None) -> str:
    """The canonical name of ``value`` for ``point``; refused when it isn't offered or already taken."""
    key = " ".join(value.replace("-", " ").split()).casefold().removesuffix(" dragon")
    allowed = options(point, class_name)
    found = next((o for o in allowed if o.casefold() == key), None)
    if found is None:
        raise RulesError(f"Choose a {point.lower()} of the {class_name}: {', '.join(allowed)}.")
    if found in (taken or []):
        raise RulesError(f"{found} is already one of your fighting styles; choose another.")
    return found


def validate_choices(class_name: str, class_level: int, subclass: str | None, chosen: dict[str, str],
                     taken: list[str] | None = None, *, required: bool = True) -> dict[str, str]:
    """Every choice point of the level answered (``required``; else those given), with allowed values, and
    nothing else."""
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
        out[point] = validate_choice(point, class_name, chosen[point], taken)
    return out


def _records(character: Character) -> list[LevelRecord]:
    return list(character.history)


def fighting_styles(character: Character) -> list[str]:
    return [r.choices[FIGHTING_STYLE] for r in _records(character) if FIGHTING_STYLE in r.choices]


def dragon_ancestor(character: Character) -> str | None:
    return next((r.choices[DRAGON_ANCESTOR] for r in _records(character) if DRAGON_ANCESTOR in r.choices), None)


def choices_text(character: Character) -> str:
    """"Fighting Style: Defense; Dragon Ancestor: Red (fire)" for the sheet, "" when none."""
    parts = [f"{FIGHTING_STYLE}: {s}" for s in fighting_styles(character)]
    ancestor = dragon_ancestor(character)
    if ancestor:
        parts.append(f"{DRAGON_ANCESTOR}: {ancestor} ({DRACONIC_ANCESTRIES[ancestor]})")
    return "; ".join(parts)
