"""The sections of ``vigie.yaml``, each read into its frozen value (R1, R3, R7..R14 settings).

``parse_config`` reads the whole file's data; every problem is reported, each naming its key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from bridge.config.billing import read_provider
from bridge.config.customers import read_customers
from bridge.config.helpdesk import read_helpdesk
from bridge.config.model import (
    DEFAULT_SPOOL,
    DEFAULT_STORE_PATH,
    DEFAULT_TIMEZONE,
    AlertTransport,
    Config,
    ConfigError,
    IcingaApi,
)
from bridge.config.paging import read_paging
from bridge.config.validate import (
    MISSING,
    WEEKDAYS,
    Checker,
    read_boolean,
    read_choice,
    read_clock_time,
    read_country,
    read_duration,
    read_fraction,
    read_integer,
    read_list_of,
    read_money,
    read_optional_path,
    read_path,
    read_string,
    read_timeout,
    read_timezone,
    read_url,
    shown,
)
from bridge.config.web import read_web
from bridge.domain.contract import (
    DEFAULT_RATES,
    BusinessHours,
    Clock,
    Level,
    Rates,
    ResponseRule,
    When,
)


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
    check = Checker()
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
            "provider",
            "web",
            "paging",
            "helpdesk",
        ),
    )
    if top is None:
        raise ConfigError(check.problems, source)

    timezone = check.field(top, "timezone", "", read_timezone, default=ZoneInfo(DEFAULT_TIMEZONE))
    business_hours = _business_hours(check, top.get("business_hours", {}), check_holidays)
    store_path, store_url, password_file = _store(check, top.get("store", MISSING), base_dir)
    raw_levels = check.named(top["levels"], "levels", "level") if "levels" in top else None
    levels = {
        name: level
        for name, raw in (raw_levels or {}).items()
        if (level := _level(check, name, raw)) is not None
    }
    if raw_levels == {}:
        check.add("levels", "must define at least one level")
    rates = _rates(check, top.get("rates", {}))
    customers = read_customers(check, top.get("customers", {}), raw_levels or {})
    icinga = None if top.get("icinga") is None else _icinga(check, top["icinga"], base_dir)
    reopen_within = _reopen_within(check, top.get("tickets", {}))
    alerts = _alert_transport(check, top.get("alerts", {}), base_dir)
    provider = read_provider(check, top.get("provider"))
    if provider is None and "provider" not in top:
        for customer in customers.values():
            if customer.billing is not None:
                check.add("provider", f"required: customers.{customer.id}.billing is set")
                break
    web = read_web(check, top.get("web", {}))
    paging = read_paging(
        check,
        top.get("paging"),
        tz=timezone,
        levels=raw_levels or {},
        customers=customers,
        holidays=business_hours.holidays if business_hours is not None else None,
        # Pages link to the web queue as staff reach it: its public address when it has one.
        web_base=(web.public_url or f"http://{web.listen}") if web is not None else None,
    )
    if (
        paging is not None
        and alerts is not None
        and alerts.sms_gateway is None
        and not alerts.apprise
    ):
        for person in paging.people.values():
            if person.sms:
                check.add(
                    f"paging.people.{person.name}.sms",
                    "an SMS number given, but alerts.sms_gateway is not set: no SMS could be sent",
                )
    helpdesk = read_helpdesk(check, top.get("helpdesk", {}), base_dir)
    if alerts is not None and alerts.sms_gateway is None and not alerts.apprise:
        for customer in customers.values():
            if customer.alerts.sms:
                check.add(
                    f"customers.{customer.id}.alerts.sms",
                    "SMS numbers given, but neither alerts.sms_gateway nor alerts.apprise is "
                    "set: no SMS could be sent",
                )

    if check.problems:
        raise ConfigError(check.problems, source)
    assert timezone is not None and business_hours is not None and store_path is not None
    assert rates is not None and reopen_within is not None and alerts is not None
    assert web is not None and helpdesk is not None
    return Config(
        timezone=timezone,
        business_hours=business_hours,
        store_path=store_path,
        store_url=store_url,
        store_password_file=password_file,
        levels=levels,
        rates=rates,
        customers=customers,
        icinga=icinga,
        reopen_within=reopen_within,
        alerts=alerts,
        provider=provider,
        web=web,
        paging=paging,
        helpdesk=helpdesk,
    )


def _business_hours(check: Checker, raw: object, check_holidays: bool) -> BusinessHours | None:
    problems_before = len(check.problems)
    path = "business_hours"
    data = check.mapping(raw, path, (), ("days", "start", "end", "holidays"))
    if data is None:
        return None
    days = check.field(data, "days", path, _days, default=frozenset(range(5)))
    start = check.field(data, "start", path, read_clock_time, default=time(9))
    end = check.field(data, "end", path, read_clock_time, default=time(17))
    holidays = check.field(
        data, "holidays", path, lambda v: None if v is None else read_country(v), default=None
    )
    if start is not None and end is not None and start >= end:
        check.add(
            f"{path}.end",
            f"must be after start ({start:%H:%M}), got {end:%H:%M}; "
            "business hours cannot span midnight",
        )
    if holidays is not None and check_holidays:
        from bridge.config.holidays import country_problem  # loads the calendar: slow

        problem = country_problem(holidays)
        if problem is not None:
            check.add(f"{path}.holidays", problem)
    if len(check.problems) > problems_before:
        return None
    assert days is not None and start is not None and end is not None
    return BusinessHours(days=days, start=start, end=end, holidays=holidays)


def _days(value: object) -> frozenset[int]:
    names = read_list_of(read_string, "weekdays (mon, tue, ...)")(value)
    unknown = [name for name in names if name.lower() not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
    if not names:
        raise ValueError("must list at least one weekday")
    if len(set(n.lower() for n in names)) != len(names):
        raise ValueError("lists a weekday twice")
    return frozenset(WEEKDAYS[name.lower()] for name in names)


def _store(
    check: Checker, raw: object, base_dir: Path | None
) -> tuple[Path | None, str | None, Path | None]:
    """(the SQLite file or the local stem of a PostgreSQL store's files, the PostgreSQL url,
    its password file)."""
    if raw is MISSING:
        return DEFAULT_STORE_PATH, None, None
    data = check.mapping(raw, "store", (), ("path", "url", "spool", "password_file"))
    if data is None:
        return None, None, None
    if "url" not in data:
        for key in ("spool", "password_file"):
            if key in data:
                check.add(f"store.{key}", "only with store.url (a PostgreSQL store)")
        path = check.field(
            data, "path", "store", _read_store_file(base_dir), default=DEFAULT_STORE_PATH
        )
        return path, None, None
    if "path" in data:
        check.add("store.path", "not with store.url: the store is SQLite or PostgreSQL, not both")
    url = check.field(data, "url", "store", read_postgres_url)
    spool = check.field(data, "spool", "store", _read_spool(base_dir), default=DEFAULT_SPOOL)
    password_file = check.field(data, "password_file", "store", read_path(base_dir), default=None)
    # The journal and the spool are named after the store: <stem>.spool, <stem>.journal.
    stem = None if spool is None else spool.with_name(spool.name.removesuffix(".spool"))
    return stem, url, password_file


_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def read_postgres_url(value: object) -> str:
    """A ``postgresql://`` url with no password in it (a file or PGPASSFILE holds it)."""
    if not isinstance(value, str) or not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("must be a postgresql://user@host:port/database url")
    authority = value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    if ":" in authority.rsplit("@", 1)[0] and "@" in authority:
        raise ValueError("must not hold a password: put it in store.password_file or PGPASSFILE")
    query = value.split("?", 1)[1] if "?" in value else ""
    for pair in filter(None, query.split("&")):
        name, _, setting = pair.partition("=")
        if name == "password":
            raise ValueError(
                "must not hold a password: put it in store.password_file or PGPASSFILE"
            )
        if name == "sslmode" and setting not in _SSLMODES:
            raise ValueError(f"sslmode must be one of {', '.join(_SSLMODES)}, not {setting!r}")
    return value


