"""Character commands: the sheet, inventory, feats and abilities, casting, resting, checks and saves, items.

Each is thin: load the character (locked when it changes) → call the rules engine → save → reply. The engine's
refusals (`RulesError`) reach the player as they are and roll the whole command back.

In a fight (the character is in an active combat of the campaign, `tasks.handlers.combat_support.fight_of`): `!cast` and
`!use_item` are the character's action, on its turn only, and act on the combatants (spell attacks, saves,
healing; the slot or potion is spent in the same transaction as the effect); `!save` uses the combatant's
conditions; `!rest` waits until the fight is over.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from db import compendium, ledger
from db.characters import StoredCharacter, save
from db.processed import claim
from dnd import actions
from dnd import combat as engine
from dnd.abilities import modifier
from dnd.character import Character, Resource, summary
from dnd.class_choices import CheckSubject, choices_text, find_creature_type, find_terrain
from dnd.class_features import spend_inspiration
from dnd.combat import counterspell
from dnd.combat.economy import take_action
from dnd.data.skills import ABILITIES, ABILITY_NAMES
from dnd.dice import DiceError, roll
from dnd.errors import RulesError
from dnd.feats import find_resource, format_uses, use_resource
from dnd.metamagic import QUICKENED, apply_metamagic, find_metamagic
from dnd.owed_choices import owed_choices
from dnd.phrases import advantage_word
from dnd.render import discord, facts
from dnd.rests import long_rest, long_rest_offer, short_rest
from dnd.spellcasting import (
    CastResult,
    SpellInfo,
    cast_spell,
    copy_spell,
    is_castable,
    ordinal,
    prepare_limit,
    prepare_spells,
)
from dnd.wealth import coin_weight, format_wealth
from tasks.handlers.character_support import log_roll, my_character, party_member, rng, spell_data
from tasks.handlers.combat_support import (
    Fight,
    death_save_status,
    dm_plays,
    end_stated_turn,
    fight_of,
    finish_action,
    require_turn,
    spell_as_reaction,
    target_name,
)
from tasks.handlers.registry import (
    ACCEPT,
    DECLINE,
    CommandContext,
    CommandError,
    command,
    confirmation,
    reaction,
)
from tasks.handlers.spell_support import (
    bolsters_party,
    cast_held_again,
    cast_on_party,
    owner_casts_for_monster,
    spell_done,
)

EMBED_FIELD_LIMIT = 1024
CATEGORY = "Character"


def clip(text: str, limit: int = EMBED_FIELD_LIMIT) -> str:
    text = text or "—"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def class_line(character: Character) -> str:
    parts = []
    for name, level in character.class_levels.items():
        sub = character.subclasses.get(name)
        parts.append(f"{name} {level}" + (f" ({sub})" if sub else ""))
    return " / ".join(parts)


def slots_text(character: Character) -> str:
    lines = [f"{ordinal(lvl)}: {character.spell_slots.get(lvl, 0)}/{mx}"
             for lvl, mx in sorted(character.spell_slots_max.items())]
    if character.pact_slots_max:
        lines.append(f"Pact ({ordinal(character.pact_slot_level)}): {character.pact_slots}/{character.pact_slots_max}")
    return ", ".join(lines) or "none"


def resources_text(resources: list[Resource]) -> str:
    return "\n".join(format_uses(r) for r in resources) or "none"


def conditions_text(character: Character) -> str:
    names = list(character.conditions)
    if character.exhaustion:
        names.append(f"Exhaustion {character.exhaustion}")
    return ", ".join(names) or "none"


def sheet_embed(character: Character) -> dict[str, Any]:
    derived = summary(character)
    values = {a: character.ability_scores.get(a, 10) for a in ABILITIES}
    scores = "\n".join(f"**{a}** {v} ({modifier(v):+d})" for a, v in values.items())
    saves = ", ".join(f"{ABILITY_NAMES[a]}" for a in character.saving_throws) or "none"
    hit_dice = ", ".join(f"{character.hit_dice.get(d, 0)}/{n} {d}" for d, n in derived["hit_dice_max"].items())
    combat = (f"AC **{derived['armor_class']}** · HP **{character.hp}/{character.max_hp}**"
              + (f" (+{character.temp_hp} temp)" if character.temp_hp else "")
              + f" · Speed {derived['speed']} ft · Initiative {derived['initiative']:+d}\n"
              f"Proficiency +{character.proficiency_bonus} · Passive Perception {derived['passive_perception']}\n"
              f"Hit dice: {hit_dice}")
    skills = ", ".join(s + (" (expertise)" if s in character.expertise else "") for s in character.skills)
    items = ", ".join(f"{i.name} ×{i.qty}" if i.qty != 1 else i.name for i in character.inventory)
    spells = ", ".join(dict.fromkeys(character.cantrips + character.spells_prepared + character.spells_known))
    dc = derived["spell_save_dc"]
    casting = ", ".join(f"{c}: DC {v}" for c, v in dc.items()) if dc else ""
    fields = [
        {"name": "Ability scores", "value": clip(scores), "inline": True},
        {"name": "Combat", "value": clip(combat), "inline": True},
        {"name": "Saving throws", "value": clip(saves)},
        {"name": "Skills", "value": clip(skills or "none")},
        {"name": "Proficiencies", "value": clip(", ".join(character.proficiencies) or "none")},
        {"name": "Languages", "value": clip(", ".join(character.languages) or "none")},
        {"name": "Inventory", "value": clip(f"{items or 'empty'}\nCarrying {derived['carry_weight']} lb")},
        {"name": "Wealth", "value": format_wealth(character.wealth), "inline": True},
        {"name": "Conditions", "value": conditions_text(character), "inline": True},
        {"name": "XP", "value": str(character.xp), "inline": True},
        {"name": "Feats", "value": clip(resources_text(character.feats))},
        {"name": "Abilities", "value": clip(resources_text(character.abilities))},
        {"name": "Features", "value": clip(", ".join(character.features) or "none")},
        {"name": "Spell slots", "value": clip(slots_text(character))},
    ]
    if spells:
        fields.append({"name": "Spells" + (f" ({casting})" if casting else ""), "value": clip(spells)})
    if choices_text(character):
        fields.append({"name": "Class choices", "value": clip(choices_text(character))})
    owed = owed_choices(character)
    if owed:
        fields.append({"name": "Choices owed", "value": clip(", ".join(o.label for o in owed) + " — `!choose`")})
    if character.wild_shape is not None:
        shape = character.wild_shape
        fields.append({"name": "Wild Shape", "value": f"{shape.beast}: {shape.hp}/{shape.max_hp} HP (your own "
                       f"{character.hp}/{character.max_hp} wait; `!revert`)"})
    if character.inspiration_die:
        fields.append({"name": "Bardic Inspiration", "value": f"d{character.inspiration_die} (spend with `insp`)"})
    race = character.subrace or character.race
    return {"title": f"{character.name} — {race} {class_line(character)}",
            "description": f"Level {character.level} · {character.background}", "fields": fields}


@command("my_sheet", "!my_sheet", "Your character sheet: scores, AC, HP, inventory, wealth, feats, abilities, "
         "conditions, spell slots.", category=CATEGORY)
def my_sheet_command(ctx: CommandContext) -> None:
    character = my_character(ctx).character
    ctx.reply(f"📜 **{character.name}**, level {character.level}", embeds=[sheet_embed(character)])


@command("inventory", "!inventory", "Your items with weight and properties, and the total weight carried.",
         category=CATEGORY)
def inventory_command(ctx: CommandContext) -> None:
    character = my_character(ctx).character
    if not character.inventory:
        lines = ["Your pack is empty."]
    else:
        lines = []
        for item in character.inventory:
            props = f" — {', '.join(item.properties)}" if item.properties else ""
            worn = " (equipped)" if item.equipped else ""
            total = round(item.qty * item.weight, 2)
            lines.append(f"• **{item.name}** ×{item.qty}{worn}: {total:g} lb{props}")
    items_weight = round(sum(i.qty * i.weight for i in character.inventory), 2)
    coins = round(coin_weight(character.wealth), 2)
    lines.append(f"Coins: {format_wealth(character.wealth)} ({coins:g} lb)")
    lines.append(f"**Total weight: {items_weight + coins:g} lb** (items {items_weight:g} lb)")
    ctx.reply(f"🎒 **{character.name}'s inventory**\n" + "\n".join(lines))


@command("show_feats", "!show_feats", "Your feats and their uses (e.g. Lucky: 3/3).", category=CATEGORY)
def show_feats_command(ctx: CommandContext) -> None:
    character = my_character(ctx).character
    if not character.feats:
        ctx.reply(f"{character.name} has no feats.")
        return
    ctx.reply(f"**{character.name}'s feats**\n" + "\n".join(f"• {_resource_line(r)}" for r in character.feats))


@command("show_abilities", "!show_abilities", "Your class and racial abilities with their uses (e.g. Rage: 2/2).",
         category=CATEGORY)
def show_abilities_command(ctx: CommandContext) -> None:
    character = my_character(ctx).character
    lines = [f"• {_resource_line(r)}" for r in character.abilities]
    features = ", ".join(character.features)
    text = f"**{character.name}'s abilities**\n" + ("\n".join(lines) if lines else "No abilities with uses.")
    if features:
        text += f"\nFeatures: {features}"
    ctx.reply(text)


def _resource_line(res: Resource) -> str:
    recovery = {"short": " (short or long rest)", "long": " (long rest)"}.get(res.recovery, "")
    return format_uses(res) + (recovery if res.max_uses is not None else "")


def _save(ctx: CommandContext, stored: StoredCharacter, character: Character) -> None:
    save(ctx.session, stored, character)


# --------------------------------------------------------------------------- spells

CAST_USAGE = "!cast <spell> [at <level>] [at|on <target>[, <target>…]] [with <metamagic>]"
_METAMAGIC_CLAUSE = re.compile(r"\s+with\s+(?P<option>[\w' -]+?)\s*$", re.IGNORECASE)
_CLAUSE = re.compile(r"\s+(at|on)\s+", re.IGNORECASE)
_LEVEL = re.compile(r"^(?:level\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:[\s-]+level)?$", re.IGNORECASE)
_TARGETS = re.compile(r"\s*,\s*|\s+and\s+", re.IGNORECASE)


def parse_cast(text: str) -> tuple[str, int | None, list[str]]:
    """`Fire Bolt at goblin 1` → ("Fire Bolt", None, ["goblin 1"]); `Cure Wounds at 2 on Bram` → ("Cure Wounds",
    2, ["Bram"]); `Burning Hands on goblin 1, goblin 2` → two targets. "at" followed by a number is the slot
    level; any other "at"/"on" names the targets."""
    parts = _CLAUSE.split(text.strip())
    spell, level, targets = parts[0].strip(), None, []
    for keyword, clause in zip(parts[1::2], parts[2::2], strict=True):
        number = _LEVEL.match(clause.strip()) if keyword.casefold() == "at" else None
        if number is not None and level is None:
            level = int(number.group(1))
        elif number is None and not targets:
            targets = [t for t in _TARGETS.split(clause.strip()) if t]
        else:
            raise CommandError(f"Give the level once and the targets once: `{CAST_USAGE}`.")
    if not spell:
        raise CommandError(f"Which spell? `{CAST_USAGE}`.")
    return spell, level, targets


def split_metamagic(text: str) -> tuple[str, str | None]:
    """`Fire Bolt at goblin 1 with quickened` → ("Fire Bolt at goblin 1", "quickened"): a sorcerer's Metamagic
    option, the last clause of the command."""
    found = _METAMAGIC_CLAUSE.search(text)
    return (text[:found.start()], found.group("option")) if found else (text, None)


MAX_SPELL_NAME_WORDS = 6  # "Protection from Evil and Good"


def _spell_then_target(ctx: CommandContext, text: str) -> tuple[str, SpellInfo, list[str]] | None:
    """`Cure Wounds Bram`, the target named without `at`/`on`: the longest spell the words begin with, and the rest
    as the target; None when no beginning of the words is a spell."""
    words = text.split()
    for end in range(min(len(words) - 1, MAX_SPELL_NAME_WORDS), 0, -1):
        spell = " ".join(words[:end])
        info = spell_data(ctx, spell)
        if info is not None:
            return spell, info, [" ".join(words[end:])]
    return None


@command("cast", CAST_USAGE, "Cast a spell you know or have prepared, spending a slot (e.g. `!cast Magic Missile "
         "at 2`); in a fight, on your turn, name the targets: `!cast Fire Bolt at goblin 1`, `!cast Burning Hands "
         "on goblin 1, goblin 2`, `!cast Cure Wounds on @player`. Beams, rays and darts (Eldritch Blast, Scorching "
         "Ray, Magic Missile): one target takes them all, or name one target per ray, repeating a name to send "
         "more at it: `!cast Scorching Ray at goblin 1, goblin 1, goblin 2` (never more names than rays). Mass "
         "heals and Aid take several targets (`!cast Aid on @a, @b, @c`), outside a fight too. A smite waits "
         "for your next weapon hit; while you hold Flaming Sphere or Call Lightning, `!cast` it again with no "
         "level to ram the sphere (bonus action) or call a bolt (action), no slot spent. A sorcerer adds Metamagic "
         "last, paid in sorcery points: `!cast Fire Bolt at goblin 1 with quickened` (a 1-action spell as a bonus "
         "action; then only a cantrip with your action), `with twinned` (a one-target spell at two: `at goblin 1, "
         "goblin 2`), `with empowered` (reroll your lowest damage dice), `with heightened` (the first target saves "
         "with disadvantage), `with careful` (your allies among the targets succeed on the save), `with subtle` (no "
         "monster can counter it), `with extended` (a lasting spell lasts twice as long), `with distant` (told). A "
         "monster's spell may wait for your `!react counterspell`. The owner, on the turn of a monster they play, "
         "casts from its Spellcasting: `!cast Guiding Bolt at Aria`.", category=CATEGORY)
def cast_command(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        raise CommandError("Which spell? For example `!cast Magic Missile`, `!cast Cure Wounds at 2` or, in a fight, "
                           "`!cast Fire Bolt at goblin 1`.")
    words, metamagic = split_metamagic(ctx.args)
    name, level, targets = parse_cast(words)
    if metamagic is None and level is None and owner_casts_for_monster(ctx, name, targets):
        return
    fight = fight_of(ctx, ctx.author_id)  # the combat row is locked before the character's
    info = spell_data(ctx, name)
    if info is None and not targets and (split := _spell_then_target(ctx, name)) is not None:
        name, info, targets = split  # `!cast Fire Bolt Zorblax`: the target named without at/on
    if metamagic is None and fight is not None and level is None \
            and cast_held_again(ctx, fight, info.name if info else name, targets):
        return
    if fight is None and info is not None and bolsters_party(info):
        if metamagic is not None:
            raise CommandError("Metamagic on a party's healing outside a fight isn't modelled: cast it without.")
        cast_on_party(ctx, info, level, targets)
        return
    quickened = metamagic is not None and find_metamagic(metamagic) == QUICKENED
    # Shield answering a hit, out of turn; else the turn's action (or bonus action) is spent
    if spell_as_reaction(ctx, fight, name, bonus_action=quickened or (info is not None
                                                                      and info.casting_time == "1 bonus action"),
                         spell_level=info.level if info is not None else None):
        return
    stored = my_character(ctx, for_update=True)
    character = stored.character
    if info is None and not is_castable(character, name):
        raise CommandError(f"I don't know a spell called '{name[:60]}'.")
    shown = [party_member(ctx, t).character.name for t in targets] if fight is None else []  # before the slot
    updated, result = cast_spell(character, name, slot_level=level, spell=info)
    if metamagic is not None:  # refused before anything is written: the slot and the points together
        updated, result = apply_metamagic(updated, result, metamagic)
    if fight is not None:
        _cast_in_fight(ctx, fight, stored, character, updated, result, targets)
    else:
        _cast_outside_fight(ctx, stored, character, updated, result, shown)


def _cast_in_fight(ctx: CommandContext, fight: Fight, stored: StoredCharacter, character: Character,
                   updated: Character, result: CastResult, targets: list[str]) -> None:
    """The spell in the fight, unless a monster the DM plays counters it (the slot and the action spent all the
    same; a refusal of the targets afterwards rolls the counter back with the rest)."""
    state, answer, countered = counterspell.monster_counters(fight.state, fight.me.id, result, rng,
                                                             lambda monster: dm_plays(ctx, monster))
    if updated is not character:
        _save(ctx, stored, updated)  # the slot, before the blows are written back to the same rows
    if countered and answer is not None:
        spell_done(ctx, fight, state, answer, result.message)
        return
    state, effect = engine.cast(state, fight.me.id, result, [target_name(t) for t in targets], rng)
    spell_done(ctx, fight, state, effect, result.message + (f"\n{answer.text}" if answer is not None else ""))


def _cast_outside_fight(ctx: CommandContext, stored: StoredCharacter, character: Character, updated: Character,
                        result: CastResult, targets: list[str]) -> None:
    """Outside a fight a spell's dice are rolled and shown for the party members it targets (``targets``, their
    characters' names; the DM applies them; healing and Aid change the party's rows: `spell_support.cast_on_party`)."""
    lines = [f"✨ {result.message}" + (f" Target: {', '.join(targets)}." if targets else "")]
    if result.attack:
        lines.append(f"Spell attack: +{result.attack_bonus} ({result.attack})")
    if result.save:
        lines.append(f"{result.save} saving throw against DC {result.save_dc}")
    if result.concentration:
        lines.append("Requires concentration.")
    if result.projectiles:
        lines.append(f"{result.projectiles} separate {'attacks' if result.attack else 'darts'}, each "
                     f"{result.damage_each} {result.damage_type}:")
    for what, dice in (("Damage", result.damage_each or result.damage), ("Healing", result.healing)):
        for _ in range(max(1, result.projectiles) if what == "Damage" else 1):
            if not dice:
                break
            rolled = roll(f"{dice} {result.spell} {what.lower()}", rng)
            kind = f" {result.damage_type}" if what == "Damage" and result.damage_type and "[" not in dice else ""
            lines.append(f"{what}{kind}: {rolled}")
            log_roll(ctx, f"{dice} ({result.spell} {what.lower()}) = {rolled.total}", stored.campaign_id)
    if updated is not character:
        _save(ctx, stored, updated)
    ctx.reply("\n".join(lines))


PREPARE_USAGE = "!prepare <spell>, <spell>, …"
MAX_SPELL_LIST_CHARS = 1000


def _spell_names(text: str) -> list[str]:
    names = [" ".join(n.split()) for n in re.split(r"[,;]", text) if n.strip()]
    for name in names:
        if len(name) > 60:
            raise CommandError(f"'{name[:60]}…' is too long for a spell's name.")
    return names


@command("prepare", PREPARE_USAGE, "Prepared casters (Cleric, Druid, Paladin, Wizard) choose the day's prepared "
         "spells after a long rest: up to spellcasting modifier + class level (half for a Paladin), a Wizard's from "
         "the spellbook; domain and oath spells are always prepared and not counted. `!prepare` alone shows the "
         "list.", category=CATEGORY)
def prepare_command(ctx: CommandContext) -> None:
    if len(ctx.args) > MAX_SPELL_LIST_CHARS:
        raise CommandError(f"That list is too long (at most {MAX_SPELL_LIST_CHARS} characters).")
    if fight_of(ctx, ctx.author_id, lock=False) is not None:
        raise CommandError("Preparing spells takes time: not in the middle of a fight.")
    stored = my_character(ctx, for_update=bool(ctx.args.strip()))
    character = stored.character
    limits = {c: prepare_limit(character, c) for c in character.class_levels}
    counts = ", ".join(f"{n} as a {c}" for c, n in limits.items() if n)
    if not ctx.args.strip():
        prepared = ", ".join(character.spells_prepared) or "none"
        when = "now (a long rest has ended)" if character.can_prepare else "after your next long rest"
        raise CommandError(f"{character.name} prepares {counts or 'no spells'}; prepared: {prepared}. Change them "
                           f"{when}: `{PREPARE_USAGE}`.")
    names = _spell_names(ctx.args)
    if not names:
        raise CommandError(f"Name the spells to prepare, separated by commas: `{PREPARE_USAGE}`.")
    updated = prepare_spells(character, names, compendium.spell_catalog(ctx.session))
    _save(ctx, stored, updated)
    ctx.reply(f"📖 {character.name} prepares: {', '.join(updated.spells_prepared)} ({counts}; domain, oath and circle "
              "spells and Signature Spells always prepared). They stay until your next long rest.")


COPY_USAGE = "!copy_spell <spell>"


@command("copy_spell", COPY_USAGE, "A Wizard copies a Wizard spell from a spell scroll it carries (an item named "
         "`Spell Scroll (<spell>)`) into the spellbook: 50 gp and 2 hours per spell level, and an Intelligence "
         "(Arcana) check against 10 + the spell's level; the scroll is used up either way.", category=CATEGORY)
def copy_spell_command(ctx: CommandContext) -> None:
    name = " ".join(ctx.args.split())
    if not name:
        raise CommandError(f"Which spell? `{COPY_USAGE}`, e.g. `!copy_spell Fireball`.")
    if len(name) > 60:
        raise CommandError("That is too long for a spell's name.")
    if fight_of(ctx, ctx.author_id, lock=False) is not None:
        raise CommandError("Copying a spell takes hours: not in the middle of a fight.")
    stored = my_character(ctx, for_update=True)
    before = stored.character
    d20 = rng.randint(1, 20)
    updated, result = copy_spell(before, name, compendium.spell_catalog(ctx.session), d20)
    log_roll(ctx, f"1d20 ({d20}) Arcana check to copy {result.spell} = {result.check}", stored.campaign_id)
    ledger.record_change(ctx.session, stored, before, updated, "spellbook", f"copy {result.spell}", mirror=True)
    _save(ctx, stored, updated)
    outcome = (f"**{result.spell}** is now in the spellbook" if result.copied
               else f"the spell slips away; {result.spell} is not copied")
    ctx.reply(f"📜 {before.name} spends {result.hours} hours and {result.cost_gp} gp copying {result.spell} "
              f"(Arcana {result.check} against DC {result.dc}): {outcome}. The scroll is used up.")


# --------------------------------------------------------------------------- rests


LONG_REST = "long_rest"  # the awaiting key of the ✅/❌ that confirms a long rest
LONG_REST_ANSWER_S = 10 * 60  # a confirmation older than this is asked again: the situation may have moved on


@command("rest", "!rest short [hit dice] | !rest long", "Short rest (spend hit dice: `!rest short 2`) or long "
         "rest (HP, slots, hit dice and uses back; confirmed with ✅, as it takes 8 hours).", category=CATEGORY)
def rest_command(ctx: CommandContext) -> None:
    words = ctx.args.lower().split()
    if not words or words[0] not in ("short", "long"):
        raise CommandError("Take a `!rest short` (optionally spending hit dice: `!rest short 2`) or a `!rest long`.")
    if words[0] == "long":
        if len(words) > 1:
            raise CommandError("A long rest takes no number: `!rest long`.")
        _offer_long_rest(ctx)
        return
    if len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
        raise CommandError("Spend a number of hit dice, e.g. `!rest short 2`.")
    count = int(words[1]) if len(words) == 2 else 0
    if count > 20:
        raise CommandError("You have at most 20 hit dice.")
    stored = _rester(ctx)
    updated, result = short_rest(stored.character, count, rng)
    for die in result.hit_dice_rolls:
        log_roll(ctx, f"1{die.die}{die.con_mod:+d} (hit die) = {die.roll + die.con_mod}", stored.campaign_id)
    _save(ctx, stored, updated)
    ctx.reply("🛏️ " + "\n".join(result.lines))


def _rester(ctx: CommandContext) -> StoredCharacter:
    """The author's character, locked, when it may rest now (not in a fight it is still standing in)."""
    fight = fight_of(ctx, ctx.author_id, lock=False)
    if fight is not None and not fight.me.dead:
        raise CommandError(f"{fight.me.name} is in the middle of a fight: no rest until it's over (`!end_combat`).")
    return my_character(ctx, for_update=True)


