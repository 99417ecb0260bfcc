"""The Dungeon Master's tactics for a monster's turn (dnd.tactics): the action, the target, fleeing, the menu
of legal actions a model may choose from, and the engine's `flee`."""

from __future__ import annotations

import random

import pytest

from dnd.combat import CombatState, add_monsters, attack, current_actor, flee, outcome, roll_initiative
from dnd.combat.concentration import concentrating_on
from dnd.combat.monster_spells import castable_spells
from dnd.combat.spells import cast_monster_spell
from dnd.combat.state import replace_combatant
from dnd.data.bestiary import entry
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock
from dnd.render.facts import combat_text
from dnd.tactics import (
    average_damage,
    best_attack,
    legal_actions,
    model_menu,
    plan_from_choice,
    plan_monster_turn,
    plan_turn,
    resolve,
    set_intent,
)
from tests.unit.test_combat import Script, aria, bram, get, party_vs


def hurt(state: CombatState, name: str, hp: int) -> CombatState:
    return replace_combatant(state, get(state, name).model_copy(update={"hp": hp}))


def turn_of(state: CombatState, name: str) -> CombatState:
    index = next(i for i, c in enumerate(state.combatants) if c.name == name)
    return state.model_copy(update={"current": index})


def test_average_damage_reads_dice_and_modifiers() -> None:
    state, _ = party_vs([("orc", 1)], 15, 10, 12)
    orc = get(state, "Orc 1")
    assert [average_damage(a) for a in orc.monster.actions] == [9.5, 6.5]  # 1d12+3, 1d6+3
    assert best_attack(orc).name == "Greataxe"


def test_a_goblin_attacks_the_most_wounded_with_its_best_attack() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state = turn_of(hurt(state, "Bram", 5), "Goblin 1")
    plan = plan_turn(state, "goblin-1", random.Random(1))
    assert (plan.kind, plan.action, plan.target_id) == ("attack", "Scimitar", "bram")
    assert plan.reason == "it goes for the most wounded"


def test_a_monster_turns_on_whoever_hurt_it_and_then_spreads_its_attacks() -> None:
    state, rng = party_vs([("orc", 1)], 15, 10, 5)  # Aria 16, Bram 13, Orc 1 6
    state, _ = attack(state, "aria", "orc", "Longsword", rng.push(11, 2))  # Aria hurts it
    state = turn_of(state, "Orc 1")
    plan = plan_turn(state, "orc-1", random.Random(1))
    assert plan.target_id == "aria" and plan.reason == "it turns on whoever hurt it last"
    # It attacked Aria; Aria hurts it again: this time it looks to the other hero.
    state, _ = attack(state, "orc-1", "Aria", "Greataxe", rng.push(2))  # a miss
    state = turn_of(state, "Aria")
    state, _ = attack(state, "aria", "orc", "Longsword", rng.push(11, 1))
    state = turn_of(state, "Orc 1")
    assert plan_turn(state, "orc-1", random.Random(1)).target_id == "bram"


def test_downed_characters_are_spared_unless_the_creature_is_cruel() -> None:
    state, _ = party_vs([("goblin", 1), ("zombie", 1)], 15, 10, 12, 3)
    state = hurt(state, "Bram", 0)
    assert {p.target_id for p in legal_actions(state, "goblin-1") if p.target_id} == {"aria"}
    assert {p.target_id for p in legal_actions(state, "zombie-1") if p.target_id} == {"aria", "bram"}


def test_a_multiattacker_uses_its_multiattack() -> None:
    state, _ = party_vs([("brown-bear", 1)], 15, 10, 12)
    plan = plan_turn(turn_of(state, "Brown Bear 1"), "brown-bear-1", random.Random(2))
    assert plan.kind == "multiattack" and plan.target_id in ("aria", "bram")


def test_a_badly_hurt_thinking_creature_flees_and_a_beast_fights_on() -> None:
    state, _ = party_vs([("goblin", 1), ("wolf", 1)], 15, 10, 12, 3)
    state = hurt(hurt(state, "Goblin 1", 1), "Wolf 1", 1)
    assert plan_turn(state, "goblin-1", random.Random(1)).kind == "flee"
    assert plan_turn(state, "wolf-1", random.Random(1)).kind == "attack"
    assert "flee" not in {p.id for p in legal_actions(state, "wolf-1")}


def test_the_engine_lets_a_monster_flee_and_the_next_turn_begins() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)  # Aria, Goblin 1, Bram
    state = turn_of(hurt(state, "Goblin 1", 1), "Goblin 1")
    state, result = flee(state, "goblin-1")
    assert [c.name for c in state.combatants] == ["Aria", "Bram"] and current_actor(state).name == "Bram"
    assert result.text.startswith("🏃 **Goblin 1** flees the fight (1/7 HP).")
    assert "**" not in combat_text(result) and "flees the fight" in combat_text(result)
    assert outcome(state) == "victory"


