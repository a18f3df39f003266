"""The embedded helpdesk: tickets, their append-only history, work and approvals in SQLite.

This is the only module that touches the database. WAL mode lets readers run beside the one
writer; every write is one short ``BEGIN IMMEDIATE`` transaction, so a burst of ``vigie
notify`` processes queue on the lock instead of failing. History, work and approvals are
append-only, enforced by triggers (R15); a ticket's row holds only a projection of its history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bridge.incidents import Decision, TicketState, decide
from bridge.notification import Event
from bridge.tickets import Approval, Category, HistoryEntry, Kind, Ticket, Work
from bridge.times import from_db, to_db

_T = TypeVar("_T")
SCHEMA_VERSION = 2
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

# R4 is settled at the deadline: a recovery or closing that happened by then keeps counting
# for the SLA even if the incident comes back after it; a relapse before it cancels them.
_UNLESS_PAST_DEADLINE = (
    "CASE WHEN deadline_at IS NULL OR ? <= deadline_at THEN NULL ELSE {column} END"
)

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

_APPEND_ONLY = ("events", "work", "approvals", "outbox", "deliveries")


class StoreError(Exception):
    """The store refused an operation; the message says why in one line."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or written (read-only, disk full, missing folder)."""


class NotFound(StoreError):
    """No ticket has that number."""


class Invalid(StoreError):
    """The request contradicts the ticket (a time before its reference time...)."""


