"""``--format ubl|pdf``, ``vigie issue`` and ``vigie issued`` on the embedded store: drafts,
gapless numbers, documents reproduced byte for byte, corrections as credit notes, refusals
that issue nothing. The documents' rules are tested in tests/domain and tests/adapters."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from bridge.adapters.einvoice_validation import Validator
from bridge.adapters.peppol_rules import NS
from tests.einvoice_parties import FRENCH_BILLING
from tests.vigie_command import VIGIE, Run, assert_one_line_error, clean_env

NUMBER = re.compile(r"\d{4}-\d{6}")


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def run_bytes(config_file: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``vigie`` with its standard output as bytes (UBL is compared byte for byte)."""
    return subprocess.run(
        [VIGIE, "--config", str(config_file), *args],
        capture_output=True,
        env=clean_env(XDG_CACHE_HOME=str(config_file.parent / "cache")),
        timeout=60,
        check=False,
    )


def issued_rows(config_file: Path) -> list[tuple[Any, ...]]:
    store = config_file.parent / "vigie.db"
    if not store.exists():
        return []
    db = sqlite3.connect(store)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "issued_documents" not in tables:
            return []
        return db.execute(
            "SELECT number, type, source, customer, period, corrects FROM issued_documents "
            "ORDER BY year, sequence"
        ).fetchall()
    finally:
        db.close()


def edit_config(config_file: Path, change: Any) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    change(data)
    config_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def root_of(ubl: bytes) -> Any:
    return etree.fromstring(ubl)


def test_a_draft_is_valid_and_numbered_draft(config_file: Path, validator: Validator) -> None:
    result = run_bytes(
        config_file, "invoice", "--customer", "acme", "--quarter", "2026-Q4", "--format", "ubl"
    )
    assert result.returncode == 0, result.stderr
    report = validator.validate(result.stdout)
    assert report.valid, report.format()
    root = root_of(result.stdout)
    assert root.findtext("cbc:ID", namespaces=NS) == "DRAFT"
    # R12: 70 + 140 + 210 for three months, 21 % VAT: as `vigie invoice --format json` says.
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "1524.60"
    assert issued_rows(config_file) == []  # a draft is not issued


def test_issuing_numbers_stores_and_reproduces_byte_for_byte(
    config_file: Path, validator: Validator
) -> None:
    first = run_bytes(config_file, "issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4")
    assert first.returncode == 0, first.stderr
    number = root_of(first.stdout).findtext("cbc:ID", namespaces=NS)
    assert number is not None and NUMBER.fullmatch(number)
    assert number.endswith("-000001")
    assert f"issued {number}" in first.stderr.decode()
    assert validator.validate(first.stdout).valid
    # Issued again, or asked for by its number: the very same bytes, no new number.
    again = run_bytes(config_file, "issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4")
    assert again.returncode == 0 and again.stdout == first.stdout
    assert f"already issued {number}" in again.stderr.decode()
    assert run_bytes(config_file, "issued", number).stdout == first.stdout
    # Changed data does not change an issued invoice: the difference is a new document.
    edit_config(config_file, lambda d: d["levels"]["A"].update(fee=80))
    raised = run_bytes(
        config_file, "issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4"
    )
    assert raised.returncode == 0, raised.stderr
    assert run_bytes(config_file, "issued", number).stdout == first.stdout
    correction = root_of(raised.stdout)
    assert correction.tag.endswith("}Invoice")
    assert (
        correction.findtext(
            "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS
        )
        == number
    )
    # mail01 at 80 instead of 70 for three months: +30.00, +6.30 VAT.
    assert correction.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "36.30"
    assert validator.validate(raised.stdout).valid
    assert [row[0][-6:] for row in issued_rows(config_file)] == ["000001", "000002"]


