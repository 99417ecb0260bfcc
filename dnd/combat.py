"""Combat (SRD 5.1): initiative, turns, attacks, damage, death saves, saving throws and healing.

The state is plain data (:class:`CombatState`, pydantic, frozen); every function takes a state and returns a
new one with a result object whose ``lines`` hold the rendered dice for the reply. Dice come from the
``random.Random`` given (deterministic when seeded).

Rules applied:

* Initiative: d20 + initiative bonus (DEX modifier; a character's Alert or Jack of All Trades included).
  Ties go to the higher DEX score, then to a d20 roll-off.
* Monsters join with the stat block's **average** hit points (the SRD presents a monster's hit points both
  as a die expression and as an average; the average is the number its stat block shows);
  ``hp_mode="roll"`` rolls the die expression instead. Monsters joining
  an ongoing fight roll initiative and are slotted into the order; the creature whose turn it is keeps it.
* Attacks: d20 + ability modifier + proficiency bonus (+ a weapon's magic bonus) for characters -- finesse
  weapons use the better of STR and DEX, ranged weapons DEX -- or the action's attack bonus for monsters.
  Advantage and disadvantage come from both sides' conditions (:func:`dnd.conditions.attack_roll_mode`).
  A natural 20 hits and is critical (damage dice doubled, not modifiers), a natural 1 misses; a hit from
  within 5 feet on a paralyzed or unconscious creature is critical.
* Damage: temporary hit points first; a monster's immunities, resistances and vulnerabilities to the damage
  type apply ("... from nonmagical attacks" for weapons without a magic bonus; silvered and adamantine
  exceptions are not tracked). At 0 hit points a monster is defeated and leaves the initiative order; a
  character falls unconscious and starts making death saves (or dies outright when the damage left over
  equals its hit point maximum). Damage to a character at 0 hit points is a failed death save (two on a
  critical hit).
* Death saves at the start of the character's turn: 10 or higher succeeds, a 1 counts two failures, a 20
  restores 1 hit point; three successes make the character stable, three failures kill it.
* Multiattack: a monster makes the attacks its stat block's Multiattack lists (one of its options), all at
  one target, stopping when the target drops; one attack, said so, when the Multiattack couldn't be read.
* Spells (:func:`cast`, after :func:`dnd.spellcasting.cast_spell` spent the slot): a spell attack (spell
  attack bonus against AC, dice doubled on a critical hit), a saving throw against the spell save DC for
  each target (half damage on a success when the spell says so), healing, or damage that always hits
  (Magic Missile).

Not modelled: positions and ranges (callers say ``ranged=True`` for a thrown or long-range attack), cover,
reactions, concentration and legendary actions.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dnd.abilities import normalize_ability
from dnd.actions import find_inventory_item, magic_bonus, proficient_with, weapon_ability
from dnd.character import Character, DeathSaves, InventoryItem, ability_modifier
from dnd.conditions import RollMode, attack_roll_mode, condition_info, hit_is_critical, is_incapacitated
from dnd.conditions import saving_throw_mode as _saving_throw_mode
from dnd.data.equipment import Weapon, find_item
from dnd.data.skills import ABILITY_NAMES
from dnd.dice import DiceError, RollResult, roll
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterAction, MonsterBlock, MultiattackOption, MultiattackStep, slug
from dnd.spellcasting import CastResult

__all__ = [
    "AttackResult",
    "CombatEvent",
    "CombatState",
    "CombatSummary",
    "ConditionResult",
    "DeathSaveResult",
    "HealResult",
    "InitiativeResult",
    "JoinResult",
    "MultiattackResult",
    "SaveOutcome",
    "SaveResult",
    "SpellResult",
    "TurnResult",
    "add_condition",
    "add_monsters",
    "attack",
    "cast",
    "current_actor",
    "death_save",
    "end_turn",
    "find_combatant",
    "heal",
    "monster_combatants",
    "multiattack",
    "outcome",
    "remove_condition",
    "roll_initiative",
    "saving_throw",
    "skip",
    "summary",
    "update_from_sheet",
]

EventKind = Literal[
    "initiative", "join", "turn", "skip", "attack", "damage", "heal", "save", "death_save", "fell", "defeated",
    "dead", "stable", "revived", "condition", "cast",
]
Outcome = Literal["ongoing", "victory", "defeat"]

MAX_MONSTERS_PER_CALL = 50
_ROLL_OFF_DEPTH = 10
_UNARMED = {"unarmed", "unarmed strike", "fist", "fists", "punch", "kick"}
_DAMAGE_TYPES = {
    "acid", "bludgeoning", "cold", "fire", "force", "lightning", "necrotic", "piercing", "poison", "psychic",
    "radiant", "slashing", "thunder",
}
_PHYSICAL = ("bludgeoning", "piercing", "slashing")

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CombatEvent(BaseModel):
    """One line of the fight's log. ``amount``: damage dealt (``damage``) or hit points regained (``heal``)."""

    model_config = _FROZEN

    round: int
    kind: EventKind
    actor_id: str | None = None
    target_id: str | None = None
    amount: int = 0
    text: str = ""


class CombatState(BaseModel):
    """A fight: ``combatants`` in initiative order (defeated monsters move to ``defeated``), whose turn it is
    (``current``), the round, and the log. ``started``: the first turn has been taken."""

    model_config = _FROZEN

    combatants: list[Combatant] = Field(default_factory=list)
    current: int = Field(0, ge=0)
    round: int = Field(1, ge=1)
    started: bool = False
    log: list[CombatEvent] = Field(default_factory=list)
    defeated: list[Combatant] = Field(default_factory=list)


# ------------------------------------------------------------------------------------------ results


class Told:
    """A result the table reads as its lines (`lines`, set by each result), one message line each."""

    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class InitiativeResult(Told):
    order: list[tuple[str, int]]  # (name, initiative) in turn order
    rolls: dict[str, RollResult] = field(default_factory=dict)  # by combatant id
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JoinResult(Told):
    joined: list[str]
    hp_mode: Literal["average", "roll"]
    initiative: InitiativeResult
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TurnResult(Told):
    previous: str | None
    current: str
    round: int
    skipped: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AttackResult(Told):
    attacker: str
    target: str
    weapon: str
    mode: RollMode
    attack_roll: RollResult
    attack_bonus: int
    target_ac: int
    hit: bool
    critical: bool
    damage_roll: RollResult | None = None
    damage: int = 0  # after immunities, resistances and vulnerabilities
    target_hp: int = 0
    fell: bool = False  # dropped to 0 hit points by this attack
    defeated: bool = False  # a monster removed from the fight
    dead: bool = False
    death_save_failures: int = 0  # added by damage to a creature already at 0 hit points
    notes: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SaveOutcome:
    target: str
    roll: RollResult | None  # None on an automatic failure
    mode: RollMode | Literal["auto_fail"]
    success: bool
    damage: int = 0
    fell: bool = False
    defeated: bool = False
    dead: bool = False
    condition: str | None = None  # applied on the failed save


