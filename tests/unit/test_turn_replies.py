"""What a narrative turn posts, composed from the model's result and the applied updates (pure)."""

from __future__ import annotations

from tasks.turn_replies import compose_replies

TARGET: dict[str, int | None] = {"channel_id": 5, "dm_user_id": None}


def test_the_narration_carries_the_updates_and_the_question() -> None:
    composed = compose_replies({"narration": "The door opens.", "provider": "local"}, turn_id="t1", target=TARGET,
                               batch_size=2, narrates=["m9"], effect_lines=["🩸 Aria takes 3 damage."],
                               question="Which door?", actions_ran=False)
    assert composed.narration == "The door opens."
    [reply] = composed.replies
    assert reply.content == "The door opens.\n\n🩸 Aria takes 3 damage.\n\n❓ Which door?"
    assert reply.meta == {"provider": "local", "turn_id": "t1", "batch_size": 2, "narrates": ["m9"]}
    assert reply.channel_id == 5 and reply.dm_user_id is None


def test_a_fallback_notice_comes_first() -> None:
    composed = compose_replies({"narration": "Rain.", "provider": "offline", "notice": "*(fallback)*"}, turn_id="t2",
                               target=TARGET, batch_size=1, narrates=None, effect_lines=[], question=None,
                               actions_ran=False)
    assert [r.content for r in composed.replies] == ["*(fallback)*", "Rain."]
    assert composed.replies[0].meta == {"notice": True, "turn_id": "t2"}
    assert composed.replies[1].meta == {"provider": "offline", "turn_id": "t2", "batch_size": 1}


def test_after_the_model_actions_ran_the_narration_is_discarded() -> None:
    result = {"narration": "You drink.", "provider": "local"}
    composed = compose_replies(result, turn_id="t3", target=TARGET, batch_size=1, narrates=None,
                               effect_lines=["💚 Aria regains 4 HP."], question=None, actions_ran=True)
    assert composed.narration is None
    assert [(r.content, r.meta) for r in composed.replies] == [("💚 Aria regains 4 HP.",
                                                                {"turn_id": "t3", "effects": True})]
    quiet = compose_replies(result, turn_id="t3", target=TARGET, batch_size=1, narrates=None, effect_lines=[],
                            question=None, actions_ran=True)
    assert quiet.replies == [] and quiet.narration is None
