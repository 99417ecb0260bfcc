"""The renderers of dnd.render: results are data, a roll's renderer is a parameter, the table reads Discord
Markdown and the narrator plain facts, and those facts reach the prompt without Markdown."""

from __future__ import annotations

import json
import random

from dnd.actions import use_item
from dnd.combat import (
    AttackResult,
    CombatState,
    add_condition,
    attack,
    end_turn,
    heal,
    outcome,
    saving_throw,
    summary,
)
from dnd.combat.lines import AttackVerdict
from dnd.combat.results import Told
from dnd.dice import roll
from dnd.inventory import expand
from dnd.render import discord, facts
from dnd.render.discord import DISCORD, combat_lines, render_roll
from dnd.render.facts import DICE_SHOWN, FACTS, combat_text, fight_events, fight_facts, roll_facts
from tests.unit.test_combat import aria, party_vs
from tests.unit.test_dice import ScriptedRandom
from workers.llm.prompts import build_turn_request
from workers.llm.providers.offline import OfflineNarrator

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


# ------------------------------------------------------------------------------------------ combat


def critical_hit() -> tuple[CombatState, AttackResult]:
    """Aria's Longsword at Goblin 1 on a natural 20: 2d8+3 = 9 drops it (7 HP)."""
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    return attack(state, "aria", "Goblin 1", "Longsword", rng.push(20, 4, 2))


def test_a_critical_hit_is_data_worded_for_the_table_and_for_the_narrator() -> None:
    state, hit = critical_hit()
    assert AttackVerdict("Aria", "Goblin 1", 15, hit=True, critical=True, natural=20) in hit.told
    assert hit.lines == [
        "**Longsword attack on Goblin 1**: 1d20 (**20**) + 5 = `25` — Natural 20!",
        "Aria → Goblin 1 (AC 15): **Critical hit!**",
        "**Longsword damage**: 2d8 (4, 2) + 3 = `9`",
        "Goblin 1 takes **9** damage (0/7 HP).",
        "☠️ Goblin 1 is defeated.",
    ]
    assert combat_lines(hit.told) == hit.lines and hit.text == "\n".join(hit.lines)
    assert fight_facts(hit, outcome(state)) == (
        "In the fight, Longsword attack on Goblin 1: 1d20 (20) + 5 = 25, a natural 20. Aria attacks Goblin 1 "
        "(AC 15): a critical hit. Longsword damage: 2d8 (4, 2) + 3 = 9 (critical hit: dice doubled). Goblin 1 "
        "takes 9 damage (0/7 HP). Goblin 1 is defeated. No foe is left standing.")


def test_a_critical_hits_facts_reach_the_prompt_and_the_offline_narrator_without_markdown() -> None:
    state, hit = critical_hit()
    told = fight_facts(hit, outcome(state))  # what `!attack` hands the narrator (ctx.narrate)
    events = fight_events(hit, outcome(state))  # and the same as data
    context = {"player_messages": [{"author": "alice", "player_id": 1, "text": "!attack goblin"}],
               "mechanical_results": [told], "fight": events, "in_combat": True}
    request = build_turn_request(context, "turn-1", max_model_len=16_000)
    prompt = request.messages[-1]["content"]
    assert "a critical hit" in prompt and "Goblin 1 takes 9 damage" in prompt
    assert '"result":"critical hit"' in prompt and '"state":"down"' in prompt
    assert not any(mark in prompt for mark in MARKDOWN), prompt
    narration = json.loads(OfflineNarrator().narrate(request.request_id, request.context))["narration"]
    # Retold in prose from the data: who struck whom with what, and how it ended; no dice, no Markdown.
    assert "Aria" in narration and "Goblin 1" in narration and "longsword" in narration, narration
    assert not any(mark in narration for mark in ("**", "`", "1d20", "AC 15", "In the fight")), narration


def test_the_facts_of_every_kind_of_combat_line_carry_no_markdown() -> None:
    state, rng = party_vs([("goblin", 2)], 15, 10, 12, 3)
    results: list[Told] = []
    state, r = add_condition(state, "Goblin 2", "Poisoned")
    results.append(r)
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(1))  # a natural 1
    results.append(r)
    state, r = saving_throw(state, ["Goblin 1", "Goblin 2"], "DEX", 13, rng.push(3, 4, 15, 2),
                            damage="2d6[fire]", condition_on_fail="Prone")
    results.append(r)
    state, r = heal(state, "Goblin 1", "1d4", rng.push(3))
    results.append(r)
    state, turn = end_turn(state)
    results += [turn, summary(state)]
    for result in results:
        assert not any(mark in combat_text(result) for mark in (*MARKDOWN, "💀", "☠️")), combat_text(result)
    assert "Goblin 1 DEX save: 1d20 (15) + 2 = 17 against DC 13: a success." in combat_text(results[2])
    assert any("**" in line for result in results for line in result.lines)  # the table's bold, for contrast


def test_a_potion_is_worded_for_the_table_and_for_the_narrator() -> None:
    aria_hurt = aria().model_copy(update={"hp": 10})
    with_potion = aria_hurt.model_copy(update={"inventory": [*aria_hurt.inventory,
                                                             *expand([("Potion of Healing", 1)])]})
    used = use_item(with_potion, "Potion of Healing", ScriptedRandom(3, 4))
    assert discord.item_use(used) == "Aria drinks a Potion of Healing and regains **9 HP** (rolled 9); HP 10 → 19/28."
    assert facts.item_use(used) == ("Aria drinks a Potion of Healing and regains 9 HP (Potion of Healing: "
                                    "2d4 (3, 4) + 2 = 9); HP 10 → 19/28.")
