"""Unit tests for the dice engine: notation, rendering, limits and error messages.

Most tests script the faces with ``ScriptedRandom`` so totals and renderings can be asserted exactly.
"""

from __future__ import annotations

import random
import time
from collections import deque

import pytest

from dnd import dice
from dnd.dice import (
    MAX_DEPTH,
    MAX_DICE,
    MAX_EXPLOSIONS,
    MAX_EXPRESSION_LENGTH,
    MAX_PARENTHESES,
    MAX_REPEAT,
    MAX_REROLLS,
    MAX_SIDES,
    DiceError,
    RollResult,
    roll,
)
from dnd.render.discord import MAX_MESSAGE_LENGTH, render_roll


class ScriptedRandom(random.Random):
    """Returns the given faces in order and records each ``randint`` range asked for."""

    def __init__(self, *faces: int, repeat_last: bool = False) -> None:
        super().__init__(0)
        self.faces = deque(faces)
        self.repeat_last = repeat_last
        self.ranges: list[tuple[int, int]] = []

    def randint(self, a: int, b: int) -> int:
        self.ranges.append((a, b))
        face = self.faces[0] if self.repeat_last and len(self.faces) == 1 else self.faces.popleft()
        assert a <= face <= b, f"scripted face {face} outside {a}..{b}"
        return face


def scripted(expression: str, *faces: int, crit: bool = False) -> RollResult:
    rng = ScriptedRandom(*faces)
    result = roll(expression, rng, crit=crit)
    assert not rng.faces, f"unused scripted faces {list(rng.faces)}"
    return result


def fastest_rejection_seconds(expression: str, attempts: int = 3) -> float:
    """Best of a few timings, so a scheduler stall on a busy machine does not fail the test."""
    timings = []
    for _ in range(attempts):
        started = time.perf_counter()
        with pytest.raises(DiceError):
            roll(expression)
        timings.append(time.perf_counter() - started)
    return min(timings)