def _offer_long_rest(ctx: CommandContext) -> None:
    """A long rest is 8 hours of the story and resets the day's resources: asked with ✅/❌ first, saying what
    it gives back (refused now when it couldn't be taken)."""
    stored = _rester(ctx)
    restores = long_rest_offer(stored.character)
    minutes = LONG_REST_ANSWER_S // 60
    ctx.reply(f"🛏️ A long rest for **{stored.character.name}**: 8 hours of sleep and light activity. It gives back "
              f"{restores} Press {ACCEPT} to rest or {DECLINE} to keep going (within {minutes} minutes).",
              meta=confirmation(LONG_REST, player_id=ctx.author_id, campaign_id=stored.campaign_id,
                                asked_at=int(time.time())))


@reaction(LONG_REST)
def settle_long_rest(ctx: CommandContext) -> None:
    """The resting player's ✅ or ❌: answered once per confirmation (a second press, or ✅ after ❌, is told so),
    and the rest is checked again as it is taken (a fight may have started since)."""
    meta = ctx.event.get("meta") or {}
    emoji = ctx.event.get("emoji")
    if emoji not in (ACCEPT, DECLINE) or ctx.event.get("author_id") is None or ctx.author_id != meta.get("player_id"):
        return  # only the resting player's answer counts
    asked = str(ctx.event.get("reply_key") or ctx.event.get("message_id"))
    if not claim(ctx.session, f"{LONG_REST}:{asked}", "commands.reaction"):
        ctx.reply("This long rest was already answered; `!rest long` asks again.")
        return
    if emoji == DECLINE:
        ctx.reply("❌ No long rest: the party keeps going.")
        return
    if time.time() - float(meta.get("asked_at") or 0) > LONG_REST_ANSWER_S:
        raise CommandError("That long rest was offered too long ago: `!rest long` asks again.")
    stored = _rester(ctx)
    if stored.campaign_id != meta.get("campaign_id"):
        raise CommandError("That long rest was offered in another campaign: `!rest long` asks again.")
    updated, result = long_rest(stored.character)
    _save(ctx, stored, updated)
    ctx.reply("🛏️ " + "\n".join(result.lines))


