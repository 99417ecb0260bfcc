"""retrieval: corpus indexes, files (content hashes), parent chunks and embedded child windows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 18:30:00
"""
from __future__ import annotations

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('corpus_indexes',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('root_dir', sa.Text(), nullable=False),
    sa.Column('embed_model', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('windows', sa.Integer(), nullable=False),
    sa.Column('last_build_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_build_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_report', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint("kind IN ('rules', 'campaign')", name='corpus_index_kind'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_index(op.f('ix_corpus_indexes_campaign_id'), 'corpus_indexes', ['campaign_id'], unique=False)
    op.create_table('corpus_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index_name', sa.Text(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('indexed', 'failed')", name='corpus_file_status'),
    sa.ForeignKeyConstraint(['index_name'], ['corpus_indexes.name'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('index_name', 'path', name='corpus_file_per_index')
    )
    op.create_table('corpus_chunks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('index_name', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('heading_path', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('page_end', sa.Integer(), nullable=True),
    sa.Column('token_count', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['corpus_files.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_corpus_chunks_file_id'), 'corpus_chunks', ['file_id'], unique=False)
    op.create_index('corpus_chunks_index_name', 'corpus_chunks', ['index_name'], unique=False)
    op.create_index('corpus_chunks_first_heading', 'corpus_chunks',
                    ['index_name', sa.text("lower(heading_path->>0)")], unique=False)
    op.create_table('corpus_windows',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('chunk_id', sa.BigInteger(), nullable=False),
    sa.Column('index_name', sa.Text(), nullable=False),
    sa.Column('heading_path', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('char_start', sa.Integer(), nullable=False),
    sa.Column('char_end', sa.Integer(), nullable=False),
    sa.Column('token_count', sa.Integer(), nullable=False),
    sa.Column('embedding', pgvector.sqlalchemy.vector.VECTOR(dim=384), nullable=False),
    sa.ForeignKeyConstraint(['chunk_id'], ['corpus_chunks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_corpus_windows_chunk_id'), 'corpus_windows', ['chunk_id'], unique=False)
    op.create_index('corpus_windows_index_name', 'corpus_windows', ['index_name'], unique=False)
    # The rules index's HNSW graph (cosine); campaign indexes get theirs when first built (corpus.store).
    op.execute("CREATE INDEX corpus_windows_hnsw_rules ON corpus_windows "
               "USING hnsw (embedding vector_cosine_ops) WHERE index_name = 'rules'")


def downgrade() -> None:
    op.drop_table('corpus_windows')
    op.drop_table('corpus_chunks')
    op.drop_table('corpus_files')
    op.drop_index(op.f('ix_corpus_indexes_campaign_id'), table_name='corpus_indexes')
    op.drop_table('corpus_indexes')