@dataclass(frozen=True)
class SaveResult(Told):
    ability: str
    dc: int
    source: str
    damage_roll: RollResult | None
    outcomes: list[SaveOutcome]
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeathSaveResult(Told):
    name: str
    roll: RollResult
    result: Literal["success", "failure", "stable", "dead", "revived"]
    successes: int
    failures: int
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HealResult(Told):
    target: str
    healed: int
    hp: int
    max_hp: int
    roll: RollResult | None = None
    revived: bool = False
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConditionResult(Told):
    target: str
    condition: str
    added: bool
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MultiattackResult(Told):
    attacker: str
    target: str
    attacks: list[AttackResult]
    read: bool  # False: the Multiattack couldn't be read, so one attack was made
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpellResult(Told):
    """What a spell did in the fight: ``kind`` "attack", "save", "heal", "damage" (always hits) or "other"."""

    caster: str
    spell: str
    kind: Literal["attack", "save", "heal", "damage", "other"]
    targets: list[str]
    attack: AttackResult | None = None
    save: SaveResult | None = None
    heal: HealResult | None = None
    damage: int = 0  # dealt by a spell that always hits
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CombatSummary(Told):
    rounds: int
    outcome: Outcome
    damage_dealt: dict[str, int]
    damage_taken: dict[str, int]
    fallen: list[str]  # in the order they fell (dropped to 0 hit points)
    dead: list[str]  # characters who died
    lines: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ lookups


def current_actor(state: CombatState) -> Combatant:
    """The combatant whose turn it is."""
    if not state.combatants:
        raise RulesError("There is no fight going on.")
    return state.combatants[state.current]


def _index(state: CombatState, combatant_id: str) -> int:
    for i, c in enumerate(state.combatants):
        if c.id == combatant_id:
            return i
    for c in state.defeated:
        if c.id == combatant_id:
            raise RulesError(f"{c.name} is already defeated.")
    raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _valid_targets(state: CombatState) -> str:
    names = [c.name for c in state.combatants if not c.dead]
    return ", ".join(names) or "none"


def find_combatant(state: CombatState, name: str) -> Combatant:
    """A combatant in the order by id or name (case-insensitive; "goblin" finds "Goblin 1" when it is the only
    goblin). Refuses names of defeated or dead creatures and unknown names (listing the valid targets)."""
    key = _key(name)
    if not key:
        raise RulesError(f"Name a target: {_valid_targets(state)}.")
    pool = state.combatants
    for c in pool:
        if c.id == name or _key(c.name) == key:
            if c.dead:
                raise RulesError(f"{c.name} is dead. Targets: {_valid_targets(state)}.")
            return c
    for c in state.defeated:
        if c.id == name or _key(c.name) == key:
            raise RulesError(f"{c.name} is already defeated. Targets: {_valid_targets(state)}.")
    alive = [c for c in pool if not c.dead]
    partial = [c for c in alive if _key(c.name).startswith(key) or c.id.startswith(name.strip().casefold())]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise RulesError(f"Which one? {', '.join(c.name for c in partial)}.")
    raise RulesError(f"There is no '{name}' in this fight. Targets: {_valid_targets(state)}.")


def _check_turn(state: CombatState, combatant_id: str) -> Combatant:
    actor = current_actor(state)
    if actor.id == combatant_id:
        return actor
    who = next((c.name for c in [*state.combatants, *state.defeated] if c.id == combatant_id), None)
    if who is None:
        raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")
    raise RulesError(f"It's {actor.name}'s turn, not {who}'s.")


def _replace(state: CombatState, combatant: Combatant) -> CombatState:
    combatants = [combatant if c.id == combatant.id else c for c in state.combatants]
    return state.model_copy(update={"combatants": combatants})


def _event(state: CombatState, kind: EventKind, text: str, *, actor: str | None = None, target: str | None = None,
           amount: int = 0) -> CombatState:
    event = CombatEvent(round=state.round, kind=kind, actor_id=actor, target_id=target, amount=amount, text=text)
    return state.model_copy(update={"log": [*state.log, event]})


def _mode_word(mode: RollMode) -> str:
    return {"advantage": " adv", "disadvantage": " dis"}.get(mode, "")


def _roll(expression: str, rng: random.Random | None, *, crit: bool = False) -> RollResult:
    try:
        return roll(expression, rng, crit=crit)
    except DiceError as error:
        raise RulesError(f"Can't roll '{expression}': {error}") from None


# ------------------------------------------------------------------------------------------ initiative


def _order_key(c: Combatant) -> tuple[int, int]:
    return (c.initiative or 0, c.dex_score)


def _roll_off(group: list[Combatant], rng: random.Random | None, lines: list[str], depth: int = 0) -> list[Combatant]:
    """Order a tied group by d20 roll-offs (re-rolling among those still tied)."""
    if len(group) < 2 or depth >= _ROLL_OFF_DEPTH:
        return group
    faces = {c.id: _roll("1d20", rng).total for c in group}
    lines.append("Roll-off: " + ", ".join(f"{c.name} {faces[c.id]}" for c in group))
    out: list[Combatant] = []
    for face in sorted(set(faces.values()), reverse=True):
        tied = [c for c in group if faces[c.id] == face]
        out += _roll_off(tied, rng, lines, depth + 1)
    return out


def _sorted_order(combatants: list[Combatant], rng: random.Random | None, lines: list[str]) -> list[Combatant]:
    out: list[Combatant] = []
    for key in sorted({_order_key(c) for c in combatants}, reverse=True):
        out += _roll_off([c for c in combatants if _order_key(c) == key], rng, lines)
    return out


def _roll_initiatives(combatants: Iterable[Combatant], rng: random.Random | None,
                      rolls: dict[str, RollResult], lines: list[str]) -> list[Combatant]:
    out: list[Combatant] = []
    for c in combatants:
        if c.initiative is None:
            result = _roll(f"1d20{c.initiative_bonus:+d} Initiative ({c.name})", rng)
            rolls[c.id] = result
            lines.append(str(result))
            c = c.model_copy(update={"initiative": result.total})
        out.append(c)
    return out


def _check_unique(combatants: Sequence[Combatant]) -> None:
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for c in combatants:
        if c.id in seen_ids:
            raise RulesError(f"Two combatants have the id '{c.id}'.")
        if _key(c.name) in seen_names:
            raise RulesError(f"Two combatants are named {c.name}; give them different names.")
        seen_ids.add(c.id)
        seen_names.add(_key(c.name))


def roll_initiative(combatants: Sequence[Combatant], rng: random.Random | None = None) -> tuple[
        CombatState, InitiativeResult]:
    """Start a fight: roll initiative for everyone who has none yet (d20 + initiative bonus) and order them,
    highest first; ties go to the higher DEX score, then to a roll-off."""
    if not combatants:
        raise RulesError("A fight needs at least one combatant.")
    _check_unique(combatants)
    rolls: dict[str, RollResult] = {}
    lines: list[str] = []
    rolled = _roll_initiatives(combatants, rng, rolls, lines)
    order = _sorted_order(rolled, rng, lines)
    lines.append("Initiative order: " + ", ".join(f"{c.name} ({c.initiative})" for c in order))
    state = CombatState(combatants=order)
    for c in order:
        state = _event(state, "initiative", f"{c.name} rolls {c.initiative} for initiative.", actor=c.id,
                       amount=c.initiative or 0)
    state, _, _ = _settle(state, 0)
    lines.append(f"Round 1: {current_actor(state).name} goes first.")
    result = InitiativeResult(order=[(c.name, c.initiative or 0) for c in order], rolls=rolls, lines=lines)
    return state, result


