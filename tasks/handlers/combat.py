"""Combat commands: `!initiative`, `!initiative add`, `!attack`, `!end_turn`, `!skip`, `!end_combat`.

One active combat per channel (a row of `combat_state`, locked FOR UPDATE by every command that changes it).
The rules are the engine's (`dnd.combat`); this module loads, calls, stores and keeps the gateway's combat
gate in step: after every commit that changes whose turn it is, the Redis key `combat:<channel>` holds
`{"actor_id": <player id of the current actor, or null on a monster's turn>, "actor": <name>, "combat": <id>,
"seq": <events so far>}`, and it is deleted when the combat ends. While it is set, the gateway sends only the
current actor's messages as turns; everyone else's go to `tasks.turns.question`.

Choices:
* `!initiative` with mentions (`!initiative @a @b`) starts a fight for those players' characters; without
  mentions, for the author's character and those of the players who spoke in this channel in the last
  :data:`RECENT_MINUTES` minutes (and have a character in the active campaign).
* Monsters join with `!initiative add <monster> [count]` (owner only, from the imported SRD).
* On a monster's turn the owner drives it: `!attack <target>` makes the attacks of its Multiattack (or its
  first attack when it has none; `with multiattack 2` picks another option), `!attack <target> with <action>`
  one attack with that action, and `!end_turn` passes the turn. Nothing acts on its own.
* A character at 0 HP can't act: a dying one's turn starts with its death saving throw, rolled for it, and
  then passes (unless a natural 20 brings it back); a stable one's turn passes. Every blow, spell, potion and
  save is written back to the character row at once, so `!end_combat` only closes the fight and sums it up.
* The character commands take part (see `tasks.handlers.characters`): `!cast` and `!use_item` act on the
  caster's turn only, `!save` uses the combatant's conditions, `!rest` waits for the fight to end, and the
  owner's `!hp` and `!set_condition` change the combatant as well as the sheet (:func:`fight_of`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import keys
from db import combat as combats
from db import compendium
from db.characters import StoredCharacter, ensure_active_campaign, find_by_player, load_for_update, save
from db.models import Character as CharacterRow
from db.models import CombatState as CombatRow
from db.models import MessageHistory
from dnd import combat as engine
from dnd.character import Character
from dnd.combat import CombatState
from dnd.errors import RulesError
from dnd.monsters import Combatant, MonsterBlock, apply_to_character
from tasks.handlers.character_support import mention, rng
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.redis_client import get_redis

CATEGORY = "Combat"
RECENT_MINUTES = 30
MAX_MONSTERS_PER_ADD = 20
_MENTIONS = re.compile(r"<@!?(\d{1,20})>|@(\d{1,20})")
_WITH = re.compile(r"\s+with\s+", re.IGNORECASE)
_MULTIATTACK = re.compile(r"multi-?attack(?:\s+(?:option\s+)?(\d{1,2}))?", re.IGNORECASE)


# --------------------------------------------------------------------------- shared


def _channel_id(ctx: CommandContext) -> int:
    channel_id = ctx.event.get("channel_id")
    if channel_id is None:
        raise CommandError("Combat runs in the table's channel, not in DMs.")
    return int(channel_id)


def _fight(ctx: CommandContext) -> tuple[CombatRow, CombatState]:
    row = combats.active_for_update(ctx.session, _channel_id(ctx))
    if row is None:
        raise CommandError("There is no combat in this channel. Start one with `!initiative`.")
    return row, combats.from_row(row)


def _player_of(combatant: Combatant) -> int | None:
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
    if combat > new_combat or (combat == new_combat and seq > new_seq) then return 0 end
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


def _set_gate(channel_id: int, combat_id: int, state: CombatState | None) -> int:
    """Point the gateway's combat gate at the current actor (or remove it when the combat is over, `state`
    None); 1 when the gate changed."""
    key = keys.combat(keys.channel_key(channel_id))
    seq = len(state.log) if state is not None else 1 << 30
    value = ""
    if state is not None:
        actor = engine.current_actor(state)
        value = json.dumps({"actor_id": _player_of(actor), "actor": actor.name, "combat": combat_id, "seq": seq})
    return int(get_redis().eval(_SET_GATE, 2, key, f"{key}:ended", value, str(combat_id), str(seq)))


def sync_gate(ctx: CommandContext, row: CombatRow, state: CombatState | None) -> None:
    """After the commit: the gate follows the combat (see `_set_gate`)."""
    if state is not None and not state.combatants:
        return
    channel_id, combat_id = row.channel_id, row.id
    ctx.after_commit.append(lambda: _set_gate(channel_id, combat_id, state))


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
            changed += _set_gate(channel_id, row.id, state)
    for key in client.scan_iter(match=keys.combat("c:*"), count=500):
        if key.endswith(":ended"):
            continue
        channel_id = keys.parse_channel_key(key.removeprefix(keys.combat("")))[0]
        if channel_id is None or channel_id in fights:
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


def _turn_line(state: CombatState) -> str:
    actor = engine.current_actor(state)
    player = _player_of(actor)
    who = f"{mention(player)} — " if player is not None else "(the DM acts for it) — "
    return f"➡️ {who}it's **{actor.name}**'s turn (round {state.round})."


def _begin_turn(ctx: CommandContext, campaign_id: int, state: CombatState) -> tuple[CombatState, str]:
    """A character at 0 HP can't act: a dying one rolls its death saving throw (the result goes to the sheet)
    and its turn passes, unless a natural 20 brings it back; a stable one's turn passes. Each character rolls
    at most once per call, so a party all down doesn't go round for ever."""
    lines: list[str] = []
    seen: set[str] = set()
    while True:
        actor = engine.current_actor(state)
        if actor.kind != "character" or actor.hp > 0 or actor.dead or actor.id in seen:
            break
        seen.add(actor.id)
        if actor.dying:
            state, result = engine.death_save(state, actor.id, rng)
            write_back(ctx, campaign_id, state, actor.id)
            lines.append(f"🎲 {result.text}")
            if result.result == "revived":
                break
        state, _ = engine.end_turn(state, actor.id)
        lines.append(f"{actor.name} can't act at 0 HP; the turn passes.")
    return state, "".join(f"\n{line}" for line in lines)


