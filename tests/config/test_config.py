"""Loading ``vigie.yaml``: the example loads, and every kind of mistake is named by its key.

Rows cite the rule a key carries (R3 levels, R11 approval threshold...) or "schema" for
the file's own shape.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config.load import config_path, load_config
from bridge.config.model import DEFAULT_CONFIG_PATH, Config, ConfigError, IcingaApi
from bridge.config.sections import parse_config
from bridge.config.validate import format_duration, parse_duration
from bridge.domain.contract import DEFAULT_RATES, Alerts, ResponseRule
from tests.offer import LEVELS_DATA, RATES_DATA

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vigie.yaml"

BASE: dict[str, Any] = {
    "timezone": "Europe/Brussels",
    "business_hours": {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "17:00",
    },
    "store": {"path": "/var/lib/vigie/vigie.db"},
    "levels": copy.deepcopy(dict(LEVELS_DATA)),
    "rates": {name: RATES_DATA[name] for name in ("business_hours", "outside")},
    "customers": {
        "acme": {
            "name": "ACME SA",
            "account_manager": "alice",
            "approval_threshold": 6,
            "servers": {
                "web01": {"level": "B", "since": date(2026, 1, 1)},
                "db01": {"level": "C", "since": date(2026, 1, 1), "until": date(2026, 12, 31)},
            },
        }
    },
    "icinga": {"url": "https://127.0.0.1:5665", "user": "vigie"},
}

_DELETE = object()


def changed(*edits: tuple[str, object]) -> dict[str, Any]:
    """BASE with each ``(dotted.path, value)`` set (or removed with _DELETE)."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def problems_of(data: object, **options: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "test", **options)
    return caught.value.problems


# --- what loads ---------------------------------------------------------------------------


def test_the_example_file_loads() -> None:
    """examples/vigie.yaml holds the offer exactly (levels table, R7-R13 rates)."""
    config = load_config(EXAMPLE, check_holidays=True)
    assert config.source == EXAMPLE
    assert config.timezone == ZoneInfo("Europe/Brussels")
    assert config.business_hours.days == frozenset({0, 1, 2, 3, 4})
    assert (config.business_hours.start, config.business_hours.end) == (time(9), time(17))
    assert config.business_hours.holidays is None
    fees = {name: (level.fee, level.free_quarters) for name, level in config.levels.items()}
    assert fees == {"A": (Decimal(70), 1), "B": (Decimal(140), 2), "C": (Decimal(210), 3)}
    assert config.levels["A"].response == (ResponseRule("always", timedelta(hours=24)),)
    assert config.levels["B"].response == (
        ResponseRule("business_hours", timedelta(hours=4)),
        ResponseRule("outside", timedelta(hours=12)),
    )
    assert config.levels["C"].response == (ResponseRule("always", timedelta(hours=4)),)
    assert all(level.clock == "elapsed" for level in config.levels.values())
    assert config.rates == DEFAULT_RATES
    assert str(config.rates.business_hours) == "20.00"  # exact, as written
    assert config.reopen_within == timedelta(hours=1)
    acme = config.customers["acme"]
    assert acme.account_manager == "alice"
    assert acme.approval_threshold == 6
    assert {host: s.level for host, s in acme.servers.items()} == {
        "web01": "B",
        "db01": "C",
        "mail01": "A",
    }
    assert acme.servers["db01"].until == date(2026, 12, 31)
    assert acme.alerts == Alerts(email=("ops@acme.example",), sms=("+32470000000",))
    assert acme.multi_server_discount == Decimal("0.10")
    assert len(config.customers) >= 2
    other = next(c for c in config.customers.values() if c.id != "acme")
    assert other.servers and other.account_manager
    found = config.find_server("web01")
    assert found is not None and found[0].id == "acme"


def test_everything_but_levels_has_a_default() -> None:
    """R1, R7-R13 defaults: the offer's numbers when the file leaves them out."""
    config = parse_config({"levels": BASE["levels"]}, "test")
    assert config.timezone == ZoneInfo("Europe/Brussels")
    assert config.business_hours.days == frozenset(range(5))
    assert (config.business_hours.start, config.business_hours.end) == (time(9), time(17))
    assert config.rates == DEFAULT_RATES
    assert config.customers == {}
    assert config.icinga is None
    assert config.reopen_within == timedelta(hours=1)
    assert config.store_path == Path("/var/lib/vigie/vigie.db")