def monster_combatants(block: MonsterBlock, count: int = 1, rng: random.Random | None = None, *,
                       hp_mode: Literal["average", "roll"] = "average",
                       existing_names: Iterable[str] = ()) -> list[Combatant]:
    """``count`` instances of a monster named "Goblin 1", "Goblin 2"... (numbering continues after names in
    ``existing_names``), with average hit points, or rolled ones with ``hp_mode="roll"``."""
    if not 1 <= count <= MAX_MONSTERS_PER_CALL:
        raise RulesError(f"Add between 1 and {MAX_MONSTERS_PER_CALL} monsters at a time.")
    pattern = re.compile(rf"^{re.escape(_key(block.name))} (\d+)$")
    taken = [int(m.group(1)) for n in existing_names if (m := pattern.match(_key(n)))]
    start = max(taken, default=0) + 1
    out: list[Combatant] = []
    for number in range(start, start + count):
        hp: int | None = None
        if hp_mode == "roll" and block.hit_points_roll:
            hp = max(1, _roll(block.hit_points_roll, rng).total)
        name = f"{block.name} {number}"
        out.append(Combatant.from_monster(block, name=name, id=slug(name), hp=hp))
    return out


def add_monsters(state: CombatState, block: MonsterBlock, count: int = 1, rng: random.Random | None = None, *,
                 hp_mode: Literal["average", "roll"] = "average") -> tuple[CombatState, JoinResult]:
    """Monsters join the fight (or a fight being set up): named "Goblin 1", "Goblin 2"..., average hit points
    unless ``hp_mode="roll"``; each rolls initiative and is slotted into the order. In an ongoing fight the
    creature whose turn it is keeps its turn; a newcomer placed before it acts next round."""
    everyone = [*state.combatants, *state.defeated]
    new = monster_combatants(block, count, rng, hp_mode=hp_mode, existing_names=[c.name for c in everyone])
    ids = {c.id for c in everyone}
    new = [c if c.id not in ids else c.model_copy(update={"id": f"{c.id}-{len(ids) + i}"})
           for i, c in enumerate(new)]
    rolls: dict[str, RollResult] = {}
    lines: list[str] = []
    new = _roll_initiatives(new, rng, rolls, lines)
    new = _sorted_order(new, rng, lines)
    combatants = list(state.combatants)
    current = state.current
    for c in new:
        position = _insert_position(combatants, c, rng, lines)
        combatants.insert(position, c)
        if state.started and position <= current:
            current += 1
    joined = state.model_copy(update={"combatants": combatants, "current": current})
    for c in new:
        joined = _event(joined, "join", f"{c.name} joins the fight ({c.hp} HP, initiative {c.initiative}).",
                        actor=c.id, amount=c.initiative or 0)
    if not joined.started:
        joined = joined.model_copy(update={"current": 0})
        joined, _, _ = _settle(joined, 0)
    hp_note = "average hit points" if hp_mode == "average" else "rolled hit points"
    verb = "joins" if len(new) == 1 else "join"
    lines.append(f"{', '.join(c.name for c in new)} {verb} the fight ({hp_note}).")
    lines.append("Initiative order: " + ", ".join(f"{c.name} ({c.initiative})" for c in combatants))
    initiative = InitiativeResult(order=[(c.name, c.initiative or 0) for c in combatants], rolls=rolls,
                                  lines=list(lines))
    return joined, JoinResult(joined=[c.name for c in new], hp_mode=hp_mode, initiative=initiative, lines=lines)


def _insert_position(order: list[Combatant], new: Combatant, rng: random.Random | None, lines: list[str]) -> int:
    """Where ``new`` goes: after everyone ahead of it; within a tie (initiative and DEX), roll-offs against each
    tied combatant from the top until it wins one."""
    key = _order_key(new)
    position = 0
    while position < len(order) and _order_key(order[position]) > key:
        position += 1
    while position < len(order) and _order_key(order[position]) == key:
        rival = order[position]
        for _ in range(_ROLL_OFF_DEPTH):
            mine, theirs = _roll("1d20", rng).total, _roll("1d20", rng).total
            lines.append(f"Roll-off: {new.name} {mine}, {rival.name} {theirs}")
            if mine != theirs:
                break
        if mine > theirs:
            return position
        position += 1
    return position


# ------------------------------------------------------------------------------------------ turns


def _settle(state: CombatState, start: int) -> tuple[CombatState, list[str], list[str]]:
    """Make the turn that of the first combatant from ``start`` (wrapping into the next round) who can take
    one: dead characters are passed over, and so is anyone marked to skip (the mark is then cleared)."""
    combatants = list(state.combatants)
    n = len(combatants)
    if n == 0:
        return state.model_copy(update={"current": 0}), [], []
    index, round_ = start, state.round
    skipped: list[str] = []
    lines: list[str] = []
    for _ in range(2 * n + 1):
        if index >= n:
            index, round_ = 0, round_ + 1
        c = combatants[index]
        if c.defeated or c.dead:
            index += 1
            continue
        if c.skip_next:
            combatants[index] = c.model_copy(update={"skip_next": False})
            skipped.append(c.name)
            lines.append(f"{c.name}'s turn is skipped.")
            index += 1
            continue
        break
    else:
        index = min(index, n - 1) if index < n else 0
    settled = state.model_copy(update={"combatants": combatants, "current": index, "round": round_})
    for name in skipped:
        settled = _event(settled, "skip", f"{name}'s turn is skipped.")
    return settled, skipped, lines


def _turn_lines(state: CombatState) -> list[str]:
    actor = current_actor(state)
    line = f"Round {state.round}: **{actor.name}**'s turn ({actor.hp}/{actor.max_hp} HP)."
    if actor.dying:
        line += " Roll a death saving throw."
    return [line]


def end_turn(state: CombatState, combatant_id: str | None = None) -> tuple[CombatState, TurnResult]:
    """End the current turn (``combatant_id``, when given, must be whose turn it is): the next combatant who can
    act gets the turn; passing the end of the order starts a new round."""
    actor = current_actor(state) if combatant_id is None else _check_turn(state, combatant_id)
    state = state.model_copy(update={"started": True})
    state, skipped, lines = _settle(state, state.current + 1)
    lines += _turn_lines(state)
    nxt = current_actor(state)
    state = _event(state, "turn", f"Round {state.round}: {nxt.name}'s turn.", actor=nxt.id)
    return state, TurnResult(previous=actor.name, current=nxt.name, round=state.round, skipped=skipped, lines=lines)


def skip(state: CombatState, combatant_id: str) -> tuple[CombatState, TurnResult]:
    """Skip a combatant's turn: its current turn ends now, or its next turn will be passed over."""
    index = _index(state, combatant_id)
    target = state.combatants[index]
    if index == state.current:
        state = _event(state, "skip", f"{target.name}'s turn is skipped.", actor=target.id)
        state = state.model_copy(update={"started": True})
        state, skipped, lines = _settle(state, state.current + 1)
        lines = [f"{target.name}'s turn is skipped.", *lines, *_turn_lines(state)]
        nxt = current_actor(state)
        state = _event(state, "turn", f"Round {state.round}: {nxt.name}'s turn.", actor=nxt.id)
        return state, TurnResult(previous=target.name, current=nxt.name, round=state.round,
                                 skipped=[target.name, *skipped], lines=lines)
    state = _replace(state, target.model_copy(update={"skip_next": True}))
    now = current_actor(state)
    return state, TurnResult(previous=None, current=now.name, round=state.round, skipped=[],
                             lines=[f"{target.name} will skip their next turn."])


