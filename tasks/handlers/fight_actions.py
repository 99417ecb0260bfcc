"""A character's other actions, bonus actions, features and reactions in a fight: `!dash`, `!dodge`, `!disengage`,
`!hide`, `!ready`, (`!help <ally>`, in `tasks.handlers.basic`), `!rage`, `!second_wind`, `!action_surge`,
`!bonus_attack`, `!flurry`, `!patient_defense`, `!step_of_the_wind`, `!react`, and the DM's `!leaves_reach`; and
the features with a pool or a die given to another (`dnd.class_features`), in or out of a fight:
`!arcane_recovery`, `!lay_on_hands`, `!inspire`; a druid's `!wild_shape <beast>` and `!revert` (`dnd.wild_shape`).

The rules are the engine's (`dnd.combat.turn_actions`, `dnd.combat.reactions`, `dnd.combat.economy`); a feature's
use (Rage, Second Wind, Action Surge, Ki) is spent on the sheet in the same transaction as its effect, so a
refusal (no bonus action left, no reaction offered) changes neither the fight nor the character row.
"""

from __future__ import annotations

from collections.abc import Callable

from db import combat as combats
from db import compendium
from db.characters import StoredCharacter, save
from dnd import combat as engine
from dnd.actions import set_hp
from dnd.character import Character, effective_max_hp
from dnd.class_features import SECOND_WIND, arcane_recovery, inspire, lay_on_hands, second_wind_level
from dnd.combat import channel_divinity, reactions, turn_actions
from dnd.combat.economy import take_action, take_bonus_action
from dnd.combat.results import FeatureResult
from dnd.combat.state import CombatState, ids_named
from dnd.dice import roll
from dnd.feats import use_resource
from dnd.wild_shape import WILD_SHAPE, assume_shape, revert
from tasks.handlers.character_support import MENTION, mentioned_id, my_character, rng, their_character
from tasks.handlers.combat_support import (
    CATEGORY,
    Fight,
    channel_fight,
    check_length,
    counter_reaction,
    end_stated_turn,
    fight_of,
    finish_action,
    monster_block,
    narrate_fight,
    narrate_reaction,
    no_args,
    rebuke_reaction,
    require_turn,
    shield_reaction,
    sync_gate,
    target_and_weapon,
    target_name,
)
from tasks.handlers.registry import CommandContext, CommandError, command


def my_fight(ctx: CommandContext, what: str, *, on_my_turn: bool = True) -> Fight:
    """The author's fight (its row locked first); `what` is an action there, on their turn unless a reaction."""
    check_length(ctx.args)
    fight = fight_of(ctx, ctx.author_id)
    if fight is None:
        raise CommandError(f"{what} is something you do in a fight, and you're not in one.")
    if on_my_turn:
        require_turn(ctx, fight, what)
    elif ctx.event.get("channel_id") is None or int(ctx.event["channel_id"]) != fight.row.channel_id:
        raise CommandError(f"{fight.me.name} is in a fight: {what.lower()} happens at the table, in its channel.")
    return fight


def spend(ctx: CommandContext, resource: str, amount: int = 1) -> None:
    """A feature's uses, spent on the author's sheet (refused with the reason when none are left)."""
    stored = my_character(ctx, for_update=True)
    updated, _ = use_resource(stored.character, resource, amount)
    if updated is not stored.character:
        save(ctx.session, stored, updated)


def finish(ctx: CommandContext, fight: Fight, before: CombatState, state: CombatState, text: str,
           touched: list[str] | None = None) -> None:
    ending = finish_action(ctx, fight, state, [fight.me.id, *(touched or [])])
    ctx.reply(f"{text}{ending}")
    end_stated_turn(ctx, fight.row, before, state)