def error_message(expression: str, **kwargs: object) -> str:
    with pytest.raises(DiceError) as caught:
        roll(expression, random.Random(1), **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --------------------------------------------------------------------------------------------------------
# Basic notation and arithmetic
# --------------------------------------------------------------------------------------------------------


def test_d20_plus_modifier_total_and_rendering() -> None:
    result = scripted("1d20+5", 12)
    assert result.total == 17
    assert str(result) == "1d20 (12) + 5 = `17`"
    assert result.expression == "1d20+5"
    assert result.label is None
    assert result.natural == 12
    assert result.rolls == [] and result.totals == [17]


def test_natural_20_is_bold_and_noted() -> None:
    result = scripted("1d20+5", 20)
    assert result.total == 25
    assert result.is_natural_20 and not result.is_natural_1
    assert str(result) == "1d20 (**20**) + 5 = `25` — Natural 20!"


def test_natural_1_is_bold_and_noted() -> None:
    result = scripted("1d20+5", 1)
    assert result.is_natural_1 and not result.is_natural_20
    assert str(result) == "1d20 (**1**) + 5 = `6` — Natural 1!"


def test_bare_d_means_one_die_and_asks_the_right_range() -> None:
    rng = ScriptedRandom(7)
    assert roll("d20", rng).total == 7
    assert rng.ranges == [(1, 20)]


def test_percentile_die_is_a_d100() -> None:
    rng = ScriptedRandom(57)
    result = roll("d%", rng)
    assert result.total == 57
    assert rng.ranges == [(1, 100)]
    assert str(result) == "1d% (57) = `57`"


def test_several_dice_are_summed_and_each_shown() -> None:
    result = scripted("8d6", 1, 2, 3, 4, 5, 6, 6, 2)
    assert result.total == 29
    assert str(result) == "8d6 (**1**, 2, 3, 4, 5, **6**, **6**, 2) = `29`"


def test_plain_integer() -> None:
    result = roll("5", random.Random(1))
    assert result.total == 5
    assert str(result) == "5 = `5`"
    assert result.natural is None


@pytest.mark.parametrize(
    ("expression", "total"),
    [
        ("2+3*4", 14),
        ("(2+3)*4", 20),
        ("10-2-3", 5),
        ("100/10/5", 2),
        ("20/3", 6),
        ("7/2", 3),
        ("-7/2", -4),  # floor division, documented: 5e rounds down
        ("-(2+3)", -5),
        ("2*-3", -6),
        ("+4", 4),
        ("2 * (3 + 4) - 1", 13),
    ],
)
def test_arithmetic(expression: str, total: int) -> None:
    assert roll(expression, random.Random(1)).total == total


def test_unary_minus_on_dice() -> None:
    result = scripted("-1d4*2", 3)
    assert result.total == -6
    assert str(result) == "-1d4 (3) * 2 = `-6`"


def test_whitespace_and_case_are_tolerated() -> None:
    for expression in ["1d20 + 5", "  1D20+5  ", "1d20\t+\t5", "1d20 +5"]:
        assert scripted(expression, 11).total == 16


def test_seeded_rolls_are_reproducible() -> None:
    first = [str(roll("4d6kh3+1d20", random.Random(42))) for _ in range(3)]
    assert len(set(first)) == 1
    assert str(roll("4d6kh3+1d20", random.Random(42))) == first[0]
    assert len({str(roll("20d20", random.Random(seed))) for seed in range(5)}) > 1


def test_default_generator_rolls_in_range() -> None:
    for _ in range(50):
        assert 1 <= roll("1d20").total <= 20


# --------------------------------------------------------------------------------------------------------
# Keep / drop
# --------------------------------------------------------------------------------------------------------


def test_keep_highest_strikes_dropped_die() -> None:
    result = scripted("4d6kh3", 6, 1, 4, 5)
    assert result.total == 15
    assert str(result) == "4d6kh3 (**6**, ~~**1**~~, 4, 5) = `15`"


@pytest.mark.parametrize(
    ("expression", "total"),
    [
        ("4d6kh3", 15),
        ("4d6k3", 15),  # Roll20: k = keep highest
        ("4d6kl1", 1),
        ("4d6kl", 1),  # default count 1
        ("4d6dh1", 10),
        ("4d6dl1", 15),
        ("4d6d1", 15),  # Roll20: d = drop lowest
        ("4d6kh9", 16),  # keeping more than rolled keeps them all
    ],
)
def test_keep_and_drop_variants(expression: str, total: int) -> None:
    assert scripted(expression, 6, 1, 4, 5).total == total


def test_keep_highest_on_ties_keeps_exactly_the_count() -> None:
    result = scripted("3d6kh1", 5, 5, 2)
    assert result.total == 5
    assert str(result) == "3d6kh1 (5, ~~5~~, ~~2~~) = `5`"


def test_two_d20_keep_highest_reports_the_kept_natural() -> None:
    result = scripted("2d20kh1+3", 3, 20)
    assert result.total == 23
    assert result.natural == 20
    assert str(result) == "2d20kh1 (~~3~~, **20**) + 3 = `23` — Natural 20!"


def test_two_d20_keep_lowest() -> None:
    result = scripted("2d20kl1", 3, 20)
    assert result.total == 3
    assert result.natural == 3


# --------------------------------------------------------------------------------------------------------
# Rerolls, minimum / maximum, explosions, successes
# --------------------------------------------------------------------------------------------------------


def test_reroll_once_then_keep() -> None:
    result = scripted("4d6ro1kh3", 1, 3, 4, 5, 2)
    assert result.total == 12
    assert str(result) == "4d6ro1kh3 (~~**1**~~, ~~2~~, 3, 4, 5) = `12`"


def test_reroll_once_keeps_a_second_match() -> None:
    result = scripted("1d6ro1", 1, 1)
    assert result.total == 1
    assert str(result) == "1d6ro1 (~~**1**~~, **1**) = `1`"


def test_reroll_recursively_until_no_match() -> None:
    result = scripted("1d6rr1", 1, 1, 1, 4)
    assert result.total == 4
    assert str(result) == "1d6rr1 (~~**1**~~, ~~**1**~~, ~~**1**~~, 4) = `4`"


@pytest.mark.parametrize(
    ("expression", "faces", "total"),
    [
        ("1d6ro<3", (2, 5), 5),
        ("1d6ro<3", (3,), 3),
        ("1d6ro<=2", (2, 5), 5),
        ("1d6ro>5", (6, 3), 3),
        ("1d6ro>=5", (5, 2), 2),
        ("1d6ro=1", (1, 6), 6),
        ("1d6ro1", (2,), 2),
        ("1d6rr<=2", (1, 2, 3), 3),
    ],
)
def test_reroll_comparisons(expression: str, faces: tuple[int, ...], total: int) -> None:
    assert scripted(expression, *faces).total == total


def test_recursive_reroll_is_bounded() -> None:
    # A reroll that never stops matching is refused at the dice limit, never a made-up total.
    rng = ScriptedRandom(1, repeat_last=True)
    with pytest.raises(DiceError, match=r"^Too many dice: rerolls and explosions went past 1000"):
        roll("1d6rr<6", rng)
    assert len(rng.ranges) == MAX_DICE


def test_reroll_that_matches_every_face_is_refused() -> None:
    message = error_message("1d6rr<7")
    assert message == '"rr<7" would reroll every face of a d6 forever at position 0 in "1d6rr<7"'


def test_minimum_face() -> None:
    result = scripted("2d6mi3", 1, 5)
    assert result.total == 8
    assert str(result) == "2d6mi3 (1→3, 5) = `8`"


def test_maximum_face() -> None:
    result = scripted("2d6ma4", 6, 2)
    assert result.total == 6
    assert str(result) == "2d6ma4 (6→4, 2) = `6`"


def test_minimum_above_the_sides_sets_every_face() -> None:
    # d20's meaning ("10d6mi10" is 100): the minimum is a floor on the face, whatever the die.
    assert scripted("2d6mi7", 1, 6).total == 14


def test_exploding_dice_chain_and_are_marked() -> None:
    result = scripted("2d6!", 6, 2, 6, 3)  # both dice first, then the chain of explosions
    assert result.total == 17
    assert str(result) == "2d6! (**6**!, **6**!, 3, 2) = `17`"


@pytest.mark.parametrize(
    ("expression", "faces", "total"),
    [
        ("1d6!>4", (5, 6, 1), 12),
        ("1d6e6", (6, 2), 8),
        ("1d6e", (6, 2), 8),
        ("1d6!", (5,), 5),
        ("1d6!=1", (1, 1, 4), 6),
    ],
)
def test_explosion_conditions(expression: str, faces: tuple[int, ...], total: int) -> None:
    assert scripted(expression, *faces).total == total


def test_a_die_that_always_explodes_is_refused_before_rolling() -> None:
    # It could never stop: a clear refusal, not a number made up by the safety limit (d20 refuses too).
    rng = ScriptedRandom()
    assert error_message("d1!") == '"!" would explode every face of a d1 forever at position 0 in "d1!"'
    with pytest.raises(DiceError, match=r'^"!<21" would explode every face of a d20 forever'):
        roll("1d20e<21", rng)
    assert rng.ranges == []


def test_explosions_that_would_pass_the_dice_limit_are_refused_before_rolling() -> None:
    rng = ScriptedRandom()
    with pytest.raises(DiceError, match=r"^Too many dice: 600d2! would roll about 1200 dice"):
        roll("600d2!", rng)
    assert rng.ranges == []


def test_unlucky_explosions_stop_at_the_dice_limit() -> None:
    rng = ScriptedRandom(6, repeat_last=True)  # every die explodes, far above the expected count
    with pytest.raises(DiceError, match=r"^Too many dice: rerolls and explosions went past 1000"):
        roll("100d6!", rng)
    assert len(rng.ranges) == MAX_DICE


def test_modifiers_chain_left_to_right() -> None:
    # reroll the 1, explode the 6, then keep the highest three of what is in play
    result = scripted("3d6ro1!kh3", 1, 4, 6, 2, 5)
    assert result.total == 15
    assert str(result) == "3d6ro1!kh3 (~~**1**~~, ~~2~~, 4, **6**!, 5) = `15`"


def test_success_counting() -> None:
    result = scripted("5d10>=8", 8, 3, 10, 7, 9)
    assert result.total == 3
    assert str(result) == "5d10>=8 (__8__, 3, __**10**__, 7, __9__) = `3`"
    assert result.natural is None


@pytest.mark.parametrize(
    ("expression", "total"),
    [("5d10>8", 2), ("5d10<3", 0), ("5d10<=3", 1), ("5d10=10", 1), ("5d10>=8", 3)],
)
def test_success_comparisons(expression: str, total: int) -> None:
    assert scripted(expression, 8, 3, 10, 7, 9).total == total


def test_success_counting_after_keep() -> None:
    assert scripted("4d10kh2>=8", 8, 3, 10, 9).total == 2


# --------------------------------------------------------------------------------------------------------
# Advantage, sets, damage types, labels
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["adv", "advantage", "ADV", "Advantage"])
def test_advantage_keyword_rolls_two_d20_keep_highest(keyword: str) -> None:
    result = scripted(f"1d20+5 {keyword}", 3, 17)
    assert result.total == 22
    assert result.natural == 17
    assert result.label is None
    assert str(result) == "2d20kh1 (~~3~~, 17) + 5 = `22`"