def outcome(state: CombatState) -> Outcome:
    """"victory" when no monster is left standing, "defeat" when no character is, else "ongoing"."""
    monsters = [c for c in state.combatants if c.kind == "monster"]
    characters = [c for c in state.combatants if c.kind == "character"]
    if (monsters or state.defeated) and not any(c.active for c in monsters):
        return "victory"
    if characters and not any(c.active for c in characters):
        return "defeat"
    return "ongoing"


# ------------------------------------------------------------------------------------------ damage


@dataclass
class _Damage:
    amount: int
    hp_before: int
    hp_after: int
    fell: bool = False
    defeated: bool = False
    dead: bool = False
    failures: int = 0
    lines: list[str] = field(default_factory=list)


def _defense_lists(target: Combatant) -> tuple[list[str], list[str], list[str]]:
    if target.monster is None:
        return [], [], []
    m = target.monster
    return ([e.casefold() for e in m.damage_immunities], [e.casefold() for e in m.damage_resistances],
            [e.casefold() for e in m.damage_vulnerabilities])


def _applies(entries: list[str], damage_type: str, magical: bool) -> bool:
    for entry in entries:
        if entry == damage_type:
            return True
        if damage_type in _PHYSICAL and damage_type in entry and "nonmagical" in entry and not magical:
            return True
    return False


def _defend(target: Combatant, by_type: dict[str, int], magical: bool) -> tuple[int, list[str]]:
    """Damage after the target's immunities, resistances (half, rounded down) and vulnerabilities (double)."""
    immune, resist, vulnerable = _defense_lists(target)
    total = 0
    notes: list[str] = []
    for damage_type, amount in by_type.items():
        amount = max(0, amount)
        if damage_type in _DAMAGE_TYPES:
            if _applies(immune, damage_type, magical):
                notes.append(f"{target.name} is immune to {damage_type} damage.")
                amount = 0
            elif _applies(resist, damage_type, magical):
                notes.append(f"{target.name} resists {damage_type} damage (half).")
                amount //= 2
            if _applies(vulnerable, damage_type, magical) and amount:
                notes.append(f"{target.name} is vulnerable to {damage_type} damage (double).")
                amount *= 2
        total += amount
    return total, notes


def _remove_from_order(state: CombatState, index: int) -> CombatState:
    removed = state.combatants[index]
    combatants = [c for i, c in enumerate(state.combatants) if i != index]
    current = state.current
    moved = state.model_copy(update={"combatants": combatants, "defeated": [*state.defeated, removed]})
    if index < current:
        return moved.model_copy(update={"current": current - 1})
    if index == current:  # its turn ends with it
        settled, _, _ = _settle(moved, index)
        return settled
    return moved


def _apply_damage(state: CombatState, target_id: str, amount: int, *, critical: bool, actor_id: str | None,
                  source: str) -> tuple[CombatState, _Damage]:
    index = _index(state, target_id)
    t = state.combatants[index]
    state = _event(state, "damage", f"{t.name} takes {amount} damage from {source}.", actor=actor_id,
                   target=t.id, amount=amount)
    absorbed = min(t.temp_hp, amount)
    rest = amount - absorbed
    out = _Damage(amount=amount, hp_before=t.hp, hp_after=t.hp)
    if absorbed:
        out.lines.append(f"{t.name}'s temporary hit points absorb {absorbed}.")
    update: dict[str, object] = {"temp_hp": t.temp_hp - absorbed}
    if t.hp == 0 and t.kind == "character":
        if rest > 0:
            if rest >= t.max_hp:
                update.update(dead=True, defeated=True, stable=False)
                out.dead = True
                out.lines.append(f"💀 {t.name} takes {rest} damage at 0 HP and dies.")
            else:
                out.failures = 2 if critical else 1
                failures = min(3, t.death_saves.failures + out.failures)
                update.update(stable=False,
                              death_saves=DeathSaves(successes=t.death_saves.successes, failures=failures))
                out.lines.append(f"{t.name} takes damage at 0 HP: {out.failures} failed death save"
                                 f"{'s' if out.failures > 1 else ''} ({failures}/3).")
                if failures >= 3:
                    update.update(dead=True, defeated=True)
                    out.dead = True
                    out.lines.append(f"💀 {t.name} dies.")
    elif rest >= t.hp and rest > 0:
        overflow = rest - t.hp
        update["hp"] = 0
        out.hp_after = 0
        out.fell = True
        if t.kind == "monster":
            update["defeated"] = True
            out.defeated = True
            out.lines.append(f"☠️ {t.name} is defeated.")
        elif overflow >= t.max_hp:
            conditions = t.conditions if "Unconscious" in t.conditions else [*t.conditions, "Unconscious"]
            update.update(dead=True, defeated=True, conditions=conditions)
            out.dead = True
            out.lines.append(f"💀 {t.name} is killed outright ({overflow} damage past 0 HP).")
        else:
            conditions = t.conditions if "Unconscious" in t.conditions else [*t.conditions, "Unconscious"]
            update.update(conditions=conditions, death_saves=DeathSaves(), stable=False)
            out.lines.append(f"{t.name} drops to 0 HP and falls unconscious.")
    else:
        update["hp"] = t.hp - rest
        out.hp_after = t.hp - rest
    updated = t.model_copy(update=update)
    state = _replace(state, updated)
    if out.fell:
        state = _event(state, "fell", f"{t.name} falls.", actor=actor_id, target=t.id)
    if out.dead:
        state = _event(state, "dead", f"{t.name} dies.", actor=actor_id, target=t.id)
    if out.defeated:
        state = _event(state, "defeated", f"{t.name} is defeated.", actor=actor_id, target=t.id)
        state = _remove_from_order(state, _index(state, t.id))
    return state, out


# ------------------------------------------------------------------------------------------ attacks


@dataclass(frozen=True)
class _Profile:
    label: str
    to_hit: int
    damage: str  # dice expression, "" for no damage (a net)
    damage_type: str
    ranged: bool
    magical: bool
    notes: tuple[str, ...] = ()


_PROPERTY_DAMAGE = re.compile(r"^(\d+d\d+|\d+)\s+([a-z]+)$")


def _weapon_from_properties(item: InventoryItem) -> Weapon | None:
    """A weapon the catalogue doesn't know, described by its tags ("1d8 slashing", "finesse", "ranged")."""
    props = [p.strip().casefold() for p in item.properties]
    damage = next((m for p in props if (m := _PROPERTY_DAMAGE.match(p))), None)
    if damage is None:
        return None
    category = "martial" if "martial" in props else "simple"
    return Weapon(name=item.name, kind="weapon", cost_cp=0, weight=item.weight, properties=tuple(props),
                  category=category, ranged="ranged" in props, damage=damage.group(1),  # type: ignore[arg-type]
                  damage_type=damage.group(2))


def _weapons_carried(character: Character) -> list[InventoryItem]:
    out = []
    for item in character.inventory:
        if item.qty > 0 and (isinstance(find_item(item.name), Weapon) or _weapon_from_properties(item)):
            out.append(item)
    return sorted(out, key=lambda i: not i.equipped)


