"""What the combat commands and the character commands in a fight share: the channel's active combat, the
player's fight (:func:`fight_of`), writing blows back to the character rows, and the gateway's combat gate.

After every commit that changes whose turn it is, the Redis key `combat:<channel>` holds `{"actor_id": <player
id of the current actor, or null on a monster's turn>, "actor": <name>, "combat": <id>, "seq": <events so
far>}`, and it is deleted when the combat ends. While it is set, the gateway sends only the current actor's
messages as turns; everyone else's go to `tasks.turns.question`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import keys
from db import combat as combats
from db import compendium, history, model_turns
from db.campaigns import ensure_active_campaign
from db.characters import StoredCharacter, find_by_player, players_with_characters, save
from db.combat import CombatRow
from db.engine import Session
from dnd import combat as engine
from dnd import tactics
from dnd.character import Character
from dnd.class_features import spend_inspiration
from dnd.combat import CombatState, abilities, counterspell, reactions, turn_actions
from dnd.combat.economy import clear_offers, take_casting
from dnd.combat.lines import HitUndone
from dnd.combat.results import Told
from dnd.combat.state import ids_named, replace_combatant
from dnd.monsters import Combatant, MonsterBlock
from dnd.render.discord import combat_lines
from dnd.render.facts import combat_events, combat_text, fight_events, fight_facts
from dnd.spellcasting import CastResult, cast_spell
from tasks.handlers import combat_end
from tasks.handlers.character_support import MENTION, mention, mentioned_id, my_character, rng
from tasks.handlers.combat_end import write_back
from tasks.handlers.registry import CommandContext, CommandError
from tasks.redis_client import get_redis


def table_channel_id(ctx: CommandContext) -> int:
    channel_id = ctx.event.get("channel_id")
    if channel_id is None:
        raise CommandError("Combat runs in the table's channel, not in DMs.")
    return int(channel_id)


def channel_fight(ctx: CommandContext) -> tuple[CombatRow, CombatState]:
    row = combats.active_for_update(ctx.session, table_channel_id(ctx))
    if row is None:
        raise CommandError("There is no combat in this channel. Start one with `!initiative`.")
    return row, combats.from_row(row)


def player_of(combatant: Combatant) -> int | None:
    return int(combatant.player_id) if combatant.kind == "character" and combatant.player_id else None


# Hooks of two commands may run after their commits in either order: the gate keeps the newest (combat id,
# number of events) it was given, so a late hook never points it back at an earlier turn, nor re-opens a combat
# that has ended (`combat:<channel>:ended` remembers the last ended combat's id for a day).
_SET_GATE = """
local ended = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) <= ended then return 0 end
local current = redis.call('GET', KEYS[1])
if current then
  local ok, value = pcall(cjson.decode, current)
  if ok and type(value) == 'table' and value.combat then
    local combat, seq = tonumber(value.combat), tonumber(value.seq or 0)
    local new_combat, new_seq = tonumber(ARGV[2]), tonumber(ARGV[3])
    -- the same turn keeps its gate (and the time it began: see `idle_turns`)
    if combat > new_combat or (combat == new_combat and seq >= new_seq) then return 0 end
  end
end
if ARGV[1] == '' then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', 86400)
  return redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[1], ARGV[1])
if current == ARGV[1] then return 0 end
return 1
"""


# A gate whose combat is over (its end hook never ran): removed unless a newer combat has taken the channel
# since the sweeper looked.
_CLEAR_STALE_GATE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, value = pcall(cjson.decode, current)
if ok and type(value) == 'table' and value.combat and tonumber(value.combat) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', 86400)
end
return 1
"""


def set_gate(channel_id: int, combat_id: int, state: CombatState | None) -> int:
    """Point the gateway's combat gate at the current actor (or remove it when the combat is over, `state`
    None); 1 when the gate changed."""
    key = keys.combat(keys.channel_key(channel_id))
    seq = len(state.log) if state is not None else 1 << 30
    value = ""
    if state is not None:
        actor = engine.current_actor(state)
        # "reacting": the players with a reaction to take now: their messages are let through too
        reacting = [p for c in reactions.who_may_react(state) if (p := player_of(c)) is not None]
        # the fight waits on a reaction (a blow held, a spell that may be countered): the sweeper moves on in time
        held = bool(reactions.blow_held(state)) or counterspell.spell_waits(state)
        value = json.dumps({"actor_id": player_of(actor), "actor": actor.name, "combat": combat_id, "seq": seq,
                            "since": round(time.time(), 3), **({"reacting": reacting} if reacting else {}),
                            **({"held": True} if held else {})})
    return int(get_redis().eval(_SET_GATE, 2, key, f"{key}:ended", value, str(combat_id), str(seq)))


