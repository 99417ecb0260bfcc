"""Interactive sessions in DMs: `!create_character`, `!level_up`, `!cancel`, and each DM answer; and `!choose`,
the class choices a character's levels owe (levelled before those choices were asked: `dnd.owed_choices`).

The conversation's state lives in the `sessions` table (the pure state machines are `dnd.creation_flow` and
`dnd.level_up_flow`); while a session is open the Redis key `session:<user>` tells the gateway to send that
player's DMs here (`tasks.commands.session_reply`). Each answer is one transaction, once per message.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import keys
from db import compendium, history, ledger, sessions
from db.campaigns import campaign_name, ensure_active_campaign
from db.characters import CharacterExists, StoredCharacter, create, find_by_player, load_for_update, save
from db.outbox import reply_target
from db.sessions import SessionRow
from dnd import creation_flow, level_up_flow
from dnd.character import Character
from dnd.errors import RulesError
from dnd.inventory import holdings
from dnd.owed_choices import answer_owed, nothing_owed, owed_choices, owed_text
from dnd.wealth import format_wealth
from tasks.handlers.character_support import (
    MENTION,
    clear_session,
    is_dead,
    log_roll,
    mark_session,
    my_character,
    rng,
)
from tasks.handlers.combat_support import fight_of
from tasks.handlers.dispatch import execute_in_context
from tasks.handlers.registry import (
    ACCEPT,
    DECLINE,
    CommandContext,
    CommandError,
    command,
    confirmation,
    reaction,
)
from tasks.redis_client import get_redis

KIND_NAMES = {sessions.CREATION: "character creation", sessions.LEVEL_UP: "level-up"}


def _point_to_dms(ctx: CommandContext, what: str) -> None:
    if ctx.event.get("channel_id") is not None:
        ctx.reply(f"📬 I've sent you a DM to {what}.")


def _current_prompt(ctx: CommandContext, row: SessionRow) -> tuple[str, dict[str, Any]]:
    """The question the session is at, with its menu or buttons."""
    if row.kind == sessions.CREATION:
        state = creation_flow.CreationState.model_validate(row.state)
        return creation_flow.prompt(state), _menu(state)
    stored = find_by_player(ctx.session, row.user_id, row.campaign_id) if row.campaign_id else None
    if stored is None:
        return "", {}
    level_up = level_up_flow.LevelUpState.model_validate(row.state)
    return (level_up_flow.prompt(level_up, stored.character, compendium.spell_catalog(ctx.session)),
            _level_up_meta(ctx, row, level_up, stored.character))


def _resume_or_refuse(ctx: CommandContext, row: SessionRow, wanted: str) -> None:
    """A second `!create_character` / `!level_up` while a session is open: show where it stands, or refuse."""
    if row.kind != wanted:
        raise CommandError(f"You're in the middle of a {KIND_NAMES.get(row.kind, row.kind)}: answer it in our DMs, "
                           "or type `!cancel` to stop it first.")
    _point_to_dms(ctx, f"continue your {KIND_NAMES[wanted]}")
    question, meta = _current_prompt(ctx, row)
    ctx.reply(f"You already have a {KIND_NAMES[wanted]} in progress — here's where we are:\n\n" + question,
              dm=True, meta=meta)
    mark_session(ctx, row.kind)


@command("create_character", "!create_character", "Create your character step by step in DMs (race, class, "
         "ability scores, background, skills, equipment, feats).", category="Character")
def create_character_command(ctx: CommandContext) -> None:
    campaign_id = ensure_active_campaign(ctx.session)
    existing = find_by_player(ctx.session, ctx.author_id, campaign_id)
    if existing is not None and not is_dead(existing.character):  # a fallen character is replaced
        c = existing.character
        raise CommandError(f"You already have a character in **{campaign_name(ctx.session, campaign_id)}**: "
                           f"{c.name}, level {c.level}. One character per player per campaign.")
    row = sessions.get_active(ctx.session, ctx.author_id)
    if row is not None:
        _resume_or_refuse(ctx, row, sessions.CREATION)
        return
    state, text = creation_flow.start()
    sessions.start(ctx.session, ctx.author_id, sessions.CREATION, state.step, state.model_dump(mode="json"),
                   campaign_id)
    _point_to_dms(ctx, "create your character")
    ctx.reply(text, dm=True, meta=_menu(state))
    mark_session(ctx, sessions.CREATION)


@command("level_up", "!level_up", "Level up step by step in DMs (hit points, ASI or feat, subclass, features, "
         "multiclassing) once you have the XP.", category="Character")
def level_up_command(ctx: CommandContext) -> None:
    stored = my_character(ctx)
    row = sessions.get_active(ctx.session, ctx.author_id)
    if row is not None:
        _resume_or_refuse(ctx, row, sessions.LEVEL_UP)
        return
    state, text = level_up_flow.start(stored.character)  # refuses at level 20 or without the XP
    row = sessions.start(ctx.session, ctx.author_id, sessions.LEVEL_UP, state.step, state.model_dump(mode="json"),
                         stored.campaign_id)
    _point_to_dms(ctx, "level up")
    ctx.reply(text, dm=True, meta=_level_up_meta(ctx, row, state, stored.character))
    mark_session(ctx, sessions.LEVEL_UP)


CHOOSE_USAGE = "!choose [<number or choice> <answer>]"


@command("choose", CHOOSE_USAGE, "Make the class choices your character's levels owe (a Fighting Style, Metamagic, "
         "invocations, a Pact Boon, … missing from a character levelled before they were asked).",
         category="Character", details="`!choose` lists them, numbered, with their options; answer one with "
         "`!choose 1 Defense` or `!choose fighting style Defense`. Each answer is checked as the level-up checks it.")
def choose_command(ctx: CommandContext) -> None:
    if MENTION.match(ctx.args):
        raise CommandError("You can make only your own character's choices: `!choose <number> <answer>`.")
    if not ctx.args:
        character = my_character(ctx).character
        owed = owed_text(character)
        ctx.reply(f"📝 {character.name}'s levels owe these choices — answer one with `!choose <number> <answer>`:"
                  f"\n\n{owed}" if owed else f"✅ {nothing_owed(character)}")
        return
    if fight_of(ctx, ctx.author_id) is not None:  # the fight's combatant was made from the sheet as it stands
        raise CommandError("Make your owed choices once the fight is over.")
    stored = my_character(ctx, for_update=True)
    updated, owed, found = answer_owed(stored.character, ctx.args, compendium.spell_catalog(ctx.session))
    save(ctx.session, stored, updated)
    ctx.reply(f"✅ {updated.name}: {owed.label} — **{found}**. " + (
        "More choices are owed: type `!choose` to see them." if owed_choices(updated) else nothing_owed(updated)))


@command("cancel", "!cancel", "Stop your character creation or level-up in progress (nothing is saved).",
         category="Character")
def cancel_command(ctx: CommandContext) -> None:
    row = sessions.get_active(ctx.session, ctx.author_id)
    if row is None:
        clear_session(ctx)
        ctx.reply("There's nothing to cancel: no character creation or level-up is in progress.")
        return
    sessions.finish(ctx.session, row, "cancelled", {**row.state, "status": "cancelled"})
    ctx.reply(f"Your {KIND_NAMES.get(row.kind, row.kind)} was cancelled; nothing was saved.")
    clear_session(ctx)


# --------------------------------------------------------------------------- answers in DMs


def _log_creation_rolls(ctx: CommandContext, before: creation_flow.CreationState,
                        after: creation_flow.CreationState, campaign_id: int | None) -> None:
    if after.data.get("rolled_scores") and after.data.get("rolled_scores") != before.data.get("rolled_scores"):
        log_roll(ctx, f"6 × 4d6 drop lowest (ability scores) = {after.data['rolled_scores']}", campaign_id)
    seed = after.data.get("gold_seed")
    if seed and seed != before.data.get("gold_seed"):
        log_roll(ctx, f"starting gold = {creation_flow.build_gold(after.data)} gp", campaign_id)


def _menu(state: creation_flow.CreationState) -> dict[str, list[str]]:
    """The step's answers as a menu for the front ends (a select on Discord, buttons at the local table)."""
    choices = creation_flow.menu(state)
    return {"choices": choices} if choices else {}


