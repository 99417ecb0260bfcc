"""Search: a question → the best parent chunks (small-to-big), with query routing between indexes.

`search(query, index="rules" | "campaign:<name>" | "auto", top_k=5)` embeds the query (NumPy, about a
millisecond of compute), finds the nearest child windows through the index's HNSW graph, and returns each
window's parent chunk once (the best window's score, heading path and page). `auto` routes: rules questions
to `rules`, narrative ones to the active campaign's index, mixed ones ("Cast Fireball in Barovia") to both,
merged by score and de-duplicated. `context_for_turn` packs hits into a token budget for the turn pipeline.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from corpus.embedding import embed_query, vector_literal
from corpus.store import CAMPAIGN_PREFIX, RULES_INDEX, campaign_index_name, check_index_name
from db.engine import transaction

# Windows fetched per wanted hit: several windows of one parent collapse into one hit.
WINDOWS_PER_HIT = 4
MIN_CANDIDATES = 20


@dataclass(frozen=True)
class Hit:
    text: str
    score: float
    source_file: str
    heading_path: list[str]
    page: int | None
    chunk_id: int
    index: str
    # The best-matching child window of the chunk (a short quote).
    passage: str = ""
    tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Route:
    indexes: list[str]
    reason: str
    rules_signals: list[str] = field(default_factory=list)
    campaign_signals: list[str] = field(default_factory=list)


SEARCH_SQL = """
WITH nearest AS (
    SELECT w.chunk_id, w.heading_path, w.page, w.char_start, w.char_end,
           w.embedding <=> CAST(:query AS vector) AS distance
    FROM corpus_windows w
    WHERE w.index_name = :index
    ORDER BY w.embedding <=> CAST(:query AS vector)
    LIMIT :limit
)
SELECT n.chunk_id, n.heading_path, n.page, n.char_start, n.char_end, n.distance,
       c.text, c.token_count, c.index_name, f.path