def test_the_optional_keys_are_read() -> None:
    config = parse_config(
        changed(
            ("icinga.password_file", "secrets/icinga"),
            ("icinga.verify", False),
            ("icinga.timeout", 2.5),
            ("tickets.reopen_within", "1h30m"),
            ("customers.acme.close_on_recovery", True),
            ("customers.acme.flat_fee", 250.10),
            ("customers.acme.refund_scope", "contract"),
            ("business_hours.holidays", "be"),
            ("levels.C.clock", "business"),
            ("store.path", "data/vigie.db"),
        ),
        "test",
        base_dir=Path("/srv/vigie"),
    )
    assert config.icinga == IcingaApi(
        url="https://127.0.0.1:5665",
        user="vigie",
        password_file=Path("/srv/vigie/secrets/icinga"),  # relative to the file
        verify=False,
        timeout=2.5,
    )
    assert config.reopen_within == timedelta(minutes=90)
    acme = config.customers["acme"]
    assert acme.close_on_recovery and acme.refund_scope == "contract"
    assert acme.flat_fee == Decimal("250.10")  # a float goes through str(): exact
    assert config.business_hours.holidays == "BE"
    assert config.levels["C"].clock == "business"
    assert config.store_path == Path("/srv/vigie/data/vigie.db")


# --- what is refused, each named by its key -----------------------------------------------

