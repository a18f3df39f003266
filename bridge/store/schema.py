"""The store's schema and its migrations, one description for SQLite and PostgreSQL: tables,
indexes and the triggers that keep history, work and approvals append-only (R15).

Each step of ``STEPS`` brings a store one version up. A step is a list of items written once:
``Ddl`` is table and index SQL both databases read, with ``{id}`` (the row number column) and
``{blob}`` (bytes) the only words that differ; ``Refuse`` and ``Gapless`` are the rules the
database enforces, rendered as each database writes triggers. ``sqlite_sql`` and
``postgres_sql`` render a step. A new version is one more ``Step`` at the end of the list.

The version is ``PRAGMA user_version`` on SQLite and the one row of ``vigie_schema`` on
PostgreSQL; ``migrate`` brings an older SQLite store up to date in place, in one transaction
(the PostgreSQL store does the same in ``bridge.store.postgres``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bridge.store.errors import StoreUnavailable, unavailable

# Under Icinga's 30 s timeout of the notification command: a notify waiting longer for
# the lock gives up and spools the event rather than being killed with it unrecorded.
BUSY_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Ddl:
    """Tables and indexes in the SQL both databases read (``{id}``, ``{blob}`` differ)."""

    sql: str


@dataclass(frozen=True)
class AddColumns:
    """Columns added to a table that may already have them (a store made by a newer step)."""

    table: str
    columns: tuple[str, ...]
    type: str = "TEXT"


@dataclass(frozen=True)
class Refuse:
    """The database refuses ``verbs`` on ``table`` (of ``columns`` only, for an UPDATE)."""

    name: str
    table: str
    verbs: tuple[str, ...]
    message: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gapless:
    """Rows of ``table`` numbered ``column`` 1, 2, 3... within each ``per``: only the next."""

    name: str
    table: str
    column: str
    per: str
    message: str


Item = Ddl | AddColumns | Refuse | Gapless


@dataclass(frozen=True)
class Step:
    """What brings a store from ``version - 1`` to ``version``."""

    version: int
    items: tuple[Item, ...]


def _append_only(*tables: str) -> tuple[Refuse, ...]:
    return tuple(
        Refuse(f"{table}_no_{verb.lower()}", table, (verb,), f"{table} are append-only (R15)")
        for table in tables
        for verb in ("UPDATE", "DELETE")
    )


STEPS: tuple[Step, ...] = (
    Step(
        1,
        (
            Ddl("""
CREATE TABLE tickets (
    id {id},
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
    id {id},
    ticket_id BIGINT REFERENCES tickets (id),
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
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    by TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('incident', 'request', 'update')),
    note TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX work_ticket ON work (ticket_id);

