"""xAI's Grok through the `openai` client."""

from __future__ import annotations

import json
import time
from typing import Any

from workers.llm.providers.base import (
    SCHEMA_NAME,
    FailureKind,
    GenerationRequest,
    GenerationResult,
    ProviderError,
    ProviderHealth,
    SdkProvider,
    chat_messages,
    classify_http_error,
    elapsed_ms,
    probe_health,
)


class XAIProvider(SdkProvider):
    """xAI's Grok through the `openai` client (an OpenAI-compatible API at https://api.x.ai/v1)."""

    def __init__(
        self,
        api_key: str,
        model: str = "grok-3-mini",
        *,
        base_url: str = "https://api.x.ai/v1",
        name: str = "xai",
        client: Any = None,
    ) -> None:
        super().__init__(name, model, api_key, client)
        self.base_url = base_url

    def _new_client(self) -> Any:
        from openai import AsyncOpenAI

        # No SDK retries: the chain's breaker and fallback decide what happens after a failure.
        return AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=60.0)

    @staticmethod
    async def _close_client(client: Any) -> None:
        await client.close()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        import openai

        started = time.perf_counter()
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request),
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
            latency_ms=elapsed_ms(started),
            finish_reason=getattr(choice, "finish_reason", None),
        )

    async def health(self) -> ProviderHealth:
        return await probe_health(self.name, self.model,
                                  lambda: self._client().models.retrieve(self.model, timeout=10.0),
                                  lambda exc: f"{type(exc).__name__}: {exc}")
