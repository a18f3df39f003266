"""The SLA rules R1, R3 and R4, one table row per case, each citing its rule.

Times are written as the provider sees them (Europe/Brussels wall clock) unless a row says
otherwise; the functions under test must answer in UTC.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config.calendar import business_calendar
from bridge.config.holidays import HolidayLookup, country_problem
from bridge.config.load import load_config
from bridge.config.model import ConfigError
from bridge.domain.contract import BusinessHours, Level, ResponseRule
from bridge.domain.sla import (
    BusinessCalendar,
    SlaStatus,
    is_breached,
    response_rule,
    sla_status,
    take_over_deadline,
)
from tests import offer

BRUSSELS = ZoneInfo("Europe/Brussels")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vigie.yaml"
OFFICE = BusinessHours(days=frozenset(range(5)), start=time(9), end=time(17))


def local(text: str) -> datetime:
    """A Brussels wall-clock time, ``2026-11-27 16:30[:ss]``."""
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def calendar(holidays: str | None = None) -> BusinessCalendar:
    if holidays is None:
        return BusinessCalendar(BRUSSELS, OFFICE)
    return BusinessCalendar(BRUSSELS, OFFICE, HolidayLookup(holidays))


LEVELS = {
    **offer.LEVELS,
    # clock: business, as Zammad or OTRS count it (R3's last paragraph).
    "C-business": Level(
        "C-business",
        fee=Decimal(210),
        free_quarters=3,
        response=(ResponseRule("always", timedelta(hours=4)),),
        clock="business",
    ),
    "3-days-business": Level(
        "3-days-business",
        fee=Decimal(70),
        free_quarters=1,
        response=(ResponseRule("always", timedelta(hours=24)),),
        clock="business",
    ),
    "B-business": Level(
        "B-business",
        fee=Decimal(140),
        free_quarters=2,
        response=(
            ResponseRule("business_hours", timedelta(hours=4)),
            ResponseRule("outside", timedelta(hours=8)),
        ),
        clock="business",
    ),
}


# --- R1: business hours -------------------------------------------------------------------

BUSINESS_TIME_ROWS = [
    # (rule, at, holidays, inside)
    ("R1 start is inside", local("2026-11-23 09:00:00"), None, True),
    ("R1 just before start", local("2026-11-23 08:59:59.999999"), None, False),
    ("R1 last second", local("2026-11-23 16:59:59.999999"), None, True),
    ("R1 end is outside (half-open)", local("2026-11-23 17:00:00"), None, False),
    ("R1 Friday afternoon", local("2026-11-27 16:30"), None, True),
    ("R1 Saturday", local("2026-11-28 10:00"), None, False),
    ("R1 Sunday", local("2026-11-29 10:00"), None, False),
    ("R1 night", local("2026-11-24 03:00"), None, False),
    (
        "R1 read in the provider's zone (UTC 08:00 = CET 09:00)",
        datetime(2026, 11, 23, 8, tzinfo=UTC),
        None,
        True,
    ),
    ("R1 UTC 07:59 = CET 08:59", datetime(2026, 11, 23, 7, 59, tzinfo=UTC), None, False),
    ("R1 summer: UTC 07:00 = CEST 09:00", datetime(2026, 7, 6, 7, tzinfo=UTC), None, True),
    ("R1 summer: UTC 15:00 = CEST 17:00", datetime(2026, 7, 6, 15, tzinfo=UTC), None, False),
    ("R1 summer: UTC 14:59 = CEST 16:59", datetime(2026, 7, 6, 14, 59, tzinfo=UTC), None, True),
    ("R1 no holidays by default: Christmas is a Friday", local("2026-12-25 10:00"), None, True),
    ("R1 holidays BE: Christmas", local("2026-12-25 10:00"), "BE", False),
    ("R1 holidays BE: Armistice 2026-11-11", local("2026-11-11 10:00"), "BE", False),
    ("R1 holidays BE: the day after Armistice", local("2026-11-12 10:00"), "BE", True),
    ("R1 holidays BE: Easter Monday 2026-04-06", local("2026-04-06 11:00"), "BE", False),
    ("R1 holidays FR: Armistice is French too", local("2026-11-11 10:00"), "FR", False),
    ("R1 holidays FR: Belgian National Day is not", local("2026-07-21 10:00"), "FR", True),
]


@pytest.mark.parametrize(
    ("rule", "at", "holidays", "inside"), BUSINESS_TIME_ROWS, ids=[r[0] for r in BUSINESS_TIME_ROWS]
)
def test_is_business_time(rule: str, at: datetime, holidays: str | None, inside: bool) -> None:
    assert calendar(holidays).is_business_time(at) is inside


def test_business_days_and_hours_come_from_the_configuration() -> None:
    """R1 with a six-day week 08:00-12:00 (what an admin may configure)."""
    hours = BusinessHours(days=frozenset(range(6)), start=time(8), end=time(12))
    saturday_shop = BusinessCalendar(BRUSSELS, hours)
    assert saturday_shop.is_business_time(local("2026-11-28 08:00"))
    assert not saturday_shop.is_business_time(local("2026-11-28 12:00"))
    assert not saturday_shop.is_business_time(local("2026-11-29 10:00"))


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        calendar().is_business_time(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="reference_at"):
        take_over_deadline(datetime(2026, 11, 23, 10), LEVELS["A"], calendar())


def test_holidays_are_asked_only_about_business_weekday_hours() -> None:
    """R1: the holiday calendar is expensive; nights and weekends never consult it."""
    asked: list[date] = []

    def is_holiday(day: date) -> bool:
        asked.append(day)
        return day == date(2026, 11, 11)

    cal = BusinessCalendar(BRUSSELS, OFFICE, is_holiday)
    assert not cal.is_business_time(local("2026-11-28 10:00"))  # Saturday
    assert not cal.is_business_time(local("2026-11-11 20:00"))  # a holiday, but at night
    assert asked == []
    assert not cal.is_business_time(local("2026-11-11 10:00"))
    assert asked == [date(2026, 11, 11)]


# --- R3: take-over deadlines --------------------------------------------------------------

DEADLINE_ROWS = [
    # (rule, level, reference time, holidays, deadline in Brussels wall-clock time)
    ("R3 example: A Mon 10:00", "A", "2026-11-23 10:00", None, "2026-11-24 10:00"),
    ("R3 example: B Fri 16:30 inside", "B", "2026-11-27 16:30", None, "2026-11-27 20:30"),
    ("R3 example: B Fri 17:00 outside", "B", "2026-11-27 17:00", None, "2026-11-28 05:00"),
    ("R3 example: B Sat 10:00", "B", "2026-11-28 10:00", None, "2026-11-28 22:00"),
    ("R3 example: B Mon 08:59", "B", "2026-11-30 08:59", None, "2026-11-30 20:59"),
    ("R3 example: C Sun 03:00", "C", "2026-11-29 03:00", None, "2026-11-29 07:00"),
    ("R3 example: A across spring DST", "A", "2026-03-28 12:00", None, "2026-03-29 13:00"),
    ("R3 A across autumn DST", "A", "2026-10-24 12:00", None, "2026-10-25 11:00"),
    ("R3 C across spring DST night", "C", "2026-03-29 00:30", None, "2026-03-29 05:30"),
    ("R3+R1 B Mon 09:00 inside", "B", "2026-11-30 09:00", None, "2026-11-30 13:00"),
    ("R3+R1 B Christmas without holidays", "B", "2026-12-25 10:00", None, "2026-12-25 14:00"),
    ("R3+R1 B Christmas, holidays BE", "B", "2026-12-25 10:00", "BE", "2026-12-25 22:00"),
    ("R3+R1 B Armistice, holidays BE", "B", "2026-11-11 10:00", "BE", "2026-11-11 22:00"),
    # clock: business counts business time only.
    ("R3 business clock within a day", "C-business", "2026-11-23 10:00", None, "2026-11-23 14:00"),
    (
        "R3 business clock over a weekend",
        "C-business",
        "2026-11-27 16:30",
        None,
        "2026-11-30 12:30",
    ),
    ("R3 business clock from Saturday", "C-business", "2026-11-28 10:00", None, "2026-11-30 13:00"),
    (
        "R3 business clock from before opening",
        "C-business",
        "2026-11-30 08:59",
        None,
        "2026-11-30 13:00",
    ),
    (
        "R3 business clock from closing time",
        "C-business",
        "2026-11-23 17:00",
        None,
        "2026-11-24 13:00",
    ),
    (
        "R3 business clock ends at closing",
        "C-business",
        "2026-11-23 13:00",
        None,
        "2026-11-23 17:00",
    ),
    (
        "R3 business clock over several days",
        "3-days-business",
        "2026-11-23 10:00",
        None,
        "2026-11-26 10:00",
    ),
    (
        "R3 business clock across DST weekend",
        "C-business",
        "2026-03-27 15:00",
        None,
        "2026-03-30 11:00",
    ),
    (
        "R3 business clock skips holidays BE",
        "C-business",
        "2026-12-24 15:00",
        "BE",
        "2026-12-28 11:00",
    ),
    ("R3 business clock, no holidays", "C-business", "2026-12-24 15:00", None, "2026-12-25 11:00"),
    (
        "R3 business clock, B outside rule",
        "B-business",
        "2026-11-27 20:00",
        None,
        "2026-11-30 17:00",
    ),
    (
        "R3 business clock, B inside rule",
        "B-business",
        "2026-11-27 16:00",
        None,
        "2026-11-30 12:00",
    ),
]


@pytest.mark.parametrize(
    ("rule", "level", "reference", "holidays", "deadline"),
    DEADLINE_ROWS,
    ids=[r[0] for r in DEADLINE_ROWS],
)
def test_take_over_deadline(
    rule: str, level: str, reference: str, holidays: str | None, deadline: str
) -> None:
    due = take_over_deadline(local(reference), LEVELS[level], calendar(holidays))
    assert due.tzinfo is UTC  # stored in UTC
    assert due == local(deadline)
    assert due.astimezone(BRUSSELS).replace(tzinfo=None) == datetime.fromisoformat(deadline)


def test_the_dst_row_is_24_elapsed_hours() -> None:
    """R3: Sat 12:00 CET to Sun 13:00 CEST is 24 real hours, not 25."""
    reference = local("2026-03-28 12:00")
    due = take_over_deadline(reference, LEVELS["A"], calendar())
    assert due - reference == timedelta(hours=24)
    assert due.isoformat() == "2026-03-29T11:00:00+00:00"


def test_the_reference_time_decides_the_rule_whatever_its_zone() -> None:
    """R3: 15:30 UTC on a Friday is 16:30 in Brussels, inside: level B gets 4 h."""
    reference = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    assert response_rule(reference, LEVELS["B"], calendar()).when == "business_hours"
    assert take_over_deadline(reference, LEVELS["B"], calendar()) == local("2026-11-27 20:30")


def test_a_level_with_no_rule_for_the_time_is_refused() -> None:
    """R3: a hand-built level with a gap (the configuration refuses one) says so."""
    office_only = Level(
        "X",
        fee=Decimal(1),
        free_quarters=0,
        response=(ResponseRule("business_hours", timedelta(hours=4)),),
    )
    with pytest.raises(ValueError, match="no response rule for a time outside business hours"):
        take_over_deadline(local("2026-11-28 10:00"), office_only, calendar())


def test_a_business_clock_with_no_business_time_gives_up() -> None:
    """R3: every day a holiday: no deadline exists; the walk is bounded and says so."""
    cal = BusinessCalendar(BRUSSELS, OFFICE, lambda day: True)
    with pytest.raises(ValueError, match="no business time"):
        take_over_deadline(local("2026-11-23 10:00"), LEVELS["C-business"], cal)


AWARE = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(BRUSSELS)
)


@settings(max_examples=200, deadline=None)
@given(reference=AWARE, level=st.sampled_from(["A", "B", "C"]))
def test_elapsed_deadlines_are_the_delay_in_real_time(reference: datetime, level: str) -> None:
    """R3 (DST-safe): for any reference time, deadline - reference is exactly the delay."""
    cal = calendar()
    due = take_over_deadline(reference, LEVELS[level], cal)
    within = response_rule(reference, LEVELS[level], cal).within
    assert due.astimezone(UTC) - reference.astimezone(UTC) == within


@settings(max_examples=200, deadline=None)
@given(reference=AWARE)
def test_business_deadlines_fall_in_business_time(reference: datetime) -> None:
    """R3 business clock: the last counted instant is business time, and no earlier one ends it."""
    cal = calendar()
    due = take_over_deadline(reference, LEVELS["C-business"], cal)
    assert due > reference
    assert cal.is_business_time(due - timedelta(microseconds=1))
    assert due - reference >= timedelta(hours=4)


# --- R4: met, breached, pending -----------------------------------------------------------

DUE = local("2026-11-27 20:30")
H = timedelta(hours=1)
S = timedelta(seconds=1)

STATUS_ROWS: list[tuple[str, dict[str, Any], SlaStatus]] = [
    ("R4 taken before the deadline", {"taken_at": DUE - H, "now": DUE + 5 * H}, "met"),
    ("R4 taken at the deadline is met", {"taken_at": DUE, "now": DUE + H}, "met"),
    ("R4 taken one second late", {"taken_at": DUE + S, "now": DUE + H}, "breached"),
    ("R4 met is known before the deadline", {"taken_at": DUE - 2 * H, "now": DUE - H}, "met"),
    ("R4 not taken, deadline ahead", {"now": DUE - H}, "pending"),
    ("R4 not taken, at the deadline", {"now": DUE}, "pending"),
    ("R4 not taken, deadline passed", {"now": DUE + S}, "breached"),
    ("R4 closed never taken, in time", {"closed_at": DUE - H, "now": DUE + H}, "met"),
    ("R4 closed never taken, late", {"closed_at": DUE + H, "now": DUE + 2 * H}, "breached"),
    (
        "R4 taken late, closed later",
        {"taken_at": DUE + H, "closed_at": DUE + 2 * H, "now": DUE + 3 * H},
        "breached",
    ),
    (
        "R4 taken in time, closed late",
        {"taken_at": DUE - H, "closed_at": DUE + 2 * H, "now": DUE + 3 * H},
        "met",
    ),
    (
        "R4 recovered before the deadline",
        {"recovered_at": DUE - H, "now": DUE + 5 * H},
        "recovered",
    ),
    ("R4 recovered at the deadline", {"recovered_at": DUE, "now": DUE + H}, "recovered"),
    ("R4 recovered after the deadline", {"recovered_at": DUE + H, "now": DUE + 2 * H}, "breached"),
    (
        "R4 recovered in time, taken late",
        {"recovered_at": DUE - H, "taken_at": DUE + H, "now": DUE + 2 * H},
        "recovered",
    ),
    (
        "R4 taken and recovered in time",
        {"taken_at": DUE - 2 * H, "recovered_at": DUE - H, "now": DUE + H},
        "met",
    ),
    (
        "R4 recovered, closed late",
        {"recovered_at": DUE - H, "closed_at": DUE + 5 * H, "now": DUE + 6 * H},
        "recovered",
    ),
    # As of "now": what happens later is not known yet.
    ("R4 take-over after now is not counted", {"taken_at": DUE - H, "now": DUE - 2 * H}, "pending"),
    (
        "R4 breached from the moment the deadline passes",
        {"taken_at": DUE + H, "now": DUE + H / 2},
        "breached",
    ),
    (
        "R4 recovery after now is not counted",
        {"recovered_at": DUE - H, "now": DUE - 2 * H},
        "pending",
    ),
    # Instants compare as instants, whatever zone each is written in.
    (
        "R4 zones: 19:30 UTC is 20:30 in Brussels",
        {"taken_at": datetime(2026, 11, 27, 19, 30, tzinfo=UTC), "now": DUE + H},
        "met",
    ),
    (
        "R4 zones: 19:31 UTC is late",
        {"taken_at": datetime(2026, 11, 27, 19, 31, tzinfo=UTC), "now": DUE + H},
        "breached",
    ),
]


@pytest.mark.parametrize(
    ("rule", "times", "expected"), STATUS_ROWS, ids=[r[0] for r in STATUS_ROWS]
)
def test_sla_status(rule: str, times: dict[str, Any], expected: SlaStatus) -> None:
    assert sla_status(DUE, **times) == expected
    assert is_breached(DUE, **times) is (expected == "breached")


def test_no_deadline_means_no_sla() -> None:
    """R9: out of contract, no SLA: never breached."""
    assert sla_status(None, now=DUE + 100 * H) == "no_sla"
    assert not is_breached(None, now=DUE + 100 * H)


def test_sla_status_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="taken_at"):
        sla_status(DUE, now=DUE, taken_at=datetime(2026, 11, 27, 10))


# --- the holiday calendar: lazy, cached, validated -----------------------------------------


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_the_holidays_package_loads_only_for_a_business_weekday(tmp_path: Path) -> None:
    """R1 and the issue's speed budget: `vigie notify` pays for holidays only when needed."""
    config = tmp_path / "vigie.yaml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8").replace("holidays: null", "holidays: BE"))
    code = f"""
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
from bridge.config.load import load_config
from bridge.config.calendar import business_calendar
cal = business_calendar(load_config({str(config)!r}))
tz = ZoneInfo("Europe/Brussels")
steps = ["holidays" in sys.modules]
cal.is_business_time(datetime(2026, 11, 28, 10, tzinfo=tz))  # Saturday
cal.is_business_time(datetime(2026, 11, 23, 20, tzinfo=tz))  # Monday night
steps.append("holidays" in sys.modules)
steps.append(cal.is_business_time(datetime(2026, 11, 11, 10, tzinfo=tz)))  # Armistice
steps.append("holidays" in sys.modules)
print(steps)
"""
    assert _run(code) == "[False, False, False, True]"


