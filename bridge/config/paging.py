"""The ``paging:`` section of ``vigie.yaml``: the people paged, the on-call rota and a
policy per level (when and whom to page before the take-over deadline, R3, R5, R16)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from bridge.config.validate import (
    WEEKDAYS,
    Checker,
    read_boolean,
    read_clock_time,
    read_duration,
    read_email,
    read_list_of,
    read_phone,
    read_string,
    read_url,
    shown,
)
from bridge.domain.contract import Customer
from bridge.domain.paging import ACCOUNT_MANAGER, ROLES, LevelPolicy, Paging, Step
from bridge.domain.rota import Override, Person, Rota, Shift, uncovered
from bridge.domain.times import TimeFormatError, parse_time

_KEYS = ("people", "rota", "policy", "link_base", "catch_up")
_DEFAULT_CATCH_UP = timedelta(hours=1)


def read_paging(
    check: Checker,
    raw: object,
    *,
    tz: ZoneInfo | None,
    levels: Mapping[str, object],
    customers: Mapping[str, Customer],
    holidays: str | None,
    web_listen: str | None,
) -> Paging | None:
    """The ``paging:`` mapping, or None when absent or wrong (each problem names its key)."""
    if raw is None:
        return None
    before = len(check.problems)
    data = check.mapping(raw, "paging", ("people", "rota", "policy"), ("link_base", "catch_up"))
    if data is None:
        return None
    people = _people(check, data.get("people", {}))
    names = set(people)
    rota = _rota(check, data.get("rota", {}), tz or ZoneInfo("UTC"), names, holidays)
    policies = _policies(check, data.get("policy", {}), levels, names)
    default_base = f"http://{web_listen}" if web_listen else "http://127.0.0.1:8080"
    link_base = check.field(data, "link_base", "paging", read_url, default_base)
    catch_up = check.field(
        data, "catch_up", "paging", read_duration(allow_zero=False), _DEFAULT_CATCH_UP
    )
    if any(ACCOUNT_MANAGER in step.whom for p in policies.values() for step in p.steps):
        # R16: a policy that pages the account manager must be able to reach each one.
        for customer in customers.values():
            manager = customer.account_manager
            if manager is not None and manager not in names:
                check.add(
                    f"customers.{customer.id}.account_manager",
                    f"{manager!r} is not in paging.people: the paging policy could not reach "
                    "this account manager",
                )
    if len(check.problems) > before or rota is None:
        return None
    assert link_base is not None and catch_up is not None
    return Paging(people, rota, policies, link_base, catch_up)


def _people(check: Checker, raw: object) -> dict[str, Person]:
    named = check.named(raw, "paging.people", "person")
    people: dict[str, Person] = {}
    for name, item in (named or {}).items():
        path = f"paging.people.{name}"
        data = check.mapping(item, path, (), ("email", "sms"))
        if data is None:
            continue
        email = check.field(data, "email", path, read_email, None)
        sms = check.field(data, "sms", path, read_phone, None)
        if "email" not in data and "sms" not in data:
            check.add(path, "give an email address, an SMS number or both: how to page them")
        people[name] = Person(name, email, sms)
    if named == {}:
        check.add("paging.people", "must name at least one person")
    return people


def _person(names: set[str]) -> Callable[[object], str]:
    def read(value: object) -> str:
        name = read_string(value)
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ValueError(f"{name!r} is not in paging.people (known: {known})")
        return name

    return read


def _rota(
    check: Checker, raw: object, tz: ZoneInfo, names: set[str], holidays: str | None
) -> Rota | None:
    before = len(check.problems)
    path = "paging.rota"
    data = check.mapping(raw, path, ("weekly",), ("overrides", "holidays", "backup"))
    if data is None:
        return None
    person = _person(names)
    weekly: list[Shift] = []
    raw_weekly = data.get("weekly")
    if not isinstance(raw_weekly, list) or not raw_weekly:
        check.add(f"{path}.weekly", f"must be a non-empty list of shifts, got {shown(raw_weekly)}")
        raw_weekly = []
    for index, item in enumerate(raw_weekly):
        shift = _shift(check, item, f"{path}.weekly[{index}]", person)
        if shift is not None:
            weekly.append(shift)
    overrides: list[Override] = []
    raw_overrides = data.get("overrides", [])
    if not isinstance(raw_overrides, list):
        check.add(f"{path}.overrides", f"must be a list, got {shown(raw_overrides)}")
        raw_overrides = []
    for index, item in enumerate(raw_overrides):
        override = _override(check, item, f"{path}.overrides[{index}]", person, tz)
        if override is not None:
            overrides.append(override)
    stand_in = check.field(data, "holidays", path, person, None)
    if stand_in is not None and holidays is None:
        check.add(
            f"{path}.holidays",
            "business_hours.holidays names no country: there are no public holidays to cover",
        )
    backup = check.field(data, "backup", path, person, None)
    if len(check.problems) > before:
        return None
    rota = Rota(tuple(weekly), tuple(overrides), stand_in, backup)
    gap = uncovered(rota)
    if gap is not None and backup is None:
        check.add(
            f"{path}.weekly",
            f"nobody is on call on {gap} and no backup is set: add a shift or paging.rota.backup",
        )
        return None
    return rota


def _shift(check: Checker, raw: object, path: str, person: Callable[[object], str]) -> Shift | None:
    before = len(check.problems)
    data = check.mapping(raw, path, ("days", "person"), ("start", "end"))
    if data is None:
        return None
    days = check.field(data, "days", path, _weekdays)
    start = check.field(data, "start", path, read_clock_time, time(0))
    end = check.field(data, "end", path, read_clock_time, time(0))
    who = check.field(data, "person", path, person)
    if len(check.problems) > before:
        return None
    assert days is not None and start is not None and end is not None
    assert who is not None
    return Shift(days, start, end, who)


def _weekdays(value: object) -> frozenset[int]:
    names = read_list_of(read_string, "weekdays (mon, tue, ...)")(value)
    unknown = [name for name in names if name.lower() not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
    if not names:
        raise ValueError("must list at least one weekday")
    return frozenset(WEEKDAYS[name.lower()] for name in names)


def _override(
    check: Checker, raw: object, path: str, person: Callable[[object], str], tz: ZoneInfo
) -> Override | None:
    before = len(check.problems)
    data = check.mapping(raw, path, ("from", "until", "person"), ())
    if data is None:
        return None
    start = check.field(data, "from", path, _moment(tz))
    end = check.field(data, "until", path, _moment(tz))
    who = check.field(data, "person", path, person)
    if start is not None and end is not None and end <= start:
        check.add(f"{path}.until", "must be after from")
    if len(check.problems) > before:
        return None
    assert start is not None and end is not None
    assert who is not None
    return Override(start, end, who)


def _moment(tz: ZoneInfo) -> Callable[[object], datetime]:
    """A date (its midnight) or a time ("2026-12-24 17:00", local unless it has an offset)."""

    def read(value: object) -> datetime:
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=tz)
            return moment.astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(0), tz).astimezone(UTC)
        if isinstance(value, str):
            try:
                return parse_time(value, tz)
            except TimeFormatError:
                pass
        raise ValueError(
            f'must be a date or a local time like "2026-12-24 17:00", got {shown(value)}'
        )

    return read


def _policies(
    check: Checker, raw: object, levels: Mapping[str, object], names: set[str]
) -> dict[str, LevelPolicy]:
    named = check.named(raw, "paging.policy", "level")
    policies: dict[str, LevelPolicy] = {}
    for level, item in (named or {}).items():
        path = f"paging.policy.{level}"
        if level not in levels:
            known = ", ".join(sorted(levels)) or "none"
            check.add(path, f"no such level in levels (known: {known})")
            continue
        data = check.mapping(item, path, ("steps",), ("quiet_outside_business_hours",))
        if data is None:
            continue
        quiet = check.field(data, "quiet_outside_business_hours", path, read_boolean, False)
        steps = _steps(check, data.get("steps"), f"{path}.steps", names)
        if steps is not None and quiet is not None:
            policies[level] = LevelPolicy(steps, quiet)
    return policies


def _steps(check: Checker, raw: object, path: str, names: set[str]) -> tuple[Step, ...] | None:
    if not isinstance(raw, list) or not raw:
        check.add(path, f"must be a non-empty list of {{at, whom}}, got {shown(raw)}")
        return None
    before = len(check.problems)
    steps: list[Step] = []
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        data = check.mapping(item, item_path, ("at", "whom"), ())
        if data is None:
            continue
        share = check.field(data, "at", item_path, _share)
        whom = check.field(data, "whom", item_path, _whom(names))
        if share is None or whom is None:
            continue
        if steps and share <= steps[-1].share:
            check.add(f"{item_path}.at", "steps must come in order, each later than the one before")
            continue
        steps.append(Step(share, whom))
    return tuple(steps) if len(check.problems) == before else None


def _share(value: object) -> Decimal:
    """``opening`` (0) or a share of the take-over delay like ``50%`` (above 0, up to 100)."""
    if value == "opening":
        return Decimal(0)
    text = value.strip() if isinstance(value, str) else ""
    if text.endswith("%"):
        try:
            percent = Decimal(text[:-1].strip())
        except InvalidOperation:
            percent = Decimal(-1)
        if percent.is_finite() and 0 < percent <= 100:
            return percent / 100
    raise ValueError(
        f"must be opening or a share of the take-over delay like 50% (up to 100%), "
        f"got {shown(value)}"
    )


def _whom(names: set[str]) -> Callable[[object], tuple[str, ...]]:
    """One target or a list: on_call, account_manager (R16), backup, or a person's name."""

    def read(value: object) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        targets: list[str] = []
        for item in items:
            target = read_string(item)
            if target not in ROLES and target not in names:
                raise ValueError(
                    f"{target!r} is neither {', '.join(ROLES)} nor a person of paging.people"
                )
            targets.append(target)
        if not targets:
            raise ValueError("must name at least one of on_call, account_manager, backup")
        return tuple(targets)

    return read
