"""The only SQL of the bridge: tickets, their history, work, approvals and the outbox.

The repository reads and writes records as the domain's values; it decides nothing (the
domain does, and a service applies its decision inside one unit of work). Times are stored
as UTC text (ISO 8601 with microseconds), so text order is time order. History, work,
approvals and the outbox are append-only (R15, enforced by the schema's triggers); a
ticket's row holds only a projection of its history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from bridge.domain.alerts import Message
from bridge.domain.notification import Event
from bridge.domain.tickets import Approval, Category, HistoryEntry, NewTicket, Ticket, Work
from bridge.store.errors import Conflict, NotFound
from bridge.store.schema import OPEN_INCIDENT


def to_db(moment: datetime) -> str:
    """The store's text form: ISO 8601 in UTC with microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str | None) -> datetime | None:
    """Back from the store's text form."""
    return None if text is None else datetime.fromisoformat(text)


def _db_time(moment: datetime | None) -> str | None:
    return None if moment is None else to_db(moment)


class Database(Protocol):
    """What the repositories use of a connection: SQLite's, or PostgreSQL's behind
    ``bridge.store.postgres.PostgresConnection`` (the same SQL, ``?`` placeholders)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any:
        """Run one statement; its cursor."""


class Repository:
    """Records in and out of one connection; the unit of work owns its transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def hold(self, name: str) -> None:
        """Make the other writers of ``name`` (a host) wait for this transaction's end.

        SQLite has one writer at a time already; PostgreSQL takes a transaction-scoped
        advisory lock, so that two masters' notifications of one host are decided one
        after the other while other hosts' are decided beside them.
        """
        if getattr(self._db, "dialect", "sqlite") == "postgres":
            self._db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 17))", (name,))

    # -- tickets -------------------------------------------------------------------------

    def get(self, ticket_id: int) -> Ticket:
        """One ticket, or NotFound."""
        row = self._db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        return _record(Ticket, row)

    def add(self, new: NewTicket, in_downtime: bool, now: datetime) -> int:
        """Insert a ticket; its number. Conflict when an incident of its key is open already
        (another master opened it first: the database keeps one open per key)."""
        row = self._db.execute(
            "INSERT INTO tickets (kind, key, customer, server, service, level, subject, "
            "reference_at, deadline_at, express, assignee, in_downtime, external_ref, "
            f"created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT {OPEN_INCIDENT} DO NOTHING RETURNING id",
            (
                new.kind,
                new.key,
                new.customer,
                new.server,
                new.service,
                new.level,
                new.subject,
                to_db(new.reference_at),
                _db_time(new.deadline_at),
                int(new.express),
                new.assignee,
                int(in_downtime),
                new.external_ref,
                to_db(now),
            ),
        ).fetchone()
        if row is None:
            raise Conflict(f"an incident ticket of {new.key} is open already")
        return int(row[0])

    def open_ticket_following(self, key: str) -> Ticket | None:
        """The latest ticket not closed that an event of ``key`` went to."""
        return self._ticket(
            "SELECT t.* FROM tickets t WHERE t.status != 'closed' AND t.id IN "
            "(SELECT ticket_id FROM events WHERE key = ?) ORDER BY t.id DESC LIMIT 1",
            key,
        )

    def open_ticket_keyed(self, key: str) -> Ticket | None:
        """The latest ticket not closed opened for ``key`` itself."""
        return self._ticket(
            "SELECT * FROM tickets WHERE status != 'closed' AND key = ? ORDER BY id DESC LIMIT 1",
            key,
        )

    def last_ticket_following(self, key: str) -> Ticket | None:
        """The latest ticket an event of ``key`` went to, whatever its status."""
        return self._ticket(
            "SELECT t.* FROM tickets t WHERE t.id IN "
            "(SELECT ticket_id FROM events WHERE key = ?) ORDER BY t.id DESC LIMIT 1",
            key,
        )

    def _ticket(self, query: str, *params: Any) -> Ticket | None:
        row = self._db.execute(query, params).fetchone()
        return None if row is None else _record(Ticket, row)

    def reopen(self, ticket_id: int, status: str, sla_closed_at: datetime | None) -> None:
        """Back to ``status``, its closing undone but for the one that counts for R4."""
        self._db.execute(
            "UPDATE tickets SET status = ?, closed_at = NULL, debrief = NULL, sla_closed_at = ? "
            "WHERE id = ?",
            (status, _db_time(sla_closed_at), ticket_id),
        )

    def set_last_state(self, ticket_id: int, state: str) -> None:
        """The last state its own key reported."""
        self._db.execute("UPDATE tickets SET last_state = ? WHERE id = ?", (state, ticket_id))

    def set_recovered(self, ticket_id: int, at: datetime | None, sla_at: datetime | None) -> None:
        """Its recovery (None: not recovered) and the one that counts for R4."""
        self._db.execute(
            "UPDATE tickets SET recovered_at = ?, sla_recovered_at = ? WHERE id = ?",
            (_db_time(at), _db_time(sla_at), ticket_id),
        )

    def set_taken(self, ticket_id: int, by: str, at: datetime) -> None:
        """Taken over by ``by`` at ``at``."""
        self._db.execute(
            "UPDATE tickets SET status = 'taken', taken_at = ?, taken_by = ? WHERE id = ?",
            (to_db(at), by, ticket_id),
        )

    def set_closed(
        self, ticket_id: int, at: datetime, debrief: str, sla_at: datetime | None
    ) -> None:
        """Closed at ``at`` with its debrief; ``sla_at`` is the closing that counts for R4."""
        self._db.execute(
            "UPDATE tickets SET status = 'closed', closed_at = ?, debrief = ?, "
            "sla_closed_at = ? WHERE id = ?",
            (to_db(at), debrief, _db_time(sla_at), ticket_id),
        )

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
        return [_record(Ticket, row) for row in rows]

    def customers(self, since: datetime, until: datetime) -> list[str]:
        """The customers with tickets whose reference time is in [since, until)."""
        rows = self._db.execute(
            "SELECT DISTINCT customer FROM tickets WHERE customer IS NOT NULL "
            "AND reference_at >= ? AND reference_at < ? ORDER BY customer",
            (to_db(since), to_db(until)),
        )
        return [row["customer"] for row in rows]

    # -- history -------------------------------------------------------------------------

    def add_entry(
        self,
        ticket_id: int | None,
        key: str | None,
        at: datetime,
        now: datetime,
        entry: str,
        event: Event | None = None,
        actor: str | None = None,
        comment: str | None = None,
    ) -> None:
        """Append one history entry: a notification (``event``) or a staff or system one.
        Conflict when the notification is recorded already (the other master's delivery)."""
        row = self._db.execute(
            "INSERT INTO events (ticket_id, key, at, recorded_at, type, actor, state, output, "
            "comment, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (identity) WHERE identity IS NOT NULL DO NOTHING RETURNING id",
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
        ).fetchone()
        if row is None:
            raise Conflict(f"the notification {event and event.identity} is recorded already")

    def add_page(
        self, ticket_id: int, at: datetime, now: datetime, identity: str, comment: str
    ) -> None:
        """Record a page in the ticket's history (R15); its identity makes a second record
        of the same step fail, so a step pages once however many runs overlap."""
        self._db.execute(
            "INSERT INTO events (ticket_id, at, recorded_at, type, comment, identity) "
            "VALUES (?, ?, ?, 'paged', ?, ?)",
            (ticket_id, to_db(at), to_db(now), comment, identity),
        )

    def paged_steps(self, ticket_id: int) -> frozenset[str]:
        """The identities of the pages recorded for a ticket."""
        rows = self._db.execute(
            "SELECT identity FROM events WHERE ticket_id = ? AND type = 'paged' "
            "AND identity IS NOT NULL",
            (ticket_id,),
        )
        return frozenset(str(row[0]) for row in rows)

    def entry_with_identity(self, identity: str) -> HistoryEntry | None:
        """The notification recorded with this identity, if any."""
        row = self._db.execute("SELECT * FROM events WHERE identity = ?", (identity,)).fetchone()
        return None if row is None else _record(HistoryEntry, row)

    def last_state(self, key: str) -> str | None:
        """The last state recorded for ``key``."""
        row = self._db.execute(
            "SELECT state FROM events WHERE key = ? AND state IS NOT NULL ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        return None if row is None else str(row["state"])

    def last_downtime_entry(self, keys: Sequence[str]) -> str | None:
        """The type of the latest downtime entry of any of ``keys``."""
        marks = ", ".join("?" for _ in keys)
        row = self._db.execute(
            f"SELECT type FROM events WHERE key IN ({marks}) AND type LIKE 'downtime_%' "
            "ORDER BY id DESC LIMIT 1",
            tuple(keys),
        ).fetchone()
        return None if row is None else str(row["type"])

    def history(self, ticket_id: int) -> list[HistoryEntry]:
        """A ticket's whole history, in the order it was recorded."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_record(HistoryEntry, row) for row in rows]

    def events_of(self, key: str) -> list[HistoryEntry]:
        """Every notification recorded for a host or ``host!service``, with or without a
        ticket (a downtime before any problem has none), in the order recorded."""
        rows = self._db.execute("SELECT * FROM events WHERE key = ? ORDER BY id", (key,))
        return [_record(HistoryEntry, row) for row in rows]

    def last_entry(self, ticket_id: int, types: Sequence[str]) -> HistoryEntry | None:
        """The latest history entry of a ticket among ``types``."""
        marks = ", ".join("?" for _ in types)
        row = self._db.execute(
            f"SELECT * FROM events WHERE ticket_id = ? AND type IN ({marks}) "
            "ORDER BY id DESC LIMIT 1",
            (ticket_id, *types),
        ).fetchone()
        return None if row is None else _record(HistoryEntry, row)

    # -- the live queue ------------------------------------------------------------------

    def open_tickets(self) -> list[Ticket]:
        """Tickets not closed (by the status index, however many are closed)."""
        rows = self._db.execute("SELECT * FROM tickets WHERE status IN ('new', 'taken')")
        return [_record(Ticket, row) for row in rows]

    def search_closed(self, text: str, limit: int) -> list[Ticket]:
        """Closed tickets whose subject, key, customer or debrief holds the text, newest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT * FROM tickets WHERE status = 'closed' AND (subject LIKE ? ESCAPE '\\' "
            "OR key LIKE ? ESCAPE '\\' OR customer LIKE ? ESCAPE '\\' "
            "OR debrief LIKE ? ESCAPE '\\') ORDER BY id DESC LIMIT ?",
            (pattern, pattern, pattern, pattern, limit),
        )
        return [_record(Ticket, row) for row in rows]

    def last_outputs(self, ticket_ids: Sequence[int]) -> dict[int, str]:
        """The latest plugin output recorded on each ticket."""
        found: dict[int, str] = {}
        for ticket_id in ticket_ids:
            row = self._db.execute(
                "SELECT output FROM events WHERE ticket_id = ? AND output IS NOT NULL "
                "ORDER BY id DESC LIMIT 1",
                (ticket_id,),
            ).fetchone()
            if row is not None:
                found[ticket_id] = row[0]
        return found

    def last_entry_id(self) -> int:
        """The number of the latest history entry (0 when none): grows with every change."""
        return int(self._db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def changed_since(self, entry_id: int, limit: int) -> list[tuple[int, int]]:
        """(entry, ticket) of the history entries after ``entry_id`` that belong to a ticket."""
        rows = self._db.execute(
            "SELECT id, ticket_id FROM events WHERE id > ? AND ticket_id IS NOT NULL "
            "ORDER BY id LIMIT ?",
            (entry_id, limit),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    # -- work and approvals --------------------------------------------------------------

    def add_work(
        self,
        ticket_id: int,
        minutes: int,
        by: str,
        at: datetime,
        category: Category,
        note: str | None,
        now: datetime,
    ) -> Work:
        """Insert a work entry; the entry as stored."""
        row = self._db.execute(
            "INSERT INTO work (ticket_id, at, minutes, by, category, note, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (ticket_id, to_db(at), minutes, by, category, note, to_db(now)),
        ).fetchone()
        return _record(Work, row)

    def add_approval(self, ticket_id: int, by: str, at: datetime, now: datetime) -> Approval:
        """Insert an approval; the approval as stored."""
        row = self._db.execute(
            "INSERT INTO approvals (ticket_id, at, by, recorded_at) VALUES (?, ?, ?, ?) "
            "RETURNING *",
            (ticket_id, to_db(at), by, to_db(now)),
        ).fetchone()
        return _record(Approval, row)

    def work(self, ticket_id: int) -> list[Work]:
        """A ticket's work entries."""
        rows = self._db.execute("SELECT * FROM work WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_record(Work, row) for row in rows]

    def approvals(self, ticket_id: int) -> list[Approval]:
        """A ticket's approvals."""
        rows = self._db.execute(
            "SELECT * FROM approvals WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_record(Approval, row) for row in rows]

    def work_of(self, ticket_ids: Sequence[int]) -> dict[int, list[Work]]:
        """Work entries of many tickets at once (for statements)."""
        found: dict[int, list[Work]] = {ticket_id: [] for ticket_id in ticket_ids}
        wanted = sorted(found)
        # In slices: both databases bound the number of parameters of one statement.
        for start in range(0, len(wanted), _SLICE):
            part = wanted[start : start + _SLICE]
            marks = ", ".join("?" for _ in part)
            rows = self._db.execute(
                f"SELECT * FROM work WHERE ticket_id IN ({marks}) ORDER BY id", part
            )
            for row in rows:
                found[row["ticket_id"]].append(_record(Work, row))
        for entries in found.values():
            entries.sort(key=lambda entry: entry.id)
        return found

    # -- customer alerts (R14) -----------------------------------------------------------

    def add_message(
        self, ticket_id: int, channel: str, recipient: str, subject: str, body: str, now: datetime
    ) -> None:
        """Queue one alert in the outbox."""
        self._db.execute(
            "INSERT INTO outbox (ticket_id, channel, recipient, subject, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (ticket_id, channel, recipient, subject, body, to_db(now)),
        )

    def undelivered(self) -> list[Message]:
        """Alerts of the outbox not yet delivered, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM outbox WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE ok = 1) "
            "ORDER BY id"
        )
        return [
            Message(r["id"], r["ticket_id"], r["channel"], r["recipient"], r["subject"], r["body"])
            for r in rows
        ]

    def outbox_backlog(self) -> tuple[int, int, datetime | None]:
        """Alerts waiting: how many, how many of them already failed, the oldest's time."""
        row = self._db.execute(
            "SELECT count(*) AS waiting, min(created_at) AS oldest, "
            "sum(CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id "
            "AND d.ok = 0) THEN 1 ELSE 0 END) AS failing FROM outbox o "
            "WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE ok = 1)"
        ).fetchone()
        return int(row["waiting"]), int(row["failing"] or 0), from_db(row["oldest"])

    def add_delivery(self, message: Message, error: str | None, now: datetime) -> None:
        """One delivery attempt: done when ``error`` is None, else why it failed."""
        self._db.execute(
            "INSERT INTO deliveries (outbox_id, at, ok, error) VALUES (?, ?, ?, ?)",
            (message.id, to_db(now), int(error is None), error),
        )


_SLICE = 500
_BOOLEANS = frozenset({"express", "in_downtime"})
_R = TypeVar("_R", Ticket, HistoryEntry, Work, Approval)


def _record(kind: type[_R], row: Any) -> _R:
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
