"""Model providers behind one interface: local OpenAI-compatible (vLLM, llama.cpp, Ollama), Gemini, xAI, and
the offline narrator that always answers.

Every provider turns a `GenerationRequest` into a `GenerationResult` (raw text; validation is the chain's
job) or raises `ProviderError` with a `FailureKind`, so the circuit breakers can tell a timeout from an
out-of-memory GPU from a prompt that is simply too long for this model.

HTTP clients are bound to the event loop that created them (aiohttp sessions, httpx2 pools), so each
provider keeps one client per running loop (`_PerLoop`): one pooled client in a long-lived worker loop, and
no cross-loop errors when a caller uses `asyncio.run` per batch. Call `aclose()` before a loop ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import aiohttp
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from dnd.stated_actions import Clarification, StatedAction, parse_actions
from workers.llm.schema import ModelOutput, adapt_schema, json_schema, truncate_at_sentence

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS = 128  # ≥ 64 concurrent requests from generate_batch, with headroom for health checks
SCHEMA_NAME = "dm_turn"


# --- request / result types ------------------------------------------------------------------------------


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class GenerationRequest(BaseModel):
    """One turn to generate. JSON-serializable, so it can travel on the Celery `inference` queue."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=200)
    system: str = ""
    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None = None
    max_tokens: int = Field(default=600, ge=1, le=32_768)
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    timeout_s: float = Field(default=30.0, gt=0.0, le=600.0)
    # Game state for the offline narrator (scene, player messages, characters, passages, hook, results).
    context: dict[str, Any] = Field(default_factory=dict)


class GenerationResult(BaseModel):
    text: str
    provider: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float
    finish_reason: str | None = None


class ProviderHealth(BaseModel):
    provider: str
    ok: bool
    detail: str = ""
    latency_ms: float | None = None
    model: str | None = None


