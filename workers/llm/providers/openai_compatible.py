"""A local model server speaking the OpenAI chat API: vLLM, llama.cpp, Ollama."""

from __future__ import annotations

import asyncio
import json
import logging
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
from workers.llm.schema import grammar_safe_schema

log = logging.getLogger(__name__)


class OpenAICompatibleProvider:
    """A server speaking the OpenAI chat API: vLLM at `http://{VLLM_HOST}:{VLLM_PORT}/v1`, llama.cpp, Ollama.

    Plain aiohttp (one pooled session per loop) rather than the `openai` client: fewer layers per request
    for the hot path, the raw error body for OOM detection, and vLLM's `/health` outside `/v1`.

    Structured output speaks the server's dialect (`structured_output`, see `DIALECTS`): "auto" probes the
    server on first use and again after it was unreachable (it may come back as another server). A request
    the server refuses for its format is sent once more in the next weaker dialect (`WEAKER`), which is kept
    from then on; only a refusal of that one too is the server's failure.
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
        structured_output: str = "auto",
        health_completion: bool = False,
        connect_timeout_s: float = 5.0,
        is_local: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.root_url = re.sub(r"/v1$", "", self.base_url)
        self.is_local = is_local
        if structured_output not in STRUCTURED_OUTPUT_MODES:
            raise ValueError(f"structured output {structured_output!r} is not one of {STRUCTURED_OUTPUT_MODES}")
        self.structured_output = structured_output
        # The dialect in use (None: not probed yet) and how it was chosen, for `!model_status`.
        self.dialect: str | None = None if structured_output == "auto" else structured_output
        self.dialect_note = "probe pending" if structured_output == "auto" else "configured"
        self._probe_locks: PerLoop[asyncio.Lock] = PerLoop(asyncio.Lock, _no_close)
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
        dialect = await self._dialect_for(request)
        try:
            status, payload = await self._send(request, model, dialect, started)
        except ProviderError as exc:
            if exc.kind is FailureKind.CONNECTION and self.structured_output == "auto":
                self._forget_dialect("the server was unreachable")
            raise
        weaker = WEAKER.get(dialect)
        if status != 200 and weaker and _format_refused(status, payload):
            # The server refused the format, not the turn: once more in the next weaker dialect.
            log.warning("%s refused structured output %s (HTTP %s); using %s", self.name, dialect, status, weaker)
            refused = f"HTTP {status}: {_short(payload)}"
            status, payload = await self._send(request, model, weaker, started)
            if status == 200:
                self.dialect = dialect = weaker
                self.dialect_note = f"fell back after the server refused the stronger one ({refused})"[:300]
        if status != 200:
            raise self._http_error(status, payload)
        return self._result(dialect, payload, model, started)

    async def _send(
        self, request: GenerationRequest, model: str, dialect: str, started: float
    ) -> tuple[int, Any]:
        url, body = self._request_body(request, model, dialect)
        remaining = max(request.timeout_s - (time.perf_counter() - started), 0.1)
        status, payload = await self._request_json("POST", url, remaining, body)
        if status == 404 and _model_not_found(payload):
            # The server was restarted with another model (`!switch_model`): ask it which, retry once.
            body["model"] = await self._discover_model(request.timeout_s)
            remaining = max(request.timeout_s - (time.perf_counter() - started), 0.1)
            status, payload = await self._request_json("POST", url, remaining, body)
        return status, payload

    def _request_body(self, request: GenerationRequest, model: str, dialect: str) -> tuple[str, dict[str, Any]]:
        schema = grammar_safe_schema(request.json_schema) if request.json_schema is not None else None
        if dialect == "ollama":
            # Ollama's own chat API: `format` takes the schema (its /v1 endpoint has no schema field).
            options = {"num_predict": request.max_tokens, "temperature": request.temperature}
            body: dict[str, Any] = {"model": model, "messages": chat_messages(request), "stream": False,
                                    "options": options}
            if schema is not None:
                body["format"] = schema
            return f"{self.root_url}/api/chat", body
        body = {
            "model": model,
            "messages": chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if schema is not None:
            body.update(structured_output_fields(dialect, schema))
        return f"{self.base_url}/chat/completions", body

    def _result(self, dialect: str, payload: Any, model: str, started: float) -> GenerationResult:
        if dialect == "ollama":
            text, finish_reason = _ollama_text(self.name, payload)
            prompt_tokens, completion_tokens = payload.get("prompt_eval_count"), payload.get("eval_count")
        else:
            text, finish_reason = _completion_text(self.name, payload)
            usage = payload.get("usage") or {}
            prompt_tokens, completion_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
        return GenerationResult(
            text=text,
            provider=self.name,
            model=str(payload.get("model") or model),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_ms=elapsed_ms(started),
            finish_reason=finish_reason,
        )

    # --- the structured-output dialect -------------------------------------------------------------------

    def structured_output_status(self) -> dict[str, Any]:
        """What `!model_status` shows: the configured mode, the dialect in use, and how it was chosen."""
        return {"mode": self.structured_output, "dialect": self.dialect, "note": self.dialect_note}

    def _forget_dialect(self, why: str) -> None:
        if self.dialect is not None:
            self.dialect = None
            self.dialect_note = f"probe pending ({why})"

    async def _dialect_for(self, request: GenerationRequest) -> str:
        if self.dialect is not None or request.json_schema is None:
            return self.dialect or "none"
        async with self._probe_locks.get():  # one probe per loop, however many turns arrive together
            if self.dialect is None:
                # The turn's own time: a CPU server under load may take tens of seconds for the first tokens.
                self.dialect, self.dialect_note = await self.probe_dialect(request.timeout_s)
                log.info("%s structured output: %s (%s)", self.name, self.dialect, self.dialect_note)
        return self.dialect

    async def probe_dialect(self, timeout_s: float = 30.0) -> tuple[str, str]:
        """(dialect, note): the strongest dialect this server enforces.

        Each is asked for a one-field answer whose only allowed value the model would not write by itself;
        a server that answers with it enforced the schema. One that answers JSON without it has a plain JSON
        mode; one that refuses the format (or has no such endpoint) does not speak the dialect. Any other
        failure (the server is down or erroring) propagates, and the probe runs again on the next request.
        """
        model = self.model or await self._discover_model(timeout_s)
        json_mode: str | None = None
        tried: list[str] = []
        for dialect in PROBE_ORDER:
            probe = GenerationRequest(
                request_id=f"dialect-probe-{dialect}", max_tokens=16, temperature=0.0,
                messages=[{"role": "user", "content": 'Reply with the JSON object {"probe": "hello"} only.'}],
                json_schema=_PROBE_SCHEMA, timeout_s=timeout_s,
            )
            url, body = self._request_body(probe, model, dialect)
            status, payload = await self._request_json("POST", url, timeout_s, body)
            if status != 200:
                if status != 404 and not _format_refused(status, payload):
                    raise self._http_error(status, payload)  # the server is failing: probe again later
                tried.append(f"{dialect}: HTTP {status}")
                continue
            answer = _probe_answer(self.name, dialect, payload)
            if answer == _PROBE_VALUE:
                return dialect, "probed: the server enforced the schema" + (f" ({'; '.join(tried)})" if tried else "")
            tried.append(f"{dialect}: not enforced")
            if answer is not None and json_mode is None:
                json_mode = dialect
        if json_mode is not None:
            return json_mode, f"probed: JSON mode only, the schema is not enforced ({'; '.join(tried)})"[:300]
        return "none", f"probed: no structured output accepted ({'; '.join(tried)})"[:300]

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
            elif self.dialect is None and self.structured_output == "auto":
                self.dialect, self.dialect_note = await self.probe_dialect()
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


STRUCTURED_OUTPUT_MODES = ("auto", "json_schema", "json_object", "guided_json", "ollama", "none")
# How each dialect asks for the schema:
#   json_schema: `response_format` {"type": "json_schema"} — vLLM ≥ 0.5, llama.cpp's llama-server, xAI;
#   guided_json: vLLM's older extra field (removed in vLLM 0.12);
#   json_object: `response_format` {"type": "json_object", "schema": …} — llama-cpp-python's server (it turns
#     the schema into a grammar), llama-server; a server without schema support takes it as plain JSON mode;
#   ollama: Ollama's /api/chat with `format` = the schema;
#   none: no constraint; the parser and the repair retry do the work.
DIALECTS = ("json_schema", "guided_json", "json_object", "ollama", "none")
PROBE_ORDER = ("json_schema", "guided_json", "json_object", "ollama")
WEAKER = {"json_schema": "json_object", "guided_json": "json_object", "ollama": "json_object",
          "json_object": "none"}
_PROBE_VALUE = "zq7x"
_PROBE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"probe": {"type": "string", "enum": [_PROBE_VALUE]}},
                                 "required": ["probe"], "additionalProperties": False}
# A refusal of the request's format (llama-cpp-python: 500 "response_format … json_schema"; a grammar that
# would not compile; vLLM: 400 "guided_json"), not of the turn itself.
_FORMAT_REFUSAL_RE = re.compile(r"response_format|json_schema|json_object|guided_json|grammar|\bschema\b|"
                                r"\bformat\b", re.IGNORECASE)


def structured_output_fields(dialect: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The request fields that ask an OpenAI-compatible server for `schema` in `dialect`."""
    if dialect == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema}}}
    if dialect == "guided_json":
        return {"guided_json": schema}
    if dialect == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    return {}


