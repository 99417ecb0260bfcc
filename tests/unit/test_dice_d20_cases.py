"""d20's own published test cases, run against our engine.

Source: github.com/avrae/d20, tests/test_dice.py at commit ad2ce2533af82645a29bbb79df5d814c93a4a590 (the
expressions and expected results below are copied from its assertions, grouped as it groups them). d20 is
Avrae's dice library: what many players type from habit. Where we deliberately differ (DIFFERENCES), the
test asserts our behaviour; ``!help roll`` and the README list the same differences.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnd.dice import DiceError, roll

SEEDS = range(200)

# (expression, d20's total): deterministic expressions.
EXACT = [
    # test_pemdas
    ("1 + 3 * 6", 19), ("1 + (3 * 6)", 19), ("(1 + 3) * 6", 24), ("1 + 2 + 3", 6), ("(1 + 2) + 3", 6),
    ("1 + (2 + 3)", 6), ("1 + 2 == 2", 0), ("1 + (2 == 2)", 2),
    # test_chaining_operators
    ("(1, 2, 3)k1k2", 3),
    # test_literal
    ("1", 1), ("10000", 10000), ("1.5", 1), ("0.5", 0), (".5", 0),
    # test_dice / test_set
    ("0d6", 0), ("0d%", 0), ("(1)", 1), ("(1,)", 1), ("(1, 1)", 2),
    # test_unop
    ("+1", 1), ("-1", -1), ("--1", 1), ("-+-++---+1", -1),
    # test_binop
    ("2 + 2", 4), ("2 - 2", 0), ("2 * 5", 10), ("15 / 2", 7), ("15 // 2", 7), ("13 % 2", 1),
    # test_comparison
    ("1 == 1", 1), ("1 == 2", 0), ("1 > 1", 0), ("2 > 1", 1), ("1 < 1", 0), ("1 < 2", 1), ("1 >= 1", 1),
    ("1 >= 2", 0), ("1 <= 1", 1), ("2 <= 1", 0), ("1 != 1", 0), ("1 != 2", 1),
    # test_selectors
    ("(1, 2, 3, 4, 5)k<3", 3), ("(1, 2, 3, 4, 5)k>3", 9), ("(1, 2, 3, 4, 5)kl2", 3),
    ("(1, 2, 3, 4, 5)kh2", 9), ("(1)k1", 1),
    # test_k_op / test_p_op
    ("(1, 2, 3, 4, 5)ph1pl1", 9),
    # test_rr_op / test_ro_op / test_ra_op
    ("1d20rr<20", 20), ("1d20rr>1", 1), ("1d1ro1", 1), ("1d1ra1", 2),
    # test_mi_op / test_ma_op
    ("10d6mi6", 60), ("10d6mi10", 100), ("10d6ma1", 10), ("10d6ma0", 0),
]

# (expression, lowest, highest, extra test or None): d20's range assertions, over many seeds.
RANGES = [
    # test_sane_totals (d20's d% lines are in DIFFERENCES)
    ("1d20", 1, 20), ("4d6kh3", 3, 18), ("(((1d6)))", 1, 6), ("(1d4, 2+2, 3d6kl1)kh1", 4, 6),
    ("((10d6kh5)kl2)kh1", 1, 6),
    # test_chaining_operators
    ("10d6k1k2k3", 0, 30), ("10d6k1ph1", 0, 9),
    # test_dice
    ("d6", 1, 6), ("1d6", 1, 6), ("2d6", 2, 12),
    # test_binop_dice
    ("2 + 1d6", 3, 8), ("2 * 1d6", 2, 12), ("1d100 % 10", 0, 10), ("1d% % 10", 0, 10),
    # test_ro_op / test_ra_op
    ("1d6rol1", 1, 6), ("1d6ral1", 2, 12),
]

# d20's STANDARD_EXPRESSIONS: each must roll.
STANDARD_EXPRESSIONS = [
    "1d20", "1d%", "1+1", "4d6kh3", "(1)", "(1,)", "((1d6))", "4*(3d8kh2+9[fire]+(9d2e2+3[cold])/2)",
    "(1d4, 2+2, 3d6kl1)kh1", "((10d6kh5)kl2)kh1",
]

# d20 raises on these (TooManyRolls, RollValueError); we refuse them with a DiceError.
REFUSED = ["1001d6", "6d0", "10d6mil1", "10 / 0", "10 // 0", "10 % 0", "1d20rr<21", "1d1rr1", "1d20e<21",
           "1d1e1"]


def totals(expression: str) -> list[int]:
    return [roll(expression, random.Random(seed)).total for seed in SEEDS]


@pytest.mark.parametrize("expression", STANDARD_EXPRESSIONS)
def test_standard_expressions_roll(expression: str) -> None:
    result = roll(expression, random.Random(1))
    assert isinstance(result.total, int)
    assert str(result)


@pytest.mark.parametrize(("expression", "expected"), EXACT)
def test_exact_results(expression: str, expected: int) -> None:
    assert set(totals(expression)) == {expected}


@pytest.mark.parametrize(("expression", "lowest", "highest"), RANGES)
def test_results_in_range(expression: str, lowest: int, highest: int) -> None:
    assert all(lowest <= total <= highest for total in totals(expression))


def test_division_by_a_die() -> None:
    # test_binop_dice: "60 / 1d6" and "60 // 1d6" are one of 60's divisions by 1..6.
    assert set(totals("60 / 1d6")) | set(totals("60 // 1d6")) <= {60, 30, 20, 15, 12, 10}


def test_explode_on_a_d2_is_odd() -> None:
    # test_e_op: every explosion adds a 2, the last die is a 1.
    assert all(total % 2 == 1 for total in totals("1d2e2"))


@pytest.mark.parametrize("expression", REFUSED)
def test_refused(expression: str) -> None:
    with pytest.raises(DiceError):
        roll(expression, random.Random(1))


# ---------------------------------------------------------------------------------------------- differences
# d20's assertion, then ours: the SRD and common tables disagree with d20 here.


def test_percentile_die_is_1_to_100() -> None:
    # d20: 0 <= 1d% <= 90, a multiple of 10 (a tens die). The PHB's d100 is 1-100 (two d10s read together).
    results = totals("1d%") + totals("d%")
    assert min(results) >= 1 and max(results) <= 100
    assert any(total % 10 for total in results)
    assert all(200 >= total >= 2 for total in totals("2d%"))


@pytest.mark.parametrize(
    ("expression", "d20_total", "ours"),
    [
        # A bare number after k/p counts dice (Roll20's "4d6k3"), d20's selects faces equal to it.
        ("(1, 2, 3, 4, 5)k3", 3, 12),
        ("(1, 2, 3, 4, 5)k1k2", 3, 5),
        ("(1)k2", 0, 1),
        ("(1, 2, 3, 4, 5)p3", 12, 9),
        ("(1, 2, 3, 4, 5)p1p2", 12, 9),
        # Chained keeps apply in turn to what is still kept; d20 keeps the union of the selections.
        ("(1, 2, 3, 4, 5)kh1kl1", 6, 5),
    ],
)
def test_bare_keep_counts_dice(expression: str, d20_total: int, ours: int) -> None:
    assert set(totals(expression)) == {ours} != {d20_total}


def test_face_selection_by_equals() -> None:
    # What d20 writes "k3" we write "k=3".
    assert roll("(1, 2, 3, 4, 5)k=3").total == 3
    assert roll("(1, 2, 3, 4, 5)p=3").total == 12


def test_negative_division_rounds_down() -> None:
    # 5e halves rounding down; d20 truncates decimals toward zero.
    assert roll("-7 / 2").total == -4
    assert roll("-1.5").total == -2


def test_comparison_shows_success_or_failure() -> None:
    result = roll("1d20+5 >= 15", random.Random(3))
    assert result.total in (0, 1)
    assert result.success is (result.total == 1)
    assert ("**Success**" if result.success else "**Failure**") in str(result)


def test_keep_on_a_group_with_one_roll_keeps_its_dice() -> None:
    # d20: "(4d6)kh3" keeps three of the four dice, not the group's one value.
    for seed in SEEDS:
        grouped = roll("(4d6)kh3", random.Random(seed))
        plain = roll("4d6kh3", random.Random(seed))
        assert grouped.total == plain.total
    assert 4 <= roll("(4d6,)kh3", random.Random(1)).total <= 24  # a trailing comma makes a set of one value


def test_an_exploded_die_does_not_explode_twice() -> None:
    # "1d6e6e6": the second e6 finds the 6 already exploded; the chain is the first's.
    for seed in SEEDS:
        assert roll("1d6e6e6", random.Random(seed)).total == roll("1d6e6", random.Random(seed)).total


def test_coin_labels_are_not_taken_for_drop_modifiers() -> None:
    # d20's "p" must not turn the coins "ep" and "pp" after a space into a stray modifier.
    assert roll("3d6 ep", random.Random(1)).label == "ep"
    assert roll("1d6*10 pp", random.Random(1)).label == "pp"
    with pytest.raises(DiceError, match="space before modifier"):
        roll("4d6 ph1")


# ---------------------------------------------------------------------------------------------- d20's grammar
# d20's tests/custom_strategies.py (same commit) generates expressions from its grammar; this is that strategy
# (written here, smaller numbers), minus what d20 itself refuses when rolling (a selector on mi/ma) and with
# annotations drawn from damage-type words (ours are damage types, not free text). Every expression must parse
# here: a refusal may only be about limits or values (too many dice, d0, division by zero, endless rerolls).

_integer = st.integers(min_value=0, max_value=30).map(str)
_selector = st.tuples(st.sampled_from(["", "l", "h", "<", ">"]), _integer).map("".join)
_annotation = st.sampled_from(["", "[fire]", "[cold]", "[magic missile]"])


def _join(parts: st.SearchStrategy[str], operators: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(operators, parts), min_size=0, max_size=2).flatmap(
        lambda rest: parts.map(lambda first: first + "".join(op + part for op, part in rest)))


def _grammar(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    set_items = st.lists(children, min_size=1, max_size=3).map(", ".join)
    rule_set = st.tuples(
        st.one_of(st.just("()"), st.tuples(set_items, st.sampled_from(["", ","])).map(lambda t: f"({t[0]}{t[1]})")),
        st.lists(st.tuples(st.sampled_from("kp"), _selector).map("".join), max_size=2).map("".join),
    ).map("".join)
    unary = st.tuples(st.sampled_from(["", "-", "+", "--", "-+"]), rule_set, _annotation).map("".join)
    product = _join(unary, st.sampled_from(["*", "//", "/", "%"]))
    total = _join(product, st.sampled_from("+-"))
    return _join(total, st.sampled_from(["==", ">=", "<=", "!=", "<", ">"]))


_dice = st.tuples(
    st.sampled_from(["", "1", "2", "4", "10"]), st.just("d"), st.sampled_from(["1", "2", "6", "20", "%"]),
    st.lists(st.one_of(
        st.tuples(st.sampled_from(["rr", "ro", "ra", "e", "k", "p"]), _selector).map("".join),
        st.tuples(st.sampled_from(["mi", "ma"]), _integer).map("".join),
    ), max_size=3).map("".join),
).map("".join)
_literal = st.one_of(_integer, st.tuples(_integer, st.just("."), st.sampled_from(["", "5", "25"])).map("".join),
                     st.sampled_from([".5", ".25"]))
_d20_expression = st.recursive(st.one_of(_dice, _literal), _grammar, max_leaves=6)


@given(_d20_expression)
@settings(max_examples=300, deadline=None)
def test_every_expression_of_d20s_grammar_parses(expression: str) -> None:
    try:
        roll(expression, random.Random(0))
    except DiceError as error:
        assert "Unexpected" not in str(error) and "too deeply" not in str(error).casefold(), (expression, error)


def test_natural_20_and_1_are_told() -> None:
    # test_crit: d20's CritType.CRIT / FAIL / NONE on a 1d20 is our natural 20 / 1 / neither.
    results = [roll("1d20", random.Random(seed)) for seed in SEEDS]
    assert all(result.natural == result.total for result in results)
    assert {result.is_natural_20 for result in results if result.total == 20} == {True}
    assert {result.is_natural_1 for result in results if result.total == 1} == {True}
    assert not any(result.is_natural_1 or result.is_natural_20 for result in results if 1 < result.total < 20)
