"""A sorcerer's Metamagic and a warlock's Eldritch Invocations and Pact Boon: asked by the `!level_up` flow, checked,
stored and shown (dnd.class_choices), and what they do in a fight (dnd.metamagic, dnd.combat): Quickened Spell on
the bonus action with the bonus-action spell rule, Twinned, Empowered and Heightened Spell, Agonizing Blast, Armor of
Shadows, Thirsting Blade and Lifedrinker. Dice are scripted faces."""

from __future__ import annotations

import random

import pytest

from dnd import combat as engine
from dnd.character import Character, LevelRecord, armor_class, derive, invocations
from dnd.class_choices import (
    ELDRITCH_INVOCATIONS,
    METAMAGIC,
    METAMAGIC_OPTIONS,
    PACT_BOON,
    choices_text,
    metamagic_known,
    pact_boon,
)
from dnd.combat.economy import attacks_per_action, take_casting
from dnd.errors import RulesError
from dnd.feats import find_resource
from dnd.level_up_flow import LevelUpState, answer, preview, start
from dnd.leveling import xp_for_level
from dnd.metamagic import apply_metamagic
from dnd.rests import long_rest, short_rest
from dnd.spellcasting import cast_spell
from tasks.handlers.characters import parse_cast, split_metamagic
from tests.unit.test_class_features import fight, hero
from tests.unit.test_combat import Script

CASTER = {"STR": 8, "DEX": 14, "CON": 12, "INT": 10, "WIS": 10, "CHA": 16}  # CHA +3, DEX +2


def chosen(character: Character, **by_level: dict[str, str]) -> Character:
    """The character with a level record for each level of its class, the choices given at `l<level>`."""
    cls, level = next(iter(character.class_levels.items()))
    history = [LevelRecord(class_name=cls, class_level=n, hp_method="average", hp_roll=4,
                           choices=by_level.get(f"l{n}", {})) for n in range(1, level + 1)]
    return derive(character.model_copy(update={"history": history}))


def sorcerer(level: int = 3, metamagic: str = "Quickened Spell, Twinned Spell") -> Character:
    return chosen(hero("Sira", "Sorcerer", level, CASTER, [], cantrips=["Fire Bolt", "Ray of Frost"],
                       spells_known=["Magic Missile", "Burning Hands", "Hold Person", "Shield"]),
                  l3={METAMAGIC: metamagic})


def points(character: Character) -> int | None:
    found = find_resource(character, "Sorcery Points")
    return found[2].uses if found else None


def answers(state: LevelUpState, character: Character, *texts: str) -> tuple[LevelUpState, str]:
    reply = ""
    for text in texts:
        state, reply = answer(state, character, text, random.Random(1))
    return state, reply


def ready(character: Character) -> Character:
    return character.model_copy(update={"xp": xp_for_level(character.level + 1)})


# --------------------------------------------------------------------------------------------- the choices


def test_the_level_up_flow_asks_two_metamagic_options_at_sorcerer_3_never_one_twice() -> None:
    sira = ready(chosen(hero("Sira", "Sorcerer", 2, CASTER, [], cantrips=["Fire Bolt"])))
    state, _ = start(sira)
    state, reply = answers(state, sira, "Sorcerer", "average")
    assert state.step == "class_choice" and "choose 2" in reply and "Twinned Spell" in reply
    state, reply = answers(state, sira, "Quickened")
    assert state.step == "class_choice" and "Choose 2 Metamagic options" in reply
    state, reply = answers(state, sira, "quickened, quickened spell")
    assert state.step == "class_choice" and "each one once" in reply
    state, reply = answers(state, sira, "quickened, Wild Spell")
    assert state.step == "class_choice" and "not one of the Metamagic options" in reply
    state, reply = answers(state, sira, "quickened, twinned")
    assert state.step != "class_choice" and "Quickened Spell, Twinned Spell" in reply
    leveled, _ = preview(state, sira)
    assert metamagic_known(leveled) == ["Quickened Spell", "Twinned Spell"]
    assert "Metamagic: Quickened Spell (2 points: a spell with a casting time of 1 action cast as a bonus action), " \
        "Twinned Spell (points = " in choices_text(leveled)

    tenth = ready(sorcerer(9))
    state, _ = start(tenth)
    state, reply = answers(state, tenth, "Sorcerer", "average")
    assert "choose 1" in reply and "**Quickened Spell**" not in reply
    state, reply = answers(state, tenth, "Twinned Spell")
    assert state.step == "class_choice" and "You already know Twinned Spell" in reply
    state, _ = answers(state, tenth, "Empowered")
    assert metamagic_known(preview(state, tenth)[0]) == ["Quickened Spell", "Twinned Spell", "Empowered Spell"]


