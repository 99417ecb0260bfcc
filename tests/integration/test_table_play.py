"""Table play end to end through the local table: a combat from `!initiative` to `!end_combat` (with an
out-of-turn message answered and not acted on), spells (a Quickened Spell too), potions and a monster's
Multiattack in a fight, the sheet and the fight kept in step, shopping, trades and dropped items. Every refusal
gets a clear message and changes nothing."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from dnd.character import Character
from dnd.creation import CreationChoices, create_character
from tests.integration.test_characters import fighter, owner, seed, sheet, state
from tests.integration.test_srd_import import import_if_present
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def srd(system: SystemUnderTest) -> SystemUnderTest:
    """The SRD compendium where its test data is there, else the built-in one (the table plays on either)."""
    import_if_present(system)
    return system


def combat_row(system: SystemUnderTest) -> Any:
    rows = system.sql("SELECT id, initiative, current_turn, round, log, active FROM combat_state "
                      "WHERE channel_id = :c AND active", c=system.channel_id)
    return rows[0] if rows else None


def combat_snapshot(system: SystemUnderTest) -> str:
    found = combat_row(system)
    return json.dumps(None if found is None else list(found), sort_keys=True, default=str)


def gate(system: SystemUnderTest) -> dict[str, Any] | None:
    """The gateway's combat gate: whose messages are turns (the bookkeeping fields left out)."""
    raw = system.redis.get(f"combat:c:{system.channel_id}")
    return None if raw is None else {k: v for k, v in json.loads(raw).items() if k in ("actor_id", "actor")}


def current(system: SystemUnderTest) -> dict[str, Any]:
    found = combat_row(system)
    order = [c for c in found.initiative if not c.get("out")]
    return order[found.current_turn]


def refused(system: SystemUnderTest, player: int, text: str, expected: str, watch: list[int]) -> str:
    """A command that must be refused with `expected`, changing neither the watched characters nor the combat."""
    before = [state(system, p) for p in watch], combat_snapshot(system)
    reply = system.command(player, text)["content"]
    assert expected in reply, reply
    assert ([state(system, p) for p in watch], combat_snapshot(system)) == before
    return reply


# --------------------------------------------------------------------------- combat


def test_combat_two_players_against_srd_monsters(srd: SystemUnderTest) -> None:
    system = srd
    if combat_row(system) is not None:  # a fight left by an earlier failed run
        owner(system, "!end_combat")
    p1, p2 = new_player_id(), new_player_id()
    seed(system, p1, fighter(f"Aria{p1}"))
    seed(system, p2, fighter(f"Bram{p2}"))
    names = {p1: f"Aria{p1}", p2: f"Bram{p2}"}

    reply = system.command(p1, f"!initiative <@{p1}> <@{p2}>")["content"]
    assert "Roll for initiative" in reply and names[p1] in reply and names[p2] in reply
    assert gate(system)["actor_id"] in (p1, p2)
    refused(system, p1, f"!initiative <@{p1}>", "already running", [p1, p2])
    refused(system, p1, "!initiative add goblin", "Only the owner", [p1, p2])
    assert "Did you mean" in refused(system, system.owner_id, "!initiative add gobbo", "I don't know a monster",
                                     [p1, p2])
    refused(system, system.owner_id, "!initiative add goblin 0", "between 1 and", [p1, p2])

    reply = owner(system, "!initiative add goblin 2")
    assert "Goblin 1" in reply and "Goblin 2" in reply
    assert len(combat_row(system).initiative) == 4
    stranger = new_player_id()
    refused(system, p1, f"!skip <@{p2}>", "Only the owner", [p1, p2])
    refused(system, system.owner_id, f"!skip <@{stranger}>", "isn't in this fight", [p1, p2])
    refused(system, stranger, "!end_combat", "Only the owner or someone in the fight", [p1, p2])
    refused(system, p1, "!attack", "Attack whom?", [p1, p2])
    assert "Combat runs in the table's channel" in system.command(p1, "!initiative", dm=True)["content"]
    assert "skip" in owner(system, f"!skip <@{p2}>")

    question_seen = stated_seen = narrated_seen = False
    fight_start = system.cursor()
    for _ in range(60):
        if combat_row(system) is None:  # one side is down: the fight ended by itself
            break
        actor = current(system)
        monsters = [c for c in combat_row(system).initiative if c["kind"] == "monster" and not c.get("out")]
        if not monsters:
            break
        if actor["kind"] == "character":
            player = int(actor["player_id"])
            other = p2 if player == p1 else p1
            assert gate(system) == {"actor_id": player, "actor": actor["name"]}
            refused(system, other, "!attack goblin", "turn, not yours", [p1, p2])
            refused(system, other, "!end_turn", "turn, not yours", [p1, p2])
            if not question_seen:
                before = combat_snapshot(system), state(system, p1), state(system, p2)
                after = system.cursor()
                posted = system.post_message(other, "Can I grab the torch on the wall?")
                assert posted["outcome"] == "question", (posted, system.redis.get(f"combat:c:{system.channel_id}"))
                message = str(posted["message_id"])
                note = system.replies_to(message, after, timeout=60)[0]["content"]  # the narrator's queue may be busy
                assert note.startswith(f"(out of turn) {names[other]}, it's {actor['name']}'s turn"), note
                assert "Can I grab the torch on the wall?" in note
                assert (combat_snapshot(system), state(system, p1), state(system, p2)) == before
                question_seen = True
            if actor["hp"] > 0:
                refused(system, player, "!attack dragon", "There is no 'dragon'", [p1, p2])
            if actor["hp"] > 0 and not stated_seen:
                # The actor's plain words are their turn: the stated attack runs through `!attack`.
                events = len(combat_row(system).log)
                after = system.cursor()
                system.say(player, f"I attack {monsters[0]['name']} with my longsword!")
                # The attack's reply, not a narration of an earlier attack still on its way under load.
                system.wait_for(lambda e: "attack on" in e.get("content", "") and not e["meta"].get("turn_id"),
                                after, timeout=60)
                assert len(combat_row(system).log) > events
                # The stated attack was the turn: once it resolved, the turn passed without `!end_turn`.
                ended = f"{actor['name']} ends their turn"
                passed = system.wait_for(lambda e, text=ended: text in e.get("content", ""), after,
                                         timeout=60)[0]["content"]
                assert current(system)["name"] != actor["name"], passed
                # The narrator was told the attack's facts, not the table's Markdown.
                told = system.wait_for(lambda e: e["meta"].get("turn_id") and not e["meta"].get("notice"), after,
                                       timeout=60)[0]["content"]
                assert "**" not in told, told
                stated_seen = True
                continue
            elif actor["hp"] > 0:
                after = system.cursor()
                message = system.say(player, f"!attack {monsters[0]['name']}")
                reply = system.replies_to(message, after)[0]["content"]
                assert "attack on" in reply, reply
                if not narrated_seen:  # the number first, then the narrator's telling of it
                    narration = system.narration_of(message, after)["content"]
                    assert "**" not in narration, f"the narrator is told plain facts, not Markdown: {narration}"
                    narrated_seen = True
            system.command(player, "!end_turn")
        else:
            assert gate(system) == {"actor_id": None, "actor": actor["name"]}
            refused(system, p1, "!end_turn", "turn, not yours", [p1, p2])
            if not owner_plays_the_monster(system):
                break
    assert question_seen and stated_seen and narrated_seen

    # The last blow ended the fight: its summary follows, with nobody typing `!end_combat`.
    reply = system.wait_for(lambda e: "Combat summary" in e.get("content", ""), fight_start)[0]["content"]
    assert "The combat is over" in reply and "dealt" in reply and "took" in reply
    assert combat_row(system) is None and gate(system) is None
    refused(system, p1, "!attack goblin", "no combat in this channel", [p1, p2])
    refused(system, p1, "!end_combat", "no combat in this channel", [p1, p2])