def _ending_line(state: CombatState) -> str:
    result = engine.outcome(state)
    if result == "victory":
        return "\n🏁 No foe is left standing — type `!end_combat` to wrap up."
    if result == "defeat":
        return "\n🏁 Every hero is down — type `!end_combat` to wrap up."
    return ""


def _may_act(ctx: CommandContext, actor: Combatant) -> None:
    """The current actor's player acts for a character; the owner acts for monsters (and may act for anyone)."""
    if ctx.is_owner:
        return
    if _player_of(actor) != ctx.author_id:
        raise CommandError(f"It's {actor.name}'s turn, not yours — wait for your turn.")


def write_back(ctx: CommandContext, campaign_id: int, state: CombatState, combatant_id: str) -> None:
    """A character's hit points, conditions and death saves after a blow go back to the character row, in
    the same transaction (combat row locked first, then the character's)."""
    combatant = next((c for c in [*state.combatants, *state.defeated] if c.id == combatant_id), None)
    if combatant is None or combatant.kind != "character" or combatant.player_id is None:
        return
    stored = load_for_update(ctx.session, int(combatant.player_id), campaign_id)
    if stored is not None:
        save(ctx.session, stored, apply_to_character(combatant, stored.character))


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
    found = _MENTIONS.fullmatch(text.strip())
    return f"pc{found.group(1) or found.group(2)}" if found else text.strip()


def finish_action(ctx: CommandContext, fight: Fight, state: CombatState, touched: list[str]) -> str:
    """Write the characters the action touched back to their rows, store the fight and move the gate; returns
    the line that says the fight is won or lost, if it is."""
    for combatant_id in dict.fromkeys(touched):
        write_back(ctx, fight.row.campaign_id, state, combatant_id)
    combats.store(ctx.session, fight.row, state)
    sync_gate(ctx, fight.row, state)
    return _ending_line(state)


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
    row, state = _fight(ctx)
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


