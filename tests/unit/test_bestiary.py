"""The built-in bestiary: its numbers agree with each other (hit points with hit dice, to-hit with proficiency and
an ability, XP with challenge rating), it covers every encounter the shipped campaigns name, the combat engine
reads it, and — where the SRD test data is beside the project — its facts agree with the SRD's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dnd.abilities import modifier
from dnd.data.bestiary import BESTIARY, entries, entry, find_creature, proficiency_for_cr, xp_for_cr
from dnd.monsters import Combatant, MonsterBlock
from tests.srd_paths import PROJECT_ROOT, srd_monsters

NAMES = sorted(BESTIARY)
# Tiny beasts bite for a flat 1 with +0 to hit, as the SRD prints them; the Ghoul's and the Ghast's bites are
# weaker than their claws in the SRD too.
TO_HIT_AS_PRINTED = {("Rat", "Bite"), ("Bat", "Bite"), ("Cat", "Claws"), ("Ghoul", "Bite"), ("Ghast", "Bite"),
                     ("Black Bear", "Bite"), ("Black Bear", "Claws"),
                     # A veteran's stat block with a dragon's blood: the SRD keeps the veteran's bonuses at CR 5.
                     ("Half-Red Dragon Veteran", "Longsword"), ("Half-Red Dragon Veteran", "Shortsword"),
                     ("Half-Red Dragon Veteran", "Heavy Crossbow"),
                     ("Ghost", "Withering Touch")}  # a spirit's touch, with its Charisma


def average(dice: str) -> int:
    match = re.fullmatch(r"(\d+)d(\d+)([+-]\d+)?", dice)
    assert match, dice
    count, sides, bonus = int(match[1]), int(match[2]), int(match[3] or 0)
    return int(count * (sides + 1) / 2 + bonus)


def test_the_bestiary_has_forty_creatures_from_cr_0_to_5() -> None:
    low = [c for c in BESTIARY.values() if c.cr <= 5]
    assert len(low) >= 40
    assert {c.cr for c in low} >= {0, 0.125, 0.25, 0.5, 1, 2, 3, 4, 5}
    types = {c.type for c in low}
    assert {"beast", "humanoid", "undead", "monstrosity", "giant"} <= types
    assert {"Goblin", "Hobgoblin", "Bugbear", "Skeleton", "Zombie", "Ghoul", "Ghost", "Owlbear", "Ogre",
            "Troll", "Bandit", "Cultist", "Guard", "Thug", "Veteran"} <= set(BESTIARY)


@pytest.mark.parametrize("name", NAMES)
def test_hit_points_are_the_average_of_the_hit_dice(name: str) -> None:
    creature = BESTIARY[name]
    count = int(creature.hit_dice.split("d")[0])
    con_bonus = count * modifier(creature.abilities[2])
    dice = re.split(r"[+-]", creature.hit_dice)[0]
    if dice != creature.hit_dice:  # written with its bonus: it must be the Constitution bonus
        assert creature.hit_dice == f"{dice}{con_bonus:+d}"
    assert creature.hp == max(1, average(f"{dice}{con_bonus:+d}" if con_bonus else dice))


@pytest.mark.parametrize("name", NAMES)
def test_xp_and_attack_bonuses_follow_the_challenge_rating(name: str) -> None:
    creature = BESTIARY[name]
    assert creature.xp == xp_for_cr(creature.cr)
    proficiency = proficiency_for_cr(creature.cr)
    mods = {modifier(score) for score in creature.abilities}
    weapon_mods = {modifier(creature.abilities[0]), modifier(creature.abilities[1])}  # Strength or Dexterity
    for attack in creature.attacks:
        if (name, attack.name) not in TO_HIT_AS_PRINTED:
            assert attack.to_hit - proficiency in weapon_mods, attack.name
    for action in creature.saves_actions:
        assert 8 + proficiency + max(mods) - 3 <= action.dc <= 8 + proficiency + max(mods) + 4, action.name


@pytest.mark.parametrize("name", NAMES)
def test_the_engine_reads_every_creature(name: str) -> None:
    creature = BESTIARY[name]
    block = MonsterBlock.from_srd(entry(name))
    assert (block.armor_class, block.hit_points, block.challenge_rating, block.xp) == (
        creature.ac, creature.hp, creature.cr, creature.xp)
    assert [a.name for a in block.attacks] == [a.name for a in creature.attacks]
    assert len(block.multiattack) == len(creature.multiattack)
    for option, mine in zip(block.multiattack, creature.multiattack, strict=True):
        assert [(s.action, s.count) for s in option.steps] == [(n, str(c)) for n, c in mine]
    for action in creature.saves_actions:
        found = block.find_action(action.name)
        assert found is not None and (found.dc, found.dc_ability) == (action.dc, action.ability)
    combatant = Combatant.from_monster(block, name=f"{name} 1")
    assert combatant.hp == creature.hp and combatant.initiative_bonus == modifier(creature.abilities[1])


def test_entries_are_copies() -> None:
    first = entry("Goblin")
    first["hit_points"] = 1
    assert entry("Goblin")["hit_points"] == 7
    assert len(entries()) == len(BESTIARY)
    assert find_creature("giant-rat") is BESTIARY["Giant Rat"] and find_creature("GOBLIN") is BESTIARY["Goblin"]
    assert find_creature("dragon") is None


def campaign_encounters() -> set[str]:
    names: set[str] = set()
    for path in sorted((PROJECT_ROOT / "corpus" / "campaigns").glob("*.md")):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*-\s*\*\*Encounters?:\*\*\s*(.+)", line)
            if match:
                names.update(re.sub(r"^\d+\s+", "", part.strip()) for part in match[1].split(","))
    return names


def test_every_encounter_of_the_shipped_campaigns_is_in_the_bestiary() -> None:
    needed = campaign_encounters()
    assert len(needed) > 20  # the campaign files were read
    assert sorted(n for n in needed if find_creature(n) is None) == []


# ----------------------------------------------------------------------------- against the SRD (test data only)

SRD_ALIGNMENT_ONLY = {"Swarm of Bats", "Swarm of Rats", "Swarm of Insects"}  # "swarm of Tiny beasts"
# Where the 5e-database test data disagrees with its own numbers, our facts keep the consistent value.
DATA_ERRATA = {
    ("Brown Bear", "to_hit"),  # it gives +5, but Strength 19 with proficiency +2 makes +6
    ("Cult Fanatic", "hp"),  # it gives 22 (6d8), but Constitution 12 makes 6d8+6 = 33
    ("Flying Sword", "conditions"), ("Rug of Smothering", "conditions"),  # "blinded" twice where deafened belongs
    ("Black Bear", "skills"), ("Half-Red Dragon Veteran", "skills"),  # it lists no skills for them
}


@pytest.mark.parametrize("name", NAMES)
def test_the_facts_agree_with_the_srd(name: str) -> None:
    srd = srd_monsters().get(BESTIARY[name].index)
    if srd is None:
        pytest.skip(f"{name} is not in the SRD test data")
    creature = BESTIARY[name]
    ac = srd["armor_class"][0]["value"] if isinstance(srd["armor_class"], list) else srd["armor_class"]
    scores = tuple(srd[f] for f in ("strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma"))
    hp = creature.hp if (name, "hp") in DATA_ERRATA else srd["hit_points"]
    assert (creature.ac, creature.hp, creature.abilities, creature.cr, creature.xp) == (
        ac, hp, scores, srd["challenge_rating"], srd["xp"])
    assert re.split(r"[+-]", creature.hit_dice)[0] == srd["hit_dice"]
    assert creature.size == srd["size"]
    if name not in SRD_ALIGNMENT_ONLY:
        assert creature.type == srd["type"]
    srd_saves = {p["proficiency"]["name"].split(": ")[1]: p["value"] for p in srd.get("proficiencies", [])
                 if p["proficiency"]["name"].startswith("Saving Throw:")}
    srd_skills = {p["proficiency"]["name"].split(": ")[1]: p["value"] for p in srd.get("proficiencies", [])
                  if p["proficiency"]["name"].startswith("Skill:")}
    assert creature.saves == srd_saves
    assert creature.skills == srd_skills or (name, "skills") in DATA_ERRATA
    assert set(creature.immune) == set(srd["damage_immunities"])
    assert set(creature.vulnerable) == set(srd["damage_vulnerabilities"])
    theirs_conditions = {c["index"] for c in srd["condition_immunities"]}
    if (name, "conditions") in DATA_ERRATA:
        theirs_conditions.add("deafened")
    assert {c.casefold() for c in creature.condition_immune} == theirs_conditions
    srd_attacks = {a["name"]: a for a in srd["actions"] if a.get("attack_bonus") is not None}
    for attack in creature.attacks:
        theirs = srd_attacks.get(attack.name)
        assert theirs is not None, f"{attack.name} not among {sorted(srd_attacks)}"
        assert attack.to_hit == theirs["attack_bonus"] or (name, "to_hit") in DATA_ERRATA, attack.name
        dice = [d.get("damage_dice", "").replace(" ", "") for d in theirs.get("damage", []) if "damage_dice" in d]
        if attack.dice and dice:
            assert attack.dice == dice[0], attack.name
    ours = MonsterBlock.from_srd(entry(name))
    real = MonsterBlock.from_srd(srd)
    def options(block: MonsterBlock) -> set[tuple[tuple[str, str], ...]]:  # melee and ranged harpoon: one option
        return {tuple(sorted((s.action, s.count) for s in o.steps)) for o in block.multiattack}

    assert options(ours) == options(real)
