"""What every model provider shares: the request and result types, the `Provider` protocol, failure kinds
(so the circuit breakers can tell a timeout from an out-of-memory GPU from a prompt that is simply too long for
this model), and one HTTP client per event loop (`PerLoop`).
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from workers.llm.schema import json_schema

DEFAULT_MAX_CONNECTIONS = 128  # ≥ 64 concurrent requests from generate_batch, with headroom for health checks
SCHEMA_NAME = "dm_turn"


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


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


def chat_messages(request: GenerationRequest) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.extend({"role": m["role"], "content": m["content"]} for m in request.messages)
    return messages


async def probe_health(
    provider: str, model: str, probe: Callable[[], Awaitable[Any]], describe: Callable[[Exception], str]
) -> ProviderHealth:
    """An SDK provider's health: ready when `probe` (a cheap model lookup) answers, else what it raised."""
    started = time.perf_counter()
    try:
        await probe()
    except Exception as exc:
        return ProviderHealth(provider=provider, ok=False, detail=describe(exc)[:300], latency_ms=elapsed_ms(started))
    return ProviderHealth(provider=provider, ok=True, detail="ready", latency_ms=elapsed_ms(started), model=model)


T = TypeVar("T")


class SdkProvider:
    """A hosted provider behind its vendor's SDK client: one client per event loop (or the one a test
    injects), made by `_new_client` and closed by `_close_client`, which each provider defines."""

    is_local = False

    def __init__(self, name: str, model: str, api_key: str, client: Any = None) -> None:
        self.name = name
        self.model = model
        self._api_key = api_key
        self._clients: PerLoop[Any] = PerLoop(self._new_client, self._close_client, injected=client)

    def _new_client(self) -> Any:
        raise NotImplementedError

    @staticmethod
    async def _close_client(client: Any) -> None:
        raise NotImplementedError

    def _client(self) -> Any:
        return self._clients.get()

    async def aclose(self) -> None:
        await self._clients.aclose()


class PerLoop(Generic[T]):
    """One client per running event loop, created on first use in that loop; or the one client a caller
    injected (a test's fake SDK client), used in every loop and never closed here."""

    def __init__(
        self, factory: Callable[[], T], closer: Callable[[T], Awaitable[None]], injected: T | None = None
    ) -> None:
        self._factory = factory
        self._closer = closer
        self._injected = injected
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        if self._injected is not None:
            return self._injected
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

def default_json_schema() -> dict[str, Any]:
    """The DM output schema in the OpenAI/vLLM dialect (what `GenerationRequest.json_schema` should hold)."""
    return json_schema("openai")
