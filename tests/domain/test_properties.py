"""Properties that hold for every month of every contract (hypothesis), citing R5-R13."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.domain.billing import (
    BillableTicket,
    Document,
    WorkCategory,
    WorkEntry,
    billable_quarters,
    cents,
)
from bridge.domain.contract import Customer, Rates
from bridge.domain.fees import monthly_fees, quarterly_invoice
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local
from tests.offer import LEVELS, RATES

D = Decimal
CATEGORIES: tuple[WorkCategory, ...] = ("incident", "request", "update")
NOVEMBER_START = local(2026, 11, 1)
NOVEMBER_MINUTES = 30 * 24 * 60

# No timing here: deadline=None keeps hypothesis from judging speed.
PROPERTY = settings(max_examples=150, deadline=None)


@st.composite
def contracts(draw: st.DrawFn) -> Customer:
    """A contract of 1 to 6 servers, some starting or ending around November 2026."""
    servers: dict[str, tuple[str, date, date | None]] = {}
    for i in range(draw(st.integers(1, 6))):
        since = draw(st.dates(date(2026, 9, 1), date(2026, 12, 31)))
        until = draw(st.none() | st.dates(since, date(2027, 3, 31)))
        servers[f"s{i}"] = (draw(st.sampled_from("ABC")), since, until)
    flat = draw(st.none() | st.decimals(min_value=0, max_value=2000, places=2))
    return customer(
        servers,
        refund_scope=draw(st.sampled_from(["server", "contract"])),
        discount=draw(st.sampled_from(["0", "0.10", "0.125", "0.3333"])),
        flat_fee=None if flat is None else str(flat),
    )


@st.composite
def rate_cards(draw: st.DrawFn) -> Rates:
    """The offer's rates, or odd ones that make rounding matter."""
    return replace(
        RATES,
        business_hours=draw(st.sampled_from([D("20.00"), D("0.75375"), D("19.99")])),
        outside=draw(st.sampled_from([D("35.00"), D("46.505")])),
        outside_minimum_quarters=draw(st.integers(1, 4)),
        out_of_contract_minimum_quarters=draw(st.integers(4, 6)),
        vat=draw(st.sampled_from([D("0.21"), D("0.06"), D("0.205")])),
    )


work_entries = st.lists(
    st.tuples(st.integers(0, 240), st.sampled_from(CATEGORIES)), min_size=0, max_size=4
)


@st.composite
def month_tickets(draw: st.DrawFn, acme: Customer) -> list[BillableTicket]:
    """Up to 12 November tickets on the contract's servers, no server, or a host outside it."""
    tickets = []
    for i in range(draw(st.integers(0, 12))):
        server = draw(st.sampled_from([*acme.servers, None, "nas"]))
        level: str | None
        if server == "nas" or draw(st.integers(0, 9)) == 0:
            level = None  # out of contract (R9)
        elif server is None:
            level = draw(st.sampled_from("ABC"))
        else:
            level = acme.servers[server].level
        at = NOVEMBER_START + timedelta(minutes=draw(st.integers(0, NOVEMBER_MINUTES - 1)))
        work = tuple(WorkEntry(at, m, "alice", c) for m, c in draw(work_entries))
        tickets.append(
            BillableTicket(
                id=i + 1,
                customer="acme",
                server=server,
                kind="request" if server is None else "incident",
                subject=f"ticket {i + 1}",
                reference_at=at,
                business_hours=draw(st.booleans()),
                level=level,
                express=draw(st.booleans()),
                breached=draw(st.booleans()),
                work=work,
            )
        )
    return tickets


@st.composite
def months(draw: st.DrawFn) -> tuple[Customer, list[BillableTicket], Rates]:
    acme = draw(contracts())
    return acme, draw(month_tickets(acme)), draw(rate_cards())


def statement(acme: Customer, tickets: list[BillableTicket], rates: Rates) -> Document:
    return monthly_statement(acme, "acme", 2026, 11, tickets, LEVELS, rates, tz=TZ)


def assert_totals(document: Document) -> None:
    assert document.subtotal == sum((line.amount for line in document.lines), D("0"))
    assert document.vat == cents(document.subtotal * document.vat_rate)
    assert abs(document.vat - document.subtotal * document.vat_rate) <= D("0.005")
    assert document.total == document.subtotal + document.vat
    for amount in (document.subtotal, document.vat, document.total):
        assert amount == amount.quantize(D("0.01"))