def sync_gate(ctx: CommandContext, row: CombatRow, state: CombatState | None) -> None:
    """After the commit: the gate follows the combat (see `_set_gate`). A fight left with one side standing
    ends by itself, after the command's own replies (`end_fight`)."""
    if state is not None and not state.combatants:
        return
    if state is not None and row.active and reactions.settled_outcome(state) != "ongoing":
        ctx.finishing.append(lambda: end_fight(ctx, row))
    channel_id, combat_id = row.channel_id, row.id
    ctx.after_commit.append(lambda: set_gate(channel_id, combat_id, state))


def _gate_keys(client: Any) -> Iterator[tuple[str, int]]:
    """The combat gates in Redis, as (key, channel id)."""
    for key in client.scan_iter(match=keys.combat("c:*"), count=500):
        if key.endswith(":ended"):
            continue
        channel_id = keys.parse_channel_key(key.removeprefix(keys.combat("")))[0]
        if channel_id is not None:
            yield key, channel_id


def restore_gates(session: Session) -> int:
    """The sweeper's repair, from the database (the source of truth): gates lost with Redis's data, or left
    behind by a crash between a combat's commit and its after-commit hook, point at the right actor again; a
    gate whose combat has ended is removed. Returns how many gates were set or removed."""
    fights = {row.channel_id: row for row in combats.all_active(session)}
    client = get_redis()
    changed = 0
    for channel_id, row in fights.items():
        state = combats.from_row(row)
        if state.combatants:
            changed += set_gate(channel_id, row.id, state)
    for key, channel_id in _gate_keys(client):
        if channel_id in fights:
            continue
        try:
            combat_id = int(json.loads(client.get(key) or "{}").get("combat") or 0)
        except (ValueError, AttributeError):
            combat_id = 0
        # Read after the gate: a combat that started since the snapshot above is active here, and kept.
        if combats.is_active(session, combat_id):
            continue
        changed += int(client.eval(_CLEAR_STALE_GATE, 2, key, f"{key}:ended", str(combat_id)))
    return changed


def end_fight(ctx: CommandContext, row: CombatRow) -> None:
    """The fight ends (once, however many commands asked): `combat_end.conclude` posts what it earned and cost,
    and the gate goes."""
    if not row.active:
        return
    text = combat_end.conclude(ctx, row, combats.from_row(row))
    sync_gate(ctx, row, None)
    ctx.reply(text)


def ending_line(state: CombatState) -> str:
    result = engine.outcome(state)
    held = reactions.blow_held(state)
    if held:
        names = " and ".join(f"**{c.name}**" for c in held)
        return (f"\n⏸️ Every hero is down — but {names} may still react to the blow that did it (`!react shield`, "
                "`!react uncanny dodge`), or `!react pass` to let it stand.")
    if result == "victory":
        return "\n🏁 No foe is left standing — the fight is won."
    if result == "defeat":
        return "\n🏁 Every hero is down — the fight is lost."
    return ""


# --------------------------------------------------------------------------- whose turn it is


def turn_line(state: CombatState) -> str:
    actor = engine.current_actor(state)
    waiting = counterspell.counterspellers(state)
    if waiting:  # its spell is cast and waits on a Counterspell
        names = " or ".join(f"**{c.name}**" for c in waiting)
        return f"⏳ **{actor.name}**'s spell waits on {names}'s Counterspell (round {state.round})."
    player = player_of(actor)
    who = f"{mention(player)} — " if player is not None else "(the DM acts for it) — "
    return f"➡️ {who}it's **{actor.name}**'s turn (round {state.round})."


def begin_turn(ctx: CommandContext, campaign_id: int, state: CombatState) -> tuple[CombatState, str]:
    """The turn starts (`dnd.combat.start_turn`: the turns of characters at 0 HP pass, the dying roll their
    death saves; zone spells act on a creature starting its turn in them, `dnd.combat.zone_ticks`); the death saves
    and the zones' damage go to the sheets. Returns the state and the lines to add to the reply."""
    lines: list[str] = []
    for _ in range(len(state.combatants) + 1):  # a zone can drop the creature whose turn starts: the next one starts
        if not state.combatants or engine.outcome(state) != "ongoing":
            break
        state, downed = engine.start_turn(state, rng)
        state, recharges = abilities.start_monster_turn(state, rng)
        lines += combat_lines(recharges)
        for turn in downed:
            if turn.death_save is not None:
                write_back(ctx, campaign_id, state, turn.combatant_id)
                lines.append(f"🎲 {turn.death_save.text}")
            if turn.passed:
                lines.append(f"{turn.name} can't act at 0 HP; the turn passes.")
        starting = engine.current_actor(state)
        state, zoned = engine.zone_ticks(state, rng)
        if not zoned:
            break
        lines += combat_lines(zoned)
        write_back(ctx, campaign_id, state, starting.id)
        if not state.combatants or engine.current_actor(state).id == starting.id:
            break
    return state, "".join(f"\n{line}" for line in lines)


