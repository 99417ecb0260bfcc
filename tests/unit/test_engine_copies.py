"""The engine's fast copies and lookups (dnd.frozen, the weapon profile kept per sheet) give what the slow way
gave: the same models, and a changed sheet's new numbers at once."""

from __future__ import annotations

from pydantic import BaseModel

from dnd.combat import add_monsters, attack, end_turn, roll_initiative, update_from_sheet
from dnd.combat.state import CombatEvent, CombatState, log_event
from dnd.monsters import Combatant, TurnEconomy
from tests.unit.test_combat import Script, aria, block, get


def test_model_copy_is_pydantics_copy() -> None:
    economy = TurnEconomy(bonus_action="Rage", shield=5)
    fast = economy.model_copy(update={"reaction": "Shield", "shield": 0})
    slow = BaseModel.model_copy(economy, update={"reaction": "Shield", "shield": 0})
    assert fast == slow and fast.model_fields_set == slow.model_fields_set == {"bonus_action", "reaction", "shield"}
    assert fast.model_dump() == slow.model_dump()
    assert (economy.reaction, economy.shield) == (None, 5)  # the original is untouched
    assert economy.model_copy() == economy and economy.model_copy() is not economy
    deep = economy.model_copy(update={"readied": "attack"}, deep=True)
    assert deep.readied == "attack" and deep.bonus_action == "Rage"


def test_a_trusted_log_line_is_the_validated_one() -> None:
    state = log_event(CombatState(round=3), "damage", "Goblin 1 takes 4 damage.", actor="aria", target="goblin-1",
                      amount=4)
    made = state.log[-1]
    validated = CombatEvent(round=3, kind="damage", actor_id="aria", target_id="goblin-1", amount=4,
                            text="Goblin 1 takes 4 damage.")
    assert made == validated and made.model_dump_json() == validated.model_dump_json()
    assert made.model_fields_set == validated.model_fields_set
    assert CombatEvent.model_validate(made.model_dump()) == made


def test_a_better_weapon_on_the_sheet_mid_fight_hits_with_its_bonus_at_once() -> None:
    rng = Script(20)
    state, _ = roll_initiative([Combatant.from_character(aria())], rng)
    state, _ = add_monsters(state, block("zombie"), 1, rng.push(1))  # AC 8
    state, first = attack(state, "aria", "Zombie 1", None, rng.push(2))  # a miss: 2 + 5 < AC 8
    assert first.weapon == "Longsword" and first.attack_bonus == 5
    sheet = aria()
    magic = [i.model_copy(update={"properties": [*i.properties, "+1"]}) if i.name == "Longsword" else i
             for i in sheet.inventory]
    state = update_from_sheet(state, "aria", sheet.model_copy(update={"inventory": magic}))
    state, _ = end_turn(state)
    state, _ = end_turn(state)  # the zombie's turn passes
    state, second = attack(state, "aria", "Zombie 1", None, rng.push(2, 1))
    assert second.attack_bonus == 6 and second.hit and second.damage == 1 + 3 + 1
    assert get(state, "Zombie 1").hp == get(state, "Zombie 1").max_hp - 5 and not rng.faces

