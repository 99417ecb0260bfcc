"""The `llamacpp` program's command line: a GGUF on a CPU machine runs llama-cpp-python's server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from settings import load_settings
from workers.llamacpp_server import cores, llamacpp_argv, serves_gguf_on_cpu


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_a_gguf_without_a_gpu_runs_llama_cpp(tmp_path: Path) -> None:
    gguf = tmp_path / "tiny.Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    settings = dataclasses.replace(load_settings(), local_model_path=str(gguf), local_model_name="",
                                   max_model_len=3072, vllm_port=8123, vllm_host="localhost")
    assert serves_gguf_on_cpu(settings, gpu=False)
    assert not serves_gguf_on_cpu(settings, gpu=True)  # vLLM serves GGUF on a GPU
    assert not serves_gguf_on_cpu(dataclasses.replace(settings, local_model_path=str(tmp_path)), gpu=False)
    argv = llamacpp_argv(settings)
    assert argv[1:3] == ["-m", "llama_cpp.server"]
    assert option(argv, "--model") == str(gguf) and option(argv, "--model_alias") == "tiny.Q8_0"
    assert option(argv, "--n_ctx") == "3072" and option(argv, "--port") == "8123"
    assert option(argv, "--host") == "127.0.0.1" and option(argv, "--n_gpu_layers") == "0"
    assert option(argv, "--n_threads") == option(argv, "--n_threads_batch") == str(cores())


def test_a_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    settings = dataclasses.replace(load_settings(), local_model_path=str(tmp_path / "absent.gguf"))
    with pytest.raises(SystemExit, match="must name a .gguf file"):
        llamacpp_argv(settings)