@PROPERTY
@given(months())
def test_r13_a_total_is_the_sum_of_its_lines_plus_vat(
    month: tuple[Customer, list[BillableTicket], Rates],
) -> None:
    acme, tickets, rates = month
    document = statement(acme, tickets, rates)
    assert_totals(document)
    for line in document.lines:
        assert line.amount == line.amount.quantize(D("0.01"))  # R13: to the cent per line
        if line.kind == "work":
            assert line.amount == cents((line.quarters - line.free_quarters) * line.rate)
    assert_totals(quarterly_invoice(acme, 2026, 4, LEVELS, rates))


@PROPERTY
@given(months())
def test_r8_free_quarters_never_exceed_the_allowance_nor_the_billable_quarters(
    month: tuple[Customer, list[BillableTicket], Rates],
) -> None:
    acme, tickets, rates = month
    used: dict[str, int] = defaultdict(int)
    billable: dict[str, int] = defaultdict(int)
    for line in statement(acme, tickets, rates).lines:
        assert 0 <= line.free_quarters <= line.quarters
        if line.kind != "work":
            continue
        ticket = next(t for t in tickets if t.id == line.ticket)
        if line.server is None or ticket.level is None:
            assert line.free_quarters == 0  # R8 per server; R9 no free quarter
            continue
        used[line.server] += line.free_quarters
        billable[line.server] += line.quarters
    for server, free in used.items():
        allowance = LEVELS[acme.servers[server].level].free_quarters
        # Never more than the allowance, and as many as there was billable work for.
        assert free == min(allowance, billable[server])


@PROPERTY
@given(
    months(),
    st.integers(0, 11),
    st.integers(0, 240),
    st.sampled_from(CATEGORIES),
)
def test_r7_r8_adding_work_never_lowers_a_bill(
    month: tuple[Customer, list[BillableTicket], Rates],
    which: int,
    minutes: int,
    category: WorkCategory,
) -> None:
    acme, tickets, rates = month
    if not tickets:
        return
    before = statement(acme, tickets, rates)
    target = tickets[which % len(tickets)]
    entry = WorkEntry(target.reference_at, minutes, "bob", category)
    more = [replace(t, work=(*t.work, entry)) if t is target else t for t in tickets]
    after = statement(acme, more, rates)
    assert after.subtotal >= before.subtotal
    assert after.total >= before.total
    if category == "update":  # R6: included, never billed
        assert after.subtotal == before.subtotal


@PROPERTY
@given(months())
def test_r5_a_refund_never_exceeds_the_months_fees(
    month: tuple[Customer, list[BillableTicket], Rates],
) -> None:
    acme, tickets, rates = month
    fees = {entry.server.name: entry.fee for entry in monthly_fees(acme, 2026, 11, LEVELS)}
    refunds = [ln for ln in statement(acme, tickets, rates).lines if ln.kind == "refund"]
    refunded = [ln.server for ln in refunds]
    assert len(refunded) == len(set(refunded))  # at most one refund per server per month
    for line in refunds:
        assert line.server is not None
        assert D("0") < -line.amount <= fees[line.server]
    # What November was invoiced (R12) bounds what November can refund (R5).
    invoice = quarterly_invoice(acme, 2026, 4, LEVELS, rates)
    november = [ln for ln in invoice.lines if ln.description.startswith("2026-11")]
    invoiced = sum((ln.amount for ln in november), D(0))
    assert invoiced == sum(fees.values(), D(0))
    assert -sum((ln.amount for ln in refunds), D(0)) <= invoiced
    breached = any(t.breached and t.level is not None for t in tickets)
    if acme.refund_scope == "contract" and breached:
        assert -sum((ln.amount for ln in refunds), D(0)) == invoiced


@PROPERTY
@given(
    st.integers(0, 2000),
    st.integers(0, 200),
    st.booleans(),
    st.booleans(),
    rate_cards(),
)
def test_r7_r9_quarters_grow_with_minutes_and_cover_them(
    minutes: int, more: int, business_hours: bool, under_contract: bool, rates: Rates
) -> None:
    quarters = billable_quarters(minutes, business_hours, under_contract, rates)
    assert quarters * 15 >= minutes
    assert billable_quarters(minutes + more, business_hours, under_contract, rates) >= quarters
    if minutes > 0 and not under_contract:
        assert quarters >= rates.out_of_contract_minimum_quarters