def pass_turn(ctx: CommandContext, row: CombatRow, state: CombatState, actor: Combatant, *,
              dodging: bool = False) -> None:
    """`actor`'s turn ends (it must be theirs; `dodging`: it takes the Dodge action first) and the next one
    begins; the creatures the DM plays take theirs (legendary actions first, at the end of the turn that ends)."""
    no_spell_waiting(state)
    if dodging:
        state = replace_combatant(state, actor.model_copy(update={"dodging": True}))
    if actor.kind == "character":  # the reactions offered to the others lapse with the turn
        state = clear_offers(state)
    legendary = MonsterTurns()
    state = legendary_actions(ctx, row.campaign_id, state, legendary)
    if engine.outcome(state) != "ongoing":
        combats.store(ctx.session, row, state)
        sync_gate(ctx, row, state)
        ctx.reply(f"⏭️ {actor.name} ends their turn.{legendary.text}{after_turns(state)}")
        ctx.narrate(" ".join(legendary.facts), facts=legendary.events)
        return
    state, result = engine.finish_turn(state, actor.id, rng)
    held = "".join(f"\n{line}" for line in combat_lines(result.held))
    state, death_save = begin_turn(ctx, row.campaign_id, state)
    state, monsters = play_monster_turns(ctx, row.campaign_id, state)
    monsters = MonsterTurns([*legendary.lines, *monsters.lines], [*legendary.facts, *monsters.facts],
                            [*legendary.events, *monsters.events])
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    skipped = "".join(f"\n{name}'s turn is skipped." for name in result.skipped)
    its = "its" if actor.kind == "monster" else "their"
    ends = "takes the Dodge action, and the turn passes" if dodging else f"ends {its} turn"
    ctx.reply(f"⏭️ {actor.name} {ends}.{held}{skipped}{death_save}{monsters.text}{after_turns(state)}")
    told = [f"{actor.name} ends their turn. {combat_text(result)}"] if ctx.stated else []
    if told or monsters.facts:  # one narration: the stated action's turn passing, and what the monsters did
        events = combat_events(result.told) if ctx.stated else []
        ctx.narrate(" ".join([*told, *monsters.facts]), facts=[*events, *monsters.events])


def no_spell_waiting(state: CombatState) -> None:
    """A turn doesn't end (nor is skipped) while its creature's spell waits on a Counterspell."""
    waiting = counterspell.counterspellers(state)
    if waiting:
        names = " or ".join(f"**{c.name}**" for c in waiting)
        raise CommandError(f"{engine.current_actor(state).name}'s spell waits on a Counterspell from {names} "
                           "(`!react counterspell` or `!react pass`, or the wait runs out) before the turn ends.")


def after_turns(state: CombatState) -> str:
    """Whose turn it is now, or how the fight ended."""
    if engine.outcome(state) != "ongoing" or not state.combatants:
        return ending_line(state)
    return f"\n{turn_line(state)}"


# --------------------------------------------------------------------------- the monsters the DM plays

# A run of monster turns ends at a character's turn; this bounds it (a fight of monsters only).
MAX_MONSTER_TURNS = 40


@dataclass
class MonsterTurns:
    """What a run of the DM's monster turns did: the table's lines and the narrator's facts."""

    lines: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # the facts as data, for the narrator

    @property
    def text(self) -> str:
        return "".join(f"\n{line}" for line in self.lines)


def dm_plays(ctx: CommandContext, combatant: Combatant) -> bool:
    return tactics.played_by_dm(combatant, ctx.settings.monster_control)


def play_monster_turns(ctx: CommandContext, campaign_id: int, state: CombatState) -> tuple[CombatState, MonsterTurns]:
    """While it is the turn of a monster the DM plays: its turn as `dnd.tactics` decides, resolved by the engine,
    then the next turn begins; stops at a turn someone else plays, or when the fight is decided."""
    played = MonsterTurns()
    for _ in range(MAX_MONSTER_TURNS):
        if engine.outcome(state) != "ongoing" or not state.combatants or state.pending_spell is not None:
            break
        actor = engine.current_actor(state)
        if not dm_plays(ctx, actor):
            break
        if actor.kind == "monster":
            state, choice = tactics.plan_monster_turn(state, actor.id, rng)
            audit_choice(ctx, campaign_id, choice)
            plan = choice.plan
        else:
            plan = tactics.plan_character_turn(state, actor.id, rng)
        if plan.kind == "spell" and plan.action and counterspell.could_counter(state, actor):
            state = _hold_spell(state, plan, played)  # the run stops: the spell waits on a Counterspell
            break
        state = _play_one(ctx, campaign_id, state, plan, played)
    return state, played


