"""The Peppol BIS Billing 3.0 rules Vigie's documents depend on, checked by Vigie's own code.

OpenPeppol does not allow its rule files to be redistributed, so the rules that apply to
what Vigie writes are read from the BIS documentation (docs.peppol.eu, "Peppol BIS Billing
3.0": the syntax binding and the rules list) and checked here on the UBL tree, each failure
named by its rule id. Needs lxml (the ``einvoice`` extra).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from bridge.domain.einvoice import CUSTOMIZATION_ID
from bridge.domain.parties import BELGIAN_ENTERPRISE, KNOWN_SCHEMES, belgian_enterprise_ok

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_PROFILE = re.compile(r"urn:fdc:peppol\.eu:2017:poacc:billing:\d{2}:1\.0")
INVOICE_TYPES = {"71", "80", "82", "84", "102", "218", "219", "326", "331", "380", "382"}
INVOICE_TYPES |= {"383", "384", "386", "388", "393", "395", "553", "575", "623", "780", "817"}
INVOICE_TYPES |= {"870", "875", "876", "877"}
CREDIT_NOTE_TYPES = {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}

Finding = tuple[str, str]  # (rule id, text)


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def check_peppol(root: etree._Element) -> list[Finding]:
    """Every failed Peppol rule of a UBL Invoice or CreditNote, as (rule id, text)."""
    found: list[Finding] = []

    def fail(rule: str, text: str) -> None:
        found.append((rule, text))

    def one(path: str) -> str | None:
        values = root.xpath(f"{path}/text()", namespaces=NS)
        return str(values[0]).strip() if values else None

    credit = etree.QName(root).localname == "CreditNote"
    if one("cbc:ProfileID") is None:
        fail("PEPPOL-EN16931-R001", "Business process MUST be provided.")
    elif _PROFILE.fullmatch(one("cbc:ProfileID") or "") is None:
        fail(
            "PEPPOL-EN16931-R007",
            "Business process MUST be in the format 'urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0'.",
        )
    if one("cbc:CustomizationID") != CUSTOMIZATION_ID:
        fail(
            "PEPPOL-EN16931-R004",
            f"Specification identifier MUST have the value '{CUSTOMIZATION_ID}'.",
        )
    if one("cbc:BuyerReference") is None and one("cac:OrderReference/cbc:ID") is None:
        fail(
            "PEPPOL-EN16931-R003", "A buyer reference or purchase order reference MUST be provided."
        )
    for element in root.iter():
        if isinstance(element.tag, str) and len(element) == 0 and not (element.text or "").strip():
            fail(
                "PEPPOL-EN16931-R008",
                f"Document MUST not contain empty elements: {etree.QName(element).localname}.",
            )
            break
    if len(root.xpath("cac:TaxTotal[cac:TaxSubtotal]", namespaces=NS)) != 1:
        fail("PEPPOL-EN16931-R053", "Only one tax total with tax subtotals MUST be provided.")
    if one("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") is None:
        fail("PEPPOL-EN16931-R020", "Seller electronic address MUST be provided")
    if one("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") is None:
        fail("PEPPOL-EN16931-R010", "Buyer electronic address MUST be provided")
    type_code = one("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    if type_code not in (CREDIT_NOTE_TYPES if credit else INVOICE_TYPES):
        fail(
            "PEPPOL-EN16931-P0100" if not credit else "PEPPOL-EN16931-P0101",
            f"Document type code {type_code} is not allowed.",
        )
    for endpoint in root.xpath(
        ".//cbc:EndpointID | .//cac:PartyLegalEntity/cbc:CompanyID[@schemeID]", namespaces=NS
    ):
        scheme = endpoint.get("schemeID")
        value = (endpoint.text or "").strip()
        if endpoint.tag.endswith("EndpointID") and scheme not in KNOWN_SCHEMES:
            fail(
                "PEPPOL-EN16931-CL008",
                f"Electronic address identifier scheme {scheme} "
                "MUST be from the list of Electronic Address Identifier Schemes (EAS).",
            )
        if scheme == BELGIAN_ENTERPRISE and not belgian_enterprise_ok(value):
            fail(
                "PEPPOL-COMMON-R043",
                f"Belgian enterprise number {value} MUST be stated "
                "in the correct format (10 digits, mod-97 check).",
            )
    line_name = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    quantity_name = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    for line in root.xpath(line_name, namespaces=NS):
        found.extend(_line_rules(line, quantity_name))
    return found


def _line_rules(line: etree._Element, quantity_name: str) -> list[Finding]:
    found: list[Finding] = []
    line_id = "".join(line.xpath("cbc:ID/text()", namespaces=NS))

    def value(path: str) -> Decimal | None:
        texts = line.xpath(f"{path}/text()", namespaces=NS)
        return _decimal(str(texts[0])) if texts else None

    quantity = value(quantity_name)
    amount = value("cbc:LineExtensionAmount")
    price = value("cac:Price/cbc:PriceAmount")
    base = value("cac:Price/cbc:BaseQuantity") or Decimal(1)
    allowances = sum(
        (_decimal(str(t)) or Decimal(0))
        for t in line.xpath(
            "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount/text()", namespaces=NS
        )
    )
    charges = sum(
        (_decimal(str(t)) or Decimal(0))
        for t in line.xpath(
            "cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount/text()", namespaces=NS
        )
    )
    if base <= 0:
        fail_text = f"line {line_id}: base quantity MUST be a positive number above zero."
        found.append(("PEPPOL-EN16931-R121", fail_text))
    if None not in (quantity, amount, price) and base > 0:
        assert quantity is not None and price is not None and amount is not None
        expected = (quantity * price / base + charges - allowances).quantize(Decimal("0.01"))
        if expected != amount:
            found.append(
                (
                    "PEPPOL-EN16931-R120",
                    f"line {line_id}: invoice line net amount "
                    "MUST equal (quantity * (price/base quantity)) + charges - allowances",
                )
            )
    for discount in line.xpath("cac:Price/cac:AllowanceCharge", namespaces=NS):
        indicator = "".join(discount.xpath("cbc:ChargeIndicator/text()", namespaces=NS)).strip()
        if indicator != "false":
            found.append(
                (
                    "PEPPOL-EN16931-R044",
                    f"line {line_id}: charge on price level is "
                    "NOT allowed. Only value 'false' allowed.",
                )
            )
        gross = _decimal("".join(discount.xpath("cbc:BaseAmount/text()", namespaces=NS)))
        cut = _decimal("".join(discount.xpath("cbc:Amount/text()", namespaces=NS)))
        if gross is not None and cut is not None and price is not None and gross - cut != price:
            found.append(
                (
                    "PEPPOL-EN16931-R046",
                    f"line {line_id}: item net price MUST equal "
                    "(gross price - allowance amount) when gross price is provided.",
                )
            )
    return found
