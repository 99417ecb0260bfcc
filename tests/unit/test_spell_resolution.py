"""Spells that are more than one roll at one target: beams, rays and darts split over targets (each its own attack
roll or dart), two damage types that each meet the target's defenses, temporary hit points and Aid's raised
maximum (in a fight and on the sheet), mass heals on several targets, and damage that comes later — a smite on the
next weapon hit, Divine Favor on each, Flaming Sphere and Call Lightning used again on a later turn, Heroism's
temporary hit points at the start of each turn. Dice are scripted (``Script``): every face is known in advance, and a
refusal rolls nothing."""

from __future__ import annotations

import pytest

from dnd.actions import gain_temp_hp, raise_hit_point_maximum
from dnd.character import Character, derive
from dnd.combat import add_monsters, attack, cast, cast_again, roll_initiative
from dnd.combat.concentration import concentrating_on
from dnd.combat.damage import apply_damage
from dnd.combat.lines import AttacksUnused, Defense, FeatureUsed, SpellWaits, TempHpGained, Volley
from dnd.combat.spells import zone_ticks
from dnd.combat.state import CombatState, replace_combatant
from dnd.data.spells import SPELLS
from dnd.errors import RulesError
from dnd.monsters import Combatant, apply_to_character
from dnd.rests import long_rest
from dnd.spellcasting import CastResult, cast_spell, damage_at, projectiles_at
from tests.unit.test_combat import WIZARD, Script, block, get, pc
from tests.unit.test_concentration import WISE, on_turn

WARLOCK = {"STR": 8, "DEX": 14, "CON": 12, "INT": 10, "WIS": 12, "CHA": 16}
PALADIN = {"STR": 16, "DEX": 10, "CON": 14, "INT": 8, "WIS": 10, "CHA": 14}


def fight(heroes: list[Character], monster: str, count: int) -> CombatState:
    """The heroes and ``count`` monsters; the first hero's turn (round 1)."""
    state, _ = roll_initiative([Combatant.from_character(h) for h in heroes], Script(*range(20, 20 - len(heroes), -1)))
    state, _ = add_monsters(state, block(monster), count, Script(*range(1, count + 1)))  # no ties
    return on_turn(state, heroes[0].name, 1)


def spell(caster: Character, name: str, slot: int | None = None) -> CastResult:
    return cast_spell(caster, name, slot_level=slot, check_known=False)[1]


def wizard(level: int = 5) -> Character:
    return pc("Wren", "Wizard", WIZARD, [], level=level)  # INT 16; spell attack +2+prof


def hit_points(state: CombatState, *names: str) -> list[int]:
    return [get(state, n).hp for n in names]


# ----------------------------------------------------------------------------------- beams, rays and darts


def test_scorching_ray_split_over_two_goblins_is_three_attack_rolls() -> None:
    wren = wizard(3)  # spell attack +5
    state = fight([wren], "goblin", 2)  # AC 15, 7 HP each
    rays = spell(wren, "Scorching Ray")
    assert rays.projectiles == 3 and rays.damage_each == "2d6"
    # Ray 1 at Goblin 1: 15+5 hits, 2d6 = 1+1; ray 2 at Goblin 1: 2+5 misses; ray 3 at Goblin 2: 10+5 hits, 3+3.
    state, r = cast(state, "wren", rays, ["Goblin 1", "goblin 1", "Goblin 2"], Script(15, 1, 1, 2, 10, 3, 3))
    assert [(a.target, a.hit, a.damage) for a in r.attacks] == [("Goblin 1", True, 2), ("Goblin 1", False, 0),
                                                                ("Goblin 2", True, 6)]
    assert hit_points(state, "Goblin 1", "Goblin 2") == [5, 1] and r.damage == 8
    assert r.targets == ["Goblin 1", "Goblin 2"]
    assert Volley("Scorching Ray", "ray", ("Goblin 1", "Goblin 1", "Goblin 2")) in r.told
    assert "**Scorching Ray**: 3 rays at Goblin 1 ×2, Goblin 2." in r.text
    assert r.text.count("Scorching Ray attack on") == 3


