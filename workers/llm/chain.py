"""The fallback chain: local vLLM → Gemini → xAI → offline narrator (../shared/ARCHITECTURE.md §5).

Per request it tries the providers in order, skipping those whose circuit breaker is open (and the local
one while `force_api` is on), each under a timeout and all under one overall deadline. A model answer is
validated with `schema.parse_model_output`; an unusable one gets ONE repair retry (the errors are sent
back), then the best usable part is kept (valid updates, or the narration alone), else the next provider
is tried. The offline narrator at the end always answers.

`generate_batch` sends many turns at once (bounded by a semaphore) so vLLM's continuous batching serves
many channels together; the GPU worker should call it with everything its batch took from the queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workers.llm.breaker import BreakerState, CircuitBreaker
from workers.llm.providers.base import (
    FailureKind,
    GenerationRequest,
    GenerationResult,
    Provider,
    ProviderError,
    ProviderHealth,
)
from workers.llm.providers.gemini import GeminiProvider
from workers.llm.providers.offline import OfflineNarrator
from workers.llm.providers.openai_compatible import OpenAICompatibleProvider
from workers.llm.providers.xai import XAIProvider
from workers.llm.schema import InvalidModelOutput, ParsedOutput, parse_model_output, salvage_narration

log = logging.getLogger(__name__)

DEFAULT_MAX_CONCURRENCY = 64
REPAIR_ECHO_CHARS = 1500  # how much of the broken answer goes back to the model in the repair request


@dataclass
class Attempt:
    """One provider's part in a request, for logs and `!model_status`."""

    provider: str
    # ok | repaired | partial | narration_only | failed | invalid_output | skipped_open | skipped_forced
    # | skipped_deadline
    outcome: str
    failure_kind: str | None = None
    detail: str = ""
    latency_ms: float = 0.0


@dataclass
class ChainResult:
    request_id: str
    output: ParsedOutput
    provider: str
    model: str
    fallback_used: bool
    attempts: list[Attempt] = field(default_factory=list)
    repaired: bool = False
    narration_only: bool = False
    latency_ms: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "output": self.output.to_dict(),
            "provider": self.provider,
            "model": self.model,
            "fallback_used": self.fallback_used,
            "repaired": self.repaired,
            "narration_only": self.narration_only,
            "latency_ms": self.latency_ms,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "attempts": [a.__dict__ for a in self.attempts],
        }


class AllProvidersFailed(RuntimeError):
    def __init__(self, request_id: str, attempts: list[Attempt]) -> None:
        summary = "; ".join(f"{a.provider}: {a.outcome} {a.failure_kind or ''}".strip() for a in attempts)
        super().__init__(f"request {request_id}: every provider failed ({summary})")
        self.request_id = request_id
        self.attempts = attempts


@dataclass
class _Outcome:
    """What one provider produced for a request (None from `_try_provider` means: try the next one)."""

    output: ParsedOutput
    result: GenerationResult
    repaired: bool
    narration_only: bool


