"""The unit of work on each store (a real SQLite file, a real PostgreSQL database): all or
nothing, and a store that cannot be used now told apart from a bug."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.domain.notification import parse_event
from bridge.domain.tickets import NewTicket
from bridge.store import unit_of_work
from bridge.store.errors import Conflict, StoreUnavailable, unavailable
from bridge.store.unit_of_work import UnitOfWork
from tests.backends import Backend
from tests.servers.postgres import Cluster

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


def test_a_block_left_without_commit_writes_nothing(backend: Backend) -> None:
    uow = backend.uow()
    with uow:
        uow.tickets.add(REQUEST, False, NOW)
    with uow:
        assert uow.tickets.tickets() == []
        ticket_id = uow.tickets.add(REQUEST, False, NOW)
        uow.commit()
    with backend.uow(write=False) as reading:
        assert [t.id for t in reading.tickets.tickets()] == [ticket_id]


def test_one_incident_ticket_open_per_key_is_the_databases_rule(backend: Backend) -> None:
    """Two masters opening the same incident: the second INSERT meets the partial unique
    index and is told Conflict (its caller records again); once closed, a new one opens."""
    incident = replace(REQUEST, kind="incident", key="web01!http", server="web01")
    with backend.uow() as uow:
        first = uow.tickets.add(incident, False, NOW)
        with pytest.raises(Conflict, match="web01!http"):
            uow.tickets.add(incident, False, NOW)
        uow.tickets.set_closed(first, NOW, "fixed", NOW)
        second = uow.tickets.add(incident, False, NOW)
        uow.tickets.add(REQUEST, False, NOW)
        uow.tickets.add(REQUEST, False, NOW)  # requests have no key: any number
        uow.commit()
    assert second != first
    with backend.raw() as db, pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO tickets (kind, key, subject, reference_at, created_at) "
            "VALUES ('incident', 'web01!http', 'raw', 'x', 'x')"
        )


def test_the_same_notification_is_recorded_once_whoever_sends_it(backend: Backend) -> None:
    """R15, HA: each event has an identity; the second delivery of it is refused."""
    event = parse_event(
        type="PROBLEM",
        host="web01",
        service="http",
        state="CRITICAL",
        output="down",
        since="1795196000",
        author=None,
        comment=None,
        customer=None,
        notification_number="1",
        received_at=NOW,
        tz=UTC,
    )
    with backend.uow() as uow:
        uow.tickets.add_entry(None, event.key, NOW, NOW, "problem", event)
        with pytest.raises(Conflict):
            uow.tickets.add_entry(None, event.key, NOW, NOW, "problem", event)
        uow.commit()
    with backend.uow(write=False) as uow:
        assert len(uow.tickets.events_of(event.key)) == 1


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


def test_history_and_tickets_are_kept_by_the_database(backend: Backend) -> None:
    """R15 on both stores: the triggers refuse to change or remove history."""
    with backend.uow() as uow:
        ticket_id = uow.tickets.add(REQUEST, False, NOW)
        uow.tickets.add_entry(ticket_id, None, NOW, NOW, "note", comment="kept")
        uow.commit()
    with backend.raw() as db:
        for statement, words in (
            ("DELETE FROM tickets", "never deleted"),
            ("UPDATE tickets SET reference_at = 'x'", "never change"),
            ("UPDATE events SET comment = 'changed'", "append-only"),
            ("DELETE FROM events", "append-only"),
        ):
            with pytest.raises(sqlite3.IntegrityError, match=words):
                db.execute(statement)
    with backend.uow(write=False) as uow:
        assert [e.comment for e in uow.tickets.history(ticket_id)] == ["kept"]


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


@pytest.mark.postgres
def test_two_masters_opening_one_incident_at_the_same_instant_make_one_ticket(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    """Without the host lock, straight at the database: the second INSERT waits on the
    first's uncommitted index entry, then meets it (ON CONFLICT DO NOTHING): Conflict."""
    backend = Backend("postgres", tmp_path, pg_cluster.fresh_database())
    incident = replace(REQUEST, kind="incident", key="web01!http", server="web01")
    first, second = backend.uow(), backend.uow()
    outcome: list[object] = []
    with first:
        first.tickets.add(incident, False, NOW)

        def other_master() -> None:
            with second:
                try:
                    outcome.append(second.tickets.add(incident, False, NOW))
                except Conflict as conflict:
                    outcome.append(conflict)

        racing = threading.Thread(target=other_master)
        racing.start()
        racing.join(0.5)
        assert racing.is_alive(), "the second INSERT did not wait for the first"
        first.commit()
    racing.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    with backend.uow(write=False) as uow:
        assert len(uow.tickets.tickets()) == 1
