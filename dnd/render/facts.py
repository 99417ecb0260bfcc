"""Plain facts for the narrator: the numbers and what happened, without Discord Markdown.

The narrator's prompt is text a model reads, and the offline narrator repeats it to the table: bold markers,
struck-through dice and backticks would be noise to the one and stray formatting from the other.

Rolls: ``Longsword attack on Goblin 1: 1d20 (20) + 5 = 25, a natural 20``: each die's face after its term
(``dropped``, ``rerolled``, ``exploded``, ``success`` said in words, ``1→2`` for a face changed by
``mi``/``ma``), at most :data:`DICE_SHOWN` dice per term, the damage by type when it is split.

Combat: one sentence per line a result tells (:mod:`dnd.combat.lines`), joined into a paragraph
(:func:`combat_text`); lines that only instruct the table (the Multiattack options, "use it separately")
are left out. A line the table reads without Markdown or emoji is the same fact for the narrator, worded as
:mod:`dnd.render.discord` words it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dnd.combat.lines import (
    AttackVerdict,
    ConditionChanged,
    Counterspelled,
    DamageTaken,
    DeathSaveOutcome,
    Defeated,
    Dies,
    FallsUnconscious,
    Flees,
    Healed,
    HitUndone,
    KilledByDamage,
    Line,
    MultiattackOptions,
    MultiattackUnread,
    MultiattackUsed,
    NotRolledHere,
    PartyFalls,
    RegainsConsciousness,
    Rolled,
    SaveRolled,
    SpellBegun,
    SpellNarrated,
    SpellSpared,
    SpellTakesHold,
    SummaryHeading,
    SummaryRow,
    TurnStarts,
    WakesLater,
)
from dnd.dice_ast import (
    Die,
    Number,
    RolledBinaryOp,
    RolledDice,
    RolledNode,
    RolledParenthesized,
    RolledTagged,
    RolledUnaryMinus,
)
from dnd.render import discord

if TYPE_CHECKING:
    from dnd.actions import ItemUse
    from dnd.combat.results import Told
    from dnd.combat.state import Outcome
    from dnd.dice import RollResult

__all__ = ["DICE_SHOWN", "FACTS", "FactsRollRenderer", "combat_fact", "combat_facts", "combat_text", "fight_events",
           "fight_facts", "hp_band", "item_use", "outcome_fact", "roll_facts"]

DICE_SHOWN = 10  # dice listed per term; the narrator needs the total, not a hundred faces


class FactsRollRenderer:
    """The narrator's roll renderer: :func:`roll_facts`."""

    def render(self, result: RollResult) -> str:
        return roll_facts(result)


FACTS = FactsRollRenderer()


def roll_facts(result: RollResult) -> str:
    """One line: the label, each term's dice, the total, the natural 20 or 1, the damage by type."""
    label = f"{result.label}: " if result.label else ""
    if result.rolls:
        totals = ", ".join(_one(repetition) for repetition in result.rolls)
        return f"{label}{result.expression}: {totals}; total {result.total}{_by_type(result)}{_crit(result)}"
    return f"{label}{_one(result)}{_by_type(result)}{_crit(result)}"


def _crit(result: RollResult) -> str:
    return " (critical hit: dice doubled)" if result.crit else ""


def _one(result: RollResult) -> str:
    breakdown = _node(result.tree) if result.tree is not None else result.expression
    return f"{breakdown} = {result.total}{_natural(result)}"


def _natural(result: RollResult) -> str:
    outcome = {None: "", True: ", a success", False: ", a failure"}[result.success]
    if result.natural == 20:
        return ", a natural 20" + outcome
    if result.natural == 1:
        return ", a natural 1" + outcome
    return outcome


def _by_type(result: RollResult) -> str:
    amounts = result.damage_by_type
    if len(amounts) < 2:  # one type (or none) is already in the breakdown
        return ""
    return " (" + ", ".join(f"{amount} {damage_type}" for damage_type, amount in amounts.items()) + ")"