def owner_plays_the_monster(system: SystemUnderTest) -> bool:
    """The owner attacks a character standing for the monster whose turn it is and ends its turn; False when the
    blow downed the last one standing (the fight is over)."""
    targets = [c for c in combat_row(system).initiative if c["kind"] == "character" and c["hp"] > 0]
    if targets:
        reply = owner(system, f"!attack {targets[0]['name']}")
        assert "attack on" in reply, reply
        if combat_row(system) is None:
            return False
        hurt = next(c for c in combat_row(system).initiative if c["name"] == targets[0]["name"])
        assert state(system, int(hurt["player_id"])) is not None
        stored = system.sql("SELECT hp FROM characters WHERE player_id = :p", p=int(hurt["player_id"]))[0].hp
        assert stored == hurt["hp"]  # the blow reached the character row
    owner(system, "!end_turn")
    return True


def test_the_sweeper_puts_a_lost_combat_gate_back_and_clears_a_stale_one(srd: SystemUnderTest) -> None:
    system = srd
    if combat_row(system) is not None:
        owner(system, "!end_combat")
    p1, p2 = new_player_id(), new_player_id()
    seed(system, p1, fighter(f"Jory{p1}"))
    seed(system, p2, fighter(f"Kell{p2}"))
    system.command(p1, f"!initiative <@{p1}> <@{p2}>")
    expected = gate(system)
    assert expected is not None and expected["actor_id"] in (p1, p2)
    key = f"combat:c:{system.channel_id}"
    system.redis.delete(key)  # Redis lost it: a restart without persistence, or a crash before the hook ran
    wait_until(lambda: gate(system) == expected, 30, "the gate was not restored")
    other = p2 if expected["actor_id"] == p1 else p1
    after = system.cursor()
    note = system.replies_to(system.say(other, "Is the door behind us still open?"), after)[0]["content"]
    assert note.startswith("(out of turn)"), note  # the gate holds again: a question, not a turn
    combat_id = combat_row(system).id
    owner(system, "!end_combat")
    assert gate(system) is None
    # A gate the end of the combat never cleared (a crash after the commit) is removed.
    system.redis.set(key, json.dumps({"actor_id": p1, "actor": f"Jory{p1}", "combat": combat_id, "seq": 3}))
    wait_until(lambda: system.redis.get(key) is None, 30, "the stale gate was not cleared")
    after = system.cursor()
    system.say(p1, "I look around the quiet room.")
    assert system.quiet_for(lambda e: e.get("content", "").startswith("(out of turn)"), after, 3) == []