class FailureKind(StrEnum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    OOM = "oom"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    PROMPT_TOO_LONG = "prompt_too_long"  # the request's fault, not the provider's: no breaker penalty
    BAD_REQUEST = "bad_request"
    SERVER_ERROR = "server_error"
    INVALID_RESPONSE = "invalid_response"
    INVALID_OUTPUT = "invalid_output"  # the model answered, but not with usable JSON (set by the chain)


class ProviderError(Exception):
    def __init__(self, provider: str, kind: FailureKind, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {kind.value}: {message}")
        self.provider = provider
        self.kind = kind
        self.message = message
        self.status = status


@runtime_checkable
class Provider(Protocol):
    name: str

    async def generate(self, request: GenerationRequest) -> GenerationResult: ...

    async def health(self) -> ProviderHealth: ...


_OOM_RE = re.compile(r"out of memory|outofmemoryerror|cuda error: out of memory|\boom\b", re.IGNORECASE)
_TOO_LONG_RE = re.compile(
    r"maximum context length|context length|too many tokens|prompt is too long|exceeds the (?:model|maximum)|"
    r"input token count",
    re.IGNORECASE,
)


def classify_http_error(status: int, body: str) -> FailureKind:
    """A failure kind from an HTTP status and error body (OOM is recognised from the text, any status)."""
    if _OOM_RE.search(body):
        return FailureKind.OOM
    if status in (400, 413, 422) and _TOO_LONG_RE.search(body):
        return FailureKind.PROMPT_TOO_LONG
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status in (401, 403):
        return FailureKind.AUTH
    if status in (408, 504):
        return FailureKind.TIMEOUT
    if 400 <= status < 500:
        return FailureKind.BAD_REQUEST
    return FailureKind.SERVER_ERROR


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


def _chat_messages(request: GenerationRequest) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.extend({"role": m["role"], "content": m["content"]} for m in request.messages)
    return messages


T = TypeVar("T")


class _PerLoop(Generic[T]):
    """One client per running event loop, created on first use in that loop."""

    def __init__(self, factory: Callable[[], T], closer: Callable[[T], Awaitable[None]]) -> None:
        self._factory = factory
        self._closer = closer
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        client = self._by_loop.get(loop)
        if client is None:
            client = self._factory()
            self._by_loop[loop] = client
        return client

    def reset_current(self) -> None:
        self._by_loop.pop(asyncio.get_running_loop(), None)

    async def aclose(self) -> None:
        """Close this loop's client; clients of other loops are dropped (their loops own their sockets)."""
        loop = asyncio.get_running_loop()
        client = self._by_loop.pop(loop, None)
        if client is not None:
            await self._closer(client)


# --- local: OpenAI-compatible (vLLM / llama.cpp / Ollama) -------------------------------------------------


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
        self._sessions: _PerLoop[aiohttp.ClientSession] = _PerLoop(self._new_session, self._close_session)

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
            "messages": _chat_messages(request),
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
            latency_ms=_elapsed_ms(started),
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
                    provider=self.name, ok=False, detail=f"HTTP {status}", latency_ms=_elapsed_ms(started)
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
                provider=self.name, ok=True, detail="ready", latency_ms=_elapsed_ms(started), model=model
            )
        except ProviderError as exc:
            return ProviderHealth(
                provider=self.name,
                ok=False,
                detail=f"{exc.kind.value}: {exc.message}",
                latency_ms=_elapsed_ms(started),
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


# --- xAI (openai client) ---------------------------------------------------------------------------------


class XAIProvider:
    """xAI's Grok through the `openai` client (an OpenAI-compatible API at https://api.x.ai/v1)."""

    is_local = False

    def __init__(
        self,
        api_key: str,
        model: str = "grok-3-mini",
        *,
        base_url: str = "https://api.x.ai/v1",
        name: str = "xai",
        client: Any = None,
    ) -> None:
        self.name = name
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self._injected_client = client
        self._clients: _PerLoop[Any] = _PerLoop(self._new_client, self._close_client)

    def _new_client(self) -> Any:
        from openai import AsyncOpenAI

        # No SDK retries: the chain's breaker and fallback decide what happens after a failure.
        return AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=60.0)

    @staticmethod
    async def _close_client(client: Any) -> None:
        await client.close()

    def _client(self) -> Any:
        return self._injected_client if self._injected_client is not None else self._clients.get()

    async def aclose(self) -> None:
        if self._injected_client is None:
            await self._clients.aclose()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        import openai

        started = time.perf_counter()
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": _chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "timeout": request.timeout_s,
        }
        if request.json_schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": request.json_schema},
            }
        try:
            completion = await self._client().chat.completions.create(**kwargs)
        except openai.APITimeoutError as exc:
            raise ProviderError(self.name, FailureKind.TIMEOUT, str(exc)) from exc
        except openai.APIConnectionError as exc:
            raise ProviderError(self.name, FailureKind.CONNECTION, str(exc)) from exc
        except openai.APIStatusError as exc:
            body = json.dumps(exc.body) if exc.body is not None else str(exc)
            kind = classify_http_error(exc.status_code, f"{exc.message} {body}")
            raise ProviderError(
                self.name, kind, f"HTTP {exc.status_code}: {exc.message}", exc.status_code
            ) from exc
        except openai.OpenAIError as exc:
            raise ProviderError(self.name, FailureKind.INVALID_RESPONSE, str(exc)) from exc
        try:
            choice = completion.choices[0]
            text = choice.message.content
        except (AttributeError, IndexError) as exc:
            raise ProviderError(
                self.name, FailureKind.INVALID_RESPONSE, "no choices in the completion"
            ) from exc
        if not isinstance(text, str) or not text:
            raise ProviderError(self.name, FailureKind.INVALID_RESPONSE, "empty message content")
        usage = getattr(completion, "usage", None)
        return GenerationResult(
            text=text,
            provider=self.name,
            model=str(getattr(completion, "model", None) or self.model),
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            latency_ms=_elapsed_ms(started),
            finish_reason=getattr(choice, "finish_reason", None),
        )

    async def health(self) -> ProviderHealth:
        started = time.perf_counter()
        try:
            await self._client().models.retrieve(self.model, timeout=10.0)
        except Exception as exc:
            return ProviderHealth(
                provider=self.name,
                ok=False,
                detail=f"{type(exc).__name__}: {exc}"[:300],
                latency_ms=_elapsed_ms(started),
            )
        return ProviderHealth(
            provider=self.name, ok=True, detail="ready", latency_ms=_elapsed_ms(started), model=self.model
        )


# --- Gemini (google-genai) -------------------------------------------------------------------------------


