"""The campaign's memory through the real system: notes taken as turns are played, the narrator reminded of
them by the players' words, session summaries, `!recap`, `!journal`, `!npc`, and the owner's edits."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.integration.test_narrator import dm_turn, narrated_by
from tests.system import SystemUnderTest, new_player_id

pytestmark = pytest.mark.system

PROMISE = "I promise Mirela Thistlewood that we will find her brother in the salt caves."


@pytest.fixture
def model(system: SystemUnderTest) -> Iterator[object]:
    assert system.model is not None
    system.model.control(mode="ok")
    yield system.model
    system.model.reset(mode="fail", latency_ms=5)


def activate_own_campaign(system: SystemUnderTest, name: str) -> int:
    """A campaign of this module's own, made active: its 60 turns stay out of the shipped campaigns' history,
    which other tests' plot hooks read."""
    rows = system.sql("INSERT INTO campaigns (name, description, current_act, current_scene, plot_flags, "
                      "plot_structure) VALUES (:n, '', 1, 1, '{}', '{}') ON CONFLICT (name) DO UPDATE SET "
                      "description = '' RETURNING id", n=name)
    system.sql("INSERT INTO bot_state (key, value) VALUES ('active_campaign', CAST(:v AS jsonb)) "
               "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", v=json.dumps({"campaign_id": rows[0].id}))
    return int(rows[0].id)


