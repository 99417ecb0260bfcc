"""corpus_indexes.kind 'journal': a campaign journal's entries in the vector store (corpus.journal_index)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE corpus_indexes DROP CONSTRAINT corpus_index_kind")
    op.execute("ALTER TABLE corpus_indexes ADD CONSTRAINT corpus_index_kind CHECK (kind IN ('rules', 'campaign', 'journal'))")


def downgrade() -> None:
    op.execute("DELETE FROM corpus_indexes WHERE kind = 'journal'")
    op.execute("ALTER TABLE corpus_indexes DROP CONSTRAINT corpus_index_kind")
    op.execute("ALTER TABLE corpus_indexes ADD CONSTRAINT corpus_index_kind CHECK (kind IN ('rules', 'campaign'))")
