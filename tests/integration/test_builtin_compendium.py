"""A newcomer's first session on a system of the module's own, with NO SRD imported and no rulebook indexed (as on
a clone without ../shared): a character made in DMs buys from the shop, fights built-in creatures with a built-in
spell, looks a rule up in the engine's notes, and follows its player into the next campaign."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_characters import dm
from tests.integration.test_narrator import activate_shipped_campaign
from tests.integration.test_table_play import carried, purse_cp, taken, turn_until
from tests.system import SystemUnderTest, new_player_id, own_system

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def bare() -> Iterator[SystemUnderTest]:
    with tempfile.TemporaryDirectory(prefix="norules") as no_books, \
            own_system(SRD_JSON_DIR="/nonexistent/5e-database", RULES_DIR=no_books) as sut:
        yield sut


def say(system: SystemUnderTest, player: int, text: str, timeout: float = 30) -> str:
    return str(system.command(player, text, timeout=timeout)["content"])


def reply_with_embeds(system: SystemUnderTest, player: int, text: str) -> tuple[str, str]:
    answer: dict[str, Any] = system.command(player, text)
    embeds = "\n".join(f"{e.get('title', '')}\n{e.get('description', '')}\n"
                       + "\n".join(f"{f['name']}: {f['value']}" for f in e.get("fields", []))
                       for e in answer.get("embeds") or [])
    return str(answer["content"]), embeds


def create_wizard_in_dms(system: SystemUnderTest, player: int, name: str) -> None:
    after = system.cursor()
    assert "sent you a DM" in say(system, player, "!create_character")
    system.wait_for(lambda e: e.get("dm_user_id") == player, after)
    for answer, expected in [(name, "Race"), ("Elf", "subrace"), ("High Elf", "Class"), ("Wizard", "ability scores"),
                             ("point buy", "27 points"), ("STR 8 DEX 14 CON 14 INT 15 WIS 12 CHA 8", "background"),
                             ("Scholar", "skills"), ("Investigation, Medicine", "language"),
                             ("Dwarvish, Giant", "cantrip"), ("Fire Bolt, Light, Mage Hand, Ray of Frost", "1st-level"),
                             ("Magic Missile, Shield, Sleep", "Equipment"), ("package", "Choice 1 of 3"),
                             ("a", "Choice 2"), ("a", "Choice 3"), ("a", "Reply `yes`"),
                             ("yes", "is ready")]:
        reply = dm(system, player, answer)
        assert expected in reply, (answer, reply)


def test_a_first_session_on_the_built_in_compendium(bare: SystemUnderTest) -> None:
    system = bare
    assert system.sql("SELECT count(*) AS n FROM rules")[0].n == 0
    status = subprocess.run([sys.executable, "start_system.py", "--status"], cwd=system.root, env=system.env,
                            capture_output=True, text=True, timeout=120)
    assert re.search(r"compendium: built-in \(\d+ creatures, \d+ spells, \d+ items", status.stdout), status.stdout

    lantern = activate_shipped_campaign(system, "the-sunken-lantern")
    player = new_player_id()
    name = f"Ilse{player}"
    create_wizard_in_dms(system, player, name)
    assert system.sql("SELECT campaign_id FROM characters WHERE player_id = :p", p=player)[0].campaign_id == lantern

    # The shop is stocked from the built-in equipment; a purchase costs its price, the item goes to the pack.
    content, listing = reply_with_embeds(system, player, "!shop_list")
    assert "stock from the built-in compendium" in content and "in stock" in listing, (content, listing)
    stock = system.sql("SELECT items FROM shops WHERE campaign_id = :c", c=lantern)[0].items
    item = next(e for e in stock if e["qty"] >= 1 and 0 < e["price"] <= 500 and e["bundle"] == 1
                and e["group"] != "magic")
    purse, had = purse_cp(system, player), carried(system, player, item["name"])
    assert purse == 1000  # the Scholar's 10 gp
    bought = say(system, player, f"!buy_item {item['name']}")
    assert item["name"].casefold() in bought.casefold() and "You buy 1" in bought, bought
    assert (purse_cp(system, player), carried(system, player, item["name"])) == (purse - item["price"], had + 1)

    # Reference look-ups answer from the built-in compendium, and say so.
    goblin = say(system, player, "!monster goblin")
    assert "(monster · built-in)" in goblin and "**AC** 15" in goblin and "**HP** 7" in goblin, goblin
    assert "(spell · built-in)" in say(system, player, "!spell Fire Bolt")
    assert "Did you mean **Goblin**" in say(system, player, "!monster gobbln")

    # An encounter of built-in creatures starts the fight; the wizard casts a built-in cantrip at one of them.
    say(system, player, "!roll 1d20")  # at the table: the player spoke in the channel
    started = say(system, system.owner_id, "!encounter easy")
    assert started.startswith("⚔️ **An encounter!**") and "(creatures: built-in)" in started, started
    assert name in started
    turn_until(system, lambda actor: actor.get("player_id") == str(player))
    fight = system.sql("SELECT initiative FROM combat_state WHERE channel_id = :c AND active",
                       c=system.channel_id)[0].initiative
    target = next(c for c in fight if c["kind"] == "monster" and c["hp"] > 0)
    assert target["max_hp"] > 0 and target["ac"] > 0
    cast = say(system, player, f"!cast Fire Bolt at {target['name']}")
    assert f"**Fire Bolt attack on {target['name']}**: 1d20" in cast, cast
    hit = taken(cast, target["name"])
    assert ("Hit" in cast or "Critical hit" in cast) == (hit is not None), cast
    say(system, system.owner_id, "!end_combat")
    assert not system.sql("SELECT id FROM combat_state WHERE channel_id = :c AND active", c=system.channel_id)

    # A rule from the engine's own notes, with the way to add books.
    content, notes = reply_with_embeds(system, player, "!rule How do death saving throws work?")
    assert "built-in rule notes" in content and "!rebuild_index rules" in content and "RULES_DIR" in content
    assert "Death saving throws" in notes and "three successes" in notes, notes

    # The owner loads another campaign; the character comes along with what it bought.
    loaded = say(system, system.owner_id, "!load_campaign Ashes of Thornwall", timeout=60)
    lantern_name = system.sql("SELECT name FROM campaigns WHERE id = :i", i=lantern)[0].name
    assert f"`!import_character {lantern_name}`" in loaded, loaded
    joined = say(system, player, f"!import_character {lantern_name}")
    assert f"**{name}** (level 1 Wizard) leaves **{lantern_name}**" in joined, joined
    ashes = system.sql("SELECT id FROM campaigns WHERE source_file = 'ashes-of-thornwall.md'")[0].id
    assert system.sql("SELECT campaign_id FROM characters WHERE player_id = :p", p=player)[0].campaign_id == ashes
    assert name in say(system, player, "!my_sheet")
    assert (purse_cp(system, player), carried(system, player, item["name"])) == (purse - item["price"], had + 1)
