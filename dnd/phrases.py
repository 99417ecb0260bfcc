"""How players write the things the rules count: quantities ("Torch 3", "3x Torch", "three torches"), plurals
("torches" is a torch), and the advantage words of a roll ("adv", "disadvantage").

One reading for every path, commands and plain words alike: "Torch 3" means three torches everywhere.
Pure functions, no I/O.
"""

from __future__ import annotations

import re

from dnd.dice_ast import Advantage

ADVANTAGE_WORDS: dict[str, Advantage] = {
    "adv": "advantage",
    "advantage": "advantage",
    "dis": "disadvantage",
    "disadvantage": "disadvantage",
}

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "a pair of": 2,
    "a couple of": 2,
    "a dozen": 12,
    "a score of": 20,
}
# Longest first, so "a dozen" is read before any shorter phrase it starts with.
_NUMBER_PHRASES = tuple(sorted(NUMBER_WORDS, key=len, reverse=True))
_LEADING_COUNT = re.compile(r"^(?P<qty>-?\d+)\s*[x×]?\s+(?P<name>.+)$", re.IGNORECASE)
_TRAILING_COUNT = re.compile(r"^(?P<name>.+?)\s+[x×]?\s*(?P<qty>-?\d+)$", re.IGNORECASE)
_IRREGULAR_SINGULARS = {"knives": "knife", "torches": "torch", "staves": "staff", "feet": "foot", "teeth": "tooth"}


def parse_quantity(phrase: str) -> tuple[int | None, str]:
    """The count a phrase starts or ends with, and the rest: `3 Torch`, `3x Torch`, `Torch x3`, `Torch ×3` and
    `Torch 3` are (3, "Torch"); `two torches` is (2, "torches"); `a rope` is (None, "a rope"). The count is
    not bounded here (`-2 Torch` is (-2, "Torch")): each caller says how many it allows."""
    phrase = " ".join(phrase.split())
    match = _LEADING_COUNT.match(phrase) or _TRAILING_COUNT.match(phrase)
    if match:
        return int(match.group("qty")), match.group("name").strip()
    lowered = phrase.lower()
    for words in _NUMBER_PHRASES:
        if lowered.startswith(words + " "):
            return NUMBER_WORDS[words], phrase[len(words) + 1 :].strip()
    return None, phrase


def counted_name(phrase: str) -> tuple[int, str]:
    """`parse_quantity`, counting one where the phrase gives no count: `Torch` is (1, "Torch")."""
    quantity, name = parse_quantity(phrase)
    return (1 if quantity is None else quantity), name


def advantage_word(word: str) -> Advantage | None:
    """"adv"/"advantage" → "advantage", "dis"/"disadvantage" → "disadvantage", any other word → None."""
    return ADVANTAGE_WORDS.get(word.casefold())


def singular_word(word: str) -> str:
    """One word in the singular, keeping its case: "torches" → "torch", "Potions" → "Potion", "knives" →
    "knife", "rubies" → "ruby"; words that only look plural ("glass", "bonus", "axis") stay as they are."""
    lowered = word.lower()
    if lowered in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[lowered]
    if lowered.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lowered.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def singularize(phrase: str) -> str:
    """The head noun of `phrase` in the singular ("torches" → "torch", "vials of acid" → "vial of acid")."""
    words = phrase.split()
    if not words:
        return phrase
    # "vials of acid": the head noun is the word before "of".
    index = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
    words[index] = singular_word(words[index])
    return " ".join(words)
