"""Gemini through `google-genai`."""

from __future__ import annotations

import time
from typing import Any

from workers.llm.providers.base import (
    FailureKind,
    GenerationRequest,
    GenerationResult,
    ProviderError,
    ProviderHealth,
    SdkProvider,
    classify_http_error,
    elapsed_ms,
    probe_health,
)
from workers.llm.schema import adapt_schema


class GeminiProvider(SdkProvider):
    """Gemini through `google-genai` (`client.aio.models.generate_content`), JSON mode with a JSON schema.

    The schema goes in `response_json_schema` (google-genai ≥ 1.x: plain JSON Schema, `$defs`/`anyOf`
    supported) rather than `response_schema`, which takes Gemini's OpenAPI-subset `Schema`.
    """

    def __init__(
        self,
        api_key: str,
        model: str = "gemini-2.5-flash",
        *,
        name: str = "gemini",
        client: Any = None,
        thinking_budget: int | None = 0,
    ) -> None:
        super().__init__(name, model, api_key, client)
        # Thinking tokens count against max_output_tokens; a DM turn needs none (flash models allow 0).
        self.thinking_budget = thinking_budget

    def _new_client(self) -> Any:
        from google import genai

        return genai.Client(api_key=self._api_key)

    @staticmethod
    async def _close_client(client: Any) -> None:
        aclose = getattr(getattr(client, "aio", None), "aclose", None)
        if aclose is not None:
            await aclose()

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
            latency_ms=elapsed_ms(started),
            finish_reason=_gemini_finish_reason(response),
        )

    async def health(self) -> ProviderHealth:
        return await probe_health(self.name, self.model, lambda: self._client().aio.models.get(model=self.model),
                                  lambda exc: str(self._provider_error(exc)))

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
