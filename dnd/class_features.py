"""Class features with a pool or a choice, used on the sheet (SRD 5.1): Arcane Recovery, Lay on Hands, Bardic
Inspiration. Pure functions: a character in, the changed character out (the caller saves both rows in one
transaction); refusals are `RulesError`s and change nothing.

* Arcane Recovery (Wizard 1, once a day, after a short rest): the player chooses spent slots to recover whose
  levels add up to at most half the wizard level (rounded up); none of 6th level or higher.
* Lay on Hands (Paladin 1): a pool of 5 x paladin level hit points, restored on a long rest; the paladin spends
  any number of them to heal a creature touched.
* Second Wind (Fighter 1, once per short rest): 1d10 + fighter level hit points as a bonus action; refused at full
  hit points, where it would heal nothing and only spend the use.
* Bardic Inspiration (Bard 1; uses: CHA modifier, at least 1): the bard gives another creature a die (d6, d8 at
  5th, d10 at 10th, d12 at 15th), which it adds to one ability check, attack roll or saving throw (one die at a
  time; a new one replaces an unspent one).
"""

from __future__ import annotations

from collections import Counter

from dnd.character import Character, class_level
from dnd.data.classes import step
from dnd.errors import RulesError
from dnd.feats import use_resource
from dnd.progression import get_class

ARCANE_RECOVERY = "Arcane Recovery"
LAY_ON_HANDS = "Lay on Hands"
BARDIC_INSPIRATION = "Bardic Inspiration"
SECOND_WIND = "Second Wind"


def second_wind_level(character: Character, hp: int, max_hp: int) -> int:
    """The fighter level Second Wind adds to its 1d10, for a character at ``hp`` of ``max_hp`` (the sheet's, or the
    fight's); refused for a non-fighter, and at full hit points (nothing to regain: the use is kept)."""
    level = class_level(character, "Fighter")
    if not level:
        raise RulesError(f"{character.name} is not a Fighter.")
    if hp >= max_hp:
        raise RulesError(f"{character.name} is already at full HP ({hp}/{max_hp}): Second Wind would heal nothing, "
                         "so its use is kept.")
    return level


def arcane_recovery_budget(character: Character) -> int:
    """The total of slot levels Arcane Recovery restores: half the wizard level, rounded up (0 for a non-wizard)."""
    return -(-class_level(character, "Wizard") // 2)


def arcane_recovery(character: Character, levels: list[int]) -> tuple[Character, str]:
    """Recover the spent slots of ``levels`` (e.g. [2, 1]); spends the day's use."""
    budget = arcane_recovery_budget(character)
    if not budget:
        raise RulesError(f"{character.name} is not a Wizard: no Arcane Recovery.")
    if not levels:
        raise RulesError(f"Which slots? Levels adding up to {budget} at most, e.g. "
                         f"`!arcane_recovery {min(budget, 2)}`.")
    if any(not 1 <= lvl <= 5 for lvl in levels):
        raise RulesError("Arcane Recovery restores slots of 1st to 5th level only (none of 6th level or higher).")
    if sum(levels) > budget:
        raise RulesError(f"Those slots add up to {sum(levels)} levels; {character.name} recovers at most {budget}.")
    slots = dict(character.spell_slots)
    for lvl, count in Counter(levels).items():
        spent = character.spell_slots_max.get(lvl, 0) - slots.get(lvl, 0)
        if count > spent:
            raise RulesError(f"{character.name} has {spent} spent level-{lvl} slot{'s' if spent != 1 else ''} to "
                             f"recover, not {count}.")
        slots[lvl] = slots.get(lvl, 0) + count
    used, _ = use_resource(character, ARCANE_RECOVERY)
    shown = ", ".join(f"level {lvl}" for lvl in sorted(levels))
    return used.model_copy(update={"spell_slots": slots}), f"{character.name} recovers {shown} (Arcane Recovery)."


def lay_on_hands(healer: Character, amount: int) -> tuple[Character, str]:
    """Spend ``amount`` hit points of the pool (the caller heals the creature touched by as much)."""
    if not class_level(healer, "Paladin"):
        raise RulesError(f"{healer.name} is not a Paladin: no Lay on Hands.")
    if not 1 <= amount <= 100:
        raise RulesError("Spend between 1 and 100 hit points of the pool, e.g. `!lay_on_hands 5 @player`.")
    return use_resource(healer, LAY_ON_HANDS, amount)


def inspiration_die_of(bard: Character) -> int:
    level = class_level(bard, "Bard")
    return int(step(get_class("Bard").extras["bardic_inspiration_die"], level) or 0) if level else 0


def inspire(bard: Character, target: Character) -> tuple[Character, Character, str]:
    """The bard spends a use of Bardic Inspiration; the target holds the die until it spends it."""
    die = inspiration_die_of(bard)
    if not die:
        raise RulesError(f"{bard.name} is not a Bard: no Bardic Inspiration.")
    if bard.name == target.name:
        raise RulesError("Bardic Inspiration goes to another creature, not the bard.")
    bard, _ = use_resource(bard, BARDIC_INSPIRATION)
    target = target.model_copy(update={"inspiration_die": die})
    return bard, target, f"{bard.name} inspires {target.name}: a d{die} to add to one check, attack or save."


def spend_inspiration(character: Character) -> tuple[Character, str]:
    """The held Bardic Inspiration die, as dice to add to a d20 roll ("+1d8"); refused when none is held."""
    if not character.inspiration_die:
        raise RulesError(f"{character.name} holds no Bardic Inspiration die.")
    return character.model_copy(update={"inspiration_die": 0}), f"+1d{character.inspiration_die}"
