"""Combat: initiative, turns, attacks, crits, conditions, death saves, saves, healing, refusals, summary,
Multiattack, spells cast in a fight, and a sheet changed during one.

Monsters come from the SRD 5e-database JSON (test data only; ``SRD_JSON_DIR``); dice come from a scripted
``random.Random`` whose ``randint`` returns queued faces, so every roll is known in advance.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnd.actions import set_hp
from dnd.character import Character, DeathSaves, derive
from dnd.combat import (
    CombatState,
    add_condition,
    add_monsters,
    attack,
    cast,
    current_actor,
    death_save,
    end_turn,
    find_combatant,
    heal,
    monster_combatants,
    multiattack,
    outcome,
    remove_condition,
    roll_initiative,
    saving_throw,
    skip,
    start_turn,
    summary,
    update_from_sheet,
)
from dnd.errors import RulesError
from dnd.inventory import expand
from dnd.monsters import Combatant, MonsterBlock
from dnd.spellcasting import CastResult, cast_spell
from tests.srd_paths import srd_monsters


def block(index: str) -> MonsterBlock:
    return MonsterBlock.from_srd(srd_monsters()[index])


class Script(random.Random):
    """``randint`` returns the queued faces in order (and checks each fits the die)."""

    def __init__(self, *faces: int) -> None:
        super().__init__(0)
        self.faces = list(faces)

    def randint(self, a: int, b: int) -> int:
        assert self.faces, f"the script ran out of faces (asked for {a}..{b})"
        face = self.faces.pop(0)
        assert a <= face <= b, f"scripted face {face} doesn't fit {a}..{b}"
        return face

    def push(self, *faces: int) -> Script:
        self.faces += faces
        return self


def pc(name: str, cls: str, scores: dict[str, int], items: list[tuple[str, int]], equip: tuple[str, ...] = (),
       level: int = 3) -> Character:
    c = derive(Character(name=name, race="Human", class_levels={cls: level}, base_scores=scores,
                         inventory=expand(items)))
    inventory = [i.model_copy(update={"equipped": i.name in equip}) for i in c.inventory]
    return c.model_copy(update={"hp": c.max_hp, "inventory": inventory})


FIGHTER = {"STR": 16, "DEX": 12, "CON": 14, "INT": 10, "WIS": 10, "CHA": 10}
ROGUE = {"STR": 10, "DEX": 16, "CON": 12, "INT": 10, "WIS": 12, "CHA": 10}


def aria() -> Character:
    """Fighter 3: AC 18, 28 HP, Longsword +5 (1d8+3), Dagger, Shortbow +3 (1d6+1); initiative +1."""
    return pc("Aria", "Fighter", FIGHTER,
              [("Longsword", 1), ("Dagger", 1), ("Shortbow", 1), ("Chain Mail", 1), ("Shield", 1)],
              equip=("Chain Mail", "Shield", "Longsword"))


def bram() -> Character:
    """Rogue 3: AC 14, 21 HP, Rapier +5 (1d8+3), Shortbow +5 (1d6+3); initiative +3."""
    return pc("Bram", "Rogue", ROGUE, [("Rapier", 1), ("Shortbow", 1), ("Leather Armor", 1)],
              equip=("Leather Armor",))


def party_vs(monsters: list[tuple[str, int]], *faces: int) -> tuple[CombatState, Script]:
    """Aria and Bram roll initiative (first two faces), then each monster group joins (one face each)."""
    rng = Script(*faces)
    state, _ = roll_initiative([Combatant.from_character(aria()), Combatant.from_character(bram())], rng)
    for index, count in monsters:
        state, _ = add_monsters(state, block(index), count, rng)
    return state, rng


def names(state: CombatState) -> list[str]:
    return [c.name for c in state.combatants]


def get(state: CombatState, name: str) -> Combatant:
    return next(c for c in [*state.combatants, *state.defeated] if c.name == name)


# ------------------------------------------------------------------------------------------ initiative


def test_initiative_orders_by_total() -> None:
    rng = Script(15, 10)  # Aria 15+1 = 16, Bram 10+3 = 13
    state, result = roll_initiative([Combatant.from_character(bram()), Combatant.from_character(aria())], rng)
    # Bram rolled first (input order): Bram 15+3 = 18, Aria 10+1 = 11.
    assert names(state) == ["Bram", "Aria"]
    assert [c.initiative for c in state.combatants] == [18, 11]
    assert result.order == [("Bram", 18), ("Aria", 11)]
    assert "Initiative (Bram)" in result.text and current_actor(state).name == "Bram"
    assert state.round == 1 and not state.started and not rng.faces


def test_initiative_ties_go_to_dex_then_a_roll_off() -> None:
    # Aria 12+1 = 13 and Bram 10+3 = 13: Bram's DEX 16 beats Aria's 12, no roll-off needed.
    state, _ = roll_initiative([Combatant.from_character(aria()), Combatant.from_character(bram())], Script(12, 10))
    assert names(state) == ["Bram", "Aria"]

    # Two goblins (same DEX) tie on 15: a roll-off (3 vs 3 ties again, then 4 vs 9) puts Goblin 2 first.
    goblins = monster_combatants(block("goblin"), 2)
    rng = Script(13, 13, 3, 3, 4, 9)
    state, result = roll_initiative(goblins, rng)
    assert names(state) == ["Goblin 2", "Goblin 1"]
    assert [c.initiative for c in state.combatants] == [15, 15]
    assert sum("Roll-off" in line for line in result.lines) == 2 and not rng.faces


def test_preset_initiative_is_kept() -> None:
    preset = Combatant.from_character(aria()).model_copy(update={"initiative": 25})
    state, result = roll_initiative([preset, Combatant.from_character(bram())], Script(5))
    assert names(state) == ["Aria", "Bram"] and state.combatants[0].initiative == 25
    assert list(result.rolls) == ["bram"]


def test_monsters_join_with_average_hp_and_numbered_names() -> None:
    state, rng = party_vs([], 15, 10)  # Aria 16, Bram 13
    state, joined = add_monsters(state, block("goblin"), 2, rng.push(12, 1))  # 14 and 3
    assert joined.joined == ["Goblin 1", "Goblin 2"] and joined.hp_mode == "average"
    assert names(state) == ["Aria", "Goblin 1", "Bram", "Goblin 2"]
    assert all(get(state, n).hp == 7 for n in ("Goblin 1", "Goblin 2"))
    state, joined = add_monsters(state, block("goblin"), 1, rng.push(20))  # init 22
    assert joined.joined == ["Goblin 3"]
    # Rolled hit points: 2d8+6 = 3+4+6 = 13 (rolled before initiative, 4+1 = 5).
    state, joined = add_monsters(state, block("orc"), 1, rng.push(3, 4, 4), hp_mode="roll")
    assert get(state, "Orc 1").max_hp == 13 and joined.hp_mode == "roll"
    assert names(state) == ["Goblin 3", "Aria", "Goblin 1", "Bram", "Orc 1", "Goblin 2"]
    # Not started yet: the fight opens with the highest initiative.
    assert current_actor(state).name == "Goblin 3" and not rng.faces


def test_joining_an_ongoing_fight_keeps_the_current_turn() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)  # Aria 16, Goblin 1 14, Bram 13
    state, _ = end_turn(state)
    state, _ = end_turn(state)
    assert current_actor(state).name == "Bram"
    state, _ = add_monsters(state, block("orc"), 1, rng.push(19))  # 20: ahead of everyone, acts next round
    assert names(state) == ["Orc 1", "Aria", "Goblin 1", "Bram"]
    assert current_actor(state).name == "Bram"
    state, turn = end_turn(state)
    assert (turn.current, turn.round) == ("Orc 1", 2)


def test_a_joiner_tied_with_a_combatant_rolls_off() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)  # Goblin 1 on 14 (DEX 14)
    state, joined = add_monsters(state, block("goblin"), 1, rng.push(12, 18, 2))  # ties 14; wins the roll-off
    assert names(state) == ["Aria", "Goblin 2", "Goblin 1", "Bram"]
    assert any("Roll-off: Goblin 2 18, Goblin 1 2" in line for line in joined.lines)


# ------------------------------------------------------------------------------------------ a whole fight


def test_scripted_fight_two_characters_against_a_goblin_and_an_orc() -> None:
    # Initiative: Aria 15+1 = 16, Bram 10+3 = 13, Goblin 1 12+2 = 14, Orc 1 5+1 = 6.
    state, rng = party_vs([("goblin", 1), ("orc", 1)], 15, 10, 12, 5)
    assert names(state) == ["Aria", "Goblin 1", "Bram", "Orc 1"]
    assert (get(state, "Aria").hp, get(state, "Bram").hp, get(state, "Goblin 1").hp, get(state, "Orc 1").hp) == (
        28, 21, 7, 15)

    # Round 1. Aria hits the goblin: 11+5 = 16 vs AC 15, 1d8+3 = 2+3.
    state, r = attack(state, "aria", "goblin", "Longsword", rng.push(11, 2))
    assert (r.hit, r.critical, r.damage, r.target_hp) == (True, False, 5, 2)
    state, _ = end_turn(state, "aria")
    # The goblin rolls a natural 20 against Aria: a critical hit, 2d6+2 = 3+4+2.
    state, r = attack(state, "goblin-1", "Aria", "Scimitar", rng.push(20, 3, 4))
    assert (r.hit, r.critical, r.damage, r.target_hp) == (True, True, 9, 19)
    assert r.damage_roll is not None and "2d6" in str(r.damage_roll)
    state, _ = end_turn(state)
    # Bram rolls a natural 1 and misses.
    state, r = attack(state, "bram", "Goblin 1", "Rapier", rng.push(1))
    assert not r.hit and "Natural 1" in r.text
    state, _ = end_turn(state)
    # The orc hits Bram: 14+5 = 19 vs AC 14, 1d12+3 = 12+3.
    state, r = attack(state, "orc-1", "Bram", "Greataxe", rng.push(14, 12))
    assert (r.hit, r.damage, r.target_hp) == (True, 15, 6)

    # Round 2. Aria misses (9+5 = 14 vs 15).
    state, turn = end_turn(state)
    assert (turn.current, turn.round) == ("Aria", 2)
    state, r = attack(state, "aria", "Goblin 1", None, rng.push(9))  # the equipped Longsword by default
    assert not r.hit and r.weapon == "Longsword"
    state, _ = end_turn(state)
    # The goblin shoots Bram down: 15+4 = 19, 1d6+2 = 4+2 = 6 -> 0 HP, unconscious.
    state, r = attack(state, "goblin-1", "Bram", "Shortbow", rng.push(15, 4))
    assert r.fell and r.target_hp == 0 and not r.dead
    assert "Unconscious" in get(state, "Bram").conditions and get(state, "Bram").dying
    state, turn = end_turn(state)
    assert turn.current == "Bram" and "death saving throw" in turn.text
    state, ds = death_save(state, "bram", rng.push(12))
    assert (ds.result, ds.successes, ds.failures) == ("success", 1, 0)
    state, _ = end_turn(state)
    # The orc swings at unconscious Bram within 5 feet: advantage (2 and 10 -> 10+5 = 15 vs 14) and a
    # critical hit; 2d12+3 at 0 HP is two failed death saves, not death (less than his 21 HP maximum).
    state, r = attack(state, "orc-1", "Bram", "Greataxe", rng.push(2, 10, 5, 6))
    assert (r.mode, r.hit, r.critical, r.damage, r.death_save_failures, r.dead) == (
        "advantage", True, True, 14, 2, False)
    assert get(state, "Bram").death_saves.failures == 2

    # Round 3. Aria kills the goblin: 18+5, 1d8+3 = 5+3 = 8 >= 2 HP left.
    state, _ = end_turn(state)
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(18, 5))
    assert r.defeated and r.fell
    assert names(state) == ["Aria", "Bram", "Orc 1"] and [c.name for c in state.defeated] == ["Goblin 1"]
    state, _ = end_turn(state)
    # Bram rolls a natural 20 on his death save: 1 HP, awake, and he fights on.
    state, ds = death_save(state, "bram", rng.push(20))
    assert ds.result == "revived" and get(state, "Bram").hp == 1
    assert "Unconscious" not in get(state, "Bram").conditions and get(state, "Bram").death_saves.failures == 0
    state, r = attack(state, "bram", "orc", "Rapier", rng.push(17, 8))
    assert (r.hit, r.damage, r.target_hp) == (True, 11, 4)
    state, _ = end_turn(state)
    state, r = attack(state, "orc-1", "Aria", None, rng.push(1))  # the first attack action, a natural 1
    assert not r.hit and r.weapon == "Greataxe"

    # Round 4. Aria finishes the orc: 10+5 = 15 vs 13, 1+3 = 4.
    state, turn = end_turn(state)
    assert turn.round == 4
    state, r = attack(state, "aria", "Orc 1", "Longsword", rng.push(10, 1))
    assert r.defeated
    assert outcome(state) == "victory" and names(state) == ["Aria", "Bram"]
    assert not rng.faces  # every scripted die was used

    s = summary(state)
    assert s.rounds == 4 and s.outcome == "victory"
    assert s.damage_dealt == {"Aria": 17, "Bram": 11, "Goblin 1": 15, "Orc 1": 29}
    assert s.damage_taken == {"Aria": 9, "Bram": 35, "Goblin 1": 13, "Orc 1": 15}
    assert s.fallen == ["Bram", "Goblin 1", "Orc 1"] and s.dead == []
    assert "4 rounds" in s.text
    # The state is plain data: it survives a JSON round trip (to the database and back).
    assert CombatState.model_validate_json(state.model_dump_json()) == state


# ------------------------------------------------------------------------------------------ attacks


def test_critical_hits_double_the_dice_not_the_modifiers() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(20, 4, 2))
    assert r.critical and r.damage_roll is not None
    assert r.damage_roll.expression == "1d8+3" and r.damage_roll.crit
    assert r.damage == 4 + 2 + 3  # 2d8 + 3, not (1d8 + 3) x 2
    assert not rng.faces


def test_attack_bonus_finesse_ranged_and_proficiency() -> None:
    strong = Combatant.from_character(aria())
    quick = Combatant.from_character(bram())
    state, rng = CombatState(), Script(20, 1)
    state, _ = roll_initiative([strong, quick], rng)  # Aria 21, Bram 4
    state, _ = add_monsters(state, block("zombie"), 1, rng.push(1))  # AC 8; init 1+(-2) = -1
    state, r = attack(state, "aria", "Zombie 1", "Dagger", rng.push(10, 1))  # finesse: STR 16 beats DEX 12
    assert r.attack_bonus == 3 + 2 and r.damage == 1 + 3
    state, _ = end_turn(state)
    state, r = attack(state, "bram", "Zombie 1", "Rapier", rng.push(10, 1))  # finesse: DEX 16
    assert r.attack_bonus == 3 + 2 and r.damage == 1 + 3
    state, _ = end_turn(state)
    state, _ = end_turn(state)
    state, r = attack(state, "aria", "Zombie 1", "Shortbow", rng.push(10, 1))  # ranged: DEX 12 (+1)
    assert r.attack_bonus == 1 + 2 and r.damage == 1 + 1
    state, _ = end_turn(state)
    state, r = attack(state, "bram", "Zombie 1", "unarmed strike", rng.push(10))  # 1 + STR 0
    assert r.attack_bonus == 0 + 2 and r.damage == 1
    assert not rng.faces


def test_prone_target_advantage_in_melee_disadvantage_at_range() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state, _ = add_condition(state, "Goblin 1", "prone")
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(3, 17, 2))
    assert r.mode == "advantage" and r.attack_roll.natural == 17 and r.hit
    state, _ = end_turn(state)
    state, _ = end_turn(state)
    state, _ = end_turn(state)  # Aria again (round 2)
    state, r = attack(state, "aria", "Goblin 1", "Shortbow", rng.push(17, 3))
    assert r.mode == "disadvantage" and r.attack_roll.natural == 3 and not r.hit
    assert not rng.faces


def test_poisoned_attacker_has_disadvantage_and_sources_cancel() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state, _ = add_condition(state, "Aria", "Poisoned")
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(18, 5))
    assert r.mode == "disadvantage" and r.attack_roll.natural == 5
    state, _ = end_turn(state)
    state, _ = end_turn(state)
    state, _ = end_turn(state)
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(6), advantage=True)
    assert r.mode == "normal"  # advantage and disadvantage cancel: one d20


def test_paralyzed_target_advantage_and_melee_hits_are_critical() -> None:
    state, rng = party_vs([("orc", 1)], 15, 10, 5)
    state, _ = add_condition(state, "Orc 1", "Paralyzed")
    state, r = attack(state, "aria", "Orc 1", "Longsword", rng.push(2, 9, 3, 4))  # 9+5 = 14 vs 13: hit
    assert r.mode == "advantage" and r.critical and r.damage == 3 + 4 + 3
    state, _ = end_turn(state)
    # At range: a hit, not a crit; Bram, a 3rd-level Rogue, adds his Sneak Attack (advantage): 2d6.
    state, r = attack(state, "bram", "Orc 1", "Shortbow", rng.push(8, 2, 6, 1, 2))
    assert r.mode == "advantage" and r.hit and not r.critical and r.damage == 6 + 3 + 1 + 2
    assert "Sneak Attack +2d6" in r.notes


def test_invisible_attacker_and_blinded_target() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state, _ = add_condition(state, "Aria", "Invisible")
    state, r = attack(state, "aria", "Goblin 1", "Longsword", rng.push(4, 12, 1))
    assert r.mode == "advantage"
    state, _ = end_turn(state)
    state, r = attack(state, "goblin-1", "Aria", "Scimitar", rng.push(19, 2))
    assert r.mode == "disadvantage" and r.attack_roll.natural == 2


def test_damage_vulnerability_immunity_and_nonmagical_resistance() -> None:
    state, rng = party_vs([("skeleton", 1)], 15, 10, 1)
    assert get(state, "Skeleton 1").hp == 13
    # The skeleton is vulnerable to bludgeoning: an unarmed strike (1 + STR 3 = 4) deals 8.
    state, r = attack(state, "aria", "Skeleton 1", "unarmed", rng.push(15))
    assert r.damage == 8 and "vulnerable" in r.text
    state, _ = end_turn(state)
    # Immune to poison: a custom poison attack does nothing.
    state, r = attack(state, "bram", "Skeleton 1", "Poison dart", rng.push(15, 4), attack_bonus=5, damage="1d4",
                      damage_type="poison", ranged=True)
    assert r.hit and r.damage == 0 and "immune" in r.text

    state, rng = party_vs([("mummy", 1)], 15, 10, 1)  # AC 11, resists nonmagical weapons
    state, r = attack(state, "aria", "Mummy 1", "Longsword", rng.push(15, 5))  # 5+3 = 8, halved
    assert r.damage == 4 and "resists" in r.text
    state, _ = end_turn(state)
    state, r = attack(state, "bram", "mummy", "Holy blade", rng.push(15, 5), attack_bonus=6, damage="1d8+3",
                      damage_type="slashing", magical=True)
    assert r.damage == 8

    state, rng = party_vs([("werewolf-human", 1)], 15, 10, 1)  # immune to nonmagical weapons
    assert "Werewolf, Human Form 1" in names(state)
    state, r = attack(state, "aria", "werewolf", "Longsword", rng.push(15, 5))
    assert r.hit and r.damage == 0 and "immune" in r.text


def test_multiple_damage_types_are_split_for_defenses() -> None:
    state, rng = party_vs([("steam-mephit", 1)], 15, 10, 1)  # immune to fire
    state, _ = end_turn(state)
    state, _ = end_turn(state)  # the mephit (init 2) acts after Bram (13)
    assert current_actor(state).name == "Steam Mephit 1"
    state, r = attack(state, "steam-mephit-1", "Aria", "Claws", rng.push(19, 3, 2))
    assert r.damage_roll is not None and r.damage_roll.damage_by_type == {"slashing": 3, "fire": 2}
    assert r.damage == 5  # Aria resists nothing


# ------------------------------------------------------------------------------------------ death and defeat


def down(state: CombatState, name: str, **fields: Any) -> CombatState:
    c = get(state, name)
    updated = c.model_copy(update={"hp": 0, "conditions": ["Unconscious"], **fields})
    return state.model_copy(update={"combatants": [updated if x.id == c.id else x for x in state.combatants]})


def test_a_turn_at_zero_hp_rolls_the_death_save_and_passes() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)  # Aria 16, Goblin 1 14, Bram 13
    assert current_actor(state).name == "Aria"
    state, downed = start_turn(down(state, "Aria"), rng.push(10))
    assert [(d.name, d.death_save.result if d.death_save else None, d.passed) for d in downed] == [
        ("Aria", "success", True)]
    assert current_actor(state).name == "Goblin 1" and get(state, "Aria").death_saves.successes == 1
    unchanged, none = start_turn(state, rng)  # a monster's turn starts as it is
    assert none == [] and unchanged == state


def test_a_natural_twenty_at_the_start_of_the_turn_keeps_it() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state, downed = start_turn(down(state, "Aria"), rng.push(20))
    assert [(d.name, d.death_save.result if d.death_save else None, d.passed) for d in downed] == [
        ("Aria", "revived", False)]
    assert current_actor(state).name == "Aria" and get(state, "Aria").hp == 1


def test_a_party_all_down_passes_each_turn_once() -> None:
    rng = Script(15, 10)
    state, _ = roll_initiative([Combatant.from_character(aria()), Combatant.from_character(bram())], rng)
    state = down(down(state, "Aria", stable=True), "Bram", stable=True)
    state, downed = start_turn(state, rng)
    assert [(d.name, d.death_save, d.passed) for d in downed] == [("Aria", None, True), ("Bram", None, True)]
    assert current_actor(state).name == "Aria"  # round and round no further: each passed once


def test_death_saves_success_failure_one_and_stable() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state = down(state, "Aria")
    state, r = death_save(state, "aria", rng.push(10))
    assert (r.result, r.successes, r.failures) == ("success", 1, 0)
    state, r = death_save(state, "aria", rng.push(9))
    assert (r.result, r.successes, r.failures) == ("failure", 1, 1)
    state, r = death_save(state, "aria", rng.push(1))
    assert (r.result, r.successes, r.failures) == ("dead", 1, 3)
    aria_now = get(state, "Aria")
    assert aria_now.dead and aria_now.defeated
    # The dead are passed over in the turn order and can't be targeted.
    state, turn = end_turn(state)
    assert turn.current == "Goblin 1"
    state, turn = end_turn(state)
    state, turn = end_turn(state)
    assert turn.current == "Goblin 1" and turn.round == 2
    with pytest.raises(RulesError, match="Aria is dead"):
        attack(state, "goblin-1", "Aria", "Scimitar", rng)

    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state = down(state, "Aria")
    for _ in range(3):
        state, r = death_save(state, "aria", rng.push(15))
    assert r.result == "stable" and get(state, "Aria").stable and get(state, "Aria").death_saves.successes == 0
    with pytest.raises(RulesError, match="stable"):
        death_save(state, "aria", rng)
    state, _ = end_turn(state)
    # Damage to a stable character at 0 HP: failed saves (two: a hit from within 5 feet on an unconscious
    # creature is critical), and death saves start again.
    state, r = attack(state, "goblin-1", "Aria", "Scimitar", rng.push(15, 1, 1, 1))
    assert r.critical and r.death_save_failures == 2 and not get(state, "Aria").stable


def test_a_party_wipe_leaves_the_fallen_to_their_death_saves_and_the_stable_wake_later() -> None:
    """Found playing at the local table: with every character at 0 HP the fight was lost and they stayed at 0 HP,
    dying, with nothing happening. Alone, each rolls its death saves to the end; the stable wake after 1d4 hours."""
    from dnd.combat import fall_of_the_party
    from dnd.render.discord import combat_lines

    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state = down(down(state, "Aria", death_saves=DeathSaves(failures=1)), "Bram")
    assert outcome(state) == "defeat"
    # Aria: 12, 15, 10: three successes, stable; 1d4 = 3 hours later she wakes. Bram: 5 then a 1: dead.
    state, told = fall_of_the_party(state, Script(12, 15, 10, 3, 5, 1))
    aria_now, bram_now = get(state, "Aria"), get(state, "Bram")
    assert (aria_now.hp, aria_now.conditions, aria_now.death_saves, aria_now.stable) == (1, [], DeathSaves(), False)
    assert bram_now.dead and bram_now.hp == 0
    text = "\n".join(combat_lines(told))
    assert text.startswith("☠️ **The party falls.**") and "3 hours later they wake with 1 HP" in text, text
    assert "Bram fails a third death save and dies" in text, text
    assert summary(state).dead == ["Bram"]
    # A natural 20 wakes a character at once, with no hours to wait.
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state, told = fall_of_the_party(down(down(state, "Aria"), "Bram", stable=True), Script(20, 4))
    assert get(state, "Aria").hp == 1 and get(state, "Bram").hp == 1
    assert "Natural 20! Aria" in "\n".join(combat_lines(told)) and "Bram is stable" in "\n".join(combat_lines(told))


def test_damage_at_zero_hp_three_failures_and_massive_damage() -> None:
    state, rng = party_vs([("orc", 1)], 15, 10, 19)  # Orc 1 goes first (20)
    state = down(state, "Bram", death_saves=DeathSaves(failures=1))
    state, r = attack(state, "orc-1", "Bram", "Greataxe", rng.push(1, 20, 1, 1))  # advantage, crit: 2 failures
    assert r.critical and r.dead and r.death_save_failures == 2
    assert get(state, "Bram").dead and summary(state).dead == ["Bram"]

    state, rng = party_vs([("ogre", 1)], 15, 10, 19)  # Ogre: greatclub 2d8+4
    aria_c = get(state, "Aria").model_copy(update={"hp": 3})
    state = state.model_copy(update={"combatants": [aria_c if c.id == "aria" else c for c in state.combatants]})
    current = current_actor(state)
    assert current.name == "Ogre 1"
    # 3 HP, 20+ damage... a crit on 2d8+4 with 8s: 8*4+4 = 36 -> 33 past 0 >= 28 max: killed outright.
    state, r = attack(state, "ogre-1", "Aria", "Greatclub", rng.push(20, 8, 8, 8, 8))
    assert r.fell and r.dead and "killed outright" in r.text


def test_defeated_monsters_leave_the_order_and_the_turn_moves_on() -> None:
    state, rng = party_vs([("goblin", 2)], 15, 10, 12, 1)  # Aria 16, Goblin 1 14, Bram 13, Goblin 2 3
    assert names(state) == ["Aria", "Goblin 1", "Bram", "Goblin 2"]
    state, _ = end_turn(state)
    state, _ = end_turn(state)  # Bram's turn (index 2)
    state, r = attack(state, "bram", "Goblin 1", "Rapier", rng.push(15, 8))  # 11 damage: before the current index
    assert r.defeated and names(state) == ["Aria", "Bram", "Goblin 2"] and current_actor(state).name == "Bram"
    with pytest.raises(RulesError, match="already defeated"):
        attack(state, "bram", "Goblin 1", "Rapier", rng)
    state, _ = end_turn(state)
    assert current_actor(state).name == "Goblin 2"
    # A monster that drops on its own turn loses the rest of it: the next round begins.
    state, saved = saving_throw(state, "Goblin 2", "DEX", 30, rng.push(5, 8, 8), damage="2d8")
    assert saved.outcomes[0].defeated and names(state) == ["Aria", "Bram"]
    assert current_actor(state).name == "Aria" and state.round == 2
    assert outcome(state) == "victory"


# ------------------------------------------------------------------------------------------ saves and healing


def test_saving_throw_half_damage_and_auto_fail_when_paralyzed() -> None:
    state, rng = party_vs([("steam-mephit", 2)], 15, 10, 19, 1)  # mephits (DEX 11, +0) 20 and 2
    assert current_actor(state).name == "Steam Mephit 1"
    # Steam Breath from the stat block: DC 10 DEX, 1d8 fire, half on a success.
    state, _ = add_condition(state, "Bram", "Paralyzed")
    state, r = saving_throw(state, ["Aria", "Bram"], rng=rng.push(7, 9), actor_id="steam-mephit-1",
                            source="Steam Breath")
    assert (r.ability, r.dc, r.source) == ("DEX", 10, "Steam Breath")
    aria_save, bram_save = r.outcomes
    assert aria_save.success and aria_save.damage == 3  # 9+1 = 10 vs DC 10: half of 7
    assert bram_save.mode == "auto_fail" and not bram_save.success and bram_save.roll is None
    assert bram_save.damage == 7
    assert (get(state, "Aria").hp, get(state, "Bram").hp) == (25, 14)
    assert not rng.faces


def test_saving_throw_condition_on_fail_and_immunity() -> None:
    state, rng = party_vs([("zombie", 1)], 15, 10, 1)
    state, r = saving_throw(state, "Zombie 1", "WIS", 13, rng.push(4), condition_on_fail="Paralyzed",
                            source="Hold Person", actor_id="aria")
    assert not r.outcomes[0].success and r.outcomes[0].condition == "Paralyzed"
    assert "Paralyzed" in get(state, "Zombie 1").conditions
    state, _ = add_condition(state, "Zombie 1", "Poisoned")
    assert "Poisoned" not in get(state, "Zombie 1").conditions  # immune
    state, _ = remove_condition(state, "Zombie 1", "paralyzed")
    assert get(state, "Zombie 1").conditions == []
    # No damage on a success when the spell says so.
    state, r = saving_throw(state, "Zombie 1", "CON", 5, rng.push(6, 19), damage="1d8", half_on_success=False)
    assert r.outcomes[0].success and r.outcomes[0].damage == 0 and get(state, "Zombie 1").hp == 22


def test_heal_wakes_the_dying_and_caps_at_maximum() -> None:
    state, rng = party_vs([("goblin", 1)], 15, 10, 12)
    state = down(state, "Bram", death_saves=DeathSaves(successes=1, failures=2))
    state, h = heal(state, "Bram", "2d4+2", rng.push(3, 4), source="Potion of Healing")
    assert (h.healed, h.hp, h.revived) == (9, 9, True)
    bram_now = get(state, "Bram")
    assert "Unconscious" not in bram_now.conditions and bram_now.death_saves.failures == 0
    state, h = heal(state, "Bram", 100)
    assert h.hp == 21 and h.healed == 12
    with pytest.raises(RulesError, match="turn"):
        heal(state, "Bram", 1, actor_id="bram")
    state = down(state, "Aria", dead=True, defeated=True)
    with pytest.raises(RulesError, match="dead"):
        heal(state, "Aria", 5)


# ------------------------------------------------------------------------------------------ turns and refusals


def test_refusals() -> None:
    state, rng = party_vs([("goblin", 1), ("orc", 1)], 15, 10, 12, 5)
    with pytest.raises(RulesError, match="It's Aria's turn, not Bram's"):
        attack(state, "bram", "Goblin 1", "Rapier", rng)
    with pytest.raises(RulesError, match=r"no 'dragon' in this fight\. Targets: Aria, Goblin 1, Bram, Orc 1"):
        attack(state, "aria", "dragon", "Longsword", rng)
    with pytest.raises(RulesError, match=r"doesn't carry a Greataxe \(weapons: Longsword, Dagger, Shortbow\)"):
        attack(state, "aria", "Goblin 1", "Greataxe", rng)
    with pytest.raises(RulesError, match="not a weapon"):
        attack(state, "aria", "Goblin 1", "Shield", rng)
    with pytest.raises(RulesError, match="themselves"):
        attack(state, "aria", "Aria", "Longsword", rng)
    with pytest.raises(RulesError, match="It's Aria's turn"):
        end_turn(state, "goblin-1")
    with pytest.raises(RulesError, match="isn't dying"):
        death_save(state, "aria", rng)
    with pytest.raises(RulesError, match="no one with the id|No one with the id"):
        attack(state, "nobody", "Goblin 1", None, rng)
    state, _ = end_turn(state)
    with pytest.raises(RulesError, match="no action 'Bite'"):
        attack(state, "goblin-1", "Aria", "Bite", rng)
    state, _ = add_condition(state, "Goblin 1", "Stunned")
    with pytest.raises(RulesError, match="can't take actions"):
        attack(state, "goblin-1", "Aria", None, rng)
    with pytest.raises(RulesError, match="monster"):
        death_save(state, "goblin-1", rng)
    assert not rng.faces  # nothing was rolled for a refused action


def test_dragon_breath_is_not_an_attack_roll() -> None:
    rng = Script(10, 2)
    dragon = monster_combatants(block("adult-red-dragon"))[0]
    state, _ = roll_initiative([dragon, Combatant.from_character(aria())], rng)
    with pytest.raises(RulesError, match=r"not an attack roll \(DC 21 DEX save\)"):
        attack(state, dragon.id, "Aria", "Fire Breath", rng)


def test_ambiguous_and_forgiving_target_names() -> None:
    state, _ = party_vs([("goblin", 2)], 15, 10, 12, 1)
    with pytest.raises(RulesError, match="Which one\\? Goblin 1, Goblin 2"):
        find_combatant(state, "goblin")
    assert find_combatant(state, "GOBLIN 2").name == "Goblin 2"
    assert find_combatant(state, "goblin-1").name == "Goblin 1"
    assert find_combatant(state, "br").name == "Bram"


def test_skip_now_and_skip_next() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)  # Aria, Goblin 1, Bram
    state, t = skip(state, "aria")
    assert t.current == "Goblin 1" and t.skipped == ["Aria"]
    state, t = skip(state, "bram")  # not Bram's turn: his next turn will be passed over
    assert t.current == "Goblin 1" and get(state, "Bram").skip_next
    state, t = end_turn(state)
    assert t.current == "Aria" and t.round == 2 and t.skipped == ["Bram"]
    assert not get(state, "Bram").skip_next
    assert [e.kind for e in state.log].count("skip") == 2


def test_no_fight() -> None:
    with pytest.raises(RulesError, match="no fight"):
        current_actor(CombatState())
    with pytest.raises(RulesError, match="at least one"):
        roll_initiative([])
    with pytest.raises(RulesError, match="Two combatants are named"):
        roll_initiative([Combatant.from_character(aria()), Combatant.from_character(aria(), id="aria-2")])
    with pytest.raises(RulesError, match="between 1 and"):
        add_monsters(CombatState(), block("goblin"), 0)


def test_random_fights_keep_their_invariants() -> None:
    monsters = [block(i) for i in ("goblin", "orc", "skeleton", "zombie", "wolf")]
    for seed in range(40):
        rng = random.Random(seed)
        state, _ = roll_initiative([Combatant.from_character(aria()), Combatant.from_character(bram())], rng)
        state, _ = add_monsters(state, monsters[seed % 5], 1 + seed % 3, rng)
        rounds = state.round
        for _ in range(200):
            if outcome(state) != "ongoing":
                break
            actor = current_actor(state)
            assert not actor.dead and not actor.defeated
            if actor.dying:
                state, _ = death_save(state, actor.id, rng)
            elif actor.hp > 0 and "Unconscious" not in actor.conditions:
                foes = [c for c in state.combatants if c.kind != actor.kind and not c.dead]
                state, _ = attack(state, actor.id, rng.choice(foes).id, None, rng)
            state, _ = end_turn(state)
            assert state.round >= rounds
            rounds = state.round
            assert 0 <= state.current < len(state.combatants)
            for c in state.combatants:
                assert 0 <= c.hp <= c.max_hp
                assert c.kind == "character" or not c.defeated
            assert all(c.defeated and c.hp == 0 for c in state.defeated)
        s = summary(state)
        assert sum(s.damage_dealt.values()) == sum(s.damage_taken.values())


# ------------------------------------------------------------------------------------------ multiattack


def monster_vs_aria(index: str, *faces: int, aria_hp: int | None = None) -> tuple[CombatState, Script, str]:
    """The monster (initiative face first, set high) against Aria (second face, low): the monster acts first."""
    rng = Script(*faces)
    foe = monster_combatants(block(index))[0]
    hero = aria() if aria_hp is None else aria().model_copy(update={"hp": aria_hp})
    state, _ = roll_initiative([foe, Combatant.from_character(hero)], rng)
    assert current_actor(state).id == foe.id
    return state, rng, foe.id


def test_multiattack_makes_each_attack_its_stat_block_lists() -> None:
    state, rng, owlbear = monster_vs_aria("owlbear", 15, 2)
    # Beak: 15+7 = 22 hits AC 18 for 1d10+5 = 10; Claws: 12+7 = 19 hits for 2d8+5 = 3+3+5 = 11.
    state, r = multiattack(state, owlbear, "Aria", rng.push(15, 5, 12, 3, 3))
    assert [a.weapon for a in r.attacks] == ["Beak", "Claws"] and r.read
    assert [a.damage for a in r.attacks] == [10, 11] and get(state, "Aria").hp == 28 - 21
    assert "Multiattack on Aria: 1 × Beak, 1 × Claws" in r.text and not rng.faces


def test_multiattack_stops_when_the_target_drops() -> None:
    state, rng, owlbear = monster_vs_aria("owlbear", 15, 2, aria_hp=5)
    state, r = multiattack(state, owlbear, "Aria", rng.push(15, 5))  # the beak drops her; no claws roll
    assert len(r.attacks) == 1 and r.attacks[0].fell
    assert "1 attack left unused" in r.text and not rng.faces
    assert get(state, "Aria").hp == 0 and get(state, "Aria").death_saves.failures == 0


def test_multiattack_options_dice_counts_and_monsters_without_one() -> None:
    state, rng, captain = monster_vs_aria("bandit-captain", 15, 2)
    state, r = multiattack(state, captain, "Aria", rng.push(1, 1), option=2)  # two dagger attacks, both miss
    assert [a.weapon for a in r.attacks] == ["Dagger", "Dagger"] and not any(a.hit for a in r.attacks)
    assert "Options: 1) 2 × Scimitar, 1 × Dagger; 2) 2 × Dagger" in r.text
    with pytest.raises(RulesError, match=r"has 2 options: 1\) 2 × Scimitar, 1 × Dagger; 2\) 2 × Dagger"):
        multiattack(state, captain, "Aria", rng, option=3)

    state, rng, fungus = monster_vs_aria("violet-fungus", 20, 2)
    state, r = multiattack(state, fungus, "Aria", rng.push(2, 1, 1))  # 1d4 = 2 Rotting Touch attacks
    assert [a.weapon for a in r.attacks] == ["Rotting Touch"] * 2 and not rng.faces

    state, rng, goblin = monster_vs_aria("goblin", 20, 2)
    state, r = multiattack(state, goblin, "Aria", rng.push(1))  # no Multiattack: its first attack, once
    assert [a.weapon for a in r.attacks] == ["Scimitar"] and r.read and "Multiattack" not in r.text
    with pytest.raises(RulesError, match="no Multiattack options"):
        multiattack(state, goblin, "Aria", rng, option=2)


def test_a_multiattack_that_cant_be_read_makes_one_attack_and_says_so() -> None:
    state, rng, hydra = monster_vs_aria("hydra", 20, 2)  # "as many bite attacks as it has heads"
    state, r = multiattack(state, hydra, "Aria", rng.push(1))
    assert len(r.attacks) == 1 and not r.read
    assert "couldn't read Hydra" in r.text and "one attack with its Bite" in r.text
    with pytest.raises(RulesError, match="only monsters"):
        multiattack(state.model_copy(update={"current": 1}), "aria", "Hydra", rng)


# ------------------------------------------------------------------------------------------ spells in a fight

WIZARD = {"STR": 8, "DEX": 14, "CON": 12, "INT": 16, "WIS": 12, "CHA": 10}


def wren(hp: int | None = None) -> Character:
    """Wizard 3: 17 HP, AC 12, spell attack +5, spell save DC 13; initiative +2."""
    w = pc("Wren", "Wizard", WIZARD, [], level=3)
    return w if hp is None else w.model_copy(update={"hp": hp})


def spell(name: str, caster: Character | None = None) -> CastResult:
    return cast_spell(caster or wren(), name, check_known=False)[1]


def wren_vs(monsters: list[tuple[str, int]], *faces: int, hp: int | None = None) -> tuple[CombatState, Script]:
    """Wren rolls initiative (first face), then each monster (one face each)."""
    rng = Script(*faces)
    state, _ = roll_initiative([Combatant.from_character(wren(hp))], rng)
    for index, count in monsters:
        state, _ = add_monsters(state, block(index), count, rng)
    return state, rng


def test_spell_attack_uses_the_spell_attack_bonus_and_a_critical_doubles_the_dice() -> None:
    state, rng = wren_vs([("goblin", 2)], 18, 5, 3)  # Wren 20, Goblin 1 7, Goblin 2 5
    fire_bolt = spell("Fire Bolt")
    state, r = cast(state, "wren", fire_bolt, ["Goblin 1"], rng.push(10, 6))  # 10+5 = 15 hits AC 15; 1d10 = 6
    assert r.kind == "attack" and r.attack is not None and r.attack.hit and r.attack.attack_bonus == 5
    assert r.attack.damage == 6 and get(state, "Goblin 1").hp == 1
    assert "Fire Bolt attack on Goblin 1" in r.text and state.log[-3].kind == "cast"
    for _ in range(3):
        state, _ = end_turn(state)
    state, r = cast(state, "wren", fire_bolt, ["Goblin 2"], rng.push(9))  # 9+5 = 14 misses AC 15
    assert r.attack is not None and not r.attack.hit and get(state, "Goblin 2").hp == 7
    for _ in range(3):
        state, _ = end_turn(state)
    state, r = cast(state, "wren", fire_bolt, ["Goblin 2"], rng.push(20, 3, 4))  # critical: 2d10 = 3+4
    assert r.attack is not None and r.attack.critical and r.attack.damage == 7
    assert "Goblin 2" in [c.name for c in state.defeated] and not rng.faces


def test_save_for_half_spell_against_two_monsters() -> None:
    state, rng = wren_vs([("goblin", 2)], 18, 5, 3)
    # Burning Hands: 3d6 = 12 rolled once; Goblin 1 saves (11+2 = 13 vs DC 13): 6; Goblin 2 fails (10+2): 12.
    state, r = cast(state, "wren", spell("Burning Hands"), ["Goblin 1", "goblin 2"], rng.push(4, 4, 4, 11, 10))
    assert r.kind == "save" and r.save is not None and (r.save.ability, r.save.dc) == ("DEX", 13)
    assert [(o.target, o.success, o.damage) for o in r.save.outcomes] == [("Goblin 1", True, 6),
                                                                           ("Goblin 2", False, 12)]
    assert get(state, "Goblin 1").hp == 1 and names(state) == ["Wren", "Goblin 1"] and not rng.faces
    # A spell that does nothing on a success: Sacred Flame (DEX, no damage on a save).
    for _ in range(2):
        state, _ = end_turn(state)
    state, r = cast(state, "wren", spell("Sacred Flame"), ["Goblin 1"], rng.push(5, 15))
    assert r.save is not None and r.save.outcomes[0].success and r.save.outcomes[0].damage == 0
    assert get(state, "Goblin 1").hp == 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_save_for_half_damage_always_matches_the_save(seed: int) -> None:
    rng = random.Random(seed)
    state, _ = roll_initiative([Combatant.from_character(wren())], rng)
    state, _ = add_monsters(state, block("orc"), 2, rng)  # 15 HP each, DEX save +1
    while current_actor(state).id != "wren":
        state, _ = end_turn(state)
    state, r = cast(state, "wren", spell("Burning Hands"), ["Orc 1", "Orc 2"], rng)
    assert r.save is not None and r.save.damage_roll is not None
    full = r.save.damage_roll.total
    for outcome_ in r.save.outcomes:
        assert outcome_.roll is not None and outcome_.success == (outcome_.roll.total >= 13)
        assert outcome_.damage == (full // 2 if outcome_.success else full)
        assert get(state, outcome_.target).hp == max(0, 15 - outcome_.damage)


def test_healing_and_always_hitting_spells() -> None:
    state, rng = wren_vs([("goblin", 1)], 18, 5, hp=5)
    state, r = cast(state, "wren", spell("Cure Wounds"), [], rng.push(6))  # no target: the caster; 1d8+3
    assert r.kind == "heal" and r.heal is not None and r.heal.healed == 9 and get(state, "Wren").hp == 14
    for _ in range(2):
        state, _ = end_turn(state)
    # Magic Missile: 3d4+3 with no attack roll and no save (the script holds only the three d4 faces).
    state, r = cast(state, "wren", spell("Magic Missile"), [], rng.push(1, 2, 3))  # the only foe standing
    assert r.kind == "damage" and r.damage == 9 and r.targets == ["Goblin 1"] and not rng.faces
    assert outcome(state) == "victory"
    state, r = cast(state, "wren", spell("Shield"), [], rng)
    assert r.kind == "other" and "narrates" in r.text


def test_a_saving_throw_spell_without_damage_rolls_the_saves_and_leaves_the_effect_to_the_dm() -> None:
    state, rng = wren_vs([("goblin", 2)], 18, 5, 3)
    state, r = cast(state, "wren", spell("Hold Person"), ["Goblin 1", "Goblin 2"], rng.push(2, 19))  # WIS -1
    assert r.save is not None and [o.success for o in r.save.outcomes] == [False, True]
    assert "takes hold of those who failed" in r.text and all(c.hp == c.max_hp for c in state.combatants)


def test_spell_refusals_roll_nothing() -> None:
    state, rng = wren_vs([("goblin", 2)], 18, 5, 3)
    fire_bolt = spell("Fire Bolt")
    with pytest.raises(RulesError, match="one target"):
        cast(state, "wren", fire_bolt, ["Goblin 1", "Goblin 2"], rng)
    with pytest.raises(RulesError, match="There is no 'dragon' in this fight"):
        cast(state, "wren", fire_bolt, ["dragon"], rng)
    with pytest.raises(RulesError, match="Name the target of Fire Bolt: Goblin 1, Goblin 2"):
        cast(state, "wren", fire_bolt, [], rng)
    with pytest.raises(RulesError, match="named twice"):
        cast(state, "wren", spell("Burning Hands"), ["Goblin 1", "goblin 1"], rng)
    paralyzed, _ = add_condition(state, "Wren", "Paralyzed")
    with pytest.raises(RulesError, match="can't cast spells right now"):
        cast(paralyzed, "wren", fire_bolt, ["Goblin 1"], rng)
    state, _ = end_turn(state)
    with pytest.raises(RulesError, match="It's Goblin 1's turn, not Wren's"):
        cast(state, "wren", fire_bolt, ["Goblin 1"], rng)
    assert not rng.faces and all(c.hp == c.max_hp for c in state.combatants)


def test_a_sheet_changed_by_the_owner_updates_the_combatant() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state = update_from_sheet(state, "bram", set_hp(bram(), 0))
    bram_now = get(state, "Bram")
    assert bram_now.hp == 0 and bram_now.dying and "Unconscious" in bram_now.conditions
    assert bram_now.initiative == 13 and names(state) == ["Aria", "Goblin 1", "Bram"]
    state = update_from_sheet(state, "bram", set_hp(bram().model_copy(update={"conditions": ["Poisoned"]}), 9))
    assert (get(state, "Bram").hp, get(state, "Bram").conditions) == (9, ["Poisoned"])
    with pytest.raises(RulesError, match="not a character"):
        update_from_sheet(state, "goblin-1", bram())


# ------------------------------------------------------------------------------------------ save riders (issue 13)


def spider_fight(*faces: int) -> tuple[CombatState, Script]:
    """Aria (init 20+1) and Bram (1+3) against a Giant Spider (init 2+3): Aria, the spider, Bram."""
    state, rng = party_vs([("giant-spider", 1)], 20, 1, 2, *faces)
    state, _ = end_turn(state, "aria")
    return state, rng


def test_giant_spider_bite_poison_on_a_failed_con_save() -> None:
    state, rng = spider_fight()
    # Bite: 15+5 = 20 vs AC 18; 1d8+3 = 4+3 piercing. The poison: 2d8 = 5+6, rolled by the engine;
    # Aria's CON save (Fighter: proficient, +2 CON +2) 3+4 = 7 vs DC 11: fails, takes all 11.
    state, r = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(15, 4, 5, 6, 3))
    assert (r.hit, r.damage) == (True, 7)
    assert r.rider is not None and r.rider.dc == 11 and r.rider.ability == "CON"
    assert r.rider.outcomes[0].success is False and r.rider.outcomes[0].damage == 11
    assert r.target_hp == get(state, "Aria").hp == 28 - 7 - 11
    assert "poison" in r.text.casefold() and "DC 11" in r.text


def test_giant_spider_poison_is_halved_on_a_successful_save() -> None:
    state, rng = spider_fight()
    state, r = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(15, 4, 5, 6, 12))  # 12+4 = 16: saves
    assert r.rider is not None and r.rider.outcomes[0].success and r.rider.outcomes[0].damage == 5
    assert get(state, "Aria").hp == 28 - 7 - 5


def test_no_rider_on_a_miss_and_a_rider_only_attack_still_saves() -> None:
    state, rng = spider_fight()
    state, r = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(2))  # 2+5 = 7: a miss, no save
    assert not r.hit and r.rider is None and get(state, "Aria").hp == 28
    # The Guardian Naga's Spit Poison deals nothing itself: the hit is the save.
    state, rng = party_vs([("guardian-naga", 1)], 20, 1, 2)
    state, _ = end_turn(state, "aria")
    state, r = attack(state, "guardian-naga-1", "Bram", "Spit Poison", rng.push(18, *[1] * 10, 2))
    assert r.hit and r.rider is not None and r.rider.outcomes[0].damage == 10
    assert get(state, "Bram").hp == 21 - 10


def test_rider_damage_counts_as_dealt_and_taken_in_the_fights_summary() -> None:
    state, rng = spider_fight()
    # Bite 4+3 = 7 piercing, then the poison 5+6 = 11 on a failed save (3+4 = 7 vs DC 11): 18 in all.
    state, _ = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(15, 4, 5, 6, 3))
    s = summary(state)
    assert s.damage_dealt["Giant Spider 1"] == 18 and s.damage_taken["Aria"] == 18
    assert "Giant Spider 1: dealt 18" in s.text


def test_giant_spider_poison_that_drops_a_character_leaves_it_stable_but_poisoned_and_paralyzed() -> None:
    state, rng = spider_fight()
    state = update_from_sheet(state, "aria", set_hp(aria(), 10))
    # Bite 7 (4+3) -> 3 HP; the save fails (3+4 = 7) and the poison (5+6 = 11) drops her to 0.
    state, r = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(15, 4, 5, 6, 3))
    aria_now = get(state, "Aria")
    assert r.fell and aria_now.hp == 0 and aria_now.stable and not aria_now.dead
    assert {"Poisoned", "Paralyzed", "Unconscious"} <= set(aria_now.conditions)
    assert aria_now.death_saves == DeathSaves()
    # A bite that drops her by itself is not the poison's doing: dying, not stable.
    state, rng = spider_fight()
    state = update_from_sheet(state, "aria", set_hp(aria(), 5))
    state, r = attack(state, "giant-spider-1", "Aria", "Bite", rng.push(15, 4, 5, 6, 3))
    assert get(state, "Aria").hp == 0 and not get(state, "Aria").stable


def test_a_brass_dragons_breaths_share_one_recharge() -> None:
    from dnd.combat.abilities import is_charged, start_monster_turn, use_area_action

    state, _ = party_vs([("adult-brass-dragon", 1)], 20, 1, 10)  # Aria, the dragon, Bram
    state, _ = end_turn(state, "aria")
    # Fire Breath (parsed from the Breath Weapons' options): 13d6 all 2s = 26, Aria's DEX save 2+1 fails.
    state, result = use_area_action(state, "adult-brass-dragon-1", "Fire Breath", ["Aria"], Script(*[2] * 13, 2))
    assert [(o.target, o.success, o.damage) for o in result.outcomes] == [("Aria", False, 26)]
    dragon = get(state, "Adult Brass Dragon 1")
    sleep = dragon.monster.find_action("Sleep Breath")
    assert dragon.spent == ["Breath Weapons"] and not is_charged(dragon, sleep)
    with pytest.raises(RulesError, match="isn't charged"):
        use_area_action(state, "adult-brass-dragon-1", "Fire Breath", ["Bram"], Script())
    state, _ = start_monster_turn(state.model_copy(update={"current": state.combatants.index(dragon)}), Script(5))
    dragon = get(state, "Adult Brass Dragon 1")
    assert dragon.spent == [] and is_charged(dragon, sleep)