def _creation_step(ctx: CommandContext, row: SessionRow, text: str) -> None:
    state = creation_flow.CreationState.model_validate(row.state)
    new, reply = creation_flow.answer(state, text, rng)
    _log_creation_rolls(ctx, state, new, row.campaign_id)
    if new.status == "active":
        sessions.advance(ctx.session, row, new.step, new.model_dump(mode="json"))
        ctx.reply(reply, dm=True, meta=_menu(new))
        return
    if new.status == "cancelled":
        sessions.finish(ctx.session, row, "cancelled", new.model_dump(mode="json"))
        ctx.reply(reply, dm=True)
        clear_session(ctx)
        return
    character = creation_flow.finished_character(new)
    campaign_id = row.campaign_id or ensure_active_campaign(ctx.session)
    try:
        stored = _replace_the_fallen(ctx, row.user_id, campaign_id, character) or create(
            ctx.session, row.user_id, campaign_id, character)
    except CharacterExists:
        raise CommandError("You already have a character in this campaign (one per player per campaign); "
                           "this one was not saved. Type `!cancel` to close the creation.") from None
    _ledger_starting_kit(ctx, stored.id, campaign_id, character)
    sessions.finish(ctx.session, row, "done", new.model_dump(mode="json"))
    ctx.reply(reply, dm=True)
    clear_session(ctx)


