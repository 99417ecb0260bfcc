"""Discord Markdown: what players read on the table.

Rolls: ``1d20 (**20**) + 5 = `25` — Natural 20!``: every die in brackets after its term, dropped and rerolled
dice struck through, highest and lowest faces in bold, successes underlined, a die that exploded marked
``!``, ``mi``/``ma`` changes shown as ``1→2``, the total in backticks. A repeated roll gets one line per
repetition and a total line. Never longer than a Discord message: long dice lists are cut short first,
then the breakdown, but the total is always shown.

Combat: each line a result tells (:mod:`dnd.combat.lines`) is one message line; verdicts, damage and hit
points regained in bold, a death in 💀, a monster defeated in ☠️.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dnd.combat.lines import (
    AbilityUsed,
    AttacksUnused,
    AttackVerdict,
    AutoFailedSave,
    ConcentrationEnds,
    ConcentrationHeld,
    ConditionChanged,
    ConditionUnchanged,
    Counterspelled,
    DamageTaken,
    DeathSaveOutcome,
    DeathSavesFailedByDamage,
    Defeated,
    Defense,
    Dies,
    Dodges,
    Evades,
    ExhaustionChanged,
    FallsUnconscious,
    FeatureUsed,
    Flees,
    GoesFirst,
    Healed,
    HitUndone,
    HpMaxRaised,
    InitiativeOrder,
    Joined,
    KilledByDamage,
    LegendaryResistanceUsed,
    Line,
    MultiattackOptions,
    MultiattackUnread,
    MultiattackUsed,
    NoDamage,
    NotOnUndeadOrConstructs,
    NotRolledHere,
    PartyFalls,
    Recharged,
    RegainsConsciousness,
    Rolled,
    RollOff,
    SaveRolled,
    SpellBegun,
    SpellNarrated,
    SpellSpared,
    SpellTakesHold,
    SpellWaits,
    SummaryHeading,
    SummaryRow,
    TempHpAbsorbed,
    TempHpGained,
    TurnSkipped,
    TurnStarts,
    Volley,
    WakesLater,
    ZoneCast,
    ZoneTakesHold,
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
from dnd.spellcasting import ordinal

if TYPE_CHECKING:
    from dnd.actions import ItemUse
    from dnd.dice import RollResult

__all__ = ["DISCORD", "MAX_MESSAGE_LENGTH", "DiscordRollRenderer", "combat_line", "combat_lines", "escape_markdown",
           "item_use", "render_roll"]

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
    # A comparison ("1d20+5 >= 15") says whether it holds: the 1 or 0 alone reads like a total.
    outcome = {None: "", True: " — **Success**", False: " — **Failure**"}[result.success]
    if result.natural == 20:
        return " — Natural 20!" + outcome
    if result.natural == 1:
        return " — Natural 1!" + outcome
    return outcome


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


# ------------------------------------------------------------------------------------------ combat


def combat_lines(told: Iterable[Line]) -> list[str]:
    """The message lines of a combat result's ``told``, one each (``result.lines``)."""
    return [combat_line(line) for line in told]


@functools.singledispatch
def combat_line(line: Line) -> str:
    raise TypeError(f"No Discord wording for {type(line).__name__}")


@combat_line.register
def _(line: Rolled) -> str:
    return render_roll(line.roll)


@combat_line.register
def _(line: RollOff) -> str:
    return "Roll-off: " + ", ".join(f"{name} {face}" for name, face in line.faces)


@combat_line.register
def _(line: InitiativeOrder) -> str:
    return "Initiative order: " + ", ".join(f"{name} ({initiative})" for name, initiative in line.order)


@combat_line.register
def _(line: GoesFirst) -> str:
    return f"Round 1: {line.name} goes first."


@combat_line.register
def _(line: Joined) -> str:
    hp_note = "average hit points" if line.hp_mode == "average" else "rolled hit points"
    verb = "joins" if len(line.names) == 1 else "join"
    return f"{', '.join(line.names)} {verb} the fight ({hp_note})."


