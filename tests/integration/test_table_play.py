"""Table play end to end through the local table: a combat from `!initiative` to `!end_combat` (with an
out-of-turn message answered and not acted on), shopping, trades and dropped items. Every refusal gets a
clear message and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_characters import fighter, owner, seed, state
from tests.integration.test_srd_import import run_import
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def srd(system: SystemUnderTest) -> SystemUnderTest:
    run_import(system)
    return system


def combat_row(system: SystemUnderTest) -> Any:
    rows = system.sql("SELECT id, initiative, current_turn, round, log, active FROM combat_state "
                      "WHERE channel_id = :c AND active", c=system.channel_id)
    return rows[0] if rows else None


def combat_snapshot(system: SystemUnderTest) -> str:
    found = combat_row(system)
    return json.dumps(None if found is None else list(found), sort_keys=True, default=str)


def gate(system: SystemUnderTest) -> dict[str, Any] | None:
    raw = system.redis.get(f"combat:c:{system.channel_id}")
    return None if raw is None else json.loads(raw)


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

    question_seen = False
    for _ in range(60):
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
                message = system.say(other, "Can I grab the torch on the wall?")
                note = system.replies_to(message, after)[0]["content"]
                assert note.startswith(f"(out of turn) {names[other]}, it's {actor['name']}'s turn"), note
                assert "Can I grab the torch on the wall?" in note
                assert (combat_snapshot(system), state(system, p1), state(system, p2)) == before
                question_seen = True
            refused(system, player, "!attack dragon", "There is no 'dragon'", [p1, p2])
            if actor["hp"] > 0:
                reply = system.command(player, f"!attack {monsters[0]['name']}")["content"]
                assert "attack on" in reply, reply
            system.command(player, "!end_turn")
        else:
            assert gate(system) == {"actor_id": None, "actor": actor["name"]}
            refused(system, p1, "!end_turn", "turn, not yours", [p1, p2])
            targets = [c for c in combat_row(system).initiative if c["kind"] == "character" and c["hp"] > 0]
            if targets:
                reply = owner(system, f"!attack {targets[0]['name']}")
                assert "attack on" in reply, reply
                hurt = next(c for c in combat_row(system).initiative if c["name"] == targets[0]["name"])
                assert state(system, int(hurt["player_id"])) is not None
                stored = system.sql("SELECT hp FROM characters WHERE player_id = :p",
                                    p=int(hurt["player_id"]))[0].hp
                assert stored == hurt["hp"]  # the blow reached the character row
            owner(system, "!end_turn")
    assert question_seen

    reply = system.command(p2, "!end_combat")["content"]
    assert "Combat summary" in reply and "dealt" in reply and "took" in reply
    assert combat_row(system) is None and gate(system) is None
    refused(system, p1, "!attack goblin", "no combat in this channel", [p1, p2])
    refused(system, p1, "!end_combat", "no combat in this channel", [p1, p2])
