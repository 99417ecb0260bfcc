"""Imports a 5e-database-format JSON directory (SRD_JSON_DIR) into the `rules` table.

Each file is a JSON list of entries with `index` and `name`; an entry becomes one row (type, name, index_key,
details = the entry). Re-importing updates rows in place (idempotent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import Rule

# File name (5e-database "5e-SRD-<Name>.json") → rule type.
RULE_FILES: dict[str, str] = {
    "Spells": "spell",
    "Monsters": "monster",
    "Equipment": "equipment",
    "Magic-Items": "magic_item",
    "Features": "feature",
    "Conditions": "condition",
    "Classes": "class",
    "Subclasses": "subclass",
    "Races": "race",
    "Subraces": "subrace",
    "Traits": "trait",
    "Feats": "feat",
    "Backgrounds": "background",
    "Skills": "skill",
    "Rule-Sections": "rule_section",
    "Damage-Types": "damage_type",
    "Weapon-Properties": "weapon_property",
    "Languages": "language",
}
BATCH_ROWS = 500


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def entries(directory: Path, report: ImportReport) -> Iterator[tuple[str, dict[str, Any]]]:
    for stem, rule_type in RULE_FILES.items():
        path = directory / f"5e-SRD-{stem}.json"
        if not path.exists():
            report.problems.append(f"{path.name}: missing")
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            report.problems.append(f"{path.name}: unreadable ({error.__class__.__name__})")
            continue
        if not isinstance(data, list):
            report.problems.append(f"{path.name}: not a list of entries")
            continue
        for entry in data:
            if isinstance(entry, dict) and isinstance(entry.get("index"), str) and isinstance(entry.get("name"), str):
                yield rule_type, entry
            else:
                report.problems.append(f"{path.name}: an entry without index/name was skipped")


def import_directory(session: Session, directory: Path) -> ImportReport:
    if not directory.is_dir():
        raise FileNotFoundError(f"SRD JSON directory not found: {directory}")
    report = ImportReport()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            statement = insert(Rule.__table__)
            session.execute(statement.on_conflict_do_update(
                constraint="rule_key_per_type",
                set_={"name": statement.excluded.name, "details": statement.excluded.details}), batch)
            batch.clear()

    for rule_type, entry in entries(directory, report):
        batch.append({"type": rule_type, "name": entry["name"], "index_key": entry["index"], "details": entry})
        report.counts[rule_type] = report.counts.get(rule_type, 0) + 1
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()
    return report