def _hold_spell(state: CombatState, plan: tactics.MonsterPlan, played: MonsterTurns) -> CombatState:
    """A monster's spell that a character could counter waits for them (`dnd.combat.counterspell`)."""
    targets = list(plan.target_ids) or ([plan.target_id] if plan.target_id else [])
    state, begun = counterspell.hold_spell(state, plan.monster_id, plan.action or "", targets)
    played.lines.append(begun.text)
    played.facts.append(combat_text(begun))
    played.events.extend(combat_events(begun.told))
    return state


def resume_after_spell(ctx: CommandContext, row: CombatRow, state: CombatState) -> None:
    """No one holds up the monster's spell any longer (countered, let pass, or the wait ran out): it takes effect
    unless countered, and the monster's turn goes on to its end and the next turns (after the reaction's reply)."""
    state, result = counterspell.settle(state, rng)
    if result is not None:
        for target_id in ids_named(state, result.targets):
            write_back(ctx, row.campaign_id, state, target_id)
        ctx.reply(f"✨ {result.text}")
        narrate_fight(ctx, result, state)
    actor = engine.current_actor(state) if state.combatants else None
    if actor is None or engine.outcome(state) != "ongoing" or actor.kind != "monster" or not dm_plays(ctx, actor):
        combats.store(ctx.session, row, state)
        sync_gate(ctx, row, state)
        return
    pass_turn(ctx, row, state, actor)


def audit_choice(ctx: CommandContext, campaign_id: int, choice: tactics.TurnChoice) -> None:
    """A monster's turn the model chose ahead is on record: played, or set aside for the policy's."""
    if choice.intent is None:
        return
    proposed = {"type": "monster_action", "monster": choice.plan.monster_id, "choice": choice.intent}
    provider = choice.intent_by or "model"
    if choice.set_aside is None:
        model_turns.record_applied(ctx.session, provider, campaign_id, f"combat:{choice.plan.monster_id}", proposed,
                                   {}, {"played": choice.plan.id})
    else:
        model_turns.record_dropped(ctx.session, provider, campaign_id, f"combat:{choice.plan.monster_id}",
                                   [{"raw": proposed, "reason": choice.set_aside}])


def _touched(plan: tactics.MonsterPlan) -> list[str]:
    return list(dict.fromkeys([*([plan.target_id] if plan.target_id else []), *plan.target_ids]))


def _play_one(ctx: CommandContext, campaign_id: int, state: CombatState, plan: tactics.MonsterPlan,
              played: MonsterTurns) -> CombatState:
    monster = engine.current_actor(state)
    state, result = tactics.resolve(state, plan, rng)
    for target_id in _touched(plan):
        write_back(ctx, campaign_id, state, target_id)
    if plan.kind in ("flee", "dodge") and result is not None:  # the engine ended the turn
        played.lines.append(result.text)
        played.facts.append(combat_text(result))
        played.events.extend(combat_events(result.told))
        state, death_save = begin_turn(ctx, campaign_id, state) if state.combatants else (state, "")
        played.lines.extend(death_save.strip("\n").split("\n") if death_save else [])
        return state
    if result is None and plan.kind == "wait" and plan.reason:  # it can't act, or has no one to reach
        played.lines.append(f"💤 {monster.name}: {plan.reason}.")
        played.facts.append(f"{monster.name} does nothing: {plan.reason}.")
    if result is not None:
        played.lines.append(f"{ {'area': '🔥', 'spell': '✨'}.get(plan.kind, '🗡️')} {result.text}")
        played.facts.append(fight_facts(result, reactions.settled_outcome(state)))
        played.events.extend(fight_events(result, reactions.settled_outcome(state)))
    state = legendary_actions(ctx, campaign_id, state, played)
    if engine.outcome(state) != "ongoing":
        return state
    state, ended = engine.finish_turn(state, monster.id, rng)
    state, death_save = begin_turn(ctx, campaign_id, state)
    its = "its" if monster.kind == "monster" else "their"
    played.lines.append(f"⏭️ {monster.name} ends {its} turn."
                        + "".join(f" {line}" for line in combat_lines(ended.held))
                        + "".join(f" {name}'s turn is skipped." for name in ended.skipped) + death_save)
    return state


def legendary_actions(ctx: CommandContext, campaign_id: int, state: CombatState, played: MonsterTurns) -> CombatState:
    """At the end of a creature's turn (it is still theirs), each other legendary monster the DM plays may take
    one legendary action (`dnd.tactics.legendary_step`)."""
    state, done = tactics.legendary_step(state, rng, lambda monster: dm_plays(ctx, monster))
    for plan, result in done:
        for target_id in _touched(plan):
            write_back(ctx, campaign_id, state, target_id)
        played.lines.append(f"🐉 {result.text}")
        played.facts.append(fight_facts(result, engine.outcome(state)))
        played.events.extend(fight_events(result, engine.outcome(state)))
    return state