class GeminiProvider:
    """Gemini through `google-genai` (`client.aio.models.generate_content`), JSON mode with a JSON schema.

    The schema goes in `response_json_schema` (google-genai ≥ 1.x: plain JSON Schema, `$defs`/`anyOf`
    supported) rather than `response_schema`, which takes Gemini's OpenAPI-subset `Schema`.
    """

    is_local = False

    def __init__(
        self,
        api_key: str,
        model: str = "gemini-2.5-flash",
        *,
        name: str = "gemini",
        client: Any = None,
        thinking_budget: int | None = 0,
    ) -> None:
        self.name = name
        self.model = model
        self._api_key = api_key
        # Thinking tokens count against max_output_tokens; a DM turn needs none (flash models allow 0).
        self.thinking_budget = thinking_budget
        self._injected_client = client
        self._clients: _PerLoop[Any] = _PerLoop(self._new_client, self._close_client)

    def _new_client(self) -> Any:
        from google import genai

        return genai.Client(api_key=self._api_key)

    @staticmethod
    async def _close_client(client: Any) -> None:
        aclose = getattr(getattr(client, "aio", None), "aclose", None)
        if aclose is not None:
            await aclose()

    def _client(self) -> Any:
        return self._injected_client if self._injected_client is not None else self._clients.get()

    async def aclose(self) -> None:
        if self._injected_client is None:
            await self._clients.aclose()

    def build_config(self, request: GenerationRequest) -> Any:
        from google.genai import types

        system_parts = [request.system] if request.system else []
        system_parts += [m["content"] for m in request.messages if m["role"] == "system"]
        config: dict[str, Any] = {
            "system_instruction": "\n\n".join(system_parts) or None,
            "max_output_tokens": request.max_tokens,
            "temperature": request.temperature,
            "http_options": types.HttpOptions(
                timeout=int(request.timeout_s * 1000), retry_options=types.HttpRetryOptions(attempts=1)
            ),
        }
        if request.json_schema is not None:
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = adapt_schema(request.json_schema, "gemini")
        if self.thinking_budget is not None:
            config["thinking_config"] = types.ThinkingConfig(thinking_budget=self.thinking_budget)
        return types.GenerateContentConfig(**config)

    @staticmethod
    def build_contents(request: GenerationRequest) -> list[Any]:
        from google.genai import types

        return [
            types.Content(
                role="model" if m["role"] == "assistant" else "user", parts=[types.Part(text=m["content"])]
            )
            for m in request.messages
            if m["role"] != "system"
        ]

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        try:
            response = await self._client().aio.models.generate_content(
                model=self.model, contents=self.build_contents(request), config=self.build_config(request)
            )
        except Exception as exc:
            raise self._provider_error(exc) from exc
        text = getattr(response, "text", None)
        if not isinstance(text, str) or not text.strip():
            reason = _gemini_finish_reason(response)
            raise ProviderError(
                self.name, FailureKind.INVALID_RESPONSE, f"empty answer (finish_reason={reason})"
            )
        usage = getattr(response, "usage_metadata", None)
        return GenerationResult(
            text=text,
            provider=self.name,
            model=str(getattr(response, "model_version", None) or self.model),
            prompt_tokens=getattr(usage, "prompt_token_count", None),
            completion_tokens=getattr(usage, "candidates_token_count", None),
            latency_ms=_elapsed_ms(started),
            finish_reason=_gemini_finish_reason(response),
        )

    async def health(self) -> ProviderHealth:
        started = time.perf_counter()
        try:
            await self._client().aio.models.get(model=self.model)
        except Exception as exc:
            return ProviderHealth(
                provider=self.name,
                ok=False,
                detail=str(self._provider_error(exc))[:300],
                latency_ms=_elapsed_ms(started),
            )
        return ProviderHealth(
            provider=self.name, ok=True, detail="ready", latency_ms=_elapsed_ms(started), model=self.model
        )

    def _provider_error(self, exc: Exception) -> ProviderError:
        if isinstance(exc, ProviderError):
            return exc
        code = getattr(exc, "code", None)
        if isinstance(code, int):
            kind = classify_http_error(
                code, f"{getattr(exc, 'status', '')} {getattr(exc, 'message', '')} {exc}"
            )
            if getattr(exc, "status", None) == "DEADLINE_EXCEEDED":
                kind = FailureKind.TIMEOUT
            return ProviderError(self.name, kind, str(exc)[:300], code)
        name = type(exc).__name__
        if isinstance(exc, TimeoutError) or "Timeout" in name:
            return ProviderError(self.name, FailureKind.TIMEOUT, f"{name}: {exc}"[:300])
        if "Connect" in name or isinstance(exc, OSError):
            return ProviderError(self.name, FailureKind.CONNECTION, f"{name}: {exc}"[:300])
        return ProviderError(self.name, FailureKind.INVALID_RESPONSE, f"{name}: {exc}"[:300])


def _gemini_finish_reason(response: Any) -> str | None:
    try:
        reason = response.candidates[0].finish_reason
    except (AttributeError, IndexError, TypeError):
        return None
    return getattr(reason, "value", None) or (str(reason) if reason is not None else None)


# --- offline narrator ------------------------------------------------------------------------------------

