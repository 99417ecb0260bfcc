"""Queues `turns` (CPU: prepare, apply) and `inference` (GPU: generate, in batches)."""

from __future__ import annotations

import os
from typing import Any

from celery_batches import SimpleRequest

import keys
from tasks import questions, session_summary, turn_claim, turn_flow
from tasks.app import app
from tasks.base import DndTask
from tasks.batching import ModelBatches
from tasks.follow_ups import send_follow_ups
from tasks.redis_client import get_redis
from workers.inference import chain_status, generate_narrations, primary_provider, set_force_api
from workers.llm.providers.offline import OFFLINE_PROVIDER


@app.task(name=keys.PREPARE_TURN_TASK, base=DndTask, bind=True)
def prepare(self: DndTask, channel: str, resume_turn_id: str = "") -> None:
    request = turn_flow.prepare(channel, self.request.id or "", resume_turn_id)
    if request is not None:
        app.send_task(keys.GENERATE_TURN_TASK, args=[request])


# GPU_BATCH_MAX=1 turns the worker into a one-request-at-a-time worker (the benchmark's baseline).
@app.task(name=keys.GENERATE_TURN_TASK, base=ModelBatches, flush_every=int(os.environ.get("GPU_BATCH_MAX", "64")),
          flush_interval=0.02, acks_late=True)
def generate(requests: list[SimpleRequest]) -> None:
    """All the requests waiting on the queue go to the model at once (vLLM batches them)."""
    payloads = [request.args[0] for request in requests]
    set_force_api(get_redis().get(keys.force_api()) == "1")
    results = generate_narrations(payloads)
    turn_flow.publish_provider_status(chain_status())
    primary = primary_provider()
    for payload, result in zip(payloads, results, strict=True):
        if "summary" in payload:  # a session's summary: the offline narrator's is no summary (the record's stays)
            if result["provider"] != OFFLINE_PROVIDER:
                app.send_task(keys.STORE_SUMMARY_TASK, args=[payload, result])
            continue
        notice = turn_flow.fallback_notice(payload["channel"], result["provider"], primary)
        if notice:
            result["notice"] = notice
        turn_claim.mark_stage(payload["channel"], payload["turn_id"], "apply")
        app.send_task(keys.APPLY_TURN_TASK, args=[payload, result])


@app.task(name=keys.APPLY_TURN_TASK, base=DndTask)
def apply(request: dict[str, Any], result: dict[str, Any]) -> None:
    applied = turn_flow.apply(request, result)
    send_follow_ups(applied.follow_ups)
    if applied.waiting > 0:
        app.send_task(keys.PREPARE_TURN_TASK, args=[request["channel"]])


@app.task(name=keys.STORE_SUMMARY_TASK, base=DndTask)
def store_summary(request: dict[str, Any], result: dict[str, Any]) -> None:
    """A session's summary as the model wrote it, checked and stored once (or the record's summary stays)."""
    session_summary.store(request, result)


@app.task(name=keys.QUESTION_TASK, base=DndTask)
def question(event: dict[str, Any]) -> None:
    """A message sent during a combat by someone whose turn it isn't: answered, never acted on."""
    questions.answer_question(event)
