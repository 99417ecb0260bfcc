"""Characters: the repository over the `characters` table.

The JSONB column `sheet` holds the whole engine model (`dnd.character.Character`) and is the source of
truth; the other columns mirror it for queries and for people reading the database. Every write goes through
:func:`save`, which rewrites the mirror from the sheet and bumps `version`. Rows are locked with
`SELECT … FOR UPDATE` before they are changed; when two characters are locked together, lock them in id
order (:func:`load_many_for_update`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Character as CharacterRow
from dnd.character import Character


class CharacterExists(Exception):
    """The player already has a character in this campaign (one per player per campaign)."""


@dataclass
class StoredCharacter:
    """A row and the engine model it holds."""

    row: CharacterRow
    character: Character

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def player_id(self) -> int:
        return self.row.player_id

    @property
    def campaign_id(self) -> int:
        return self.row.campaign_id


# --------------------------------------------------------------------------- reading and locking


def _stored(row: CharacterRow | None) -> StoredCharacter | None:
    if row is None:
        return None
    return StoredCharacter(row, Character.model_validate(row.sheet))


# Built once (their cache keys are memoized): loading a character is on every command's path.
_BY_PLAYER = select(CharacterRow).where(CharacterRow.player_id == bindparam("player_id"),
                                        CharacterRow.campaign_id == bindparam("campaign_id"))
_BY_PLAYER_FOR_UPDATE = _BY_PLAYER.with_for_update().execution_options(populate_existing=True)
_MANY = (select(CharacterRow).where(CharacterRow.player_id.in_(bindparam("player_ids", expanding=True)),
                                    CharacterRow.campaign_id == bindparam("campaign_id")).order_by(CharacterRow.id))
_MANY_FOR_UPDATE = _MANY.with_for_update().execution_options(populate_existing=True)


def find_by_player(session: Session, player_id: int, campaign_id: int) -> StoredCharacter | None:
    """The player's character in the campaign, without a lock (for reading)."""
    row = session.execute(_BY_PLAYER, {"player_id": player_id, "campaign_id": campaign_id}).scalar_one_or_none()
    return _stored(row)


def load_for_update(session: Session, player_id: int, campaign_id: int) -> StoredCharacter | None:
    """The player's character in the campaign, locked until the transaction ends."""
    row = session.execute(_BY_PLAYER_FOR_UPDATE,
                          {"player_id": player_id, "campaign_id": campaign_id}).scalar_one_or_none()
    return _stored(row)


def find_many(session: Session, player_ids: Iterable[int], campaign_id: int) -> dict[int, StoredCharacter]:
    """Several players' characters in the campaign, in one query, without a lock (for reading)."""
    rows = session.execute(_MANY, {"player_ids": list(player_ids), "campaign_id": campaign_id}).scalars()
    return {row.player_id: StoredCharacter(row, Character.model_validate(row.sheet)) for row in rows}


def load_many_for_update(session: Session, player_ids: Iterable[int], campaign_id: int) -> dict[int, StoredCharacter]:
    """Several players' characters, locked in id order (so two transactions never wait on each other)."""
    rows = session.execute(_MANY_FOR_UPDATE, {"player_ids": list(player_ids), "campaign_id": campaign_id}).scalars()
    return {row.player_id: StoredCharacter(row, Character.model_validate(row.sheet)) for row in rows}


def characters_of_player(session: Session, player_id: int) -> list[StoredCharacter]:
    rows = session.execute(select(CharacterRow).where(CharacterRow.player_id == player_id)
                           .order_by(CharacterRow.id)).scalars()
    return [StoredCharacter(row, Character.model_validate(row.sheet)) for row in rows]


def levels_in_campaign(session: Session, campaign_id: int) -> list[int]:
    """The level of every character of the campaign (for encounters built for the party)."""
    return list(session.execute(select(CharacterRow.level).where(CharacterRow.campaign_id == campaign_id)).scalars())


def players_with_characters(session: Session, campaign_id: int, player_ids: Iterable[int]) -> list[int]:
    """Those of the players who have a character in the campaign, in the characters' id order."""
    return [int(player) for player in session.execute(
        select(CharacterRow.player_id).where(CharacterRow.campaign_id == campaign_id,
                                             CharacterRow.player_id.in_(list(player_ids)))
        .order_by(CharacterRow.id)).scalars()]


def find_by_name(session: Session, campaign_id: int, name: str) -> StoredCharacter | None:
    """The campaign's character called ``name`` (any case), without a lock (for reading)."""
    row = session.execute(select(CharacterRow).where(CharacterRow.campaign_id == campaign_id,
                                                     func.lower(CharacterRow.name) == name.strip().casefold())
                          .order_by(CharacterRow.id).limit(1)).scalar_one_or_none()
    return _stored(row)


# --------------------------------------------------------------------------- writing