_OPENINGS_AT = (
    "{place} falls quiet for a heartbeat, every sound sharp in the stillness.",
    "In {place}, the air is thick with anticipation.",
    "Shadows shift across {place} as the party weighs its next move.",
    "{place} seems to hold its breath.",
    "A draft stirs the dust of {place}, carrying distant, half-heard sounds.",
    "Torchlight and shadow trade places across {place}.",
)
_OPENINGS_NOWHERE = (
    "The world holds its breath.",
    "For a moment, everything is still.",
    "The tale moves on.",
    "Somewhere close, something waits to see what you will do.",
)
_SPEECH_LINES = (
    "{name}'s words hang in the air: “{excerpt}”",
    "“{excerpt}” — {name}'s voice carries further than expected.",
    "{name} speaks up: “{excerpt}”",
    "All eyes turn to {name}: “{excerpt}”",
)
_RESULT_LEADS = ("The dice have spoken:", "Fate decides:", "It comes down to this:", "The outcome is clear:")
_LORE_LEADS = ("You recall something:", "An old lesson surfaces:", "Lore whispers at the edge of memory:")
_HOOK_LEADS = ("Then, ", "Meanwhile, ", "Just then, ", "Before anyone can move, ")
_CLOSINGS = (
    "What do you do?",
    "What happens next is up to you.",
    "The next move is yours.",
    "How do you respond?",
)
_ACTION_LINES: dict[str, tuple[str, ...]] = {
    "attack": ("{name} lunges at {target}{with_item}.", "{name} strikes at {target}{with_item}."),
    "cast": ("{name} speaks the words of {spell}{at_target}.", "{name} weaves {spell}{at_target}."),
    "use_item": ("{name} reaches for their {item}.", "{name} puts their {item} to use."),
    "buy": ("{name} haggles over {quantity}{item}.", "{name} counts out coin for {quantity}{item}."),
    "sell": ("{name} offers {quantity}{item} for sale.", "{name} sets {quantity}{item} on the counter."),
    "drop": ("{name} lets their {item} fall.", "{name} sets their {item} down."),
    "pick_up": ("{name} picks up the {item}.", "{name} gathers up the {item}."),
    "rest": ("{name} settles in for a {target} rest.", "{name} takes a {target} rest."),
    "save": ("{name} braces against it ({target} save).",),
    "check": ("{name} tries their luck ({target}).", "{name} focuses ({target} check)."),
}


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
            latency_ms=_elapsed_ms(started),
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
        lines.append(rng.choice(_OPENINGS_AT).format(place=place) if place else rng.choice(_OPENINGS_NOWHERE))
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
                lines.append(rng.choice(_SPEECH_LINES).format(name=name, excerpt=_excerpt(text)))

        results = [_result_text(r) for r in _as_list(context.get("mechanical_results"))]
        results = [r for r in results if r]
        if results:
            lines.append(f"{rng.choice(_RESULT_LEADS)} {' '.join(results[:6])}")

        passages = [p for p in _as_list(context.get("passages")) if isinstance(p, Mapping) and p.get("text")]
        if passages:
            lines.append(f"{rng.choice(_LORE_LEADS)} {_first_sentence(str(passages[0]['text']))}")

        hook = context.get("plot_hook")
        if isinstance(hook, Mapping):
            hook = hook.get("text") or hook.get("summary")
        if isinstance(hook, str) and hook.strip():
            hook_text = _first_sentence(hook.strip(), limit=300)
            lines.append(rng.choice(_HOOK_LEADS) + hook_text[0].lower() + hook_text[1:])

        lines.append(rng.choice(_CLOSINGS))
        narration = truncate_at_sentence(" ".join(lines), 4000)
        # Validate before answering: the offline narrator's output must always be schema-valid.
        output = ModelOutput.model_validate({"narration": narration, "updates": []})
        return output.model_dump_json(exclude_none=True)

    @staticmethod
    def _describe_action(rng: random.Random, name: str, update: StatedAction) -> str:
        template = rng.choice(_ACTION_LINES.get(update.kind, ("{name} acts.",)))
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


def default_json_schema() -> dict[str, Any]:
    """The DM output schema in the OpenAI/vLLM dialect (what `GenerationRequest.json_schema` should hold)."""
    return json_schema("openai")


__all__ = [
    "ChatMessage",
    "FailureKind",
    "GeminiProvider",
    "GenerationRequest",
    "GenerationResult",
    "OfflineNarrator",
    "OpenAICompatibleProvider",
    "Provider",
    "ProviderError",
    "ProviderHealth",
    "XAIProvider",
    "classify_http_error",
    "default_json_schema",
]
