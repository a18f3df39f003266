"""Tickets as the bridge shows them: the record, its history, its work, its approvals.

A ticket follows one incident (a probe's problem) or one request (the customer asked). Its
history is append-only (R15); the few fields that change (status, take-over, recovery,
closing) are a projection of that history kept beside it for quick lookups. A ticket is
opened with its reference time (R2), its level and deadline fixed for its whole life (R3,
R4), none out of contract (R9), and assigned to the customer's account manager (R16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from bridge.domain.contract import Customer, Level
from bridge.domain.notification import Event
from bridge.domain.sla import BusinessCalendar, take_over_deadline

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


def incident_ticket(
    event: Event,
    customers: Mapping[str, Customer],
    levels: Mapping[str, Level],
    calendar: BusinessCalendar,
    tz: tzinfo,
) -> NewTicket:
    """The ticket an incident opens: its contract, level and deadline (R2, R3, R9), assigned
    to the account manager (R16)."""
    customer_id, level, assignee = event.customer_hint, None, None
    found = next(
        ((c, c.servers[event.host]) for c in customers.values() if event.host in c.servers),
        None,
    )
    if found is not None:
        customer, server = found
        customer_id, assignee = customer.id, customer.account_manager
        if server.covers(event.since.astimezone(tz).date()):
            level = server.level
    elif event.customer_hint is not None and event.customer_hint in customers:
        assignee = customers[event.customer_hint].account_manager
    deadline = None
    if level is not None:
        deadline = take_over_deadline(event.since, levels[level], calendar)
    first_line = event.output.split("\n", 1)[0][:200]
    subject = f"{event.key} is {event.state}" + (f": {first_line}" if first_line else "")
    return NewTicket(
        kind="incident",
        key=event.key,
        customer=customer_id,
        server=event.host,
        service=event.service,
        level=level,
        subject=subject,
        reference_at=event.since,
        deadline_at=deadline,
        assignee=assignee,
    )


def request_ticket(
    customer: Customer,
    server: str | None,
    subject: str,
    received: datetime,
    express: bool,
    levels: Mapping[str, Level],
    calendar: BusinessCalendar,
    tz: tzinfo,
) -> NewTicket:
    """The ticket a customer's request opens (R2: received is its reference time; R10 its
    express flag; R16 its assignee). A request naming no server is handled at the customer's
    best level (as R5 refunds it); out of contract (R9) it has no deadline."""
    day = received.astimezone(tz).date()
    covered = [s for s in customer.servers.values() if s.covers(day)]
    if server is not None:
        covered = [s for s in covered if s.name == server]
    level = max(covered, key=lambda s: levels[s.level].fee).level if covered else None
    deadline = take_over_deadline(received, levels[level], calendar) if level else None
    return NewTicket(
        kind="request",
        key=None,
        customer=customer.id,
        server=server,
        service=None,
        level=level,
        subject=subject.strip(),
        reference_at=received,
        deadline_at=deadline,
        express=express,
        assignee=customer.account_manager,
    )
