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


CONTENT_TABLES = ("rules", "campaign_chunks", "corpus_indexes", "corpus_files", "corpus_chunks", "corpus_windows")


def traces(system: SystemUnderTest, user_id: int) -> dict[str, int]:
    """Rows of any game table (content imports aside) whose text holds the user's id."""
    tables = [r.table_name for r in system.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        if r.table_name not in CONTENT_TABLES]
    found = {t: system.sql(f'SELECT count(*) AS n FROM "{t}" AS r WHERE r::text LIKE :id', id=f"%{user_id}%")[0].n
             for t in tables}
    return {t: n for t, n in found.items() if n}


def test_the_x_card_records_nothing_of_its_sender_unless_the_owner_chose_to_be_told(system: SystemUnderTest,
                                                                                  model: object) -> None:
    player, sender, second = new_player_id(), new_player_id(), new_player_id()
    owner = system.owner_id
    shown = system.command(player, "!safety")["content"]
    assert "anonymous" in shown and "the owner included" in shown
    assert "takes nothing after it" in system.command(sender, "!x now", dm=True)["content"]
    channel_turn(system, player, "I open the coffin and look at what is inside.")
    answer = system.command(sender, "!x", dm=True)
    assert "nobody is told" in answer["content"] and answer.get("dm_user_id") == sender
    assert traces(system, sender) == {}  # not the outbox, not the audit log, not anywhere

    def reveal() -> object:
        return system.sql("SELECT value FROM bot_state WHERE key = 'xcard_reveal'")

    setting = reveal()
    for who, text, expected in ((sender, "!safety xcard-reveal on", "Only the owner"),
                                (owner, "!safety xcard-reveal maybe", "Say `on` or `off`"),
                                (owner, "!safety banana", "the owner sets `!safety xcard-reveal on|off`"),
                                (owner, "!safety xcard-reveal " + "on" * 1500, "That's too long")):
        assert expected in system.command(who, text, dm=True)["content"], text
        assert reveal() == setting
    try:
        after = system.cursor()
        assert "the owner is told who uses the X-card" in system.command(owner, "!safety xcard-reveal on",
                                                                         dm=True)["content"]
        [news] = system.wait_for(lambda e: e.get("channel") == system.channel_id and "X-card setting" in e["content"],
                                 after)
        assert "the owner is told" in news["content"]  # the table hears it at once
        assert system.sql("SELECT count(*) AS n FROM audit_log WHERE actor = :a AND action = '!safety xcard-reveal on'",
                          a=f"owner:{owner}")[0].n >= 1
        assert "has chosen to be told" in system.command(player, "!safety")["content"]

        channel_turn(system, player, "I lift the lid of the second coffin.")
        after = system.cursor()
        answer = system.command(second, "!x", dm=True)
        assert "the owner is told it was you" in answer["content"]
        [told] = system.wait_for(lambda e: e.get("dm_user_id") == owner and "used the X-card" in e["content"], after)
        assert f"<@{second}>" in told["content"]
        assert set(traces(system, second)) == {"outbox"}  # the owner's DM, and nothing else
    finally:
        assert "nobody, the owner included" in system.command(owner, "!safety xcard-reveal off")["content"]