def test_a_models_choice_is_taken_only_from_the_menu() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state = turn_of(state, "Goblin 1")
    menu = {p.id for p in legal_actions(state, "goblin-1")}
    assert {"attack:Scimitar:aria", "attack:Shortbow:bram", "flee", "wait"} <= menu
    assert plan_from_choice(state, "goblin-1", "attack:Shortbow:bram", random.Random(1)).id == "attack:Shortbow:bram"
    invented = plan_from_choice(state, "goblin-1", "attack:Disintegrate:aria", random.Random(1))
    assert invented == plan_turn(state, "goblin-1", random.Random(1))


def test_the_model_is_offered_the_monsters_the_dm_plays_with_the_policys_choice_first() -> None:
    state, _ = party_vs([("goblin", 2)], 15, 10, 12, 9)
    owned = get(state, "Goblin 2").model_copy(update={"controller": "owner"})
    menu = model_menu(replace_combatant(state, owned), "auto")
    assert list(menu) == ["goblin-1"]  # the owner plays Goblin 2: no choice is offered for it
    choices = menu["goblin-1"]["choices"]
    assert choices[0]["id"] == plan_turn(state, "goblin-1", random.Random(0)).id
    assert {"id": "attack:Shortbow:bram", "does": "Shortbow at Bram"} in choices
    assert model_menu(state, "owner") == {}  # MONSTER_CONTROL=owner: the DM plays none


def test_a_choice_made_ahead_is_played_at_the_monsters_turn_and_spent() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    assert plan_turn(turn_of(state, "Goblin 1"), "goblin-1", random.Random(1)).action == "Scimitar"
    state = set_intent(state, "goblin-1", " attack:Shortbow:bram ", "vllm", "auto")
    state, played = plan_monster_turn(turn_of(state, "Goblin 1"), "goblin-1", random.Random(1))
    assert played.plan.id == "attack:Shortbow:bram" and played.plan.reason == "the DM's choice"
    assert (played.intent, played.intent_by, played.set_aside) == ("attack:Shortbow:bram", "vllm", None)
    assert get(state, "Goblin 1").intent is None  # the next turn is the policy's again
    assert plan_monster_turn(state, "goblin-1", random.Random(1))[1].intent is None


def test_a_choice_no_longer_legal_at_the_turn_gives_way_to_the_policy() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    state = set_intent(state, "goblin-1", "attack:Scimitar:bram", "vllm", "auto")
    state = turn_of(hurt(state, "Bram", 0), "Goblin 1")  # Bram fell before the goblin's turn
    state, played = plan_monster_turn(state, "goblin-1", random.Random(1))
    assert played.plan.target_id == "aria" and played.plan.reason != "the DM's choice"
    assert played.set_aside is not None and "no longer legal" in played.set_aside
    assert get(state, "Goblin 1").intent is None


def test_a_choice_the_engine_does_not_offer_is_refused_and_changes_nothing() -> None:
    state, _ = party_vs([("goblin", 1)], 15, 10, 12)
    owned = replace_combatant(state, get(state, "Goblin 1").model_copy(update={"controller": "owner"}))
    for on, monster, choice, reason in (
            (state, "goblin-1", "attack:Disintegrate:aria", "not one of the actions"),
            (state, "goblin-9", "wait", "no monster 'goblin-9'"),
            (state, "aria", "wait", "no monster 'aria'"),
            (owned, "goblin-1", "wait", "played by the owner")):
        with pytest.raises(RulesError, match=reason):
            set_intent(on, monster, choice, "vllm", "auto")
    assert get(state, "Goblin 1").intent is None


def test_the_plan_is_deterministic_for_a_seed() -> None:
    state, _ = party_vs([("goblin", 2)], 15, 10, 12, 9)
    state = turn_of(state, "Goblin 1")
    plans = {plan_turn(state, "goblin-1", random.Random(7)) for _ in range(5)}
    assert len(plans) == 1


def test_a_fight_earns_the_defeated_monsters_xp_split_among_the_survivors() -> None:
    from dnd.combat.rewards import defeated_xp, xp_awards

    state, rng = party_vs([("goblin", 2)], 15, 10, 12, 9)
    assert xp_awards(state) == []  # nothing defeated yet
    state = turn_of(state, "Aria")
    state, _ = attack(state, "aria", "Goblin 1", "Longsword", rng.push(19, 8))  # 24 hits, 11 damage: down
    state = turn_of(hurt(state, "Goblin 2", 1), "Goblin 2")
    state, _ = flee(state, "goblin-2")  # fled: no XP for it
    assert defeated_xp(state) == 50
    assert {(a.combatant.name, a.xp) for a in xp_awards(state)} == {("Aria", 25), ("Bram", 25)}
    dead_bram = replace_combatant(state, get(state, "Bram").model_copy(update={"hp": 0, "dead": True}))
    assert {(a.combatant.name, a.xp) for a in xp_awards(dead_bram)} == {("Aria", 50)}


# ------------------------------------------------------------------ spellcasting monsters and Parry (built-in blocks)


def builtin_vs_party(name: str, *faces: int) -> tuple[CombatState, Script, str]:
    """Aria and Bram against one creature of the built-in bestiary (no SRD data needed); its id."""
    rng = Script(*faces)
    state, _ = roll_initiative([Combatant.from_character(aria()), Combatant.from_character(bram())], rng)
    state, _ = add_monsters(state, MonsterBlock.from_srd(entry(name)), 1, rng)
    return state, rng, next(c.id for c in state.combatants if c.kind == "monster")


