"""Check the engine's hand-written equipment, races, conditions, skills, feats, backgrounds and spells
against the SRD 5e-database JSON (test data only; ``SRD_JSON_DIR``, skipped when missing)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dnd.data.backgrounds import BACKGROUNDS
from dnd.data.conditions import CONDITIONS
from dnd.data.equipment import ITEMS, Armor, Weapon, find_item
from dnd.data.feats import FEATS
from dnd.data.races import RACES, SUBRACES
from dnd.data.skills import LANGUAGES, SKILLS
from dnd.data.spells import SPELLS, SpellInfo
from dnd.data.tables import COIN_VALUES
from dnd.spellcasting import boost_at, damage_at, healing_at, projectiles_at
from tests.srd_paths import srd_json as srd


def _by_name(name: str) -> dict[str, dict[str, Any]]:
    return {x["name"].casefold(): x for x in srd(name)}


# ----------------------------------------------------------------------------- equipment

NOT_IN_EQUIPMENT_JSON = {"Potion of Healing"}  # a magic item: checked against Magic-Items.json below


@pytest.mark.parametrize("name", sorted(set(ITEMS) - NOT_IN_EQUIPMENT_JSON))
def test_item_price_and_weight(name: str) -> None:
    item = ITEMS[name]
    entry = _by_name("Equipment").get(name.casefold())
    assert entry is not None, f"{name} is not an SRD equipment name"
    cost = entry["cost"]
    assert item.cost_cp == cost["quantity"] * COIN_VALUES[cost["unit"]]
    assert item.bundle == entry.get("quantity", 1)
    if entry.get("weight") is not None:
        assert item.weight == pytest.approx(entry["weight"])


@pytest.mark.parametrize("name", sorted(n for n, i in ITEMS.items() if isinstance(i, Weapon)))
def test_weapon_stats(name: str) -> None:
    weapon = ITEMS[name]
    assert isinstance(weapon, Weapon)
    entry = _by_name("Equipment")[name.casefold()]
    assert entry["weapon_category"].casefold() == weapon.category
    assert entry["weapon_range"] == ("Ranged" if weapon.ranged else "Melee")
    if entry.get("damage"):
        assert weapon.damage == entry["damage"]["damage_dice"]
        assert weapon.damage_type == entry["damage"]["damage_type"]["index"]
    else:
        assert weapon.damage == ""
    props = {p["index"] for p in entry.get("properties", [])} - {"monk"}
    assert set(weapon.properties) == props
    if "two_handed_damage" in entry:
        assert weapon.versatile == entry["two_handed_damage"]["damage_dice"]
    else:
        assert weapon.versatile == ""
    rng = entry.get("throw_range") if not weapon.ranged else entry.get("range")
    if rng and rng.get("long"):
        assert (weapon.range_normal, weapon.range_long) == (rng["normal"], rng["long"])
    else:
        assert weapon.range_long == 0


@pytest.mark.parametrize("name", sorted(n for n, i in ITEMS.items() if isinstance(i, Armor)))
def test_armor_stats(name: str) -> None:
    armor = ITEMS[name]
    assert isinstance(armor, Armor)
    entry = _by_name("Equipment")[name.casefold()]
    assert entry["armor_category"].casefold() == armor.category
    ac = entry["armor_class"]
    assert armor.base_ac == ac["base"]
    if not ac["dex_bonus"]:
        assert armor.dex_cap == 0
    else:
        assert armor.dex_cap == ac.get("max_bonus")
    assert armor.str_minimum == entry["str_minimum"]
    assert armor.stealth_disadvantage == entry["stealth_disadvantage"]


def test_every_srd_weapon_and_armor_is_shipped() -> None:
    for entry in srd("Equipment"):
        if entry["equipment_category"]["index"] in ("weapon", "armor"):
            assert entry["name"] in ITEMS, entry["name"]


@pytest.mark.parametrize("name", sorted(n for n, i in ITEMS.items() if i.kind == "pack"))
def test_pack_contents(name: str) -> None:
    entry = _by_name("Equipment")[name.casefold()]
    expected = sorted((c["item"]["name"], c["quantity"]) for c in entry["contents"])
    assert sorted(ITEMS[name].contents) == expected


def test_potion_of_healing() -> None:
    potion = find_item("healing potion")
    assert potion is not None
    assert potion.name == "Potion of Healing"
    assert potion.cost_cp == 50 * 100
    assert potion.heal == "2d4+2"
    common = next(x for x in srd("Magic-Items") if x["index"] == "potion-of-healing-common")
    assert "2d4 + 2" in " ".join(common["desc"])


def test_item_aliases() -> None:
    assert find_item("light crossbow") is ITEMS["Crossbow, light"]
    assert find_item("PLATE") is ITEMS["Plate Armor"]
    assert find_item("arrows") is ITEMS["Arrow"]
    assert find_item("no such thing") is None


# ----------------------------------------------------------------------------- races


def _bonuses(entries: list[dict[str, Any]]) -> dict[str, int]:
    return {b["ability_score"]["name"]: b["bonus"] for b in entries}


@pytest.mark.parametrize("race", sorted(RACES))
def test_race(race: str) -> None:
    info = RACES[race]
    entry = _by_name("Races")[race.casefold()]
    assert info.speed == entry["speed"]
    assert info.size == entry["size"]
    assert info.ability_bonuses == _bonuses(entry["ability_bonuses"])
    assert sorted(info.traits) == sorted(t["name"] for t in entry["traits"])
    assert list(info.languages) == [lang["name"] for lang in entry["languages"]]
    assert info.extra_languages == entry.get("language_options", {}).get("choose", 0)
    assert info.ability_choices == entry.get("ability_bonus_options", {}).get("choose", 0)
    srd_subraces = [s for s in info.subraces if SUBRACES[s].srd]
    assert srd_subraces == [s["name"] for s in entry["subraces"]]


@pytest.mark.parametrize("sub", sorted(s for s in SUBRACES if SUBRACES[s].srd))
def test_subrace(sub: str) -> None:
    info = SUBRACES[sub]
    entry = _by_name("Subraces")[sub.casefold()]
    assert info.race == entry["race"]["name"]
    assert info.ability_bonuses == _bonuses(entry["ability_bonuses"])
    assert sorted(info.traits) == sorted(t["name"] for t in entry["racial_traits"])


def test_non_srd_subraces_are_marked() -> None:
    names = {x["name"] for x in srd("Subraces")}
    for sub in SUBRACES.values():
        assert sub.srd == (sub.name in names), sub.name


def test_race_traits_exist() -> None:
    traits = {t["name"] for t in srd("Traits")}
    for race in RACES.values():
        assert set(race.traits) <= traits, race.name
    for sub in SUBRACES.values():
        if sub.srd:
            assert set(sub.traits) <= traits, sub.name


def test_racial_skills_from_traits() -> None:
    """Keen Senses (elf) and Menacing (half-orc) grant the skill the engine adds."""
    traits = {t["name"]: t for t in srd("Traits")}
    for race in RACES.values():
        for skill in race.skills:
            granting = [t for t in race.traits
                        if any(p["name"] == f"Skill: {skill}" for p in traits[t].get("proficiencies", []))]
            assert granting, (race.name, skill)


# ----------------------------------------------------------------------------- other facts


def test_conditions_match_srd_names() -> None:
    assert set(CONDITIONS) == {c["name"] for c in srd("Conditions")}
    assert len(CONDITIONS) == 15


def test_condition_flags_agree_with_srd_text() -> None:
    """The flags are hand-written; spot-check them against words in the SRD condition text."""
    text = {c["name"]: " ".join(c["desc"]).casefold() for c in srd("Conditions")}
    for name, info in CONDITIONS.items():
        if info.auto_fail_saves:
            assert "automatically fails strength and dexterity saving throws" in text[name], name
        if info.incapacitated and name != "Incapacitated":
            assert "incapacitated" in text[name], name
        if info.attacked_with_advantage:
            assert "attack rolls against the creature have advantage" in text[name], name
        if info.crit_within_5ft:
            assert "critical hit" in text[name], name
    assert "disadvantage on attack rolls and ability checks" in text["Poisoned"]


def test_skills_match_srd() -> None:
    assert SKILLS == {s["name"]: s["ability_score"]["name"] for s in srd("Skills")}


def test_languages_match_srd() -> None:
    assert set(LANGUAGES) == {lang["name"] for lang in srd("Languages")}


def test_acolyte_background() -> None:
    entry = _by_name("Backgrounds")["acolyte"]
    info = BACKGROUNDS["Acolyte"]
    assert info.srd
    assert list(info.skills) == [p["name"].removeprefix("Skill: ") for p in entry["starting_proficiencies"]]
    assert info.languages == entry["language_options"]["choose"]
    assert info.feature == entry["feature"]["name"]
    assert {"Clothes, common", "Pouch"} <= {name for name, _ in info.equipment}
    for name, _ in info.equipment:
        assert find_item(name) is not None, name


def test_backgrounds_marked() -> None:
    srd_names = {b["name"] for b in srd("Backgrounds")}
    for bg in BACKGROUNDS.values():
        assert bg.srd == (bg.name in srd_names), bg.name


def test_feats_marked_and_grappler() -> None:
    srd_feats = {f["name"]: f for f in srd("Feats")}
    for feat in FEATS.values():
        assert feat.srd == (feat.name in srd_feats), feat.name
    grappler = srd_feats["Grappler"]
    expected = {p["ability_score"]["name"]: p["minimum_score"] for p in grappler["prerequisites"]}
    assert FEATS["Grappler"].prerequisites == expected
    assert FEATS["Lucky"].uses == 3 and FEATS["Lucky"].recovery == "long"


# ----------------------------------------------------------------------------- spells


def _norm_dice(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


# Spells the 5e-database records without an attack type although the SRD text asks for a ranged spell
# attack per ray.
ATTACK_TYPE_ERRATA = {"Scorching Ray"}


@pytest.mark.parametrize("name", sorted(SPELLS))
def test_spell(name: str) -> None:
    mine = SPELLS[name]
    entry = _by_name("Spells")[name.casefold()]
    assert mine.level == entry["level"]
    assert mine.school == entry["school"]["name"]
    assert mine.casting_time == entry["casting_time"]
    assert mine.range == entry["range"]
    assert mine.concentration == entry["concentration"]
    assert mine.ritual == entry["ritual"]
    assert set(mine.classes) == {c["name"] for c in entry["classes"]}
    if entry.get("attack_type") or name not in ATTACK_TYPE_ERRATA:
        assert mine.attack == entry.get("attack_type")
    dc = entry.get("dc")
    if dc:
        assert mine.save == dc["dc_type"]["name"]
        assert mine.save_effect == dc["dc_success"]
    _check_damage(mine, entry)
    _check_heal(mine, entry)


def _check_damage(mine: SpellInfo, entry: dict[str, Any]) -> None:
    """The damage dice at every slot or character level, and the types."""
    damage = entry.get("damage") or {}
    if "damage_type" in damage:
        assert mine.damage_type == damage["damage_type"]["index"]
    if mine.damage and "damage_at_slot_level" in damage:
        for lvl, dice in damage["damage_at_slot_level"].items():
            got = damage_at(mine, int(lvl)) + (" + MOD" if mine.add_mod_to_damage else "")
            if mine.extra_damage:  # two damage types: the same dice, each part tagged with its own type
                assert _dice_terms(got) == _dice_terms(dice), lvl
            else:
                assert _norm_dice(got) == _norm_dice(dice), lvl
    if mine.extra_damage:  # the JSON names one type; the text names both
        text = _norm_dice(" ".join(entry["desc"]))
        assert _norm_dice(f"{mine.damage} {mine.damage_type} damage") in text
        assert _norm_dice(f"{mine.extra_damage} {mine.extra_damage_type} damage") in text
    if "damage_at_character_level" in damage:
        for lvl, dice in damage["damage_at_character_level"].items():
            assert _norm_dice(damage_at(mine, character_level=int(lvl))) == _norm_dice(dice), lvl


def _check_heal(mine: SpellInfo, entry: dict[str, Any]) -> None:
    """Healing, temporary hit points and Aid's raise at every slot level, and how many creatures it may choose."""
    heal = entry.get("heal_at_slot_level")
    if heal and (mine.temp_hp or mine.max_hp_bonus):  # the JSON gives temporary or maximum hit points as healing
        for lvl, dice in heal.items():
            assert _norm_dice(boost_at(mine, int(lvl))) == _norm_dice(dice), lvl
        assert not mine.heal
    elif heal:
        for lvl, dice in heal.items():
            assert _norm_dice(healing_at(mine, int(lvl)) + " + MOD") == _norm_dice(dice), lvl
    else:
        assert not mine.heal
    assert mine.living_only == ("no effect on undead or constructs" in " ".join(entry["desc"]))
    if mine.max_targets > 1:
        assert f"up to {_NUMBER_WORDS[mine.max_targets]} creatures" in " ".join(entry["desc"]).casefold()