def test_computed_holidays_are_kept_per_year(tmp_path: Path) -> None:
    """The cache file is used by the next process; a stale one is recomputed."""
    first = HolidayLookup("BE", cache_dir=tmp_path)
    assert first(date(2026, 11, 11))
    cached = tmp_path / "holidays-BE-2026.txt"
    header, *lines = cached.read_text(encoding="utf-8").splitlines()
    assert "2026-12-25" in lines and "2026-11-11" in lines and len(lines) == 12

    # Prove that the next lookup reads the file: add a day that is no holiday.
    cached.write_text("\n".join([header, *lines, "2026-06-15"]) + "\n", encoding="utf-8")
    assert HolidayLookup("BE", cache_dir=tmp_path)(date(2026, 6, 15))
    # A file from another version of the package is not trusted.
    cached.write_text("# BE 2026 another-version\n2026-06-15\n", encoding="utf-8")
    assert not HolidayLookup("BE", cache_dir=tmp_path)(date(2026, 6, 15))
    assert "2026-06-15" not in cached.read_text(encoding="utf-8")


def test_an_unwritable_cache_is_not_kept(tmp_path: Path) -> None:
    lookup = HolidayLookup("BE", cache_dir=tmp_path / "missing")
    assert lookup(date(2026, 12, 25))
    assert not (tmp_path / "missing").exists()
    assert lookup.dates(2026) is lookup.dates(2026)  # once per process


