"""The `!create_character` state machine: every step, refusals that keep the state, cancel, back, resume."""

from __future__ import annotations

import random
import re

import pytest

from dnd.character import recompute
from dnd.creation import CreationChoices, create_character
from dnd.creation_flow import (
    CreationState,
    answer,
    build_gold,
    finished_character,
    parse_scores,
    prompt,
    split_list,
    start,
)
from dnd.errors import RulesError
from dnd.wealth import total_cp

FIGHTER_KIT = ["a", "a", "Longsword", "a", "a"]  # the SRD's option (a) throughout, a longsword for the martial weapon
FIGHTER = ["Brakka", "Half-Orc", "Fighter", "Defense", "standard array", "STR 15 DEX 14 CON 13 INT 12 WIS 10 CHA 8",
           "Acolyte",
           "Athletics, Perception", "Giant, Dwarvish", "package", *FIGHTER_KIT]


def run(answers: list[str], seed: int = 1, state: CreationState | None = None) -> tuple[CreationState, str]:
    rng = random.Random(seed)
    if state is None:
        state, reply = start()
    reply = ""
    for text in answers:
        state, reply = answer(state, text, rng)
    return state, reply


def test_start_asks_for_the_name() -> None:
    state, text = start()
    assert state.step == "name" and state.status == "active"
    assert "Character creation — Name" in text and "`cancel`" in text


