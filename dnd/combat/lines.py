"""What a combat result tells, line by line, as data: who, what, the numbers.

A result's ``told`` lists these in the order they happened; a renderer words them for its reader
(:mod:`dnd.render.discord` for the table, :mod:`dnd.render.facts` for the narrator). Nothing here is text
for anyone: names are the combatants' names, numbers are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from dnd.dice import RollResult


@dataclass(frozen=True)
class Line:
    """One thing a result tells."""


# ------------------------------------------------------------------------------------------ dice and initiative


@dataclass(frozen=True)
class Rolled(Line):
    roll: RollResult


@dataclass(frozen=True)
class RollOff(Line):
    faces: tuple[tuple[str, int], ...]  # (name, d20 face) of the tied combatants


@dataclass(frozen=True)
class InitiativeOrder(Line):
    order: tuple[tuple[str, int | None], ...]  # (name, initiative) in turn order


@dataclass(frozen=True)
class GoesFirst(Line):
    name: str


@dataclass(frozen=True)
class Joined(Line):
    names: tuple[str, ...]
    hp_mode: Literal["average", "roll"]


# ------------------------------------------------------------------------------------------ turns


@dataclass(frozen=True)
class TurnSkipped(Line):
    name: str
    later: bool = False  # the skip waits for the combatant's next turn


@dataclass(frozen=True)
class Flees(Line):
    name: str
    hp: int
    max_hp: int


@dataclass(frozen=True)
class Dodges(Line):
    name: str


@dataclass(frozen=True)
class TurnStarts(Line):
    round: int
    name: str
    hp: int
    max_hp: int
    dying: bool  # rolls a death saving throw this turn


# ------------------------------------------------------------------------------------------ attacks and damage


@dataclass(frozen=True)
class AttackVerdict(Line):
    attacker: str
    target: str
    target_ac: int
    hit: bool
    critical: bool
    natural: int | None  # the kept d20 face


@dataclass(frozen=True)
class NoDamage(Line):
    weapon: str


@dataclass(frozen=True)
class Defense(Line):
    target: str
    damage_type: str
    kind: Literal["immune", "resistant", "vulnerable"]


@dataclass(frozen=True)
class DamageTaken(Line):
    target: str
    amount: int
    hp: int
    max_hp: int
    source: str | None = None  # a spell that always hits, said as "<source> hits <target>"


@dataclass(frozen=True)
class TempHpAbsorbed(Line):
    target: str
    absorbed: int


@dataclass(frozen=True)
class FallsUnconscious(Line):
    target: str


@dataclass(frozen=True)
class KilledByDamage(Line):
    """Damage kills a character: past 0 hit points by its hit point maximum (killed outright), or taken at 0 hit
    points (``at_zero``) as much as its hit point maximum."""

    target: str
    amount: int  # the damage past 0 hit points, or taken at 0
    at_zero: bool = False


@dataclass(frozen=True)
class DeathSavesFailedByDamage(Line):
    target: str
    added: int  # 2 on a critical hit
    failures: int  # after this damage, out of 3


@dataclass(frozen=True)
class Dies(Line):
    target: str


@dataclass(frozen=True)
class Defeated(Line):
    target: str


# ------------------------------------------------------------------------------------------ Multiattack


@dataclass(frozen=True)
class MultiattackUnread(Line):
    attacker: str
    description: str  # the stat block's Multiattack text
    action: str  # the one attack made instead


@dataclass(frozen=True)
class MultiattackUsed(Line):
    attacker: str
    target: str
    attacks: str  # the option, as the stat block reads ("2 × Scimitar, 1 × Dagger")


@dataclass(frozen=True)
class MultiattackOptions(Line):
    options: tuple[str, ...]  # every option, as the stat block reads


@dataclass(frozen=True)
class AttacksUnused(Line):
    target: str
    left: int


@dataclass(frozen=True)
class NotRolledHere(Line):
    others: tuple[str, ...]  # parts of the Multiattack that aren't attacks


# ------------------------------------------------------------------------------------------ saves and death saves


@dataclass(frozen=True)
class AutoFailedSave(Line):
    target: str
    ability: str
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class SaveRolled(Line):
    roll: RollResult
    dc: int
    success: bool


@dataclass(frozen=True)
class DeathSaveOutcome(Line):
    name: str
    result: Literal["success", "failure", "stable", "dead", "revived"]
    face: int
    successes: int
    failures: int


@dataclass(frozen=True)
class PartyFalls(Line):
    """No character is left standing and the foes hold the field: the fallen are on their own."""


@dataclass(frozen=True)
class WakesLater(Line):
    """A stable character no one heals regains 1 hit point after some hours, and wakes."""

    name: str
    hours: int


# ------------------------------------------------------------------------------------------ healing and conditions


@dataclass(frozen=True)
class Healed(Line):
    target: str
    amount: int
    hp: int
    max_hp: int


@dataclass(frozen=True)
class NotOnUndeadOrConstructs(Line):
    """A healing spell has no effect on an undead or a construct."""

    target: str
    spell: str


@dataclass(frozen=True)
class TempHpGained(Line):
    target: str
    gained: int  # what the spell gave; the creature keeps the higher of it and what it had
    temp_hp: int  # its temporary hit points now


@dataclass(frozen=True)
class HpMaxRaised(Line):
    target: str
    amount: int  # the maximum and current hit points rose by this (0: a raise as high already held)
    hp: int
    max_hp: int


@dataclass(frozen=True)
class RegainsConsciousness(Line):
    target: str


@dataclass(frozen=True)
class ConditionUnchanged(Line):
    target: str
    condition: str
    why: Literal["immune", "already"]


@dataclass(frozen=True)
class ConditionChanged(Line):
    target: str
    condition: str
    added: bool  # False: it ended


@dataclass(frozen=True)
class ExhaustionChanged(Line):
    target: str
    level: int  # after the change
    gained: bool  # False: a level was lost


# ------------------------------------------------------------------------------------------ spells and the summary


@dataclass(frozen=True)
class SpellTakesHold(Line):
    spell: str  # a saving-throw spell without damage, on those who failed


@dataclass(frozen=True)
class SpellNarrated(Line):
    spell: str  # a spell the engine doesn't resolve
    targets: tuple[str, ...]


@dataclass(frozen=True)
class SummaryHeading(Line):
    rounds: int
    outcome: Literal["ongoing", "victory", "defeat"]


@dataclass(frozen=True)
class SummaryRow(Line):
    name: str
    dealt: int
    taken: int
    status: Literal["dead", "fell", "standing"]


# ------------------------------------------------------------------------------------------ monster abilities


@dataclass(frozen=True)
class Recharged(Line):
    name: str
    action: str
    charged: bool  # the recharge roll brought it back


@dataclass(frozen=True)
class AbilityUsed(Line):
    name: str
    action: str
    targets: tuple[str, ...]
    legendary_left: int | None = None  # a legendary action: how many are left this round


@dataclass(frozen=True)
class LegendaryResistanceUsed(Line):
    name: str
    left: int


# ------------------------------------------------------------------------------ class features and reactions


@dataclass(frozen=True)
class Evades(Line):
    """Evasion on a DEX save: no damage on a success, half on a failure."""

    name: str
    success: bool


@dataclass(frozen=True)
class FeatureUsed(Line):
    """A character uses a feature, an action or a reaction (Rage, Dash, Shield...); ``detail`` says its effect
    in the engine's words ("+2 melee damage, resistance to bludgeoning, piercing and slashing")."""

    name: str
    feature: str
    detail: str = ""


