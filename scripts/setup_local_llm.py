"""Check what the local model needs and write its configuration.

    python scripts/setup_local_llm.py                                   # report only
    python scripts/setup_local_llm.py --model-path /models/llama-3-8b --model-name llama-3-8b --write

It checks the GPU (nvidia-ml-py), vLLM (requirements-gpu.txt), and the model files (config.json, tokenizer,
weights), and with --write records LOCAL_MODEL_NAME, LOCAL_MODEL_PATH, GPU_MEMORY_UTILIZATION, MAX_MODEL_LEN and
TENSOR_PARALLEL_SIZE in the env file. Nothing is downloaded: weights must already be on disk. Exits 0 when the
local model can run here, 1 when something is missing (each missing thing is printed), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settings import PROJECT_ROOT, get_settings
from workers.gpu import gpu_memory

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.gguf", "*.pt")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


@dataclass
class Report:
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing


def check_model_dir(path: Path, report: Report) -> None:
    if not path.is_dir():
        report.missing.append(f"model directory {path} does not exist")
        return
    if (path / "config.json").is_file():
        report.found.append(f"{path}/config.json")
    elif not any(path.glob("*.gguf")):
        report.missing.append(f"{path} has no config.json (a Hugging Face model directory has one)")
    weights = sorted(p.name for pattern in WEIGHT_PATTERNS for p in path.glob(pattern))
    if weights:
        report.found.append(f"weights: {', '.join(weights[:4])}{' …' if len(weights) > 4 else ''}")
    else:
        report.missing.append(f"{path} has no weights ({', '.join(WEIGHT_PATTERNS)})")
    if any((path / name).is_file() for name in TOKENIZER_FILES) or any(path.glob("*.gguf")):
        report.found.append("tokenizer files")
    else:
        report.missing.append(f"{path} has no tokenizer ({', '.join(TOKENIZER_FILES)})")


def check(model_path: str, model_name: str, tensor_parallel: int) -> Report:
    report = Report()
    gpus = gpu_memory()
    if gpus:
        report.found += [f"GPU {g['index']}: {g['name']} ({g['total_mib']:,} MiB)" for g in gpus]
        if len(gpus) < tensor_parallel:
            report.missing.append(f"TENSOR_PARALLEL_SIZE={tensor_parallel} needs {tensor_parallel} GPUs; "
                                  f"{len(gpus)} found")
    else:
        report.missing.append("no NVIDIA GPU visible (nvidia-ml-py found none): vLLM will not start here; the "
                              "fallback chain (API, then offline narrator) answers instead")
    if importlib.util.find_spec("vllm") is not None:
        report.found.append("vllm is installed")
    else:
        report.missing.append("vllm is not installed: `.venv/bin/pip install -r requirements-gpu.txt`")
    if model_path:
        check_model_dir(Path(model_path), report)
    elif model_name:
        report.found.append(f"model name {model_name} (vLLM loads it from its local cache; no download here)")
    else:
        report.missing.append("no model: pass --model-path (a directory on disk) or --model-name")
    return report


def write_env(env_file: Path, values: dict[str, str]) -> None:
    """Set the keys in the env file, keeping every other line as it was."""
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    remaining = dict(values)
    updated = []
    for line in lines:
        key = line.split("=", 1)[0].strip()
        if key in remaining and not line.lstrip().startswith("#"):
            updated.append(f"{key}={remaining.pop(key)}")
        else:
            updated.append(line)
    updated += [f"{key}={value}" for key, value in remaining.items()]
    env_file.write_text("\n".join(updated) + "\n")


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--model-name", default=None, help="default: the directory's name, else LOCAL_MODEL_NAME")
    parser.add_argument("--gpu-memory-utilization", type=float, default=settings.gpu_memory_utilization)
    parser.add_argument("--max-model-len", type=int, default=settings.max_model_len)
    parser.add_argument("--tensor-parallel-size", type=int, default=settings.tensor_parallel_size)
    parser.add_argument("--write", action="store_true", help="record the configuration in the env file")
    parser.add_argument("--env-file", type=Path, default=PROJECT_ROOT / ".env")
    args = parser.parse_args(argv)
    if args.model_path is None:
        args.model_path = settings.local_model_path
        args.model_name = settings.local_model_name if args.model_name is None else args.model_name
    elif args.model_name is None:
        args.model_name = Path(args.model_path).name
    if not 0.1 <= args.gpu_memory_utilization <= 0.99:
        parser.error("--gpu-memory-utilization must be between 0.1 and 0.99")
    if args.max_model_len < 512 or args.tensor_parallel_size < 1:
        parser.error("--max-model-len must be at least 512 and --tensor-parallel-size at least 1")
    report = check(args.model_path, args.model_name, args.tensor_parallel_size)
    for line in report.found:
        print(f"✔ {line}")
    for line in report.missing:
        print(f"✘ {line}")
    if args.write:
        write_env(args.env_file, {
            "LOCAL_MODEL_NAME": args.model_name,
            "LOCAL_MODEL_PATH": args.model_path,
            "GPU_MEMORY_UTILIZATION": str(args.gpu_memory_utilization),
            "MAX_MODEL_LEN": str(args.max_model_len),
            "TENSOR_PARALLEL_SIZE": str(args.tensor_parallel_size),
        })
        print(f"configuration written to {args.env_file}")
    print("ready: the local model can run here" if report.ready else "not ready: see ✘ above")
    return 0 if report.ready else 1


if __name__ == "__main__":
    sys.exit(main())
