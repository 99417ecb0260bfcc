"""Pyparsing grammar turning dice notation into a ``dnd.dice_ast.ParsedRoll``.

Pure and stateless apart from the grammar objects built at import. Knows nothing about rolling or about
the size limits on dice (``dnd.dice`` checks those on the tree); it only guards what would make pyparsing
itself slow or recurse too deep: the text's length, control characters, parenthesis depth and count.

Grammar (case-insensitive; whitespace allowed between tokens, not inside a dice term)::

    roll       := [N "#"] expression [label]
    expression := operand (operator operand)*                      precedence applied by _combine
    operator   := + - * / // % == != < <= > >= ,
    operand    := factor | sign* "(" expression [","] ")" [keep/drop...] ["[" damage type "]"]
    factor     := sign* (dice | number) ["[" damage type "]"]        number: 12, 1.5, .5
    dice       := [count] "d" (sides | "%") modifier* [comparison integer]
    modifier   := (kh|kl|dh|dl|ph|pl|k|d|p)[n] | (k|p)comparison n | (ro|rr|ra)selector
                  | (mi|ma)n | (!|e)[selector]
    selector   := [comparison] n | (l|h) n
    label      := whitespace, then free text not starting with a digit or an operator

``*``, ``/``, ``//`` and ``%`` bind tighter than ``+`` and ``-``, which bind tighter than the comparisons
(worth 1 or 0), all left-associative; commas separate the items of a set and are only accepted inside
parentheses. A run of factors and operators is matched by one regex
token (pyparsing's cost is per element tried, and rejection must stay fast); parentheses recurse.

Words ``adv``/``advantage`` and ``dis``/``disadvantage`` at the start or end of the label are taken out of
it and reported in ``ParsedRoll.advantage`` (both together cancel out, as in 5e).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pyparsing as pp

from dnd.dice_ast import (
    COMPARISON_OPERATORS,
    Advantage,
    BinaryOp,
    Comparison,
    DiceModifier,
    DiceSet,
    DiceTerm,
    Explode,
    FaceMaximum,
    FaceMinimum,
    KeepDrop,
    Node,
    Number,
    Parenthesized,
    ParsedRoll,
    Rank,
    Reroll,
    Tagged,
    UnaryMinus,
)
from dnd.phrases import advantage_word

__all__ = ["DiceSyntaxError", "describe_position", "excerpt", "parse_roll"]


class DiceSyntaxError(ValueError):
    """The text is not valid dice notation; ``position`` is the 0-based index of the problem."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


_EXCERPT_WIDTH = 60


