"""Dice rolling for D&D 5e: the public API and the evaluator.

``roll("1d20+5 Stealth")`` parses the text (``dnd.dice_parser``, cached per distinct text), checks the
limits below on the tree before any die is rolled, rolls (``dnd.dice_ast`` rolled tree) and returns a
``RollResult``: plain data (the total, the natural d20, the rolled tree). Its ``str()`` is the rendering of
the renderer given to ``roll`` (:mod:`dnd.render`): the Discord Markdown by default, ``renderer=FACTS`` for
the narrator's plain facts.

Notation (case-insensitive, spaces allowed between terms):

A superset of Avrae's d20 notation (``tests/unit/test_dice_d20_cases.py`` runs d20's own cases), except where
5e tables disagree with d20: ``d%`` is 1-100, a bare ``k3``/``p3`` counts dice, chained keeps apply in turn,
division rounds down.

* ``XdY``, ``dY`` (one die), ``0dY`` (0), ``d%`` (d100), integers and decimals (``1.5``; the total rounds
  down), ``+ - * / // %``, parentheses, any run of unary signs (``--1``).
  ``/`` and ``//`` are floor division (``7/2`` = 3, ``-7/2`` = -4): 5e halves damage rounding down.
* Comparisons ``== != < <= > >=`` (lowest precedence, worth 1 or 0): ``1d20+5 >= 15``; at the top of the
  expression the result's ``success`` says whether it holds.
* Keep/drop, applied to the dice still in play: ``kh``/``kl``/``dh``/``dl`` and d20's ``ph``/``pl`` with a
  count (default 1), ``kN`` = ``khN``, ``dN`` = ``pN`` = ``dlN`` (Roll20); by face: ``k<3``, ``k>3``,
  ``k=3``, ``p<3``... A group holding one dice term passes its keep/drop to the dice (``(4d6)kh3``).
* ``roN`` / ``rrN`` reroll once / until the face no longer matches; ``raN`` rolls one more die and keeps
  both (d20), with ``<N``, ``<=N``, ``>N``, ``>=N``, ``=N``, a bare ``N`` (equals), or ``lN``/``hN`` (the
  lowest/highest N dice, once). ``rr`` stops at the dice limit.
* ``miN`` / ``maN``: faces below / above N count as N.
* ``!`` or ``e`` explode: a die showing its highest face (or matching ``!>5``, ``e6``, ``el1``...) adds
  another die, which may explode again, at most ``MAX_EXPLOSIONS`` times per die; a die explodes only once
  however many explode modifiers follow (``1d6e6e6``). A reroll or explosion that every face triggers
  (``1d1!``, ``1d20e<21``, ``1d6rr<7``) is refused: it could never stop.
* Modifiers chain and apply left to right: ``4d6ro1kh3`` rerolls ones, then keeps the highest three.
* ``10d10>=8`` (also ``>``, ``<``, ``<=``, ``=``) after the modifiers: the term is worth the number of
  successes. An explode comparison binds first: ``10d10!>=8`` explodes on 8+; write ``10d10!>=8>=8``.
* Sets: ``(1d20+2, 1d20+5)kh1`` keep/drop among the values of the expressions.
* ``adv``/``advantage`` and ``dis``/``disadvantage`` before or after the label turn the first ``1d20`` into
  ``2d20kh1``/``2d20kl1``; both together cancel (PHB p. 173).
* Damage types: ``1d8[slashing]+2d6[fire]+3`` gives ``damage_by_type`` ``{"slashing": .., "fire": ..,
  "untyped": 3}``; a tag applies to the term (or parenthesis) right before it.
* Label: text after the expression and a space: ``1d20+5 Stealth check``.
* Repeats: ``6#4d6kh3`` rolls six times; ``total`` is the sum, ``totals`` the list.

``crit=True`` doubles the number of dice in every dice term (5e critical hit), not the modifiers.
"""

from __future__ import annotations

