"""A class's starting equipment with the SRD's (a)/(b) options (`dnd.data.equipment.STARTING_KITS`): the questions
they ask, one at a time, and the items the answers give.

The answers are a list in the order the questions come: for each choice with more than one option, its letter
("a", "(b) two martial weapons" — a menu's whole line works as well); then, for a chosen option with a pick ("any
martial weapon"), the item(s) it names ("Longsword", "rapier, warhammer" for two). :func:`walk` reads them,
refusing a wrong one with the reason, and says what is asked next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dnd.data.equipment import (
    ARCANE_FOCI,
    DRUIDIC_FOCI,
    HOLY_SYMBOLS,
    MUSICAL_INSTRUMENTS,
    STARTING_KITS,
    KitOption,
    KitPick,
    find_item,
    weapons,
)
from dnd.errors import RulesError

LETTERS = "abc"


def group_items(pick: KitPick) -> list[str]:
    """The items a pick may name: "martial melee weapon" -> Battleaxe, Flail, ..."""
    fixed = {"musical instrument": MUSICAL_INSTRUMENTS, "arcane focus": ARCANE_FOCI, "druidic focus": DRUIDIC_FOCI,
             "holy symbol": HOLY_SYMBOLS}
    if pick.group in fixed:
        names = list(fixed[pick.group])
    else:
        category, _, reach = pick.group.removesuffix(" weapon").partition(" ")
        names = [w.name for w in weapons() if w.category == category
                 and (not reach or w.ranged == (reach == "ranged"))]
    return [n for n in names if n not in pick.exclude]


@dataclass(frozen=True)
class KitQuestion:
    """What the next answer chooses: the prompt's text and the answers a menu can offer."""

    text: str
    menu: tuple[str, ...]


@dataclass(frozen=True)
class KitWalk:
    items: list[tuple[str, int]]  # what the answers so far give (with the fixed equipment)
    question: KitQuestion | None  # the next one, None when every choice is answered


def _option_line(letter: str, option: KitOption) -> str:
    return f"({letter}) {option.label}"


def _letter(text: str, options: Sequence[KitOption]) -> int:
    found = re.match(r"^\s*\(?([a-c])\)?(?:[\s:.,-]|$)", text.casefold())
    key = " ".join(text.split()).casefold()
    index = LETTERS.index(found.group(1)) if found else next(
        (i for i, o in enumerate(options) if o.label.casefold() == key), -1)
    if not 0 <= index < len(options):
        raise RulesError("Choose " + " or ".join(_option_line(LETTERS[i], o) for i, o in enumerate(options))
                         + f": reply {' or '.join(f'`{LETTERS[i]}`' for i in range(len(options)))}.")
    return index


def _picked(text: str, pick: KitPick) -> list[str]:
    allowed = group_items(pick)
    names: list[str] = []
    for piece in (p.strip() for p in re.split(r"\s*(?:,|;|\band\b|&)\s*", text, flags=re.IGNORECASE)):
        joined = f"{names[-1]}, {piece}" if names else ""
        if names and find_item(names[-1]) is None and find_item(joined) is not None:  # "Crossbow, hand"
            names[-1] = joined
        elif piece:
            names.append(piece)
    if len(names) != pick.count:
        raise RulesError(f"Name {pick.count} {pick.group}(s): {', '.join(allowed)}.")
    out = []
    for name in names:
        item = find_item(name)
        if item is None or item.name not in allowed:
            raise RulesError(f"'{name[:40]}' is not a {pick.group} you can take. Choose from: {', '.join(allowed)}.")
        out.append(item.name)
    return out


def _pick_question(pick: KitPick) -> KitQuestion:
    allowed = group_items(pick)
    many = "" if pick.count == 1 else f" (name {pick.count}, separated by commas; the same one twice is fine)"
    return KitQuestion(f"Choose your **{pick.group}**{many}: {', '.join(allowed)}.",
                       tuple(allowed) if pick.count == 1 else ())


def walk(class_name: str, answers: Sequence[str], proficiencies: Sequence[str] = ()) -> KitWalk:
    """The items the ``answers`` give and the next question (refusing an answer that doesn't fit its question, or
    an option needing a proficiency missing from ``proficiencies``)."""
    kit = STARTING_KITS[class_name]
    items: list[tuple[str, int]] = list(kit.fixed)
    pending = list(answers)
    have = {p.casefold() for p in proficiencies}
    for number, options in enumerate(kit.choices, start=1):
        if len(options) > 1:
            if not pending:
                lines = [_option_line(LETTERS[i], o) for i, o in enumerate(options)]
                return KitWalk(items, KitQuestion(f"Choice {number} of {len(kit.choices)}: " + " or ".join(lines)
                                                  + f" — reply {' or '.join(LETTERS[:len(options)])}.",
                                                  tuple(lines)))
            option = options[_letter(pending.pop(0), options)]
            if option.requires and option.requires.casefold() not in have:
                raise RulesError(f"{option.label[0].upper()}{option.label[1:]} needs proficiency with "
                                 f"{option.requires.lower()}; choose another option.")
        else:
            option = options[0]
        for entry in option.entries:
            if not isinstance(entry, KitPick):
                items.append(entry)
                continue
            if not pending:
                return KitWalk(items, _pick_question(entry))
            items += [(name, 1) for name in _picked(pending.pop(0), entry)]
    if pending:
        raise RulesError(f"The {class_name}'s starting equipment has no more choices.")
    return KitWalk(items, None)


def default_answers(class_name: str) -> list[str]:
    """Option (a) of every choice, and each pick's default: the kit of a character made without the conversation."""
    out: list[str] = []
    for options in STARTING_KITS[class_name].choices:
        if len(options) > 1:
            out.append("a")
        out += [e.default for e in options[0].entries if isinstance(e, KitPick)]
    return out


def kit_items(class_name: str, answers: Sequence[str] | None,
              proficiencies: Sequence[str] = ()) -> list[tuple[str, int]]:
    """The starting equipment the answers choose (``None``: :func:`default_answers`); every choice answered."""
    found = walk(class_name, default_answers(class_name) if answers is None else answers, proficiencies)
    if found.question is not None:
        raise RulesError(f"Answer each starting-equipment choice of the {class_name}: {found.question.text}")
    return found.items