# --------------------------------------------------------------------------- feats and abilities


def _split_name(character: Character, field_name: str, text: str) -> tuple[str, str]:
    """The longest leading words of `text` that name one of the character's feats/abilities, and the rest."""
    words = text.split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        found = find_resource(character, candidate)
        if found is not None and found[0] == field_name:
            return found[2].name, " ".join(words[n:])
    return "", text


def _use(ctx: CommandContext, field_name: str, kind: str, usage: str) -> None:
    if not ctx.args:
        raise CommandError(f"Which {kind}? `{usage}`.")
    stored = my_character(ctx, for_update=True)
    character = stored.character
    name, action = _split_name(character, field_name, ctx.args)
    if not name:
        plural = "feats" if kind == "feat" else "abilities"
        have = ", ".join(r.name for r in getattr(character, field_name)) or "none"
        other_field, other_kind = ("abilities", "ability") if kind == "feat" else ("feats", "feat")
        other_name, _ = _split_name(character, other_field, ctx.args)
        hint = f" {other_name} is one of your {other_field}: use `!use_{other_kind}`." if other_name else ""
        raise CommandError(f"{character.name} doesn't have that {kind} (`{ctx.args[:60]}`). "
                           f"Your {plural}: {have}.{hint}")
    updated, message = use_resource(character, name)
    if updated is not character:
        _save(ctx, stored, updated)
    ctx.reply(f"⚡ {message}" + (f" — *{action[:200]}*" if action else ""))


