"""Records as the ``vigie`` command prints them: JSON fields (design.md) and plain tables.

Times are shown in the provider's zone with their offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from bridge.domain.portal import ApprovalRequest
from bridge.domain.tickets import Approval, HistoryEntry, Ticket, Work
from bridge.domain.times import to_display


def printable(value: object) -> str:
    """Text for a terminal: control characters (escape sequences, bells, line breaks of any
    kind) shown as escapes, so that what a plugin or a name holds never drives the terminal."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Rows under their headers, each column as wide as its widest cell."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def ticket_json(ticket: Ticket, breached: bool, tz: tzinfo) -> dict[str, Any]:
    """The ticket's JSON fields (design.md), times in the provider's zone with their offset."""
    return {
        "id": ticket.id,
        "customer": ticket.customer,
        "server": ticket.server,
        "service": ticket.service,
        "kind": ticket.kind,
        "level": ticket.level,
        "status": ticket.status,
        "subject": ticket.subject,
        "reference_at": to_display(ticket.reference_at, tz),
        "deadline_at": to_display(ticket.deadline_at, tz),
        "taken_at": to_display(ticket.taken_at, tz),
        "taken_by": ticket.taken_by,
        "recovered_at": to_display(ticket.recovered_at, tz),
        "closed_at": to_display(ticket.closed_at, tz),
        "breached": breached,
        "express": ticket.express,
        "external_ref": ticket.external_ref,
        "key": ticket.key,
        "assignee": ticket.assignee,
        "in_downtime": ticket.in_downtime,
        "state": ticket.last_state,
        "debrief": ticket.debrief,
    }


def history_json(entry: HistoryEntry, tz: tzinfo) -> dict[str, Any]:
    """One history entry as JSON; empty fields are left out."""
    data: dict[str, Any] = {
        "at": to_display(entry.at, tz),
        "type": entry.type,
        "recorded_at": to_display(entry.recorded_at, tz),
        "key": entry.key,
        "by": entry.actor,
        "state": entry.state,
        "output": entry.output,
        "comment": entry.comment,
    }
    return {name: value for name, value in data.items() if value is not None}


def work_json(work: Work, tz: tzinfo) -> dict[str, Any]:
    """One work entry as JSON."""
    return {
        "id": work.id,
        "at": to_display(work.at, tz),
        "minutes": work.minutes,
        "by": work.by,
        "category": work.category,
        "note": work.note,
    }


def approval_json(approval: Approval, tz: tzinfo) -> dict[str, Any]:
    """One approval as JSON."""
    return {"at": to_display(approval.at, tz), "by": approval.by}


def request_json(request: ApprovalRequest, tz: tzinfo) -> dict[str, Any]:
    """One approval request (R11) with the customer's answer as JSON; money as text."""
    return {
        "id": request.id,
        "minutes": request.minutes,
        "quarters": request.quarters,
        "rate": str(request.rate),
        "amount": str(request.amount),
        "asked_by": request.asked_by,
        "asked_at": to_display(request.asked_at, tz),
        "decision": request.decision,
        "decided_by": request.decided_by,
        "decided_at": to_display(request.decided_at, tz),
    }