class FallbackChain:
    def __init__(
        self,
        providers: Sequence[Provider],
        breakers: Mapping[str, CircuitBreaker] | None = None,
        *,
        request_timeout_s: float | None = None,
        deadline_factor: float = 2.0,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        repair_retry: bool = True,
        ensure_offline: bool = True,
        breaker_factory: Callable[[str], CircuitBreaker] | None = None,
    ) -> None:
        """
        request_timeout_s: a cap on each provider attempt (LLM_TIMEOUT_S); a request's own `timeout_s` may
          be shorter. The whole request gets `deadline_factor` times the attempt timeout; the offline
          narrator is exempt (it answers in under a millisecond).
        ensure_offline: append an `OfflineNarrator` when the list does not end with an always-available
          provider, so `generate` always returns.
        """
        providers = list(providers)
        if ensure_offline and not (providers and getattr(providers[-1], "always_available", False)):
            providers.append(OfflineNarrator())
        if not providers:
            raise ValueError("a fallback chain needs at least one provider")
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"provider names must be unique: {names}")
        self.providers: list[Provider] = providers
        factory = breaker_factory or (lambda name: CircuitBreaker(name))
        self.breakers: dict[str, CircuitBreaker] = {
            name: (breakers or {}).get(name) or factory(name) for name in names
        }
        self.request_timeout_s = request_timeout_s
        self.deadline_factor = deadline_factor
        self.max_concurrency = max_concurrency
        self.repair_retry = repair_retry
        self._force_api = False

    # --- switches and status -----------------------------------------------------------------------------

    @property
    def force_api(self) -> bool:
        """While on (`!fallback_api`), local providers are skipped and API providers serve the turns."""
        return self._force_api

    def set_force_api(self, enabled: bool) -> None:
        if enabled != self._force_api:
            log.warning("force_api %s", "ON: skipping local providers" if enabled else "OFF")
        self._force_api = enabled

    def status(self) -> dict[str, Any]:
        """For `!model_status`: each provider's breaker state, recent latency and throughput."""
        return {
            "force_api": self._force_api,
            "providers": [
                {
                    "name": provider.name,
                    "model": getattr(provider, "model", None),
                    "local": _is_local(provider),
                    **_structured_output(provider),
                    "breaker": self.breakers[provider.name].snapshot(),
                }
                for provider in self.providers
            ],
        }

    async def health(self, timeout_s: float = 10.0) -> list[ProviderHealth]:
        async def one(provider: Provider) -> ProviderHealth:
            try:
                return await asyncio.wait_for(provider.health(), timeout_s)
            except Exception as exc:
                return ProviderHealth(provider=provider.name, ok=False, detail=f"{type(exc).__name__}: {exc}")

        return list(await asyncio.gather(*(one(p) for p in self.providers)))

    async def aclose(self) -> None:
        for provider in self.providers:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    # --- generation ------------------------------------------------------------------------------------

    async def generate_batch(
        self, requests: Sequence[GenerationRequest], *, max_concurrency: int | None = None
    ) -> list[ChainResult]:
        """All requests concurrently (at most `max_concurrency` in flight), results in request order."""
        semaphore = asyncio.Semaphore(max_concurrency or self.max_concurrency)

        async def one(request: GenerationRequest) -> ChainResult:
            async with semaphore:
                return await self.generate(request)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def generate(self, request: GenerationRequest) -> ChainResult:
        started = time.perf_counter()
        attempt_timeout = self._attempt_timeout(request)
        deadline = started + attempt_timeout * self.deadline_factor
        attempts: list[Attempt] = []
        first_provider = self.providers[0].name

        for provider in self.providers:
            always_available = getattr(provider, "always_available", False)
            if self._force_api and _is_local(provider):
                attempts.append(Attempt(provider.name, "skipped_forced", detail="force_api is on"))
                continue
            breaker = self.breakers[provider.name]
            if not always_available and not breaker.allow_request():
                attempts.append(
                    Attempt(provider.name, "skipped_open", detail=f"breaker {breaker.state.value}")
                )
                continue
            remaining = deadline - time.perf_counter()
            if not always_available and remaining < 0.05:
                if breaker.state is BreakerState.HALF_OPEN:
                    breaker.release_probe()
                attempts.append(
                    Attempt(provider.name, "skipped_deadline", detail="no time left for this request")
                )
                continue
            timeout = attempt_timeout if always_available else min(attempt_timeout, remaining)
            outcome = await self._try_provider(provider, breaker, request, timeout, attempts)
            if outcome is None:
                continue
            if outcome.output.dropped:
                log.warning(
                    "request %s: %s proposed %d update(s) outside the allow-list, dropped: %s",
                    request.request_id,
                    provider.name,
                    len(outcome.output.dropped),
                    "; ".join(d.reason for d in outcome.output.dropped)[:1000],
                )
            return ChainResult(
                request_id=request.request_id,
                output=outcome.output,
                provider=provider.name,
                model=outcome.result.model,
                fallback_used=provider.name != first_provider,
                attempts=attempts,
                repaired=outcome.repaired,
                narration_only=outcome.narration_only,
                latency_ms=round((time.perf_counter() - started) * 1000.0, 2),
                prompt_tokens=outcome.result.prompt_tokens,
                completion_tokens=outcome.result.completion_tokens,
            )
        raise AllProvidersFailed(request.request_id, attempts)

    def _attempt_timeout(self, request: GenerationRequest) -> float:
        if self.request_timeout_s is None:
            return request.timeout_s
        return min(request.timeout_s, self.request_timeout_s)

    async def _call(self, provider: Provider, request: GenerationRequest, timeout: float) -> GenerationResult:
        if timeout != request.timeout_s:
            request = request.model_copy(update={"timeout_s": max(timeout, 0.01)})
        try:
            # The hard stop; providers also pass the timeout to their HTTP client, whichever fires first wins.
            return await asyncio.wait_for(provider.generate(request), timeout)
        except TimeoutError as exc:
            raise ProviderError(
                provider.name, FailureKind.TIMEOUT, f"no answer within {timeout:.1f}s"
            ) from exc

    async def _try_provider(
        self,
        provider: Provider,
        breaker: CircuitBreaker,
        request: GenerationRequest,
        timeout: float,
        attempts: list[Attempt],
    ) -> _Outcome | None:
        started = time.perf_counter()
        result = await self._first_answer(provider, breaker, request, timeout, attempts, started)
        if result is None:
            return None
        parsed, problems = _parse(result.text)
        if parsed is not None and parsed.clean:
            breaker.record_success(result.latency_ms, result.completion_tokens)
            attempts.append(Attempt(provider.name, "ok", latency_ms=_ms(started)))
            return _Outcome(parsed, result, repaired=False, narration_only=False)

        # One repair retry: show the model what was wrong and ask again.
        remaining = timeout - (time.perf_counter() - started)
        repaired_result, repaired, repair_problems = await self._repair(
            provider, breaker, request, result.text, problems, remaining
        )
        if repaired is not None and repaired_result is not None and repaired.clean:
            breaker.record_success(repaired_result.latency_ms, repaired_result.completion_tokens)
            attempts.append(
                Attempt(provider.name, "repaired", detail="; ".join(problems)[:300], latency_ms=_ms(started))
            )
            return _Outcome(repaired, repaired_result, repaired=True, narration_only=False)

        # Still not clean: keep the best usable part, preferring the repaired answer.
        for candidate, source in ((repaired, repaired_result), (parsed, result)):
            if candidate is not None and source is not None:
                breaker.record_success(source.latency_ms, source.completion_tokens)
                detail = "; ".join(candidate.problems())[:300]
                attempts.append(Attempt(provider.name, "partial", detail=detail, latency_ms=_ms(started)))
                return _Outcome(candidate, source, repaired=candidate is repaired, narration_only=False)
        all_problems = "; ".join(problems + repair_problems)[:300]
        breaker.record_failure(
            f"no valid JSON after a repair retry: {all_problems}", FailureKind.INVALID_OUTPUT.value
        )
        return self._salvage(provider.name, request, (repaired_result, result), all_problems, attempts, started)

    async def _first_answer(self, provider: Provider, breaker: CircuitBreaker, request: GenerationRequest,
                            timeout: float, attempts: list[Attempt], started: float) -> GenerationResult | None:
        """The provider's answer; None (the failure recorded on its breaker and in `attempts`) when it fails."""
        try:
            return await self._call(provider, request, timeout)
        except asyncio.CancelledError:
            breaker.release_probe()
            raise
        except ProviderError as exc:
            self._record_provider_error(breaker, exc)
            attempts.append(Attempt(provider.name, "failed", exc.kind.value, exc.message[:300], _ms(started)))
            log.warning("request %s: %s failed: %s", request.request_id, provider.name, exc)
            return None
        except Exception as exc:
            breaker.record_failure(f"{type(exc).__name__}: {exc}", "unexpected")
            attempts.append(
                Attempt(provider.name, "failed", "unexpected", f"{type(exc).__name__}: {exc}"[:300])
            )
            log.exception("request %s: %s raised", request.request_id, provider.name)
            return None

    async def _repair(self, provider: Provider, breaker: CircuitBreaker, request: GenerationRequest, answer: str,
                      problems: list[str], remaining: float
                      ) -> tuple[GenerationResult | None, ParsedOutput | None, list[str]]:
        """The repair retry's answer, its parse and its problems; nothing when there is no time or it fails."""
        if not (self.repair_retry and remaining > 0.05):
            return None, None, []
        try:
            repaired_result = await self._call(provider, _repair_request(request, answer, problems), remaining)
        except asyncio.CancelledError:
            breaker.release_probe()
            raise
        except ProviderError as exc:
            if exc.kind is not FailureKind.PROMPT_TOO_LONG:
                log.warning("request %s: %s repair call failed: %s", request.request_id, provider.name, exc)
            return None, None, []
        repaired, repair_problems = _parse(repaired_result.text)
        return repaired_result, repaired, repair_problems

    @staticmethod
    def _salvage(
        provider_name: str,
        request: GenerationRequest,
        answers: tuple[GenerationResult | None, ...],
        all_problems: str,
        attempts: list[Attempt],
        started: float,
    ) -> _Outcome | None:
        """The narration alone from the first answer that has one (repaired first); None when none has."""
        for source in answers:
            narration = salvage_narration(source.text) if source is not None else None
            if narration and source is not None:
                log.warning(
                    "request %s: %s gave no valid JSON; using its narration alone (%s)",
                    request.request_id,
                    provider_name,
                    all_problems,
                )
                attempts.append(
                    Attempt(
                        provider_name,
                        "narration_only",
                        FailureKind.INVALID_OUTPUT.value,
                        all_problems,
                        _ms(started),
                    )
                )
                output = ParsedOutput(narration=narration, issues=["narration salvaged from invalid JSON"])
                return _Outcome(output, source, repaired=False, narration_only=True)
        attempts.append(
            Attempt(
                provider_name, "invalid_output", FailureKind.INVALID_OUTPUT.value, all_problems, _ms(started)
            )
        )
        log.warning(
            "request %s: %s gave no usable output: %s", request.request_id, provider_name, all_problems
        )
        return None

    @staticmethod
    def _record_provider_error(breaker: CircuitBreaker, exc: ProviderError) -> None:
        if exc.kind is FailureKind.PROMPT_TOO_LONG:
            breaker.release_probe()  # the request's fault: the provider is fine, a bigger context may fit it
            return
        breaker.record_failure(exc.message, exc.kind.value)