def _read_spool(base_dir: Path | None) -> Callable[[object], Path]:
    read = read_path(base_dir)

    def read_file(value: object) -> Path:
        path = read(value)
        if not path.name.endswith(".spool") or path.name == ".spool":
            raise ValueError(f"must name a file ending in .spool, got {path}")
        return path

    return read_file


def _read_store_file(base_dir: Path | None) -> Callable[[object], Path]:
    read = read_path(base_dir)

    def read_file(value: object) -> Path:
        path = read(value)
        # The store and its spool are files in a folder: "/" or ".." can never be one (a
        # folder standing where the file should be is a fault of the moment, spooled).
        if path.name in ("", ".", ".."):
            raise ValueError(f"must name a file (the SQLite database), got the folder {path}")
        return path

    return read_file


def _level(check: Checker, name: str, raw: object) -> Level | None:
    problems_before = len(check.problems)
    path = f"levels.{name}"
    data = check.mapping(raw, path, ("fee", "free_quarters", "response"), ("clock",))
    if data is None:
        return None
    fee = check.field(data, "fee", path, read_money)
    free_quarters = check.field(data, "free_quarters", path, read_integer(0))
    clock = check.field(data, "clock", path, read_choice(Clock), default="elapsed")
    response = _response(check, data.get("response", []), f"{path}.response")
    if len(check.problems) > problems_before or "response" not in data:
        return None
    assert fee is not None and free_quarters is not None and clock is not None
    return Level(name, fee, free_quarters, response, cast("Clock", clock))