PROBLEM_ROWS: list[tuple[str, dict[str, Any], str]] = [
    (
        "R11 threshold below 4",
        changed(("customers.acme.approval_threshold", 2)),
        "customers.acme.approval_threshold: must be >= 4, got 2",
    ),
    (
        "R11 threshold not a number",
        changed(("customers.acme.approval_threshold", "six")),
        "customers.acme.approval_threshold: must be a whole number, got 'six'",
    ),
    (
        "schema: a misspelt key",
        changed(("customers.acme.aproval_threshold", 6)),
        "customers.acme.aproval_threshold: unknown key (did you mean approval_threshold?)",
    ),
    (
        "schema: an unknown top-level key",
        changed(("customer", {})),
        "customer: unknown key (did you mean customers?)",
    ),
    ("schema: levels are required", changed(("levels", _DELETE)), "levels: required"),
    (
        "schema: at least one level",
        changed(("levels", {})),
        "levels: must define at least one level",
    ),
    (
        "R3 a server's level must exist",
        changed(("customers.acme.servers.web01.level", "D")),
        "customers.acme.servers.web01.level: unknown level 'D' (levels: A, B, C)",
    ),
    (
        "R1 time zone",
        changed(("timezone", "Europe/Bruxelles")),
        "timezone: unknown time zone 'Europe/Bruxelles' (like Europe/Brussels)",
    ),
    (
        "R3 duration in words",
        changed(("levels.B.response.0.within", "4 hours")),
        "levels.B.response[0].within: must be a duration like 4h, 30m, 1h30m or 90s, got '4 hours'",
    ),
    (
        "R3 duration without unit",
        changed(("levels.B.response.1.within", 12)),
        "levels.B.response[1].within: must be a duration like 4h, 30m, 1h30m or 90s, got 12",
    ),
    (
        "R3 zero delay",
        changed(("levels.C.response.0.within", "0h")),
        "levels.C.response[0].within: must be longer than zero, got '0h'",
    ),
    (
        "R3 unknown when",
        changed(("levels.B.response.0.when", "weekdays")),
        "levels.B.response[0].when: must be one of always, business_hours, outside, got 'weekdays'",
    ),
    (
        "R3 a time with no rule",
        changed(("levels.B.response", [{"when": "business_hours", "within": "4h"}])),
        "levels.B.response: no rule for a reference time outside",
    ),
    (
        "R3 a rule never used",
        changed(
            (
                "levels.A.response",
                [{"when": "always", "within": "24h"}, {"when": "outside", "within": "12h"}],
            )
        ),
        "levels.A.response[1].when: outside: never used, an earlier rule covers it",
    ),
    (
        "R3 empty response",
        changed(("levels.A.response", [])),
        "levels.A.response: must be a non-empty list of {when, within}, got a list",
    ),
    (
        "R3 clock",
        changed(("levels.A.clock", "wall")),
        "levels.A.clock: must be one of elapsed, business, got 'wall'",
    ),
    (
        "R12 negative fee",
        changed(("levels.A.fee", -1)),
        "levels.A.fee: must be an amount >= 0, got -1",
    ),
    (
        "R12 fee not a number",
        changed(("levels.A.fee", "lots")),
        "levels.A.fee: must be a number, got 'lots'",
    ),
    (
        "R8 free quarters whole",
        changed(("levels.B.free_quarters", Decimal("1.5"))),
        "levels.B.free_quarters: must be a whole number, got 1.5",
    ),
    (
        "R8 free quarters not a boolean",
        changed(("levels.B.free_quarters", True)),
        "levels.B.free_quarters: must be a whole number, got True",
    ),
    ("schema: level missing fee", changed(("levels.C.fee", _DELETE)), "levels.C.fee: required"),
    (
        "R1 start as a number",
        changed(("business_hours.start", 9)),
        'business_hours.start: must be a time of day like "09:00" (quoted), got 9',
    ),
    (
        "R1 end before start",
        changed(("business_hours.end", "08:00")),
        "business_hours.end: must be after start (09:00), got 08:00; "
        "business hours cannot span midnight",
    ),
    (
        "R1 unknown weekday",
        changed(("business_hours.days", ["mon", "funday"])),
        "business_hours.days: unknown weekday 'funday' (use mon, tue, wed, thu, fri, sat, sun)",
    ),
    (
        "R1 no weekday",
        changed(("business_hours.days", [])),
        "business_hours.days: must list at least one weekday",
    ),
    (
        "R1 holiday country code",
        changed(("business_hours.holidays", "Belgium")),
        "business_hours.holidays: must be a country code like BE or FR "
        "(or DE-BY with a subdivision), got 'Belgium'",
    ),
    (
        "R12 since not a date",
        changed(("customers.acme.servers.web01.since", "2026-13-01")),
        "customers.acme.servers.web01.since: must be a date like 2026-01-01, got '2026-13-01'",
    ),
    (
        "R12 since is a date, not a time",
        changed(("customers.acme.servers.web01.since", datetime(2026, 1, 1, 10))),
        "customers.acme.servers.web01.since: must be a date like 2026-01-01, "
        "got '2026-01-01T10:00:00'",
    ),
    (
        "R12 until before since",
        changed(("customers.acme.servers.db01.until", date(2025, 12, 31))),
        "customers.acme.servers.db01.until: is before since (2026-01-01), got 2025-12-31",
    ),
    (
        "R12 since required",
        changed(("customers.acme.servers.web01.since", _DELETE)),
        "customers.acme.servers.web01.since: required",
    ),
    (
        "R12 a host under two contracts",
        changed(("customers.beta", {"servers": {"web01": {"level": "A", "since": "2026-02-01"}}})),
        "customers.beta.servers.web01: already under contract in customers.acme",
    ),
    (
        "R12 negative flat fee",
        changed(("customers.acme.flat_fee", -5)),
        "customers.acme.flat_fee: must be an amount >= 0, got -5",
    ),
    (
        "R12 discount over 100%",
        changed(("customers.acme.multi_server_discount", 1.5)),
        "customers.acme.multi_server_discount: must be a fraction from 0 to 1 (0.25 for 25%), "
        "got 1.5",
    ),
    (
        "R13 VAT as a percentage",
        changed(("rates.vat", 21)),
        "rates.vat: must be a fraction from 0 to 1 (0.25 for 25%), got 21",
    ),
    (
        "R9 contract discount of 100% divides by zero",
        changed(("rates.contract_discount", 1)),
        "rates.contract_discount: must be a fraction from 0 up to but not including 1 "
        "(0.25 for 25%), got 1",
    ),
    (
        "R7 rate not a number",
        changed(("rates.outside", "thirty-five")),
        "rates.outside: must be a number, got 'thirty-five'",
    ),
    (
        "R7 rate not finite",
        changed(("rates.outside", float("inf"))),
        "rates.outside: must be a finite number, got inf",
    ),
    (
        "R7 minimum negative",
        changed(("rates.outside_minimum_quarters", -1)),
        "rates.outside_minimum_quarters: must be >= 0, got -1",
    ),
    (
        "R5 refund scope",
        changed(("customers.acme.refund_scope", "customer")),
        "customers.acme.refund_scope: must be one of server, contract, got 'customer'",
    ),
    (
        "R14 SMS number read as a number",
        changed(("customers.acme.alerts", {"sms": [32470000000]})),
        'customers.acme.alerts.sms: item 1: must be a phone number in quotes like "+32470000000", '
        "got 32470000000",
    ),
    (
        "R14 email address",
        changed(("customers.acme.alerts", {"email": ["ops@acme.example", "ops-at-acme"]})),
        "customers.acme.alerts.email: item 2: not an email address: 'ops-at-acme'",
    ),
    (
        "R14 alerts as a list",
        changed(("customers.acme.alerts", ["ops@acme.example"])),
        "customers.acme.alerts: must be a mapping, got a list",
    ),
    (
        "R16 account manager",
        changed(("customers.acme.account_manager", "")),
        "customers.acme.account_manager: must be a non-empty string, got ''",
    ),
    (
        "schema: close_on_recovery",
        changed(("customers.acme.close_on_recovery", "yes")),
        "customers.acme.close_on_recovery: must be true or false, got 'yes'",
    ),
    (
        "schema: a customer as a list",
        changed(("customers.acme", ["web01"])),
        "customers.acme: must be a mapping, got a list",
    ),
    (
        "schema: store path",
        changed(("store.path", "")),
        "store.path: must be a non-empty string, got ''",
    ),
    (
        "schema: reopen_within",
        changed(("tickets.reopen_within", "soon")),
        "tickets.reopen_within: must be a duration like 4h, 30m, 1h30m or 90s, got 'soon'",
    ),
    (
        "secrets: no password in the file",
        changed(("icinga.password", "hunter2")),
        "icinga.password: not allowed here; put it in a file named by password_file",
    ),
    (
        "schema: icinga URL",
        changed(("icinga.url", "ftp://icinga.example")),
        "icinga.url: must be an http(s) URL like https://icinga.example:5665, "
        "got 'ftp://icinga.example'",
    ),
    ("schema: icinga user", changed(("icinga.user", _DELETE)), "icinga.user: required"),
    (
        "schema: icinga timeout",
        changed(("icinga.timeout", 0)),
        "icinga.timeout: must be a number of seconds > 0, got 0",
    ),
    (
        "schema: icinga verify",
        changed(("icinga.verify", "yes")),
        "icinga.verify: must be true or false, got 'yes'",
    ),
    (
        "schema: a level name",
        changed(("levels", {**BASE["levels"], 5: BASE["levels"]["A"]})),
        "levels.5: a level name must be a word, got 5",
    ),
]


