"""lexical search beside the vectors: a weighted tsvector per corpus window (entry name A, the names in its text
B — run-in bold labels, a table's row names —, enclosing headings C, text D) with a GIN index, and an index on
each window's entry name for exact-name boosts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:45:00
"""
from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# One definition of a window's lexical document, used by the writer (corpus.store) and the backfill below.
WINDOW_TSV_FUNCTION = """
CREATE OR REPLACE FUNCTION corpus_window_tsv(title text, labels text, headings text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(labels, '')), 'B')
        || setweight(to_tsvector('english', coalesce(headings, '')), 'C')
        || setweight(to_tsvector('english', coalesce(body, '')), 'D')
$$
"""


def upgrade() -> None:
    op.execute(WINDOW_TSV_FUNCTION)
    op.execute("ALTER TABLE corpus_windows ADD COLUMN tsv tsvector")
    op.execute("""
        UPDATE corpus_windows w SET tsv = corpus_window_tsv(
            w.heading_path->>-1,
            '',
            (SELECT string_agg(h.value, ' ') FROM jsonb_array_elements_text(w.heading_path) WITH ORDINALITY h(value, n)
             WHERE h.n < jsonb_array_length(w.heading_path)),
            substr(c.text, w.char_start + 1, w.char_end - w.char_start))
        FROM corpus_chunks c WHERE c.id = w.chunk_id
    """)
    op.execute("CREATE INDEX corpus_windows_tsv ON corpus_windows USING gin (tsv)")
    op.execute("CREATE INDEX corpus_windows_entry_name ON corpus_windows (index_name, lower(heading_path->>-1))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS corpus_windows_entry_name")
    op.execute("DROP INDEX IF EXISTS corpus_windows_tsv")
    op.execute("ALTER TABLE corpus_windows DROP COLUMN IF EXISTS tsv")
    op.execute("DROP FUNCTION IF EXISTS corpus_window_tsv(text, text, text, text)")
