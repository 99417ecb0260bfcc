"""Through the local table with the real workers: a Ranger's Favored Enemy on a tracking check, a Fighter created in
DMs with the starting equipment's option (b), and a Druid in a wolf's shape taking more damage than the wolf has hit
points (the rest comes off the druid's own when it reverts). Each bad input (an unknown creature, option or beast, a
beast above the druid's level, no uses left) is refused and leaves the character row as it was."""

from __future__ import annotations

import re

import pytest

from dnd.character import Character, LevelRecord, armor_class, derive
from tests.integration.test_characters import dm, owner, row, seed, state
from tests.integration.test_fight_features import combatant, srd, start, until_turn
from tests.integration.test_table_play import combat_row, refused
from tests.system import SystemUnderTest, new_player_id
from tests.unit.test_class_features import hero

pytestmark = pytest.mark.system
__all__ = ["srd"]  # the module's fixture, imported for these tests

SCORES = {"STR": 12, "DEX": 16, "CON": 14, "INT": 12, "WIS": 15, "CHA": 8}


def test_a_rangers_favored_enemy_gives_advantage_on_tracking(srd: SystemUnderTest) -> None:
    system = srd
    player = new_player_id()
    plain = hero(f"Ara{player}", "Ranger", 1, SCORES, [], skills=["Survival", "Nature"])
    choices = {"Favored Enemy": "Humanoids (goblinoid, orc)", "Favored Enemy Language": "Goblin",
               "Natural Explorer": "Forest"}
    record = LevelRecord(class_name="Ranger", class_level=1, hp_method="max", hp_roll=10, choices=choices)
    seed(system, player, derive(plain.model_copy(update={"history": [record]})))
    fields = {f["name"]: f["value"] for f in system.command(player, "!my_sheet")["embeds"][0]["fields"]}
    assert "Favored Enemy: Humanoids (goblinoid, orc) (Goblin)" in fields["Class choices"]
    assert "Natural Explorer: Forest" in fields["Class choices"] and "Goblin" in fields["Languages"]

    tracked = system.command(player, "!check survival goblin")["content"]
    assert "with advantage" in tracked and "Favored Enemy" in tracked and "Survival check (Goblin)" in tracked, tracked
    assert "advantage against Humanoids (goblinoid, orc)" in tracked, tracked
    plain_roll = system.command(player, "!check survival")["content"]
    assert "with advantage" not in plain_roll and "Favored Enemy" not in plain_roll, plain_roll
    assert "with advantage" not in system.command(player, "!check survival zombie")["content"]
    explorer = system.command(player, "!check nature forest")["content"]
    assert "Natural Explorer (Forest): proficiency doubled" in explorer, explorer
    watch = [player]
    refused(system, player, "!check survival zorblax", "I don't know a creature or terrain called 'zorblax'", watch)
    refused(system, player, "!check survival " + "goblin " * 20, "at most 60 characters", watch)
    refused(system, player, "!check juggling goblin", "is neither a skill nor an ability", watch)


def test_a_fighter_made_with_option_b_has_the_longbow_and_leathers_ac(srd: SystemUnderTest) -> None:
    system = srd
    player = new_player_id()
    after = system.cursor()
    assert "sent you a DM" in system.command(player, "!create_character")["content"]
    system.wait_for(lambda e: e.get("dm_user_id") == player, after)
    for text in [f"Bo{player}", "Human", "Fighter", "Archery", "standard array", "STR 15 DEX 14 CON 13 INT 8 WIS 12 "
                 "CHA 10", "Acolyte", "Athletics, Perception", "Elvish, Orc, Giant"]:
        dm(system, player, text)
    first = dm(system, player, "package")
    assert "Choice 1 of 4: (a) chain mail or (b) leather armor, a longbow and 20 arrows" in first, first
    reply = dm(system, player, "d")
    assert "❌ Choose (a) chain mail or (b) leather armor" in reply and "Choice 1 of 4" in reply, reply
    assert "Choice 2 of 4" in dm(system, player, "b")
    assert "Choose your **martial weapon** (name 2" in dm(system, player, "b")
    reply = dm(system, player, "Longsword, Club")
    assert "'Club' is not a martial weapon" in reply, reply
    assert "Choice 3 of 4" in dm(system, player, "Rapier, Scimitar")
    assert "Choice 4 of 4" in dm(system, player, "b")
    assert "AC 13" in dm(system, player, "b")  # leather armor 11 + DEX 2 (15 with the human's +1), no shield
    assert row(system, player) is None  # nothing is stored before the confirmation
    assert "is ready" in dm(system, player, "yes")

    stored = row(system, player)
    items = {i["name"]: i for i in stored.inventory}
    assert {"Leather Armor", "Longbow", "Arrow", "Rapier", "Scimitar", "Handaxe", "Bedroll"} <= set(items), items
    assert items["Leather Armor"]["equipped"] and items["Arrow"]["qty"] == 20 and items["Handaxe"]["qty"] == 2
    assert "Chain Mail" not in items and "Shield" not in items and "Crowbar" not in items  # no dungeoneer's pack
    assert armor_class(Character.model_validate(stored.sheet)) == 13
    fields = {f["name"]: f["value"] for f in system.command(player, "!my_sheet")["embeds"][0]["fields"]}
    assert "AC **13**" in fields["Combat"]


