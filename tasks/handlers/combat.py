"""Combat commands: `!initiative`, `!initiative add`, `!attack`, `!end_turn`, `!skip`, `!end_combat`.

One active combat per channel (a row of `combat_state`, locked FOR UPDATE by every command that changes it).
The rules are the engine's (`dnd.combat`); this module loads, calls, stores and keeps the gateway's combat
gate in step (`tasks.handlers.combat_support`, which the character commands in a fight share).

Choices:
* `!initiative` with mentions (`!initiative @a @b`) starts a fight for those players' characters; without
  mentions, for the author's character and those of the players who spoke in this channel in the last
  :data:`combat_support.RECENT_MINUTES` minutes (and have a character in the active campaign).
* Monsters join with `!initiative add <monster> [count]` (owner only, from the imported SRD).
* The DM plays the monsters (MONSTER_CONTROL=auto, the default): when a monster's turn comes, it takes it as
  `dnd.tactics` decides, the engine resolves it, and the whole run of monster turns is posted in the reply that
  passed the turn to them (and narrated once). With MONSTER_CONTROL=owner, or for a creature the owner took
  over (`!dm control <creature>`; `!dm release` hands it back), the owner drives it: `!attack <target>` makes
  the attacks of its Multiattack (or its first attack when it has none; `with multiattack 2` picks another
  option), `!attack <target> with <action>` one attack with that action, and `!end_turn` passes the turn.
* A character at 0 HP can't act: a dying one's turn starts with its death saving throw, rolled for it, and
  then passes (unless a natural 20 brings it back); a stable one's turn passes. Every blow, spell, potion and
  save is written back to the character row at once, so `!end_combat` only closes the fight and sums it up.
* The character commands take part (see `tasks.handlers.characters`): `!cast` and `!use_item` act on the
  caster's turn only, `!save` uses the combatant's conditions, `!rest` waits for the fight to end, and the
  owner's `!hp` and `!set_condition` change the combatant as well as the sheet (`combat_support.fight_of`).
"""

from __future__ import annotations

import re

from db import combat as combats
from dnd import combat as engine
from dnd.combat.economy import take_action
from dnd.combat.state import replace_combatant
from dnd.monsters import Combatant
from dnd.phrases import advantage_word, counted_name
from tasks.handlers.character_support import MENTION, mention, mentioned_id, rng
from tasks.handlers.combat_support import (
    CATEGORY,
    MonsterTurns,
    after_turns,
    begin_turn,
    channel_fight,
    check_length,
    end_fight,
    end_stated_turn,
    ending_line,
    fight_of,
    inspiration_spent,
    monster_block,
    narrate_fight,
    no_args,
    no_spell_waiting,
    pass_turn,
    play_monster_turns,
    player_of,
    start_fight,
    sync_gate,
    target_and_weapon,
    turn_line,
    write_back,
)
from tasks.handlers.registry import CommandContext, CommandError, command

MAX_MONSTERS_PER_ADD = 20
_MULTIATTACK = re.compile(r"multi-?attack(?:\s+(?:option\s+)?(\d{1,2}))?", re.IGNORECASE)


def _may_act(ctx: CommandContext, actor: Combatant) -> None:
    """The current actor's player acts for a character; the owner acts for monsters (and may act for anyone)."""
    if ctx.is_owner:
        return
    if player_of(actor) != ctx.author_id:
        raise CommandError(f"It's {actor.name}'s turn, not yours — wait for your turn.")


# --------------------------------------------------------------------------- starting a fight


def _start(ctx: CommandContext) -> None:
    mentioned = [mentioned_id(found) for found in MENTION.finditer(ctx.args)]
    if MENTION.sub("", ctx.args).strip():
        raise CommandError("Usage: `!initiative [@player …]` or `!initiative add <monster> [count]`.")
    row, state, opening = start_fight(ctx, mentioned)
    ctx.reply(f"⚔️ **Roll for initiative!**\n{opening}\n{turn_line(state)}\n"
              "The DM adds monsters with `!initiative add <monster> [count]`.")