@command("use_feat", "!use_feat <feat> <action>", "Use a feat for an action, e.g. `!use_feat Lucky reroll the "
         "attack` (uses are tracked).", category=CATEGORY)
def use_feat_command(ctx: CommandContext) -> None:
    _use(ctx, "feats", "feat", "!use_feat <feat> <action>")


@command("use_ability", "!use_ability <ability> <action>", "Use a class or racial ability, e.g. `!use_ability Rage "
         "attack` (uses are tracked).", category=CATEGORY)
def use_ability_command(ctx: CommandContext) -> None:
    _use(ctx, "abilities", "ability", "!use_ability <ability> <action>")


# --------------------------------------------------------------------------- checks and saves


INSPIRED = "insp"  # the word that spends the Bardic Inspiration die held on a check or save


def lowered(words: list[str]) -> list[str]:
    return [w.casefold() for w in words]


def _d20(ctx: CommandContext, test: actions.D20Test, stored: StoredCharacter, inspired: bool = False) -> None:
    if inspired:  # the die leaves the sheet in the same transaction as the roll's reply
        stored = my_character(ctx, for_update=True)
        updated, dice = spend_inspiration(stored.character)
        _save(ctx, stored, updated)
        test = dataclasses.replace(test, bonus_dice=dice, reasons=[*test.reasons, f"Bardic Inspiration {dice[1:]}"])
    name = stored.character.name
    notes = f" ({', '.join(test.reasons)})" if test.reasons else ""
    if test.mode == "auto_fail":
        ctx.reply(f"🎲 **{name}** automatically fails the {test.label}{notes}.")
        log_roll(ctx, f"{test.label}: automatic failure", stored.campaign_id)
        return
    try:
        result = roll(test.expression(), rng)
    except DiceError as error:  # cannot happen for 1d20+N, but never crash on it
        raise CommandError(f"I can't roll that: {error}") from None
    mode = {"advantage": " with advantage", "disadvantage": " with disadvantage"}.get(test.mode, "")
    ctx.reply(f"🎲 **{name}** rolls{mode}{notes} {result}")
    log_roll(ctx, f"{test.expression()} = {result.total}", stored.campaign_id)


