"""The Dungeon Master runs the fight (MONSTER_CONTROL=auto), end to end on a system of the module's own: real
workers, the local table, the offline narrator. Two characters against three goblins to the end with no owner
command once the fight has begun (XP, the level-up announced, the loot on the ground picked up, the combat row
closed); a player who never answers (their turn passes with the Dodge action after the timeout, then `!away`
hands their turns to the DM) and the fight still finishes; the CPU worker killed -9 in the middle of a run of
monster turns (each monster acts once, the reply reaches the channel once); bad input to `!dm control`."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_characters import fighter, seed, wizard
from tests.integration.test_srd_import import import_if_present
from tests.system import SystemUnderTest, new_player_id, own_system

pytestmark = pytest.mark.system

IDLE_TURN_S = 4.0  # a player's turn passes after this long without an action
CHANNEL = "c:1000"


@pytest.fixture(scope="module")
def dm() -> Iterator[SystemUnderTest]:
    with own_system(MONSTER_CONTROL="auto", COMBAT_TURN_TIMEOUT_S=str(IDLE_TURN_S)) as sut:
        import_if_present(sut)
        yield sut


def fight(sut: SystemUnderTest) -> Any:
    rows = sut.sql("SELECT id, initiative, current_turn, round, log FROM combat_state WHERE channel_id = 1000 "
                   "AND active")
    return rows[0] if rows else None


def current(sut: SystemUnderTest) -> dict[str, Any]:
    row = fight(sut)
    return [c for c in row.initiative if not c.get("out")][row.current_turn]


def standing_goblin(sut: SystemUnderTest) -> str:
    return next(c["name"] for c in fight(sut).initiative if c["kind"] == "monster" and c["hp"] > 0
                and not c.get("out"))


def sturdy_heroes(sut: SystemUnderTest, first: str, second: str, xp: int = 0) -> tuple[int, int]:
    """Two 1st-level fighters with hit points enough that three goblins lose (a test of the DM, not of luck)."""
    players = new_player_id(), new_player_id()
    for player, name in zip(players, (first, second), strict=True):
        hero = fighter(f"{name}{player}")
        seed(sut, player, hero.model_copy(update={"max_hp": 80, "hp": 80, "xp": xp}))
    return players


def play_own_turn(sut: SystemUnderTest, player: int) -> list[str]:
    """The player attacks a goblin and ends the turn; returns the replies to the `!end_turn` (the goblins' turns
    come in it)."""
    sut.command(player, f"!attack {standing_goblin(sut)}")
    if fight(sut) is None:
        return []
    after = sut.cursor()
    message = sut.say(player, "!end_turn")
    return [e["content"] for e in sut.replies_to(message, after)]


def test_two_heroes_beat_three_goblins_with_no_owner_command_after_the_start(dm: SystemUnderTest) -> None:
    p1, p2 = sturdy_heroes(dm, "Aria", "Bram", xp=290)  # 300 XP is 2nd level
    start = dm.cursor()
    dm.command(p1, f"!initiative <@{p1}> <@{p2}>")
    joined = dm.command(dm.owner_id, "!initiative add goblin 3")["content"]
    assert "Goblin 3" in joined
    goblin_turns = 0
    for _ in range(80):
        if fight(dm) is None:
            break
        actor = current(dm)
        assert actor["kind"] == "character", actor  # the DM never leaves the fight on a goblin's turn
        replies = play_own_turn(dm, int(actor["player_id"]))
        goblin_turns += sum(text.count("⏭️ Goblin") for text in replies)
    assert fight(dm) is None, "the fight never ended"
    assert goblin_turns >= 1
    ended = dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)[0]["content"]
    assert "Combat summary" in ended
    assert re.search(rf"⭐ Aria{p1} gains \d+ XP", ended) and "Enough for level 2" in ended, ended
    assert dm.sql("SELECT count(*) AS n FROM combat_state WHERE channel_id = 1000 AND active")[0].n == 0
    assert dm.redis.get(f"combat:{CHANNEL}") is None
    # The fight is in the campaign's history for the narrator.
    assert dm.sql("SELECT count(*) AS n FROM message_history WHERE kind = 'event' AND message LIKE :m",
                  m=f"%Aria{p1}%the heroes won%")[0].n == 1
    # The loot lies on the ground and is picked up.
    listing = dm.command(p2, "!loot")["content"]
    found = re.search(r"(Copper|Silver|Electrum|Gold|Platinum) pieces ×(\d+)", listing)
    assert found is not None, listing
    taken = dm.command(p2, f"!loot take {found.group(1)} pieces")["content"]
    assert f"picks up {found.group(2)}" in taken, taken


def test_a_player_who_never_answers_does_not_stall_the_fight(dm: SystemUnderTest) -> None:
    p1, p2 = sturdy_heroes(dm, "Cass", "Dov")
    start = dm.cursor()
    dm.command(p1, f"!initiative <@{p1}> <@{p2}>")
    dm.command(dm.owner_id, "!initiative add goblin 2")
    away_said = False
    for _ in range(80):
        if fight(dm) is None:
            break
        actor = current(dm)
        if int(actor["player_id"]) == p1:
            play_own_turn(dm, p1)
            continue
        if not away_said:  # p2 says nothing: the timeout passes the turn, with the Dodge action
            passed = dm.wait_for(lambda e: f"<@{p2}>" in e.get("content", "") and "hasn't acted" in e["content"],
                                 start, timeout=40)[0]["content"]
            assert "Dodge action" in passed
            dm.wait_for(lambda e: "takes the Dodge action, and the turn passes" in e.get("content", ""), start,
                        timeout=20)
            # then they hand their turns to the DM, who plays them at once from now on
            reply = dm.command(p2, "!away")["content"]
            assert "The DM plays" in reply and dm.command(p2, "!away")["content"].startswith("The DM already")
            away_said = True
            continue
        time.sleep(0.5)
    assert fight(dm) is None, "the fight stalled"
    assert dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)
    assert "not in a fight" in dm.command(p2, "!back")["content"]


def test_killing_the_cpu_worker_mid_run_of_monster_turns_plays_each_monster_once(dm: SystemUnderTest) -> None:
    p1, p2 = sturdy_heroes(dm, "Esk", "Fen")
    dm.command(p1, f"!initiative <@{p1}> <@{p2}>")
    dm.command(dm.owner_id, "!initiative add goblin 6")
    actor = current(dm)
    player = int(actor["player_id"])
    before = len(fight(dm).log)
    children = dm.worker_children("worker-cpu")
    for child in children:
        os.kill(child.pid, signal.SIGSTOP)
    after = dm.cursor()
    message = dm.say(player, "!end_turn")
    time.sleep(1.0)
    for child in children:
        os.kill(child.pid, signal.SIGKILL)
    reply = dm.replies_to(message, after, timeout=90)[0]
    more = dm.quiet_for(lambda e: e.get("reply_to") == message and "ends their turn" in e.get("content", ""),
                        reply["cursor"], 3)
    assert more == [] and "ends their turn" in reply["content"]
    played = re.findall(r"⏭️ (Goblin \d) ends its turn", reply["content"])
    assert len(played) == len(set(played))
    log = fight(dm).log[before:]
    for goblin in played:
        goblin_id = goblin.lower().replace(" ", "-")
        turns = [e for e in log if e["actor_id"] == goblin_id and e["kind"] in ("attack", "defeated")]
        assert len(turns) == 1, (goblin, turns)  # one attack (or flight) each: a goblin has no Multiattack
    dm.command(dm.owner_id, "!end_combat")


def test_bad_input_to_dm_control(dm: SystemUnderTest) -> None:
    player = new_player_id()
    seed(dm, player, fighter(f"Gil{player}"))
    assert "no combat in this channel" in dm.command(dm.owner_id, "!dm control goblin 1")["content"]
    dm.command(player, f"!initiative <@{player}>")
    dm.command(dm.owner_id, "!initiative add goblin 1")
    snapshot = json.dumps(list(fight(dm)), default=str, sort_keys=True)
    assert "Only the owner" in dm.command(player, "!dm control goblin 1")["content"]
    assert "There is no 'dragon'" in dm.command(dm.owner_id, "!dm control dragon")["content"]
    assert "in this fight" in dm.command(dm.owner_id, "!dm control " + "x" * 500)["content"]
    assert json.dumps(list(fight(dm)), default=str, sort_keys=True) == snapshot
    dm.command(dm.owner_id, "!end_combat")


def _until_the_blow_is_held(sut: SystemUnderTest, player: int, first: list[str]) -> str:
    """The lone hero passes their turns until a goblin's blow downs them; returns the reply that holds it."""
    replies = first
    for _ in range(60):
        text = "\n".join(replies)
        if "may still react" in text:
            return text
        assert fight(sut) is not None, text  # the fight can't end before the hero is down
        assert current(sut)["kind"] == "character"
        after = sut.cursor()
        message = sut.say(player, "!end_turn")
        replies = [e["content"] for e in sut.replies_to(message, after)]
    raise AssertionError("the goblin never landed a blow")


