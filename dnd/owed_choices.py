"""Class choices a character's levels owe: a character levelled before a choice existed (a Fighter 1 stored with
no Fighting Style, a Sorcerer 3 with no Metamagic, a Warlock with no invocations or Pact Boon) has a level record
without it. :func:`owed_choices` finds each choice point (`dnd.class_choices.choice_points`) a recorded level asks
and its record lacks; :func:`answer_owed` checks an answer as the level-up flow checks it (at that class level,
with that level's other choices) and stores it on that level's record, so the engine uses it from then on.

The optional points (an invocation swap) are never owed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dnd.character import Character, LevelRecord, derive, subclass_of
from dnd.class_choices import (
    BONUS_CANTRIP,
    OPTIONAL_POINTS,
    PACT_BOON,
    already_chosen,
    check_invocations_kept,
    choice_points,
    choice_title,
    describe_options,
    tome_cantrips,
)
from dnd.errors import RulesError
from dnd.level_up_flow import MAX_ANSWER_CHARS, checked_choice
from dnd.spellcasting import SpellCatalog


@dataclass(frozen=True)
class OwedChoice:
    """A choice point a recorded level asks and its record lacks."""

    record: int  # the level record's position in the character's history
    class_name: str
    class_level: int
    point: str

    @property
    def label(self) -> str:
        """"Fighting Style (Fighter 1)"."""
        return f"{self.point} ({self.class_name} {self.class_level})"


def owed_choices(character: Character) -> list[OwedChoice]:
    """Every choice point the character's recorded levels owe, oldest level first."""
    owed: list[OwedChoice] = []
    for index, record in enumerate(character.history):
        subclass = record.subclass or subclass_of(character, record.class_name)
        for point in dict.fromkeys(choice_points(record.class_name, record.class_level, subclass)):
            if point not in OPTIONAL_POINTS and point not in record.choices:
                owed.append(OwedChoice(index, record.class_name, record.class_level, point))
    return owed


def owed_menu(character: Character, owed: OwedChoice) -> str:
    """The question of one owed choice, with its options."""
    record = character.history[owed.record]
    menu = describe_options(owed.point, owed.class_name, already_chosen(owed.point, character), character=character,
                            class_level=owed.class_level, answered=record.choices)
    return f"**{owed.label}** — your {choice_title(owed.point)}:{chr(10) if menu.startswith('•') else ' '}{menu}"


def owed_text(character: Character) -> str:
    """The owed choices, numbered, each with its options; "" when none is owed."""
    owed = owed_choices(character)
    return "\n\n".join(f"{n}. {owed_menu(character, o)}" for n, o in enumerate(owed, 1))


def nothing_owed(character: Character) -> str:
    return f"{character.name} owes no class choices: every level's choices are made."


def find_owed(character: Character, text: str) -> tuple[OwedChoice, str]:
    """The owed choice an answer names, by its number in the list or its name (the oldest level owing it first),
    and the rest of the answer: "1 Defense", "fighting style: Defense", "metamagic quickened, twinned"."""
    owed = owed_choices(character)
    if not owed:
        raise RulesError(nothing_owed(character))
    words = " ".join(text.split())
    number = re.match(r"^#?(\d{1,3})\b[\s:.)-]*", words)
    if number:
        index = int(number.group(1))
        if not 1 <= index <= len(owed):
            raise RulesError(f"There is no owed choice {index}: {_owed_names(owed)}.")
        return owed[index - 1], words[number.end():]
    named = [o for o in owed if words.casefold().startswith(o.point.casefold())
             and words[len(o.point):len(o.point) + 1] in ("", " ", ":")]
    # the longest name that fits ("Favored Enemy Language" before "Favored Enemy"), then the oldest level
    found = max(named, key=lambda o: len(o.point), default=None)
    if found is None:
        raise RulesError(f"That isn't a choice {character.name} owes: {_owed_names(owed)}. Type `!choose` to see "
                         "them with their options.")
    return found, words[len(found.point):].lstrip(" :")


def _owed_names(owed: list[OwedChoice]) -> str:
    return ", ".join(f"{n}. {o.label}" for n, o in enumerate(owed, 1))


def answer_owed(character: Character, text: str, catalog: SpellCatalog) -> tuple[Character, OwedChoice, str]:
    """The character with an owed choice made (``text``: the choice and the answer, as :func:`find_owed` reads
    them), the choice answered and its canonical answer. Refuses (RulesError) an answer the level-up would refuse,
    a choice not owed, an answer too long, and one that would leave an invocation without its prerequisite."""
    if len(text) > MAX_ANSWER_CHARS:
        raise RulesError(f"That answer is too long (at most {MAX_ANSWER_CHARS} characters).")
    owed, answer = find_owed(character, text)
    if not answer:
        raise RulesError(f"Give your answer after the choice: {owed_menu(character, owed)}")
    record = character.history[owed.record]
    found = checked_choice(owed.point, owed.class_name, answer, character, owed.class_level, record.choices,
                           catalog)
    history = list(character.history)
    history[owed.record] = LevelRecord.model_validate({**record.model_dump(),
                                                       "choices": {**record.choices, owed.point: found}})
    # the cantrips a choice teaches: a Pact of the Tome's three, a Land druid's bonus cantrip
    taught = tome_cantrips(found) if owed.point == PACT_BOON else [found] if owed.point == BONUS_CANTRIP else []
    draft = character.model_copy(update={"history": history, "cantrips": [*character.cantrips, *taught]})
    updated = derive(draft, grow_from=character)  # a hit point maximum that rises brings its hit points along
    check_invocations_kept(character, updated)
    return updated, owed, found


__all__ = ["OwedChoice", "answer_owed", "find_owed", "nothing_owed", "owed_choices", "owed_menu", "owed_text"]
