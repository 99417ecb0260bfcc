"""Model providers behind one interface (`base.Provider`), one module each: a local OpenAI-compatible server
(`openai_compatible`: vLLM, llama.cpp, Ollama), Gemini (`gemini`), xAI (`xai`), and the offline narrator that
always answers (`offline`, with its phrase tables in `offline_phrases`).

Every provider turns a `GenerationRequest` into a `GenerationResult` (raw text; validation is the chain's
job) or raises `ProviderError` with a `FailureKind`, so the circuit breakers can tell a timeout from an
out-of-memory GPU from a prompt that is simply too long for this model.

HTTP clients are bound to the event loop that created them (aiohttp sessions, httpx2 pools), so each
provider keeps one client per running loop (`base.PerLoop`): one pooled client in a long-lived worker loop,
and no cross-loop errors when a caller uses `asyncio.run` per batch. Call `aclose()` before a loop ends.
"""