def test_a_blow_that_downs_the_last_hero_waits_for_the_reaction_that_could_turn_it(dm: SystemUnderTest) -> None:
    """A wizard alone, at 1 HP, against a goblin: the blow that drops them would lose the fight, yet it waits for
    their Shield; the first time they cast it (the fight goes on if it turns the blow, else it is lost), the
    second time they never answer and the timeout lets the blow stand."""
    for reacts in (True, False):
        player = new_player_id()
        name = f"Wyn{player}"
        seed(dm, player, wizard(name).model_copy(update={"max_hp": 40, "hp": 1}))  # 40: no death by massive damage
        start = dm.cursor()
        dm.command(player, f"!initiative <@{player}>")
        if reacts:
            assert "no reaction is offered" in dm.command(player, "!react pass")["content"]
        message = dm.say(dm.owner_id, "!initiative add goblin 1")
        held = _until_the_blow_is_held(dm, player, [e["content"] for e in dm.replies_to(message, start)])
        assert f"**{name}** may still react" in held and "the fight is lost" not in held, held
        assert fight(dm) is not None  # not lost yet
        gate = json.loads(dm.redis.get(f"combat:{CHANNEL}"))
        assert gate.get("held") is True and gate.get("reacting") == [player], gate
        if reacts:
            text = dm.command(player, "!react shield")["content"]
            if "undone" in text:  # the blow misses after all: the goblin's turn ends, and it is the wizard's
                dm.wait_for(lambda e: "⏭️ Goblin 1 ends its turn." in e.get("content", ""), start)
                assert fight(dm) is not None and current(dm)["name"] == name
                assert "the fight is lost" not in text, text
                dm.command(dm.owner_id, "!end_combat")
            else:  # the roll beat AC + 5 too: the blow stands
                assert "the fight is lost" in text, text
                assert fight(dm) is None
        else:
            stood = dm.wait_for(lambda e: "No reaction from" in e.get("content", ""), start,
                                timeout=IDLE_TURN_S + 30)[0]["content"]
            assert f"**{name}**" in stood and "the blow stands" in stood and "the fight is lost" in stood, stood
            dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)
            assert fight(dm) is None


