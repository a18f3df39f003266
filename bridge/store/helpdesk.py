"""The external helpdesk's outbox, its delivery attempts, and what ``vigie sync`` imported.

All three tables are append-only (R15): an item's state (delivered, failing, dead) is read
from its attempts; retrying a dead item on demand appends a ``requeued`` attempt, after
which its failures count from zero again.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bridge.domain.helpdesk import Action, OutboxItem
from bridge.store.repository import from_db, to_db

_ITEMS = """
SELECT o.*,
    EXISTS (SELECT 1 FROM helpdesk_attempts d WHERE d.item_id = o.id
            AND d.outcome = 'delivered') AS delivered,
    (SELECT count(*) FROM helpdesk_attempts a WHERE a.item_id = o.id AND a.outcome = 'failed'
     AND a.id > coalesce((SELECT max(r.id) FROM helpdesk_attempts r WHERE r.item_id = o.id
                          AND r.outcome = 'requeued'), 0)) AS failures,
    (SELECT a.retry_at FROM helpdesk_attempts a WHERE a.item_id = o.id
     ORDER BY a.id DESC LIMIT 1) AS retry_at,
    (SELECT a.error FROM helpdesk_attempts a WHERE a.item_id = o.id AND a.outcome = 'failed'
     ORDER BY a.id DESC LIMIT 1) AS last_error
FROM helpdesk_outbox o
"""


class HelpdeskOutbox:
    """The helpdesk tables in one connection; the unit of work owns its transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add(self, ticket_id: int, action: Action, payload: dict[str, object], now: datetime) -> int:
        """Queue one change for the helpdesk; its number."""
        cursor = self._db.execute(
            "INSERT INTO helpdesk_outbox (ticket_id, action, payload, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            (ticket_id, action, json.dumps(payload, ensure_ascii=False), to_db(now)),
        )
        return int(cursor.fetchone()[0])

    def undelivered(self, ticket_id: int | None = None) -> list[OutboxItem]:
        """Items not delivered yet (dead ones included), oldest first; of one ticket when
        ``ticket_id`` is given."""
        where = "WHERE NOT EXISTS (SELECT 1 FROM helpdesk_attempts d WHERE d.item_id = o.id "
        where += "AND d.outcome = 'delivered')"
        params: tuple[int, ...] = ()
        if ticket_id is not None:
            where += " AND o.ticket_id = ?"
            params = (ticket_id,)
        rows = self._db.execute(f"{_ITEMS} {where} ORDER BY o.id", params)
        return [_item(row) for row in rows]

    def item(self, item_id: int) -> OutboxItem | None:
        """One item, delivered or not."""
        row = self._db.execute(f"{_ITEMS} WHERE o.id = ?", (item_id,)).fetchone()
        return None if row is None else _item(row)

    def add_attempt(
        self,
        item_id: int,
        outcome: str,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """One attempt: delivered, failed (with when to retry) or requeued on demand."""
        self._db.execute(
            "INSERT INTO helpdesk_attempts (item_id, at, outcome, error, retry_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (item_id, to_db(now), outcome, error, None if retry_at is None else to_db(retry_at)),
        )

    def set_external_ref(self, ticket_id: int, ref: str) -> None:
        """The id of the ticket's twin in the external helpdesk."""
        self._db.execute("UPDATE tickets SET external_ref = ? WHERE id = ?", (ref, ticket_id))

    def synced(self, source: str) -> bool:
        """Whether ``vigie sync`` already imported this thing of the helpdesk."""
        row = self._db.execute("SELECT 1 FROM helpdesk_synced WHERE source = ?", (source,))
        return row.fetchone() is not None

    def mark_synced(self, source: str, ticket_id: int, now: datetime) -> None:
        """Record that this thing of the helpdesk was imported (in the same transaction)."""
        self._db.execute(
            "INSERT INTO helpdesk_synced (source, ticket_id, recorded_at) VALUES (?, ?, ?)",
            (source, ticket_id, to_db(now)),
        )


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        ticket_id=row["ticket_id"],
        action=row["action"],
        payload=json.loads(row["payload"]),
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        failures=int(row["failures"]),
        retry_at=from_db(row["retry_at"]),
        last_error=row["last_error"],
        delivered=bool(row["delivered"]),
    )
