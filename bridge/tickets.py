"""Tickets as the bridge shows them: the record, its history, its work, its approvals.

A ticket follows one incident (a probe's problem) or one request (the customer asked). Its
history is append-only (R15); the few fields that change (status, take-over, recovery,
closing) are a projection of that history kept beside it for quick lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from bridge.times import to_display

Kind = Literal["incident", "request"]
Category = Literal["incident", "request", "update"]
CATEGORIES: tuple[Category, ...] = ("incident", "request", "update")


@dataclass(frozen=True)
class Ticket:
    """One ticket. ``level`` is None when no contract covers the server (R9)."""

    id: int
    kind: Kind
    key: str | None
    customer: str | None
    server: str | None
    service: str | None
    level: str | None
    status: str
    subject: str
    reference_at: datetime
    deadline_at: datetime | None
    taken_at: datetime | None
    taken_by: str | None
    recovered_at: datetime | None
    closed_at: datetime | None
    express: bool
    assignee: str | None
    in_downtime: bool
    external_ref: str | None
    last_state: str | None
    debrief: str | None
    created_at: datetime
    # The recovery and closing that count for R4: kept when the incident returns after its
    # deadline, unlike recovered_at and closed_at, which show the ticket's current state.
    sla_recovered_at: datetime | None = None
    sla_closed_at: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a ticket's history; ``at`` is when it happened, not when it was recorded."""

    id: int
    ticket_id: int | None
    key: str | None
    at: datetime
    recorded_at: datetime
    type: str
    actor: str | None
    state: str | None
    output: str | None
    comment: str | None


@dataclass(frozen=True)
class Work:
    """Staff time logged on a ticket."""

    id: int
    ticket_id: int
    at: datetime
    minutes: int
    by: str
    category: Category
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Approval:
    """The customer's approval to go past the approval threshold (R11)."""

    id: int
    ticket_id: int
    at: datetime
    by: str
    recorded_at: datetime


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
