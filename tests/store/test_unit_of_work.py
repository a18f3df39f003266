"""The unit of work on a real SQLite file: all or nothing, and a store that cannot be used
now told apart from a bug by SQLite's error code."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.domain.tickets import NewTicket
from bridge.store import unit_of_work
from bridge.store.errors import StoreUnavailable, unavailable
from bridge.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
REQUEST = NewTicket(
    kind="request",
    key=None,
    customer="acme",
    server=None,
    service=None,
    level=None,
    subject="a new mailbox",
    reference_at=NOW,
    deadline_at=None,
)


def test_a_block_left_without_commit_writes_nothing(tmp_path: Path) -> None:
    uow = UnitOfWork(tmp_path / "vigie.db")
    with uow:
        uow.tickets.add(REQUEST, False, NOW)
    with uow:
        assert uow.tickets.tickets() == []
        ticket_id = uow.tickets.add(REQUEST, False, NOW)
        uow.commit()
    with UnitOfWork(tmp_path / "vigie.db", write=False) as reading:
        assert [t.id for t in reading.tickets.tickets()] == [ticket_id]


def test_a_reading_unit_of_work_leaves_no_store_behind(tmp_path: Path) -> None:
    with UnitOfWork(tmp_path / "none" / "vigie.db", write=False) as uow:
        assert uow.tickets.tickets() == []
    assert not (tmp_path / "none").exists()


def test_a_store_locked_too_long_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vigie.db"
    with UnitOfWork(path):
        pass  # creates the store
    monkeypatch.setattr(unit_of_work, "BUSY_TIMEOUT_SECONDS", 0.05)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with (
            pytest.raises(StoreUnavailable, match=r"cannot write the store .*locked"),
            UnitOfWork(path),
        ):
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_errors_are_classified_by_code_not_by_wording(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, whatever it says" * 200)
    with pytest.raises(sqlite3.DatabaseError) as not_a_database:
        sqlite3.connect(garbage).execute("PRAGMA user_version")
    assert unavailable(not_a_database.value, garbage) is not None
    # A rule of the schema refusing a write is a bug of ours, not an unavailable store.
    path = tmp_path / "vigie.db"
    with UnitOfWork(path) as uow:
        uow.tickets.add(REQUEST, False, NOW)
        uow.commit()
    with pytest.raises(sqlite3.IntegrityError) as refused:
        sqlite3.connect(path).execute("DELETE FROM tickets")
    assert "never deleted" in str(refused.value)
    assert unavailable(refused.value, path) is None