def class_label(character: Character) -> str:
    """"Fighter" for one class, "Fighter 3 / Wizard 2" for a multiclass character."""
    if len(character.class_levels) == 1:
        return next(iter(character.class_levels))
    return " / ".join(f"{name} {level}" for name, level in character.class_levels.items())


def mirror(character: Character) -> dict[str, Any]:
    """The mirrored columns of a character (what `save` writes next to the sheet)."""
    slots: dict[str, Any] = {
        str(level): {"remaining": character.spell_slots.get(level, 0), "max": maximum}
        for level, maximum in sorted(character.spell_slots_max.items())
    }
    if character.pact_slots_max:
        slots["pact"] = {"remaining": character.pact_slots, "max": character.pact_slots_max,
                         "level": character.pact_slot_level}
    conditions: list[Any] = list(character.conditions)
    if character.exhaustion:
        conditions.append(f"Exhaustion {character.exhaustion}")
    return {
        "name": character.name,
        "level": character.level,
        "class_": class_label(character),
        "race": character.subrace or character.race,
        "stats": dict(character.ability_scores),
        "inventory": [item.model_dump(mode="json") for item in character.inventory],
        "wealth": character.wealth.model_dump(mode="json"),
        "feats": [feat.model_dump(mode="json") for feat in character.feats],
        "abilities": [ability.model_dump(mode="json") for ability in character.abilities],
        "conditions": conditions,
        "spell_slots": slots,
        "hp": character.hp,
        "max_hp": max(1, character.max_hp),
        "xp": character.xp,
    }


def audit_target(stored: StoredCharacter) -> str:
    """How the audit log names a character."""
    return f"player:{stored.player_id} character:{stored.id} ({stored.character.name})"


def snapshot(row: CharacterRow) -> dict[str, Any]:
    """The mirrored columns of a stored row, as JSON (for the audit log's before/after)."""
    return {
        "name": row.name, "level": row.level, "class": row.class_, "race": row.race, "hp": row.hp,
        "max_hp": row.max_hp, "xp": row.xp, "conditions": list(row.conditions or []),
        "inventory": [f"{i.get('name')} x{i.get('qty', 1)}" for i in (row.inventory or [])],
        "wealth": dict(row.wealth or {}), "version": row.version,
    }


# One UPDATE statement per save, of the columns that changed (the ORM's unit of work would cost more than the
# statement on this path, which every change to a character takes).
_SAVE = update(CharacterRow.__table__).where(CharacterRow.__table__.c.id == bindparam("row_id"))
_COLUMN_OF = {attribute.key: attribute.columns[0].key for attribute in CharacterRow.__mapper__.column_attrs}


def save(session: Session, stored: StoredCharacter, character: Character) -> StoredCharacter:
    """Write the sheet and its mirror, bump the version. The row must have been loaded for update."""
    row = stored.row
    previous = mirror(stored.character)
    # Only the mirror columns that changed are written.
    changed = {attribute: value for attribute, value in mirror(character).items() if previous.get(attribute) != value}
    changed |= {"sheet": character.model_dump(mode="json"), "version": (row.version or 0) + 1}
    session.execute(_SAVE, {"row_id": row.id, **{_COLUMN_OF[name]: value for name, value in changed.items()}})
    # The row object now holds what the database holds, without the ORM writing it a second time.
    for attribute, value in changed.items():
        set_committed_value(row, attribute, value)
    session.expire(row, ["updated_at"])
    stored.character = character
    return stored


def move_to_campaign(session: Session, stored: StoredCharacter, campaign_id: int) -> StoredCharacter:
    """Moves a character (its row, locked for update) into another campaign: the sheet comes along whole;
    the player must have none there (the unique constraint guards it too)."""
    already_there = (select(CharacterRow.id).where(CharacterRow.player_id == stored.player_id,
                                                   CharacterRow.campaign_id == campaign_id).exists())
    moved = session.execute(update(CharacterRow).where(CharacterRow.id == stored.id, ~already_there)
                            .values(campaign_id=campaign_id).returning(CharacterRow.id)).scalar_one_or_none()
    if moved is None:
        raise CharacterExists(f"player {stored.player_id} already has a character in campaign {campaign_id}")
    set_committed_value(stored.row, "campaign_id", campaign_id)
    return stored


def create(session: Session, player_id: int, campaign_id: int, character: Character) -> StoredCharacter:
    """Insert a new character; raises :class:`CharacterExists` when the player has one in the campaign."""
    values = {**mirror(character), "player_id": player_id, "campaign_id": campaign_id,
              "sheet": character.model_dump(mode="json"), "version": 1}
    statement = (insert(CharacterRow).values(**values)
                 .on_conflict_do_nothing(constraint="one_character_per_player_per_campaign")
                 .returning(CharacterRow.id))
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is None:
        raise CharacterExists(f"player {player_id} already has a character in campaign {campaign_id}")
    stored = load_for_update(session, player_id, campaign_id)
    assert stored is not None
    return stored