def _parse(text: str) -> tuple[ParsedOutput | None, list[str]]:
    try:
        parsed = parse_model_output(text)
    except InvalidModelOutput as exc:
        return None, [str(exc)]
    return parsed, parsed.problems()


def _repair_request(request: GenerationRequest, bad_text: str, problems: list[str]) -> GenerationRequest:
    echo = bad_text if len(bad_text) <= REPAIR_ECHO_CHARS else bad_text[:REPAIR_ECHO_CHARS] + " …"
    instruction = (
        "Your previous reply could not be used: "
        + "; ".join(problems)[:1200]
        + '. Reply again with ONLY one JSON object {"narration": "...", "updates": [...]}, using only the '
        "allowed update types and fields, with no text before or after it."
    )
    return request.model_copy(
        update={
            "request_id": f"{request.request_id}:repair",
            "messages": [
                *request.messages,
                {"role": "assistant", "content": echo},
                {"role": "user", "content": instruction},
            ],
            "temperature": min(request.temperature, 0.3),
        }
    )


def _structured_output(provider: Provider) -> dict[str, Any]:
    status = getattr(provider, "structured_output_status", None)
    return {"structured_output": status()} if status is not None else {}


def _is_local(provider: Provider) -> bool:
    return bool(getattr(provider, "is_local", False))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def build_default_chain(settings: Mapping[str, str]) -> FallbackChain:
    """The production chain from env-like settings (pass `os.environ` or a dict).

    VLLM_HOST, VLLM_PORT (or VLLM_BASE_URL), LOCAL_MODEL_NAME: the local OpenAI-compatible server
      (LLM_LOCAL_ENABLED=0 leaves it out; LOCAL_STRUCTURED_OUTPUT picks how the schema is asked for:
      auto (probe the server), json_schema, json_object, guided_json, ollama or none).
    GEMINI_API_KEY (+ GEMINI_MODEL), XAI_API_KEY (+ XAI_MODEL, XAI_BASE_URL): the API fallbacks, when set.
    LLM_TIMEOUT_S (30), LLM_BREAKER_FAILURES (3), LLM_BREAKER_COOLDOWN_S (30), LLM_BREAKER_MAX_COOLDOWN_S (300),
    LLM_MAX_CONCURRENCY (64),
    LLM_FORCE_API (off). Always ends with the offline narrator.
    """

    def get(name: str, default: str = "") -> str:
        return (settings.get(name) or "").strip() or default

    providers: list[Provider] = []
    if _flag(settings.get("LLM_LOCAL_ENABLED"), True):
        base_url = (
            get("VLLM_BASE_URL") or f"http://{get('VLLM_HOST', 'localhost')}:{get('VLLM_PORT', '8000')}/v1"
        )
        providers.append(
            OpenAICompatibleProvider(
                base_url,
                model=get("LOCAL_MODEL_NAME"),
                name="vllm",
                structured_output=get("LOCAL_STRUCTURED_OUTPUT", "auto").lower(),
            )
        )
    if get("GEMINI_API_KEY"):
        providers.append(GeminiProvider(get("GEMINI_API_KEY"), model=get("GEMINI_MODEL", "gemini-2.5-flash")))
    if get("XAI_API_KEY"):
        providers.append(
            XAIProvider(
                get("XAI_API_KEY"),
                model=get("XAI_MODEL", "grok-3-mini"),
                base_url=get("XAI_BASE_URL", "https://api.x.ai/v1"),
            )
        )
    providers.append(OfflineNarrator())

    failures = int(get("LLM_BREAKER_FAILURES", "3"))
    cooldown_s = float(get("LLM_BREAKER_COOLDOWN_S", "30"))
    max_cooldown_s = max(cooldown_s, float(get("LLM_BREAKER_MAX_COOLDOWN_S", "300")))
    chain = FallbackChain(
        providers,
        request_timeout_s=float(get("LLM_TIMEOUT_S", "30")),
        max_concurrency=int(get("LLM_MAX_CONCURRENCY", str(DEFAULT_MAX_CONCURRENCY))),
        breaker_factory=lambda name: CircuitBreaker(name, failure_threshold=failures, cooldown_s=cooldown_s,
                                                    max_cooldown_s=max_cooldown_s),
    )
    chain.set_force_api(_flag(settings.get("LLM_FORCE_API"), False))
    return chain
