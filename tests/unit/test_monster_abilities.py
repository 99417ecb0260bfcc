"""A monster's limited abilities and the DM's policy over whole fights (dnd.combat.abilities, dnd.tactics):
recharge (Fire Breath only when charged, never twice in a turn), uses per fight, area actions chosen when they
catch more targets (each target saves, half on a success), legendary actions between other creatures' turns,
legendary resistance, and fights played to the end by the policy on both sides (seeded, hypothesis)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnd.combat import CombatState, add_monsters, current_actor, outcome, roll_initiative, saving_throw
from dnd.combat.abilities import is_charged, start_monster_turn, use_area_action, use_legendary_action
from dnd.combat.state import replace_combatant
from dnd.errors import RulesError
from dnd.monsters import Combatant
from dnd.render.discord import combat_lines
from dnd.tactics import area_capacity, legal_actions, plan_legendary, plan_turn, play_fight, play_turn, resolve
from tests.unit.test_combat import Script, aria, block, bram, get, pc


def turn_of(state: CombatState, name: str) -> CombatState:
    index = next(i for i, c in enumerate(state.combatants) if c.name == name)
    return state.model_copy(update={"current": index})


def dragon_fight(*faces: int) -> tuple[CombatState, Script]:
    """Aria and Bram and a third hero, Cora, against an Adult Red Dragon; it is the dragon's turn."""
    cora = pc("Cora", "Fighter", {"STR": 14, "DEX": 14, "CON": 14, "INT": 10, "WIS": 10, "CHA": 10}, [])
    state, _ = roll_initiative([Combatant.from_character(c) for c in (aria(), bram(), cora)], Script(15, 10, 5))
    state, _ = add_monsters(state, block("adult-red-dragon"), 1, Script(12))
    return turn_of(state, "Adult Red Dragon 1"), Script(*faces)


def test_the_stat_block_reads_recharge_uses_area_and_legendary_parts() -> None:
    dragon = block("adult-red-dragon")
    breath = dragon.find_action("Fire Breath")
    assert (breath.recharge, breath.is_area, breath.half_on_success, breath.dc) == (5, True, True, 21)
    assert area_capacity(breath) == 4  # a 60-foot cone
    assert [(a.name, a.cost) for a in dragon.legendary_actions] == [
        ("Detect", 1), ("Tail Attack", 1), ("Wing Attack (Costs 2 Actions)", 2)]
    assert dragon.legendary_resistance == 3
    assert not dragon.find_action("Bite").is_area and not dragon.find_action("Frightful Presence").is_area


def test_fire_breath_is_chosen_when_it_catches_more_and_each_target_saves_for_half() -> None:
    state, _ = dragon_fight()
    plan = plan_turn(state, "adult-red-dragon-1", random.Random(3))
    assert plan.kind == "area" and plan.action == "Fire Breath" and len(plan.target_ids) == 3
    # 18d6 rolled once (all 3s: 54), then each hero's DEX save: Aria fails (5+1), Bram succeeds (19+3), Cora fails.
    rng = Script(*([3] * 18), 5, 19, 2)
    state, result = resolve(state, plan, rng)
    assert [(o.target, o.success, o.damage) for o in result.outcomes] == [
        ("Aria", False, 54), ("Bram", True, 27), ("Cora", False, 54)]
    assert "uses **Fire Breath**" in result.text and not rng.faces
    dragon = get(state, "Adult Red Dragon 1")
    assert dragon.spent == ["Fire Breath"] and not is_charged(dragon, dragon.monster.find_action("Fire Breath"))


def test_fire_breath_never_twice_in_a_turn_and_back_only_on_a_recharge_roll() -> None:
    state, _ = dragon_fight()
    state, _ = use_area_action(state, "adult-red-dragon-1", "Fire Breath", ["Aria"], Script(*([1] * 18), 20))
    with pytest.raises(RulesError, match="isn't charged"):
        use_area_action(state, "adult-red-dragon-1", "Fire Breath", ["Bram"], Script())
    assert plan_turn(state, "adult-red-dragon-1", random.Random(1)).kind == "multiattack"
    assert "area:Fire Breath" not in {p.id for p in legal_actions(state, "adult-red-dragon-1")}
    state, told = start_monster_turn(state, Script(4))  # next turn: a 4 doesn't recharge it
    assert get(state, "Adult Red Dragon 1").spent == ["Fire Breath"] and "not charged yet" in combat_lines(told)[-1]
    state, _ = start_monster_turn(state, Script(5))  # a 5 does
    assert get(state, "Adult Red Dragon 1").spent == []


