"""The state of a fight (plain data, pydantic, frozen), its log, and the lookups every action shares."""

from __future__ import annotations

import random
from collections.abc import Collection
from functools import lru_cache
from typing import Literal

from pydantic import Field

from dnd.conditions import RollMode
from dnd.dice import DiceError, RollResult, roll
from dnd.errors import RulesError
from dnd.frozen import Frozen
from dnd.monsters import Combatant

EventKind = Literal[
    "initiative", "join", "turn", "skip", "attack", "damage", "heal", "save", "death_save", "fell", "defeated",
    "dead", "stable", "revived", "condition", "cast",
]


Outcome = Literal["ongoing", "victory", "defeat"]


class CombatEvent(Frozen):
    """One line of the fight's log. ``amount``: damage dealt (``damage``) or hit points regained (``heal``)."""

    round: int
    kind: EventKind
    actor_id: str | None = None
    target_id: str | None = None
    amount: int = 0
    text: str = ""


class OngoingSpell(Frozen):
    """A spell that lasts: held by its caster's concentration (``concentration``), and, for a zone spell
    (Spirit Guardians, Moonbeam), what it does to each creature in it (``targets``, by id) at the start of that
    creature's turn (``temp_hp``: the temporary hit points Heroism gives its target then). ``ticked``: the round
    each target last took it (once a turn). A spell whose damage comes later strikes on the caster's next
    weapon hit (``next_hit``: a smite, spent by that hit), on each of them (``each_hit``), or when the caster
    spends its bonus action or action on it again (``bonus_action``, ``action``)."""

    caster_id: str
    spell: str
    concentration: bool = True
    trigger: Literal["", "turn_start", "next_hit", "each_hit", "bonus_action", "action"] = ""
    targets: list[str] = Field(default_factory=list)
    temp_hp: int = 0
    damage: str = ""
    damage_type: str = ""
    save: str | None = None
    save_dc: int | None = None
    half_on_success: bool = False
    ticked: dict[str, int] = Field(default_factory=dict)
    # A spell that holds its targets in conditions (`dnd.combat.holds`): the conditions it gave, whether a target
    # repeats the save at the end of each of its turns; and any lasting spell's caster's turns left before it ends
    # (None: not counted).
    conditions: list[str] = Field(default_factory=list)
    repeat_save: bool = False
    rounds_left: int | None = None


class PendingSpell(Frozen):
    """A monster's spell cast but not yet resolved: paid for (``slot_level``, None for a cantrip or an innate
    spell), it waits for the characters who may counter it (`dnd.combat.counterspell`). ``countered``: it failed."""

    caster_id: str
    spell: str
    spell_level: int  # the level it is cast at (0: a cantrip)
    slot_level: int | None = None
    target_ids: list[str] = Field(default_factory=list)
    countered: bool = False


class CombatState(Frozen):
    """A fight: ``combatants`` in initiative order (defeated monsters move to ``defeated``), whose turn it is
    (``current``), the round, and the log. ``started``: the first turn has been taken."""

    combatants: list[Combatant] = Field(default_factory=list)
    current: int = Field(0, ge=0)
    round: int = Field(1, ge=1)
    started: bool = False
    log: list[CombatEvent] = Field(default_factory=list)
    defeated: list[Combatant] = Field(default_factory=list)
    ongoing: list[OngoingSpell] = Field(default_factory=list)  # concentration and zone spells in effect
    pending_spell: PendingSpell | None = None  # a monster's spell waiting on a Counterspell


def current_actor(state: CombatState) -> Combatant:
    """The combatant whose turn it is."""
    if not state.combatants:
        raise RulesError("There is no fight going on.")
    return state.combatants[state.current]


def index_of(state: CombatState, combatant_id: str) -> int:
    for i, c in enumerate(state.combatants):
        if c.id == combatant_id:
            return i
    for c in state.defeated:
        if c.id == combatant_id:
            raise RulesError(f"{c.name} is already defeated.")
    raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")


