"""A statement (R13) or quarterly invoice (R12) as an EN 16931 e-invoice: the lines, the VAT
category and breakdown, and totals that the CEN rules recompute to the cent.

Pure: a priced ``billing.Document`` and the two parties in, an ``EInvoice`` out, which the
UBL writer and the PDF renderer both say (so the two never disagree). Readings:

- A document whose total is negative (R5 refunds above the month's charges) is a credit
  note: every line's quantity and amount change sign, prices stay positive (BR-27).
- Work is billed in quarter hours (unit code C62, "one"), quantity = quarters - free ones;
  a refund is quantity -1 at the server's monthly fee; a discounted fee (R12, 4th server
  on) is quantity 1 at the net price, its list fee and discount shown as a price discount.
- VAT: a buyer in the seller's country pays the standard rate (category S); a buyer in
  another EU country gets reverse charge (category AE, rate 0, exemption VATEX-EU-AE and
  the legal mention, in the buyer's language).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from bridge.domain.billing import ZERO, Document, Line, LineKind, cents, make_document
from bridge.domain.parties import Buyer, Language, Seller

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_TYPE = "380"
CREDIT_NOTE_TYPE = "381"
DRAFT = "DRAFT"
REVERSE_CHARGE_CODE = "VATEX-EU-AE"
REVERSE_CHARGE_TEXT: dict[Language, str] = {
    "en": "Reverse charge: VAT due by the customer (Article 196 of Directive 2006/112/EC)",
    "fr": "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)",
    "nl": "Verlegging van heffing: btw verschuldigd door de medecontractant (artikel 196 "
    "van Richtlijn 2006/112/EG)",
}

EInvoiceType = Literal["invoice", "credit-note"]
VatCategory = Literal["S", "AE"]


class EInvoiceError(ValueError):
    """A document that cannot become an e-invoice; the message says why, on one line."""


@dataclass(frozen=True)
class EInvoiceLine:
    """One invoice line: ``quantity`` x ``price`` = ``amount``; ``list_price`` and
    ``discount`` when the price is a list price less a discount (R12)."""

    id: str
    kind: LineKind
    name: str
    description: str
    quantity: Decimal
    unit: str
    price: Decimal
    amount: Decimal
    list_price: Decimal | None = None
    discount: Decimal = ZERO


@dataclass(frozen=True)
class EInvoice:
    """What an EN 16931 invoice or credit note says, amounts signed for its type."""

    type: EInvoiceType
    number: str
    issue_date: date
    due_date: date
    source: str  # "statement" or "invoice": the Vigie document it says
    customer: str
    period: str
    period_start: date
    period_end: date
    seller: Seller
    buyer: Buyer
    lines: tuple[EInvoiceLine, ...]
    vat_category: VatCategory
    vat_percent: Decimal
    line_total: Decimal
    vat: Decimal
    total: Decimal
    exemption_code: str | None = None
    exemption_text: str | None = None
    corrects: str | None = None  # the number of the invoice this one corrects
    currency: str = "EUR"

    @property
    def type_code(self) -> str:
        """UNTDID 1001: 380 commercial invoice, 381 credit note."""
        return INVOICE_TYPE if self.type == "invoice" else CREDIT_NOTE_TYPE


def vat_category(seller: Seller, buyer: Buyer) -> VatCategory:
    """S in the seller's own country, AE (reverse charge) for another EU country."""
    return "S" if buyer.address.country == seller.address.country else "AE"


def document_vat_rate(seller: Seller, buyer: Buyer, standard: Decimal) -> Decimal:
    """The VAT rate a document for this buyer is totalled with: 0 under reverse charge."""
    return standard if vat_category(seller, buyer) == "S" else ZERO


