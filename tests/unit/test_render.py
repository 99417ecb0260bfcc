"""The renderers of dnd.render: a roll's renderer is a parameter; the narrator's facts carry no Markdown."""

from __future__ import annotations

import random

from dnd.dice import roll
from dnd.render.discord import DISCORD, render_roll
from dnd.render.facts import DICE_SHOWN, FACTS, roll_facts
from tests.unit.test_dice import ScriptedRandom

MARKDOWN = ("**", "~~", "__", "`")


def test_the_renderer_is_a_parameter_of_the_roll() -> None:
    discord = roll("1d20+5 Stealth", ScriptedRandom(20))
    plain = roll("1d20+5 Stealth", ScriptedRandom(20), renderer=FACTS)
    assert str(discord) == "**Stealth**: 1d20 (**20**) + 5 = `25` — Natural 20!" == render_roll(discord)
    assert str(plain) == "Stealth: 1d20 (20) + 5 = 25, a natural 20" == roll_facts(discord)
    # Either renderer renders any result: the result is the same data.
    assert DISCORD.render(plain) == str(discord) and FACTS.render(discord) == str(plain)


def test_facts_say_in_words_what_markdown_marks() -> None:
    kept = roll("4d6kh3", ScriptedRandom(1, 6, 4, 3), renderer=FACTS)
    assert str(kept) == "4d6kh3 (1 dropped, 6, 4, 3) = 13"
    rerolled = roll("2d6ro1", ScriptedRandom(1, 5, 3), renderer=FACTS)
    assert str(rerolled) == "2d6ro1 (1 rerolled, 3, 5) = 8"
    exploded = roll("1d6!", ScriptedRandom(6, 2), renderer=FACTS)
    assert str(exploded) == "1d6! (6 exploded, 2) = 8"
    typed = roll("1d8[slashing]+1d6[fire]+3", ScriptedRandom(5, 4), renderer=FACTS)
    assert str(typed) == "1d8 (5) slashing + 1d6 (4) fire + 3 = 12 (5 slashing, 4 fire, 3 untyped)"
    critical = roll("1d8+3 Longsword damage", ScriptedRandom(7, 2), crit=True, renderer=FACTS)
    assert str(critical) == "Longsword damage: 2d8 (7, 2) + 3 = 12 (critical hit: dice doubled)"
    repeated = roll("2#1d6 Stats", ScriptedRandom(3, 4), renderer=FACTS)
    assert str(repeated) == "Stats: 2#1d6: 1d6 (3) = 3, 1d6 (4) = 4; total 7"


def test_facts_list_a_few_dice_per_term() -> None:
    many = roll("30d6", random.Random(1), renderer=FACTS)
    assert str(many).count(",") == DICE_SHOWN and f"{30 - DICE_SHOWN} more" in str(many)


def test_no_markdown_in_facts_of_any_roll() -> None:
    rng = random.Random(7)
    for expression in ("1d20+3 adv", "4d6kh3", "(1d20+2, 1d20+5)kh1", "10d10>=8", "3#4d6kh3", "4d6mi2ma5",
                       "8d6[fire] Fireball"):
        for _ in range(20):
            text = str(roll(expression, rng, renderer=FACTS))
            assert not any(mark in text for mark in MARKDOWN), text
