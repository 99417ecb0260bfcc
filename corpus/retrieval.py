"""Search: a question → the best parent chunks (small-to-big), with query routing between indexes.

`search(query, index="rules" | "campaign:<name>" | "auto", top_k=5)` ranks an index's child windows three ways in
one statement — by vector (the query embedding, NumPy, cached per normalised question; the index's HNSW graph),
by PostgreSQL full-text search (each window's weighted tsvector, scored Σ idf · ts_rank so rare words count), and
by exact entry name (a spell, item, condition or monster named in the question) — and fuses them per parent chunk
by reciprocal rank fusion; each chunk is returned once, quoting its best window. `auto` routes: rules questions
to `rules`, narrative ones to the active campaign's index, mixed ones ("Cast Fireball in Barovia") to both,
merged by score and de-duplicated. `context_for_turn` packs hits into a token budget for the turn pipeline.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from corpus.embedding import clear_query_cache, embed_query, normalise_query, vector_literal
from corpus.store import CAMPAIGN_PREFIX, RULES_INDEX, campaign_index_name, check_index_name
from db.engine import transaction

# Windows fetched per wanted hit: several windows of one parent collapse into one hit.
WINDOWS_PER_HIT = 4
MIN_CANDIDATES = 20
# Reciprocal rank fusion: a chunk's score is Σ 1 / (RRF_K + rank) over the rankings that found it.
RRF_K = 60
# A chunk whose entry name (its innermost heading) is named in the question gets this much on top, as much as
# a first place in one ranking: "potion of healing" finds the Potion of Healing entry.
NAME_BOOST = 1.0 / (RRF_K + 1)
# Lexical candidates come from the question's rarest words, as many as keep the candidates (the windows that
# hold one of them) under this many; the other words only add to the score of those windows. Scoring costs a
# few microseconds per candidate, so this bounds the lexical part's time at any corpus size.
LEXICAL_CANDIDATES = 500
# ts_rank's weights of the D, C, B, A parts of a window (text, headings, names in the text, entry name).
LEXICAL_WEIGHTS = "{0.25, 0.4, 0.7, 1.0}"
TERM_STATS_TTL_S = 120.0

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


# The vector ranking (kept as its own statement: bench/retrieval.py checks its plan uses the HNSW graph).
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

_VECTOR_PART = """
SELECT 'v' AS source, w.chunk_id, w.heading_path, w.page, w.char_start, w.char_end,
       -(w.embedding <=> CAST(:query AS vector)) AS value
FROM corpus_windows w
WHERE w.index_name = :index
ORDER BY w.embedding <=> CAST(:query AS vector)
LIMIT :limit
"""
# Lexical: candidates through the GIN index (rarer words only), scored Σ idf(term) · ts_rank(window, term) over
# every word of the question (PostgreSQL's ranks alone have no idea which words are rare).
_LEXICAL_PART = """
SELECT 'l' AS source, w.chunk_id, w.heading_path, w.page, w.char_start, w.char_end,
       (SELECT sum(u.idf * ts_rank(CAST(:weights AS float4[]), w.tsv, u.q, 1))
        FROM unnest(CAST(:terms AS tsquery[]), CAST(:idfs AS float8[])) AS u(q, idf) WHERE w.tsv @@ u.q) AS value
