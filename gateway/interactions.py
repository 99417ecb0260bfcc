"""Discord's application commands, autocomplete and buttons: a second front end on the same commands.

A slash command becomes the same `!command` message the prefix front end makes (one registry, two front ends),
through the same intake, queues and reply stream. Discord wants an answer within 3 s, so the interaction is
acknowledged at once (deferred: "is thinking…") and the command's reply edits that deferred answer when it
comes back through the reply stream (`DiscordTransport`); later replies to it are follow-ups. Autocomplete
asks a command worker for choices from the game state and answers within Discord's limit. A button on a
confirmation is a ✅/❌ reaction by another name: the same reaction event, so pressing it twice counts once.

Every call to Discord goes through `client.http.request`, the same REST client the rest of the gateway uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.http import Route
from redis import asyncio as aioredis

import keys
from gateway.intake import Intake
from gateway.messages import ATTACHMENT_MAX_BYTES, IncomingMessage, attachment_entry, reads_attachments
from gateway.sender import TaskSender
from keys import AUTOCOMPLETE_TASK, REACTION_TASK

log = logging.getLogger(__name__)

COMMANDS_SYNCED = "slash:synced"  # digest of the command catalogue last registered with Discord
AUTOCOMPLETE_WAIT_S = 2.0  # Discord drops an autocomplete answer after 3 s
INTERACTION_TTL_S = 14 * 60  # an interaction token is good for 15 minutes
CATALOG_POLL_S = 5.0
OWNER_PERMISSIONS = str(discord.Permissions(manage_guild=True).value)  # owner-only commands: hidden by default
STRING, ATTACHMENT = 3, 11  # Discord's option types
DEFERRED_ANSWER, DEFERRED_UPDATE, AUTOCOMPLETE_RESULT = 5, 6, 8  # interaction callback types
REACT_PREFIX = "react:"
CHOOSE = "choose"  # the select menu of a question: the pick is the player's answer, as if typed in the DM
MAX_MENU_OPTIONS = 25

ReactionBuilder = Callable[[int, int, str], Awaitable[dict[str, Any] | None]]
Placement = Callable[[discord.Interaction], Awaitable[tuple[int | None, int | None] | None]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def command_payloads(catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalogue as Discord's application-command objects (global: usable in the server and in DMs)."""
    payloads = []
    for entry in catalog:
        options: list[dict[str, Any]] = []
        if entry.get("takes_text"):
            options.append({"type": STRING, "name": entry.get("option") or "details", "required": False,
                            "description": _clip(entry["usage"], 100), "max_length": 2000,
                            "autocomplete": bool(entry.get("completes"))})
        if reads_attachments("!" + entry["name"]):
            options.append({"type": ATTACHMENT, "name": "file", "required": False,
                            "description": "a character exported from Foundry VTT (dnd5e, .json)"})
        payloads.append({
            "name": entry["name"], "type": 1, "description": _clip(entry["summary"], 100), "options": options,
            "default_member_permissions": OWNER_PERMISSIONS if entry.get("owner_only") else None,
            "contexts": [0, 1], "integration_types": [0]})
    return payloads


def message_view(meta: dict[str, Any]) -> discord.ui.View | None:
    """The components of a reply: ✅/❌ buttons for a confirmation (the same as the reactions), a select menu for
    a question with a short list of answers (`meta["choices"]`, at most 25; `meta["choose"]` of them at once)."""
    view = discord.ui.View(timeout=None)
    for emoji in [e for e in meta.get("reactions") or [] if isinstance(e, str) and e in ("✅", "❌")]:
        style = discord.ButtonStyle.success if emoji == "✅" else discord.ButtonStyle.danger
        view.add_item(discord.ui.Button(emoji=emoji, style=style, custom_id=REACT_PREFIX + emoji))
    choices = [str(c)[:100] for c in meta.get("choices") or [] if str(c).strip()][:MAX_MENU_OPTIONS]
    if choices:
        options = [discord.SelectOption(label=c, value=c) for c in dict.fromkeys(choices)]
        count = meta.get("choose")
        count = count if isinstance(count, int) and 1 <= count <= len(options) else 1
        view.add_item(discord.ui.Select(custom_id=CHOOSE, placeholder="Choose…" if count == 1 else f"Choose {count}…",
                                        options=options, min_values=count, max_values=count))
    return view if view.children else None


