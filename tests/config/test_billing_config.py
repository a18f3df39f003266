"""``provider:`` and ``customers.<id>.billing:``: read into the e-invoice parties, every
mistake named by its key (a missing VAT number, an unknown country, a failed mod-97)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bridge.config.model import ConfigError
from bridge.config.sections import parse_config
from tests.config.test_config import BASE
from tests.einvoice_parties import BELGIAN_BILLING, FRENCH_BILLING, PROVIDER_DATA, SELLER


def with_billing(billing: dict[str, Any], provider: Any = PROVIDER_DATA) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["provider"] = copy.deepcopy(provider)
    data["customers"]["acme"]["billing"] = copy.deepcopy(billing)
    return data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "vigie.yaml")
    return caught.value.problems


def test_the_parties_are_read() -> None:
    config = parse_config(with_billing(BELGIAN_BILLING), "vigie.yaml")
    assert config.provider == SELLER
    buyer = config.customers["acme"].billing
    assert buyer is not None
    assert (buyer.peppol_scheme, buyer.peppol_id) == ("0208", "0999999922")  # from its VAT
    assert (buyer.language, buyer.reference) == ("fr", "acme")
    french = parse_config(with_billing(FRENCH_BILLING), "vigie.yaml").customers["acme"].billing
    assert french is not None
    assert (french.peppol_scheme, french.peppol_id) == ("9957", "FR40303265045")
    assert french.language == "fr"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda b, p: b.pop("vat"), "customers.acme.billing.vat: required"),
        (
            lambda b, p: b["address"].update(country="XX"),
            "customers.acme.billing.address.country: unknown country 'XX'",
        ),
        (
            lambda b, p: b["address"].update(country="US"),
            "customers.acme.billing.address.country: US is outside the EU",
        ),
        (
            lambda b, p: b.update(vat="FR40303265045"),
            "customers.acme.billing.vat: prefix FR does not match the address country BE",
        ),
        (
            lambda b, p: b.update(peppol_id="0208:0999999921"),
            "customers.acme.billing.peppol_id: 0999999921 fails the mod-97 check",
        ),
        (lambda b, p: b.update(language="de"), "customers.acme.billing.language"),
        (
            lambda b, p: b.update(vta="x"),
            "customers.acme.billing.vta: unknown key (did you mean vat?)",
        ),
        (
            lambda b, p: p.update(enterprise_number=123456749),
            "provider.enterprise_number: must be in quotes",
        ),
        (
            lambda b, p: p.update(enterprise_number="0999999922"),
            "provider.enterprise_number: differs from the VAT number BE0123456749",
        ),
        (lambda b, p: p.update(iban="BE69539007547034"), "provider.iban: BE69539007547034 fails"),
        (lambda b, p: p.pop("address"), "provider.address: required"),
    ],
)
def test_a_mistake_is_named_by_its_key(edit: Any, expected: str) -> None:
    billing = copy.deepcopy(BELGIAN_BILLING)
    provider = copy.deepcopy(PROVIDER_DATA)
    edit(billing, provider)
    found = problems(with_billing(billing, provider))
    assert any(p.startswith(expected) for p in found), found


def test_billing_needs_a_provider() -> None:
    data = with_billing(BELGIAN_BILLING)
    del data["provider"]
    assert problems(data) == ["provider: required: customers.acme.billing is set"]


def test_a_swedish_buyer_needs_its_peppol_id() -> None:
    swede = {
        "legal_name": "Svensk AB",
        "vat": "SE556036079301",
        "address": {"street": "Gatan 1", "city": "Stockholm", "postcode": "11122", "country": "SE"},
    }
    assert problems(with_billing(swede)) == [
        "customers.acme.billing.peppol_id: required for a buyer in SE"
    ]
    swede["peppol_id"] = "0007:5560360793"
    buyer = parse_config(with_billing(swede), "vigie.yaml").customers["acme"].billing
    assert buyer is not None and buyer.peppol_scheme == "0007"