@dataclass(frozen=True)
class HitUndone(Line):
    """A reaction changed a hit already rolled: Shield turned it into a miss, Uncanny Dodge halved it."""

    name: str
    attacker: str
    before: int  # the damage the hit dealt
    after: int  # what it deals now
    hp: int
    max_hp: int


@dataclass(frozen=True)
class SpellBegun(Line):
    """A creature begins casting a spell that the ``counterers`` may answer with Counterspell before it acts."""

    caster: str
    spell: str
    level: int  # the level it is cast at (0: a cantrip)
    targets: tuple[str, ...]
    counterers: tuple[str, ...]


@dataclass(frozen=True)
class Counterspelled(Line):
    """Counterspell against ``caster``'s ``spell``: ``countered`` (by the slot's level, or by the ability check
    against 10 + the spell's level, ``dc``, when higher) or the spell goes on."""

    name: str
    caster: str
    spell: str
    slot_level: int
    countered: bool
    dc: int | None = None  # the check's DC, when the spell was above the slot's level


@dataclass(frozen=True)
class SpellSpared(Line):
    """Careful Spell: a creature the caster chose succeeds on the spell's save without rolling."""

    target: str
    ability: str


# ------------------------------------------------------------------------------------------ concentration


@dataclass(frozen=True)
class ConcentrationEnds(Line):
    caster: str
    spell: str
    reason: Literal["new spell", "failed save", "down"]


@dataclass(frozen=True)
class ConcentrationHeld(Line):
    caster: str
    spell: str
    roll: RollResult
    dc: int


@dataclass(frozen=True)
class SpellWaits(Line):
    """A held spell whose damage comes later: on the caster's next weapon hit or each one, or when it spends its
    bonus action or action on the spell on a later turn."""

    caster: str
    spell: str
    trigger: Literal["next_hit", "each_hit", "bonus_action", "action"]


@dataclass(frozen=True)
class Volley(Line):
    """A spell of several beams, rays or darts: each one's target, in order."""

    spell: str
    word: str  # "beam", "ray", "dart"
    shots: tuple[str, ...]


@dataclass(frozen=True)
class ZoneTakesHold(Line):
    spell: str
    target: str  # a creature starting its turn in the spell's area


@dataclass(frozen=True)
class ZoneCast(Line):
    spell: str
    targets: tuple[str, ...]  # the creatures in its area, hurt at the start of each of their turns
