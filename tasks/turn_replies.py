"""What a narrative turn posts, composed from its result (pure: the turn's transaction writes it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db.outbox import Reply


@dataclass(frozen=True)
class TurnReplies:
    replies: list[Reply]
    # The narration the channel's history keeps; None when it was discarded (a new one follows the actions).
    narration: str | None


def compose_replies(result: dict[str, Any], *, turn_id: str, target: dict[str, int | None], batch_size: int,
                    narrates: list[str] | None, effect_lines: list[str], question: str | None,
                    actions_ran: bool) -> TurnReplies:
    """The fallback notice (if any), then the narration with the applied updates' lines and the turn's question.
    When the model's actions ran, the narration was written before the engine resolved them: only the lines
    and the question are posted now, and a new narration follows from the actions' results."""
    asked = [f"❓ {question}"] if question else []
    replies: list[Reply] = []
    if result.get("notice"):
        replies.append(Reply(content=result["notice"], meta={"notice": True, "turn_id": turn_id}, **target))
    if actions_ran:
        if effect_lines or asked:
            replies.append(Reply(content="\n".join(effect_lines + asked),
                                 meta={"turn_id": turn_id, "effects": True}, **target))
        return TurnReplies(replies, None)
    narration = result.get("narration", "")
    meta: dict[str, Any] = {"provider": result.get("provider"), "turn_id": turn_id, "batch_size": batch_size}
    if result.get("answer"):  # valid | repaired | partial | narration_only: how the model's output was used
        meta["answer"] = result["answer"]
    if narrates:
        meta["narrates"] = narrates
    body = [narration, "\n".join(effect_lines)] if effect_lines else [narration]
    # Its own edit key: the X-card (`!x`) withdraws it by editing it to a notice.
    replies.append(Reply(content="\n\n".join(body + asked), meta=meta, edit_key=narration_key(turn_id), **target))
    return TurnReplies(replies, narration)


def narration_key(turn_id: str) -> str:
    return f"narration:{turn_id}"
