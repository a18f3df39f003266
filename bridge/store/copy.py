"""Copying an SQLite store into an empty PostgreSQL one (``vigie migrate --to``), for a site
that moves to an Icinga HA pair: every row with its number, in one transaction, checked
(rows of each table, minutes of work, invoice totals, a digest of every row) before it is
committed. The SQLite store is only read.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.store.errors import StoreError
from bridge.store.postgres import PostgresConnection, connect
from bridge.store.schema import SCHEMA_VERSION
from bridge.store.unit_of_work import UnitOfWork

# Parents before children (the foreign keys), each table in the order of its numbers.
TABLES = (
    ("tickets", "id"),
    ("events", "id"),
    ("work", "id"),
    ("approvals", "id"),
    ("outbox", "id"),
    ("deliveries", "id"),
    ("issued_documents", "year, sequence"),
    ("users", "name"),
    ("api_tokens", "digest"),
    ("web_sessions", "digest"),
    ("failed_logins", "id"),
)
_NUMBERED = (*(table for table, order in TABLES if order == "id"), "issued_documents")
_BATCH = 1000


@dataclass(frozen=True)
class Totals:
    """What must be the same on both sides: rows per table, minutes of work logged, the
    totals of the e-invoices issued, and a digest of every row."""

    rows: dict[str, int]
    work_minutes: int
    invoiced: Decimal
    digest: str

    def describe(self) -> str:
        """One line: the counts and totals."""
        rows = ", ".join(f"{count} {table}" for table, count in self.rows.items() if count)
        return (
            f"{rows or 'no rows'}; {self.work_minutes} minutes of work; "
            f"{self.invoiced} invoiced (incl. VAT)"
        )


class CopyRefused(StoreError):
    """The copy was not made (the target is not empty, or the copy did not check out)."""


def totals(db: Any) -> Totals:
    """Count and sum what the store at ``db`` holds (SQLite or PostgreSQL, same SQL)."""
    rows: dict[str, int] = {}
    digest = hashlib.sha256()
    for table, order in TABLES:
        count = 0
        for row in db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            count += 1
            digest.update(
                repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode()
            )
        rows[table] = count
    minutes = int(db.execute("SELECT coalesce(sum(minutes), 0) FROM work").fetchone()[0])
    invoiced = Decimal(0)
    for row in db.execute("SELECT type, content FROM issued_documents"):
        total = Decimal(json.loads(row[1])["total"])
        invoiced += -total if row[0] == "credit-note" else total
    return Totals(rows, minutes, invoiced, digest.hexdigest())


def copy_store(source: Path, url: str, password_file: Path | None) -> Totals:
    """Copy the SQLite store at ``source`` into the empty PostgreSQL store at ``url``; the
    totals both now hold. CopyRefused, with nothing written, when the target has rows or
    the copy does not check out."""
    if not source.is_file():
        raise CopyRefused(f"no store at {source}")
    with UnitOfWork(source):  # brings an older store to this schema first
        pass
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        version = reading.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise CopyRefused(f"{source} has schema {version}, not {SCHEMA_VERSION}")
        # One snapshot of the source for the copy and its check (WAL readers see one).
        reading.execute("BEGIN")
        expected = totals(reading)
        target = connect(url, password_file)
        try:
            _copy(reading, target, expected)
        finally:
            target.close()
    finally:
        reading.close()
    return expected


def _copy(reading: sqlite3.Connection, target: PostgresConnection, expected: Totals) -> None:
    target.begin(write=True)
    try:
        present = totals(target)
        if any(present.rows.values()):
            raise CopyRefused(
                f"the store {target.where} is not empty ({present.describe()}): "
                "copy only into a new database"
            )
        for table, order in TABLES:
            cursor = reading.execute(f"SELECT * FROM {table} ORDER BY {order}")
            names = ", ".join(f'"{column[0]}"' for column in cursor.description)
            marks = ", ".join("?" for _ in cursor.description)
            statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            while batch := cursor.fetchmany(_BATCH):
                target.executemany(statement, batch)
        for table in _NUMBERED:  # the next number after the copied ones
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        copied = totals(target)
        if copied != expected:
            raise CopyRefused(
                f"the copy does not check out: {expected.describe()} in the SQLite store, "
                f"{copied.describe()} copied (digest {copied.digest[:12]} != "
                f"{expected.digest[:12]}): nothing written"
            )
        target.end("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.end("ROLLBACK")
        raise