def wait_until(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def test_a_dying_character_rolls_a_death_save_when_its_turn_comes(srd: SystemUnderTest) -> None:
    system = srd
    if combat_row(system) is not None:
        owner(system, "!end_combat")
    dying, standing = new_player_id(), new_player_id()
    seed(system, dying, fighter(f"Hale{dying}").model_copy(update={"hp": 0}))
    seed(system, standing, fighter(f"Ivo{standing}"))
    reply = system.command(standing, f"!initiative <@{dying}> <@{standing}>")["content"]
    if "Death saving throw" not in reply:  # Ivo went first: Hale's turn comes when Ivo's ends
        reply = system.command(standing, "!end_turn")["content"]
    assert "Death saving throw" in reply, reply
    sheet = system.sql("SELECT sheet FROM characters WHERE player_id = :p", p=dying)[0].sheet
    saves = sheet["death_saves"]
    assert saves["successes"] + saves["failures"] >= 1 or sheet["hp"] == 1
    if sheet["hp"] == 0:
        # Hale can't act: the turn passed to Ivo at once, and Hale's commands wait for a turn that isn't his.
        assert f"Hale{dying} can't act at 0 HP; the turn passes." in reply, reply
        assert current(system)["player_id"] == str(standing) and gate(system)["actor_id"] == standing
        refused(system, dying, f"!attack Ivo{standing}", "turn, not yours", [dying, standing])
        status = system.command(dying, "!save death")["content"]
        assert f"{saves['successes']} ✓ / {saves['failures']} ✗" in status, status
        # Unconscious in the fight: STR and DEX saves fail automatically.
        assert "automatically fails" in system.command(dying, "!save dex")["content"]
    assert "Combat summary" in system.command(dying, "!end_combat")["content"]
    assert gate(system) is None


# --------------------------------------------------------------------------- spells, potions, multiattack


def wizard_with(name: str) -> Character:
    """Wizard 1 (High Elf, INT 16): spell attack +5, spell save DC 13, two 1st-level slots."""
    return create_character(CreationChoices(
        name=name, race="Elf", subrace="High Elf", class_name="Wizard", ability_method="point_buy",
        base_scores={"STR": 8, "DEX": 14, "CON": 14, "INT": 15, "WIS": 12, "CHA": 8}, background="Scholar",
        skills=["Investigation", "Medicine"], languages=["Dwarvish", "Giant"],
        cantrips=["Fire Bolt", "Light", "Mage Hand", "Ray of Frost"],
        spells=["Burning Hands", "Magic Missile", "Shield"],
    ))


def fresh_fight(system: SystemUnderTest) -> None:
    if combat_row(system) is not None:  # a fight left by an earlier test
        owner(system, "!end_combat")


def two_fighters_fight(system: SystemUnderTest, first: str, second: str) -> tuple[int, int]:
    """A new fight in the channel between two fresh 1st-level fighters (named `first`, `second` + their ids)."""
    fresh_fight(system)
    p1, p2 = new_player_id(), new_player_id()
    seed(system, p1, fighter(f"{first}{p1}"))
    seed(system, p2, fighter(f"{second}{p2}"))
    system.command(p1, f"!initiative <@{p1}> <@{p2}>")
    return p1, p2


def fighter_in_fight(system: SystemUnderTest, name: str) -> dict[str, Any]:
    found = combat_row(system)
    return next(c for c in found.initiative if c["name"] == name)


def first_slots(system: SystemUnderTest, player: int) -> int:
    return int(system.sql("SELECT spell_slots FROM characters WHERE player_id = :p", p=player)[0]
               .spell_slots["1"]["remaining"])


def turn_until(system: SystemUnderTest, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """End turns (the owner for monsters, the players for their characters) until `wanted(actor)`."""
    for _ in range(20):
        actor = current(system)
        if wanted(actor):
            return actor
        player = system.owner_id if actor["kind"] == "monster" else int(actor["player_id"])
        system.command(player, "!end_turn")
    raise AssertionError("the wanted turn never came")


def taken(reply: str, name: str) -> tuple[int, int] | None:
    """(damage, hit points after) from "<name> takes **N** damage (X/M HP).", None when it took none."""
    found = re.search(rf"{re.escape(name)} takes \*\*(\d+)\*\* damage \((\d+)/\d+ HP\)", reply)
    return (int(found.group(1)), int(found.group(2))) if found else None


def test_spells_in_a_fight(srd: SystemUnderTest) -> None:
    system = srd
    fresh_fight(system)
    mage, ally = new_player_id(), new_player_id()
    seed(system, mage, wizard_with(f"Wyn{mage}"))
    seed(system, ally, fighter(f"Fen{ally}"))
    watch = [mage, ally]
    system.command(mage, f"!initiative <@{mage}> <@{ally}>")
    # 27 HP, AC 16: Fire Bolt alone can't drop one, but the three spells together may, so a third bugbear, never
    # targeted, keeps the fight going to the end.
    assert "Bugbear 3" in owner(system, "!initiative add bugbear 3")

    def is_mage(actor: dict[str, Any]) -> bool:
        return actor.get("player_id") == str(mage)

    # Out of turn: refused, the slot not spent, the fight unchanged.
    turn_until(system, lambda actor: not is_mage(actor))
    assert first_slots(system, mage) == 2
    refused(system, mage, "!cast Burning Hands on Bugbear 1, Bugbear 2", "turn, not yours", watch)

    turn_until(system, is_mage)
    refused(system, mage, "!cast Fire Bolt at dragon", "There is no 'dragon' in this fight", watch)
    refused(system, mage, "!cast Fireball at Bugbear 1", "You don't know Fireball", watch)
    refused(system, mage, "!cast Fire Bolt at Bugbear 1, Bugbear 2", "one target", watch)
    reply = refused(system, mage, "!cast Fire Bolt", "Name the target of Fire Bolt:", watch)
    assert "Bugbear 1" in reply and "Bugbear 2" in reply, reply
    refused(system, mage, "!save luck", "is not an ability", watch)

    # A spell attack: d20 + 5 against AC 16; a hit deals 1d10 fire (2d10 on a critical hit).
    reply = system.command(mage, "!cast Fire Bolt at Bugbear 1")["content"]
    assert "**Fire Bolt attack on Bugbear 1**: 1d20" in reply and "+ 5 = " in reply, reply
    hit = taken(reply, "Bugbear 1")
    assert ("Hit" in reply or "Critical hit" in reply) == (hit is not None), reply
    assert fighter_in_fight(system, "Bugbear 1")["hp"] == (hit[1] if hit else 27) == 27 - (hit[0] if hit else 0)
    assert first_slots(system, mage) == 2  # a cantrip is free
    system.command(mage, "!end_turn")

    # A save-for-half spell against two monsters: 3d6 rolled once, each bugbear saves against DC 13.
    turn_until(system, is_mage)
    before = {n: fighter_in_fight(system, n)["hp"] for n in ("Bugbear 1", "Bugbear 2")}
    reply = system.command(mage, "!cast Burning Hands on Bugbear 1, Bugbear 2")["content"]
    total = int(re.search(r"\*\*Burning Hands damage\*\*: 3d6 .*? = `(\d+)`", reply).group(1))
    for name in ("Bugbear 1", "Bugbear 2"):
        verdict = re.search(rf"\*\*{name} DEX save\*\*: .*? vs DC 13: \*\*(success|failure)\*\*", reply).group(1)
        expected = total // 2 if verdict == "success" else total
        assert (taken(reply, name) or (0, before[name]))[0] == expected, reply
        assert fighter_in_fight(system, name)["hp"] == max(0, before[name] - expected)
    assert first_slots(system, mage) == 1  # spent exactly once

    # One spell a turn (the turn's action); on the next, the last slot on Magic Missile (it always hits); then no
    # slots remain, and nothing changes.
    refused(system, mage, "!cast Magic Missile at Bugbear 2", "already used this turn's action (casting a spell)",
            watch)
    system.command(mage, "!end_turn")
    turn_until(system, is_mage)
    before_mm = fighter_in_fight(system, "Bugbear 2")["hp"]
    reply = system.command(mage, "!cast Magic Missile at Bugbear 2")["content"]
    darts = [int(d) for d in re.findall(r"Magic Missile hits Bugbear 2 for \*\*(\d+)\*\*", reply)]
    dealt = sum(darts)  # three darts of 1d4+1, each its own damage
    assert len(darts) == 3 and all(2 <= d <= 5 for d in darts)
    assert fighter_in_fight(system, "Bugbear 2")["hp"] == max(0, before_mm - dealt)  # hit points stop at 0
    assert first_slots(system, mage) == 0
    system.command(mage, "!end_turn")
    turn_until(system, is_mage)
    refused(system, mage, "!cast Burning Hands on Bugbear 3", "Your spell fails; no slots remain", watch)
    assert "Combat summary" in system.command(mage, "!end_combat")["content"]


def sorcerer_with(name: str) -> Character:
    """Sorcerer 3 (CHA 16, spell attack +5) knowing Quickened and Twinned Spell, 3 sorcery points."""
    from dnd.character import LevelRecord, derive

    history = [LevelRecord(class_name="Sorcerer", class_level=n, hp_method="average", hp_roll=4,
                           choices={"Metamagic": "Quickened Spell, Twinned Spell"} if n == 3 else {})
               for n in (1, 2, 3)]
    sorcerer = derive(Character(
        name=name, race="Human", class_levels={"Sorcerer": 3}, history=history,
        base_scores={"STR": 8, "DEX": 14, "CON": 14, "INT": 10, "WIS": 10, "CHA": 16},
        cantrips=["Fire Bolt", "Ray of Frost", "Light", "Mage Hand"], spells_known=["Magic Missile", "Shield"]))
    return sorcerer.model_copy(update={"hp": sorcerer.max_hp})


def test_a_quickened_spell_in_a_fight(srd: SystemUnderTest) -> None:
    system = srd
    fresh_fight(system)
    mage, ally = new_player_id(), new_player_id()
    seed(system, mage, sorcerer_with(f"Sira{mage}"))
    seed(system, ally, fighter(f"Fen{ally}"))
    watch = [mage, ally]
    system.command(mage, f"!initiative <@{mage}> <@{ally}>")
    owner(system, "!initiative add bugbear 2")
    turn_until(system, lambda actor: actor.get("player_id") == str(mage))
    refused(system, mage, "!cast Fire Bolt at Bugbear 1 with empowered", "doesn't know Empowered Spell", watch)
    refused(system, mage, "!cast Magic Missile at Bugbear 1 with twinned", "targets one creature only", watch)
    reply = system.command(mage, "!cast Fire Bolt at Bugbear 1 with quickened")["content"]
    assert "Quickened Spell (2 sorcery points spent, 1 left)" in reply and "Fire Bolt attack on Bugbear 1" in reply
    refused(system, mage, "!cast Magic Missile at Bugbear 2", "only other spell this turn is a cantrip", watch)
    reply = system.command(mage, "!cast Ray of Frost at Bugbear 2")["content"]  # the action, still free
    assert "Ray of Frost attack on Bugbear 2" in reply, reply
    system.command(mage, "!end_turn")
    turn_until(system, lambda actor: actor.get("player_id") == str(mage))
    refused(system, mage, "!cast Fire Bolt at Bugbear 1 with quickened", "only 1 of 3 left, not 2", watch)
    assert "Combat summary" in system.command(mage, "!end_combat")["content"]


def test_a_healing_potion_in_a_fight_and_the_sheet_kept_in_step(srd: SystemUnderTest) -> None:
    system = srd
    fresh_fight(system)
    hurt, other = new_player_id(), new_player_id()
    seed(system, hurt, fighter(f"Gil{hurt}").model_copy(update={"hp": 3}))
    seed(system, other, fighter(f"Kai{other}"))
    watch = [hurt, other]
    owner(system, f"!add_item <@{hurt}> Potion of Healing x2")
    system.command(hurt, f"!initiative <@{hurt}> <@{other}>")
    name = f"Gil{hurt}"

    turn_until(system, lambda actor: actor.get("player_id") == str(other))
    refused(system, hurt, "!use_item Potion of Healing", "turn, not yours", watch)
    refused(system, hurt, "!rest short", "in the middle of a fight", watch)
    turn_until(system, lambda actor: actor.get("player_id") == str(hurt))
    reply = system.command(hurt, "!use_item Potion of Healing")["content"]
    healed = int(re.search(r"regains \*\*(\d+) HP\*\*", reply).group(1))
    assert 4 <= healed <= 9, reply
    hp = system.sql("SELECT hp FROM characters WHERE player_id = :p", p=hurt)[0].hp
    assert hp == 3 + healed == fighter_in_fight(system, name)["hp"]
    inventory = system.sql("SELECT inventory FROM characters WHERE player_id = :p", p=hurt)[0].inventory
    assert sum(i["qty"] for i in inventory if i["name"] == "Potion of Healing") == 1

    # The owner's changes reach the fight as well as the sheet.
    assert "in the fight too" in owner(system, f"!hp <@{hurt}> 5")
    assert fighter_in_fight(system, name)["hp"] == 5
    assert system.sql("SELECT hp FROM characters WHERE player_id = :p", p=hurt)[0].hp == 5
    assert "in the fight too" in owner(system, f"!set_condition <@{other}> restrained")
    assert fighter_in_fight(system, f"Kai{other}")["conditions"] == ["Restrained"]
    assert "with disadvantage" in system.command(other, "!save dex")["content"]
    assert "Combat summary" in system.command(hurt, "!end_combat")["content"]
    assert "🛏️" in system.command(hurt, "!rest short")["content"]  # the fight is over: rests are back


def test_the_owner_puts_a_condition_on_a_monster(srd: SystemUnderTest) -> None:
    system = srd
    fresh_fight(system)
    player = new_player_id()
    seed(system, player, fighter(f"Pell{player}"))
    system.command(player, f"!initiative <@{player}>")
    owner(system, "!initiative add goblin")
    owner(system, "!initiative add skeleton")
    assert owner(system, "!set_condition Goblin 1 prone").endswith("Goblin 1 is now prone.")
    assert fighter_in_fight(system, "Goblin 1")["conditions"] == ["Prone"]
    assert "immune to being poisoned" in owner(system, "!set_condition Skeleton 1 poisoned")
    assert fighter_in_fight(system, "Skeleton 1")["conditions"] == []
    watch = [player]
    refused(system, player, "!set_condition Goblin 1 stunned", "Only the owner", watch)
    refused(system, system.owner_id, "!set_condition Dragon prone", "There is no 'Dragon'", watch)
    refused(system, system.owner_id, "!set_condition Goblin 1 sleepy", "sleepy", watch)
    refused(system, system.owner_id, f"!set_condition Pell{player} prone", "mention the player", watch)
    refused(system, system.owner_id, "!set_condition Goblin 1 -stunned", "is not stunned", watch)
    assert owner(system, "!set_condition Goblin 1 -prone").endswith("Goblin 1 is no longer prone.")
    assert fighter_in_fight(system, "Goblin 1")["conditions"] == []
    assert "Combat summary" in system.command(player, "!end_combat")["content"]
    refused(system, system.owner_id, "!set_condition Goblin 1 prone", "no combat in this channel", watch)


def test_an_owner_controlled_monster_multiattacks(srd: SystemUnderTest) -> None:
    system = srd
    fresh_fight(system)
    player = new_player_id()
    name = f"Oda{player}"
    seed(system, player, fighter(name).model_copy(update={"hp": 60, "max_hp": 60}))
    system.command(player, f"!initiative <@{player}>")
    owner(system, "!initiative add black bear")
    turn_until(system, lambda actor: actor["kind"] == "monster")
    refused(system, system.owner_id, f"!attack {name} with multiattack 3", "has 1 option: 1) 1 × Bite, 1 × Claws",
            [player])

    reply = owner(system, f"!attack {name}")
    assert "Black Bear 1 uses Multiattack on" in reply and "1 × Bite, 1 × Claws" in reply, reply
    assert f"**Bite attack on {name}**" in reply and f"**Claws attack on {name}**" in reply, reply
    dealt = sum(int(n) for n in re.findall(rf"{name} takes \*\*(\d+)\*\* damage", reply))
    sheet_hp = system.sql("SELECT hp FROM characters WHERE player_id = :p", p=player)[0].hp
    assert sheet_hp == 60 - dealt == fighter_in_fight(system, name)["hp"]

    reply = owner(system, f"!attack {name} with claws")  # one named attack, not the whole Multiattack
    assert f"**Claws attack on {name}**" in reply and "Bite attack" not in reply, reply
    assert "Combat summary" in system.command(player, "!end_combat")["content"]


def test_a_giant_spider_bite_applies_its_poison_rider(srd: SystemUnderTest) -> None:
    """Issue 13: the bite's DC 11 CON save is rolled for the character by the engine, and the poison (2d8, half
    on a success) lands on the sheet with the bite's own damage."""
    system = srd
    fresh_fight(system)
    player = new_player_id()
    name = f"Vex{player}"
    seed(system, player, fighter(name).model_copy(update={"hp": 200, "max_hp": 200}))
    system.command(player, f"!initiative <@{player}>")
    owner(system, "!initiative add giant spider")
    for _ in range(12):  # +5 against the fighter's AC: a hit comes within a few tries
        turn_until(system, lambda actor: actor["kind"] == "monster")
        reply = owner(system, f"!attack {name} with bite")
        if "Hit" in reply and "CON save" in reply:
            break
        assert "CON save" not in reply, reply  # a miss calls for no save
        owner(system, "!end_turn")
    else:
        raise AssertionError("the spider never hit")
    # (a natural 1 or 20 is bold and announced before the DC)
    assert re.search(rf"\*\*{name} CON save\*\*: 1d20 \(\**\d+\**\) \+ \d+ = `\d+`( — Natural \d+!)? vs DC 11",
                     reply), reply
    assert "poison damage" in reply, reply
    dealt = sum(int(n) for n in re.findall(rf"{name} takes \*\*(\d+)\*\* damage", reply))
    assert len(re.findall(rf"{name} takes \*\*", reply)) == 2, reply  # the bite, then the poison
    sheet_hp = system.sql("SELECT hp FROM characters WHERE player_id = :p", p=player)[0].hp
    assert sheet_hp == 200 - dealt == fighter_in_fight(system, name)["hp"]
    assert "Combat summary" in system.command(player, "!end_combat")["content"]


# --------------------------------------------------------------------------- shops


def rich(name: str, gp: int) -> Any:
    from dnd.wealth import Wealth

    return fighter(name).model_copy(update={"wealth": Wealth(gp=gp)})


def purse_cp(system: SystemUnderTest, player: int) -> int:
    wealth = system.sql("SELECT wealth FROM characters WHERE player_id = :p", p=player)[0].wealth
    units = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
    return sum(units[k] * int(v) for k, v in wealth.items())


def carried(system: SystemUnderTest, player: int, item: str) -> int:
    inventory = system.sql("SELECT inventory FROM characters WHERE player_id = :p", p=player)[0].inventory
    return sum(int(i.get("qty", 1)) for i in inventory if i["name"] == item)


def shop_snapshot(system: SystemUnderTest) -> str:
    return json.dumps([list(r) for r in system.sql("SELECT id, items FROM shops ORDER BY id")], default=str)


def shop_refused(system: SystemUnderTest, player: int, text: str, expected: str) -> str:
    before = state(system, player), shop_snapshot(system)
    reply = system.command(player, text)["content"]
    assert expected in reply, reply
    assert (state(system, player), shop_snapshot(system)) == before
    return reply


def test_shop_list_buy_with_change_and_sell(srd: SystemUnderTest) -> None:
    system = srd
    buyer, poor = new_player_id(), new_player_id()
    seed(system, buyer, rich(f"Cass{buyer}", 20))
    seed(system, poor, rich(f"Dell{poor}", 0))

    answer = system.command(buyer, "!shop_list")
    assert "The shops at" in answer["content"] and answer["embeds"]
    listing = "\n".join(e.get("description", "") for e in answer["embeds"])
    assert "in stock" in listing and " gp" in listing or " sp" in listing

    entries = system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
    in_stock = [e for e in entries if e["qty"] >= 2 and 0 < e["price"] <= 1000 and e["bundle"] == 1]
    odd = [e for e in in_stock if e["price"] % 100] or in_stock
    item = odd[0]

    shop_refused(system, buyer, "!buy_item Vorpal Teaspoon of Doom", "doesn't sell")
    shop_refused(system, buyer, f"!buy_item {item['name']} 0", "between 1 and")
    shop_refused(system, buyer, f"!buy_item {item['name']} -3", "between 1 and")
    shop_refused(system, poor, f"!buy_item {item['name']}", "You need")
    shop_refused(system, buyer, "!sell_item Unicorn Horn", "doesn't carry")
    shop_refused(system, buyer, "!buy_item", "Which item?")

    purse, have = purse_cp(system, buyer), carried(system, buyer, item["name"])
    after = system.cursor()
    message = system.say(buyer, f"!buy_item {item['name']}")
    receipt = system.replies_to(message, after)[0]
    reply = receipt["content"]
    assert "You buy" in reply and (item["price"] % 100 == 0 or "in change" in reply), reply
    narration = system.narration_of(message, after)
    assert narration["cursor"] > receipt["cursor"]  # the number first, then the story
    assert purse_cp(system, buyer) == purse - item["price"]
    assert carried(system, buyer, item["name"]) == have + 1
    after = {e["name"]: e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items}
    assert after[item["name"]]["qty"] == item["qty"] - 1

    since = system.cursor()
    message = system.say(buyer, f"!sell_item {item['name']}")
    reply = system.replies_to(message, since)[0]["content"]
    assert "sells" in reply, reply
    system.narration_of(message, since)
    assert purse_cp(system, buyer) == purse - item["price"] + item["base_cost"] // 2
    assert carried(system, buyer, item["name"]) == have
    shop_refused(system, buyer, f"!sell_item {item['name']} 5", "doesn't carry")
    shop_refused(system, buyer, "!sell_item Longsword 0", "between 1 and")

    # Days later, a look at the shop restocks it in the background (queue `shops`).
    system.sql("UPDATE shops SET restocked_at = TIMESTAMP '2000-01-01'")
    system.command(buyer, "!shop_list")
    deadline = time.monotonic() + 30
    while system.sql("SELECT restocked_at FROM shops ORDER BY id LIMIT 1")[0].restocked_at.year == 2000:
        assert time.monotonic() < deadline, "the shop was not restocked"
        time.sleep(0.2)

    character_id = system.sql("SELECT id FROM characters WHERE player_id = :p", p=buyer)[0].id
    moved = {r.item: int(r.n) for r in system.sql(
        "SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c GROUP BY item", c=character_id)}
    assert moved.get(item["name"], 0) == 0 and moved["cp"] == purse_cp(system, buyer) - purse


# --------------------------------------------------------------------------- trades and the ground


def offer(system: SystemUnderTest, sender: int, text: str) -> dict[str, Any]:
    answer = system.command(sender, text)
    assert answer.get("meta", {}).get("awaiting") == "trade", answer["content"]
    assert answer["reactions"] == ["✅", "❌"]
    return answer


def react(system: SystemUnderTest, message: dict[str, Any], user: int, emoji: str, expected: str) -> str:
    after = system.cursor()
    code, body = system.react(message["id"], user, emoji)
    assert code in (200, 202), body
    return system.wait_for(lambda e: expected in e.get("content", ""), after)[0]["content"]


def test_trades_accepted_declined_offline_replayed_and_expired(srd: SystemUnderTest) -> None:
    system = srd
    a, b, c = new_player_id(), new_player_id(), new_player_id()
    seed(system, a, rich(f"Ed{a}", 20))
    seed(system, b, rich(f"Fay{b}", 5))
    seed(system, c, rich(f"Gus{c}", 5))
    assert "receives Torch ×5" in owner(system, f"!add_item <@{a}> Torch x5")
    system.set_presence(b, "online")
    system.set_presence(c, "offline")
    ta, tb = carried(system, a, "Torch"), carried(system, b, "Torch")

    message = offer(system, a, f"!trade_item Torch 2 <@{b}>")
    assert f"<@{b}>" in message["content"] and "2 torches" in message["content"].lower()
    after = system.cursor()
    system.react(message["id"], a, "✅")  # only the receiver's answer counts
    assert system.quiet_for(lambda e: "Trade done" in e.get("content", ""), after, 2) == []
    after = system.cursor()
    code, body = system.react(message["id"], b, "✅")
    assert code == 202, body
    assert "Trade done" in system.wait_for(lambda e: "Trade done" in e.get("content", ""), after)[0]["content"]
    # The settlement is a moment of the story: the narrator follows it.
    narrates = f"reaction-{body['reaction_id']}"
    system.narration_of(narrates, after)
    assert (carried(system, a, "Torch"), carried(system, b, "Torch")) == (ta - 2, tb + 2)
    before = state(system, a), state(system, b)
    assert "already settled (accepted)" in react(system, message, b, "✅", "already settled")
    assert (state(system, a), state(system, b)) == before

    gold = purse_cp(system, a), purse_cp(system, b)
    message = offer(system, a, f"!trade_item 5gp <@{b}>")
    assert "declines" in react(system, message, b, "❌", "declines")
    assert (purse_cp(system, a), purse_cp(system, b)) == gold
    message = offer(system, a, f"!trade_item 5gp <@{b}>")
    assert "Trade done" in react(system, message, b, "✅", "Trade done")
    assert (purse_cp(system, a), purse_cp(system, b)) == (gold[0] - 500, gold[1] + 500)

    message = offer(system, a, f"!trade_item Torch <@{b}>")
    system.sql("UPDATE trade_history SET timestamp = now() - interval '4 minutes' WHERE id = :t",
               t=message["meta"]["trade_id"])
    before = state(system, a), state(system, b)
    assert "expired" in react(system, message, b, "✅", "expired")
    assert (state(system, a), state(system, b)) == before

    # An offer nobody answers expires by itself: the sweeper marks it and tells the channel.
    message = offer(system, a, f"!trade_item Torch <@{b}>")
    trade_id = message["meta"]["trade_id"]
    after = system.cursor()
    system.sql("UPDATE trade_history SET timestamp = now() - interval '4 minutes' WHERE id = :t", t=trade_id)
    notice = system.wait_for(lambda e: e.get("meta", {}).get("trade_id") == trade_id and e["meta"].get("expired"),
                             after, timeout=30)[0]["content"]
    assert "expired unanswered" in notice and f"<@{a}>" in notice and f"<@{b}>" in notice
    assert system.sql("SELECT status FROM trade_history WHERE id = :t", t=trade_id)[0].status == "expired"
    assert "already settled (expired)" in react(system, message, b, "✅", "already settled")
    assert (state(system, a), state(system, b)) == before

    watch = [a, b, c]
    for text, expected in [
        (f"!trade_item Torch <@{c}>", "isn't online"),
        ("!trade_item Torch <@424242424242>", "isn't a player with a character"),
        (f"!trade_item Torch <@{a}>", "can't trade with yourself"),
        (f"!trade_item Unicorn Horn <@{b}>", "doesn't carry"),
        (f"!trade_item Torch 99 <@{b}>", f"has only {ta - 2} torches"),
        (f"!trade_item 500gp <@{b}>", "has only"),
        (f"!trade_item Torch 0 <@{b}>", "between 1 and"),
        ("!trade_item Torch", "Mention the player"),
    ]:
        before_all = [state(system, p) for p in watch]
        pending = system.sql("SELECT count(*) AS n FROM trade_history WHERE sender_id = :a", a=a)[0].n
        reply = system.command(a, text)["content"]
        assert expected in reply, (text, reply)
        assert [state(system, p) for p in watch] == before_all
        assert system.sql("SELECT count(*) AS n FROM trade_history WHERE sender_id = :a", a=a)[0].n == pending

    statuses = sorted(r.status for r in system.sql("SELECT status FROM trade_history WHERE sender_id = :a", a=a))
    assert statuses == ["accepted", "accepted", "declined", "expired", "expired"]
    ids = [r.id for r in system.sql("SELECT id FROM characters WHERE player_id IN (:a, :b)", a=a, b=b)]
    balance = system.sql("SELECT item, sum(quantity_delta) AS n FROM ledger WHERE counterparty LIKE 'trade:%' "
                         "AND character_id IN (:x, :y) GROUP BY item", x=ids[0], y=ids[1])
    assert balance and all(int(r.n) == 0 for r in balance)

    # The ground: what one drops another picks up.
    assert "drops" in system.command(a, "!drop_item Torch 2")["content"]
    assert carried(system, a, "Torch") == ta - 4
    assert "picks up 2 torches" in system.command(b, "!pick_up torch")["content"].lower()
    assert carried(system, b, "Torch") == tb + 4
    before = state(system, b)
    assert "no 'torch' on the ground" in system.command(b, "!pick_up torch")["content"]
    assert "not 999" in system.command(a, "!drop_item Torch 999")["content"]
    assert "doesn't carry" in system.command(a, "!drop_item Unicorn Horn")["content"]
    assert state(system, b) == before and carried(system, a, "Torch") == ta - 4


# --------------------------------------------------------------------------- concurrency


def test_concurrent_buys_sells_and_trades_conserve_gold_and_items(srd: SystemUnderTest) -> None:
    from concurrent.futures import ThreadPoolExecutor

    system = srd
    players = [new_player_id() for _ in range(4)]
    for number, player in enumerate(players):
        seed(system, player, rich(f"Racer{number}x{player}", 100))
        system.set_presence(player, "online")
    system.command(players[0], "!shop_list")
    entries = system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
    item = next(e for e in entries if e["qty"] >= 1 and 0 < e["price"] <= 1000 and e["bundle"] == 1
                and e["name"] != "Torch")
    ids = {p: system.sql("SELECT id FROM characters WHERE player_id = :p", p=p)[0].id for p in players}
    start = {p: (purse_cp(system, p), carried(system, p, "Torch"), carried(system, p, item["name"]))
             for p in players}
    shop_before = next(e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
                       if e["name"] == item["name"])["qty"]

    commands: list[tuple[int, str]] = []
    for i, player in enumerate(players):
        receiver = players[(i + 1) % len(players)]
        commands += [(player, f"!buy_item {item['name']}")] * 5
        commands += [(player, "!sell_item Torch")] * 5
        commands += [(player, f"!trade_item Torch 2 <@{receiver}>")] * 5
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda c: system.command(c[0], c[1], timeout=90), commands))
    assert len(answers) == 60
    offers = [(a, commands[n][1]) for n, a in enumerate(answers) if (a.get("meta") or {}).get("awaiting") == "trade"]
    assert len(offers) == 20, [a["content"] for a in answers if "offers you" not in a["content"]][:5]

    # Every receiver answers ✅ twice at once: each trade settles exactly once.
    after = system.cursor()
    reactions = []
    for answer, text in offers:
        receiver = int(text.rsplit("<@", 1)[1].rstrip(">"))
        reactions += [(answer, receiver)] * 2
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda r: system.react(r[0]["id"], r[1], "✅"), reactions))
    settled = system.wait_for(lambda e: "Trade done" in e.get("content", "") or "can't happen" in e.get("content", "")
                              or "already settled" in e.get("content", ""), after, timeout=120, count=40)
    texts = [e["content"] for e in settled]
    assert sum("already settled" in t for t in texts) == 20, texts
    trade_ids = [a["meta"]["trade_id"] for a, _ in offers]
    statuses = system.sql("SELECT status FROM trade_history WHERE id = ANY(:t)", t=trade_ids)
    assert all(r.status in ("accepted", "failed") for r in statuses) and len(statuses) == 20

    # Conservation: every character's purse and pack moved exactly as its ledger says; trades create nothing.
    for player in players:
        ledger = {r.item: int(r.n) for r in system.sql(
            "SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c GROUP BY item", c=ids[player])}
        cp, torches, bought = start[player]
        assert purse_cp(system, player) == cp + ledger.get("cp", 0)
        assert carried(system, player, "Torch") == torches + ledger.get("Torch", 0)
        assert carried(system, player, item["name"]) == bought + ledger.get(item["name"], 0)
    trade_sum = system.sql("SELECT item, sum(quantity_delta) AS n FROM ledger WHERE counterparty LIKE 'trade:%' "
                           "AND character_id = ANY(:c) GROUP BY item", c=list(ids.values()))
    assert all(int(r.n) == 0 for r in trade_sum)
    total_torches = sum(carried(system, p, "Torch") for p in players)
    sold = -sum(int(r.n) for r in system.sql(
        "SELECT sum(quantity_delta) AS n FROM ledger WHERE item = 'Torch' AND counterparty LIKE 'shop:%' "
        "AND character_id = ANY(:c)", c=list(ids.values())) if r.n is not None)
    assert total_torches + sold == sum(s[1] for s in start.values())
    bought_total = sum(carried(system, p, item["name"]) - start[p][2] for p in players)
    shop_after = next(e for e in system.sql("SELECT items FROM shops ORDER BY id LIMIT 1")[0].items
                      if e["name"] == item["name"])["qty"]
    assert shop_before - shop_after == bought_total and shop_after >= 0