def test_one_target_takes_every_ray_and_upcasting_adds_one_ray_a_level() -> None:
    wren = wizard(5)  # spell attack +6
    rays = spell(wren, "Scorching Ray", 3)
    assert rays.projectiles == 4 and [projectiles_at(SPELLS["Scorching Ray"], s) for s in (2, 3, 9)] == [3, 4, 10]
    state = fight([wren], "ogre", 1)  # AC 11, 59 HP
    state, r = cast(state, "wren", rays, ["Ogre 1"], Script(10, 1, 1, 10, 1, 1, 10, 1, 1, 10, 1, 1))
    assert len(r.attacks) == 4 and all(a.target == "Ogre 1" and a.hit for a in r.attacks)
    assert get(state, "Ogre 1").hp == 59 - 8


def test_more_targets_than_rays_or_too_few_names_are_refused_and_roll_nothing() -> None:
    wren = wizard(3)
    state = fight([wren], "goblin", 3)
    rays = spell(wren, "Scorching Ray")
    with pytest.raises(RulesError, match=r"makes 3 rays here: name at most 3 targets \(4 given\)"):
        cast(state, "wren", rays, ["Goblin 1", "Goblin 2", "Goblin 3", "Goblin 1"], Script())
    with pytest.raises(RulesError, match="name one target for all of them, or one for each ray"):
        cast(state, "wren", rays, ["Goblin 1", "Goblin 2"], Script())
    with pytest.raises(RulesError, match="There is no 'dragon'"):
        cast(state, "wren", rays, ["Goblin 1", "dragon", "Goblin 2"], Script())
    assert hit_points(state, "Goblin 1", "Goblin 2", "Goblin 3") == [7, 7, 7] and not state.log[-1].kind == "cast"


def test_eldritch_blast_beams_grow_with_character_level_each_its_own_attack() -> None:
    assert [spell(pc("Hex", "Warlock", WARLOCK, [], level=lvl), "Eldritch Blast").projectiles
            for lvl in (1, 4, 5, 10, 11, 16, 17, 20)] == [1, 1, 2, 2, 3, 3, 4, 4]
    hex5 = pc("Hex", "Warlock", WARLOCK, [], level=5)  # spell attack +6
    state = fight([hex5], "goblin", 2)
    blast = spell(hex5, "Eldritch Blast")
    assert blast.damage_each == "1d10"  # each beam 1d10, not a bigger die
    state, r = cast(state, "hex", blast, ["Goblin 1", "Goblin 2"], Script(12, 4, 1))  # hit for 4; a natural 1 misses
    assert [(a.target, a.hit) for a in r.attacks] == [("Goblin 1", True), ("Goblin 2", False)]
    assert hit_points(state, "Goblin 1", "Goblin 2") == [3, 7]
    with pytest.raises(RulesError, match="makes 2 beams here"):
        cast(fight([hex5], "goblin", 3), "hex", blast, ["Goblin 1", "Goblin 2", "Goblin 3"], Script())


def test_magic_missile_darts_always_hit_each_at_its_target_and_a_downed_one_wastes_the_rest() -> None:
    wren = wizard(3)
    state = fight([wren], "goblin", 2)
    darts = spell(wren, "Magic Missile")
    assert darts.projectiles == 3 and darts.damage_each == "1d4+1"
    state, r = cast(state, "wren", darts, ["Goblin 1", "Goblin 1", "Goblin 2"], Script(1, 2, 3))  # 2, 3 | 4
    assert hit_points(state, "Goblin 1", "Goblin 2") == [2, 3] and r.damage == 9 and r.kind == "damage"
    state = on_turn(fight([wren], "goblin", 1), "Wren", 1)
    upcast = spell(wren, "Magic Missile", 2)  # four darts; two of 5 drop the goblin, two are lost
    state, r = cast(state, "wren", upcast, ["Goblin 1"], Script(4, 4))
    assert upcast.projectiles == 4 and "Goblin 1" in [c.name for c in state.defeated]
    assert AttacksUnused("Goblin 1", 2) in r.told


# ----------------------------------------------------------------------------------- two damage types


