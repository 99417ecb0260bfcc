"""`python -m workers.llamacpp_server`: llama-cpp-python's OpenAI-compatible server for a GGUF model on CPU.

`make run` starts it (supervisord's `llamacpp` program) instead of vLLM when `LOCAL_MODEL_PATH` is a `.gguf`
file and no GPU is visible: one thread per core, the context from `MAX_MODEL_LEN`, on `VLLM_HOST:VLLM_PORT`
so the fallback chain's local provider talks to it unchanged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from settings import Settings, get_settings


def serves_gguf_on_cpu(settings: Settings, gpu: bool) -> bool:
    """The llama.cpp server, not vLLM, runs the local model: a GGUF file and no GPU."""
    return settings.local_model_path.lower().endswith(".gguf") and not gpu


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def llamacpp_argv(settings: Settings) -> list[str]:
    path = settings.local_model_path
    if not path or not Path(path).is_file():
        raise SystemExit(f"LOCAL_MODEL_PATH must name a .gguf file to run llama.cpp (got {path!r})")
    threads = str(cores())
    return [sys.executable, "-m", "llama_cpp.server", "--model", path,
            "--model_alias", settings.local_model_name or Path(path).stem,
            "--host", "127.0.0.1" if settings.vllm_host in ("localhost", "127.0.0.1") else "0.0.0.0",
            "--port", str(settings.vllm_port),
            "--n_ctx", str(settings.max_model_len),
            "--n_threads", threads, "--n_threads_batch", threads,
            "--n_gpu_layers", "0"]


def main() -> None:
    argv = llamacpp_argv(get_settings())
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
