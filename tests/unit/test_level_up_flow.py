"""The `!level_up` state machine: class (or multiclass), hit points, ASI or feat, subclass, skills, expertise,
confirm; refusals keep the state; cancel and back."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from dnd.character import Character, recompute
from dnd.creation import CreationChoices, create_character
from dnd.errors import RulesError
from dnd.level_up_flow import (
    LevelUpState,
    answer,
    headline,
    hp_roll,
    leveled_character,
    parse_asi,
    start,
)
from dnd.leveling import LevelUpChoices, apply_level_up


def fighter(xp: int = 400_000, **overrides: Any) -> Character:
    data: dict[str, Any] = {
        "name": "Eldrin", "race": "Half-Orc", "class_name": "Fighter", "ability_method": "standard_array",
        "base_scores": {"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}, "background": "Acolyte",
        "skills": ["Athletics", "Perception"], "languages": ["Giant", "Dwarvish"],
    }
    data.update(overrides)
    return create_character(CreationChoices(**data)).model_copy(update={"xp": xp})


def run(character: Character, answers: list[str], seed: int = 1,
        state: LevelUpState | None = None) -> tuple[LevelUpState, str]:
    rng = random.Random(seed)
    reply = ""
    if state is None:
        state, reply = start(character)
    for text in answers:
        state, reply = answer(state, character, text, rng)
    return state, reply


def level(character: Character, answers: list[str]) -> Character:
    state, _ = run(character, answers)
    assert state.status == "done", state
    return leveled_character(state)


def test_start_shows_level_xp_and_class() -> None:
    character = fighter(xp=300)
    state, text = start(character)
    assert "**Eldrin, Fighter level 1, 300 XP** — you can reach level 2" in text
    assert state.step == "class" and "level up in <class>" in text
    assert headline(character) == "Eldrin, Fighter level 1, 300 XP"


def test_start_refuses_without_xp_or_at_level_20() -> None:
    with pytest.raises(RulesError, match=r"needs 300 XP to reach level 2 \(has 299 XP\)"):
        start(fighter(xp=299))
    character = fighter()
    for n in range(19):
        character, _ = apply_level_up(character, "Fighter", LevelUpChoices(
            asi={"STR": 1, "CON": 1} if n + 2 in (4, 8, 12) else {"WIS": 1, "CHA": 1}
            if n + 2 in (6, 14, 16, 19) else {}, subclass="Champion" if n + 2 == 3 else None))
    assert character.level == 20
    with pytest.raises(RulesError, match="there is no level 21"):
        start(character)


def test_one_level_with_the_average() -> None:
    character = fighter()
    state, reply = run(character, ["yes"])
    assert state.step == "hp" and "Fighter level 2" in reply and "Action Surge" in reply
    assert "roll 1d10+2 (3–12) or `average` to take 8" in reply  # Half-Orc CON 14
    state, reply = run(character, ["average"], state=state)
    assert state.step == "confirm" and "max hp 12 -> 20 (+8)" in reply
    state, reply = run(character, ["yes"], state=state)
    assert state.status == "done" and "Eldrin reaches level 2 (Fighter 2)!" in reply
    new = leveled_character(state)
    assert (new.level, new.max_hp, new.hp) == (2, 20, 20) and "Action Surge (1 use)" in new.features
    assert recompute(new)[1] == []


def test_rolled_hit_points_are_the_ones_shown() -> None:
    character = fighter()
    for seed in range(8):
        state, reply = run(character, ["yes", "roll"], seed=seed)
        shown = int(re.search(r"You roll \*\*(\d+)\*\*", reply).group(1))
        assert hp_roll(state, character) == shown
        state, _ = run(character, ["yes"], state=state)
        assert leveled_character(state).max_hp == character.max_hp + shown + 2


def test_asi_refusals_then_an_increase() -> None:
    character = level(level(fighter(), ["yes", "average", "yes"]), ["yes", "average", "Champion", "yes"])
    state, reply = run(character, ["yes", "average"])
    assert state.step == "asi" and "+2 STR" in reply and "Lucky" in reply
    for bad, reason in (("+3 STR", "adds +2 to one ability or +1 to two"),
                        ("+2 STR +1 CON", "adds +2 to one ability or +1 to two"),
                        ("+2 LUCK", "not an ability score"),
                        ("feat Flying", "Unknown feat 'Flying'")):
        again, reply = answer(state, character, bad, random.Random(1))
        assert again == state and reason in reply, reply
    state, reply = run(character, ["+1 STR +1 CON"], state=state)
    assert state.step == "confirm" and "STR 17 -> 18, CON 14 -> 15" in reply
    new = leveled_character(run(character, ["yes"], state=state)[0])
    assert new.ability_scores["STR"] == 18 and new.ability_scores["CON"] == 15
    assert new.max_hp == character.max_hp + 8  # CON 14 -> 15 keeps its +2 modifier


def test_a_feat_instead_of_the_asi() -> None:
    character = level(level(fighter(), ["yes", "average", "yes"]), ["yes", "average", "Champion", "yes"])
    state, reply = run(character, ["yes", "average", "feat Tough"])
    assert state.step == "confirm" and "New feat: Tough" in reply
    new = leveled_character(run(character, ["yes"], state=state)[0])
    assert [f.name for f in new.feats] == ["Tough"] and new.max_hp == character.max_hp + 8 + 2 * 4
    state, reply = run(character, ["yes", "average", "Observant"])
    assert state.step == "feat_ability" and "INT or WIS" in reply
    state, _ = run(character, ["WIS", "yes"], state=state)
    assert leveled_character(state).ability_scores["WIS"] == character.ability_scores["WIS"] + 1


def test_subclass_at_the_class_level() -> None:
    character = level(fighter(), ["yes", "average", "yes"])
    state, reply = run(character, ["yes", "average"])
    assert state.step == "subclass" and "Martial Archetype" in reply and "Champion" in reply
    again, reply = answer(state, character, "Battle Master", random.Random(1))
    assert again == state and "Unknown Martial Archetype" in reply
    new = level(character, ["yes", "average", "champion", "yes"])
    assert new.subclasses == {"Fighter": "Champion"} and "Improved Critical" in new.features


def test_multiclass_prerequisites_and_choices() -> None:
    character = fighter()
    state, reply = run(character, ["level up in Wizard"])
    assert state.step == "class" and "can't multiclass into the Wizard" in reply and "Intelligence 13" in reply
    state, reply = run(character, ["multiclass into rogue", "average"])
    assert state.step == "skills" and "1 skill(s)" in reply
    assert "not a skill you can gain" in answer(state, character, "Athletics", random.Random(1))[1]
    state, reply = run(character, ["Stealth"], state=state)
    assert state.step == "expertise"
    state, reply = run(character, ["Stealth, Athletics", "yes"], state=state)
    new = leveled_character(state)
    assert new.class_levels == {"Fighter": 1, "Rogue": 1} and new.expertise == ["Stealth", "Athletics"]
    assert "Stealth" in new.skills and "Sneak Attack" in new.features
    assert "Unknown class" in run(character, ["level up in Pirate"])[1]


def test_xp_is_checked_for_the_level_being_taken() -> None:
    character = fighter(xp=300)
    state, _ = run(character, ["yes", "average"])
    poorer = character.model_copy(update={"xp": 0})
    again, reply = answer(state, poorer, "yes", random.Random(1))
    assert again.status == "active" and "needs 300 XP" in reply


def test_confirm_applies_to_the_current_character() -> None:
    character = fighter()
    state, _ = run(character, ["yes", "average"])
    hurt = character.model_copy(update={"hp": 4})
    done, _ = answer(state, hurt, "yes", random.Random(1))
    assert leveled_character(done).hp == 4 + 8


def test_cancel_back_and_empty_answers() -> None:
    character = fighter()
    state, _ = run(character, ["yes"])
    cancelled, reply = answer(state, character, "cancel", random.Random(1))
    assert cancelled.status == "cancelled" and "nothing changed" in reply
    back, reply = answer(state, character, "back", random.Random(1))
    assert back.step == "class" and "Which class" in reply
    assert "first question" in answer(back, character, "back", random.Random(1))[1]
    assert answer(state, character, "   ", random.Random(1))[0] == state
    assert "Reply `roll` or `average`" in answer(state, character, "max please", random.Random(1))[1]
    with pytest.raises(RulesError):
        leveled_character(state)


def test_state_survives_json() -> None:
    character = fighter()
    state, _ = run(character, ["yes", "roll"])
    resumed = LevelUpState.model_validate(state.model_dump(mode="json"))
    assert resumed == state
    a = leveled_character(run(character, ["yes"], state=state)[0])
    b = leveled_character(run(character, ["yes"], state=resumed)[0])
    assert a == b


@pytest.mark.parametrize("text, expected", [
    ("+2 STR", {"STR": 2}), ("STR +2", {"STR": 2}), ("+1 STR +1 CON", {"STR": 1, "CON": 1}),
    ("str, con", {"STR": 1, "CON": 1}), ("dexterity", {"DEX": 2}), ("+1 dex and +1 wis", {"DEX": 1, "WIS": 1}),
    ("STR +1, CON +1", {"STR": 1, "CON": 1}),
])
def test_parse_asi(text: str, expected: dict[str, int]) -> None:
    assert parse_asi(text) == expected


@pytest.mark.parametrize("text", ["", "+2", "STR ++ 2", "give me strength!"])
def test_parse_asi_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(RulesError):
        parse_asi(text)




def test_a_fighter_multiclassing_into_rogue_may_take_thieves_tools_for_expertise() -> None:
    """Multiclassing into the Rogue gives Thieves' Tools with the level, so its Expertise may take them."""
    from dnd.level_up_flow import menu

    character = fighter()
    assert "Thieves' Tools" not in character.proficiencies
    state, reply = run(character, ["multiclass into rogue", "average", "Stealth"])
    assert state.step == "expertise" and "Thieves' Tools" in reply and "Stealth" in reply
    assert "Thieves' Tools" in menu(state, character)
    state, reply = run(character, ["Stealth, Thieves' Tools", "yes"], state=state)
    new = leveled_character(state)
    assert new.expertise == ["Stealth", "Thieves' Tools"] and "Thieves' Tools" in new.proficiencies
    # the engine's own check, without the flow
    direct, _ = apply_level_up(character, "Rogue", LevelUpChoices(skills=["Stealth"],
                                                                  expertise=["Thieves' Tools", "Athletics"]))
    assert direct.expertise == ["Thieves' Tools", "Athletics"]


def test_a_straight_rogue_still_takes_thieves_tools_for_expertise() -> None:
    rogue = create_character(CreationChoices(
        name="Vex", race="Human", class_name="Rogue", ability_method="standard_array",
        base_scores={"STR": 8, "DEX": 15, "CON": 14, "INT": 12, "WIS": 13, "CHA": 10}, background="Acolyte",
        skills=["Stealth", "Acrobatics", "Perception", "Deception"], languages=["Elvish", "Dwarvish", "Giant"],
        expertise=["Stealth", "Thieves' Tools"])).model_copy(update={"xp": 400_000})
    assert rogue.expertise == ["Stealth", "Thieves' Tools"]
    sixth = rogue.model_copy(update={"class_levels": {"Rogue": 5}, "expertise": ["Stealth", "Perception"]})
    state = LevelUpState(step="expertise", class_name="Rogue")
    after, reply = answer(state, sixth, "Acrobatics, Thieves' Tools", random.Random(1))
    assert after.step != "expertise" and after.expertise == ["Acrobatics", "Thieves' Tools"], reply