MAX_SUBJECT_CHARS = 60


def check_subject(ctx: CommandContext, text: str) -> CheckSubject | None:
    """What a check is about, named after the skill: a terrain, a creature type or humanoid race ("undead",
    "orcs"), a monster the game knows ("goblin"), or a creature of the player's fight ("goblin 2")."""
    if not text:
        return None
    if len(text) > MAX_SUBJECT_CHARS:
        raise CommandError(f"Name what the check is about in at most {MAX_SUBJECT_CHARS} characters.")
    terrain = find_terrain(text)
    if terrain is not None:
        return CheckSubject(name=terrain, terrain=terrain)
    fight = fight_of(ctx, ctx.author_id, lock=False)
    foe = next((c for c in fight.state.combatants if c.monster is not None
                and c.name.casefold() == " ".join(text.split()).casefold()), None) if fight is not None else None
    found = compendium.monster(ctx.session, foe.monster.name if foe is not None and foe.monster else text)
    kind = find_creature_type(text) if found is None else None
    if kind is not None:
        return CheckSubject(name=" ".join(text.split()), creature_type=kind[0], subtype=kind[1])
    if found is None:
        raise CommandError(f"I don't know a creature or terrain called '{text}'. Name a monster (`!check survival "
                           "goblin`), a creature type (`undead`) or a terrain (`forest`) after the skill.")
    return CheckSubject(name=found.name, creature_type=str(found.details.get("type", "")).casefold(),
                        subtype=str(found.details.get("subtype") or "").casefold())


