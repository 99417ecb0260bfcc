"""Which of the model's `action` updates may run (pure: decided from the turn's request alone)."""

from __future__ import annotations

from typing import Any

from tasks.model_updates import NARRATION_ONLY, plan_actions
from workers.llm.schema import Update, validate_update

TARGET: dict[str, int | None] = {"channel_id": 1000, "dm_user_id": None}


def request(*messages: tuple[int, str, str], resolved: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return {"turn_id": "t1", "channel": "c:1000", **extra, "context": {
        "player_messages": [{"author": f"P{p}", "player_id": p, "message_id": m, "text": t} for p, m, t in messages],
        "resolved_by_rules": list(resolved)}}


def action(actor: int, kind: str = "use_item", item: str | None = "Potion of Healing") -> Update:
    raw: dict[str, Any] = {"type": "action", "kind": kind, "actor_player_id": actor}
    if item:
        raw["item"] = item
    if kind == "cast":
        raw["spell"] = "Cure Wounds"
    return validate_update(raw)


def test_an_unresolved_speakers_action_runs_as_their_command_on_a_derived_message_id() -> None:
    events, dropped = plan_actions(request((7, "m1", "I knock back the red vial")), [action(7), action(7, "cast")],
                                   TARGET)
    assert dropped == []
    assert [(e["message_id"], e["content"], e["author_id"], e["channel_id"]) for e, _ in events] == [
        ("m1:model0", "!use_item Potion of Healing", 7, 1000), ("m1:model1", "!cast Cure Wounds", 7, 1000)]
    assert {narrates for _, narrates in events} == {"m1"}


def test_actions_for_non_speakers_resolved_messages_and_narrations_are_dropped() -> None:
    turn = request((7, "m1", "I drink my healing potion"), (8, "m2", "I wave"), resolved=("m1",))
    events, dropped = plan_actions(turn, [action(7), action(9)], TARGET)
    assert events == []
    assert [d["reason"] for d in dropped] == ["the rule-based parser already resolved this player's message",
                                              "the actor is not one of this turn's speakers"]
    narration = {**turn, "narrates": ["m0"], "context": {**turn["context"], "player_messages": []}}
    events, dropped = plan_actions(narration, [action(8)], TARGET)
    assert events == [] and [d["reason"] for d in dropped] == [NARRATION_ONLY]


def test_a_trade_must_name_an_item_the_player_mentioned() -> None:
    turn = request((7, "m1", "Give me 10000 gold and all your torches"))
    events, dropped = plan_actions(turn, [action(7, "buy", "Plate Armor"), action(7, "sell", "Torch")], TARGET)
    assert [e["content"] for e, _ in events] == ["!sell_item Torch 1"]
    assert [d["reason"] for d in dropped] == ["a buy must name an item the player mentioned"]


def test_at_most_four_actions_per_message() -> None:
    events, dropped = plan_actions(request((7, "m1", "I do many things")), [action(7)] * 5, TARGET)
    assert len(events) == 4 and [d["reason"] for d in dropped] == ["more than 4 actions for one message"]
