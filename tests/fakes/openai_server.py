"""A small OpenAI-compatible HTTP server standing in for vLLM in tests and benchmarks.

    python -m tests.fakes.openai_server --port 8001 --latency-ms 50 --mode ok

Endpoints: `GET /health`, `GET /v1/models[/{id}]`, `POST /v1/chat/completions` (the answer's content is
JSON of the DM output schema, its narration echoing the last user message), and for tests `GET /_stats`,
`GET /_requests`, `POST /_control {"mode", "latency_ms", "script", "reset_stats", "model"}`.

Each chat request sleeps a fixed latency with asyncio, so concurrent requests overlap the way they do under
vLLM's continuous batching; the server counts requests and tracks the current and PEAK number in flight.

Modes: ok, fail (HTTP 500), invalid_json (prose, no JSON), bad_updates (valid JSON with updates outside the
allow-list plus one valid one), oom (HTTP 500 "CUDA out of memory"), slow (answers after `slow_ms`),
truncated (JSON cut off mid-narration; the narration is salvageable). A `script` is a list of modes used
one per chat request before falling back to `mode` (e.g. ["invalid_json", "ok"] to test a repair).
`answers` script exact model output: a list of {"when": <text>, "answer": {"narration"?, "updates"?}}; the
first request whose last user message contains `when` gets that answer (once, whatever the mode), with the
echoed narration when the answer has none.

`flavor` makes it refuse what a real server refuses (`FLAVORS`): "vllm" (the default) takes every OpenAI
dialect; "llama-cpp-python" answers `response_format` json_schema with HTTP 500 (its request model has only
text/json_object), ignores `guided_json`, and fails on a schema whose length limits would unroll into a
huge grammar ("failed to parse grammar"); "llama-server" takes json_schema and json_object; "plain" has a
JSON mode only; "ollama" serves `/api/chat` with `format`. Dialect probes (a schema with a `probe`
property) are answered as the flavor would — with the enum value when it enforces the schema — and
counted in `probe_requests`, not `chat_requests`.

Importable: `FakeOpenAIServer(...).start()` runs it on 127.0.0.1 on a free port in a background thread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MODES = ("ok", "fail", "invalid_json", "bad_updates", "oom", "slow", "truncated")
FLAVORS = ("vllm", "llama-cpp-python", "llama-server", "plain", "ollama")
# {flavor: {dialect: "enforced" | "json" (JSON mode, schema not enforced) | "ignored" | "refused"}}
_DIALECT_SUPPORT: dict[str, dict[str, str]] = {
    "vllm": {"json_schema": "enforced", "guided_json": "enforced", "json_object": "json", "ollama": "absent"},
    "llama-cpp-python": {"json_schema": "refused", "guided_json": "ignored", "json_object": "enforced",
                         "ollama": "absent"},
    "llama-server": {"json_schema": "enforced", "guided_json": "ignored", "json_object": "enforced",
                     "ollama": "absent"},
    "plain": {"json_schema": "refused", "guided_json": "ignored", "json_object": "json", "ollama": "absent"},
    "ollama": {"json_schema": "refused", "guided_json": "ignored", "json_object": "json", "ollama": "enforced"},
}
GRAMMAR_LIMIT = 256  # a maxLength/maxItems above this unrolls into a grammar llama.cpp cannot build
ECHO_CHARS = 1500


@dataclass
class ServerState:
    mode: str = "ok"
    latency_ms: float = 50.0
    slow_ms: float = 30_000.0
    model: str = "fake-llama"
    flavor: str = "vllm"
    probe_requests: int = 0
    refused_requests: int = 0
    script: deque[str] = field(default_factory=deque)
    answers: list[dict[str, Any]] = field(default_factory=list)
    requests_total: int = 0
    chat_requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    recent_requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    def stats(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "latency_ms": self.latency_ms,
            "model": self.model,
            "flavor": self.flavor,
            "probe_requests": self.probe_requests,
            "refused_requests": self.refused_requests,
            "script": list(self.script),
            "answers": len(self.answers),
            "requests_total": self.requests_total,
            "chat_requests": self.chat_requests,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
        }

    def apply_control(self, control: dict[str, Any]) -> None:
        if "mode" in control:
            self.mode = _one_of(control["mode"], MODES, "mode")
        if "latency_ms" in control:
            self.latency_ms = float(control["latency_ms"])
        if "slow_ms" in control:
            self.slow_ms = float(control["slow_ms"])
        if "model" in control:
            self.model = str(control["model"])
        if "flavor" in control:
            self.flavor = _one_of(control["flavor"], FLAVORS, "flavor")
        if "script" in control:
            unknown = [m for m in control["script"] if m not in MODES]
            if unknown:
                raise ValueError(f"unknown modes in script: {unknown}")
            self.script = deque(control["script"])
        if "answers" in control:
            answers = control["answers"]
            if not all(isinstance(a, dict) and isinstance(a.get("when"), str) and a["when"]
                       and isinstance(a.get("answer"), dict) for a in answers):
                raise ValueError("answers are {'when': <non-empty text>, 'answer': {...}}")
            self.answers = list(answers)
        if control.get("reset_stats"):
            self.requests_total = 0
            self.chat_requests = 0
            self.probe_requests = 0
            self.refused_requests = 0
            self.peak_in_flight = self.in_flight
            self.recent_requests.clear()


def _one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {allowed}")
    return str(value)


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # OpenAI content parts
                content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _completion(
    model: str, content: str, body: dict[str, Any], finish_reason: str = "stop"
) -> dict[str, Any]:
    prompt_chars = sum(
        len(str(m.get("content", ""))) for m in body.get("messages") or [] if isinstance(m, dict)
    )
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": max(1, prompt_chars // 4),
            "completion_tokens": max(1, len(content) // 4),
            "total_tokens": max(1, prompt_chars // 4) + max(1, len(content) // 4),
        },
    }


def take_answer(state: ServerState, body: dict[str, Any]) -> str | None:
    """The scripted answer for this request as JSON text (and it is used up), or None."""
    prompt = _last_user_text(body)
    for position, scripted in enumerate(state.answers):
        if scripted["when"] in prompt:
            del state.answers[position]
            answer = scripted["answer"]
            return json.dumps({"narration": answer.get("narration") or _narration(body),
                               "updates": answer.get("updates", [])})
    return None


def _narration(body: dict[str, Any]) -> str:
    echo = " ".join(_last_user_text(body).split())[:ECHO_CHARS]
    return f"The Dungeon Master considers the moment. You said: {echo}"


def _bad_updates_content(body: dict[str, Any]) -> str:
    return json.dumps(
        {
            "narration": _narration(body),
            "updates": [
                {"type": "grant_gold", "target_player_id": 1, "amount": 10000},
                {"type": "hp_change", "target_player_id": 1, "amount": -3, "gold": 100},
                {"type": "condition", "target_player_id": 1, "condition": "sleepy", "action": "add"},
                {"type": "action", "kind": "give_item", "actor_player_id": 1, "item": "Vorpal Sword"},
                {"type": "npc_attitude", "npc": "Mira", "attitude": "friendly"},
            ],
        }
    )


def _mode_answer(model: str, mode: str, body: dict[str, Any]) -> web.Response:
    """What the server answers in a failure mode (or, in any other mode, a valid turn)."""
    if mode == "fail":
        return web.json_response(
            {"object": "error", "message": "Internal server error", "type": "InternalServerError"},
            status=500,
        )
    if mode == "oom":
        return web.json_response(
            {
                "object": "error",
                "message": "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total)",
                "type": "InternalServerError",
                "code": 500,
            },
            status=500,
        )
    if mode == "invalid_json":
        content = "Sure! The goblin snarls at you and raises its blade. (no JSON here, sorry)"
    elif mode == "truncated":
        content = (
            '{"narration": "The cellar door creaks open. A cold draft rushes out. Something moves in'
        )
        return web.json_response(_completion(model, content, body, finish_reason="length"))
    elif mode == "bad_updates":
        content = _bad_updates_content(body)
    else:
        content = json.dumps({"narration": _narration(body), "updates": []})
    return web.json_response(_completion(model, content, body))


def request_dialect(body: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """(dialect, schema) of a chat request, (None, None) when it asks for no structure."""
    if "format" in body:
        return "ollama", body["format"] if isinstance(body["format"], dict) else None
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        return "json_schema", (response_format.get("json_schema") or {}).get("schema")
    if isinstance(response_format, dict) and response_format.get("type") == "json_object":
        return "json_object", response_format.get("schema")
    if "guided_json" in body:
        return "guided_json", body["guided_json"]
    return None, None


def _unrolls(schema: Any) -> bool:
    if isinstance(schema, dict):
        limits = [schema.get(key) for key in ("maxLength", "maxItems")]
        if any(isinstance(limit, int) and limit > GRAMMAR_LIMIT for limit in limits):
            return True
        return any(_unrolls(value) for value in schema.values())
    return isinstance(schema, list) and any(_unrolls(item) for item in schema)


def _refusal(state: ServerState, dialect: str | None, schema: Any) -> web.Response | None:
    """The error a real server of this flavor answers for the request's format, or None."""
    support = _DIALECT_SUPPORT[state.flavor].get(dialect or "", "")
    if support == "refused":
        state.refused_requests += 1
        message = ("1 validation error for CreateChatCompletionRequest response_format.type: Input should be "
                   f"'text' or 'json_object' (got {dialect!r})")
        return web.json_response({"error": {"message": message, "type": "internal_server_error"}},
                                 status=500 if state.flavor == "llama-cpp-python" else 400)
    if support == "enforced" and state.flavor in ("llama-cpp-python", "llama-server") and _unrolls(schema):
        state.refused_requests += 1
        return web.json_response({"error": {"message": "parse: error parsing grammar: failed to parse grammar",
                                             "type": "internal_server_error"}}, status=500)
    return None


