"""The SRD subclasses' choice points and what they do: a Hunter ranger's options (Colossus Slayer, Multiattack
Defense, Steel Will, Evasion and Uncanny Dodge act in a fight), a Lore bard's Bonus Proficiencies, a Land druid's
bonus cantrip and circle spells, a Wizard's Spell Mastery and Signature Spells (cast without a slot), and the
level-up flow's refusals, each leaving the level-up where it was."""

from __future__ import annotations

import random

import pytest

from dnd.character import (
    BONUS_PROFICIENCIES,
    CIRCLE_LAND,
    SIGNATURE_SPELLS,
    SPELL_MASTERY,
    Character,
    LevelRecord,
    derive,
)
from dnd.class_choices import (
    BONUS_CANTRIP,
    DEFENSIVE_TACTICS,
    HUNTERS_PREY,
    SUPERIOR_HUNTERS_DEFENSE,
    choice_points,
    choices_text,
    validate_choice,
)
from dnd.combat import CombatState, attack, cast, saving_throw
from dnd.combat.reactions import reaction_attack, uncanny_dodge, who_may_react
from dnd.combat.state import find_anywhere, replace_combatant
from dnd.errors import RulesError
from dnd.level_up_flow import LevelUpState, answer, leveled_character, preview, start
from dnd.leveling import LevelUpChoices, apply_level_up, xp_for_level
from dnd.rests import long_rest, short_rest
from dnd.spellcasting import always_prepared, cast_spell, prepare_limit, prepare_spells
from tests.unit.test_class_features import fight, hero, turn
from tests.unit.test_combat import Script, get
from tests.unit.test_spell_progression import _answer_for, catalog, level_one, level_up

RANGER = {"STR": 12, "DEX": 16, "CON": 14, "INT": 10, "WIS": 14, "CHA": 8}
DRUID = {"STR": 10, "DEX": 14, "CON": 14, "INT": 12, "WIS": 16, "CHA": 8}
WIZARD = {"STR": 8, "DEX": 14, "CON": 14, "INT": 16, "WIS": 12, "CHA": 10}


def _chosen(cls: str, level: int, subclass: str | None, choices: dict[str, str]) -> LevelRecord:
    return LevelRecord(class_name=cls, class_level=level, hp_roll=6, subclass=subclass, choices=choices)


def ranger(level: int, **choices: str) -> Character:
    """A Hunter ranger with a longbow (+5 to hit at 3rd level, 1d8+3), its options chosen at their levels."""
    by_point = {"prey": HUNTERS_PREY, "tactics": DEFENSIVE_TACTICS, "defense": SUPERIOR_HUNTERS_DEFENSE}
    history = [_chosen("Ranger", 3, "Hunter", {by_point[k]: v for k, v in choices.items()})]
    return hero("Rook", "Ranger", level, RANGER, [("Longbow", 1), ("Leather Armor", 1)],
                ("Longbow", "Leather Armor"), subclass="Hunter", history=history)


def _wounded(state: CombatState, combatant_id: str, by: int) -> CombatState:
    target = find_anywhere(state, combatant_id)
    return replace_combatant(state, target.model_copy(update={"hp": target.hp - by}))


# --------------------------------------------------------------------------------------------- the Hunter


def test_the_hunter_is_asked_its_options_at_3_7_11_and_15_and_they_show_on_the_sheet() -> None:
    asked = {lvl: choice_points("Ranger", lvl, "Hunter") for lvl in (3, 7, 11, 15)}
    assert asked == {3: ["Hunter's Prey"], 7: ["Defensive Tactics"], 11: ["Multiattack"],
                     15: ["Superior Hunter's Defense"]}
    assert choice_points("Ranger", 3, None) == [] and choice_points("Fighter", 3, "Champion") == []
    assert validate_choice(HUNTERS_PREY, "Ranger", "colossus slayer") == "Colossus Slayer"
    with pytest.raises(RulesError, match="Colossus Slayer, Giant Killer, Horde Breaker"):
        validate_choice(HUNTERS_PREY, "Ranger", "Steel Will")
    rook = ranger(7, prey="Colossus Slayer", tactics="Steel Will")
    assert {"Colossus Slayer", "Steel Will"} <= set(rook.features)
    assert "Hunter's Prey: Colossus Slayer (once per turn, +1d8" in choices_text(rook)


