"""SQLAlchemy 2.0 models for every table: the brief's schema plus what correctness needs.

Characters are keyed per campaign (a player can have one character in each campaign). JSONB columns keep the
brief's shapes; quantities and coins that must never go negative have CHECK constraints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EMBEDDING_DIMENSIONS = 384


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _touched() -> Mapped[datetime]:
    """Set by every ORM update. Declared here rather than assigned as `func.now()` before each flush: a SQL
    expression among the values makes SQLAlchemy build and key a new UPDATE each time instead of reusing
    its cached one."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False)


def _campaign_fk(nullable: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True, nullable=nullable)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    current_act: Mapped[int] = mapped_column(Integer, default=1)
    current_scene: Mapped[int] = mapped_column(Integer, default=1)
    plot_flags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plot_structure: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_file: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    __table_args__ = (
        CheckConstraint("current_act >= 1", name="campaign_act_positive"),
        CheckConstraint("current_scene >= 1", name="campaign_scene_positive"),
    )


class CampaignStructure(Base):
    __tablename__ = "campaign_structures"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    structures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _now()


class CampaignChunk(Base):
    __tablename__ = "campaign_chunks"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    chunk_text: Mapped[str] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    embedding: Mapped[Any] = mapped_column(Vector(EMBEDDING_DIMENSIONS), nullable=True)


class Npc(Base):
    __tablename__ = "npcs"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    name: Mapped[str] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    personality: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(Text)
    attitude: Mapped[str] = mapped_column(String(16), default="indifferent")
    __table_args__ = (UniqueConstraint("campaign_id", "name", name="npc_name_per_campaign"),)


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    encounters: Mapped[list[Any]] = mapped_column(default=list)
    __table_args__ = (UniqueConstraint("campaign_id", "name", name="location_name_per_campaign"),)


class Character(Base):
    __tablename__ = "characters"
    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, index=True)
    campaign_id: Mapped[int] = _campaign_fk()
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer, default=1)
    class_: Mapped[str] = mapped_column("class", Text)
    race: Mapped[str] = mapped_column(Text)
    # The JSON mirrors are written on every save but read only by people and audits: deferred, so loading a
    # character parses one JSON document (the sheet), not eight.
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True, deferred_group="mirror")
    inventory: Mapped[list[Any]] = mapped_column(default=list, deferred=True, deferred_group="mirror")
    wealth: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True, deferred_group="mirror")
    feats: Mapped[list[Any]] = mapped_column(default=list, deferred=True, deferred_group="mirror")
    abilities: Mapped[list[Any]] = mapped_column(default=list, deferred=True, deferred_group="mirror")
    conditions: Mapped[list[Any]] = mapped_column(default=list, deferred=True, deferred_group="mirror")
    spell_slots: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True, deferred_group="mirror")
    hp: Mapped[int] = mapped_column(Integer, default=1)
    max_hp: Mapped[int] = mapped_column(Integer, default=1)
    xp: Mapped[int] = mapped_column(Integer, default=0)
    # The full engine model (dnd.character.Character) as JSON: the source the columns above mirror.
    sheet: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = _touched()
    __table_args__ = (
        UniqueConstraint("player_id", "campaign_id", name="one_character_per_player_per_campaign"),
        CheckConstraint("level BETWEEN 1 AND 20", name="character_level_range"),
        CheckConstraint("hp >= 0 AND max_hp >= 1", name="character_hp_nonnegative"),
        CheckConstraint("xp >= 0", name="character_xp_nonnegative"),
        CheckConstraint(
            "COALESCE((wealth->>'cp')::bigint, 0) >= 0 AND COALESCE((wealth->>'sp')::bigint, 0) >= 0 "
            "AND COALESCE((wealth->>'ep')::bigint, 0) >= 0 AND COALESCE((wealth->>'gp')::bigint, 0) >= 0 "
            "AND COALESCE((wealth->>'pp')::bigint, 0) >= 0",
            name="character_coins_nonnegative",
        ),
        CheckConstraint("jsonb_typeof(inventory) = 'array'", name="character_inventory_is_list"),
    )