def _simple(ctx: CommandContext, name: str, what: str,
            act: Callable[[CombatState, str], tuple[CombatState, FeatureResult]]) -> None:
    """An action that takes no words (`!dash`): on the author's turn, the engine's `act`, told."""
    no_args(ctx, name)
    fight = my_fight(ctx, what)
    state, result = act(fight.state, fight.me.id)
    finish(ctx, fight, fight.state, state, result.text)


@command("dash", "!dash", "The Dash action: double your movement this turn.", category=CATEGORY)
def dash_command(ctx: CommandContext) -> None:
    _simple(ctx, "dash", "Dashing", turn_actions.dash)


@command("dodge", "!dodge", "The Dodge action: attacks at you have disadvantage, and you have advantage on DEX "
         "saves, until your next turn.", category=CATEGORY)
def dodge_command(ctx: CommandContext) -> None:
    _simple(ctx, "dodge", "Dodging", turn_actions.dodge)


@command("disengage", "!disengage", "The Disengage action: leaving a foe's reach provokes no opportunity attack "
         "this turn.", category=CATEGORY)
def disengage_command(ctx: CommandContext) -> None:
    _simple(ctx, "disengage", "Disengaging", turn_actions.disengage)


@command("hide", "!hide", "The Hide action: a Stealth check; while hidden your next attack roll has advantage.",
         category=CATEGORY)
def hide_command(ctx: CommandContext) -> None:
    _simple(ctx, "hide", "Hiding", lambda state, me: turn_actions.hide(state, me, rng))


@command("ready", "!ready <trigger and action>", "The Ready action: say what you wait for and what you do; "
         "`!react attack <target>` takes it when it happens.", category=CATEGORY)
def ready_command(ctx: CommandContext) -> None:
    fight = my_fight(ctx, "Readying an action")
    state, result = turn_actions.ready(fight.state, fight.me.id, ctx.args)
    finish(ctx, fight, fight.state, state, result.text)


# --------------------------------------------------------------------------- features


@command("rage", "!rage", "Barbarian: rage as a bonus action (a use of Rage): extra melee damage and resistance "
         "to bludgeoning, piercing and slashing until the fight ends.", category=CATEGORY)
def rage_command(ctx: CommandContext) -> None:
    no_args(ctx, "rage")
    fight = my_fight(ctx, "Raging")
    state, result = turn_actions.rage(fight.state, fight.me.id)
    spend(ctx, "Rage")
    finish(ctx, fight, fight.state, state, result.text)


@command("second_wind", "!second_wind", "Fighter: regain 1d10 + your fighter level hit points as a bonus action "
         "(a use of Second Wind).", category=CATEGORY)
def second_wind_command(ctx: CommandContext) -> None:
    no_args(ctx, "second_wind")
    fight = fight_of(ctx, ctx.author_id)
    if fight is None:
        _second_wind_outside(ctx)
        return
    require_turn(ctx, fight, "Second Wind")
    state, result = turn_actions.second_wind(fight.state, fight.me.id, rng)
    spend(ctx, SECOND_WIND)
    finish(ctx, fight, fight.state, state, result.text)


def _second_wind_outside(ctx: CommandContext) -> None:
    """Out of a fight Second Wind still heals the sheet (no action to spend)."""
    stored = my_character(ctx, for_update=True)
    character = stored.character
    level = second_wind_level(character, character.hp, effective_max_hp(character))
    updated, _ = use_resource(character, SECOND_WIND)
    healed = roll(f"1d10+{level} {SECOND_WIND}", rng)
    hp = min(effective_max_hp(updated), updated.hp + max(0, healed.total))
    save(ctx.session, stored, set_hp(updated, hp))
    ctx.reply(f"⚡ {character.name} uses Second Wind: {healed} → {hp}/{effective_max_hp(updated)} HP.")


@command("channel_divinity", "!channel_divinity turn undead | preserve life | turn the unholy",
         "Cleric: Turn Undead (each undead in the fight makes a Wisdom save or is turned until it takes damage; "
         "Destroy Undead from 5th); Life Domain: Preserve Life (five times your cleric level in hit points among "
         "the wounded of your side, none above half its maximum); Oath of Devotion: Turn the Unholy (fiends and "
         "undead). Your action, a use of Channel Divinity.", category=CATEGORY)