def excerpt(text: str, position: int | None = None) -> str:
    """``text`` quoted for an error message, cut around ``position`` when long."""
    if len(text) <= _EXCERPT_WIDTH:
        return f'"{text}"'
    center = 0 if position is None else position
    start = max(0, min(center - _EXCERPT_WIDTH // 2, len(text) - _EXCERPT_WIDTH))
    end = start + _EXCERPT_WIDTH
    return f'"{"…" if start else ""}{text[start:end]}{"…" if end < len(text) else ""}"'


def describe_position(text: str, position: int) -> str:
    return f"at position {position} in {excerpt(text, position)}"


# --------------------------------------------------------------------------------------------------------
# Token patterns. A run of plain factors joined by operators ("1d20+5", "2d6[fire]*2-1") is one regex token:
# pyparsing's per-element overhead is what makes long inputs slow, and a dice term must not contain spaces
# anyway ("4d6 kh3" is not "4d6kh3"). Parentheses, sets and precedence are handled by the grammar.
# --------------------------------------------------------------------------------------------------------

_COMPARE = r"(?:[<>]=?|=)"
_SELECTOR = rf"(?:{_COMPARE}?\d+|[lh]\d+)"
# "k<3" before "k": the keep count is optional, so "k" alone would match and leave "<3" behind.
_MODIFIER = rf"(?:[kp]{_COMPARE}\d+|[kdp][hl]?\d*|r[ora]{_SELECTOR}|m[ia]\d+|[!e]{_SELECTOR}?)"
# Binary operators, longest first ("//" before "/", "<=" before "<").
_BINARY = r"(?://|==|!=|<=|>=|[-+*/%<>])"


_DAMAGE_TYPE = r"[a-z][a-z '\-]{0,39}?"
_SET_KEEP = rf"(?:[kp]{_COMPARE}\d+|[kp][hl]?\d*|d[hl]\d*)"


def _name(name: str, named: bool) -> str:
    # Group names only in the patterns used to take a match apart; the token patterns repeat sub-patterns.
    return f"?P<{name}>" if named else "?:"


def _plain_factor_pattern(named: bool) -> str:
    """``[sign] (dice | integer) [damage type]``."""
    # Possessive "\s*+": a run of spaces must not be split between neighbouring "\s*" in every possible way
    # when a match fails (that backtracking made "1+<290 spaces>x" take milliseconds).
    return (
        rf"({_name('sign', named)}[-+]++)?\s*+"
        rf"(?:({_name('count', named)}\d*)d({_name('sides', named)}\d+|%)"
        rf"({_name('modifiers', named)}{_MODIFIER}*)({_name('target', named)}{_COMPARE}\d+)?"
        rf"|({_name('number', named)}\d+(?:\.\d*)?|\.\d+))"
        rf"(?:\s*+\[\s*+({_name('damage_type', named)}{_DAMAGE_TYPE})\s*\])?"
    )


def _chain_pattern(factor: str) -> str:
    # Commas (set items) are chained like operators; ``_combine`` splits on them.
    return rf"{factor}(?:\s*+(?:{_BINARY}|,)\s*+{factor})*"


def _factor_pattern(named: bool) -> str:
    """A plain factor, or a parenthesis holding only plain factors: ``-(1d6+2, 3)kh1[fire]``.

    Innermost parentheses are matched here rather than by the grammar's recursion because each grammar
    element tried costs pyparsing microseconds; only parentheses that contain parentheses recurse.
    """
    group = (
        rf"({_name('group_sign', named)}[-+]++)?\s*+\(\s*+"
        rf"({_name('group_inner', named)}{_chain_pattern(_plain_factor_pattern(named=False))})"
        rf"\s*+({_name('group_comma', named)},\s*+)?"
        rf"\)({_name('group_keep_drop', named)}{_SET_KEEP}*)"
        rf"(?:\s*+\[\s*+({_name('group_damage_type', named)}{_DAMAGE_TYPE})\s*\])?"
    )
    return rf"(?:{_plain_factor_pattern(named)}|{group})"


_FACTOR = re.compile(_factor_pattern(named=True), re.IGNORECASE)
_FACTOR_CHAIN_PATTERN = _chain_pattern(_factor_pattern(named=False))
_OPERATOR = re.compile(rf"\s*({_BINARY}|,)\s*")
_MODIFIER_PARTS = re.compile(
    rf"(?P<keep_if>[kp])(?P<keep_test>{_COMPARE}\d+)"
    rf"|(?P<keep>[kdp][hl]?)(?P<keep_count>\d*)"
    rf"|(?P<reroll>r[ora])(?P<reroll_test>{_SELECTOR})"
    rf"|(?P<limit>m[ia])(?P<limit_value>\d+)"
    rf"|[!e](?P<explode_test>{_SELECTOR})?",
    re.IGNORECASE,
)
_SET_KEEP_PARTS = re.compile(rf"([kp])({_COMPARE}\d+)|([kp][hl]?|d[hl])(\d*)", re.IGNORECASE)
_GROUP_CLOSE = re.compile(
    rf"\)(?P<keep_drop>{_SET_KEEP}*)(?:\s*+\[\s*+(?P<damage_type>{_DAMAGE_TYPE})\s*\])?", re.IGNORECASE
)
_COMPARISON_PARTS = re.compile(r"([<>]=?|=)?(\d+)")
# A label word that is really a modifier typed after a space: "4d6 kh3".
_STRAY_MODIFIER = re.compile(rf"(?:{_MODIFIER})+(?:{_COMPARE}\d+)?", re.IGNORECASE)

# "p"/"ph"/"pl" are d20's drop; a bare "k3"/"p3"/"d3" counts dice (Roll20), d20's "k3" keeps faces of 3.
_KEEP_KINDS = {"k": "kh", "kh": "kh", "kl": "kl", "d": "dl", "dh": "dh", "dl": "dl", "p": "dl", "ph": "dh",
               "pl": "dl"}
# Control characters (other than tab/newline/CR) and lone surrogates never belong in a roll.
_FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class _Operator:
    symbol: str
    position: int


@dataclass(frozen=True, slots=True)
class _Items:
    """Comma-separated expressions: the inside of a set."""

    items: tuple[Node, ...]
    first_comma: int


@dataclass(frozen=True, slots=True)
class _GroupOpen:
    negative: bool


@dataclass(frozen=True, slots=True)
class _TrailingComma:
    """``(1,)``: a set of one item (d20)."""


@dataclass(frozen=True, slots=True)
class _GroupClose:
    keep_drop: tuple[KeepDrop, ...]
    damage_type: str | None


@dataclass(frozen=True, slots=True)
class _Repeat:
    count: int
    end: int


@dataclass(frozen=True, slots=True)
class _Label:
    text: str
    position: int


def _comparison(text: str) -> Comparison:
    match = _COMPARISON_PARTS.fullmatch(text)
    assert match is not None  # the token regex already accepted it
    operator = match.group(1) or "="
    return Comparison(operator, int(match.group(2)))  # type: ignore[arg-type]


def _selector(text: str) -> Comparison | Rank:
    if text[0] in "lh":
        return Rank(highest=text[0] == "h", count=int(text[1:]))
    return _comparison(text)


def _keep_drop(kind: str, count: str) -> KeepDrop:
    return KeepDrop(_KEEP_KINDS[kind], int(count) if count else 1)  # type: ignore[arg-type]


def _keep_if(kind: str, test: str) -> KeepDrop:
    return KeepDrop("kh" if kind == "k" else "dl", 0, _comparison(test))


def _modifiers(text: str) -> tuple[DiceModifier, ...]:
    modifiers: list[DiceModifier] = []
    for match in _MODIFIER_PARTS.finditer(text.lower()):
        if keep_if := match.group("keep_if"):
            modifiers.append(_keep_if(keep_if, match.group("keep_test")))
        elif keep := match.group("keep"):
            modifiers.append(_keep_drop(keep, match.group("keep_count")))
        elif reroll := match.group("reroll"):
            modifiers.append(Reroll(reroll, _selector(match.group("reroll_test"))))  # type: ignore[arg-type]
        elif limit := match.group("limit"):
            value = int(match.group("limit_value"))
            modifiers.append(FaceMinimum(value) if limit == "mi" else FaceMaximum(value))
        else:
            test = match.group("explode_test")
            modifiers.append(Explode(_selector(test) if test else None))
    return tuple(modifiers)


def _factor_node(match: re.Match[str], offset: int) -> Node:
    inner = match.group("group_inner")
    if inner is not None:
        return _group_node(
            _combine(_chain_items(inner, offset + match.start("group_inner"))),
            keep_drop=_set_keep_drop(match.group("group_keep_drop")),
            damage_type=match.group("group_damage_type"),
            negative=_is_negative(match.group("group_sign")),
            trailing_comma=match.group("group_comma") is not None,
        )
    node: Node
    number = match.group("number")
    if number is not None:
        node = Number(Decimal(number) if "." in number else int(number))
    else:
        count = match.group("count")
        sides = match.group("sides")
        target = match.group("target")
        node = DiceTerm(
            count=int(count) if count else 1,
            sides=100 if sides == "%" else int(sides),
            modifiers=_modifiers(match.group("modifiers")),
            success_target=_comparison(target) if target else None,
            percentile=sides == "%",
            position=offset + match.start("count"),
        )
    damage_type = match.group("damage_type")
    if damage_type is not None:
        node = Tagged(node, _damage_type_name(damage_type))
    if _is_negative(match.group("sign")):
        node = UnaryMinus(node)
    return node


def _is_negative(signs: str | None) -> bool:
    # "--1" is 1, "-+-1" is -1 (d20 accepts any run of signs).
    return signs is not None and signs.count("-") % 2 == 1


def _damage_type_name(text: str) -> str:
    return " ".join(text.lower().split())


def _set_keep_drop(text: str) -> tuple[KeepDrop, ...]:
    return tuple(
        _keep_if(kind_if.lower(), test) if kind_if else _keep_drop(kind.lower(), count)
        for kind_if, test, kind, count in _SET_KEEP_PARTS.findall(text)
    )


def _chain_items(text: str, offset: int) -> list[Node | _Operator]:
    """Split a run of factors and operators (``offset`` into the source) into a flat list."""
    items: list[Node | _Operator] = []
    position = 0
    while True:
        factor = _FACTOR.match(text, position)
        assert factor is not None  # the token pattern that matched is made of these
        items.append(_factor_node(factor, offset))
        position = factor.end()
        operator = _OPERATOR.match(text, position)
        if operator is None:
            return items
        items.append(_Operator(operator.group(1), offset + operator.start(1)))
        position = operator.end()


def _on_group_close(tokens: pp.ParseResults) -> _GroupClose:
    match = _GROUP_CLOSE.fullmatch(tokens[0])
    assert match is not None  # same pattern as the token that matched
    return _GroupClose(_set_keep_drop(match.group("keep_drop")), match.group("damage_type"))


def _group_node(
    inner: Node | _Items,
    keep_drop: tuple[KeepDrop, ...],
    damage_type: str | None,
    negative: bool,
    trailing_comma: bool = False,
) -> Node:
    """``[-](a, b, ...)[keep/drop][damage type]``: a set when it has commas or keep/drop, else a group.

    The keep/drop of a group holding only one dice term applies to its dice (``(4d6)kh3`` keeps three).
    """
    node: Node
    dice = _single_dice(inner)
    if isinstance(inner, _Items):
        node = DiceSet(inner.items, keep_drop)
    elif trailing_comma:
        node = DiceSet((inner,), keep_drop)
    elif keep_drop and dice is not None:
        node = DiceTerm(
            dice.count, dice.sides, (*dice.modifiers, *keep_drop), None, dice.percentile, dice.position
        )
    elif keep_drop:
        node = DiceSet((inner,), keep_drop)
    else:
        node = Parenthesized(inner)
    if damage_type is not None:
        node = Tagged(node, _damage_type_name(damage_type))
    if negative:
        node = UnaryMinus(node)
    return node


def _single_dice(inner: Node | _Items) -> DiceTerm | None:
    """The dice term that ``inner`` is, through plain parentheses; None otherwise or if it counts successes."""
    while isinstance(inner, Parenthesized):
        inner = inner.inner
    if isinstance(inner, DiceTerm) and inner.success_target is None:
        return inner
    return None


def _on_group(tokens: pp.ParseResults) -> Node:
    opening: _GroupOpen = tokens[0]
    closing: _GroupClose = tokens[-1]
    trailing_comma = len(tokens) > 3 and isinstance(tokens[2], _TrailingComma)
    return _group_node(tokens[1], closing.keep_drop, closing.damage_type, opening.negative, trailing_comma)


def _combine(tokens: list[Node | _Operator] | pp.ParseResults) -> Node | _Items:
    """``operand (operator operand)*``; commas (lowest precedence) separate the items of a set."""
    items: list[Node] = []
    first_comma: int | None = None
    segment: list[Node | _Operator] = [tokens[0]]
    for index in range(1, len(tokens), 2):
        operator: _Operator = tokens[index]  # type: ignore[assignment]
        if operator.symbol == ",":
            items.append(_fold_arithmetic(segment))
            first_comma = operator.position if first_comma is None else first_comma
            segment = [tokens[index + 1]]
        else:
            segment += [operator, tokens[index + 1]]
    items.append(_fold_arithmetic(segment))
    return items[0] if first_comma is None else _Items(tuple(items), first_comma)


def _fold_arithmetic(segment: list[Node | _Operator]) -> Node:
    """Fold ``operand (operator operand)*``: products, then sums, then comparisons, all left-associative."""
    node: Node | None = None
    comparison: _Operator | None = None
    start = 0
    for index in [*range(1, len(segment), 2), len(segment)]:
        operator = segment[index] if index < len(segment) else None
        if operator is not None and operator.symbol not in COMPARISON_OPERATORS:  # type: ignore[union-attr]
            continue
        side = _fold_sum(segment[start:index])
        node = side if comparison is None else BinaryOp(
            comparison.symbol, node, side, comparison.position  # type: ignore[arg-type]
        )
        comparison, start = operator, index + 1  # type: ignore[assignment]
    assert node is not None
    return node


def _fold_sum(segment: list[Node | _Operator]) -> Node:
    """``*``, ``/``, ``//`` and ``%`` before ``+`` and ``-``, all left-associative."""
    terms: list[Node] = []
    term_operators: list[_Operator] = []
    product: Node = segment[0]  # type: ignore[assignment]
    for index in range(1, len(segment), 2):
        operator: _Operator = segment[index]  # type: ignore[assignment]
        operand: Node = segment[index + 1]  # type: ignore[assignment]
        if operator.symbol in ("*", "/", "//", "%"):
            product = BinaryOp(operator.symbol, product, operand, operator.position)  # type: ignore[arg-type]
        else:
            terms.append(product)
            term_operators.append(operator)
            product = operand
    terms.append(product)
    node = terms[0]
    for operator, term in zip(term_operators, terms[1:], strict=True):
        node = BinaryOp(operator.symbol, node, term, operator.position)  # type: ignore[arg-type]
    return node


def _build_grammar() -> tuple[pp.ParserElement, pp.ParserElement]:
    expression = pp.Forward()

    factor_chain = pp.Regex(_FACTOR_CHAIN_PATTERN, flags=re.IGNORECASE)
    factor_chain.set_parse_action(lambda _source, loc, tokens: _chain_items(tokens[0], loc))

    # Group punctuation is folded into few regex tokens (sign with "(", keep/drop and damage type with ")")
    # because every pyparsing element tried costs microseconds, and rejecting bad input must stay fast.
    group_open = pp.Regex(r"[-+]*+\s*\(").set_parse_action(lambda tokens: _GroupOpen(_is_negative(tokens[0])))
    trailing_comma = pp.Regex(r",(?=\s*\))").set_parse_action(lambda: _TrailingComma())
    group_close = pp.Regex(_GROUP_CLOSE.pattern, flags=re.IGNORECASE).set_name('")"')
    group_close.set_parse_action(_on_group_close)
    # "()" is d20's empty set, worth 0.
    empty = pp.Empty().set_parse_action(lambda: _Items((), 0))
    signed_group = (group_open - (expression - pp.Opt(trailing_comma) | empty) - group_close).set_parse_action(
        _on_group)

    operand = (factor_chain | signed_group).set_name('a number, dice or "("')
    # A comma followed by ")" is a trailing comma (the group takes it), not an operator.
    binary = pp.Regex(rf"{_BINARY}|,(?!\s*\))").set_parse_action(
        lambda _source, loc, tokens: _Operator(tokens[0], loc)
    )
    expression <<= (operand + pp.ZeroOrMore(binary - operand)).set_parse_action(_combine)

    repeat = pp.Regex(r"(\d+)\s*#").set_parse_action(
        lambda _source, loc, tokens: _Repeat(int(tokens[0].rstrip("#").strip()), loc + len(tokens[0]))
    )
    label = pp.Regex(r"[^\d\s+\-*/()\[\]<>=!#%.,][\s\S]*")
    label.set_parse_action(lambda _source, loc, tokens: _Label(tokens[0], loc))
    # A label must be separated from the expression, so "1d20+5x" is an error rather than label "x".
    # (Added after set_parse_action, which would otherwise replace it.)
    label.add_condition(lambda source, loc, _tokens: loc > 0 and source[loc - 1].isspace())

    roll = pp.Opt(repeat) + expression - pp.Opt(label) - pp.StringEnd()
    return roll, operand


_ROLL_GRAMMAR, _OPERAND = _build_grammar()


def _check_text(text: str, max_length: int, max_depth: int, max_parentheses: int) -> None:
    """Cheap checks that keep pyparsing away from input that would be slow or recurse too deep.

    A run of factors, operators and innermost parentheses is one regex match, but each parenthesis that
    holds another costs pyparsing about fifteen element attempts, so the number of "(" (not just the
    length) bounds the time to parse or reject a text.
    """
    if len(text) > max_length:
        raise DiceSyntaxError(f"Expression too long: {len(text)} characters (limit {max_length})")
    if not text.strip():
        raise DiceSyntaxError("Empty expression: try something like 1d20+5")
    forbidden = _FORBIDDEN_CHARACTER.search(text)
    if forbidden is not None:
        character = forbidden.group().encode("unicode_escape", "backslashreplace").decode("ascii")
        raise DiceSyntaxError(
            f"Unexpected control character {character} at position {forbidden.start()}", forbidden.start()
        )
    if text.count("(") > max_depth:
        depth = 0
        for index, character in enumerate(text):
            if character == "(":
                depth += 1
                if depth > max_depth:
                    raise DiceSyntaxError(
                        f"Too deeply nested: more than {max_depth} levels of parentheses "
                        + describe_position(text, index),
                        index,
                    )
            elif character == ")" and depth:
                depth -= 1
    if (parentheses := text.count("(")) > max_parentheses:
        raise DiceSyntaxError(f"Too many parentheses: {parentheses} (limit {max_parentheses})")


def _syntax_error(text: str, error: pp.ParseBaseException) -> DiceSyntaxError:
    position = error.loc
    while position < len(text) and text[position].isspace():
        position += 1
    expected = ""
    if error.parser_element is _OPERAND or "a number, dice" in error.msg:
        expected = ' (expected a number, dice or "(")'
    elif '")"' in error.msg:
        expected = ' (expected ")")'
    if position >= len(text):
        where = describe_position(text, position)
        return DiceSyntaxError(f"Unexpected end of input {where}{expected}", position)
    return DiceSyntaxError(
        f'Unexpected "{text[position]}" {describe_position(text, position)}{expected}', position
    )


def _is_stray_modifier(word: str) -> bool:
    """A label word that is a modifier typed after a space ("4d6 kh3"), not a word such as "ep" or "pp" (coins):
    d20's "p" makes those modifiers only with a count."""
    if not _STRAY_MODIFIER.fullmatch(word) or advantage_word(word) is not None:
        return False
    return "p" not in word.casefold() or any(character.isdigit() for character in word)


def _split_label(text: str, label: _Label) -> tuple[str | None, Advantage | None]:
    words = label.text.split()
    if _is_stray_modifier(words[0]):
        raise DiceSyntaxError(
            f'Unexpected space before modifier "{words[0]}" {describe_position(text, label.position)}'
            " (write modifiers right after the dice, e.g. 4d6kh3)",
            label.position,
        )
    found: set[Advantage] = set()
    while words and (leading := advantage_word(words[0])) is not None:
        found.add(leading)
        words.pop(0)
    while words and (trailing := advantage_word(words[-1])) is not None:
        found.add(trailing)
        words.pop()
    # Advantage and disadvantage together cancel out (PHB p. 173).
    advantage = found.pop() if len(found) == 1 else None
    return (" ".join(words) or None), advantage


def parse_roll(text: str, *, max_length: int, max_depth: int, max_parentheses: int) -> ParsedRoll:
    """Parse ``text`` or raise ``DiceSyntaxError`` saying what is wrong and where.

    The limits are the caller's policy (``dnd.dice`` owns the constants); they are checked on the raw text
    before pyparsing runs, so any rejected text costs at most a bounded parse.
    """
    _check_text(text, max_length, max_depth, max_parentheses)
    try:
        tokens = _ROLL_GRAMMAR.parse_string(text, parse_all=False)
    except pp.ParseBaseException as error:
        raise _syntax_error(text, error) from None
    except RecursionError:
        raise DiceSyntaxError("Expression too deeply nested") from None

    repeat: _Repeat | None = None
    label: _Label | None = None
    root: Node | _Items | None = None
    for token in tokens:
        if isinstance(token, _Repeat):
            repeat = token
        elif isinstance(token, _Label):
            label = token
        else:
            root = token
    assert root is not None
    if isinstance(root, _Items):
        raise DiceSyntaxError(
            f'Unexpected "," {describe_position(text, root.first_comma)}'
            ' (a set needs parentheses: "(1d20, 1d20)kh1")',
            root.first_comma,
        )

    label_text, advantage = _split_label(text, label) if label is not None else (None, None)
    expression_text = text[repeat.end if repeat else 0 : label.position if label else len(text)].strip()
    return ParsedRoll(
        root=root,
        expression_text=expression_text,
        repeat=repeat.count if repeat else None,
        label=label_text,
        advantage=advantage,
    )