@pytest.mark.parametrize("keyword", ["dis", "disadvantage"])
def test_disadvantage_keyword_rolls_two_d20_keep_lowest(keyword: str) -> None:
    result = scripted(f"1d20+5 {keyword}", 3, 17)
    assert result.total == 8
    assert result.natural == 3


def test_advantage_keyword_around_a_label() -> None:
    assert scripted("1d20+5 adv Stealth", 3, 17).label == "Stealth"
    assert scripted("1d20+5 Stealth check adv", 3, 17).label == "Stealth check"


def test_advantage_and_disadvantage_cancel() -> None:
    result = scripted("1d20+5 adv dis", 9)
    assert result.total == 14


def test_advantage_only_changes_the_first_d20() -> None:
    rng = ScriptedRandom(4, 15, 10)
    result = roll("1d20+1d20 adv", rng)
    assert result.total == 25
    assert str(result) == "2d20kh1 (~~4~~, 15) + 1d20 (10) = `25`"


def test_advantage_without_a_d20_is_an_error() -> None:
    assert "needs a single d20" in error_message("2d6 adv")


def test_dice_set_keeps_the_best_expression() -> None:
    result = scripted("(1d20+2, 1d20+5)kh1", 10, 3)
    assert result.total == 12
    assert str(result) == "(1d20 (10) + 2, ~~1d20 (3) + 5~~)kh1 = `12`"


