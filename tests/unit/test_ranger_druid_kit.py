"""Favored Enemy and Natural Explorer (Ranger 1, 6, 10, 14), the starting equipment's (a)/(b) options of every
class, and Wild Shape (Druid 2): where the SRD's class data (read at test time) says, and what each does."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from dnd.actions import ability_check, split_check
from dnd.character import LevelRecord, armor_class, derive, scores_of
from dnd.class_choices import (
    FAVORED_ENEMY,
    FAVORED_ENEMY_LANGUAGE,
    NATURAL_EXPLORER,
    CheckSubject,
    choice_points,
    choices_text,
    find_creature_type,
    validate_choice,
    validate_choices,
)
from dnd.combat.damage import apply_damage
from dnd.combat.state import CombatState
from dnd.creation import CreationChoices, create_character
from dnd.creation_flow import answer, finished_character, menu
from dnd.data.bestiary import entry
from dnd.data.classes import CLASSES
from dnd.data.equipment import STARTING_KITS, KitPick, find_item
from dnd.errors import RulesError
from dnd.level_up_flow import answer as level_answer
from dnd.level_up_flow import leveled_character
from dnd.level_up_flow import start as level_start
from dnd.monsters import Combatant, MonsterBlock, apply_to_character
from dnd.starting_kit import group_items, kit_items, walk
from dnd.wild_shape import assume_shape, revert, shape_limits
from tests.srd_paths import srd_json, srd_monsters
from tests.unit.test_class_features import hero
from tests.unit.test_creation_flow import run

SCORES = {"STR": 12, "DEX": 16, "CON": 14, "INT": 12, "WIS": 15, "CHA": 8}


def ranger(level: int = 1, choices: dict[str, str] | None = None) -> Any:
    """A ranger proficient in Survival and Nature, with the level-1 choices given."""
    plain = hero("Ara", "Ranger", level, SCORES, [], skills=["Survival", "Nature"])
    record = LevelRecord(class_name="Ranger", class_level=1, hp_method="max", hp_roll=10, choices=choices or {})
    return derive(plain.model_copy(update={"history": [record]}))


# --------------------------------------------------------------------------- Favored Enemy, Natural Explorer


def test_favored_enemy_and_natural_explorer_are_asked_where_the_srd_says() -> None:
    for row in srd_json("Levels"):
        if row.get("class", {}).get("name") != "Ranger" or row.get("subclass"):
            continue
        names = " ".join(f["name"] for f in row.get("features", []))
        points = choice_points("Ranger", row["level"], None)
        assert (FAVORED_ENEMY in points) == ("Favored Enemy" in names), row["level"]
        assert (FAVORED_ENEMY_LANGUAGE in points) == ("Favored Enemy" in names), row["level"]
        assert (NATURAL_EXPLORER in points) == ("Natural Explorer" in names), row["level"]
    assert choice_points("Fighter", 1, None) == ["Fighting Style"]


def test_favored_enemy_choices_and_refusals() -> None:
    assert validate_choice(FAVORED_ENEMY, "Ranger", "undead") == "Undead"
    assert validate_choice(FAVORED_ENEMY, "Ranger", "monstrosity") == "Monstrosities"
    assert validate_choice(FAVORED_ENEMY, "Ranger", "gnolls and orcs") == "Humanoids (gnoll, orc)"
    with pytest.raises(RulesError, match="Choose a favored enemy"):
        validate_choice(FAVORED_ENEMY, "Ranger", "humans")  # one race is not enough
    with pytest.raises(RulesError, match="Choose a favored enemy"):
        validate_choice(FAVORED_ENEMY, "Ranger", "dragonets and imps")
    with pytest.raises(RulesError, match="already your favored enemies"):
        validate_choice(FAVORED_ENEMY, "Ranger", "Undead", ["Undead"])
    with pytest.raises(RulesError, match="You already speak Orc"):
        validate_choice(FAVORED_ENEMY_LANGUAGE, "Ranger", "orc", ["Common", "Orc"])
    with pytest.raises(RulesError, match="already a favored terrain"):
        validate_choice(NATURAL_EXPLORER, "Ranger", "forest", ["Forest"])
    with pytest.raises(RulesError, match="Choose a natural explorer"):
        validate_choice(NATURAL_EXPLORER, "Ranger", "the moon")
    with pytest.raises(RulesError, match="doesn't choose a favored enemy"):
        validate_choices("Ranger", 2, None, {FAVORED_ENEMY: "Undead"})


def test_favored_enemy_gives_advantage_on_tracking_and_recall_and_a_language() -> None:
    scout = ranger(1, {FAVORED_ENEMY: "Humanoids (goblinoid, orc)", FAVORED_ENEMY_LANGUAGE: "Goblin",
                       NATURAL_EXPLORER: "Forest"})
    assert scout.languages[-1] == "Goblin"
    assert "Favored Enemy: Humanoids (goblinoid, orc) (Goblin)" in choices_text(scout)
    goblin = CheckSubject("Goblin", "humanoid", "goblinoid")
    tracking = ability_check(scout, "Survival", "", goblin)
    assert tracking.mode == "advantage" and "Favored Enemy" in tracking.reasons[0]
    assert tracking.modifier == ability_check(scout, "Survival").modifier  # advantage, not a bigger number
    assert ability_check(scout, "History", "", goblin).mode == "advantage"  # recalling: an Intelligence check
    assert ability_check(scout, "Perception", "", goblin).mode == "normal"  # not tracking nor recalling
    assert ability_check(scout, "Survival", "", CheckSubject("Zombie", "undead")).mode == "normal"
    assert ability_check(scout, "Survival", "dis", goblin).mode == "normal"  # advantage and disadvantage cancel
    assert ability_check(scout, "Survival", "", CheckSubject("Kobold", "humanoid", "kobold")).mode == "normal"


def test_natural_explorer_doubles_proficiency_on_its_terrain() -> None:
    scout = ranger(1, {FAVORED_ENEMY: "Undead", NATURAL_EXPLORER: "Forest"})
    forest = CheckSubject("Forest", terrain="Forest")
    pb = scout.proficiency_bonus
    assert ability_check(scout, "Nature", "", forest).modifier == ability_check(scout, "Nature").modifier + pb
    assert ability_check(scout, "Survival", "", forest).modifier == ability_check(scout, "Survival").modifier + pb
    assert ability_check(scout, "Arcana", "", forest).modifier == ability_check(scout, "Arcana").modifier  # untrained
    assert ability_check(scout, "Athletics", "", forest).modifier == ability_check(scout, "Athletics").modifier
    swamp = CheckSubject("Swamp", terrain="Swamp")
    assert ability_check(scout, "Nature", "", swamp).modifier == ability_check(scout, "Nature").modifier


def test_what_a_check_is_about_is_read_after_the_skill() -> None:
    assert split_check("survival goblin 2".split()) == ("survival", "goblin 2")
    assert split_check("animal handling wolf".split()) == ("animal handling", "wolf")
    assert split_check(["dex"]) == ("dex", "")
    assert find_creature_type("orcs") == ("humanoid", "orc")
    assert find_creature_type("Undead") == ("undead", "")
    assert find_creature_type("goblin") == ("humanoid", "goblinoid")
    assert find_creature_type("teacup") is None


def test_a_ranger_is_asked_at_creation_and_at_sixth_level() -> None:
    rng = random.Random(1)
    state, _ = run(["Ara", "Human", "Ranger", "gnolls and goblins", "forest", "standard array", "15 14 13 12 10 8",
                    "Wayfarer", "Stealth, Nature, Animal Handling", "Elvish, Orc"])
    assert state.step == "favored_enemy_language" and "Orc" not in menu(state) and "Goblin" in menu(state)
    again, reply = answer(state, "Elvish", rng)
    assert again == state and "You already speak Elvish" in reply
    for text in ["Goblin", "package", "a", "a", "a", "yes"]:
        state, reply = answer(state, text, rng)
    ara = finished_character(state)
    assert ara.history[0].choices == {FAVORED_ENEMY: "Humanoids (gnoll, goblinoid)", FAVORED_ENEMY_LANGUAGE: "Goblin",
                                      NATURAL_EXPLORER: "Forest"}
    assert ara.languages == ["Common", "Elvish", "Orc", "Goblin"]

    fifth = ara.model_copy(update={"class_levels": {"Ranger": 5}, "xp": 14_000})
    level, _ = level_start(fifth)
    for text in ["Ranger", "average"]:
        level, reply = level_answer(level, fifth, text, rng)
    assert level.step == "class_choice" and "Humanoids" not in reply.split("Choose your")[-1]
    for text, step, refusal in [("gnolls and goblins", "class_choice", "already your favored enemies"),
                                ("undead", "class_choice_2", None), ("Goblin", "class_choice_2", "You already speak"),
                                ("Abyssal", "class_choice_3", None), ("Forest", "class_choice_3", "already a favored"),
                                ("arctic", None, None)]:
        level, reply = level_answer(level, fifth, text, rng)
        assert (refusal or "✅") in reply and (step is None or level.step == step), reply
    level, _ = level_answer(level, fifth, "back", rng)
    assert level.step == "class_choice_3"
    for text in ["coast", *(["none"] if level.step != "confirm" else [])]:
        level, reply = level_answer(level, fifth, text, rng)
    while level.status == "active" and level.step != "confirm":  # the spells the table gives
        level, reply = level_answer(level, fifth, "Cure Wounds" if level.step == "spells" else "no", rng)
    level, reply = level_answer(level, fifth, "yes", rng)
    sixth = leveled_character(level)
    assert sixth.history[-1].choices == {FAVORED_ENEMY: "Undead", FAVORED_ENEMY_LANGUAGE: "Abyssal",
                                         NATURAL_EXPLORER: "Coast"}
    assert "Abyssal" in sixth.languages


# --------------------------------------------------------------------------- starting equipment


def _srd_option(option: dict[str, Any]) -> list[Any]:
    """One SRD option as [("Chain Mail", 1) ... or ("pick", category, count)]."""
    kind = option.get("option_type")
    if kind == "counted_reference":
        return [(option["of"]["name"], option["count"])]
    if kind == "multiple":
        return [x for item in option["items"] for x in _srd_option(item)]
    choice = option["choice"]
    return [("pick", choice["from"]["equipment_category"]["name"], choice["choose"])]


def _ours(entries: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for e in entries:
        if isinstance(e, KitPick):
            out.append(("pick", e.group, e.count))
        elif e[0] != "Quiver":  # the SRD's text has "a quiver of 20 arrows"; the JSON lists only the arrows
            out.append(e)
    return out


# The SRD JSON's category name for each of our pick groups.
_CATEGORIES = {"simple weapon": "Simple Weapons", "martial weapon": "Martial Weapons",
               "simple melee weapon": "Simple Melee Weapons", "martial melee weapon": "Martial Melee Weapons",
               "musical instrument": "Musical Instruments", "arcane focus": "Arcane Foci",
               "holy symbol": "Holy Symbols", "druidic focus": "Druidic Foci"}


@pytest.mark.parametrize("cls", list(CLASSES))
def test_every_classs_starting_equipment_options_match_the_srd(cls: str) -> None:
    data = next(c for c in srd_json("Classes") if c["name"] == cls)
    kit = STARTING_KITS[cls]
    assert sorted(e for e in kit.fixed if e[0] != "Quiver") == sorted((e["equipment"]["name"], e["quantity"])
                                                                      for e in data["starting_equipment"])
    assert len(kit.choices) == len(data["starting_equipment_options"])
    for ours, theirs in zip(kit.choices, data["starting_equipment_options"], strict=True):
        source = theirs["from"]
        srd = ([_srd_option(o) for o in source["options"]] if source["option_set_type"] == "options_array"
               else [[("pick", source["equipment_category"]["name"], theirs["choose"])]])
        mine = [[(x[0], _CATEGORIES[x[1]], x[2]) if x[0] == "pick" else x for x in _ours(o.entries)] for o in ours]
        if cls == "Paladin" and "simple melee" in theirs["desc"]:  # the JSON's category is wider than its own text
            srd = [[("pick", "Simple Melee Weapons", 1) if x == ("pick", "Simple Weapons", 1) else x for x in o]
                   for o in srd]
        assert mine == srd, theirs["desc"]
        needs = [bool(o.get("prerequisites")) for o in source.get("options", [])] or [False]
        assert [bool(o.requires) for o in ours] == needs, theirs["desc"]


def test_each_pick_offers_the_srd_categorys_items() -> None:
    categories = {c["name"]: {e["name"] for e in c["equipment"]} for c in srd_json("Equipment-Categories")}
    for kit in STARTING_KITS.values():
        for options in kit.choices:
            for pick in (e for o in options for e in o.entries if isinstance(e, KitPick)):
                srd = categories[_CATEGORIES[pick.group]] - set(pick.exclude)
                assert set(group_items(pick)) == {find_item(n).name for n in srd if find_item(n)}, pick.group


def test_a_fighter_with_option_b_wears_leather_and_carries_a_longbow() -> None:
    choices = {"name": "Bo", "race": "Human", "class_name": "Fighter", "ability_method": "standard_array",
               "base_scores": {"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8},
               "background": "Acolyte", "skills": ["Athletics", "Perception"], "languages": ["Elvish", "Orc", "Giant"]}
    chain = create_character(CreationChoices(**choices))
    archer = create_character(CreationChoices(**choices, kit=["b", "b", "Rapier, Whip", "b", "b"]))
    names = {i.name: i for i in archer.inventory}
    assert names["Leather Armor"].equipped and names["Arrow"].qty == 20 and "Longbow" in names
    assert "Chain Mail" not in names and "Shield" not in names and names["Handaxe"].qty == 2
    assert armor_class(archer) == 11 + 2 and armor_class(chain) == 16 + 2  # leather + DEX; chain mail + shield


@pytest.mark.parametrize("answers, reason", [
    (["d"], "Choose (a) chain mail or (b) leather armor"),
    (["b", "b", "Longsword"], "Name 2 martial weapon(s)"),
    (["a", "a", "Club"], "'Club' is not a martial weapon"),
    (["a", "a", "Longsword", "a", "a", "a"], "has no more choices"),
])
def test_wrong_equipment_answers_are_refused(answers: list[str], reason: str) -> None:
    with pytest.raises(RulesError, match=re.escape(reason)):
        walk("Fighter", answers)


def test_chain_mail_needs_the_proficiency() -> None:
    with pytest.raises(RulesError, match="needs proficiency with heavy armor"):
        kit_items("Cleric", ["a", "c", "a", "a", "Amulet"], ["Light Armor", "Medium Armor", "Shields"])
    assert ("Chain Mail", 1) in kit_items("Cleric", ["a", "c", "a", "a", "Emblem"], ["Heavy Armor"])


def test_the_creation_flow_asks_each_option_with_a_menu() -> None:
    rng = random.Random(1)
    state, _ = run(["Bo", "Human", "Fighter", "Defense", "standard array", "15 14 13 12 10 8", "Acolyte",
                    "Athletics, Perception", "Elvish, Orc, Giant", "package"])
    assert state.step == "kit_1" and menu(state) == ["(a) chain mail", "(b) leather armor, a longbow and 20 arrows"]
    state, _ = answer(state, menu(state)[1], rng)
    again, reply = answer(state, "c", rng)
    assert again == state and "❌ Choose (a) a martial weapon and a shield" in reply
    state, _ = answer(state, "a", rng)
    assert "Longsword" in menu(state) and "Club" not in menu(state) and len(menu(state)) <= 25
    for text in ["Crossbow, hand", "b", "b", "yes"]:
        state, reply = answer(state, text, rng)
    bo = finished_character(state)
    assert {"Leather Armor", "Longbow", "Crossbow, hand", "Shield", "Handaxe"} <= {i.name for i in bo.inventory}
    assert armor_class(bo) == 11 + 2 + 2 + 1  # leather, DEX, shield, Defense


# --------------------------------------------------------------------------- Wild Shape


def druid(level: int) -> Any:
    return hero("Fern", "Druid", level, SCORES, [])


def block(name: str) -> tuple[MonsterBlock, dict[str, Any]]:
    data = entry(name)
    return MonsterBlock.from_srd(data), data


def test_wild_shape_limits_follow_the_srd_table() -> None:
    for row in srd_json("Levels"):
        if row.get("class", {}).get("name") != "Druid" or row.get("subclass") or row["level"] < 2:
            continue
        spec = row["class_specific"]
        expected = (spec["wild_shape_max_cr"], spec["wild_shape_swim"], spec["wild_shape_fly"])
        if row["level"] == 7:  # the JSON's CR 1 at 7th level; the SRD's Beast Shapes table gives it at 8th
            expected = (0.5, True, False)
        assert shape_limits(row["level"]) == expected, row["level"]


def test_wild_shape_refuses_what_the_level_doesnt_allow() -> None:
    beasts = {m["name"]: m for m in srd_monsters().values() if m["type"] == "beast"}
    for name, reason in [("Reef Shark", "challenge 1/2"), ("Brown Bear", "challenge 1"),
                         ("Giant Frog", "can swim"), ("Giant Bat", "can fly")]:
        with pytest.raises(RulesError, match=reason):
            assume_shape(druid(2), MonsterBlock.from_srd(beasts[name]), beasts[name])
    with pytest.raises(RulesError, match="can fly"):
        assume_shape(druid(4), MonsterBlock.from_srd(beasts["Giant Bat"]), beasts["Giant Bat"])
    assert assume_shape(druid(8), MonsterBlock.from_srd(beasts["Brown Bear"]), {}).wild_shape is not None
    with pytest.raises(RulesError, match="not a beast"):
        assume_shape(druid(8), *block("Ogre"))
    with pytest.raises(RulesError, match="druid of 2nd level"):
        assume_shape(druid(1), *block("Wolf"))
    with pytest.raises(RulesError, match="a druid of 2nd level"):
        assume_shape(hero("Kara", "Fighter", 5, SCORES, []), *block("Wolf"))


def test_two_uses_then_refused_and_a_short_rest_brings_them_back() -> None:
    from dnd.rests import short_rest

    fern = druid(2)
    once = revert(assume_shape(fern, *block("Wolf")))
    twice = revert(assume_shape(once, *block("Wolf")))
    with pytest.raises(RulesError, match="no uses|uses left|0/2"):
        assume_shape(twice, *block("Wolf"))
    rested, _ = short_rest(twice, 0, random.Random(1))
    assert assume_shape(rested, *block("Wolf")).wild_shape is not None
    with pytest.raises(RulesError, match="already a Wolf"):
        assume_shape(assume_shape(rested, *block("Wolf")), *block("Wolf"))
    with pytest.raises(RulesError, match="not in a beast's shape"):
        revert(fern)


def test_damage_beyond_the_beasts_hit_points_carries_over() -> None:
    fern = druid(8)
    wolf = assume_shape(fern, *block("Wolf"))
    me = Combatant.from_character(wolf, id="fern", player_id="1")
    assert (me.hp, me.max_hp, me.ac, me.monster.name) == (11, 11, 13, "Wolf")
    ogre = Combatant.from_monster(block("Ogre")[0], id="m")
    state = CombatState(combatants=[me, ogre], current=0)
    state, hit = apply_damage(state, "fern", 4, critical=False, actor_id="m", source="Greatclub")
    assert state.combatants[0].hp == 7 and state.combatants[0].wild_shaped
    assert apply_to_character(state.combatants[0], wolf).wild_shape.hp == 7  # the druid's own HP wait
    state, hit = apply_damage(state, "fern", 12, critical=False, actor_id="m", source="Greatclub")
    back = state.combatants[0]
    assert not back.wild_shaped and back.monster is None and back.hp == fern.max_hp - 5
    assert back.max_hp == fern.max_hp and back.ac == armor_class(fern)
    assert "5 damage carries over" in hit.told[0].detail
    sheet = apply_to_character(back, wolf)
    assert sheet.wild_shape is None and sheet.hp == fern.max_hp - 5


def test_in_a_beasts_shape_the_druid_keeps_its_mind_and_saves_and_casts_no_spell() -> None:
    from dnd.character import saving_throw_modifier
    from dnd.spellcasting import cast_spell

    fern = druid(8).model_copy(update={"spells_prepared": ["Cure Wounds"]})
    wolf = Combatant.from_character(assume_shape(fern, *block("Wolf")), id="fern", player_id="1")
    assert {k: wolf.monster.ability_scores[k] for k in ("INT", "WIS", "CHA")} == {
        k: v for k, v in scores_of(fern).items() if k in ("INT", "WIS", "CHA")}
    assert wolf.saving_throw_bonus("WIS") == saving_throw_modifier(fern, "WIS")  # proficient, the druid's own WIS
    assert wolf.saving_throw_bonus("STR") == MonsterBlock.from_srd(entry("Wolf")).ability_modifier("STR")
    with pytest.raises(RulesError, match="can't cast spells in the Wolf's shape"):
        cast_spell(assume_shape(fern, *block("Wolf")), "Cure Wounds")
    assert cast_spell(fern, "Cure Wounds")[1].spell == "Cure Wounds"