def test_an_area_that_catches_one_target_is_not_worth_the_breath() -> None:
    state, _ = dragon_fight()
    for name in ("Bram", "Cora"):
        state = replace_combatant(state, get(state, name).model_copy(update={"hp": 0, "conditions": ["Unconscious"]}))
    assert plan_turn(state, "adult-red-dragon-1", random.Random(1)).kind == "multiattack"


def test_legendary_actions_come_between_other_turns_and_three_a_round() -> None:
    state, _ = dragon_fight()
    with pytest.raises(RulesError, match="another creature's turn"):
        use_legendary_action(state, "adult-red-dragon-1", "Tail Attack", ["Aria"], Script())
    state = turn_of(state, "Aria")
    plan = plan_legendary(state, "adult-red-dragon-1", random.Random(1))
    assert plan is not None and plan.kind == "legendary"
    state, result = resolve(state, plan, Script(*([1] * 10)))
    dragon = get(state, "Adult Red Dragon 1")
    assert current_actor(state).name == "Aria"  # the turn stays Aria's
    assert dragon.legendary_left == 3 - (2 if "Wing" in plan.action else 1) and "legendary action" in result.text
    state = state.model_copy(update={"combatants": [c.model_copy(update={"legendary_left": 0})
                                                    if c.kind == "monster" else c for c in state.combatants]})
    assert plan_legendary(state, "adult-red-dragon-1", random.Random(1)) is None
    state, _ = start_monster_turn(turn_of(state, "Adult Red Dragon 1"))
    assert get(state, "Adult Red Dragon 1").legendary_left == 3


def test_a_legendary_area_actions_damage_is_the_dragons_in_the_fights_summary() -> None:
    from dnd.combat import summary

    state, _ = dragon_fight()
    state = turn_of(state, "Aria")
    # Wing Attack out of the dragon's turn: 2d6+8 (1+1+8 = 10), Aria's DEX save a natural 1 fails.
    state, result = use_legendary_action(state, "adult-red-dragon-1", "Wing Attack (Costs 2 Actions)", ["Aria"],
                                         Script(1, 1, 1))
    assert result.outcomes[0].damage == 10
    s = summary(state)
    assert s.damage_dealt["Adult Red Dragon 1"] == 10 and s.damage_taken["Aria"] == 10


def test_legendary_resistance_turns_three_failed_saves_into_successes() -> None:
    state, _ = dragon_fight()
    state = turn_of(state, "Aria")
    for left in (2, 1, 0):
        state, result = saving_throw(state, "Adult Red Dragon 1", "CON", 30, Script(2))
        assert result.outcomes[0].success and f"({left} left)" in result.text
    state, result = saving_throw(state, "Adult Red Dragon 1", "CON", 30, Script(2))
    assert not result.outcomes[0].success


def test_a_per_day_ability_is_spent_for_the_fight() -> None:
    from dnd.monsters import MonsterBlock
    from tests.srd_paths import srd_monsters

    raw = next(m for m in srd_monsters().values()
               if any((a.get("usage") or {}).get("type") == "per day" for a in m.get("actions") or []))
    limited = next(a for a in MonsterBlock.from_srd(raw).actions if a.per_fight)
    monster = Combatant.from_monster(MonsterBlock.from_srd(raw))
    assert is_charged(monster, limited)
    spent = monster.model_copy(update={"used": {limited.name: limited.per_fight}})
    assert not is_charged(spent, limited)


# --------------------------------------------------------------------------- whole fights, by the policy


