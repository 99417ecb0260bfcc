"""combat_state.ongoing: the spells lasting in a fight (concentration, zone spells such as Spirit Guardians)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:12:00
"""
from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE combat_state ADD COLUMN ongoing jsonb NOT NULL DEFAULT '[]'::jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE combat_state DROP COLUMN ongoing")