def test_flame_strike_fire_and_radiant_each_meet_the_defenses() -> None:
    cleric = pc("Cyra", "Cleric", WISE, [], level=9)  # DC 8+4+3 = 15
    strike = spell(cleric, "Flame Strike")
    assert strike.damage == "4d6[fire]+4d6[radiant]"
    assert damage_at(SPELLS["Flame Strike"], 6) == "5d6[fire]+4d6[radiant]"  # the fire grows with the slot
    state = fight([cleric], "hell-hound", 1)  # 45 HP, immune to fire, DEX save +1
    # 4d6 fire = 24 (immune: 0), 4d6 radiant = 4; the hound's save: 1+1 fails.
    state, r = cast(state, "cyra", strike, ["Hell Hound 1"], Script(6, 6, 6, 6, 1, 1, 1, 1, 1))
    assert get(state, "Hell Hound 1").hp == 41
    assert Defense("Hell Hound 1", "fire", "immune") in r.told
    # A success halves each part: radiant 8 // 2 = 4 (fire still nothing).
    state = on_turn(state, "Cyra", 2)
    state, r = cast(state, "cyra", strike, ["Hell Hound 1"], Script(1, 1, 1, 1, 2, 2, 2, 2, 20))
    assert get(state, "Hell Hound 1").hp == 37 and r.save is not None and r.save.outcomes[0].success


def test_ice_storm_bludgeoning_grows_and_the_cold_does_not() -> None:
    storm = SPELLS["Ice Storm"]
    assert [damage_at(storm, s) for s in (4, 5, 9)] == ["2d8[bludgeoning]+4d6[cold]", "3d8[bludgeoning]+4d6[cold]",
                                                        "7d8[bludgeoning]+4d6[cold]"]
    druid = pc("Ash", "Druid", WISE, [], level=7)
    state = fight([druid], "ogre", 1)  # DEX save -1
    state, r = cast(state, "ash", spell(druid, "Ice Storm"), ["Ogre 1"], Script(8, 8, 6, 6, 6, 6, 5))  # 16 + 24
    assert get(state, "Ogre 1").hp == 59 - 40
    assert r.save is not None and r.save.damage_roll is not None
    assert r.save.damage_roll.damage_by_type == {"bludgeoning": 16, "cold": 24}


# ----------------------------------------------------------------------------------- temporary and maximum hit points


def test_false_life_temporary_hit_points_dont_stack_and_absorb_damage_first() -> None:
    wren = wizard(3)
    state = fight([wren], "goblin", 1)
    life = spell(wren, "False Life")
    assert life.temp_hp == "1d4+4" and spell(wren, "False Life", 2).temp_hp == "1d4+9"
    state, r = cast(state, "wren", life, [], Script(3))  # 7 temporary hit points
    assert get(state, "Wren").temp_hp == 7 and TempHpGained("Wren", 7, 7) in r.told
    state = on_turn(state, "Wren", 2)
    state, r = cast(state, "wren", life, [], Script(1))  # 5: the 7 are kept
    assert get(state, "Wren").temp_hp == 7 and "keeps the 7 it has" in r.text
    hp = get(state, "Wren").hp
    state, _ = apply_damage(state, "wren", 9, critical=False, actor_id=None, source="a club")
    assert (get(state, "Wren").temp_hp, get(state, "Wren").hp) == (0, hp - 2)
    sheet, kept = gain_temp_hp(wren.model_copy(update={"temp_hp": 4}), 6)
    assert (sheet.temp_hp, kept) == (6, 6) and gain_temp_hp(sheet, 2)[0].temp_hp == 6