class Interactions:
    def __init__(self, client: discord.Client, redis: aioredis.Redis, intake: Intake, sender: TaskSender,
                 placement: Placement, reaction_event: ReactionBuilder) -> None:
        self.client, self.redis, self.intake, self.sender = client, redis, intake, sender
        self.placement = placement  # where a command is answered: (channel id, DM user id), None if not ours
        self.reaction_event = reaction_event

    # ---- registering the commands ----
    async def sync_commands(self, closing: asyncio.Event) -> None:
        """Register the catalogue the workers published (waiting for it), once per change of the catalogue."""
        while not closing.is_set():
            raw = await self.redis.get(keys.COMMAND_CATALOG)
            if raw:
                break
            try:
                await asyncio.wait_for(closing.wait(), CATALOG_POLL_S)
            except TimeoutError:
                pass
        else:
            return
        digest = hashlib.sha256(raw.encode()).hexdigest()
        if await self.redis.get(COMMANDS_SYNCED) == digest:
            return
        application_id = self.client.application_id
        if application_id is None:
            log.warning("no application id yet: slash commands not registered")
            return
        payloads = command_payloads(json.loads(raw))
        await self.client.http.bulk_upsert_global_commands(application_id, payload=payloads)
        await self.redis.set(COMMANDS_SYNCED, digest)
        log.info("registered %d slash commands", len(payloads))

    # ---- interactions ----
    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await self._command(interaction)
        elif interaction.type is discord.InteractionType.autocomplete:
            await self._autocomplete(interaction)
        elif interaction.type is discord.InteractionType.component:
            await self._component(interaction)

    async def _callback(self, interaction: discord.Interaction, payload: dict[str, Any]) -> None:
        route = Route("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
                      interaction_id=interaction.id, interaction_token=interaction.token)
        await self.client.http.request(route, json=payload)

    async def _command(self, interaction: discord.Interaction) -> None:
        await self._callback(interaction, {"type": DEFERRED_ANSWER})  # first: Discord's 3 s run from here
        data: dict[str, Any] = dict(interaction.data or {})
        name = str(data.get("name", ""))
        options = {str(o.get("name")): o.get("value") for o in data.get("options") or [] if isinstance(o, dict)}
        place = await self.placement(interaction)
        if place is None:
            await edit_original(self.client, str(interaction.application_id), interaction.token,
                                {"content": "I play in the game channel (and its threads) and in DMs."})
            return
        message_id = f"i{interaction.id}"
        channel_id, dm_user_id = place
        record = {"application_id": str(interaction.application_id), "token": interaction.token,
                  "message_id": message_id, "channel": keys.channel_key(channel_id, dm_user_id)}
        await self.redis.set(keys.interaction(message_id), json.dumps(record), ex=INTERACTION_TTL_S)
        text = " ".join(str(v) for k, v in options.items() if k != "file" and v is not None)
        content = f"!{name} {text}".strip()
        user = interaction.user
        incoming = IncomingMessage(
            message_id=message_id, author_id=user.id, author_name=user.display_name, content=content,
            channel_id=channel_id, dm_user_id=dm_user_id, is_bot=user.bot,
            attachments=await self._attachment(data, options.get("file")) if reads_attachments(content) else [])
        await self.intake.receive(incoming)

    async def _attachment(self, data: dict[str, Any], attachment_id: Any) -> list[dict[str, Any]]:
        resolved = ((data.get("resolved") or {}).get("attachments") or {}).get(str(attachment_id))
        if not resolved:
            return []
        attachment = discord.Attachment(data=resolved, state=self.client._connection)
        content = None
        if attachment.size <= ATTACHMENT_MAX_BYTES:
            try:
                content = await attachment.read()
            except discord.HTTPException:
                log.warning("could not download attachment %s", attachment.id)
        return [attachment_entry(attachment.filename, attachment.size, attachment.content_type, content)]

    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        focused = next((o for o in data.get("options") or [] if isinstance(o, dict) and o.get("focused")), {})
        request_id = str(interaction.id)
        query = {"author_id": interaction.user.id, "command": data.get("name", ""),
                 "typed": str(focused.get("value", ""))[:100]}
        await asyncio.to_thread(self.sender.send, AUTOCOMPLETE_TASK, request_id, query)
        answer = await self.redis.blpop([keys.autocomplete_answer(request_id)], timeout=AUTOCOMPLETE_WAIT_S)
        names = json.loads(answer[1]) if answer else []  # a busy worker: no choices rather than a late answer
        await self._callback(interaction, {"type": AUTOCOMPLETE_RESULT,
                                           "data": {"choices": [{"name": n, "value": n} for n in names]}})

    async def _component(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        await self._callback(interaction, {"type": DEFERRED_UPDATE})
        if custom_id == CHOOSE and interaction.guild_id is None:
            values = [str(v) for v in data.get("values") or []][:MAX_MENU_OPTIONS]
            if values:  # answered in the DM, exactly as if typed there (several picks: separated by commas)
                user = interaction.user
                await self.intake.receive(IncomingMessage(
                    message_id=f"i{interaction.id}", author_id=user.id, author_name=user.display_name,
                    content=", ".join(values), dm_user_id=user.id, is_bot=user.bot))
            return
        if not custom_id.startswith(REACT_PREFIX) or interaction.message is None:
            return
        event = await self.reaction_event(interaction.message.id, interaction.user.id, custom_id[len(REACT_PREFIX):])
        if event is not None:
            await asyncio.to_thread(self.sender.send, REACTION_TASK, event)


async def edit_original(client: discord.Client, application_id: str, token: str,
                        payload: dict[str, Any]) -> dict[str, Any]:
    """Edit an interaction's deferred answer (the message Discord shows as "is thinking…")."""
    route = Route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                  webhook_id=application_id, webhook_token=token)
    return await client.http.request(route, json=payload)  # type: ignore[no-any-return]


async def follow_up(client: discord.Client, application_id: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A further message answering an interaction."""
    route = Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=application_id, webhook_token=token)
    return await client.http.request(route, json=payload, params={"wait": "true"})  # type: ignore[no-any-return]
