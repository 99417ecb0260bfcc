"""The GPU worker's side of a turn: narration requests in, validated narrations out."""

from __future__ import annotations

from typing import Any


def generate_narrations(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for request in requests:
        lines = [f"{m['author']} says: “{m['text']}”" for m in request["context"]["messages"]]
        results.append({"narration": "The Dungeon Master considers the party.\n" + "\n".join(lines),
                        "provider": "offline", "updates": []})
    return results