def warlock(level: int, *, cantrips: tuple[str, ...] = ("Eldritch Blast", "Minor Illusion"),
            **by_level: dict[str, str]) -> Character:
    return chosen(hero("Vex", "Warlock", level, CASTER, [("Longsword", 1), ("Dagger", 1)], ("Longsword",),
                       cantrips=list(cantrips)), **by_level)


def test_invocations_by_the_warlock_table_with_their_prerequisites() -> None:
    vex = ready(warlock(1, cantrips=("Minor Illusion", "Chill Touch")))
    state, _ = start(vex)
    state, reply = answers(state, vex, "Warlock", "average")
    assert state.step == "class_choice" and "choose 2" in reply
    assert "Agonizing Blast" not in reply and "Thirsting Blade" not in reply  # no Eldritch Blast; 5th, blade
    state, reply = answers(state, vex, "Agonizing Blast, Armor of Shadows")
    assert "needs the Eldritch Blast cantrip" in reply
    state, reply = answers(state, vex, "Thirsting Blade, Armor of Shadows")
    assert "needs warlock level 5" in reply
    state, reply = answers(state, vex, "Armor of Shadows, Devil's Sight")
    assert state.step != "class_choice"
    assert invocations(preview(state, vex)[0]) == ["Armor of Shadows", "Devil's Sight"]

    # 3rd: the Pact Boon, and one invocation may be swapped; a blade's form must be a melee weapon
    third = ready(warlock(2, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"}))
    state, _ = start(third)
    state, reply = answers(state, third, "Warlock", "average")
    assert "Pact of the Tome" in reply
    state, reply = answers(state, third, "blade longbow")
    assert "a melee weapon" in reply
    state, reply = answers(state, third, "blade longsword")
    assert "replace <old> with <new>" in reply
    state, reply = answers(state, third, "replace Devil's Sight with Devil's Sight")
    assert "You already know Devil's Sight" in reply
    state, _ = answers(state, third, "no")
    kept = preview(state, third)[0]
    assert pact_boon(kept) == "Pact of the Blade (Longsword)" and invocations(kept) == invocations(third)
    state, _ = answers(state, third, "back", "replace Devil's Sight with Eldritch Sight")
    assert invocations(preview(state, third)[0]) == ["Armor of Shadows", "Eldritch Sight"]

    # 5th: a third invocation; Thirsting Blade with the blade pact
    fifth = ready(warlock(4, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"},
                          l3={PACT_BOON: "Pact of the Blade (Longsword)"}))
    state, _ = start(fifth)
    state, reply = answers(state, fifth, "Warlock", "average")
    assert "choose 1" in reply and "Thirsting Blade" in reply and "Lifedrinker" not in reply
    state, _ = answers(state, fifth, "thirsting blade", "no")
    leveled = preview(state, fifth)[0]
    assert invocations(leveled) == ["Armor of Shadows", "Devil's Sight", "Thirsting Blade"]
    assert "Thirsting Blade (two attacks with your pact weapon per Attack action)" in choices_text(leveled)
    assert "Devil's Sight (see normally in darkness, magical too, to 120 ft; told, not modelled)" \
        in choices_text(leveled)


def test_a_pact_of_the_tome_learns_three_cantrips_of_any_list() -> None:
    third = ready(warlock(2, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"}))
    state, _ = start(third)
    state, _ = answers(state, third, "Warlock", "average")
    state, reply = answers(state, third, "tome: guidance, sacred flame")
    assert state.step == "class_choice" and "name 3 different cantrips" in reply
    state, reply = answers(state, third, "tome: guidance, sacred flame, frostbite bolt")
    assert state.step == "class_choice" and "frostbite bolt" in reply.casefold()
    state, reply = answers(state, third, "tome: guidance, sacred flame, eldritch blast")
    assert state.step == "class_choice"  # Eldritch Blast is known already
    state, reply = answers(state, third, "tome: guidance, sacred flame, fire bolt")
    assert "Pact of the Tome (Guidance, Sacred Flame, Fire Bolt)" in reply
    state, _ = answers(state, third, "no")
    leveled = preview(state, third)[0]
    assert leveled.cantrips == ["Eldritch Blast", "Minor Illusion", "Guidance", "Sacred Flame", "Fire Bolt"]


# --------------------------------------------------------------------------------------------- metamagic in a fight


def test_a_quickened_fire_bolt_spends_2_points_and_the_bonus_action_leaving_the_action() -> None:
    sira = sorcerer()
    state = fight(sira, monster="goblin")
    state = take_casting(state, "sira", "Fire Bolt", bonus_action=True, spell_level=0)
    after, result = apply_metamagic(*cast_spell(sira, "Fire Bolt"), "quickened")
    assert points(sira) == 3 and points(after) == 1 and result.metamagic == "Quickened Spell"
    assert "2 sorcery points spent, 1 left" in result.message
    state, effect = engine.cast(state, "sira", result, ["goblin"], Script(15, 7))
    me = state.combatants[0]
    assert me.economy.bonus_action == "Fire Bolt" and me.action_this_turn is None
    with pytest.raises(RulesError, match="only other spell this turn is a cantrip"):
        take_casting(state, "sira", "Magic Missile", bonus_action=False, spell_level=1)
    assert take_casting(state, "sira", "Ray of Frost", bonus_action=False, spell_level=0).combatants[0] \
        .action_this_turn == "cast"


def test_a_leveled_spell_with_the_action_leaves_no_bonus_action_spell() -> None:
    state = fight(sorcerer(), monster="goblin")
    state = take_casting(state, "sira", "Magic Missile", bonus_action=False, spell_level=1)
    with pytest.raises(RulesError, match="can't be cast as a bonus action too"):
        take_casting(state, "sira", "Burning Hands", bonus_action=True, spell_level=1)


def test_metamagic_refusals_leave_the_character_unchanged() -> None:
    sira = sorcerer()
    cast = cast_spell(sira, "Fire Bolt")
    with pytest.raises(RulesError, match="doesn't know Empowered Spell"):
        apply_metamagic(*cast, "empowered")
    with pytest.raises(RulesError, match="not a Metamagic option"):
        apply_metamagic(*cast, "doubled")
    spent, _ = apply_metamagic(*cast, "quickened")
    with pytest.raises(RulesError, match="only 1 of 3 left, not 2"):
        apply_metamagic(*cast_spell(spent, "Fire Bolt"), "quickened")
    with pytest.raises(RulesError, match="targets one creature only"):
        apply_metamagic(*cast_spell(sira, "Burning Hands"), "twinned")
    with pytest.raises(RulesError, match="targets one creature only"):
        apply_metamagic(*cast_spell(sira, "Magic Missile"), "twinned")
    with pytest.raises(RulesError, match="casting time of 1 action"):
        apply_metamagic(*cast_spell(sira, "Shield"), "quickened")
    extender = sorcerer(metamagic="Extended Spell, Careful Spell")
    with pytest.raises(RulesError, match="Extended Spell doubles a duration of 1 minute or longer; Burning Hands"):
        apply_metamagic(*cast_spell(extender, "Burning Hands"), "extended")  # instantaneous
    held, extended = apply_metamagic(*cast_spell(extender, "Hold Person"), "extended")  # up to 1 minute
    assert extended.metamagic == "Extended Spell" and points(held) == 2
    assert points(sira) == 3 and points(spent) == 1
    assert points(short_rest(spent)[0]) == 1 and points(long_rest(spent)[0]) == 3  # Font of Magic: a long rest


def test_twinned_fire_bolt_strikes_two_goblins_for_one_point() -> None:
    sira = sorcerer()
    people = fight(sira, monster="goblin")
    second = people.combatants[1].model_copy(update={"id": "m2", "name": "Goblin 2"})
    state = people.model_copy(update={"combatants": [*people.combatants, second]})
    after, result = apply_metamagic(*cast_spell(sira, "Fire Bolt"), "twinned")
    assert points(after) == 2  # a cantrip: 1 point
    state, effect = engine.cast(state, "sira", result, ["m", "m2"], Script(18, 4, 18, 6))
    assert [a.target for a in effect.attacks] == ["Goblin", "Goblin 2"] and effect.damage == 10
    with pytest.raises(RulesError, match="has one target"):
        engine.cast(state, "sira", cast_spell(sira, "Fire Bolt")[1], ["m", "m2"], Script(18, 4))


def test_empowered_rerolls_the_lowest_dice_and_heightened_gives_disadvantage() -> None:
    sira = sorcerer(10, "Empowered Spell, Heightened Spell")
    _, empowered = apply_metamagic(*cast_spell(sira, "Burning Hands"), "empowered")
    assert empowered.damage == "3d6rol3"  # CHA +3: the three lowest dice rerolled once
    state = fight(sira, monster="goblin")
    after, heightened = apply_metamagic(*cast_spell(sira, "Burning Hands"), "heightened")
    assert points(after) == 7
    state, effect = engine.cast(state, "sira", heightened, ["goblin"], Script(1, 1, 1, 15, 3))
    assert effect.save is not None and effect.save.outcomes[0].mode == "disadvantage"
    assert not effect.save.outcomes[0].success  # 15 and 3: the 3 kept


# --------------------------------------------------------------------------------------------- invocations at work


def test_agonizing_blast_adds_cha_to_each_beam() -> None:
    vex = warlock(5, l2={ELDRITCH_INVOCATIONS: "Agonizing Blast, Armor of Shadows"})
    _, blast = cast_spell(vex, "Eldritch Blast")
    assert blast.projectiles == 2 and blast.damage_each == "1d10+3"
    _, plain = cast_spell(warlock(5, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"}), "Eldritch Blast")
    assert plain.damage_each == "1d10"
    state, effect = engine.cast(fight(vex), "vex", blast, ["m"], Script(19, 4, 19, 5))
    assert [a.damage for a in effect.attacks] == [7, 8]


def test_armor_of_shadows_is_mage_armor_without_armor() -> None:
    plain = warlock(2, l2={ELDRITCH_INVOCATIONS: "Devil's Sight, Eldritch Sight"})
    shadowed = warlock(2, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Eldritch Sight"})
    assert armor_class(plain) == 10 + 2 and armor_class(shadowed) == 13 + 2


def test_thirsting_blade_and_lifedrinker_with_the_pact_weapon() -> None:
    blade = {PACT_BOON: "Pact of the Blade (Longsword)"}
    vex = warlock(12, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"}, l3=blade,
                  l5={ELDRITCH_INVOCATIONS: "Thirsting Blade"}, l12={ELDRITCH_INVOCATIONS: "Lifedrinker"})
    assert attacks_per_action(vex, "Longsword") == 2 and attacks_per_action(vex) == 2  # the longsword is equipped
    assert attacks_per_action(vex, "Dagger") == 1
    assert attacks_per_action(warlock(4, l3=blade)) == 1
    state, hit = engine.attack(fight(vex), "vex", "m", "Longsword", Script(15, 6))
    assert hit.attack_bonus == -1 + 4  # STR -1, proficient by the pact (+4 at 12th)
    assert hit.damage == 6 - 1 + 3 and "Lifedrinker +3 necrotic" in hit.notes
    _, dagger = engine.attack(fight(vex), "vex", "m", "Dagger", Script(15, 3))
    assert not any("Lifedrinker" in n for n in dagger.notes)


def test_cast_takes_metamagic_as_its_last_clause() -> None:
    words, option = split_metamagic("Fire Bolt at goblin 1 with quickened")
    assert option == "quickened" and parse_cast(words) == ("Fire Bolt", None, ["goblin 1"])
    words, option = split_metamagic("Fire Bolt at goblin 1, goblin 2 with twinned spell")
    assert option == "twinned spell" and parse_cast(words)[2] == ["goblin 1", "goblin 2"]
    assert split_metamagic("Magic Missile at 2") == ("Magic Missile at 2", None)


def test_a_pact_of_the_chain_is_shown_with_its_familiar() -> None:
    chain = warlock(3, l2={ELDRITCH_INVOCATIONS: "Armor of Shadows, Devil's Sight"},
                    l3={PACT_BOON: "Pact of the Chain"})
    assert "Pact Boon: Pact of the Chain (Find Familiar known as a ritual)" in choices_text(chain)


def test_metamagic_and_invocations_are_offered_as_a_select_of_as_many_as_the_level_gives() -> None:
    from dnd.level_up_flow import menu, menu_count

    sira = ready(chosen(hero("Sira", "Sorcerer", 2, CASTER, [], cantrips=["Fire Bolt"])))
    state, _ = answers(start(sira)[0], sira, "Sorcerer", "average")
    assert state.step == "class_choice" and menu_count(state, sira) == 2
    assert set(menu(state, sira)) == set(METAMAGIC_OPTIONS)  # every option, each taken with another
    state, reply = answers(state, sira, ", ".join(menu(state, sira)[:2]))
    assert state.step != "class_choice", reply


# --------------------------------------------------------------------------------------------- prerequisites kept


def old_blaster() -> Character:
    """A warlock 4 with Agonizing Blast whose Eldritch Blast is written among its spells known (as an older sheet
    may have it): a spell swap can give it up."""
    return ready(chosen(hero("Vex", "Warlock", 4, CASTER, [], cantrips=["Minor Illusion", "Chill Touch", "Light"],
                             spells_known=["Eldritch Blast", "Hex", "Armor of Agathys", "Charm Person",
                                           "Hellish Rebuke"]),
                        l2={ELDRITCH_INVOCATIONS: "Agonizing Blast, Armor of Shadows"}))


def test_a_spell_swap_that_drops_eldritch_blast_is_refused_while_agonizing_blast_needs_it() -> None:
    vex = old_blaster()
    state, _ = answers(start(vex)[0], vex, "Warlock", "average", "Devil's Sight", "no", "Hold Person")
    assert state.step == "swap"
    kept, reply = answers(state, vex, "replace Eldritch Blast with Misty Step")
    assert kept == state and "Agonizing Blast needs the Eldritch Blast cantrip" in reply
    assert "can't be kept without its prerequisite" in reply
    # another spell may go
    state, _ = answers(state, vex, "replace Hex with Misty Step")
    assert state.step == "confirm" and "Hex" not in preview(state, vex)[0].spells_known
    # the confirmation checks again: a stale swap of Eldritch Blast is refused there too
    stale = state.model_copy(update={"swap": ["Eldritch Blast", "Misty Step"]})
    with pytest.raises(RulesError, match="Agonizing Blast needs the Eldritch Blast cantrip"):
        preview(stale, vex)
    done, reply = answers(stale, vex, "yes")
    assert done.status == "active" and "Agonizing Blast needs" in reply


def test_replacing_the_invocation_first_lets_the_spell_go() -> None:
    vex = old_blaster()
    state, reply = answers(start(vex)[0], vex, "Warlock", "average", "Devil's Sight",
                           "replace Agonizing Blast with Eldritch Sight", "Hold Person",
                           "replace Eldritch Blast with Misty Step")
    assert state.step == "confirm", reply
    leveled = preview(state, vex)[0]
    assert invocations(leveled) == ["Eldritch Sight", "Armor of Shadows", "Devil's Sight"]
    assert "Eldritch Blast" not in leveled.spells_known


def test_an_invocation_whose_prerequisite_fails_is_shown_not_in_effect_and_does_not_act() -> None:
    # stored before the prerequisites were checked: Agonizing Blast without Eldritch Blast, Thirsting Blade with
    # the Pact of the Chain
    vex = warlock(5, cantrips=("Minor Illusion", "Chill Touch"),
                  l2={ELDRITCH_INVOCATIONS: "Agonizing Blast, Armor of Shadows"},
                  l3={PACT_BOON: "Pact of the Chain"}, l5={ELDRITCH_INVOCATIONS: "Thirsting Blade"})
    text = choices_text(vex)
    assert "Agonizing Blast (not in effect: needs the Eldritch Blast cantrip)" in text
    assert "Thirsting Blade (not in effect: needs the Pact of the Blade)" in text
    assert "Armor of Shadows (Mage Armor" in text
    with pytest.raises(RulesError, match="don't know Eldritch Blast"):
        cast_spell(vex, "Eldritch Blast")
    assert attacks_per_action(vex, "Longsword") == 1