def test_aid_raises_up_to_three_maxima_once_and_the_sheet_keeps_it_until_a_long_rest() -> None:
    cleric = pc("Cyra", "Cleric", WISE, [], level=5)
    bram = pc("Bram", "Fighter", WISE, [], level=3).model_copy(update={"hp": 10})
    state = fight([cleric, bram], "goblin", 1)
    aid = spell(cleric, "Aid")
    assert (aid.max_hp_bonus, aid.max_targets, spell(cleric, "Aid", 3).max_hp_bonus) == (5, 3, 10)
    state, r = cast(state, "cyra", aid, ["Cyra", "Bram"], Script())
    assert (get(state, "Bram").max_hp, get(state, "Bram").hp) == (bram.max_hp + 5, 15)
    assert get(state, "Cyra").max_hp == cleric.max_hp + 5
    state = on_turn(state, "Cyra", 2)
    state, r = cast(state, "cyra", spell(cleric, "Aid", 3), ["Bram"], Script())  # +10 replaces the +5: 5 more
    assert get(state, "Bram").max_hp == bram.max_hp + 10 and get(state, "Bram").hp == 20
    state = on_turn(state, "Cyra", 3)
    state, r = cast(state, "cyra", aid, ["Bram"], Script())  # a weaker Aid adds nothing
    assert get(state, "Bram").max_hp == bram.max_hp + 10 and "already raised as high" in r.text
    with pytest.raises(RulesError, match="affects up to 3 creatures"):
        cast(state, "cyra", aid, ["Cyra", "Bram", "Goblin 1", "Cyra"], Script())
    sheet = apply_to_character(get(state, "Bram"), bram)
    assert (sheet.max_hp, sheet.hp, sheet.hp_max_bonus) == (bram.max_hp + 10, 20, 10)
    assert derive(sheet).max_hp == bram.max_hp + 10  # a rebuilt sheet keeps the raise
    rested, _ = long_rest(sheet)
    assert (rested.max_hp, rested.hp, rested.hp_max_bonus) == (bram.max_hp, bram.max_hp, 0)
    outside, rise = raise_hit_point_maximum(bram, 5)
    assert (outside.max_hp, outside.hp, rise) == (bram.max_hp + 5, 15, 5)
    assert raise_hit_point_maximum(outside, 5) == (outside, 0)


def test_heroism_gives_temporary_hit_points_at_the_start_of_each_of_the_targets_turns() -> None:
    paladin = pc("Sera", "Paladin", PALADIN, [], level=3)  # CHA +2
    bram = pc("Bram", "Fighter", WISE, [], level=3)
    state = fight([paladin, bram], "goblin", 1)
    state, r = cast(state, "sera", spell(paladin, "Heroism"), ["Bram"], Script())
    assert get(state, "Bram").temp_hp == 0 and concentrating_on(state, "sera").spell == "Heroism"
    state = on_turn(state, "Bram", 1)
    state, told = zone_ticks(state, Script())
    assert get(state, "Bram").temp_hp == 2 and TempHpGained("Bram", 2, 2) in told
    assert zone_ticks(state, Script())[1] == []  # once a turn


# ----------------------------------------------------------------------------------- mass heals


def test_mass_healing_word_heals_each_target_the_same_roll_up_to_six() -> None:
    cleric = pc("Cyra", "Cleric", WISE, [], level=5)  # WIS +3
    hurt = [pc(n, "Fighter", WISE, [], level=3).model_copy(update={"hp": 3}) for n in ("Bram", "Dell")]
    state = fight([cleric.model_copy(update={"hp": 20}), *hurt], "goblin", 1)
    word = spell(cleric, "Mass Healing Word")
    assert (word.healing, word.max_targets) == ("1d4+3", 6)
    state, r = cast(state, "cyra", word, ["Bram", "Dell", "Cyra"], Script(4))  # 4+3 each
    assert hit_points(state, "Bram", "Dell", "Cyra") == [10, 10, 27] and [h.healed for h in r.heals] == [7, 7, 7]
    with pytest.raises(RulesError, match="up to 6 creatures: name at most 6 \\(7 given\\)"):
        cast(state, "cyra", word, ["Bram"] * 7, Script())
    state = on_turn(state, "Cyra", 2)
    undead = fight([cleric], "zombie", 1)
    zombie = get(undead, "Zombie 1")
    undead = replace_combatant(undead, zombie.model_copy(update={"hp": 5}))
    undead, r = cast(undead, "cyra", word, ["Zombie 1", "Cyra"], Script(2))
    assert get(undead, "Zombie 1").hp == 5 and "no effect on Zombie 1: not on undead or constructs" in r.text
    cure = spell(cleric, "Cure Wounds")
    with pytest.raises(RulesError, match="Cure Wounds has one target"):
        cast(state, "cyra", cure, ["Bram", "Dell"], Script())


# ----------------------------------------------------------------------------------- damage that comes later