def test_a_stated_attack_in_a_fight_is_the_turn_in_few_transactions(srd: SystemUnderTest) -> None:
    """Plain words on the speaker's turn run as `!attack` and pass the turn, in this process (so its
    transactions can be counted): the batch's inventories and targets in one, the attack and the turn's end
    in one more."""
    from sqlalchemy import event

    from db.engine import get_engine
    from tasks.stated_actions import run_stated_actions

    system = srd
    if combat_row(system) is not None:
        owner(system, "!end_combat")
    player = new_player_id()
    seed(system, player, fighter(f"Lio{player}"))
    system.command(player, f"!initiative <@{player}>")
    owner(system, "!initiative add goblin 2")  # a blow that fells Goblin 1 leaves the turn to pass to Goblin 2
    for _ in range(2):
        if current(system)["kind"] != "character":
            owner(system, "!end_turn")
    actor = current(system)
    assert actor["player_id"] == str(player)
    message = {"message_id": str(time.time_ns()), "author_id": player, "author_name": f"Lio{player}",
               "channel_id": system.channel_id, "content": "I attack Goblin 1 with my longsword!"}
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    engine = get_engine()
    event.listen(engine, "begin", count)
    try:
        stated = run_stated_actions([message])
    finally:
        event.remove(engine, "begin", count)
    assert len(stated.results) == 1 and "attack on" in stated.results[0], stated.results
    assert f"Lio{player} ends their turn" in stated.results[0], stated.results
    assert current(system)["name"] != actor["name"]
    # Six before the handlers passed the turn themselves: a transaction per message for the parser's facts,
    # the fight read before and after the attack, the attack, a made-up `!end_turn`, the replies read back.
    assert len(begun) == 2, f"{len(begun)} transactions"
    owner(system, "!end_combat")


