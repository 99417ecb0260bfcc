"""Owner commands on characters: `!add_item`, `!set_condition`, `!hp`, `!resync_character`, `!xp`.

Every one records what it changed (before/after) in the audit log; the dispatcher writes the row with the
command, in the same transaction. `!hp` and `!set_condition` on a character in a fight change its combatant
too, so the fight and the sheet never disagree.
"""

from __future__ import annotations

import re

from db import history, ledger
from db.characters import StoredCharacter, audit_target, save, snapshot
from dnd.actions import set_hp
from dnd.character import Character, recompute
from dnd.conditions import add_condition, clear_conditions, condition_info, remove_condition
from dnd.data.conditions import CONDITIONS
from dnd.data.tables import MAX_LEVEL, XP_THRESHOLDS
from dnd.inventory import add_items, make_item
from dnd.leveling import level_for_xp
from dnd.phrases import counted_name
from tasks.handlers.character_support import (
    is_dead,
    mention,
    parse_mention,
    starts_with_mention,
    their_character,
)
from tasks.handlers.combat_support import fight_of, monster_condition, sheet_changed
from tasks.handlers.registry import CommandContext, CommandError, command

CATEGORY = "Admin"
MAX_ITEM_QUANTITY = 1000
MAX_XP_GRANT = 1_000_000
MAX_XP_TOTAL = 10_000_000


def _commit(ctx: CommandContext, stored: StoredCharacter, updated: Character) -> tuple[dict[str, object], ...]:
    """Save and record the audit before/after."""
    before = snapshot(stored.row)
    save(ctx.session, stored, updated)
    after = snapshot(stored.row)
    ctx.audit(audit_target(stored), before, after, stored.campaign_id)
    return before, after


@command("add_item", "!add_item @player <item> [xN]", "Give a player's character an item from the SRD equipment "
         "(e.g. `!add_item @123 Potion of Healing x2`).", owner_only=True, category=CATEGORY)
def add_item_command(ctx: CommandContext) -> None:
    player_id, rest = parse_mention(ctx.args, "!add_item @player <item>")
    if not rest:
        raise CommandError("Which item? `!add_item @player <item> [xN]`.")
    quantity, name = counted_name(rest)  # `Potion of Healing`, `3 Torch`, `Torch x3`, `Torch 3`
    if not 1 <= quantity <= MAX_ITEM_QUANTITY:
        raise CommandError(f"Give between 1 and {MAX_ITEM_QUANTITY} at a time.")
    item = make_item(name, quantity)  # refuses an item the engine doesn't know
    stored = their_character(ctx, player_id)
    _commit(ctx, stored, add_items(stored.character, [item]))
    ledger.record(ctx.session, stored.campaign_id, stored.id, "owner", f"!add_item by {ctx.author_id}",
                  [(item.name, quantity)])
    ctx.reply(f"🎁 {stored.character.name} ({mention(player_id)}) receives {item.name} ×{quantity}.")


@command("set_condition", "!set_condition @player <condition> | !set_condition <creature> <condition>",
         "Give a character (or, in a fight, a creature) a condition; `-<condition>` removes it, `none` clears a "
         "character's.", owner_only=True, category=CATEGORY)
def set_condition_command(ctx: CommandContext) -> None:
    if ctx.args.strip() and not starts_with_mention(ctx.args):
        ctx.reply(f"🩹 {monster_condition(ctx, ctx.args)}")
        return
    player_id, rest = parse_mention(ctx.args, "!set_condition @player <condition>")
    if not rest:
        raise CommandError(f"Which condition? {', '.join(CONDITIONS)} (prefix `-` to remove, `none` to clear).")
    fight = fight_of(ctx, player_id)  # the combat row is locked before the character's
    stored = their_character(ctx, player_id)
    character = stored.character
    words = rest.strip()
    if words.casefold() in ("none", "clear", "clear all"):
        updated = clear_conditions(character)
        message = f"{character.name}'s conditions are cleared." + (
            f" {character.name} is at 0 HP and stays unconscious until healed." if updated.conditions else "")
    elif words.startswith("-") or words.casefold().startswith("remove "):
        name = words[1:] if words.startswith("-") else words[len("remove "):]
        updated = remove_condition(character, name.strip())
        message = f"{character.name} is no longer {condition_info(name.strip()).name.lower()}."
    else:
        info = condition_info(words)
        updated = add_condition(character, info.name)
        message = (f"{character.name} is now at exhaustion level {updated.exhaustion}." if info.name == "Exhaustion"
                   else f"{character.name} is now {info.name.lower()}: {info.summary}")
    _commit(ctx, stored, updated)
    if fight is not None:
        message += sheet_changed(ctx, fight, updated)
    ctx.reply(f"🩹 {message}")