def channel_divinity_command(ctx: CommandContext) -> None:
    check_length(ctx.args)
    option = " ".join(ctx.args.split()).casefold()
    if option not in channel_divinity.CHANNEL_OPTIONS:
        raise CommandError("Which one? `!channel_divinity turn undead`, `!channel_divinity preserve life` or "
                           "`!channel_divinity turn the unholy`.")
    fight = my_fight(ctx, "Channel Divinity")
    healed: list[str] = []
    if option == "preserve life":
        state, result, healed = channel_divinity.preserve_life(fight.state, fight.me.id)
    elif option == "turn undead":
        state, result = channel_divinity.turn_undead(fight.state, fight.me.id, rng)
    else:
        state, result = channel_divinity.turn_the_unholy(fight.state, fight.me.id, rng)
    spend(ctx, "Channel Divinity")
    finish(ctx, fight, fight.state, state, f"✨ {result.text}", healed)


@command("action_surge", "!action_surge", "Fighter: one more action this turn (a use of Action Surge).",
         category=CATEGORY)
def action_surge_command(ctx: CommandContext) -> None:
    no_args(ctx, "action_surge")
    fight = my_fight(ctx, "Action Surge")
    state, result = turn_actions.action_surge(fight.state, fight.me.id)
    spend(ctx, "Action Surge")
    finish(ctx, fight, fight.state, state, result.text)


def _strike(ctx: CommandContext, flurry: bool) -> None:
    name = "flurry" if flurry else "bonus_attack"
    if not ctx.args.strip():
        raise CommandError(f"Strike whom? `!{name} <target>`.")
    fight = my_fight(ctx, "Flurry of Blows" if flurry else "The bonus unarmed strike")
    state, results = turn_actions.martial_arts_strike(fight.state, fight.me.id, target_name(ctx.args), rng,
                                                      flurry=flurry)
    if flurry:
        spend(ctx, "Ki")
    touched = ids_named(state, {r.target for r in results})
    text = "\n".join(f"🥋 {r.text}" for r in results)
    for result in results:
        narrate_fight(ctx, result, state)
    finish(ctx, fight, fight.state, state, text, touched)


@command("bonus_attack", "!bonus_attack <target>", "Monk: after the Attack action, an unarmed strike as a bonus "
         "action (Martial Arts).", category=CATEGORY)
def bonus_attack_command(ctx: CommandContext) -> None:
    _strike(ctx, flurry=False)


@command("flurry", "!flurry <target>", "Monk: after the Attack action, spend 1 ki for two unarmed strikes as a "
         "bonus action (Flurry of Blows).", category=CATEGORY)
def flurry_command(ctx: CommandContext) -> None:
    _strike(ctx, flurry=True)


@command("patient_defense", "!patient_defense", "Monk: spend 1 ki to take the Dodge action as a bonus action.",
         category=CATEGORY)
def patient_defense_command(ctx: CommandContext) -> None:
    no_args(ctx, "patient_defense")
    _ki(ctx, "dodge")


@command("step_of_the_wind", "!step_of_the_wind dash|disengage", "Monk: spend 1 ki to Dash or Disengage as a bonus "
         "action.", category=CATEGORY)
def step_of_the_wind_command(ctx: CommandContext) -> None:
    which = ctx.args.strip().casefold()
    if which not in ("dash", "disengage"):
        raise CommandError("Dash or disengage? `!step_of_the_wind dash` or `!step_of_the_wind disengage`.")
    _ki(ctx, which)


def _ki(ctx: CommandContext, which: str) -> None:
    fight = my_fight(ctx, "Spending ki")
    state, result = turn_actions.ki_bonus_action(fight.state, fight.me.id, which)
    spend(ctx, "Ki")
    finish(ctx, fight, fight.state, state, result.text)