import functools
import math
import operator as operator_module
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dnd.dice_ast import (
    COMPARISON_OPERATORS,
    Advantage,
    BinaryOp,
    Comparison,
    DiceModifier,
    DiceSet,
    DiceTerm,
    Die,
    Explode,
    FaceMinimum,
    KeepDrop,
    Node,
    Number,
    Parenthesized,
    ParsedRoll,
    Rank,
    Reroll,
    RolledBinaryOp,
    RolledDice,
    RolledNode,
    RolledParenthesized,
    RolledSet,
    RolledTagged,
    RolledUnaryMinus,
    Tagged,
    UnaryMinus,
)
from dnd.dice_parser import DiceSyntaxError, describe_position, parse_roll
from dnd.render import RollRenderer

__all__ = [
    "MAX_DEPTH",
    "MAX_DICE",
    "MAX_EXPLOSIONS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_PARENTHESES",
    "MAX_REPEAT",
    "MAX_REROLLS",
    "MAX_SIDES",
    "DiceError",
    "RollResult",
    "roll",
]

MAX_EXPRESSION_LENGTH = 300  # characters, label included
MAX_DICE = 1000  # dice rolled by one call, all repeats, rerolls and explosions included
MAX_SIDES = 10000
MAX_DEPTH = 10  # parenthesis nesting
MAX_PARENTHESES = 15  # "(" in one text: each nested group costs the parser ~0.1 ms
MAX_REPEAT = 20  # the N of N#expr
MAX_REROLLS = MAX_DICE  # per die, for rr: in practice the dice limit (d20 also allows 1000 rolls)
MAX_EXPLOSIONS = 100  # per die

UNTYPED_DAMAGE = "untyped"
_HUGE_DICE_COUNT = 1e6

_SYSTEM_RANDOM = random.SystemRandom()


