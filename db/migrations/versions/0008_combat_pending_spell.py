"""combat_state.pending_spell: a monster's spell cast and waiting on a character's Counterspell

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:10:00
"""
from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE combat_state ADD COLUMN pending_spell jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE combat_state DROP COLUMN pending_spell")
