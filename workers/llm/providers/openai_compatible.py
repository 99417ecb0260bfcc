"""A local model server speaking the OpenAI chat API: vLLM, llama.cpp, Ollama."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import aiohttp

from workers.llm.providers.base import (
    DEFAULT_MAX_CONNECTIONS,
    SCHEMA_NAME,
    FailureKind,
    GenerationRequest,
    GenerationResult,
    PerLoop,
    ProviderError,
    ProviderHealth,
    chat_messages,
    classify_http_error,
    elapsed_ms,
)


class OpenAICompatibleProvider:
    """A server speaking the OpenAI chat API: vLLM at `http://{VLLM_HOST}:{VLLM_PORT}/v1`, llama.cpp, Ollama.

    Plain aiohttp (one pooled session per loop) rather than the `openai` client: fewer layers per request
    for the hot path, the raw error body for OOM detection, and vLLM's `/health` outside `/v1`.
    Structured output is requested both as `response_format` json_schema (vLLM ≥ 0.5, llama.cpp, Ollama)
    and as vLLM's older `guided_json` extra field (removed in vLLM 0.12, where it is ignored).
    """

    is_local = True

    def __init__(
        self,
        base_url: str,
        model: str = "",
        *,
        name: str = "vllm",
        api_key: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        send_guided_json: bool = True,
        health_completion: bool = False,
        connect_timeout_s: float = 5.0,
        is_local: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.root_url = re.sub(r"/v1$", "", self.base_url)
        self.is_local = is_local
        self.send_guided_json = send_guided_json
        self.health_completion = health_completion
        self._api_key = api_key
        self._max_connections = max_connections
        self._connect_timeout_s = connect_timeout_s
        self._sessions: PerLoop[aiohttp.ClientSession] = PerLoop(self._new_session, self._close_session)

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=self._max_connections,
            keepalive_timeout=30.0,
            ttl_dns_cache=300,
        )
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else None
        return aiohttp.ClientSession(
            connector=connector,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout_s),
            raise_for_status=False,
        )

    @staticmethod
    async def _close_session(session: aiohttp.ClientSession) -> None:
        await session.close()

    async def aclose(self) -> None:
        await self._sessions.aclose()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        model = self.model or await self._discover_model(request.timeout_s)
        body: dict[str, Any] = {
            "model": model,
            "messages": chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": request.json_schema},
            }
            if self.send_guided_json:
                body["guided_json"] = request.json_schema
        url = f"{self.base_url}/chat/completions"
        status, payload = await self._request_json("POST", url, request.timeout_s, body)
        if status == 404 and _model_not_found(payload):
            # The server was restarted with another model (`!switch_model`): ask it which, retry once.
            body["model"] = model = await self._discover_model(request.timeout_s)
            remaining = request.timeout_s - (time.perf_counter() - started)
            status, payload = await self._request_json("POST", url, max(remaining, 0.1), body)
        if status != 200:
            raise self._http_error(status, payload)
        text, finish_reason = _completion_text(self.name, payload)
        usage = payload.get("usage") or {}
        return GenerationResult(
            text=text,
            provider=self.name,
            model=str(payload.get("model") or model),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            latency_ms=elapsed_ms(started),
            finish_reason=finish_reason,
        )

    async def health(self) -> ProviderHealth:
        started = time.perf_counter()
        try:
            status, _ = await self._request_json("GET", f"{self.root_url}/health", 5.0)
            if status == 404:  # llama.cpp / Ollama without vLLM's /health
                status, _ = await self._request_json("GET", f"{self.base_url}/models", 5.0)
            if status != 200:
                return ProviderHealth(
                    provider=self.name, ok=False, detail=f"HTTP {status}", latency_ms=elapsed_ms(started)
                )
            model = self.model or await self._discover_model(5.0)
            if self.health_completion:
                probe = GenerationRequest(
                    request_id="health-probe",
                    messages=[{"role": "user", "content": "Say OK."}],
                    max_tokens=1,
                    temperature=0.0,
                    timeout_s=15.0,
                )
                await self.generate(probe)
            return ProviderHealth(
                provider=self.name, ok=True, detail="ready", latency_ms=elapsed_ms(started), model=model
            )
        except ProviderError as exc:
            return ProviderHealth(
                provider=self.name,
                ok=False,
                detail=f"{exc.kind.value}: {exc.message}",
                latency_ms=elapsed_ms(started),
            )

    async def list_models(self, timeout_s: float = 5.0) -> list[str]:
        status, payload = await self._request_json("GET", f"{self.base_url}/models", timeout_s)
        if status != 200:
            raise self._http_error(status, payload)
        return [str(entry.get("id")) for entry in payload.get("data") or [] if isinstance(entry, dict)]

    async def _discover_model(self, timeout_s: float) -> str:
        # vLLM serves exactly one model; llama.cpp ignores the name. Ask once when none is configured.
        models = await self.list_models(min(timeout_s, 5.0))
        if not models:
            raise ProviderError(self.name, FailureKind.INVALID_RESPONSE, "the server lists no models")
        self.model = models[0]
        return self.model

    async def _request_json(
        self, method: str, url: str, timeout_s: float, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        session = self._sessions.get()
        try:
            connect_s = min(self._connect_timeout_s, timeout_s)
            timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_s)
            async with session.request(method, url, json=body, timeout=timeout) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError as exc:  # aiohttp raises asyncio.TimeoutError (== TimeoutError on 3.11)
            raise ProviderError(self.name, FailureKind.TIMEOUT, f"no answer within {timeout_s:.1f}s") from exc
        except aiohttp.ClientError as exc:
            raise ProviderError(self.name, FailureKind.CONNECTION, f"{type(exc).__name__}: {exc}") from exc
        if not raw:
            return status, {}
        try:
            return status, json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return status, {"_raw": raw[:2000].decode("utf-8", "replace")}

    def _http_error(self, status: int, payload: Any) -> ProviderError:
        body = json.dumps(payload)[:2000] if not isinstance(payload, str) else payload[:2000]
        return ProviderError(
            self.name, classify_http_error(status, body), f"HTTP {status}: {body[:300]}", status
        )


def _model_not_found(payload: Any) -> bool:
    text = json.dumps(payload).lower() if not isinstance(payload, str) else payload.lower()
    return "model" in text and ("does not exist" in text or "not found" in text)


def _completion_text(provider: str, payload: Any) -> tuple[str, str | None]:
    try:
        choice = payload["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ProviderError(provider, FailureKind.INVALID_RESPONSE, "no choices[0].message.content") from exc
    if not isinstance(content, str):
        raise ProviderError(provider, FailureKind.INVALID_RESPONSE, "empty message content")
    return content, choice.get("finish_reason")