def test_branding_smite_waits_for_the_next_weapon_hit_then_is_spent() -> None:
    paladin = pc("Sera", "Paladin", PALADIN, [("Longsword", 1)], ("Longsword",), level=5)  # +6 to hit, 1d8+3
    state = fight([paladin], "ogre", 1)  # AC 11, 59 HP
    smite = spell(paladin, "Branding Smite")
    state, r = cast(state, "sera", smite, [], Script())
    assert get(state, "Ogre 1").hp == 59 and SpellWaits("Sera", "Branding Smite", "next_hit") in r.told
    with pytest.raises(RulesError, match="names no target"):
        cast(state, "sera", smite, ["Ogre 1"], Script())
    state, miss = attack(state, "sera", "Ogre 1", rng=Script(2))  # a miss keeps the smite
    assert not miss.hit and get(state, "Ogre 1").hp == 59
    state, hit = attack(state, "sera", "Ogre 1", rng=Script(10, 5, 6, 6))  # 1d8+3 = 8 slashing, 2d6 = 12 radiant
    assert hit.damage == 20 and get(state, "Ogre 1").hp == 39
    assert hit.damage_roll is not None and hit.damage_roll.damage_by_type == {"slashing": 8, "radiant": 12}
    assert FeatureUsed("Sera", "Branding Smite", "+2d6 radiant") in hit.told
    state, again = attack(state, "sera", "Ogre 1", rng=Script(10, 5))  # spent: the weapon's damage only
    assert again.damage == 8 and concentrating_on(state, "sera").spell == "Branding Smite"


def test_divine_favor_adds_its_radiant_to_every_weapon_hit() -> None:
    paladin = pc("Sera", "Paladin", PALADIN, [("Longsword", 1)], ("Longsword",), level=5)
    state = fight([paladin], "ogre", 1)
    state, _ = cast(state, "sera", spell(paladin, "Divine Favor"), [], Script())
    for _ in range(2):
        state, hit = attack(state, "sera", "Ogre 1", rng=Script(10, 5, 4))  # 8 slashing + 1d4 = 4 radiant
        assert hit.damage == 12
    assert get(state, "Ogre 1").hp == 59 - 24


def test_flaming_sphere_rams_on_a_later_bonus_action_not_on_casting() -> None:
    wren = wizard(3)  # DC 13
    state = fight([wren], "ogre", 1)  # DEX save -1
    sphere = spell(wren, "Flaming Sphere")
    with pytest.raises(RulesError, match="holds no Flaming Sphere"):
        cast_again(state, "wren", "Flaming Sphere", ["Ogre 1"], Script())
    state, r = cast(state, "wren", sphere, ["Ogre 1"], Script())
    assert get(state, "Ogre 1").hp == 59 and SpellWaits("Wren", "Flaming Sphere", "bonus_action") in r.told
    state = on_turn(state, "Wren", 2)
    state, r = cast_again(state, "wren", "flaming sphere", ["Ogre 1"], Script(6, 5, 3))  # 11 fire; 3-1 fails
    assert get(state, "Ogre 1").hp == 48 and r.save is not None and not r.save.outcomes[0].success
    state, r = cast_again(state, "wren", "Flaming Sphere", [], Script(6, 6, 20))  # the only foe; saved: half
    assert get(state, "Ogre 1").hp == 42


def test_call_lightning_strikes_on_casting_and_again_with_an_action_until_concentration_ends() -> None:
    druid = pc("Ash", "Druid", WISE, [], level=5)  # DC 14
    state = fight([druid], "ogre", 1)
    state, r = cast(state, "ash", spell(druid, "Call Lightning"), ["Ogre 1"], Script(10, 10, 10, 2))  # 30; fails
    assert get(state, "Ogre 1").hp == 29 and SpellWaits("Ash", "Call Lightning", "action") in r.told
    state = on_turn(state, "Ash", 2)
    state, r = cast_again(state, "ash", "Call Lightning", ["Ogre 1"], Script(1, 1, 1, 2))  # 3
    assert get(state, "Ogre 1").hp == 26
    state = on_turn(state, "Ash", 3)
    state, _ = cast(state, "ash", spell(druid, "Moonbeam"), ["Ogre 1"], Script())  # a new concentration spell
    with pytest.raises(RulesError, match="holds no Call Lightning"):
        cast_again(state, "ash", "Call Lightning", ["Ogre 1"], Script())
