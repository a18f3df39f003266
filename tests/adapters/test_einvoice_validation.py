"""Every document Vigie writes passes the three validation layers (UBL 2.1 schema, the
official CEN EN 16931 rules, the Peppol BIS rules), for any quarter of contracts and any
month of tickets, with the totals of the statement or invoice to the cent; and a broken
document is refused with its rule ids."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bridge.adapters.einvoice_validation import Validator
from bridge.adapters.peppol_rules import NS
from bridge.adapters.ubl import write_ubl
from bridge.domain.billing import Document
from bridge.domain.contract import Customer, Rates
from bridge.domain.einvoice import EInvoiceError, document_vat_rate, to_einvoice
from bridge.domain.fees import quarterly_invoice
from bridge.domain.parties import Buyer
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ
from tests.domain.test_properties import contracts, month_tickets, rate_cards
from tests.einvoice_parties import BELGIAN, DUTCH_SPEAKING, FRENCH, SELLER
from tests.offer import LEVELS

D = Decimal
ISSUED = date(2027, 1, 4)
# Each example is validated once (10 to 20 ms); bounded so the suite stays quick.
PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
buyers = st.sampled_from([BELGIAN, FRENCH, DUTCH_SPEAKING])


def for_buyer(rates: Rates, buyer: Buyer) -> Rates:
    return replace(rates, vat=document_vat_rate(SELLER, buyer, rates.vat))


def check_document(validator: Validator, document: Document, buyer: Buyer) -> None:
    """The e-invoice of ``document`` is valid and says its totals, signed for its type."""
    try:
        invoice = to_einvoice(document, SELLER, buyer, "2027-000001", ISSUED)
    except EInvoiceError:
        assert not document.lines  # the only document that is not an e-invoice
        return
    ubl = write_ubl(invoice)
    report = validator.validate(ubl)
    assert report.valid, report.format()
    sign = D(-1) if document.total < 0 else D(1)
    assert (invoice.type == "credit-note") == (document.total < 0)
    root = etree.fromstring(ubl)
    totals = {
        name: D(root.findtext(f"cac:LegalMonetaryTotal/cbc:{name}", namespaces=NS))
        for name in ("LineExtensionAmount", "TaxExclusiveAmount", "PayableAmount")
    }
    tax = D(root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS))
    assert totals["LineExtensionAmount"] == sign * document.subtotal
    assert totals["TaxExclusiveAmount"] == sign * document.subtotal
    assert tax == sign * document.vat
    assert totals["PayableAmount"] == sign * document.total
    line_name = "cac:CreditNoteLine" if invoice.type == "credit-note" else "cac:InvoiceLine"
    assert len(root.findall(line_name, namespaces=NS)) == len(document.lines)


@PROPERTY
@given(acme=contracts(), rates=rate_cards(), buyer=buyers, data=st.data())
def test_any_quarter_of_contracts_is_a_valid_invoice(
    validator: Validator, acme: Customer, rates: Rates, buyer: Buyer, data: st.DataObject
) -> None:
    year, quarter = data.draw(st.sampled_from([(2026, 3), (2026, 4), (2027, 1)]))
    document = quarterly_invoice(acme, year, quarter, LEVELS, for_buyer(rates, buyer))
    check_document(validator, document, buyer)


@PROPERTY
@given(acme=contracts(), rates=rate_cards(), buyer=buyers, data=st.data())
def test_any_month_of_tickets_is_a_valid_invoice_or_credit_note(
    validator: Validator, acme: Customer, rates: Rates, buyer: Buyer, data: st.DataObject
) -> None:
    tickets = data.draw(month_tickets(acme))
    document = monthly_statement(
        acme, "acme", 2026, 11, tickets, LEVELS, for_buyer(rates, buyer), tz=TZ
    )
    check_document(validator, document, buyer)


def good_invoice() -> bytes:
    from tests.domain.test_einvoice import FIVE_SERVERS
    from tests.offer import RATES

    document = quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, RATES)
    return write_ubl(to_einvoice(document, SELLER, BELGIAN, "2026-000001", ISSUED))


def broken(edit: str, value: str | None) -> bytes:
    root = etree.fromstring(good_invoice())
    element = root.find(edit, namespaces=NS)
    assert element is not None
    if value is None:
        element.getparent().remove(element)
    else:
        element.text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@pytest.mark.parametrize(
    ("edit", "value", "rule"),
    [
        ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "99.00", "BR-CO-15"),
        ("cac:InvoiceLine/cbc:LineExtensionAmount", "71.00", "BR-CO-10"),
        ("cac:TaxTotal/cbc:TaxAmount", "1.00", "BR-CO-14"),
        ("cbc:BuyerReference", None, "PEPPOL-EN16931-R003"),
        ("cbc:ProfileID", "urn:example:billing", "PEPPOL-EN16931-R007"),
        ("cbc:CustomizationID", "urn:cen.eu:en16931:2017", "PEPPOL-EN16931-R004"),
        (
            "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID",
            "0123456748",
            "PEPPOL-COMMON-R043",
        ),
        ("cac:InvoiceLine/cac:Price/cbc:PriceAmount", "69.00", "PEPPOL-EN16931-R120"),
        ("cbc:IssueDate", "2 January 2026", "XSD"),
    ],
)
def test_a_broken_document_is_refused_with_its_rule(
    validator: Validator, edit: str, value: str | None, rule: str
) -> None:
    report = validator.validate(broken(edit, value))
    assert not report.valid
    assert rule in {finding.id for finding in report.findings}, report.format()


def test_the_vigie_documents_are_valid(validator: Validator) -> None:
    report = validator.validate(good_invoice())
    assert report.valid, report.format()
    assert validator.validate(b"<Invoice>").findings[0].id == "XML"
    assert validator.validate(b"<Order/>").findings[0].id == "UBL-ROOT"


def _kit() -> Path:
    """The reference documents beside the project (``EINVOICE_KIT`` says where else)."""
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("EINVOICE_KIT", root.parent / "shared" / "einvoice"))


# The reference results cover the schema and CEN layers; Vigie's Peppol layer adds R120 to
# the line whose amount no longer equals its quantity times its price.
KIT_EXPECTED = {
    "base-creditnote-correction_bad-line-amount.xml": {
        "BR-CO-10",
        "BR-S-08",
        "PEPPOL-EN16931-R120",
    },
    "base-example_inconsistent-totals.xml": {"BR-CO-15"},
    "base-example_xsd-element-order.xml": {"XSD"},
    "base-example_no-buyer-reference.xml": {"PEPPOL-EN16931-R003"},
}


@pytest.mark.skipif(not (_kit() / "examples").is_dir(), reason="no reference documents")
def test_the_official_examples_pass_and_the_broken_ones_fail_as_documented(
    validator: Validator,
) -> None:
    good = sorted((_kit() / "examples" / "good").glob("*.xml"))
    assert len(good) == 9
    for path in good:
        report = validator.validate(path.read_bytes())
        assert report.valid, f"{path.name}: {report.format()}"
    for name, rules in KIT_EXPECTED.items():
        report = validator.validate((_kit() / "examples" / "bad" / name).read_bytes())
        assert {finding.id for finding in report.findings} == rules, report.format()


@pytest.mark.skipif(not (_kit() / "validate.py").is_file(), reason="no reference validator")
def test_the_reference_validator_accepts_the_hand_computed_documents(tmp_path: Path) -> None:
    """An independent check of layers 1 and 2: the reference script, on its own."""
    import subprocess
    import sys

    from tests.domain.builders import customer, local, ticket
    from tests.domain.test_einvoice import FIVE_SERVERS
    from tests.offer import RATES

    acme = customer({"web01": ("B", date(2026, 1, 1), None)})
    breached = ticket(7, local(2026, 3, 10, 10), minutes=(75,), breached=True)
    documents = {
        "belgian": (quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, RATES), BELGIAN),
        "french": (
            quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, for_buyer(RATES, FRENCH)),
            FRENCH,
        ),
        "credit": (
            monthly_statement(acme, "acme", 2026, 3, [breached], LEVELS, RATES, tz=TZ),
            BELGIAN,
        ),
    }
    files = []
    for name, (document, buyer) in documents.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(write_ubl(to_einvoice(document, SELLER, buyer, "2026-000001", ISSUED)))
        files.append(str(path))
    result = subprocess.run(
        [sys.executable, str(_kit() / "validate.py"), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": VALID") == 3