def _character_profile(c: Combatant, weapon: str | None, two_handed: bool) -> _Profile:
    character = c.character
    if character is None:
        raise RulesError(f"{c.name} has no character sheet in this fight; give the attack bonus and damage.")
    carried = _weapons_carried(character)
    if weapon is None:
        if not carried:
            weapon = "unarmed strike"
        else:
            weapon = carried[0].name
    if _key(weapon) in _UNARMED:
        mod = ability_modifier(character, "STR")
        return _Profile("Unarmed strike", mod + character.proficiency_bonus, str(max(0, 1 + mod)), "bludgeoning",
                        False, False)
    item = find_inventory_item(character, weapon)
    if item is None:
        names = ", ".join(dict.fromkeys(i.name for i in carried)) or "none"
        raise RulesError(f"{c.name} doesn't carry a {weapon} (weapons: {names}).")
    info = find_item(item.name)
    if not isinstance(info, Weapon):
        info = _weapon_from_properties(item)
    if info is None:
        raise RulesError(f"{item.name} is not a weapon.")
    ability = weapon_ability(character, info)
    mod = ability_modifier(character, ability)
    magic = magic_bonus(item)
    proficient = proficient_with(character, info)
    to_hit = mod + (character.proficiency_bonus if proficient else 0) + magic
    notes = [f"{ability} {mod:+d}" + (f", proficiency +{character.proficiency_bonus}" if proficient else
                                       ", not proficient") + (f", magic +{magic}" if magic else "")]
    dice = info.versatile if two_handed and info.versatile else info.damage
    damage = f"{dice}{mod + magic:+d}" if dice and (mod + magic) else dice
    return _Profile(item.name, to_hit, damage, info.damage_type, info.ranged, magic > 0, tuple(notes))


def _monster_action(c: Combatant, action: str | None) -> MonsterAction:
    block = c.monster
    if block is None:
        raise RulesError(f"{c.name} has no stat block in this fight; give the attack bonus and damage.")
    attacks = block.attacks
    if action is None:
        if not attacks:
            raise RulesError(f"{c.name} has no attack actions.")
        return attacks[0]
    found = block.find_action(action)
    if found is None:
        names = ", ".join(a.name for a in attacks) or "none"
        raise RulesError(f"{c.name} has no action '{action}' (attacks: {names}).")
    if not found.is_attack:
        how = f" (DC {found.dc} {found.dc_ability} save)" if found.dc else ""
        raise RulesError(f"{found.name} is not an attack roll{how}; use a saving throw.")
    return found


def _monster_profile(c: Combatant, action: str | None) -> _Profile:
    found = _monster_action(c, action)
    damage_type = found.damage[0].damage_type if len(found.damage) == 1 else ""
    return _Profile(found.name, found.attack_bonus or 0, found.damage_expression(), damage_type, found.ranged,
                    False)


def attack(state: CombatState, attacker_id: str, target_name: str, weapon: str | None = None,
           rng: random.Random | None = None, *, ranged: bool | None = None, advantage: bool = False,
           disadvantage: bool = False, two_handed: bool = False, attack_bonus: int | None = None,
           damage: str | None = None, damage_type: str = "", magical: bool = False) -> tuple[
        CombatState, AttackResult]:
    """The current combatant attacks ``target_name`` with a carried weapon (characters; default: the equipped
    or first weapon carried, else an unarmed strike) or a stat-block action (monsters; default: its first
    attack). ``attack_bonus`` and ``damage`` describe any other attack (a spell attack: ``weapon="Fire Bolt",
    attack_bonus=5, damage="1d10", damage_type="fire", ranged=True``).

    ``ranged``: the attack is made from beyond 5 feet (default: the weapon's kind; pass True for a thrown
    weapon). ``advantage``/``disadvantage``: other sources, combined with the conditions of both sides.
    """
    attacker = _check_turn(state, attacker_id)
    if attacker.dead or attacker.hp == 0:
        raise RulesError(f"{attacker.name} is down and can't attack.")
    if is_incapacitated(attacker.conditions):
        blocking = ", ".join(attacker.conditions)
        raise RulesError(f"{attacker.name} can't take actions ({blocking}).")
    target = find_combatant(state, target_name)
    if target.id == attacker.id:
        raise RulesError(f"{attacker.name} can't attack themselves.")

    if attack_bonus is not None:
        if damage is None:
            raise RulesError("Give the damage dice of the attack too (\"\" for none).")
        profile = _Profile(weapon or "Attack", attack_bonus, damage, damage_type.casefold(), bool(ranged), magical)
    elif attacker.kind == "monster":
        profile = _monster_profile(attacker, weapon)
    else:
        profile = _character_profile(attacker, weapon, two_handed)
    is_ranged = profile.ranged if ranged is None else ranged
    within_5ft = not is_ranged
    mode = attack_roll_mode(attacker.conditions, target.conditions, attacker_exhaustion=attacker.exhaustion,
                            within_5ft=within_5ft, advantage=advantage, disadvantage=disadvantage)
    attack_roll = _roll(f"1d20{profile.to_hit:+d}{_mode_word(mode)} {profile.label} attack on {target.name}", rng)
    natural = attack_roll.natural
    if natural == 20:
        hit, critical = True, True
    elif natural == 1:
        hit, critical = False, False
    else:
        hit = attack_roll.total >= target.ac
        critical = hit and hit_is_critical(target.conditions, within_5ft=within_5ft)
    lines = [str(attack_roll)]
    notes = list(profile.notes)
    if mode != "normal":
        notes.append(f"{mode} from conditions" if not (advantage or disadvantage) else mode)
    verdict = ("**Critical hit!**" if critical else "**Hit.**") if hit else (
        "**Natural 1: miss.**" if natural == 1 else "**Miss.**")
    lines.append(f"{attacker.name} → {target.name} (AC {target.ac}): {verdict}")
    state = state.model_copy(update={"started": True})
    state = _event(state, "attack", f"{attacker.name} attacks {target.name} with {profile.label}: "
                   + ("critical hit" if critical else "hit" if hit else "miss") + ".",
                   actor=attacker.id, target=target.id)
    if not hit or not profile.damage:
        if hit:
            lines.append(f"{profile.label} deals no damage.")
        return state, AttackResult(
            attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
            attack_bonus=profile.to_hit, target_ac=target.ac, hit=hit, critical=critical, target_hp=target.hp,
            notes=notes, lines=lines)

    damage_roll = _roll(f"{profile.damage} {profile.label} damage", rng, crit=critical)
    lines.append(str(damage_roll))
    by_type = dict(damage_roll.damage_by_type) or {profile.damage_type: damage_roll.total}
    dealt, defense_notes = _defend(target, by_type, profile.magical)
    lines += defense_notes
    state, applied = _apply_damage(state, target.id, dealt, critical=critical, actor_id=attacker.id,
                                   source=profile.label)
    after = _find_anywhere(state, target.id)
    lines.append(f"{target.name} takes **{dealt}** damage ({after.hp}/{after.max_hp} HP).")
    lines += applied.lines
    return state, AttackResult(
        attacker=attacker.name, target=target.name, weapon=profile.label, mode=mode, attack_roll=attack_roll,
        attack_bonus=profile.to_hit, target_ac=target.ac, hit=True, critical=critical, damage_roll=damage_roll,
        damage=dealt, target_hp=after.hp, fell=applied.fell, defeated=applied.defeated, dead=applied.dead,
        death_save_failures=applied.failures, notes=notes + defense_notes, lines=lines)


def _find_anywhere(state: CombatState, combatant_id: str) -> Combatant:
    for c in [*state.combatants, *state.defeated]:
        if c.id == combatant_id:
            return c
    raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")


# ------------------------------------------------------------------------------------------ saves and healing