def test_the_shops_of_a_place_are_listed_a_page_at_a_time(srd: SystemUnderTest) -> None:
    system = srd
    player = new_player_id()
    first = system.command(player, "!shop_list")
    embed = first["embeds"][0]
    assert embed["title"].startswith("🛒 The shops at")
    rows = [line for line in embed["description"].split("\n") if line.startswith("**")]
    assert 0 < len(rows) <= 20, embed["description"]
    assert "__General store__" in embed["description"] and "Page 1/" in embed["footer"]["text"]
    pages = int(embed["footer"]["text"].split("Page 1/")[1].split(" ")[0])
    assert pages > 1 and "`!shop_list 2` for more" in embed["footer"]["text"]
    last = system.command(player, f"!shop_list {pages}")["embeds"][0]
    assert f"Page {pages}/{pages}" in last["footer"]["text"] and "for more" not in last["footer"]["text"]
    smith = system.command(player, "!shop_list the smithy")["embeds"][0]
    assert smith["title"].startswith("🛒 The smith at") and "__Smith__" in smith["description"]
    assert "__General store__" not in smith["description"]
    assert "Longsword" in smith["description"] or "for more" in smith["footer"]["text"]
    for text, expected in [("!shop_list bakery", "There's no shop called “bakery”"),
                           (f"!shop_list {pages + 1}", f"are {pages} pages"),
                           ("!shop_list 0", "Pages start at 1."),
                           ("!shop_list " + "y" * 200, "too long")]:
        assert expected in system.command(player, text)["content"], text


