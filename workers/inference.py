"""The GPU worker's side of a turn: narration requests in, validated narrations out.

One fallback chain per worker process (its circuit breakers remember provider health between batches);
every batch is sent to the model concurrently so vLLM's continuous batching serves all channels at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from settings import get_settings
from workers.llm.chain import ChainResult, FallbackChain, build_default_chain
from workers.llm.prompts import build_summary_request, build_turn_request

log = logging.getLogger(__name__)

_chain: FallbackChain | None = None


def _reset_after_fork() -> None:
    global _chain
    _chain = None


os.register_at_fork(after_in_child=_reset_after_fork)


def chain_settings() -> dict[str, str]:
    """The chain reads env-like settings; the local server is tried only when a model is configured."""
    settings = get_settings()
    values = dict(os.environ)
    values.update(VLLM_HOST=settings.vllm_host, VLLM_PORT=str(settings.vllm_port),
                  LOCAL_MODEL_NAME=settings.local_model_name, GEMINI_API_KEY=settings.gemini_api_key,
                  XAI_API_KEY=settings.xai_api_key)
    if "LLM_LOCAL_ENABLED" not in os.environ:
        values["LLM_LOCAL_ENABLED"] = "1" if settings.vllm_configured else "0"
    return values


def get_chain() -> FallbackChain:
    global _chain
    if _chain is None:
        _chain = build_default_chain(chain_settings())
    return _chain


def primary_provider() -> str:
    """The provider a healthy system answers with; anything else is a fallback worth telling players about."""
    names = [provider.name for provider in get_chain().providers]
    return names[0]


def result_payload(result: ChainResult) -> dict[str, Any]:
    output = result.output
    return {
        "narration": output.narration,
        "updates": [update.model_dump(mode="json") for update in output.updates],
        "dropped": [{"raw": dropped.raw, "reason": dropped.reason} for dropped in output.dropped],
        "provider": result.provider,
        "model": result.model,
        "fallback_used": result.fallback_used,
        "latency_ms": round(result.latency_ms, 1),
        "completion_tokens": result.completion_tokens,
        "prompt_tokens": result.prompt_tokens,
        "answer": answer_kind(result),
    }


def answer_kind(result: ChainResult) -> str:
    """How the answering provider's output was used: valid first time, after the repair retry, partly
    (updates dropped), or its narration alone (salvaged from broken JSON)."""
    if result.narration_only:
        return "narration_only"
    if result.repaired:
        return "repaired"
    return "valid" if result.output.clean else "partial"


def generate_narrations(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per request, in order."""
    settings = get_settings()
    chain = get_chain()
    # Each attempt may take LLM_TIMEOUT_S (a CPU model needs more than the default 30 s).
    timeout_s = chain.request_timeout_s or 30.0
    # A session's summary (its payload has "summary") rides in the same batch as the turns.
    generation_requests = [
        build_summary_request(request["summary"], f"summary:{request['summary']['entry_id']}",
                              max_model_len=settings.max_model_len, timeout_s=timeout_s) if "summary" in request
        else build_turn_request(request["context"], request_id=request["turn_id"],
                                max_model_len=settings.max_model_len, timeout_s=timeout_s)
        for request in requests
    ]
    results = asyncio.run(chain.generate_batch(generation_requests))
    return [result_payload(result) for result in results]


def chain_status() -> dict[str, Any]:
    return get_chain().status()


def set_force_api(enabled: bool) -> None:
    get_chain().set_force_api(enabled)
