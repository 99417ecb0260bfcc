"""What the character commands share: finding the player's (or a mentioned player's) character in the active
campaign, parsing `@player`, logging rolls, and the Redis routing key of interactive sessions."""

from __future__ import annotations

import random
import re

import keys
from db import compendium, history
from db.campaigns import campaign_name, ensure_active_campaign
from db.characters import StoredCharacter, characters_of_player, find_by_name, find_by_player, load_for_update
from dnd.character import Character
from dnd.data.spells import find_spell
from dnd.spellcasting import SpellInfo, spell_from_srd
from tasks.handlers.registry import CommandContext, CommandError
from tasks.redis_client import get_redis

rng = random.SystemRandom()

# A player mentioned in a command, as Discord sends it (`<@123>`, `<@!123>`) or as typed (`@123`).
MENTION = re.compile(r"<@!?(\d{1,20})>|(?<![\w<])@(\d{1,20})\b")
# The player a command starts with: a mention, or a bare user id.
_LEADING_MENTION = re.compile(rf"^\s*(?:{MENTION.pattern}|(\d{{1,20}}))(?=\s|$)\s*")


def mentioned_id(match: re.Match[str]) -> int:
    """The user id in a match of `MENTION` (or of the leading mention)."""
    return int(next(group for group in match.groups() if group))


def parse_mention(args: str, usage: str) -> tuple[int, str]:
    """`<@123> rest`, `<@!123> rest`, `@123 rest` or `123 rest` → (123, "rest")."""
    match = _LEADING_MENTION.match(args)
    if match is None:
        raise CommandError(f"Whom do you mean? Mention the player first: `{usage}`.")
    return mentioned_id(match), args[match.end():].strip()


def starts_with_mention(args: str) -> bool:
    return _LEADING_MENTION.match(args) is not None


def mention(player_id: int) -> str:
    return f"<@{player_id}>"


def no_character(ctx: CommandContext, campaign_id: int) -> CommandError:
    """The refusal for a player with no character here; one who has a character in another campaign is told how
    to bring it along."""
    here = campaign_name(ctx.session, campaign_id)
    elsewhere = characters_of_player(ctx.session, ctx.author_id)
    if elsewhere:
        other = elsewhere[-1]
        return CommandError(f"You don't have a character in **{here}** yet. Bring **{other.character.name}** along "
                            f"with `!import_character {campaign_name(ctx.session, other.campaign_id)}`, or type "
                            "`!create_character` to make a new one.")
    return CommandError(f"You don't have a character in **{here}** yet. Type `!create_character` to make one.")


def my_character(ctx: CommandContext, *, for_update: bool = False) -> StoredCharacter:
    """The author's character in the active campaign (locked when it is going to change)."""
    campaign_id = ensure_active_campaign(ctx.session)
    load = load_for_update if for_update else find_by_player
    stored = load(ctx.session, ctx.author_id, campaign_id)
    if stored is None:
        raise no_character(ctx, campaign_id)
    if for_update and is_dead(stored.character):
        raise CommandError(f"💀 {stored.character.name} is dead and can't act. The owner can bring them back with "
                           "`!revive @player`; or start anew with `!create_character`.")
    return stored


def is_dead(character: Character) -> bool:
    """Dead: at 0 hit points with three failed death saves (massive damage is written so too)."""
    return character.hp == 0 and character.death_saves.failures >= 3


def their_character(ctx: CommandContext, player_id: int, *, for_update: bool = True) -> StoredCharacter:
    campaign_id = ensure_active_campaign(ctx.session)
    load = load_for_update if for_update else find_by_player
    stored = load(ctx.session, player_id, campaign_id)
    if stored is None:
        raise CommandError(f"{mention(player_id)} has no character in **{campaign_name(ctx.session, campaign_id)}**.")
    return stored


def party_member(ctx: CommandContext, text: str) -> StoredCharacter:
    """A party member named as a spell's target out of a fight: `@player`, or their character's name in the active
    campaign; anything else is refused clearly (there are no other creatures to aim at outside a fight)."""
    campaign_id = ensure_active_campaign(ctx.session)
    found = MENTION.fullmatch(text.strip())
    stored = (find_by_player(ctx.session, mentioned_id(found), campaign_id) if found
              else find_by_name(ctx.session, campaign_id, text))
    if stored is None:
        who = f"{mention(mentioned_id(found))} has no character in this campaign" if found else (
            f"There's no creature called '{text.strip()[:60]}' here")
        raise CommandError(f"{who}. Outside a fight a spell targets party members: a character's name or `@player` "
                           "(in a fight, the creatures in it).")
    return stored


def log_roll(ctx: CommandContext, text: str, campaign_id: int | None, player_id: int | None = None) -> None:
    """Every roll goes to `message_history` (kind "roll")."""
    history.log_roll(ctx.session, text, campaign_id, ctx.event.get("channel_id"),
                     player_id if player_id is not None else ctx.author_id)


def mark_session(ctx: CommandContext, kind: str) -> None:
    """After the commit: route the author's DMs to their session."""
    user_id = ctx.author_id
    ctx.after_commit.append(lambda: get_redis().set(keys.session(user_id), kind))


def clear_session(ctx: CommandContext) -> None:
    """After the commit: the author's DMs go back to the narrative."""
    user_id = ctx.author_id
    ctx.after_commit.append(lambda: get_redis().delete(keys.session(user_id)))


def spell_data(ctx: CommandContext, name: str) -> SpellInfo | None:
    """The engine's own entry for the spell, else the imported SRD compendium's (`rules`), if present."""
    info = find_spell(name)
    if info is not None:
        return info
    entry = compendium.find(ctx.session, "spell", name)
    return spell_from_srd(entry.details) if entry is not None and entry.details else None