# --------------------------------------------------------------------------- the DM plays the monsters


def test_the_dm_plays_the_monsters_it_is_handed(srd: SystemUnderTest) -> None:
    system = srd
    p1, p2 = two_fighters_fight(system, "Ilsa", "Joss")
    owner(system, "!initiative add goblin 2")

    # Who may hand monsters over, and bad input: refused, nothing changes.
    refused(system, p1, "!dm release goblin 1", "Only the owner", [p1, p2])
    refused(system, system.owner_id, "!dm dance goblin 1", "Usage: `!dm control <creature>`", [p1, p2])
    refused(system, system.owner_id, "!dm release", "Usage: `!dm control <creature>`", [p1, p2])
    refused(system, system.owner_id, f"!dm release Ilsa{p1}", "is a player's character", [p1, p2])
    refused(system, system.owner_id, "!dm release " + "x" * 500, "in this fight. Targets:", [p1, p2])

    for goblin in ("Goblin 1", "Goblin 2"):
        assert f"The DM plays **{goblin}** now." in owner(system, f"!dm release {goblin}")
    # Whenever a player passes the turn, the goblins take theirs at once, and it comes back to a player.
    seen_goblin_turns = 0
    for _ in range(6):
        actor = current(system)
        assert actor["kind"] == "character", actor  # never left on a goblin's turn
        player = int(actor["player_id"])
        after = system.cursor()
        message = system.say(player, "!end_turn")
        reply = system.replies_to(message, after)[0]["content"]
        goblin_turns = [line for line in reply.split("\n") if line.startswith("⏭️ Goblin")]
        if goblin_turns:
            seen_goblin_turns += 1
            assert "🗡️" in reply and "→" in reply, reply  # its attack, resolved and posted with the turn
            narration = system.narration_of(message, after)
            assert "Goblin" in narration["content"] and "**" not in narration["content"]
        if combat_row(system) is None or "victory" in reply or "down" in reply.lower() and "Every" in reply:
            break
        assert gate(system)["actor_id"] in (p1, p2)
    assert seen_goblin_turns >= 1
    # The sheets follow the fight: every blow landed on a character is on its row.
    fight = combat_row(system)
    if fight is not None:
        for combatant in fight.initiative:
            if combatant.get("kind") == "character":
                pid = int(combatant["player_id"])
                assert system.sql("SELECT hp FROM characters WHERE player_id = :p", p=pid)[0].hp == combatant["hp"]
        # Taken back by the owner, a goblin waits for the owner's commands on its turn.
        assert "You play **Goblin 1** now." in owner(system, "!dm control Goblin 1")
        owner(system, "!end_combat")