@combat_line.register
def _(line: TurnSkipped) -> str:
    return f"{line.name} will skip their next turn." if line.later else f"{line.name}'s turn is skipped."


@combat_line.register
def _(line: Flees) -> str:
    return f"🏃 **{line.name}** flees the fight ({line.hp}/{line.max_hp} HP)."


@combat_line.register
def _(line: TurnStarts) -> str:
    text = f"Round {line.round}: **{line.name}**'s turn ({line.hp}/{line.max_hp} HP)."
    return text + " Roll a death saving throw." if line.dying else text


@combat_line.register
def _(line: AttackVerdict) -> str:
    if line.hit:
        verdict = "**Critical hit!**" if line.critical else "**Hit.**"
    else:
        verdict = "**Natural 1: miss.**" if line.natural == 1 else "**Miss.**"
    return f"{line.attacker} → {line.target} (AC {line.target_ac}): {verdict}"


@combat_line.register
def _(line: NoDamage) -> str:
    return f"{line.weapon} deals no damage."


@combat_line.register
def _(line: Defense) -> str:
    if line.kind == "immune":
        return f"{line.target} is immune to {line.damage_type} damage."
    if line.kind == "resistant":
        return f"{line.target} resists {line.damage_type} damage (half)."
    return f"{line.target} is vulnerable to {line.damage_type} damage (double)."


@combat_line.register
def _(line: DamageTaken) -> str:
    if line.source is not None:
        return f"{line.source} hits {line.target} for **{line.amount}** damage ({line.hp}/{line.max_hp} HP)."
    return f"{line.target} takes **{line.amount}** damage ({line.hp}/{line.max_hp} HP)."


@combat_line.register
def _(line: TempHpAbsorbed) -> str:
    return f"{line.target}'s temporary hit points absorb {line.absorbed}."


@combat_line.register
def _(line: FallsUnconscious) -> str:
    return f"{line.target} drops to 0 HP and falls unconscious."


@combat_line.register
def _(line: KilledByDamage) -> str:
    if line.at_zero:
        return f"💀 {line.target} takes {line.amount} damage at 0 HP and dies."
    return f"💀 {line.target} is killed outright ({line.amount} damage past 0 HP)."


@combat_line.register
def _(line: DeathSavesFailedByDamage) -> str:
    plural = "s" if line.added > 1 else ""
    return f"{line.target} takes damage at 0 HP: {line.added} failed death save{plural} ({line.failures}/3)."


@combat_line.register
def _(line: Dies) -> str:
    return f"💀 {line.target} dies."


@combat_line.register
def _(line: Defeated) -> str:
    return f"☠️ {line.target} is defeated."


@combat_line.register
def _(line: MultiattackUnread) -> str:
    return (f"I couldn't read {line.attacker}'s Multiattack (\"{line.description[:200]}\"), so it makes one "
            f"attack with its {line.action}; make the others one at a time.")


@combat_line.register
def _(line: MultiattackUsed) -> str:
    return f"{line.attacker} uses Multiattack on {line.target}: {line.attacks}."


@combat_line.register
def _(line: MultiattackOptions) -> str:
    return f"(Options: {'; '.join(f'{n}) {option}' for n, option in enumerate(line.options, start=1))}.)"


@combat_line.register
def _(line: AttacksUnused) -> str:
    return f"{line.target} is down: {line.left} attack{'s' if line.left != 1 else ''} left unused."


@combat_line.register
def _(line: NotRolledHere) -> str:
    pronoun = "it" if len(line.others) == 1 else "them"
    return f"Not rolled here: {', '.join(line.others)} — use {pronoun} separately."


@combat_line.register
def _(line: AutoFailedSave) -> str:
    return f"{line.target} automatically fails the {line.ability} save ({', '.join(line.conditions)})."


@combat_line.register
def _(line: SaveRolled) -> str:
    return f"{render_roll(line.roll)} vs DC {line.dc}: {'**success**' if line.success else '**failure**'}"


