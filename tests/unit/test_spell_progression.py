"""Spells through a character's life, driven through the `!level_up` flow for all 12 classes from level 1 to 20:
the cantrips, spells known, a Wizard's spellbook, prepared counts, Mystic Arcanum and the spell slots at every
level against the SRD's class level data (`../shared`, read here at test time; the tests skip without it), and
multiclass spell slots the same way. The spells offered and accepted come from the SRD compendium's spells."""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import pytest

from dnd.character import (
    BONUS_PROFICIENCIES,
    CIRCLE_LAND,
    ELDRITCH_INVOCATIONS,
    HUNTER_POINTS,
    INVOCATION_SWAP,
    SIGNATURE_SPELLS,
    SPELL_MASTERY,
    Character,
    choice_names,
    invocations,
)
from dnd.class_choices import (
    BONUS_CANTRIP,
    SPELLBOOK_LEVELS,
    already_chosen,
    choice_points,
    metamagic_known,
    open_invocations,
    pact_boon,
    picks,
)
from dnd.class_choices import options as choice_options
from dnd.creation import CreationChoices, create_character
from dnd.data.classes import ALL_SKILLS_LABEL, CLASSES
from dnd.data.equipment import MUSICAL_INSTRUMENTS
from dnd.data.skills import ABILITIES, SKILLS
from dnd.errors import RulesError
from dnd.level_up_flow import CHOICE_STEPS, LevelUpState, answer, leveled_character, start
from dnd.leveling import level_up_options, xp_for_level
from dnd.progression import get_class
from dnd.spellcasting import (
    SpellCatalog,
    always_prepared,
    builtin_catalog,
    catalog_from_srd,
    max_spell_level,
    prepare_limit,
    prepare_spells,
    spell_gains,
)
from tests.srd_paths import SRD_MARKDOWN_DIR, srd_json

BACKGROUND_SKILLS = ("Insight", "Religion")  # the Acolyte's


@cache
def catalog() -> SpellCatalog:
    return catalog_from_srd(srd_json("Spells"))


@cache
def srd_levels() -> dict[tuple[str, int], dict[str, Any]]:
    return {(e["class"]["name"], e["level"]): e for e in srd_json("Levels") if not e.get("subclass")}


@cache
def srd_table_column(cls: str, column: str) -> dict[int, int]:
    """A number column of the class's table in the SRD's Markdown (`Classes/<cls>.md`), by level ("-" is 0)."""
    path = SRD_MARKDOWN_DIR / "OldManUmby-DND.SRD.Wiki" / "Classes" / f"{cls}.md"
    if not path.is_file():
        pytest.skip(f"SRD Markdown test data not found at {path} (set SRD_MARKDOWN_DIR)")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = next(r for r in rows if column in r)
    index = header.index(column)
    return {int(r[0][:-2]): int(r[index]) if r[index].isdigit() else 0 for r in rows
            if len(r) == len(header) and r[0][:-2].isdigit()}


def _feature_names(cls: str, level: int) -> set[str]:
    return {f["name"] for f in srd_levels()[(cls, level)].get("features", [])}


def _spellcasting(cls: str, level: int) -> dict[str, int]:
    return srd_levels()[(cls, level)].get("spellcasting") or {}


def _srd_slots(cls: str, level: int) -> dict[int, int]:
    casting = _spellcasting(cls, level)
    return {n: casting[f"spell_slots_level_{n}"] for n in range(1, 10) if casting.get(f"spell_slots_level_{n}")}


def _scores(cls: str) -> dict[str, int]:
    """The standard array, 15 in the class's spellcasting ability (else STR), 14 in CON."""
    key = get_class(cls).spellcasting_ability or "STR"
    rest = [a for a in ABILITIES if a not in (key, "CON")]
    return {key: 15, "CON": 14, **dict(zip(rest, (13, 12, 10, 8), strict=True))}


def _first(cat: SpellCatalog, cls: str, n: int, low: int, high: int, have: list[str], *,
           off_list: bool = False) -> list[str]:
    known = {s.casefold() for s in have}
    pool = [s for s in sorted(cat.spells.values(), key=lambda s: (s.level, s.name))
            if low <= s.level <= high and s.name.casefold() not in known
            and ((cls not in s.classes) if off_list else (cls in s.classes))]
    return [s.name for s in pool[:n]]


