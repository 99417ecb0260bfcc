"""Dice expression trees.

Two families of plain dataclasses live here:

* the *syntax tree* produced by ``dnd.dice_parser`` (frozen, so one parsed tree can be cached and shared
  between rolls), and
* the *rolled tree* produced by the evaluator in ``dnd.dice``: the same shape, with every die's face and
  its dropped / rerolled / exploded flags, which ``dnd.render`` turns into text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

ComparisonOperator: TypeAlias = Literal["<", "<=", ">", ">=", "="]
KeepDropKind: TypeAlias = Literal["kh", "kl", "dh", "dl"]
ArithmeticOperator: TypeAlias = Literal["+", "-", "*", "/", "//", "%", "==", "!=", "<", "<=", ">", ">="]
RerollKind: TypeAlias = Literal["ro", "rr", "ra"]
# Binary operators worth 1 (true) or 0 (false): "1d20+5 >= 15" (d20's comparisons).
COMPARISON_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})
Advantage: TypeAlias = Literal["advantage", "disadvantage"]


# --------------------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """A face test such as ``<3`` or ``=1``, used by rerolls, explosions and success counting."""

    operator: ComparisonOperator
    value: int

    def matches(self, face: int) -> bool:
        operator = self.operator
        if operator == "=":
            return face == self.value
        if operator == "<":
            return face < self.value
        if operator == "<=":
            return face <= self.value
        if operator == ">":
            return face > self.value
        return face >= self.value

    def count_matching(self, sides: int) -> int:
        """How many faces of a die with ``sides`` sides pass the test."""
        operator, value = self.operator, self.value
        if operator == "=":
            matching = 1 if 1 <= value <= sides else 0
        elif operator == "<":
            matching = value - 1
        elif operator == "<=":
            matching = value
        elif operator == ">":
            matching = sides - value
        else:
            matching = sides - value + 1
        return max(0, min(sides, matching))

    def __str__(self) -> str:
        return f"{self.operator}{self.value}"


@dataclass(frozen=True, slots=True)
class Rank:
    """``l2`` / ``h2`` (d20's selectors): the lowest / highest ``count`` dice in play."""

    highest: bool
    count: int

    def __str__(self) -> str:
        return f"{'h' if self.highest else 'l'}{self.count}"


@dataclass(frozen=True, slots=True)
class KeepDrop:
    """``kh``/``kl`` keep the highest/lowest ``count`` dice; ``dh``/``dl`` drop them.

    With ``condition`` (``k<3``, ``p>4``): keep (``kh``) or drop (``dl``) the dice whose face matches it.
    """

    kind: KeepDropKind
    count: int
    condition: Comparison | None = None

    def __str__(self) -> str:
        if self.condition is not None:
            return ("k" if self.kind[0] == "k" else "p") + str(self.condition)
        return f"{self.kind}{self.count}"


@dataclass(frozen=True, slots=True)
class Reroll:
    """``ro`` rerolls a matching die once; ``rr`` until it stops matching (bounded); ``ra`` rolls one more
    die and keeps both (d20's reroll-and-add). ``condition`` is a face test or a rank (``rol1``)."""

    kind: RerollKind
    condition: Comparison | Rank

    @property
    def once(self) -> bool:
        return self.kind != "rr"

    def __str__(self) -> str:
        return self.kind + _condition_text(self.condition)


@dataclass(frozen=True, slots=True)
class Explode:
    """``!``: a matching die (by default the highest face) adds another die, which may explode again.

    With a rank (``el1``) the ranked dice explode once each."""

    condition: Comparison | Rank | None

    def __str__(self) -> str:
        return "!" if self.condition is None else "!" + _condition_text(self.condition)


@dataclass(frozen=True, slots=True)
class FaceMinimum:
    """``mi2``: every face below the value counts as the value."""

    value: int

    def __str__(self) -> str:
        return f"mi{self.value}"


@dataclass(frozen=True, slots=True)
class FaceMaximum:
    """``ma5``: every face above the value counts as the value."""

    value: int

    def __str__(self) -> str:
        return f"ma{self.value}"


DiceModifier: TypeAlias = KeepDrop | Reroll | Explode | FaceMinimum | FaceMaximum


def _condition_text(condition: Comparison | Rank) -> str:
    # "ro1" reads better than "ro=1"; the two mean the same.
    if isinstance(condition, Comparison) and condition.operator == "=":
        return str(condition.value)
    return str(condition)


@dataclass(frozen=True, slots=True)
class Number:
    """A constant; a ``Decimal`` when typed with a point (``1.5``): the roll's total is rounded down."""

    value: int | Decimal


@dataclass(frozen=True, slots=True)
class DiceTerm:
    """``4d6ro1kh3``: ``count`` dice of ``sides`` sides, modifiers applied left to right.

    With ``success_target`` (``10d10>=8``) the term is worth the number of kept dice that pass the test.
    ``position`` is the index of the term in the source text, for error messages.
    """

    count: int
    sides: int
    modifiers: tuple[DiceModifier, ...] = ()
    success_target: Comparison | None = None
    percentile: bool = False
    position: int = 0

    def notation(self, count: int | None = None) -> str:
        """The term in canonical notation, optionally with another dice count (critical hits)."""
        sides = "%" if self.percentile else str(self.sides)
        modifiers = "".join(str(modifier) for modifier in self.modifiers)
        target = "" if self.success_target is None else str(self.success_target)
        return f"{self.count if count is None else count}d{sides}{modifiers}{target}"


@dataclass(frozen=True, slots=True)
class UnaryMinus:
    operand: Node


@dataclass(frozen=True, slots=True)
class BinaryOp:
    operator: ArithmeticOperator
    left: Node
    right: Node
    position: int = 0


@dataclass(frozen=True, slots=True)
class Parenthesized:
    inner: Node


@dataclass(frozen=True, slots=True)
class DiceSet:
    """``(1d20+2, 1d20+5)kh1``: several expressions, keep/drop applied to their totals.

    A group holding a single dice term (``(4d6)kh3``) is not a set: the parser moves its keep/drop onto the
    dice, as d20 does; ``(4d6,)kh3`` (trailing comma) is a set of one value."""

    items: tuple[Node, ...]
    keep_drop: tuple[KeepDrop, ...] = ()


@dataclass(frozen=True, slots=True)
class Tagged:
    """``2d6[fire]``: the operand's value is damage of that type."""

    operand: Node
    damage_type: str


Node: TypeAlias = Number | DiceTerm | UnaryMinus | BinaryOp | Parenthesized | DiceSet | Tagged


@dataclass(frozen=True, slots=True)
class ParsedRoll:
    """A whole command: ``[repeat#]expression [adv|dis] [label]``."""

    root: Node
    expression_text: str
    repeat: int | None = None
    label: str | None = None
    advantage: Advantage | None = None


# --------------------------------------------------------------------------------------------------------
# Rolled tree
# --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Die:
    """One physical die. ``rolled_face`` is what came up; ``face`` is after ``mi``/``ma``."""

    face: int
    rolled_face: int
    dropped: bool = False  # removed by keep/drop
    rerolled: bool = False  # replaced by the die after it
    exploded: bool = False  # added the die after it
    success: bool = False  # passed the success test of a counting roll

    @property
    def kept(self) -> bool:
        return not (self.dropped or self.rerolled)


@dataclass(slots=True)
class RolledDice:
    term: DiceTerm
    count: int  # dice rolled before rerolls/explosions (doubled on a critical hit)
    dice: list[Die]
    value: int


@dataclass(slots=True)
class RolledUnaryMinus:
    operand: RolledNode
    value: int | Decimal


@dataclass(slots=True)
class RolledBinaryOp:
    operator: ArithmeticOperator
    left: RolledNode
    right: RolledNode
    value: int | Decimal


@dataclass(slots=True)
class RolledParenthesized:
    inner: RolledNode
    value: int | Decimal


@dataclass(slots=True)
class RolledSet:
    items: list[RolledNode]
    kept: list[bool]
    keep_drop: tuple[KeepDrop, ...]
    value: int | Decimal


@dataclass(slots=True)
class RolledTagged:
    operand: RolledNode
    damage_type: str
    value: int | Decimal


# A Number is its own rolled form: it has a ``value`` and nothing random.
RolledNode: TypeAlias = (
    Number | RolledDice | RolledUnaryMinus | RolledBinaryOp | RolledParenthesized | RolledSet | RolledTagged
)