def brawl(seed: int, goblins: int = 4) -> CombatState:
    rng = random.Random(seed)
    heroes = [Combatant.from_character(aria()), Combatant.from_character(bram())]
    state, _ = roll_initiative(heroes, rng)
    state, _ = add_monsters(state, block("goblin"), goblins, rng)
    state, _ = add_monsters(state, block("bugbear"), 1, rng)
    return state


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_policy_fights_never_target_the_dead_and_make_multiattacks_in_full(seed: int) -> None:
    rng = random.Random(seed)
    state = brawl(seed)
    for _ in range(300):
        if outcome(state) != "ongoing" or not state.combatants:
            break
        actor = current_actor(state)
        dead = {c.id for c in [*state.combatants, *state.defeated] if c.dead or (c.kind == "monster" and c.defeated)}
        before = len(state.log)
        state = play_turn(state, rng)
        attacks = [e for e in state.log[before:] if e.kind == "attack" and e.actor_id == actor.id]
        assert not {e.target_id for e in attacks} & dead
        if actor.kind == "monster" and actor.monster and actor.monster.multiattack and attacks:
            wanted = sum(int(s.count) for s in actor.monster.multiattack[0].steps)
            target = attacks[0].target_id
            down = any(e.kind in ("fell", "dead") and e.target_id == target for e in state.log[before:])
            assert len(attacks) == wanted or down
    assert outcome(state) != "ongoing"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_the_dragon_breathes_exactly_when_charged(seed: int) -> None:
    """Turn after turn of the dragon (the heroes healed each time): it breathes on each turn that starts with
    Fire Breath charged (the recharge roll included), never on another, never twice in one."""
    rng = random.Random(seed)
    fresh, _ = dragon_fight()
    state = fresh
    for _ in range(20):
        state, _ = start_monster_turn(state, rng)
        charged = "Fire Breath" not in get(state, "Adult Red Dragon 1").spent
        plan = plan_turn(state, "adult-red-dragon-1", rng)
        assert (plan.kind == "area") == charged
        state, _ = resolve(state, plan, rng)
        assert "Fire Breath" in get(state, "Adult Red Dragon 1").spent
        assert plan_turn(state, "adult-red-dragon-1", rng).kind != "area"  # not twice in the turn
        state = state.model_copy(update={"combatants": [
            f if f.kind == "character" else c for f, c in zip(fresh.combatants, state.combatants, strict=True)]})


def test_a_fight_played_by_the_policy_is_deterministic_for_a_seed() -> None:
    ends = {play_fight(brawl(42), random.Random(42)).model_dump_json() for _ in range(3)}
    assert len(ends) == 1
    assert outcome(play_fight(brawl(42), random.Random(42))) in ("victory", "defeat")


# --------------------------------------------------------------------------- the treasure of a fight


def test_the_defeated_leave_treasure_a_boss_a_hoard_and_those_who_fled_nothing() -> None:
    from dnd.combat.rewards import fight_treasure

    state, _ = party_of_three_against(("goblin", 2), ("adult-red-dragon", 1))
    down = [c.model_copy(update={"hp": 0, "defeated": True}) for c in state.combatants
            if c.name in ("Goblin 1", "Adult Red Dragon 1")]
    fled = [c.model_copy(update={"defeated": True}) for c in state.combatants if c.name == "Goblin 2"]
    ended = state.model_copy(update={"combatants": [c for c in state.combatants if c.kind == "character"],
                                     "defeated": [*down, *fled]})
    treasure = fight_treasure(ended, random.Random(5))
    assert [line.split(":")[0] for line in treasure.lines] == ["Goblin 1", "Adult Red Dragon 1"]
    assert treasure.coins.gp >= 12_000  # only a hoard holds this much: CR 17, 12d6 × 1,000 gp at least
    assert fight_treasure(ended, random.Random(5)) == treasure  # deterministic for a seed
    only_fled = ended.model_copy(update={"defeated": fled})
    assert fight_treasure(only_fled, random.Random(5)).lines == []


def party_of_three_against(*groups: tuple[str, int]) -> tuple[CombatState, Script]:
    state, rng = dragon_fight()
    state = state.model_copy(update={"combatants": [c for c in state.combatants if c.kind == "character"]})
    for index, count in groups:
        state, _ = add_monsters(state, block(index), count, random.Random(1))
    return state, rng


def test_the_lichs_cantrip_legendary_action_casts_ray_of_frost_out_of_its_turn() -> None:
    state, _ = roll_initiative([Combatant.from_character(c) for c in (aria(), bram())], Script(15, 10))
    state, _ = add_monsters(state, block("lich"), 1, Script(1))
    state = turn_of(state, "Aria")
    with pytest.raises(RulesError, match="name one"):  # the action casts a cantrip: which one
        use_legendary_action(state, "lich-1", "Cantrip", ["Aria"], Script())
    with pytest.raises(RulesError, match="name one"):  # a cantrip, not a levelled spell
        use_legendary_action(state, "lich-1", "Cantrip", ["Aria"], Script(), spell="Fireball")
    plan = plan_legendary(state, "lich-1", random.Random(1))
    assert plan is not None and (plan.action, plan.spell, plan.target_ids) == ("Cantrip", "Ray of Frost", ("aria",))
    state, result = resolve(state, plan, Script(8, 3, 6, 8, 2))  # 8 + 12 hits AC 18; 4d8 at caster level 18
    lines = " ".join(combat_lines(result.told))
    assert "Cantrip" in lines and "Ray of Frost" in lines and get(state, "Aria").hp == 28 - 19
    lich = get(state, "Lich 1")
    assert lich.legendary_left == 2 and lich.used == {} and current_actor(state).name == "Aria"