def end_stated_turn(ctx: CommandContext, row: CombatRow, before: CombatState, after: CombatState) -> None:
    """An attack, a spell or a potion stated in plain words (`ctx.stated`) on the speaker's own turn is the
    turn: once it resolved (the fight moved on) and it is still the speaker's turn, the turn passes as with
    `!end_turn`, in the same transaction. A typed command leaves the turn to `!end_turn`."""
    if not ctx.stated:
        return
    actor = engine.current_actor(before)
    if actor.player_id != str(ctx.author_id) or len(after.log) <= len(before.log):
        return
    if engine.current_actor(after).player_id != actor.player_id:
        return
    pass_turn(ctx, row, after, engine.current_actor(after))


# --------------------------------------------------------------------------- the character commands in a fight


@dataclass
class Fight:
    """An active combat (its row locked unless read only) and the player's character in it."""

    row: CombatRow
    state: CombatState
    me: Combatant


def fight_of(ctx: CommandContext, player_id: int, *, lock: bool = True) -> Fight | None:
    """The active combat the player's character is in (any channel of the active campaign), or None. Called
    before the character row is loaded, so rows are locked in the order every combat command takes."""
    campaign_id = ensure_active_campaign(ctx.session)
    for row in combats.active_in_campaign(ctx.session, campaign_id, lock=lock):
        state = combats.from_row(row)
        me = next((c for c in [*state.combatants, *state.defeated]
                   if c.kind == "character" and c.player_id == str(player_id)), None)
        if me is not None:
            return Fight(row, state, me)
    return None


def require_turn(ctx: CommandContext, fight: Fight, what: str) -> None:
    """`what` ("Casting a spell") is the character's action: on its own turn, in the fight's channel."""
    if ctx.event.get("channel_id") is None or int(ctx.event["channel_id"]) != fight.row.channel_id:
        raise CommandError(f"{fight.me.name} is in a fight: {what.lower()} happens at the table, in its channel.")
    actor = engine.current_actor(fight.state)
    if actor.id != fight.me.id:
        raise CommandError(f"It's {actor.name}'s turn, not yours — {what.lower()} is your action; wait for your "
                           "turn.")


def target_name(text: str) -> str:
    """A target as typed: a mention (`<@123>`) names that player's character in the fight."""
    found = MENTION.fullmatch(text.strip())
    return f"pc{mentioned_id(found)}" if found else text.strip()


# --------------------------------------------------------------------------- what a fight command reads

CATEGORY = "Combat"  # the help's heading of the fight commands (`combat`, `fight_actions`)
MAX_ARGS = 200  # a target, a weapon and a few words: anything longer is not a fight command
_WITH = re.compile(r"\s+with\s+", re.IGNORECASE)


def no_args(ctx: CommandContext, name: str) -> None:
    """`!dodge`, `!end_turn` and their like take nothing after them."""
    if ctx.args.strip():
        raise CommandError(f"`!{name}` takes nothing after it.")


def check_length(args: str) -> None:
    if len(args) > MAX_ARGS:
        raise CommandError(f"That's too long ({len(args)} characters; at most {MAX_ARGS}).")


def target_and_weapon(text: str) -> tuple[str | None, str | None]:
    """`goblin 1 with rapier` → (the target as the fight names it, "rapier"); either may be left out."""
    parts = _WITH.split(text, maxsplit=1)
    target = target_name(parts[0]) if parts[0].strip() else None
    weapon = parts[1].strip() if len(parts) > 1 and parts[1].strip() else None
    return target, weapon


def narrate_fight(ctx: CommandContext, result: Told, state: CombatState) -> None:
    """A combat result is a moment of the story: the narrator follows the numbers (GPU path), told the result as
    text and as data, with the fight's end when it is decided."""
    ending = engine.outcome(state)
    ctx.narrate(fight_facts(result, ending), facts=fight_events(result, ending))


def narrate_reaction(ctx: CommandContext, result: Told, state: CombatState) -> None:
    """A reaction that changed a hit already told (Shield's miss after all, Uncanny Dodge's half) is narrated:
    the story doesn't leave the character fallen or hurt by a blow that no longer lands."""
    if any(isinstance(line, HitUndone) for line in result.told):
        narrate_fight(ctx, result, state)


def finish_action(ctx: CommandContext, fight: Fight, state: CombatState, touched: list[str]) -> str:
    """Write the characters the action touched back to their rows, store the fight and move the gate; returns
    the line that says the fight is won or lost, if it is."""
    for combatant_id in dict.fromkeys(touched):
        write_back(ctx, fight.row.campaign_id, state, combatant_id)
    combats.store(ctx.session, fight.row, state)
    sync_gate(ctx, fight.row, state)
    if reactions.blow_held(fight.state) and not reactions.blow_held(state):
        ctx.finishing.append(lambda: resume_after_held_blow(ctx, fight.row, state))
    if fight.state.pending_spell is not None and not counterspell.spell_waits(state):
        ctx.finishing.append(lambda: resume_after_spell(ctx, fight.row, state))
    return ending_line(state)


