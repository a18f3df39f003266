"""The identifiers an e-invoice carries, checked as Peppol and the banks check them."""

from __future__ import annotations

import pytest

from bridge.domain.parties import (
    belgian_enterprise_ok,
    default_peppol_id,
    enterprise_problem,
    iban_problem,
    peppol_id_problem,
    vat_problem,
)


@pytest.mark.parametrize("number", ["0123456749", "0999999922", "0202239951"])
def test_belgian_enterprise_numbers_pass_their_mod_97_check(number: str) -> None:
    # 01234567 mod 97 = 48 and 97 - 48 = 49: the last two digits.
    assert belgian_enterprise_ok(number)
    assert enterprise_problem(number) is None


@pytest.mark.parametrize("number", ["0123456748", "2123456749", "012345674", "01234567490"])
def test_a_wrong_enterprise_number_is_named(number: str) -> None:
    assert not belgian_enterprise_ok(number)
    assert number in (enterprise_problem(number) or "")


def test_vat_numbers_carry_their_country_and_check_digits() -> None:
    assert vat_problem("BE0123456749", "BE") is None
    assert vat_problem("FR40303265045", "FR") is None
    assert vat_problem("EL094259216", "GR") is None
    assert "does not match" in (vat_problem("BE0123456749", "FR") or "")
    assert "mod-97" in (vat_problem("BE0123456748", "BE") or "")
    assert "SIREN" in (vat_problem("FR41303265045", "FR") or "")
    assert "prefix" in (vat_problem("0123456749", "BE") or "")


def test_ibans_pass_the_iso_13616_check() -> None:
    assert iban_problem("BE68539007547034") is None
    assert iban_problem("BE68 5390 0754 7034") is None
    assert "mod-97" in (iban_problem("BE69539007547034") or "")
    assert "IBAN like" in (iban_problem("not an iban") or "")


def test_peppol_ids_and_their_defaults() -> None:
    assert peppol_id_problem("0208:0123456749") is None
    assert "mod-97" in (peppol_id_problem("0208:0123456748") or "")
    assert "unknown electronic address scheme" in (peppol_id_problem("1234:x") or "")
    assert "SCHEME:ID" in (peppol_id_problem("0123456749") or "")
    assert default_peppol_id("BE0123456749", "BE") == "0208:0123456749"
    assert default_peppol_id("FR40303265045", "FR") == "9957:FR40303265045"
    assert default_peppol_id("SE556036079301", "SE") is None