def _node(node: RolledNode) -> str:
    if isinstance(node, RolledDice):
        return f"{node.term.notation(node.count)} ({_dice(node)})"
    if isinstance(node, Number):
        return str(node.value)
    if isinstance(node, RolledBinaryOp):
        return f"{_node(node.left)} {node.operator} {_node(node.right)}"
    if isinstance(node, RolledUnaryMinus):
        return f"-{_node(node.operand)}"
    if isinstance(node, RolledParenthesized):
        return f"({_node(node.inner)})"
    if isinstance(node, RolledTagged):
        return f"{_node(node.operand)} {node.damage_type}"
    items = [_node(item) if kept else f"{_node(item)} dropped" for item, kept in zip(node.items, node.kept,
                                                                                      strict=True)]
    return f"({', '.join(items)}){''.join(str(keep_drop) for keep_drop in node.keep_drop)}"


def _dice(node: RolledDice) -> str:
    shown = [_die(die) for die in node.dice[:DICE_SHOWN]]
    if len(node.dice) > DICE_SHOWN:
        shown.append(f"{len(node.dice) - DICE_SHOWN} more")
    return ", ".join(shown)


def _die(die: Die) -> str:
    text = str(die.face) if die.face == die.rolled_face else f"{die.rolled_face}→{die.face}"
    marks = [word for word, flag in (("success", die.success), ("exploded", die.exploded),
                                     ("dropped", die.dropped), ("rerolled", die.rerolled)) if flag]
    return f"{text} {' '.join(marks)}" if marks else text


# ------------------------------------------------------------------------------------------ combat


def fight_facts(result: Told, outcome: Outcome) -> str:
    """What the narrator is told of a combat action: its facts, then whether the fight is won or lost."""
    return f"In the fight, {combat_text(result)}{outcome_fact(outcome)}"


def combat_text(result: Told) -> str:
    """A combat result's facts as one paragraph."""
    return " ".join(combat_facts(result.told))


def combat_facts(told: Iterable[Line]) -> list[str]:
    return [fact for line in told if (fact := combat_fact(line)) is not None]


def outcome_fact(outcome: Outcome) -> str:
    """" No foe is left standing." when the fight is won, " Every hero is down." when it is lost, else ""."""
    return {"victory": " No foe is left standing.", "defeat": " Every hero is down."}.get(outcome, "")


@functools.singledispatch
def combat_fact(line: Line) -> str | None:
    """The fact ``line`` tells the narrator; None for a line that only instructs the table."""
    return discord.combat_line(line)


@combat_fact.register
def _(line: PartyFalls) -> str:
    return "The party falls: no character is left standing, and the foes hold the field."


@combat_fact.register
def _(line: WakesLater) -> str:
    return f"{line.name}, stable and untended, wakes {line.hours} hour{'s' if line.hours != 1 else ''} later with 1 HP."


@combat_fact.register
def _(line: Rolled) -> str:
    return f"{roll_facts(line.roll)}."


@combat_fact.register
def _(line: Flees) -> str:
    return f"{line.name} flees the fight, badly hurt ({line.hp}/{line.max_hp} HP)."


@combat_fact.register
def _(line: TurnStarts) -> str:
    dying = f" {line.name} is dying and rolls a death saving throw." if line.dying else ""
    return f"Round {line.round}: {line.name}'s turn ({line.hp}/{line.max_hp} HP).{dying}"


@combat_fact.register
def _(line: AttackVerdict) -> str:
    if line.hit:
        verdict = "a critical hit" if line.critical else "a hit"
    else:
        verdict = "a natural 1, a miss" if line.natural == 1 else "a miss"
    return f"{line.attacker} attacks {line.target} (AC {line.target_ac}): {verdict}."


@combat_fact.register
def _(line: DamageTaken) -> str:
    if line.source is not None:
        return f"{line.source} hits {line.target} for {line.amount} damage ({line.hp}/{line.max_hp} HP)."
    return f"{line.target} takes {line.amount} damage ({line.hp}/{line.max_hp} HP)."


@combat_fact.register
def _(line: KilledByDamage) -> str:
    return discord.combat_line(line).removeprefix("💀 ")


@combat_fact.register
def _(line: Dies) -> str:
    return f"{line.target} dies."


