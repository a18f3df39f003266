"""The store's schema and its migrations: SQLite tables, indexes and the triggers that keep
history, work and approvals append-only (R15).

The schema is versioned (``PRAGMA user_version``); ``migrate`` brings an older store up to
date in place, in one transaction, keeping every ticket and its history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from bridge.store.errors import StoreUnavailable, unavailable

SCHEMA_VERSION = 6
# Under Icinga's 30 s timeout of the notification command: a notify waiting longer for
# the lock gives up and spools the event rather than being killed with it unrecorded.
BUSY_TIMEOUT_SECONDS = 20.0

_SCHEMA = """
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('incident', 'request')),
    key TEXT,
    customer TEXT,
    server TEXT,
    service TEXT,
    level TEXT,
    subject TEXT NOT NULL,
    reference_at TEXT NOT NULL,
    deadline_at TEXT,
    express INTEGER NOT NULL DEFAULT 0,
    assignee TEXT,
    in_downtime INTEGER NOT NULL DEFAULT 0,
    external_ref TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'taken', 'closed')),
    taken_at TEXT,
    taken_by TEXT,
    recovered_at TEXT,
    closed_at TEXT,
    last_state TEXT,
    debrief TEXT
);
CREATE INDEX tickets_open ON tickets (status, key);
CREATE INDEX tickets_customer ON tickets (customer, reference_at);
CREATE INDEX tickets_server ON tickets (server, reference_at);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER REFERENCES tickets (id),
    key TEXT,
    at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT,
    state TEXT,
    output TEXT,
    comment TEXT,
    identity TEXT
);
CREATE INDEX events_ticket ON events (ticket_id, id);
CREATE INDEX events_key ON events (key, id);
CREATE UNIQUE INDEX events_identity ON events (identity) WHERE identity IS NOT NULL;

CREATE TABLE work (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    by TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('incident', 'request', 'update')),
    note TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX work_ticket ON work (ticket_id);

CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TRIGGER tickets_never_deleted BEFORE DELETE ON tickets
BEGIN SELECT RAISE(ABORT, 'tickets are never deleted (R15)'); END;
CREATE TRIGGER tickets_facts_fixed BEFORE UPDATE OF
    id, kind, customer, server, service, level, reference_at, deadline_at, express, created_at
ON tickets
BEGIN SELECT RAISE(ABORT, 'a ticket''s reference time, deadline and contract never change (R4)');
END;
"""

# Version 2: customer alerts (R14) and the recovery and closing that count for R4.
_UPGRADE_TO_2 = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_outbox ON deliveries (outbox_id, ok);
"""
_COLUMNS_OF_2 = ("sla_recovered_at", "sla_closed_at")

# Version 3: issued e-invoices (gapless numbers per year, the bytes as they left).
_UPGRADE_TO_3 = """
CREATE TABLE IF NOT EXISTS issued_documents (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL CHECK (sequence > 0),
    number TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('invoice', 'credit-note')),
    source TEXT NOT NULL CHECK (source IN ('statement', 'invoice')),
    customer TEXT NOT NULL,
    period TEXT NOT NULL,
    corrects TEXT,
    issued_at TEXT NOT NULL,
    content TEXT NOT NULL,
    basis TEXT NOT NULL,
    ubl BLOB NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX IF NOT EXISTS issued_documents_of ON issued_documents (customer, source, period);
CREATE TRIGGER IF NOT EXISTS issued_documents_gapless BEFORE INSERT ON issued_documents
WHEN NEW.sequence != (SELECT COALESCE(MAX(sequence), 0) + 1 FROM issued_documents
                      WHERE year = NEW.year)
BEGIN SELECT RAISE(ABORT, 'invoice numbers are gapless: the next one of its year only'); END;
"""

