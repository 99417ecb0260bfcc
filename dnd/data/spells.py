"""The engine's own spells, written by hand: every class list's cantrips and spells of levels 1-3 (and a few
higher), with what the engine needs to resolve them: level, school, casting time, range, class lists,
concentration and ritual, how it hits (spell attack or saving throw), damage or healing dice and how they scale.

An imported SRD compendium adds the rest (`!spell` and `!cast` read it for spells not listed here).
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
    # How a spell lands when it is more than one roll at one target (the SRD's text of each spell):
    projectiles: int = 0  # separate beams, rays or darts at the spell's level, each at a target of its own choice
    damage_each: str = ""  # one dart's dice, where ``damage`` is the whole volley's (Magic Missile)
    extra_damage: str = ""  # a second damage type that doesn't grow with the slot (Ice Storm's 4d6 cold)
    extra_damage_type: str = ""
    max_targets: int = 1  # creatures a healing or bolstering spell may choose (Mass Cure Wounds 6, Aid 3)
    living_only: bool = False  # "no effect on undead or constructs" (the healing spells)
    temp_hp: str = ""  # temporary hit points given ("1d4+4"; "MOD": the spellcasting modifier, Heroism)
    max_hp_bonus: int = 0  # hit point maximum and current hit points raised by this (Aid)
    boost_upcast: int = 0  # temporary or maximum hit points more per slot level above the spell's
    # Damage that comes later, while the spell is held: on the caster's next weapon hit (a smite), on each of its
    # weapon hits (Divine Favor), or when the caster spends its bonus action or action on it on a later turn.
    later: Literal["", "next_hit", "each_hit", "bonus_action", "action"] = ""
    # How long it lasts, in the SRD's words ("1 minute", "10 minutes", "1 hour"): counted in a fight for the
    # spells it keeps going (`dnd.combat.holds`); "" for an instant spell or one whose time isn't counted.
    duration: str = ""

    @property
    def is_cantrip(self) -> bool:
        return self.level == 0


# The durations of the lasting spells the engine keeps going in a fight: the concentration spells and the holds.
_DURATIONS: Final[dict[str, str]] = {
    name.strip(): duration for duration, names in (
        ("1 minute", "Bless, Bane, Blindness/Deafness, Blur, Beacon of Hope, Bestow Curse, Branding Smite, "
                     "Calm Emotions, Dancing Lights, Detect Thoughts, Divine Favor, Enlarge/Reduce, Entangle, "
                     "Faerie Fire, Fear, Flaming Sphere, Guidance, Gust of Wind, Haste, Heroism, Hideous Laughter, "
                     "Hold Person, Hypnotic Pattern, Moonbeam, Ray of Enfeeblement, Resistance, Sleet Storm, Slow, "
                     "Stinking Cloud, Vampiric Touch, Wind Wall"),
        ("10 minutes", "Call Lightning, Clairvoyance, Darkness, Detect Evil and Good, Detect Magic, "
                       "Detect Poison and Disease, Expeditious Retreat, Flame Blade, Fly, Levitate, Locate Object, "
                       "Major Image, Protection from Evil and Good, Shield of Faith, Silence, Silent Image, "
                       "Spike Growth, Spirit Guardians"),
        ("1 hour", "Alter Self, Barkskin, Conjure Animals, Enhance Ability, Fog Cloud, Gaseous Form, Hunter's Mark, "
                   "Invisibility, Magic Weapon, Pass without Trace, Protection from Energy, Spider Climb, Web"),
        ("8 hours", "Suggestion"),
        ("1 round", "True Strike"),
    ) for name in names.split(",")
}


def _s(name: str, level: int, school: str, time: str, rng: str, classes: str, **kw: object) -> SpellInfo:
    kw.setdefault("duration", _DURATIONS.get(name, ""))
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
           damage_type="force", projectiles=1,
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
           upcast="1d8", living_only=True,
           summary="A touch restores hit points."),
        _s("Detect Magic", 1, "Divination", _A, "Self", "Bard,Cleric,Druid,Paladin,Ranger,Sorcerer,Wizard",
           concentration=True, ritual=True, summary="Sense magic within 30 feet for up to 10 minutes."),
        _s("Guiding Bolt", 1, "Evocation", _A, "120 feet", "Cleric", attack="ranged", damage="4d6",
           damage_type="radiant", upcast="1d6",
           summary="A flash of light; the next attack against the target has advantage."),
        _s("Healing Word", 1, "Evocation", _BA, "60 feet", "Bard,Cleric,Druid", heal="1d4", upcast="1d4",
           living_only=True,
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
           upcast="1d4+1", projectiles=3, damage_each="1d4+1",
           summary="Three darts of force that always hit (one more dart per slot level)."),
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
           max_targets=6, living_only=True, summary="Up to six creatures regain hit points."),
        _s("Scorching Ray", 2, "Evocation", _A, "120 feet", _ARC, attack="ranged", damage="2d6",
           damage_type="fire", projectiles=3,
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
           max_targets=6, living_only=True,
           summary="Up to six creatures regain hit points."),
        _s("Revivify", 3, "Conjuration", _A, "Touch", "Cleric,Paladin",
           summary="A creature dead for no more than a minute returns with 1 hit point (300 gp diamonds)."),
        _s("Spirit Guardians", 3, "Conjuration", _A, "Self", "Cleric", concentration=True, save="WIS",
           save_effect="half", damage="3d8", damage_type="radiant", upcast="1d8",
           summary="Spirits in a 15-foot radius slow and harm enemies (necrotic if you are evil)."),
        # More cantrips
        _s("Dancing Lights", 0, "Evocation", _A, "120 feet", "Bard,Sorcerer,Wizard", concentration=True,
           summary="Up to four floating lights, each as bright as a torch, that you move around."),
        _s("Druidcraft", 0, "Transmutation", _A, "30 feet", "Druid",
           summary="Small nature tricks: predict the weather, make a flower bloom, light or snuff a candle."),
        _s("Guidance", 0, "Divination", _A, "Touch", "Cleric,Druid", concentration=True,
           summary="The target adds 1d4 to one ability check of its choice within a minute."),
        _s("Mending", 0, "Transmutation", "1 minute", "Touch", "Bard,Cleric,Druid,Sorcerer,Wizard",
           summary="Repairs a single break or tear in an object."),
        _s("Message", 0, "Transmutation", _A, "120 feet", "Bard,Sorcerer,Wizard",
           summary="Whisper a message to a creature, which can whisper back."),
        _s("Minor Illusion", 0, "Illusion", _A, "30 feet", "Bard,Sorcerer,Warlock,Wizard",
           summary="A sound or a small still image for a minute; an Investigation check sees through it."),
        _s("Prestidigitation", 0, "Transmutation", _A, "10 feet", "Bard,Sorcerer,Warlock,Wizard",
           summary="Minor magical tricks: clean, chill, warm, flavour, a harmless sensory effect."),
        _s("Resistance", 0, "Abjuration", _A, "Touch", "Cleric,Druid", concentration=True,
           summary="The target adds 1d4 to one saving throw of its choice within a minute."),
        _s("Shillelagh", 0, "Transmutation", _BA, "Touch", "Druid",
           summary="Your club or quarterstaff uses your spellcasting ability and deals a d8 for a minute."),
        _s("Spare the Dying", 0, "Necromancy", _A, "Touch", "Cleric", living_only=True,
           summary="A living creature at 0 hit points becomes stable."),
        _s("Thaumaturgy", 0, "Transmutation", _A, "30 feet", "Cleric",
           summary="A minor wonder: a booming voice, flickering flames, tremors, a slammed door."),
        _s("True Strike", 0, "Divination", _A, "30 feet", "Bard,Sorcerer,Warlock,Wizard", concentration=True,
           summary="Advantage on your first attack roll against the target on your next turn."),
        # More of 1st level
        _s("Alarm", 1, "Abjuration", "1 minute", "30 feet", "Ranger,Wizard", ritual=True,
           summary="A mental or audible alarm when a creature enters a warded area for 8 hours."),
        _s("Animal Friendship", 1, "Enchantment", _A, "30 feet", "Bard,Druid,Ranger", save="WIS",
           summary="A beast with Intelligence 3 or less is charmed by you for a day."),
        _s("Bane", 1, "Enchantment", _A, "30 feet", "Bard,Cleric", concentration=True, save="CHA",
           summary="Up to three creatures subtract 1d4 from attack rolls and saving throws."),
        _s("Color Spray", 1, "Illusion", _A, "Self", _ARC,
           summary="6d10 hit points of creatures in a 15-foot cone are blinded, weakest first."),
        _s("Comprehend Languages", 1, "Divination", _A, "Self", "Bard,Sorcerer,Warlock,Wizard", ritual=True,
           summary="Understand any spoken or written language for an hour."),
        _s("Create or Destroy Water", 1, "Transmutation", _A, "30 feet", "Cleric,Druid",
           summary="Create or destroy up to 10 gallons of water."),
        _s("Detect Evil and Good", 1, "Divination", _A, "Self", "Cleric,Paladin", concentration=True,
           summary="Sense aberrations, celestials, elementals, fey, fiends and undead within 30 feet."),
        _s("Detect Poison and Disease", 1, "Divination", _A, "Self", "Cleric,Druid,Paladin,Ranger",
           concentration=True, ritual=True, summary="Sense poisons, poisonous creatures and diseases within 30 feet."),
        _s("Disguise Self", 1, "Illusion", _A, "Self", "Bard,Sorcerer,Wizard",
           summary="You look like someone else, clothes and gear included, for an hour."),
        _s("Divine Favor", 1, "Evocation", _BA, "Self", "Paladin", concentration=True, damage="1d4",
           damage_type="radiant", later="each_hit",
           summary="Your weapon hits deal an extra 1d4 radiant damage for a minute."),
        _s("Entangle", 1, "Conjuration", _A, "90 feet", "Druid", concentration=True, save="STR",
           summary="Grasping weeds in a 20-foot square restrain creatures that fail."),
        _s("Expeditious Retreat", 1, "Transmutation", _BA, "Self", "Sorcerer,Warlock,Wizard", concentration=True,
           summary="Dash as a bonus action each turn for 10 minutes."),
        _s("Faerie Fire", 1, "Evocation", _A, "60 feet", "Druid", concentration=True, save="DEX",
           summary="Outlines creatures in light: attacks against them have advantage and they can't hide."),
        _s("Feather Fall", 1, "Transmutation", _R, "60 feet", "Bard,Sorcerer,Wizard",
           summary="Up to five falling creatures drift down at 60 feet a round and take no falling damage."),
        _s("Fog Cloud", 1, "Conjuration", _A, "120 feet", "Druid,Ranger,Sorcerer,Wizard", concentration=True,
           summary="A 20-foot-radius sphere of fog heavily obscures the area."),
        _s("Goodberry", 1, "Transmutation", _A, "Touch", "Druid,Ranger",
           summary="Ten berries, each restoring 1 hit point and a day's nourishment."),
        _s("Grease", 1, "Conjuration", _A, "60 feet", "Wizard", save="DEX",
           summary="A 10-foot square of slick grease; creatures in it may fall prone."),
        _s("Heroism", 1, "Enchantment", _A, "Touch", "Bard,Paladin", concentration=True, temp_hp="MOD",
           summary="The target can't be frightened and gains temporary hit points each turn."),
        _s("Hideous Laughter", 1, "Enchantment", _A, "30 feet", "Bard,Wizard", concentration=True, save="WIS",
           summary="A creature falls prone laughing and is incapacitated."),
        _s("Identify", 1, "Divination", "1 minute", "Touch", "Bard,Wizard", ritual=True,
           summary="Learn a magic item's properties and how to use it."),
        _s("Illusory Script", 1, "Illusion", "1 minute", "Touch", "Bard,Warlock,Wizard", ritual=True,
           summary="Writing only the creatures you choose can read."),
        _s("Jump", 1, "Transmutation", _A, "Touch", "Druid,Ranger,Sorcerer,Wizard",
           summary="The target's jump distance triples for a minute."),
        _s("Longstrider", 1, "Transmutation", _A, "Touch", "Bard,Druid,Ranger,Wizard",
           summary="The target's speed increases by 10 feet for an hour."),
        _s("Protection from Evil and Good", 1, "Abjuration", _A, "Touch", "Cleric,Paladin,Warlock,Wizard",
           concentration=True, summary="Aberrations, fiends, undead and the like have disadvantage against it."),
        _s("Purify Food and Drink", 1, "Transmutation", _A, "10 feet", "Cleric,Druid,Paladin", ritual=True,
           summary="Removes poison and rot from food and drink in a 5-foot sphere."),
        _s("Sanctuary", 1, "Abjuration", _BA, "30 feet", "Cleric", save="WIS",
           summary="A creature that would attack the warded one must save or choose another target."),
        _s("Shield of Faith", 1, "Abjuration", _BA, "60 feet", "Cleric,Paladin", concentration=True,
           summary="+2 AC to a creature for up to 10 minutes."),
        _s("Silent Image", 1, "Illusion", _A, "60 feet", "Bard,Sorcerer,Wizard", concentration=True,
           summary="A silent visual illusion up to a 15-foot cube, which you can move."),
        _s("Speak with Animals", 1, "Divination", _A, "Self", "Bard,Druid,Ranger", ritual=True,
           summary="Understand and talk with beasts for 10 minutes."),
        _s("Unseen Servant", 1, "Conjuration", _A, "60 feet", "Bard,Warlock,Wizard", ritual=True,
           summary="An invisible, mindless force performs simple tasks for an hour."),
        _s("Find Familiar", 1, "Conjuration", "1 hour", "10 feet", "Wizard", ritual=True,
           summary="A spirit serves you as a familiar in the form of a small animal."),
        _s("Floating Disk", 1, "Conjuration", _A, "30 feet", "Wizard", ritual=True,
           summary="A flat disk of force that carries up to 500 pounds behind you for an hour."),
        _s("False Life", 1, "Necromancy", _A, "Self", "Sorcerer,Wizard", temp_hp="1d4+4", boost_upcast=5,
           summary="You gain 1d4 + 4 temporary hit points for an hour (5 more per slot level above 1st)."),
        # More of 2nd level
        _s("Aid", 2, "Abjuration", _A, "30 feet", "Cleric,Paladin", max_hp_bonus=5, boost_upcast=5, max_targets=3,
           summary="Up to three creatures' hit point maximum and current hit points rise by 5 for 8 hours."),
        _s("Branding Smite", 2, "Evocation", _BA, "Self", "Paladin", concentration=True, damage="2d6",
           damage_type="radiant", upcast="1d6", later="next_hit",
           summary="Your next weapon hit deals extra radiant damage and makes an invisible target visible."),
        _s("Acid Arrow", 2, "Evocation", _A, "90 feet", "Wizard", attack="ranged", damage="4d4",
           damage_type="acid", upcast="1d4",
           summary="A green arrow of acid; 2d4 more acid at the end of the target's next turn on a hit."),
        _s("Alter Self", 2, "Transmutation", _A, "Self", _ARC, concentration=True,
           summary="Adapt to water, change your appearance, or grow natural weapons for an hour."),
        _s("Animal Messenger", 2, "Enchantment", _A, "30 feet", "Bard,Druid,Ranger", ritual=True,
           summary="A Tiny beast carries a short message to a place you describe."),
        _s("Arcane Lock", 2, "Abjuration", _A, "Touch", "Wizard",
           summary="A closed door, window or chest is magically locked."),
        _s("Arcanist's Magic Aura", 2, "Illusion", _A, "Touch", "Wizard",
           summary="Makes an object or creature read falsely to divination magic."),
        _s("Augury", 2, "Divination", "1 minute", "Self", "Cleric", ritual=True,
           summary="An omen (weal, woe, both or nothing) about a course of action in the next 30 minutes."),
        _s("Barkskin", 2, "Transmutation", _A, "Touch", "Druid,Ranger", concentration=True,
           summary="The target's AC can't be lower than 16 for an hour."),
        _s("Blindness/Deafness", 2, "Necromancy", _A, "30 feet", "Bard,Cleric,Sorcerer,Wizard", save="CON",
           summary="A creature is blinded or deafened for a minute, repeating the save each turn."),
        _s("Blur", 2, "Illusion", _A, "Self", _ARC, concentration=True,
           summary="Your body blurs: attacks against you have disadvantage for a minute."),
        _s("Calm Emotions", 2, "Enchantment", _A, "60 feet", "Bard,Cleric", concentration=True, save="CHA",
           summary="Suppresses charm, fear or hostility in a 20-foot sphere."),
        _s("Continual Flame", 2, "Evocation", _A, "Touch", "Cleric,Wizard",
           summary="A heatless flame as bright as a torch that burns until dispelled."),
        _s("Darkness", 2, "Evocation", _A, "60 feet", "Sorcerer,Warlock,Wizard", concentration=True,
           summary="Magical darkness fills a 15-foot sphere; darkvision can't see through it."),
        _s("Darkvision", 2, "Transmutation", _A, "Touch", "Druid,Ranger,Sorcerer,Wizard",
           summary="The target sees in the dark out to 60 feet for 8 hours."),
        _s("Detect Thoughts", 2, "Divination", _A, "Self", "Bard,Sorcerer,Wizard", concentration=True, save="WIS",
           summary="Read the surface thoughts of creatures you can see, and probe deeper."),
        _s("Enhance Ability", 2, "Transmutation", _A, "Touch", "Bard,Cleric,Druid,Sorcerer", concentration=True,
           summary="Advantage on checks of one ability (and another benefit) for an hour."),
        _s("Enlarge/Reduce", 2, "Transmutation", _A, "30 feet", _ARC, concentration=True, save="CON",
           summary="A creature or object doubles in size or shrinks to half for a minute."),
        _s("Enthrall", 2, "Enchantment", _A, "60 feet", "Bard,Warlock", save="WIS",
           summary="Creatures that fail have disadvantage on Perception to notice anyone but you."),
        _s("Find Steed", 2, "Conjuration", "10 minutes", "30 feet", "Paladin",
           summary="Summons a loyal spirit steed in the form of a horse, pony, camel, elk or mastiff."),
        _s("Find Traps", 2, "Divination", _A, "120 feet", "Cleric,Druid,Ranger",
           summary="Sense the presence of traps within line of sight."),
        _s("Flame Blade", 2, "Evocation", _BA, "Self", "Druid", concentration=True, damage="3d6", damage_type="fire",
           upcast="1d6", upcast_every=2,
           summary="A fiery scimitar in your hand for 10 minutes; attack with it as an action."),
        _s("Flaming Sphere", 2, "Conjuration", _A, "60 feet", "Druid,Wizard", concentration=True, save="DEX",
           save_effect="half", damage="2d6", damage_type="fire", upcast="1d6", later="bonus_action",
           summary="A rolling 5-foot sphere of fire that scorches creatures next to it."),
        _s("Gentle Repose", 2, "Necromancy", _A, "Touch", "Cleric,Wizard", ritual=True,
           summary="A corpse doesn't decay or rise as undead for 10 days."),
        _s("Gust of Wind", 2, "Evocation", _A, "Self", "Druid,Sorcerer,Wizard", concentration=True, save="STR",
           summary="A 60-foot line of strong wind pushes creatures away."),
        _s("Invisibility", 2, "Illusion", _A, "Touch", "Bard,Sorcerer,Warlock,Wizard", concentration=True,
           summary="A creature is invisible for an hour, until it attacks or casts a spell."),
        _s("Knock", 2, "Transmutation", _A, "60 feet", "Bard,Sorcerer,Wizard",
           summary="Unlocks a lock, bar or seal with a loud knock."),
        _s("Lesser Restoration", 2, "Abjuration", _A, "Touch", "Bard,Cleric,Druid,Paladin,Ranger",
           summary="Ends a disease or the blinded, deafened, paralyzed or poisoned condition."),
        _s("Levitate", 2, "Transmutation", _A, "60 feet", _ARC, concentration=True, save="CON",
           summary="A creature or object rises up to 20 feet and hangs in the air."),
        _s("Locate Animals or Plants", 2, "Divination", _A, "Self", "Bard,Druid,Ranger", ritual=True,
           summary="Learn the direction and distance of a kind of beast or plant within 5 miles."),
        _s("Locate Object", 2, "Divination", _A, "Self", "Bard,Cleric,Druid,Paladin,Ranger,Wizard",
           concentration=True, summary="Sense the direction of an object you know within 1,000 feet."),
        _s("Magic Mouth", 2, "Illusion", "1 minute", "30 feet", "Bard,Wizard", ritual=True,
           summary="An object speaks a message when a condition you set is met."),
        _s("Magic Weapon", 2, "Transmutation", _BA, "Touch", "Paladin,Wizard", concentration=True,
           summary="A nonmagical weapon becomes a +1 weapon for an hour."),
        _s("Mirror Image", 2, "Illusion", _A, "Self", "Sorcerer,Warlock,Wizard",
           summary="Three illusory duplicates may take attacks meant for you."),
        _s("Pass without Trace", 2, "Abjuration", _A, "Self", "Druid,Ranger", concentration=True,
           summary="+10 to Stealth for you and companions within 30 feet, and no tracks."),
        _s("Protection from Poison", 2, "Abjuration", _A, "Touch", "Cleric,Druid,Paladin,Ranger",
           summary="Neutralizes a poison; advantage on saves against poison and resistance to it for an hour."),
        _s("Ray of Enfeeblement", 2, "Necromancy", _A, "60 feet", "Warlock,Wizard", concentration=True,
           attack="ranged", save="CON", summary="The target deals only half damage with Strength weapon attacks."),
        _s("Rope Trick", 2, "Transmutation", _A, "Touch", "Wizard",
           summary="A rope leads up to a hidden extradimensional space for an hour."),
        _s("See Invisibility", 2, "Divination", _A, "Self", "Bard,Sorcerer,Wizard",
           summary="See invisible creatures and into the Ethereal Plane for an hour."),
        _s("Silence", 2, "Illusion", _A, "120 feet", "Bard,Cleric,Ranger", concentration=True, ritual=True,
           summary="No sound in a 20-foot sphere: no spells with verbal components there."),
        _s("Spider Climb", 2, "Transmutation", _A, "Touch", "Sorcerer,Warlock,Wizard", concentration=True,
           summary="Climb walls and ceilings, hands free, for an hour."),
        _s("Spike Growth", 2, "Transmutation", _A, "150 feet", "Druid,Ranger", concentration=True,
           damage="2d4", damage_type="piercing",
           summary="Hidden thorns in a 20-foot radius hurt creatures for every 5 feet they move."),
        _s("Suggestion", 2, "Enchantment", _A, "30 feet", "Bard,Sorcerer,Warlock,Wizard", concentration=True,
           save="WIS", summary="A creature follows a reasonable-sounding course of action you suggest."),
        _s("Warding Bond", 2, "Abjuration", _A, "Touch", "Cleric",
           summary="The target gets +1 AC and saves and resistance to damage; you take the same damage."),
        _s("Web", 2, "Conjuration", _A, "60 feet", _ARC, concentration=True, save="DEX",
           summary="Sticky webs fill a 20-foot cube and restrain creatures caught in them."),
        _s("Zone of Truth", 2, "Enchantment", _A, "60 feet", "Bard,Cleric,Paladin", save="CHA",
           summary="Creatures in a 15-foot sphere that fail can't knowingly lie."),
        # More of 3rd level
        _s("Tiny Hut", 3, "Evocation", "1 minute", "Self", "Bard,Wizard", ritual=True,
           summary="A 10-foot dome of force that keeps out weather and creatures for 8 hours."),
        _s("Animate Dead", 3, "Necromancy", "1 minute", "10 feet", "Cleric,Wizard",
           summary="A pile of bones or a corpse rises as your skeleton or zombie servant."),
        _s("Beacon of Hope", 3, "Abjuration", _A, "30 feet", "Cleric", concentration=True,
           summary="Allies have advantage on Wisdom and death saves and regain the most from healing."),
        _s("Bestow Curse", 3, "Necromancy", _A, "Touch", "Bard,Cleric,Wizard", concentration=True, save="WIS",
           summary="A curse of your choice: disadvantage, lost actions, or extra necrotic damage from you."),
        _s("Blink", 3, "Transmutation", _A, "Self", _ARC,
           summary="On a roll of 11 or more each turn you vanish into the Ethereal Plane until your next turn."),
        _s("Call Lightning", 3, "Conjuration", _A, "120 feet", "Druid", concentration=True, save="DEX",
           save_effect="half", damage="3d10", damage_type="lightning", upcast="1d10", later="action",
           summary="A storm cloud; each turn call a bolt down on a point below it."),
        _s("Clairvoyance", 3, "Divination", "10 minutes", "1 mile", "Bard,Cleric,Sorcerer,Wizard",
           concentration=True, summary="An invisible sensor lets you see or hear a familiar place."),
        _s("Conjure Animals", 3, "Conjuration", _A, "60 feet", "Druid,Ranger", concentration=True,
           summary="Fey spirits take the form of beasts that fight for you."),
        _s("Create Food and Water", 3, "Conjuration", _A, "30 feet", "Cleric,Druid,Paladin",
           summary="Food and water for fifteen humanoids or five steeds for a day."),
        _s("Daylight", 3, "Evocation", _A, "60 feet", "Cleric,Druid,Paladin,Ranger,Sorcerer",
           summary="A 60-foot sphere of bright light that dispels magical darkness of 3rd level or lower."),
        _s("Fear", 3, "Illusion", _A, "Self", "Bard,Sorcerer,Warlock,Wizard", concentration=True, save="WIS",
           summary="Creatures in a 30-foot cone drop what they hold and flee, frightened."),
        _s("Fly", 3, "Transmutation", _A, "Touch", "Sorcerer,Warlock,Wizard", concentration=True,
           summary="A creature gains a flying speed of 60 feet for 10 minutes."),
        _s("Gaseous Form", 3, "Transmutation", _A, "Touch", "Sorcerer,Warlock,Wizard", concentration=True,
           summary="A willing creature becomes a misty cloud that can slip through cracks."),
        _s("Haste", 3, "Transmutation", _A, "30 feet", _ARC, concentration=True,
           summary="Double speed, +2 AC, advantage on Dexterity saves and an extra action; lethargy when it ends."),
        _s("Hypnotic Pattern", 3, "Illusion", _A, "120 feet", "Bard,Sorcerer,Warlock,Wizard", concentration=True,
           save="WIS", summary="A twisting pattern of colours charms and incapacitates creatures in a 30-foot cube."),
        _s("Major Image", 3, "Illusion", _A, "120 feet", "Bard,Sorcerer,Warlock,Wizard", concentration=True,
           summary="An illusion with sound, smell and temperature up to a 20-foot cube."),
        _s("Meld into Stone", 3, "Transmutation", _A, "Touch", "Cleric", ritual=True,
           summary="Step into a stone surface and stay hidden there for up to 8 hours."),
        _s("Nondetection", 3, "Abjuration", _A, "Touch", "Bard,Ranger,Wizard",
           summary="Hides a creature or object from divination magic for 8 hours."),
        _s("Phantom Steed", 3, "Illusion", "1 minute", "30 feet", "Wizard", ritual=True,
           summary="A quasi-real horse that gallops 100 feet a round for an hour."),
        _s("Plant Growth", 3, "Transmutation", _A, "150 feet", "Bard,Druid,Ranger",
           summary="Overgrowth slows movement in a wide area, or enriches the land for a year."),
        _s("Protection from Energy", 3, "Abjuration", _A, "Touch", "Cleric,Druid,Ranger,Sorcerer,Wizard",
           concentration=True, summary="Resistance to acid, cold, fire, lightning or thunder for an hour."),
        _s("Remove Curse", 3, "Abjuration", _A, "Touch", "Cleric,Paladin,Warlock,Wizard",
           summary="Ends every curse on a creature or object."),
        _s("Sending", 3, "Evocation", _A, "Unlimited", "Bard,Cleric,Wizard",
           summary="A 25-word message to a creature you know, who can answer at once."),
        _s("Sleet Storm", 3, "Conjuration", _A, "150 feet", "Druid,Sorcerer,Wizard", concentration=True,
           save="DEX", summary="Freezing rain in a 40-foot cylinder: difficult ground, falls, broken concentration."),
        _s("Slow", 3, "Transmutation", _A, "120 feet", _ARC, concentration=True, save="WIS",
           summary="Up to six creatures lose half their speed, 2 AC and most of their actions."),
        _s("Speak with Dead", 3, "Necromancy", _A, "10 feet", "Bard,Cleric",
           summary="A corpse answers up to five questions from what it knew in life."),
        _s("Speak with Plants", 3, "Transmutation", _A, "Self", "Bard,Druid,Ranger",
           summary="Plants within 30 feet understand you and answer for 10 minutes."),
        _s("Stinking Cloud", 3, "Conjuration", _A, "90 feet", "Bard,Sorcerer,Wizard", concentration=True,
           save="CON", summary="A nauseating 20-foot sphere of gas; creatures that fail spend their action retching."),
        _s("Tongues", 3, "Divination", _A, "Touch", "Bard,Cleric,Sorcerer,Warlock,Wizard",
           summary="The target understands and speaks every language for an hour."),
        _s("Vampiric Touch", 3, "Necromancy", _A, "Self", "Warlock,Wizard", concentration=True, attack="melee",
           damage="3d6", damage_type="necrotic", upcast="1d6",
           summary="Your touch drains life: you regain half the necrotic damage dealt."),
        _s("Water Breathing", 3, "Transmutation", _A, "30 feet", "Druid,Ranger,Sorcerer,Wizard", ritual=True,
           summary="Up to ten creatures can breathe underwater for 24 hours."),
        _s("Water Walk", 3, "Transmutation", _A, "30 feet", "Cleric,Druid,Ranger,Sorcerer", ritual=True,
           summary="Up to ten creatures walk on liquid as if on solid ground for an hour."),
        _s("Wind Wall", 3, "Evocation", _A, "120 feet", "Druid,Ranger", concentration=True, save="STR",
           save_effect="half", damage="3d8", damage_type="bludgeoning",
           summary="A wall of strong wind that deflects arrows and small flying creatures."),
        # 4th level
        _s("Ice Storm", 4, "Evocation", _A, "300 feet", "Druid,Sorcerer,Wizard", save="DEX", save_effect="half",
           damage="2d8", damage_type="bludgeoning", upcast="1d8", extra_damage="4d6", extra_damage_type="cold",
           summary="Hail pounds a 20-foot-radius cylinder; the ground there is difficult terrain for a turn."),
        # 5th level
        _s("Flame Strike", 5, "Evocation", _A, "60 feet", "Cleric", save="DEX", save_effect="half", damage="4d6",
           damage_type="fire", upcast="1d6", extra_damage="4d6", extra_damage_type="radiant",
           summary="A column of divine fire in a 10-foot-radius cylinder (the fire grows with the slot)."),
        _s("Cone of Cold", 5, "Evocation", _A, "Self", _ARC, save="CON", save_effect="half", damage="8d8",
           damage_type="cold", upcast="1d8", summary="A 60-foot cone of cold air."),
        _s("Mass Cure Wounds", 5, "Conjuration", _A, "60 feet", "Bard,Cleric,Druid", heal="3d8", upcast="1d8",
           max_targets=6, living_only=True,
           summary="Up to six creatures in a 30-foot sphere regain hit points."),
    )
}


def find_spell(name: str) -> SpellInfo | None:
    key = " ".join(name.replace("_", " ").replace("’", "'").split()).casefold()
    for spell in SPELLS.values():
        if spell.name.casefold() == key:
            return spell
    return None