FROM nearest n
JOIN corpus_chunks c ON c.id = n.chunk_id
JOIN corpus_files f ON f.id = c.file_id
ORDER BY n.distance
"""


def _search_index(session: Session, vector_text: str, index: str, top_k: int) -> list[Hit]:
    limit = max(MIN_CANDIDATES, top_k * WINDOWS_PER_HIT)
    rows = session.execute(text(SEARCH_SQL), {"query": vector_text, "index": index, "limit": limit}).all()
    hits: list[Hit] = []
    seen: set[int] = set()
    for row in rows:
        if row.chunk_id in seen:
            continue
        seen.add(row.chunk_id)
        hits.append(Hit(text=row.text, score=round(1.0 - float(row.distance), 4), source_file=row.path,
                        heading_path=list(row.heading_path or []), page=row.page, chunk_id=int(row.chunk_id),
                        index=row.index_name, passage=row.text[row.char_start:row.char_end],
                        tokens=int(row.token_count)))
        if len(hits) >= top_k:
            break
    return hits


def normalise_index(index: str) -> str:
    """`campaign:Ashes of Thornwall` → `campaign:ashes-of-thornwall`; other names are checked as they are."""
    if index.startswith(CAMPAIGN_PREFIX):
        name = index[len(CAMPAIGN_PREFIX):].strip()
        slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
        return campaign_index_name(slug)
    return check_index_name(index)


def search(query: str, index: str = RULES_INDEX, top_k: int = 5, *, campaign: str | None = None,
           session: Session | None = None) -> list[Hit]:
    """The `top_k` best parent chunks for `query`. `index="auto"` routes (see :func:`route_query`); `campaign`
    names the campaign for `auto` (default: the active campaign)."""
    query = query.strip()
    if not query or top_k <= 0:
        return []
    if session is None:
        with transaction() as own:
            return search(query, index, top_k, campaign=campaign, session=own)
    vector_text = vector_literal(embed_query(query))
    if index == "auto":
        indexes = route_query(query, session, campaign).indexes
    else:
        indexes = [normalise_index(index)]
    if len(indexes) == 1:
        return _search_index(session, vector_text, indexes[0], top_k)
    return merge([_search_index(session, vector_text, name, top_k) for name in indexes], top_k)


def _fingerprint(hit: Hit) -> str:
    return hashlib.sha1(re.sub(r"\W+", " ", hit.text.lower()).strip()[:400].encode()).hexdigest()


def merge(result_lists: Sequence[list[Hit]], top_k: int) -> list[Hit]:
    """Merged by score, duplicates (same chunk, or the same text in two indexes) dropped; every index that
    found something keeps at least its best hit."""
    merged: list[Hit] = []
    seen: set[str] = set()
    for hit in sorted((hit for hits in result_lists for hit in hits), key=lambda h: -h.score):
        key = _fingerprint(hit)
        if key in seen:
            continue
        seen.add(key)
        merged.append(hit)
    chosen = merged[:top_k]
    for hits in result_lists:
        if hits and not any(hit.index == hits[0].index for hit in chosen) and chosen:
            best = hits[0]
            if _fingerprint(best) not in {_fingerprint(hit) for hit in chosen}:
                chosen[-1] = best
                chosen.sort(key=lambda h: -h.score)
    return chosen


# --------------------------------------------------------------------------- routing

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]+")
RULES_WORDS = frozenset("""
ability abilities ac action actions advantage disadvantage armor armour attack attacks attunement bonus cantrip
cast casting caster check checks class concentration condition conditions cover critical damage dc death
dexterity strength constitution intelligence wisdom charisma difficult disengage dash dodge hide help ready
search encumbrance exhaustion feat feats grapple grappled grappling hit hp initiative inspiration level levels
multiclass multiclassing opportunity proficiency proficient prone range ranged reaction reactions resistance
rest rests rule rules save saves saving skill skills slot slots speed spell spells stealth surprise throw
throws turn vulnerability weapon weapons unconscious blinded charmed deafened frightened incapacitated
invisible paralyzed petrified poisoned restrained stunned rage sneak smite ki wild shape darkvision falling
suffocating jump jumping climbing swimming mounted underwater lifestyle downtime xp experience legendary lair
monster monsters stat stats cr challenge resting healing potion ritual components material somatic verbal
mechanic mechanics
""".split())
NARRATIVE_WORDS = frozenset("""
who where village town city tavern inn npc npcs story quest plot villain villains hook hooks scene act chapter
campaign lore history legend rumor rumour rumours rumors king queen lord lady captain mayor reeve priest
temple castle dungeon crypt tower keep forest wood swamp mountain road travel journey meet met happened
remember told why
""".split())
_STOPWORDS = frozenset("the a an of in on at to for and or with by from is are was were be do does did can i we "
                       "you my our your it its this that what which how".split())


@dataclass
class _Vocabulary:
    loaded_at: float
    rules_names: frozenset[str]
    campaign_names: frozenset[str]


_vocabulary_cache: dict[str, _Vocabulary] = {}
_vocabulary_lock = threading.Lock()
VOCABULARY_TTL_S = 120.0


def _names_to_words(names: Sequence[str]) -> frozenset[str]:
    words: set[str] = set()
    for name in names:
        for word in _WORD_RE.findall(name or ""):
            lowered = word.lower()
            if len(lowered) >= 4 and lowered not in _STOPWORDS:
                words.add(lowered)
    return frozenset(words)


def _vocabulary(session: Session, campaign_index: str | None) -> _Vocabulary:
    key = campaign_index or ""
    cached = _vocabulary_cache.get(key)
    if cached is not None and time.monotonic() - cached.loaded_at < VOCABULARY_TTL_S:
        return cached
    rules_titles = session.execute(text(
        "SELECT DISTINCT heading_path->>-1 FROM corpus_windows "
        "WHERE index_name = :n AND heading_path->>-1 IS NOT NULL"),
        {"n": RULES_INDEX}).scalars().all()
    rules_names = frozenset(title.lower() for title in rules_titles if title)
    campaign_names: frozenset[str] = frozenset()
    if campaign_index:
        rows = session.execute(text(
            "SELECT n.name FROM npcs n JOIN corpus_indexes i ON i.campaign_id = n.campaign_id WHERE i.name = :n "
            "UNION SELECT l.name FROM locations l JOIN corpus_indexes i ON i.campaign_id = l.campaign_id "
            "WHERE i.name = :n "
            "UNION SELECT DISTINCT heading_path->>-1 FROM corpus_windows WHERE index_name = :n"),
            {"n": campaign_index}).scalars().all()
        campaign_names = _names_to_words([name for name in rows if name])
    vocabulary = _Vocabulary(time.monotonic(), rules_names, campaign_names)
    with _vocabulary_lock:
        _vocabulary_cache[key] = vocabulary
    return vocabulary


def active_campaign_index(session: Session) -> str | None:
    """The index of the campaign set active by `!load_campaign` (bot_state `active_campaign`), if it has one."""
    row = session.execute(text(
        "SELECT i.name FROM bot_state b JOIN corpus_indexes i ON i.campaign_id = (b.value->>'campaign_id')::int "
        "WHERE b.key = 'active_campaign' AND i.kind = 'campaign' ORDER BY i.name LIMIT 1")).scalar()
    return str(row) if row else None


def query_signals(query: str, rules_names: frozenset[str] | set[str],
                  campaign_names: frozenset[str] | set[str]) -> tuple[list[str], list[str]]:
    """Words of the query that point at the rules (mechanics vocabulary, names of rules entries such as spells)
    and at the story (the campaign's NPC and place names, narrative words, unknown capitalised names)."""
    words = _WORD_RE.findall(query)
    lowered = [word.lower() for word in words]
    rules_signals = [word for word in lowered if word in RULES_WORDS]
    # Rules entry names (spells, monsters, conditions…), single- and two-word.
    pairs = [f"{a} {b}" for a, b in zip(lowered, lowered[1:], strict=False)]
    rules_signals += [name for name in lowered + pairs if name in rules_names and name not in _STOPWORDS
                      and name not in rules_signals]
    named = {part for signal in rules_signals for part in signal.split()}
    campaign_signals = [word for word in lowered if word in campaign_names or word in NARRATIVE_WORDS]
    # Capitalised words that are neither sentence starts nor rules names: places and people of a story.
    for position, word in enumerate(words):
        lowered_word = word.lower()
        if position > 0 and word[:1].isupper() and lowered_word not in rules_names and lowered_word not in named \
                and lowered_word not in RULES_WORDS and lowered_word not in _STOPWORDS \
                and lowered_word not in campaign_signals:
            campaign_signals.append(lowered_word)
    return rules_signals, campaign_signals


def route_query(query: str, session: Session, campaign: str | None = None) -> Route:
    """Rules questions → rules; narrative → the campaign; mixed or unclear → both (when a campaign exists)."""
    campaign_index = normalise_index(CAMPAIGN_PREFIX + campaign) if campaign else active_campaign_index(session)
    if campaign_index is not None:
        exists = session.execute(text("SELECT 1 FROM corpus_indexes WHERE name = :n"), {"n": campaign_index}).scalar()
        if not exists:
            campaign_index = None
    vocabulary = _vocabulary(session, campaign_index)
    rules_signals, campaign_signals = query_signals(query, vocabulary.rules_names, vocabulary.campaign_names)
    if campaign_index is None:
        return Route([RULES_INDEX], "no campaign index", rules_signals, campaign_signals)
    if rules_signals and campaign_signals:
        return Route([RULES_INDEX, campaign_index], "mixed", rules_signals, campaign_signals)
    if rules_signals:
        return Route([RULES_INDEX], "rules", rules_signals, campaign_signals)
    if campaign_signals:
        return Route([campaign_index], "narrative", rules_signals, campaign_signals)
    return Route([RULES_INDEX, campaign_index], "unclear", rules_signals, campaign_signals)


# --------------------------------------------------------------------------- the turn pipeline


def context_for_turn(turn_text: str, campaign: str | None, budget_tokens: int, *,
                     session: Session | None = None, max_hits: int = 8) -> list[Hit]:
    """The retrieved context for one narrative turn, best first, within `budget_tokens` (parent chunks when
    they fit, else their best window)."""
    if budget_tokens <= 0:
        return []
    hits = search(turn_text, "auto", max_hits, campaign=campaign, session=session)
    chosen: list[Hit] = []
    used = 0
    for hit in hits:
        if used + hit.tokens <= budget_tokens:
            chosen.append(hit)
            used += hit.tokens
            continue
        passage_tokens = max(1, len(hit.passage) // 4)  # ≈4 characters per word piece in English text
        if hit.passage and used + passage_tokens <= budget_tokens:
            chosen.append(Hit(hit.passage, hit.score, hit.source_file, hit.heading_path, hit.page, hit.chunk_id,
                              hit.index, hit.passage, passage_tokens))
            used += passage_tokens
    return chosen
