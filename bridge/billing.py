"""Billing: from tickets, work and contracts to lines and totals (R5 to R13).

Domain model: staff log *work* on *tickets*; a ticket's billable minutes become whole
*quarters* (15 minutes) once per ticket, priced by the ticket's reference time (R2): inside
business hours or outside, under contract or not. Each server under contract gets a few free
quarters per calendar month. Security updates are part of the fee. At the end of a month the
customer gets a *statement* (work, express fees, SLA refunds); at the start of a quarter an
*invoice* for the contract fees of the quarter's months, in advance.

Everything here is pure: plain dataclasses in, plain dataclasses out, ``Decimal`` money
rounded to the cent per line (half up). Nothing reads the clock, the store or the
configuration file, and nothing here knows how business hours or deadlines are computed: the
caller says, per ticket, whether its reference time is inside business hours and whether its
SLA was breached.

Readings this module takes where the contract leaves a choice:

- A ticket that names no server consumes no free quarters (R8 gives them per server).
- The free-quarter allowance of a server for a month is the one of the level of that
  server's first ticket of the month (tickets carry the level they were opened under).
- Out of contract (R9), only the one-hour minimum applies, also outside business hours.
- The express fee (R10) is charged whenever the customer asked for express handling, under
  contract or not.
- A refund (R5) is what the server's fee is for that month: its level fee after the
  4th-server discount (R12). Under a flat fee, each server's fee for the month is its share
  of the flat fee, pro rata of the level fees the flat fee replaces (cents apportioned so
  that the shares add up to the flat fee exactly); ``refund_scope: contract`` therefore
  refunds exactly the flat fee. A request with no server refunds the server with the highest
  fee that month (the first one in contract order on a tie); that server then counts as
  refunded, so the refunds of a month do not depend on the order of the breaches.
- A server not under contract in a month (per the customer's contract) has no fee that
  month, so a breach on it refunds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal

from bridge.config import Customer, Level, Rates, Server

WorkCategory = Literal["incident", "request", "update"]
TicketKind = Literal["incident", "request"]
LineKind = Literal["work", "express", "refund", "fee"]
DocumentKind = Literal["statement", "invoice"]
SlaOutcome = Literal["met", "breached", "pending"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
QUARTER_MINUTES = 15
# R12: the negotiated discount applies from this position on (0-based: the 4th server).
DISCOUNT_FROM_INDEX = 3


class BillingError(ValueError):
    """Input the billing rules cannot price; the message names what is wrong, on one line."""


def cents(amount: Decimal) -> Decimal:
    """Round to the cent, half up (R13), never giving a negative zero."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else ZERO


# ---------------------------------------------------------------------------------------
# Data in
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkEntry:
    """Staff time logged on a ticket; ``update`` work is included in the fee (R6)."""

    at: datetime
    minutes: int
    by: str
    category: WorkCategory = "incident"


@dataclass(frozen=True)
class BillableTicket:
    """A ticket as billing sees it.

    ``reference_at`` is the R2 reference time (aware); ``business_hours`` says whether it is
    inside business hours (R1, decided by the caller); ``level`` is the server's level when
    the ticket was opened, ``None`` when out of contract (R9); ``breached`` is the caller's
    R4 verdict.
    """

    id: int
    customer: str
    server: str | None
    kind: TicketKind
    subject: str
    reference_at: datetime
    business_hours: bool
    level: str | None
    express: bool = False
    breached: bool = False
    work: tuple[WorkEntry, ...] = ()


@dataclass(frozen=True)
class Breach:
    """A breached ticket under contract, as R5 needs it."""

    ticket: int
    server: str | None
    reference_at: datetime