def _druid(system: SystemUnderTest, player: int, level: int) -> None:
    seed(system, player, hero(f"Fern{player}", "Druid", level, SCORES, []))


def test_wild_shape_refusals_leave_the_row_unchanged(srd: SystemUnderTest) -> None:
    system = srd
    young, fighter = new_player_id(), new_player_id()
    _druid(system, young, 2)
    seed(system, fighter, hero(f"Kara{fighter}", "Fighter", 3, SCORES, []))
    watch = [young, fighter]
    refused(system, young, "!wild_shape", "Which beast?", watch)
    refused(system, young, "!wild_shape zorblax", "I don't know a monster called 'zorblax'", watch)
    refused(system, young, "!wild_shape " + "wolf" * 20, "too long", watch)
    refused(system, young, "!wild_shape brown bear", "a level 2 druid's Wild Shape goes up to challenge 1/4", watch)
    refused(system, young, "!wild_shape ogre", "not a beast", watch)
    refused(system, fighter, "!wild_shape wolf", "a druid of 2nd level or higher", watch)
    refused(system, young, "!revert", "is not in a beast's shape", watch)
    refused(system, young, "!revert now", "takes nothing after it", watch)
    for uses_left in (1, 0):
        assert "takes the shape of a **Wolf**" in system.command(young, "!wild_shape wolf")["content"]
        assert row(system, young).sheet["wild_shape"]["beast"] == "Wolf"
        assert next(a for a in row(system, young).abilities if a["name"] == "Wild Shape")["uses"] == uses_left
        assert "returns to their own shape" in system.command(young, "!revert")["content"]
    refused(system, young, "!wild_shape wolf", "Wild Shape has no uses left (0/2)", watch)


def test_a_wolf_shaped_druid_reverts_with_the_rest_of_the_damage(srd: SystemUnderTest) -> None:
    system = srd
    player = new_player_id()
    _druid(system, player, 8)  # 8th level: plenty of its own hit points under the wolf's 11
    own = row(system, player).hp
    start(system, [player], "ogre")
    until_turn(system, player)
    shaped = system.command(player, "!wild_shape wolf")["content"]
    assert "takes the shape of a **Wolf**: 11 HP, AC 13" in shaped, shaped
    wolf = combatant(system, player)
    assert (wolf["hp"], wolf["max_hp"], wolf["ac"]) == (11, 11, 13)
    assert row(system, player).hp == own and row(system, player).sheet["wild_shape"]["hp"] == 11
    refused(system, player, "!wild_shape wolf", "already used this turn's action", [player])
    system.command(player, "!end_turn")

    carried, wolf_hp = None, 11
    for _ in range(12):  # the ogre's greatclub (2d8+4) until the wolf drops
        until_turn(system, None)
        reply = owner(system, f"!attack Fern{player} with greatclub")
        if "Wild Shape ends" in reply:
            found = re.search(r"(\d+) damage carries over", reply)
            carried = int(found.group(1)) if found else 0
            dealt = int(re.search(rf"Fern{player} takes \*\*(\d+)\*\* damage", reply).group(1))
            assert carried == dealt - wolf_hp, reply
            break
        hit = re.search(rf"Fern{player} takes \*\*(\d+)\*\* damage", reply)
        if hit:
            wolf_hp -= int(hit.group(1))
            assert row(system, player).sheet["wild_shape"]["hp"] == wolf_hp and row(system, player).hp == own
        owner(system, "!end_turn")
    assert carried is not None, "the ogre never dropped the wolf"
    stored = row(system, player)
    assert stored.sheet["wild_shape"] is None and stored.hp == own - carried
    back = combatant(system, player)
    assert back["hp"] == own - carried and back["max_hp"] == stored.max_hp and back["monster"] is None
    assert state(system, player) is not None
    if combat_row(system) is not None:
        owner(system, "!end_combat")