def resume_after_held_blow(ctx: CommandContext, row: CombatRow, state: CombatState) -> None:
    """A reaction turned the blow that had every hero down (or no one took one): a fight still on goes on from
    the turn the blow came in — a monster the DM plays ends it, and the next turns begin (after the reaction's
    own reply). A fight lost ends by itself (`sync_gate`)."""
    actor = engine.current_actor(state) if state.combatants else None
    if actor is None or engine.outcome(state) != "ongoing" or actor.kind != "monster" or not dm_plays(ctx, actor):
        return
    pass_turn(ctx, row, state, actor)


def sheet_changed(ctx: CommandContext, fight: Fight, character: Character) -> str:
    """The owner changed a fighting character's sheet (`!hp`, `!set_condition`): the combatant follows."""
    state = engine.update_from_sheet(fight.state, fight.me.id, character)
    combats.store(ctx.session, fight.row, state)
    sync_gate(ctx, fight.row, state)
    return " (in the fight too)"


def monster_condition(ctx: CommandContext, text: str) -> str:
    """The owner's `!set_condition <creature> <condition>` on a creature of this channel's fight (`-<condition>`
    ends it); returns the line to post. Characters are changed through their player (`@player`)."""
    target, _, condition = text.strip().rpartition(" ")
    if not target or not condition.strip("-"):
        raise CommandError("Whose condition, and which? `!set_condition @player <condition>` or, in a fight, "
                           "`!set_condition <creature> <condition>` (`-<condition>` ends it).")
    row, state = channel_fight(ctx)
    if engine.find_combatant(state, target).kind != "monster":
        raise CommandError("That's a character: mention the player, `!set_condition @player <condition>`.")
    if condition.startswith("-"):
        state, result = engine.remove_condition(state, target, condition[1:])
    else:
        state, result = engine.add_condition(state, target, condition)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.audit(f"combat:{row.id}", {}, {"condition": result.text}, row.campaign_id)
    return result.text


def death_save_status(fight: Fight | None, character: Character) -> str:
    """`!save death`: death saves are rolled for a dying character at the start of each of its turns."""
    rule = "(10+ succeeds, a 1 counts as two failures, a 20 brings you back with 1 HP)"
    if fight is None:
        if character.hp > 0:
            return f"{character.name} isn't dying ({character.hp} HP); death saving throws are for 0 HP."
        return (f"{character.name} is at 0 HP but not in a fight: death saving throws are rolled in combat, at "
                f"the start of each of your turns {rule}.")
    me = fight.me
    saves = f"{me.death_saves.successes} ✓ / {me.death_saves.failures} ✗"
    if me.dead:
        return f"💀 {me.name} is dead ({saves})."
    if me.hp > 0:
        return f"{me.name} isn't dying ({me.hp}/{me.max_hp} HP); death saving throws are for 0 HP."
    if me.stable:
        return f"{me.name} is stable at 0 HP and makes no more death saving throws."
    return (f"🎲 {me.name}'s death saves so far: {saves}. They are rolled for you at the start of each of your "
            f"turns {rule}; three successes make you stable, three failures are death.")


# --------------------------------------------------------------------------- starting a fight

# Without mentions, a fight is for the players who spoke in the channel this recently (and the author).
RECENT_MINUTES = 30


def fighters(ctx: CommandContext, campaign_id: int, channel_id: int, mentioned: list[int]) -> list[StoredCharacter]:
    """The characters of the mentioned players; without mentions, the author's and those of the players who spoke
    in the channel in the last :data:`RECENT_MINUTES` minutes (who have a character in the campaign)."""
    if mentioned:
        found: list[StoredCharacter] = []
        for player in dict.fromkeys(mentioned):
            stored = find_by_player(ctx.session, player, campaign_id)
            if stored is None:
                raise CommandError(f"{mention(player)} has no character in this campaign.")
            found.append(stored)
        return found
    players = {ctx.author_id} | history.recent_players(ctx.session, channel_id, RECENT_MINUTES)
    found = [s for player in players_with_characters(ctx.session, campaign_id, players)
             if (s := find_by_player(ctx.session, player, campaign_id)) is not None]
    if not found:
        raise CommandError("No one here has a character to fight with. Mention the players: "
                           "`!initiative @player …`.")
    return found


