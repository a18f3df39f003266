"""The contract as configuration: ``vigie.yaml`` loaded into frozen dataclasses.

Domain model: a provider sells service levels (A, B, C) with a take-over delay, a monthly
fee per server and free quarters; customers hold contracts covering named servers (their
Icinga host names) from one date to another. Everything here is data; the rules that use
it live in ``sla`` and ``billing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

When = Literal["always", "business_hours", "outside"]
Clock = Literal["elapsed", "business"]
RefundScope = Literal["server", "contract"]

DEFAULT_CONFIG_PATH = Path("/etc/vigie/vigie.yaml")


class ConfigError(Exception):
    """The configuration is wrong; ``problems`` lists every one, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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
        """Whether the contract covers this server on ``day``."""
        return self.since <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class Alerts:
    """R14: whom to alert at the customer, besides the provider."""

    email: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class IcingaApi:
    """Where to acknowledge problems back in Icinga 2 (its REST API)."""

    url: str
    user: str
    password_file: Path | None = None
    ca_file: Path | None = None
    verify: bool = True
    timeout: float = 5.0


@dataclass(frozen=True)
class Config:
    """The whole of ``vigie.yaml``, validated."""

    timezone: ZoneInfo
    business_hours: BusinessHours
    store_path: Path
    levels: Mapping[str, Level]
    rates: Rates
    customers: Mapping[str, Customer]
    icinga: IcingaApi | None = None
    reopen_within: timedelta = timedelta(hours=1)
    source: Path | None = None

    def find_server(self, host: str) -> tuple[Customer, Server] | None:
        """The customer and contract entry naming this Icinga host, whatever the dates."""
        for customer in self.customers.values():
            server = customer.servers.get(host)
            if server is not None:
                return customer, server
        return None
