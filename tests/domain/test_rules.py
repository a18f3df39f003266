"""Table-driven tests of the billing rules, one row per case, each citing its rule (R5-R13)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bridge.domain.billing import (
    BillableTicket,
    BillingError,
    Document,
    Line,
    approval_needed,
    billable_quarters,
    parse_month,
    parse_quarter,
    quarter_rate,
)
from bridge.domain.contract import Customer
from bridge.domain.fees import monthly_fee
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local, ticket
from tests.offer import LEVELS, RATES

D = Decimal

ACME = customer(
    {
        "web01": ("B", date(2026, 1, 1), None),
        "db01": ("C", date(2026, 1, 1), None),
        "app01": ("A", date(2026, 6, 1), None),
    }
)


def statement(
    tickets: list[BillableTicket], who: Customer | None = ACME, year: int = 2026, month: int = 11
) -> Document:
    """The November 2026 statement of ``who`` (ACME by default) for these tickets."""
    return monthly_statement(who, "acme", year, month, tickets, LEVELS, RATES, tz=TZ)


def work_lines(document: Document) -> list[Line]:
    return [line for line in document.lines if line.kind == "work"]


def lines_of(document: Document, kind: str) -> list[Line]:
    return [line for line in document.lines if line.kind == kind]


# --- R7 and R9: quarters, rounding once per ticket, minimums ----------------------------


@pytest.mark.parametrize(
    ("rule", "minutes", "business_hours", "under_contract", "quarters"),
    [
        ("R7 no billable work, no quarters", 0, True, True, 0),
        ("R7 no billable work, no off-hours minimum", 0, False, True, 0),
        ("R7 one minute is a whole quarter", 1, True, True, 1),
        ("R7 exactly one quarter", 15, True, True, 1),
        ("R7 rounded up", 16, True, True, 2),
        ("R7 inside business hours has no minimum", 5, True, True, 1),
        ("R7 outside: minimum of 2 quarters", 10, False, True, 2),
        ("R7 outside: at the minimum", 30, False, True, 2),
        ("R7 outside: above the minimum", 31, False, True, 3),
        ("R9 out of contract: minimum one hour", 10, True, False, 4),
        ("R9 out of contract: at the minimum", 60, True, False, 4),
        ("R9 out of contract: then per quarter", 61, True, False, 5),
        ("R9 out of contract outside hours: the one-hour minimum", 20, False, False, 4),
        ("R9 out of contract outside hours: per quarter", 76, False, False, 6),
    ],
)
def test_billable_quarters(
    rule: str, minutes: int, business_hours: bool, under_contract: bool, quarters: int
) -> None:
    assert billable_quarters(minutes, business_hours, under_contract, RATES) == quarters, rule


@pytest.mark.parametrize(
    ("rule", "business_hours", "under_contract", "rate"),
    [
        ("R7 under contract inside business hours", True, True, D("20.00")),
        ("R7 under contract outside", False, True, D("35.00")),
        ("R9 out of contract inside: 20 / 0.75", True, False, D("26.67")),
        ("R9 out of contract outside: 35 / 0.75", False, False, D("46.67")),
    ],
)
def test_quarter_rate(rule: str, business_hours: bool, under_contract: bool, rate: Decimal) -> None:
    assert quarter_rate(business_hours, under_contract, RATES) == rate, rule


def test_r9_rate_rounds_half_up_to_the_cent() -> None:
    # R9/R13: 0.75375 / 0.75 = 1.005 exactly; half up gives 1.01 (half even would give 1.00).
    rates = replace(RATES, business_hours=D("0.75375"))
    assert quarter_rate(True, False, rates) == D("1.01")


@pytest.mark.parametrize(
    ("rule", "entries", "business_hours", "quarters", "amount"),
    [
        # Three 5-minute entries are 15 minutes: one quarter, not three.
        ("R7 rounded once per ticket, not per entry", (5, 5, 5), True, 1, D("20.00")),
        ("R7 entries summed then rounded up", (10, 10), True, 2, D("40.00")),
        ("R7 outside minimum applies to the ticket's sum", (5, 5), False, 2, D("70.00")),
        ("R7 outside above the minimum", (20, 20), False, 3, D("105.00")),
    ],
)
def test_r7_work_line(
    rule: str, entries: tuple[int, ...], business_hours: bool, quarters: int, amount: Decimal
) -> None:
    # app01's only free quarter is used up by an earlier ticket, so the rate shows plainly.
    first = ticket(1, local(2026, 11, 2, 10), server="app01", level="A", minutes=(15,))
    second = ticket(
        2,
        local(2026, 11, 3, 10),
        server="app01",
        level="A",
        business_hours=business_hours,
        minutes=entries,
    )
    line = work_lines(statement([first, second]))[1]
    assert (line.minutes, line.quarters, line.free_quarters) == (sum(entries), quarters, 0), rule
    assert line.amount == amount, rule


def test_r2_the_reference_time_sets_the_rate_not_the_time_of_work() -> None:
    # R2/R7: the probe fired at 16:50 on a Monday (inside); the work was done at 18:00-19:00.
    # It is billed at the business-hours rate, without the outside minimum.
    early = ticket(1, local(2026, 11, 2, 10), server="app01", level="A", minutes=(15,))
    late_work = ticket(2, local(2026, 11, 2, 16, 50), server="app01", level="A", minutes=(10,))
    line = work_lines(statement([early, late_work]))[1]
    assert (line.quarters, line.rate, line.amount) == (1, D("20.00"), D("20.00"))


# --- R6: updates included ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "category", "minutes", "updates", "billed_minutes", "amount"),
    [
        ("R6 update work alone is never billed", "incident", (), (45,), 0, D("0.00")),
        ("R6 update work beside incident work", "incident", (40,), (60,), 40, D("20.00")),
        ("R6 request work is billed", "request", (40,), (), 40, D("20.00")),
        ("R6 incident work is billed", "incident", (40,), (), 40, D("20.00")),
    ],
)
def test_r6_included_updates(
    rule: str,
    category: str,
    minutes: tuple[int, ...],
    updates: tuple[int, ...],
    billed_minutes: int,
    amount: Decimal,
) -> None:
    # web01 is level B: 2 free quarters; 40 minutes = 3 quarters, 1 billed at 20.
    one = ticket(
        1,
        local(2026, 11, 4, 10),
        minutes=minutes,
        updates=updates,
        category="request" if category == "request" else "incident",
    )
    [line] = work_lines(statement([one]))
    assert line.minutes == billed_minutes, rule
    assert line.amount == amount, rule
    if updates:
        assert f"{sum(updates)} min of security updates included" in line.description, rule


def test_r6_update_work_leaves_the_free_quarters_alone() -> None:
    # R6/R8: app01 (level A, 1 free quarter): update work first, then 10 billable minutes
    # inside business hours: the free quarter is still there for the billable ticket.
    updates_only = ticket(1, local(2026, 11, 2, 10), server="app01", level="A", updates=(90,))
    billable = ticket(2, local(2026, 11, 3, 10), server="app01", level="A", minutes=(10,))
    lines = work_lines(statement([updates_only, billable]))
    assert [(ln.quarters, ln.free_quarters, ln.amount) for ln in lines] == [
        (0, 0, D("0.00")),
        (1, 1, D("0.00")),
    ]


# --- R8: free interventions ------------------------------------------------------------


def test_r8_worked_example() -> None:
    # R8: level A server, one ticket on Sunday with 10 minutes of work:
    # 2 quarters (minimum) at 35, 1 free, billed 1 x 35 = 35.
    sunday = ticket(
        1, local(2026, 11, 29, 11), server="app01", level="A", business_hours=False, minutes=(10,)
    )
    document = statement([sunday])
    [line] = document.lines
    assert (line.quarters, line.free_quarters, line.rate, line.amount) == (
        2,
        1,
        D("35.00"),
        D("35.00"),
    )
    assert (document.subtotal, document.vat, document.total) == (
        D("35.00"),
        D("7.35"),
        D("42.35"),
    )


@pytest.mark.parametrize(
    ("rule", "tickets", "expected"),
    [
        (
            "R8 consumed in order of reference time, not in the order given",
            [
                # Given first, but happens second: no free quarter left for it.
                ticket(2, local(2026, 11, 9, 22), business_hours=False, minutes=(10,)),
                ticket(1, local(2026, 11, 2, 10), minutes=(30,)),
            ],
            # (ticket, quarters, free, amount) in reference order.
            [(1, 2, 2, D("0.00")), (2, 2, 0, D("70.00"))],
        ),
        (
            "R8 partly consumed: the rest is billed",
            [ticket(1, local(2026, 11, 2, 10), minutes=(50,))],
            [(1, 4, 2, D("40.00"))],
        ),
        (
            "R8 the allowance is per server",
            [
                ticket(1, local(2026, 11, 2, 10), minutes=(30,)),
                ticket(2, local(2026, 11, 3, 10), server="db01", level="C", minutes=(45,)),
            ],
            [(1, 2, 2, D("0.00")), (2, 3, 3, D("0.00"))],
        ),
        (
            "R8 level C has 3 free quarters, spread over tickets",
            [
                ticket(1, local(2026, 11, 2, 10), server="db01", level="C", minutes=(20,)),
                ticket(2, local(2026, 11, 3, 10), server="db01", level="C", minutes=(20,)),
            ],
            [(1, 2, 2, D("0.00")), (2, 2, 1, D("20.00"))],
        ),
        (
            "R8 after R7's minimum: 1 minute outside is 2 quarters, both free on level B",
            [ticket(1, local(2026, 11, 1, 3), business_hours=False, minutes=(1,))],
            [(1, 2, 2, D("0.00"))],
        ),
        (
            "R8 a request that names no server uses no free quarter",
            [ticket(1, local(2026, 11, 2, 10), server=None, kind="request", minutes=(15,))],
            [(1, 1, 0, D("20.00"))],
        ),
        (
            "R8/R9 out of contract: no free quarter",
            [ticket(1, local(2026, 11, 2, 10), server="nas", level=None, minutes=(15,))],
            [(1, 4, 0, D("106.68"))],
        ),
    ],
)
def test_r8_free_quarters(
    rule: str, tickets: list[BillableTicket], expected: list[tuple[int, int, int, Decimal]]
) -> None:
    lines = work_lines(statement(tickets))
    got = [(ln.ticket, ln.quarters, ln.free_quarters, ln.amount) for ln in lines]
    assert got == expected, rule


def test_r8_never_carried_over() -> None:
    # R8: October used none of web01's 2 free quarters; November still has only 2.
    october_quiet = [ticket(1, local(2026, 10, 5, 10), updates=(30,))]
    november = [ticket(2, local(2026, 11, 2, 10), minutes=(60,))]
    [line] = work_lines(statement(october_quiet + november))
    assert (line.quarters, line.free_quarters, line.amount) == (4, 2, D("40.00"))


def test_r8_the_month_is_the_providers_local_month() -> None:
    # R8/R13: 2026-10-31 23:30 UTC is 2026-11-01 00:30 in Brussels: a November ticket;
    # 2026-11-30 23:30 UTC is already December there.
    from datetime import UTC, datetime

    first = ticket(1, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), minutes=(15,))
    after = ticket(2, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), minutes=(15,))
    assert [ln.ticket for ln in work_lines(statement([first, after]))] == [1]
    assert [ln.ticket for ln in work_lines(statement([first, after], month=12))] == [2]


# --- R9: out of contract ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "business_hours", "minutes", "quarters", "rate", "amount"),
    [
        ("R9 inside: one-hour minimum at 26.67", True, 20, 4, D("26.67"), D("106.68")),
        ("R9 outside: one-hour minimum at 46.67", False, 20, 4, D("46.67"), D("186.68")),
        ("R9 then per quarter", False, 70, 5, D("46.67"), D("233.35")),
    ],
)
def test_r9_out_of_contract(
    rule: str, business_hours: bool, minutes: int, quarters: int, rate: Decimal, amount: Decimal
) -> None:
    walk_in = ticket(
        1,
        local(2026, 11, 3, 10),
        server="nas",
        level=None,
        business_hours=business_hours,
        minutes=(minutes,),
        breached=True,
    )
    document = statement([walk_in], who=None)
    [line] = document.lines  # R9: no refund line although the ticket is marked breached
    assert (line.quarters, line.free_quarters, line.rate, line.amount) == (
        quarters,
        0,
        rate,
        amount,
    ), rule
    assert "out of contract" in line.description


def test_r9_a_server_no_contract_covers_is_billed_out_of_contract_for_a_customer() -> None:
    # R9: acme is under contract, but "nas" is not in it: out-of-contract rates, no refund.
    nas = ticket(1, local(2026, 11, 3, 10), server="nas", level=None, minutes=(5,), breached=True)
    document = statement([nas])
    assert [(ln.kind, ln.amount) for ln in document.lines] == [("work", D("106.68"))]


# --- R10: express ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "express", "level", "lines"),
    [
        ("R10 express adds a flat fee of 75", True, "B", [("work", "0.00"), ("express", "75.00")]),
        ("R10 no express, no fee", False, "B", [("work", "0.00")]),
        (
            "R10 express asked out of contract is charged too",
            True,
            None,
            [("work", "106.68"), ("express", "75.00")],
        ),
    ],
)
def test_r10_express(
    rule: str, express: bool, level: str | None, lines: list[tuple[str, str]]
) -> None:
    one = ticket(1, local(2026, 11, 2, 10), level=level, minutes=(15,), express=express)
    got = [(ln.kind, str(ln.amount)) for ln in statement([one]).lines]
    assert got == lines, rule


def test_r10_missing_the_express_target_is_no_breach() -> None:
    # R10: the caller only marks a ticket breached on the normal deadline (R3/R4); an express
    # ticket that was not breached refunds nothing.
    one = ticket(1, local(2026, 11, 2, 10), minutes=(15,), express=True, breached=False)
    assert lines_of(statement([one]), "refund") == []


# --- R5: refunds -------------------------------------------------------------------------

FIVE = {
    "s1": ("A", date(2026, 1, 1), None),
    "s2": ("A", date(2026, 2, 1), None),
    "s3": ("B", date(2026, 3, 1), None),
    "s4": ("C", date(2026, 4, 1), None),
    "s5": ("C", date(2026, 4, 1), None),
}


@pytest.mark.parametrize(
    ("rule", "who", "breaches", "refunds"),
    [
        (
            "R5 a breach refunds its server's fee for the month",
            ACME,
            [("web01", 1)],
            [("web01", D("-140.00"))],
        ),
        (
            "R5 at most one refund per server per month",
            ACME,
            [("web01", 1), ("web01", 5), ("web01", 9)],
            [("web01", D("-140.00"))],
        ),
        (
            "R5 two servers breached, two refunds",
            ACME,
            [("db01", 3), ("web01", 1)],
            [("web01", D("-140.00")), ("db01", D("-210.00"))],
        ),
        (
            "R5 refund_scope contract refunds every server once",
            replace(ACME, refund_scope="contract"),
            [("web01", 1), ("db01", 4)],
            # In contract order: start date, then name.
            [("db01", D("-210.00")), ("web01", D("-140.00")), ("app01", D("-70.00"))],
        ),
        (
            "R5 a request with no server refunds the highest server fee",
            ACME,
            [(None, 2)],
            [("db01", D("-210.00"))],
        ),
        (
            "R5 no server, then a breach on that same server: still one refund",
            ACME,
            [(None, 2), ("db01", 6)],
            [("db01", D("-210.00"))],
        ),
        (
            "R5/R12 the refund is the fee after the 4th-server discount",
            customer(FIVE, discount="0.10"),
            [("s5", 1)],
            [("s5", D("-189.00"))],
        ),
        (
            "R5/R12 highest fee after discount: s4 at 189 beats s3 at 140",
            customer({k: v for k, v in FIVE.items() if k != "s5"}, discount="0.10"),
            [(None, 1)],
            [("s4", D("-189.00"))],
        ),
        (
            "R5/R12 flat fee: the server's share, pro rata of level fees (70 of 420 x 300)",
            customer(
                {
                    "web01": ("A", date(2026, 1, 1), None),
                    "db01": ("B", date(2026, 1, 1), None),
                    "app01": ("C", date(2026, 1, 1), None),
                },
                flat_fee="300",
            ),
            [("web01", 1)],
            [("web01", D("-50.00"))],
        ),
        (
            "R5/R12 flat fee and contract scope refund the flat fee exactly",
            customer(
                {
                    "web01": ("A", date(2026, 1, 1), None),
                    "db01": ("A", date(2026, 1, 1), None),
                    "app01": ("A", date(2026, 1, 1), None),
                },
                flat_fee="100",
                refund_scope="contract",
            ),
            [("web01", 1)],
            # 100 / 3 = 33.333...: the one cent left goes to the first in contract order.
            [("app01", D("-33.34")), ("db01", D("-33.33")), ("web01", D("-33.33"))],
        ),
        (
            "R5/R12 a server whose contract ended last month has no fee: nothing refunded",
            customer({"web01": ("B", date(2026, 1, 1), date(2026, 10, 31))}),
            [("web01", 1)],
            [],
        ),
    ],
)
def test_r5_refunds(
    rule: str,
    who: Customer,
    breaches: list[tuple[str | None, int]],
    refunds: list[tuple[str, Decimal]],
) -> None:
    tickets = [
        ticket(
            n,
            local(2026, 11, 1 + n, 10),
            server=server,
            level="B",
            breached=True,
            kind="incident" if server else "request",
        )
        for server, n in breaches
    ]
    got = [(ln.server, ln.amount) for ln in lines_of(statement(tickets, who=who), "refund")]
    assert got == refunds, rule


def test_r5_refund_names_the_first_breach_and_the_month() -> None:
    # R5/R13: the credit line says which breach caused it and for which month.
    later = ticket(8, local(2026, 11, 20, 10), breached=True)
    first = ticket(3, local(2026, 11, 5, 10), breached=True)
    [refund] = lines_of(statement([later, first]), "refund")
    assert refund.ticket == 3
    assert refund.rate == D("140.00")
    assert "2026-11" in refund.description and "#3" in refund.description


def test_r5_refunds_the_month_of_the_reference_time() -> None:
    # R5: a ticket of October breached refunds October, not November.
    october = ticket(1, local(2026, 10, 30, 10), breached=True)
    assert lines_of(statement([october]), "refund") == []
    assert len(lines_of(statement([october], month=10), "refund")) == 1


def test_r5_no_contract_no_refund() -> None:
    # R5/R9: a customer with no contract is never refunded, whatever its tickets say.
    breached = ticket(1, local(2026, 11, 2, 10), server="nas", level=None, breached=True)
    assert statement([breached], who=None).lines == ()


# --- R11: approval threshold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "current", "new", "business_hours", "under_contract", "threshold", "needed"),
    [
        ("R11 no threshold, never", 500, 500, True, True, None, False),
        ("R11 up to the threshold is fine (90 min = 6 quarters)", 80, 10, True, True, 6, False),
        ("R11 one minute more is a 7th quarter: refused", 80, 11, True, True, 6, True),
        ("R11 the first entry alone can cross it", 0, 100, True, True, 6, True),
        ("R11 update work (0 billable minutes) never crosses it", 90, 0, True, True, 6, False),
        ("R11 counted after rounding: 61 min is 5 quarters > 4", 0, 61, True, True, 4, True),
        (
            "R11/R9 out-of-contract minimum alone is not above 4",
            0,
            10,
            True,
            False,
            4,
            False,
        ),
        ("R11/R9 out of contract above the threshold", 50, 20, False, False, 4, True),
    ],
)
def test_r11_approval_needed(
    rule: str,
    current: int,
    new: int,
    business_hours: bool,
    under_contract: bool,
    threshold: int | None,
    needed: bool,
) -> None:
    got = approval_needed(current, new, business_hours, under_contract, threshold, RATES)
    assert got is needed, rule


# --- R12: monthly fee used by refunds ---------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "server", "month", "fee"),
    [
        ("R12 level fee", "web01", 11, D("140.00")),
        ("R12 whole months from the start month: app01 starts in June", "app01", 6, D("70.00")),
        ("R12 not yet under contract", "app01", 5, D("0.00")),
        ("R12 unknown server", "nas", 11, D("0.00")),
    ],
)
def test_r12_monthly_fee(rule: str, server: str, month: int, fee: Decimal) -> None:
    assert monthly_fee(ACME, server, 2026, month, LEVELS) == fee, rule


# --- Bad input: one clear line -------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: billable_quarters(-1, True, True, RATES), "minutes: must be >= 0, got -1"),
        (lambda: parse_month("2026-13"), "expected YYYY-MM (like 2026-11), got '2026-13'"),
        (lambda: parse_month("nov"), "expected YYYY-MM"),
        (lambda: parse_month("9999-12"), "year 9999 is out of range (1970 to 8999)"),
        (lambda: parse_quarter("2026-Q5"), "expected YYYY-Qn (like 2026-Q4)"),
        (lambda: parse_quarter("0001-Q1"), "year 1 is out of range"),
        (
            lambda: statement([ticket(1, local(2026, 11, 2, 10), level="Z", minutes=(5,))]),
            "ticket 1: unknown level 'Z' (known: A, B, C)",
        ),
        (
            lambda: statement([ticket(1, local(2026, 11, 2, 10), minutes=(-5,))]),
            "minutes must be >= 0, got -5",
        ),
        (
            lambda: statement(
                [ticket(1, local(2026, 11, 2, 10).replace(tzinfo=None), minutes=(5,))]
            ),
            "has no UTC offset",
        ),
        (
            lambda: monthly_fee(
                customer({"x": ("Q", date(2026, 1, 1), None)}), "x", 2026, 11, LEVELS
            ),
            "customers.acme.servers.x.level: unknown level 'Q'",
        ),
        (
            lambda: quarter_rate(True, False, replace(RATES, contract_discount=D("1"))),
            "rates.contract_discount: must be below 1",
        ),
    ],
)
def test_bad_input_is_one_clear_line(call: Callable[[], object], message: str) -> None:
    with pytest.raises(BillingError) as caught:
        call()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_periods_parse() -> None:
    assert parse_month(" 2026-11 ") == (2026, 11)
    assert parse_quarter("2026-Q4") == (2026, 4)
    assert parse_quarter("2026-q1") == (2026, 1)
