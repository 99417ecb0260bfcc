"""A small table of common SRD spells the engine knows without the database, written by hand.

The full compendium comes from the database later; this table covers the spells players reach for
most, with what the engine needs to resolve them: level, school, casting time, how it hits (spell
attack or saving throw), damage or healing dice and how they scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

AttackKind = Literal["ranged", "melee"]


@dataclass(frozen=True)
class SpellInfo:
    name: str
    level: int  # 0 = cantrip
    school: str
    casting_time: str
    range: str
    classes: tuple[str, ...]
    concentration: bool = False
    ritual: bool = False
    attack: AttackKind | None = None  # spell attack roll
    save: str | None = None  # saving throw ability
    save_effect: Literal["half", "none", ""] = ""  # on a successful save: half damage, or no effect
    damage: str = ""  # dice at the spell's own level, e.g. "8d6" or "3d4+3"
    damage_type: str = ""
    add_mod_to_damage: bool = False  # Spiritual Weapon
    heal: str = ""  # dice at the spell's own level; the caster's spellcasting modifier is added
    heal_flat: int = 0  # Heal-like fixed amounts (unused by the table below)
    upcast: str = ""  # extra dice per ``upcast_every`` slot levels above the spell's level
    upcast_every: int = 1
    cantrip_scaling: bool = False  # damage dice x2 at 5th, x3 at 11th, x4 at 17th character level
    summary: str = ""
    # Dice by slot level or by character level, as the SRD compendium gives them ("MOD": the spellcasting
    # modifier); when set they replace ``damage``/``heal`` scaled by ``upcast``.
    damage_by_slot: tuple[tuple[int, str], ...] = ()
    damage_by_character_level: tuple[tuple[int, str], ...] = ()
    heal_by_slot: tuple[tuple[int, str], ...] = ()

    @property
    def is_cantrip(self) -> bool:
        return self.level == 0


def _s(name: str, level: int, school: str, time: str, rng: str, classes: str, **kw: object) -> SpellInfo:
    if kw.get("save") and not kw.get("save_effect"):
        kw["save_effect"] = "none"  # a successful save avoids the effect entirely
    return SpellInfo(name, level, school, time, rng, tuple(classes.split(",")), **kw)  # type: ignore[arg-type]


_A, _BA, _R = "1 action", "1 bonus action", "1 reaction"
_ARC = "Sorcerer,Wizard"

SPELLS: Final[dict[str, SpellInfo]] = {
    s.name: s
    for s in (
        # Cantrips
        _s("Acid Splash", 0, "Conjuration", _A, "60 feet", _ARC, save="DEX", save_effect="none",
           damage="1d6", damage_type="acid", cantrip_scaling=True,
           summary="A bubble of acid hits one creature or two within 5 feet of each other."),
        _s("Chill Touch", 0, "Necromancy", _A, "120 feet", "Sorcerer,Warlock,Wizard", attack="ranged",
           damage="1d8", damage_type="necrotic", cantrip_scaling=True,
           summary="A ghostly hand; the target can't regain hit points until your next turn."),
        _s("Eldritch Blast", 0, "Evocation", _A, "120 feet", "Warlock", attack="ranged", damage="1d10",
           damage_type="force",
           summary="A beam of crackling energy; more beams (not bigger dice) at 5th, 11th and 17th level."),
        _s("Fire Bolt", 0, "Evocation", _A, "120 feet", _ARC, attack="ranged", damage="1d10",
           damage_type="fire", cantrip_scaling=True, summary="A mote of fire; ignites unattended objects."),
        _s("Light", 0, "Evocation", _A, "Touch", "Bard,Cleric,Sorcerer,Wizard", save="DEX",
           summary="An object sheds bright light in a 20-foot radius for an hour."),
        _s("Mage Hand", 0, "Conjuration", _A, "30 feet", "Bard,Sorcerer,Warlock,Wizard",
           summary="A spectral hand manipulates light objects up to 30 feet away."),
        _s("Poison Spray", 0, "Conjuration", _A, "10 feet", "Druid,Sorcerer,Warlock,Wizard", save="CON",
           save_effect="none", damage="1d12", damage_type="poison", cantrip_scaling=True,
           summary="A puff of noxious gas at a creature within 10 feet."),
        _s("Produce Flame", 0, "Conjuration", _A, "Self", "Druid", attack="ranged", damage="1d8",
           damage_type="fire", cantrip_scaling=True,
           summary="A flame in your hand gives light and can be hurled at a creature."),
        _s("Ray of Frost", 0, "Evocation", _A, "60 feet", _ARC, attack="ranged", damage="1d8",
           damage_type="cold", cantrip_scaling=True,
           summary="A frigid beam; the target loses 10 feet of speed."),
        _s("Sacred Flame", 0, "Evocation", _A, "60 feet", "Cleric", save="DEX", save_effect="none",
           damage="1d8", damage_type="radiant", cantrip_scaling=True,
           summary="Radiance descends on a creature; cover gives no benefit against it."),
        _s("Shocking Grasp", 0, "Evocation", _A, "Touch", _ARC, attack="melee", damage="1d8",
           damage_type="lightning", cantrip_scaling=True,
           summary="Lightning from your hand; advantage against metal armor, and the target can't react."),
        _s("Vicious Mockery", 0, "Enchantment", _A, "60 feet", "Bard", save="WIS", save_effect="none",
           damage="1d4", damage_type="psychic", cantrip_scaling=True,
           summary="Magical insults; the target has disadvantage on its next attack roll."),
        # 1st level
        _s("Bless", 1, "Enchantment", _A, "30 feet", "Cleric,Paladin", concentration=True,
           summary="Up to three creatures add 1d4 to attack rolls and saving throws (+1 target per level)."),
        _s("Burning Hands", 1, "Evocation", _A, "Self", _ARC, save="DEX", save_effect="half", damage="3d6",
           damage_type="fire", upcast="1d6", summary="A 15-foot cone of flame."),
        _s("Charm Person", 1, "Enchantment", _A, "30 feet", "Bard,Druid,Sorcerer,Warlock,Wizard", save="WIS",
           summary="A humanoid regards you as a friendly acquaintance for an hour."),
        _s("Command", 1, "Enchantment", _A, "60 feet", "Cleric,Paladin", save="WIS",
           summary="A one-word command the target obeys on its next turn."),
        _s("Cure Wounds", 1, "Evocation", _A, "Touch", "Bard,Cleric,Druid,Paladin,Ranger", heal="1d8",
           upcast="1d8", summary="A touch restores hit points."),
        _s("Detect Magic", 1, "Divination", _A, "Self", "Bard,Cleric,Druid,Paladin,Ranger,Sorcerer,Wizard",
           concentration=True, ritual=True, summary="Sense magic within 30 feet for up to 10 minutes."),
        _s("Guiding Bolt", 1, "Evocation", _A, "120 feet", "Cleric", attack="ranged", damage="4d6",
           damage_type="radiant", upcast="1d6",
           summary="A flash of light; the next attack against the target has advantage."),
        _s("Healing Word", 1, "Evocation", _BA, "60 feet", "Bard,Cleric,Druid", heal="1d4", upcast="1d4",
           summary="A word restores hit points to a creature you can see."),
        _s("Hellish Rebuke", 1, "Evocation", _R, "60 feet", "Warlock", save="DEX", save_effect="half",
           damage="2d10", damage_type="fire", upcast="1d10",
           summary="When a creature damages you, hellish flames engulf it."),
        _s("Hunter's Mark", 1, "Divination", _BA, "90 feet", "Ranger", concentration=True, damage="1d6",
           summary="Your weapon hits deal an extra 1d6 to the marked quarry."),
        _s("Inflict Wounds", 1, "Necromancy", _A, "Touch", "Cleric", attack="melee", damage="3d10",
           damage_type="necrotic", upcast="1d10", summary="A touch of necrotic energy."),
        _s("Mage Armor", 1, "Abjuration", _A, "Touch", _ARC,
           summary="An unarmored willing creature's AC becomes 13 + its DEX modifier for 8 hours."),
        _s("Magic Missile", 1, "Evocation", _A, "120 feet", _ARC, damage="3d4+3", damage_type="force",
           upcast="1d4+1", summary="Three darts of force that always hit (one more dart per slot level)."),
        _s("Shield", 1, "Abjuration", _R, "Self", _ARC,
           summary="+5 AC until your next turn, including against the triggering attack."),
        _s("Sleep", 1, "Enchantment", _A, "90 feet", "Bard,Sorcerer,Wizard",
           summary="Creatures totaling 5d8 hit points fall asleep (+2d8 per slot level above 1st)."),
        _s("Thunderwave", 1, "Evocation", _A, "Self", "Bard,Druid,Sorcerer,Wizard", save="CON",
           save_effect="half", damage="2d8", damage_type="thunder", upcast="1d8",
           summary="A 15-foot cube of thunder that pushes creatures 10 feet away."),
        # 2nd level
        _s("Hold Person", 2, "Enchantment", _A, "60 feet", "Bard,Cleric,Druid,Sorcerer,Warlock,Wizard",
           concentration=True, save="WIS",
           summary="A humanoid is paralyzed; it repeats the save at the end of each of its turns."),
        _s("Misty Step", 2, "Conjuration", _BA, "Self", "Sorcerer,Warlock,Wizard",
           summary="Teleport up to 30 feet to a space you can see."),
        _s("Moonbeam", 2, "Evocation", _A, "120 feet", "Druid", concentration=True, save="CON",
           save_effect="half", damage="2d10", damage_type="radiant", upcast="1d10",
           summary="A cylinder of moonlight burns creatures that enter or start their turn in it."),
        _s("Prayer of Healing", 2, "Evocation", "10 minutes", "30 feet", "Cleric", heal="2d8", upcast="1d8",
           summary="Up to six creatures regain hit points."),
        _s("Scorching Ray", 2, "Evocation", _A, "120 feet", _ARC, attack="ranged", damage="2d6",
           damage_type="fire",
           summary="Three rays, each a separate attack for 2d6 (one more ray per level)."),
        _s("Shatter", 2, "Evocation", _A, "60 feet", "Bard,Sorcerer,Warlock,Wizard", save="CON",
           save_effect="half", damage="3d8", damage_type="thunder", upcast="1d8",
           summary="A painful ringing noise in a 10-foot sphere."),
        _s("Spiritual Weapon", 2, "Evocation", _BA, "60 feet", "Cleric", attack="melee", damage="1d8",
           damage_type="force", add_mod_to_damage=True, upcast="1d8", upcast_every=2,
           summary="A floating spectral weapon attacks as a bonus action for a minute."),
        # 3rd level
        _s("Counterspell", 3, "Abjuration", _R, "60 feet", "Sorcerer,Warlock,Wizard",
           summary="Interrupt a creature casting a spell; 4th level or higher needs an ability check."),
        _s("Dispel Magic", 3, "Abjuration", _A, "120 feet",
           "Bard,Cleric,Druid,Paladin,Sorcerer,Warlock,Wizard",
           summary="End spells of 3rd level or lower on a target; higher ones need an ability check."),
        _s("Fireball", 3, "Evocation", _A, "150 feet", _ARC, save="DEX", save_effect="half", damage="8d6",
           damage_type="fire", upcast="1d6", summary="A 20-foot-radius explosion of flame."),
        _s("Lightning Bolt", 3, "Evocation", _A, "Self", _ARC, save="DEX", save_effect="half", damage="8d6",
           damage_type="lightning", upcast="1d6", summary="A 100-foot line of lightning."),
        _s("Mass Healing Word", 3, "Evocation", _BA, "60 feet", "Cleric", heal="1d4", upcast="1d4",
           summary="Up to six creatures regain hit points."),
        _s("Revivify", 3, "Conjuration", _A, "Touch", "Cleric,Paladin",
           summary="A creature dead for no more than a minute returns with 1 hit point (300 gp diamonds)."),
        _s("Spirit Guardians", 3, "Conjuration", _A, "Self", "Cleric", concentration=True, save="WIS",
           save_effect="half", damage="3d8", damage_type="radiant", upcast="1d8",
           summary="Spirits in a 15-foot radius slow and harm enemies (necrotic if you are evil)."),
        # 5th level
        _s("Cone of Cold", 5, "Evocation", _A, "Self", _ARC, save="CON", save_effect="half", damage="8d8",
           damage_type="cold", upcast="1d8", summary="A 60-foot cone of cold air."),
        _s("Mass Cure Wounds", 5, "Conjuration", _A, "60 feet", "Bard,Cleric,Druid", heal="3d8", upcast="1d8",
           summary="Up to six creatures in a 30-foot sphere regain hit points."),
    )
}


def find_spell(name: str) -> SpellInfo | None:
    key = " ".join(name.replace("_", " ").replace("’", "'").split()).casefold()
    for spell in SPELLS.values():
        if spell.name.casefold() == key:
            return spell
    return None
