"""The only SQL of the customer portal: attachments kept with tickets, approval requests
(R11) and the customer's answers. Every table is append-only (R15)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal

from bridge.domain.portal import ApprovalRequest, Attachment, NewAttachment
from bridge.store.errors import NotFound
from bridge.store.repository import from_db, to_db


def _attachment(row: sqlite3.Row) -> Attachment:
    created = from_db(row["created_at"])
    assert created is not None
    return Attachment(
        row["id"], row["ticket_id"], row["name"], row["media_type"], row["size"], row["by"], created
    )


def _request(row: sqlite3.Row) -> ApprovalRequest:
    asked = from_db(row["asked_at"])
    assert asked is not None
    return ApprovalRequest(
        id=row["id"],
        ticket_id=row["ticket_id"],
        minutes=row["minutes"],
        quarters=row["quarters"],
        rate=Decimal(row["rate"]),
        amount=Decimal(row["amount"]),
        asked_by=row["asked_by"],
        asked_at=asked,
        decision=row["decision"],
        decided_by=row["decided_by"],
        decided_at=from_db(row["decided_at"]),
    )


_REQUESTS = (
    "SELECT r.*, d.decision AS decision, d.by AS decided_by, d.at AS decided_at "
    "FROM approval_requests r LEFT JOIN approval_decisions d ON d.request_id = r.id "
)


class Portal:
    """Attachments and approval requests in and out of one connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add_attachment(
        self, ticket_id: int, attachment: NewAttachment, by: str | None, now: datetime
    ) -> None:
        """Keep a file with a ticket."""
        self._db.execute(
            "INSERT INTO attachments (ticket_id, name, media_type, size, content, by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                attachment.name,
                attachment.media_type,
                len(attachment.content),
                attachment.content,
                by,
                to_db(now),
            ),
        )

    def attachments(self, ticket_id: int) -> list[Attachment]:
        """A ticket's files (without their content), in the order sent."""
        rows = self._db.execute(
            "SELECT id, ticket_id, name, media_type, size, by, created_at FROM attachments "
            "WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [_attachment(row) for row in rows]

    def attachment(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
        """One file of a ticket with its content, or NotFound."""
        row = self._db.execute(
            "SELECT * FROM attachments WHERE id = ? AND ticket_id = ?",
            (attachment_id, ticket_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"no attachment {attachment_id} on ticket {ticket_id}")
        return _attachment(row), bytes(row["content"])

    def add_request(
        self,
        ticket_id: int,
        minutes: int,
        quarters: int,
        rate: Decimal,
        amount: Decimal,
        by: str,
        at: datetime,
    ) -> ApprovalRequest:
        """Record an approval request; the request as stored."""
        cursor = self._db.execute(
            "INSERT INTO approval_requests (ticket_id, minutes, quarters, rate, amount, "
            "asked_by, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (ticket_id, minutes, quarters, str(rate), str(amount), by, to_db(at)),
        )
        return self.request(int(cursor.fetchone()[0]))

    def request(self, request_id: int) -> ApprovalRequest:
        """One approval request with its answer, or NotFound."""
        row = self._db.execute(_REQUESTS + "WHERE r.id = ?", (request_id,)).fetchone()
        if row is None:
            raise NotFound(f"no approval request {request_id}")
        return _request(row)

    def requests(self, ticket_id: int) -> list[ApprovalRequest]:
        """A ticket's approval requests with their answers, oldest first."""
        rows = self._db.execute(_REQUESTS + "WHERE r.ticket_id = ? ORDER BY r.id", (ticket_id,))
        return [_request(row) for row in rows]

    def decide(self, request_id: int, decision: str, by: str, at: datetime) -> None:
        """Record the customer's answer to a request (once: the key refuses a second)."""
        self._db.execute(
            "INSERT INTO approval_decisions (request_id, decision, by, at) VALUES (?, ?, ?, ?)",
            (request_id, decision, by, to_db(at)),
        )