FROM corpus_windows w
WHERE w.index_name = :index AND w.tsv @@ CAST(:any_terms AS tsquery)
ORDER BY value DESC
LIMIT :limit
"""
_NAMED_PART = """
SELECT 'n' AS source, w.chunk_id, w.heading_path, w.page, w.char_start, w.char_end, 0.0 AS value
FROM corpus_windows w
WHERE w.index_name = :index AND lower(w.heading_path->>-1) = ANY(CAST(:names AS text[]))
ORDER BY w.id
LIMIT :limit
"""
_CHUNKS_SQL = """
SELECT c.id, c.text, c.token_count, c.index_name, f.path
FROM corpus_chunks c JOIN corpus_files f ON f.id = c.file_id
WHERE c.id = ANY(CAST(:ids AS bigint[]))
"""


@dataclass
class _Candidate:
    chunk_id: int
    score: float = 0.0
    # The window that ranked best for this chunk in any ranking: its heading path, page and span.
    best_share: float = -1.0
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    span: tuple[int, int] = (0, 0)

    def add(self, share: float, row: Any) -> None:
        self.score += share
        if share > self.best_share:
            self.best_share, self.heading_path, self.page = share, list(row.heading_path or []), row.page
            self.span = (int(row.char_start), int(row.char_end))


def fuse(rows: Sequence[Any]) -> list[_Candidate]:
    """Reciprocal rank fusion of the rankings in `rows` (each row: source, chunk, window; in rank order within
    its source), chunk by chunk: a chunk's rank in a ranking is that of its best window."""
    candidates: dict[int, _Candidate] = {}
    ranks: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    for row in rows:
        chunk_id = int(row.chunk_id)
        candidate = candidates.setdefault(chunk_id, _Candidate(chunk_id))
        if row.source == "n":
            if (row.source, chunk_id) not in seen:
                seen.add((row.source, chunk_id))
                candidate.add(NAME_BOOST, row)
            continue
        if (row.source, chunk_id) in seen:
            continue
        seen.add((row.source, chunk_id))
        rank = ranks[row.source] = ranks.get(row.source, 0) + 1
        candidate.add(1.0 / (RRF_K + rank), row)
    return sorted(candidates.values(), key=lambda c: (-c.score, c.chunk_id))


def candidate_statement(session: Session, query: str, vector_text: str, index: str,
                        top_k: int) -> tuple[str, dict[str, Any]]:
    """One statement for the three rankings of an index (vector, lexical, entry names), each part's rows in its
    own rank order (bench/retrieval.py explains it to check the HNSW graph is used)."""
    limit = max(MIN_CANDIDATES, top_k * WINDOWS_PER_HIT)
    params: dict[str, Any] = {"query": vector_text, "index": index, "limit": limit}
    parts = [_VECTOR_PART]
    terms = lexical_terms(session, index, query)
    if terms is not None:
        params.update(terms)
        parts.append(_LEXICAL_PART)
    names = named_entries(session, index, query)
    if names:
        params["names"] = names
        parts.append(_NAMED_PART)
    return " UNION ALL ".join(f"({part})" for part in parts), params


def _search_index(session: Session, query: str, vector_text: str, index: str, top_k: int) -> list[Hit]:
    statement, params = candidate_statement(session, query, vector_text, index, top_k)
    rows = session.execute(text(statement), params).all()
    chosen = fuse(rows)[:top_k]
    if not chosen:
        return []
    chunks = {row.id: row for row in session.execute(text(_CHUNKS_SQL), {"ids": [c.chunk_id for c in chosen]})}
    hits: list[Hit] = []
    for candidate in chosen:
        chunk = chunks.get(candidate.chunk_id)
        if chunk is None:  # deleted by a rebuild between the two statements
            continue
        start, end = candidate.span
        hits.append(Hit(text=chunk.text, score=round(candidate.score, 6), source_file=chunk.path,
                        heading_path=candidate.heading_path, page=candidate.page, chunk_id=candidate.chunk_id,
                        index=chunk.index_name, passage=chunk.text[start:end], tokens=int(chunk.token_count)))
    return hits


# --------------------------------------------------------------------------- lexical terms and entry names


@dataclass
class _TermStats:
    loaded_at: float
    windows: int
    document_frequency: dict[str, int]
    entry_names: frozenset[str]


_term_stats_cache: dict[str, _TermStats] = {}


def _term_stats(session: Session, index: str) -> _TermStats:
    """Per index: how many windows hold each lexeme (for idf) and the entry names; reloaded after a TTL."""
    cached = _term_stats_cache.get(index)
    if cached is not None and time.monotonic() - cached.loaded_at < TERM_STATS_TTL_S:
        return cached
    frequency = dict(session.execute(text(
        "SELECT word, ndoc FROM ts_stat(format('SELECT tsv FROM corpus_windows WHERE index_name = %L', "
        "CAST(:index AS text)))"), {"index": index}).tuples().all())
    windows = session.execute(text("SELECT count(*) FROM corpus_windows WHERE index_name = :index"),
                              {"index": index}).scalar_one()
    names = session.execute(text("SELECT DISTINCT lower(heading_path->>-1) FROM corpus_windows "
                                 "WHERE index_name = :index AND heading_path->>-1 IS NOT NULL"),
                            {"index": index}).scalars().all()
    stats = _TermStats(time.monotonic(), int(windows), frequency,
                       frozenset(name for name in names if name and len(name) >= 4 and name not in _STOPWORDS))
    with _vocabulary_lock:
        _term_stats_cache[index] = stats
    return stats