@combat_line.register
def _(line: DeathSaveOutcome) -> str:
    if line.result == "revived":
        return f"Natural 20! {line.name} regains 1 HP and wakes up."
    if line.result == "dead":
        return f"💀 {line.name} fails a third death save and dies."
    if line.result == "stable":
        return f"{line.name} succeeds on a third death save and is stable."
    on_a_1 = " (two failures on a 1)" if line.face == 1 else ""
    return f"{line.name}: {line.result}{on_a_1} — {line.successes} ✓ / {line.failures} ✗."


@combat_line.register
def _(line: Healed) -> str:
    return f"{line.target} regains **{line.amount}** HP ({line.hp}/{line.max_hp})."


@combat_line.register
def _(line: NotOnUndeadOrConstructs) -> str:
    return f"{line.spell} has no effect on {line.target}: not on undead or constructs."


@combat_line.register
def _(line: TempHpGained) -> str:
    if line.temp_hp > line.gained:
        return (f"{line.target} would gain {line.gained} temporary HP but keeps the {line.temp_hp} it has "
                "(temporary hit points don't stack).")
    return f"{line.target} gains **{line.gained}** temporary HP."


@combat_line.register
def _(line: HpMaxRaised) -> str:
    if not line.amount:
        return f"{line.target}'s hit point maximum is already raised as high ({line.hp}/{line.max_hp})."
    return f"{line.target}'s hit point maximum and hit points rise by **{line.amount}** ({line.hp}/{line.max_hp})."


@combat_line.register
def _(line: RegainsConsciousness) -> str:
    return f"{line.target} regains consciousness."


@combat_line.register
def _(line: PartyFalls) -> str:
    return ("☠️ **The party falls.** No one is left standing, and the foes hold the field. Alone, the fallen fight "
            "for their lives:")


@combat_line.register
def _(line: WakesLater) -> str:
    hours = f"{line.hours} hour{'s' if line.hours != 1 else ''}"
    return f"🩹 {line.name} is stable, and no one comes: {hours} later they wake with 1 HP."


@combat_line.register
def _(line: ConditionUnchanged) -> str:
    if line.why == "immune":
        return f"{line.target} is immune to being {line.condition.lower()}."
    return f"{line.target} is already {line.condition.lower()}."


@combat_line.register
def _(line: ConditionChanged) -> str:
    return f"{line.target} is {'now' if line.added else 'no longer'} {line.condition.lower()}."


@combat_line.register
def _(line: ExhaustionChanged) -> str:
    return f"{line.target} {'gains' if line.gained else 'loses'} a level of exhaustion ({line.level})."


@combat_line.register
def _(line: SpellTakesHold) -> str:
    return f"{line.spell} takes hold of those who failed; the DM narrates its effect."


@combat_line.register
def _(line: SpellNarrated) -> str:
    at = f" at {', '.join(line.targets)}" if line.targets else ""
    return f"{line.spell}{at}: the DM narrates its effect."


@combat_line.register
def _(line: SummaryHeading) -> str:
    return f"**Combat summary** — {line.rounds} round{'s' if line.rounds != 1 else ''}, {line.outcome}."


@combat_line.register
def _(line: SummaryRow) -> str:
    status = {"dead": " — dead", "fell": " — fell"}.get(line.status, "")
    return f"{line.name}: dealt {line.dealt}, took {line.taken}{status}"


# ------------------------------------------------------------------------------------------ items


def item_use(used: ItemUse) -> str:
    """A consumable used: the hit points a potion gave back in bold, or the rations eaten."""
    if used.eats is not None:
        return f"{used.user} {used.eats}."
    rolled = used.roll.total if used.roll is not None else used.healed
    return (f"{used.user} drinks a {used.item} and regains **{used.healed} HP** (rolled {rolled}); "
            f"HP {used.hp_before} → {used.hp_after}/{used.max_hp}.")


@combat_line.register
def _(line: Recharged) -> str:
    return f"{line.name}'s {line.action} {'is charged again' if line.charged else 'is not charged yet'}."


@combat_line.register
def _(line: AbilityUsed) -> str:
    legendary = f" (legendary action; {line.legendary_left} left this round)" if line.legendary_left is not None else ""
    return f"**{line.name}** uses **{line.action}**{legendary} on {', '.join(line.targets)}."