# ---------------------------------------------------------------------------------------
# Data out
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a statement or invoice, checkable by hand: amount = (quarters - free) x rate.

    ``work``: ``minutes`` billable (updates excluded), ``quarters`` after R7/R9 rounding and
    minimum, ``free_quarters`` used (R8), ``rate`` per quarter. ``express``: rate = amount =
    the flat fee. ``refund``: rate = the server's fee for the month, amount = its negative.
    ``fee``: rate = the level fee (or the flat fee), amount = after the R12 discount.
    """

    kind: LineKind
    ticket: int | None
    server: str | None
    description: str
    reference_at: datetime | None
    business_hours: bool | None
    minutes: int
    quarters: int
    free_quarters: int
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Document:
    """A monthly statement (R13, period ``2026-11``) or quarterly invoice (R12, ``2026-Q4``).

    ``subtotal`` is the sum of the line amounts, ``vat`` the subtotal times ``vat_rate``
    rounded to the cent, ``total`` their sum.
    """

    customer: str
    period: str
    kind: DocumentKind
    lines: tuple[Line, ...]
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: Decimal
    customer_name: str = ""


def make_document(
    customer: str,
    customer_name: str,
    period: str,
    kind: DocumentKind,
    lines: Iterable[Line],
    vat_rate: Decimal,
) -> Document:
    """Total the lines (R13): subtotal, VAT rounded to the cent, total."""
    all_lines = tuple(lines)
    subtotal = cents(sum((line.amount for line in all_lines), ZERO))
    vat = cents(subtotal * vat_rate)
    return Document(
        customer=customer,
        period=period,
        kind=kind,
        lines=all_lines,
        subtotal=subtotal,
        vat=vat,
        total=cents(subtotal + vat),
        vat_rate=vat_rate,
        customer_name=customer_name,
    )


# ---------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")


def parse_month(text: str) -> tuple[int, int]:
    """``2026-11`` as (2026, 11); a clear error otherwise."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise BillingError(f"expected YYYY-MM (like 2026-11), got {text!r}")
    return _plausible_year(int(match.group(1))), int(match.group(2))


def parse_quarter(text: str) -> tuple[int, int]:
    """``2026-Q4`` as (2026, 4); a clear error otherwise."""
    match = _QUARTER.fullmatch(text.strip())
    if match is None:
        raise BillingError(f"expected YYYY-Qn (like 2026-Q4), got {text!r}")
    return _plausible_year(int(match.group(1))), int(match.group(2))


def _plausible_year(year: int) -> int:
    # Billing periods of a monitoring contract: anything else is a typo (and 9999-12 would
    # overflow the month's end).
    if not 1970 <= year <= 8999:
        raise BillingError(f"year {year} is out of range (1970 to 8999)")
    return year


def month_period(year: int, month: int) -> str:
    """The period label of a month, ``2026-11``."""
    _check_month(year, month)
    return f"{year:04d}-{month:02d}"


def quarter_months(year: int, quarter: int) -> tuple[tuple[int, int], ...]:
    """The three (year, month) pairs of a calendar quarter."""
    if not 1 <= quarter <= 4:
        raise BillingError(f"quarter: must be 1 to 4, got {quarter}")
    first = 3 * (quarter - 1) + 1
    return tuple((year, m) for m in range(first, first + 3))


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise BillingError(f"month: must be 1 to 12, got {month}")
    if not 1 <= year <= 9999:
        raise BillingError(f"year: must be 1 to 9999, got {year}")


# ---------------------------------------------------------------------------------------
# Quarters and rates (R7, R9, R11)
# ---------------------------------------------------------------------------------------


