"""The notes a turn adds to the campaign's memory, and the summary of a session (corpus.journal, pure parts)."""

from __future__ import annotations

from corpus.journal import (
    MAX_MODEL_SUMMARY_CHARS,
    MAX_SUMMARY_SOURCE_CHARS,
    SessionRecord,
    accept_model_summary,
    invented_names,
    notes_from_turn,
    offline_summary,
    search_terms,
    summary_source,
)


def test_an_npc_is_noted_when_first_named_in_a_session_and_promises_whoever_makes_them() -> None:
    notes = notes_from_turn(
        [("Ana", "I promise Pell we'll come back with the map."), ("Bram", "Nice weather.")],
        "Pell Quickwater nods slowly. Pell pockets the coin.", ["Pell Quickwater", "Ilse Varn"], [],
        "The Drowned Quay", "Town Square")
    kinds = [(n.kind, n.subject) for n in notes]
    assert ("npc", "Pell Quickwater") in kinds and kinds.count(("npc", "Pell Quickwater")) == 1
    [promise] = [n for n in notes if n.kind == "promise"]
    assert promise.subject == "Pell Quickwater"
    assert promise.text == "Ana: “I promise Pell we'll come back with the map.”"
    assert ("place", "The Drowned Quay") in kinds
    assert not any(n.subject == "Ilse Varn" for n in notes)


def test_nothing_is_noted_twice_and_lower_case_words_are_not_names() -> None:
    notes = notes_from_turn([("Ana", "the pell-mell crowd pushes past")], "", ["Pell Quickwater"],
                            ["Pell Quickwater"], "Town Square", "Town Square")
    assert notes == []


def test_a_session_summary_is_written_from_its_record() -> None:
    text = offline_summary(SessionRecord(
        number=3, turns=14, narrations=["The bell tolls once. Then silence."], places=["Town Square", "The Crypt"],
        npcs=["Pell Quickwater"], items=[("Potion of Healing", 2), ("Rope", 1)],
        promises=["Ana: “I promise Pell we'll come back.”"], deaths=[],
        events=["The fight at the Crypt ends: Goblin 1 and Goblin 2 defeated; 100 XP each."],
        plot={"current_act": 2, "current_scene": 4, "plot_flags": {"bell_rung": True}}))
    assert text.startswith("Session 3: 14 turns of play.")
    assert "Town Square then The Crypt" in text and "They met Pell Quickwater." in text
    assert "Potion of Healing ×2" in text and "Promises made: Ana:" in text
    assert "What happened: The fight at the Crypt ends: Goblin 1 and Goblin 2 defeated" in text
    assert "act 2, scene 4 (flags: bell_rung=True)" in text and "Last: The bell tolls once." in text


def test_search_terms_keep_names_and_drop_short_words() -> None:
    assert search_terms("What did I promise Mirela, at 3 o'clock?") == ["what", "did", "promise", "mirela", "o'clock"]


def test_a_narration_quoting_the_players_promise_does_not_note_it_twice() -> None:
    said = "I promise Mirela we will find her brother."
    notes = notes_from_turn([("Ana", said)], f"Ana's words hang in the air: “{said}” What do you do?", [], [],
                            None, None)
    assert [(n.kind, n.text) for n in notes] == [("promise", f"Ana: “{said}”")]


SESSION = {"header": "Session 2: 3 turns of play.", "record_text": "Session 2: 3 turns of play. Gained: Rope.",
           "facts": ["Gained: Rope.", "The story stands at act 1, scene 2."],
           "turns": ["Ana: I promise Pell we'll be back in 3 days.", "DM: Pell nods and hands over the rope."],
           "known_names": ["Pell Quickwater"]}  # from the journal: met in an earlier session


def test_a_models_summary_keeps_the_records_header_and_facts_around_its_story() -> None:
    story = "Ana promised Pell Quickwater to return within 3 days, and Pell handed the party a rope."
    assert accept_model_summary(story, SESSION) == (
        f"Session 2: 3 turns of play. {story} Gained: Rope. The story stands at act 1, scene 2.")


def test_a_models_summary_that_invents_a_number_or_is_not_plain_text_or_too_long_is_refused() -> None:
    story = "Ana promised Pell Quickwater to return, and Pell handed the party a rope at the quay."
    assert accept_model_summary(story, SESSION) is not None
    assert accept_model_summary(story + " They found 500 gold.", SESSION) is None  # 500 is nowhere in the session
    assert accept_model_summary(story + " Gained 7 potions.", SESSION) is None
    assert accept_model_summary('{"narration": "' + story + '"}', SESSION) is None
    assert accept_model_summary("- " + story, SESSION) is None
    assert accept_model_summary(story + " <b>bold</b>", SESSION) is None
    assert accept_model_summary("Pell nods.", SESSION) is None
    assert accept_model_summary(story * (MAX_MODEL_SUMMARY_CHARS // len(story) + 1), SESSION) is None


def test_the_turns_the_model_reads_are_named_and_the_latest_that_fit() -> None:
    played = [("narration", "The quay is foggy."), ("77", "I promise Pell."), ("player", "Hello."),
              ("event", "The fight ends.")]
    assert summary_source(played, {"77": "Ana"}) == [
        "DM: The quay is foggy.", "Ana: I promise Pell.", "A player: Hello.", "Engine: The fight ends."]
    long = [("narration", f"Turn {n}. " + "The fog rolls over the quay. " * 30) for n in range(200)]
    kept = summary_source(long)
    assert sum(map(len, kept)) <= MAX_SUMMARY_SOURCE_CHARS and kept[-1].startswith("DM: Turn 199.")
    assert not any(line.startswith("DM: Turn 0.") for line in kept)


def test_a_models_summary_that_names_someone_or_somewhere_the_session_and_journal_never_did_is_refused() -> None:
    story = "Ana promised Pell Quickwater to return, and Pell's rope went with the party."
    assert accept_model_summary(story, SESSION) is not None  # Quickwater: the journal's; Pell's: Pell
    assert accept_model_summary(story + " Then Lord Varanis greeted them.", SESSION) is None
    assert accept_model_summary("Ana and Pell walked to Baldur's Gate with the rope in hand.", SESSION) is None
    assert invented_names("Ana met Pell. Strahd? He laughed with Ireena's guards.", SESSION["turns"]) == ["Ireena's"]
