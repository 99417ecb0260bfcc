"""`scripts/setup_local_llm.py` through its command line: what is missing is printed, the env file is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from settings import PROJECT_ROOT

MODEL_SETTINGS = ("LOCAL_MODEL_NAME", "LOCAL_MODEL_PATH", "GPU_MEMORY_UTILIZATION", "MAX_MODEL_LEN",
                  "TENSOR_PARALLEL_SIZE")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # The operator's own configuration (or a test system's) must not leak into these runs.
    env = {key: value for key, value in os.environ.items() if key not in MODEL_SETTINGS}
    return subprocess.run([sys.executable, "scripts/setup_local_llm.py", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_without_gpu_or_model_it_says_what_is_missing(tmp_path: Path) -> None:
    import importlib.util

    from workers.gpu import gpu_memory

    result = run("--model-path", str(tmp_path / "nowhere"), "--model-name", "")
    assert result.returncode == 1
    if not gpu_memory():
        assert "no NVIDIA GPU visible" in result.stdout
    if importlib.util.find_spec("vllm") is None:
        assert "vllm is not installed" in result.stdout
    assert f"model directory {tmp_path / 'nowhere'} does not exist" in result.stdout


def test_a_model_directory_is_checked_and_the_configuration_written(tmp_path: Path) -> None:
    model = tmp_path / "tiny-llama"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "tokenizer.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"\0" * 16)
    env_file = tmp_path / ".env"
    env_file.write_text("# keep me\nDISCORD_TOKEN=abc\nMAX_MODEL_LEN=2048\n")
    result = run("--model-path", str(model), "--max-model-len", "8192", "--write", "--env-file", str(env_file))
    assert "✔ weights: model.safetensors" in result.stdout and "✔ tokenizer files" in result.stdout
    written = env_file.read_text().splitlines()
    assert written[:2] == ["# keep me", "DISCORD_TOKEN=abc"]
    assert "MAX_MODEL_LEN=8192" in written and f"LOCAL_MODEL_PATH={model}" in written
    assert "LOCAL_MODEL_NAME=tiny-llama" in written


def test_a_directory_without_weights_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    result = run("--model-path", str(tmp_path))
    assert result.returncode == 1 and "has no weights" in result.stdout and "has no tokenizer" in result.stdout


def test_bad_arguments_are_refused() -> None:
    result = run("--gpu-memory-utilization", "1.5")
    assert result.returncode == 2 and "between 0.1 and 0.99" in result.stderr
