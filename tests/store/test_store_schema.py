"""The store's schema is versioned (SQLite's PRAGMA user_version, PostgreSQL's vigie_schema):
an older store is brought up to date in place, in one transaction, keeping every ticket and
its history. Both stores' schemas are rendered from one description (``schema.STEPS``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bridge.store import schema as store
from tests.backends import Backend
from tests.vigie_command import Run, as_json, notify_args, write_config


def make_version_1(backend: Backend) -> None:
    """A store as the first vigie made it, with one ticket and its history."""
    if backend.url is None:
        db: Any = sqlite3.connect(backend.local)
        statements = list(store.sqlite_sql(store.STEPS[0], {}))
        statements.append("PRAGMA user_version = 1")
    else:
        import psycopg

        db = psycopg.connect(backend.url, autocommit=True)
        # The cluster's template is at the current schema: start from an empty one.
        for table in (
            "vigie_schema",
            "issued_documents",
            "failed_logins",
            "web_sessions",
            "api_tokens",
            "users",
            "deliveries",
            "outbox",
            "approvals",
            "work",
            "events",
            "tickets",
        ):
            db.execute(f"DROP TABLE {table} CASCADE".encode())
        statements = [store.POSTGRES_FUNCTIONS, *store.postgres_sql(store.STEPS[0], {})]
        statements.append("CREATE TABLE vigie_schema (version INTEGER NOT NULL)")
        statements.append("INSERT INTO vigie_schema VALUES (1)")
    for statement in statements:
        db.execute(statement.encode() if backend.url else statement)
    db.execute(
        "INSERT INTO tickets (kind, key, customer, server, service, level, subject, "
        "reference_at, deadline_at, created_at) VALUES ('incident', 'web01!http', 'acme', "
        "'web01', 'http', 'B', 'old one', '2026-11-20T15:30:00.000000+00:00', "
        "'2026-11-20T19:30:00.000000+00:00', '2026-11-20T15:30:05.000000+00:00')"
    )
    db.execute(
        "INSERT INTO events (ticket_id, key, at, recorded_at, type) VALUES (1, 'web01!http', "
        "'2026-11-20T15:30:00.000000+00:00', '2026-11-20T15:30:05.000000+00:00', 'opened')"
    )
    db.commit()
    db.close()


@pytest.fixture
def store_file(config_file: Path, backend: Backend) -> Path:
    """The test's configuration naming the backend's store."""
    return write_config(config_file.parent, store=backend.store)


def test_a_version_1_store_is_upgraded_in_place(
    vigie: Run, store_file: Path, backend: Backend
) -> None:
    make_version_1(backend)
    shown = as_json(vigie("show", "1", "--format", "json"))
    assert shown["subject"] == "old one" and [e["type"] for e in shown["history"]] == ["opened"]
    result = vigie(
        *notify_args(type="RECOVERY", host="web01", service="http", state="OK", since="1795196000")
    )
    assert result.returncode == 0, result.stderr
    with backend.raw() as db:
        if backend.url is None:
            assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        else:
            assert db.execute("SELECT version FROM vigie_schema").fetchone()[0] == (
                store.SCHEMA_VERSION
            )
        recovered = db.execute("SELECT sla_recovered_at IS NOT NULL FROM tickets").fetchone()
        assert bool(recovered[0])
        # The recovery queued acme's alerts (R14) in the table the upgrade created.
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 2