@combat_line.register
def _(line: LegendaryResistanceUsed) -> str:
    return f"{line.name} uses Legendary Resistance and succeeds instead ({line.left} left)."


@combat_line.register
def _(line: Dodges) -> str:
    return f"🛡️ {line.name} takes the Dodge action (attacks at them have disadvantage until their next turn)."


@combat_line.register
def _(line: Evades) -> str:
    return f"{line.name}'s Evasion: " + ("no damage on the success." if line.success else "half damage on the failure.")


@combat_line.register
def _(line: FeatureUsed) -> str:
    return f"⚡ {line.name}: **{line.feature}**" + (f" — {line.detail}" if line.detail else "") + "."


@combat_line.register
def _(line: SpellBegun) -> str:
    at = f" at {', '.join(line.targets)}" if line.targets else ""
    level = f" ({ordinal(line.level)} level)" if line.level else " (a cantrip)"
    who = " or ".join(f"**{name}**" for name in line.counterers)
    return (f"⏸️ {line.caster} begins casting **{line.spell}**{level}{at} — {who} may counter it. "
            "(`!react counterspell [at <level>]` to counter it, or `!react pass`.)")


@combat_line.register
def _(line: Counterspelled) -> str:
    slot = f"{ordinal(line.slot_level)}-level Counterspell"
    if line.countered:
        how = f", the check beats DC {line.dc}" if line.dc is not None else ""
        return f"✋ {line.name}'s {slot}{how}: {line.caster}'s **{line.spell}** fails."
    return f"{line.name}'s {slot} misses its DC {line.dc} check: {line.caster}'s **{line.spell}** goes on."


@combat_line.register
def _(line: SpellSpared) -> str:
    return f"{line.target} succeeds on the {line.ability} save (Careful Spell)."


@combat_line.register
def _(line: HitUndone) -> str:
    hp = f"({line.hp}/{line.max_hp} HP)"
    if line.after == 0:
        return f"{line.attacker}'s hit on {line.name} misses after all: {line.before} damage undone {hp}."
    return f"{line.attacker}'s hit on {line.name} deals {line.after} instead of {line.before} {hp}."


@combat_line.register
def _(line: ConcentrationEnds) -> str:
    why = {"new spell": "casting another concentration spell", "failed save": "a failed Constitution save",
           "down": "dropping to 0 HP"}[line.reason]
    return f"💫 {line.caster} loses concentration on **{line.spell}** ({why}); the spell ends."


@combat_line.register
def _(line: ConcentrationHeld) -> str:
    return f"{render_roll(line.roll)} vs DC {line.dc}: {line.caster} keeps concentrating on **{line.spell}**."


@combat_line.register
def _(line: SpellWaits) -> str:
    how = {"next_hit": f"on {line.caster}'s next weapon hit (extra damage)",
           "each_hit": f"on each of {line.caster}'s weapon hits (extra damage)",
           "bonus_action": f"when {line.caster} spends a bonus action on it on a later turn "
                           f"(`!cast {line.spell} at <target>`, no slot)",
           "action": f"when {line.caster} spends an action on it on a later turn "
                     f"(`!cast {line.spell} at <target>`, no slot)"}[line.trigger]
    return f"**{line.spell}** is held: it strikes {how}, while {line.caster} concentrates."


@combat_line.register
def _(line: Volley) -> str:
    counts = Counter(line.shots)
    count = len(line.shots)
    return f"**{line.spell}**: {count} {line.word}{'s' if count != 1 else ''} at " + ", ".join(
        f"{name} ×{n}" if n > 1 else name for name, n in counts.items()) + "."


@combat_line.register
def _(line: ZoneTakesHold) -> str:
    return f"🌀 {line.target} starts a turn in **{line.spell}**."


@combat_line.register
def _(line: ZoneCast) -> str:
    return (f"**{line.spell}** takes hold around {', '.join(line.targets)}: each takes its effect at the start of "
            "its turn there, while the spell lasts.")
