"""Exact look-ups of a named rules entry (spell, monster, condition) with suggestions for misspellings.

Order: the `rules` table (filled by the SRD JSON importer), then the rules index's section headings (the
Markdown SRD has one section per spell, monster and condition), then semantic search. A name that matches
nothing exactly gets the closest known names (from the table, or from the index's headings).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from corpus.retrieval import Hit, search
from corpus.store import RULES_INDEX
from dnd.data import bestiary
from dnd.data.conditions import CONDITIONS, find_condition
from dnd.data.spells import SPELLS, SpellInfo, find_spell

KINDS: dict[str, dict[str, Any]] = {
    "spell": {"types": ("spell", "spells"), "folders": ("Spells/",), "parents": ("spell descriptions",)},
    "monster": {"types": ("monster", "monsters"), "folders": ("Monsters/",),
                "parents": ("monsters", "creatures", "nonplayer characters", "monsters (a)")},
    "condition": {"types": ("condition", "conditions"), "folders": ("Gamemastering/Conditions",),
                  "parents": ("conditions",)},
}


@dataclass
class LookupResult:
    kind: str
    query: str
    name: str | None = None
    # From the rules table.
    details: dict[str, Any] | None = None
    # From the index: the entry's section text, its source and heading path.
    section: str = ""
    source_file: str = ""
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    suggestions: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.details is not None or bool(self.section)


def table_entry(session: Session, kind: str, name: str) -> tuple[str, dict[str, Any]] | None:
    row = session.execute(text(
        "SELECT name, details FROM rules WHERE lower(type) = ANY(:types) AND (lower(name) = lower(:name) "
        "OR lower(index_key) = lower(:key)) ORDER BY id LIMIT 1"),
        {"types": list(KINDS[kind]["types"]), "name": name, "key": name.replace(" ", "-")}).first()
    return (row.name, dict(row.details or {})) if row else None


def table_names(session: Session, kind: str) -> list[str]:
    return list(session.execute(text("SELECT name FROM rules WHERE lower(type) = ANY(:types)"),
                                {"types": list(KINDS[kind]["types"])}).scalars())


def _kind_filter(kind: str) -> tuple[str, dict[str, Any]]:
    """SQL matching windows of this kind: in the kind's folders (Markdown SRD) or under its parent heading (PDF)."""
    folders = KINDS[kind]["folders"]
    parents = KINDS[kind]["parents"]
    clauses = [f"f.path LIKE :folder{i}" for i in range(len(folders))]
    clauses.append("lower(w.heading_path->>-2) = ANY(:parents)")
    params: dict[str, Any] = {f"folder{i}": folder + "%" for i, folder in enumerate(folders)}
    params["parents"] = list(parents)
    return "(" + " OR ".join(clauses) + ")", params


def _index_section(session: Session, kind: str, name: str, index: str) -> dict[str, Any] | None:
    """The section whose last heading is `name`, preferring the kind's own folders / parent headings."""
    kind_sql, params = _kind_filter(kind)
    rows = session.execute(text(
        f"SELECT w.chunk_id, w.heading_path, w.page, w.char_start, w.char_end, c.text, f.path, {kind_sql} AS of_kind "
        "FROM corpus_windows w JOIN corpus_chunks c ON c.id = w.chunk_id JOIN corpus_files f ON f.id = c.file_id "
        "WHERE w.index_name = :index AND lower(w.heading_path->>-1) = lower(:name) "
        "ORDER BY of_kind DESC, c.file_id, w.chunk_id, w.char_start"),
        {"index": index, "name": name, **params}).all()
    if not rows:
        return None
    first = rows[0]
    same = [row for row in rows
            if row.chunk_id == first.chunk_id and list(row.heading_path) == list(first.heading_path)]
    # The section from its first window to its last, heading line included.
    start = min(row.char_start for row in same)
    end = max(row.char_end for row in same)
    heading_start = first.text.rfind("\n\n", 0, start)
    lead = first.text[max(0, heading_start):start].strip() if heading_start >= 0 else first.text[:start].strip()
    section = (lead + "\n\n" if lead and len(lead) < 200 else "") + first.text[start:end]
    return {"name": list(first.heading_path)[-1], "section": section.strip(), "source_file": first.path,
            "heading_path": list(first.heading_path), "page": first.page}


def _index_names(session: Session, kind: str, index: str) -> list[str]:
    kind_sql, params = _kind_filter(kind)
    names = session.execute(text(
        f"SELECT DISTINCT w.heading_path->>-1 FROM corpus_windows w JOIN corpus_chunks c ON c.id = w.chunk_id "
        f"JOIN corpus_files f ON f.id = c.file_id WHERE w.index_name = :index AND {kind_sql}"),
        {"index": index, **params}).scalars().all()
    return [name for name in names if name]