def _recent_players(ctx: CommandContext, channel_id: int) -> set[int]:
    since = datetime.now(UTC) - timedelta(minutes=RECENT_MINUTES)
    rows = ctx.session.execute(select(MessageHistory.player_id).where(
        MessageHistory.channel_id == channel_id, MessageHistory.player_id.is_not(None),
        MessageHistory.timestamp >= since).distinct()).scalars()
    return {int(player) for player in rows}


def _participants(ctx: CommandContext, campaign_id: int, channel_id: int) -> list[StoredCharacter]:
    mentioned = [int(a or b) for a, b in _MENTIONS.findall(ctx.args)]
    leftover = _MENTIONS.sub("", ctx.args).strip()
    if leftover:
        raise CommandError("Usage: `!initiative [@player …]` or `!initiative add <monster> [count]`.")
    if mentioned:
        found: list[StoredCharacter] = []
        for player in dict.fromkeys(mentioned):
            stored = find_by_player(ctx.session, player, campaign_id)
            if stored is None:
                raise CommandError(f"{mention(player)} has no character in this campaign.")
            found.append(stored)
        return found
    players = {ctx.author_id} | _recent_players(ctx, channel_id)
    rows = ctx.session.execute(select(CharacterRow.player_id).where(
        CharacterRow.campaign_id == campaign_id, CharacterRow.player_id.in_(players))
        .order_by(CharacterRow.id)).scalars()
    found = [s for player in rows if (s := find_by_player(ctx.session, int(player), campaign_id)) is not None]
    if not found:
        raise CommandError("No one here has a character to fight with. Mention the players: "
                           "`!initiative @player …`.")
    return found


def _start(ctx: CommandContext) -> None:
    channel_id = _channel_id(ctx)
    if combats.active_for_update(ctx.session, channel_id) is not None:
        raise CommandError("A combat is already running in this channel. Add monsters with "
                           "`!initiative add <monster> [count]`, or finish it with `!end_combat`.")
    campaign_id = ensure_active_campaign(ctx.session)
    fighters = [Combatant.from_character(s.character, player_id=str(s.player_id), id=f"pc{s.player_id}")
                for s in _participants(ctx, campaign_id, channel_id)]
    state, result = engine.roll_initiative(fighters, rng)
    state, death_save = _begin_turn(ctx, campaign_id, state)
    combat_row = combats.start(ctx.session, campaign_id, channel_id, state)
    sync_gate(ctx, combat_row, state)
    ctx.reply(f"⚔️ **Roll for initiative!**\n{result.text}{death_save}\n{_turn_line(state)}\n"
              "The DM adds monsters with `!initiative add <monster> [count]`.")


def _add(ctx: CommandContext, what: str) -> None:
    if not ctx.is_owner:
        raise CommandError("Only the owner can add monsters to a fight.")
    name, count = what.strip(), 1
    match = re.fullmatch(r"(.+?)\s+(-?\d+)", name)
    if match:
        name, count = match.group(1).strip(), int(match.group(2))
    if not name:
        raise CommandError("Which monster? `!initiative add <monster> [count]`.")
    if not 1 <= count <= MAX_MONSTERS_PER_ADD:
        raise CommandError(f"Add between 1 and {MAX_MONSTERS_PER_ADD} monsters at a time.")
    row, state = _fight(ctx)
    entry = compendium.find(ctx.session, "monster", name)
    if entry is None:
        close = compendium.suggestions(ctx.session, "monster", name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        if compendium.count(ctx.session, "monster") == 0:
            hint = " The SRD compendium isn't imported yet."
        raise CommandError(f"I don't know a monster called '{name[:60]}'.{hint}")
    block = MonsterBlock.from_srd(entry.details)
    state, result = engine.add_monsters(state, block, count, rng)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"👹 {result.text}\n{_turn_line(state)}")


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