def test_colossus_slayer_adds_1d8_once_per_turn_and_only_to_a_wounded_target() -> None:
    state = fight(ranger(3, prey="Colossus Slayer"))
    state, r = attack(state, "rook", "m", "Longbow", Script(15, 4))  # the ogre unhurt: no extra die
    assert r.hit and r.damage == 4 + 3 and not any("Colossus" in n for n in r.notes)
    state, r = attack(state, "rook", "m", "Longbow", Script(15, 4, 6))  # now below its maximum
    assert r.damage == 4 + 3 + 6 and "Colossus Slayer +1d8" in r.notes
    state, r = attack(state, "rook", "m", "Longbow", Script(15, 4))  # once per turn
    assert r.damage == 4 + 3
    state = turn(turn(state, "m"), "rook")
    state, r = attack(state, "rook", "m", "Longbow", Script(15, 2, 5))  # a new turn
    assert r.damage == 2 + 3 + 5
    plain = _wounded(fight(ranger(3, prey="Horde Breaker")), "m", 10)
    _, r = attack(plain, "rook", "m", "Longbow", Script(15, 4))  # another option: nothing added
    assert r.damage == 4 + 3


def test_giant_killer_attacks_a_large_creature_that_attacked_the_ranger_on_its_turn() -> None:
    state = turn(fight(ranger(3, prey="Giant Killer")), "m")
    with pytest.raises(RulesError, match="No reaction is offered"):
        reaction_attack(state, "rook", "m")  # the ogre hasn't attacked yet
    state, r = attack(state, "m", "Rook", "Greatclub", Script(2))  # a miss counts too
    assert not r.hit and [c.name for c in who_may_react(state)] == ["Rook"]
    state, r = reaction_attack(state, "rook", "m", "Longbow", Script(15, 4))
    assert r.hit and r.damage == 4 + 3
    with pytest.raises(RulesError, match="reaction"):
        reaction_attack(state, "rook", "m", "Longbow", Script(15, 4))  # one reaction
    plain = turn(fight(ranger(3, prey="Colossus Slayer")), "m")
    plain, _ = attack(plain, "m", "Rook", "Greatclub", Script(2))
    assert who_may_react(plain) == []
    with pytest.raises(RulesError, match="No reaction is offered"):
        reaction_attack(plain, "rook", "m", "Longbow")
    small = turn(fight(ranger(3, prey="Giant Killer"), monster="goblin"), "m")
    small, _ = attack(small, "m", "Rook", None, Script(2))
    with pytest.raises(RulesError, match="No reaction is offered"):
        reaction_attack(small, "rook", "m", "Longbow")  # a Small goblin


def test_steel_will_gives_advantage_on_a_save_against_being_frightened_only() -> None:
    for tactics, frightened in (("Steel Will", True), ("Escape the Horde", False)):
        state = fight(ranger(7, prey="Colossus Slayer", tactics=tactics))
        _, result = saving_throw(state, "Rook", "WIS", 15, Script(3, 18), condition_on_fail="Frightened")
        outcome = result.outcomes[0]
        assert (outcome.mode == "advantage") == frightened and outcome.success == frightened
        assert (outcome.condition == "Frightened") != frightened
        _, result = saving_throw(state, "Rook", "WIS", 15, Script(3, 18), condition_on_fail="Poisoned")
        assert result.outcomes[0].mode == "normal" and not result.outcomes[0].success


def test_multiattack_defense_raises_the_ac_against_the_same_creature_after_it_hits() -> None:
    state = turn(fight(ranger(7, prey="Colossus Slayer", tactics="Multiattack Defense")), "m")
    ac = get(state, "Rook").ac
    needed = ac - 6  # the ogre's Greatclub is +6
    state, r = attack(state, "m", "Rook", "Greatclub", Script(needed, 1, 1))
    assert r.hit
    state, r = attack(state, "m", "Rook", "Greatclub", Script(needed + 3))  # would hit without the +4
    assert not r.hit and r.target_ac == ac + 4
    assert get(state, "Rook").ac == ac  # the stored AC stays
    plain = turn(fight(ranger(7, prey="Colossus Slayer", tactics="Steel Will")), "m")
    plain, _ = attack(plain, "m", "Rook", "Greatclub", Script(needed, 1, 1))
    _, r = attack(plain, "m", "Rook", "Greatclub", Script(needed + 3, 1, 1))
    assert r.hit


