"""The schema's migrations form one line: engineers adding migrations side by side must chain them."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from db.bootstrap import alembic_config


def test_the_migrations_have_exactly_one_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://localhost/unused"))
    heads = scripts.get_heads()
    assert len(heads) == 1, (f"several migration heads {heads}: point the newest migration's down_revision at "
                             "the one before it (`git log db/migrations`)")
    assert len(list(scripts.walk_revisions())) >= 2
