"""Metamagic (SRD 5.1, Sorcerer 3): a spell cast with one of the options the sorcerer knows
(`dnd.class_choices.metamagic_known`), paid with Sorcery Points (Font of Magic: a resource of sorcerer level points
from 2nd, regained on a long rest). One option a spell. The checks and the price are here; what acts in a fight:

* Quickened Spell (2 points): a spell with a casting time of 1 action is cast as a bonus action (the caller spends
  the bonus action: `dnd.combat.economy.take_casting`, with the bonus-action spell rule).
* Twinned Spell (the spell's level in points, 1 for a cantrip): a spell of one target (a spell attack, damage
  that always hits, a heal or boost of one creature) takes a second target (`dnd.combat.spells.cast`). A spell
  of beams or rays, of several targets, or with a saving throw is refused: the engine can't tell a single-target
  save spell from an area one.
* Empowered Spell (1 point): up to the CHA modifier (at least 1) of the lowest damage dice are rerolled once and
  the new rolls kept (the dice notation's ``rolN``; a spell of beams rerolls that many in each beam's dice).
* Heightened Spell (3 points): the first target has disadvantage on its save against the spell.
* Extended Spell (1 point): a lasting spell the fight keeps (a hold, Bless, Hunter's Mark…: `dnd.combat.holds`)
  lasts twice its duration; refused for a spell of less than a minute (an instant one).
* Careful Spell (1 point): the caster's allies among the spell's targets, up to the CHA modifier (at least 1),
  in the order named, succeed on its save without rolling (`dnd.combat.spells`); a spell that catches no ally is
  refused before anything is spent.
* Subtle Spell (1 point): no verbal or somatic components, so no one sees the spell being cast: a monster can't
  counter it (`dnd.combat.counterspell`).
* Distant Spell (1 point): the points are spent and the doubled range told; the engine has no map.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final

from dnd.character import Character, ability_modifier
from dnd.class_choices import METAMAGIC_OPTIONS, metamagic_known
from dnd.errors import RulesError
from dnd.feats import find_resource, use_resource
from dnd.spellcasting import CastResult

SORCERY_POINTS: Final = "Sorcery Points"
QUICKENED: Final = "Quickened Spell"
TWINNED: Final = "Twinned Spell"
EMPOWERED: Final = "Empowered Spell"
HEIGHTENED: Final = "Heightened Spell"
CAREFUL: Final = "Careful Spell"
EXTENDED: Final = "Extended Spell"
ROUNDS_PER_MINUTE: Final = 10
SUBTLE: Final = "Subtle Spell"
_COST: Final[dict[str, int]] = {CAREFUL: 1, "Distant Spell": 1, EMPOWERED: 1, EXTENDED: 1,
                                HEIGHTENED: 3, QUICKENED: 2, SUBTLE: 1}
_FIRST_DICE: Final = re.compile(r"(\d+d\d+)")


def find_metamagic(text: str) -> str | None:
    """"quickened" or "Quickened Spell" -> "Quickened Spell"; None for anything else."""
    key = " ".join(text.replace("-", " ").split()).casefold()
    return next((m for m in METAMAGIC_OPTIONS if key in (m.casefold(), m.casefold().removesuffix(" spell"))), None)


def metamagic_cost(option: str, spell_level: int) -> int:
    return max(1, spell_level) if option == TWINNED else _COST[option]


def twinnable(result: CastResult) -> bool:
    """A spell of one target: one attack roll, damage that always hits, or a heal or boost of one creature."""
    if result.projectiles or result.save or result.later or result.max_targets != 1:
        return False
    return bool(result.attack or (result.damage and result.damage_type) or result.healing or result.temp_hp
                or result.max_hp_bonus)


def _refusal(option: str, result: CastResult) -> str | None:
    if option == QUICKENED and result.casting_time != "1 action":
        return (f"Quickened Spell changes a casting time of 1 action to a bonus action; {result.spell} takes "
                f"{result.casting_time or 'another casting time'}.")
    if option == TWINNED and not twinnable(result):
        return (f"Twinned Spell needs a spell that targets one creature only (an attack, a sure hit or a heal of "
                f"one); {result.spell} doesn't.")
    if option == EMPOWERED and not (result.damage or result.damage_each):
        return f"Empowered Spell rerolls damage dice; {result.spell} rolls none."
    if option == EXTENDED and (result.rounds or 0) < ROUNDS_PER_MINUTE:
        return f"Extended Spell doubles a duration of 1 minute or longer; {result.spell}'s is shorter."
    if option in (HEIGHTENED, CAREFUL) and not result.save:
        return f"{option} works on a spell with a saving throw; {result.spell} has none."
    return None


def _empowered(dice: str, rerolls: int) -> str:
    return _FIRST_DICE.sub(rf"\1rol{rerolls}", dice, count=1) if dice else dice


def apply_metamagic(character: Character, result: CastResult, text: str) -> tuple[Character, CastResult]:
    """The spell ``result`` (already paid for with its slot) cast with the Metamagic option named by ``text``: the
    sorcery points spent and the option on the result (Empowered's rerolls written into its dice). Refused when
    the option isn't known, the spell can't take it, or too few points are left (the character unchanged)."""
    option = find_metamagic(text)
    if option is None:
        raise RulesError(f"'{text[:40]}' is not a Metamagic option: {', '.join(METAMAGIC_OPTIONS)}.")
    known = metamagic_known(character)
    if option not in known:
        raise RulesError(f"{character.name} doesn't know {option}"
                         + (f" (knows {', '.join(known)})." if known else " (no Metamagic known)."))
    problem = _refusal(option, result)
    if problem:
        raise RulesError(problem)
    cost = metamagic_cost(option, result.spell_level)
    if find_resource(character, SORCERY_POINTS) is None:
        raise RulesError(f"{character.name} has no Sorcery Points.")
    character, _ = use_resource(character, SORCERY_POINTS, cost)
    left = find_resource(character, SORCERY_POINTS)
    changes: dict[str, object] = {"metamagic": option}
    if option == EMPOWERED:
        rerolls = max(1, ability_modifier(character, "CHA"))
        changes |= {"damage": _empowered(result.damage, rerolls), "damage_each": _empowered(result.damage_each,
                                                                                            rerolls)}
    uses = f", {left[2].uses} left" if left is not None else ""
    changes["message"] = (f"{result.message} {option} ({cost} sorcery point{'s' if cost != 1 else ''} spent{uses}): "
                          f"{METAMAGIC_OPTIONS[option].split(': ', 1)[-1]}.")
    return character, dataclasses.replace(result, **changes)  # type: ignore[arg-type]
