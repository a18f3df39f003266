"""The quarterly advance invoice (R12), totals checked by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bridge.domain.billing import BillingError, quarter_months
from bridge.domain.fees import quarterly_invoice
from tests.domain.builders import customer
from tests.offer import LEVELS, RATES

D = Decimal


def test_a_server_that_ends_mid_quarter_and_one_that_starts_mid_quarter() -> None:
    # R12: whole months from the start month to the end month. web01 ends on 15 November:
    # billed October and November. app01 starts on 20 November: billed November and December.
    acme = customer(
        {
            "web01": ("B", date(2026, 1, 1), date(2026, 11, 15)),
            "db01": ("C", date(2026, 1, 1), None),
            "app01": ("A", date(2026, 11, 20), None),
        }
    )
    invoice = quarterly_invoice(acme, 2026, 4, LEVELS, RATES)
    assert [(ln.kind, ln.server, ln.rate, ln.amount) for ln in invoice.lines] == [
        # Each month by start date, then name (db01 before web01, both since 1 January).
        ("fee", "db01", D("210.00"), D("210.00")),
        ("fee", "web01", D("140.00"), D("140.00")),
        ("fee", "db01", D("210.00"), D("210.00")),
        ("fee", "web01", D("140.00"), D("140.00")),
        ("fee", "app01", D("70.00"), D("70.00")),
        ("fee", "db01", D("210.00"), D("210.00")),
        ("fee", "app01", D("70.00"), D("70.00")),
    ]
    assert [ln.description for ln in invoice.lines][:2] == [
        "2026-10 db01 level C",
        "2026-10 web01 level B",
    ]
    # October 350 + November 420 + December 280 = 1050.00; VAT 220.50; total 1270.50
    assert (invoice.subtotal, invoice.vat, invoice.total) == (
        D("1050.00"),
        D("220.50"),
        D("1270.50"),
    )
    assert (invoice.kind, invoice.period, invoice.customer) == ("invoice", "2026-Q4", "acme")


def test_five_servers_and_a_discount_counted_per_month() -> None:
    # R12: from the 4th server on, 10% off; order by start date, then name ("aaa" starts
    # last, so it is the 5th although its name sorts first). s1 ends in October: from
    # November on, "aaa" is the 4th, still discounted, and s4 is the 3rd, at full price.
    acme = customer(
        {
            "s1": ("A", date(2026, 1, 1), date(2026, 10, 31)),
            "s2": ("A", date(2026, 2, 1), None),
            "s3": ("B", date(2026, 3, 1), None),
            "s4": ("C", date(2026, 4, 1), None),
            "aaa": ("C", date(2026, 5, 1), None),
        },
        discount="0.10",
    )
    invoice = quarterly_invoice(acme, 2026, 4, LEVELS, RATES)
    got = [(ln.description, ln.rate, ln.amount) for ln in invoice.lines]
    assert got == [
        ("2026-10 s1 level A", D("70.00"), D("70.00")),
        ("2026-10 s2 level A", D("70.00"), D("70.00")),
        ("2026-10 s3 level B", D("140.00"), D("140.00")),
        ("2026-10 s4 level C, server 4: -10%", D("210.00"), D("189.00")),
        ("2026-10 aaa level C, server 5: -10%", D("210.00"), D("189.00")),
        ("2026-11 s2 level A", D("70.00"), D("70.00")),
        ("2026-11 s3 level B", D("140.00"), D("140.00")),
        ("2026-11 s4 level C", D("210.00"), D("210.00")),
        ("2026-11 aaa level C, server 4: -10%", D("210.00"), D("189.00")),
        ("2026-12 s2 level A", D("70.00"), D("70.00")),
        ("2026-12 s3 level B", D("140.00"), D("140.00")),
        ("2026-12 s4 level C", D("210.00"), D("210.00")),
        ("2026-12 aaa level C, server 4: -10%", D("210.00"), D("189.00")),
    ]
    # October 70+70+140+189+189 = 658; November and December 70+140+210+189 = 609 each.
    # 658 + 609 + 609 = 1876.00; VAT 393.96; total 2269.96
    assert (invoice.subtotal, invoice.vat, invoice.total) == (
        D("1876.00"),
        D("393.96"),
        D("2269.96"),
    )


def test_a_discount_rounds_to_the_cent_half_up() -> None:
    # R12/R13: 12.5% off 70 = 61.25; 7.5% off 70 = 64.75; 0.05% off 70 = 69.965 exactly,
    # half up 69.97 (half even would give 69.96).
    servers = {f"s{i}": ("A", date(2026, 1, i), None) for i in range(1, 5)}
    for discount, fee in (("0.125", "61.25"), ("0.075", "64.75"), ("0.0005", "69.97")):
        invoice = quarterly_invoice(customer(servers, discount=discount), 2026, 1, LEVELS, RATES)
        assert invoice.lines[3].amount == D(fee), discount


def test_a_flat_fee_replaces_the_server_fees() -> None:
    # R12: a flat monthly fee of 500 replaces the per-server fees, whatever the number of
    # servers and the discount; one line per month with at least one server under contract.
    acme = customer(
        {
            "web01": ("B", date(2026, 1, 1), None),
            "db01": ("C", date(2026, 12, 10), None),
        },
        discount="0.10",
        flat_fee="500",
    )
    invoice = quarterly_invoice(acme, 2026, 4, LEVELS, RATES)
    assert [(ln.kind, ln.server, ln.description, ln.amount) for ln in invoice.lines] == [
        ("fee", None, "2026-10 flat fee (web01)", D("500.00")),
        ("fee", None, "2026-11 flat fee (web01)", D("500.00")),
        ("fee", None, "2026-12 flat fee (web01, db01)", D("500.00")),
    ]
    # 3 x 500 = 1500.00; VAT 315.00; total 1815.00
    assert (invoice.subtotal, invoice.vat, invoice.total) == (
        D("1500.00"),
        D("315.00"),
        D("1815.00"),
    )


def test_no_server_under_contract_no_fee() -> None:
    # R12: a flat fee is not due for months with no server under contract; an ended contract
    # gives an empty invoice.
    ended = customer({"web01": ("B", date(2025, 1, 1), date(2026, 6, 30))}, flat_fee="500")
    invoice = quarterly_invoice(ended, 2026, 4, LEVELS, RATES)
    assert invoice.lines == ()
    assert invoice.total == D("0.00")
    # ...but the quarter in which it ends still has its months.
    assert len(quarterly_invoice(ended, 2026, 2, LEVELS, RATES).lines) == 3


@pytest.mark.parametrize(
    ("quarter", "months"),
    [(1, (1, 2, 3)), (2, (4, 5, 6)), (3, (7, 8, 9)), (4, (10, 11, 12))],
)
def test_quarter_months(quarter: int, months: tuple[int, ...]) -> None:
    # R12: calendar quarters.
    assert quarter_months(2026, quarter) == tuple((2026, m) for m in months)


def test_quarter_out_of_range() -> None:
    with pytest.raises(BillingError, match="quarter: must be 1 to 4, got 5"):
        quarter_months(2026, 5)
