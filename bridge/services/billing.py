"""Billing's use cases: the monthly statement (R13), the quarterly invoice (R12), the SLA
report of a month (R4, R5) and a take-over deadline (R3).

The store gives the tickets and their work; the domain computes every amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bridge.config.calendar import business_calendar
from bridge.config.model import Config
from bridge.domain.billing import BillableTicket, BillingError, Document, WorkEntry
from bridge.domain.contract import Level, Rates
from bridge.domain.einvoice import document_vat_rate
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


def rates_for(config: Config, customer_id: str) -> Rates:
    """The rates a customer's documents are priced with: no VAT under reverse charge."""
    customer = config.customers.get(customer_id)
    if customer is None or customer.billing is None or config.provider is None:
        return config.rates
    vat = document_vat_rate(config.provider, customer.billing, config.rates.vat)
    return config.rates if vat == config.rates.vat else replace(config.rates, vat=vat)


def statement_of(
    repo: Repository, config: Config, customer_id: str, year: int, month: int, now: datetime
) -> Document:
    """One customer's monthly statement (R13), inside the caller's unit of work."""
    since, until = _month_bounds(year, month)
    found = repo.tickets(customer=customer_id, since=since, until=until)
    try:
        return monthly_statement(
            config.customers.get(customer_id),
            customer_id,
            year,
            month,
            _billable(repo, config, found, now),
            config.levels,
            rates_for(config, customer_id),
            tz=config.timezone,
        )
    except BillingError as error:
        raise Rejected(Invalid(f"{customer_id}: {error}")) from None


def statement_customers(
    repo: Repository, config: Config, customer: str | None, every: bool, year: int, month: int
) -> list[str]:
    """The customers a statement command covers: one, or every one with a contract or work."""
    since, until = _month_bounds(year, month)
    return _customers_for(repo, config, customer, every, since, until)


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
    with uow:
        repo = uow.tickets
        return [
            statement_of(repo, config, customer_id, year, month, now)
            for customer_id in statement_customers(repo, config, customer, every, year, month)
        ]


def invoice_customers(config: Config, customer: str | None, every: bool) -> list[str]:
    """The customers an invoice command covers (R12 needs a contract)."""
    if every:
        return sorted(config.customers)
    if customer is None:
        raise Rejected(Invalid("give --customer C or --all"))
    customer_of(config, customer)
    return [customer]


def invoice_of(config: Config, customer_id: str, year: int, quarter: int) -> Document:
    """One customer's quarterly advance invoice of the contract fees (R12)."""
    try:
        return quarterly_invoice(
            config.customers[customer_id],
            year,
            quarter,
            config.levels,
            rates_for(config, customer_id),
        )
    except BillingError as error:
        raise Rejected(Invalid(str(error))) from None


def invoices(
    config: Config, customer: str | None, every: bool, year: int, quarter: int
) -> list[Document]:
    """The quarterly advance invoices of the contract fees (R12)."""
    return [
        invoice_of(config, c, year, quarter) for c in invoice_customers(config, customer, every)
    ]


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
