"""How the Dungeon Master plays a monster's turn: a legal action from its stat block and a target, chosen by
plain rules (pure, seeded by the ``rng`` given). The engine then resolves the action; nothing here rolls dice
for the action itself.

The action:

* a monster hurt below a quarter of its hit points that is not mindless (Intelligence 6 or more, and not a
  beast, construct, ooze, plant or undead) **flees** the fight;
* else an **area action** that is charged (a recharge action not spent, a limited one with uses left:
  :mod:`dnd.combat.abilities`) when it catches two or more targets and its expected damage over them (the
  average, times the targets, times 3/4 when a save halves it, else 1/2) beats the single-target choice's;
* a caster (`dnd.combat.monster_spells`: its Spellcasting's slots and innate uses) below half its hit points
  **heals itself** with a healing spell it has left, before it would flee; a caster's **damaging spell** worth
  more than the other choices (its average dice times the hit chance for a spell attack, per creature caught
  times 3/4 or 1/2 for a save, in full for damage that always hits; a save spell's area by the same rule of
  thumb as actions, one target without an area) is cast with the lowest slot left, except a concentration
  spell while it holds one;
* a caster's **holding spell** (`dnd.combat.holds`: Hold Person, Blindness/Deafness, Hideous Laughter, Hypnotic
  Pattern, Fear, Entangle, Web; Command, which costs its target the next turn) at the hero whose lost turns are
  worth most, when that is worth more than all of the above: its value (:func:`hold_worth`) is the turns it is
  expected to deny (the chance the target fails the save, again at each turn for a spell it repeats, over at most
  :data:`HOLD_HORIZON` rounds; a hold that only hampers — blinded, restrained, frightened: its attacks at
  disadvantage — denies a third of each) times the damage that target deals in a turn. Never at a target that
  saves more often than it fails (:data:`MIN_FAIL_CHANCE`), one the spell can't affect (Hold Person: a humanoid
  only, `dnd.combat.holds.unaffected`), or one already held or commanded, nor a concentration spell while it
  holds one that holds someone;
* else its **Multiattack** (the first option its stat block lists), if it has one;
* else its **best attack**: the charged attack action with the highest expected damage on a hit (average of
  its dice) plus its attack bonus as the tie-break.

There is no map, so how many of the party an area catches is a rule of thumb from its size: a cone catches one
target per 15 feet of length, a line one per 30 feet, a sphere, radius or "within N feet" one per 5 feet of
radius, a cube one per 10 feet; anything else two. The first caught is the target chosen below, then the most
wounded of the rest.

Legendary actions (:func:`plan_legendary`), at the end of another creature's turn while it has some left: an
area legendary action it can afford that catches two or more targets, else a legendary attack at its target, or
a legendary action that casts (the Lich's cantrip, a sphinx's spell) its most damaging spell at it when that is
worth more for each legendary action spent.

The target, among the characters still standing (above 0 HP; a creature that is cruel by its kind — a fiend or
an undead — also strikes the downed):

1. the character who last hurt this monster (it answers a threat), unless that was its own target last turn
   and another character is standing: then the others get its attention, so it is not the same creature
   forever;
2. else the most wounded character (the lowest share of hit points left: it finishes what it started);
3. ties are broken by the ``rng``.

A character whose player is away (``!away``, or an idle turn) is played by :func:`plan_character_turn`: it
attacks, with its equipped (or first) weapon, the monster that last hurt it, else the most wounded monster
(the attacks of its Attack action); with no monster standing, it takes the Dodge action. :func:`resolve`
carries out any plan with the engine, and :func:`play_fight` plays a whole fight by this policy on both sides.

The menu (:func:`legal_actions`) lists every action the engine can resolve for the monster now, by id, so a
model may choose from it instead. A model narrating a round is shown the menu of each monster the DM plays
(:func:`model_menu`) and may choose its next turn ahead (:func:`set_intent`, kept on the monster); when that
turn comes, :func:`plan_monster_turn` plays the choice if it is still legal, else the policy's plan (a target
who fell meanwhile, a breath already spent). The run of monster turns never waits on a model.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from dnd.combat.abilities import (
    is_charged,
    legendary_attack,
    legendary_spells,
    start_monster_turn,
    usable_legendary,
    use_area_action,
    use_legendary_action,
)
from dnd.combat.attacks import attack, multiattack, weapon_damage
from dnd.combat.concentration import concentrating_on
from dnd.combat.economy import attacks_per_action, take_action
from dnd.combat.holds import HOLDS, Hold, finish_turn, unaffected
from dnd.combat.monster_spells import Castable, castable_spells, preview
from dnd.combat.results import AttackResult, MultiattackResult, Told
from dnd.combat.spells import cast_monster_spell
from dnd.combat.state import CombatState, current_actor, find_anywhere, outcome, replace_combatant
from dnd.combat.turn_start import start_turn
from dnd.combat.turns import dodge, flee
from dnd.conditions import TURNED, is_incapacitated
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterAction

PlanKind = Literal["multiattack", "attack", "area", "spell", "legendary", "flee", "dodge", "wait"]
HIT_CHANCE = 0.65  # the expected share of attack rolls that hit, to weigh an attack against an area
MINDLESS_TYPES = frozenset({"beast", "construct", "ooze", "plant", "undead"})
CRUEL_TYPES = frozenset({"fiend", "undead"})
FLEE_BELOW = 0.25
MIN_FLEEING_INTELLIGENCE = 6
_DICE = re.compile(r"(\d*)d(\d+)")
_FLAT = re.compile(r"[+-]\s*\d+(?!\s*d)")


@dataclass(frozen=True)
class MonsterPlan:
    """What a monster does on its turn: ``kind``, the ``action`` used (an attack's name), its ``target_id``, and
    ``reason`` (why, in a few words, for the log and the narrator)."""

    kind: PlanKind
    monster_id: str
    target_id: str | None = None
    action: str | None = None
    reason: str = ""
    target_ids: tuple[str, ...] = ()  # an area action's (or an area legendary action's) creatures caught
    spell: str = ""  # the spell a legendary action that casts one casts (the Lich's cantrip)

    @property
    def id(self) -> str:
        """The menu id of this choice: "multiattack:pc12", "attack:Scimitar:pc12", "flee", "wait"."""
        if self.kind in ("flee", "wait", "dodge"):
            return self.kind
        if self.kind == "multiattack":
            return f"multiattack:{self.target_id}"
        if self.kind == "area":
            return f"area:{self.action}"
        if self.kind == "spell":
            return f"spell:{self.action}" + ("" if len(self.target_ids) > 1 else f":{self.target_id}")
        return f"attack:{self.action}:{self.target_id}"


def average_damage(action: MonsterAction) -> float:
    """The average damage of an action's dice ("2d6+3" → 10.0), every damage part added."""
    return sum((_average_of(part.dice) for part in action.damage), 0.0)


@lru_cache(maxsize=4096)  # read from the stat block's text at every turn the policy plans
def _average_of(dice: str) -> float:
    total = 0.0
    text = dice.replace(" ", "")
    for count, sides in _DICE.findall(text):
        total += int(count or 1) * (int(sides) + 1) / 2
    for flat in _FLAT.findall(_DICE.sub("", text)):
        total += int(flat.replace(" ", ""))
    if not _DICE.search(text) and text.lstrip("+-").isdigit():
        total += int(text)
    return total


def best_attack(monster: Combatant) -> MonsterAction | None:
    attacks = [a for a in (monster.monster.actions if monster.monster else []) if a.is_attack
               and is_charged(monster, a)]
    if not attacks:
        return None
    return max(attacks, key=lambda a: (average_damage(a), a.attack_bonus or 0))


def _creature_type(monster: Combatant) -> str:
    return (monster.monster.type if monster.monster else "").casefold()


def is_mindless(monster: Combatant) -> bool:
    block = monster.monster
    intelligence = block.ability_scores.get("INT", 10) if block else 10
    return _creature_type(monster) in MINDLESS_TYPES or intelligence < MIN_FLEEING_INTELLIGENCE


def is_cruel(monster: Combatant) -> bool:
    return _creature_type(monster) in CRUEL_TYPES


def wants_to_flee(monster: Combatant) -> bool:
    return not is_mindless(monster) and monster.hp < monster.max_hp * FLEE_BELOW


def targets(state: CombatState, monster: Combatant) -> list[Combatant]:
    """The characters this monster may attack now: those standing, and the downed too if it is cruel."""
    return [c for c in state.combatants if c.kind == "character" and not c.dead and not c.defeated
            and (c.hp > 0 or is_cruel(monster))]


def _last_attacker(state: CombatState, monster_id: str, candidates: dict[str, Combatant]) -> str | None:
    for event in reversed(state.log):
        if event.kind == "damage" and event.target_id == monster_id and event.actor_id in candidates:
            return event.actor_id
    return None


def _last_target(state: CombatState, monster_id: str) -> str | None:
    for event in reversed(state.log):
        if event.actor_id == monster_id and event.kind in ("attack", "damage") and event.target_id:
            return event.target_id
    return None


def choose_target(state: CombatState, monster: Combatant, rng: random.Random) -> tuple[Combatant, str] | None:
    """The target by the rules of this module, with the reason; None when nobody can be attacked."""
    candidates = {c.id: c for c in targets(state, monster)}
    if not candidates:
        return None
    standing = {cid: c for cid, c in candidates.items() if c.hp > 0} or candidates
    last_target = _last_target(state, monster.id)
    attacker = _last_attacker(state, monster.id, standing)
    if attacker is not None and not (attacker == last_target and len(standing) > 1):
        return standing[attacker], "it turns on whoever hurt it last"
    pool = [c for cid, c in standing.items() if cid != last_target] or list(standing.values())
    lowest = min(c.hp / c.max_hp for c in pool)
    wounded = [c for c in pool if c.hp / c.max_hp == lowest]
    return wounded[rng.randrange(len(wounded))], "it goes for the most wounded"


_AREA_SIZE = re.compile(r"(\d+)[- ](?:foot|feet|ft\.?)[- ](?:radius )?(cone|line|sphere|radius|cube|cylinder)"
                        r"|within (\d+) (?:feet|ft)", re.IGNORECASE)
_PER_TARGET_FEET = {"cone": 15, "line": 30, "sphere": 5, "radius": 5, "cylinder": 5, "cube": 10, "within": 5}


def area_capacity(action: MonsterAction) -> int:
    """How many targets an area catches, by the rule of thumb of this module's docstring."""
    return _capacity(action.desc, 2)


def _capacity(text: str, otherwise: int) -> int:
    found = _AREA_SIZE.search(text)
    if found is None:
        return otherwise
    feet, shape = (int(found.group(1)), found.group(2).casefold()) if found.group(1) else (int(found.group(3)),
                                                                                          "within")
    return max(1, feet // _PER_TARGET_FEET[shape])


def caught_by(state: CombatState, monster: Combatant, capacity: int, first: Combatant) -> list[Combatant]:
    """The ``capacity`` targets an area catches: ``first``, then the most wounded of the others standing."""
    others = sorted((c for c in targets(state, monster) if c.hp > 0 and c.id != first.id),
                    key=lambda c: (c.hp / c.max_hp, c.id))
    return [first, *others][:capacity]


def area_value(action: MonsterAction, caught: int) -> float:
    return average_damage(action) * caught * (0.75 if action.half_on_success else 0.5)


def single_value(monster: Combatant) -> float:
    """The expected damage of the monster's Multiattack (all its attacks) or best attack at one target."""
    block = monster.monster
    if block is not None and block.multiattack:
        total = 0.0
        for step in block.multiattack[0].steps:
            found = block.find_action(step.action)
            count = int(step.count) if step.count.isdigit() else 2
            total += average_damage(found) * count if found is not None else 0
        return total * HIT_CHANCE
    attack = best_attack(monster)
    return average_damage(attack) * HIT_CHANCE if attack is not None else 0.0


def best_area(state: CombatState, monster: Combatant, first: Combatant) -> tuple[float, MonsterPlan] | None:
    """The charged area action worth more than the single-target choice, catching two or more, if any (with
    its expected damage)."""
    block = monster.monster
    options: list[tuple[float, MonsterAction, list[Combatant]]] = []
    for action in block.actions if block else []:
        if action.is_area and is_charged(monster, action):
            caught = caught_by(state, monster, area_capacity(action), first)
            if len(caught) >= 2:
                options.append((area_value(action, len(caught)), action, caught))
    if not options:
        return None
    value, action, caught = max(options, key=lambda o: o[0])
    if value <= single_value(monster):
        return None
    return value, MonsterPlan("area", monster.id, first.id, action.name,
                              reason=f"its {action.name} catches {len(caught)}", target_ids=tuple(c.id for c in caught))


def plan_turn(state: CombatState, monster_id: str, rng: random.Random) -> MonsterPlan:
    """The monster's turn by the policy of this module."""
    monster = find_anywhere(state, monster_id)
    if is_incapacitated(monster.conditions):  # held, stunned, asleep: its turn passes
        return MonsterPlan("wait", monster.id, reason=f"it can't act ({', '.join(monster.conditions)})")
    if TURNED in monster.conditions:
        return MonsterPlan("wait", monster.id, reason="turned, it runs from the holy power")
    caster = monster.monster is not None and monster.monster.spellcasting is not None
    mending = healing_plan(monster) if caster else None
    if mending is not None:
        return mending
    if wants_to_flee(monster):
        return MonsterPlan("flee", monster.id, reason="badly hurt, it runs for its life")
    chosen = choose_target(state, monster, rng)
    if chosen is None:
        return MonsterPlan("wait", monster.id, reason="no one it can reach")
    target, why = chosen
    area = best_area(state, monster, target)
    spell = best_spell(state, monster, target, why) if caster else None
    hold = best_hold(state, monster) if caster else None
    if hold is not None or spell is not None:  # (weighed against its attacks only when it has a spell to cast)
        other = max(single_value(monster), area[0] if area else 0.0)
        if hold is not None and hold[0] > max(other, spell[0] if spell else 0.0):
            return hold[1]
        if spell is not None and spell[0] > other:
            return spell[1]
    if area is not None:
        return area[1]
    block = monster.monster
    if block is not None and block.multiattack:
        return MonsterPlan("multiattack", monster.id, target.id, reason=why)
    attack = best_attack(monster)
    if attack is None:
        return MonsterPlan("wait", monster.id, reason="it has no attack")
    return MonsterPlan("attack", monster.id, target.id, attack.name, reason=why)


# --------------------------------------------------------------------------- spells (dnd.combat.monster_spells)

HEAL_BELOW = 0.5  # a caster hurt below half its hit points heals itself, when it has a healing spell left


def spell_capacity(found: Castable) -> int:
    """How many a saving-throw spell catches, by its area (the same rule of thumb as actions; one without an
    area); an attack or a spell that always hits is at one target."""
    return _capacity(found.info.summary, 1) if found.info.save else 1


def spell_worth(monster: Combatant, found: Castable, caught: int) -> float:
    """The expected damage of a spell: its average dice, times the chance an attack hits, or per creature caught
    times 3/4 when a save halves it (else 1/2); damage that always hits counts in full."""
    effect = preview(monster, found)
    average = _average_of(effect.damage) if effect.damage else 0.0
    if effect.attack:
        return average * HIT_CHANCE
    if effect.save:
        return average * caught * (0.75 if effect.save_effect == "half" else 0.5)
    return average


def _harmful(found: Castable) -> bool:
    info = found.info
    return bool(info.damage) and not info.later


def holding_someone(state: CombatState, caster_id: str) -> bool:
    """The caster keeps a concentration spell worth keeping: any but a hold that every target resisted."""
    held = concentrating_on(state, caster_id)
    return held is not None and not (held.conditions and not held.targets)


def best_spell(state: CombatState, monster: Combatant, first: Combatant, why: str,
               spells: list[Castable] | None = None) -> tuple[float, MonsterPlan] | None:
    """The damaging spell worth most now (at ``first``, or catching it and the most wounded others), if any; of
    ``spells`` when given (a legendary action's), else of all it can cast."""
    options: list[tuple[float, MonsterPlan]] = []
    holding = holding_someone(state, monster.id)
    for found in castable_spells(monster) if spells is None else spells:
        if not _harmful(found) or (found.info.concentration and holding):  # it keeps the spell it holds
            continue
        capacity = spell_capacity(found)
        caught = caught_by(state, monster, capacity, first)
        plan = MonsterPlan("spell", monster.id, first.id, found.info.name, reason=why,
                           target_ids=tuple(c.id for c in caught))
        options.append((spell_worth(monster, found, len(caught)), plan))
    return max(options, key=lambda o: o[0]) if options else None


HOLD_HORIZON = 3  # the rounds a hold is counted for: about what is left of a fight
MIN_FAIL_CHANCE = 0.5  # a hold is tried only at a target that fails its save at least this often
HAMPERED_SHARE = 1 / 3  # of a turn a hold denies when it doesn't incapacitate (the target's attacks at disadvantage)
_DENYING = frozenset({"Paralyzed", "Incapacitated", "Stunned", "Unconscious"})


def fail_chance(target: Combatant, ability: str, dc: int) -> float:
    """The chance ``target`` fails a save of ``ability`` against ``dc`` (a natural 1 and 20 aside: 5% to 95%)."""
    return min(0.95, max(0.05, (dc - 1 - target.saving_throw_bonus(ability)) / 20))


def turn_damage(target: Combatant) -> float:
    """The damage a creature deals in a turn, expected: a monster's best choice (:func:`single_value`), a
    character's Attack action with its weapon (every attack of it, at :data:`HIT_CHANCE`)."""
    if target.kind == "monster":
        return single_value(target)
    dice = weapon_damage(target)
    return _average_of(dice) * attacks_per_action(target.character) * HIT_CHANCE if dice else 0.0


def hold_worth(hold: Hold, chance: float, damage: float) -> float:
    """The damage a hold is expected to deny one target: turns lost (``chance`` it fails the save; for a spell it
    repeats, again at each of the turns counted; otherwise held for all of them) times its ``damage`` a turn."""
    if hold.loses_turn:
        return chance * damage
    turns = sum(chance ** k for k in range(1, HOLD_HORIZON + 1)) if hold.repeat_save else chance * HOLD_HORIZON
    return turns * damage * (1.0 if _DENYING.intersection(hold.conditions) else HAMPERED_SHARE)


def _free_to_hold(state: CombatState, monster: Combatant) -> list[Combatant]:
    """The heroes standing that no spell holds and nothing stops from acting already."""
    held = {t for spell in state.ongoing if spell.conditions for t in spell.targets}
    return [c for c in targets(state, monster)
            if c.hp > 0 and c.id not in held and not c.skip_next and not is_incapacitated(c.conditions)]


def best_hold(state: CombatState, monster: Combatant) -> tuple[float, MonsterPlan] | None:
    """The holding spell worth most now, at the hero whose lost turns are worth most (an area one catching the
    most wounded others too), with its worth; None when it has none, or no one is worth holding."""
    free = _free_to_hold(state, monster)
    holding = holding_someone(state, monster.id)
    options: list[tuple[float, MonsterPlan]] = []
    for found in castable_spells(monster) if free else []:
        hold = HOLDS.get(found.info.name)
        if hold is None or not found.info.save or (found.info.concentration and holding):
            continue
        dc = preview(monster, found).save_dc or 10
        worth = {c.id: hold_worth(hold, chance, turn_damage(c)) for c in free
                 if unaffected(found.info.name, c) is None
                 and (chance := fail_chance(c, found.info.save, dc)) >= MIN_FAIL_CHANCE}
        if not worth:
            continue
        first = max((c for c in free if c.id in worth), key=lambda c: (worth[c.id], c.id))
        caught = [c for c in caught_by(state, monster, spell_capacity(found), first)
                  if unaffected(found.info.name, c) is None]
        plan = MonsterPlan("spell", monster.id, first.id, found.info.name, reason=f"it holds {first.name}",
                           target_ids=tuple(c.id for c in caught))
        options.append((sum(worth.get(c.id, 0.0) for c in caught), plan))
    return max(options, key=lambda o: o[0]) if options else None


def healing_plan(monster: Combatant) -> MonsterPlan | None:
    """A caster below half its hit points heals itself with a healing spell it has left."""
    if monster.hp >= monster.max_hp * HEAL_BELOW or monster.hp == 0:
        return None
    found = next((f for f in castable_spells(monster) if f.info.heal), None)
    if found is None:
        return None
    return MonsterPlan("spell", monster.id, monster.id, found.info.name, reason="hurt, it mends its wounds",
                       target_ids=(monster.id,))


def plan_legendary(state: CombatState, monster_id: str, rng: random.Random) -> MonsterPlan | None:
    """A legendary action at the end of another creature's turn, or None (none left, none it can use)."""
    monster = find_anywhere(state, monster_id)
    usable = usable_legendary(monster)
    chosen = choose_target(state, monster, rng) if usable else None
    if chosen is None:
        return None
    target, why = chosen
    for action in usable:
        caught = caught_by(state, monster, area_capacity(action), target) if action.is_area else []
        if len(caught) >= 2:
            return MonsterPlan("legendary", monster.id, target.id, action.name, reason=f"it catches {len(caught)}",
                               target_ids=tuple(c.id for c in caught))
    strike = next((a for a in usable if legendary_attack(monster, a) is not None), None)
    casting = _legendary_cast(state, monster, usable, target, why)
    struck = legendary_attack(monster, strike) if strike is not None else None
    if casting is not None and (strike is None or struck is None
                                or casting[0] > average_damage(struck) * HIT_CHANCE / strike.cost):
        return casting[1]
    if strike is None:
        return None
    return MonsterPlan("legendary", monster.id, target.id, strike.name, reason=why, target_ids=(target.id,))


def _legendary_cast(state: CombatState, monster: Combatant, usable: list[MonsterAction], target: Combatant,
                    why: str) -> tuple[float, MonsterPlan] | None:
    """The damaging spell a legendary action that casts one is worth most casting now, by its worth per
    legendary action spent."""
    options: list[tuple[float, MonsterPlan]] = []
    for action in usable:
        spells = legendary_spells(monster, action)
        best = best_spell(state, monster, target, why, spells) if spells else None
        if best is not None:
            plan = best[1]
            options.append((best[0] / action.cost, MonsterPlan("legendary", monster.id, plan.target_id, action.name,
                                                               why, plan.target_ids, spell=plan.action or "")))
    return max(options, key=lambda o: o[0]) if options else None


def legal_actions(state: CombatState, monster_id: str) -> list[MonsterPlan]:
    """Every choice the engine can resolve for the monster now (a model may pick one by its ``id``)."""
    monster = find_anywhere(state, monster_id)
    if TURNED in monster.conditions or is_incapacitated(monster.conditions):  # it can only get away, or nothing
        return [MonsterPlan("wait", monster.id)]
    plans: list[MonsterPlan] = []
    block = monster.monster
    standing = targets(state, monster)
    for target in standing:
        if block is not None and block.multiattack:
            plans.append(MonsterPlan("multiattack", monster.id, target.id))
        for action in block.actions if block else []:
            if action.is_attack and is_charged(monster, action):
                plans.append(MonsterPlan("attack", monster.id, target.id, action.name))
    first = choose_target(state, monster, random.Random(0))
    for action in block.actions if block and first else []:
        if first is not None and action.is_area and is_charged(monster, action):
            caught = caught_by(state, monster, area_capacity(action), first[0])
            plans.append(MonsterPlan("area", monster.id, first[0].id, action.name,
                                     target_ids=tuple(c.id for c in caught)))
    plans += _spell_choices(state, monster, standing, first[0] if first else None)
    if not is_mindless(monster):
        plans.append(MonsterPlan("flee", monster.id))
    plans.append(MonsterPlan("wait", monster.id))
    return plans


def _spell_choices(state: CombatState, monster: Combatant, standing: list[Combatant],
                   first: Combatant | None) -> list[MonsterPlan]:
    """The menu's spells: a healing spell on itself when hurt, a spell attack (or damage that always hits) at each
    target standing, a saving-throw spell catching ``first`` and the most wounded others, a holding spell at each
    hero it doesn't hold yet (an area one catching ``first`` and the most wounded others)."""
    plans: list[MonsterPlan] = []
    for found in castable_spells(monster):
        name = found.info.name
        if found.info.heal and monster.hp < monster.max_hp:
            plans.append(MonsterPlan("spell", monster.id, monster.id, name, target_ids=(monster.id,)))
        elif _harmful(found) and not found.info.save:
            plans += [MonsterPlan("spell", monster.id, t.id, name, target_ids=(t.id,)) for t in standing]
        elif _harmful(found) and first is not None:
            caught = caught_by(state, monster, spell_capacity(found), first)
            plans.append(MonsterPlan("spell", monster.id, first.id, name, target_ids=tuple(c.id for c in caught)))
        elif name in HOLDS and found.info.save:
            plans += _hold_choices(state, monster, found, standing, first)
    return plans


def _hold_choices(state: CombatState, monster: Combatant, found: Castable, standing: list[Combatant],
                  first: Combatant | None) -> list[MonsterPlan]:
    """A holding spell at each hero standing that it doesn't hold yet (one of an area: catching ``first``)."""
    name = found.info.name
    free = {c.id for c in _free_to_hold(state, monster) if unaffected(name, c) is None}
    if spell_capacity(found) > 1:
        if first is None or unaffected(name, first) is not None:
            return []
        caught = [c for c in caught_by(state, monster, spell_capacity(found), first) if unaffected(name, c) is None]
        return [MonsterPlan("spell", monster.id, first.id, name, target_ids=tuple(c.id for c in caught))]
    return [MonsterPlan("spell", monster.id, t.id, name, target_ids=(t.id,)) for t in standing if t.id in free]


def chosen_plan(state: CombatState, monster_id: str, choice: str) -> MonsterPlan | None:
    """The plan of :func:`legal_actions` whose id is ``choice``, or None (an invented action, a downed target)."""
    wanted = choice.strip()
    return next((plan for plan in legal_actions(state, monster_id) if plan.id == wanted), None)


def plan_from_choice(state: CombatState, monster_id: str, choice: str, rng: random.Random) -> MonsterPlan:
    """A choice by id from :func:`legal_actions`; anything else gives the policy's own plan."""
    return chosen_plan(state, monster_id, choice) or plan_turn(state, monster_id, rng)


# --------------------------------------------------------------------------- the model's choices, made ahead

MAX_MENU_MONSTERS = 8  # the monsters a narration request offers choices for
MAX_MENU_CHOICES = 12  # and the choices of each (the policy's own first: a model that copies the first is safe)


def played_by_dm(combatant: Combatant, monster_control: str) -> bool:
    """The DM plays a monster whose controller says so, or every monster when MONSTER_CONTROL is auto, and a
    character whose player is away (`!away`)."""
    if combatant.kind != "monster":
        return combatant.controller == "dm" and combatant.active
    if combatant.controller is not None:
        return combatant.controller == "dm"
    return monster_control != "owner"


def describe(state: CombatState, plan: MonsterPlan) -> str:
    """A menu entry in words, for the model: "Scimitar at Aria", "Fire Breath catching Aria, Bram"."""
    if plan.kind == "flee":
        return "flee the fight"
    if plan.kind in ("wait", "dodge"):
        return "hold back and do nothing"
    if plan.kind == "area" or (plan.kind == "spell" and len(plan.target_ids) > 1):
        return f"{plan.action} catching {', '.join(find_anywhere(state, t).name for t in plan.target_ids)}"
    target = find_anywhere(state, plan.target_id).name if plan.target_id else "no one"
    return f"{'Multiattack' if plan.kind == 'multiattack' else plan.action} at {target}"


def model_menu(state: CombatState, monster_control: str) -> dict[str, dict[str, object]]:
    """For each standing monster the DM plays: its name and the choices a model may make for its next turn
    ({"id", "does"}), the policy's choice first. Empty when the DM plays none."""
    menu: dict[str, dict[str, object]] = {}
    for monster in state.combatants:
        if len(menu) >= MAX_MENU_MONSTERS:
            break
        if monster.kind != "monster" or not monster.active or not played_by_dm(monster, monster_control):
            continue
        policy = plan_turn(state, monster.id, random.Random(0)).id
        plans = sorted(legal_actions(state, monster.id), key=lambda plan: plan.id != policy)[:MAX_MENU_CHOICES]
        menu[monster.id] = {"name": monster.name,
                            "choices": [{"id": plan.id, "does": describe(state, plan)} for plan in plans]}
    return menu


def set_intent(state: CombatState, monster_id: str, choice: str, by: str, monster_control: str) -> CombatState:
    """The model's choice for the monster's next turn, kept on it; refused (RulesError, nothing changed) unless
    the monster stands, the DM plays it, and the choice is legal now."""
    monster = next((c for c in state.combatants if c.id == monster_id and c.kind == "monster"), None)
    if monster is None or not monster.active:
        raise RulesError(f"no monster {monster_id!r} is standing in this fight")
    if not played_by_dm(monster, monster_control):
        raise RulesError(f"{monster.name} is played by the owner, not the DM")
    if chosen_plan(state, monster.id, choice) is None:
        raise RulesError(f"{choice!r} is not one of the actions the engine offers {monster.name} now")
    return replace_combatant(state, monster.model_copy(update={"intent": choice.strip(), "intent_by": by}))


@dataclass(frozen=True)
class TurnChoice:
    """A monster's turn as played: the plan, the model's choice it came from (``intent``, or None: the policy's),
    and why a choice made ahead was not played (``set_aside``)."""

    plan: MonsterPlan
    intent: str | None = None
    intent_by: str | None = None
    set_aside: str | None = None


def plan_monster_turn(state: CombatState, monster_id: str, rng: random.Random) -> tuple[CombatState, TurnChoice]:
    """The monster's turn: the model's choice made ahead when it is still legal, else the policy's. The choice
    is spent either way (it was for this turn)."""
    monster = find_anywhere(state, monster_id)
    if monster.intent is None:
        return state, TurnChoice(plan_turn(state, monster_id, rng))
    state = replace_combatant(state, monster.model_copy(update={"intent": None, "intent_by": None}))
    chosen = chosen_plan(state, monster_id, monster.intent)
    if chosen is None:
        reason = f"{monster.intent!r} was no longer legal at {monster.name}'s turn: the policy played it"
        return state, TurnChoice(plan_turn(state, monster_id, rng), monster.intent, monster.intent_by, reason)
    plan = MonsterPlan(chosen.kind, chosen.monster_id, chosen.target_id, chosen.action, "the DM's choice",
                       chosen.target_ids)
    return state, TurnChoice(plan, monster.intent, monster.intent_by)


# --------------------------------------------------------------------------- characters, resolving, whole fights


def plan_character_turn(state: CombatState, character_id: str, rng: random.Random) -> MonsterPlan:
    """A character played by the DM's simple policy (see the module's docstring)."""
    me = find_anywhere(state, character_id)
    foes = [c for c in state.combatants if c.kind == "monster" and c.active]
    if is_incapacitated(me.conditions):
        return MonsterPlan("wait", me.id, reason=f"it can't act ({', '.join(me.conditions)})")
    if not foes or not me.active:
        return MonsterPlan("dodge", me.id, reason="nothing to strike at")
    by_id = {c.id: c for c in foes}
    attacker = _last_attacker(state, me.id, by_id)
    if attacker is not None:
        return MonsterPlan("attack", me.id, attacker, reason="it strikes back")
    lowest = min(c.hp / c.max_hp for c in foes)
    wounded = [c for c in foes if c.hp / c.max_hp == lowest]
    return MonsterPlan("attack", me.id, wounded[rng.randrange(len(wounded))].id, reason="it finishes the most wounded")


def resolve(state: CombatState, plan: MonsterPlan, rng: random.Random | None) -> tuple[CombatState, Told | None]:
    """The engine carries out ``plan`` on the actor's turn (a legendary action, out of it). "flee" and "dodge"
    end the turn; the others leave it to the caller. Returns the result (None for "wait")."""
    actor = find_anywhere(state, plan.monster_id)
    names = [find_anywhere(state, t).name for t in plan.target_ids]
    if plan.kind == "flee":
        return flee(state, actor.id)
    if plan.kind == "dodge":
        return dodge(state, actor.id)
    if plan.kind == "area" and plan.action:
        return use_area_action(state, actor.id, plan.action, names, rng)
    if plan.kind == "legendary" and plan.action:
        return use_legendary_action(state, actor.id, plan.action, names, rng, spell=plan.spell or None)
    if plan.kind == "spell" and plan.action:
        return cast_monster_spell(state, actor.id, plan.action, names, rng)
    if plan.target_id is None:
        return state, None
    if plan.kind == "multiattack":
        return multiattack(state, actor.id, plan.target_id, rng)
    if actor.kind == "character":
        return _character_attacks(state, actor, plan.target_id, rng)
    if plan.kind == "attack":
        return attack(state, actor.id, plan.target_id, plan.action, rng)
    return state, None


def _character_attacks(state: CombatState, actor: Combatant, target_id: str,
                       rng: random.Random | None) -> tuple[CombatState, Told]:
    """The attacks of a character's Attack action at one target, until it drops."""
    results: list[AttackResult] = []
    weapon: str | None = None  # the first attack picks the weapon (equipped, else the first carried)
    for _ in range(attacks_per_action(actor.character)):
        if not any(c.id == target_id and c.active for c in state.combatants):
            break
        state = take_action(state, actor.id, "attack")
        state, hit = attack(state, actor.id, target_id, weapon, rng)
        weapon = hit.weapon if hit.weapon != "Unarmed strike" else "unarmed strike"
        results.append(hit)
    if len(results) == 1:
        return state, results[0]
    return state, MultiattackResult(attacker=actor.name, target=results[0].target, attacks=results, read=True,
                                    told=[line for r in results for line in r.told])


Done = list[tuple[MonsterPlan, Told]]


def legendary_step(state: CombatState, rng: random.Random,
                   plays: Callable[[Combatant], bool] = lambda c: True) -> tuple[CombatState, Done]:
    """At the end of the current creature's turn (it is still theirs): each other legendary monster that
    ``plays`` allows takes one legendary action by :func:`plan_legendary`."""
    ending = current_actor(state).id
    done: list[tuple[MonsterPlan, Told]] = []
    for monster in list(state.combatants):
        if monster.id == ending or not monster.legendary_left or not plays(monster) or outcome(state) != "ongoing":
            continue
        plan = plan_legendary(state, monster.id, rng)
        if plan is None:
            continue
        state, result = resolve(state, plan, rng)
        if result is not None:
            done.append((plan, result))
    return state, done


def play_turn(state: CombatState, rng: random.Random) -> CombatState:
    """One turn by the policy, for whoever's turn it is (the start of the turn included: a downed character's
    death save, a monster's recharge rolls), and the legendary actions at its end."""
    state, _ = start_turn(state, rng)
    state, _ = start_monster_turn(state, rng)
    actor = current_actor(state)
    if actor.kind == "monster":
        plan = plan_turn(state, actor.id, rng)
    else:
        plan = plan_character_turn(state, actor.id, rng)
    state, _ = resolve(state, plan, rng)
    if plan.kind in ("flee", "dodge") or outcome(state) != "ongoing":
        return state
    state, _ = legendary_step(state, rng)
    if outcome(state) != "ongoing":
        return state
    state, _ = finish_turn(state, actor.id, rng)
    return state


def play_fight(state: CombatState, rng: random.Random, max_turns: int = 1000) -> CombatState:
    """A whole fight played by the policy on both sides, until one side is down or has fled (or ``max_turns``)."""
    for _ in range(max_turns):
        if outcome(state) != "ongoing" or not state.combatants:
            break
        state = play_turn(state, rng)
    return state