def prompt_data(request: dict) -> dict:
    user = [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
    return json.loads(user[user.index("{"):user.rindex("}") + 1])


def test_a_promise_from_turn_3_is_in_the_prompt_at_turn_58(system: SystemUnderTest, model: object) -> None:
    player = new_player_id()
    activate_own_campaign(system, "The Long Road (journal test)")
    for turn in range(1, int(__import__("os").environ.get("JOURNAL_TURNS", "58"))):
        dm_turn(system, player, PROMISE if turn == 3 else f"I keep walking down the long road, mile {turn}.")
    narrated_by(system, "vllm", player, "What was it I promised Mirela, back at the start?")
    data = prompt_data(model.requests()[-1])  # type: ignore[attr-defined]
    # Turn 3 is long out of the history window (the last 40 messages); the journal brings it back.
    promises = [line for line in data["journal"] if line.startswith("[promise")]
    assert any(f"Player{player}: “{PROMISE}”" in line for line in promises), data["journal"]

    found = system.command(player, "!journal mirela", dm=True)["content"]
    assert "salt caves" in found and "promise" in found


def test_sessions_are_summarised_and_the_journal_is_kept_across_a_restart(system: SystemUnderTest) -> None:
    player, stranger = new_player_id(), new_player_id()
    activate_own_campaign(system, "The Bell of Aldous (journal test)")
    system.command(system.owner_id, "!end_session")  # close whatever earlier tests played
    dm_turn(system, player, "We swear to Brother Aldous that the bell will ring again by midwinter.")
    dm_turn(system, player, "I light a candle at the shrine.")
    notes = system.command(player, "!journal bell", dm=True)["content"]
    assert "Brother Aldous" in notes and "bell will ring again" in notes
    number = int(re.search(r"`#(\d+)`", notes).group(1))  # type: ignore[union-attr]

    # Bad input and the wrong people change nothing.
    for author, text, expected in [
            (player, f"!journal_strike {number}", "Only the owner"),
            (player, "!journal_edit 1 rewritten", "Only the owner"),
            (system.owner_id, "!journal_edit first x", "Give the entry's number"),
            (system.owner_id, f"!journal_edit {number}", "Give the new text"),
            (system.owner_id, f"!journal_edit {number} " + "z" * 1200, "too long"),
            (player, "!journal " + "x" * 300, "too long"),
            (player, "!journal zzqxv", "Nothing in the journal about"),
            (player, "!npc " + "y" * 100, "too long"),
            (player, "!npc Nobodyknowsme", "doesn't know anyone"),
            (player, "!recap yesterday", "`!recap all`"),
            (stranger, "!end_session", "only"),
            (system.owner_id, "!journal_edit 999999999 x", "no journal entry #999999999"),
            (system.owner_id, f"!journal_strike {number} now", "takes only the entry's number")]:
        answer = system.command(author, text, dm=author != system.owner_id)["content"]
        assert expected.casefold() in answer.casefold(), (text, answer)
    assert "Brother Aldous" in system.command(player, "!journal bell", dm=True)["content"]

    closed = system.command(system.owner_id, "!end_session")["content"]
    assert "is in the journal" in closed and "Brother Aldous" in closed, closed
    assert "Nothing was played" in system.command(system.owner_id, "!end_session")["content"]

    system.ctl("restart", "worker-cpu")
    system.wait_workers_ready(("cpu@",))
    recap = system.command(player, "!recap", dm=True)["content"]
    assert "Brother Aldous" in recap and "Promises made" in recap, recap

    edited = system.command(system.owner_id, f"!journal_edit {number} Brother Aldous asked us to ring the bell.")
    assert "rewritten" in edited["content"]
    [audit] = system.sql("SELECT before, after FROM audit_log WHERE target = :t ORDER BY id DESC LIMIT 1",
                         t=f"journal:{number}")
    assert "midwinter" in audit.before["text"] and audit.after["text"] == "Brother Aldous asked us to ring the bell."
    assert "struck out" in system.command(system.owner_id, f"!journal_strike {number}")["content"]
    assert "ring the bell" not in system.command(player, "!journal bell", dm=True)["content"]


STORY = ("The party knelt with Brother Aldous at the shrine of the silent bell and swore to see it ring again "
         "before midwinter; a candle was lit for the road ahead.")


def chronicled(system: SystemUnderTest, after: str, seconds: float) -> list[dict]:
    return system.quiet_for(lambda e: "as the chronicler tells it" in e["content"], after, seconds)


def test_the_model_writes_the_session_summary_once_and_the_record_stays_when_it_is_down(
        system: SystemUnderTest, model: object) -> None:
    from celery import Celery

    import keys

    player = new_player_id()
    campaign_id = activate_own_campaign(system, "The Silent Bell (summary test)")
    system.command(system.owner_id, "!end_session")  # close whatever earlier tests played
    narrated_by(system, "vllm", player, "I kneel at the shrine of the silent bell QXCHRONICLE")
    dm_turn(system, player, "We swear to Brother Aldous the bell will ring again before midwinter QXCHRONICLE.")
    model.control(answers=[{"when": "QXCHRONICLE", "answer": {"narration": STORY}}])  # type: ignore[attr-defined]
    after = system.cursor()
    closed = system.command(system.owner_id, "!end_session")["content"]
    assert "is in the journal" in closed and "Brother Aldous" in closed, closed  # the record's, at once
    [told] = system.wait_for(lambda e: "as the chronicler tells it" in e["content"], after, timeout=30)
    assert STORY in told["content"]
    # The model's story in the journal, between the record's header and its mechanical facts.
    recap = system.command(player, "!recap", dm=True)["content"]
    assert STORY in recap and re.search(r"Session \d+: \d+ turns of play\. The party knelt", recap), recap
    assert "The story stands at act 1, scene 1." in recap
    [row] = system.sql("SELECT id, text FROM journal_entries WHERE campaign_id = :c AND kind = 'summary' "
                       "ORDER BY id DESC LIMIT 1", c=campaign_id)
    [audit] = system.sql("SELECT actor, before FROM audit_log WHERE target = :t AND action = 'session summary written'",
                         t=f"journal:{row.id}")
    assert audit.actor == "model:vllm" and "Brother Aldous" in audit.before["text"]

    # A retried store (a redelivery after a crash) changes nothing and posts nothing again.
    sender = Celery("test")
    sender.config_from_object("celeryconfig")
    again = {"summary": {"entry_id": row.id, "campaign_id": campaign_id, "session": 1, "header": "Session 1:",
                         "facts": [], "turns": [], "record_text": audit.before["text"]},
             "event": {"channel_id": system.channel_id, "author_id": system.owner_id}}
    after = system.cursor()
    sender.send_task(keys.STORE_SUMMARY_TASK, args=[again, {
        "provider": "vllm", "narration": "An entirely different story of the session, told a second time over."}])
    assert chronicled(system, after, 4) == []
    assert system.sql("SELECT text FROM journal_entries WHERE id = :i", i=row.id)[0].text == row.text

    # The model down: the record's summary is the session's, and nothing follows it.
    dm_turn(system, player, "I ring the silent bell once more QXCHRONICLE.")
    model.control(mode="fail")  # type: ignore[attr-defined]
    after = system.cursor()
    closed = system.command(system.owner_id, "!end_session")["content"]
    assert "is in the journal" in closed and "1 turn of play" in closed, closed
    assert chronicled(system, after, 6) == []
    [last] = system.sql("SELECT text FROM journal_entries WHERE campaign_id = :c AND kind = 'summary' "
                        "ORDER BY id DESC LIMIT 1", c=campaign_id)
    assert last.text == closed.split("is in the journal:\n", 1)[1]


def test_a_model_summary_naming_someone_the_session_never_met_is_not_saved(system: SystemUnderTest,
                                                                           model: object) -> None:
    player = new_player_id()
    campaign_id = activate_own_campaign(system, "The Silent Bell (invented names)")
    system.command(system.owner_id, "!end_session")  # close whatever earlier tests played
    narrated_by(system, "vllm", player, "I kneel at the shrine of the silent bell QXINVENTED")
    invented = STORY.replace("a candle was lit", "Lord Varanis of Thornwall lit a candle")
    model.control(answers=[{"when": "QXINVENTED", "answer": {"narration": invented}}])  # type: ignore[attr-defined]
    after = system.cursor()
    closed = system.command(system.owner_id, "!end_session")["content"]
    assert "is in the journal" in closed, closed
    assert chronicled(system, after, 6) == []  # the model's story was refused: the record's summary stays
    [last] = system.sql("SELECT text FROM journal_entries WHERE campaign_id = :c AND kind = 'summary' "
                        "ORDER BY id DESC LIMIT 1", c=campaign_id)
    assert last.text == closed.split("is in the journal:\n", 1)[1] and "Varanis" not in last.text


def journal_index_holds(system: SystemUnderTest, campaign_id: int, words: str, timeout: float = 30) -> bool:
    """Whether the sweeper indexed (or dropped) the entries with `words` within `timeout`: the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        held = bool(system.sql("SELECT 1 FROM corpus_chunks WHERE index_name = :n AND text LIKE :w",
                               n=f"journal:{campaign_id}", w=f"%{words}%"))
        if held or time.monotonic() > deadline:
            return held
        time.sleep(0.5)


def test_a_promise_three_sessions_ago_is_recalled_by_meaning(system: SystemUnderTest, model: object) -> None:
    player = new_player_id()
    campaign_id = activate_own_campaign(system, "The Salt Caves (journal retrieval test)")
    system.command(system.owner_id, "!end_session")  # close whatever earlier tests played
    # The offline narrator tells these sessions: the stand-in model's narration echoes its whole prompt, journal
    # included, and its echo of the promise would be noted again in every session.
    model.control(mode="fail")  # type: ignore[attr-defined]
    dm_turn(system, player, "I promise Mirela Thistlewood that we will find her brother in the salt caves.")
    system.command(system.owner_id, "!end_session")
    for day in (2, 3):
        dm_turn(system, player, f"I keep walking down the long road, day {day}.")
        system.command(system.owner_id, "!end_session")
    assert journal_index_holds(system, campaign_id, "her brother in the salt caves")

    question = "What did we tell the woman about her lost relative?"
    # No word of the question is in the promise: the journal's full-text search alone finds nothing.
    assert "Nothing in the journal about" in system.command(player, f"!journal {question}", dm=True)["content"]
    model.control(mode="ok")  # type: ignore[attr-defined]
    narrated_by(system, "vllm", player, question)
    data = prompt_data(model.requests()[-1])  # type: ignore[attr-defined]
    recalled = [line for line in data["journal"] if "salt caves" in line]
    # The last summary (session 3) is always there; the promise comes back by meaning, from session 1.
    assert data["journal"][0].startswith("[summary, session 3]") and "salt caves" not in data["journal"][0]
    assert recalled and all("session 1]" in line for line in recalled), data["journal"]

    # A struck entry leaves the index too.
    number = int(re.search(r"`#(\d+)`", system.command(player, "!journal mirela", dm=True)["content"]).group(1))  # type: ignore[union-attr]
    assert "struck out" in system.command(system.owner_id, f"!journal_strike {number}")["content"]
    deadline = time.monotonic() + 30
    while system.sql("SELECT 1 FROM corpus_files WHERE index_name = :n AND path = :p", n=f"journal:{campaign_id}",
                     p=f"{number}.md") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not system.sql("SELECT 1 FROM corpus_files WHERE index_name = :n AND path = :p",
                          n=f"journal:{campaign_id}", p=f"{number}.md")
