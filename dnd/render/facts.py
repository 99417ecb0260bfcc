"""Plain facts for the narrator: the numbers and what happened, without Discord Markdown.

The narrator's prompt is text a model reads, and the offline narrator repeats it to the table: bold markers,
struck-through dice and backticks would be noise to the one and stray formatting from the other.

Rolls: ``Longsword attack on Goblin 1: 1d20 (20) + 5 = 25, a natural 20``: each die's face after its term
(``dropped``, ``rerolled``, ``exploded``, ``success`` said in words, ``1→2`` for a face changed by
``mi``/``ma``), at most :data:`DICE_SHOWN` dice per term, the damage by type when it is split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from dnd.dice import RollResult

__all__ = ["DICE_SHOWN", "FACTS", "FactsRollRenderer", "roll_facts"]

DICE_SHOWN = 10  # dice listed per term; the narrator needs the total, not a hundred faces
_UNTYPED = "untyped"


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
    if result.natural == 20:
        return ", a natural 20"
    if result.natural == 1:
        return ", a natural 1"
    return ""


def _by_type(result: RollResult) -> str:
    amounts = result.damage_by_type
    if not amounts or set(amounts) == {_UNTYPED}:
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