def test_a_priest_calls_spirit_guardians_on_the_party_then_holds_it_and_casts_guiding_bolt() -> None:
    state, _, priest = builtin_vs_party("Priest", 15, 10, 2)
    state = turn_of(state, "Priest 1")
    plan = plan_turn(state, priest, random.Random(1))
    assert (plan.kind, plan.action, set(plan.target_ids)) == ("spell", "Spirit Guardians", {"aria", "bram"})
    assert plan.id == "spell:Spirit Guardians" and plan.id in {p.id for p in legal_actions(state, priest)}
    state, result = resolve(state, plan, random.Random(4))
    assert get(state, "Priest 1").used == {"slot:3": 1} and "Spirit Guardians" in combat_text(result)
    assert concentrating_on(state, priest).spell == "Spirit Guardians"
    again = plan_turn(state, priest, random.Random(1))  # it keeps the spell it holds
    assert (again.kind, again.action) == ("spell", "Guiding Bolt") and again.id.startswith("spell:Guiding Bolt:")


def test_a_hurt_priest_heals_itself_and_a_caster_out_of_slots_falls_back_on_its_weapon() -> None:
    state, _, priest = builtin_vs_party("Priest", 15, 10, 2)
    state = turn_of(hurt(state, "Priest 1", 5), "Priest 1")
    plan = plan_turn(state, priest, random.Random(1))
    assert (plan.kind, plan.action, plan.target_ids) == ("spell", "Cure Wounds", (priest,))
    state, _ = resolve(state, plan, random.Random(4))
    assert get(state, "Priest 1").hp > 5 and get(state, "Priest 1").used == {"slot:1": 1}
    spent = get(state, "Priest 1").model_copy(update={"used": {"slot:1": 4, "slot:2": 3, "slot:3": 2}})
    state = replace_combatant(state, spent)
    assert [c.info.name for c in castable_spells(get(state, "Priest 1"))] == ["Light", "Sacred Flame",
                                                                            "Thaumaturgy"]
    with pytest.raises(RulesError, match="can't cast Guiding Bolt now"):
        cast_monster_spell(state, priest, "Guiding Bolt", ["Aria"], random.Random(1))
    assert plan_turn(state, priest, random.Random(1)).action == "Sacred Flame"  # 2d8 at caster level 5


def test_a_bandit_captain_parries_one_melee_hit_a_round() -> None:
    state, _, captain = builtin_vs_party("Bandit Captain", 15, 10, 2)
    name = "Bandit Captain 1"
    state = turn_of(state, "Aria")
    state, first = attack(state, "aria", name, "Longsword", Script(10))  # 15 hits AC 15, not AC 17
    assert not first.hit and "Parry" in first.text and get(state, name).economy.reaction == "Parry"
    state, second = attack(state, "aria", name, "Longsword", Script(10, 4))  # its reaction is spent
    assert second.hit and get(state, name).hp == get(state, name).max_hp - 7
    fresh, _, _ = builtin_vs_party("Bandit Captain", 15, 10, 2)
    _, shot = attack(turn_of(fresh, "Aria"), "aria", name, "Shortbow", Script(12, 3))  # ranged: no parry
    assert shot.hit
    _, crit = attack(turn_of(fresh, "Aria"), "aria", name, "Longsword", Script(20, 4, 4))
    assert crit.hit and crit.critical
    assert castable_spells(get(fresh, name)) == []


def test_a_caster_with_shield_on_its_list_turns_a_hit_and_keeps_the_ac_until_its_turn() -> None:
    from dnd.combat.economy import fresh_turn
    from dnd.monsters import MonsterSpell, MonsterSpellcasting

    state, _, bandit = builtin_vs_party("Bandit", 15, 10, 2)
    mage = get(state, "Bandit 1")  # AC 12, given a mage's Shield and one 1st-level slot
    casting = MonsterSpellcasting(caster_level=1, ability="INT", dc=12, attack_bonus=4, slots={1: 1},
                                  spells=[MonsterSpell(name="Shield", level=1)])
    state = replace_combatant(state, mage.model_copy(update={
        "monster": mage.monster.model_copy(update={"spellcasting": casting})}))
    state = turn_of(state, "Aria")
    state, first = attack(state, "aria", "Bandit 1", "Longsword", Script(9))  # 14 hits AC 12, not AC 17
    shielded = get(state, "Bandit 1")
    assert not first.hit and "Shield" in first.text and shielded.ac == 17 and shielded.used == {"slot:1": 1}
    state, second = attack(state, "aria", "Bandit 1", "Longsword", Script(10))  # 15 against AC 17 now
    assert not second.hit and get(state, "Bandit 1").economy.reaction == "Shield"
    assert fresh_turn(get(state, "Bandit 1")).ac == 12  # its turn begins: the spell is over
    state, third = attack(state, "aria", "Bandit 1", "Longsword", Script(18, 4))  # 23: no reaction would help
    assert third.hit