class CombatState(Base):
    __tablename__ = "combat_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    channel_id: Mapped[int] = mapped_column(BigInteger, index=True)
    initiative: Mapped[list[Any]] = mapped_column(default=list)
    current_turn: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    log: Mapped[list[Any]] = mapped_column(default=list)
    ongoing: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))  # lasting spells
    pending_spell: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)  # waiting on a Counterspell
    started_at: Mapped[datetime] = _now()
    __table_args__ = (
        Index("one_active_combat_per_channel", "channel_id", unique=True, postgresql_where=text("active")),
        CheckConstraint("current_turn >= 0 AND round >= 1", name="combat_turn_nonnegative"),
    )


class WorldState(Base):
    __tablename__ = "world_state"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    location: Mapped[str | None] = mapped_column(Text)
    time: Mapped[datetime | None] = mapped_column(DateTime)
    events: Mapped[list[Any]] = mapped_column(default=list)
    dropped_items: Mapped[dict[str, Any]] = mapped_column(default=dict)
    weather: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Rule(Base):
    __tablename__ = "rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text)
    index_key: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    __table_args__ = (
        UniqueConstraint("type", "index_key", name="rule_key_per_type"),
        Index("rules_lower_name", "type", text("lower(name)")),
    )


class Shop(Base):
    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    location: Mapped[str] = mapped_column(Text)
    items: Mapped[list[Any]] = mapped_column(default=list)
    price_modifier: Mapped[float] = mapped_column(Float, default=1.0, server_default=text("1.0"))
    restocked_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        UniqueConstraint("campaign_id", "location", name="one_shop_per_location"),
        CheckConstraint("price_modifier > 0", name="shop_price_modifier_positive"),
    )


class TradeHistory(Base):
    __tablename__ = "trade_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    sender_id: Mapped[int] = mapped_column(BigInteger, index=True)
    receiver_id: Mapped[int] = mapped_column(BigInteger, index=True)
    item: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    timestamp: Mapped[datetime] = _now()


class MessageHistory(Base):
    __tablename__ = "message_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = _campaign_fk(nullable=True)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    player_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="message")
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = _now()


class PlotThread(Base):
    __tablename__ = "plot_threads"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    hook: Mapped[str] = mapped_column(Text)
    plot_point: Mapped[int] = mapped_column(Integer, default=1)
    deviation_level: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Outbox(Base):
    """Every reply, written in the same transaction as the state change it reports."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reply_key: Mapped[str] = mapped_column(Text, unique=True)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_user_id: Mapped[int | None] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text, default="")
    embeds: Mapped[list[Any]] = mapped_column(default=list)
    reply_to: Mapped[str | None] = mapped_column(Text)
    edit_key: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _now()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
        CheckConstraint("channel_id IS NOT NULL OR dm_user_id IS NOT NULL", name="outbox_has_destination"),
    )


class ProcessedMessage(Base):
    """Idempotency: a message, turn or reaction key is processed once."""

    __tablename__ = "processed_messages"
    message_key: Mapped[str] = mapped_column(Text, primary_key=True)
    task_name: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime] = _now()


class Session(Base):
    """Interactive flows (character creation, level-up) as persisted state machines."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    campaign_id: Mapped[int | None] = _campaign_fk(nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _touched()
    __table_args__ = (
        Index("one_active_session_per_user", "user_id", unique=True, postgresql_where=text("active")),
    )


