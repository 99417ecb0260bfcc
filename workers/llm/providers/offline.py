"""The offline narrator: deterministic templates over the game state, so the system always answers."""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Mapping
from typing import Any

from dnd.stated_actions import Clarification, StatedAction, parse_actions
from workers.llm.providers import offline_phrases as phrases
from workers.llm.providers.base import GenerationRequest, GenerationResult, ProviderHealth, elapsed_ms
from workers.llm.schema import ModelOutput, truncate_at_sentence


class OfflineNarrator:
    """Deterministic templates over the game state, so the system always answers (no model, < 1 ms).

    Varied but reproducible: the template choices are seeded by the request id. Mechanical actions in the
    players' messages are read by the rule-based parser of `dnd.stated_actions`, to describe them.
    """

    is_local = False
    always_available = True

    def __init__(self, name: str = "offline") -> None:
        self.name = name
        self.model = "templates-v1"

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        text = self.narrate(request.request_id, request.context)
        return GenerationResult(
            text=text,
            provider=self.name,
            model=self.model,
            latency_ms=elapsed_ms(started),
            finish_reason="stop",
        )

    async def health(self) -> ProviderHealth:
        return ProviderHealth(
            provider=self.name, ok=True, detail="always available", latency_ms=0.0, model=self.model
        )

    def narrate(self, request_id: str, context: Mapping[str, Any]) -> str:
        """The answer as JSON text of the output schema."""
        seed = int.from_bytes(hashlib.blake2b(request_id.encode("utf-8"), digest_size=8).digest(), "big")
        rng = random.Random(seed)
        names = _character_names(context)
        lines: list[str] = []

        place = _place_name(context)
        opening = rng.choice(phrases.OPENINGS_AT).format(place=place) if place else rng.choice(phrases.OPENINGS_NOWHERE)
        lines.append(opening)
        lines[0] = lines[0][0].upper() + lines[0][1:]

        # It describes the actions it reads but proposes none: turns.prepare already ran them through the same
        # rule-based parser, so a proposal could only be dropped ("already resolved") and clutter the audit log.
        targets = [str(t) for t in context.get("targets") or ()]
        for message in _as_list(context.get("player_messages"))[:12]:
            if not isinstance(message, Mapping):
                continue
            text = str(message.get("text") or "")
            player_id = message.get("player_id")
            name = names.get(player_id) if isinstance(player_id, int) else None
            name = _neutralize(name or str(message.get("author") or "Someone"))
            parsed: list[StatedAction | Clarification] = []
            if isinstance(player_id, int) and player_id >= 0:
                inventory = _inventory_of(context, player_id)
                parsed = parse_actions(text, player_id, {"targets": targets, "inventory": inventory})
            described = [
                self._describe_action(rng, name, u) for u in parsed if isinstance(u, StatedAction)
            ]
            if described:
                lines.append(" ".join(described))
            elif text.strip():
                lines.append(rng.choice(phrases.SPEECH_LINES).format(name=name, excerpt=_excerpt(text)))

        results = [_result_text(r) for r in _as_list(context.get("mechanical_results"))]
        results = [r for r in results if r]
        if results:
            lines.append(f"{rng.choice(phrases.RESULT_LEADS)} {' '.join(results[:6])}")

        passages = [p for p in _as_list(context.get("passages")) if isinstance(p, Mapping) and p.get("text")]
        if passages:
            lines.append(f"{rng.choice(phrases.LORE_LEADS)} {_first_sentence(str(passages[0]['text']))}")

        hook = context.get("plot_hook")
        if isinstance(hook, Mapping):
            hook = hook.get("text") or hook.get("summary")
        if isinstance(hook, str) and hook.strip():
            hook_text = _first_sentence(hook.strip(), limit=300)
            lines.append(rng.choice(phrases.HOOK_LEADS) + hook_text[0].lower() + hook_text[1:])

        lines.append(rng.choice(phrases.CLOSINGS))
        narration = truncate_at_sentence(" ".join(lines), 4000)
        # Validate before answering: the offline narrator's output must always be schema-valid.
        output = ModelOutput.model_validate({"narration": narration, "updates": []})
        return output.model_dump_json(exclude_none=True)

    @staticmethod
    def _describe_action(rng: random.Random, name: str, update: StatedAction) -> str:
        template = rng.choice(phrases.ACTION_LINES.get(update.kind, ("{name} acts.",)))
        quantity = f"{update.quantity} " if update.quantity and update.quantity > 1 else ""
        return template.format(
            name=name,
            target=_with_article(update.target or "foe"),
            with_item=f" with their {_neutralize(update.item)}" if update.item else "",
            spell=_neutralize(update.spell or "a spell"),
            at_target=f" at {_with_article(update.target)}" if update.target else "",
            item=_neutralize(update.item or "something"),
            quantity=quantity,
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _character_names(context: Mapping[str, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for sheet in _as_list(context.get("characters")):
        if isinstance(sheet, Mapping) and isinstance(sheet.get("player_id"), int) and sheet.get("name"):
            names[sheet["player_id"]] = str(sheet["name"])[:60]
    return names


def _inventory_of(context: Mapping[str, Any], player_id: int) -> list[str]:
    for sheet in _as_list(context.get("characters")):
        if isinstance(sheet, Mapping) and sheet.get("player_id") == player_id:
            items = sheet.get("inventory") or []
            return [str(i.get("name") if isinstance(i, Mapping) else i) for i in items][:100]
    return []


def _place_name(context: Mapping[str, Any]) -> str | None:
    location = context.get("location")
    if isinstance(location, Mapping):
        location = location.get("name")
    if not location:
        plot = context.get("plot")
        if isinstance(plot, Mapping):
            location = plot.get("current_scene")
    if not isinstance(location, str) or not location.strip():
        return None
    return _with_article(location.strip()[:80])


def _with_article(noun: str) -> str:
    # "goblin" -> "the goblin"; proper names ("Bram", "the Yawning Portal") stay as they are.
    noun = _neutralize(noun)
    if noun[:1].isupper() or noun.lower().startswith(("the ", "a ", "an ")):
        return noun
    return f"the {noun}"


def _neutralize(text: str) -> str:
    # Echoed text must not ping anyone on Discord.
    return text.replace("@", "@\u200b")


def _excerpt(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    flat = flat.replace("“", "'").replace("”", "'")
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _neutralize(flat)


def _first_sentence(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    match = re.search(r"^(.{20,}?[.!?])(?:\s|$)", flat)
    sentence = match.group(1) if match else flat
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rstrip() + "…"
    return _neutralize(sentence)


def _result_text(result: Any) -> str:
    if isinstance(result, str):
        text = result
    elif isinstance(result, Mapping):
        text = str(result.get("text") or result.get("summary") or "")
        if not text:
            text = ", ".join(f"{k}: {v}" for k, v in list(result.items())[:6])
    else:
        text = str(result)
    text = " ".join(text.split())[:300]
    if text and text[-1] not in ".!?":
        text += "."
    return _neutralize(text)
