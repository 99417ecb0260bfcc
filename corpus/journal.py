"""The campaign's memory, as notes taken while it is played and a summary at the end of each session.

Notes come from what was said and narrated: an NPC of the campaign named for the first time in a session
("met"), a promise, oath or debt spoken by anyone, a place the party reached; items gained come from the ledger.
A session's summary is written from the mechanical record (turns, places, NPCs, items, promises, plot) when no
model writes one. Plain functions over plain data; `db.journal` stores and searches them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from corpus import journal_index
from db import journal
from db.characters import find_many
from db.models import Campaign
from db.world import location_of

MAX_NOTE_CHARS = 400
MAX_SUMMARY_CHARS = 1800
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
# Words people use when they bind themselves to something the story should remember.
PROMISE = re.compile(
    r"\b(promis(?:e|es|ed|ing)|swear|swore|sworn|vow(?:s|ed)?|oath|pledge[sd]?|you have (?:my|our) word|"
    r"i give you my word|we(?:'ll| will) (?:come back|return|be back)|i(?:'ll| will) (?:come back|return)|"
    r"owe (?:you|him|her|them)|in (?:your|his|her|their) debt|i(?:'ll| will) (?:find|bring|repay))\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Note:
    kind: str  # npc | place | item | promise | death | note
    subject: str
    text: str


@dataclass(frozen=True)
class SessionRecord:
    """What a session did, for its summary: in the order it happened."""

    number: int
    turns: int
    narrations: Sequence[str] = ()
    places: Sequence[str] = ()
    npcs: Sequence[str] = ()
    items: Sequence[tuple[str, int]] = ()
    promises: Sequence[str] = ()
    deaths: Sequence[str] = ()
    events: Sequence[str] = ()  # what the engine decided: a fight's end, a death, a return
    plot: dict[str, object] = field(default_factory=dict)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.replace("*", "")) if s.strip()]


def _clip(text: str, limit: int = MAX_NOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _mentions(sentence: str, name: str) -> bool:
    """A name as written (capitalised) in a sentence: the full name or its first word of 3+ letters."""
    first = name.split()[0] if name.split() else name
    candidates = {name} | ({first} if len(first) >= 3 else set())
    return any(re.search(rf"(?<![\w']){re.escape(c)}(?![\w'])", sentence) for c in candidates)


def notes_from_turn(spoken: Iterable[tuple[str, str]], narration: str, npc_names: Iterable[str],
                    already_met: Iterable[str], location: str | None, last_place: str | None) -> list[Note]:
    """The notes one turn adds: `spoken` is (speaker, text) of the players' messages."""
    npcs = [n for n in npc_names if n.strip()]
    met = {m.casefold() for m in already_met}
    notes: list[Note] = []
    lines = [(speaker, s) for speaker, text in spoken for s in sentences(text)]
    lines += [("", s) for s in sentences(narration)]
    for speaker, sentence in lines:
        named = [n for n in npcs if _mentions(sentence, n)]
        for npc in named:
            if npc.casefold() not in met:
                met.add(npc.casefold())
                notes.append(Note("npc", npc, _clip(sentence)))
        # A narration that quotes a player's words is not a second promise (the offline narrator echoes them).
        echoed = not speaker and any(said in sentence for who, said in lines if who and len(said) >= 12)
        if PROMISE.search(sentence) and not echoed:
            said = f"{speaker}: “{sentence}”" if speaker else sentence
            notes.append(Note("promise", named[0] if named else speaker, _clip(said)))
    if location and location != last_place:
        notes.append(Note("place", location, f"The party reached {location}."))
    return list(dict.fromkeys(notes))


def _list(names: Sequence[str], limit: int = 8) -> str:
    shown = list(dict.fromkeys(names))
    more = len(shown) - limit
    text = ", ".join(shown[:limit])
    return text + (f" and {more} more" if more > 0 else "")


def _header(record: SessionRecord) -> str:
    return f"Session {record.number}: {record.turns} turn{'s' if record.turns != 1 else ''} of play."


def mechanical_facts(record: SessionRecord) -> list[str]:
    """What the engine and the plot recorded (items gained, the fallen, where the story stands): kept as they are
    in every summary, whoever writes the story part."""
    parts = []
    if record.items:
        parts.append("Gained: " + _list([f"{item} ×{n}" if n > 1 else item for item, n in record.items]) + ".")
    if record.deaths:
        parts.append("Fallen: " + _list(record.deaths) + ".")
    flags = {k: v for k, v in (record.plot.get("plot_flags") or {}).items()} if isinstance(
        record.plot.get("plot_flags"), dict) else {}
    if record.plot.get("current_act"):
        parts.append(f"The story stands at act {record.plot['current_act']}, scene {record.plot.get('current_scene')}"
                     + (f" (flags: {_list([f'{k}={v}' for k, v in flags.items()])})" if flags else "") + ".")
    return parts