def test_a_refund_asked_after_the_statement_was_issued_is_a_credit_note(
    vigie: Run, config_file: Path, validator: Validator
) -> None:
    vigie(
        "open",
        "--customer",
        "acme",
        "--server",
        "web01",
        "--subject",
        "cert",
        "--at",
        "2026-11-23T10:00:00",
    )
    vigie("take", "1", "--by", "bob", "--at", "2026-11-23T10:30:00")
    vigie("log", "1", "--minutes", "90", "--by", "bob", "--at", "2026-11-23T11:00:00")
    invoice = run_bytes(
        config_file, "issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4"
    )
    statement = run_bytes(
        config_file, "issue", "statement", "--customer", "acme", "--month", "2026-11"
    )
    assert statement.returncode == 0, statement.stderr
    # 6 quarters, 2 free on level B: 4 x 20.00 = 80.00 + 21 %.
    assert (
        root_of(statement.stdout).findtext(
            "cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS
        )
        == "96.80"
    )
    # Then a breach is found in the month: taken over 5 h after a level B problem (4 h).
    vigie(
        "open",
        "--customer",
        "acme",
        "--server",
        "web01",
        "--subject",
        "down",
        "--at",
        "2026-11-24T10:00:00",
    )
    vigie("take", "2", "--by", "bob", "--at", "2026-11-24T15:00:00")
    note = run_bytes(config_file, "issue", "statement", "--customer", "acme", "--month", "2026-11")
    assert note.returncode == 0, note.stderr
    assert validator.validate(note.stdout).valid
    root = root_of(note.stdout)
    assert root.tag.endswith("}CreditNote")
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    first = root_of(statement.stdout).findtext("cbc:ID", namespaces=NS)
    assert (
        root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS)
        == first
    )
    (line,) = root.findall("cac:CreditNoteLine", namespaces=NS)
    assert line.findtext("cbc:CreditedQuantity", namespaces=NS) == "1"
    assert line.findtext("cbc:LineExtensionAmount", namespaces=NS) == "140.00"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "169.40"
    kinds = [(row[1], row[2], row[5] is not None) for row in issued_rows(config_file)]
    assert kinds == [
        ("invoice", "invoice", False),
        ("invoice", "statement", False),
        ("credit-note", "statement", True),
    ]
    assert invoice.returncode == 0


def test_a_month_whose_refund_exceeds_its_work_refers_to_the_quarters_invoice(
    vigie: Run, config_file: Path, validator: Validator
) -> None:
    invoice = run_bytes(
        config_file, "issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4"
    )
    vigie(
        "open",
        "--customer",
        "acme",
        "--server",
        "web01",
        "--subject",
        "down",
        "--at",
        "2026-11-24T10:00:00",
    )
    vigie("take", "1", "--by", "bob", "--at", "2026-11-24T15:00:00")
    note = run_bytes(config_file, "issue", "statement", "--customer", "acme", "--month", "2026-11")
    assert note.returncode == 0, note.stderr
    root = root_of(note.stdout)
    assert root.tag.endswith("}CreditNote")
    assert root.findtext(
        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS
    ) == root_of(invoice.stdout).findtext("cbc:ID", namespaces=NS)
    assert validator.validate(note.stdout).valid