@combat_fact.register
def _(line: Defeated) -> str:
    return f"{line.target} is defeated."


@combat_fact.register
def _(line: MultiattackUnread) -> str:
    return f"{line.attacker} makes one attack with its {line.action}."


@combat_fact.register
def _(line: MultiattackOptions) -> None:
    return None


@combat_fact.register
def _(line: NotRolledHere) -> None:
    return None


@combat_fact.register
def _(line: SaveRolled) -> str:
    return f"{roll_facts(line.roll)} against DC {line.dc}: {'a success' if line.success else 'a failure'}."


@combat_fact.register
def _(line: DeathSaveOutcome) -> str:
    if line.result == "revived":
        return f"A natural 20: {line.name} regains 1 HP and wakes up."
    if line.result == "dead":
        return f"{line.name} fails a third death saving throw and dies."
    if line.result == "stable":
        return f"{line.name} succeeds on a third death saving throw and is stable."
    on_a_1 = " (a 1: two failures)" if line.face == 1 else ""
    return (f"{line.name} {'succeeds on' if line.result == 'success' else 'fails'} a death saving throw{on_a_1}: "
            f"{line.successes} successes, {line.failures} failures.")


@combat_fact.register
def _(line: Healed) -> str:
    return f"{line.target} regains {line.amount} HP ({line.hp}/{line.max_hp})."


@combat_fact.register
def _(line: SpellTakesHold) -> str:
    return f"{line.spell} takes hold of those who failed."


@combat_fact.register
def _(line: SpellBegun) -> str:
    at = f" at {', '.join(line.targets)}" if line.targets else ""
    return f"{line.caster} begins to cast {line.spell}{at}, and {' or '.join(line.counterers)} could still stop it."


@combat_fact.register
def _(line: Counterspelled) -> str:
    if line.countered:
        return f"{line.name} counters {line.caster}'s {line.spell}: the spell fails."
    return f"{line.name} tries to counter {line.caster}'s {line.spell} and fails: the spell goes on."


@combat_fact.register
def _(line: SpellSpared) -> str:
    return f"{line.target} is spared by a careful spell and shrugs it off."


@combat_fact.register
def _(line: SpellNarrated) -> str:
    at = f" on {', '.join(line.targets)}" if line.targets else ""
    return f"{line.spell} takes effect{at}."


@combat_fact.register
def _(line: SummaryHeading) -> str:
    return f"Combat summary: {line.rounds} round{'s' if line.rounds != 1 else ''}, {line.outcome}."


@combat_fact.register
def _(line: SummaryRow) -> str:
    status = {"dead": "; dead", "fell": "; fell"}.get(line.status, "")
    return f"{line.name} dealt {line.dealt} damage and took {line.taken}{status}."


# ------------------------------------------------------------------------------------------ items


def item_use(used: ItemUse) -> str:
    """A consumable used, as the narrator is told it: the potion's roll and the hit points regained."""
    if used.eats is not None:
        return f"{used.user} {used.eats}."
    rolled = f" ({roll_facts(used.roll)})" if used.roll is not None else ""
    return (f"{used.user} drinks a {used.item} and regains {used.healed} HP{rolled}; "
            f"HP {used.hp_before} → {used.hp_after}/{used.max_hp}.")


# ------------------------------------------------------------------------------------------ events (data)

_ATTACK_LABEL = re.compile(r"^(?P<weapon>.+?) attack on (?P<target>.+)$")


def hp_band(hp: int, max_hp: int) -> str:
    """How hurt a creature looks, in words the narrator can use without the numbers."""
    if hp <= 0:
        return "down"
    if max_hp <= 0 or hp >= max_hp:
        return "unhurt"
    return "bloodied" if hp * 2 <= max_hp else "wounded"


def fight_events(result: Told, outcome: Outcome) -> list[dict[str, Any]]:
    """A combat result as plain data for the narrator, in order: who did what to whom and how hurt each is
    left (HP bands, no numbers the narrator could be tempted to change); the fight's end when it is decided."""
    events = combat_events(result.told)
    if outcome in ("victory", "defeat"):
        events.append({"event": "fight_over", "result": outcome})
    return events