def suggest(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[match] for match in matches]


def lookup(session: Session, kind: str, name: str, index: str = RULES_INDEX) -> LookupResult:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    name = " ".join(name.split())
    result = LookupResult(kind, name)
    entry = table_entry(session, kind, name)
    if entry is not None:
        result.name, result.details = entry
        return result
    section = _index_section(session, kind, name, index)
    if section is not None:
        result.name = section["name"]
        result.section = section["section"]
        result.source_file = section["source_file"]
        result.heading_path = section["heading_path"]
        result.page = section["page"]
        return result
    candidates = table_names(session, kind) or _index_names(session, kind, index)
    result.suggestions = suggest(name, candidates)
    if not result.suggestions:
        result.hits = search(f"{kind} {name}", index, 3, session=session)
    return result


def format_details(kind: str, details: dict[str, Any]) -> str:
    """A rules-table entry (5e-database JSON shape) as a few readable lines."""
    lines: list[str] = []
    if kind == "spell":
        level = details.get("level")
        school = (details.get("school") or {}).get("name", "") if isinstance(details.get("school"), dict) else ""
        if level is not None:
            lines.append(f"*{'Cantrip' if level == 0 else f'Level {level}'} {school}*".strip())
        for key, label in (("casting_time", "Casting time"), ("range", "Range"), ("duration", "Duration")):
            if details.get(key):
                lines.append(f"**{label}:** {details[key]}")
        if details.get("components"):
            lines.append(f"**Components:** {', '.join(map(str, details['components']))}")
    elif kind == "monster":
        armor = details.get("armor_class")
        if isinstance(armor, list) and armor:
            armor = armor[0].get("value") if isinstance(armor[0], dict) else armor[0]
        facts = [f"**{label}** {details[key]}" for key, label in (("size", "Size"), ("type", "Type"),
                                                                   ("hit_points", "HP"), ("challenge_rating", "CR"))
                 if details.get(key) is not None]
        if armor is not None:
            facts.insert(2, f"**AC** {armor}")
        lines.append(" · ".join(facts))
    description = details.get("desc")
    if isinstance(description, list):
        lines.extend(str(part) for part in description)
    elif description:
        lines.append(str(description))
    if kind == "spell" and details.get("higher_level"):
        lines.extend(str(part) for part in details["higher_level"])
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- the built-in compendium


def _spell_text(spell: SpellInfo) -> str:
    level = "Cantrip" if spell.is_cantrip else f"Level {spell.level}"
    lines = [f"*{level} {spell.school}*" + (" · concentration" if spell.concentration else "")
             + (" · ritual" if spell.ritual else ""),
             f"**Casting time:** {spell.casting_time} · **Range:** {spell.range}",
             f"**Classes:** {', '.join(spell.classes)}"]
    if spell.attack:
        lines.append(f"**Spell attack** ({spell.attack})")
    if spell.save:
        lines.append(f"**{spell.save} saving throw**" + (" (half damage on a success)" if spell.save_effect == "half"
                                                         else ""))
    for label, dice, kind in (("Damage", spell.damage, spell.damage_type), ("Healing", spell.heal, "")):
        if dice:
            every = "slot level" if spell.upcast_every == 1 else f"{spell.upcast_every} slot levels"
            more = f", +{spell.upcast} per {every} above" if spell.upcast else ""
            grows = ", more at character levels 5, 11 and 17" if spell.cantrip_scaling else ""
            plus = " + your spellcasting modifier" if label == "Healing" or spell.add_mod_to_damage else ""
            lines.append(f"**{label}:** {dice}{plus} {kind}".rstrip() + more + grows)
    if spell.summary:
        lines.append(spell.summary)
    return "\n".join(lines)


def built_in_entry(kind: str, name: str) -> tuple[str, str] | None:
    """The engine's own entry of `kind` called `name` (its name and text), when it has one."""
    key = " ".join(name.split())
    if kind == "spell":
        spell = find_spell(key)
        return (spell.name, _spell_text(spell)) if spell else None
    if kind == "monster":
        creature = bestiary.find_creature(key)
        return (creature.name, format_details("monster", bestiary.entry(creature.name))) if creature else None
    if kind == "condition":
        condition = find_condition(key)
        return (condition.name, condition.summary) if condition else None
    return None


def built_in_names(kind: str) -> list[str]:
    return list({"spell": SPELLS, "monster": bestiary.BESTIARY, "condition": CONDITIONS}.get(kind, {}))