def test_superior_hunters_defense_reuses_evasion_and_uncanny_dodge() -> None:
    evader = fight(ranger(15, prey="Colossus Slayer", defense="Evasion"))
    _, result = saving_throw(evader, "Rook", "DEX", 5, Script(4, 4, 15), damage="2d6", damage_type="fire")
    assert result.outcomes[0].success and result.outcomes[0].damage == 0
    dodger = fight(ranger(15, prey="Colossus Slayer", defense="Uncanny Dodge"))
    full = get(dodger, "Rook").hp
    dodger = turn(dodger, "m")
    dodger, r = attack(dodger, "m", "Rook", "Greatclub", Script(20, 4, 3, 2, 2))  # a critical: 15
    assert r.hit
    dodger, _ = uncanny_dodge(dodger, "rook")
    assert get(dodger, "Rook").hp == full - r.damage // 2
    with pytest.raises(RulesError, match="Uncanny Dodge"):
        uncanny_dodge(fight(ranger(15, prey="Colossus Slayer", defense="Evasion")), "rook")


# --------------------------------------------------------------------------------------------- Land, Wizard


def druid(level: int, land: str) -> Character:
    history = [_chosen("Druid", 2, "Land", {BONUS_CANTRIP: "Shillelagh", CIRCLE_LAND: land})]
    return hero("Moss", "Druid", level, DRUID, [], subclass="Land", history=history,
                cantrips=["Druidcraft", "Produce Flame", "Shillelagh"])


def test_circle_spells_of_the_land_are_prepared_and_not_counted() -> None:
    coast = druid(5, "Coast")
    assert always_prepared(coast, "Druid") == ["Mirror Image", "Misty Step", "Water Breathing", "Water Walk"]
    assert always_prepared(druid(4, "Swamp"), "Druid") == ["Acid Arrow", "Darkness"]
    assert always_prepared(druid(2, "Swamp"), "Druid") == []
    limit = prepare_limit(coast, "Druid")
    pool = ["Cure Wounds", "Entangle", "Faerie Fire", "Fog Cloud", "Goodberry", "Healing Word", "Thunderwave",
            "Barkskin", "Moonbeam", "Call Lightning"][:limit]
    prepared = prepare_spells(coast, pool, catalog())
    assert len(prepared.spells_prepared) == limit + 4 and "Misty Step" in prepared.spells_prepared
    cast, result = cast_spell(prepared, "Misty Step", spell=catalog().get("Misty Step"))  # off the druid list
    assert result.slot_kind == "slot" and cast.spell_slots[2] == prepared.spell_slots[2] - 1
    assert "Circle Land: Coast (circle spells always prepared)" in choices_text(coast)


def wizard(level: int, choices: dict[str, str]) -> Character:
    book = ["Shield", "Magic Missile", "Misty Step", "Scorching Ray", "Fireball", "Counterspell", "Fly"]
    history = [_chosen("Wizard", level, None, choices)]
    return derive(hero("Wyn", "Wizard", level, WIZARD, [], history=history, spells_known=book,
                       spells_prepared=["Shield", "Misty Step", "Fly"]))


def test_spell_mastery_casts_its_spells_at_their_level_without_a_slot() -> None:
    wyn = wizard(18, {SPELL_MASTERY: "Shield, Misty Step"})
    cast, result = cast_spell(wyn, "Shield", spell=catalog().get("Shield"))
    assert result.slot_kind == "free" and "Spell Mastery" in result.message and cast.spell_slots == wyn.spell_slots
    cast, result = cast_spell(cast, "Misty Step", spell=catalog().get("Misty Step"))
    assert result.slot_kind == "free" and cast.spell_slots == wyn.spell_slots
    cast, result = cast_spell(wyn, "Shield", slot_level=3, spell=catalog().get("Shield"))  # higher: a slot
    assert result.slot_kind == "slot" and cast.spell_slots[3] == wyn.spell_slots[3] - 1
    cast, result = cast_spell(wyn, "Fly", spell=catalog().get("Fly"))  # not a mastery spell
    assert cast.spell_slots[3] == wyn.spell_slots[3] - 1
    unprepared = wyn.model_copy(update={"spells_prepared": ["Fly"]})
    with pytest.raises(RulesError, match="haven't prepared Shield"):
        cast_spell(unprepared, "Shield", spell=catalog().get("Shield"))