def test_nested_sets_and_groups() -> None:
    result = scripted("((1d20+2, 1d20+5)kh1, 10)kh1 Best of", 15, 3)
    assert result.total == 17
    assert result.label == "Best of"
    assert str(result) == "**Best of**: ((1d20 (15) + 2, ~~1d20 (3) + 5~~)kh1, ~~10~~)kh1 = `17`"


def test_extra_parentheses_change_nothing() -> None:
    for expression in ["2*(1d6+2)", "2*((1d6+2))", "2*(((1d6)+(2)))"]:
        assert scripted(expression, 4).total == 12
    assert str(scripted("2*((1d6+2))", 4)) == "2 * ((1d6 (4) + 2)) = `12`"


def test_negative_tagged_group() -> None:
    result = scripted("10 - (1d6+2)[necrotic]", 3)
    assert result.total == 5
    assert result.damage_by_type == {"untyped": 10, "necrotic": -5}


def test_damage_types() -> None:
    result = scripted("1d8[slashing]+2d6[fire]+3", 5, 2, 6)
    assert result.total == 16
    assert result.damage_by_type == {"slashing": 5, "fire": 8, "untyped": 3}
    assert str(result) == "1d8 (5) [slashing] + 2d6 (2, **6**) [fire] + 3 = `16`"


def test_damage_types_are_lowercased_and_signed() -> None:
    result = scripted("2d6[Fire] - 1d4 [cold]", 3, 4, 2)
    assert result.damage_by_type == {"fire": 7, "cold": -2}
    assert result.total == 5


