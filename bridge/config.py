"""The contract as configuration: ``vigie.yaml`` loaded into frozen dataclasses.

Domain model: a provider sells service levels (A, B, C) with a take-over delay, a monthly
fee per server and free quarters; customers hold contracts covering named servers (their
Icinga host names) from one date to another. Everything here is data; the rules that use
it live in ``sla`` and ``billing``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

When = Literal["always", "business_hours", "outside"]
Clock = Literal["elapsed", "business"]
RefundScope = Literal["server", "contract"]

DEFAULT_CONFIG_PATH = Path("/etc/vigie/vigie.yaml")


class ConfigError(Exception):
    """The configuration is wrong; ``problems`` lists every one, each naming its key."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.source = source  # the file the problems are in, when there is one


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
class AlertTransport:
    """R14: how customer alerts leave: an SMTP relay, and an email-to-SMS gateway address."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    sender: str = "vigie@localhost"
    sms_gateway: str | None = None  # e.g. "{number}@sms.example"; None: SMS not sent
    timeout: float = 10.0


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
    alerts: AlertTransport = field(default_factory=AlertTransport)

    def find_server(self, host: str) -> tuple[Customer, Server] | None:
        """The customer and contract entry naming this Icinga host, whatever the dates."""
        for customer in self.customers.values():
            server = customer.servers.get(host)
            if server is not None:
                return customer, server
        return None


# --- Where the file is --------------------------------------------------------------------


def config_path(cli_value: str | None) -> Path:
    """The configuration file: ``--config``, else ``VIGIE_CONFIG``, else the default."""
    if cli_value:
        return Path(cli_value)
    from_env = os.environ.get("VIGIE_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_PATH


def load_config(path: Path | str, *, check_holidays: bool = False, cache: bool = True) -> Config:
    """Read and validate ``vigie.yaml``; raise ConfigError listing every problem.

    ``check_holidays`` also loads the holiday calendar to check its country code (slow:
    for ``vigie check-config``, not for ``vigie notify``). With ``cache``, a configuration
    already validated and unchanged since is read back from the user's cache (see
    ``config_cache``), which spares ``vigie notify`` the YAML parser.
    """
    path = Path(path)
    if cache and not check_holidays:
        from bridge import config_cache

        cached = config_cache.read(path)
        if isinstance(cached, Config):
            return cached
        config = load_config(path, cache=False)
        config_cache.write(path, config)
        return config
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{source}: no such file"], source) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{source}: not UTF-8 text (byte {exc.start})"], source) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read it ({exc.strerror})"], source) from None
    data = parse_yaml(text, source)
    config = parse_config(
        data, source, base_dir=path.absolute().parent, check_holidays=check_holidays
    )
    return dataclasses.replace(config, source=path)


def parse_yaml(text: str, source: str) -> object:
    """Parse YAML text strictly; a syntax error becomes a ConfigError naming its line."""
    from bridge.yaml_reader import read_yaml  # yaml costs ~20 ms to import: only on a miss

    return read_yaml(text, source)


# --- Durations ----------------------------------------------------------------------------

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """Read a duration such as ``4h``, ``30m``, ``1h30m``, ``90s`` or ``2d``; ValueError if not."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"not a duration like 4h, 30m, 1h30m or 90s: {text!r}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """Write a duration the way ``parse_duration`` reads it (``1h30m``; ``0s`` for none)."""
    total = int(duration.total_seconds())
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{unit}" for v, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return sign + ("".join(parts) or "0s")


# --- Validation ---------------------------------------------------------------------------

_T = TypeVar("_T")
_MISSING = object()
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_COUNTRY = re.compile(r"[A-Z]{2,3}(?:-[A-Z0-9]{1,5})?")
_PHONE = re.compile(r"\+?[0-9][0-9 .\-/()]{5,}")

DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_STORE_PATH = Path("/var/lib/vigie/vigie.db")
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