# --------------------------------------------------------------------------- reactions

REACT_USAGE = ("!react shield | !react uncanny dodge | !react hellish rebuke [at <level>] | "
               "!react counterspell [at <level>] | !react protection <ally> | !react attack [<target>] "
               "[with <weapon>] | !react pass")


@command("react", REACT_USAGE, "Your reaction, out of your turn: Shield (+5 AC against the hit you just took), "
         "Uncanny Dodge (half its damage), Hellish Rebuke (the attacker saves or burns), Counterspell (a creature's "
         "spell being cast fails: at once up to the slot's level, above it on a spellcasting check against 10 + "
         "its level), Protection (disadvantage on the attack that hit an ally), or an attack "
         "(a creature the DM says leaves your reach, or your readied action); `pass` takes none. A blow that leaves "
         "every hero down waits for the reaction that could turn it.", category=CATEGORY)
def react_command(ctx: CommandContext) -> None:
    words = " ".join(ctx.args.split())
    head = words.casefold()
    if head == "shield":
        shield_reaction(ctx, my_fight(ctx, "Shield", on_my_turn=False))
    elif head in ("uncanny dodge", "uncanny_dodge"):
        fight = my_fight(ctx, "Uncanny Dodge", on_my_turn=False)
        state, result = reactions.uncanny_dodge(fight.state, fight.me.id)
        finish(ctx, fight, fight.state, state, f"🛡️ {result.text}")
        narrate_reaction(ctx, result, state)
    elif head.startswith("protection "):
        fight = my_fight(ctx, "Protection", on_my_turn=False)
        ally = target_name(words[len("protection"):].strip())
        state, result = reactions.protection(fight.state, fight.me.id, ally, rng)
        finish(ctx, fight, fight.state, state, f"🛡️ {result.text}", [ally])
        narrate_reaction(ctx, result, state)
    elif head == "attack" or head.startswith("attack "):
        _react_attack(ctx, words[len("attack"):].strip())
    elif head.startswith("hellish rebuke"):
        rebuke_reaction(ctx, my_fight(ctx, "Hellish Rebuke", on_my_turn=False), "Hellish Rebuke",
                        _slot_level(words[len("hellish rebuke"):], "hellish rebuke at 2"))
    elif head.startswith("counterspell"):
        counter_reaction(ctx, my_fight(ctx, "Counterspell", on_my_turn=False), "Counterspell",
                         _slot_level(words[len("counterspell"):], "counterspell at 4"))
    elif head == "pass":
        fight = my_fight(ctx, "Letting a reaction pass", on_my_turn=False)
        state, result = reactions.let_pass(fight.state, fight.me.id)
        finish(ctx, fight, fight.state, state, f"🤚 {result.text}")
    else:
        raise CommandError(f"Which reaction? `{REACT_USAGE}`.")


def _slot_level(text: str, example: str) -> int | None:
    """A reaction spell's "at <level>" (None: its own level)."""
    level = text.strip().casefold()
    if level and not (level.startswith("at ") and level[3:].strip().isdigit() and len(level) <= 5):
        raise CommandError(f"Upcast it with a slot level: `!react {example}`.")
    return int(level[3:]) if level else None


def _react_attack(ctx: CommandContext, rest: str) -> None:
    target, weapon = target_and_weapon(rest)
    fight = my_fight(ctx, "An opportunity attack", on_my_turn=False)
    state, result = reactions.reaction_attack(fight.state, fight.me.id, target, weapon, rng)
    touched = ids_named(state, [result.target])
    narrate_fight(ctx, result, state)
    finish(ctx, fight, fight.state, state, f"🗡️ {result.text}", touched)


@command("leaves_reach", "!leaves_reach <creature> from @player [@player …]", "DM: a creature leaves those "
         "characters' reach; each may make an opportunity attack (`!react attack`).", owner_only=True,
         category=CATEGORY)
