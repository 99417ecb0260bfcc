"""What each combat action returns: plain data (the numbers and who did what), and what it tells, in order,
as :mod:`dnd.combat.lines` (``told``), for a renderer to word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dnd.combat.lines import Line
from dnd.combat.state import Outcome
from dnd.conditions import RollMode
from dnd.dice import RollResult


class Told:
    """A result that tells what happened (``told``, set by each result). ``lines`` and ``text`` are its
    Discord rendering, the table's default as ``str()`` is a roll's; the narrator's is
    :func:`dnd.render.facts.combat_text`."""

    told: list[Line]

    @property
    def lines(self) -> list[str]:
        # Imported here: the renderer imports these results' line types.
        from dnd.render.discord import combat_lines

        return combat_lines(self.told)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class InitiativeResult(Told):
    order: list[tuple[str, int]]  # (name, initiative) in turn order
    rolls: dict[str, RollResult] = field(default_factory=dict)  # by combatant id
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class JoinResult(Told):
    joined: list[str]
    hp_mode: Literal["average", "roll"]
    initiative: InitiativeResult
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class TurnResult(Told):
    previous: str | None
    current: str
    round: int
    skipped: list[str] = field(default_factory=list)
    told: list[Line] = field(default_factory=list)
    held: list[Line] = field(default_factory=list)  # at the turn's end: repeated saves, spells that ran out


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
    told: list[Line] = field(default_factory=list)
    rider: SaveResult | None = None  # the save the hit called for (a Giant Spider's poison), when it was made


@dataclass(frozen=True)
class SaveOutcome:
    target: str
    roll: RollResult | None  # None on an automatic failure or success
    mode: RollMode | Literal["auto_fail", "auto_success"]
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
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class DeathSaveResult(Told):
    name: str
    roll: RollResult
    result: Literal["success", "failure", "stable", "dead", "revived"]
    successes: int
    failures: int
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class HealResult(Told):
    target: str
    healed: int
    hp: int
    max_hp: int
    roll: RollResult | None = None
    revived: bool = False
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class ConditionResult(Told):
    target: str
    condition: str
    added: bool
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class MultiattackResult(Told):
    attacker: str
    target: str
    attacks: list[AttackResult]
    read: bool  # False: the Multiattack couldn't be read, so one attack was made
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class SpellResult(Told):
    """What a spell did in the fight: ``kind`` "attack", "save", "heal", "damage" (always hits), "boost"
    (temporary or maximum hit points), "later" (held for a later hit or turn) or "other"."""

    caster: str
    spell: str
    kind: Literal["attack", "save", "heal", "damage", "boost", "later", "other"]
    targets: list[str]
    attack: AttackResult | None = None  # the first of ``attacks``
    save: SaveResult | None = None
    heal: HealResult | None = None  # the first of ``heals``
    damage: int = 0  # dealt by a spell that always hits, or by all its beams, rays or darts
    attacks: list[AttackResult] = field(default_factory=list)  # one per beam or ray
    heals: list[HealResult] = field(default_factory=list)  # one per creature healed
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class CombatSummary(Told):
    rounds: int
    outcome: Outcome
    damage_dealt: dict[str, int]
    damage_taken: dict[str, int]
    fallen: list[str]  # in the order they fell (dropped to 0 hit points)
    dead: list[str]  # characters who died
    told: list[Line] = field(default_factory=list)


@dataclass(frozen=True)
class FeatureResult(Told):
    """A turn action, a bonus action, a feature or a reaction of a character: who, what, and what it did."""

    name: str
    feature: str
    told: list[Line] = field(default_factory=list)