def test_the_survivors_share_the_xp_of_the_monsters_they_defeated(srd: SystemUnderTest) -> None:
    system = srd
    p1, p2 = two_fighters_fight(system, "Kell", "Lune")
    before = {p: system.sql("SELECT xp FROM characters WHERE player_id = :p", p=p)[0].xp for p in (p1, p2)}
    owner(system, "!initiative add goblin")
    for _ in range(60):  # the heroes swing until the goblin falls (the owner passes its turns)
        actor = current(system)
        if actor["kind"] == "monster":
            owner(system, "!end_turn")
            continue
        after = system.cursor()
        message = system.say(int(actor["player_id"]), "!attack goblin")
        reply = system.replies_to(message, after)[0]["content"]
        if "No foe is left standing" in reply:
            break
        system.command(int(actor["player_id"]), "!end_turn")
    else:
        raise AssertionError("the goblin never fell")
    # The fight ends by itself, in a second reply to the blow that won it.
    ended = system.replies_to(message, after, count=2)[1]["content"]
    assert "The combat is over" in ended and "Combat summary" in ended, ended
    # A goblin is worth 50 XP: 25 each.
    assert f"⭐ Kell{p1} gains 25 XP" in ended and f"⭐ Lune{p2} gains 25 XP" in ended, ended
    after = {p: system.sql("SELECT xp FROM characters WHERE player_id = :p", p=p)[0].xp for p in (p1, p2)}
    assert after == {p: xp + 25 for p, xp in before.items()}
    assert combat_row(system) is None

    # The goblin's treasure lies on the ground where the party is; its coins go into a purse, once.
    assert "Left on the ground at" in ended and "`!loot take <item> [qty]`" in ended, ended
    listing = system.command(p1, "!loot")["content"]
    found = re.search(r"(Copper|Silver|Electrum|Gold|Platinum) pieces ×(\d+)", listing)
    assert found is not None, listing
    coin, qty = found.group(1), int(found.group(2))
    value = {"Copper": 1, "Silver": 10, "Electrum": 50, "Gold": 100, "Platinum": 1000}[coin] * qty
    purse = sheet(system, p1)["wealth"]
    refused(system, p2, "!loot take", "Pick up what?", [p1, p2])
    refused(system, p2, "!loot take " + "x" * 500, "There's no", [p1, p2])
    refused(system, p2, "!loot 3", "Only the owner can roll treasure", [p1, p2])
    assert "picks up" in system.command(p1, f"!loot take {coin.lower()} pieces")["content"]
    cp = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
    gained = sum(cp[d] * (sheet(system, p1)["wealth"][d] - purse[d]) for d in cp)
    assert gained == value
    character_id = system.sql("SELECT id FROM characters WHERE player_id = :p", p=p1)[0].id
    taken = system.sql("SELECT SUM(quantity_delta) AS n FROM ledger WHERE character_id = :c AND item = 'cp' "
                       "AND reason = 'pick up'", c=character_id)[0].n
    assert taken == value  # through the ledger
    assert "There's no" in system.command(p2, f"!loot take {coin.lower()} pieces")["content"]


