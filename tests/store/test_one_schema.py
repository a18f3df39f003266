"""One description, two databases: the schema's steps render for SQLite and PostgreSQL, and
the repository's SQL (``?`` placeholders) reaches psycopg as ``%s`` with quoted text kept."""

from __future__ import annotations

import pytest

from bridge.store import schema

psycopg = pytest.importorskip("psycopg")


def test_every_step_renders_for_both_databases_with_the_same_rules() -> None:
    versions = [step.version for step in schema.STEPS]
    assert versions == list(range(1, schema.SCHEMA_VERSION + 1))  # a new step goes last
    for step in schema.STEPS:
        sqlite = list(schema.sqlite_sql(step, {}))
        postgres = list(schema.postgres_sql(step, {}))
        refusals = [item for item in step.items if isinstance(item, schema.Refuse)]
        for item in refusals:  # R15: each refusal is a trigger on both
            assert any(item.name in statement for statement in sqlite)
            assert any(item.name in statement for statement in postgres)
        assert not any("{id}" in s or "{blob}" in s for s in sqlite + postgres)


def test_placeholders_become_psycopgs_outside_quoted_text() -> None:
    from bridge.store.postgres import placeholders

    assert placeholders("SELECT * FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE %s ESCAPE '\\'"
    )
    assert placeholders("SELECT '?', \"odd?\" FROM t WHERE c = ?") == (
        "SELECT '?', \"odd?\" FROM t WHERE c = %s"
    )
    assert placeholders("SELECT 5 % 2, '100%' FROM t") == "SELECT 5 %% 2, '100%%' FROM t"
