"""Billing: from tickets, work and contracts to lines and totals (R5 to R13).

Domain model: staff log *work* on *tickets*; a ticket's billable minutes become whole
*quarters* (15 minutes) once per ticket, priced by the ticket's reference time (R2): inside
business hours or outside, under contract or not. Each server under contract gets a few free
quarters per calendar month. Security updates are part of the fee. At the end of a month the
customer gets a *statement* (work, express fees, SLA refunds; ``statement``); at the start of
a quarter an *invoice* for the contract fees of the quarter's months, in advance (``fees``,
with the refunds of R5); ``sla_report`` sums up a month's SLA. This module holds the values
in and out, the periods, and how work becomes quarters and money (R6, R7, R9, R11).

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from bridge.domain.contract import Rates

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
    check_month(year, month)
    return f"{year:04d}-{month:02d}"


def quarter_months(year: int, quarter: int) -> tuple[tuple[int, int], ...]:
    """The three (year, month) pairs of a calendar quarter."""
    if not 1 <= quarter <= 4:
        raise BillingError(f"quarter: must be 1 to 4, got {quarter}")
    first = 3 * (quarter - 1) + 1
    return tuple((year, m) for m in range(first, first + 3))


def check_month(year: int, month: int) -> None:
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