def test_damage_type_on_a_group_covers_the_group() -> None:
    result = scripted("(1d6+2)[cold]*2", 4)
    assert result.damage_by_type == {"cold": 12}


def test_no_damage_types_without_tags() -> None:
    assert scripted("1d8+3", 5).damage_by_type == {}


@pytest.mark.parametrize(
    ("expression", "label"),
    [
        ("1d20+5 Stealth", "Stealth"),
        ("1d20+5 Stealth check", "Stealth check"),
        ("1d20 + 5    Stealth   check ", "Stealth check"),
        ("1d20 Perceção 🎲", "Perceção 🎲"),
    ],
)
def test_trailing_label(expression: str, label: str) -> None:
    result = scripted(expression, 10)
    assert result.label == label
    assert str(result).startswith(f"**{label}**: 1d20 (10)")


def test_label_markdown_is_escaped() -> None:
    result = scripted("1d20 Sneak *quietly* `now`", 10)
    assert result.label == "Sneak *quietly* `now`"
    assert str(result) == r"**Sneak \*quietly\* \`now\`**: 1d20 (10) = `10`"


def test_label_must_be_separated_by_a_space() -> None:
    assert error_message("1d20+5x") == 'Unexpected "x" at position 6 in "1d20+5x"'


def test_modifier_after_a_space_is_an_error_not_a_label() -> None:
    message = error_message("4d6 kh3")
    assert message.startswith('Unexpected space before modifier "kh3" at position 4 in "4d6 kh3"')


# --------------------------------------------------------------------------------------------------------
# Repeats and critical hits
# --------------------------------------------------------------------------------------------------------


def test_repeated_rolls() -> None:
    result = roll("6#4d6kh3", random.Random(7))
    assert len(result.rolls) == 6
    assert result.totals == [sub.total for sub in result.rolls]
    assert result.total == sum(result.totals)
    assert all(3 <= total <= 18 for total in result.totals)
    lines = str(result).split("\n")
    assert len(lines) == 7
    assert all(line.startswith("4d6kh3 (") for line in lines[:6])
    assert lines[6] == f"Total: `{result.total}`"
    assert result.expression == "6#4d6kh3"


def test_repeated_rolls_with_label_and_exact_faces() -> None:
    result = scripted("2#1d20+5 Attack", 20, 4)
    assert result.label == "Attack"
    assert result.totals == [25, 9]
    assert result.natural is None
    assert [sub.natural for sub in result.rolls] == [20, 4]
    assert str(result).split("\n") == [
        "**Attack**",
        "1d20 (**20**) + 5 = `25` — Natural 20!",
        "1d20 (4) + 5 = `9`",
        "Total: `34`",
    ]


def test_critical_hit_doubles_the_dice_not_the_modifier() -> None:
    rng = ScriptedRandom(1, 2, 3, 4)
    result = roll("2d6+3", rng, crit=True)
    assert result.total == 13
    assert rng.ranges == [(1, 6)] * 4
    assert str(result) == "4d6 (**1**, 2, 3, 4) + 3 = `13`"
    assert result.crit


def test_critical_hit_doubles_every_dice_term() -> None:
    rng = ScriptedRandom(8, 1, 6, 6)
    result = roll("1d8[piercing]+1d6[fire]+2 Sneak", rng, crit=True)
    assert rng.ranges == [(1, 8), (1, 8), (1, 6), (1, 6)]
    assert result.total == 8 + 1 + 6 + 6 + 2
    assert result.damage_by_type == {"piercing": 9, "fire": 12, "untyped": 2}


def test_critical_doubling_counts_against_the_dice_limit() -> None:
    assert roll("600d6", random.Random(1)).total >= 600
    message = error_message("600d6", crit=True)
    assert message == "Too many dice: 1200 after doubling for the critical hit (limit 1000)"


# --------------------------------------------------------------------------------------------------------
# Limits and errors
# --------------------------------------------------------------------------------------------------------