def _shown(value: object) -> str:
    """A short description of a wrong value, for the message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Decimal):
        return str(value)
    text = repr(value.isoformat()) if isinstance(value, date) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    """Collects every problem, each prefixed with the key path that holds it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(top level)'}: {message}")

    def mapping(
        self, value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, object] | None:
        """A mapping with known keys: report a wrong type, unknown keys and missing ones."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, got {_shown(value)}")
            return None
        known = required + optional
        result: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str) or key not in known:
                self.add(_join(path, key), _unknown_key(str(key), known))
            else:
                result[key] = item
        for key in required:
            if key not in value:
                self.add(_join(path, key), "required")
        return result

    def named(self, value: object, path: str, what: str) -> dict[str, object] | None:
        """A mapping of names (levels, customers, servers) to their descriptions."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of {what} by name, got {_shown(value)}")
            return None
        result: dict[str, object] = {}
        for key, item in value.items():
            if isinstance(key, str) and key.isprintable() and key.strip() and key == key.strip():
                result[key] = item
            else:
                self.add(_join(path, key), f"a {what} name must be a word, got {_shown(key)}")
        return result

    def field(
        self,
        data: dict[str, object],
        key: str,
        path: str,
        read: Callable[[object], _T],
        default: _T | object = _MISSING,
    ) -> _T | None:
        """Read ``data[key]`` with ``read`` (which raises ValueError with the complaint)."""
        if key not in data:
            return None if default is _MISSING else cast("_T", default)
        try:
            return read(data[key])
        except ValueError as exc:
            self.add(_join(path, key), str(exc))
            return None


def _join(path: str, key: object) -> str:
    # A key that is not a plain word is quoted, so the message stays on one readable line.
    plain = isinstance(key, str) and key.isprintable() and key and key == key.strip()
    text = str(key) if plain else repr(key)
    return f"{path}.{text}" if path else text


def _unknown_key(key: str, known: tuple[str, ...]) -> str:
    import difflib  # only on a mistake: keep the happy path's imports few

    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else "expected one of " + ", ".join(known)
    return f"unknown key ({hint})"


# Readers: each takes the raw YAML value and returns the typed one, or raises ValueError
# whose text is the message after "key.path: ".


def _string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {_shown(value)}")
    return value.strip()


def _integer(minimum: int) -> Callable[[object], int]:
    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {_shown(value)}")
        if value < minimum:
            raise ValueError(f"must be >= {minimum}, got {value}")
        return value

    return read


def _decimal(value: object) -> Decimal:
    # The loader gives Decimals; a float (data built in Python) goes through str() so that
    # 0.1 becomes Decimal("0.1"), not the binary float's 55 digits.
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"must be a number, got {_shown(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a number, got {_shown(value)}") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {_shown(value)}")
    return number


def _money(value: object) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise ValueError(f"must be an amount >= 0, got {amount}")
    return amount


def _optional_money(value: object) -> Decimal | None:
    return None if value is None else _money(value)


def _fraction(upper_open: bool) -> Callable[[object], Decimal]:
    """A share between 0 and 1 (1 itself excluded when it would divide by zero)."""

    def read(value: object) -> Decimal:
        share = _decimal(value)
        if share < 0 or share > 1 or (upper_open and share == 1):
            bound = "0 up to but not including 1" if upper_open else "0 to 1"
            raise ValueError(f"must be a fraction from {bound} (0.25 for 25%), got {share}")
        return share

    return read


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {_shown(value)}")
    return value


def _duration(allow_zero: bool) -> Callable[[object], timedelta]:
    def read(value: object) -> timedelta:
        if not isinstance(value, str):
            raise ValueError(f"must be a duration like 4h, 30m, 1h30m or 90s, got {_shown(value)}")
        try:
            duration = parse_duration(value)
        except ValueError:
            raise ValueError(
                f"must be a duration like 4h, 30m, 1h30m or 90s, got {_shown(value)}"
            ) from None
        if not duration and not allow_zero:
            raise ValueError(f"must be longer than zero, got {_shown(value)}")
        return duration

    return read


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date like 2026-01-01, got {_shown(value)}")


