"""Spotlight: who at the table has been quiet, for the narrator to give them a moment (pure, over the channel's
recent speakers as `db.turn_context.recent_speakers` lists them)."""

from __future__ import annotations

from collections import Counter
from typing import Any

QUIET_AFTER_TURNS = 3  # narrations since a player's last message before they count as quiet
QUIET_SHARE = 0.5  # or a share of the messages under half of an even share


def spotlight_note(speakers: list[int | None], names: dict[int, str], speaking_now: list[int]) -> dict[str, Any] | None:
    """The prompt's spotlight note: the quiet players (turns since they last spoke, their share of the table's
    messages) and, for a batch, everyone who spoke in it; None when nobody needs it."""
    now = [player for player in dict.fromkeys(speaking_now) if player in names]
    said = Counter(p for p in [*speakers, *now] if p is not None and p in names)
    note: dict[str, Any] = {}
    if len(said) >= 2:
        total = sum(said.values())
        quiet = []
        for player in said:
            since = _turns_since(speakers, player) if player not in now else 0
            share = said[player] / total
            if since >= QUIET_AFTER_TURNS or share < QUIET_SHARE / len(said):
                quiet.append({"name": names[player], "turns_since_last_message": since,
                              "share_of_messages": round(share, 2)})
        if quiet:
            note["quiet"] = quiet
    if len(now) > 1:
        note["speakers"] = [names[player] for player in now]
    return note or None


def _turns_since(speakers: list[int | None], player: int) -> int:
    turns = 0
    for speaker in reversed(speakers):
        if speaker == player:
            return turns
        if speaker is None:
            turns += 1
    return turns