def _query_lexemes(session: Session, query: str) -> tuple[tuple[int, str], ...]:
    """(position, lexeme) in the question's order (stop words keep their positions, so `potion of healing` is
    potion:1 heal:3)."""
    rows = session.execute(text("SELECT lexeme, positions FROM unnest(to_tsvector('english', :q))"),
                           {"q": query}).all()
    return tuple(sorted((int(position), row.lexeme) for row in rows for position in (row.positions or [1])))


def _tsquery_literal(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def lexical_terms(session: Session, index: str, query: str) -> dict[str, Any] | None:
    """The lexical part's parameters: every known word of the question with its idf, and the rarer ones that
    pick the candidates; None when no word of the question is in the index."""
    stats = _term_stats(session, index)
    positions = _cached_lexemes(session, query)
    frequency = stats.document_frequency
    known = sorted({(lexeme, frequency[lexeme]) for _, lexeme in positions if lexeme in frequency})
    if not known or stats.windows == 0:
        return None
    total = stats.windows
    idf = {lexeme: math.log(1.0 + (total - df + 0.5) / (df + 0.5)) for lexeme, df in known}
    rare: list[str] = []
    candidates = 0
    for lexeme, df in sorted(known, key=lambda item: item[1]):
        if rare and candidates + df > LEXICAL_CANDIDATES:
            break
        rare.append(lexeme)
        candidates += df
    terms = [_tsquery_literal(lexeme) for lexeme, _ in known]
    weights = [idf[lexeme] for lexeme, _ in known]
    # Neighbouring words as a phrase ("dwarven resilience", "potion of healing"): a window that has them
    # together scores both words a second time.
    for (first_at, first), (second_at, second) in zip(positions, positions[1:], strict=False):
        if first in idf and second in idf and first != second and 0 < second_at - first_at <= 3:
            terms.append(f"{_tsquery_literal(first)} <{second_at - first_at}> {_tsquery_literal(second)}")
            weights.append(idf[first] + idf[second])
    return {"terms": terms, "idfs": weights, "weights": LEXICAL_WEIGHTS,
            "any_terms": " | ".join(_tsquery_literal(lexeme) for lexeme in rare)}


def _cached_lexemes(session: Session, query: str) -> tuple[tuple[int, str], ...]:
    """An LRU on the normalised question, like the query vectors: a repeated question costs no round trip."""
    key = normalise_query(query)
    with _vocabulary_lock:
        cached = _lexeme_cache.get(key)
        if cached is not None:
            _lexeme_cache.move_to_end(key)
            return cached
    lexemes = _query_lexemes(session, key)
    with _vocabulary_lock:
        _lexeme_cache[key] = lexemes
        while len(_lexeme_cache) > LEXEME_CACHE_SIZE:
            _lexeme_cache.popitem(last=False)
    return lexemes


_lexeme_cache: OrderedDict[str, tuple[tuple[int, str], ...]] = OrderedDict()
LEXEME_CACHE_SIZE = 4096


def clear_query_caches() -> None:
    """Forget cached query vectors and lexemes (benchmarks measure the cold path with it)."""
    clear_query_cache()
    with _vocabulary_lock:
        _lexeme_cache.clear()


def named_entries(session: Session, index: str, query: str) -> list[str]:
    """Entry names of the index said in the question (one to four words: "fireball", "potion of healing");
    a name inside a longer one that also matched is left out."""
    return names_in(query, _term_stats(session, index).entry_names)


def names_in(query: str, names: frozenset[str] | set[str]) -> list[str]:
    """The names (lower case) said in `query` as whole words; one inside a longer one said too is left out."""
    words = [word.lower().replace("’", "'") for word in _WORD_RE.findall(query)]
    spans = {" ".join(words[start:start + size]) for size in range(1, 5) for start in range(len(words) - size + 1)}
    found = spans & set(names)
    return sorted(name for name in found if not any(other != name and f" {name} " in f" {other} " for other in found))


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
        return _search_index(session, query, vector_text, indexes[0], top_k)
    return merge([_search_index(session, query, vector_text, name, top_k) for name in indexes], top_k)


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