@command("check", "!check <skill|ability> [about] [adv|dis] [insp]", "An ability check with your modifiers and "
         "proficiency, e.g. `!check stealth`, `!check str` (`insp`: add your Bardic Inspiration die). Name what it "
         "is about after the skill — a creature, its type or a terrain: `!check survival goblin` — and a ranger's "
         "Favored Enemy (advantage on Survival to track and Intelligence checks to recall) and Natural Explorer "
         "(double proficiency) count.",
         category=CATEGORY)
def check_command(ctx: CommandContext) -> None:
    words = ctx.args.split()
    if not words:
        raise CommandError("Which check? For example `!check Perception` or `!check dex`.")
    extra = [w for w in words if advantage_word(w) is not None or w.casefold() == INSPIRED]
    what, about = actions.split_check([w for w in words if w not in extra])
    subject = check_subject(ctx, about)
    stored = my_character(ctx)
    _d20(ctx, actions.ability_check(stored.character, what, " ".join(extra), subject), stored,
         INSPIRED in lowered(extra))


@command("save", "!save <ability> [adv|dis] [insp] | !save death", "A saving throw with your modifiers, "
         "proficiency and conditions (in a fight, your combatant's), e.g. `!save dex`; `!save death` shows your "
         "death saves.",
         category=CATEGORY)
