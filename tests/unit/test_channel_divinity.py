"""Channel Divinity in a fight (dnd.combat.channel_divinity): Turn Undead with Destroy Undead, Preserve Life, and
what a turned creature does; the built-in bestiary's undead, so no SRD data is needed."""

from __future__ import annotations

import random

import pytest

from dnd.character import Character
from dnd.combat import CombatState
from dnd.combat.channel_divinity import preserve_life, turn_undead
from dnd.combat.damage import apply_damage
from dnd.conditions import TURNED
from dnd.data.bestiary import entry
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock
from dnd.tactics import legal_actions, plan_turn
from tests.unit.test_class_features import fighter, hero, rogue
from tests.unit.test_combat import Script, get

CLERIC = {"STR": 12, "DEX": 10, "CON": 14, "INT": 10, "WIS": 16, "CHA": 10}


def cleric(level: int, domain: str | None = "Life") -> Character:
    return hero("Ilsa", "Cleric", level, CLERIC, [("Mace", 1)], subclass=domain)


def against(heroes: list[Character], *creatures: str) -> CombatState:
    """The heroes (the first one's turn), then the built-in creatures named, "Skeleton 1", ..."""
    people = [Combatant.from_character(h, id=h.name.casefold(), player_id=str(i)) for i, h in enumerate(heroes)]
    foes = [Combatant.from_monster(MonsterBlock.from_srd(entry(name)), name=f"{name} {i}", id=f"m{i}")
            for i, name in enumerate(creatures, start=1)]
    return CombatState(combatants=[*people, *foes], current=0)


def test_turn_undead_destroys_the_weak_turns_the_strong_and_damage_ends_the_turning() -> None:
    state = against([cleric(5)], "Skeleton", "Zombie", "Ghoul")  # DC 14; Destroy Undead up to CR 1/2
    state, result = turn_undead(state, "ilsa", Script(2, 19, 3))  # the skeleton and the ghoul fail
    assert get(state, "Skeleton 1").defeated and get(state, "Skeleton 1").hp == 0
    assert TURNED not in get(state, "Zombie 2").conditions and not get(state, "Zombie 2").defeated
    assert TURNED in get(state, "Ghoul 3").conditions  # CR 1: turned, not destroyed
    assert "destroyed: Skeleton 1" in result.text and "turned: Ghoul 3" in result.text
    assert get(state, "Ilsa").action_this_turn == "feature"
    assert [p.id for p in legal_actions(state, "m3")] == ["wait"]  # it only gets away
    assert plan_turn(state, "m3", random.Random(1)).kind == "wait"
    state, _ = apply_damage(state, "m3", 3, critical=False, actor_id="ilsa", source="Mace")
    assert TURNED not in get(state, "Ghoul 3").conditions and plan_turn(state, "m3", random.Random(1)).kind != "wait"


def test_turn_undead_is_refused_without_the_feature_or_an_undead_and_changes_nothing() -> None:
    with pytest.raises(RulesError, match="can't use Turn Undead"):
        turn_undead(against([fighter(5)], "Skeleton"), "kara", Script(2))
    with pytest.raises(RulesError, match="can't use Turn Undead"):
        turn_undead(against([cleric(1)], "Skeleton"), "ilsa", Script(2))
    with pytest.raises(RulesError, match="No undead"):
        turn_undead(against([cleric(2)], "Goblin"), "ilsa", Script(2))


def test_preserve_life_restores_the_most_hurt_first_to_half_their_maximum() -> None:
    kara, vex = fighter(3), rogue(3)
    state = against([cleric(2), kara, vex], "Goblin")
    state = state.model_copy(update={"combatants": [c.model_copy(update={"hp": {"kara": 1, "vex": 3}.get(c.id, c.hp)})
                                                    for c in state.combatants]})
    needs = {"kara": kara.max_hp // 2 - 1, "vex": vex.max_hp // 2 - 3}
    state, result, healed = preserve_life(state, "ilsa")
    pool = 10  # five times the cleric level
    assert healed[0] == "kara"  # the lower share of hit points goes first
    assert get(state, "Kara").hp == 1 + min(pool, needs["kara"])
    assert get(state, "Vex").hp == 3 + min(pool - min(pool, needs["kara"]), needs["vex"])
    assert all(get(state, n).hp <= get(state, n).max_hp // 2 for n in ("Kara", "Vex"))
    assert "hit points restored" in result.text
    with pytest.raises(RulesError, match="can't use Preserve Life"):
        preserve_life(against([cleric(2, None), kara], "Goblin"), "ilsa")  # no domain chosen
    with pytest.raises(RulesError, match="No one on your side"):
        preserve_life(against([cleric(2), kara], "Goblin"), "ilsa")