def _replace_the_fallen(ctx: CommandContext, player_id: int, campaign_id: int,
                        character: Character) -> StoredCharacter | None:
    """A dead character is laid to rest (what it carried leaves with it, in the ledger) and the new one takes its
    place in the campaign; None when the player has no dead character here."""
    fallen = load_for_update(ctx.session, player_id, campaign_id)
    if fallen is None or not is_dead(fallen.character):
        return None
    ledger.record(ctx.session, campaign_id, fallen.id, "laid to rest", f"{fallen.character.name} laid to rest",
                  [(name, -qty) for name, qty in holdings(fallen.character)])
    history.log_event(ctx.session, f"{fallen.character.name} was laid to rest; {character.name} joins the story.",
                      campaign_id, None)
    return save(ctx.session, fallen, character)


def _ledger_starting_kit(ctx: CommandContext, character_id: int, campaign_id: int, character: Character) -> None:
    ledger.record(ctx.session, campaign_id, character_id, "starting equipment", "!create_character",
                  [(item.name, item.qty) for item in character.inventory])
    ledger.record(ctx.session, campaign_id, character_id, "starting wealth",
                  f"!create_character ({format_wealth(character.wealth)})",
                  [(coin, amount) for coin, amount in character.wealth.coins().items() if amount])


def _level_up_step(ctx: CommandContext, row: SessionRow, text: str) -> None:
    stored = load_for_update(ctx.session, row.user_id, row.campaign_id) if row.campaign_id else None
    if stored is None:
        sessions.finish(ctx.session, row, "cancelled")
        ctx.reply("Your character is gone, so the level-up was closed.", dm=True)
        clear_session(ctx)
        return
    state = level_up_flow.LevelUpState.model_validate(row.state)
    new, reply = level_up_flow.answer(state, stored.character, text, rng, compendium.spell_catalog(ctx.session))
    meta: dict[str, Any] = {}
    if new.hp_method == "roll" and new.hp_seed and new.hp_seed != state.hp_seed:
        log_roll(ctx, f"level-up hit points = {level_up_flow.hp_roll(new, stored.character)}", row.campaign_id)
    if new.status == "active":
        sessions.advance(ctx.session, row, new.step, new.model_dump(mode="json"))
        meta = _level_up_meta(ctx, row, new, stored.character)
    elif new.status == "cancelled":
        sessions.finish(ctx.session, row, "cancelled", new.model_dump(mode="json"))
        clear_session(ctx)
    else:
        leveled = level_up_flow.leveled_character(new)
        save(ctx.session, stored, leveled)
        sessions.finish(ctx.session, row, "done", new.model_dump(mode="json"))
        clear_session(ctx)
        ctx.narrate(f"{leveled.name} reaches level {leveled.level}: {reply[:600]}",
                    {**ctx.event, "channel_id": None, "dm_user_id": ctx.author_id})
    ctx.reply(reply, dm=True, meta=meta)