def save_command(ctx: CommandContext) -> None:
    words = ctx.args.split()
    if not words:
        raise CommandError("Which saving throw? For example `!save dex` or `!save wisdom`.")
    extra = [w for w in words if advantage_word(w) is not None or w.casefold() == INSPIRED]
    what = " ".join(w for w in words if w not in extra)
    fight = fight_of(ctx, ctx.author_id, lock=False)
    stored = my_character(ctx)
    if what.casefold() in ("death", "death save", "death saving throw"):
        ctx.reply(death_save_status(fight, stored.character))
        return
    character = stored.character
    if fight is not None:  # the fight's conditions (paralyzed, restrained, unconscious at 0 HP) are the current ones
        character = character.model_copy(update={"conditions": list(fight.me.conditions),
                                                 "exhaustion": fight.me.exhaustion})
    try:
        test = actions.saving_throw(character, what, " ".join(extra))
    except RulesError:
        raise CommandError(f"'{what[:40]}' is not an ability. Saving throws: "
                           f"{', '.join(ABILITY_NAMES.values())}.") from None
    _d20(ctx, test, stored, INSPIRED in lowered(extra))


# --------------------------------------------------------------------------- items


@command("use_item", "!use_item <item>", "Use a consumable, e.g. `!use_item Potion of Healing` (rolls 2d4+2 and "
         "heals).", category=CATEGORY)
