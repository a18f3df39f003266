"""A whole month, checked by hand (R5-R10, R13): what the customer will check line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local, ticket
from tests.offer import LEVELS, RATES

D = Decimal

# web01 level B (2 free quarters), db01 level C (3), app01 level A (1); fees 140/210/70.
ACME = customer(
    {
        "web01": ("B", date(2026, 1, 1), None),
        "db01": ("C", date(2026, 1, 1), None),
        "app01": ("A", date(2026, 6, 1), None),
    }
)

# November 2026 in Brussels (UTC+1). Business hours (R1) are marked by hand on each ticket.
NOVEMBER = [
    # Given out of order on purpose: the statement orders by reference time (R8, R13).
    ticket(
        104, local(2026, 11, 15, 3), server="db01", level="C", business_hours=False, minutes=(35,)
    ),
    # 2026-10-31 23:30 UTC is Sunday 1 November 00:30 in Brussels: a November ticket.
    ticket(
        108,
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
        server="db01",
        level="C",
        business_hours=False,
        minutes=(5,),
    ),
    ticket(101, local(2026, 11, 2, 10), minutes=(25, 15), updates=(20,)),
    ticket(102, local(2026, 11, 7, 22), business_hours=False, minutes=(10,), breached=True),
    ticket(
        103,
        local(2026, 11, 11, 14),
        server="db01",
        level="C",
        kind="request",
        category="request",
        minutes=(50,),
        express=True,
    ),
    ticket(105, local(2026, 11, 17, 16, 59), breached=True),
    ticket(106, local(2026, 11, 19, 11), server="app01", level="A", updates=(45,)),
    # Friday 17:00:00 is outside business hours (R1: half-open interval).
    ticket(
        107, local(2026, 11, 27, 17), server="app01", level="A", business_hours=False, minutes=(16,)
    ),
    # Tuesday 1 December 00:30 in Brussels (still 30 November in UTC): not November.
    ticket(109, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), minutes=(600,), breached=True),
    # Another customer's ticket in the same list: ignored.
    ticket(110, local(2026, 11, 3, 10), minutes=(600,), customer_id="other", breached=True),
    # Out-of-contract work on a host acme has no contract for (R9).
    ticket(
        111, local(2026, 11, 21, 11), server="nas", level=None, business_hours=False, minutes=(70,)
    ),
]


def test_november_statement_checked_by_hand() -> None:
    document = monthly_statement(ACME, "acme", 2026, 11, NOVEMBER, LEVELS, RATES, tz=TZ)
    got = [
        (
            line.kind,
            line.ticket,
            line.server,
            line.business_hours,
            line.minutes,
            line.quarters,
            line.free_quarters,
            line.rate,
            line.amount,
        )
        for line in document.lines
    ]
    assert got == [
        # work lines, by reference time:
        # #108 db01 Sun 00:30 outside, 5 min -> R7 minimum 2 quarters; db01 has 3 free
        #      (R8) -> 2 free, 0 billed; 1 free left.
        ("work", 108, "db01", False, 5, 2, 2, D("35.00"), D("0.00")),
        # #101 web01 Mon 10:00 inside, 25+15 = 40 min (the 20 min of updates are included,
        #      R6) -> rounded once per ticket: 3 quarters; web01's 2 free -> 1 x 20 = 20.00.
        ("work", 101, "web01", True, 40, 3, 2, D("20.00"), D("20.00")),
        # #102 web01 Sat 22:00 outside, 10 min -> minimum 2 quarters, no free left
        #      -> 2 x 35 = 70.00.
        ("work", 102, "web01", False, 10, 2, 0, D("35.00"), D("70.00")),
        # #103 db01 Wed 14:00 inside, 50 min -> 4 quarters, db01's last free one
        #      -> 3 x 20 = 60.00.
        ("work", 103, "db01", True, 50, 4, 1, D("20.00"), D("60.00")),
        # #104 db01 Sun 03:00 outside, 35 min -> 3 quarters, none free -> 3 x 35 = 105.00.
        ("work", 104, "db01", False, 35, 3, 0, D("35.00"), D("105.00")),
        # (#105 has no work: no work line.)
        # #106 app01, 45 min of security updates only (R6): 0 quarters, 0.00, and app01's
        #      free quarter is left alone.
        ("work", 106, "app01", True, 0, 0, 0, D("20.00"), D("0.00")),
        # #111 nas, out of contract (R9), Sat 11:00 outside, 70 min -> 5 quarters
        #      at 35 / 0.75 = 46.67 -> 233.35, no free quarter.
        ("work", 111, "nas", False, 70, 5, 0, D("46.67"), D("233.35")),
        # #107 app01 Fri 17:00 outside, 16 min -> 2 quarters (minimum), app01's 1 free
        #      -> 1 x 35 = 35.00.
        ("work", 107, "app01", False, 16, 2, 1, D("35.00"), D("35.00")),
        # R10: #103 asked for express handling -> 75.00.
        ("express", 103, "db01", True, 0, 0, 0, D("75.00"), D("75.00")),
        # R5: #102 and #105 breached on web01: one refund of web01's November fee, 140.
        ("refund", 102, "web01", None, 0, 0, 0, D("140.00"), D("-140.00")),
    ]
    # Work: 0 + 20 + 70 + 60 + 105 + 0 + 233.35 + 35 = 523.35
    # Express: 75.00 -> 598.35; refund -140.00 -> subtotal 458.35
    # VAT 21%: 458.35 x 0.21 = 96.2535 -> 96.25; total 458.35 + 96.25 = 554.60
    assert (document.subtotal, document.vat, document.total) == (
        D("458.35"),
        D("96.25"),
        D("554.60"),
    )
    assert (document.customer, document.customer_name) == ("acme", "ACME SA")
    assert (document.period, document.kind, document.vat_rate) == (
        "2026-11",
        "statement",
        D("0.21"),
    )
    # R13: the line says what it is.
    assert document.lines[1].description == (
        "#101 incident: ticket 101 (20 min of security updates included)"
    )
    assert document.lines[1].reference_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_month_of_a_customer_with_no_contract() -> None:
    walk_in = [
        # Tue 10:00 inside, 20 min -> R9 minimum 4 quarters x 26.67 = 106.68
        ticket(
            201,
            local(2026, 11, 3, 10),
            server=None,
            level=None,
            kind="request",
            category="request",
            minutes=(20,),
            customer_id="walkin",
        ),
        # Sat 11:00 outside, 70 min -> 5 quarters x 46.67 = 233.35; breached means nothing
        # without a contract (R9: no SLA, no refund).
        ticket(
            202,
            local(2026, 11, 21, 11),
            server="nas",
            level=None,
            business_hours=False,
            minutes=(70,),
            breached=True,
            customer_id="walkin",
        ),
    ]
    document = monthly_statement(None, "walkin", 2026, 11, walk_in, LEVELS, RATES, tz=TZ)
    assert [(ln.kind, ln.quarters, ln.rate, ln.amount) for ln in document.lines] == [
        ("work", 4, D("26.67"), D("106.68")),
        ("work", 5, D("46.67"), D("233.35")),
    ]
    # 106.68 + 233.35 = 340.03; VAT 340.03 x 0.21 = 71.4063 -> 71.41; total 411.44
    assert (document.subtotal, document.vat, document.total) == (
        D("340.03"),
        D("71.41"),
        D("411.44"),
    )
    assert document.customer_name == ""


def test_vat_rounds_half_up() -> None:
    # R13: 62.50 x 0.21 = 13.125 exactly: half up gives 13.13 (half even would give 13.12).
    from dataclasses import replace

    rates = replace(RATES, express_fee=D("62.50"))
    express = ticket(1, local(2026, 11, 2, 10), express=True)
    document = monthly_statement(ACME, "acme", 2026, 11, [express], LEVELS, rates, tz=TZ)
    assert (document.subtotal, document.vat, document.total) == (
        D("62.50"),
        D("13.13"),
        D("75.63"),
    )


def test_an_empty_month() -> None:
    document = monthly_statement(ACME, "acme", 2026, 2, NOVEMBER, LEVELS, RATES, tz=TZ)
    assert document.lines == ()
    assert (document.subtotal, document.vat, document.total) == (D("0.00"),) * 3


def test_a_credit_month_has_negative_vat() -> None:
    # R5/R13: a breach with little work: the refund exceeds the work, the statement is a
    # credit: -140.00 + 0 -> VAT -29.40, total -169.40.
    breached = ticket(1, local(2026, 11, 2, 10), minutes=(10,), breached=True)
    document = monthly_statement(ACME, "acme", 2026, 11, [breached], LEVELS, RATES, tz=TZ)
    assert (document.subtotal, document.vat, document.total) == (
        D("-140.00"),
        D("-29.40"),
        D("-169.40"),
    )