@command("attack", "!attack <target> [with <weapon>]", "Attack on your turn (the owner attacks for monsters: "
         "their Multiattack, or `with <action>` for one attack).", category=CATEGORY)
def attack_command(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        raise CommandError("Attack whom? `!attack <target> [with <weapon>]`.")
    parts = _WITH.split(ctx.args.strip(), maxsplit=1)
    target = target_name(parts[0])
    weapon = parts[1].strip() if len(parts) > 1 and parts[1].strip() else None
    row, state = _fight(ctx)
    actor = engine.current_actor(state)
    _may_act(ctx, actor)
    multi = _MULTIATTACK.fullmatch(weapon) if weapon else None
    if actor.kind == "monster" and (weapon is None or multi):
        option = int(multi.group(1)) if multi and multi.group(1) else 1
        state, outcome = engine.multiattack(state, actor.id, target, rng, option=option)
    else:
        state, outcome = engine.attack(state, actor.id, target, weapon, rng)
    target_id = next((c.id for c in [*state.combatants, *state.defeated] if c.name == outcome.target), "")
    write_back(ctx, row.campaign_id, state, target_id)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.reply(f"🗡️ {outcome.text}{_ending_line(state)}")
    # Combat actions are moments of the story: the narrator follows the number (GPU path).
    ctx.narrate(f"In the fight, {outcome.text}{_ending_line(state)}")


@command("end_turn", "!end_turn", "End your turn in the combat (the owner ends monsters' turns).",
         category=CATEGORY)
def end_turn_command(ctx: CommandContext) -> None:
    if ctx.args.strip():
        raise CommandError("`!end_turn` takes nothing after it.")
    row, state = _fight(ctx)
    actor = engine.current_actor(state)
    _may_act(ctx, actor)
    state, result = engine.end_turn(state, actor.id)
    state, death_save = _begin_turn(ctx, row.campaign_id, state)
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    skipped = "".join(f"\n{name}'s turn is skipped." for name in result.skipped)
    ctx.reply(f"⏭️ {actor.name} ends their turn.{skipped}{death_save}\n{_turn_line(state)}")


@command("skip", "!skip @player | !skip <monster>", "Skip a combatant's turn (now if it's theirs, else their next).",
         owner_only=True, category=CATEGORY)
def skip_command(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        raise CommandError("Whose turn? `!skip @player` or `!skip <monster>`.")
    row, state = _fight(ctx)
    mentioned = _MENTIONS.fullmatch(ctx.args.strip())
    if mentioned:
        player = mentioned.group(1) or mentioned.group(2)
        target = next((c for c in state.combatants if c.player_id == player), None)
        if target is None:
            raise CommandError(f"{mention(int(player))} isn't in this fight.")
    else:
        target = engine.find_combatant(state, ctx.args.strip())
    moves_on = engine.current_actor(state).id == target.id
    state, result = engine.skip(state, target.id)
    state, death_save = _begin_turn(ctx, row.campaign_id, state) if moves_on else (state, "")
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, state)
    ctx.audit(f"combat:{row.id}", {}, {"skipped": target.name}, row.campaign_id)
    ctx.reply(f"⏭️ {result.text}{death_save}\n{_turn_line(state)}")


@command("end_combat", "!end_combat", "End the combat here: rounds, damage dealt and taken, who fell.",
         category=CATEGORY)
def end_combat_command(ctx: CommandContext) -> None:
    row, state = _fight(ctx)
    players = {_player_of(c) for c in [*state.combatants, *state.defeated]}
    if not ctx.is_owner and ctx.author_id not in players:
        raise CommandError("Only the owner or someone in the fight can end it.")
    try:
        result = engine.summary(state)
    except RulesError as error:  # pragma: no cover - the summary of a stored fight always exists
        raise CommandError(str(error)) from None
    row.active = False
    combats.store(ctx.session, row, state)
    sync_gate(ctx, row, None)
    ctx.reply(f"🏳️ The combat is over.\n{result.text}")