def test_huge_dice_refused_from_the_tree_without_rolling() -> None:
    rng = ScriptedRandom()
    with pytest.raises(DiceError) as caught:
        roll("1000000d1000000", rng)
    assert fastest_rejection_seconds("1000000d1000000") < 1.0  # refused from the tree, never rolled (no hang)
    assert str(caught.value) == 'Too many dice: 1000000 at position 0 in "1000000d1000000" (limit 1000)'
    assert caught.value.position == 0
    assert rng.ranges == []


def test_too_many_sides() -> None:
    assert error_message("1d20+1d100000") == (
        f'Too many sides: d100000 at position 5 in "1d20+1d100000" (limit {MAX_SIDES})'
    )


def test_dice_summed_over_terms_and_repeats_are_limited() -> None:
    assert error_message("600d6+600d6") == "Too many dice: 1200 (limit 1000)"
    assert error_message("20#100d6") == "Too many dice: 2000 over 20 rolls (limit 1000)"
    assert roll(f"{MAX_DICE}d6", random.Random(1)).total >= MAX_DICE


def test_repeat_limits() -> None:
    too_many = MAX_REPEAT + 1
    assert error_message(f"{too_many}#1d6") == f"Too many repeats: {too_many} (limit {MAX_REPEAT})"
    assert error_message("0#1d6").startswith('Nothing to repeat: "0#"')
    assert len(roll(f"{MAX_REPEAT}#1d6", random.Random(1)).rolls) == MAX_REPEAT


def test_zero_dice_and_zero_sides() -> None:
    assert roll("0d6").total == 0  # d20: no dice, worth 0
    assert error_message("1d0") == 'A die needs at least 1 side: d0 at position 0 in "1d0"'


def test_expression_too_long() -> None:
    text = "1+" * 150 + "1"
    message = error_message(text)
    assert message == f"Expression too long: {len(text)} characters (limit {MAX_EXPRESSION_LENGTH})"


def test_parentheses_nested_too_deep() -> None:
    text = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    expected = f"Too deeply nested: more than {MAX_DEPTH} levels of parentheses at position 10"
    assert error_message(text) == f'{expected} in "{text}"'
    assert roll("(" * MAX_DEPTH + "1d4" + ")" * MAX_DEPTH, random.Random(1)).total <= 4


def test_too_many_parentheses() -> None:
    text = "(1)+" * (MAX_PARENTHESES + 1) + "1"
    assert error_message(text) == f"Too many parentheses: {MAX_PARENTHESES + 1} (limit {MAX_PARENTHESES})"


def test_division_by_zero() -> None:
    assert error_message("1d6/0") == 'Division by zero at position 3 in "1d6/0"'
    assert error_message("10 / (2-2)") == 'Division by zero at position 3 in "10 / (2-2)"'


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1d20+x", 'Unexpected "x" at position 5 in "1d20+x" (expected a number, dice or "(")'),
        ("1d20+", 'Unexpected end of input at position 5 in "1d20+" (expected a number, dice or "(")'),
        ("(1d20", 'Unexpected end of input at position 5 in "(1d20" (expected ")")'),
        ("1d20)", 'Unexpected ")" at position 4 in "1d20)"'),
        ("hello", 'Unexpected "h" at position 0 in "hello" (expected a number, dice or "(")'),
        ("1d20 5", 'Unexpected "5" at position 5 in "1d20 5"'),
        ("1d20*/3", 'Unexpected "/" at position 5 in "1d20*/3" (expected a number, dice or "(")'),
        ("2(3)", 'Unexpected "(" at position 1 in "2(3)"'),
        ("1d8[123]", 'Unexpected "[" at position 3 in "1d8[123]"'),
        ("1,2", 'Unexpected "," at position 1 in "1,2" (a set needs parentheses: "(1d20, 1d20)kh1")'),
        ("", "Empty expression: try something like 1d20+5"),
        ("   ", "Empty expression: try something like 1d20+5"),
    ],
)
def test_syntax_errors_say_what_and_where(expression: str, message: str) -> None:
    assert error_message(expression) == message


def test_long_input_error_quotes_an_excerpt_around_the_position() -> None:
    message = error_message("1+" * 100 + "x")
    assert message.startswith('Unexpected "x" at position 200 in "…')
    assert len(message) < 150


