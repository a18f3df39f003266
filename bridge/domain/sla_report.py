"""The SLA report of a month (``vigie sla --month``): per customer and level, tickets met
and breached (R4), take-over times and the refunds due (R5). Pure, as ``billing``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from bridge.domain.billing import ZERO, Breach, SlaOutcome, cents, check_month
from bridge.domain.contract import Customer, Level
from bridge.domain.fees import sla_refunds
from bridge.domain.statement import in_month

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
    check_month(year, month)
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