def saving_throw(state: CombatState, targets: str | Sequence[str], ability: str | None = None,
                 dc: int | None = None, rng: random.Random | None = None, *, damage: str | None = None,
                 damage_type: str = "", half_on_success: bool = True, source: str = "",
                 actor_id: str | None = None, condition_on_fail: str | None = None, advantage: bool = False,
                 disadvantage: bool = False, magical: bool = True) -> tuple[CombatState, SaveResult]:
    """Each target makes a saving throw against ``dc``: d20 + its save modifier, with the conditions' effect
    (a paralyzed, stunned, petrified or unconscious creature fails STR and DEX saves automatically).

    ``damage`` is rolled once for all targets: full on a failed save, half (rounded down) on a success when
    ``half_on_success``, else none. ``condition_on_fail`` is applied to those who fail. With ``actor_id`` the
    save is part of that combatant's turn (refused out of turn); a monster's ``source`` action fills in the
    DC, ability, damage and half-on-success from its stat block.
    """
    names = [targets] if isinstance(targets, str) else list(targets)
    if not names:
        raise RulesError("Name at least one creature to make the saving throw.")
    actor: Combatant | None = None
    if actor_id is not None:
        actor = _check_turn(state, actor_id)
        if is_incapacitated(actor.conditions) or actor.hp == 0:
            raise RulesError(f"{actor.name} can't take actions right now.")
        state = state.model_copy(update={"started": True})
    if actor is not None and actor.monster is not None and source:
        action = actor.monster.find_action(source)
        if action is not None and action.dc is not None:
            source = action.name
            ability = ability or action.dc_ability
            dc = dc or action.dc
            if damage is None and action.damage:
                damage = action.damage_expression()
                damage_type = damage_type or (action.damage[0].damage_type if len(action.damage) == 1 else "")
                half_on_success = action.half_on_success
    if ability is None or dc is None:
        raise RulesError("A saving throw needs an ability and a DC.")
    code = normalize_ability(ability)
    if dc < 1:
        raise RulesError("A DC must be at least 1.")
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    condition = condition_info(condition_on_fail).name if condition_on_fail else None
    label = source or f"DC {dc} {ABILITY_NAMES[code]} save"
    lines: list[str] = []
    damage_roll = _roll(f"{damage} {label} damage", rng) if damage else None
    if damage_roll is not None:
        lines.append(str(damage_roll))
    outcomes: list[SaveOutcome] = []
    actor_ref = actor.id if actor else None
    for target in chosen:
        mode = _saving_throw_mode(target.conditions, code, target.exhaustion, advantage=advantage,
                                  disadvantage=disadvantage)
        save_roll: RollResult | None = None
        if mode == "auto_fail":
            success = False
            lines.append(f"{target.name} automatically fails the {code} save ({', '.join(target.conditions)}).")
        else:
            bonus = target.saving_throw_bonus(code)
            save_roll = _roll(f"1d20{bonus:+d}{_mode_word(mode)} {target.name} {code} save", rng)
            success = save_roll.total >= dc
            lines.append(f"{save_roll} vs DC {dc}: {'**success**' if success else '**failure**'}")
        state = _event(state, "save", f"{target.name} {'succeeds on' if success else 'fails'} a DC {dc} {code} "
                       f"save against {label}.", actor=actor_ref, target=target.id)
        taken = 0
        applied: _Damage | None = None
        if damage_roll is not None:
            raw = damage_roll.total if not success else (damage_roll.total // 2 if half_on_success else 0)
            if raw:
                factor_types = dict(damage_roll.damage_by_type) or {damage_type.casefold(): damage_roll.total}
                scaled = {k: (v if not success else v // 2) for k, v in factor_types.items()}
                taken, notes = _defend(target, scaled, magical)
                lines += notes
                state, applied = _apply_damage(state, target.id, taken, critical=False, actor_id=actor_ref,
                                               source=label)
                after = _find_anywhere(state, target.id)
                lines.append(f"{target.name} takes **{taken}** damage ({after.hp}/{after.max_hp} HP).")
                lines += applied.lines
        given: str | None = None
        if condition and not success and (applied is None or not applied.defeated):
            current = _find_anywhere(state, target.id)
            if any(c.id == current.id for c in state.combatants) and not current.dead:
                state, cond = _add_condition(state, current, condition)
                given = condition if cond.added else None
                lines += cond.lines
        outcomes.append(SaveOutcome(target=target.name, roll=save_roll, mode=mode, success=success, damage=taken,
                                    fell=bool(applied and applied.fell), defeated=bool(applied and applied.defeated),
                                    dead=bool(applied and applied.dead), condition=given))
    return state, SaveResult(ability=code, dc=dc, source=label, damage_roll=damage_roll, outcomes=outcomes,
                             lines=lines)


def heal(state: CombatState, target_name: str, amount: int | str, rng: random.Random | None = None, *,
         actor_id: str | None = None, source: str = "") -> tuple[CombatState, HealResult]:
    """``target_name`` regains ``amount`` hit points (a number or dice, "2d4+2"), up to its maximum. A character
    at 0 hit points wakes up and its death saves reset. With ``actor_id`` it is that combatant's action."""
    if actor_id is not None:
        actor = _check_turn(state, actor_id)
        if is_incapacitated(actor.conditions) or actor.hp == 0:
            raise RulesError(f"{actor.name} can't take actions right now.")
        state = state.model_copy(update={"started": True})
    target = find_combatant(state, target_name)
    heal_roll: RollResult | None = None
    if isinstance(amount, str):
        heal_roll = _roll(f"{amount} {source or 'Healing'}", rng)
        value = max(0, heal_roll.total)
    else:
        value = amount
    if value < 0:
        raise RulesError("Healing can't be negative.")
    new_hp = min(target.max_hp, target.hp + value)
    healed = new_hp - target.hp
    revived = target.hp == 0 and new_hp > 0 and target.kind == "character"
    update: dict[str, object] = {"hp": new_hp}
    if revived:
        update.update(conditions=[c for c in target.conditions if c != "Unconscious"], death_saves=DeathSaves(),
                      stable=False)
    state = _replace(state, target.model_copy(update=update))
    state = _event(state, "heal", f"{target.name} regains {healed} HP.", actor=actor_id, target=target.id,
                   amount=healed)
    lines = [str(heal_roll)] if heal_roll else []
    lines.append(f"{target.name} regains **{healed}** HP ({new_hp}/{target.max_hp}).")
    if revived:
        state = _event(state, "revived", f"{target.name} regains consciousness.", actor=actor_id, target=target.id)
        lines.append(f"{target.name} regains consciousness.")
    return state, HealResult(target=target.name, healed=healed, hp=new_hp, max_hp=target.max_hp, roll=heal_roll,
                             revived=revived, lines=lines)


def death_save(state: CombatState, combatant_id: str, rng: random.Random | None = None) -> tuple[
        CombatState, DeathSaveResult]:
    """A dying character's death saving throw, on its turn: 10+ succeeds, 1 is two failures, 20 restores 1 hit
    point; three successes: stable, three failures: dead."""
    c = _check_turn(state, combatant_id)
    if c.kind != "character":
        raise RulesError(f"{c.name} is a monster; monsters don't make death saving throws.")
    if c.dead:
        raise RulesError(f"{c.name} is dead.")
    if c.hp > 0:
        raise RulesError(f"{c.name} isn't dying ({c.hp} HP).")
    if c.stable:
        raise RulesError(f"{c.name} is stable and doesn't roll death saves.")
    save_roll = _roll(f"1d20 Death saving throw ({c.name})", rng)
    face = save_roll.total
    successes, failures = c.death_saves.successes, c.death_saves.failures
    update: dict[str, object] = {}
    state = state.model_copy(update={"started": True})
    result: Literal["success", "failure", "stable", "dead", "revived"]
    if face == 20:
        update.update(hp=1, conditions=[x for x in c.conditions if x != "Unconscious"], death_saves=DeathSaves(),
                      stable=False)
        successes = failures = 0
        result = "revived"
        message = f"Natural 20! {c.name} regains 1 HP and wakes up."
    else:
        if face == 1:
            failures = min(3, failures + 2)
        elif face >= 10:
            successes = min(3, successes + 1)
        else:
            failures = min(3, failures + 1)
        if failures >= 3:
            result = "dead"
            update.update(dead=True, defeated=True, death_saves=DeathSaves(successes=successes, failures=3))
            message = f"💀 {c.name} fails a third death save and dies."
        elif successes >= 3:
            result = "stable"
            update.update(stable=True, death_saves=DeathSaves())
            message = f"{c.name} succeeds on a third death save and is stable."
        else:
            result = "success" if face >= 10 else "failure"
            update["death_saves"] = DeathSaves(successes=successes, failures=failures)
            message = (f"{c.name}: {'success' if face >= 10 else 'failure'}"
                       f"{' (two failures on a 1)' if face == 1 else ''} — {successes} ✓ / {failures} ✗.")
    state = _replace(state, c.model_copy(update=update))
    state = _event(state, "death_save", message, actor=c.id, amount=face)
    if result == "dead":
        state = _event(state, "dead", f"{c.name} dies.", target=c.id)
    elif result == "stable":
        state = _event(state, "stable", f"{c.name} is stable.", target=c.id)
    elif result == "revived":
        state = _event(state, "revived", f"{c.name} regains consciousness.", target=c.id)
    return state, DeathSaveResult(name=c.name, roll=save_roll, result=result, successes=successes,
                                  failures=failures, lines=[str(save_roll), message])


def update_from_sheet(state: CombatState, combatant_id: str, character: Character) -> CombatState:
    """A character's sheet changed outside the fight's own actions (the owner set its hit points or a
    condition): its combatant takes the sheet's hit points, conditions, exhaustion and death saves, and keeps
    its place in the order."""
    index = _index(state, combatant_id)
    old = state.combatants[index]
    if old.kind != "character":
        raise RulesError(f"{old.name} is not a character.")
    fresh = Combatant.from_character(character, player_id=old.player_id, id=old.id)
    fresh = fresh.model_copy(update={"initiative": old.initiative, "skip_next": old.skip_next,
                                     "stable": old.stable and fresh.hp == 0})
    return _replace(state, fresh)


# ------------------------------------------------------------------------------------------ conditions


def _add_condition(state: CombatState, target: Combatant, name: str) -> tuple[CombatState, ConditionResult]:
    info = condition_info(name)
    if target.monster is not None and any(_key(x) == _key(info.name) for x in target.monster.condition_immunities):
        return state, ConditionResult(target.name, info.name, False,
                                      [f"{target.name} is immune to being {info.name.lower()}."])
    if info.name == "Exhaustion":
        if target.exhaustion >= 6:
            raise RulesError(f"{target.name} is already at exhaustion level 6.")
        updated = target.model_copy(update={"exhaustion": target.exhaustion + 1})
        line = f"{target.name} gains a level of exhaustion ({updated.exhaustion})."
    elif info.name in target.conditions:
        return state, ConditionResult(target.name, info.name, False, [f"{target.name} is already {info.name.lower()}."])
    else:
        updated = target.model_copy(update={"conditions": [*target.conditions, info.name]})
        line = f"{target.name} is now {info.name.lower()}."
    state = _replace(state, updated)
    state = _event(state, "condition", line, target=target.id)
    return state, ConditionResult(target.name, info.name, True, [line])


def add_condition(state: CombatState, target_name: str, condition: str) -> tuple[CombatState, ConditionResult]:
    """Give a combatant a condition (a monster immune to it is unaffected; Exhaustion adds a level)."""
    return _add_condition(state, find_combatant(state, target_name), condition)


def remove_condition(state: CombatState, target_name: str, condition: str) -> tuple[CombatState, ConditionResult]:
    """End a condition (Exhaustion: one level). Unconscious from 0 hit points ends only with healing."""
    target = find_combatant(state, target_name)
    info = condition_info(condition)
    if info.name == "Exhaustion":
        if target.exhaustion == 0:
            raise RulesError(f"{target.name} is not exhausted.")
        updated = target.model_copy(update={"exhaustion": target.exhaustion - 1})
        line = f"{target.name} loses a level of exhaustion ({updated.exhaustion})."
    elif info.name not in target.conditions:
        raise RulesError(f"{target.name} is not {info.name.lower()}.")
    elif info.name == "Unconscious" and target.hp == 0:
        raise RulesError(f"{target.name} is at 0 HP; only healing wakes them up.")
    else:
        updated = target.model_copy(update={"conditions": [x for x in target.conditions if x != info.name]})
        line = f"{target.name} is no longer {info.name.lower()}."
    state = _replace(state, updated)
    state = _event(state, "condition", line, target=target.id)
    return state, ConditionResult(target.name, info.name, False, [line])


# ------------------------------------------------------------------------------------------ summary


def summary(state: CombatState) -> CombatSummary:
    """Rounds fought, damage dealt and taken per combatant, who fell and who died, and the outcome."""
    everyone = [*state.combatants, *state.defeated]
    names = {c.id: c.name for c in everyone}
    dealt = {c.name: 0 for c in everyone}
    taken = {c.name: 0 for c in everyone}
    fallen: list[str] = []
    dead: list[str] = []
    for event in state.log:
        if event.kind == "damage":
            if event.actor_id in names:
                dealt[names[event.actor_id]] += event.amount
            if event.target_id in names:
                taken[names[event.target_id]] += event.amount
        elif event.kind == "fell" and event.target_id in names:
            fallen.append(names[event.target_id])
        elif event.kind == "dead" and event.target_id in names and names[event.target_id] not in dead:
            dead.append(names[event.target_id])
    result = outcome(state)
    lines = [f"**Combat summary** — {state.round} round{'s' if state.round != 1 else ''}, {result}."]
    for c in everyone:
        lines.append(f"{c.name}: dealt {dealt[c.name]}, took {taken[c.name]}"
                     + (" — dead" if c.name in dead else " — fell" if c.name in fallen else ""))
    return CombatSummary(rounds=state.round, outcome=result, damage_dealt=dealt, damage_taken=taken, fallen=fallen,
                         dead=dead, lines=lines)


# ------------------------------------------------------------------------------------------ multiattack and spells


def _standing(state: CombatState, combatant_id: str) -> bool:
    return any(c.id == combatant_id and c.hp > 0 and not c.dead for c in state.combatants)


def _attack_count(count: str, rng: random.Random | None, label: str, lines: list[str]) -> int:
    if count.isdigit():
        return int(count)
    rolled = _roll(f"{count} {label} attacks", rng)  # "1d4 Rotting Touch attacks"
    lines.append(str(rolled))
    return max(0, rolled.total)


def _option_text(options: list[MultiattackOption]) -> str:
    return "; ".join(f"{n}) {o.describe()}" for n, o in enumerate(options, start=1))


def multiattack(state: CombatState, attacker_id: str, target_name: str, rng: random.Random | None = None, *,
                option: int = 1) -> tuple[CombatState, MultiattackResult]:
    """A monster's Multiattack at one target: the attacks of its ``option`` (1: the first its stat block lists),
    in order, until the target drops (the attacks left are lost; the lines say how many). A monster without a
    Multiattack makes one attack with its first attack; so does one whose Multiattack couldn't be read, and
    the lines say so."""
    attacker = _check_turn(state, attacker_id)
    block = attacker.monster
    if block is None:
        raise RulesError(f"{attacker.name} isn't a monster; only monsters have a Multiattack.")
    target = find_combatant(state, target_name)
    lines: list[str] = []
    options = block.multiattack
    read = block.multiattack_action is None or bool(options)
    if not options:
        if option != 1:
            raise RulesError(f"{attacker.name} has no Multiattack options to choose from.")
        first = _monster_action(attacker, None)
        chosen = MultiattackOption(steps=[MultiattackStep(action=first.name)])
        if not read:
            desc = block.multiattack_action.desc if block.multiattack_action else ""
            lines.append(f"I couldn't read {attacker.name}'s Multiattack (\"{desc[:200]}\"), so it makes one "
                         f"attack with its {first.name}; make the others one at a time.")
    elif not 1 <= option <= len(options):
        raise RulesError(f"{attacker.name}'s Multiattack has {len(options)} option"
                         f"{'s' if len(options) != 1 else ''}: {_option_text(options)}.")
    else:
        chosen = options[option - 1]
        lines.append(f"{attacker.name} uses Multiattack on {target.name}: {chosen.describe()}.")
        if len(options) > 1:
            lines.append(f"(Options: {_option_text(options)}.)")
    actions: list[str] = []
    for step in chosen.steps:
        actions += [step.action] * _attack_count(step.count, rng, step.action, lines)
    results: list[AttackResult] = []
    for number, action in enumerate(actions):
        if not _standing(state, target.id):
            left = len(actions) - number
            lines.append(f"{target.name} is down: {left} attack{'s' if left != 1 else ''} left unused.")
            break
        state, result = attack(state, attacker.id, target.id, action, rng)
        results.append(result)
        lines += result.lines
    if chosen.others:
        lines.append(f"Not rolled here: {', '.join(chosen.others)} — use {'it' if len(chosen.others) == 1 else 'them'}"
                     " separately.")
    state = state.model_copy(update={"started": True})
    return state, MultiattackResult(attacker=attacker.name, target=target.name, attacks=results, read=read,
                                    lines=lines)


def _spell_kind(spell: CastResult) -> Literal["attack", "save", "heal", "damage", "other"]:
    if spell.attack:
        return "attack"
    if spell.save:
        return "save"
    if spell.healing:
        return "heal"
    if spell.damage and spell.damage_type:
        return "damage"
    return "other"


def _spell_targets(state: CombatState, caster: Combatant, spell: CastResult, kind: str,
                   targets: Sequence[str]) -> list[Combatant]:
    names = [n.strip() for n in targets if n.strip()]
    if kind in ("attack", "heal", "damage") and len(names) > 1:
        raise RulesError(f"{spell.spell} has one target: name one ({', '.join(names)} given).")
    if not names and kind == "heal":
        names = [caster.id]
    elif not names and kind in ("attack", "save", "damage"):
        foes = [c for c in state.combatants if c.kind != caster.kind and c.active]
        if len(foes) != 1:
            raise RulesError(f"Name the target of {spell.spell}: {', '.join(c.name for c in foes) or 'none'}.")
        names = [foes[0].id]
    chosen = [find_combatant(state, n) for n in names]
    if len({c.id for c in chosen}) != len(chosen):
        raise RulesError("A creature is named twice.")
    return chosen


def cast(state: CombatState, caster_id: str, spell: CastResult, targets: Sequence[str] = (),
         rng: random.Random | None = None) -> tuple[CombatState, SpellResult]:
    """``spell`` (already paid for by :func:`dnd.spellcasting.cast_spell`) takes effect on the caster's turn.

    A spell attack is one attack roll at one target (spell attack bonus against AC; a critical hit doubles the
    dice); a saving-throw spell makes every target save against the spell save DC, damage rolled once (full
    on a failure, half on a success when the spell says so, else none); a healing spell heals one target (the
    caster when none is named); damage without attack or save always hits one target. A harmful spell with
    no target named aims at the only foe standing. Other spells are recorded; their effect is narrated.
    """
    caster = _check_turn(state, caster_id)
    if caster.dead or caster.hp == 0 or is_incapacitated(caster.conditions):
        raise RulesError(f"{caster.name} can't cast spells right now"
                         + (f" ({', '.join(caster.conditions)})." if caster.conditions else "."))
    kind = _spell_kind(spell)
    chosen = _spell_targets(state, caster, spell, kind, targets)
    at = f" at {', '.join(c.name for c in chosen)}" if chosen else ""
    state = state.model_copy(update={"started": True})
    state = _event(state, "cast", f"{caster.name} casts {spell.spell}{at}.", actor=caster.id)
    names = [c.name for c in chosen]
    if kind == "attack":
        state, hit = attack(state, caster.id, chosen[0].id, spell.spell, rng, attack_bonus=spell.attack_bonus or 0,
                            damage=spell.damage, damage_type=spell.damage_type, ranged=spell.attack == "ranged",
                            magical=True)
        return state, SpellResult(caster.name, spell.spell, kind, names, attack=hit, lines=hit.lines)
    if kind == "save":
        if spell.save_dc is None:
            raise RulesError(f"{spell.spell} needs a save DC.")
        state, saved = saving_throw(state, [c.id for c in chosen], spell.save, spell.save_dc, rng,
                                    damage=spell.damage or None, damage_type=spell.damage_type,
                                    half_on_success=spell.save_effect == "half", source=spell.spell,
                                    actor_id=caster.id, magical=True)
        lines = list(saved.lines)
        if not spell.damage and any(not o.success for o in saved.outcomes):
            lines.append(f"{spell.spell} takes hold of those who failed; the DM narrates its effect.")
        return state, SpellResult(caster.name, spell.spell, kind, names, save=saved, lines=lines)
    if kind == "heal":
        state, healed = heal(state, chosen[0].id, spell.healing, rng, actor_id=caster.id, source=spell.spell)
        return state, SpellResult(caster.name, spell.spell, kind, names, heal=healed, lines=healed.lines)
    if kind == "damage":
        target = chosen[0]
        damage_roll = _roll(f"{spell.damage} {spell.spell} damage", rng)
        by_type = dict(damage_roll.damage_by_type) or {spell.damage_type.casefold(): damage_roll.total}
        dealt, notes = _defend(target, by_type, True)
        state, applied = _apply_damage(state, target.id, dealt, critical=False, actor_id=caster.id,
                                       source=spell.spell)
        after = _find_anywhere(state, target.id)
        lines = [str(damage_roll), *notes, f"{spell.spell} hits {target.name} for **{dealt}** damage "
                 f"({after.hp}/{after.max_hp} HP).", *applied.lines]
        return state, SpellResult(caster.name, spell.spell, kind, names, damage=dealt, lines=lines)
    return state, SpellResult(caster.name, spell.spell, kind, names,
                              lines=[f"{spell.spell}{at}: the DM narrates its effect."])
