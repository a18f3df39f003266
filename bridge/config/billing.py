"""The e-invoicing keys of ``vigie.yaml``: ``provider:`` (the seller) and each customer's
``billing:`` (the buyer), every identifier checked (mod-97 of enterprise numbers, VAT
numbers and IBANs) so that a typo is named with its key before any document is issued."""

from __future__ import annotations

from collections.abc import Callable

from bridge.config.validate import Checker, read_choice, read_integer, read_string, shown
from bridge.domain.parties import (
    EU_COUNTRIES,
    ISO_COUNTRIES,
    Address,
    Buyer,
    Language,
    Seller,
    default_language,
    default_peppol_id,
    enterprise_problem,
    iban_problem,
    peppol_id_problem,
    vat_problem,
)

PROVIDER_KEYS = ("name", "vat", "enterprise_number", "address", "iban", "payment_terms_days")
BILLING_KEYS = ("legal_name", "vat", "address", "peppol_id", "language", "buyer_reference")


def _checked(problem: Callable[[str], str | None]) -> Callable[[object], str]:
    def read(value: object) -> str:
        text = read_string(value).strip()
        complaint = problem(text)
        if complaint is not None:
            raise ValueError(complaint)
        return text

    return read


def read_country_code(value: object) -> str:
    """An ISO 3166-1 alpha-2 country code, as a postal address carries."""
    code = read_string(value).strip().upper()
    if code not in ISO_COUNTRIES:
        raise ValueError(f"unknown country {shown(value)} (an ISO 3166 code like BE or FR)")
    return code


def _address(check: Checker, raw: object, path: str) -> Address | None:
    data = check.mapping(raw, path, ("street", "city", "postcode", "country"), ())
    if data is None:
        return None
    street = check.field(data, "street", path, read_string)
    city = check.field(data, "city", path, read_string)
    postcode = check.field(data, "postcode", path, _postcode)
    country = check.field(data, "country", path, read_country_code)
    if street is None or city is None or postcode is None or country is None:
        return None
    return Address(street.strip(), city.strip(), postcode, country)


def _postcode(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # 1000 unquoted is still a postcode
    return read_string(value).strip()


def read_provider(check: Checker, raw: object) -> Seller | None:
    """``provider:``: who sells; None when absent or wrong (the problems are in ``check``)."""
    if raw is None:
        return None
    before = len(check.problems)
    path = "provider"
    data = check.mapping(raw, path, PROVIDER_KEYS[:5], PROVIDER_KEYS[5:])
    if data is None:
        return None
    name = check.field(data, "name", path, read_string)
    address = _address(check, data["address"], f"{path}.address") if "address" in data else None
    country = address.country if address is not None else None
    vat = check.field(data, "vat", path, _checked(lambda v: vat_problem(v, country)))
    number = check.field(data, "enterprise_number", path, _enterprise)
    iban = check.field(data, "iban", path, _checked(iban_problem))
    terms = check.field(data, "payment_terms_days", path, read_integer(0), 30)
    belgian = address is not None and address.country == "BE"
    if belgian and vat and number and vat[2:] != number:
        check.add(f"{path}.enterprise_number", f"differs from the VAT number {vat}")
    if len(check.problems) > before:
        return None
    assert name and vat and number and address and iban and terms is not None
    return Seller(name.strip(), vat, number, address, iban.replace(" ", ""), terms)


def _enterprise(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'must be in quotes ("0123456749"), or YAML drops its zero: {value}')
    return _checked(enterprise_problem)(value)


def read_billing(check: Checker, raw: object, path: str, customer_id: str) -> Buyer | None:
    """``customers.<id>.billing:``: the buyer of its e-invoices, every field checked."""
    before = len(check.problems)
    data = check.mapping(raw, path, BILLING_KEYS[:3], BILLING_KEYS[3:])
    if data is None:
        return None
    name = check.field(data, "legal_name", path, read_string)
    address = _address(check, data["address"], f"{path}.address") if "address" in data else None
    country = address.country if address is not None else None
    if country is not None and country not in EU_COUNTRIES:
        check.add(
            f"{path}.address.country",
            f"{country} is outside the EU: Vigie's e-invoices cover EU buyers only",
        )
    vat = check.field(data, "vat", path, _checked(lambda v: vat_problem(v, country)))
    peppol = check.field(data, "peppol_id", path, _checked(peppol_id_problem), None)
    language = check.field(data, "language", path, read_choice(Language), None)
    reference = check.field(data, "buyer_reference", path, read_string, customer_id)
    if peppol is None and vat is not None and country is not None:
        peppol = default_peppol_id(vat, country)
        if peppol is None:
            check.add(f"{path}.peppol_id", f"required for a buyer in {country}")
    if len(check.problems) > before:
        return None
    assert name and vat and address and peppol and reference
    scheme, _, ident = peppol.partition(":")
    return Buyer(
        legal_name=name.strip(),
        vat=vat,
        address=address,
        peppol_scheme=scheme,
        peppol_id=ident,
        language=language or default_language(address.country),  # type: ignore[arg-type]
        reference=reference.strip(),
    )
