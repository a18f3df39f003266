"""Statements and invoices as EN 16931 e-invoices, computed by hand line by line (R5, R12,
R13): the Belgian 4th-server discount, French reverse charge, a refund above the month's
work as a credit note, and corrections of issued documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bridge.domain.billing import make_document
from bridge.domain.einvoice import (
    EInvoiceError,
    correction,
    document_vat_rate,
    period_bounds,
    to_einvoice,
)
from bridge.domain.fees import quarterly_invoice
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local, ticket
from tests.einvoice_parties import BELGIAN, FRENCH, SELLER
from tests.offer import LEVELS, RATES

D = Decimal
ISSUED = date(2026, 4, 2)
FIVE_SERVERS = customer(
    {
        "s1": ("A", date(2026, 1, 1), None),
        "s2": ("B", date(2026, 1, 1), None),
        "s3": ("C", date(2026, 1, 1), None),
        "s4": ("B", date(2026, 1, 1), None),
        "s5": ("A", date(2026, 1, 1), None),
    },
    discount="0.10",
)


def test_a_belgian_customer_with_five_servers_and_the_4th_server_discount() -> None:
    document = quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, RATES)
    invoice = to_einvoice(document, SELLER, BELGIAN, "2026-000001", ISSUED)
    assert invoice.type == "invoice" and invoice.type_code == "380"
    assert (invoice.period_start, invoice.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert invoice.due_date == date(2026, 5, 2)  # 30 days
    assert len(invoice.lines) == 15  # five servers, three months
    # (quantity, net price, list price, discount, amount) of April's five lines:
    april = [
        (line.quantity, line.price, line.list_price, line.discount, line.amount)
        for line in invoice.lines[:5]
    ]
    assert april == [
        (D(1), D("70.00"), None, D("0.00"), D("70.00")),
        (D(1), D("140.00"), None, D("0.00"), D("140.00")),
        (D(1), D("210.00"), None, D("0.00"), D("210.00")),
        (D(1), D("126.00"), D("140.00"), D("14.00"), D("126.00")),  # 4th: 140 - 10 %
        (D(1), D("63.00"), D("70.00"), D("7.00"), D("63.00")),  # 5th: 70 - 10 %
    ]
    assert [line.description for line in invoice.lines[3:5]] == [
        "2026-04 s4 level B, server 4: -10%",
        "2026-04 s5 level A, server 5: -10%",
    ]
    assert invoice.lines[5:10] == tuple(
        replace(line, id=str(int(line.id) + 5), description=line.description.replace("04", "05"))
        for line in invoice.lines[:5]
    )
    # 609.00 a month; VAT 21 % of 1827.00 is 383.67.
    assert (invoice.vat_category, invoice.vat_percent) == ("S", D("21.00"))
    assert (invoice.line_total, invoice.vat, invoice.total) == (
        D("1827.00"),
        D("383.67"),
        D("2210.67"),
    )
    assert (invoice.line_total, invoice.vat, invoice.total) == (
        document.subtotal,
        document.vat,
        document.total,
    )
    assert invoice.exemption_code is None


def test_a_french_customer_is_invoiced_under_reverse_charge() -> None:
    dupont = customer(
        {"web01": ("B", date(2026, 1, 1), None), "db01": ("C", date(2026, 2, 15), None)},
        id="dupont",
    )
    rate = document_vat_rate(SELLER, FRENCH, RATES.vat)
    assert rate == 0
    document = quarterly_invoice(dupont, 2026, 1, LEVELS, replace(RATES, vat=rate))
    invoice = to_einvoice(document, SELLER, FRENCH, "2026-000002", ISSUED)
    # January: web01 only (140); February and March: both (350): 840.00, no VAT.
    assert [(line.description, line.amount) for line in invoice.lines] == [
        ("2026-01 web01 level B", D("140.00")),
        ("2026-02 web01 level B", D("140.00")),
        ("2026-02 db01 level C", D("210.00")),
        ("2026-03 web01 level B", D("140.00")),
        ("2026-03 db01 level C", D("210.00")),
    ]
    assert (invoice.vat_category, invoice.vat_percent) == ("AE", D("0.00"))
    assert (invoice.line_total, invoice.vat, invoice.total) == (D("840.00"), D(0), D("840.00"))
    assert invoice.exemption_code == "VATEX-EU-AE"
    assert invoice.exemption_text is not None
    assert invoice.exemption_text.startswith("Autoliquidation")  # the buyer's language


def test_reverse_charge_with_vat_on_the_document_is_refused() -> None:
    document = quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, RATES)  # 21 % VAT
    with pytest.raises(EInvoiceError, match="reverse charge"):
        to_einvoice(document, SELLER, FRENCH, "2026-000003", ISSUED)


def test_a_refund_above_the_months_work_is_a_credit_note() -> None:
    acme = customer({"web01": ("B", date(2026, 1, 1), None)})
    # 75 min in business hours: 5 quarters, 2 free (level B), 3 x 20.00 = 60.00;
    # the breach refunds web01's March fee, 140.00: -80.00, VAT -16.80, total -96.80.
    breached = ticket(7, local(2026, 3, 10, 10), minutes=(75,), breached=True)
    document = monthly_statement(acme, "acme", 2026, 3, [breached], LEVELS, RATES, tz=TZ)
    assert document.total == D("-96.80")
    note = to_einvoice(document, SELLER, BELGIAN, "2026-000004", ISSUED, corrects="2026-000001")
    assert (note.type, note.type_code, note.corrects) == ("credit-note", "381", "2026-000001")
    work, refund = note.lines
    assert (work.kind, work.quantity, work.price, work.amount) == (
        "work",
        D(-3),
        D("20.00"),
        D("-60.00"),
    )
    assert (refund.kind, refund.quantity, refund.price, refund.amount) == (
        "refund",
        D(1),
        D("140.00"),
        D("140.00"),
    )
    assert (note.line_total, note.vat, note.total) == (D("80.00"), D("16.80"), D("96.80"))


def test_an_empty_document_is_not_an_e_invoice() -> None:
    empty = make_document("acme", "ACME", "2026-03", "statement", [], RATES.vat)
    with pytest.raises(EInvoiceError, match="nothing to invoice"):
        to_einvoice(empty, SELLER, BELGIAN, "2026-000005", ISSUED)


def test_a_refund_asked_after_the_statement_was_issued_is_the_difference() -> None:
    acme = customer({"web01": ("B", date(2026, 1, 1), None)})
    worked = ticket(7, local(2026, 3, 10, 10), minutes=(75,))
    issued = monthly_statement(acme, "acme", 2026, 3, [worked], LEVELS, RATES, tz=TZ)
    late = ticket(8, local(2026, 3, 20, 10), breached=True)
    now = monthly_statement(acme, "acme", 2026, 3, [worked, late], LEVELS, RATES, tz=TZ)
    delta = correction(issued, now)
    assert delta is not None
    assert [(line.kind, line.amount) for line in delta.lines] == [("refund", D("-140.00"))]
    note = to_einvoice(delta, SELLER, BELGIAN, "2026-000009", ISSUED, corrects="2026-000006")
    assert (note.type, note.total, note.corrects) == ("credit-note", D("169.40"), "2026-000006")
    assert correction(now, now) is None
    # A line gone since (its work moved elsewhere) is cancelled with its sign turned.
    undone = correction(now, issued)
    assert undone is not None
    assert [(line.kind, line.amount) for line in undone.lines] == [("refund", D("140.00"))]
    assert to_einvoice(undone, SELLER, BELGIAN, "X", ISSUED).lines[0].quantity == D(1)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31)),
    ],
)
def test_period_bounds(period: str, start: date, end: date) -> None:
    assert period_bounds(period) == (start, end)
