"""Characters follow their player across campaigns: `!my_characters`, `!import_character`, and the hints that
point to them when the owner loads another campaign. (After test_knowledge, which builds the Ashes of Thornwall
index that `!load_campaign` would otherwise queue.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import keys
from tests.integration.test_characters import fighter, seed, state
from tests.integration.test_narrator import activate_shipped_campaign
from tests.system import Event, SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


def holdings_in_ledger(system: SystemUnderTest, character_id: int, campaign_id: int) -> dict[str, int]:
    rows = system.sql("SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c AND campaign_id = :k "
                      "GROUP BY item HAVING sum(quantity_delta) <> 0", c=character_id, k=campaign_id)
    return {row.item: int(row.n) for row in rows}


def test_a_character_follows_its_player_into_the_next_campaign(system: SystemUnderTest) -> None:
    crypt = activate_shipped_campaign(system, "the-glass-crypt")
    crypt_name = system.sql("SELECT name FROM campaigns WHERE id = :i", i=crypt)[0].name
    player, stranger = new_player_id(), new_player_id()
    seed(system, player, fighter(f"Maren{player}"))
    character_id = system.sql("SELECT id FROM characters WHERE player_id = :p", p=player)[0].id
    before = state(system, player)

    system.command(system.owner_id, "!lines add harm to animals")
    after = system.cursor()
    load = system.say(system.owner_id, "!load_campaign Ashes of Thornwall")
    loaded, door = (e["content"] for e in system.replies_to(load, after, timeout=60, count=2))
    assert f"`!import_character {crypt_name}`" in loaded, loaded
    # A campaign starts with the open-door message: the table's lines and veils, and the X-card.
    assert "Session zero" in door and "harm to animals" in door and "`!x`" in door, door
    assert "by DM: nobody is told who" in door  # the owner has not chosen to be told (`!safety xcard-reveal`)
    system.command(system.owner_id, "!lines remove harm to animals")
    ashes = system.sql("SELECT id FROM campaigns WHERE source_file = 'ashes-of-thornwall.md'")[0].id

    refusal = system.command(player, "!my_sheet")["content"]
    assert f"Bring **Maren{player}** along with `!import_character {crypt_name}`" in refusal, refusal
    listed = system.command(player, "!my_characters")["content"]
    assert f"**Maren{player}**, level 1 Fighter, in **{crypt_name}**" in listed and "!import_character" in listed

    # Bad input and the wrong player change nothing.
    for text, expected in [("!import_character", "From which campaign?"),
                           ("!import_character " + "x" * 400, "too long"),
                           ("!import_character Nowhere Keep", "I don't know a campaign called"),
                           ("!import_character Ashes of Thornwall", "is already the active campaign")]:
        assert expected in system.command(player, text)["content"], text
        assert state(system, player) == before
    assert "You have no character in" in system.command(stranger, f"!import_character {crypt_name}")["content"]

    joined = system.command(player, f"!import_character {crypt_name}")["content"]
    assert f"**Maren{player}** (level 1 Fighter) leaves **{crypt_name}**" in joined, joined
    assert system.sql("SELECT campaign_id FROM characters WHERE id = :c", c=character_id)[0].campaign_id == ashes
    assert f"Maren{player}" in system.command(player, "!my_sheet")["content"]
    # Moved, not copied: nothing left behind, everything carried arrives (and the ledger says so).
    assert system.sql("SELECT count(*) AS n FROM characters WHERE player_id = :p", p=player)[0].n == 1
    # (A seeded character has no ledger rows of its own: what the move wrote is all there is.)
    arrived = holdings_in_ledger(system, character_id, ashes)
    assert arrived["Chain Mail"] == 1 and all(quantity > 0 for quantity in arrived.values())
    assert holdings_in_ledger(system, character_id, crypt) == {item: -n for item, n in arrived.items()}
    assert "already have a character" in system.command(player, f"!import_character {crypt_name}")["content"]
    assert "← the active campaign" in system.command(player, "!my_characters")["content"]


EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "foundry"


def send_file(system: SystemUnderTest, player: int, filename: str, text: str, content: str = "!import_character",
              dm: bool = True) -> Event:
    after = system.cursor()
    status, body = system.http("POST", "/api/messages", {
        "author_id": player, "author_name": f"Player{player}", "content": content, "dm": dm,
        "attachments": [{"filename": filename, "text": text}]})
    assert status == 202, body
    return system.replies_to(str(body["message_id"]), after)[0]


def test_a_foundry_export_becomes_a_character_checked_by_the_engine(system: SystemUnderTest) -> None:
    player, other = new_player_id(), new_player_id()
    sheet = (EXAMPLES / "brenna_fighter.json").read_text(encoding="utf-8")
    no_character = "You have no characters yet"

    # What can't make a character is refused with the reason, and nothing is saved.
    npc = json.loads(sheet) | {"type": "npc"}
    for filename, text, expected in [
            ("brenna.json", "{\"name\": \"Brenna\", ", "isn't JSON (line 1"),
            ("brenna.json", json.dumps(npc), "“npc” actor, not a character"),
            ("big.json", " " * 1_200_000 + sheet, "is too large ("),
            ("portrait.png", "\x89PNG\r\n", "isn't JSON")]:
        answer = send_file(system, player, filename, text)["content"]
        assert expected in answer and "Nothing was imported" in answer, answer
        assert no_character in system.command(player, "!my_characters", dm=True)["content"]
    five_megabytes = [{"filename": "x.json", "text": "x" * 5_000_000}]
    code, refused = system.http("POST", "/api/messages", {"author_id": player, "content": "!import_character",
                                                           "attachments": five_megabytes})
    assert code == 413 and "too large" in refused["error"]
    assert system.http("POST", "/api/messages", {"author_id": player, "content": "!import_character",
                                                 "attachments": "brenna.json"})[0] == 400
    # A file sent with an ordinary message is not read as an import.
    assert "Nothing was imported" not in json.dumps(send_file(system, other, "notes.json", sheet, "!roll 1d4"))

    answer = send_file(system, player, "brenna.json", sheet)["content"]
    assert "📥 **Brenna Stonehelm** joins" in answer and "level 3 Hill Dwarf Fighter" in answer, answer
    assert "HP 27/34" in answer and "max HP 31 in the file, 34 by the engine" in answer
    assert "Grandfather's Lucky Rivet" in answer  # listed back as kept without rules
    [row] = system.sql("SELECT id, sheet FROM characters WHERE player_id = :p", p=player)
    assert row.sheet["class_levels"] == {"Fighter": 3} and row.sheet["max_hp"] == 34
    sheet_reply = system.command(player, "!my_sheet", dm=True)
    assert "Brenna Stonehelm" in json.dumps(sheet_reply)
    assert "Potion of Healing" in system.command(player, "!inventory")["content"]
    ledger = {r.item: int(r.n) for r in system.sql(
        "SELECT item, sum(quantity_delta) AS n FROM ledger WHERE character_id = :c GROUP BY item", c=row.id)}
    assert ledger["Handaxe"] == 2 and ledger["gp"] == 37  # what it brought is on the ledger

    again = send_file(system, player, "brenna.json", sheet)["content"]
    assert "already have a character" in again and "Nothing was imported" in again
    assert system.sql("SELECT count(*) AS n FROM characters WHERE player_id = :p", p=player)[0].n == 1


def test_slash_command_autocomplete_comes_from_the_players_own_sheet(system: SystemUnderTest) -> None:
    """The command workers publish the registry for the Discord front end and answer its autocomplete."""
    from celery import Celery

    catalog = json.loads(system.redis.get(keys.COMMAND_CATALOG) or "[]")
    assert {"roll", "cast", "import_character", "xp"} <= {entry["name"] for entry in catalog}
    player, stranger = new_player_id(), new_player_id()
    assert "📥 **Ilyra Vantalis** joins" in send_file(system, player, "ilyra.json",
                                                     (EXAMPLES / "ilyra_wizard.json").read_text())["content"]
    sender = Celery("test")
    sender.config_from_object("celeryconfig")

    def choices(author: int, command: str, typed: str) -> list[str]:
        request_id = f"test-{author}-{command}-{typed}"
        sender.send_task(keys.AUTOCOMPLETE_TASK, args=[request_id, {"author_id": author, "command": command,
                                                                    "typed": typed}], queue="commands")
        answer = system.redis.blpop([keys.autocomplete_answer(request_id)], timeout=20)
        assert answer is not None, "no autocomplete answer"
        return json.loads(answer[1])

    assert choices(player, "cast", "fi") == ["Fire Bolt", "Fireball"]
    assert choices(player, "use_item", "q") == ["Quarterstaff"]
    assert choices(stranger, "cast", "fi") == []  # someone else's sheet is not offered
    assert "Grappled" in choices(stranger, "condition", "gra")
    assert choices(player, "roll", "1d") == []  # nothing to complete
