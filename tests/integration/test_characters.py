"""Characters end to end through the local table: creation and level-up in DMs, every character command's happy
path and refusals, and the owner tools. A refusal or bad input gets a clear message and changes nothing (the
`characters` row is compared before and after)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from sqlalchemy.orm import Session

from db.campaigns import ensure_active_campaign
from db.characters import create
from dnd.character import SIGNATURE_SPELLS, SPELL_MASTERY, Character
from dnd.creation import CreationChoices, create_character
from dnd.leveling import LevelUpChoices, apply_level_up
from tests.system import Event, SystemUnderTest, new_player_id

pytestmark = pytest.mark.system

ROW_COLUMNS = ("name, level, class, race, stats, inventory, wealth, feats, abilities, conditions, spell_slots, hp, "
               "max_hp, xp, sheet, version")


# --------------------------------------------------------------------------- helpers


def dm(system: SystemUnderTest, player: int, text: str, timeout: float = 30) -> str:
    """Send a DM and return the bot's answer (all its parts)."""
    after = system.cursor()
    message_id = system.say(player, text, dm=True)
    replies = system.replies_to(message_id, after, timeout)
    assert all(r.get("dm_user_id") == player for r in replies)
    return "\n".join(r["content"] for r in replies)


def last_dm(system: SystemUnderTest, player: int, text: str) -> Event:
    """Send a DM and return the bot's (last) answer as an event: its text and its menu or buttons."""
    after = system.cursor()
    return system.replies_to(system.say(player, text, dm=True), after)[-1]


def row(system: SystemUnderTest, player: int) -> Any:
    rows = system.sql(f"SELECT {ROW_COLUMNS} FROM characters WHERE player_id = :p", p=player)
    return rows[0] if rows else None


def state(system: SystemUnderTest, player: int) -> tuple[Any, ...] | None:
    """Everything stored about the player's character (compared before/after a refusal)."""
    found = row(system, player)
    return None if found is None else tuple(json.dumps(v, sort_keys=True, default=str) for v in found)


def sheet(system: SystemUnderTest, player: int) -> dict[str, Any]:
    return row(system, player).sheet


def refused(system: SystemUnderTest, player: int, text: str, expected: str, *, as_player: int | None = None,
            watch: int | None = None) -> str:
    """Send a command that must be refused with `expected` and must not change the watched character."""
    watched = watch if watch is not None else player
    before = state(system, watched)
    reply = system.command(as_player if as_player is not None else player, text)["content"]
    assert expected in reply, reply
    assert state(system, watched) == before
    return reply


def seed(system: SystemUnderTest, player: int, character: Character) -> None:
    """Store a character built by the engine directly (fast set-up for command tests)."""
    with Session(system.db) as session, session.begin():
        create(session, player, ensure_active_campaign(session), character)


def fighter(name: str = "Brakka", **overrides: Any) -> Character:
    data: dict[str, Any] = {
        "name": name, "race": "Human", "subrace": "Variant Human", "class_name": "Fighter",
        "ability_method": "standard_array", "base_scores": {"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10,
                                                           "CHA": 8},
        "ability_choices": ["STR", "CON"], "background": "Acolyte", "skills": ["Athletics", "Perception"],
        "race_skills": ["Survival"], "languages": ["Giant", "Dwarvish", "Elvish"], "feat": "Lucky",
    }
    data.update(overrides)
    return create_character(CreationChoices(**data), random.Random(1))


def wizard(name: str = "Eldrin") -> Character:
    return create_character(CreationChoices(
        name=name, race="Elf", subrace="High Elf", class_name="Wizard", ability_method="point_buy",
        base_scores={"STR": 8, "DEX": 14, "CON": 14, "INT": 15, "WIS": 12, "CHA": 8}, background="Scholar",
        skills=["Investigation", "Medicine"], languages=["Dwarvish", "Giant"],
        cantrips=["Fire Bolt", "Light", "Mage Hand", "Ray of Frost"], spells=["Magic Missile", "Shield", "Sleep"],
    ))


def owner(system: SystemUnderTest, text: str) -> str:
    return system.command(system.owner_id, text)["content"]


# --------------------------------------------------------------------------- creation and level-up in DMs


