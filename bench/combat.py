"""Combat benchmark: the DM's monster turns and the policy's fights. Prints one JSON object.

    .venv/bin/python bench/combat.py [--runs 40] [--seconds 3] [--no-system]

* ``monster_run_p50_ms`` / ``monster_run_p99_ms``: a run of 8 monster turns resolved and posted, through the
  whole running system (a system of its own, MONSTER_CONTROL=auto, the offline narrator): a hero alone
  against 8 goblins ends the turn, and the clock stops when the reply with all 8 goblin turns reaches the
  local table (the narration, which follows separately, is not timed; it is waited for before the next run, so
  runs don't overlap it). Targets: p50 <= 150 ms, p99 <= 500 ms.
* ``monster_run_engine_p50_ms``: the same 8 turns in the engine alone (policy, resolution, the lines posted),
  no database, queue or gateway.
* ``policy_fights_per_s``: 4 heroes against 8 monsters, played to the end by the policy on both sides
  (``dnd.tactics.play_fight``, pure ``dnd/``), seeded fights per second on one core. Target: 200.

The monsters of the engine-only parts are stat blocks written here (a goblin, and a drake with a recharge
breath), so the benchmark needs no SRD data; the system part imports the SRD like the test suite does.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inference_batching import percentile
from dnd.combat import CombatState, add_monsters, outcome, roll_initiative
from dnd.combat.abilities import start_monster_turn
from dnd.combat.turn_start import start_turn
from dnd.combat.turns import end_turn
from dnd.creation import CreationChoices, create_character
from dnd.monsters import Combatant, DamagePart, MonsterAction, MonsterBlock
from dnd.render.facts import fight_facts
from dnd.tactics import plan_turn, play_fight, resolve

GOBLIN = MonsterBlock(
    index="goblin", name="Goblin", type="humanoid", armor_class=15, hit_points=7, challenge_rating=0.25, xp=50,
    ability_scores={"STR": 8, "DEX": 14, "CON": 10, "INT": 10, "WIS": 8, "CHA": 8},
    actions=[MonsterAction(name="Scimitar", attack_bonus=4, reach="melee",
                           damage=[DamagePart(dice="1d6+2", damage_type="slashing")]),
             MonsterAction(name="Shortbow", attack_bonus=4, reach="ranged",
                           damage=[DamagePart(dice="1d6+2", damage_type="piercing")])])
DRAKE = MonsterBlock(
    index="ember-drake", name="Ember Drake", type="dragon", armor_class=16, hit_points=45, challenge_rating=3,
    xp=700, ability_scores={"STR": 16, "DEX": 12, "CON": 15, "INT": 8, "WIS": 11, "CHA": 10},
    actions=[MonsterAction(name="Bite", attack_bonus=5, reach="melee",
                           damage=[DamagePart(dice="2d8+3", damage_type="piercing")]),
             MonsterAction(name="Ember Breath", desc="The drake exhales embers in a 30-foot cone. Each creature "
                           "in that area makes a DC 13 Dexterity saving throw, taking half as much damage on a "
                           "success.", dc=13, dc_ability="DEX", half_on_success=True, recharge=5,
                           damage=[DamagePart(dice="6d6", damage_type="fire")])])


@functools.cache
def hero(name: str, level: int = 5) -> Combatant:
    """A fighter of ``level`` with Extra Attack from 5th (built once: the fights, not character creation, are
    measured)."""
    character = create_character(CreationChoices(
        name=name, race="Human", class_name="Fighter", ability_method="standard_array",
        base_scores={"STR": 15, "DEX": 14, "CON": 13, "INT": 12, "WIS": 10, "CHA": 8}, background="Acolyte",
        skills=["Athletics", "Perception"], languages=["Giant", "Dwarvish", "Elvish"]), random.Random(1))
    features = [*character.features, "Extra Attack"] if level >= 5 else character.features
    character = character.model_copy(update={"class_levels": {"Fighter": level}, "max_hp": 10 * level,
                                              "hp": 10 * level, "features": features})
    return Combatant.from_character(character, id=name.casefold())


def party_fight(seed: int) -> CombatState:
    rng = random.Random(seed)
    state, _ = roll_initiative([hero(n) for n in ("Aria", "Bram", "Cora", "Dain")], rng)
    state, _ = add_monsters(state, GOBLIN, 7, rng)
    state, _ = add_monsters(state, DRAKE, 1, rng)
    return state


def policy_fights_per_s(seconds: float) -> tuple[float, dict[str, int]]:
    outcomes: dict[str, int] = {}
    fights, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        end = play_fight(party_fight(fights), random.Random(fights))
        result = outcome(end)
        outcomes[result] = outcomes.get(result, 0) + 1
        fights += 1
    return fights / (time.perf_counter() - started), outcomes


def engine_monster_run(runs: int) -> list[float]:
    """8 monster turns in a row (a hero who can't fall against 8 goblins), the lines rendered as posted."""
    times = []
    for n in range(runs):
        rng = random.Random(n)
        lone = hero("Vala", 3).model_copy(update={"hp": 10 ** 6, "max_hp": 10 ** 6})
        state, _ = roll_initiative([lone], rng)
        state, _ = add_monsters(state, GOBLIN, 8, rng)
        started = time.perf_counter()
        played = 0
        while played < 8:
            actor = state.combatants[state.current]
            if actor.kind != "monster":
                state, _ = end_turn(state, actor.id)
                continue
            state, _ = start_monster_turn(state, rng)
            plan = plan_turn(state, actor.id, rng)
            state, result = resolve(state, plan, rng)
            if result is not None:
                _ = result.text, fight_facts(result, "ongoing")
            state, _ = end_turn(state, actor.id)
            state, _ = start_turn(state, rng)
            played += 1
        times.append((time.perf_counter() - started) * 1000)
    return times


def system_monster_run(runs: int) -> list[float]:
    """Through the running system: the hero's `!end_turn` until the reply with the 8 goblins' turns arrives. The
    narration that follows is not timed, but waited for before the next run, so runs don't overlap it."""
    from tests.integration.test_characters import fighter, seed
    from tests.integration.test_srd_import import run_import
    from tests.system import own_system

    times: list[float] = []
    with own_system(MONSTER_CONTROL="auto", USER_RATE_PER_MIN="100000", CHANNEL_RATE_PER_MIN="1000000") as system:
        run_import(system)
        player = 4_200_000
        seed(system, player, fighter("Vala").model_copy(update={"hp": 10 ** 6, "max_hp": 10 ** 6}))
        system.command(player, f"!initiative <@{player}>")
        system.command(system.owner_id, "!initiative add goblin 8")
        for _ in range(runs + 2):
            after = system.cursor()
            sent = time.perf_counter()
            message = system.say(player, "!end_turn")
            reply = system.replies_to(message, after, timeout=60)[0]
            elapsed = (time.perf_counter() - sent) * 1000
            assert reply["content"].count("⏭️ Goblin") == 8, reply["content"]
            times.append(elapsed)
            system.narration_of(message, after)
    return times[2:]  # the first runs warm the caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-system", action="store_true", help="only the engine parts")
    args = parser.parse_args()
    fights_per_s, outcomes = policy_fights_per_s(args.seconds)
    engine_ms = engine_monster_run(args.runs)
    result: dict[str, object] = {
        "monster_run_p50_ms": None, "monster_run_p99_ms": None,
        "monster_run_engine_p50_ms": round(percentile(engine_ms, 0.5) or 0, 2),
        "monster_run_engine_p99_ms": round(percentile(engine_ms, 0.99) or 0, 2),
        "policy_fights_per_s": round(fights_per_s, 1), "policy_fight_outcomes": outcomes,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if not args.no_system:
        ms = system_monster_run(args.runs)
        result.update(monster_run_p50_ms=round(percentile(ms, 0.5) or 0, 1),
                      monster_run_p99_ms=round(percentile(ms, 0.99) or 0, 1), monster_runs=len(ms))
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
