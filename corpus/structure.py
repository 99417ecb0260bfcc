"""Pure extraction of campaign structure from campaign Markdown.

The shipped campaigns in ``corpus/campaigns/`` follow one Markdown layout::

    # <Campaign Title>
    > pitch paragraph
    ## Overview          (**Levels:**, **Region:**, **Tone:**, **Tier:** lines, then prose)
    ## Act 1: <title>
    ### Scene 1.1: <title>   (prose, then **Location:**, **NPCs:**, **Encounter:**, **Event:**, **Hook:**)
    ## Climax: <title>
    ## NPCs         -> ### <Name> with **Role:**, **Personality:**, **Location:**, **Stats:**
    ## Locations    -> ### <Name> with **Type:**, **Encounters:**, **Shop:**
    ## Events       -> - `event-id`: **Trigger:** ...; **Effect:** ...
    ## Plot Hooks   -> - bullet per hook

:func:`extract_structure` turns such text into a :class:`CampaignStructure`. It never raises on odd input:
missing sections give empty lists, and books that use ``Chapter 1`` / ``Part I`` headings instead of
``Act`` headings get those treated as acts (their sub-headings become scenes).
:func:`render_campaign_markdown` writes a structure back out in the same layout, so
``extract_structure(render_campaign_markdown(s))`` reproduces the main fields of ``s``.

Nothing here touches the network or a database; the only I/O is the optional :func:`load_campaign`
convenience that reads a file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, computed_field

__all__ = [
    "CAMPAIGNS_DIR",
    "Act",
    "ActPacing",
    "CampaignEvent",
    "CampaignLocation",
    "CampaignMetadata",
    "CampaignNPC",
    "CampaignStructure",
    "Climax",
    "Encounter",
    "Pacing",
    "Scene",
    "Shop",
    "extract_structure",
    "hooks",
    "load_campaign",
    "plot_structure",
    "render_campaign_markdown",
    "shipped_campaign_paths",
]

CAMPAIGNS_DIR = Path(__file__).resolve().parent / "campaigns"

PLOT_STRUCTURE_VERSION = 1


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


class Encounter(BaseModel):
    """A group of identical monsters, e.g. ``2 Goblin``."""

    monster: str
    count: int = 1


class Shop(BaseModel):
    """A merchant at a location and the kind of goods sold (general, weapons, alchemist, ...)."""

    name: str
    kind: str = ""


class CampaignMetadata(BaseModel):
    levels: str = ""
    level_min: int | None = None
    level_max: int | None = None
    region: str = ""
    tone: str = ""
    tier: int | None = None


class Scene(BaseModel):
    number: str
    title: str
    summary: str = ""
    location: str | None = None
    npcs: list[str] = Field(default_factory=list)
    encounters: list[Encounter] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    event_note: str = ""
    hook: str | None = None


class Act(BaseModel):
    number: int
    title: str
    summary: str = ""
    scenes: list[Scene] = Field(default_factory=list)


class Climax(BaseModel):
    title: str
    summary: str = ""
    location: str | None = None
    npcs: list[str] = Field(default_factory=list)
    encounters: list[Encounter] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    event_note: str = ""


class CampaignNPC(BaseModel):
    name: str
    role: str = ""
    personality: str = ""
    location: str | None = None
    stats: str | None = None
    description: str = ""


class CampaignLocation(BaseModel):
    name: str
    type: str = ""
    description: str = ""
    encounters: list[Encounter] = Field(default_factory=list)
    shop: Shop | None = None


class CampaignEvent(BaseModel):
    id: str
    trigger: str = ""
    effect: str = ""
    description: str = ""


class ActPacing(BaseModel):
    act: int
    title: str
    scenes: int = 0
    words: int = 0
    share: float = 0.0
    combat_encounters: int = 0


class Pacing(BaseModel):
    """How the text is spread over the acts.

    ``share`` is the fraction of all act words spent in that act (the shares sum to 1 when there are
    acts). ``combat_encounters`` counts combat-type scenes: scenes with an ``**Encounter:**`` line when
    the document uses them, otherwise scenes (or, for acts without scenes, paragraphs) whose text talks
    about fighting.
    """

    acts: list[ActPacing] = Field(default_factory=list)
    total_words: int = 0
    act_words: int = 0
    climax_words: int = 0
    combat_heuristic: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def scenes_per_act(self) -> list[int]:
        return [a.scenes for a in self.acts]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def words_per_act(self) -> list[int]:
        return [a.words for a in self.acts]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share_per_act(self) -> list[float]:
        return [a.share for a in self.acts]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def combat_encounters_per_act(self) -> list[int]:
        return [a.combat_encounters for a in self.acts]


class CampaignStructure(BaseModel):
    source_name: str = ""
    title: str = ""
    pitch: str = ""
    overview: str = ""
    metadata: CampaignMetadata = Field(default_factory=CampaignMetadata)
    acts: list[Act] = Field(default_factory=list)
    climax: Climax | None = None
    npcs: list[CampaignNPC] = Field(default_factory=list)
    locations: list[CampaignLocation] = Field(default_factory=list)
    events: list[CampaignEvent] = Field(default_factory=list)
    plot_hooks: list[str] = Field(default_factory=list)
    pacing: Pacing = Field(default_factory=Pacing)
    npc_roles: dict[str, int] = Field(default_factory=dict)
    location_types: dict[str, int] = Field(default_factory=dict)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    # Convenience look-ups used by the DM tooling and the tests.
    def scenes(self) -> list[Scene]:
        return [scene for act in self.acts for scene in act.scenes]

    def event_ids(self) -> list[str]:
        return [e.id for e in self.events]

    def referenced_event_ids(self) -> list[str]:
        ids = [eid for scene in self.scenes() for eid in scene.events]
        if self.climax is not None:
            ids.extend(self.climax.events)
        return _dedupe(ids)

    def npc_names(self) -> list[str]:
        return [n.name for n in self.npcs]

    def referenced_npc_names(self) -> list[str]:
        names = [name for scene in self.scenes() for name in scene.npcs]
        if self.climax is not None:
            names.extend(self.climax.npcs)
        return _dedupe(names)

    def referenced_location_names(self) -> list[str]:
        names = [scene.location for scene in self.scenes() if scene.location]
        if self.climax is not None and self.climax.location:
            names.append(self.climax.location)
        return _dedupe(names)

    def monster_names(self) -> list[str]:
        """Every monster / stat-block name mentioned in encounters and NPC stats."""
        names = [enc.monster for loc in self.locations for enc in loc.encounters]
        names += [enc.monster for scene in self.scenes() for enc in scene.encounters]
        if self.climax is not None:
            names += [enc.monster for enc in self.climax.encounters]
        names += [n.stats for n in self.npcs if n.stats]
        return _dedupe(names)


# --------------------------------------------------------------------------------------------------
# Markdown section tree
# --------------------------------------------------------------------------------------------------

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass
class _Section:
    level: int
    title: str
    start: int  # index of the heading line (-1 for the root)
    end: int  # exclusive index of the last line belonging to the section (children included)
    body_end: int  # exclusive index of the section's own text (before its first child heading)
    lines: list[str] = field(repr=False, default_factory=list)
    children: list[_Section] = field(default_factory=list)
    parent: _Section | None = field(default=None, repr=False)

    @property
    def body(self) -> str:
        return "\n".join(self.lines[self.start + 1 : self.body_end])

    @property
    def full_text(self) -> str:
        return "\n".join(self.lines[self.start + 1 : self.end])

    def walk(self) -> list[_Section]:
        out: list[_Section] = []
        for child in self.children:
            out.append(child)
            out.extend(child.walk())
        return out


def _build_tree(text: str) -> _Section:
    lines = text.splitlines()
    headings: list[tuple[int, int, str]] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING_RE.match(line)
        if m:
            headings.append((i, len(m.group(1)), m.group(2).strip()))
    root = _Section(level=0, title="", start=-1, end=len(lines), body_end=len(lines), lines=lines)
    root.body_end = headings[0][0] if headings else len(lines)
    stack = [root]
    for idx, (line_no, level, title) in enumerate(headings):
        end = len(lines)
        for later_line, later_level, _ in headings[idx + 1 :]:
            if later_level <= level:
                end = later_line
                break
        body_end = headings[idx + 1][0] if idx + 1 < len(headings) else len(lines)
        body_end = min(body_end, end)
        while stack[-1].level >= level:
            stack.pop()
        section = _Section(
            level=level, title=title, start=line_no, end=end, body_end=body_end, lines=lines, parent=stack[-1]
        )
        stack[-1].children.append(section)
        stack.append(section)
    return root


# --------------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_BULLET_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_NONE_VALUES = {"", "none", "no", "n/a", "na", "-", "—", "–", "nobody", "nothing"}

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _strip_md(text: str) -> str:
    """Remove inline emphasis/code markers and surrounding whitespace."""
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _clean_name(text: str) -> str:
    return _strip_md(text).strip(" .;:,")


def _is_none(value: str) -> bool:
    return _strip_md(value).strip(" .").casefold() in _NONE_VALUES


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", _strip_md(text).casefold()).strip("-")
    return slug


def _parse_number(token: str) -> int | None:
    token = token.strip().casefold().rstrip(".")
    if not token:
        return None
    if token.isdigit():
        return int(token)
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    if all(ch in _ROMAN for ch in token):
        total = 0
        prev = 0
        for ch in reversed(token):
            val = _ROMAN[ch]
            if val < prev:
                total -= val
            else:
                total += val
                prev = val
        return total
    return None


def _normalise_prose(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _list_items(text: str) -> list[str]:
    """Top-level list items of ``text`` with continuation lines folded in."""
    items: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        m = _BULLET_RE.match(line)
        if m and (len(line) - len(line.lstrip())) <= 3:
            if current is not None:
                items.append(" ".join(current).strip())
            current = [m.group(1).strip()]
        elif current is not None and line.strip() and not _HEADING_RE.match(line):
            current.append(line.strip())
        elif current is not None and not line.strip():
            items.append(" ".join(current).strip())
            current = None
    if current is not None:
        items.append(" ".join(current).strip())
    return [item for item in items if item]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------------------------------
# Field lines: **Label:** value
# --------------------------------------------------------------------------------------------------

_LABELS: dict[str, str] = {
    "location": "location",
    "locations": "location",
    "where": "location",
    "npcs": "npcs",
    "npc": "npcs",
    "characters": "npcs",
    "cast": "npcs",
    "event": "event",
    "events": "event",
    "hook": "hook",
    "hooks": "hook",
    "encounter": "encounters",
    "encounters": "encounters",
    "monsters": "encounters",
    "creatures": "encounters",
    "role": "role",
    "personality": "personality",
    "traits": "personality",
    "stats": "stats",
    "stat block": "stats",
    "statistics": "stats",
    "type": "type",
    "shop": "shop",
    "shops": "shop",
    "merchant": "shop",
    "store": "shop",
    "trigger": "trigger",
    "effect": "effect",
    "outcome": "effect",
    "levels": "levels",
    "level": "levels",
    "level range": "levels",
    "region": "region",
    "tone": "tone",
    "tier": "tier",
}

# **Label:** or **Label**:
_LABEL_RE = re.compile(r"\*\*\s*([A-Za-z][A-Za-z /'\-]{0,30}?)\s*(?::\s*\*\*|\*\*\s*:)")


@dataclass
class _Fields:
    values: dict[str, list[str]]
    prose: str

    def first(self, key: str) -> str | None:
        vals = self.values.get(key)
        return vals[0] if vals else None

    def all(self, key: str) -> list[str]:
        return self.values.get(key, [])


def _split_fields(text: str) -> _Fields:
    """Separate ``**Label:** value`` fields (known labels only) from the surrounding prose."""
    values: dict[str, list[str]] = {}
    prose: list[str] = []
    last_key: str | None = None
    for raw in text.splitlines():
        matches = [m for m in _LABEL_RE.finditer(raw) if m.group(1).strip().casefold() in _LABELS]
        if not matches:
            indented = raw.startswith(("  ", "\t")) and raw.strip() and not _BULLET_RE.match(raw)
            if last_key is not None and indented:
                values[last_key][-1] = (values[last_key][-1] + " " + raw.strip()).strip()
                continue
            last_key = None
            prose.append(raw)
            continue
        before = raw[: matches[0].start()]
        before_clean = re.sub(r"^\s*(?:[-*+]|\d{1,3}[.)])\s*", "", before).strip().rstrip(";").strip()
        if before_clean:
            prose.append(before_clean)
        for i, m in enumerate(matches):
            stop = matches[i + 1].start() if i + 1 < len(matches) else len(raw)
            value = raw[m.end() : stop].strip().rstrip(";").strip()
            key = _LABELS[m.group(1).strip().casefold()]
            values.setdefault(key, []).append(value)
            last_key = key
    return _Fields(values=values, prose=_normalise_prose(prose))


def _split_list(value: str) -> list[str]:
    """Split ``a, b and c`` into names, dropping parentheticals and ``none``."""
    if _is_none(value):
        return []
    value = re.sub(r"\([^)]*\)", "", value)
    parts = re.split(r"\s*(?:,|;|&|\band\b)\s*", value)
    return [p for p in (_clean_name(x) for x in parts) if p and not _is_none(p)]


_COUNT_FIRST_RE = re.compile(
    r"^(\d{1,3})(?:d(\d{1,3})(?:\s*[+]\s*(\d{1,3}))?)?\s*[x×]?\s+(.+)$", re.IGNORECASE
)
_COUNT_LAST_RE = re.compile(r"^(.+?)\s*(?:[x×]\s*(\d{1,3})|\((\d{1,3})\))$", re.IGNORECASE)


def _parse_encounters(value: str) -> list[Encounter]:
    if _is_none(value):
        return []
    out: list[Encounter] = []
    for part in re.split(r"\s*(?:,|;|\band\b|\bplus\b)\s*", value):
        part = _strip_md(part).strip(" .")
        if not part or _is_none(part):
            continue
        count = 1
        name = part
        m = _COUNT_FIRST_RE.match(part)
        if m:
            dice, sides, bonus = int(m.group(1)), m.group(2), m.group(3)
            count = dice * (int(sides) + 1) // 2 + int(bonus or 0) if sides else dice
            name = m.group(4)
        else:
            m2 = _COUNT_LAST_RE.match(part)
            if m2:
                name = m2.group(1)
                count = int(m2.group(2) or m2.group(3))
        name = _clean_name(name)
        if name:
            out.append(Encounter(monster=name, count=max(count, 1)))
    return out


def _parse_shop(value: str | None) -> Shop | None:
    if value is None or _is_none(value) or _strip_md(value).casefold().startswith("none"):
        return None
    text = _strip_md(value).strip(" .")
    m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", text)
    if m and m.group(1).strip():
        return Shop(name=m.group(1).strip(), kind=m.group(2).strip())
    for sep in (" — ", " – ", " - ", ": ", ", "):
        if sep in text:
            name, kind = text.split(sep, 1)
            return Shop(name=name.strip(), kind=kind.strip())
    return Shop(name=text, kind="")


def _parse_event_ref(value: str) -> tuple[list[str], str]:
    """``\\`id\\` note`` -> (ids, note). Bare slug ids (``bell-rings``) are accepted too."""
    ids = [_slugify(x) for x in re.findall(r"`([^`]+)`", value)]
    ids = [x for x in ids if x]
    note = re.sub(r"`[^`]*`", "", value)
    if not ids:
        m = re.match(r"^\s*([a-z0-9]+(?:-[a-z0-9]+)+)\b(.*)$", value)
        if m:
            ids = [m.group(1)]
            note = m.group(2)
    note = re.sub(r"^[\s,;:.—–-]+", "", note).strip()
    return _dedupe(ids), note


# --------------------------------------------------------------------------------------------------
# Heading classification
# --------------------------------------------------------------------------------------------------

_SEP = r"\s*(?:[:.\-–—]\s*)?"
_ACT_RE = re.compile(
    r"^(?P<kind>act|chapter|part|book)\s+(?P<num>\d{1,3}|[ivxlc]{1,7}|"
    + "|".join(_NUMBER_WORDS)
    + r")\b"
    + _SEP
    + r"(?P<title>.*)$",
    re.IGNORECASE,
)
_SCENE_RE = re.compile(
    r"^scene\s+(?P<num>\d{1,3}(?:\.\d{1,3})*|[ivxlc]{1,7})\.?\b" + _SEP + r"(?P<title>.*)$", re.IGNORECASE
)
_CLIMAX_RE = re.compile(
    r"^(?:the\s+)?(?:climax|finale|final\s+(?:battle|confrontation|showdown))\b" + _SEP + r"(?P<title>.*)$",
    re.IGNORECASE,
)
_SPECIAL_RES: dict[str, re.Pattern[str]] = {
    "npcs": re.compile(
        r"^(?:npcs?|non-player characters|cast(?: of characters)?|dramatis personae|characters|"
        r"(?:key|important|notable|major) (?:npcs|characters))\b",
        re.IGNORECASE,
    ),
    "locations": re.compile(
        r"^(?:locations|key locations|notable locations|places(?: of interest)?|locales)\b", re.IGNORECASE
    ),
    "events": re.compile(r"^(?:events|key events|event triggers|timeline)\b", re.IGNORECASE),
    "hooks": re.compile(r"^(?:plot hooks|adventure hooks|hooks|rumou?rs(?: and hooks)?)\b", re.IGNORECASE),
    "overview": re.compile(
        r"^(?:overview|campaign overview|adventure overview|introduction|synopsis|"
        r"(?:adventure |campaign )?background|summary)\b",
        re.IGNORECASE,
    ),
}
_ACT_KIND_PRIORITY = ("act", "chapter", "part", "book")


def _clean_heading(title: str) -> str:
    title = _strip_md(title)
    title = re.sub(r"^appendix\s+[a-z0-9]+\s*[:.\-–—]\s*", "", title, flags=re.IGNORECASE)
    return title.strip()


def _special_kind(section: _Section) -> str | None:
    title = _clean_heading(section.title)
    if _ACT_RE.match(title) or _SCENE_RE.match(title):
        return None
    if _CLIMAX_RE.match(title):
        return "climax"
    for kind, pattern in _SPECIAL_RES.items():
        if pattern.match(title):
            return kind
    return None


def _find_specials(root: _Section, title_section: _Section | None) -> dict[str, list[_Section]]:
    found: dict[str, list[_Section]] = {}

    def visit(section: _Section) -> None:
        for child in section.children:
            kind = None if child is title_section else _special_kind(child)
            if kind is not None:
                found.setdefault(kind, []).append(child)
                if kind in {"npcs", "locations", "events", "hooks"}:
                    continue  # children are entries, not further sections
            visit(child)

    visit(root)
    return found


# --------------------------------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------------------------------

_COMBAT_RE = re.compile(
    r"\b(?:ambush\w*|attack\w*|fight\w*|battle\w*|combat|initiative|skirmish\w*|brawl\w*|melee|"
    r"assault\w*|raid(?:s|ers|ing)?)\b",
    re.IGNORECASE,
)


def _title_and_pitch(root: _Section, source_name: str) -> tuple[str, str, _Section | None]:
    title_section: _Section | None = None
    level_one = [s for s in root.walk() if s.level == 1]
    candidates = level_one or root.walk()[:1]
    for allow_special in (False, True):
        for section in candidates:
            heading = _clean_heading(section.title)
            if not heading or _ACT_RE.match(heading) or _SCENE_RE.match(heading):
                continue
            if allow_special and (section is not candidates[0] or not section.children):
                continue
            if allow_special or _special_kind(section) is None:
                title_section = section
                break
        if title_section is not None:
            break
    if title_section is not None:
        title = _clean_heading(title_section.title)
        preamble = title_section.body
    else:
        stem = Path(source_name).stem if source_name else ""
        title = re.sub(r"[-_]+", " ", stem).strip().title() if stem else "Untitled Campaign"
        preamble = root.body
    pitch = _pitch_from(preamble)
    if not pitch and title_section is not None and title_section.parent is root and root.body.strip():
        pitch = _pitch_from(root.body)
    return title, pitch, title_section


def _pitch_from(text: str) -> str:
    quote: list[str] = []
    in_quote = False
    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            in_quote = True
            quote.append(line.lstrip()[1:].strip())
        elif in_quote:
            if line.strip():
                quote.append(line.strip())  # lazy continuation
            else:
                break
    if any(quote):
        return _normalise_prose(quote)
    for para in _paragraphs(text):
        if not _LABEL_RE.search(para) and not _BULLET_RE.match(para.splitlines()[0]):
            return para[:2000]
    return ""


_LEVEL_PATTERNS = (
    re.compile(r"\blevels?\s+(\d{1,2})\s*(?:–|—|-|to|through)\s*(\d{1,2})\b", re.IGNORECASE),
    re.compile(
        r"\b(\d{1,2})(?:st|nd|rd|th)?-?\s*(?:–|—|-|to|through)\s*(\d{1,2})(?:st|nd|rd|th)?[- ]level",
        re.IGNORECASE,
    ),
    re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[- ]level", re.IGNORECASE),
)


def _tier_for(level: int) -> int:
    if level <= 4:
        return 1
    if level <= 10:
        return 2
    if level <= 16:
        return 3
    return 4


def _metadata(fields: _Fields, fallback_text: str) -> CampaignMetadata:
    meta = CampaignMetadata()
    levels = fields.first("levels")
    nums: list[int] = []
    if levels:
        nums = [int(n) for n in re.findall(r"\d{1,2}", levels)][:2]
        meta.levels = _strip_md(levels)
    else:
        for pattern in _LEVEL_PATTERNS:
            m = pattern.search(fallback_text)
            if m:
                nums = [int(g) for g in m.groups() if g]
                break
    nums = [n for n in nums if 1 <= n <= 20]
    if nums:
        meta.level_min, meta.level_max = min(nums), max(nums)
        if meta.level_min == meta.level_max:
            meta.levels = str(meta.level_min)
        else:
            meta.levels = f"{meta.level_min}–{meta.level_max}"
    meta.region = _strip_md(fields.first("region") or "")
    meta.tone = _strip_md(fields.first("tone") or "")
    tier = fields.first("tier")
    tier_num = re.search(r"\d", tier) if tier else None
    if tier_num:
        meta.tier = int(tier_num.group(0))
    elif meta.level_min is not None:
        meta.tier = _tier_for(meta.level_min)
    return meta


def _act_sections(root: _Section) -> list[tuple[int, str, _Section]]:
    by_kind: dict[str, list[tuple[str, str, _Section]]] = {}
    for section in root.walk():
        m = _ACT_RE.match(_clean_heading(section.title))
        if m:
            by_kind.setdefault(m.group("kind").casefold(), []).append(
                (m.group("num"), m.group("title"), section)
            )
    for kind in _ACT_KIND_PRIORITY:
        entries = by_kind.get(kind)
        if not entries:
            continue
        # Keep the outermost occurrences only (an "Act" mentioned again in a nested heading is ignored).
        top = [e for e in entries if not any(_is_ancestor(o[2], e[2]) for o in entries if o is not e)]
        out: list[tuple[int, str, _Section]] = []
        used: set[int] = set()
        for idx, (num, title, section) in enumerate(top, start=1):
            number = _parse_number(num) or idx
            if number in used:
                number = max(used) + 1
            used.add(number)
            out.append((number, title.strip() or f"{kind.title()} {num}", section))
        return out
    return []


def _is_ancestor(ancestor: _Section, node: _Section) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _scene_from(section: _Section, number: str, title: str) -> Scene:
    fields = _split_fields(section.body)
    location = fields.first("location")
    event_ids: list[str] = []
    notes: list[str] = []
    for value in fields.all("event"):
        ids, note = _parse_event_ref(value)
        event_ids.extend(ids)
        if note:
            notes.append(note)
    encounters = [enc for value in fields.all("encounters") for enc in _parse_encounters(value)]
    hook = fields.first("hook")
    return Scene(
        number=number,
        title=title,
        summary=fields.prose,
        location=_clean_name(location) if location and not _is_none(location) else None,
        npcs=_dedupe([n for value in fields.all("npcs") for n in _split_list(value)]),
        encounters=encounters,
        events=_dedupe(event_ids),
        event_note=" ".join(notes),
        hook=hook.strip() if hook and not _is_none(hook) else None,
    )


def _act_from(number: int, title: str, section: _Section, specials: set[int]) -> Act:
    scene_sections: list[tuple[str, str, _Section]] = []
    for sub in section.walk():
        m = _SCENE_RE.match(_clean_heading(sub.title))
        if m:
            scene_sections.append((m.group("num").strip("."), m.group("title").strip(), sub))
    if not scene_sections:
        for idx, child in enumerate(section.children, start=1):
            if id(child) in specials:
                continue
            scene_sections.append((f"{number}.{idx}", _clean_heading(child.title), child))
    scenes: list[Scene] = []
    for idx, (num, scene_title, sub) in enumerate(scene_sections, start=1):
        num = num if re.fullmatch(r"\d{1,3}(?:\.\d{1,3})*", num) else f"{number}.{idx}"
        scenes.append(_scene_from(sub, num, scene_title or f"Scene {num}"))
    return Act(number=number, title=title, summary=_split_fields(section.body).prose, scenes=scenes)


def _climax_from(section: _Section) -> Climax:
    m = _CLIMAX_RE.match(_clean_heading(section.title))
    title = (m.group("title").strip() if m else "") or _clean_heading(section.title)
    scene = _scene_from(section, "climax", title)
    child_lines = [
        line for line in section.lines[section.body_end : section.end] if not _HEADING_RE.match(line)
    ]
    summary = scene.summary
    child_prose = _split_fields("\n".join(child_lines)).prose
    if child_prose:
        summary = _normalise_prose([summary, "", child_prose])
    return Climax(
        title=title,
        summary=summary,
        location=scene.location,
        npcs=scene.npcs,
        encounters=scene.encounters,
        events=scene.events,
        event_note=scene.event_note,
    )


def _npc_from(name: str, text: str) -> CampaignNPC | None:
    name = _clean_name(name)
    if not name:
        return None
    fields = _split_fields(text)
    location = fields.first("location")
    stats = fields.first("stats")
    personality = fields.first("personality")
    return CampaignNPC(
        name=name,
        role=_strip_md(fields.first("role") or "").strip(" .;,"),
        personality=_strip_md(personality) if personality is not None else "",
        location=_clean_name(location) if location and not _is_none(location) else None,
        stats=_clean_name(stats) if stats and not _is_none(stats) else None,
        description=fields.prose,
    )


_BOLD_LEAD_RE = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*\s*[:.,—–-]?\s*(?P<rest>.*)$")


def _entries(section: _Section) -> list[tuple[str, str]]:
    """Named entries of an NPC/location section: child headings, else ``- **Name** ...`` bullets."""
    if section.children:
        return [(child.title, child.body) for child in section.children]
    out: list[tuple[str, str]] = []
    for item in _list_items(section.body):
        m = _BOLD_LEAD_RE.match(item)
        if not m:
            continue
        name = m.group("name").strip().rstrip(":")
        if name.casefold() in _LABELS:
            continue
        out.append((name, m.group("rest")))
    return out


def _location_from(name: str, text: str) -> CampaignLocation | None:
    name = _clean_name(name)
    if not name:
        return None
    fields = _split_fields(text)
    return CampaignLocation(
        name=name,
        type=_strip_md(fields.first("type") or "").strip(" ."),
        description=fields.prose,
        encounters=[enc for value in fields.all("encounters") for enc in _parse_encounters(value)],
        shop=_parse_shop(fields.first("shop")),
    )


_EVENT_LEAD_RE = re.compile(r"^(?:`(?P<id>[^`]+)`|\*\*(?P<bid>[^*]+?)\*\*)\s*[:.—–-]?\s*(?P<rest>.*)$")


def _event_from(raw_id: str, text: str) -> CampaignEvent | None:
    event_id = _slugify(raw_id)
    if not event_id:
        return None
    fields = _split_fields(text)
    return CampaignEvent(
        id=event_id,
        trigger=(fields.first("trigger") or "").strip(),
        effect=(fields.first("effect") or "").strip(),
        description=fields.prose,
    )


def _events_from(section: _Section) -> list[CampaignEvent]:
    out: list[CampaignEvent] = []
    for item in _list_items(section.body):
        m = _EVENT_LEAD_RE.match(item)
        if not m:
            continue
        raw_id = (m.group("id") or m.group("bid") or "").rstrip(":")
        if raw_id.strip().casefold() in _LABELS:
            continue
        event = _event_from(raw_id, m.group("rest"))
        if event is not None:
            out.append(event)
    for child in section.children:
        ticks = re.findall(r"`([^`]+)`", child.title)
        event = _event_from(ticks[0] if ticks else child.title, child.body)
        if event is not None:
            out.append(event)
    return out


def _hooks_from(section: _Section) -> list[str]:
    items = _list_items(section.full_text)
    if not items:
        items = [p.replace("\n", " ") for p in _paragraphs(section.body)]
    return [re.sub(r"\s+", " ", item).strip() for item in items if item.strip()]


def _pacing(
    acts: list[tuple[Act, _Section]], climax_section: _Section | None, text: str, explicit_combat: bool
) -> Pacing:
    act_pacings: list[ActPacing] = []
    for act, section in acts:
        words = _word_count(section.full_text) + _word_count(section.title)
        if explicit_combat:
            combat = sum(1 for scene in act.scenes if scene.encounters)
        elif act.scenes:
            combat = sum(
                1
                for scene in act.scenes
                if scene.encounters or _COMBAT_RE.search(f"{scene.title}\n{scene.summary}")
            )
        else:
            combat = sum(1 for p in _paragraphs(section.full_text) if _COMBAT_RE.search(p))
        act_pacings.append(
            ActPacing(
                act=act.number, title=act.title, scenes=len(act.scenes), words=words, combat_encounters=combat
            )
        )
    act_words = sum(a.words for a in act_pacings)
    for a in act_pacings:
        a.share = round(a.words / act_words, 4) if act_words else 0.0
    climax_words = 0
    if climax_section is not None:
        climax_words = _word_count(climax_section.full_text) + _word_count(climax_section.title)
    return Pacing(
        acts=act_pacings,
        total_words=_word_count(text),
        act_words=act_words,
        climax_words=climax_words,
        combat_heuristic=not explicit_combat,
    )


_ROLE_SYNONYMS: dict[str, str] = {
    "ally": "ally",
    "allies": "ally",
    "friend": "ally",
    "companion": "ally",
    "villain": "villain",
    "antagonist": "villain",
    "enemy": "villain",
    "foe": "villain",
    "boss": "villain",
    "quest-giver": "quest-giver",
    "quest giver": "quest-giver",
    "questgiver": "quest-giver",
    "patron": "quest-giver",
    "employer": "quest-giver",
    "merchant": "merchant",
    "shopkeeper": "merchant",
    "trader": "merchant",
    "vendor": "merchant",
    "neutral": "neutral",
    "bystander": "neutral",
}


def _normalise_role(role: str) -> str:
    low = _strip_md(role).casefold()
    if not low:
        return "unknown"
    best: tuple[int, str] | None = None
    for key, canonical in _ROLE_SYNONYMS.items():
        m = re.search(rf"\b{re.escape(key)}\b", low)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), canonical)
    if best is not None:
        return best[1]
    return re.split(r"[\s,;(/]+", low)[0] or "unknown"


def _normalise_type(kind: str) -> str:
    low = _strip_md(kind).casefold().strip(" .")
    if not low:
        return "unknown"
    return re.split(r"\s*[,;(/]\s*", low)[0].strip() or "unknown"


_Entry = TypeVar("_Entry")


def _first_of_each(entries: Iterable[_Entry | None], key: Callable[[_Entry], str]) -> list[_Entry]:
    """The entries in order, without the missing ones and those whose key an earlier one had."""
    kept: list[_Entry] = []
    seen: set[str] = set()
    for entry in entries:
        if entry is not None and key(entry) not in seen:
            seen.add(key(entry))
            kept.append(entry)
    return kept


def extract_structure(markdown_text: str, source_name: str = "") -> CampaignStructure:
    """Parse campaign Markdown into a :class:`CampaignStructure`. Never raises on odd input."""
    text = markdown_text if isinstance(markdown_text, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    root = _build_tree(text)
    title, pitch, title_section = _title_and_pitch(root, source_name)
    specials = _find_specials(root, title_section)
    special_ids = {id(s) for sections in specials.values() for s in sections}

    overview_sections = specials.get("overview", [])
    overview_text = "\n\n".join(s.body for s in overview_sections)
    overview_fields = _split_fields(overview_text)
    if not overview_fields.values.get("levels"):
        # Metadata lines may also sit right under the title.
        preamble = title_section.body if title_section is not None else root.body
        pre_fields = _split_fields(preamble)
        for key, vals in pre_fields.values.items():
            overview_fields.values.setdefault(key, vals)
    fallback = "\n".join([pitch, overview_text, text[:5000]])
    metadata = _metadata(overview_fields, fallback)

    act_tuples = _act_sections(root)
    acts_with_sections = [(_act_from(num, title_, sec, special_ids), sec) for num, title_, sec in act_tuples]
    acts = [a for a, _ in acts_with_sections]

    climax_sections = specials.get("climax", [])
    climax = _climax_from(climax_sections[0]) if climax_sections else None

    # The first entry of each name (or event id) counts.
    npcs = _first_of_each((_npc_from(name, body) for section in specials.get("npcs", [])
                           for name, body in _entries(section)), lambda npc: npc.name.casefold())
    locations = _first_of_each((_location_from(name, body) for section in specials.get("locations", [])
                                for name, body in _entries(section)), lambda loc: loc.name.casefold())
    events = _first_of_each((event for section in specials.get("events", []) for event in _events_from(section)),
                            lambda event: event.id)

    plot_hooks: list[str] = []
    for section in specials.get("hooks", []):
        plot_hooks.extend(_hooks_from(section))
    plot_hooks = _dedupe(plot_hooks)

    explicit_combat = any(scene.encounters for act in acts for scene in act.scenes)
    pacing = _pacing(
        acts_with_sections, climax_sections[0] if climax_sections else None, text, explicit_combat
    )

    return CampaignStructure(
        source_name=source_name,
        title=title,
        pitch=pitch,
        overview=overview_fields.prose,
        metadata=metadata,
        acts=acts,
        climax=climax,
        npcs=npcs,
        locations=locations,
        events=events,
        plot_hooks=plot_hooks,
        pacing=pacing,
        npc_roles=dict(Counter(_normalise_role(n.role) for n in npcs)),
        location_types=dict(Counter(_normalise_type(loc.type) for loc in locations)),
    )


# --------------------------------------------------------------------------------------------------
# Derived views
# --------------------------------------------------------------------------------------------------


def plot_structure(structure: CampaignStructure) -> dict[str, Any]:
    """The JSON stored in ``campaigns.plot_structure``: acts -> scenes -> event ids, plus the climax."""
    climax: dict[str, Any] | None = None
    if structure.climax is not None:
        climax = {
            "title": structure.climax.title,
            "summary": structure.climax.summary,
            "location": structure.climax.location,
            "npcs": list(structure.climax.npcs),
            "events": list(structure.climax.events),
        }
    return {
        "version": PLOT_STRUCTURE_VERSION,
        "title": structure.title,
        "source": structure.source_name,
        "metadata": structure.metadata.model_dump(),
        "acts": [
            {
                "number": act.number,
                "title": act.title,
                "scenes": [
                    {
                        "number": scene.number,
                        "title": scene.title,
                        "summary": scene.summary,  # the scene's own description, for the narrator
                        "location": scene.location,
                        "npcs": list(scene.npcs),
                        "events": list(scene.events),
                        "hook": scene.hook,
                        "combat": bool(scene.encounters),
                        # The scene's **Encounter:** line: the foes the offline narrator brings on (corpus.plot).
                        "foes": [enc.model_dump() for enc in scene.encounters],
                    }
                    for scene in act.scenes
                ],
            }
            for act in structure.acts
        ],
        "climax": climax,
        "events": {e.id: {"trigger": e.trigger, "effect": e.effect} for e in structure.events},
        "pacing": {
            "scenes_per_act": structure.pacing.scenes_per_act,
            "words_per_act": structure.pacing.words_per_act,
            "share_per_act": structure.pacing.share_per_act,
            "combat_encounters_per_act": structure.pacing.combat_encounters_per_act,
        },
    }


def hooks(structure: CampaignStructure, include_scene_hooks: bool = True) -> list[str]:
    """Nudges that bring drifting players back: the Plot Hooks list, then (optionally) scene hooks."""
    out = list(structure.plot_hooks)
    if include_scene_hooks:
        out.extend(scene.hook for scene in structure.scenes() if scene.hook)
    return _dedupe(out)


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _fmt_encounters(encounters: list[Encounter]) -> str:
    return ", ".join(f"{e.count} {e.monster}" for e in encounters)


def _fmt_event_ref(ids: list[str], note: str) -> str:
    refs = ", ".join(f"`{_slugify(i) or i}`" for i in ids)
    return f"{refs} {note}".strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _scene_fields(
    location: str | None, npcs: list[str], encounters: list[Encounter], events: list[str], event_note: str
) -> list[str]:
    lines: list[str] = []
    if location:
        lines.append(f"- **Location:** {_one_line(location)}")
    lines.append(f"- **NPCs:** {', '.join(_one_line(n) for n in npcs) or 'none'}")
    if encounters:
        lines.append(f"- **Encounter:** {_fmt_encounters(encounters)}")
    if events or event_note:
        lines.append(f"- **Event:** {_fmt_event_ref(events, _one_line(event_note))}")
    return lines


def render_campaign_markdown(spec: CampaignStructure) -> str:
    """Write ``spec`` in the shipped campaign Markdown layout (the inverse of :func:`extract_structure`)."""
    out: list[str] = [f"# {_one_line(spec.title) or 'Untitled Campaign'}", ""]
    out += _pitch_lines(spec.pitch)
    out += ["## Overview", ""]
    out += _with_blank(_metadata_lines(spec.metadata))
    out += _paragraph(spec.overview)
    for act in spec.acts:
        out += _act_lines(act)
    if spec.climax is not None:
        c = spec.climax
        out += [f"## Climax: {_one_line(c.title)}", ""]
        out += _paragraph(c.summary)
        out += _with_blank(_scene_fields(c.location, c.npcs, c.encounters, c.events, c.event_note))
    out += ["## NPCs", ""]
    for npc in spec.npcs:
        out += [f"### {_one_line(npc.name)}", ""]
        out += _with_blank(_labelled([("Role", npc.role), ("Personality", npc.personality),
                                      ("Location", npc.location), ("Stats", npc.stats)]))
        out += _paragraph(npc.description)
    out += ["## Locations", ""]
    for loc in spec.locations:
        out += _location_lines(loc)
    out += ["## Events", ""]
    out += [_event_line(event) for event in spec.events]
    out.append("")
    out += ["## Plot Hooks", ""]
    out += [f"- {_one_line(h)}" for h in spec.plot_hooks if h.strip()]
    return "\n".join(out).rstrip() + "\n"


def _paragraph(text: str) -> list[str]:
    """A block of text followed by a blank line; nothing for an empty one."""
    return [text.strip(), ""] if text.strip() else []


def _with_blank(lines: list[str]) -> list[str]:
    return [*lines, ""] if lines else []


def _labelled(fields: list[tuple[str, str | None]]) -> list[str]:
    """`- **Label:** value` for each field that has a value."""
    return [f"- **{label}:** {_one_line(value)}" for label, value in fields if value]


def _pitch_lines(pitch: str) -> list[str]:
    if not pitch.strip():
        return []
    out: list[str] = []
    for para_idx, para in enumerate(_paragraphs(pitch)):
        if para_idx:
            out.append(">")
        out.extend(f"> {line.strip()}" for line in para.splitlines())
    return [*out, ""]


def _metadata_lines(meta: CampaignMetadata) -> list[str]:
    lines = []
    if meta.levels:
        lines.append(f"- **Levels:** {meta.levels}")
    lines += _labelled([("Region", meta.region), ("Tone", meta.tone)])
    if meta.tier is not None:
        lines.append(f"- **Tier:** {meta.tier}")
    return lines


def _act_lines(act: Act) -> list[str]:
    out = [f"## Act {act.number}: {_one_line(act.title)}", "", *_paragraph(act.summary)]
    for idx, scene in enumerate(act.scenes, start=1):
        number = scene.number if re.fullmatch(r"\d{1,3}(?:\.\d{1,3})*", scene.number) else f"{act.number}.{idx}"
        out += [f"### Scene {number}: {_one_line(scene.title)}", ""]
        out += _paragraph(scene.summary)
        fields = _scene_fields(scene.location, scene.npcs, scene.encounters, scene.events, scene.event_note)
        out += _with_blank(fields + _labelled([("Hook", scene.hook)]))
    return out


def _location_lines(loc: CampaignLocation) -> list[str]:
    out = [f"### {_one_line(loc.name)}", ""]
    if loc.type:
        out += [f"- **Type:** {_one_line(loc.type)}", ""]
    out += _paragraph(loc.description)
    shop = f"{_one_line(loc.shop.name)} ({_one_line(loc.shop.kind)})" if loc.shop else "none"
    if loc.shop and not loc.shop.kind:
        shop = _one_line(loc.shop.name)
    return [*out, f"- **Encounters:** {_fmt_encounters(loc.encounters) or 'none'}", f"- **Shop:** {shop}", ""]


def _event_line(event: CampaignEvent) -> str:
    parts = []
    if event.trigger:
        parts.append(f"**Trigger:** {_one_line(event.trigger)}")
    if event.effect:
        parts.append(f"**Effect:** {_one_line(event.effect)}")
    lead = f"- `{_slugify(event.id) or event.id}`: "
    if event.description.strip():
        lead += _one_line(event.description) + " "
    return (lead + "; ".join(parts)).rstrip()


# --------------------------------------------------------------------------------------------------
# Optional file convenience
# --------------------------------------------------------------------------------------------------


def load_campaign(path: str | Path) -> CampaignStructure:
    """Read a campaign Markdown file and extract its structure (``source_name`` is the file name)."""
    p = Path(path)
    return extract_structure(p.read_text(encoding="utf-8"), p.name)


def shipped_campaign_paths() -> list[Path]:
    """The campaign Markdown files shipped in ``corpus/campaigns/``, sorted by name."""
    if not CAMPAIGNS_DIR.is_dir():
        return []
    return sorted(CAMPAIGNS_DIR.glob("*.md"))