def use_item_command(ctx: CommandContext) -> None:
    if not ctx.args:
        raise CommandError("Which item? For example `!use_item Potion of Healing`.")
    fight = fight_of(ctx, ctx.author_id)  # the combat row is locked before the character's
    if fight is not None:
        require_turn(ctx, fight, "Using an item")
        fight.state = take_action(fight.state, fight.me.id, "item")
    stored = my_character(ctx, for_update=True)
    used = actions.use_item(stored.character, ctx.args, rng)
    lines = [f"🧪 {discord.item_use(used)}"]
    if used.roll is not None:
        lines.append(f"🎲 {used.roll}")
        log_roll(ctx, f"{used.roll.expression} ({used.consumed}) = {used.roll.total}", stored.campaign_id)
    _save(ctx, stored, used.character)
    if used.consumed:
        ledger.record(ctx.session, stored.campaign_id, stored.id, "consumed", "!use_item", [(used.consumed, -1)])
    if fight is not None:
        state = fight.state
        if used.roll is not None:  # a healing potion: the combatant regains what the sheet did
            state, _ = engine.heal(state, fight.me.id, max(0, used.roll.total), actor_id=fight.me.id,
                                   source=used.consumed or "")
        lines[-1] += finish_action(ctx, fight, state, [fight.me.id])
        ctx.narrate(f"In the fight, {facts.item_use(used)}{facts.outcome_fact(engine.outcome(state))}")
    ctx.reply("\n".join(lines))
    if fight is not None:
        end_stated_turn(ctx, fight.row, fight.state, state)