def test_character_created_in_dms_then_levelled_to_five(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    channel_reply = system.command(player, "!create_character")
    assert "sent you a DM" in channel_reply["content"]
    first = system.wait_for(lambda e: e.get("dm_user_id") == player, after)[0]
    assert "Let's create your character" in first["content"] and "name" in first["content"]
    assert system.redis.get(f"session:{player}") == "character_creation"

    assert "Race" in dm(system, player, "Eldrin")
    assert "Unknown race" in dm(system, player, "Vampire")
    assert "subrace" in dm(system, player, "Elf")
    assert "Class" in dm(system, player, "High Elf")
    reply = dm(system, player, "Necromancer")
    assert "Unknown class 'Necromancer'" in reply and "Wizard" in reply
    assert "subrace" in dm(system, player, "back")  # back to the previous answer (the subrace)…
    assert "Class" in dm(system, player, "High")  # …answered again
    assert "ability scores" in dm(system, player, "Wizard")
    assert "Spend up to 27 points" in dm(system, player, "point buy")
    reply = dm(system, player, "STR 15 DEX 15 CON 15 INT 9 WIS 8 CHA 9")
    assert "Point buy exceeds 27 points (spent 29)" in reply and "Assign your ability scores" in reply
    assert "background" in dm(system, player, "STR 8 DEX 14 CON 14 INT 15 WIS 12 CHA 8")
    assert "choose **2 skills**" in dm(system, player, "Scholar")
    assert "is not a Wizard skill" in dm(system, player, "Athletics, Stealth")
    assert "language" in dm(system, player, "Investigation, Medicine")
    assert "cantrip" in dm(system, player, "Dwarvish, Giant")
    assert "1st-level spells" in dm(system, player, "Fire Bolt, Light, Mage Hand, Ray of Frost")
    assert "Equipment" in dm(system, player, "Magic Missile, Shield, Sleep")
    assert "Choice 1 of 3: (a) a quarterstaff or (b) a dagger" in dm(system, player, "package")
    assert "Choice 2 of 3" in dm(system, player, "a")
    assert "Choice 3 of 3" in dm(system, player, "a")
    reply = dm(system, player, "a")
    assert "**Eldrin** — High Elf Wizard 1, Scholar" in reply and "HP 8" in reply and "Reply `yes`" in reply
    assert "Eldrin** is ready" in dm(system, player, "yes")

    stored = row(system, player)
    assert (stored.name, stored.level, stored._mapping["class"], stored.race, stored.hp, stored.max_hp) == \
        ("Eldrin", 1, "Wizard", "High Elf", 8, 8)
    assert stored.stats == {"STR": 8, "DEX": 16, "CON": 14, "INT": 16, "WIS": 12, "CHA": 8}
    assert stored.spell_slots == {"1": {"remaining": 2, "max": 2}}
    assert stored.sheet["spells_known"] == ["Magic Missile", "Shield", "Sleep"]
    assert system.redis.get(f"session:{player}") is None
    assert system.sql("SELECT count(*) AS n FROM sessions WHERE user_id = :p AND active", p=player)[0].n == 0
    assert "already have a character" in refused(system, player, "!create_character", "One character per player")

    # Level 1 → 5: XP from the owner, each level through the DM flow.
    refused(system, player, "!level_up", "needs 300 XP to reach level 2 (has 0 XP)")
    assert system.sql("SELECT count(*) AS n FROM sessions WHERE user_id = :p AND active", p=player)[0].n == 0

    def level_up(xp: int, answers: list[tuple[str, str]]) -> str:
        assert "Enough for level" in owner(system, f"!xp <@{player}> {xp}")
        after = system.cursor()
        system.command(player, "!level_up")
        opening = system.wait_for(lambda e: e.get("dm_user_id") == player and "Level up" in e["content"], after)[0]
        assert "Eldrin, Wizard level" in opening["content"]
        reply = ""
        for text, expected in answers:
            reply = dm(system, player, text)
            assert expected in reply, reply
        return reply

    # Each Wizard level adds two spells to the spellbook, of a level the Wizard has slots for, from its list.
    level_up(300, [("yes", "Hit points"), ("average", "Arcane Tradition"), ("Evocation", "2 new Wizard spell(s)"),
                   ("Burning Hands, Thunderwave", "Confirm"), ("yes", "reaches level 2")])
    s = sheet(system, player)
    assert (s["max_hp"], s["hp"], s["class_levels"]) == (14, 14, {"Wizard": 2})
    assert s["subclasses"] == {"Wizard": "Evocation"}
    assert s["spell_slots_max"] == {"1": 3} and "Evocation Savant" in s["features"]

    level_up(600, [("Wizard", "Hit points")])
    before = state(system, player)
    for text, expected in (("average", "1st–2nd level"), ("Fireblt, Shatter", "Did you mean"),
                           ("Fireball, Shatter", "Fireball is a level 3 spell"),
                           ("Cure Wounds, Shatter", "not on the Wizard"), ("Shatter", "Choose exactly 2")):
        assert expected in dm(system, player, text)
    assert state(system, player) == before  # every refusal in the flow leaves the character as it was
    assert "Confirm" in dm(system, player, "Scorching Ray, Shatter")
    assert "reaches level 3" in dm(system, player, "yes")
    s = sheet(system, player)
    assert (s["max_hp"], s["spell_slots_max"]) == (20, {"1": 4, "2": 2})

    level_up(1800, [("yes", "Hit points"), ("average", "Ability Score Improvement"),
                    ("+3 INT", "adds +2 to one ability or +1 to two"), ("+2 INT", "INT 16 → 18"),
                    ("Shocking Grasp", "New spells"), ("Misty Step, Hold Person", "Confirm"),
                    ("yes", "reaches level 4")])
    s = sheet(system, player)
    assert (s["max_hp"], s["ability_scores"]["INT"], s["spell_slots_max"]) == (26, 18, {"1": 4, "2": 3})

    level_up(3800, [("yes", "Proficiency bonus +2 → +3"), ("average", "1st–3rd level"),
                    ("Fireball, Counterspell", "Confirm"), ("yes", "reaches level 5")])
    stored = row(system, player)
    assert stored.sheet["cantrips"] == ["Fire Bolt", "Light", "Mage Hand", "Ray of Frost", "Shocking Grasp"]
    assert stored.sheet["spells_known"] == ["Magic Missile", "Shield", "Sleep", "Burning Hands", "Thunderwave",
                                            "Scorching Ray", "Shatter", "Misty Step", "Hold Person", "Fireball",
                                            "Counterspell"]
    assert (stored.level, stored.max_hp, stored.hp, stored.xp) == (5, 32, 32, 6500)
    assert stored.spell_slots == {"1": {"remaining": 4, "max": 4}, "2": {"remaining": 3, "max": 3},
                                  "3": {"remaining": 2, "max": 2}}
    embed = system.command(player, "!my_sheet")["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Proficiency +3" in fields["Combat"] and "HP **32/32**" in fields["Combat"]
    assert "3rd: 2/2" in fields["Spell slots"] and "**INT** 18 (+4)" in fields["Ability scores"]
    refused(system, player, "!level_up", "needs 14000 XP to reach level 6")


def test_creation_survives_a_worker_restart_and_can_be_cancelled(system: SystemUnderTest) -> None:
    player = new_player_id()
    after = system.cursor()
    system.command(player, "!create_character", dm=True)  # typed in DMs: the DM is the only reply
    system.wait_for(lambda e: e.get("dm_user_id") == player and "Name" in e["content"], after)
    assert "Race" in dm(system, player, "Tordek")
    assert "subrace" in dm(system, player, "Dwarf")

    system.ctl("restart", "worker-cpu")
    system.wait_workers_ready(("cpu@",))
    assert "Class" in dm(system, player, "Hill", timeout=60)  # the session resumed from the database

    # A second !create_character shows where the conversation stands instead of starting over.
    after = system.cursor()
    system.command(player, "!create_character")
    resumed = system.wait_for(lambda e: e.get("dm_user_id") == player and "in progress" in e["content"], after)
    assert "Class" in resumed[0]["content"]
    refused(system, player, "!level_up", "You don't have a character")

    assert "cancelled" in dm(system, player, "cancel")
    assert row(system, player) is None
    assert system.redis.get(f"session:{player}") is None
    assert system.sql("SELECT step, active FROM sessions WHERE user_id = :p", p=player)[0] == ("cancelled", False)
    # DMs go back to the narrative.
    after = system.cursor()
    system.say(player, "Is anyone there?", dm=True)
    narration = system.wait_for(lambda e: e.get("dm_user_id") == player, after)[0]
    assert narration["meta"].get("turn_id")
    refused(system, player, "!cancel", "nothing to cancel")


def test_a_stale_session_key_sends_the_dm_to_the_narrative(system: SystemUnderTest) -> None:
    player = new_player_id()
    system.redis.set(f"session:{player}", "character_creation")  # left behind by a crash: no session row
    after = system.cursor()
    system.say(player, "I light a candle in my room", dm=True)
    narration = system.wait_for(lambda e: e.get("dm_user_id") == player and "candle" in e["content"].lower(),
                                after)[0]
    assert narration["meta"].get("turn_id")
    assert system.redis.get(f"session:{player}") is None


def test_cancel_command_stops_a_level_up(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter("Cancelia").model_copy(update={"xp": 300}))
    after = system.cursor()
    system.command(player, "!level_up")
    system.wait_for(lambda e: e.get("dm_user_id") == player and "Level up" in e["content"], after)
    refused(system, player, "!create_character", "already have a character")
    assert "Hit points" in dm(system, player, "yes")
    before = state(system, player)
    assert "cancelled" in system.command(player, "!cancel")["content"]
    assert state(system, player) == before and sheet(system, player)["class_levels"] == {"Fighter": 1}
    assert system.redis.get(f"session:{player}") is None


def test_level_up_offers_menus_and_is_confirmed_with_a_button_once(system: SystemUnderTest) -> None:
    player, other = new_player_id(), new_player_id()
    seed(system, player, fighter("Menuka").model_copy(update={"xp": 300}))
    after = system.cursor()
    system.command(player, "!level_up")
    opening = system.wait_for(lambda e: e.get("dm_user_id") == player and "Level up" in e["content"], after)[0]
    assert opening["meta"]["choices"][0] == "Fighter" and "Rogue" in opening["meta"]["choices"]
    assert "Wizard" not in opening["meta"]["choices"]  # INT 12: the prerequisites are checked before offering

    def answered(text: str) -> Event:
        return last_dm(system, player, text)

    hp = answered(opening["meta"]["choices"][0])  # picking from the menu is answering
    assert "Hit points" in hp["content"] and hp["meta"]["choices"] == ["roll", "average"]
    stale = answered("average")
    assert stale["meta"]["awaiting"] == "level_up" and stale["reactions"] == ["✅", "❌"], stale
    assert "back" in answered("back")["content"].lower()
    question = answered("average")
    assert question["meta"]["awaiting"] == "level_up" and question["meta"]["answers"] == stale["meta"]["answers"]
    before = state(system, player)
    after = system.cursor()
    assert system.react(question["id"], other, "✅")[0] == 202  # another player's press is not an answer
    assert system.quiet_for(lambda e: e.get("reply_to") == question["id"], after, 2) == []
    assert state(system, player) == before
    assert "reaches level 2" in system.confirm(question, player)["content"]
    assert sheet(system, player)["class_levels"] == {"Fighter": 2}
    assert "already answered" in system.confirm(question, player)["content"]  # a second press: one level
    assert "already answered" in system.confirm(stale, player)["content"]
    assert sheet(system, player)["class_levels"] == {"Fighter": 2}
    assert system.redis.get(f"session:{player}") is None

    assert "Enough for level" in owner(system, f"!xp <@{player}> 600")
    system.command(player, "!level_up")
    question = answered("Fighter")
    while not question["meta"].get("awaiting"):  # hit points, then the Martial Archetype: each from its menu
        question = answered(question["meta"]["choices"][-1])
    before = state(system, player)
    assert "cancelled" in system.confirm(question, player, "❌")["content"]
    assert state(system, player) == before and system.redis.get(f"session:{player}") is None


def test_multiclass_prerequisites_are_checked(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter("Grond").model_copy(update={"xp": 300}))
    after = system.cursor()
    system.command(player, "!level_up")
    system.wait_for(lambda e: e.get("dm_user_id") == player and "Level up" in e["content"], after)
    reply = dm(system, player, "level up in Wizard")
    assert "can't multiclass into the Wizard" in reply and "Intelligence 13" in reply
    assert "Hit points" in dm(system, player, "level up in Rogue")  # DEX 14 meets the Rogue's minimum
    skill = last_dm(system, player, "average")
    assert "skill" in skill["content"] and "Stealth" in skill["meta"]["choices"] and "choose" not in skill["meta"]
    expertise = last_dm(system, player, "Stealth")  # a Rogue's 1st level brings Expertise
    assert "Expertise" in expertise["content"] and expertise["meta"]["choose"] == 2
    assert {"Stealth", "Athletics", "Perception"} <= set(expertise["meta"]["choices"])
    assert "Confirm" in dm(system, player, "Stealth, Athletics")  # two picks of the menu, as the table sends them
    assert "reaches level 2 (Rogue 1)" in dm(system, player, "yes")
    assert sheet(system, player)["class_levels"] == {"Fighter": 1, "Rogue": 1}
    assert row(system, player)._mapping["class"] == "Fighter 1 / Rogue 1"


def test_level_21_is_refused(system: SystemUnderTest) -> None:
    player = new_player_id()
    character = fighter("Old Guard")
    pairs = [("STR", "DEX"), ("STR", "CON"), ("STR", "DEX"), ("STR", "CON"), ("DEX", "CON"), ("INT", "WIS"),
             ("WIS", "CHA")]
    for _ in range(19):
        character, _summary = apply_level_up(character, "Fighter", LevelUpChoices(
            asi=dict.fromkeys(pairs.pop(0), 1) if character.level + 1 in (4, 6, 8, 12, 14, 16, 19) else {},
            subclass="Champion" if character.level == 2 else None), require_xp=False)
    seed(system, player, character.model_copy(update={"xp": 400_000}))
    refused(system, player, "!level_up", "already level 20; there is no level 21")


# --------------------------------------------------------------------------- reading the sheet


def test_sheet_inventory_feats_and_abilities(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    embed = system.command(player, "!my_sheet")["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Brakka — Variant Human Fighter 1"
    assert "**STR** 16 (+3)" in fields["Ability scores"] and "**CON** 14 (+2)" in fields["Ability scores"]
    assert "AC **18**" in fields["Combat"] and "HP **12/12**" in fields["Combat"] and "Speed 30 ft" in fields["Combat"]
    assert "Lucky: 3/3" in fields["Feats"] and "Second Wind: 1/1" in fields["Abilities"]
    assert "Chain Mail" in fields["Inventory"] and fields["Conditions"] == "none"
    assert "Heavy Armor" in fields["Proficiencies"] and fields["Spell slots"] == "none"

    inventory = system.command(player, "!inventory")["content"]
    assert "**Chain Mail** ×1 (equipped): 55 lb — heavy armor" in inventory
    assert "**Longsword** ×1: 3 lb — martial, melee" in inventory and "**Total weight:" in inventory
    assert "Lucky: 3/3 (long rest)" in system.command(player, "!show_feats")["content"]
    assert "Second Wind: 1/1 (short or long rest)" in system.command(player, "!show_abilities")["content"]


def test_commands_without_a_character_are_refused(system: SystemUnderTest) -> None:
    player = new_player_id()
    for text in ("!my_sheet", "!inventory", "!show_feats", "!cast Light", "!rest long", "!check stealth",
                 "!save dex", "!use_item Torch", "!use_feat Lucky", "!roll 1d20 --feat Lucky"):
        assert "don't have a character" in system.command(player, text)["content"], text
    assert system.sql("SELECT count(*) AS n FROM characters WHERE player_id = :p", p=player)[0].n == 0


# --------------------------------------------------------------------------- using feats, abilities and rests


def test_feats_and_abilities_track_uses_and_rests_restore_them(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    assert "Lucky: 2/3 left" in system.command(player, "!use_feat Lucky reroll the attack")["content"]
    assert "dodge the arrow" in system.command(player, "!use_feat lucky dodge the arrow")["content"]
    assert "Second Wind: 0/1 left" in system.command(player, "!use_ability Second Wind catch my breath")["content"]
    refused(system, player, "!use_ability Second Wind again", "Second Wind has no uses left (0/1)")
    refused(system, player, "!use_feat Sharpshooter shoot", "doesn't have that feat")
    refused(system, player, "!use_feat Second Wind", "Second Wind is one of your abilities")
    refused(system, player, "!use_ability Rage attack", "doesn't have that ability")
    assert "Lucky: 1/3" in system.command(player, "!show_feats")["content"]

    reply = system.command(player, "!rest short")["content"]
    assert "short rest" in reply and "Recovered: Second Wind" in reply
    s = sheet(system, player)
    assert s["abilities"][0]["uses"] == 1 and s["feats"][0]["uses"] == 1  # Lucky waits for a long rest
    assert "Recovered: Lucky" in system.confirm(system.command(player, "!rest long"), player)["content"]
    assert sheet(system, player)["feats"][0]["uses"] == 3
    refused(system, player, "!rest nap", "Take a `!rest short`")
    refused(system, player, "!rest short 5", "has only 1 Hit Dice left")


def test_a_long_rest_is_confirmed_with_a_button_once_and_only_by_the_rester(system: SystemUnderTest) -> None:
    player, other = new_player_id(), new_player_id()
    seed(system, player, fighter())
    system.command(player, "!use_feat Lucky reroll the attack")
    before = state(system, player)
    question = system.command(player, "!rest long")
    assert question["meta"]["awaiting"] == "long_rest" and question["reactions"] == ["✅", "❌"], question
    assert "8 hours" in question["content"] and "gives back" in question["content"] and "Lucky" in question["content"]
    assert state(system, player) == before  # asking changes nothing
    after = system.cursor()
    assert system.react(question["id"], other, "✅")[0] == 202  # another player's press is not an answer
    assert system.quiet_for(lambda e: e.get("reply_to") == question["id"], after, 2) == []
    assert state(system, player) == before
    assert "No long rest" in system.confirm(question, player, "❌")["content"]
    assert "already answered" in system.confirm(question, player, "✅")["content"]  # ❌ was the answer
    assert state(system, player) == before

    question = system.command(player, "!rest long")
    assert "Recovered: Lucky" in system.confirm(question, player)["content"]
    assert sheet(system, player)["feats"][0]["uses"] == 3
    system.command(player, "!use_feat Lucky reroll the attack")
    assert "already answered" in system.confirm(question, player)["content"]  # pressing again: one rest
    assert sheet(system, player)["feats"][0]["uses"] == 2
    refused(system, player, "!rest long 8", "takes no number")
    refused(system, player, "!rest " + "long " * 500, "That's too long")
    refused(system, new_player_id(), "!rest long", "don't have a character")


def test_short_rest_spends_hit_dice(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter().model_copy(update={"hp": 3}))
    reply = system.command(player, "!rest short 1")["content"]
    assert "Hit Die d10: rolled" in reply
    s = sheet(system, player)
    assert s["hit_dice"] == {"d10": 0} and 3 < s["hp"] <= 12
    assert system.sql("SELECT count(*) AS n FROM message_history WHERE player_id = :p AND kind = 'roll'",
                      p=player)[0].n == 1


def test_roll_with_feat_ability_and_item(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    reply = system.command(player, "!roll 1d20+5 Attack --feat Lucky")["content"]
    assert "2d20kh1 (" in reply and "+ 5 = " in reply and "Lucky: 2/3 left" in reply
    assert sheet(system, player)["feats"][0]["uses"] == 2
    reply = system.command(player, "!roll 1d20 --item Longsword")["content"]
    assert "Longsword: +5 to hit" in reply  # STR +3, proficiency +2
    reply = system.command(player, "!roll --item longsword")["content"]
    assert "1d8 (" in reply and "Longsword: +3 damage (STR +3)" in reply
    rolls = system.sql("SELECT message FROM message_history WHERE player_id = :p AND kind = 'roll' ORDER BY id",
                       p=player)
    assert [r.message.split(" = ")[0] for r in rolls] == ["1d20+5 Attack adv", "1d20+5", "1d8+3"]

    refused(system, player, "!roll 1d20 --feat Sharpshooter", "doesn't have the feat 'Sharpshooter'")
    refused(system, player, "!roll 1d20 --ability Rage", "doesn't have the ability 'Rage'")
    refused(system, player, "!roll 1d20 --item Vorpal Sword", "doesn't carry 'Vorpal Sword'")
    refused(system, player, "!roll 1d20 --item Chain Mail", "doesn't add anything to a roll")
    refused(system, player, "!roll 1d20+1000d6 --feat Lucky", "Too many dice")  # no use spent on a bad roll
    refused(system, player, "!roll 3d20 --feat Lucky", "Advantage needs a single d20")
    refused(system, player, "!roll 1d20 --feat", "needs a name")
    assert "Lucky: 2/3" in system.command(player, "!show_feats")["content"]


def test_checks_and_saves_use_proficiency_and_conditions(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    reply = system.command(player, "!check athletics")["content"]
    assert "**Athletics check**: 1d20 (" in reply and "+ 5 = " in reply  # STR +3, proficient +2
    assert "+ 3 = " in system.command(player, "!check str")["content"]
    assert "+ 5 = " in system.command(player, "!save strength")["content"]  # Fighter: STR save proficient
    assert "+ 2 = " in system.command(player, "!save dex")["content"]
    assert "disadvantage" in system.command(player, "!check stealth")["content"]  # chain mail
    assert "Poisoned" in owner(system, f"!set_condition <@{player}> poisoned").title()
    reply = system.command(player, "!check athletics")["content"]
    assert "with disadvantage" in reply and "2d20kl1 (" in reply and "+ 5 = " in reply
    assert "paralyzed" in owner(system, f"!set_condition @{player} Paralyzed")
    assert "automatically fails" in system.command(player, "!save dex")["content"]
    refused(system, player, "!check juggling", "neither a skill nor an ability")
    refused(system, player, "!save luck", "is not an ability")
    n = system.sql("SELECT count(*) AS n FROM message_history WHERE player_id = :p AND kind = 'roll'", p=player)[0].n
    assert n == 7


# --------------------------------------------------------------------------- spells and items


def test_a_spell_out_of_a_fight_targets_party_members_only(system: SystemUnderTest) -> None:
    """Found playing at the local table: `!cast Magic Missile Zorblax` said no spell has that name, and `!cast Magic
    Missile at Zorblax` spent a slot on a creature that isn't there. Outside a fight the targets are party members."""
    player, friend, stranger = new_player_id(), new_player_id(), new_player_id()
    seed(system, player, wizard(f"Eldrin{player}"))
    seed(system, friend, fighter(f"Bram{friend}"))
    hint = "Outside a fight a spell targets party members: a character's name or `@player`"
    for text in ("!cast Magic Missile at Zorblax", "!cast Magic Missile Zorblax",
                 f"!cast Fire Bolt on Bram{friend}, Zorblax"):
        assert "There's no creature called 'Zorblax' here" in refused(system, player, text, hint)
    assert "has no character in this campaign" in refused(system, player, f"!cast Magic Missile on <@{stranger}>",
                                                          hint)
    refused(system, player, "!cast Magic Missile at " + "Z" * 300, hint)  # oversized: clipped in the reply
    assert row(system, player).spell_slots == {"1": {"remaining": 2, "max": 2}}
    reply = system.command(player, f"!cast Magic Missile at bram{friend}")["content"]  # by name, any case
    assert f"Target: Bram{friend}." in reply and "1 left" in reply, reply
    reply = system.command(player, f"!cast Fire Bolt <@{friend}>")["content"]  # by @player, without `at`
    assert f"Target: Bram{friend}." in reply, reply


def test_casting_spends_slots_until_none_remain(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, wizard())
    reply = system.command(player, "!cast Magic Missile")["content"]
    assert "1st-level slot spent, 1 left" in reply and "Damage force" in reply
    refused(system, player, "!cast Magic Missile at 2", "no 2nd-level slots left")
    assert "casts Fire Bolt" in system.command(player, "!cast fire bolt")["content"]  # cantrips are free
    assert "0 left" in system.command(player, "!cast Shield")["content"]
    refused(system, player, "!cast Sleep", "Your spell fails; no slots remain")
    refused(system, player, "!cast Fireball", "You don't know Fireball")
    refused(system, player, "!cast Blargh of Doom", "I don't know a spell called 'Blargh of Doom'")
    refused(system, player, "!cast", "Which spell?")
    assert row(system, player).spell_slots == {"1": {"remaining": 0, "max": 2}}
    assert "Spell slots restored" in system.confirm(system.command(player, "!rest long"), player)["content"]
    assert row(system, player).spell_slots == {"1": {"remaining": 2, "max": 2}}
    refused(system, new_player_id(), "!cast Light", "don't have a character")


def test_a_signature_spell_is_cast_without_a_slot_once_a_short_rest(system: SystemUnderTest) -> None:
    """A 20th-level Wizard's Signature Spell: `!cast` spends its free casting, not a slot; then a slot; a short rest
    gives the free casting back."""
    player = new_player_id()
    character = wizard("Mordane")
    character = character.model_copy(update={"spells_known": [*character.spells_known, "Misty Step", "Fireball",
                                                              "Counterspell"]})
    pairs = [("INT", "CON"), ("DEX", "WIS"), ("INT", "CON"), ("DEX", "CHA"), ("STR", "WIS")]
    for _ in range(19):
        reached = character.level + 1
        picked = {18: {SPELL_MASTERY: "Shield, Misty Step"}, 20: {SIGNATURE_SPELLS: "Fireball, Counterspell"}}
        character, _summary = apply_level_up(character, "Wizard", LevelUpChoices(
            asi=dict.fromkeys(pairs.pop(0), 1) if reached in (4, 8, 12, 16, 19) else {},
            subclass="Evocation" if reached == 2 else None, class_choices=picked.get(reached, {})),
            require_xp=False)
    assert {"Fireball", "Counterspell"} <= set(character.spells_prepared)
    seed(system, player, character)
    slots = row(system, player).spell_slots
    reply = system.command(player, "!cast Fireball")["content"]
    assert "Signature Spell" in reply and "no slot spent" in reply, reply
    assert row(system, player).spell_slots == slots
    reply = system.command(player, "!cast Fireball")["content"]
    assert "3rd-level slot spent" in reply, reply
    assert row(system, player).spell_slots["3"]["remaining"] == slots["3"]["remaining"] - 1
    system.command(player, "!rest short")
    assert "no slot spent" in system.command(player, "!cast Fireball")["content"]
    embed = system.command(player, "!my_sheet")["embeds"][0]
    shown = next(f["value"] for f in embed["fields"] if f["name"] == "Class choices")
    assert "Spell Mastery: Shield, Misty Step" in shown and "Signature Spells: Fireball, Counterspell" in shown


def test_fighter_cannot_cast(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    refused(system, player, "!cast Magic Missile", "can't cast spells")


def test_potion_heals_and_is_used_up(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    assert "receives Potion of Healing ×2" in owner(system, f"!add_item <@{player}> Potion of Healing x2")
    assert "HP 12 → 3/12" in owner(system, f"!hp <@{player}> 3")
    reply = system.command(player, "!use_item healing potion")["content"]
    assert "drinks a Potion of Healing" in reply and "2d4 (" in reply
    s = sheet(system, player)
    assert 7 <= s["hp"] <= 12
    assert [i["qty"] for i in s["inventory"] if i["name"] == "Potion of Healing"] == [1]
    system.command(player, "!use_item Potion of Healing")
    assert not [i for i in sheet(system, player)["inventory"] if i["name"] == "Potion of Healing"]
    refused(system, player, "!use_item Potion of Healing", "doesn't carry 'Potion of Healing'")
    refused(system, player, "!use_item Longsword", "isn't something you can use up")
    refused(system, player, "!use_item Vorpal Spoon", "doesn't carry 'Vorpal Spoon'")
    ledger = system.sql("SELECT item, quantity_delta FROM ledger l JOIN characters c ON c.id = l.character_id "
                        "WHERE c.player_id = :p AND l.item = 'Potion of Healing' ORDER BY l.id", p=player)
    assert [r.quantity_delta for r in ledger] == [2, -1, -1]


# --------------------------------------------------------------------------- owner tools


def test_owner_tools_change_characters_and_are_audited(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    owner(system, f"!add_item {player} Torch x3")
    audit = system.sql("SELECT action, target, before, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert audit.action.startswith("!add_item") and f"player:{player}" in audit.target
    assert "Torch x10" in audit.before["inventory"] and "Torch x13" in audit.after["inventory"]

    assert "HP 12 → 0/12" in owner(system, f"!hp @{player} 0")
    assert row(system, player).conditions == ["Unconscious"]
    # At 0 HP the character stays unconscious, whoever asks (dnd.conditions.stays_unconscious): heal it first.
    refused(system, player, f"!set_condition <@{player}> -unconscious", "is at 0 HP and stays unconscious until healed",
            as_player=system.owner_id)
    assert "stays unconscious" in owner(system, f"!set_condition <@{player}> none")
    assert row(system, player).conditions == ["Unconscious"]
    owner(system, f"!hp @{player} 7")
    assert (row(system, player).hp, row(system, player).conditions) == (7, [])
    audit = system.sql("SELECT before, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert (audit.before["hp"], audit.after["hp"]) == (0, 7)

    owner(system, f"!set_condition <@{player}> Prone")
    assert row(system, player).conditions == ["Prone"]
    assert "no longer prone" in owner(system, f"!set_condition <@{player}> -prone")
    owner(system, f"!set_condition <@{player}> exhaustion")
    assert row(system, player).conditions == ["Exhaustion 1"]
    audit = system.sql("SELECT before, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert (audit.before["conditions"], audit.after["conditions"]) == ([], ["Exhaustion 1"])

    assert "already consistent" in owner(system, f"!resync_character <@{player}>")
    system.sql("UPDATE characters SET sheet = jsonb_set(sheet, '{max_hp}', '40') WHERE player_id = :p RETURNING id",
               p=player)
    reply = owner(system, f"!resync_character <@{player}>")
    assert "max_hp: 40 -> 12" in reply
    assert sheet(system, player)["max_hp"] == 12

    assert "gains 900 XP: 0 → 900 XP" in owner(system, f"!xp <@!{player}> 900")
    assert row(system, player).xp == 900


def test_owner_tools_refuse_bad_input_and_change_nothing(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    nobody = new_player_id()
    o = system.owner_id
    audits = system.sql("SELECT count(*) AS n FROM audit_log")[0].n
    refused(system, player, f"!add_item <@{player}> Vorpal Spoon", "don't know an item called 'Vorpal Spoon'",
            as_player=o)
    refused(system, player, f"!add_item <@{player}>", "Which item?", as_player=o)
    refused(system, player, f"!add_item <@{player}> Torch x0", "between 1 and", as_player=o)
    refused(system, player, f"!hp <@{player}> 999", "between 0 and", as_player=o)
    refused(system, player, f"!hp <@{player}> lots", "whole number", as_player=o)
    refused(system, player, f"!set_condition <@{player}> sleepy", "'sleepy' is not a condition", as_player=o)
    refused(system, player, f"!set_condition <@{player}> -prone", "is not prone", as_player=o)
    refused(system, player, f"!xp <@{player}> -50", "positive whole number", as_player=o)
    refused(system, player, f"!xp <@{player}> 0", "between 1 and", as_player=o)
    refused(system, player, "!xp 300", "`!xp @player <amount>`", as_player=o)
    refused(system, player, "!xp someone 300", "Mention the player first", as_player=o)
    refused(system, player, f"!xp <@{nobody}> 300", f"<@{nobody}> has no character", as_player=o)
    refused(system, player, f"!hp <@{nobody}> 3", "has no character", as_player=o)
    assert system.sql("SELECT count(*) AS n FROM audit_log")[0].n == audits
    # Owner commands from anyone else.
    for text in (f"!xp <@{player}> 300", f"!hp <@{player}> 1", f"!add_item <@{player}> Torch",
                 f"!set_condition <@{player}> prone", f"!resync_character <@{player}>"):
        name = text.split()[0]
        refused(system, player, text, f"Only the owner can use `{name}`.")
    assert system.sql("SELECT count(*) AS n FROM audit_log")[0].n == audits


def test_dice_over_the_limits_with_a_character_changes_nothing(system: SystemUnderTest) -> None:
    player = new_player_id()
    seed(system, player, fighter())
    refused(system, player, "!roll 1d20+banana --feat Lucky", "I can't roll that")
    refused(system, player, "!roll 10#1d20 --feat Lucky", "can't modify a repeated roll")
    refused(system, player, "!roll 1d100000 --item Longsword", "I can't roll that")


def test_creation_questions_with_few_answers_offer_them_as_a_menu(system: SystemUnderTest) -> None:
    player = new_player_id()
    system.command(player, "!create_character", dm=True)
    after = system.cursor()
    system.say(player, "Tamsin", dm=True)
    race = system.wait_for(lambda e: e.get("dm_user_id") == player, after)[0]
    assert "Race" in race["content"]
    assert {"Hill Dwarf", "High Elf", "Human", "Tiefling"} <= set(race["meta"]["choices"])
    after = system.cursor()
    system.say(player, race["meta"]["choices"][0], dm=True)  # picking from the menu is answering
    klass = system.wait_for(lambda e: e.get("dm_user_id") == player, after)[0]
    assert "Class" in klass["content"] and "Wizard" in klass["meta"]["choices"]
    system.command(player, "!cancel", dm=True)


# --------------------------------------------------------------------------- choices a level owes


def test_choose_makes_the_class_choices_an_old_character_owes(system: SystemUnderTest) -> None:
    player, other = new_player_id(), new_player_id()
    seed(system, player, fighter())  # stored with no Fighting Style, as a Fighter was before it was asked
    seed(system, other, fighter("Other"))
    fields = {f["name"]: f["value"] for f in system.command(player, "!my_sheet")["embeds"][0]["fields"]}
    assert fields["Choices owed"] == "Fighting Style (Fighter 1) — `!choose`" and "AC **18**" in fields["Combat"]
    listing = system.command(player, "!choose")["content"]
    assert "1. **Fighting Style (Fighter 1)**" in listing and "**Defense** — +1 AC while wearing armor" in listing

    refused(system, player, "!choose metamagic quickened, twinned", "isn't a choice Brakka owes: 1. Fighting Style")
    refused(system, player, "!choose 1 kung fu", "Choose a fighting style of the Fighter: Archery, Defense")
    refused(system, player, "!choose 7 defense", "There is no owed choice 7")
    refused(system, player, "!choose 1 " + "defense " * 60, "too long (at most 300 characters)")
    mine = state(system, player)
    refused(system, player, f"!choose <@{other}> 1 defense", "only your own character's choices", watch=other)
    assert state(system, player) == mine

    reply = system.command(player, "!choose 1 defense")["content"]
    assert "Fighting Style (Fighter 1) — **Defense**" in reply and "owes no class choices" in reply
    fields = {f["name"]: f["value"] for f in system.command(player, "!my_sheet")["embeds"][0]["fields"]}
    assert "Fighting Style: Defense" in fields["Class choices"] and "Choices owed" not in fields
    assert "AC **19**" in fields["Combat"]  # Defense: +1 in armor
    refused(system, player, "!choose 1 archery", "Brakka owes no class choices")
    assert "owes no class choices" in system.command(player, "!choose")["content"]
    assert "Choices owed" in {f["name"] for f in system.command(other, "!my_sheet")["embeds"][0]["fields"]}