def test_a_signature_spell_is_prepared_cast_free_once_and_regained_on_a_short_rest() -> None:
    wyn = wizard(20, {SIGNATURE_SPELLS: "Fireball, Counterspell"})
    assert {"Fireball", "Counterspell"} <= set(always_prepared(wyn, "Wizard"))
    wyn = prepare_spells(wyn, ["Shield"], catalog())
    assert {"Fireball", "Counterspell", "Shield"} == set(wyn.spells_prepared)
    fireball = catalog().get("Fireball")
    cast, result = cast_spell(wyn, "Fireball", spell=fireball)
    assert result.slot_kind == "free" and cast.spell_slots == wyn.spell_slots
    uses = {r.name: r.uses for r in cast.abilities}
    assert uses["Signature Spell (Fireball)"] == 0 and uses["Signature Spell (Counterspell)"] == 1
    again, result = cast_spell(cast, "Fireball", spell=fireball)  # spent: a slot now
    assert result.slot_kind == "slot" and again.spell_slots[3] == wyn.spell_slots[3] - 1
    rested, _ = short_rest(again)
    assert {r.name: r.uses for r in rested.abilities}["Signature Spell (Fireball)"] == 1
    _, result = cast_spell(rested, "Fireball", spell=fireball)
    assert result.slot_kind == "free"
    slept, _ = long_rest(cast)
    assert {r.name: r.uses for r in slept.abilities}["Signature Spell (Fireball)"] == 1
    _, result = cast_spell(rested, "Fireball", slot_level=5, spell=fireball)  # upcast: a slot as usual
    assert result.slot_kind == "slot"


# --------------------------------------------------------------------------------------------- the flow


def _at(character: Character, cls: str, step: str, point_index: int = 0) -> tuple[LevelUpState, Character]:
    """The level-up of ``character``'s next ``cls`` level, at the class choice (the others answered as the
    table-driven test answers them)."""
    character = character.model_copy(update={"xp": xp_for_level(character.level + 1)})
    state, _ = start(character)
    rng = random.Random(2)
    level = character.class_levels.get(cls, 0) + 1
    for _ in range(20):
        if state.step == step:
            return state, character
        state, reply = answer(state, character, _answer_for(state, character, cls, level), rng, catalog())
    raise AssertionError(f"never reached {step}")


def _refused(state: LevelUpState, character: Character, text: str, said: str) -> None:
    after, reply = answer(state, character, text, random.Random(0), catalog())
    assert after == state and said in reply, reply


def _finish(state: LevelUpState, character: Character, cls: str, first: str) -> Character:
    level = character.class_levels.get(cls, 0) + 1
    state, reply = answer(state, character, first, random.Random(0), catalog())
    for _ in range(20):
        if state.status == "done":
            return leveled_character(state)
        state, reply = answer(state, character, _answer_for(state, character, cls, level), random.Random(0),
                              catalog())
    raise AssertionError(reply)


def test_a_lore_bard_gains_three_skills_at_3_and_is_refused_one_it_has() -> None:
    bard = level_up(level_one("Bard"), "Bard")
    state, bard = _at(bard, "Bard", "class_choice")
    known = bard.skills[0]
    new = [s for s in ("Arcana", "Nature", "Survival", "Stealth", "History") if s not in bard.skills][:3]
    _refused(state, bard, f"{new[0]}, {new[1]}, {known}", f"already proficient in {known}")
    _refused(state, bard, f"{new[0]}, {new[1]}", "Choose 3 skills, separated by commas")
    _refused(state, bard, f"{new[0]}, {new[1]}, Flying", "'Flying' is not one of the skills")
    _refused(state, bard, f"{new[0]}, {new[0]}, {new[1]}", "skills: each one once")
    leveled = _finish(state, bard, "Bard", ", ".join(new))
    assert set(new) <= set(leveled.skills) and len(leveled.skills) == len(bard.skills) + 3
    assert leveled.history[-1].choices[BONUS_PROFICIENCIES] == ", ".join(new)
    assert f"{BONUS_PROFICIENCIES}: {', '.join(new)}" in choices_text(leveled)