def offline_summary(record: SessionRecord) -> str:
    """A session's summary from its record, in plain sentences (no model)."""
    parts = [_header(record)]
    if record.places:
        route = list(dict.fromkeys(record.places))
        parts.append("The party was at " + (route[0] if len(route) == 1 else
                                              " then ".join([", ".join(route[:-1]), route[-1]])) + ".")
    if record.npcs:
        parts.append(f"They met {_list(record.npcs)}.")
    if record.promises:
        parts.append("Promises made: " + " ".join(record.promises[:4]))
    if record.events:
        parts.append("What happened: " + " ".join(_clip(e, 240) for e in record.events[-4:]))
    parts += mechanical_facts(record)
    if record.narrations:
        parts.append("Last: " + (sentences(record.narrations[-1]) or [""])[0])
    return _clip(" ".join(parts), MAX_SUMMARY_CHARS)


# ---- the summary a model writes (workers.llm.prompts.build_summary_request asks for it) ----

MIN_MODEL_SUMMARY_CHARS = 40
MAX_MODEL_SUMMARY_CHARS = 1000
MAX_KNOWN_NAMES = 2000  # the journal's names a summary may use, at most (they ride in the summary's request)
MAX_SUMMARY_SOURCE_CHARS = 12_000  # the session's turns the model reads: its most recent ones, this much at most
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NOT_PLAIN = re.compile(r"[{}<>`|\\]|https?://|^\s*[#>*-]", re.MULTILINE)


_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")


def _word_key(word: str) -> str:
    return re.sub(r"['’]s?$", "", word).casefold()  # "Aldous's", "Aldous'" -> "aldous"


def invented_names(story: str, seen: Iterable[str]) -> list[str]:
    """The capitalized words inside the story's sentences (a name, a title, a place) that none of the `seen` lines
    (the session's turns and record, the journal's names) contains: the model may not invent one. A sentence's
    first word is left out (every sentence starts with a capital), and "I"."""
    known = {_word_key(word) for line in seen for word in _WORD.findall(line)}
    found: list[str] = []
    for sentence in sentences(story):
        for word in _WORD.findall(sentence)[1:]:
            if word[0].isupper() and word != "I" and _word_key(word) not in known:
                found.append(word)
    return list(dict.fromkeys(found))


def summary_source(played: Sequence[tuple[str, str]], names: dict[str, str] | None = None) -> list[str]:
    """The session's turns for the model, as lines "<who>: <what>" (`played` is (kind or player id, message): the
    DM's narrations, the players' words by their characters' `names`, the engine's events), the most recent that
    fit MAX_SUMMARY_SOURCE_CHARS, oldest first."""
    labels = {"narration": "DM", "event": "Engine", "player": "A player"}
    lines: list[str] = []
    used = 0
    for who, message in reversed(played):
        line = f"{(names or {}).get(who) or labels.get(who) or 'A player'}: {_clip(message, 1200)}"
        if used + len(line) > MAX_SUMMARY_SOURCE_CHARS:
            break
        lines.append(line)
        used += len(line)
    return lines[::-1]


def accept_model_summary(text: str, request: Mapping[str, Any]) -> str | None:
    """The model's summary of the session `request` (a `ClosedSession.model_request`) made into the journal's
    entry (the header, the model's story, then the mechanical facts as the record has them), or None when it
    can't be trusted: not plain text, too short or too long, or a number or a name in it that neither the
    session's turns nor its record (nor, for a name, the journal) contain (the model may not invent one)."""
    story = " ".join(str(text or "").split())
    if not (MIN_MODEL_SUMMARY_CHARS <= len(story) <= MAX_MODEL_SUMMARY_CHARS) or _NOT_PLAIN.search(str(text)):
        return None
    facts = [str(fact) for fact in request.get("facts") or []]
    header = str(request.get("header") or "")
    seen = [str(request.get("record_text") or ""), header, *map(str, request.get("turns") or []), *facts]
    known = {number for line in seen for number in _NUMBER.findall(line)}
    if any(number not in known for number in _NUMBER.findall(story)):
        return None
    if invented_names(story, [*seen, *map(str, request.get("known_names") or [])]):
        return None
    return _clip(" ".join([header, story, *facts]), MAX_SUMMARY_CHARS)