def leaves_reach_command(ctx: CommandContext) -> None:
    check_length(ctx.args)
    creature, _, rest = ctx.args.partition(" from ")
    players = [f"pc{mentioned_id(m)}" for m in MENTION.finditer(rest)]
    if not creature.strip() or not players or MENTION.sub("", rest).strip():
        raise CommandError("Usage: `!leaves_reach <creature> from @player [@player …]`.")
    row, state = channel_fight(ctx)
    state, result = reactions.leaves_reach(state, target_name(creature), players)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"🏃 {result.text}")


# --------------------------------------------------------------------------- pools and dice given to others


def _pair(ctx: CommandContext, other: int) -> tuple[StoredCharacter, StoredCharacter]:
    """The author's character and another player's, locked in player-id order (as every two-row command)."""
    if other == ctx.author_id:
        me = my_character(ctx, for_update=True)
        return me, me
    first, second = sorted((ctx.author_id, other))
    rows = {first: their_character(ctx, first), second: their_character(ctx, second)}
    return rows[ctx.author_id], rows[other]


@command("arcane_recovery", "!arcane_recovery <slot level> [<slot level> …]", "Wizard, once a day after a short "
         "rest: recover spent slots whose levels add up to half your wizard level (rounded up), none of 6th level "
         "or higher, e.g. `!arcane_recovery 2 1`.", category=CATEGORY)
def arcane_recovery_command(ctx: CommandContext) -> None:
    words = ctx.args.split()
    if not words or len(words) > 10 or not all(w.isdigit() and len(w) <= 2 for w in words):
        raise CommandError("Which slot levels? For example `!arcane_recovery 2` or `!arcane_recovery 1 1`.")
    if fight_of(ctx, ctx.author_id, lock=False) is not None:
        raise CommandError("Arcane Recovery comes after a short rest, not in the middle of a fight.")
    stored = my_character(ctx, for_update=True)
    updated, message = arcane_recovery(stored.character, [int(w) for w in words])
    save(ctx.session, stored, updated)
    ctx.reply(f"📖 {message}")


@command("lay_on_hands", "!lay_on_hands <hit points> [@player]", "Paladin: heal yourself or the player's character "
         "from your Lay on Hands pool (in a fight, your action).", category=CATEGORY)
def lay_on_hands_command(ctx: CommandContext) -> None:
    words = ctx.args.split()
    if not 1 <= len(words) <= 2 or not words[0].isdigit() or len(words[0]) > 3:
        raise CommandError("How many hit points, and to whom? `!lay_on_hands 5` or `!lay_on_hands 5 @player`.")
    amount = int(words[0])
    other = ctx.author_id
    if len(words) == 2:
        found = MENTION.fullmatch(words[1])
        if found is None:
            raise CommandError("Name the player with a mention: `!lay_on_hands 5 @player`.")
        other = mentioned_id(found)
    fight = fight_of(ctx, ctx.author_id)
    if fight is not None:
        require_turn(ctx, fight, "Lay on Hands")
        fight.state = take_action(fight.state, fight.me.id, "feature")
    me, them = _pair(ctx, other)
    healer, message = lay_on_hands(me.character, amount)
    save(ctx.session, me, healer)
    if fight is not None:
        state, healed = engine.heal(fight.state, target_name(f"<@{other}>"), amount, actor_id=fight.me.id,
                                    source="Lay on Hands")
        finish(ctx, fight, fight.state, state, f"🙌 {message}\n{healed.text}", [f"pc{other}"])
        return
    target = healer if them is me else them.character
    hp = min(effective_max_hp(target), target.hp + amount)
    save(ctx.session, them, set_hp(target, hp))
    ctx.reply(f"🙌 {message} {target.name}: {hp}/{effective_max_hp(target)} HP.")


@command("inspire", "!inspire @player", "Bard: give another player's character a Bardic Inspiration die to add to "
         "one check, attack or save (`insp`); in a fight, your bonus action.", category=CATEGORY)
