"""Model operations: `!model_status`, `!fallback_api` (owner), `!switch_model` (owner)."""

from __future__ import annotations

import json
from typing import Any

from db import bot_state
from keys import SWITCH_MODEL_TASK, force_api, provider_state
from tasks.handlers.registry import CommandContext, CommandError, command
from tasks.monitoring import queue_depths
from tasks.redis_client import get_redis
from workers.gpu import gpu_memory

MAX_MODEL_NAME_CHARS = 200


def provider_lines(status: dict[str, Any]) -> list[str]:
    lines = []
    for provider in status.get("providers", []):
        breaker = provider.get("breaker", {})
        state = breaker.get("state", "?")
        icon = {"closed": "🟢", "half_open": "🟡", "open": "🔴"}.get(state, "⚪")
        p50 = breaker.get("p50_latency_ms")
        tps = breaker.get("tokens_per_s")
        details = [state]
        if p50 is not None:
            details.append(f"p50 {p50:.0f} ms")
        if tps:
            details.append(f"{tps:.0f} tok/s")
        structured = provider.get("structured_output") or {}
        if structured:
            details.append(f"structured output {structured.get('dialect') or 'not probed yet'}"
                           + (f" ({structured['mode']})" if structured.get("mode") == "auto" else ""))
        if breaker.get("last_error"):
            details.append(f"last error: {str(breaker['last_error'])[:80]}")
        lines.append(f"{icon} **{provider['name']}** " + (f"`{provider['model']}` " if provider.get("model") else "")
                     + "— " + ", ".join(details))
    return lines


@command("model_status", "!model_status", "Model providers' health, latency, queue depth and GPU memory.",
         category="System")
def model_status(ctx: CommandContext) -> None:
    client = get_redis()
    raw = client.get(provider_state())
    status = json.loads(raw) if raw else {}
    providers = provider_lines(status) or ["No turn has been narrated since the GPU worker started."]
    forced = client.get(force_api()) == "1"
    gpus = gpu_memory()
    gpu_text = "\n".join(f"GPU {g['index']} {g['name']}: {g['used_mib']:,}/{g['total_mib']:,} MiB" for g in gpus)
    fields = [
        {"name": "Providers (in fallback order)", "value": "\n".join(providers)},
        {"name": "Forced API fallback", "value": "on" if forced else "off", "inline": True},
        {"name": "Turns waiting for the model", "value": str(queue_depths(client)["inference"]), "inline": True},
        {"name": "GPU memory", "value": gpu_text or "no GPU visible to this worker", "inline": False},
    ]
    ctx.reply("Model status", embeds=[{"title": "Model status", "fields": fields}])


@command("fallback_api", "!fallback_api [off]", "Answer through the API fallbacks instead of the local model.",
         owner_only=True, category="System")
def fallback_api(ctx: CommandContext) -> None:
    argument = ctx.args.strip().lower()
    if argument not in ("", "on", "off"):
        raise CommandError("Usage: `!fallback_api` to force the API path, `!fallback_api off` to go back.")
    enabled = argument != "off"
    stored = bot_state.get_value(ctx.session, bot_state.FORCE_API_KEY)
    before = stored if stored is not None else {"enabled": False}
    bot_state.set_value(ctx.session, bot_state.FORCE_API_KEY, {"enabled": enabled})
    ctx.audit("model", before, {"enabled": enabled})
    # The GPU worker reads this before every batch.
    ctx.after_commit.append(lambda: get_redis().set(force_api(), "1" if enabled else "0"))
    ctx.reply("The Dungeon Master now speaks through the API fallbacks (the local model is skipped) until "
              "`!fallback_api off`." if enabled else "Back to the local model first; API fallbacks only on failure.")


@command("switch_model", "!switch_model <model>", "Restart the local model server with another model.",
         owner_only=True, category="System")
def switch_model(ctx: CommandContext) -> None:
    model = ctx.args.strip()
    if not model or len(model) > MAX_MODEL_NAME_CHARS or any(c.isspace() for c in model):
        raise CommandError("Usage: `!switch_model <model name or path>` (no spaces).")
    if not ctx.settings.vllm_configured or not gpu_memory():
        raise CommandError("No local model server is managed on this machine (no GPU or no LOCAL_MODEL_NAME), so "
                           "there is nothing to switch. The fallback chain keeps answering.")
    ctx.audit("model", {"model": ctx.settings.local_model_name}, {"model": model})
    ctx.follow_ups.append((SWITCH_MODEL_TASK, (ctx.event, model)))
    ctx.reply(f"Restarting the model server with `{model}`… I'll report when it is healthy.")