LEVEL_UP_CONFIRM = "level_up"  # the awaiting key of the ✅/❌ on the level-up's last question


def _answers_digest(state: level_up_flow.LevelUpState) -> str:
    """Names the answers a confirm question summed up: after `back` and other answers, its buttons are stale."""
    return hashlib.sha256(json.dumps(state.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def _level_up_meta(ctx: CommandContext, row: SessionRow, state: level_up_flow.LevelUpState,
                   character: Character) -> dict[str, Any]:
    """The question's answers for the front ends: ✅/❌ on the confirmation, a menu where the answers are few."""
    if state.status == "active" and state.step == "confirm":
        return confirmation(LEVEL_UP_CONFIRM, player_id=row.user_id, session_id=row.id,
                            answers=_answers_digest(state))
    choices = level_up_flow.menu(state, character, compendium.spell_catalog(ctx.session))
    count = level_up_flow.menu_count(state, character)
    return ({"choices": choices, **({"choose": count} if count > 1 else {})} if choices else {})


@reaction(LEVEL_UP_CONFIRM)
def confirm_level_up(ctx: CommandContext) -> None:
    """The player's ✅ (level up) or ❌ (cancel) on the confirmation: the same as answering `yes` or `cancel`, once
    (the session moves on, so a second press finds nothing to confirm)."""
    meta = ctx.event.get("meta") or {}
    emoji = ctx.event.get("emoji")
    if emoji not in (ACCEPT, DECLINE) or ctx.event.get("author_id") is None or ctx.author_id != meta.get("player_id"):
        return  # only the levelling player's answer counts
    row = sessions.get_active(ctx.session, ctx.author_id)
    if row is None or row.id != meta.get("session_id") or row.step != "confirm" \
            or _answers_digest(level_up_flow.LevelUpState.model_validate(row.state)) != meta.get("answers"):
        ctx.reply("That level-up question was already answered.", dm=True)
        return
    _level_up_step(ctx, row, "yes" if emoji == ACCEPT else "cancel")


def session_step(ctx: CommandContext) -> None:
    row = sessions.get_active(ctx.session, ctx.author_id)
    if row is None:
        # The routing key outlived its session (a crash between the commit and its removal): the message was
        # meant for the Dungeon Master, so it joins the narrative like any other DM.
        clear_session(ctx)
        _to_narrative(ctx)
        return
    text = ctx.event.get("content", "")
    if row.kind == sessions.CREATION:
        _creation_step(ctx, row, text)
    elif row.kind == sessions.LEVEL_UP:
        _level_up_step(ctx, row, text)
    else:
        sessions.finish(ctx.session, row, "cancelled")
        clear_session(ctx)
        ctx.reply("That conversation can't continue; it was closed.", dm=True)


def _to_narrative(ctx: CommandContext) -> None:
    event = dict(ctx.event)
    channel = keys.channel_key(**reply_target(event))

    def append() -> None:
        client = get_redis()
        client.rpush(keys.pending(channel), json.dumps(event))
        client.sadd(keys.pending_channels(), channel)

    ctx.after_commit.append(append)
    ctx.follow_ups.append((keys.PREPARE_TURN_TASK, (channel,)))


def _session_step_or_refuse(ctx: CommandContext) -> None:
    try:
        session_step(ctx)
    except RulesError as error:  # the flows answer refusals themselves; anything else is still the player's
        raise CommandError(str(error)) from None


def execute_session_reply(event: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    return execute_in_context(event, f"msg:{event['message_id']}", "commands.session_reply",
                              _session_step_or_refuse, name="session_reply").follow_ups