def period_bounds(period: str) -> tuple[date, date]:
    """``2026-11`` or ``2026-Q4`` as its first and last day."""
    year = int(period[:4])
    if period[5] in "Qq":
        first = 3 * (int(period[6]) - 1) + 1
        months = 3
    else:
        first, months = int(period[5:7]), 1
    start = date(year, first, 1)
    after = first + months
    end = date(year + (after > 12), (after - 1) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def to_einvoice(
    document: Document,
    seller: Seller,
    buyer: Buyer,
    number: str,
    issue_date: date,
    corrects: str | None = None,
) -> EInvoice:
    """The e-invoice of a priced document; a credit note when its total is negative."""
    if not document.lines:
        raise EInvoiceError(f"{document.customer} {document.period}: nothing to invoice")
    category = vat_category(seller, buyer)
    if category == "AE" and document.vat_rate != 0:
        raise EInvoiceError(
            f"{document.customer}: reverse charge applies, but the document carries VAT"
        )
    kind: EInvoiceType = "credit-note" if document.total < 0 else "invoice"
    sign = Decimal(-1) if kind == "credit-note" else Decimal(1)
    lines = tuple(
        _line(str(index), line, sign) for index, line in enumerate(document.lines, start=1)
    )
    line_total = cents(sum((line.amount for line in lines), ZERO))
    vat = cents(line_total * document.vat_rate)
    if (line_total, vat) != (sign * document.subtotal, sign * document.vat):
        raise EInvoiceError(f"{document.customer} {document.period}: totals do not add up")
    start, end = period_bounds(document.period)
    return EInvoice(
        type=kind,
        number=number,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=seller.payment_terms_days),
        source=document.kind,
        customer=document.customer,
        period=document.period,
        period_start=start,
        period_end=end,
        seller=seller,
        buyer=buyer,
        lines=lines,
        vat_category=category,
        vat_percent=cents(document.vat_rate * 100),
        line_total=line_total,
        vat=vat,
        total=cents(line_total + vat),
        exemption_code=REVERSE_CHARGE_CODE if category == "AE" else None,
        exemption_text=REVERSE_CHARGE_TEXT[buyer.language] if category == "AE" else None,
        corrects=corrects,
    )


def _line(line_id: str, line: Line, sign: Decimal) -> EInvoiceLine:
    list_price: Decimal | None = None
    discount = ZERO
    if line.kind == "work":
        quantity, price = Decimal(line.quarters - line.free_quarters), line.rate
        name = f"Ticket #{line.ticket}: quarter hours" if line.ticket else "Quarter hours"
        description = f"{line.description}; {line.quarters} quarter(s), {line.free_quarters} free"
    elif line.kind == "refund":
        quantity, price = Decimal(-1), line.rate
        name, description = f"SLA refund: {line.server}", line.description
    else:
        quantity, price = Decimal(1), abs(line.amount)
        name = "Express handling" if line.kind == "express" else "Contract fee"
        description = line.description
        if line.kind == "fee" and price != line.rate:
            list_price, discount = line.rate, cents(line.rate - price)
    if cents(quantity * price) == -line.amount != 0:
        quantity = -quantity  # a line cancelled by a correction
    if price < 0 or cents(quantity * price) != line.amount:
        raise EInvoiceError(f"line {line_id} ({line.description}): price times quantity")
    return EInvoiceLine(
        id=line_id,
        kind=line.kind,
        name=name,
        description=description,
        quantity=sign * quantity,
        unit="C62",
        price=price,
        amount=cents(sign * line.amount),
        list_price=list_price,
        discount=discount,
    )


def correction(issued: Document, current: Document) -> Document | None:
    """The difference between an issued document and the same one computed now: the lines
    added (as they are) and the lines gone (negated), or None when nothing changed."""
    left = list(issued.lines)
    added: list[Line] = []
    for line in current.lines:
        if line in left:
            left.remove(line)
        else:
            added.append(line)
    gone = [
        replace(line, amount=-line.amount, description=f"Cancelled: {line.description}")
        for line in left
    ]
    if not added and not gone:
        return None
    return make_document(
        current.customer,
        current.customer_name,
        current.period,
        current.kind,
        [*added, *gone],
        issued.vat_rate,
    )
