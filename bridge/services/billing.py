"""Billing's use cases: the monthly statement (R13), the quarterly invoice (R12), the SLA
report of a month (R4, R5) and a take-over deadline (R3).

The store gives the tickets and their work; the domain computes every amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bridge.config.calendar import business_calendar
from bridge.config.model import Config
from bridge.domain.billing import BillableTicket, BillingError, Document, WorkEntry
from bridge.domain.contract import Level
from bridge.domain.fees import quarterly_invoice
from bridge.domain.refusals import Invalid
from bridge.domain.sla import is_breached, outcome_of, sla_status, take_over_deadline
from bridge.domain.sla_report import SlaRecord, SlaRow, sla_report
from bridge.domain.statement import monthly_statement
from bridge.domain.tickets import Ticket
from bridge.services.errors import Rejected
from bridge.services.tickets import customer_of
from bridge.store.repository import Repository
from bridge.store.unit_of_work import UnitOfWork


def breached(ticket: Ticket, now: datetime) -> bool:
    """R4: whether the ticket's SLA is breached as of ``now``."""
    return is_breached(
        deadline_at=ticket.deadline_at,
        taken_at=ticket.taken_at,
        closed_at=ticket.sla_closed_at,
        recovered_at=ticket.sla_recovered_at,
        now=now,
    )


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    # A day of margin each side: the billing core picks the month in the provider's zone.
    start = datetime(year, month, 1, tzinfo=UTC) - timedelta(days=1)
    next_year, next_month = year + (month == 12), month % 12 + 1
    return start, datetime(next_year, next_month, 1, tzinfo=UTC) + timedelta(days=1)


def _billable(
    repo: Repository, config: Config, tickets: Sequence[Ticket], now: datetime
) -> list[BillableTicket]:
    calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
    work = repo.work_of([t.id for t in tickets])
    return [
        BillableTicket(
            id=t.id,
            customer=t.customer or "",
            server=t.server,
            kind=t.kind,
            subject=t.subject,
            reference_at=t.reference_at,
            business_hours=calendar.is_business_time(t.reference_at),
            level=t.level,
            express=t.express,
            breached=breached(t, now),
            work=tuple(WorkEntry(w.at, w.minutes, w.by, w.category) for w in work[t.id]),
        )
        for t in tickets
    ]


def _customers_for(
    repo: Repository,
    config: Config,
    customer: str | None,
    every: bool,
    since: datetime,
    until: datetime,
) -> list[str]:
    if every:
        return sorted(set(config.customers) | set(repo.customers(since, until)))
    if customer is None:
        raise Rejected(Invalid("give --customer C or --all"))
    if customer not in config.customers and not repo.tickets(customer=customer):
        known = ", ".join(sorted(config.customers)) or "none"
        raise Rejected(Invalid(f"--customer: unknown customer {customer!r} (known: {known})"))
    return [customer]


def statements(
    uow: UnitOfWork,
    config: Config,
    customer: str | None,
    every: bool,
    year: int,
    month: int,
    now: datetime,
) -> list[Document]:
    """The monthly statements (R13) of one customer or of all, from the store as it is."""
    since, until = _month_bounds(year, month)
    documents = []
    with uow:
        repo = uow.tickets
        for customer_id in _customers_for(repo, config, customer, every, since, until):
            found = repo.tickets(customer=customer_id, since=since, until=until)
            try:
                documents.append(
                    monthly_statement(
                        config.customers.get(customer_id),
                        customer_id,
                        year,
                        month,
                        _billable(repo, config, found, now),
                        config.levels,
                        config.rates,
                        tz=config.timezone,
                    )
                )
            except BillingError as error:
                raise Rejected(Invalid(f"{customer_id}: {error}")) from None
    return documents


def invoices(
    config: Config, customer: str | None, every: bool, year: int, quarter: int
) -> list[Document]:
    """The quarterly advance invoices of the contract fees (R12)."""
    if every:
        chosen = sorted(config.customers)
    elif customer is None:
        raise Rejected(Invalid("give --customer C or --all"))
    else:
        customer_of(config, customer)
        chosen = [customer]
    try:
        return [
            quarterly_invoice(config.customers[c], year, quarter, config.levels, config.rates)
            for c in chosen
        ]
    except BillingError as error:
        raise Rejected(Invalid(str(error))) from None


def sla_month(
    uow: UnitOfWork, config: Config, year: int, month: int, now: datetime
) -> tuple[SlaRow, ...]:
    """Per customer and level: tickets, met, breached, take-over times, refunds due."""
    since, until = _month_bounds(year, month)
    with uow:
        found = [t for t in uow.tickets.tickets(since=since, until=until) if t.level and t.customer]
    records = [
        SlaRecord(
            t.id,
            t.customer or "",
            t.server,
            t.level,
            t.reference_at,
            t.taken_at or t.closed_at,
            outcome_of(
                sla_status(
                    t.deadline_at,
                    now=now,
                    taken_at=t.taken_at,
                    closed_at=t.sla_closed_at,
                    recovered_at=t.sla_recovered_at,
                )
            ),
        )
        for t in found
    ]
    return sla_report(records, config.customers, year, month, config.levels, tz=config.timezone)


@dataclass(frozen=True)
class Deadline:
    """R3: a reference time, whether it is in business hours, and its take-over deadline."""

    level: str
    reference_at: datetime
    business_hours: bool
    deadline_at: datetime


def known_level(config: Config, level: str) -> Level:
    """The level of ``vigie.yaml``, or Rejected naming the known ones."""
    if level not in config.levels:
        known = ", ".join(sorted(config.levels))
        raise Rejected(Invalid(f"--level: unknown level {level!r} (known: {known})"))
    return config.levels[level]


def deadline(config: Config, level: str, reference: datetime) -> Deadline:
    """The take-over deadline of a reference time at a level (R3)."""
    known_level(config, level)
    calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
    due = take_over_deadline(reference, config.levels[level], calendar)
    return Deadline(level, reference, calendar.is_business_time(reference), due)
