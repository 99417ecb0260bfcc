"""The spotlight note: one chatty player and two quiet ones; the quiet ones are named for the narrator."""

from __future__ import annotations

import json

from tasks.spotlight import spotlight_note
from workers.llm.prompts import build_turn_request
from workers.llm.providers.offline import OfflineNarrator

NAMES = {1: "Aria", 2: "Bram", 3: "Cora"}


def chatty_table() -> list[int | None]:
    # Bram and Cora spoke once early on; Aria spoke every turn since (None: a narration, a turn's end).
    return [2, 3, None, *([1, None] * 6)]


def test_the_quiet_players_are_named_with_turns_since_and_share() -> None:
    note = spotlight_note(chatty_table(), NAMES, [1])
    assert note is not None
    quiet = {q["name"]: q for q in note["quiet"]}
    assert set(quiet) == {"Bram", "Cora"}
    assert quiet["Bram"]["turns_since_last_message"] == 7 and quiet["Bram"]["share_of_messages"] < 0.2


def test_nobody_is_quiet_at_a_balanced_table_or_alone() -> None:
    assert spotlight_note([1, 2, 3, None, 2, 3, 1, None], NAMES, [1]) is None
    assert spotlight_note([1, None, 1, None], NAMES, [1]) is None


def test_a_batch_names_every_speaker() -> None:
    note = spotlight_note([1, 2, None], NAMES, [1, 2])
    assert note is not None and note["speakers"] == ["Aria", "Bram"]


def test_the_prompt_and_the_offline_narrator_carry_the_spotlight() -> None:
    note = spotlight_note(chatty_table(), NAMES, [1])
    context = {"player_messages": [{"author": "Aria", "player_id": 1, "text": "I keep talking"}], "spotlight": note}
    request = build_turn_request(context, "spot", max_model_len=16_000)
    prompt = request.messages[-1]["content"]
    assert '"spotlight"' in prompt and "Bram" in prompt and "Cora" in prompt
    assert "spotlight" in request.system
    narration = json.loads(OfflineNarrator().narrate(request.request_id, request.context))["narration"]
    assert "Bram" in narration and "Cora" in narration, narration