def _clock_time(value: object) -> time:
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is not None:
        hour, minute, second = (int(part or 0) for part in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return time(hour, minute, second)
    raise ValueError(f'must be a time of day like "09:00" (quoted), got {_shown(value)}')


def _choice(kind: object) -> Callable[[object], str]:
    """A reader for one of the strings of a Literal type (When, Clock, RefundScope)."""
    choices: tuple[str, ...] = get_args(kind)

    def read(value: object) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise ValueError(f"must be one of {', '.join(choices)}, got {_shown(value)}")

    return read


def _timezone(value: object) -> ZoneInfo:
    name = _string(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (like Europe/Brussels)") from None


def _path(base_dir: Path | None) -> Callable[[object], Path]:
    def read(value: object) -> Path:
        path = Path(_string(value))
        # A relative path is relative to the configuration file, not to wherever Icinga runs.
        return base_dir / path if base_dir is not None and not path.is_absolute() else path

    return read


def _optional_path(base_dir: Path | None) -> Callable[[object], Path | None]:
    read = _path(base_dir)
    return lambda value: None if value is None else read(value)


def _list_of(read: Callable[[object], _T], what: str) -> Callable[[object], tuple[_T, ...]]:
    def read_all(value: object) -> tuple[_T, ...]:
        if not isinstance(value, list):
            raise ValueError(f"must be a list of {what}, got {_shown(value)}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(read(item))
            except ValueError as exc:
                raise ValueError(f"item {index + 1}: {exc}") from None
        return tuple(items)

    return read_all


def _email(value: object) -> str:
    address = _string(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise ValueError(f"not an email address: {_shown(value)}")
    return address


def _phone(value: object) -> str:
    if not isinstance(value, str):
        # An unquoted +32470000000 is read as a number and loses its "+".
        raise ValueError(
            f'must be a phone number in quotes like "+32470000000", got {_shown(value)}'
        )
    if _PHONE.fullmatch(value.strip()) is None:
        raise ValueError(f"not a phone number: {_shown(value)}")
    return value.strip()


def _country(value: object) -> str:
    code = _string(value).upper()
    if _COUNTRY.fullmatch(code) is None:
        raise ValueError(
            "must be a country code like BE or FR (or DE-BY with a subdivision), "
            f"got {_shown(value)}"
        )
    return code


def _url(value: object) -> str:
    url = _string(value)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(
            f"must be an http(s) URL like https://icinga.example:5665, got {_shown(value)}"
        )
    return url


def _timeout(value: object) -> float:
    seconds = _decimal(value)
    if seconds <= 0:
        raise ValueError(f"must be a number of seconds > 0, got {_shown(value)}")
    return float(seconds)


def parse_config(
    data: object,
    source: str,
    *,
    base_dir: Path | None = None,
    check_holidays: bool = False,
) -> Config:
    """Validate already-parsed YAML into a Config; raise ConfigError listing every problem.

    ``source`` names where the data came from (for the error); relative paths in it are
    taken relative to ``base_dir`` when given.
    """
    check = _Checker()
    top = check.mapping(
        {} if data is None else data,
        "",
        required=("levels",),
        optional=(
            "timezone",
            "business_hours",
            "store",
            "rates",
            "customers",
            "icinga",
            "tickets",
            "alerts",
        ),
    )
    if top is None:
        raise ConfigError(check.problems, source)

    timezone = check.field(top, "timezone", "", _timezone, default=ZoneInfo(DEFAULT_TIMEZONE))
    business_hours = _business_hours(check, top.get("business_hours", {}), check_holidays)
    store_path = _store_path(check, top.get("store", _MISSING), base_dir)
    raw_levels = check.named(top["levels"], "levels", "level") if "levels" in top else None
    levels = {
        name: level
        for name, raw in (raw_levels or {}).items()
        if (level := _level(check, name, raw)) is not None
    }
    if raw_levels == {}:
        check.add("levels", "must define at least one level")
    rates = _rates(check, top.get("rates", {}))
    customers = _customers(check, top.get("customers", {}), raw_levels or {})
    icinga = None if top.get("icinga") is None else _icinga(check, top["icinga"], base_dir)
    reopen_within = _reopen_within(check, top.get("tickets", {}))
    alerts = _alert_transport(check, top.get("alerts", {}))
    if alerts is not None and alerts.sms_gateway is None:
        for customer in customers.values():
            if customer.alerts.sms:
                check.add(
                    f"customers.{customer.id}.alerts.sms",
                    "SMS numbers given, but alerts.sms_gateway is not set: no SMS could be sent",
                )

    if check.problems:
        raise ConfigError(check.problems, source)
    assert timezone is not None and business_hours is not None and store_path is not None
    assert rates is not None and reopen_within is not None and alerts is not None
    return Config(
        timezone=timezone,
        business_hours=business_hours,
        store_path=store_path,
        levels=levels,
        rates=rates,
        customers=customers,
        icinga=icinga,
        reopen_within=reopen_within,
        alerts=alerts,
    )


def _business_hours(check: _Checker, raw: object, check_holidays: bool) -> BusinessHours | None:
    problems_before = len(check.problems)
    path = "business_hours"
    data = check.mapping(raw, path, (), ("days", "start", "end", "holidays"))
    if data is None:
        return None
    days = check.field(data, "days", path, _days, default=frozenset(range(5)))
    start = check.field(data, "start", path, _clock_time, default=time(9))
    end = check.field(data, "end", path, _clock_time, default=time(17))
    holidays = check.field(
        data, "holidays", path, lambda v: None if v is None else _country(v), default=None
    )
    if start is not None and end is not None and start >= end:
        check.add(
            f"{path}.end",
            f"must be after start ({start:%H:%M}), got {end:%H:%M}; "
            "business hours cannot span midnight",
        )
    if holidays is not None and check_holidays:
        from bridge.holiday_calendar import country_problem  # loads the calendar: slow

        problem = country_problem(holidays)
        if problem is not None:
            check.add(f"{path}.holidays", problem)
    if len(check.problems) > problems_before:
        return None
    assert days is not None and start is not None and end is not None
    return BusinessHours(days=days, start=start, end=end, holidays=holidays)


def _days(value: object) -> frozenset[int]:
    names = _list_of(_string, "weekdays (mon, tue, ...)")(value)
    unknown = [name for name in names if name.lower() not in _WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
    if not names:
        raise ValueError("must list at least one weekday")
    if len(set(n.lower() for n in names)) != len(names):
        raise ValueError("lists a weekday twice")
    return frozenset(_WEEKDAYS[name.lower()] for name in names)


def _store_path(check: _Checker, raw: object, base_dir: Path | None) -> Path | None:
    if raw is _MISSING:
        return DEFAULT_STORE_PATH
    data = check.mapping(raw, "store", (), ("path",))
    if data is None:
        return None
    return check.field(data, "path", "store", _path(base_dir), default=DEFAULT_STORE_PATH)


def _level(check: _Checker, name: str, raw: object) -> Level | None:
    problems_before = len(check.problems)
    path = f"levels.{name}"
    data = check.mapping(raw, path, ("fee", "free_quarters", "response"), ("clock",))
    if data is None:
        return None
    fee = check.field(data, "fee", path, _money)
    free_quarters = check.field(data, "free_quarters", path, _integer(0))
    clock = check.field(data, "clock", path, _choice(Clock), default="elapsed")
    response = _response(check, data.get("response", []), f"{path}.response")
    if len(check.problems) > problems_before or "response" not in data:
        return None
    assert fee is not None and free_quarters is not None and clock is not None
    return Level(name, fee, free_quarters, response, cast("Clock", clock))


def _response(check: _Checker, raw: object, path: str) -> tuple[ResponseRule, ...]:
    """R3: the rules of a level, first match wins; together they must cover every time."""
    if not isinstance(raw, list) or not raw:
        check.add(path, f"must be a non-empty list of {{when, within}}, got {_shown(raw)}")
        return ()
    rules: list[ResponseRule] = []
    covered: set[str] = set()
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        data = check.mapping(item, item_path, ("when", "within"), ())
        if data is None:
            continue
        when = check.field(data, "when", item_path, _choice(When))
        within = check.field(data, "within", item_path, _duration(allow_zero=False))
        if when is None or within is None:
            continue
        times = {"business_hours", "outside"} if when == "always" else {when}
        if times <= covered:
            check.add(f"{item_path}.when", f"{when}: never used, an earlier rule covers it")
        covered |= times
        rules.append(ResponseRule(cast("When", when), within))
    missing = {"business_hours", "outside"} - covered
    if len(rules) == len(raw) and missing:
        check.add(path, f"no rule for a reference time {' or '.join(sorted(missing))}")
    return tuple(rules)


def _rates(check: _Checker, raw: object) -> Rates | None:
    names = tuple(f.name for f in dataclasses.fields(Rates))
    data = check.mapping(raw, "rates", (), names)
    if data is None:
        return None
    readers: dict[str, Callable[[object], object]] = {
        "business_hours": _money,
        "outside": _money,
        "outside_minimum_quarters": _integer(0),
        "out_of_contract_minimum_quarters": _integer(0),
        "contract_discount": _fraction(upper_open=True),
        "express_fee": _money,
        "vat": _fraction(upper_open=False),
    }
    values = {
        name: check.field(data, name, "rates", readers[name], getattr(DEFAULT_RATES, name))
        for name in names
    }
    if any(value is None for value in values.values()):
        return None
    return Rates(**values)  # type: ignore[arg-type]


_CUSTOMER_KEYS = (
    "name",
    "account_manager",
    "approval_threshold",
    "refund_scope",
    "multi_server_discount",
    "flat_fee",
    "alerts",
    "servers",
    "close_on_recovery",
)


def _customers(
    check: _Checker, raw: object, level_names: Mapping[str, object]
) -> dict[str, Customer]:
    customers: dict[str, Customer] = {}
    owner_of: dict[str, str] = {}  # host -> customer id: a host is under one contract only
    for customer_id, item in (check.named(raw, "customers", "customer") or {}).items():
        path = f"customers.{customer_id}"
        problems_before = len(check.problems)
        data = check.mapping(item, path, (), _CUSTOMER_KEYS)
        if data is None:
            continue
        name = check.field(data, "name", path, _string, default=customer_id)
        manager = check.field(
            data, "account_manager", path, lambda v: None if v is None else _string(v), None
        )
        threshold = check.field(
            data,
            "approval_threshold",
            path,
            lambda v: None if v is None else _integer(4)(v),  # R11: at least 4 quarters
            None,
        )
        scope = check.field(data, "refund_scope", path, _choice(RefundScope), "server")
        discount = check.field(
            data, "multi_server_discount", path, _fraction(upper_open=False), Decimal("0")
        )
        flat_fee = check.field(data, "flat_fee", path, _optional_money, None)
        close = check.field(data, "close_on_recovery", path, _boolean, False)
        alerts = _alerts(check, data.get("alerts"), f"{path}.alerts")
        servers = _servers(check, data.get("servers"), f"{path}.servers", level_names)
        for host in servers:
            if host in owner_of:
                check.add(
                    f"{path}.servers.{host}",
                    f"already under contract in customers.{owner_of[host]}",
                )
            owner_of.setdefault(host, customer_id)
        if len(check.problems) > problems_before:
            continue
        assert name is not None and scope is not None and discount is not None
        assert close is not None and alerts is not None
        customers[customer_id] = Customer(
            id=customer_id,
            name=name,
            servers=servers,
            account_manager=manager,
            approval_threshold=threshold,
            refund_scope=cast("RefundScope", scope),
            multi_server_discount=discount,
            flat_fee=flat_fee,
            alerts=alerts,
            close_on_recovery=close,
        )
    return customers


def _alerts(check: _Checker, raw: object, path: str) -> Alerts | None:
    if raw is None:
        return Alerts()
    data = check.mapping(raw, path, (), ("email", "sms"))
    if data is None:
        return None
    email = check.field(data, "email", path, _list_of(_email, "email addresses"), ())
    sms = check.field(data, "sms", path, _list_of(_phone, "phone numbers"), ())
    if email is None or sms is None:
        return None
    return Alerts(email=email, sms=sms)


def _servers(
    check: _Checker, raw: object, path: str, level_names: Mapping[str, object]
) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    if raw is None:
        return servers
    for host, item in (check.named(raw, path, "server") or {}).items():
        server_path = f"{path}.{host}"
        data = check.mapping(item, server_path, ("level", "since"), ("until",))
        if data is None:
            continue
        level = check.field(data, "level", server_path, _string)
        # Without usable levels, "unknown level" on every server would only bury the cause.
        if level is not None and level_names and level not in level_names:
            known = ", ".join(sorted(level_names)) or "none defined"
            check.add(f"{server_path}.level", f"unknown level {level!r} (levels: {known})")
            level = None
        since = check.field(data, "since", server_path, _date)
        until = check.field(data, "until", server_path, lambda v: None if v is None else _date(v))
        if since is not None and until is not None and until < since:
            check.add(f"{server_path}.until", f"is before since ({since}), got {until}")
            continue
        if level is not None and since is not None:
            servers[host] = Server(host, level, since, until)
    return servers


def _icinga(check: _Checker, raw: object, base_dir: Path | None) -> IcingaApi | None:
    problems_before = len(check.problems)
    path = "icinga"
    if isinstance(raw, dict) and "password" in raw:
        # Said outright: a password must not sit in a file that is copied around and shown.
        check.add(f"{path}.password", "not allowed here; put it in a file named by password_file")
        raw = {key: value for key, value in raw.items() if key != "password"}
    data = check.mapping(
        raw, path, ("url", "user"), ("password_file", "ca_file", "verify", "timeout")
    )
    if data is None:
        return None
    url = check.field(data, "url", path, _url)
    user = check.field(data, "user", path, _string)
    password_file = check.field(data, "password_file", path, _optional_path(base_dir), None)
    ca_file = check.field(data, "ca_file", path, _optional_path(base_dir), None)
    verify = check.field(data, "verify", path, _boolean, True)
    timeout = check.field(data, "timeout", path, _timeout, 5.0)
    if len(check.problems) > problems_before or url is None or user is None:
        return None
    assert verify is not None and timeout is not None
    return IcingaApi(url, user, password_file, ca_file, verify, timeout)


def _alert_transport(check: _Checker, raw: object) -> AlertTransport | None:
    problems_before = len(check.problems)
    path = "alerts"
    data = check.mapping(
        raw, path, (), ("smtp_host", "smtp_port", "sender", "sms_gateway", "timeout")
    )
    if data is None:
        return None
    host = check.field(data, "smtp_host", path, _string, "localhost")
    port = check.field(data, "smtp_port", path, _port, 25)
    sender = check.field(data, "sender", path, _string, "vigie@localhost")
    gateway = check.field(data, "sms_gateway", path, _sms_gateway, None)
    timeout = check.field(data, "timeout", path, _timeout, 10.0)
    if len(check.problems) > problems_before:
        return None
    assert host is not None and port is not None and sender is not None and timeout is not None
    return AlertTransport(host, port, sender, gateway, timeout)


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"must be a TCP port (1 to 65535), got {_shown(value)}")
    return value


def _sms_gateway(value: object) -> str | None:
    if value is None:
        return None
    text = _string(value)
    if "{number}" not in text or "@" not in text:
        raise ValueError(f"must be an address holding {{number}}, got {_shown(value)}")
    return text


def _reopen_within(check: _Checker, raw: object) -> timedelta | None:
    data = check.mapping(raw, "tickets", (), ("reopen_within",))
    if data is None:
        return None
    return check.field(
        data, "reopen_within", "tickets", _duration(allow_zero=True), timedelta(hours=1)
    )