def level_one(cls: str) -> Character:
    info = get_class(cls)
    options = list(SKILLS) if ALL_SKILLS_LABEL in info.skill_options else list(info.skill_options)
    skills = [s for s in options if s not in BACKGROUND_SKILLS and s != "Intimidation"][:info.skill_count]
    gains = spell_gains(cls, 1)
    cat = catalog()
    choices = CreationChoices(
        name="Ilsa", race="Half-Orc", class_name=cls, ability_method="standard_array", base_scores=_scores(cls),
        background="Acolyte", skills=skills, languages=["Giant", "Dwarvish"],
        tools=list(MUSICAL_INSTRUMENTS[:info.tool_choices]) if info.tool_choices else [],
        expertise=skills[:2] if cls == "Rogue" else [],
        subclass=info.subclass if info.subclass_level == 1 else None,
        cantrips=_first(cat, cls, gains.cantrips, 0, 0, []),
        spells=_first(cat, cls, gains.spells if gains.spells else 0, 1, 1, []),
    )
    return create_character(choices, catalog=cat)


def _asi(character: Character) -> str:
    low = sorted((v, a) for a, v in character.ability_scores.items() if v < 20)
    return f"+1 {low[0][1]} +1 {low[1][1]}"


def _spell_answer(state: LevelUpState, character: Character, cls: str, level: int) -> str:
    cat, gains = catalog(), spell_gains(cls, level)
    have = [*character.cantrips, *character.spells_known]
    if state.step == "cantrips":
        return ", ".join(_first(cat, cls, gains.cantrips, 0, 0, have))
    if state.step == "spells":
        secret = _first(cat, cls, gains.any_list // 2, 1, gains.max_level, have, off_list=True)
        if cls == "Wizard":  # one of the highest level (a 20th-level Wizard's Signature Spells are 3rd-level ones)
            secret = _first(cat, cls, 1, gains.max_level, gains.max_level, have)
        rest = _first(cat, cls, gains.spells - len(secret), 1, gains.max_level, [*have, *secret])
        return ", ".join([*secret, *rest])
    if state.step == "swap":
        if level % 2:  # every other level: give up the first spell known for another of the class
            new = _first(cat, cls, 1, 1, gains.max_level, [*have, *state.new_spells])
            return f"replace {character.spells_known[0]} with {new[0]}"
        return "no"
    assert state.step == "arcanum"
    return _first(cat, cls, 1, gains.arcanum, gains.arcanum, have)[0]


def _class_choice(point: str, state: LevelUpState, character: Character, cls: str, level: int) -> str:
    """The first options open (as many as the level gives); an invocation swapped at every third level."""
    if point in (ELDRITCH_INVOCATIONS, INVOCATION_SWAP):
        open_now = [i.name for i in open_invocations(character, level, state.class_choices)]
        if point == INVOCATION_SWAP:
            return f"replace {invocations(character)[0]} with {open_now[0]}" if level % 3 == 0 else "no"
        return ", ".join(open_now[:picks(point, cls, level)])
    if point == BONUS_CANTRIP:
        return _first(catalog(), "Druid", 1, 0, 0, character.cantrips)[0]
    if point in SPELLBOOK_LEVELS:  # the first spellbook spells of the levels asked
        book = sorted(character.spells_known, key=lambda n: (catalog().get(n).level, n))
        wanted = SPELLBOOK_LEVELS[point]
        firsts = [n for n in book if catalog().get(n).level == wanted[0]]
        seconds = [n for n in book if catalog().get(n).level == wanted[1] and n not in firsts[:1]]
        return ", ".join([firsts[0], seconds[0]])
    taken = already_chosen(point, character)
    return ", ".join([o for o in choice_options(point, cls) if o not in taken][:picks(point, cls, level)])


def _answer_for(state: LevelUpState, character: Character, cls: str, level: int) -> str:
    step = state.step
    fixed = {"class": cls, "hp": "average", "confirm": "yes"}
    if step in fixed:
        return fixed[step]
    if step == "asi":
        return _asi(character)
    if step == "subclass":
        return get_class(cls).subclass
    if step in CHOICE_STEPS:
        sub = state.subclass or character.subclasses.get(cls)
        point = choice_points(cls, level, sub)[CHOICE_STEPS.index(step)]
        return _class_choice(point, state, character, cls, level)
    if step == "skills":
        options = level_up_options(character, cls)
        return ", ".join(options.skill_options[:options.skill_choices])
    if step == "expertise":
        return ", ".join([s for s in character.skills if s not in character.expertise][:2])
    if step in ("cantrips", "spells", "swap", "arcanum"):
        return _spell_answer(state, character, cls, level)
    raise AssertionError(f"the test doesn't answer the step {step!r}")


def level_up(character: Character, cls: str, *, cat: SpellCatalog | None = None) -> Character:
    """One level in ``cls`` through the flow, every answer accepted."""
    character = character.model_copy(update={"xp": max(character.xp, xp_for_level(character.level + 1))})
    level = character.class_levels.get(cls, 0) + 1
    state, reply = start(character)
    rng = random.Random(7)
    for _ in range(30):
        if state.status == "done":
            return leveled_character(state)
        text = _answer_for(state, character, cls, level)
        before = state.step
        state, reply = answer(state, character, text, rng, cat or catalog())
        assert state.step != before or state.status != "active", f"{cls} {level}, {before}: {text!r} → {reply}"
    raise AssertionError(f"the level-up of {cls} to {level} didn't finish: {reply}")


def _arcana(character: Character) -> list[str]:
    return [s for s in character.spells_known if (catalog().find(s) or catalog().get(s)).level >= 6]


@pytest.mark.parametrize("cls", list(CLASSES))
def test_spells_grow_by_the_class_table_to_level_20(cls: str) -> None:
    character = level_one(cls)
    info = get_class(cls)
    for level in range(1, 21):
        if level > 1:
            character = level_up(character, cls)
        assert character.class_levels == {cls: level}
        casting = _spellcasting(cls, level)
        bonus_cantrip = cls == "Druid" and level >= 2  # the Circle of the Land's, one druid cantrip more
        assert len(character.cantrips) == casting.get("cantrips_known", 0) + bonus_cantrip, (level, character.cantrips)
        _check_subclass_choices(character, cls, level)
        arcana = _arcana(character) if cls == "Warlock" else []
        known = [s for s in character.spells_known if s not in arcana]
        if info.spells_known is not None:
            assert len(known) == casting.get("spells_known", 0), (level, known)
        elif cls == "Wizard":
            assert len(known) == 6 + 2 * (level - 1)  # the SRD's spellbook: six at 1st, two more each level
        else:
            assert known == []
        specific = srd_levels()[(cls, level)].get("class_specific") or {}
        if cls == "Sorcerer":  # the levels with the Metamagic feature: two options at the first, one more at each
            # other (the data's metamagic_known column rises at 16th, a level early for the SRD's "17th level")
            gained = [n for n in range(1, level + 1) if "Metamagic" in _feature_names(cls, n)]
            assert len(metamagic_known(character)) == len(gained) + bool(gained), level
            assert len(set(metamagic_known(character))) == len(metamagic_known(character))
        if cls == "Warlock":
            # the SRD's Warlock table (the data's invocations_known column runs ahead of it at 4th and 6th)
            assert len(invocations(character)) == srd_table_column(cls, "Invocations Known")[level], level
            assert len(set(invocations(character))) == len(invocations(character))
            assert (pact_boon(character) is not None) == (level >= 3)
            assert len(arcana) == sum(specific.get(f"mystic_arcanum_level_{n}", 0) for n in range(6, 10))
            assert character.pact_slots_max == sum(_srd_slots(cls, level).values())
            assert character.pact_slot_level == max(_srd_slots(cls, level), default=0)
        else:
            assert character.spell_slots_max == _srd_slots(cls, level), level
        for name in character.spells_known:  # every spell learned is one the class could learn at that level
            assert catalog().get(name).level <= max(max_spell_level(cls, level), 9 if name in arcana else 0)
        if info.prepares_spells:
            _check_prepared(character, cls, level)


def _check_subclass_choices(character: Character, cls: str, level: int) -> None:
    """The SRD subclasses' choices, stored at their levels: a Hunter's four options (each a feature of the
    character), a Lore bard's three more skills, a Land druid's land and its circle spells prepared at Druid 3, 5,
    7 and 9, a Wizard's Spell Mastery at 18 and Signature Spells at 20 (always prepared)."""
    if cls == "Ranger":
        chosen = [n for point in HUNTER_POINTS for n in choice_names(character, point)]
        assert len(chosen) == sum(level >= n for n in (3, 7, 11, 15)), (level, chosen)
        assert set(chosen) <= set(character.features)
    if cls == "Bard":
        assert len(character.skills) == len(level_one("Bard").skills) + 3 * (level >= 3), (level, character.skills)
        assert len(choice_names(character, BONUS_PROFICIENCIES)) == 3 * (level >= 3)
    if cls == "Druid":
        assert choice_names(character, CIRCLE_LAND) == (["Arctic"] if level >= 2 else [])
        circle = always_prepared(character, "Druid")
        assert len(circle) == 2 * sum(level >= n for n in (3, 5, 7, 9)), circle
        assert set(circle) <= set(character.spells_prepared)
        for name in circle:
            assert catalog().get(name).level <= max_spell_level(cls, level)
    if cls == "Wizard":
        mastery, signature = choice_names(character, SPELL_MASTERY), choice_names(character, SIGNATURE_SPELLS)
        assert [catalog().get(n).level for n in mastery] == ([1, 2] if level >= 18 else [])
        assert [catalog().get(n).level for n in signature] == ([3, 3] if level >= 20 else [])
        assert set(signature) <= set(character.spells_prepared) and set(signature) <= set(character.spells_known)


def _check_prepared(character: Character, cls: str, level: int) -> None:
    """The SRD: spellcasting modifier + class level (half, rounded down, for a Paladin), at least one."""
    mod = (character.ability_scores[get_class(cls).spellcasting_ability or "INT"] - 10) // 2
    expected = max(1, mod + (level // 2 if cls == "Paladin" else level)) if _srd_slots(cls, level) else 0
    assert prepare_limit(character, cls) == expected
    if not expected:
        return
    top = max_spell_level(cls, level)
    pool = character.spells_known if cls == "Wizard" else _first(catalog(), cls, 200, 1, top, [])
    always = [s.casefold() for s in prepare_spells(character, [], catalog()).spells_prepared]
    pool = [s for s in pool if s.casefold() not in always and catalog().get(s).level <= top]
    if len(pool) <= expected:
        return
    prepared = prepare_spells(character, pool[:expected], catalog())
    assert len(prepared.spells_prepared) == expected + len(always)
    with pytest.raises(RulesError, match="Too many spells"):
        prepare_spells(character, pool[:expected + 1], catalog())


@pytest.mark.parametrize("path", [
    ("Wizard", "Cleric", "Paladin", "Ranger", "Wizard", "Paladin", "Cleric", "Ranger", "Wizard", "Sorcerer"),
    ("Cleric", "Warlock", "Paladin", "Warlock", "Druid", "Bard", "Paladin", "Ranger", "Druid", "Cleric"),
])
def test_multiclass_spell_slots(path: tuple[str, ...]) -> None:
    """The SRD: a multiclass caster's slots are those of a full caster of its combined caster level (full
    levels, half of Paladin and Ranger levels rounded down); Warlock pact slots apart, by Warlock level."""
    character = level_one(path[0])
    character = character.model_copy(update={"base_scores": {a: 15 for a in ABILITIES}})
    character = character.model_copy(update={"ability_scores": {a: 16 for a in ABILITIES}})
    for step in (*path[1:], *path):
        if character.level >= 20:
            break
        character = level_up(character, step)
        levels = character.class_levels
        caster = sum(n for c, n in levels.items() if get_class(c).caster == "full") + sum(
            n // 2 for c, n in levels.items() if get_class(c).caster == "half")
        casters = [c for c in levels if get_class(c).caster in ("full", "half")]
        single = len(casters) == 1
        if single:
            expected = _srd_slots(casters[0], levels[casters[0]])
        else:
            expected = _srd_slots("Wizard", caster) if caster else {}
        assert character.spell_slots_max == expected, levels
        if "Warlock" in levels:
            assert character.pact_slots_max == sum(_srd_slots("Warlock", levels["Warlock"]).values())


# --------------------------------------------------------------------------- refusals


def test_a_level_one_wizard_is_refused_what_it_cannot_learn() -> None:
    cat = catalog()
    base = level_one("Wizard")
    for bad, said in (("Wish", "level 9 spell"), ("Meteor Swarm", "level 9 spell"),
                      ("Fireblt", "Did you mean Fire Bolt"), ("Cure Wounds", "not on the Wizard spell list")):
        with pytest.raises(RulesError, match=said):
            create_character(CreationChoices(**{**_choices_of(base), "spells": ["Shield", bad]}), catalog=cat)


def _choices_of(character: Character) -> dict[str, Any]:
    return {"name": "Ilsa", "race": "Half-Orc", "class_name": "Wizard", "ability_method": "standard_array",
            "base_scores": _scores("Wizard"), "background": "Acolyte", "skills": ["Arcana", "History"],
            "languages": ["Giant", "Dwarvish"], "cantrips": ["Fire Bolt"]}


def test_a_high_elf_bonus_cantrip_is_from_the_wizard_list_and_the_class_check_stays() -> None:
    cat = catalog()
    cleric = {"name": "Ilsa", "race": "Elf", "subrace": "High Elf", "class_name": "Cleric", "subclass": "Life",
              "ability_method": "standard_array", "base_scores": _scores("Cleric"), "background": "Acolyte",
              "skills": ["History", "Medicine"], "languages": ["Giant", "Dwarvish", "Orc"]}
    made = create_character(CreationChoices(**cleric, cantrips=["Sacred Flame", "Light", "Guidance", "Fire Bolt"]),
                            catalog=cat)
    assert "Fire Bolt" in made.cantrips
    with pytest.raises(RulesError, match="Eldritch Blast is not on the Cleric spell list"):
        create_character(CreationChoices(**cleric, cantrips=["Sacred Flame", "Eldritch Blast"]), catalog=cat)
    with pytest.raises(RulesError, match="Only 1 cantrip"):
        create_character(CreationChoices(**cleric, cantrips=["Sacred Flame", "Fire Bolt", "Ray of Frost"]),
                         catalog=cat)
    with pytest.raises(RulesError, match="must be on the Wizard list"):
        create_character(CreationChoices(**cleric, cantrips=["Sacred Flame", "Guidance", "Thaumaturgy",
                                                             "Spare the Dying"]), catalog=cat)


def test_level_up_refuses_off_list_too_high_misspelled_and_wrong_counts() -> None:
    bard = level_one("Bard")
    for _ in range(2):
        bard = level_up(bard, "Bard")  # level 3: 2nd-level spells
    bard = bard.model_copy(update={"xp": xp_for_level(4)})
    state, _ = start(bard)
    rng = random.Random(1)
    for text in ("Bard", "average", ):
        state, _ = answer(state, bard, text, rng, catalog())
    while state.step not in ("cantrips", "spells"):
        state, _ = answer(state, bard, _answer_for(state, bard, "Bard", 4), rng, catalog())
    assert state.step == "cantrips"
    for text, said in (("Fire Bolt", "not on the Bard spell list"), ("Vicious Mockery, Light", "exactly 1"),
                       ("Viscious Mockry", "Did you mean Vicious Mockery")):
        after, reply = answer(state, bard, text, rng, catalog())
        assert after == state and said in reply
    state, _ = answer(state, bard, _answer_for(state, bard, "Bard", 4), rng, catalog())
    assert state.step == "spells"
    for text, said in (("Fireball", "level 3 spell"), ("Shield", "not on the Bard spell list"),
                       (bard.spells_known[0], "already know")):
        after, reply = answer(state, bard, text, rng, catalog())
        assert after == state and said in reply, reply


def test_built_in_catalog_refuses_unknown_spells_without_the_compendium() -> None:
    with pytest.raises(RulesError, match="I don't know a spell called 'Fireblt'. Did you mean Fire Bolt"):
        builtin_catalog().get("Fireblt")


def _through(character: Character, cls: str, answers: dict[str, str]) -> tuple[LevelUpState, str]:
    """One level-up with the given answers by step (the rest answered as the table-driven test does)."""
    character = character.model_copy(update={"xp": xp_for_level(character.level + 1)})
    state, reply = start(character)
    rng = random.Random(3)
    level = character.class_levels.get(cls, 0) + 1
    while state.status == "active":
        text = answers.get(state.step) or _answer_for(state, character, cls, level)
        state, reply = answer(state, character, text, rng, catalog())
        assert state.status != "active" or state.step not in answers or answers[state.step] != text, reply
    return state, reply


def test_a_swap_replaces_one_known_spell_and_magical_secrets_reach_any_list() -> None:
    sorcerer = level_up(level_one("Sorcerer"), "Sorcerer")
    old = sorcerer.spells_known[0]
    state, reply = _through(sorcerer, "Sorcerer", {"spells": "Shatter", "swap": f"replace {old} with Sleep"})
    after = leveled_character(state)
    assert old not in after.spells_known and "Sleep" in after.spells_known and "Shatter" in after.spells_known
    assert len(after.spells_known) == len(sorcerer.spells_known) + 1 and f"(instead of {old})" in reply

    bard = level_one("Bard")
    for _ in range(8):
        bard = level_up(bard, "Bard")
    state, _ = _through(bard, "Bard", {"spells": "Fireball, Cone of Cold", "cantrips": "Vicious Mockery"})
    assert {"Fireball", "Cone of Cold"} <= set(leveled_character(state).spells_known)  # Wizard spells, at 10


def test_mystic_arcanum_is_a_sixth_level_warlock_spell() -> None:
    warlock = level_one("Warlock")
    for _ in range(9):
        warlock = level_up(warlock, "Warlock")
    warlock = warlock.model_copy(update={"xp": xp_for_level(11)})
    probe, _ = start(warlock)
    rng, reply = random.Random(1), ""
    for _ in range(10):
        if probe.step == "arcanum":
            break
        probe, reply = answer(probe, warlock, _answer_for(probe, warlock, "Warlock", 11), rng, catalog())
    assert probe.step == "arcanum", reply
    for bad, said in (("Fireball", "level 3 spell"), ("Chain Lightning", "not on the Warlock spell list"),
                      ("Eyebite", "")):
        after, reply = answer(probe, warlock, bad, rng, catalog())
        assert (after == probe) == bool(said) and said in reply, reply
    assert leveled_character(answer(after, warlock, "yes", rng, catalog())[0]).spells_known[-1] == "Eyebite"


def test_copy_a_scroll_into_a_spellbook() -> None:
    from dnd.character import InventoryItem
    from dnd.spellcasting import copy_spell
    from dnd.wealth import Wealth
    wizard = level_one("Wizard").model_copy(update={"wealth": Wealth(gp=120), "inventory": [
        InventoryItem(name="Spell Scroll (Thunderwave)", qty=1, weight=0)]})
    copied, result = copy_spell(wizard, "thunderwave", catalog(), d20=10)
    assert result.copied and (result.cost_gp, result.hours, result.dc) == (50, 2, 11)
    assert copied.spells_known[-1] == "Thunderwave" and copied.wealth.gp == 70 and copied.inventory == []
    failed, result = copy_spell(wizard, "Thunderwave", catalog(), d20=1)
    assert not result.copied and "Thunderwave" not in failed.spells_known and failed.inventory == []
    for bad, said in (("Fireball", "no spell scroll of Fireball"), ("Fireblt", "Did you mean")):
        with pytest.raises(RulesError, match=said):
            copy_spell(wizard, bad, catalog(), d20=10)
    poor = wizard.model_copy(update={"wealth": Wealth(gp=10)})
    with pytest.raises(RulesError, match="costs 50 gp"):
        copy_spell(poor, "Thunderwave", catalog(), d20=10)


def test_prepare_only_after_a_long_rest_and_never_an_off_list_spell() -> None:
    from dnd.rests import long_rest
    cleric = level_one("Cleric")
    prepared = prepare_spells(cleric, ["Guiding Bolt", "Healing Word"], catalog())
    assert prepared.spells_prepared == ["Bless", "Cure Wounds", "Guiding Bolt", "Healing Word"]
    with pytest.raises(RulesError, match="when a long rest ends"):
        prepare_spells(prepared, ["Command"], catalog())
    rested, _ = long_rest(prepared)
    assert prepare_spells(rested, ["Command"], catalog()).spells_prepared == ["Bless", "Cure Wounds", "Command"]
    for bad, said in (("Magic Missile", "not on the Cleric spell list"), ("Spiritual Weapon", "level 2 spell"),
                      ("Sacred Flame", "cantrip")):
        with pytest.raises(RulesError, match=said):
            prepare_spells(rested, [bad], catalog())
    wizard = level_one("Wizard")
    outside = next(s.name for s in catalog().for_class("Wizard", 1, 1) if s.name not in wizard.spells_known)
    with pytest.raises(RulesError, match="isn't in your spellbook"):
        prepare_spells(wizard, [outside], catalog())