def _format_refused(status: int, payload: Any) -> bool:
    if status not in (400, 422, 500, 501):
        return False
    text = _short(payload, 2000)
    kind = classify_http_error(status, text)
    return kind in (FailureKind.BAD_REQUEST, FailureKind.SERVER_ERROR) and bool(_FORMAT_REFUSAL_RE.search(text))


def _short(payload: Any, limit: int = 200) -> str:
    return (payload if isinstance(payload, str) else json.dumps(payload))[:limit]


def _probe_answer(provider: str, dialect: str, payload: Any) -> str | None:
    """The probe's `probe` value (any JSON object: "" when it lacks one), or None when the text is no JSON."""
    try:
        text = (_ollama_text if dialect == "ollama" else _completion_text)(provider, payload)[0]
        value = json.loads(text.strip())
    except (ProviderError, ValueError):
        return None
    if not isinstance(value, dict):
        return None
    return str(value.get("probe", ""))


def _ollama_text(provider: str, payload: Any) -> tuple[str, str | None]:
    try:
        content = payload["message"]["content"]
    except (KeyError, TypeError) as exc:
        raise ProviderError(provider, FailureKind.INVALID_RESPONSE, "no message.content") from exc
    if not isinstance(content, str):
        raise ProviderError(provider, FailureKind.INVALID_RESPONSE, "empty message content")
    return content, payload.get("done_reason")


async def _no_close(_: asyncio.Lock) -> None:
    return None


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