# Version 4: the web queue's accounts, API tokens, sessions and failed logins. Only hashes
# of passwords, tokens and session ids are stored.
_UPGRADE_TO_4 = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('staff', 'admin', 'customer')),
    customer TEXT,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_sessions (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users (name),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_logins (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_logins_user ON failed_logins (user, at);
CREATE INDEX IF NOT EXISTS failed_logins_address ON failed_logins (address, at);
"""

# Version 5: the customer portal: files sent with a request, and approval requests (R11)
# with the customer's answer. All append-only: an answer is a row of its own.
_UPGRADE_TO_5 = """
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    content BLOB NOT NULL,
    by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_ticket ON attachments (ticket_id);
CREATE TABLE IF NOT EXISTS approval_requests (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    quarters INTEGER NOT NULL,
    rate TEXT NOT NULL,
    amount TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_requests_ticket ON approval_requests (ticket_id);
CREATE TABLE IF NOT EXISTS approval_decisions (
    request_id INTEGER PRIMARY KEY REFERENCES approval_requests (id),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'declined')),
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

# Version 6: the external helpdesk's outbox (written with the ticket change), every
# delivery attempt, and what `vigie sync` imported from the helpdesk (each thing once).
_UPGRADE_TO_6 = """
CREATE TABLE IF NOT EXISTS helpdesk_outbox (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    action TEXT NOT NULL CHECK (action IN ('open', 'comment', 'status', 'work')),
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS helpdesk_outbox_ticket ON helpdesk_outbox (ticket_id, id);
CREATE TABLE IF NOT EXISTS helpdesk_attempts (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES helpdesk_outbox (id),
    at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'requeued')),
    error TEXT,
    retry_at TEXT
);
CREATE INDEX IF NOT EXISTS helpdesk_attempts_item ON helpdesk_attempts (item_id, outcome);
CREATE TABLE IF NOT EXISTS helpdesk_synced (
    source TEXT PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    recorded_at TEXT NOT NULL
);
"""

_APPEND_ONLY = (
    "events",
    "work",
    "approvals",
    "outbox",
    "deliveries",
    "issued_documents",
    "attachments",
    "approval_requests",
    "approval_decisions",
    "helpdesk_outbox",
    "helpdesk_attempts",
    "helpdesk_synced",
)


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the store to ``SCHEMA_VERSION`` (creating it when empty), in one transaction."""
    # WAL must be switched on outside a transaction; it persists in the file.
    db.execute("PRAGMA journal_mode = WAL")
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise unavailable(error, path) or error from None
    try:
        _upgrade(db, path)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    try:
        db.execute("COMMIT")
    except sqlite3.Error as error:
        db.execute("ROLLBACK")
        raise unavailable(error, path) or error from None


def _upgrade(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return  # another process created it while we waited for the lock
    if version > SCHEMA_VERSION:
        raise StoreUnavailable(
            f"the store {path} has schema {version}, newer than this vigie "
            f"({SCHEMA_VERSION}): upgrade vigie"
        )
    # Each step brings the store one version up, in the same transaction.
    if version < 1:
        for statement in _statements(_SCHEMA):
            db.execute(statement)
    if version < 2:
        for statement in _statements(_UPGRADE_TO_2):
            db.execute(statement)
        present = {row["name"] for row in db.execute("PRAGMA table_info(tickets)")}
        for column in _COLUMNS_OF_2:
            if column not in present:
                db.execute(f"ALTER TABLE tickets ADD COLUMN {column} TEXT")
    if version < 3:
        for statement in _statements(_UPGRADE_TO_3):
            db.execute(statement)
    if version < 4:
        for statement in _statements(_UPGRADE_TO_4):
            db.execute(statement)
    if version < 5:
        for statement in _statements(_UPGRADE_TO_5):
            db.execute(statement)
    if version < 6:
        for statement in _statements(_UPGRADE_TO_6):
            db.execute(statement)
    for table in _APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} "
                f"ON {table} BEGIN SELECT RAISE(ABORT, '{table} are append-only (R15)'); "
                "END"
            )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (triggers hold semicolons, so ask SQLite where)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
