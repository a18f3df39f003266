"""An ``EInvoice`` as a PDF for people: the parties, the lines, the VAT breakdown with its
legal mention, the totals and how to pay, in the customer's language (fr, nl, en).

Drawn with fpdf2 (the ``einvoice`` extra), imported here only. The text font is Debian's
DejaVu Sans when installed (fonts-dejavu-core: every accent and the euro sign), else the
PDF's built-in Helvetica; nothing is downloaded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from bridge.domain.einvoice import EInvoice
from bridge.domain.parties import Address, Language

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "work": "Work (quarter hours)",
        "express": "Express handling",
        "refund": "SLA refund",
        "fee": "Contract fee",
        "credit-note": "Credit note",
        "number": "Number",
        "date": "Date",
        "due": "Due date",
        "period": "Period",
        "seller": "From",
        "buyer": "To",
        "vat_no": "VAT",
        "reference": "Your reference",
        "corrects": "Corrects invoice",
        "item": "Item",
        "qty": "Qty",
        "price": "Unit price",
        "amount": "Amount",
        "net": "Total excl. VAT",
        "vat": "VAT",
        "total": "Total incl. VAT",
        "pay": "Please pay {total} EUR to {iban} by {due}, with reference {number}.",
        "list": "list price {price}, discount {discount}",
    },
    "fr": {
        "invoice": "Facture",
        "work": "Intervention (quarts d'heure)",
        "express": "Traitement express",
        "refund": "Remboursement SLA",
        "fee": "Redevance du contrat",
        "credit-note": "Note de crédit",
        "number": "Numéro",
        "date": "Date",
        "due": "Échéance",
        "period": "Période",
        "seller": "De",
        "buyer": "À",
        "vat_no": "TVA",
        "reference": "Votre référence",
        "corrects": "Corrige la facture",
        "item": "Article",
        "qty": "Qté",
        "price": "Prix unitaire",
        "amount": "Montant",
        "net": "Total HTVA",
        "vat": "TVA",
        "total": "Total TVAC",
        "pay": "Merci de payer {total} EUR sur le compte {iban} avant le {due}, "
        "communication {number}.",
        "list": "prix catalogue {price}, remise {discount}",
    },
    "nl": {
        "invoice": "Factuur",
        "work": "Werk (kwartieren)",
        "express": "Spoedbehandeling",
        "refund": "SLA-terugbetaling",
        "fee": "Contractvergoeding",
        "credit-note": "Creditnota",
        "number": "Nummer",
        "date": "Datum",
        "due": "Vervaldatum",
        "period": "Periode",
        "seller": "Van",
        "buyer": "Aan",
        "vat_no": "Btw",
        "reference": "Uw referentie",
        "corrects": "Corrigeert factuur",
        "item": "Artikel",
        "qty": "Aantal",
        "price": "Eenheidsprijs",
        "amount": "Bedrag",
        "net": "Totaal excl. btw",
        "vat": "Btw",
        "total": "Totaal incl. btw",
        "pay": "Gelieve {total} EUR te betalen op {iban} vóór {due}, met mededeling {number}.",
        "list": "catalogusprijs {price}, korting {discount}",
    },
}


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), ",f").replace(",", " ")


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _address(address: Address) -> str:
    return f"{address.street}, {address.postcode} {address.city}, {address.country}"


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_compression(True)
        if (DEJAVU / "DejaVuSans.ttf").is_file():
            self.add_font("text", "", str(DEJAVU / "DejaVuSans.ttf"))
            self.add_font("text", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
            self.family = "text"
        else:
            self.family = "helvetica"

    def text_line(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def safe(self, text: str) -> str:
        if self.family == "text":
            return text
        return text.replace("€", "EUR").encode("latin-1", "replace").decode("latin-1")


def render_pdf(invoice: EInvoice) -> bytes:
    """The PDF of an e-invoice, in its buyer's language."""
    words = LABELS[invoice.buyer.language]
    pdf = _Pdf()
    pdf.set_title(f"{words[invoice.type]} {invoice.number}")
    # The same document gives the same bytes: the PDF is dated by the document.
    issued = invoice.issue_date
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, tzinfo=UTC))
    pdf.add_page()
    pdf.text_line(f"{words[invoice.type]} {invoice.number}", size=16, bold=True, height=8)
    head = [
        f"{words['date']}: {invoice.issue_date.isoformat()}",
        f"{words['period']}: {invoice.period_start.isoformat()} - {invoice.period_end.isoformat()}",
        f"{words['reference']}: {invoice.buyer.reference}",
    ]
    if invoice.type == "invoice":
        head.insert(1, f"{words['due']}: {invoice.due_date.isoformat()}")
    if invoice.corrects:
        head.append(f"{words['corrects']}: {invoice.corrects}")
    for text in head:
        pdf.text_line(text)
    pdf.ln(3)
    seller, buyer = invoice.seller, invoice.buyer
    pdf.text_line(f"{words['seller']}: {seller.name}", bold=True)
    pdf.text_line(f"{_address(seller.address)} - {words['vat_no']} {seller.vat}")
    pdf.text_line(f"{words['buyer']}: {buyer.legal_name}", bold=True)
    pdf.text_line(f"{_address(buyer.address)} - {words['vat_no']} {buyer.vat}")
    pdf.ln(4)
    _lines(pdf, invoice, words)
    pdf.ln(3)
    percent = _qty(invoice.vat_percent)
    totals = (
        (words["net"], invoice.line_total),
        (f"{words['vat']} {invoice.vat_category} {percent}%", invoice.vat),
        (words["total"], invoice.total),
    )
    for label, amount in totals:
        pdf.set_font(pdf.family, "B" if amount is invoice.total else "", 10)
        pdf.cell(150, 6, pdf.safe(label), align="R")
        pdf.cell(0, 6, _money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if invoice.exemption_text:
        pdf.text_line(invoice.exemption_text, size=9)
    if invoice.type == "invoice":
        pdf.text_line(
            words["pay"].format(
                total=_money(invoice.total),
                iban=seller.iban,
                due=invoice.due_date.isoformat(),
                number=invoice.number,
            ),
            size=9,
        )
    return bytes(pdf.output())


def _lines(pdf: _Pdf, invoice: EInvoice, words: dict[str, str]) -> None:
    widths = (100, 20, 30, 30)
    pdf.set_font(pdf.family, "B", 9)
    for width, name in zip(widths, ("item", "qty", "price", "amount"), strict=True):
        pdf.cell(width, 6, pdf.safe(words[name]), border="B", align="L" if name == "item" else "R")
    pdf.ln()
    for line in invoice.lines:
        text = f"{words[line.kind]} - {line.description}"
        if line.list_price is not None:
            text += (
                " ("
                + words["list"].format(
                    price=_money(line.list_price), discount=_money(line.discount)
                )
                + ")"
            )
        pdf.set_font(pdf.family, "", 8)
        top = pdf.get_y()
        pdf.multi_cell(widths[0], 4, pdf.safe(text), new_x="LMARGIN", new_y="NEXT")
        bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + widths[0], top)
        pdf.cell(widths[1], 4, _qty(line.quantity), align="R")
        pdf.cell(widths[2], 4, _money(line.price), align="R")
        pdf.cell(widths[3], 4, _money(line.amount), align="R")
        pdf.set_y(max(bottom, top + 4) + 1)