def billable_quarters(
    minutes: int, business_hours: bool, under_contract: bool, rates: Rates
) -> int:
    """A ticket's billable quarters from its billable minutes (R7, R9).

    Rounded up once per ticket to whole quarters, then raised to the minimum: under contract
    and outside business hours ``outside_minimum_quarters`` (R7), out of contract
    ``out_of_contract_minimum_quarters`` (R9). No billable work, no quarters.
    """
    if minutes < 0:
        raise BillingError(f"minutes: must be >= 0, got {minutes}")
    if minutes == 0:
        return 0
    quarters = -(-minutes // QUARTER_MINUTES)
    if not under_contract:
        return max(quarters, rates.out_of_contract_minimum_quarters)
    if not business_hours:
        return max(quarters, rates.outside_minimum_quarters)
    return quarters


def quarter_rate(business_hours: bool, under_contract: bool, rates: Rates) -> Decimal:
    """The price of one quarter (R7); out of contract, before the contract discount (R9)."""
    rate = rates.business_hours if business_hours else rates.outside
    if under_contract:
        return cents(rate)
    remaining = Decimal(1) - rates.contract_discount
    if remaining <= 0:
        raise BillingError(
            f"rates.contract_discount: must be below 1, got {rates.contract_discount}"
        )
    # R9: 20 / 0.75 = 26.67, rounded to the cent per quarter before multiplying.
    return cents(rate / remaining)


def approval_needed(
    current_minutes: int,
    new_minutes: int,
    business_hours: bool,
    under_contract: bool,
    threshold: int | None,
    rates: Rates,
) -> bool:
    """R11: whether logging ``new_minutes`` would bring the ticket above ``threshold`` quarters.

    Minutes are billable minutes (pass 0 for ``update`` work, which R6 never bills); the
    caller refuses the work unless the ticket already carries an approval.
    """
    if threshold is None:
        return False
    if new_minutes < 0:
        raise BillingError(f"minutes: must be >= 0, got {new_minutes}")
    after = billable_quarters(current_minutes + new_minutes, business_hours, under_contract, rates)
    return after > threshold


def billable_minutes(work: Iterable[WorkEntry]) -> tuple[int, int]:
    """(billable minutes, included update minutes) of a ticket's work (R6)."""
    billable = 0
    included = 0
    for entry in work:
        if entry.minutes < 0:
            raise BillingError(
                f"work by {entry.by} at {entry.at.isoformat()}: minutes must be >= 0, "
                f"got {entry.minutes}"
            )
        if entry.category == "update":
            included += entry.minutes
        else:
            billable += entry.minutes
    return billable, included


# ---------------------------------------------------------------------------------------
# Contract fees (R12)
# ---------------------------------------------------------------------------------------


def under_contract_in_month(server: Server, year: int, month: int) -> bool:
    """R12: whole months, from the server's start month to its end month."""
    _check_month(year, month)
    return server.covers(date(year, month, 1))


def contract_order(customer: Customer, year: int, month: int) -> tuple[Server, ...]:
    """The servers under contract in a month, by start date then name (R12)."""
    covered = (s for s in customer.servers.values() if under_contract_in_month(s, year, month))
    return tuple(sorted(covered, key=lambda s: (s.since, s.name)))


def _level(levels: Mapping[str, Level], name: str, where: str) -> Level:
    level = levels.get(name)
    if level is None:
        known = ", ".join(sorted(levels)) or "none"
        raise BillingError(f"{where}: unknown level {name!r} (known: {known})")
    return level


def _apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` pro rata of ``weights`` in cents that add up to ``total`` exactly.

    Largest-remainder method: every share is rounded down to the cent, then the cents left
    go to the largest remainders, the first in order on a tie.
    """
    total_cents = int(cents(total) * 100)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    raw = [total_cents * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    left = total_cents - sum(floors)
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(c) / 100 for c in floors]


@dataclass(frozen=True)
class ServerFee:
    """What one server costs in one month (R12): its level fee and what is charged."""

    server: Server
    list_fee: Decimal
    fee: Decimal
    discounted: bool


def monthly_fees(
    customer: Customer, year: int, month: int, levels: Mapping[str, Level]
) -> tuple[ServerFee, ...]:
    """Each server's fee for a month, in contract order (R12).

    From the 4th server on, ``multi_server_discount`` applies; under a flat fee each
    server's fee is its share of the flat fee, pro rata of the level fees (see the module's
    readings), so the fees of a month always add up to what the month is invoiced.
    """
    _check_month(year, month)
    servers = contract_order(customer, year, month)
    list_fees = [
        _level(levels, s.level, f"customers.{customer.id}.servers.{s.name}.level").fee
        for s in servers
    ]
    if customer.flat_fee is not None:
        shares = _apportion(customer.flat_fee, list_fees)
        return tuple(
            ServerFee(server=s, list_fee=cents(f), fee=share, discounted=False)
            for s, f, share in zip(servers, list_fees, shares, strict=True)
        )
    kept = Decimal(1) - customer.multi_server_discount
    fees = []
    for index, (server, list_fee) in enumerate(zip(servers, list_fees, strict=True)):
        discounted = index >= DISCOUNT_FROM_INDEX and customer.multi_server_discount != 0
        fee = cents(list_fee * kept) if discounted else cents(list_fee)
        fees.append(ServerFee(server, cents(list_fee), fee, discounted))
    return tuple(fees)


def monthly_fee(
    customer: Customer, server: str, year: int, month: int, levels: Mapping[str, Level]
) -> Decimal:
    """One server's fee for a month (R12), 0.00 when it is not under contract that month."""
    for entry in monthly_fees(customer, year, month, levels):
        if entry.server.name == server:
            return entry.fee
    return ZERO


def quarterly_invoice(
    customer: Customer, year: int, quarter: int, levels: Mapping[str, Level], rates: Rates
) -> Document:
    """R12: the contract fees of a calendar quarter, invoiced in advance.

    One ``fee`` line per server per month under contract (rate = level fee, amount = after
    the 4th-server discount), or one line per month for a flat fee when at least one server
    is under contract that month.
    """
    lines: list[Line] = []
    for y, m in quarter_months(year, quarter):
        period = month_period(y, m)
        fees = monthly_fees(customer, y, m, levels)
        if not fees:
            continue
        if customer.flat_fee is not None:
            names = ", ".join(f.server.name for f in fees)
            flat = cents(customer.flat_fee)
            lines.append(_fee_line(None, f"{period} flat fee ({names})", rate=flat, amount=flat))
            continue
        for position, entry in enumerate(fees, start=1):
            description = f"{period} {entry.server.name} level {entry.server.level}"
            if entry.discounted:
                pct = _percent(customer.multi_server_discount)
                description += f", server {position}: -{pct}%"
            lines.append(
                _fee_line(entry.server.name, description, rate=entry.list_fee, amount=entry.fee)
            )
    return make_document(
        customer.id, customer.name, f"{year}-Q{quarter}", "invoice", lines, rates.vat
    )


def _fee_line(server: str | None, description: str, rate: Decimal, amount: Decimal) -> Line:
    return Line(
        kind="fee",
        ticket=None,
        server=server,
        description=description,
        reference_at=None,
        business_hours=None,
        minutes=0,
        quarters=0,
        free_quarters=0,
        rate=rate,
        amount=amount,
    )


def _percent(fraction: Decimal) -> str:
    """0.10 as ``10``, 0.125 as ``12.5``."""
    return format((fraction * 100).normalize(), "f")


# ---------------------------------------------------------------------------------------
# SLA refunds (R5)
# ---------------------------------------------------------------------------------------


def sla_refunds(
    customer: Customer | None,
    year: int,
    month: int,
    breaches: Iterable[Breach],
    levels: Mapping[str, Level],
) -> tuple[Line, ...]:
    """R5: one negative line per refunded server for the month, whatever the breach count.

    ``refund_scope: server`` refunds the breached ticket's server; ``contract`` every server
    under contract that month; a request with no server refunds the highest server fee.
    No contract (``customer`` None), no refund (R9). Each line names the first breached
    ticket (by reference time) that caused it.
    """
    ordered = sorted(breaches, key=lambda b: (b.reference_at, b.ticket))
    if customer is None or not ordered:
        return ()
    fees = {entry.server.name: entry for entry in monthly_fees(customer, year, month, levels)}
    if not fees:
        return ()
    highest = max(fees.values(), key=lambda entry: entry.fee).server.name
    caused_by: dict[str, Breach] = {}
    for breach in ordered:
        if customer.refund_scope == "contract":
            targets: Iterable[str] = fees
        elif breach.server is None:
            targets = (highest,)
        elif breach.server in fees:
            targets = (breach.server,)
        else:
            targets = ()  # not under contract this month: no fee, nothing to refund
        for name in targets:
            caused_by.setdefault(name, breach)
    period = month_period(year, month)
    lines = []
    for name, breach in caused_by.items():
        fee = fees[name].fee
        if fee == 0:
            continue
        lines.append(
            Line(
                kind="refund",
                ticket=breach.ticket,
                server=name,
                description=f"SLA refund: {name} fee for {period} (ticket #{breach.ticket} "
                "breached)",
                reference_at=breach.reference_at,
                business_hours=None,
                minutes=0,
                quarters=0,
                free_quarters=0,
                rate=fee,
                amount=-fee,
            )
        )
    return tuple(lines)


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
    _check_month(year, month)
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
        level = _level(levels, ticket.level, f"ticket {ticket.id}")
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


# ---------------------------------------------------------------------------------------
# The SLA report (`vigie sla --month`)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRecord:
    """One ticket as the SLA report sees it; ``outcome`` is the caller's R4 verdict.

    ``pending``: not taken over yet and its deadline not passed. Tickets with no level are
    out of contract (R9): no SLA, left out of the report.
    """

    ticket: int
    customer: str
    server: str | None
    level: str | None
    reference_at: datetime
    taken_at: datetime | None
    outcome: SlaOutcome


@dataclass(frozen=True)
class SlaRow:
    """Per customer and level: counts, take-over times, and the refunds the breaches cost.

    Take-over times are over the tickets taken over (late ones included); ``None`` when no
    ticket was. Refunds are attributed to the level of the breached ticket that caused them.
    """

    customer: str
    level: str
    tickets: int
    met: int
    breached: int
    pending: int
    median_take_over: timedelta | None
    worst_take_over: timedelta | None
    refunds: int
    refund_amount: Decimal


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median of durations (the mean of the middle two for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def sla_report(
    records: Iterable[SlaRecord],
    customers: Mapping[str, Customer],
    year: int,
    month: int,
    levels: Mapping[str, Level],
    *,
    tz: tzinfo,
) -> tuple[SlaRow, ...]:
    """The month's SLA per customer and level, ordered by customer then level.

    Records outside the month (in ``tz``) are ignored; refunds follow R5 exactly as the
    statement computes them, so the report and the statements agree.
    """
    _check_month(year, month)
    groups: dict[tuple[str, str], list[SlaRecord]] = {}
    for record in records:
        if record.level is None or not in_month(record.reference_at, year, month, tz):
            continue
        groups.setdefault((record.customer, record.level), []).append(record)
    level_of: dict[tuple[str, int], str] = {}
    breaches: dict[str, list[Breach]] = {}
    for (customer_id, level_name), group in groups.items():
        for r in group:
            level_of[customer_id, r.ticket] = level_name
            if r.outcome == "breached":
                breach = Breach(r.ticket, r.server, r.reference_at)
                breaches.setdefault(customer_id, []).append(breach)
    refunds: dict[tuple[str, str], list[Decimal]] = {}
    for customer_id, customer_breaches in breaches.items():
        customer = customers.get(customer_id)
        for line in sla_refunds(customer, year, month, customer_breaches, levels):
            if line.ticket is None:  # never: a refund line names the ticket that caused it
                continue
            key = (customer_id, level_of[customer_id, line.ticket])
            refunds.setdefault(key, []).append(-line.amount)
    rows = []
    for (customer_id, level_name), group in sorted(groups.items()):
        taken = [r.taken_at - r.reference_at for r in group if r.taken_at is not None]
        refund_amounts = refunds.get((customer_id, level_name), [])
        rows.append(
            SlaRow(
                customer=customer_id,
                level=level_name,
                tickets=len(group),
                met=sum(1 for r in group if r.outcome == "met"),
                breached=sum(1 for r in group if r.outcome == "breached"),
                pending=sum(1 for r in group if r.outcome == "pending"),
                median_take_over=median(taken),
                worst_take_over=max(taken) if taken else None,
                refunds=len(refund_amounts),
                refund_amount=cents(sum(refund_amounts, ZERO)),
            )
        )
    return tuple(rows)