def _probe_content(state: ServerState, dialect: str | None, schema: dict[str, Any]) -> str:
    support = _DIALECT_SUPPORT[state.flavor].get(dialect or "", "ignored")
    if support == "enforced":
        return json.dumps({"probe": schema["properties"]["probe"]["enum"][0]})
    if support == "json":
        return json.dumps({"probe": "hello"})
    return 'Sure! Here it is: probe = "hello"'


async def _chat_completion(state: ServerState, body: dict[str, Any]) -> web.Response:
    """One /v1/chat/completions call: a refusal of its format, a probe's answer, a scripted answer, the
    current failure mode, or a valid turn."""
    dialect, schema = request_dialect(body)
    refused = _refusal(state, dialect, schema)
    if refused is not None:
        return refused
    if isinstance(schema, dict) and "probe" in (schema.get("properties") or {}):
        state.probe_requests += 1
        content = _probe_content(state, dialect, schema)
        if state.mode in ("fail", "oom"):
            return _mode_answer(state.model, state.mode, body)
        if dialect == "ollama":
            return web.json_response(_ollama_reply(state.model, content))
        return web.json_response(_completion(state.model, content, body))
    state.chat_requests += 1
    state.recent_requests.append(body)
    state.in_flight += 1
    state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
    try:
        scripted = take_answer(state, body)
        mode = "answer" if scripted else state.script.popleft() if state.script else state.mode
        await asyncio.sleep((state.slow_ms if mode == "slow" else state.latency_ms) / 1000.0)
        requested_model = body.get("model")
        if requested_model and requested_model != state.model:
            return web.json_response(
                {
                    "object": "error",
                    "message": f"The model `{requested_model}` does not exist.",
                    "type": "NotFoundError",
                    "code": 404,
                },
                status=404,
            )
        if scripted is not None:
            return web.json_response(_completion(state.model, scripted, body))
        return _mode_answer(state.model, mode, body)
    finally:
        state.in_flight -= 1


