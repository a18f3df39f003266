"""An ``EInvoice`` as a Peppol BIS Billing 3.0 UBL 2.1 Invoice or CreditNote (XML bytes).

Needs lxml (the ``einvoice`` extra), imported here only. The elements follow the order the
UBL 2.1 schema prescribes; amounts are written with two decimals, the same document always
gives the same bytes.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from bridge.domain.einvoice import CUSTOMIZATION_ID, PROFILE_ID, EInvoice, EInvoiceLine
from bridge.domain.parties import Address

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOT_NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit-note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}


def _amount(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


class _Writer:
    def __init__(self, invoice: EInvoice) -> None:
        self.invoice = invoice

    def cbc(self, parent: etree._Element, tag: str, text: str, **attrs: str) -> None:
        element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
        element.text = text

    def money(self, parent: etree._Element, name: str, value: Decimal) -> None:
        self.cbc(parent, name, _amount(value), currencyID=self.invoice.currency)

    def cac(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def address(self, parent: etree._Element, address: Address) -> None:
        postal = self.cac(parent, "PostalAddress")
        self.cbc(postal, "StreetName", address.street)
        self.cbc(postal, "CityName", address.city)
        self.cbc(postal, "PostalZone", address.postcode)
        self.cbc(self.cac(postal, "Country"), "IdentificationCode", address.country)

    def tax_category(self, parent: etree._Element, name: str, exemption: bool) -> None:
        category = self.cac(parent, name)
        self.cbc(category, "ID", self.invoice.vat_category)
        self.cbc(category, "Percent", _number(self.invoice.vat_percent))
        if exemption and self.invoice.exemption_code:
            self.cbc(category, "TaxExemptionReasonCode", self.invoice.exemption_code)
            self.cbc(category, "TaxExemptionReason", self.invoice.exemption_text or "")
        self.cbc(self.cac(category, "TaxScheme"), "ID", "VAT")

    def document(self) -> etree._Element:
        inv = self.invoice
        credit = inv.type == "credit-note"
        root_name = "CreditNote" if credit else "Invoice"
        root = etree.Element(
            f"{{{ROOT_NS[inv.type]}}}{root_name}",
            nsmap={None: ROOT_NS[inv.type], "cac": CAC, "cbc": CBC},
        )
        self.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
        self.cbc(root, "ProfileID", PROFILE_ID)
        self.cbc(root, "ID", inv.number)
        self.cbc(root, "IssueDate", inv.issue_date.isoformat())
        if not credit:
            self.cbc(root, "DueDate", inv.due_date.isoformat())
        self.cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", inv.type_code)
        if inv.exemption_text:
            self.cbc(root, "Note", inv.exemption_text)
        self.cbc(root, "DocumentCurrencyCode", inv.currency)
        self.cbc(root, "BuyerReference", inv.buyer.reference)
        period = self.cac(root, "InvoicePeriod")
        self.cbc(period, "StartDate", inv.period_start.isoformat())
        self.cbc(period, "EndDate", inv.period_end.isoformat())
        if inv.corrects:
            reference = self.cac(self.cac(root, "BillingReference"), "InvoiceDocumentReference")
            self.cbc(reference, "ID", inv.corrects)
        self.seller(root)
        self.buyer(root)
        if not credit:
            means = self.cac(root, "PaymentMeans")
            self.cbc(means, "PaymentMeansCode", "30", name="Credit transfer")
            self.cbc(means, "PaymentID", inv.number)
            account = self.cac(means, "PayeeFinancialAccount")
            self.cbc(account, "ID", inv.seller.iban)
            self.cbc(self.cac(root, "PaymentTerms"), "Note", _terms(inv))
        tax_total = self.cac(root, "TaxTotal")
        self.money(tax_total, "TaxAmount", inv.vat)
        subtotal = self.cac(tax_total, "TaxSubtotal")
        self.money(subtotal, "TaxableAmount", inv.line_total)
        self.money(subtotal, "TaxAmount", inv.vat)
        self.tax_category(subtotal, "TaxCategory", exemption=True)
        totals = self.cac(root, "LegalMonetaryTotal")
        self.money(totals, "LineExtensionAmount", inv.line_total)
        self.money(totals, "TaxExclusiveAmount", inv.line_total)
        self.money(totals, "TaxInclusiveAmount", inv.total)
        self.money(totals, "PayableAmount", inv.total)
        for line in inv.lines:
            self.line(root, line, credit)
        return root

    def seller(self, root: etree._Element) -> None:
        seller = self.invoice.seller
        party = self.cac(self.cac(root, "AccountingSupplierParty"), "Party")
        self.cbc(party, "EndpointID", seller.enterprise_number, schemeID="0208")
        self.cbc(self.cac(party, "PartyName"), "Name", seller.name)
        self.address(party, seller.address)
        scheme = self.cac(party, "PartyTaxScheme")
        self.cbc(scheme, "CompanyID", seller.vat)
        self.cbc(self.cac(scheme, "TaxScheme"), "ID", "VAT")
        legal = self.cac(party, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", seller.name)
        self.cbc(legal, "CompanyID", seller.enterprise_number, schemeID="0208")

    def buyer(self, root: etree._Element) -> None:
        buyer = self.invoice.buyer
        party = self.cac(self.cac(root, "AccountingCustomerParty"), "Party")
        self.cbc(party, "EndpointID", buyer.peppol_id, schemeID=buyer.peppol_scheme)
        self.cbc(self.cac(party, "PartyName"), "Name", buyer.legal_name)
        self.address(party, buyer.address)
        scheme = self.cac(party, "PartyTaxScheme")
        self.cbc(scheme, "CompanyID", buyer.vat)
        self.cbc(self.cac(scheme, "TaxScheme"), "ID", "VAT")
        self.cbc(self.cac(party, "PartyLegalEntity"), "RegistrationName", buyer.legal_name)

    def line(self, root: etree._Element, line: EInvoiceLine, credit: bool) -> None:
        element = self.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        self.cbc(element, "ID", line.id)
        quantity = "CreditedQuantity" if credit else "InvoicedQuantity"
        self.cbc(element, quantity, _number(line.quantity), unitCode=line.unit)
        self.money(element, "LineExtensionAmount", line.amount)
        item = self.cac(element, "Item")
        self.cbc(item, "Description", line.description)
        self.cbc(item, "Name", line.name)
        self.tax_category(item, "ClassifiedTaxCategory", exemption=False)
        price = self.cac(element, "Price")
        self.money(price, "PriceAmount", line.price)
        if line.list_price is not None:
            discount = self.cac(price, "AllowanceCharge")
            self.cbc(discount, "ChargeIndicator", "false")
            self.money(discount, "Amount", line.discount)
            self.money(discount, "BaseAmount", line.list_price)


def _terms(invoice: EInvoice) -> str:
    days = invoice.seller.payment_terms_days
    return f"Payment within {days} days, by {invoice.due_date.isoformat()}"


def write_ubl(invoice: EInvoice) -> bytes:
    """The UBL 2.1 document of an e-invoice, UTF-8 with an XML declaration."""
    root = _Writer(invoice).document()
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
