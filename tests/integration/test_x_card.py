"""The X-card through the real system: `!x` (by DM, anonymous) withdraws the last narration in the channel within a
second and the next narration is told to steer away."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system


@pytest.fixture
def model(system: SystemUnderTest) -> Iterator[object]:
    assert system.model is not None
    system.model.control(mode="ok")
    yield system.model
    system.model.reset(mode="fail", latency_ms=5)


def channel_turn(system: SystemUnderTest, player: int, text: str) -> dict:
    after = system.cursor()
    system.say(player, text)
    return system.wait_for(lambda e: e.get("channel") == system.channel_id and e["meta"].get("turn_id")
                           and not e["meta"].get("notice") and not e["meta"].get("effects"), after, timeout=60)[0]


def test_the_x_card_withdraws_the_last_narration_and_the_story_steers_away(system: SystemUnderTest,
                                                                           model: object) -> None:
    player, other = new_player_id(), new_player_id()
    assert "takes nothing after it" in system.command(other, "!x now", dm=True)["content"]
    narration = channel_turn(system, player, "I open the coffin and look at what is inside.")
    after = system.cursor()
    started = time.monotonic()
    answer = system.command(other, "!x", dm=True)
    assert "Withdrawn" in answer["content"] and answer.get("dm_user_id") == other
    [edit] = system.wait_for(lambda e: e.get("edit_of") == narration["id"], after, timeout=5)
    assert time.monotonic() - started < 1.0 + 0.5  # (the test's own polling included)
    assert "withdrawn with the X-card" in edit["content"] and edit.get("channel") == system.channel_id
    assert str(other) not in edit["content"] and f"Player{other}" not in edit["content"]  # nobody is told who

    for attempt in range(8):  # the model's breaker probes again after its cool-down
        if channel_turn(system, player, f"I step back from the coffin ({attempt}).")["meta"].get("provider") == "vllm":
            break
        time.sleep(1.2)
    else:
        raise AssertionError("the model never answered")
    user = [m["content"] for m in model.requests()[-1]["messages"] if m["role"] == "user"][-1]  # type: ignore
    data = json.loads(user[user.index("{"):user.rindex("}") + 1])
    assert "X-card" in data["safety"]["x_card"]