def test_a_held_bandit_loses_its_turns_until_it_saves(dm: SystemUnderTest) -> None:
    """Hold Person through the table: a bandit that fails the save is paralyzed; the DM plays no action for it,
    and it repeats the save at the end of its turn."""
    from tests.unit.test_class_features import WIZARD, hero

    player = new_player_id()
    name = f"Mira{player}"
    seed(dm, player, hero(name, "Wizard", 9, WIZARD, [("Dagger", 1)], spells_known=["Hold Person"],
                          spells_prepared=["Hold Person"]).model_copy(update={"max_hp": 200, "hp": 200}))
    start = dm.cursor()
    dm.command(player, f"!initiative <@{player}>")
    dm.command(dm.owner_id, "!initiative add bandit 1")
    for _ in range(8):
        assert current(dm)["name"] == name
        cast = dm.command(player, "!cast Hold Person at Bandit 1")["content"]
        if "Bandit 1 is now paralyzed" in cast or "Paralyzed" in cast:
            break
        after = dm.cursor()
        dm.replies_to(dm.say(player, "!end_turn"), after)
    else:
        raise AssertionError("the bandit never failed its save")
    bandit = next(c for c in fight(dm).initiative if c["name"] == "Bandit 1")
    assert "Paralyzed" in bandit["conditions"]
    after = dm.cursor()
    turn = "\n".join(e["content"] for e in dm.replies_to(dm.say(player, "!end_turn"), after))
    assert "💤 Bandit 1: it can't act (Paralyzed)." in turn and "WIS" in turn, turn
    assert "Bandit 1 attacks" not in turn and current(dm)["name"] == name
    dm.command(dm.owner_id, "!end_combat")
    assert dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)