class DiceError(ValueError):
    """The expression cannot be rolled; the message says what is wrong and, where it can, where."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(slots=True, eq=False)
class RollResult:
    """The outcome of ``roll``. ``str(result)`` is its ``renderer``'s text: by default the Markdown shown on
    Discord (at most 2,000 chars).

    For a repeated roll (``6#4d6kh3``) ``rolls`` holds one result per repetition and ``total`` is their sum;
    otherwise ``rolls`` is empty and ``tree`` holds every die rolled.
    """

    expression: str
    total: int
    label: str | None = None
    natural: int | None = None  # the kept d20 face when the first dice term is a single kept d20
    damage_by_type: dict[str, int] = field(default_factory=dict)
    rolls: list[RollResult] = field(default_factory=list)
    tree: RolledNode | None = None
    crit: bool = False
    renderer: RollRenderer | None = field(default=None, repr=False)  # None: dnd.render.discord.DISCORD
    success: bool | None = None  # "1d20+5 >= 15": whether the comparison at the top holds; None without one

    @property
    def is_natural_20(self) -> bool:
        return self.natural == 20

    @property
    def is_natural_1(self) -> bool:
        return self.natural == 1

    @property
    def totals(self) -> list[int]:
        return [result.total for result in self.rolls] if self.rolls else [self.total]

    def __str__(self) -> str:
        return (self.renderer or _discord_renderer()).render(self)


@functools.cache
def _discord_renderer() -> RollRenderer:
    # Imported on first use, not at the top: the renderers import the engine's results (dnd.combat imports this).
    from dnd.render.discord import DISCORD

    return DISCORD


def roll(expression: str, rng: random.Random | None = None, *, crit: bool = False,
         renderer: RollRenderer | None = None) -> RollResult:
    """Roll ``expression``; raise ``DiceError`` (and nothing else) when it cannot be rolled.

    ``rng``: any ``random.Random`` (seed it for reproducible rolls); default ``random.SystemRandom()``.
    Only ``rng.randint`` is used. ``renderer``: what ``str()`` of the result (and of each repetition) gives;
    None for the Discord Markdown (``dnd.render.discord.DISCORD``).
    """
    if not isinstance(expression, str):
        raise DiceError(f"Expected the expression as text, got {type(expression).__name__}")
    prepared = _prepare(expression)
    parsed = prepared.parsed
    repeat = parsed.repeat or 1
    multiplier = (2 if crit else 1) * repeat
    context = (" after doubling for the critical hit" if crit else "") + (
        f" over {repeat} rolls" if parsed.repeat else ""
    )
    if prepared.dice_count * multiplier > MAX_DICE:
        raise DiceError(f"Too many dice: {prepared.dice_count * multiplier}{context} (limit {MAX_DICE})")
    if prepared.expected_dice * multiplier > MAX_DICE:
        raise DiceError(
            f"Too many dice: {_about(prepared.expected_dice * multiplier)} with rerolls and explosions"
            f"{context} (limit {MAX_DICE})"
        )

    roller = _Roller(rng if rng is not None else _SYSTEM_RANDOM, crit, expression, renderer)
    if parsed.repeat is None:
        return roller.roll_once(prepared, parsed.label)
    rolls = [roller.roll_once(prepared, None) for _ in range(parsed.repeat)]
    damage_by_type: dict[str, int] = {}
    for result in rolls:
        for damage_type, amount in result.damage_by_type.items():
            damage_by_type[damage_type] = damage_by_type.get(damage_type, 0) + amount
    return RollResult(
        expression=f"{parsed.repeat}#{parsed.expression_text}",
        total=sum(result.total for result in rolls),
        label=parsed.label,
        damage_by_type=damage_by_type,
        rolls=rolls,
        crit=crit,
        renderer=renderer,
    )


# --------------------------------------------------------------------------------------------------------
# Preparation: parse once per distinct text, then check the limits on the tree before rolling anything.
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PreparedRoll:
    parsed: ParsedRoll
    root: Node  # parsed.root with advantage applied
    dice_count: int  # dice one repetition rolls before crit doubling, rerolls and explosions
    expected_dice: float  # the same, with the expected number of rerolls and explosions
    has_damage_types: bool


# Parsing costs far more than rolling, and players repeat the same few expressions; trees are immutable.
@functools.lru_cache(maxsize=4096)
def _prepare(expression: str) -> _PreparedRoll:
    try:
        parsed = parse_roll(
            expression,
            max_length=MAX_EXPRESSION_LENGTH,
            max_depth=MAX_DEPTH,
            max_parentheses=MAX_PARENTHESES,
        )
    except DiceSyntaxError as error:
        raise DiceError(str(error), error.position) from None
    if parsed.repeat is not None and parsed.repeat > MAX_REPEAT:
        raise DiceError(f"Too many repeats: {parsed.repeat} (limit {MAX_REPEAT})", 0)
    if parsed.repeat == 0:
        raise DiceError(f'Nothing to repeat: "0#" at position 0 in "{expression}"', 0)
    root = parsed.root
    if parsed.advantage is not None:
        root = _with_advantage(root, parsed.advantage)
    terms = list(_dice_terms(root))
    for term in terms:
        _check_dice_term(term, expression)
    return _PreparedRoll(
        parsed=parsed,
        root=root,
        dice_count=sum(term.count for term in terms),
        expected_dice=sum(term.count * _expected_dice_per_die(term) for term in terms),
        # "[" only ever opens a damage type in an expression (the label is not part of expression_text).
        has_damage_types="[" in parsed.expression_text,
    )


def _dice_terms(node: Node) -> Iterator[DiceTerm]:
    if isinstance(node, DiceTerm):
        yield node
    elif isinstance(node, BinaryOp):
        yield from _dice_terms(node.left)
        yield from _dice_terms(node.right)
    elif isinstance(node, UnaryMinus | Tagged):
        yield from _dice_terms(node.operand)
    elif isinstance(node, Parenthesized):
        yield from _dice_terms(node.inner)
    elif isinstance(node, DiceSet):
        for item in node.items:
            yield from _dice_terms(item)


def _expected_dice_per_die(term: DiceTerm) -> float:
    """Dice one die of ``term`` rolls on average, counting rerolls and explosions (drops ignored)."""
    expected = 1.0
    for modifier in term.modifiers:
        condition = modifier.condition if isinstance(modifier, Reroll | Explode) else None
        if isinstance(condition, Rank):
            # Each ranked die is rerolled or exploded once.
            expected *= 1 + min(condition.count, term.count) / max(term.count, 1)
        elif isinstance(modifier, Reroll):
            chance = _matching_faces(modifier.condition, term.sides) / term.sides
            expected *= 1 + (chance if modifier.once else _geometric_sum(chance, MAX_REROLLS))
        elif isinstance(modifier, Explode):
            chance = _matching_faces(modifier.condition, term.sides) / term.sides
            expected *= 1 + _geometric_sum(chance, MAX_EXPLOSIONS)
        # Chained "!!!..." would overflow a float; anything this large is refused anyway.
        expected = min(expected, _HUGE_DICE_COUNT)
    return expected


def _matching_faces(condition: Comparison | Rank | None, sides: int) -> int:
    """Faces that trigger an explosion or reroll; None is an explosion's default, the highest face."""
    if condition is None:
        return 1
    return condition.count_matching(sides) if isinstance(condition, Comparison) else 0


def _about(dice_count: float) -> str:
    return f"about {round(dice_count)}" if dice_count < _HUGE_DICE_COUNT else "over a million"


def _geometric_sum(chance: float, limit: int) -> float:
    """chance + chance**2 + ... + chance**limit: the expected extra dice of a bounded chain."""
    if chance >= 1:
        return float(limit)
    return chance * (1 - chance**limit) / (1 - chance)


def _check_dice_term(term: DiceTerm, source: str) -> None:
    where = describe_position(source, term.position)
    if term.count > MAX_DICE:
        raise DiceError(f"Too many dice: {term.count} {where} (limit {MAX_DICE})", term.position)
    if term.sides > MAX_SIDES:
        raise DiceError(f"Too many sides: d{term.sides} {where} (limit {MAX_SIDES})", term.position)
    if term.sides < 1:
        raise DiceError(f"A die needs at least 1 side: d{term.sides} {where}", term.position)
    for modifier in term.modifiers:
        _check_never_ending(modifier, term, where)
    expected = term.count * _expected_dice_per_die(term)
    if expected > MAX_DICE:
        raise DiceError(
            f"Too many dice: {term.notation()} would roll {_about(expected)} dice with rerolls and "
            f"explosions {where} (limit {MAX_DICE})",
            term.position,
        )


def _check_never_ending(modifier: DiceModifier, term: DiceTerm, where: str) -> None:
    """Refuse a reroll or explosion that every face triggers: it could never stop (d20 refuses them too)."""
    if isinstance(modifier, Reroll) and not modifier.once:
        if isinstance(modifier.condition, Rank):
            raise DiceError(
                f'"{modifier}": rr needs a face test (rr<3); the lowest or highest die is always there '
                f"to reroll {where}",
                term.position,
            )
        if modifier.condition.count_matching(term.sides) == term.sides:
            raise DiceError(
                f'"{modifier}" would reroll every face of a d{term.sides} forever {where}', term.position
            )
    if (
        isinstance(modifier, Explode)
        and not isinstance(modifier.condition, Rank)
        and _matching_faces(modifier.condition, term.sides) == term.sides
    ):
        raise DiceError(
            f'"{modifier}" would explode every face of a d{term.sides} forever {where}', term.position
        )


def _with_advantage(root: Node, advantage: Advantage) -> Node:
    keep = KeepDrop("kh" if advantage == "advantage" else "kl", 1)
    rewritten = _roll_first_d20_twice(root, keep)
    if rewritten is None:
        raise DiceError(f'{advantage.capitalize()} needs a single d20 to roll twice, e.g. "1d20+5 adv"')
    return rewritten


def _roll_first_d20_twice(node: Node, keep: KeepDrop) -> Node | None:
    """``node`` with its leftmost plain ``1d20`` made ``2d20kh1``/``2d20kl1``; None if it has none."""
    if isinstance(node, DiceTerm):
        plain = node.success_target is None and not any(isinstance(m, KeepDrop) for m in node.modifiers)
        if node.count == 1 and node.sides == 20 and not node.percentile and plain:
            return replace(node, count=2, modifiers=(*node.modifiers, keep))
        return None
    if isinstance(node, BinaryOp):
        if (left := _roll_first_d20_twice(node.left, keep)) is not None:
            return replace(node, left=left)
        if (right := _roll_first_d20_twice(node.right, keep)) is not None:
            return replace(node, right=right)
        return None
    if isinstance(node, UnaryMinus | Tagged):
        operand = _roll_first_d20_twice(node.operand, keep)
        return None if operand is None else replace(node, operand=operand)
    if isinstance(node, Parenthesized):
        inner = _roll_first_d20_twice(node.inner, keep)
        return None if inner is None else replace(node, inner=inner)
    if isinstance(node, DiceSet):
        for index, item in enumerate(node.items):
            if (rewritten := _roll_first_d20_twice(item, keep)) is not None:
                return replace(node, items=(*node.items[:index], rewritten, *node.items[index + 1 :]))
    return None


# --------------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------------


class _Roller:
    """Rolls syntax trees into rolled trees, counting every die against ``MAX_DICE``."""

    __slots__ = ("_crit", "_dice_rolled", "_first_dice", "_randint", "_renderer", "_source")

    def __init__(self, rng: random.Random, crit: bool, source: str, renderer: RollRenderer | None) -> None:
        self._randint = rng.randint
        self._crit = crit
        self._source = source
        self._renderer = renderer
        self._dice_rolled = 0
        self._first_dice: RolledDice | None = None

    def roll_once(self, prepared: _PreparedRoll, label: str | None) -> RollResult:
        self._first_dice = None
        tree = self._evaluate(prepared.root)
        damage_by_type: dict[str, int] = {}
        if prepared.has_damage_types:
            _add_damage(tree, 1, damage_by_type)
        root = prepared.root
        compared = isinstance(root, BinaryOp) and root.operator in COMPARISON_OPERATORS
        return RollResult(
            expression=prepared.parsed.expression_text,
            # Decimal constants (d20's "1.5") make decimal values; the total rounds down like 5e.
            total=tree.value if type(tree.value) is int else math.floor(tree.value),
            label=label,
            natural=self._natural(),
            damage_by_type={kind: math.floor(amount) for kind, amount in damage_by_type.items()},
            tree=tree,
            crit=self._crit,
            renderer=self._renderer,
            success=bool(tree.value) if compared else None,
        )

    def _natural(self) -> int | None:
        first = self._first_dice
        if first is None or first.term.sides != 20 or first.term.success_target is not None:
            return None
        kept = [die for die in first.dice if not die.dropped and not die.rerolled]
        return kept[0].face if len(kept) == 1 else None

    def _evaluate(self, node: Node) -> RolledNode:
        # Exact type checks, most frequent first: this is the hot path of every roll.
        node_type = type(node)
        if node_type is DiceTerm:
            return self._roll_dice(node)  # type: ignore[arg-type]
        if node_type is Number:
            return node  # type: ignore[return-value]
        if node_type is BinaryOp:
            return self._binary(node)  # type: ignore[arg-type]
        if node_type is UnaryMinus:
            operand = self._evaluate(node.operand)  # type: ignore[union-attr]
            return RolledUnaryMinus(operand, -operand.value)
        if node_type is Parenthesized:
            inner = self._evaluate(node.inner)  # type: ignore[union-attr]
            return RolledParenthesized(inner, inner.value)
        if node_type is Tagged:
            operand = self._evaluate(node.operand)  # type: ignore[union-attr]
            return RolledTagged(operand, node.damage_type, operand.value)  # type: ignore[union-attr]
        return self._roll_set(node)  # type: ignore[arg-type]

    def _binary(self, node: BinaryOp) -> RolledBinaryOp:
        left = self._evaluate(node.left)
        right = self._evaluate(node.right)
        operator = node.operator
        if operator == "+":
            value = left.value + right.value
        elif operator == "-":
            value = left.value - right.value
        elif operator == "*":
            value = left.value * right.value
        elif operator in COMPARISON_OPERATORS:
            value = int(_COMPARE[operator](left.value, right.value))
        elif right.value == 0:
            where = describe_position(self._source, node.position)
            raise DiceError(f"{'Modulo' if operator == '%' else 'Division'} by zero {where}", node.position)
        else:
            value = _divide(left.value, right.value, operator == "%")
        return RolledBinaryOp(operator, left, right, value)

    def _roll_set(self, node: DiceSet) -> RolledSet:
        items = [self._evaluate(item) for item in node.items]
        kept = [True] * len(items)
        for keep_drop in node.keep_drop:
            in_play = [index for index in range(len(items)) if kept[index]]
            for index in _indices_to_drop(in_play, [items[index].value for index in in_play], keep_drop):
                kept[index] = False
        value = sum(item.value for item, is_kept in zip(items, kept, strict=True) if is_kept)
        return RolledSet(items, kept, node.keep_drop, value)

    def _roll_dice(self, term: DiceTerm) -> RolledDice:
        count = term.count * 2 if self._crit else term.count
        sides = term.sides
        randint = self._randint
        self._spend(count)
        dice = [Die(face, face) for face in [randint(1, sides) for _ in range(count)]]
        for modifier in term.modifiers:
            dice = self._apply_modifier(dice, sides, modifier)
        value = _dice_value(dice, term.success_target)
        rolled = RolledDice(term, count, dice, value)
        if self._first_dice is None:
            self._first_dice = rolled
        return rolled

    def _apply_modifier(self, dice: list[Die], sides: int, modifier: DiceModifier) -> list[Die]:
        """The dice after one modifier (keep/drop, reroll, explode, minimum or maximum face), in the order typed."""
        modifier_type = type(modifier)
        if modifier_type is KeepDrop:
            in_play = [die for die in dice if not die.dropped and not die.rerolled]
            for index in _indices_to_drop(range(len(in_play)), [die.face for die in in_play], modifier):
                in_play[index].dropped = True
        elif modifier_type is Reroll:
            dice = self._reroll(dice, sides, modifier)  # type: ignore[arg-type]
        elif modifier_type is Explode:
            dice = self._explode(dice, sides, modifier)  # type: ignore[arg-type]
        elif modifier_type is FaceMinimum:
            for die in dice:
                if not die.dropped and not die.rerolled:
                    die.face = max(die.face, modifier.value)  # type: ignore[union-attr]
        else:
            for die in dice:
                if not die.dropped and not die.rerolled:
                    die.face = min(die.face, modifier.value)  # type: ignore[union-attr]
        return dice

    def _reroll(self, dice: list[Die], sides: int, reroll: Reroll) -> list[Die]:
        limit = 1 if reroll.once else MAX_REROLLS
        condition = reroll.condition
        ranked = _ranked(dice, condition) if isinstance(condition, Rank) else None
        result: list[Die] = []
        for die in dice:
            result.append(die)
            rerolls = 0
            # The replacement goes right after the die it replaces, so the rendering reads "~~1~~, 4".
            while (
                not die.dropped
                and not die.rerolled
                and rerolls < limit
                and (id(die) in ranked if ranked is not None else condition.matches(die.face))  # type: ignore[union-attr]
            ):
                self._spend(1)
                # "ra" keeps the die and adds the new one, marked like an explosion ("added the die after it").
                if reroll.kind == "ra":
                    die.exploded = True
                else:
                    die.rerolled = True
                face = self._randint(1, sides)
                die = Die(face, face)
                result.append(die)
                rerolls += 1
        return result

    def _explode(self, dice: list[Die], sides: int, explode: Explode) -> list[Die]:
        condition = explode.condition
        ranked = _ranked(dice, condition) if isinstance(condition, Rank) else None
        result: list[Die] = []
        for die in dice:
            result.append(die)
            # A die that already exploded ("1d6e6e6") has had its extra die: it does not explode again.
            if die.dropped or die.rerolled or die.exploded:
                continue
            if ranked is not None:
                if id(die) in ranked:
                    self._spend(1)
                    die.exploded = True
                    face = self._randint(1, sides)
                    result.append(Die(face, face))
                continue
            explosions = 0
            while explosions < MAX_EXPLOSIONS and (
                die.face == sides if condition is None else condition.matches(die.face)  # type: ignore[union-attr]
            ):
                self._spend(1)
                die.exploded = True
                face = self._randint(1, sides)
                die = Die(face, face)
                result.append(die)
                explosions += 1
        return result

    def _spend(self, dice: int) -> None:
        self._dice_rolled += dice
        if self._dice_rolled > MAX_DICE:
            # Only rerolls and explosions get here: roll() checked the dice written in the expression.
            raise DiceError(f"Too many dice: rerolls and explosions went past {MAX_DICE} (limit {MAX_DICE})")


_COMPARE = {
    "==": operator_module.eq,
    "!=": operator_module.ne,
    "<": operator_module.lt,
    "<=": operator_module.le,
    ">": operator_module.gt,
    ">=": operator_module.ge,
}


def _divide(left: int | Decimal, right: int | Decimal, remainder: bool) -> int | Decimal:
    """``/`` and ``//`` round down (5e halves damage rounding down); ``%`` is what that leaves over."""
    if type(left) is int and type(right) is int:
        return left % right if remainder else left // right
    quotient = math.floor(Decimal(left) / Decimal(right))
    return left - right * quotient if remainder else quotient


def _dice_value(dice: list[Die], target: Comparison | None) -> int:
    """The dice's total, or with a success target the number of dice that meet it (marked as successes)."""
    if target is None:
        return sum(die.face for die in dice if not die.dropped and not die.rerolled)
    value = 0
    for die in dice:
        if not die.dropped and not die.rerolled and target.matches(die.face):
            die.success = True
            value += 1
    return value


def _ranked(dice: list[Die], rank: Rank) -> set[int]:
    """The ids of the ``rank.count`` lowest/highest dice in play (ties to the earlier die)."""
    in_play = [die for die in dice if not die.dropped and not die.rerolled]
    ordered = sorted(in_play, key=lambda die: die.face, reverse=rank.highest)
    return {id(die) for die in ordered[: rank.count]}


def _indices_to_drop(
    indices: range | list[int], values: list[int | Decimal], keep_drop: KeepDrop
) -> list[int]:
    """Which of ``indices`` (with ``values``) ``keep_drop`` removes; ties go to the earlier die."""
    if keep_drop.condition is not None:
        keep = keep_drop.kind[0] == "k"
        matches = keep_drop.condition.matches
        return [index for index, value in zip(indices, values, strict=True) if matches(value) != keep]  # type: ignore[arg-type]
    highest_first = keep_drop.kind in ("kh", "dh")
    ranked = sorted(range(len(values)), key=values.__getitem__, reverse=highest_first)
    count = min(keep_drop.count, len(ranked))
    dropped = ranked[count:] if keep_drop.kind in ("kh", "kl") else ranked[:count]
    return [indices[position] for position in dropped]


def _add_damage(node: RolledNode, sign: int, amounts: dict[str, int]) -> None:
    """Split a total by damage type (only called when the expression has ``[type]`` tags).

    Tagged terms of the top-level sum count for their type; untagged ones go to ``"untyped"``. A product
    or set containing a tag counts wholly for its first tag, since its parts cannot be told apart.
    """
    if isinstance(node, RolledTagged):
        amounts[node.damage_type] = amounts.get(node.damage_type, 0) + sign * node.value
    elif isinstance(node, RolledBinaryOp) and node.operator in "+-":
        _add_damage(node.left, sign, amounts)
        _add_damage(node.right, sign if node.operator == "+" else -sign, amounts)
    elif isinstance(node, RolledParenthesized):
        _add_damage(node.inner, sign, amounts)
    elif isinstance(node, RolledUnaryMinus):
        _add_damage(node.operand, -sign, amounts)
    else:
        damage_type = _first_tag(node) or UNTYPED_DAMAGE
        amounts[damage_type] = amounts.get(damage_type, 0) + sign * node.value


def _children(node: RolledNode) -> list[RolledNode]:
    if isinstance(node, RolledBinaryOp):
        return [node.left, node.right]
    if isinstance(node, RolledUnaryMinus | RolledTagged):
        return [node.operand]
    if isinstance(node, RolledParenthesized):
        return [node.inner]
    if isinstance(node, RolledSet):
        return node.items
    return []


def _first_tag(node: RolledNode) -> str | None:
    if isinstance(node, RolledTagged):
        return node.damage_type
    for child in _children(node):
        if (damage_type := _first_tag(child)) is not None:
            return damage_type
    return None