@pytest.mark.parametrize(
    ("rule", "data", "problem"), PROBLEM_ROWS, ids=[r[0] for r in PROBLEM_ROWS]
)
def test_each_problem_is_named_by_its_key(rule: str, data: dict[str, Any], problem: str) -> None:
    assert problems_of(data) == [problem]


def test_the_base_of_the_problem_table_is_valid() -> None:
    """Without it, the rows above could fail for another reason than theirs."""
    assert isinstance(parse_config(BASE, "test"), Config)


def test_every_problem_is_listed_at_once() -> None:
    """An admin fixes the file in one pass: nothing stops at the first problem."""
    data = changed(
        ("timezone", "Mars/Olympus"),
        ("levels.B.fee", "free"),
        ("customers.acme.approval_threshold", 2),
        ("customers.acme.servers.web01.level", "Z"),
        ("rates.vat", 21),
    )
    problems = problems_of(data)
    assert len(problems) == 5
    assert [p.split(":")[0] for p in problems] == [
        "timezone",
        "levels.B.fee",
        "rates.vat",
        "customers.acme.approval_threshold",
        "customers.acme.servers.web01.level",
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "test")
    assert str(caught.value) == "; ".join(problems)


def test_a_level_with_problems_does_not_hide_its_servers() -> None:
    """A server naming a level that is present but wrong is not also 'unknown level'."""
    assert problems_of(changed(("levels.B.fee", -3))) == [
        "levels.B.fee: must be an amount >= 0, got -3"
    ]