def test_a_priests_spell_waits_for_the_wizards_counterspell(dm: SystemUnderTest) -> None:
    """A priest the DM plays begins casting Spirit Guardians at a wizard who has Counterspell prepared: its slot
    spent, the spell waits (the gate held, the wizard let through). Countered with a 3rd-level slot, it fails and
    the priest's turn ends; the next spell, never answered, goes on after the timeout."""
    from tests.integration.test_characters import sheet
    from tests.integration.test_table_play import refused
    from tests.unit.test_class_features import WIZARD, hero

    player, other = new_player_id(), new_player_id()
    name = f"Orla{player}"
    seed(dm, player, hero(name, "Wizard", 5, WIZARD, [("Dagger", 1)], spells_known=["Counterspell"],
                          spells_prepared=["Counterspell"]).model_copy(update={"max_hp": 200, "hp": 200}))
    seed(dm, other, fighter(f"Bo{other}"))
    watch = [player, other]
    start = dm.cursor()
    dm.command(player, f"!initiative <@{player}>")
    refused(dm, player, "!react counterspell", "no reaction is offered", watch)

    def until_the_spell_waits(replies: list[str]) -> str:
        for _ in range(4):
            text = "\n".join(replies)
            if "may counter it" in text:
                return text
            assert current(dm)["name"] == name, text
            after = dm.cursor()
            replies = [e["content"] for e in dm.replies_to(dm.say(player, "!end_turn"), after)]
        raise AssertionError("the priest never cast a spell")

    message = dm.say(dm.owner_id, "!initiative add priest 1")
    held = until_the_spell_waits([e["content"] for e in dm.replies_to(message, start)])
    assert "Priest 1 begins casting **Spirit Guardians** (3rd level)" in held and f"**{name}**" in held, held
    gate = json.loads(dm.redis.get(f"combat:{CHANNEL}"))
    assert gate.get("held") is True and gate.get("reacting") == [player], gate
    refused(dm, other, "!react counterspell", "not in one", watch)  # Bo isn't in this fight
    refused(dm, player, "!react counterspell at nine", "Upcast it with a slot level", watch)
    refused(dm, player, "!react counterspell " + "x" * 3000, "too long", watch)
    slots = sheet(dm, player)["spell_slots"]
    after = dm.cursor()
    message = dm.say(player, "!react counterspell")
    answer = dm.replies_to(message, after)[0]["content"]
    assert f"{name}'s 3rd-level Counterspell: Priest 1's **Spirit Guardians** fails" in answer, answer
    dm.wait_for(lambda e: "⏭️ Priest 1 ends its turn." in e.get("content", ""), after)
    assert sheet(dm, player)["spell_slots"]["3"] == slots["3"] - 1
    priest = next(c for c in fight(dm).initiative if c["name"] == "Priest 1")
    assert priest["used"].get("slot:3") == 1
    assert current(dm)["name"] == name
    # the next spell is never answered: it waits, then goes on
    after = dm.cursor()
    held = until_the_spell_waits([e["content"] for e in dm.replies_to(dm.say(player, "!end_turn"), after)])
    assert "Priest 1 begins casting" in held, held
    went = dm.wait_for(lambda e: "No Counterspell from" in e.get("content", ""), after,
                       timeout=IDLE_TURN_S + 30)[0]["content"]
    assert f"**{name}**" in went and "the spell goes on" in went, went
    dm.wait_for(lambda e: "⏭️ Priest 1 ends its turn." in e.get("content", ""), after)
    assert current(dm)["name"] == name
    dm.command(dm.owner_id, "!end_combat")
    dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)


def _held_by_the_fanatic(sut: SystemUnderTest, player: int, name: str) -> bool:
    """A fight of the hero against a Cult Fanatic the DM plays, her turns passed until she is held at one (its
    three 2nd-level slots spent, she may have saved each time): True when she is."""
    sut.command(player, f"!initiative <@{player}>")
    sut.command(sut.owner_id, "!initiative add cult fanatic 1")
    for _ in range(5):
        assert current(sut)["name"] == name
        hero = next(c for c in fight(sut).initiative if c["name"] == name)
        if "Paralyzed" in hero["conditions"]:
            return True
        after = sut.cursor()
        sut.replies_to(sut.say(player, "!end_turn"), after)
    sut.command(sut.owner_id, "!end_combat")
    return False