def combat_events(told: Iterable[Line]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    weapon: str | None = None
    for line in told:
        if isinstance(line, Rolled):
            match = _ATTACK_LABEL.match(line.roll.label or "")
            weapon = _weapon_name(match.group("weapon")) if match else weapon
            continue
        event = combat_event(line)
        if event is None:
            continue
        if event["event"] == "attack" and weapon:
            event["weapon"] = weapon
            weapon = None
        events.append(event)
    return events


def _weapon_name(label: str) -> str:
    # "1d20+4 Longsword" is not a label; the label is the profile's name, maybe after an advantage word.
    return re.sub(r"^(?:with advantage|with disadvantage)\s+", "", label).strip()


@functools.singledispatch
def combat_event(line: Line) -> dict[str, Any] | None:
    """The event ``line`` tells as data; None for a line the narrator needs no data for."""
    return None


@combat_event.register
def _(line: AttackVerdict) -> dict[str, Any]:
    result = ("critical hit" if line.critical else "hit") if line.hit else ("fumble" if line.natural == 1 else "miss")
    return {"event": "attack", "actor": line.attacker, "target": line.target, "result": result}


@combat_event.register
def _(line: DamageTaken) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "damage", "target": line.target, "amount": line.amount,
                             "state": hp_band(line.hp, line.max_hp)}
    if line.source is not None:
        event["source"] = line.source
    return event


@combat_event.register
def _(line: Healed) -> dict[str, Any]:
    return {"event": "healed", "target": line.target, "amount": line.amount, "state": hp_band(line.hp, line.max_hp)}


@combat_event.register
def _(line: HitUndone) -> dict[str, Any]:
    # A reaction changed a hit already told: the narrator retells it (a miss after all, or a lesser blow).
    return {"event": "hit_undone", "actor": line.attacker, "target": line.name,
            "result": "miss" if line.after == 0 else "less damage", "state": hp_band(line.hp, line.max_hp)}


@combat_event.register
def _(line: FallsUnconscious) -> dict[str, Any]:
    return {"event": "falls", "target": line.target}


@combat_event.register(KilledByDamage)
@combat_event.register(Dies)
def _(line: KilledByDamage | Dies) -> dict[str, Any]:
    return {"event": "dies", "target": line.target}


@combat_event.register
def _(line: Defeated) -> dict[str, Any]:
    return {"event": "defeated", "target": line.target}


@combat_event.register
def _(line: Flees) -> dict[str, Any]:
    return {"event": "flees", "actor": line.name, "state": hp_band(line.hp, line.max_hp)}


@combat_event.register
def _(line: MultiattackUsed) -> dict[str, Any]:
    return {"event": "multiattack", "actor": line.attacker, "target": line.target}


@combat_event.register
def _(line: SaveRolled) -> dict[str, Any]:
    return {"event": "save", "roll": line.roll.label or "a saving throw",
            "result": "success" if line.success else "failure"}


@combat_event.register
def _(line: DeathSaveOutcome) -> dict[str, Any]:
    return {"event": "death_save", "actor": line.name, "result": line.result}


@combat_event.register
def _(line: ConditionChanged) -> dict[str, Any]:
    return {"event": "condition", "target": line.target, "condition": line.condition,
            "change": "gains" if line.added else "loses"}


@combat_event.register
def _(line: RegainsConsciousness) -> dict[str, Any]:
    return {"event": "wakes", "target": line.target}


@combat_event.register
def _(line: WakesLater) -> dict[str, Any]:
    return {"event": "wakes", "target": line.name}


@combat_event.register
def _(line: PartyFalls) -> dict[str, Any]:
    return {"event": "fight_over", "result": "defeat"}


@combat_event.register(SpellTakesHold)
@combat_event.register(SpellNarrated)
def _(line: SpellTakesHold | SpellNarrated) -> dict[str, Any]:
    targets = list(getattr(line, "targets", ()))
    return {"event": "spell", "spell": line.spell, **({"targets": targets} if targets else {})}