def test_the_top_level_must_be_a_mapping() -> None:
    assert problems_of(["levels"]) == ["(top level): must be a mapping, got a list"]


def test_an_unknown_holiday_country_is_found_by_check_config() -> None:
    """R1: a country the holidays package does not know; found when asked (check-config)."""
    data = changed(("business_hours.holidays", "XX"))
    assert parse_config(data, "test").business_hours.holidays == "XX"  # lazy: notify's path
    assert problems_of(data, check_holidays=True) == [
        "business_hours.holidays: unknown country or subdivision 'XX'"
    ]


# --- the file itself ----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vigie.yaml"
    path.write_text(text, encoding="utf-8")
    return path


LEVELS_YAML = """\
levels:
  A: {fee: 70, free_quarters: 1, response: [{when: always, within: 24h}]}
"""


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, LEVELS_YAML + "customers:\n  acme:\n    name: ACME\n   servers: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}, line 6, column 4: YAML syntax error: ")
    assert caught.value.source == str(path)


def test_an_unclosed_bracket_names_where_it_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: UTC\nlevels:\n  A: {fee: 70, free_quarters: 1\nstore: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}, line 4, column ")
    assert "from line 3, column 6" in problem


def test_a_key_written_twice_is_an_error(tmp_path: Path) -> None:
    """A duplicate key would silently replace the first; say where it is instead."""
    path = write(tmp_path, LEVELS_YAML + "timezone: UTC\ntimezone: Europe/Brussels\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}, line 4, column 1: YAML syntax error: found duplicate key 'timezone' "
        "(while constructing a mapping from line 1, column 1)"
    ]


def test_yaml_11_surprises_are_read_as_written(tmp_path: Path) -> None:
    """Unquoted 17:00 is not 1020 (base 60), NO is Norway not false, 20.00 stays 20.00."""
    path = write(
        tmp_path,
        LEVELS_YAML
        + "business_hours: {start: 08:30, end: 17:00, holidays: NO}\n"
        + "rates: {business_hours: 20.00, vat: 0.21}\n"
        + "alerts: {sms_gateway: '{number}@sms.example'}\n"
        + "customers:\n  acme:\n    alerts: {sms: ['+32470000000']}\n"
        + "    servers: {'0123': {level: A, since: 2026-01-01}}\n",
    )
    config = load_config(path)
    assert config.business_hours.start == time(8, 30)
    assert config.business_hours.end == time(17)
    assert config.business_hours.holidays == "NO"
    assert str(config.rates.business_hours) == "20.00"
    assert config.rates.vat == Decimal("0.21")
    assert "0123" in config.customers["acme"].servers