def test_the_dm_played_cult_fanatic_holds_a_weak_willed_hero_who_cant_attack_and_repeats_the_save(
        dm: SystemUnderTest) -> None:
    """Through the table, the DM's Cult Fanatic casts Hold Person at a weak-willed fighter (a 2nd-level slot
    spent); on her turn her `!attack` is refused and changes nothing, and ending it she repeats the WIS save."""
    from tests.unit.test_class_features import hero

    player = new_player_id()
    name = f"Kara{player}"
    weak_willed = {"STR": 16, "DEX": 12, "CON": 14, "INT": 10, "WIS": 3, "CHA": 10}  # WIS save -4 against DC 11
    seed(dm, player, hero(name, "Fighter", 5, weak_willed, [("Greatsword", 1), ("Chain Mail", 1)],
                          ("Chain Mail", "Greatsword")).model_copy(update={"max_hp": 300, "hp": 300}))
    start = dm.cursor()
    assert any(_held_by_the_fanatic(dm, player, name) for _ in range(3)), "she saved against every Hold Person"
    log = " ".join(str(e) for e in fight(dm).log)
    assert "Cult Fanatic 1 casts Hold Person" in log, log
    fanatic = next(c for c in fight(dm).initiative if c["name"] == "Cult Fanatic 1")
    refused = dm.command(player, "!attack Cult Fanatic 1")["content"]
    assert "can't take actions (Paralyzed)" in refused, refused
    assert next(c for c in fight(dm).initiative if c["name"] == "Cult Fanatic 1")["hp"] == fanatic["hp"]
    after = dm.cursor()
    turn = "\n".join(e["content"] for e in dm.replies_to(dm.say(player, "!end_turn"), after))
    assert "WIS" in turn and "vs DC 11" in turn, turn
    dm.command(dm.owner_id, "!end_combat")
    assert dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)


def test_an_adult_red_dragons_breath_waits_for_its_recharge_and_its_legendary_actions_come_between_turns(
        dm: SystemUnderTest) -> None:
    """The SRD's Adult Red Dragon, played by the DM against two sturdy fighters for a few rounds: it breathes when
    its Fire Breath is charged, never again before a recharge roll brings it back, and takes legendary actions at
    the end of the heroes' turns (three a round at most)."""
    from tests.integration.test_srd_import import SRD_JSON_DIR

    if not SRD_JSON_DIR.is_dir():
        pytest.skip("the Adult Red Dragon is the SRD's: its test data is not beside the project")
    players = new_player_id(), new_player_id()
    for player, name in zip(players, ("Ash", "Bryn"), strict=True):  # to outlast a few breaths (18d6) and bites
        seed(dm, player, fighter(f"{name}{player}").model_copy(update={"max_hp": 900, "hp": 900}))
    start = dm.cursor()
    dm.command(players[0], f"!initiative <@{players[0]}> <@{players[1]}>")
    dm.command(dm.owner_id, "!initiative add adult red dragon 1")
    for _ in range(12):  # the heroes only end their turns: some six rounds of the dragon's
        if fight(dm) is None:
            break
        actor = current(dm)
        player = next(p for p in players if actor["name"].endswith(str(p)))
        after = dm.cursor()
        dm.replies_to(dm.say(player, "!end_turn"), after)
    events, _ = dm.events(start)
    transcript = "\n".join(e.get("content", "") for e in events)
    lines = [line for line in transcript.split("\n") if "Fire Breath" in line]
    breaths = [i for i, line in enumerate(lines) if "uses **Fire Breath**" in line and "legendary" not in line]
    assert breaths, transcript[-3000:]
    for first, second in zip(breaths, breaths[1:], strict=False):  # a recharge roll brought it back in between
        assert any("Fire Breath is charged again" in line for line in lines[first:second]), lines
    legendary = re.findall(r"\(legendary action; (\d) left this round\)", transcript)
    assert legendary and all(int(left) in (0, 1, 2) for left in legendary), transcript[-3000:]
    assert "🐉" in transcript
    dm.command(dm.owner_id, "!end_combat")
    dm.wait_for(lambda e: "The combat is over" in e.get("content", ""), start)