class Refused(StoreError):
    """A contract rule refuses the operation; ``rule`` names it (R4, R11, R15...)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} ({rule})")
        self.rule = rule


@dataclass(frozen=True)
class NewTicket:
    """Everything a ticket is opened with; fixed for its whole life."""

    kind: Kind
    key: str | None
    customer: str | None
    server: str | None
    service: str | None
    level: str | None
    subject: str
    reference_at: datetime
    deadline_at: datetime | None
    express: bool = False
    assignee: str | None = None
    external_ref: str | None = None


@dataclass(frozen=True)
class Message:
    """A customer alert waiting in the outbox (R14)."""

    id: int
    ticket_id: int
    channel: str
    recipient: str
    subject: str
    body: str


Alerter = Callable[[Ticket, str], Sequence[tuple[str, str, str, str]]]


@dataclass(frozen=True)
class Outcome:
    """What recording a notification did, for the one line ``vigie notify`` prints."""

    ticket_id: int | None
    entry: str
    duplicate: bool = False
    took: bool = False
    closed: bool = False
    opened: Ticket | None = None


def _is_unavailable(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return any(
        phrase in text
        for phrase in (
            "readonly",
            "read-only",
            "disk is full",
            "unable to open",
            "disk i/o",
            "not a database",
            "malformed",
            "locked",
        )
    )


class Store:
    """The embedded helpdesk in one SQLite file. Use as a context manager."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """Open the store; without ``create``, a store not made yet reads as an empty one
        (looking must not leave files behind)."""
        self.path = path
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            where = str(path) if create or path.exists() else ":memory:"
            self._db = sqlite3.connect(where, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = FULL")
            if self._db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._migrate()
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"cannot open the store {path}: {error}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _migrate(self) -> None:
        # WAL must be switched on outside a transaction; it persists in the file.
        self._db.execute("PRAGMA journal_mode = WAL")
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return  # another process created it while we waited for the lock
            if version > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"the store {self.path} has schema {version}, newer than this vigie "
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
            for table in _APPEND_ONLY:
                for verb in ("UPDATE", "DELETE"):
                    db.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} "
                        f"ON {table} BEGIN SELECT RAISE(ABORT, '{table} are append-only (R15)'); "
                        "END"
                    )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            if _is_unavailable(error):
                raise StoreUnavailable(f"cannot write the store {self.path}: {error}") from None
            raise
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            self._db.execute("ROLLBACK")
            if _is_unavailable(error):
                raise StoreUnavailable(f"cannot write the store {self.path}: {error}") from None
            raise

    def _guard(self, operation: Callable[[], _T]) -> _T:
        try:
            return operation()
        except sqlite3.Error as error:
            if _is_unavailable(error):
                raise StoreUnavailable(f"cannot write the store {self.path}: {error}") from None
            raise

    # -- notifications -------------------------------------------------------------------

    def record_event(
        self,
        event: Event,
        new_ticket: Callable[[Event], NewTicket],
        closes_on_recovery: Callable[[str | None], bool],
        reopen_within: Any,
        now: datetime,
        alerter: Alerter | None = None,
    ) -> Outcome:
        """Record one notification in one transaction: open, update or only note a ticket.

        ``new_ticket`` is called only when a ticket must be opened. The same notification
        recorded twice changes nothing the second time.
        """
        return self._guard(
            lambda: self._record_event(
                event, new_ticket, closes_on_recovery, reopen_within, now, alerter
            )
        )

    def _record_event(
        self,
        event: Event,
        new_ticket: Callable[[Event], NewTicket],
        closes_on_recovery: Callable[[str | None], bool],
        reopen_within: Any,
        now: datetime,
        alerter: Alerter | None,
    ) -> Outcome:
        with self._write() as db:
            seen = db.execute(
                "SELECT ticket_id FROM events WHERE identity = ?", (event.identity,)
            ).fetchone()
            if seen is not None:
                return Outcome(seen["ticket_id"], "duplicate", duplicate=True)
            open_row = db.execute(
                "SELECT t.* FROM tickets t WHERE t.status != 'closed' AND t.id IN "
                "(SELECT ticket_id FROM events WHERE key = ?) ORDER BY t.id DESC LIMIT 1",
                (event.key,),
            ).fetchone()
            host_row = None
            if event.service is not None:
                host_row = db.execute(
                    "SELECT * FROM tickets WHERE status != 'closed' AND key = ? "
                    "ORDER BY id DESC LIMIT 1",
                    (event.host,),
                ).fetchone()
            last_row = db.execute(
                "SELECT t.* FROM tickets t WHERE t.id IN "
                "(SELECT ticket_id FROM events WHERE key = ?) ORDER BY t.id DESC LIMIT 1",
                (event.key,),
            ).fetchone()
            state_row = db.execute(
                "SELECT state FROM events WHERE key = ? AND state IS NOT NULL "
                "ORDER BY id DESC LIMIT 1",
                (event.key,),
            ).fetchone()
            decision = decide(
                event,
                open_ticket=_state(open_row),
                host_ticket=_state(host_row),
                last_ticket=_state(last_row),
                last_state=None if state_row is None else state_row["state"],
                reopen_within=reopen_within,
            )
            outcome = self._apply(db, event, decision, new_ticket, closes_on_recovery, now)
            if (
                alerter is not None
                and outcome.ticket_id is not None
                and (decision.action == "open" or decision.recover)
            ):
                ticket = self._require(db, outcome.ticket_id)
                for channel, recipient, subject, body in alerter(ticket, decision.entry):
                    db.execute(
                        "INSERT INTO outbox (ticket_id, channel, recipient, subject, body, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (ticket.id, channel, recipient, subject, body, to_db(now)),
                    )
            return outcome

    def _apply(
        self,
        db: sqlite3.Connection,
        event: Event,
        decision: Decision,
        new_ticket: Callable[[Event], NewTicket],
        closes_on_recovery: Callable[[str | None], bool],
        now: datetime,
    ) -> Outcome:
        at = event.since if event.type in ("PROBLEM", "RECOVERY") else event.received_at
        ticket_id = decision.ticket_id
        if decision.action == "open":
            ticket_id = self._insert_ticket(
                db, new_ticket(event), self._in_downtime(db, event), now
            )
        if ticket_id is not None and decision.action == "reopen":
            db.execute(
                "UPDATE tickets SET status = CASE WHEN taken_at IS NULL THEN 'new' "
                "ELSE 'taken' END, closed_at = NULL, debrief = NULL, sla_closed_at = "
                f"{_UNLESS_PAST_DEADLINE.format(column='sla_closed_at')} WHERE id = ?",
                (to_db(event.since), ticket_id),
            )
        self._insert_event(db, ticket_id, event.key, at, now, decision.entry, event)
        took = closed = False
        if ticket_id is not None:
            own_key = db.execute(
                "SELECT key, customer FROM tickets WHERE id = ?", (ticket_id,)
            ).fetchone()
            if event.state is not None and own_key["key"] == event.key:
                db.execute(
                    "UPDATE tickets SET last_state = ? WHERE id = ?", (event.state, ticket_id)
                )
            if decision.clear_recovery:
                db.execute(
                    "UPDATE tickets SET recovered_at = NULL, sla_recovered_at = "
                    f"{_UNLESS_PAST_DEADLINE.format(column='sla_recovered_at')} WHERE id = ?",
                    (to_db(event.since), ticket_id),
                )
            if decision.take:
                taker = event.author or "icinga"
                took = self._take(db, ticket_id, taker, event.received_at)
                if took:
                    # Every take-over shows as "taken", whichever way it came in.
                    self._insert_event(
                        db, ticket_id, None, event.received_at, now, "taken", actor=taker
                    )
            if decision.recover:
                db.execute(
                    "UPDATE tickets SET recovered_at = ?, "
                    "sla_recovered_at = COALESCE(sla_recovered_at, ?) WHERE id = ?",
                    (to_db(at), to_db(at), ticket_id),
                )
                if closes_on_recovery(own_key["customer"]):
                    closed = self._close(
                        db,
                        ticket_id,
                        at,
                        now,
                        "closed automatically on recovery, as the customer's configuration asks",
                    )
        opened = self._require(db, ticket_id) if decision.action == "open" and ticket_id else None
        return Outcome(ticket_id, decision.entry, took=took, closed=closed, opened=opened)

    def _in_downtime(self, db: sqlite3.Connection, event: Event) -> bool:
        keys = (event.key, event.host)
        row = db.execute(
            "SELECT type FROM events WHERE key IN (?, ?) AND type LIKE 'downtime_%' "
            "ORDER BY id DESC LIMIT 1",
            keys,
        ).fetchone()
        return row is not None and row["type"] == "downtime_start"

    def _insert_ticket(
        self, db: sqlite3.Connection, new: NewTicket, in_downtime: bool, now: datetime
    ) -> int:
        cursor = db.execute(
            "INSERT INTO tickets (kind, key, customer, server, service, level, subject, "
            "reference_at, deadline_at, express, assignee, in_downtime, external_ref, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.kind,
                new.key,
                new.customer,
                new.server,
                new.service,
                new.level,
                new.subject,
                to_db(new.reference_at),
                None if new.deadline_at is None else to_db(new.deadline_at),
                int(new.express),
                new.assignee,
                int(in_downtime),
                new.external_ref,
                to_db(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _insert_event(
        self,
        db: sqlite3.Connection,
        ticket_id: int | None,
        key: str | None,
        at: datetime,
        now: datetime,
        entry: str,
        event: Event | None = None,
        actor: str | None = None,
        comment: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO events (ticket_id, key, at, recorded_at, type, actor, state, output, "
            "comment, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                key,
                to_db(at),
                to_db(now),
                entry,
                actor if event is None else event.author,
                None if event is None else event.state,
                None if event is None else (event.output or None),
                comment if event is None else event.comment,
                None if event is None else event.identity,
            ),
        )

    def _take(self, db: sqlite3.Connection, ticket_id: int, by: str, at: datetime) -> bool:
        cursor = db.execute(
            "UPDATE tickets SET status = 'taken', taken_at = ?, taken_by = ? "
            "WHERE id = ? AND taken_at IS NULL AND status != 'closed'",
            (to_db(at), by, ticket_id),
        )
        return cursor.rowcount == 1

    def _close(
        self, db: sqlite3.Connection, ticket_id: int, at: datetime, now: datetime, debrief: str
    ) -> bool:
        cursor = db.execute(
            "UPDATE tickets SET status = 'closed', closed_at = ?, debrief = ?, "
            "sla_closed_at = COALESCE(sla_closed_at, ?) WHERE id = ? AND status != 'closed'",
            (to_db(at), debrief, to_db(at), ticket_id),
        )
        if cursor.rowcount == 1:
            self._insert_event(db, ticket_id, None, at, now, "closed", comment=debrief)
            return True
        return False

    # -- staff ---------------------------------------------------------------------------

    def open_ticket(self, new: NewTicket, by: str | None, now: datetime) -> Ticket:
        """Open a ticket for a customer's request (R2: its reference time is when received)."""

        def run() -> Ticket:
            with self._write() as db:
                ticket_id = self._insert_ticket(db, new, False, now)
                self._insert_event(
                    db,
                    ticket_id,
                    new.key,
                    new.reference_at,
                    now,
                    "opened",
                    actor=by,
                    comment=new.subject,
                )
                return _ticket(
                    db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
                )

        return self._guard(run)

    def take(self, ticket_id: int, by: str, at: datetime, now: datetime) -> Ticket:
        """Take the ticket over (stops the SLA clock, R4); refused when closed or already taken."""

        def run() -> Ticket:
            with self._write() as db:
                ticket = self._require(db, ticket_id)
                if ticket.status == "closed":
                    raise Refused("R4", f"ticket {ticket_id} is closed; it cannot be taken over")
                if ticket.taken_at is not None:
                    raise Refused(
                        "R4",
                        f"ticket {ticket_id} was already taken over by {ticket.taken_by} "
                        f"at {ticket.taken_at.isoformat()}",
                    )
                _not_before_reference(ticket, at)
                self._take(db, ticket_id, by, at)
                self._insert_event(db, ticket_id, None, at, now, "taken", actor=by)
                return self._require(db, ticket_id)

        return self._guard(run)

    def close_ticket(
        self, ticket_id: int, debrief: str | None, at: datetime, now: datetime
    ) -> Ticket:
        """Close the ticket; an incident needs its debrief (R15)."""

        def run() -> Ticket:
            with self._write() as db:
                ticket = self._require(db, ticket_id)
                if ticket.status == "closed":
                    raise Refused("R15", f"ticket {ticket_id} is already closed")
                if ticket.kind == "incident" and not (debrief and debrief.strip()):
                    raise Refused(
                        "R15", f"ticket {ticket_id} is an incident: close it with --debrief TEXT"
                    )
                _not_before_reference(ticket, at)
                if ticket.taken_at is not None and at < ticket.taken_at:
                    raise Invalid(
                        f"--at {at.isoformat()} is before ticket {ticket_id} was taken over "
                        f"({ticket.taken_at.isoformat()})"
                    )
                self._close(db, ticket_id, at, now, (debrief or "").strip())
                return self._require(db, ticket_id)

        return self._guard(run)

    def log_work(
        self,
        ticket_id: int,
        minutes: int,
        by: str,
        at: datetime,
        category: Category,
        note: str | None,
        now: datetime,
        check: Callable[[Ticket, Sequence[Work], Sequence[Approval]], None] | None = None,
    ) -> Work:
        """Log work on a ticket; ``check`` may raise Refused (R11) before anything is written."""

        def run() -> Work:
            with self._write() as db:
                ticket = self._require(db, ticket_id)
                _not_before_reference(ticket, at)
                if check is not None:
                    check(ticket, self._work(db, ticket_id), self._approvals(db, ticket_id))
                cursor = db.execute(
                    "INSERT INTO work (ticket_id, at, minutes, by, category, note, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (ticket_id, to_db(at), minutes, by, category, note, to_db(now)),
                )
                # The history tells the whole story (R15), work included.
                what = f"{minutes} min of {category} work" + (f": {note}" if note else "")
                self._insert_event(db, ticket_id, None, at, now, "work", actor=by, comment=what)
                row = db.execute("SELECT * FROM work WHERE id = ?", (cursor.lastrowid,)).fetchone()
                return _work(row)

        return self._guard(run)

    def approve(self, ticket_id: int, by: str, at: datetime, now: datetime) -> Approval:
        """Record the customer's approval to go past the threshold (R11)."""

        def run() -> Approval:
            with self._write() as db:
                _not_before_reference(self._require(db, ticket_id), at)
                cursor = db.execute(
                    "INSERT INTO approvals (ticket_id, at, by, recorded_at) VALUES (?, ?, ?, ?)",
                    (ticket_id, to_db(at), by, to_db(now)),
                )
                self._insert_event(db, ticket_id, None, at, now, "approved", actor=by)
                row = db.execute(
                    "SELECT * FROM approvals WHERE id = ?", (cursor.lastrowid,)
                ).fetchone()
                return _approval(row)

        return self._guard(run)

    def note(
        self,
        ticket_id: int,
        entry: str,
        at: datetime,
        now: datetime,
        actor: str | None = None,
        comment: str | None = None,
    ) -> None:
        """Append a plain entry to a ticket's history."""

        def run() -> None:
            with self._write() as db:
                self._require(db, ticket_id)
                self._insert_event(
                    db, ticket_id, None, at, now, entry, actor=actor, comment=comment
                )

        self._guard(run)

    # -- customer alerts (R14) -----------------------------------------------------------

    def undelivered(self) -> list[Message]:
        """Alerts of the outbox not yet delivered, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM outbox WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE ok) "
            "ORDER BY id"
        )
        return [
            Message(r["id"], r["ticket_id"], r["channel"], r["recipient"], r["subject"], r["body"])
            for r in rows
        ]

    def delivered(self, message: Message, error: str | None, now: datetime) -> None:
        """Record one delivery attempt: done when ``error`` is None, else why it failed."""

        def run() -> None:
            with self._write() as db:
                db.execute(
                    "INSERT INTO deliveries (outbox_id, at, ok, error) VALUES (?, ?, ?, ?)",
                    (message.id, to_db(now), int(error is None), error),
                )
                entry = "alert_sent" if error is None else "alert_failed"
                comment = f"{message.channel} to {message.recipient}" + (
                    f": {error}" if error else ""
                )
                self._insert_event(db, message.ticket_id, None, now, now, entry, comment=comment)

        self._guard(run)

    # -- reading -------------------------------------------------------------------------

    def _require(self, db: sqlite3.Connection, ticket_id: int) -> Ticket:
        row = db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        return _ticket(row)

    def get(self, ticket_id: int) -> Ticket:
        """One ticket, or NotFound."""
        return self._require(self._db, ticket_id)

    def tickets(
        self,
        open_only: bool = False,
        customer: str | None = None,
        server: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Ticket]:
        """Tickets matching every filter given, oldest first; ``since``/``until`` bound the
        reference time (half-open)."""
        clauses: list[str] = []
        params: list[Any] = []
        if open_only:
            clauses.append("status != 'closed'")
        if customer is not None:
            clauses.append("customer = ?")
            params.append(customer)
        if server is not None:
            clauses.append("server = ?")
            params.append(server)
        if since is not None:
            clauses.append("reference_at >= ?")
            params.append(to_db(since))
        if until is not None:
            clauses.append("reference_at < ?")
            params.append(to_db(until))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(f"SELECT * FROM tickets {where} ORDER BY id", params)
        return [_ticket(row) for row in rows]

    def customers(self, since: datetime, until: datetime) -> list[str]:
        """The customers with tickets whose reference time is in [since, until)."""
        rows = self._db.execute(
            "SELECT DISTINCT customer FROM tickets WHERE customer IS NOT NULL "
            "AND reference_at >= ? AND reference_at < ? ORDER BY customer",
            (to_db(since), to_db(until)),
        )
        return [row["customer"] for row in rows]

    def history(self, ticket_id: int) -> list[HistoryEntry]:
        """A ticket's whole history, in the order it was recorded."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_entry(row) for row in rows]

    def work(self, ticket_id: int) -> list[Work]:
        """A ticket's work entries."""
        return self._work(self._db, ticket_id)

    def approvals(self, ticket_id: int) -> list[Approval]:
        """A ticket's approvals."""
        return self._approvals(self._db, ticket_id)

    def work_of(self, ticket_ids: Sequence[int]) -> dict[int, list[Work]]:
        """Work entries of many tickets at once (for statements)."""
        found: dict[int, list[Work]] = {ticket_id: [] for ticket_id in ticket_ids}
        if not ticket_ids:
            return found
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
        self._db.execute("DELETE FROM temp.wanted")
        self._db.executemany(
            "INSERT OR IGNORE INTO temp.wanted VALUES (?)", [(i,) for i in ticket_ids]
        )
        rows = self._db.execute(
            "SELECT * FROM work WHERE ticket_id IN (SELECT id FROM temp.wanted) ORDER BY id"
        )
        for row in rows:
            found[row["ticket_id"]].append(_work(row))
        return found

    def events_of(self, key: str) -> list[HistoryEntry]:
        """Every notification recorded for a host or ``host!service``, with or without a
        ticket (a downtime before any problem has none), in the order recorded."""
        rows = self._db.execute("SELECT * FROM events WHERE key = ? ORDER BY id", (key,))
        return [_entry(row) for row in rows]

    def last_entry(self, ticket_id: int, types: Sequence[str]) -> HistoryEntry | None:
        """The latest history entry of a ticket among ``types``."""
        marks = ", ".join("?" for _ in types)
        row = self._db.execute(
            f"SELECT * FROM events WHERE ticket_id = ? AND type IN ({marks}) "
            "ORDER BY id DESC LIMIT 1",
            (ticket_id, *types),
        ).fetchone()
        return None if row is None else _entry(row)

    def _work(self, db: sqlite3.Connection, ticket_id: int) -> list[Work]:
        rows = db.execute("SELECT * FROM work WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_work(row) for row in rows]

    def _approvals(self, db: sqlite3.Connection, ticket_id: int) -> list[Approval]:
        rows = db.execute("SELECT * FROM approvals WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_approval(row) for row in rows]


def _not_before_reference(ticket: Ticket, at: datetime) -> None:
    """Nothing is done on a ticket before its reference time (R2): a typo in --at."""
    if at < ticket.reference_at:
        raise Invalid(
            f"--at {at.isoformat()} is before ticket {ticket.id}'s reference time "
            f"{ticket.reference_at.isoformat()}"
        )


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (triggers hold semicolons, so ask SQLite where)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _state(row: sqlite3.Row | None) -> TicketState | None:
    if row is None:
        return None
    return TicketState(
        id=row["id"],
        key=row["key"],
        status=row["status"],
        taken_at=from_db(row["taken_at"]),
        recovered_at=from_db(row["recovered_at"]),
        closed_at=from_db(row["closed_at"]),
    )


_BOOLEANS = frozenset({"express", "in_downtime"})
_R = TypeVar("_R", Ticket, HistoryEntry, Work, Approval)


def _record(kind: type[_R], row: sqlite3.Row) -> _R:
    """A row as its dataclass: times back from the store's text, flags as booleans."""
    values: dict[str, Any] = {}
    for column in fields(kind):
        value = row[column.name]
        if column.name == "at" or column.name.endswith("_at"):
            value = from_db(value)
        elif column.name in _BOOLEANS:
            value = bool(value)
        values[column.name] = value
    return kind(**values)


def _ticket(row: sqlite3.Row) -> Ticket:
    return _record(Ticket, row)


def _entry(row: sqlite3.Row) -> HistoryEntry:
    return _record(HistoryEntry, row)


def _work(row: sqlite3.Row) -> Work:
    return _record(Work, row)


def _approval(row: sqlite3.Row) -> Approval:
    return _record(Approval, row)
