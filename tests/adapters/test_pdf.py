"""The PDF of an e-invoice renders (poppler's pdftotext and pdftoppm read it) and says the
lines, totals and VAT mentions in the customer's language."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.adapters.pdf import render_pdf
from bridge.domain.einvoice import EInvoice, to_einvoice
from bridge.domain.fees import quarterly_invoice
from bridge.domain.parties import Buyer
from bridge.domain.statement import monthly_statement
from tests.domain.builders import TZ, customer, local, ticket
from tests.domain.test_einvoice import FIVE_SERVERS
from tests.einvoice_parties import BELGIAN, DUTCH_SPEAKING, FRENCH, SELLER
from tests.offer import LEVELS, RATES

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils (tools/install-deps)"
)


def text_of(pdf: bytes, folder: Path) -> str:
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def invoice_for(buyer: Buyer) -> EInvoice:
    rates = RATES if buyer.address.country == "BE" else replace(RATES, vat=Decimal(0))
    document = quarterly_invoice(FIVE_SERVERS, 2026, 2, LEVELS, rates)
    return to_einvoice(document, SELLER, buyer, "2026-000001", date(2026, 4, 2))


@pytest.mark.parametrize(
    ("buyer", "words"),
    [
        (BELGIAN, ["Facture 2026-000001", "Échéance: 2026-05-02", "Total HTVA", "Total TVAC"]),
        (DUTCH_SPEAKING, ["Factuur 2026-000001", "Vervaldatum", "Totaal incl. btw", "Btw S 21%"]),
        (replace(BELGIAN, language="en"), ["Invoice 2026-000001", "Total incl. VAT"]),
    ],
)
def test_the_invoice_pdf_speaks_the_customers_language(
    tmp_path: Path, buyer: Buyer, words: list[str]
) -> None:
    text = text_of(render_pdf(invoice_for(buyer)), tmp_path)
    for word in words:
        assert word in text
    # Every line, the 4th-server discount, the totals and how to pay.
    assert "2026-06 s5 level A, server 5: -10%" in text
    assert "1 827.00" in text and "383.67" in text and "2 210.67" in text
    assert "BE68539007547034" in text


def test_reverse_charge_carries_its_legal_mention(tmp_path: Path) -> None:
    text = text_of(render_pdf(invoice_for(FRENCH)), tmp_path)
    assert "TVA AE 0%" in text
    assert "Autoliquidation : TVA due par le preneur (article 196" in text
    assert "Total TVAC 1 827.00" in text


def test_a_credit_note_pdf_and_its_image(tmp_path: Path) -> None:
    acme = customer({"web01": ("B", date(2026, 1, 1), None)})
    breached = ticket(7, local(2026, 3, 10, 10), minutes=(75,), breached=True)
    document = monthly_statement(acme, "acme", 2026, 3, [breached], LEVELS, RATES, tz=TZ)
    note = to_einvoice(document, SELLER, BELGIAN, "2026-000004", date(2026, 4, 2), "2026-000001")
    pdf = render_pdf(note)
    assert pdf == render_pdf(note)  # the same document, the same bytes
    text = text_of(pdf, tmp_path)
    assert "Note de crédit 2026-000004" in text
    assert "Corrige la facture: 2026-000001" in text
    assert "Remboursement SLA" in text and "Total TVAC 96.80" in text
    result = subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-singlefile",
            str(tmp_path / "document.pdf"),
            str(tmp_path / "page"),
        ],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
