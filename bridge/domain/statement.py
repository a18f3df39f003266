"""The monthly statement (R13): work lines priced by R6 to R10, express fees, SLA refunds
(R5), subtotal, VAT and total, per customer. Pure, as ``billing``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo

from bridge.domain.billing import (
    BillableTicket,
    BillingError,
    Breach,
    Document,
    Line,
    billable_minutes,
    billable_quarters,
    cents,
    check_month,
    make_document,
    month_period,
    quarter_rate,
)
from bridge.domain.contract import Customer, Level, Rates
from bridge.domain.fees import level_named, sla_refunds

# ---------------------------------------------------------------------------------------
# The monthly statement (R6 to R10, R13)
# ---------------------------------------------------------------------------------------


def in_month(moment: datetime, year: int, month: int, tz: tzinfo) -> bool:
    """Whether an aware moment falls in a calendar month of the provider's time zone."""
    if moment.tzinfo is None:
        raise BillingError(f"time {moment.isoformat()} has no UTC offset")
    local = moment.astimezone(tz)
    return local.year == year and local.month == month


def monthly_statement(
    customer: Customer | None,
    customer_id: str,
    year: int,
    month: int,
    tickets: Iterable[BillableTicket],
    levels: Mapping[str, Level],
    rates: Rates,
    *,
    tz: tzinfo,
) -> Document:
    """R13: a customer's work, express fees and SLA refunds for a month, with totals.

    ``tickets`` may be a superset: only the customer's tickets whose reference time falls
    in the month (in ``tz``, the provider's zone) count. ``customer`` is None for a customer
    with no contract: work is then billed out of contract (each ticket's ``level`` is None)
    and nothing is refunded. Lines: one ``work`` line per ticket with work logged, in order
    of reference time, then ``express`` fees, then ``refund`` credits.
    """
    check_month(year, month)
    month_tickets = sorted(
        (
            t
            for t in tickets
            if t.customer == customer_id and in_month(t.reference_at, year, month, tz)
        ),
        key=lambda t: (t.reference_at, t.id),
    )
    work_lines: list[Line] = []
    express_lines: list[Line] = []
    breaches: list[Breach] = []
    # R8: per server, the quarters left this month; never carried over (a new dict per call).
    free_left: dict[str, int] = {}
    for ticket in month_tickets:
        line = _work_line(ticket, levels, rates, free_left)
        if line is not None:
            work_lines.append(line)
        if ticket.express:
            express_lines.append(_express_line(ticket, rates))
        if ticket.breached and ticket.level is not None:
            breaches.append(Breach(ticket.id, ticket.server, ticket.reference_at))
    refund_lines = sla_refunds(customer, year, month, breaches, levels)
    return make_document(
        customer_id,
        customer.name if customer is not None else "",
        month_period(year, month),
        "statement",
        [*work_lines, *express_lines, *refund_lines],
        rates.vat,
    )


def _work_line(
    ticket: BillableTicket,
    levels: Mapping[str, Level],
    rates: Rates,
    free_left: dict[str, int],
) -> Line | None:
    """The R13 line of one ticket, consuming its server's free quarters (R8)."""
    if not ticket.work:
        return None
    minutes, included = billable_minutes(ticket.work)
    under_contract = ticket.level is not None
    quarters = billable_quarters(minutes, ticket.business_hours, under_contract, rates)
    rate = quarter_rate(ticket.business_hours, under_contract, rates)
    free = 0
    if ticket.level is not None and ticket.server is not None and quarters > 0:
        level = level_named(levels, ticket.level, f"ticket {ticket.id}")
        left = free_left.setdefault(ticket.server, level.free_quarters)
        free = min(left, quarters)
        free_left[ticket.server] = left - free
    description = f"#{ticket.id} {ticket.kind}: {ticket.subject}"
    if not under_contract:
        description += " (out of contract)"
    if included:
        description += f" ({included} min of security updates included)"
    return Line(
        kind="work",
        ticket=ticket.id,
        server=ticket.server,
        description=description,
        reference_at=ticket.reference_at.astimezone(UTC),
        business_hours=ticket.business_hours,
        minutes=minutes,
        quarters=quarters,
        free_quarters=free,
        rate=rate,
        amount=cents((quarters - free) * rate),
    )


def _express_line(ticket: BillableTicket, rates: Rates) -> Line:
    """R10: the flat express fee of a ticket."""
    fee = cents(rates.express_fee)
    return Line(
        kind="express",
        ticket=ticket.id,
        server=ticket.server,
        description=f"#{ticket.id} express handling",
        reference_at=ticket.reference_at.astimezone(UTC),
        business_hours=ticket.business_hours,
        minutes=0,
        quarters=0,
        free_quarters=0,
        rate=fee,
        amount=fee,
    )
