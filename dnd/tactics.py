"""How the Dungeon Master plays a monster's turn: a legal action from its stat block and a target, chosen by
plain rules (pure, seeded by the ``rng`` given). The engine then resolves the action; nothing here rolls dice
for the action itself.

The action:

* a monster hurt below a quarter of its hit points that is not mindless (Intelligence 6 or more, and not a
  beast, construct, ooze, plant or undead) **flees** the fight;
* else its **Multiattack** (the first option its stat block lists), if it has one;
* else its **best attack**: the attack action with the highest expected damage on a hit (average of its dice)
  plus its attack bonus as the tie-break.

The target, among the characters still standing (above 0 HP; a creature that is cruel by its kind — a fiend or
an undead — also strikes the downed):

1. the character who last hurt this monster (it answers a threat), unless that was its own target last turn
   and another character is standing: then the others get its attention, so it is not the same creature
   forever;
2. else the most wounded character (the lowest share of hit points left: it finishes what it started);
3. ties are broken by the ``rng``.

The menu (:func:`legal_actions`) lists every action the engine can resolve for the monster now, by id, so a
model may choose from it instead; :func:`plan_from_choice` checks such a choice and falls back to the policy.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from dnd.combat.state import CombatState, find_anywhere
from dnd.monsters import Combatant, MonsterAction

PlanKind = Literal["multiattack", "attack", "flee", "wait"]
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

    @property
    def id(self) -> str:
        """The menu id of this choice: "multiattack:pc12", "attack:Scimitar:pc12", "flee", "wait"."""
        if self.kind in ("flee", "wait"):
            return self.kind
        if self.kind == "multiattack":
            return f"multiattack:{self.target_id}"
        return f"attack:{self.action}:{self.target_id}"


def average_damage(action: MonsterAction) -> float:
    """The average damage of an action's dice ("2d6+3" → 10.0), every damage part added."""
    total = 0.0
    for part in action.damage:
        text = part.dice.replace(" ", "")
        for count, sides in _DICE.findall(text):
            total += int(count or 1) * (int(sides) + 1) / 2
        for flat in _FLAT.findall(_DICE.sub("", text)):
            total += int(flat.replace(" ", ""))
        if not _DICE.search(text) and text.lstrip("+-").isdigit():
            total += int(text)
    return total


def best_attack(monster: Combatant) -> MonsterAction | None:
    attacks = [a for a in (monster.monster.actions if monster.monster else []) if a.is_attack]
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


def plan_turn(state: CombatState, monster_id: str, rng: random.Random) -> MonsterPlan:
    """The monster's turn by the policy of this module."""
    monster = find_anywhere(state, monster_id)
    if wants_to_flee(monster):
        return MonsterPlan("flee", monster.id, reason="badly hurt, it runs for its life")
    chosen = choose_target(state, monster, rng)
    if chosen is None:
        return MonsterPlan("wait", monster.id, reason="no one it can reach")
    target, why = chosen
    block = monster.monster
    if block is not None and block.multiattack:
        return MonsterPlan("multiattack", monster.id, target.id, reason=why)
    attack = best_attack(monster)
    if attack is None:
        return MonsterPlan("wait", monster.id, reason="it has no attack")
    return MonsterPlan("attack", monster.id, target.id, attack.name, reason=why)


def legal_actions(state: CombatState, monster_id: str) -> list[MonsterPlan]:
    """Every choice the engine can resolve for the monster now (a model may pick one by its ``id``)."""
    monster = find_anywhere(state, monster_id)
    plans: list[MonsterPlan] = []
    block = monster.monster
    for target in targets(state, monster):
        if block is not None and block.multiattack:
            plans.append(MonsterPlan("multiattack", monster.id, target.id))
        for action in block.actions if block else []:
            if action.is_attack:
                plans.append(MonsterPlan("attack", monster.id, target.id, action.name))
    if not is_mindless(monster):
        plans.append(MonsterPlan("flee", monster.id))
    plans.append(MonsterPlan("wait", monster.id))
    return plans


def plan_from_choice(state: CombatState, monster_id: str, choice: str, rng: random.Random) -> MonsterPlan:
    """A choice by id from :func:`legal_actions`; anything else (an invented action, a downed target) gives
    the policy's own plan."""
    for plan in legal_actions(state, monster_id):
        if plan.id == choice.strip():
            return plan
    return plan_turn(state, monster_id, rng)
