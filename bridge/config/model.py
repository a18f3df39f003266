"""The whole of ``vigie.yaml`` once validated: frozen dataclasses, and the error that lists
every problem of a file.

The contract's own terms (levels, rates, customers) are the domain's values
(``bridge.domain.contract``); this adds what only the running bridge needs: where the store
is, how to reach Icinga and the SMTP relay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from bridge.domain.contract import BusinessHours, Customer, Level, Rates, Seller, Server

TYPE_CHECKING = False  # mypy reads it as true; `vigie notify` never needs paging's modules
if TYPE_CHECKING:
    from bridge.domain.paging import Paging

DEFAULT_CONFIG_PATH = Path("/etc/vigie/vigie.yaml")
DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_STORE_PATH = Path("/var/lib/vigie/vigie.db")
# Where a PostgreSQL store's notifications wait while the database cannot be reached.
DEFAULT_SPOOL = Path("/var/lib/vigie/vigie.spool")


class ConfigError(Exception):
    """The configuration is wrong; ``problems`` lists every one, each naming its key."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.source = source  # the file the problems are in, when there is one


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
class AlertTransport:
    """R14: how customer alerts leave: an SMTP relay, and an email-to-SMS gateway address."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    sender: str = "vigie@localhost"
    sms_gateway: str | None = None  # e.g. "{number}@sms.example"; None: SMS not sent
    timeout: float = 10.0
    # The admin's wording of alerts: LANG/NAME.subject|body|sms files (alert_texts).
    templates: Path | None = None
    # SMS through apprise URLs (the `sms` extra) instead of the email-to-SMS gateway.
    apprise: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebSettings:
    """The ``web:`` key: where ``vigie web`` listens and how its queue and logins behave."""

    listen: str = "127.0.0.1:8080"
    warning: timedelta = timedelta(minutes=15)  # the countdown turns red this close
    session_lifetime: timedelta = timedelta(hours=12)
    max_failed_logins: int = 5  # per account within failed_login_window (4 times per address)
    failed_login_window: timedelta = timedelta(minutes=15)
    # The account named by this header of a reverse proxy on loopback (None: off).
    trusted_header: str | None = None
    # The portal's address as customers reach it, for the links in approval requests.
    public_url: str | None = None


HelpdeskKind = Literal["embedded", "rt", "redmine", "zammad", "glpi"]


@dataclass(frozen=True)
class HelpdeskSettings:
    """The ``helpdesk:`` key: where tickets are mirrored (the embedded store stays the
    record of truth for SLA and billing) and how the outbox delivers to it."""

    kind: HelpdeskKind = "embedded"
    url: str | None = None
    token_file: Path | None = None  # RT "user:password" or token; GLPI app then user token
    project: str | None = None  # Redmine project, RT queue, Zammad group, GLPI entity
    deliver_within: float = 2.0  # seconds `vigie notify` spends delivering, after its commit
    max_attempts: int = 20  # failed attempts before an item is dead-lettered
    tracker: str | None = None  # Redmine tracker name (default: the project's first)
    customer: str | None = None  # Zammad: the customer's e-mail or login
    timeout: float = 10.0  # per request, for `vigie flush` and `vigie sync`

    @property
    def external(self) -> bool:
        """Whether tickets go to an external helpdesk (not only the embedded store)."""
        return self.kind != "embedded"


@dataclass(frozen=True)
class Config:
    """The whole of ``vigie.yaml``, validated."""

    timezone: ZoneInfo
    business_hours: BusinessHours
    store_path: Path  # the SQLite file; with store_url, the stem of its local files
    levels: Mapping[str, Level]
    rates: Rates
    customers: Mapping[str, Customer]
    icinga: IcingaApi | None = None
    reopen_within: timedelta = timedelta(hours=1)
    source: Path | None = None
    alerts: AlertTransport = field(default_factory=AlertTransport)
    provider: Seller | None = None  # the seller of the e-invoices
    web: WebSettings = field(default_factory=WebSettings)
    store_url: str | None = None  # a PostgreSQL store (the HA pair's); None: SQLite
    store_password_file: Path | None = None
    paging: Paging | None = None  # who is paged before a deadline (``vigie page``)
    helpdesk: HelpdeskSettings = field(default_factory=HelpdeskSettings)

    def find_server(self, host: str) -> tuple[Customer, Server] | None:
        """The customer and contract entry naming this Icinga host, whatever the dates."""
        for customer in self.customers.values():
            server = customer.servers.get(host)
            if server is not None:
                return customer, server
        return None