class DeadLetter(Base):
    """A task that kept failing past its attempt limit, set aside instead of looping."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(Text, unique=True)
    task_name: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    campaign_id: Mapped[int | None] = _campaign_fk(nullable=True)
    target: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _now()


class Ledger(Base):
    """Every movement of gold or items, so conservation can be checked."""

    __tablename__ = "ledger"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    character_id: Mapped[int | None] = mapped_column(ForeignKey("characters.id", ondelete="SET NULL"), index=True)
    counterparty: Mapped[str] = mapped_column(Text)
    item: Mapped[str] = mapped_column(Text)
    quantity_delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()


class BotState(Base):
    """Small global settings: the active campaign, a forced API fallback, and the like."""

    __tablename__ = "bot_state"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = _now()


# --------------------------------------------------------------------------- retrieval (corpus/ indexes)
# One row per index ("rules", "campaign:<slug>"), per source file (its content hash makes rebuilds
# incremental), per parent chunk (the 512–1024-token text returned to the model) and per child window (the
# ≤256-word-piece text that is embedded; small-to-big). Each index has its own partial HNSW index on
# `corpus_windows.embedding` (pgvector 0.6 has no iterative scans, so a filtered scan of one shared HNSW
# graph would lose the small campaign indexes behind the large rules index).


class CorpusIndex(Base):
    __tablename__ = "corpus_indexes"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    root_dir: Mapped[str] = mapped_column(Text, default="")
    embed_model: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="empty")
    files: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    windows: Mapped[int] = mapped_column(Integer, default=0)
    last_build_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_build_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # journal: a campaign journal's entries (corpus.journal_index), not a campaign's book
    __table_args__ = (CheckConstraint("kind IN ('rules', 'campaign', 'journal')", name="corpus_index_kind"),)


class CorpusFile(Base):
    __tablename__ = "corpus_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    index_name: Mapped[str] = mapped_column(ForeignKey("corpus_indexes.name", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="indexed")
    error: Mapped[str | None] = mapped_column(Text)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    indexed_at: Mapped[datetime] = _now()
    __table_args__ = (
        UniqueConstraint("index_name", "path", name="corpus_file_per_index"),
        CheckConstraint("status IN ('indexed', 'failed')", name="corpus_file_status"),
    )


# `CorpusChunk.text` (a column) shadows sqlalchemy.text inside the class body.
_sql = text


class CorpusChunk(Base):
    __tablename__ = "corpus_chunks"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    index_name: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int] = mapped_column(ForeignKey("corpus_files.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    heading_path: Mapped[list[Any]] = mapped_column(default=list)
    page: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    __table_args__ = (
        Index("corpus_chunks_index_name", "index_name"),
        Index("corpus_chunks_first_heading", "index_name", _sql("lower(heading_path->>0)")),
    )


class CorpusWindow(Base):
    __tablename__ = "corpus_windows"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chunk_id: Mapped[int] = mapped_column(ForeignKey("corpus_chunks.id", ondelete="CASCADE"), index=True)
    index_name: Mapped[str] = mapped_column(Text)
    heading_path: Mapped[list[Any]] = mapped_column(default=list)
    page: Mapped[int | None] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    embedding: Mapped[Any] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    # Lexical search (migration 0003's corpus_window_tsv: entry name A, enclosing headings B, text D).
    tsv: Mapped[Any] = mapped_column(TSVECTOR, nullable=True)
    __table_args__ = (
        Index("corpus_windows_index_name", "index_name"),
        Index("corpus_windows_tsv", "tsv", postgresql_using="gin"),
        Index("corpus_windows_entry_name", "index_name", _sql("lower(heading_path->>-1)")),
    )


class JournalEntry(Base):
    """The campaign's memory: session summaries and the notes taken as it is played (NPCs met, places visited,
    items gained, promises made), searched by full text for the narrator's prompt and the players' `!journal`."""

    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _campaign_fk()
    session_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    # For a summary: the last message_history row it covers (the next session starts after it).
    until_history_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now()
    edited_by: Mapped[int | None] = mapped_column(BigInteger)
    struck: Mapped[bool] = mapped_column(Boolean, default=False)
    search: Mapped[Any] = mapped_column(
        TSVECTOR, Computed("to_tsvector('english', subject || ' ' || text)", persisted=True))
    __table_args__ = (
        CheckConstraint("kind IN ('summary', 'npc', 'place', 'item', 'promise', 'death', 'note')",
                        name="journal_entry_kind"),
        Index("journal_entries_search", "search", postgresql_using="gin"),
        Index("journal_entries_by_session", "campaign_id", "session_number"),
    )


class SafetyTopic(Base):
    """The table's lines (never in the story) and veils (off-screen only), set with `!lines` / `!veils`; who
    set one is not kept (safety tools are anonymous)."""

    __tablename__ = "safety_topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    __table_args__ = (UniqueConstraint("kind", "topic", name="safety_topic_once"),
                      CheckConstraint("kind IN ('line', 'veil')", name="safety_topic_kind"))
