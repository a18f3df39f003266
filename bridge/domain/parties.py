"""The parties of an e-invoice: the provider (seller) and a customer's billing identity
(buyer), and the identifier checks EN 16931 and Peppol BIS Billing 3.0 rely on.

Pure: the values ``bridge.config`` reads from ``provider:`` and ``customers.<id>.billing:``,
and the mod-97 checks of Belgian enterprise numbers (Peppol scheme 0208), VAT numbers and
IBANs, so that a typo is refused when the file is read, not by the receiver's access point.
"""

from __future__ import annotations

import re

from bridge.domain.contract import Address, Buyer, Language, Seller

LANGUAGES: tuple[Language, ...] = ("fr", "nl", "en")
__all__ = ["Address", "Buyer", "Language", "Seller"]  # the parties, beside their checks

# ISO 3166-1 alpha-2, the codes a postal address may carry.
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905
)
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)
# Greece's VAT numbers start with EL, not its ISO code.
VAT_PREFIX = {"GR": "EL"}
# Peppol electronic address schemes (EAS) of national VAT numbers, for a buyer whose
# peppol_id is not given; Belgium uses its enterprise number (0208) instead.
VAT_SCHEME = {
    "AT": "9914",
    "DE": "9930",
    "ES": "9920",
    "FR": "9957",
    "IE": "9935",
    "IT": "9906",
    "LU": "9938",
    "NL": "9944",
    "PT": "9946",
}
# EAS codes (Peppol code list) Vigie accepts in a peppol_id.
KNOWN_SCHEMES = frozenset(
    {"0002", "0007", "0009", "0088", "0106", "0190", "0192", "0208", "0060", "0096", "0184"}
    | set(VAT_SCHEME.values())
    | {"9925", "9910", "9926", "9928", "9929", "9931", "9933", "9934", "9937", "9939"}
    | {"9940", "9945", "9947", "9949", "9950", "9955"}
)
BELGIAN_ENTERPRISE = "0208"

_ENTERPRISE = re.compile(r"[01]\d{9}")
_VAT = re.compile(r"([A-Z]{2})([0-9A-Z]{2,13})")
_IBAN = re.compile(r"([A-Z]{2})(\d{2})([0-9A-Z]{10,30})")
_PEPPOL_ID = re.compile(r"(\d{4}):(\S{1,50})")


def belgian_enterprise_ok(number: str) -> bool:
    """KBO/BCE number: 10 digits starting 0 or 1, the last two 97 - (first 8 mod 97)."""
    if _ENTERPRISE.fullmatch(number) is None:
        return False
    return 97 - int(number[:8]) % 97 == int(number[8:])


def enterprise_problem(value: str) -> str | None:
    """Why ``value`` is not a Belgian enterprise number, or None."""
    if _ENTERPRISE.fullmatch(value) is None:
        return f"must be 10 digits starting with 0 or 1 (a KBO/BCE number), got {value!r}"
    if not belgian_enterprise_ok(value):
        return f"{value} fails the mod-97 check of enterprise numbers"
    return None


def vat_problem(value: str, country: str | None) -> str | None:
    """Why ``value`` is not a VAT number of ``country`` (its prefix included), or None."""
    match = _VAT.fullmatch(value)
    if match is None:
        return f"must be a VAT number with its country prefix like BE0123456749, got {value!r}"
    prefix, digits = match.groups()
    if country is not None and prefix != VAT_PREFIX.get(country, country):
        return f"prefix {prefix} does not match the address country {country}"
    if prefix == "BE":
        return (
            None
            if belgian_enterprise_ok(digits)
            else (f"{value}: not a Belgian VAT number (10 digits passing the mod-97 check)")
        )
    if prefix == "FR" and re.fullmatch(r"\d{11}", digits):
        key, siren = int(digits[:2]), int(digits[2:])
        if key != (12 + 3 * (siren % 97)) % 97:
            return f"{value}: the French VAT key does not match the SIREN"
    return None


def iban_problem(value: str) -> str | None:
    """Why ``value`` is not an IBAN (ISO 13616: its mod-97 check), or None."""
    compact = value.replace(" ", "")
    if _IBAN.fullmatch(compact) is None:
        return f"must be an IBAN like BE68539007547034, got {value!r}"
    moved = compact[4:] + compact[:4]
    number = int("".join(str(int(c, 36)) for c in moved))
    return None if number % 97 == 1 else f"{value} fails the IBAN mod-97 check"


def peppol_id_problem(value: str) -> str | None:
    """Why ``value`` is not a Peppol participant id ``SCHEME:ID``, or None."""
    match = _PEPPOL_ID.fullmatch(value)
    if match is None:
        return f"must be SCHEME:ID like 0208:0123456749, got {value!r}"
    scheme, ident = match.groups()
    if scheme not in KNOWN_SCHEMES:
        return f"unknown electronic address scheme {scheme}"
    if scheme == BELGIAN_ENTERPRISE:
        return enterprise_problem(ident)
    return None


def default_peppol_id(vat: str, country: str) -> str | None:
    """A buyer's Peppol id from its VAT number: 0208 in Belgium, the VAT scheme elsewhere."""
    if country == "BE":
        return f"{BELGIAN_ENTERPRISE}:{vat[2:]}"
    scheme = VAT_SCHEME.get(country)
    return None if scheme is None else f"{scheme}:{vat}"


def default_language(country: str) -> Language:
    """The language of a customer's documents when ``billing.language`` is not given."""
    return _LANGUAGE_OF.get(country, "en")


_LANGUAGE_OF: dict[str, Language] = {"BE": "fr", "FR": "fr", "LU": "fr", "NL": "nl"}
