"""`!switch_model`: restart the vLLM program with another model and wait until it answers."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import redis

import keys
from db.outbox import Reply, reply_target
from settings import Settings
from tasks.publish import send_reply
from workers import supervisor

HEALTH_TIMEOUT_S = 840


def healthy(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"http://{settings.vllm_host}:{settings.vllm_port}/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def switch(settings: Settings, model: str, client: redis.Redis) -> str:
    previous = client.get(keys.model_override()) or settings.local_model_name
    client.set(keys.model_override(), model)
    supervisor.restart(settings, "vllm")
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if healthy(settings):
            return f"✅ The model server is up with `{model}`."
        time.sleep(2)
    client.set(keys.model_override(), previous)
    supervisor.restart(settings, "vllm")
    return f"❌ `{model}` did not become healthy in {HEALTH_TIMEOUT_S // 60} minutes; going back to `{previous}`."


def tell(event: dict[str, Any], text: str) -> None:
    send_reply(f"switch:{event['message_id']}",
               Reply(content=text, reply_to=event.get("message_id"), **reply_target(event)))
