"""Renderers (R13): the JSON fields, CSV that parses back, a table that shows the totals."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from bridge.domain.billing import Document
from bridge.domain.fees import quarterly_invoice
from bridge.domain.sla_report import SlaRow
from bridge.domain.statement import monthly_statement
from bridge.entrypoints.documents import (
    CSV_FIELDS,
    document_csv,
    document_dict,
    document_table,
    duration,
    sla_dicts,
    sla_table,
)
from tests.domain.builders import TZ, customer, local, ticket
from tests.offer import LEVELS, RATES

D = Decimal
ACME = customer(
    {
        "web01": ("B", date(2026, 1, 1), None),
        "db01": ("C", date(2026, 1, 1), None),
        "s3": ("A", date(2026, 3, 1), None),
        "s4": ("A", date(2026, 4, 1), None),
    },
    discount="0.10",
)


def november() -> Document:
    """Work inside and outside hours, out of contract, express and a refund."""
    tickets = [
        # web01: 50 min inside -> 4 quarters, 2 free, 2 x 20 = 40.00
        ticket(1, local(2026, 11, 2, 10), minutes=(50,)),
        # web01: Saturday night, 10 min -> 2 quarters at 35 = 70.00; breached -> -140.00
        ticket(2, local(2026, 11, 7, 22), business_hours=False, minutes=(10,), breached=True),
        # A subject with a comma and quotes, out of contract: 4 x 26.67 = 106.68
        replace(
            ticket(3, local(2026, 11, 9, 10), server="nas", level=None, minutes=(5,), express=True),
            subject='disk "full", again',
        ),
    ]
    return monthly_statement(ACME, "acme", 2026, 11, tickets, LEVELS, RATES, tz=TZ)


def test_json_has_the_contract_fields_and_decimal_strings() -> None:
    document = november()
    data = json.loads(json.dumps(document_dict(document)))
    assert {"customer", "period", "kind", "subtotal", "vat", "total", "lines"} <= set(data)
    # 40 + 70 + 106.68 + 75 - 140 = 151.68; VAT 31.8528 -> 31.85; total 183.53
    assert (data["customer"], data["period"], data["kind"]) == ("acme", "2026-11", "statement")
    assert (data["subtotal"], data["vat"], data["total"]) == ("151.68", "31.85", "183.53")
    assert [line["kind"] for line in data["lines"]] == ["work", "work", "work", "express", "refund"]
    first = data["lines"][0]
    assert first == {
        "kind": "work",
        "ticket": 1,
        "server": "web01",
        "description": "#1 incident: ticket 1",
        "reference_at": "2026-11-02T09:00:00+00:00",
        "business_hours": True,
        "minutes": 50,
        "quarters": 4,
        "free_quarters": 2,
        "rate": "20.00",
        "amount": "40.00",
    }
    refund = data["lines"][-1]
    assert (refund["rate"], refund["amount"], refund["business_hours"]) == (
        "140.00",
        "-140.00",
        None,
    )
    # Times carry an explicit offset and read back as the same instant.
    moment = datetime.fromisoformat(first["reference_at"])
    assert moment.utcoffset() is not None
    assert moment == local(2026, 11, 2, 10)
    # Amounts add up as decimals, as a program reading the JSON would check them.
    assert sum(D(line["amount"]) for line in data["lines"]) == D(data["subtotal"])


def test_json_times_in_the_providers_zone_keep_their_offset() -> None:
    data = document_dict(november(), tz=TZ)
    lines = data["lines"]
    assert isinstance(lines, list)
    assert lines[0]["reference_at"] == "2026-11-02T10:00:00+01:00"


def test_csv_parses_back() -> None:
    document = november()
    text = document_csv(document)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == len(document.lines) + 3
    lines, totals = rows[:-3], rows[-3:]
    assert [row["kind"] for row in totals] == ["subtotal", "vat", "total"]
    assert [row["amount"] for row in totals] == ["151.68", "31.85", "183.53"]
    assert totals[1]["rate"] == "0.21"
    assert sum(D(row["amount"]) for row in lines) == D(totals[0]["amount"])
    assert {row["customer"] for row in rows} == {"acme"}
    assert {row["period"] for row in rows} == {"2026-11"}
    assert {row["document"] for row in rows} == {"statement"}
    # The description with a comma and quotes survives the round trip.
    assert lines[2]["description"] == '#3 incident: disk "full", again (out of contract)'
    assert [row["business_hours"] for row in lines] == ["true", "false", "true", "true", ""]
    assert lines[0]["reference_at"] == "2026-11-02T09:00:00+00:00"


def test_csv_without_header_appends_to_another_document() -> None:
    # --all: one header, then every customer's rows.
    invoice = quarterly_invoice(ACME, 2026, 4, LEVELS, RATES)
    text = document_csv(november()) + document_csv(invoice, header=False)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["document"] for row in rows].count("invoice") == len(invoice.lines) + 3
    assert rows[-1]["kind"] == "total"
    assert rows[-1]["amount"] == str(invoice.total)


def test_table_shows_every_line_and_the_totals() -> None:
    document = november()
    table = document_table(document, tz=TZ)
    text_lines = table.splitlines()
    assert text_lines[0] == "Statement 2026-11 - acme (ACME SA)"
    header = next(line for line in text_lines if line.startswith("kind"))
    body = [line for line in text_lines if line.startswith(("work", "express", "refund"))]
    assert len(body) == len(document.lines)
    # Amounts are right-aligned under the "amount" heading.
    amount_end = header.index("amount") + len("amount")
    for row, line in zip(body, document.lines, strict=True):
        amount = f" {line.amount:.2f}  "
        assert row.rindex(amount) + len(amount) - 2 == amount_end, row
        assert line.description in row
    assert "2026-11-02T10:00:00+01:00" in body[0]  # shown in the provider's zone
    assert "outside" in body[1] and "inside" in body[0]
    totals = text_lines[-3:]
    assert totals[0].split() == ["subtotal", "151.68"]
    assert totals[1].split() == ["VAT", "21%", "31.85"]
    assert totals[2].split() == ["total", "183.53"]
    # The totals end where the amount column ends.
    assert {len(line) for line in totals} == {amount_end}


def test_invoice_table_has_no_work_columns() -> None:
    invoice = quarterly_invoice(ACME, 2026, 4, LEVELS, RATES)
    table = document_table(invoice)
    header = next(line for line in table.splitlines() if line.startswith("kind"))
    assert header.split() == ["kind", "server", "rate", "amount", "description"]
    assert "2026-10 s4 level A, server 4: -10%" in table
    assert table.splitlines()[-1].split() == ["total", f"{invoice.total:.2f}"]
    # web01 140 + db01 210 + s3 70 + s4 63 = 483 a month; x 3 = 1449.00
    assert invoice.subtotal == D("1449.00")


def test_an_empty_document_says_so() -> None:
    empty = monthly_statement(ACME, "acme", 2026, 2, [], LEVELS, RATES, tz=TZ)
    assert "(no lines)" in document_table(empty)
    assert document_dict(empty)["lines"] == []
    assert [row[3] for row in csv.reader(io.StringIO(document_csv(empty)))][1:] == [
        "subtotal",
        "vat",
        "total",
    ]


def test_sla_renderers() -> None:
    rows = (
        SlaRow(
            "acme",
            "B",
            4,
            2,
            1,
            1,
            timedelta(hours=3),
            timedelta(hours=30, minutes=5),
            1,
            D("140.00"),
        ),
        SlaRow("beta", "A", 1, 0, 0, 1, None, None, 0, D("0.00")),
    )
    data = json.loads(json.dumps(sla_dicts(rows)))
    assert data[0]["median_take_over"] == "3:00:00"
    assert data[0]["worst_take_over_seconds"] == 30 * 3600 + 300
    assert data[0]["refund_amount"] == "140.00"
    assert data[1]["median_take_over"] is None
    table = sla_table(rows, "2026-11")
    assert table.splitlines()[0] == "SLA 2026-11"
    assert "30:05:00" in table and "140.00" in table
    assert duration(timedelta(seconds=59)) == "0:00:59"