@command("hp", "!hp @player <value>", "Set a character's current hit points (0 to maximum).", owner_only=True,
         category=CATEGORY)
def hp_command(ctx: CommandContext) -> None:
    player_id, rest = parse_mention(ctx.args, "!hp @player <value>")
    if not re.fullmatch(r"\d{1,6}", rest.strip()):
        raise CommandError("Give the new hit points as a whole number, e.g. `!hp @player 12`.")
    fight = fight_of(ctx, player_id)  # the combat row is locked before the character's
    stored = their_character(ctx, player_id)
    before = stored.character.hp
    updated = set_hp(stored.character, int(rest))
    _commit(ctx, stored, updated)
    where = sheet_changed(ctx, fight, updated) if fight is not None else ""
    ctx.reply(f"❤️ {updated.name}: HP {before} → {updated.hp}/{updated.max_hp}{where}.")


@command("revive", "!revive @player", "Bring a dead character back to life at 1 hit point.", owner_only=True,
         category=CATEGORY)
def revive_command(ctx: CommandContext) -> None:
    player_id, rest = parse_mention(ctx.args, "!revive @player")
    if rest:
        raise CommandError("`!revive` takes only the player: `!revive @player`.")
    fight = fight_of(ctx, player_id)
    if fight is not None and not fight.me.dead:
        raise CommandError(f"{fight.me.name} is in a fight and not dead; heal them instead.")
    stored = their_character(ctx, player_id)
    if not is_dead(stored.character):
        raise CommandError(f"{stored.character.name} isn't dead.")
    updated = set_hp(stored.character, 1)
    _commit(ctx, stored, updated)
    history.log_event(ctx.session, f"{updated.name} was brought back from death.", stored.campaign_id,
                      ctx.event.get("channel_id"))
    ctx.reply(f"✨ {updated.name} draws breath again, at 1 HP.")


@command("resync_character", "!resync_character @player", "Recompute a character's derived values from their "
         "choices and report what differed.", owner_only=True, category=CATEGORY)
def resync_character_command(ctx: CommandContext) -> None:
    player_id, rest = parse_mention(ctx.args, "!resync_character @player")
    if rest:
        raise CommandError("`!resync_character` takes only the player: `!resync_character @player`.")
    stored = their_character(ctx, player_id)
    fixed, changes = recompute(stored.character)
    if not changes:
        ctx.audit(audit_target(stored), snapshot(stored.row), snapshot(stored.row), stored.campaign_id)
        ctx.reply(f"🔄 {stored.character.name}'s sheet is already consistent; nothing changed.")
        return
    _commit(ctx, stored, fixed)
    ctx.reply(f"🔄 {stored.character.name} resynced. Differences fixed:\n" + "\n".join(f"• {c}" for c in changes))


@command("xp", "!xp @player <amount>", "Grant experience points to a character.", owner_only=True,
         category=CATEGORY)
def xp_command(ctx: CommandContext) -> None:
    player_id, rest = parse_mention(ctx.args, "!xp @player <amount>")
    if not rest:
        raise CommandError("Give the player and the XP to grant: `!xp @player <amount>`.")
    amount_text = rest.strip().lstrip("+").replace(",", "").replace("_", "")
    if not re.fullmatch(r"\d{1,9}", amount_text):
        raise CommandError("Give the XP to grant as a positive whole number, e.g. `!xp @player 300`.")
    amount = int(amount_text)
    if not 1 <= amount <= MAX_XP_GRANT:
        raise CommandError(f"Grant between 1 and {MAX_XP_GRANT:,} XP at a time.")
    stored = their_character(ctx, player_id)
    character = stored.character
    total = character.xp + amount
    if total > MAX_XP_TOTAL:
        raise CommandError(f"That would take {character.name} past {MAX_XP_TOTAL:,} XP.")
    updated = character.model_copy(update={"xp": total})
    _commit(ctx, stored, updated)
    reachable = level_for_xp(total)
    line = f"⭐ {character.name} ({mention(player_id)}) gains {amount:,} XP: {character.xp:,} → {total:,} XP."
    if reachable > character.level:
        line += f" Enough for level {reachable} — type `!level_up`."
    elif character.level < MAX_LEVEL:
        line += f" Next level at {XP_THRESHOLDS[character.level]:,} XP."
    ctx.reply(line)
