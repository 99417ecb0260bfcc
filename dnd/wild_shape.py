"""Wild Shape (SRD 5.1, Druid 2): a druid takes the shape of a beast it could have seen, two uses per short or
long rest (`dnd.data.classes`: the "Wild Shape" resource). The beast's challenge rating is at most 1/4 with no
flying or swimming speed from 2nd level, 1/2 with no flying speed from 4th, 1 from 8th.

In the beast's shape the druid fights with the beast's stat block — its hit points, armor class, abilities,
attacks, resistances and saving throws (`dnd.monsters.Combatant.from_character`); the druid's own hit points
wait on the sheet. The druid reverts with a bonus action (`!revert`: its hit points are what they were), or when
the beast drops to 0 hit points: the damage beyond the beast's hit points carries over to the druid's own
(`dnd.combat.damage.apply_damage`). The druid keeps its Intelligence, Wisdom and Charisma and its saving throw
proficiencies, using the better of the beast's save bonus and its own (`dnd.monsters.in_shape`); it can't cast
spells in the shape before Druid 18 (Beast Spells, `dnd.spellcasting.cast_spell`). Not modelled: the shape's
duration (half the druid level in hours; a fight is far shorter), and skill proficiencies (checks are rolled
from the sheet).
"""

from __future__ import annotations

from typing import Any

from dnd.character import Character, WildShape, class_level
from dnd.errors import RulesError
from dnd.feats import find_resource, use_resource
from dnd.monsters import MonsterBlock, cr_label

WILD_SHAPE = "Wild Shape"


def shape_limits(druid_level: int) -> tuple[float, bool, bool]:
    """(highest challenge rating, swimming allowed, flying allowed) at this druid level."""
    if druid_level >= 8:
        return 1, True, True
    if druid_level >= 4:
        return 0.5, True, False
    return 0.25, False, False


def check_beast(character: Character, block: MonsterBlock) -> None:
    """Refuse a shape the druid can't take: not a druid of 2nd level, not a beast, too high a challenge rating,
    or a speed its level doesn't allow yet."""
    level = class_level(character, "Druid")
    if level < 2:
        raise RulesError(f"{character.name} can't Wild Shape: that's a feature of a druid of 2nd level or higher.")
    if block.type.casefold() != "beast":
        raise RulesError(f"{block.name} is a {block.type or 'creature'}, not a beast: Wild Shape takes a beast's "
                         "shape.")
    top, swim, fly = shape_limits(level)
    if block.challenge_rating > top:
        raise RulesError(f"{block.name} is challenge {block.cr_text}; a level {level} druid's Wild Shape goes up to "
                         f"challenge {cr_label(top)}.")
    moves = {k.casefold() for k, v in block.speed.items() if v and not v.startswith("0")}
    if "fly" in moves and not fly:
        raise RulesError(f"{block.name} can fly; a druid takes a flying shape from 8th level.")
    if "swim" in moves and not swim:
        raise RulesError(f"{block.name} can swim; a druid takes a swimming shape from 4th level.")


def assume_shape(character: Character, block: MonsterBlock, stat_block: dict[str, Any]) -> Character:
    """The druid in the beast's shape (``stat_block``: the beast's compendium entry), a use of Wild Shape spent,
    at the beast's full hit points."""
    if character.wild_shape is not None:
        raise RulesError(f"{character.name} is already a {character.wild_shape.beast}: `!revert` first.")
    check_beast(character, block)
    if find_resource(character, WILD_SHAPE) is None:
        raise RulesError(f"{character.name} has no uses of Wild Shape on the sheet.")
    spent, _ = use_resource(character, WILD_SHAPE)
    shape = WildShape(beast=block.name, hp=block.hit_points, max_hp=block.hit_points, stat_block=stat_block)
    return spent.model_copy(update={"wild_shape": shape})


def revert(character: Character) -> Character:
    """Back in the druid's own shape, with the hit points it had before the change."""
    if character.wild_shape is None:
        raise RulesError(f"{character.name} is not in a beast's shape.")
    return character.model_copy(update={"wild_shape": None})
