"""The seller and buyers the e-invoice tests use: valid identifiers (mod-97 checked), as
``vigie.yaml`` data and as the domain's values."""

from __future__ import annotations

from typing import Any

from bridge.domain.parties import Address, Buyer, Seller

PROVIDER_DATA: dict[str, Any] = {
    "name": "Myown SRL",
    "vat": "BE0123456749",
    "enterprise_number": "0123456749",
    "address": {
        "street": "Rue de la Loi 1",
        "city": "Bruxelles",
        "postcode": "1000",
        "country": "BE",
    },
    "iban": "BE68539007547034",
    "payment_terms_days": 30,
}
BELGIAN_BILLING: dict[str, Any] = {
    "legal_name": "ACME SA",
    "vat": "BE0999999922",
    "address": {
        "street": "Avenue Louise 54",
        "city": "Bruxelles",
        "postcode": "1050",
        "country": "BE",
    },
    "language": "fr",
}
FRENCH_BILLING: dict[str, Any] = {
    "legal_name": "Dupont et Fils SARL",
    "vat": "FR40303265045",
    "address": {
        "street": "12 rue de Rivoli",
        "city": "Paris",
        "postcode": "75001",
        "country": "FR",
    },
}

SELLER = Seller(
    "Myown SRL",
    "BE0123456749",
    "0123456749",
    Address("Rue de la Loi 1", "Bruxelles", "1000", "BE"),
    "BE68539007547034",
    30,
)
BELGIAN = Buyer(
    "ACME SA",
    "BE0999999922",
    Address("Avenue Louise 54", "Bruxelles", "1050", "BE"),
    "0208",
    "0999999922",
    "fr",
    "acme",
)
FRENCH = Buyer(
    "Dupont et Fils SARL",
    "FR40303265045",
    Address("12 rue de Rivoli", "Paris", "75001", "FR"),
    "9957",
    "FR40303265045",
    "fr",
    "dupont",
)
DUTCH_SPEAKING = Buyer(
    "Bakkerij Peeters BV",
    "BE0999999922",
    Address("Meir 1", "Antwerpen", "2000", "BE"),
    "0208",
    "0999999922",
    "nl",
    "peeters",
)