def inspire_command(ctx: CommandContext) -> None:
    found = MENTION.fullmatch(ctx.args.strip())
    if found is None:
        raise CommandError("Inspire whom? `!inspire @player`.")
    other = mentioned_id(found)
    if other == ctx.author_id:
        raise CommandError("Bardic Inspiration goes to another creature, not the bard.")
    fight = fight_of(ctx, ctx.author_id)
    if fight is not None:
        require_turn(ctx, fight, "Bardic Inspiration")
        fight.state = take_bonus_action(fight.state, fight.me.id, "Bardic Inspiration")
    me, them = _pair(ctx, other)
    bard, inspired, message = inspire(me.character, them.character)
    save(ctx.session, me, bard)
    save(ctx.session, them, inspired)
    if fight is not None:
        finish(ctx, fight, fight.state, fight.state, f"🎶 {message}")
        return
    ctx.reply(f"🎶 {message}")


# --------------------------------------------------------------------------- Wild Shape

MAX_BEAST_CHARS = 60


def _shape_changed(ctx: CommandContext, fight: Fight | None, stored: StoredCharacter, updated: Character,
                   text: str) -> None:
    """The sheet (and, in a fight, the combatant: the beast's stat block, or the druid's own again) take the shape."""
    save(ctx.session, stored, updated)
    if fight is None:
        ctx.reply(text)
        return
    state = engine.update_from_sheet(fight.state, fight.me.id, updated)
    finish(ctx, fight, fight.state, state, text)


@command("wild_shape", "!wild_shape <beast>", "Druid: take a beast's shape (a use of Wild Shape; in a fight, your "
         "action): you fight with its hit points, AC and attacks; damage beyond its hit points carries over to "
         "yours when it drops. CR 1/4 without swim or fly speed at level 2, CR 1/2 without fly at 4, CR 1 at 8.",
         category=CATEGORY)
def wild_shape_command(ctx: CommandContext) -> None:
    name = " ".join(ctx.args.split())
    if not name:
        raise CommandError("Which beast? For example `!wild_shape wolf`.")
    if len(name) > MAX_BEAST_CHARS:
        raise CommandError(f"That's too long for a beast's name (at most {MAX_BEAST_CHARS} characters).")
    block, _ = monster_block(ctx, name)
    fight = fight_of(ctx, ctx.author_id)
    if fight is not None:
        require_turn(ctx, fight, "Wild Shape")
        fight.state = take_action(fight.state, fight.me.id, "feature")
    stored = my_character(ctx, for_update=True)
    entry = compendium.monster(ctx.session, block.name)
    assert entry is not None  # monster_block found it
    updated = assume_shape(stored.character, block, entry.details)
    uses = next((r for r in updated.abilities if r.name == WILD_SHAPE), None)
    left = f" ({uses.uses}/{uses.max_uses} uses left)" if uses is not None and uses.limited else ""
    _shape_changed(ctx, fight, stored, updated,
                   f"🐾 {updated.name} takes the shape of a **{block.name}**: {block.hit_points} HP, AC "
                   f"{block.armor_class}, {', '.join(a.name for a in block.attacks) or 'no attacks'}{left}. "
                   "`!revert` (a bonus action) to change back.")


@command("revert", "!revert", "Druid: leave the beast's shape (in a fight, your bonus action); your hit points are "
         "what they were before the change.", category=CATEGORY)
def revert_command(ctx: CommandContext) -> None:
    no_args(ctx, "revert")
    fight = fight_of(ctx, ctx.author_id)
    if fight is not None:
        require_turn(ctx, fight, "Reverting")
        fight.state = take_bonus_action(fight.state, fight.me.id, "Revert")
    stored = my_character(ctx, for_update=True)
    updated = revert(stored.character)
    _shape_changed(ctx, fight, stored, updated, f"🐾 {updated.name} returns to their own shape: "
                   f"{updated.hp}/{updated.max_hp} HP.")