def _add(ctx: CommandContext, what: str) -> None:
    if not ctx.is_owner:
        raise CommandError("Only the owner can add monsters to a fight.")
    count, name = counted_name(what)  # `goblin 3`, `3 goblins`, `goblin x3`: the same as an item's quantity
    if not name:
        raise CommandError("Which monster? `!initiative add <monster> [count]`.")
    if not 1 <= count <= MAX_MONSTERS_PER_ADD:
        raise CommandError(f"Add between 1 and {MAX_MONSTERS_PER_ADD} monsters at a time.")
    row, state = channel_fight(ctx)
    block, source = monster_block(ctx, name)
    state, result = engine.add_monsters(state, block, count, rng)
    state, monsters = play_monster_turns(ctx, row.campaign_id, state)  # the first turn may be theirs
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"👹 {result.text} *({block.name}: {source} stat block)*{monsters.text}{after_turns(state)}")
    if monsters.facts:
        ctx.narrate(" ".join(monsters.facts), facts=monsters.events)


@command("initiative", "!initiative [@player …] | !initiative add <monster> [count]",
         "Start a combat in this channel (mentioned players, or you and those who spoke recently); the owner "
         "adds monsters with `!initiative add goblin 3`.", category=CATEGORY)
def initiative_command(ctx: CommandContext) -> None:
    head, _, rest = ctx.args.partition(" ")
    if head.casefold() == "add":
        _add(ctx, rest)
    else:
        _start(ctx)


# --------------------------------------------------------------------------- turns


def attack_flags(args: str) -> tuple[str, set[str]]:
    """`goblin with rapier ally adv` → ("goblin with rapier", {"ally", "advantage"}): the trailing words `adv`/
    `dis` (advantage from the situation, e.g. the DM says so), `ally` (an ally of yours is within 5 feet of
    the target: Sneak Attack) and `insp` (spend the Bardic Inspiration die held)."""
    check_length(args)
    words = args.split()
    flags: set[str] = set()
    while words:
        word = words[-1].casefold()
        if word in ("ally", "insp"):
            flags.add(word)
        elif (mode := advantage_word(word)) is not None:
            flags.add(mode)
        else:
            break
        words.pop()
    if not words:
        raise CommandError("Attack whom? `!attack <target> [with <weapon>] [adv|dis] [ally]`.")
    return " ".join(words), flags


@command("attack", "!attack <target> [with <weapon>] [adv|dis] [ally] [insp]",
         "Attack on your turn (`ally`: an ally of yours is next to the target, for Sneak Attack; `insp`: add your "
         "Bardic Inspiration die; the owner attacks for monsters: their Multiattack, or `with <action>` for one "
         "attack).", category=CATEGORY)
def attack_command(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        raise CommandError("Attack whom? `!attack <target> [with <weapon>]`.")
    text, flags = attack_flags(ctx.args)
    target, weapon = target_and_weapon(text)
    if target is None:
        raise CommandError("Attack whom? `!attack <target> [with <weapon>]`.")
    row, before = channel_fight(ctx)
    actor = engine.current_actor(before)
    _may_act(ctx, actor)
    state = take_action(before, actor.id, "attack", weapon=weapon)  # one attack of the turn's Attack action
    multi = _MULTIATTACK.fullmatch(weapon) if weapon else None
    if actor.kind == "monster" and (weapon is None or multi):
        option = int(multi.group(1)) if multi and multi.group(1) else 1
        state, outcome = engine.multiattack(state, actor.id, target, rng, option=option)
    else:
        bonus = inspiration_spent(ctx, actor) if "insp" in flags else ""
        state, outcome = engine.attack(state, actor.id, target, weapon, rng, advantage="advantage" in flags,
                                       disadvantage="disadvantage" in flags, ally_adjacent="ally" in flags,
                                       roll_bonus=bonus)
    target_id = next((c.id for c in [*state.combatants, *state.defeated] if c.name == outcome.target), "")
    write_back(ctx, row.campaign_id, state, target_id)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"🗡️ {outcome.text}{ending_line(state)}")
    narrate_fight(ctx, outcome, state)
    end_stated_turn(ctx, row, before, state)


@command("end_turn", "!end_turn", "End your turn in the combat (the owner ends monsters' turns).",
         category=CATEGORY)
def end_turn_command(ctx: CommandContext) -> None:
    no_args(ctx, "end_turn")
    row, state = channel_fight(ctx)
    actor = engine.current_actor(state)
    _may_act(ctx, actor)
    pass_turn(ctx, row, state, actor)


@command("skip", "!skip @player | !skip <monster>", "Skip a combatant's turn (now if it's theirs, else their next).",
         owner_only=True, category=CATEGORY)
