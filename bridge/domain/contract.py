"""The contract's terms as values: service levels, rates, customers and their servers.

Domain model: a provider sells service levels (A, B, C) with a take-over delay (R3), a
monthly fee per server and free quarters (R8, R12); customers hold contracts covering named
servers (their Icinga host names) from one date to another. Everything here is frozen data;
the rules that use it live beside it in ``sla`` and ``billing``. ``bridge.config`` reads
these values from ``vigie.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Literal

When = Literal["always", "business_hours", "outside"]
Clock = Literal["elapsed", "business"]
RefundScope = Literal["server", "contract"]
Language = Literal["fr", "nl", "en"]


@dataclass(frozen=True)
class ResponseRule:
    """One row of a level's take-over delay (R3): when it applies and how long it allows."""

    when: When
    within: timedelta


@dataclass(frozen=True)
class Level:
    """A service level (A, B, C): fee per server per month, free quarters, take-over delay."""

    name: str
    fee: Decimal
    free_quarters: int
    response: tuple[ResponseRule, ...]
    clock: Clock = "elapsed"


@dataclass(frozen=True)
class BusinessHours:
    """R1: the weekdays (0 = Monday) and the half-open daily interval [start, end)."""

    days: frozenset[int]
    start: time
    end: time
    holidays: str | None = None  # a country code for the ``holidays`` package, e.g. "BE"


@dataclass(frozen=True)
class Rates:
    """R7, R9, R10, R13: prices per quarter hour, minimums, discount, express fee, VAT."""

    business_hours: Decimal
    outside: Decimal
    outside_minimum_quarters: int
    out_of_contract_minimum_quarters: int
    contract_discount: Decimal
    express_fee: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Server:
    """A monitored host under contract: its Icinga host name, level and contract months."""

    name: str
    level: str
    since: date
    until: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the contract covers this server on ``day``: whole months, from the month
        of ``since`` to the month of ``until``, as R12 invoices them."""
        month = (day.year, day.month)
        if month < (self.since.year, self.since.month):
            return False
        return self.until is None or month <= (self.until.year, self.until.month)


@dataclass(frozen=True)
class Alerts:
    """R14: whom to alert at the customer, besides the provider."""

    email: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()


# The parties of e-invoices (their identifiers are checked in ``parties``).


@dataclass(frozen=True)
class Address:
    """A postal address; ``country`` is an ISO 3166-1 alpha-2 code."""

    street: str
    city: str
    postcode: str
    country: str


@dataclass(frozen=True)
class Seller:
    """The provider, as ``provider:`` describes it."""

    name: str
    vat: str
    enterprise_number: str
    address: Address
    iban: str
    payment_terms_days: int = 30


@dataclass(frozen=True)
class Buyer:
    """A customer's billing identity (``customers.<id>.billing:``)."""

    legal_name: str
    vat: str
    address: Address
    peppol_scheme: str
    peppol_id: str
    language: Language = "en"
    reference: str = ""


@dataclass(frozen=True)
class Customer:
    """A customer and its contract; ``servers`` is keyed by Icinga host name."""

    id: str
    name: str
    servers: Mapping[str, Server]
    account_manager: str | None = None
    approval_threshold: int | None = None
    refund_scope: RefundScope = "server"
    multi_server_discount: Decimal = Decimal("0")
    flat_fee: Decimal | None = None
    alerts: Alerts = field(default_factory=Alerts)
    close_on_recovery: bool = False
    billing: Buyer | None = None  # the buyer of its e-invoices
    # The portal's, the alerts' and the approval requests' language (None: English).
    language: Language | None = None


# R7, R9, R10, R13: the offer's numbers, used for any rate the file leaves out.
DEFAULT_RATES = Rates(
    business_hours=Decimal("20.00"),
    outside=Decimal("35.00"),
    outside_minimum_quarters=2,
    out_of_contract_minimum_quarters=4,
    contract_discount=Decimal("0.25"),
    express_fee=Decimal("75.00"),
    vat=Decimal("0.21"),
)