def test_a_land_druid_is_refused_an_off_list_or_known_cantrip_and_a_land_the_srd_lacks() -> None:
    druid1 = level_one("Druid")
    state, druid1 = _at(druid1, "Druid", "class_choice")
    _refused(state, druid1, "Fire Bolt", "not on the Druid spell list")
    _refused(state, druid1, druid1.cantrips[0], f"already know {druid1.cantrips[0]}")
    _refused(state, druid1, "Fireball", "not a cantrip")
    state, _ = answer(state, druid1, "Shillelagh", random.Random(0), catalog())
    assert state.step == "class_choice_2"
    _refused(state, druid1, "Underdark", "Arctic, Coast, Desert, Forest, Grassland, Mountain, Swamp")
    leveled = _finish(state, druid1, "Druid", "forest")
    assert "Shillelagh" in leveled.cantrips and len(leveled.cantrips) == len(druid1.cantrips) + 1
    assert "Class choices: Bonus Cantrip: Shillelagh; Circle Land: Forest." in leveled_summary(state, druid1)
    third = level_up(leveled, "Druid")
    assert {"Barkskin", "Spider Climb"} <= set(third.spells_prepared)
    _, summary = apply_level_up(leveled.model_copy(update={"xp": xp_for_level(3)}), "Druid", LevelUpChoices(),
                                random.Random(0))
    assert "Always prepared now: Barkskin, Spider Climb." in summary.lines


def leveled_summary(state: LevelUpState, character: Character) -> str:
    """The confirm step's summary once the level's last class choice is answered (`forest`)."""
    state, _ = answer(state, character, "forest", random.Random(0), catalog())
    return "\n".join(preview(state, character)[1].lines)


def test_spell_mastery_and_signature_spells_take_spellbook_spells_of_the_right_levels() -> None:
    wyn = level_one("Wizard")
    for _ in range(16):
        wyn = level_up(wyn, "Wizard")
    state, wyn = _at(wyn, "Wizard", "class_choice")
    book = {lvl: [n for n in wyn.spells_known if catalog().get(n).level == lvl] for lvl in (1, 2, 3)}
    outside = next(s.name for s in catalog().for_class("Wizard", 2, 2) if s.name not in wyn.spells_known)
    _refused(state, wyn, f"{book[1][0]}, {outside}", f"{outside} isn't in your spellbook")
    _refused(state, wyn, f"{book[1][0]}, {book[1][1]}", "takes a 1st-level spell and a 2nd-level spell")
    _refused(state, wyn, f"{book[1][0]}, {book[3][0]}", "takes a 1st-level spell and a 2nd-level spell")
    _refused(state, wyn, book[1][0], "Name 2 different spell(s)")
    leveled = _finish(state, wyn, "Wizard", f"{book[2][0]}, {book[1][0]}")
    assert leveled.history[-1].choices[SPELL_MASTERY] == f"{book[1][0]}, {book[2][0]}"  # by level
    assert "Spell Mastery: " in choices_text(leveled)


def test_steel_will_meets_a_fear_spell_with_advantage() -> None:
    caster = hero("Wyn", "Wizard", 5, WIZARD, [], spells_known=["Fear"], spells_prepared=["Fear"])
    for tactics, frightened in (("Steel Will", False), ("Escape the Horde", True)):
        state = fight(caster, ranger(7, prey="Colossus Slayer", tactics=tactics))
        _, result = cast_spell(caster, "Fear", spell=catalog().get("Fear"))
        state, effect = cast(state, "wyn", result, ["Rook"], Script(3, 18))
        assert ("Frightened" in get(state, "Rook").conditions) == frightened, effect