def test_a_french_customer_gets_reverse_charge(config_file: Path, validator: Validator) -> None:
    def add_dupont(data: Any) -> None:
        data["customers"]["dupont"] = {
            "name": "Dupont",
            "billing": FRENCH_BILLING,
            "servers": {"paris01": {"level": "B", "since": "2026-01-01"}},
        }

    edit_config(config_file, add_dupont)
    result = run_bytes(
        config_file, "issue", "invoice", "--customer", "dupont", "--quarter", "2026-Q4"
    )
    assert result.returncode == 0, result.stderr
    assert validator.validate(result.stdout).valid
    root = root_of(result.stdout)
    assert (
        root.findtext("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", namespaces=NS) == "AE"
    )
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "420.00"
    assert (
        root.findtext("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)
        == "FR40303265045"
    )
    # The table says the same: no Belgian VAT under reverse charge.
    table = run_bytes(config_file, "invoice", "--customer", "dupont", "--quarter", "2026-Q4")
    assert b"VAT 0%" in table.stdout and b"420.00" in table.stdout


def test_the_pdf_renders(config_file: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "invoice.pdf"
    result = run_bytes(
        config_file,
        "issue",
        "invoice",
        "--customer",
        "acme",
        "--quarter",
        "2026-Q4",
        "--format",
        "pdf",
        "--output",
        str(pdf),
    )
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    number = issued_rows(config_file)[0][0]
    assert f"Facture {number}" in text  # acme's billing language is fr
    assert "1 524.60" in text
    draft = tmp_path / "draft.pdf"
    result = run_bytes(
        config_file, "statement", "--customer", "acme", "--month", "2026-11", "--format", "pdf"
    )
    assert_one_line_error(
        subprocess.CompletedProcess(result.args, result.returncode, "", result.stderr.decode()),
        2,
        "--output",
    )
    assert not draft.exists()


def test_all_customers_go_to_a_folder(config_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    result = run_bytes(
        config_file, "issue", "invoice", "--all", "--quarter", "2026-Q4", "--output", str(folder)
    )
    assert result.returncode == 0, result.stderr
    # acme only: bakery has no billing: key and is left out of --all.
    assert sorted(p.name for p in folder.iterdir()) == [f"{issued_rows(config_file)[0][0]}.xml"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda d: d["customers"]["acme"]["billing"].pop("vat"),
            ["customers.acme.billing.vat", "required"],
        ),
        (
            lambda d: d["customers"]["acme"]["billing"]["address"].update(country="XX"),
            ["customers.acme.billing.address.country", "unknown country"],
        ),
        (lambda d: d["provider"].update(iban="BE69539007547034"), ["provider.iban", "mod-97"]),
        (lambda d: d.pop("provider"), ["provider", "required"]),
    ],
)
def test_broken_billing_is_refused_naming_the_key_and_nothing_is_issued(
    vigie: Run, config_file: Path, change: Any, words: list[str]
) -> None:
    edit_config(config_file, change)
    checked = vigie("check-config")
    assert checked.returncode == 2
    assert all(word in checked.stderr for word in words), checked.stderr
    result = vigie("issue", "invoice", "--customer", "acme", "--quarter", "2026-Q4")
    assert_one_line_error(result, 2, *words)
    assert issued_rows(config_file) == []


def test_a_customer_without_billing_cannot_be_issued(vigie: Run, config_file: Path) -> None:
    result = vigie("issue", "invoice", "--customer", "bakery", "--quarter", "2026-Q4")
    assert_one_line_error(result, 2, "customers.bakery.billing: required")
    assert issued_rows(config_file) == []
    assert_one_line_error(vigie("issued", "2026-000001"), 2, "no document was issued")


@pytest.mark.slow
def test_concurrent_issues_never_share_or_skip_a_number(config_file: Path) -> None:
    """Eight processes at once, two per quarter: four numbers, 1 to 4, each quarter once."""
    quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] * 2
    processes = [
        subprocess.Popen(
            [
                VIGIE,
                "--config",
                str(config_file),
                "issue",
                "invoice",
                "--customer",
                "acme",
                "--quarter",
                quarter,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(XDG_CACHE_HOME=str(config_file.parent / "cache")),
        )
        for quarter in quarters
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    numbers = [root_of(out).findtext("cbc:ID", namespaces=NS) for out, _ in outputs]
    rows = issued_rows(config_file)
    assert [row[0][-6:] for row in rows] == ["000001", "000002", "000003", "000004"]
    assert sorted(row[4] for row in rows) == sorted(set(quarters))
    by_quarter = {row[4]: row[0] for row in rows}
    assert numbers == [by_quarter[q] for q in quarters]  # both processes print the same
