"""Combat (SRD 5.1): initiative, turns, attacks, damage, death saves, saving throws and healing.

The state is plain data (:class:`CombatState`, pydantic, frozen); every function takes a state and returns a
new one with a result object: plain data whose ``told`` lists what happened, in order (:mod:`dnd.combat.lines`),
for :mod:`dnd.render` to word for the table (``result.text``, Discord Markdown) or for the narrator (plain
facts). Dice come from the ``random.Random`` given (deterministic when seeded).

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
  attack bonus against AC, dice doubled on a critical hit; Eldritch Blast's beams and Scorching Ray's rays each
  an attack of their own at the target named for it), a saving throw against the spell save DC for each target
  (half damage on a success when the spell says so; Ice Storm's and Flame Strike's two damage types each meet
  the target's defenses), healing for up to the spell's number of targets, temporary hit points (False Life;
  Heroism each turn) or a raised hit point maximum (Aid), or damage that always hits (Magic Missile's darts,
  each at its own target). A smite's damage waits for the caster's next weapon hit; Flaming Sphere and Call
  Lightning are used again on later turns with a bonus action or an action (:func:`cast_again`).

Not modelled: positions and ranges (callers say ``ranged=True`` for a thrown or long-range attack), cover,
reactions, concentration and legendary actions.

Modules, by concern (the public names are importable from ``dnd.combat``): ``state`` (the fight, its log,
lookups), ``results`` (what each action returns), ``initiative``, ``turns``, ``turn_start`` (the turn of a
character at 0 HP), ``attacks`` (with Multiattack), ``damage``, ``saves`` (saving throws, death saves),
``effects`` (healing, conditions, a changed sheet), ``spells`` and ``summary``.
"""

from __future__ import annotations

from dnd.combat.attacks import attack, multiattack
from dnd.combat.effects import add_condition, heal, remove_condition, update_from_sheet
from dnd.combat.holds import finish_turn
from dnd.combat.initiative import add_monsters, monster_combatants, roll_initiative
from dnd.combat.results import (
    AttackResult,
    CombatSummary,
    ConditionResult,
    DeathSaveResult,
    HealResult,
    InitiativeResult,
    JoinResult,
    MultiattackResult,
    SaveOutcome,
    SaveResult,
    SpellResult,
    TurnResult,
)
from dnd.combat.saves import death_save, fall_of_the_party, saving_throw
from dnd.combat.spells import cast, cast_again, held_spell, zone_ticks
from dnd.combat.state import CombatEvent, CombatState, current_actor, find_combatant, outcome
from dnd.combat.summary import summary
from dnd.combat.turn_start import DownedTurn, start_turn
from dnd.combat.turns import dodge, end_turn, flee, skip

__all__ = [
    "AttackResult",
    "CombatEvent",
    "CombatState",
    "CombatSummary",
    "ConditionResult",
    "DeathSaveResult",
    "DownedTurn",
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
    "cast_again",
    "held_spell",
    "zone_ticks",
    "current_actor",
    "death_save",
    "fall_of_the_party",
    "dodge",
    "end_turn",
    "finish_turn",
    "flee",
    "find_combatant",
    "heal",
    "monster_combatants",
    "multiattack",
    "outcome",
    "remove_condition",
    "roll_initiative",
    "saving_throw",
    "skip",
    "start_turn",
    "summary",
    "update_from_sheet",
]