def test_a_yes_is_not_a_boolean(tmp_path: Path) -> None:
    path = write(
        tmp_path, LEVELS_YAML + "icinga: {url: 'https://127.0.0.1:5665', user: v, verify: yes}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == ["icinga.verify: must be true or false, got 'yes'"]


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, LEVELS_YAML + "store: {path: state/vigie.db}\n")
    assert load_config(path).store_path == tmp_path / "state" / "vigie.db"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p / "absent.yaml", "{path}: no such file"),
        (lambda p: p, "{path}: cannot read it (Is a directory)"),
        (lambda p: write(p, "").with_suffix(".yaml"), "levels: required"),
    ],
    ids=["missing", "a directory", "empty"],
)
def test_unreadable_files(tmp_path: Path, make: Any, problem: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [problem.format(path=path)]


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "vigie.yaml"
    path.write_bytes(LEVELS_YAML.encode() + "# Liège\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [f"{path}: not UTF-8 text (byte {len(LEVELS_YAML) + 4})"]


def test_python_tags_are_refused(tmp_path: Path) -> None:
    """Safe loading: a YAML tag cannot run code."""
    path = write(tmp_path, LEVELS_YAML + "timezone: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "line 3" in caught.value.problems[0]


# --- where the file is --------------------------------------------------------------------


def test_config_path_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """design.md: --config, else VIGIE_CONFIG, else /etc/vigie/vigie.yaml."""
    monkeypatch.delenv("VIGIE_CONFIG", raising=False)
    assert config_path(None) == DEFAULT_CONFIG_PATH == Path("/etc/vigie/vigie.yaml")
    monkeypatch.setenv("VIGIE_CONFIG", "from-env.yaml")
    assert config_path(None) == Path("from-env.yaml")
    assert config_path("from-option.yaml") == Path("from-option.yaml")
    monkeypatch.setenv("VIGIE_CONFIG", "")
    assert config_path(None) == DEFAULT_CONFIG_PATH


def test_loading_the_config_stays_lean() -> None:
    """`vigie notify` loads the config on every call: no holidays package on that path."""
    code = (
        "import sys; from bridge.config.load import load_config; import bridge.domain.sla;"
        f"load_config({str(EXAMPLE)!r});"
        "print(sorted(m for m in ('holidays', 'difflib', 'requests') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.stdout.strip() == "[]"


# --- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("4h", timedelta(hours=4)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("2d", timedelta(days=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 12h ", timedelta(hours=12)),
        ("0s", timedelta(0)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    """R3's `within: 4h` and the like."""
    assert parse_duration(text) == duration
    assert parse_duration(format_duration(duration)) == duration


@pytest.mark.parametrize("text", ["", "h", "4", "4 h", "30m1h", "-4h", "4H", "1.5h", "4hours"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(hours=4)) == "4h"
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(hours=24)) == "24h"
    assert format_duration(timedelta(0)) == "0s"


# --- no input makes it crash --------------------------------------------------------------

YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.decimals(allow_nan=True, places=2)
    | st.floats()
    | st.dates()
    | st.sampled_from(["A", "B", "4h", "always", "outside", "09:00", "mon", "BE", "acme", ""])
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["levels", "A", "fee", "response", "when", "within", "servers", "level"]
            )
            | st.text(max_size=4),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "timezone": YAML_VALUES,
            "business_hours": YAML_VALUES,
            "levels": YAML_VALUES,
            "rates": YAML_VALUES,
            "customers": YAML_VALUES,
            "icinga": YAML_VALUES,
            "tickets": YAML_VALUES,
            "store": YAML_VALUES,
        },
    )
)
def test_any_data_gives_a_config_or_named_problems(data: dict[str, object]) -> None:
    """Whatever the file holds, the answer is a Config or ConfigError, never a traceback."""
    try:
        parse_config(data, "fuzz")
    except ConfigError as exc:
        assert exc.problems
        assert all(isinstance(p, str) and ": " in p and "\n" not in p for p in exc.problems)


def test_the_example_round_trips_through_yaml() -> None:
    """The example parsed by a plain loader gives the same Config (no loader-only magic)."""
    plain = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert parse_config(plain, "plain") == dataclasses.replace(load_config(EXAMPLE), source=None)


def _paths(node: object, prefix: str = "") -> list[str]:
    """Every dotted path inside BASE, inner and leaf."""
    items: list[tuple[str, object]] = []
    if isinstance(node, dict):
        items = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, list):
        items = [(str(i), v) for i, v in enumerate(node)]
    found = []
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else key
        found += [path, *_paths(value, path)]
    return found


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(_paths(BASE)), YAML_VALUES | st.just(_DELETE)),
        min_size=1,
        max_size=3,
    )
)
def test_any_edit_of_a_valid_file_gives_a_config_or_named_problems(
    edits: list[tuple[str, object]],
) -> None:
    """Deep mistakes (a server's since, a rule's within) never crash the loader either."""
    try:
        data = changed(*edits)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return  # an earlier edit removed or replaced what a later one reaches into
    try:
        parse_config(data, "fuzz")
    except ConfigError as exc:
        assert exc.problems
        assert all(": " in p and "\n" not in p for p in exc.problems)