@pytest.mark.parametrize(
    "expression",
    [
        "1d20\x00",
        "\x1b[31m1d20",
        "1d20+5 Stealth\x07",
        bytes(range(256)).decode("latin-1"),
        b"\xff\xfe1d20".decode("utf-8", "surrogateescape"),
    ],
)
def test_control_and_binary_characters_are_refused(expression: str) -> None:
    with pytest.raises(DiceError, match="control character|too long"):
        roll(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "1" * 1_000_000,
        "(" * 100_000,
        "1d20+" * 59 + "x",
        "(1)+" * MAX_PARENTHESES + "1+" * 70 + "x",
        "(" * MAX_DEPTH + "1," * 100 + "x",
        "9" * 299 + "d",
        "1+" + " " * 290 + "x",  # once a regex backtracking trap
        "1d6" + "!" * 290 + "x",
        "1d1" + "!" * 290,  # expected dice overflow a float
        "🎲" * MAX_EXPRESSION_LENGTH,
    ],
)
def test_nasty_input_is_rejected_quickly(expression: str) -> None:
    assert fastest_rejection_seconds(expression) < 1.0  # no hang; bench/dice.py measures the 5 ms target


def test_non_text_input_is_a_dice_error() -> None:
    with pytest.raises(DiceError, match="Expected the expression as text"):
        roll(b"1d20")  # type: ignore[arg-type]


def test_dice_error_is_a_value_error_with_a_position() -> None:
    with pytest.raises(ValueError) as caught:
        roll("1d20+x")
    assert isinstance(caught.value, DiceError)
    assert caught.value.position == 5


# --------------------------------------------------------------------------------------------------------
# Rendering limits and natural detection
# --------------------------------------------------------------------------------------------------------


def test_long_dice_lists_are_abbreviated_but_the_total_shown() -> None:
    result = roll("1000d6", random.Random(3))
    text = str(result)
    assert len(text) <= MAX_MESSAGE_LENGTH
    assert text.endswith(f" = `{result.total}`")
    assert "… 950 more" in text


def test_many_repeated_large_rolls_fit_a_message() -> None:
    result = roll("20#30d6!", random.Random(3))
    text = str(result)
    assert len(text) <= MAX_MESSAGE_LENGTH
    assert text.endswith(f"Total: `{result.total}`")


def test_rendering_can_leave_room_for_surrounding_text() -> None:
    result = roll("200d6", random.Random(3))
    text = render_roll(result, max_length=500)
    assert len(text) <= 500
    assert text.endswith(f" = `{result.total}`")
    assert text.startswith("200d6 (")
    with pytest.raises(ValueError):
        render_roll(result, max_length=10)


def test_longest_breakdown_falls_back_to_totals() -> None:
    expression = "20#" + "+".join(["2d6"] * 24) + " " + "L" * 150
    result = roll(expression, random.Random(3))
    text = str(result)
    assert len(text) <= MAX_MESSAGE_LENGTH
    assert f"Total: `{result.total}`" in text


@pytest.mark.parametrize(
    ("expression", "faces", "natural"),
    [
        ("1d20", (20,), 20),
        ("1d20+1d6", (20, 3), 20),
        ("1d6+1d20", (3, 20), None),  # the first dice term is not a d20
        ("2d20", (20, 5), None),  # two kept dice
        ("1d20>=10", (20,), None),  # a success count, not a check
        ("1d20ro1", (1, 20), 20),  # the replacement is the kept face
    ],
)
def test_natural_detection(expression: str, faces: tuple[int, ...], natural: int | None) -> None:
    assert scripted(expression, *faces).natural == natural


def test_module_limits_are_the_documented_defaults() -> None:
    assert (MAX_EXPRESSION_LENGTH, MAX_DICE, MAX_SIDES, MAX_DEPTH, MAX_REPEAT) == (300, 1000, 10000, 10, 20)
    assert (MAX_REROLLS, MAX_EXPLOSIONS) == (MAX_DICE, 100)
    assert dice.MAX_PARENTHESES == MAX_PARENTHESES
