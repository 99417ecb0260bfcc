"""journal: the campaign's memory (session summaries and notes), searched by full text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'journal_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('session_number', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('until_history_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('edited_by', sa.BigInteger(), nullable=True),
        sa.Column('struck', sa.Boolean(), nullable=False),
        sa.Column('search', postgresql.TSVECTOR(),
                  sa.Computed("to_tsvector('english', subject || ' ' || text)", persisted=True), nullable=True),
        sa.CheckConstraint("kind IN ('summary', 'npc', 'place', 'item', 'promise', 'death', 'note')",
                           name='journal_entry_kind'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_journal_entries_campaign_id'), 'journal_entries', ['campaign_id'], unique=False)
    op.create_index('journal_entries_search', 'journal_entries', ['search'], unique=False, postgresql_using='gin')
    op.create_index('journal_entries_by_session', 'journal_entries', ['campaign_id', 'session_number'], unique=False)


def downgrade() -> None:
    op.drop_table('journal_entries')