def skip_command(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        raise CommandError("Whose turn? `!skip @player` or `!skip <monster>`.")
    row, state = channel_fight(ctx)
    mentioned = MENTION.fullmatch(ctx.args.strip())
    if mentioned:
        player = mentioned_id(mentioned)
        target = next((c for c in state.combatants if c.player_id == str(player)), None)
        if target is None:
            raise CommandError(f"{mention(player)} isn't in this fight.")
    else:
        target = engine.find_combatant(state, ctx.args.strip())
    moves_on = engine.current_actor(state).id == target.id
    if moves_on:
        no_spell_waiting(state)
    state, result = engine.skip(state, target.id)
    state, death_save = begin_turn(ctx, row.campaign_id, state) if moves_on else (state, "")
    state, monsters = play_monster_turns(ctx, row.campaign_id, state) if moves_on else (state, MonsterTurns())
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.audit(f"combat:{row.id}", {}, {"skipped": target.name}, row.campaign_id)
    ctx.reply(f"⏭️ {result.text}{death_save}{monsters.text}{after_turns(state)}")
    if monsters.facts:
        ctx.narrate(" ".join(monsters.facts), facts=monsters.events)


@command("dm", "!dm control <creature> | !dm release <creature>",
         "Take a monster over (you then play it with `!attack` and `!end_turn`) or hand it back to the DM, who "
         "plays its turns.", owner_only=True, category=CATEGORY)
def dm_command(ctx: CommandContext) -> None:
    verb, _, name = ctx.args.strip().partition(" ")
    if verb.casefold() not in ("control", "release") or not name.strip():
        raise CommandError("Usage: `!dm control <creature>` or `!dm release <creature>`.")
    row, state = channel_fight(ctx)
    creature = engine.find_combatant(state, name.strip()[:80])
    if creature.kind != "monster":
        raise CommandError(f"{creature.name} is a player's character: its player plays it.")
    controller = "owner" if verb.casefold() == "control" else "dm"
    state = replace_combatant(state, creature.model_copy(update={"controller": controller}))
    monsters = MonsterTurns()
    if controller == "dm" and engine.current_actor(state).id == creature.id:
        state, monsters = play_monster_turns(ctx, row.campaign_id, state)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.audit(f"combat:{row.id}", {"controller": creature.controller}, {"controller": controller}, row.campaign_id)
    who = "You play" if controller == "owner" else "The DM plays"
    ctx.reply(f"🎭 {who} **{creature.name}** now.{monsters.text}{after_turns(state) if monsters.lines else ''}")
    if monsters.facts:
        ctx.narrate(" ".join(monsters.facts), facts=monsters.events)


@command("away", "!away", "Hand your character's turns in the fight to the DM (it attacks the foe that hurt it, "
         "else the most wounded) until you're `!back`.", category=CATEGORY)
def away_command(ctx: CommandContext) -> None:
    _set_away(ctx, away=True)


@command("back", "!back", "Take your character's turns back from the DM.", category=CATEGORY)
def back_command(ctx: CommandContext) -> None:
    _set_away(ctx, away=False)


def _set_away(ctx: CommandContext, *, away: bool) -> None:
    no_args(ctx, "away" if away else "back")
    fight = fight_of(ctx, ctx.author_id)
    if fight is None:
        raise CommandError("You're not in a fight: `!away` hands your turns in a fight to the DM.")
    me = fight.me
    if (me.controller == "dm") == away:
        raise CommandError("The DM already plays your turns; `!back` takes them back." if away else
                           "You play your own turns already.")
    state = replace_combatant(fight.state, me.model_copy(update={"controller": "dm" if away else None}))
    monsters = MonsterTurns()
    if away and engine.current_actor(state).id == me.id:
        state, monsters = play_monster_turns(ctx, fight.row.campaign_id, state)
    combats.store(ctx.session, fight.row, state)
    sync_gate(ctx, fight.row, state)
    said = (f"🌙 The DM plays **{me.name}**'s turns while you're away (`!back` to return)." if away else
            f"☀️ Welcome back: **{me.name}**'s turns are yours again.")
    ctx.reply(f"{said}{monsters.text}{after_turns(state) if monsters.lines else ''}")
    if monsters.facts:
        ctx.narrate(" ".join(monsters.facts), facts=monsters.events)


@command("end_combat", "!end_combat", "End the combat here: rounds, damage dealt and taken, who fell.",
         category=CATEGORY)
def end_combat_command(ctx: CommandContext) -> None:
    row, state = channel_fight(ctx)
    players = {player_of(c) for c in [*state.combatants, *state.defeated]}
    if not ctx.is_owner and ctx.author_id not in players:
        raise CommandError("Only the owner or someone in the fight can end it.")
    end_fight(ctx, row)
