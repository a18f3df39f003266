"""``vigie migrate --to postgresql://...``: an SQLite store copied into an empty PostgreSQL
one, every row with its number, checked (counts, minutes, invoice totals, a digest of
every row) before success is reported; never into a database that has rows (R15)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.domain.billing import Line, make_document
from bridge.store.copy import totals
from bridge.store.postgres import PostgresUnitOfWork, connect
from bridge.store.unit_of_work import UnitOfWork
from tests.servers.postgres import Cluster
from tests.store.test_issued_documents import issued
from tests.vigie_command import Run, notify_args

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def fill(vigie: Run, store: Path) -> None:
    """Tickets from real notifications, work logged, an invoice issued, an account."""
    for service in ("http", "smtp", "disk"):
        done = vigie(
            *notify_args(
                type="PROBLEM", host="web01", service=service, state="CRITICAL", since="1795600800"
            )
        )
        assert done.returncode == 0, done.stderr
    with UnitOfWork(store) as uow:
        uow.tickets.add_work(1, 45, "alice", NOW, "incident", "restarted", NOW)
        uow.tickets.add_work(2, 30, "bob", NOW, "incident", None, NOW)
        line = Line(
            "work", 1, "web01", "restart", None, False, 45, 3, 0, Decimal("25"), Decimal("75")
        )
        document = make_document("acme", "ACME SA", "2026-Q4", "invoice", [line], Decimal("0.21"))
        sequence, number = uow.issued.next_number(2026)
        uow.issued.add(2026, sequence, replace(issued(number), content=document))
        uow.accounts.add_user("alice", "staff", None, "$argon2id$stand-in", NOW)
        uow.accounts.add_session("digest", "alice", "csrf", NOW, NOW + timedelta(hours=1))
        uow.commit()


def test_an_sqlite_store_is_copied_checked_and_goes_on_in_postgresql(
    vigie: Run, config_file: Path, pg_cluster: Cluster
) -> None:
    store = config_file.parent / "vigie.db"
    fill(vigie, store)
    url = pg_cluster.empty_database()
    done = vigie("migrate", "--to", url)
    assert done.returncode == 0, done.stderr
    assert "3 tickets" in done.stdout and "75 minutes of work" in done.stdout
    assert "90.75 invoiced" in done.stdout and "checked" in done.stdout
    with UnitOfWork(store, write=False) as before, PostgresUnitOfWork(url, None, store) as after:
        assert after.tickets.tickets() == before.tickets.tickets()
        assert after.tickets.history(1) == before.tickets.history(1)
        assert after.issued.numbers(2026) == ["2026-000001"]
        # The numbers go on after the copied ones.
        assert after.tickets.add_work(3, 15, "carol", NOW, "incident", None, NOW).id == 3
        assert after.issued.next_number(2026) == (2, "2026-000002")
    pg = connect(url, None)
    try:
        assert totals(pg) == totals(sqlite3.connect(store))
    finally:
        pg.close()

    # Never into a store that has rows: nothing is written, one line says why.
    again = vigie("migrate", "--to", url)
    assert again.returncode == 2
    assert "is not empty" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_a_password_in_the_url_is_refused_before_anything_is_read(vigie: Run) -> None:
    done = vigie("migrate", "--to", "postgresql://vigie:secret@db.example.net/vigie")
    assert done.returncode == 2
    assert "must not hold a password" in done.stderr and "secret" not in done.stderr