def search_terms(text: str, limit: int = 24) -> list[str]:
    """The words of a question worth searching the journal for (3+ letters, no digits-only), unique."""
    words = re.findall(r"[A-Za-z][A-Za-z'\-]{2,}", text)
    return list(dict.fromkeys(w.strip("'-").casefold() for w in words if w.strip("'-")))[:limit]


# ---- with the database (the notes and summaries are kept by db.journal) ----

def record_turn(session: Session, campaign_id: int, spoken: list[tuple[str, str]], narration: str) -> int:
    """Take the notes of one narrative turn, in the turn's own transaction; how many were new."""
    number = journal.current_session_number(session, campaign_id)
    places = journal.subjects(session, campaign_id, "place")
    notes = notes_from_turn(spoken, narration, journal.npc_names(session, campaign_id),
                            journal.subjects(session, campaign_id, "npc", session_number=number),
                            location_of(session, campaign_id), places[-1] if places else None)
    return journal.add_notes(session, campaign_id, [(n.kind, n.subject, n.text) for n in notes])


def search(session: Session, campaign_id: int, text: str, limit: int = 6) -> list[journal.Entry]:
    return journal.relevant(session, campaign_id, search_terms(text), limit)


MEANT_IN_PROMPT = 3  # entries found by meaning alone, after those that share the players' words


def for_prompt(session: Session, campaign_id: int, text: str, limit: int = 6) -> list[str]:
    """What the narrator is reminded of this turn: the last session's summary, the notes the players' words call
    up (full text), then the entries closest to them in meaning (the journal's vector index, `journal_index`),
    so a name from three sessions ago comes back when the players only describe it."""
    last = journal.last_summary(session, campaign_id)
    found = search(session, campaign_id, text, limit)
    known = {entry.id for entry in found} | ({last.id} if last is not None else set())
    nearest = journal_index.nearest(session, campaign_id, text, MEANT_IN_PROMPT + len(known))
    meant = [entry_id for entry_id in nearest if entry_id not in known][:MEANT_IN_PROMPT]
    found += sorted(journal.live_entries(session, campaign_id, meant), key=lambda entry: meant.index(entry.id))
    return ([last.line()] if last is not None else []) + [entry.line() for entry in found]


@dataclass(frozen=True)
class ClosedSession:
    entry: journal.Entry  # the summary stored, written from the record
    # What a model is asked to write the story part from (`accept_model_summary` checks its answer against it).
    model_request: dict[str, object]


def close_session(session: Session, campaign: Campaign, *, quiet_for: timedelta | None = None,
                  now: datetime | None = None) -> ClosedSession | None:
    """Write the summary of the session so far from its record; None when nothing was played since the last
    summary, or (with `quiet_for`) the table hasn't been quiet that long yet."""
    played = journal.unsummarized_history(session, campaign.id)
    if not played:
        return None
    if quiet_for is not None and now is not None and now - played[-1].timestamp < quiet_for:
        return None
    number = journal.current_session_number(session, campaign.id)
    these = journal.notes(session, campaign.id, session_number=number, limit=500)[::-1]
    record = SessionRecord(
        number=number, turns=sum(1 for p in played if p.kind == "narration"),
        narrations=[p.message for p in played if p.kind == "narration"],
        places=[e.subject for e in these if e.kind == "place"], npcs=[e.subject for e in these if e.kind == "npc"],
        items=journal.items_gained(session, campaign.id, played[0].timestamp),
        promises=[e.text for e in these if e.kind == "promise"], deaths=[e.subject for e in these if e.kind == "death"],
        events=[p.message for p in played if p.kind == "event"],
        plot={"current_act": campaign.current_act, "current_scene": campaign.current_scene,
              "plot_flags": campaign.plot_flags})
    entry = journal.add_summary(session, campaign.id, offline_summary(record), played[-1].id)
    speakers = {p.player_id for p in played if p.player_id is not None}
    names = {str(player): stored.character.name for player, stored in find_many(session, speakers, campaign.id).items()}
    source = summary_source([(str(p.player_id) if p.player_id is not None else p.kind, p.message) for p in played],
                            names)
    return ClosedSession(entry, {
        "entry_id": entry.id, "campaign_id": campaign.id, "campaign": campaign.name, "session": number,
        "header": _header(record), "facts": mechanical_facts(record), "record_text": entry.text,
        "turns": source, "npcs": list(dict.fromkeys(record.npcs)), "places": list(dict.fromkeys(record.places)),
        # Names the summary may use besides the session's own: the campaign's, its NPCs', the journal's.
        "known_names": list(dict.fromkeys([
            campaign.name, *journal.npc_names(session, campaign.id), *journal.subjects(session, campaign.id, "npc"),
            *journal.subjects(session, campaign.id, "place")]))[:MAX_KNOWN_NAMES]})