def _ollama_reply(model: str, content: str) -> dict[str, Any]:
    return {"model": model, "message": {"role": "assistant", "content": content}, "done": True,
            "done_reason": "stop", "prompt_eval_count": 10, "eval_count": max(1, len(content) // 4)}


class _Routes:
    """The fake server's HTTP handlers over its state."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    @web.middleware
    async def count_requests(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_"):
            self.state.requests_total += 1
        return await handler(request)

    async def health(self, _: web.Request) -> web.Response:
        if self.state.mode in ("fail", "oom"):
            return web.json_response({"error": "engine dead"}, status=503)
        return web.Response(status=200)

    async def models(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.state.model, "object": "model", "owned_by": "fake"}]}
        )

    async def model(self, request: web.Request) -> web.Response:
        if request.match_info["model"] != self.state.model:
            return web.json_response({"error": {"message": "model not found"}}, status=404)
        return web.json_response({"id": self.state.model, "object": "model", "owned_by": "fake"})

    async def chat_completions(self, request: web.Request) -> web.Response:
        return await _chat_completion(self.state, await request.json())

    async def ollama_chat(self, request: web.Request) -> web.Response:
        """Ollama's own chat API (only the "ollama" flavor has it): the turn answer in Ollama's shape."""
        if self.state.flavor != "ollama":
            return web.json_response({"detail": "Not Found"}, status=404)
        response = await _chat_completion(self.state, await request.json())
        if response.status != 200 or response.body is None:
            return response
        payload = json.loads(response.body)  # type: ignore[arg-type]
        if "choices" not in payload:
            return response
        return web.json_response(_ollama_reply(self.state.model, payload["choices"][0]["message"]["content"]))

    async def stats(self, _: web.Request) -> web.Response:
        return web.json_response(self.state.stats())

    async def recent(self, _: web.Request) -> web.Response:
        return web.json_response(list(self.state.recent_requests))

    async def control(self, request: web.Request) -> web.Response:
        try:
            self.state.apply_control(await request.json())
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.state.stats())


def build_app(state: ServerState) -> web.Application:
    routes = _Routes(state)
    app = web.Application(middlewares=[routes.count_requests], client_max_size=16 * 1024 * 1024)
    app.router.add_get("/health", routes.health)
    app.router.add_get("/v1/models", routes.models)
    app.router.add_get("/v1/models/{model}", routes.model)
    app.router.add_post("/v1/chat/completions", routes.chat_completions)
    app.router.add_post("/api/chat", routes.ollama_chat)
    app.router.add_get("/_stats", routes.stats)
    app.router.add_get("/_requests", routes.recent)
    app.router.add_post("/_control", routes.control)
    return app


class FakeOpenAIServer:
    """The fake server in a background thread with its own event loop (start/stop from sync code)."""

    def __init__(
        self,
        mode: str = "ok",
        latency_ms: float = 50.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = "fake-llama",
    ) -> None:
        self.state = ServerState(mode=mode, latency_ms=latency_ms, model=model)
        self.state.apply_control({"mode": mode})
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._serve, name="fake-openai-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            raise RuntimeError("the fake OpenAI server did not start")
        if self._error is not None:
            raise RuntimeError(f"the fake OpenAI server failed to start: {self._error}")
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

    async def _start_site(self) -> None:
        # handler_cancellation: like vLLM, abort a request whose client went away (so in-flight counts drop).
        self._runner = web.AppRunner(
            build_app(self.state),
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        server = site._server  # aiohttp keeps the bound asyncio server here; it knows the chosen port
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)

    def _on_loop(self, fn: Any) -> Any:
        """Run `fn()` on the server's loop and return its result (keeps the state single-threaded)."""
        if self._loop is None:
            raise RuntimeError("the server is not running")

        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(10.0)

    def control(self, **control: Any) -> dict[str, Any]:
        return self._on_loop(lambda: (self.state.apply_control(control), self.state.stats())[1])

    def stats(self) -> dict[str, Any]:
        return self._on_loop(self.state.stats)

    def requests(self) -> list[dict[str, Any]]:
        return self._on_loop(lambda: list(self.state.recent_requests))

    def reset(self, mode: str = "ok", latency_ms: float = 50.0) -> None:
        self.control(mode=mode, latency_ms=latency_ms, script=[], answers=[], reset_stats=True,
                     model=self.state.model, flavor="vllm")

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server (vLLM stand-in).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--model", default="fake-llama")
    args = parser.parse_args(argv)
    state = ServerState(mode=args.mode, latency_ms=args.latency_ms, model=args.model)
    web.run_app(build_app(state), host=args.host, port=args.port, access_log=None, handler_cancellation=True)


if __name__ == "__main__":
    main()
