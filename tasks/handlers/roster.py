"""A player's characters across campaigns: `!my_characters`, `!import_character` (from another campaign, or
from a Foundry VTT character export attached to the message: `dnd.sheet_import`).

Characters are kept per campaign; when the owner loads another campaign, a player's character follows them with
`!import_character <campaign>`. What comes along: the whole sheet (level, XP, HP, items, gold, spells, feats,
conditions). What stays behind: the old campaign's story (its plot flags, scenes, NPC attitudes) and the party's
place, since the new campaign has its own. The character moves (it is not copied), so nothing is duplicated,
and the ledger shows everything it carried leaving one campaign and arriving in the other.
"""

from __future__ import annotations

import json
from typing import Any

from db import combat as fights
from db import ledger
from db.campaigns import campaign_name, campaign_names, ensure_active_campaign, find_campaign
from db.characters import (
    CharacterExists,
    characters_of_player,
    class_label,
    create,
    find_by_player,
    load_for_update,
    move_to_campaign,
)
from dnd.errors import RulesError
from dnd.inventory import holdings
from dnd.sheet_import import from_foundry
from dnd.wealth import format_wealth
from tasks.handlers.character_support import spell_data
from tasks.handlers.registry import CommandContext, CommandError, command

CATEGORY = "Character"
MAX_CAMPAIGN_NAME_CHARS = 120
IMPORT_MAX_BYTES = 1024 * 1024  # the gateway reads attachments up to this size (gateway.messages)
MAX_LISTED = 12


@command("my_characters", "!my_characters", "Your characters in every campaign (the active one marked).",
         category=CATEGORY)
def my_characters_command(ctx: CommandContext) -> None:
    active = ensure_active_campaign(ctx.session)
    mine = characters_of_player(ctx.session, ctx.author_id)
    if not mine:
        raise CommandError("You have no characters yet. Type `!create_character` to make one.")
    names = campaign_names(ctx.session, sorted({stored.campaign_id for stored in mine}))
    lines = []
    for stored in mine:
        character = stored.character
        here = " ← the active campaign" if stored.campaign_id == active else ""
        lines.append(f"• **{character.name}**, level {character.level} {class_label(character)}, in "
                     f"**{names.get(stored.campaign_id, stored.campaign_id)}**{here}")
    if not any(stored.campaign_id == active for stored in mine):
        lines.append(f"None of them is in **{campaign_name(ctx.session, active)}**: bring one along with "
                     "`!import_character <campaign>`.")
    ctx.reply("Your characters:\n" + "\n".join(lines))


@command("import_character", "!import_character <campaign> (or attach a Foundry VTT character .json)",
         "Bring your character from another campaign into the active one (level, items and gold come along), "
         "or make one from a character exported from Foundry VTT's dnd5e system (attach the JSON file).",
         category=CATEGORY)
def import_character_command(ctx: CommandContext) -> None:
    attachments = ctx.event.get("attachments") or []
    if attachments:
        _import_from_file(ctx, attachments)
        return
    wanted = ctx.args.strip()
    if not wanted:
        raise CommandError("From which campaign? `!import_character <campaign>` (see `!my_characters`).")
    if len(wanted) > MAX_CAMPAIGN_NAME_CHARS:
        raise CommandError(f"That campaign name is too long (at most {MAX_CAMPAIGN_NAME_CHARS} characters).")
    active = ensure_active_campaign(ctx.session)
    source = find_campaign(ctx.session, wanted)
    if source is None:
        raise CommandError(f"I don't know a campaign called “{wanted[:60]}”. `!my_characters` lists yours.")
    if source.id == active:
        raise CommandError(f"**{source.name}** is already the active campaign.")
    if find_by_player(ctx.session, ctx.author_id, active) is not None:
        raise CommandError(f"You already have a character in **{campaign_name(ctx.session, active)}**.")
    stored = load_for_update(ctx.session, ctx.author_id, source.id)
    if stored is None:
        raise CommandError(f"You have no character in **{source.name}**.")
    if fights.player_in_fight(ctx.session, source.id, ctx.author_id):
        raise CommandError(f"**{stored.character.name}** is in a fight in **{source.name}**: it has to end first.")
    carried = holdings(stored.character)
    try:
        move_to_campaign(ctx.session, stored, active)
    except CharacterExists:  # a character made in the active campaign meanwhile
        raise CommandError(f"You already have a character in **{campaign_name(ctx.session, active)}**.") from None
    ledger.record(ctx.session, source.id, stored.id, f"campaign:{active}", "moved to another campaign",
                  [(item, -quantity) for item, quantity in carried])
    ledger.record(ctx.session, active, stored.id, f"campaign:{source.id}", "came from another campaign", carried)
    character = stored.character
    ctx.reply(f"**{character.name}** (level {character.level} {class_label(character)}) leaves **{source.name}** "
              f"and joins **{campaign_name(ctx.session, active)}**, with everything they carry. The story of "
              f"**{source.name}** stays there.")