def _dice_terms(text: str) -> list[str]:
    """"2d8[bludgeoning]+4d6[cold]" and "2d8 + 4d6" -> ["2d8", "4d6"] (types and order aside)."""
    return sorted(t.strip("()") for t in re.sub(r"\[[a-z]+\]", "", _norm_dice(text)).split("+"))


_NUMBER_WORDS = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
_WORD_NUMBERS = {word: n for n, word in _NUMBER_WORDS.items()}
_SHOTS = re.compile(r"\b(a|three) (?:glowing )?(beam|ray|dart)")
_MORE_AT_LEVELS = re.compile(r"\b(two|three|four) beams at (\d+)th level")
_ONE_MORE_PER_SLOT = re.compile(r"one (?:additional|more) (?:ray|dart) for each slot level above")


@pytest.mark.parametrize("name", sorted(n for n, s in SPELLS.items() if s.projectiles))
def test_beams_rays_and_darts_as_the_srd_text_counts_them(name: str) -> None:
    """Eldritch Blast's beams by character level, Scorching Ray's rays and Magic Missile's darts by slot level,
    counted as the SRD's text says, and each one's damage."""
    mine = SPELLS[name]
    entry = _by_name("Spells")[name.casefold()]
    desc = " ".join(entry["desc"]).casefold()
    base = _SHOTS.search(desc)
    assert base is not None
    steps = {int(level): _WORD_NUMBERS[word] for word, level in _MORE_AT_LEVELS.findall(desc)}
    per_slot = bool(_ONE_MORE_PER_SLOT.search(" ".join(entry.get("higher_level", [])).casefold()))
    for character_level in range(1, 21):
        for slot in ([None] if mine.is_cantrip else range(mine.level, 10)):
            expected = max([_WORD_NUMBERS[base.group(1)]] + [n for at, n in steps.items() if at <= character_level])
            if per_slot and slot is not None:
                expected += slot - mine.level
            assert projectiles_at(mine, slot, character_level) == expected, (slot, character_level)
    each = mine.damage_each or damage_at(mine)
    assert _norm_dice(f"{each} {mine.damage_type} damage") in _norm_dice(desc)


# The SRD spells of levels 0-3 the engine leaves to an imported compendium: the SRD's data gives a save whose
# success changes something other than damage.
NOT_BUILT_IN = {"heat metal", "glyph of warding", "magic circle"}


def test_every_srd_spell_up_to_3rd_level_is_built_in() -> None:
    mine = {name.casefold() for name in SPELLS}
    missing = sorted(s["name"] for s in srd("Spells") if s["level"] <= 3 and s["name"].casefold() not in mine
                     and s["name"].casefold() not in NOT_BUILT_IN)
    assert missing == []