CREATE TABLE approvals (
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
"""),
            Refuse(
                "tickets_never_deleted", "tickets", ("DELETE",), "tickets are never deleted (R15)"
            ),
            Refuse(
                "tickets_facts_fixed",
                "tickets",
                ("UPDATE",),
                "a ticket's reference time, deadline and contract never change (R4)",
                columns=(
                    "id",
                    "kind",
                    "customer",
                    "server",
                    "service",
                    "level",
                    "reference_at",
                    "deadline_at",
                    "express",
                    "created_at",
                ),
            ),
            *_append_only("events", "work", "approvals"),
        ),
    ),
    # Version 2: customer alerts (R14) and the recovery and closing that count for R4.
    Step(
        2,
        (
            Ddl("""
CREATE TABLE IF NOT EXISTS outbox (
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS deliveries (
    id {id},
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_outbox ON deliveries (outbox_id, ok);
"""),
            AddColumns("tickets", ("sla_recovered_at", "sla_closed_at")),
            *_append_only("outbox", "deliveries"),
        ),
    ),
    # Version 3: issued e-invoices (gapless numbers per year, the bytes as they left).
    Step(
        3,
        (
            Ddl("""
CREATE TABLE IF NOT EXISTS issued_documents (
    id {id},
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
    ubl {blob} NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX IF NOT EXISTS issued_documents_of ON issued_documents (customer, source, period);
"""),
            Gapless(
                "issued_documents_gapless",
                "issued_documents",
                "sequence",
                "year",
                "invoice numbers are gapless: the next one of its year only",
            ),
            *_append_only("issued_documents"),
        ),
    ),
    # Version 4: the web queue's accounts, API tokens, sessions and failed logins. Only
    # hashes of passwords, tokens and session ids are stored. ("user" is quoted: a word
    # PostgreSQL reserves.)
    Step(
        4,
        (
            Ddl("""
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
    "user" TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_sessions (
    digest TEXT PRIMARY KEY,
    "user" TEXT NOT NULL REFERENCES users (name),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_logins (
    id {id},
    "user" TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_logins_user ON failed_logins ("user", at);
CREATE INDEX IF NOT EXISTS failed_logins_address ON failed_logins (address, at);
"""),
        ),
    ),
    # Version 5: one incident ticket open per key, enforced by the database, so two masters
    # of an Icinga HA pair opening the same incident at once make one ticket (the
    # repository's INSERT ... ON CONFLICT names this index's predicate). Open: neither
    # closed nor recovered (a recovered ticket staff have not closed yet may sit beside the
    # next incident of its key, R4).
    Step(
        5,
        (
            Ddl("""
CREATE UNIQUE INDEX IF NOT EXISTS tickets_one_open_per_key ON tickets (key)
    WHERE kind = 'incident' AND status != 'closed' AND recovered_at IS NULL;
"""),
        ),
    ),
    # Version 6: the customer portal: files sent with a request, and approval requests (R11)
    # with the customer's answer. All append-only: an answer is a row of its own.
    Step(
        6,
        (
            Ddl("""
CREATE TABLE IF NOT EXISTS attachments (
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    content {blob} NOT NULL,
    by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_ticket ON attachments (ticket_id);
CREATE TABLE IF NOT EXISTS approval_requests (
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    quarters INTEGER NOT NULL,
    rate TEXT NOT NULL,
    amount TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_requests_ticket ON approval_requests (ticket_id);
CREATE TABLE IF NOT EXISTS approval_decisions (
    request_id BIGINT PRIMARY KEY REFERENCES approval_requests (id),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'declined')),
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
"""),
            *_append_only("attachments", "approval_requests", "approval_decisions"),
        ),
    ),
    # Version 7: the external helpdesk's outbox (written with the ticket change), every
    # delivery attempt, and what `vigie sync` imported from the helpdesk (each thing once).
    Step(
        7,
        (
            Ddl("""
CREATE TABLE IF NOT EXISTS helpdesk_outbox (
    id {id},
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    action TEXT NOT NULL CHECK (action IN ('open', 'comment', 'status', 'work')),
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS helpdesk_outbox_ticket ON helpdesk_outbox (ticket_id, id);
CREATE TABLE IF NOT EXISTS helpdesk_attempts (
    id {id},
    item_id BIGINT NOT NULL REFERENCES helpdesk_outbox (id),
    at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'requeued')),
    error TEXT,
    retry_at TEXT
);
CREATE INDEX IF NOT EXISTS helpdesk_attempts_item ON helpdesk_attempts (item_id, outcome);
CREATE TABLE IF NOT EXISTS helpdesk_synced (
    source TEXT PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    recorded_at TEXT NOT NULL
);
"""),
            *_append_only("helpdesk_outbox", "helpdesk_attempts", "helpdesk_synced"),
        ),
    ),
)

SCHEMA_VERSION = STEPS[-1].version

# What INSERT ... ON CONFLICT names to use tickets_one_open_per_key as its arbiter.
OPEN_INCIDENT = "(key) WHERE kind = 'incident' AND status != 'closed' AND recovered_at IS NULL"

_SQLITE_WORDS = {"id": "INTEGER PRIMARY KEY", "blob": "BLOB"}
_POSTGRES_WORDS = {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "blob": "BYTEA"}


def sqlite_sql(step: Step, columns: dict[str, set[str]]) -> Iterator[str]:
    """The statements of ``step`` on SQLite; ``columns``: the columns each table has now."""
    for item in step.items:
        if isinstance(item, Ddl):
            yield from _statements(item.sql.format(**_SQLITE_WORDS))
        elif isinstance(item, AddColumns):
            for column in item.columns:
                if column not in columns.get(item.table, set()):
                    yield f"ALTER TABLE {item.table} ADD COLUMN {column} {item.type}"
        elif isinstance(item, Refuse):
            for verb in item.verbs:
                of = f" OF {', '.join(item.columns)}" if item.columns and verb == "UPDATE" else ""
                message = item.message.replace("'", "''")
                yield (
                    f"CREATE TRIGGER IF NOT EXISTS {item.name} BEFORE {verb}{of} ON {item.table} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
        else:
            yield (
                f"CREATE TRIGGER IF NOT EXISTS {item.name} BEFORE INSERT ON {item.table} "
                f"WHEN NEW.{item.column} != (SELECT COALESCE(MAX({item.column}), 0) + 1 "
                f"FROM {item.table} WHERE {item.per} = NEW.{item.per}) "
                f"BEGIN SELECT RAISE(ABORT, '{item.message}'); END"
            )


# Refusals raise SQLSTATE 23000 (integrity_constraint_violation), as SQLite's RAISE(ABORT)
# in a trigger gives an IntegrityError: callers handle both alike.
POSTGRES_FUNCTIONS = """
CREATE OR REPLACE FUNCTION vigie_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION vigie_gapless() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected bigint;
BEGIN
    EXECUTE format('SELECT COALESCE(MAX(%I), 0) + 1 FROM %I WHERE %I::text = $1',
                   TG_ARGV[0], TG_TABLE_NAME, TG_ARGV[1])
        INTO expected USING to_jsonb(NEW) ->> TG_ARGV[1];
    IF (to_jsonb(NEW) ->> TG_ARGV[0])::bigint != expected THEN
        RAISE EXCEPTION USING MESSAGE = TG_ARGV[2], ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""


def postgres_sql(step: Step, columns: dict[str, set[str]]) -> Iterator[str]:
    """The statements of ``step`` on PostgreSQL; ``columns``: the columns each table has."""
    for item in step.items:
        if isinstance(item, Ddl):
            yield from _statements(item.sql.format(**_POSTGRES_WORDS))
        elif isinstance(item, AddColumns):
            for column in item.columns:
                yield f"ALTER TABLE {item.table} ADD COLUMN IF NOT EXISTS {column} {item.type}"
        elif isinstance(item, Refuse):
            message = item.message.replace("'", "''")
            for verb in item.verbs:
                of = f" OF {', '.join(item.columns)}" if item.columns and verb == "UPDATE" else ""
                yield (
                    f"CREATE OR REPLACE TRIGGER {item.name} BEFORE {verb}{of} ON {item.table} "
                    f"FOR EACH ROW EXECUTE FUNCTION vigie_refuse('{message}')"
                )
            if "DELETE" in item.verbs:  # TRUNCATE skips row triggers: refused as well
                yield (
                    f"CREATE OR REPLACE TRIGGER {item.name}_truncate BEFORE TRUNCATE ON "
                    f"{item.table} FOR EACH STATEMENT EXECUTE FUNCTION vigie_refuse('{message}')"
                )
        else:
            yield (
                f"CREATE OR REPLACE TRIGGER {item.name} BEFORE INSERT ON {item.table} "
                f"FOR EACH ROW EXECUTE FUNCTION vigie_gapless('{item.column}', '{item.per}', "
                f"'{item.message}')"
            )
    del columns  # PostgreSQL says ADD COLUMN IF NOT EXISTS itself


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the SQLite store to ``SCHEMA_VERSION`` (creating it when empty), in one
    transaction."""
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


def newer_than_this(where: object, version: int) -> StoreUnavailable:
    """The refusal of a store a newer vigie made."""
    return StoreUnavailable(
        f"the store {where} has schema {version}, newer than this vigie "
        f"({SCHEMA_VERSION}): upgrade vigie"
    )


def _upgrade(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return  # another process created it while we waited for the lock
    if version > SCHEMA_VERSION:
        raise newer_than_this(path, version)
    # Each step brings the store one version up, in the same transaction.
    for step in STEPS:
        if step.version <= version:
            continue
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = {
            table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")} for table in tables
        }
        for statement in sqlite_sql(step, columns):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (triggers hold semicolons, so ask SQLite where)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
