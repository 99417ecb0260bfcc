"""Discord Markdown: what players read on the table.

Rolls: ``1d20 (**20**) + 5 = `25` — Natural 20!``: every die in brackets after its term, dropped and rerolled
dice struck through, highest and lowest faces in bold, successes underlined, a die that exploded marked
``!``, ``mi``/``ma`` changes shown as ``1→2``, the total in backticks. A repeated roll gets one line per
repetition and a total line. Never longer than a Discord message: long dice lists are cut short first,
then the breakdown, but the total is always shown.
"""

from __future__ import annotations

import re
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

__all__ = ["DISCORD", "MAX_MESSAGE_LENGTH", "DiscordRollRenderer", "escape_markdown", "render_roll"]

MAX_MESSAGE_LENGTH = 2000  # Discord's limit for a message
_MIN_LENGTH = 400  # room for the largest possible total and a little breakdown
# Dice shown per term on successive attempts to fit the message; None shows them all.
_DICE_SHOWN_ATTEMPTS: tuple[int | None, ...] = (None, 50, 10, 0)
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|>\[\]])")


class DiscordRollRenderer:
    """The roll renderer of :func:`dnd.dice.roll` by default: :func:`render_roll` in one Discord message."""

    def render(self, result: RollResult) -> str:
        return render_roll(result)


DISCORD = DiscordRollRenderer()


def render_roll(result: RollResult, max_length: int = MAX_MESSAGE_LENGTH) -> str:
    """The Markdown for ``result`` in at most ``max_length`` characters (:data:`DISCORD` uses the default).

    Pass a smaller ``max_length`` to leave room for text around it in the same message.
    """
    if max_length < _MIN_LENGTH:
        raise ValueError(f"max_length must be at least {_MIN_LENGTH} to show any roll, got {max_length}")
    text = ""
    for dice_shown in _DICE_SHOWN_ATTEMPTS:
        text = _render(result, dice_shown)
        if len(text) <= max_length:
            return text
    text = _render_without_dice(result)
    if len(text) <= max_length:
        return text
    tail = f"… = `{result.total}`"  # a total has at most ~310 digits: the expression is at most 300 chars
    return text[: max_length - len(tail)] + tail


def escape_markdown(text: str) -> str:
    """Labels are user text: keep them from opening bold, strikes, code or quotes in the message."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _label_prefix(result: RollResult) -> str:
    return f"**{escape_markdown(result.label)}**: " if result.label else ""


def _natural_note(result: RollResult) -> str:
    if result.natural == 20:
        return " — Natural 20!"
    if result.natural == 1:
        return " — Natural 1!"
    return ""


def _render(result: RollResult, dice_shown: int | None) -> str:
    if not result.rolls:
        assert result.tree is not None
        return f"{_label_prefix(result)}{_render_node(result.tree, dice_shown)} = `{result.total}`" + (
            _natural_note(result)
        )
    lines = [f"**{escape_markdown(result.label)}**"] if result.label else []
    for repetition in result.rolls:
        assert repetition.tree is not None
        lines.append(
            f"{_render_node(repetition.tree, dice_shown)} = `{repetition.total}`{_natural_note(repetition)}"
        )
    lines.append(f"Total: `{result.total}`")
    return "\n".join(lines)


def _render_without_dice(result: RollResult) -> str:
    """The expression as typed and the total(s): the fallback when even one die per term is too long."""
    expression = escape_markdown(result.expression)  # as typed: "2*3*4" would turn italic
    if not result.rolls:
        return f"{_label_prefix(result)}{expression} = `{result.total}`{_natural_note(result)}"
    totals = ", ".join(f"`{total}`" for total in result.totals)
    return f"{_label_prefix(result)}{expression}: {totals}\nTotal: `{result.total}`"


def _render_node(node: RolledNode, dice_shown: int | None) -> str:
    if isinstance(node, RolledDice):
        return f"{node.term.notation(node.count)} ({_render_dice(node, dice_shown)})"
    if isinstance(node, Number):
        return str(node.value)
    if isinstance(node, RolledBinaryOp):
        return f"{_render_node(node.left, dice_shown)} {node.operator} {_render_node(node.right, dice_shown)}"
    if isinstance(node, RolledUnaryMinus):
        return f"-{_render_node(node.operand, dice_shown)}"
    if isinstance(node, RolledParenthesized):
        return f"({_render_node(node.inner, dice_shown)})"
    if isinstance(node, RolledTagged):
        return f"{_render_node(node.operand, dice_shown)} [{node.damage_type}]"
    items = [
        _render_node(item, dice_shown) if kept else f"~~{_render_node(item, dice_shown)}~~"
        for item, kept in zip(node.items, node.kept, strict=True)
    ]
    return f"({', '.join(items)}){''.join(str(keep_drop) for keep_drop in node.keep_drop)}"


def _render_dice(node: RolledDice, dice_shown: int | None) -> str:
    dice = node.dice
    sides = node.term.sides
    if dice_shown is None or len(dice) <= dice_shown:
        return ", ".join(_render_die(die, sides) for die in dice)
    hidden = len(dice) - dice_shown
    if dice_shown == 0:
        return f"… {hidden} dice"
    return ", ".join([*(_render_die(die, sides) for die in dice[:dice_shown]), f"… {hidden} more"])


def _render_die(die: Die, sides: int) -> str:
    text = str(die.face) if die.face == die.rolled_face else f"{die.rolled_face}→{die.face}"
    if die.face == sides or die.face == 1:
        text = f"**{text}**"
    if die.success:
        text = f"__{text}__"
    if die.exploded:
        text += "!"
    if die.dropped or die.rerolled:
        text = f"~~{text}~~"
    return text