def test_a_turn_has_one_action(srd: SystemUnderTest) -> None:
    """A 1st-level Fighter makes one attack a turn, and can't also cast or drink a potion (the SRD's action)."""
    system = srd
    p1, p2 = two_fighters_fight(system, "Mira", "Nash")
    owner(system, "!initiative add ogre")  # 59 HP: it stands through a few blows
    while current(system)["kind"] == "monster":
        owner(system, "!end_turn")
    player = int(current(system)["player_id"])
    others = [p1, p2]
    assert "attack on Ogre" in system.command(player, "!attack ogre")["content"]
    refused(system, player, "!attack ogre", "has made its attack this turn", others)
    refused(system, player, "!use_item Potion of Healing", "already used this turn's action (the Attack action)",
            others)
    system.command(player, "!end_turn")
    owner(system, "!end_combat")


def test_armor_bought_counts_once_worn(system: SystemUnderTest) -> None:
    player = new_player_id()
    bare = fighter(f"Oswin{player}")
    seed(system, player, bare.model_copy(update={"inventory": [i.model_copy(update={"equipped": False})
                                                               for i in bare.inventory]}))
    assert "AC **18**" not in json.dumps(system.command(player, "!my_sheet"), ensure_ascii=False)
    for text, expected in [("!equip", "What?"), ("!equip moon boots", "doesn't carry"),
                           ("!unequip chain mail", "isn't wearing")]:
        assert expected in system.command(player, text)["content"], text
    worn = system.command(player, "!equip chain mail")["content"]
    assert "puts on Chain Mail" in worn and "→ **16**" in worn, worn
    assert "→ **18**" in system.command(player, "!equip shield")["content"]
    assert "AC **18**" in json.dumps(system.command(player, "!my_sheet"), ensure_ascii=False)
    assert "→ **16**" in system.command(player, "!unequip shield")["content"]


def test_the_owner_casts_for_a_spellcasting_monster_they_play(srd: SystemUnderTest) -> None:
    """With the owner playing the monsters, `!cast` on a priest's turn casts from its Spellcasting: its slot
    spent, the spell resolved; a spell not on its list, or at no one in the fight, is refused with nothing spent;
    with a wizard who has Counterspell in the fight the spell waits for the wizard, who counters it."""
    from tests.integration.test_characters import sheet
    from tests.unit.test_class_features import WIZARD, hero

    system = srd
    fresh_fight(system)
    fighter_id, wizard_id = new_player_id(), new_player_id()
    name, mage = f"Oda{fighter_id}", f"Wyn{wizard_id}"
    seed(system, fighter_id, fighter(name).model_copy(update={"hp": 90, "max_hp": 90}))
    system.command(fighter_id, f"!initiative <@{fighter_id}>")
    owner(system, "!initiative add priest")
    turn_until(system, lambda actor: actor["kind"] == "monster")
    refused(system, system.owner_id, f"!cast Fireball at {name}", "has no spell called 'Fireball'", [fighter_id])
    refused(system, system.owner_id, "!cast Guiding Bolt at Nobody", "There is no 'Nobody'", [fighter_id])
    reply = owner(system, f"!cast Guiding Bolt at {name}")
    assert f"**Guiding Bolt attack on {name}**" in reply, reply
    priest = fighter_in_fight(system, "Priest 1")
    assert priest["used"] == {"slot:1": 1}
    hp = system.sql("SELECT hp FROM characters WHERE player_id = :p", p=fighter_id)[0].hp
    assert hp == fighter_in_fight(system, name)["hp"]
    assert "Combat summary" in system.command(fighter_id, "!end_combat")["content"]

    seed(system, wizard_id, hero(mage, "Wizard", 5, WIZARD, [("Dagger", 1)], spells_known=["Counterspell"],
                                 spells_prepared=["Counterspell"]).model_copy(update={"hp": 90, "max_hp": 90}))
    system.command(wizard_id, f"!initiative <@{wizard_id}>")
    owner(system, "!initiative add priest")
    turn_until(system, lambda actor: actor["kind"] == "monster")
    reply = owner(system, f"!cast Guiding Bolt at {mage}")
    assert f"Priest 1 begins casting **Guiding Bolt** (1st level) at {mage} — **{mage}** may counter it" in reply
    refused(system, system.owner_id, "!end_turn", "waits on a Counterspell", [wizard_id])
    slots = sheet(system, wizard_id)["spell_slots"]["3"]
    answer = system.command(wizard_id, "!react counterspell")["content"]
    assert f"{mage}'s 3rd-level Counterspell: Priest 1's **Guiding Bolt** fails" in answer, answer
    assert sheet(system, wizard_id)["spell_slots"]["3"] == slots - 1
    assert fighter_in_fight(system, mage)["hp"] == 90 and current(system)["name"] == "Priest 1"
    assert "Combat summary" in system.command(wizard_id, "!end_combat")["content"]