@lru_cache(maxsize=4096)  # every lookup of a target compares it with each combatant's name
def name_key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _valid_targets(state: CombatState) -> str:
    names = [c.name for c in state.combatants if not c.dead]
    return ", ".join(names) or "none"


def find_combatant(state: CombatState, name: str) -> Combatant:
    """A combatant in the order by id or name (case-insensitive; "goblin" finds "Goblin 1" when it is the only
    goblin). Refuses names of defeated or dead creatures and unknown names (listing the valid targets)."""
    key = name_key(name)
    if not key:
        raise RulesError(f"Name a target: {_valid_targets(state)}.")
    pool = state.combatants
    for c in pool:
        if c.id == name or name_key(c.name) == key:
            if c.dead:
                raise RulesError(f"{c.name} is dead. Targets: {_valid_targets(state)}.")
            return c
    for c in state.defeated:
        if c.id == name or name_key(c.name) == key:
            raise RulesError(f"{c.name} is already defeated. Targets: {_valid_targets(state)}.")
    alive = [c for c in pool if not c.dead]
    partial = [c for c in alive if name_key(c.name).startswith(key) or c.id.startswith(name.strip().casefold())]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise RulesError(f"Which one? {', '.join(c.name for c in partial)}.")
    raise RulesError(f"There is no '{name}' in this fight. Targets: {_valid_targets(state)}.")


def ids_named(state: CombatState, names: Collection[str]) -> list[str]:
    """The ids of the combatants, standing or defeated, with these names (the targets a result names)."""
    return [c.id for c in [*state.combatants, *state.defeated] if c.name in names]


def check_turn(state: CombatState, combatant_id: str) -> Combatant:
    actor = current_actor(state)
    if actor.id == combatant_id:
        return actor
    who = next((c.name for c in [*state.combatants, *state.defeated] if c.id == combatant_id), None)
    if who is None:
        raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")
    raise RulesError(f"It's {actor.name}'s turn, not {who}'s.")


def mark_started(state: CombatState) -> CombatState:
    """The fight with its first turn taken (the state itself when it already was: no copy)."""
    return state if state.started else state.model_copy(update={"started": True})


def replace_combatant(state: CombatState, combatant: Combatant) -> CombatState:
    combatants = [combatant if c.id == combatant.id else c for c in state.combatants]
    return state.model_copy(update={"combatants": combatants})


def log_event(state: CombatState, kind: EventKind, text: str, *, actor: str | None = None, target: str | None = None,
           amount: int = 0) -> CombatState:
    event = CombatEvent.trusted(round=state.round, kind=kind, actor_id=actor, target_id=target, amount=amount,
                                text=text)
    return state.model_copy(update={"log": [*state.log, event]})


def mode_word(mode: RollMode) -> str:
    return {"advantage": " adv", "disadvantage": " dis"}.get(mode, "")


def roll_dice(expression: str, rng: random.Random | None, *, crit: bool = False) -> RollResult:
    try:
        return roll(expression, rng, crit=crit)
    except DiceError as error:
        raise RulesError(f"Can't roll '{expression}': {error}") from None


def outcome(state: CombatState) -> Outcome:
    """"victory" when no monster is left standing, "defeat" when no character is, else "ongoing"."""
    monsters = characters = monsters_active = characters_active = False  # one pass: asked at every step of a fight
    for c in state.combatants:
        if c.kind == "monster":
            monsters = True
            monsters_active = monsters_active or c.active
        else:
            characters = True
            characters_active = characters_active or c.active
    if (monsters or state.defeated) and not monsters_active:
        return "victory"
    if characters and not characters_active:
        return "defeat"
    return "ongoing"


def find_anywhere(state: CombatState, combatant_id: str) -> Combatant:
    for c in state.combatants:
        if c.id == combatant_id:
            return c
    for c in state.defeated:
        if c.id == combatant_id:
            return c
    raise RulesError(f"No one with the id '{combatant_id}' is in this fight.")