def start_fight(ctx: CommandContext, mentioned: list[int]) -> tuple[CombatRow, CombatState, str]:
    """A new fight in the channel: its characters roll initiative. Returns the row, the state and the lines of
    the opening (the order, death saves)."""
    channel_id = table_channel_id(ctx)
    if combats.active_for_update(ctx.session, channel_id) is not None:
        raise CommandError("A combat is already running in this channel. Add monsters with "
                           "`!initiative add <monster> [count]`, or finish it with `!end_combat`.")
    campaign_id = ensure_active_campaign(ctx.session)
    heroes = [Combatant.from_character(s.character, player_id=str(s.player_id), id=f"pc{s.player_id}")
              for s in fighters(ctx, campaign_id, channel_id, mentioned)]
    state, result = engine.roll_initiative(heroes, rng)
    state, death_save = begin_turn(ctx, campaign_id, state)
    row = combats.start(ctx.session, campaign_id, channel_id, state)
    sync_gate(ctx, row, state)
    return row, state, f"{result.text}{death_save}"


def monster_block(ctx: CommandContext, name: str) -> tuple[MonsterBlock, str]:
    """A monster's stat block and its source ("SRD import" or "built-in"): the imported compendium's entry, else
    the built-in bestiary's; an unknown name is refused with suggestions."""
    found = compendium.monster(ctx.session, name)
    if found is None:
        close = compendium.monster_suggestions(ctx.session, name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise CommandError(f"I don't know a monster called '{name[:60]}'.{hint}")
    return MonsterBlock.from_srd(found.details), found.source


# --------------------------------------------------------------------------- a player who doesn't act


@dataclass(frozen=True)
class IdleTurn:
    channel_id: int
    combat_id: int
    seq: int


def idle_turns(timeout_s: float, now: float | None = None) -> list[IdleTurn]:
    """The fights whose current character's turn began (the gate's `since`) more than `timeout_s` ago."""
    client = get_redis()
    now = time.time() if now is None else now
    found = []
    for key, channel_id in _gate_keys(client):
        try:
            gate = json.loads(client.get(key) or "{}")
        except ValueError:
            continue
        if (gate.get("actor_id") is None and not gate.get("held")) or not gate.get("since"):
            continue
        if now - float(gate["since"]) > timeout_s:
            found.append(IdleTurn(channel_id, int(gate["combat"]), int(gate["seq"])))
    return found


def pass_idle_turn(ctx: CommandContext, idle: IdleTurn) -> None:
    """The waiting character's turn passes (and the monsters the DM plays take theirs) — unless the fight moved
    on since the gate was read."""
    row = combats.active_for_update(ctx.session, idle.channel_id)
    if row is None or row.id != idle.combat_id:
        return
    state = combats.from_row(row)
    actor = engine.current_actor(state)
    waited = f"{ctx.settings.combat_turn_timeout_s:g}"
    if len(state.log) == idle.seq and reactions.blow_held(state):
        let_the_blow_stand(ctx, row, state, waited)
        return
    if len(state.log) == idle.seq and counterspell.spell_waits(state):
        let_the_spell_go_on(ctx, row, state, waited)
        return
    if len(state.log) != idle.seq or actor.kind != "character":
        return
    ctx.reply(f"⌛ {mention(player_of(actor) or 0)} — **{actor.name}** hasn't acted for {waited} s: they take the "
              "Dodge action, and the turn passes. (`!away` hands your turns to the DM while you're gone.)")
    pass_turn(ctx, row, state, actor, dodging=True)


def let_the_blow_stand(ctx: CommandContext, row: CombatRow, state: CombatState, waited: str) -> None:
    """No reaction came to the blow that had every hero down: it stands, and the fight is lost."""
    held = reactions.blow_held(state)
    for character in held:
        state, _ = reactions.let_pass(state, character.id)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    names = " and ".join(f"**{c.name}**" for c in held)
    ctx.reply(f"⌛ No reaction from {names} in {waited} s: the blow stands.{ending_line(state)}")


def let_the_spell_go_on(ctx: CommandContext, row: CombatRow, state: CombatState, waited: str) -> None:
    """No one countered the monster's spell in time: it takes effect, and the monster's turn goes on."""
    waiting = counterspell.counterspellers(state)
    for character in waiting:
        state, _ = reactions.let_pass(state, character.id)
    names = " and ".join(f"**{c.name}**" for c in waiting)
    ctx.reply(f"⌛ No Counterspell from {names} in {waited} s: the spell goes on.")
    resume_after_spell(ctx, row, state)


# --------------------------------------------------------------------------- reactions out of turn


def shield_reaction(ctx: CommandContext, fight: Fight | None, spell: str = "Shield") -> bool:
    """The Shield spell as a reaction to the hits just offered (`!react shield`, or `!cast Shield` out of turn):
    the slot is spent with the spell's own checks (known or prepared, a slot left), in one transaction with the
    hits it turns into misses. False (nothing done) for another spell, or on the caster's own turn when no
    hit is offered (Shield is then cast as any spell)."""
    if fight is None or spell.strip().casefold() != "shield":
        return False
    if not fight.me.offers and engine.current_actor(fight.state).id == fight.me.id:
        return False
    state, result = reactions.shield(fight.state, fight.me.id)
    cast = pay_for_spell(ctx, "Shield")
    ctx.reply(f"🛡️ {cast.message}\n{result.text}{finish_action(ctx, fight, state, [fight.me.id])}")
    narrate_reaction(ctx, result, state)
    return True


def pay_for_spell(ctx: CommandContext, spell: str, slot_level: int | None = None) -> CastResult:
    """The author's character pays for a spell (known or prepared, a slot left: `cast_spell`'s checks), on the
    sheet in the command's transaction; what the spell does."""
    stored = my_character(ctx, for_update=True)
    updated, cast = cast_spell(stored.character, spell, slot_level=slot_level)
    if updated is not stored.character:
        save(ctx.session, stored, updated)
    return cast


def rebuke_reaction(ctx: CommandContext, fight: Fight | None, spell: str, slot_level: int | None = None) -> bool:
    """Hellish Rebuke as a reaction to the damage just taken (`!react hellish rebuke`, or `!cast Hellish Rebuke`
    out of turn): the slot spent with the spell's own checks, in one transaction with the save it calls for. False
    (nothing done) for another spell, or on the caster's own turn."""
    if fight is None or " ".join(spell.split()).casefold() != reactions.HELLISH_REBUKE.casefold():
        return False
    if engine.current_actor(fight.state).id == fight.me.id:
        raise CommandError("Hellish Rebuke is a reaction to being damaged, cast out of your turn.")
    cast = pay_for_spell(ctx, reactions.HELLISH_REBUKE, slot_level)
    state, result = reactions.hellish_rebuke(fight.state, fight.me.id, cast, rng)
    ctx.reply(f"🔥 {cast.message}\n{result.text}{finish_action(ctx, fight, state, [fight.me.id])}")
    narrate_fight(ctx, result, state)
    return True


def counter_reaction(ctx: CommandContext, fight: Fight | None, spell: str, slot_level: int | None = None) -> bool:
    """Counterspell as a reaction to a monster's spell being cast (`!react counterspell [at N]`, or `!cast
    Counterspell` out of turn): the slot spent with the spell's own checks, in one transaction with its outcome.
    False (nothing done) for another spell."""
    if fight is None or " ".join(spell.split()).casefold() != counterspell.COUNTERSPELL.casefold():
        return False
    if fight.state.pending_spell is None or not any(o.kind == "spell" for o in fight.me.offers):
        raise CommandError(f"Counterspell answers a creature casting a spell, and {fight.me.name} has none to "
                           "counter now: no reaction is offered.")
    cast = pay_for_spell(ctx, counterspell.COUNTERSPELL, slot_level)
    state, result = counterspell.counter(fight.state, fight.me.id, cast, rng)
    ctx.reply(f"✨ {cast.message}\n{result.text}{finish_action(ctx, fight, state, [fight.me.id])}")
    narrate_fight(ctx, result, state)
    return True


def spell_as_reaction(ctx: CommandContext, fight: Fight | None, spell: str, *, bonus_action: bool = False,
                      spell_level: int | None = None) -> bool:
    """`!cast` in a fight: Shield answering a hit is the reaction (True: done); any other cast is the turn's
    action (its bonus action for a spell cast with one: Healing Word, a smite), on the caster's turn (spent in
    `fight.state`), with the bonus-action spell rule when the spell's level is known."""
    if shield_reaction(ctx, fight, spell) or rebuke_reaction(ctx, fight, spell) \
            or counter_reaction(ctx, fight, spell):
        return True
    if fight is not None:
        require_turn(ctx, fight, "Casting a spell")
        fight.state = take_casting(fight.state, fight.me.id, spell, bonus_action=bonus_action, spell_level=spell_level)
    return False


def help_action(ctx: CommandContext, ally: str) -> bool:
    """`!help <ally>` (a mention or a name in the fight) on the author's turn: the Help action, the ally's next
    attack roll with advantage. False when the author is in no fight (the words are then a help topic)."""
    fight = fight_of(ctx, ctx.author_id)
    if fight is None or len(ally) > 200:
        return False
    require_turn(ctx, fight, "The Help action")
    state, result = turn_actions.help_action(fight.state, fight.me.id, target_name(ally))
    ctx.reply(f"🤝 {result.text}{finish_action(ctx, fight, state, [fight.me.id])}")
    end_stated_turn(ctx, fight.row, fight.state, state)
    return True


def inspiration_spent(ctx: CommandContext, actor: Combatant) -> str:
    """The acting character's Bardic Inspiration die, taken off its sheet ("+1d8" to add to the roll)."""
    player = player_of(actor)
    if player is None or player != ctx.author_id:
        raise CommandError("Only the character's player spends its Bardic Inspiration.")
    stored = my_character(ctx, for_update=True)
    updated, dice = spend_inspiration(stored.character)
    save(ctx.session, stored, updated)
    return dice