def _sheet_json(attachments: list[dict[str, Any]]) -> Any:
    """The one attached file, parsed; a clear refusal for anything else."""
    if len(attachments) != 1:
        raise CommandError("Attach one file: the character's JSON export from Foundry VTT.")
    [attached] = attachments
    name = str(attached.get("filename", "the file"))[:80]
    size = int(attached.get("size") or 0)
    if size > IMPORT_MAX_BYTES:
        raise CommandError(f"**{name}** is too large ({size / 1_048_576:.1f} MB; a character export is at most "
                           f"{IMPORT_MAX_BYTES // 1_048_576} MB). Nothing was imported.")
    text = attached.get("text")
    if not isinstance(text, str):
        raise CommandError(f"I couldn't read **{name}** as text: attach the character's JSON export from Foundry "
                           "VTT (Export Data on the character sheet). Nothing was imported.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"**{name}** isn't JSON (line {error.lineno}: {error.msg}). Attach the character's "
                           "JSON export from Foundry VTT. Nothing was imported.") from None


def _import_from_file(ctx: CommandContext, attachments: list[dict[str, Any]]) -> None:
    data = _sheet_json(attachments)
    active = ensure_active_campaign(ctx.session)
    if find_by_player(ctx.session, ctx.author_id, active) is not None:
        raise CommandError(f"You already have a character in **{campaign_name(ctx.session, active)}** (one per "
                           "player per campaign). Nothing was imported.")
    try:
        result = from_foundry(data, lambda name: spell_data(ctx, name))
    except RulesError as error:
        raise CommandError(f"{error} Nothing was imported.") from None
    character = result.character
    try:
        stored = create(ctx.session, ctx.author_id, active, character)
    except CharacterExists:
        raise CommandError(f"You already have a character in **{campaign_name(ctx.session, active)}**.") from None
    ledger.record(ctx.session, active, stored.id, "import", "!import_character (Foundry VTT)",
                  [(item.name, item.qty) for item in character.inventory])
    ledger.record(ctx.session, active, stored.id, "import", f"!import_character ({format_wealth(character.wealth)})",
                  [(coin, amount) for coin, amount in character.wealth.coins().items() if amount])
    lines = [f"📥 **{character.name}** joins **{campaign_name(ctx.session, active)}**: level {character.level} "
             f"{character.subrace or character.race} {class_label(character)}, HP {character.hp}/{character.max_hp}, "
             f"{len(character.inventory)} kinds of items, {format_wealth(character.wealth)}."]
    if result.differences:
        lines.append("Computed by the rules here: " + "; ".join(result.differences) + ".")
    if result.unmapped:
        lines.append("Not brought over:")
        lines += [f"• {entry}" for entry in result.unmapped[:MAX_LISTED]]
        if len(result.unmapped) > MAX_LISTED:
            lines.append(f"• … and {len(result.unmapped) - MAX_LISTED} more")
    lines.append("See the whole sheet with `!my_sheet`.")
    ctx.reply("\n".join(lines))
