"""`python -m workers.vllm_server`: the vLLM OpenAI-compatible server, configured from `.env`."""

from __future__ import annotations

import os
import sys

from settings import Settings, get_settings


def vllm_argv(settings: Settings, override: str | None = None) -> list[str]:
    model = override or settings.local_model_path or settings.local_model_name
    if not model:
        raise SystemExit("LOCAL_MODEL_NAME or LOCAL_MODEL_PATH must be set to run vLLM")
    argv = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
            "--host", "127.0.0.1" if settings.vllm_host in ("localhost", "127.0.0.1") else "0.0.0.0",
            "--port", str(settings.vllm_port),
            "--gpu-memory-utilization", str(settings.gpu_memory_utilization),
            "--max-model-len", str(settings.max_model_len),
            "--tensor-parallel-size", str(settings.tensor_parallel_size)]
    if settings.local_model_path and settings.local_model_name and not override:
        argv += ["--served-model-name", settings.local_model_name]
    return argv


def chosen_model(settings: Settings) -> str | None:
    """The model `!switch_model` last chose, kept in Redis so a restart of the program keeps it."""
    import redis

    import keys
    from redis_clients import sync_client

    try:
        return sync_client(settings.redis_url, retries=1).get(keys.model_override())
    except redis.RedisError:
        return None


def main() -> None:
    settings = get_settings()
    argv = vllm_argv(settings, chosen_model(settings))
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
