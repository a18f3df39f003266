"""The SLA report of a month (`vigie sla --month`): counts per R4 verdict, take-over times and
the refunds they cost (R5), per customer and level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bridge.domain.billing import SlaOutcome
from bridge.domain.sla_report import SlaRecord, SlaRow, median, sla_report
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local, ticket
from tests.offer import LEVELS, RATES

ACME = customer(
    {
        "web01": ("B", date(2026, 1, 1), None),
        "db01": ("C", date(2026, 1, 1), None),
    }
)
BETA = customer(
    {"x": ("A", date(2026, 1, 1), None), "y": ("B", date(2026, 1, 1), None)},
    id="beta",
    refund_scope="contract",
)


def record(
    n: int,
    who: str,
    server: str | None,
    level: str | None,
    at: datetime,
    taken_after_hours: float | None,
    outcome: SlaOutcome,
) -> SlaRecord:
    taken = None if taken_after_hours is None else at + timedelta(hours=taken_after_hours)
    return SlaRecord(n, who, server, level, at, taken, outcome)


RECORDS = [
    record(1, "acme", "web01", "B", local(2026, 11, 2, 10), 1, "met"),
    record(2, "acme", "web01", "B", local(2026, 11, 3, 10), 3, "met"),
    record(3, "acme", "web01", "B", local(2026, 11, 7, 22), 13, "breached"),
    record(4, "acme", "web01", "B", local(2026, 11, 30, 20), None, "pending"),
    record(5, "acme", "db01", "C", local(2026, 11, 10, 3), 2, "met"),
    # R4: taken over exactly at the 4 h deadline is met (the caller's verdict).
    record(6, "acme", "db01", "C", local(2026, 11, 11, 3), 4, "met"),
    # R4: recovered before its deadline without take-over: not breached, no take-over time.
    record(7, "acme", "db01", "C", local(2026, 11, 12, 3), None, "met"),
    # R9: out of contract, no SLA: not in the report.
    record(8, "acme", "nas", None, local(2026, 11, 12, 3), 50, "breached"),
    # Another month: not in the report.
    record(9, "acme", "web01", "B", local(2026, 10, 31, 23), 30, "breached"),
    # beta refunds its whole contract (R5 refund_scope: contract): x 70 + y 140.
    record(10, "beta", "x", "A", local(2026, 11, 5, 10), 30, "breached"),
    record(11, "beta", "y", "B", local(2026, 11, 6, 10), 20, "breached"),
    # A customer the configuration no longer knows: its breach refunds nothing.
    record(12, "ghost", "z", "B", datetime(2026, 11, 15, 12, tzinfo=UTC), 20, "breached"),
]


def test_sla_report_per_customer_and_level() -> None:
    rows = sla_report(RECORDS, {"acme": ACME, "beta": BETA}, 2026, 11, LEVELS, tz=TZ)
    h = timedelta(hours=1)
    assert rows == (
        # take-over times 1 h, 3 h, 13 h: median 3 h, worst 13 h; the breach refunds web01.
        SlaRow("acme", "B", 4, 2, 1, 1, 3 * h, 13 * h, 1, Decimal("140.00")),
        # 2 h and 4 h: median 3 h (mean of the middle two); #7 has no take-over time.
        SlaRow("acme", "C", 3, 3, 0, 0, 3 * h, 4 * h, 0, Decimal("0.00")),
        # #10 refunds x and y at once; #11 adds nothing (one refund per server per month).
        SlaRow("beta", "A", 1, 0, 1, 0, 30 * h, 30 * h, 2, Decimal("210.00")),
        SlaRow("beta", "B", 1, 0, 1, 0, 20 * h, 20 * h, 0, Decimal("0.00")),
        SlaRow("ghost", "B", 1, 0, 1, 0, 20 * h, 20 * h, 0, Decimal("0.00")),
    )


def test_sla_report_refunds_agree_with_the_statement() -> None:
    # R5: the report's refunds are the statement's refund lines, to the cent.
    tickets = [
        ticket(r.ticket, r.reference_at, server=r.server, level=r.level, breached=True)
        for r in RECORDS
        if r.customer == "acme" and r.outcome == "breached"
    ]
    document = monthly_statement(ACME, "acme", 2026, 11, tickets, LEVELS, RATES, tz=TZ)
    refunded = -sum(line.amount for line in document.lines if line.kind == "refund")
    rows = sla_report(RECORDS, {"acme": ACME}, 2026, 11, LEVELS, tz=TZ)
    assert sum(row.refund_amount for row in rows if row.customer == "acme") == refunded
    assert refunded == Decimal("140.00")


def test_median() -> None:
    m = timedelta(minutes=1)
    assert median([]) is None
    assert median([5 * m]) == 5 * m
    assert median([9 * m, 1 * m, 5 * m]) == 5 * m
    assert median([4 * m, 1 * m, 2 * m, 10 * m]) == 3 * m
