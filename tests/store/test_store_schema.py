"""The store's schema is versioned (PRAGMA user_version): an older store is brought up to
date in place, in one transaction, keeping every ticket and its history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bridge.store import schema as store
from tests.vigie_command import Run, as_json, notify_args


def make_version_1(path: Path) -> None:
    db = sqlite3.connect(path)
    for statement in store._statements(store._SCHEMA):
        db.execute(statement)
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
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_version_1_store_is_upgraded_in_place(vigie: Run, config_file: Path) -> None:
    path = config_file.parent / "vigie.db"
    make_version_1(path)
    shown = as_json(vigie("show", "1", "--format", "json"))
    assert shown["subject"] == "old one" and [e["type"] for e in shown["history"]] == ["opened"]
    result = vigie(
        *notify_args(type="RECOVERY", host="web01", service="http", state="OK", since="1795196000")
    )
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (store.SCHEMA_VERSION,)
        assert db.execute("SELECT sla_recovered_at IS NOT NULL FROM tickets").fetchone() == (1,)
        # The recovery queued acme's alerts (R14) in the table the upgrade created.
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (2,)
    finally:
        db.close()