def test_fighter_from_start_to_finish() -> None:
    state, reply = run([*FIGHTER])
    assert state.step == "confirm"
    # Chain mail 16 + shield 2 + the Defense fighting style 1
    assert "**Brakka** — Half-Orc Fighter 1, Acolyte" in reply and "HP 12" in reply and "AC 19" in reply
    assert "Class choices: Fighting Style: Defense" in reply
    state, reply = run(["yes"], state=state)
    assert state.status == "done" and "Brakka** is ready" in reply
    character = finished_character(state)
    expected = create_character(CreationChoices(
        name="Brakka", race="Half-Orc", class_name="Fighter", ability_method="standard_array",
        base_scores={"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}, background="Acolyte",
        skills=["Athletics", "Perception"], languages=["Giant", "Dwarvish"],
        class_choices={"Fighting Style": "Defense"}))
    assert character == expected and character.history[0].choices == {"Fighting Style": "Defense"}
    assert recompute(character)[1] == []


def test_the_steps_visited_for_a_fighter() -> None:
    rng = random.Random(1)
    state, _ = start()
    visited = [state.step]
    for text in FIGHTER:
        state, _ = answer(state, text, rng)
        visited.append(state.step)
    assert visited == ["name", "race", "class", "fighting_style", "method", "scores", "background", "skills",
                       "languages", "equipment", "kit_1", "kit_2", "kit_3", "kit_4", "kit_5", "confirm"]


def test_point_buy_over_budget_is_refused_and_nothing_moves() -> None:
    state, _ = run(["Brakka", "Half-Orc", "Fighter", "Defense", "point buy"])
    again, reply = answer(state, "STR 15 DEX 15 CON 15 INT 9 WIS 8 CHA 9", random.Random(1))
    assert again == state
    assert reply.startswith("❌ Point buy exceeds 27 points (spent 29)") and "Assign your ability scores" in reply
    done, reply = answer(state, "15 13 14 8 12 10", random.Random(1))
    assert done.step == "background" and "(27 of 27 points spent)" in reply


@pytest.mark.parametrize("step_answers, bad, reason", [
    ([], "", None),
    (["Brakka"], "Vampire", "Unknown race 'Vampire'"),
    (["Brakka", "Half-Orc"], "Necromancer", "Unknown class 'Necromancer'"),
    (["Brakka", "Half-Orc", "Fighter"], "Karate", "Choose a fighting style of the Fighter"),
    (["Brakka", "Half-Orc", "Fighter", "Defense"], "coin toss", "Choose `point buy`, `standard array` or `roll`"),
    (["Brakka", "Half-Orc", "Fighter", "Defense", "standard array"], "15 15 13 12 10 8", "Use the standard array"),
    (["Brakka", "Half-Orc", "Fighter", "Defense", "standard array"], "1 2 3", "Give six scores"),
    (FIGHTER[:6], "Sailor", "Unknown background 'Sailor'"),
    (FIGHTER[:7], "Athletics", "chooses 2 skills"),
    (FIGHTER[:7], "Arcana, Athletics", "Arcana is not a Fighter skill"),
    (FIGHTER[:7], "Intimidation, Athletics", "You already have Intimidation"),
    (FIGHTER[:7], "Juggling, Athletics", "'Juggling' is not a skill"),
    (FIGHTER[:8], "Giant", "Choose 2 extra language(s)"),
    (FIGHTER[:8], "Giant, Orc", "You already speak Orc"),
    (FIGHTER[:9], "a bag of holding", "Reply `package`"),
])
def test_refusals_keep_the_state(step_answers: list[str], bad: str, reason: str | None) -> None:
    state, _ = run(step_answers)
    again, reply = answer(state, bad, random.Random(1))
    assert again == state
    if reason is None:  # an empty answer repeats the question
        assert reply == prompt(state)
    else:
        assert reply.startswith("❌") and reason in reply, reply


def test_name_rules() -> None:
    state, _ = start()
    assert "too long" in answer(state, "x" * 65, random.Random(1))[1]
    assert "can't contain" in answer(state, "<@123>", random.Random(1))[1]
    named, reply = answer(state, "  Sir   Brakka  ", random.Random(1))
    assert named.data["name"] == "Sir Brakka"


def test_cancel_at_any_step() -> None:
    for n in range(len(FIGHTER) + 1):
        state, _ = run(FIGHTER[:n])
        cancelled, reply = answer(state, "cancel", random.Random(1))
        assert cancelled.status == "cancelled" and "cancelled" in reply and "Nothing was saved" in reply
        assert answer(cancelled, "Fighter", random.Random(1))[0].status == "cancelled"


def test_back_returns_to_the_previous_question() -> None:
    state, _ = run(["Brakka", "Half-Orc", "Fighter"])
    back, reply = answer(state, "back", random.Random(1))
    assert back.step == "class" and "Choose your **class**" in reply
    back, _ = answer(back, "back", random.Random(1))
    assert back.step == "race"
    back, reply = answer(back, "Dwarf", random.Random(1))
    assert back.step == "subrace"
    first, _ = start()
    assert "first question" in answer(first, "back", random.Random(1))[1]


def test_changing_an_earlier_answer_drops_answers_that_no_longer_apply() -> None:
    state, _ = run(["Rhogar", "Dragonborn", "Red"])
    assert state.data["draconic_ancestry"] == "Red" and state.step == "class"
    state, _ = run(["back", "back", "Half-Orc"], state=state)
    assert state.step == "class" and "draconic_ancestry" not in state.data
    state, reply = run(FIGHTER[2:], state=state)
    assert state.step == "confirm" and "Half-Orc Fighter 1" in reply


def test_subrace_by_short_name_or_directly() -> None:
    state, reply = run(["Tordek", "Dwarf"])
    assert state.step == "subrace" and "Hill Dwarf" in reply
    assert "not a subrace" in answer(state, "High Elf", random.Random(1))[1]
    hill, _ = answer(state, "hill", random.Random(1))
    assert (hill.data["race"], hill.data["subrace"], hill.step) == ("Dwarf", "Hill Dwarf", "class")
    direct, _ = run(["Tordek", "Hill Dwarf"])
    assert direct.data == hill.data and direct.step == "class"


def test_rolled_scores_are_shown_and_must_be_assigned() -> None:
    state, reply = run(["Brakka", "Half-Orc", "Fighter", "Defense", "roll"], seed=7)
    rolled = state.data["rolled_scores"]
    assert len(rolled) == 6 and all(3 <= r <= 18 for r in rolled)
    assert reply.count("🎲") == 6 and "drop" in reply
    shown = [int(n) for n in re.findall(r"= (\d+)", reply)]
    assert shown == rolled
    assert "Assign exactly the scores you rolled" in answer(state, "18 18 18 18 18 18", random.Random(1))[1]
    assigned, _ = answer(state, " ".join(str(r) for r in rolled), random.Random(1))
    assert assigned.step == "background"
    assert assigned.data["base_scores"] == dict(zip(["STR", "DEX", "CON", "INT", "WIS", "CHA"], rolled, strict=True))


def test_variant_human_picks_increases_a_skill_and_a_feat() -> None:
    state, reply = run(["Ayla", "Variant Human", "Fighter", "Defense", "standard array", "15 14 13 12 10 8"])
    assert state.step == "racial" and "2 different abilities" in reply
    assert "+1 to 2 different abilities (you chose 1)" in answer(state, "STR", random.Random(1))[1]
    state, _ = run(["STR, CON", "Acolyte", "Athletics, Perception"], state=state)
    assert state.step == "race_skills"
    assert "You already have Athletics" in answer(state, "Athletics", random.Random(1))[1]
    state, _ = run(["Stealth", "Elvish, Giant, Orc", "package", *FIGHTER_KIT], state=state)
    assert state.step == "feat"
    assert "Grappler requires STR 13" not in answer(state, "Grappler", random.Random(1))[1]
    assert "Unknown feat" in answer(state, "Flying", random.Random(1))[1]
    state, reply = run(["Observant"], state=state)
    assert state.step == "feat_ability" and "INT or WIS" in reply
    assert "can increase INT or WIS, not STR" in answer(state, "STR", random.Random(1))[1]
    state, _ = run(["WIS", "yes"], state=state)
    character = finished_character(state)
    assert character.ability_scores["WIS"] == 11 and [f.name for f in character.feats] == ["Observant"]
    assert "Stealth" in character.skills


def test_dragonborn_chooses_an_ancestry() -> None:
    state, reply = run(["Rhogar", "Dragonborn"])
    assert state.step == "ancestry" and "Red (fire)" in reply
    assert "Choose a draconic ancestry" in answer(state, "Purple", random.Random(1))[1]
    state, _ = answer(state, "gold dragon", random.Random(1))
    assert state.data["draconic_ancestry"] == "Gold"


def test_rogue_expertise_bard_instruments_and_dwarf_tools() -> None:
    rogue, reply = run(["Vex", "Half-Orc", "Rogue", "standard array", "8 15 14 12 10 13", "Acolyte",
                        "Stealth, Acrobatics, Perception, Deception"])
    assert rogue.step == "expertise"
    assert "aren't proficient in Arcana" in answer(rogue, "Arcana, Stealth", random.Random(1))[1]
    rogue, _ = answer(rogue, "Stealth, thieves' tools", random.Random(1))
    assert rogue.data["expertise"] == ["Stealth", "Thieves' Tools"]

    bard, reply = run(["Lia", "Half-Orc", "Bard", "standard array", "8 14 13 10 12 15", "Acolyte",
                       "Arcana, Stealth, History", "Elvish, Giant"])
    assert bard.step == "tools" and "3 musical instruments" in reply
    assert "is not one of the musical instruments" in answer(bard, "Lute, Drum, Smith's Tools", random.Random(1))[1]
    bard, _ = answer(bard, "Lute, Drum, Flute", random.Random(1))
    assert bard.step == "cantrips"

    dwarf, reply = run(["Tordek", "Hill Dwarf", "Fighter", "Defense", "standard array", "15 14 13 12 10 8", "Acolyte",
                        "Athletics, Perception", "Giant, Elvish"])
    assert dwarf.step == "race_tool" and "Smith's Tools" in reply
    assert "chooses one tool" in answer(dwarf, "Lute", random.Random(1))[1]
    dwarf, _ = run(["mason's tools", "package", *FIGHTER_KIT, "yes"], state=dwarf)
    assert "Mason's Tools" in finished_character(dwarf).proficiencies


def test_casters_choose_cantrips_and_spells() -> None:
    state, reply = run(["Eldrin", "High Elf", "Wizard", "point buy", "8 14 14 15 12 8", "Scholar",
                        "Investigation, Medicine", "Dwarvish, Giant"])
    assert state.step == "cantrips" and "up to **4 cantrip(s)**" in reply
    assert "knows 4 cantrip(s), not 5" in answer(state, "Fire Bolt, Light, Mage Hand, Ray of Frost, Acid Splash",
                                                   random.Random(1))[1]
    state, reply = run(["Fire Bolt, Light, Mage Hand, Ray of Frost"], state=state)
    assert state.step == "spells" and "up to **6 1st-level spells" in reply
    assert "Fireball is a level 3 spell" in answer(state, "Fireball", random.Random(1))[1]
    assert "Cure Wounds is not on the Wizard spell list" in answer(state, "Cure Wounds", random.Random(1))[1]
    state, _ = run(["Magic Missile, Shield", "package", "a", "a", "a", "yes"], state=state)
    character = finished_character(state)
    assert character.spells_known == ["Magic Missile", "Shield"] and character.spell_slots == {1: 2}

    cleric, reply = run(["Mira", "Half-Orc", "Cleric"])
    assert cleric.step == "subclass" and "Domain" in reply
    assert "Unknown" in answer(cleric, "War", random.Random(1))[1]
    cleric, _ = answer(cleric, "Life", random.Random(1))
    assert cleric.data["subclass"] == "Life" and cleric.step == "method"
    fighter, _ = run(FIGHTER[:9])
    assert fighter.step == "equipment"  # no spell steps for a Fighter


def test_starting_gold_is_rolled_once_and_shown() -> None:
    state, _ = run(FIGHTER[:9])
    state, reply = answer(state, "gold", random.Random(99))
    gold = build_gold(state.data)
    assert 50 <= gold <= 200 and f"**{gold} gp**" in reply
    state, _ = answer(state, "yes", random.Random(5))
    character = finished_character(state)
    assert total_cp(character.wealth) == (gold + 15) * 100  # + the Acolyte's pouch
    assert not any(i.name == "Chain Mail" for i in character.inventory)


def test_state_survives_json_and_resumes_identically() -> None:
    state, _ = run(FIGHTER[:5])
    stored = state.model_dump(mode="json")
    resumed = CreationState.model_validate(stored)
    assert resumed == state
    a, reply_a = run(FIGHTER[5:] + ["yes"], state=state)
    b, reply_b = run(FIGHTER[5:] + ["yes"], state=resumed)
    assert a == b and reply_a == reply_b


def test_confirm_needs_a_clear_yes() -> None:
    state, _ = run(FIGHTER)
    assert answer(state, "maybe", random.Random(1))[0] == state
    assert "`back`" in answer(state, "no", random.Random(1))[1]
    with pytest.raises(RulesError):
        finished_character(state)


def test_parsers() -> None:
    assert parse_scores("STR 15, dex=14 con:13 int 12 wisdom 10 cha 8") == {
        "STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}
    assert parse_scores("15 14 13 12 10 8")["CON"] == 13
    with pytest.raises(RulesError, match="twice"):
        parse_scores("STR 15 STR 14")
    assert split_list("Athletics, Sleight of Hand and Stealth") == ["Athletics", "Sleight of Hand", "Stealth"]
    assert split_list("Fire Bolt; Light\nMage Hand") == ["Fire Bolt", "Light", "Mage Hand"]


def test_steps_with_a_short_list_of_answers_offer_it_as_a_menu_and_each_entry_is_accepted() -> None:
    import random as _random

    from dnd import creation_flow as flow

    state, _ = flow.start()
    assert flow.menu(state) == []  # the name is free text
    state, _ = flow.answer(state, "Tamsin", _random.Random(1))
    races = flow.menu(state)
    assert "Human" in races and "Hill Dwarf" in races and "Dwarf" not in races  # a Dwarf must pick a subrace
    for race in races:  # every entry of the menu is an answer the step takes
        after, reply = flow.answer(state, race, _random.Random(1))
        assert after.step != "race", (race, reply)
    state, _ = flow.answer(state, "High Elf", _random.Random(1))
    assert flow.menu(state) == ["Barbarian", "Bard", "Cleric", "Druid", "Fighter", "Monk", "Paladin", "Ranger",
                                "Rogue", "Sorcerer", "Warlock", "Wizard"]
    assert len(flow.menu(state)) <= flow.MAX_MENU_CHOICES