def _response(check: Checker, raw: object, path: str) -> tuple[ResponseRule, ...]:
    """R3: the rules of a level, first match wins; together they must cover every time."""
    if not isinstance(raw, list) or not raw:
        check.add(path, f"must be a non-empty list of {{when, within}}, got {shown(raw)}")
        return ()
    rules: list[ResponseRule] = []
    covered: set[str] = set()
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        data = check.mapping(item, item_path, ("when", "within"), ())
        if data is None:
            continue
        when = check.field(data, "when", item_path, read_choice(When))
        within = check.field(data, "within", item_path, read_duration(allow_zero=False))
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


def _rates(check: Checker, raw: object) -> Rates | None:
    names = tuple(f.name for f in dataclasses.fields(Rates))
    data = check.mapping(raw, "rates", (), names)
    if data is None:
        return None
    readers: dict[str, Callable[[object], object]] = {
        "business_hours": read_money,
        "outside": read_money,
        "outside_minimum_quarters": read_integer(0),
        "out_of_contract_minimum_quarters": read_integer(0),
        "contract_discount": read_fraction(upper_open=True),
        "express_fee": read_money,
        "vat": read_fraction(upper_open=False),
    }
    values = {
        name: check.field(data, name, "rates", readers[name], getattr(DEFAULT_RATES, name))
        for name in names
    }
    if any(value is None for value in values.values()):
        return None
    return Rates(**values)  # type: ignore[arg-type]


def _icinga(check: Checker, raw: object, base_dir: Path | None) -> IcingaApi | None:
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
    url = check.field(data, "url", path, read_url)
    user = check.field(data, "user", path, read_string)
    password_file = check.field(data, "password_file", path, read_optional_path(base_dir), None)
    ca_file = check.field(data, "ca_file", path, read_optional_path(base_dir), None)
    verify = check.field(data, "verify", path, read_boolean, True)
    timeout = check.field(data, "timeout", path, read_timeout, 5.0)
    if len(check.problems) > problems_before or url is None or user is None:
        return None
    assert verify is not None and timeout is not None
    return IcingaApi(url, user, password_file, ca_file, verify, timeout)


def _alert_transport(check: Checker, raw: object, base_dir: Path | None) -> AlertTransport | None:
    problems_before = len(check.problems)
    path = "alerts"
    data = check.mapping(
        raw,
        path,
        (),
        ("smtp_host", "smtp_port", "sender", "sms_gateway", "timeout", "templates", "apprise"),
    )
    if data is None:
        return None
    host = check.field(data, "smtp_host", path, read_string, "localhost")
    port = check.field(data, "smtp_port", path, _port, 25)
    sender = check.field(data, "sender", path, read_string, "vigie@localhost")
    gateway = check.field(data, "sms_gateway", path, _sms_gateway, None)
    timeout = check.field(data, "timeout", path, read_timeout, 10.0)
    templates = check.field(data, "templates", path, _templates_folder(base_dir), None)
    apprise = check.field(data, "apprise", path, read_list_of(_apprise_url, "apprise URLs"), ())
    if len(check.problems) > problems_before:
        return None
    assert host is not None and port is not None and sender is not None and timeout is not None
    assert apprise is not None
    return AlertTransport(host, port, sender, gateway, timeout, templates, apprise)


def _templates_folder(base_dir: Path | None) -> Callable[[object], Path | None]:
    read = read_optional_path(base_dir)

    def folder(value: object) -> Path | None:
        found = read(value)
        if found is not None and not found.is_dir():
            raise ValueError(f"must be a folder of LANG/NAME.subject|body|sms files: {found}")
        return found

    return folder


def _apprise_url(value: object) -> str:
    # An apprise URL names its service by its scheme (twilio://, vonage://, ...); it holds
    # the gateway's credentials, so this file's mode matters (0640, as documented).
    text = read_string(value)
    if "://" not in text or any(c.isspace() for c in text):
        raise ValueError(f"must be an apprise URL like twilio://..., got {text.split(':')[0]!r}")
    return text


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"must be a TCP port (1 to 65535), got {shown(value)}")
    return value


def _sms_gateway(value: object) -> str | None:
    if value is None:
        return None
    text = read_string(value)
    if "{number}" not in text or "@" not in text:
        raise ValueError(f"must be an address holding {{number}}, got {shown(value)}")
    return text


def _reopen_within(check: Checker, raw: object) -> timedelta | None:
    data = check.mapping(raw, "tickets", (), ("reopen_within",))
    if data is None:
        return None
    return check.field(
        data, "reopen_within", "tickets", read_duration(allow_zero=True), timedelta(hours=1)
    )