def test_holiday_codes_are_checked() -> None:
    """R1: a code the holidays package does not know is a configuration problem."""
    assert country_problem("BE") is None
    assert country_problem("DE-BY") is None
    assert country_problem("XX") == "unknown country or subdivision 'XX'"
    assert country_problem("DE-XX") == "unknown country or subdivision 'DE-XX'"
    with pytest.raises(ConfigError, match=r"business_hours\.holidays: unknown country"):
        HolidayLookup("XX")(date(2026, 1, 1))


def test_a_missing_holidays_package_is_a_configuration_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The package is an optional extra; configuring holidays without it must say so."""
    monkeypatch.setitem(sys.modules, "holidays", None)  # makes `import holidays` fail
    assert country_problem("BE") == "needs the holidays package (pip install 'vigie[holidays]')"


def test_the_example_configuration_builds_a_calendar() -> None:
    """R1 from vigie.yaml: Europe/Brussels, Mon-Fri 09:00-17:00, no holidays."""
    cal = business_calendar(load_config(EXAMPLE))
    assert cal.is_business_time(local("2026-12-25 10:00"))
    assert not cal.is_business_time(local("2026-12-25 17:00"))
    config = load_config(EXAMPLE)
    due = take_over_deadline(local("2026-11-27 16:30"), config.levels["B"], cal)
    assert due == local("2026-11-27 20:30")
