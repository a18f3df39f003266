"""Who is owed a page, now (R3, R5, R16): one table row per case, each citing its rule.

Each row: a ticket's level and reference time (R2, its deadline by R3), what happened to it
(a take-over, a recovery...), the pages already recorded, and "now"; the people paged.
Times are Brussels wall-clock times. The rota: carol on weekdays 09:00-17:00, dave every
night and weekend days, bob the backup, erin on call on Belgian public holidays; alice is
ACME's account manager (R16).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.config.holidays import HolidayLookup
from bridge.domain.contract import BusinessHours
from bridge.domain.paging import (
    LevelPolicy,
    Paging,
    Step,
    compose,
    due_at,
    page_identity,
    pages_owed,
    stopped,
    ticket_link,
    time_left,
)
from bridge.domain.rota import OnCall, Override, Person, Rota, Shift, on_call, uncovered
from bridge.domain.sla import BusinessCalendar, take_over_deadline
from bridge.domain.tickets import Ticket
from tests import offer

BRUSSELS = ZoneInfo("Europe/Brussels")
OFFICE = BusinessHours(days=frozenset(range(5)), start=time(9), end=time(17))
WEEKDAYS, EVERY_DAY, WEEKEND = frozenset(range(5)), frozenset(range(7)), frozenset({5, 6})


def local(text: str) -> datetime:
    """A Brussels wall-clock time, ``2026-11-27 16:30``."""
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def calendar(holidays: str | None = None) -> BusinessCalendar:
    if holidays is None:
        return BusinessCalendar(BRUSSELS, OFFICE)
    return BusinessCalendar(BRUSSELS, OFFICE, HolidayLookup(holidays))


PEOPLE = {
    name: Person(name, f"{name}@provider.example", "+3247000000" + str(index))
    for index, name in enumerate(("alice", "bob", "carol", "dave", "erin"))
}
ROTA = Rota(
    weekly=(
        Shift(WEEKDAYS, time(9), time(17), "carol"),
        Shift(EVERY_DAY, time(17), time(9), "dave"),
        Shift(WEEKEND, time(9), time(17), "dave"),
    ),
    holidays="erin",
    backup="bob",
)
POLICIES = {
    # Level A: 24 h to take over; nobody at opening, the on-call half-way, then the
    # account manager too; quiet when the deadline falls in business hours.
    "A": LevelPolicy(
        (
            Step(Decimal("0.5"), ("on_call",)),
            Step(Decimal("0.8"), ("on_call", "account_manager")),
        ),
        quiet_outside_business_hours=True,
    ),
    "B": LevelPolicy(
        (
            Step(Decimal(0), ("on_call",)),
            Step(Decimal("0.8"), ("account_manager",)),
            Step(Decimal("0.95"), ("backup",)),
        )
    ),
    "C": LevelPolicy(
        (
            Step(Decimal(0), ("on_call",)),
            Step(Decimal("0.5"), ("on_call", "account_manager")),
            Step(Decimal("0.8"), ("backup",)),
        )
    ),
}
PAGING = Paging(PEOPLE, ROTA, POLICIES, "https://vigie.provider.example")


def ticket(level: str, reference: str, **changes: Any) -> Ticket:
    """An untaken incident of ACME's at ``level`` whose probe fired at ``reference`` (R2)."""
    reference_at = local(reference).astimezone(UTC)
    deadline = take_over_deadline(reference_at, offer.LEVELS[level], calendar())
    base = Ticket(
        id=7,
        kind="incident",
        key="db01!disk",
        customer="acme",
        server="db01",
        service="disk",
        level=level,
        status="new",
        subject="db01!disk is CRITICAL",
        reference_at=reference_at,
        deadline_at=deadline,
        taken_at=None,
        taken_by=None,
        recovered_at=None,
        closed_at=None,
        express=False,
        assignee="alice",
        in_downtime=False,
        external_ref=None,
        last_state="CRITICAL",
        debrief=None,
        created_at=reference_at,
    )
    return dataclasses.replace(base, **changes)


def paged(*steps: str) -> frozenset[str]:
    return frozenset(page_identity(7, step) for step in steps)


SUNDAY_3AM, FRIDAY_1630 = "2026-11-29 03:00", "2026-11-27 16:30"
# (rule, ticket, steps already paged, now, expected: the (step, people) owed now)
ROWS: list[tuple[str, Ticket, frozenset[str], str, list[tuple[str, tuple[str, ...]]]]] = [
    # R3, R5: level C has 4 h, any hour: a problem at 03:00 on a Sunday wakes the on-call
    # at once.
    (
        "R3 R5 C Sunday 03:00: on-call at once",
        ticket("C", SUNDAY_3AM),
        paged(),
        SUNDAY_3AM,
        [("opening", ("dave",))],
    ),
    (
        "R3 C: a minute later, not again",
        ticket("C", SUNDAY_3AM),
        paged("opening"),
        "2026-11-29 03:01",
        [],
    ),
    (
        "R3 R16 C: half-way, on-call and account manager",
        ticket("C", SUNDAY_3AM),
        paged("opening"),
        "2026-11-29 05:00",
        [("50%", ("dave", "alice"))],
    ),
    (
        "R3 C: 80%, the backup",
        ticket("C", SUNDAY_3AM),
        paged("opening", "50%"),
        "2026-11-29 06:12",
        [("80%", ("bob",))],
    ),
    # R3: level A has 24 h: a problem at 03:00 wakes nobody until its 50% mark.
    ("R3 R5 A Sunday 03:00: nobody at opening", ticket("A", SUNDAY_3AM), paged(), SUNDAY_3AM, []),
    (
        "R3 A: nobody a second before 50%",
        ticket("A", SUNDAY_3AM),
        paged(),
        "2026-11-29 14:59:59",
        [],
    ),
    (
        "R3 A: the on-call at 50%",
        ticket("A", SUNDAY_3AM),
        paged(),
        "2026-11-29 15:00",
        [("50%", ("dave",))],
    ),
    # R3, R16: level B at 16:30 on a Friday (in business hours: 4 h, deadline 20:30).
    (
        "R3 B Friday 16:30: the day's on-call at opening",
        ticket("B", FRIDAY_1630),
        paged(),
        FRIDAY_1630,
        [("opening", ("carol",))],
    ),
    (
        "R3 B: nothing more before 80%",
        ticket("B", FRIDAY_1630),
        paged("opening"),
        "2026-11-27 19:41",
        [],
    ),
    (
        "R16 B: the account manager at 80% (19:42)",
        ticket("B", FRIDAY_1630),
        paged("opening"),
        "2026-11-27 19:42",
        [("80%", ("alice",))],
    ),
    # R4: a take-over at 40% (18:06) stops every page after it.
    (
        "R4 B taken over at 40%: no escalation",
        ticket(
            "B", FRIDAY_1630, status="taken", taken_at=local("2026-11-27 18:06"), taken_by="carol"
        ),
        paged("opening"),
        "2026-11-27 19:42",
        [],
    ),
    # An Icinga acknowledgement is a take-over (R4: "prise en charge").
    (
        "R4 B acknowledged in Icinga: no escalation",
        ticket(
            "B",
            FRIDAY_1630,
            status="taken",
            taken_at=local("2026-11-27 17:00"),
            taken_by="icingaadmin",
        ),
        paged("opening"),
        "2026-11-27 19:42",
        [],
    ),
    (
        "R4 B recovered: no escalation",
        ticket("B", FRIDAY_1630, recovered_at=local("2026-11-27 17:10")),
        paged("opening"),
        "2026-11-27 19:42",
        [],
    ),
    (
        "R15 B closed: no page",
        ticket("B", FRIDAY_1630, status="closed", closed_at=local("2026-11-27 17:10")),
        paged(),
        "2026-11-27 19:42",
        [],
    ),
    (
        "B in downtime: no page",
        ticket("B", FRIDAY_1630, in_downtime=True),
        paged(),
        FRIDAY_1630,
        [],
    ),
    (
        "R9 out of contract: no deadline, no page",
        dataclasses.replace(ticket("B", FRIDAY_1630), level=None, deadline_at=None),
        paged(),
        FRIDAY_1630,
        [],
    ),
    # R1, R3: a level A problem at 10:00 on a Monday is due Tuesday 10:00, in business
    # hours: its 50% (Monday 22:00) and 80% (Tuesday 05:12) marks wait for 09:00.
    (
        "R1 A quiet: nobody at night",
        ticket("A", "2026-11-23 10:00"),
        paged(),
        "2026-11-23 22:00",
        [],
    ),
    (
        "R1 A quiet: nobody before business hours",
        ticket("A", "2026-11-23 10:00"),
        paged(),
        "2026-11-24 08:59",
        [],
    ),
    (
        "R1 R16 A quiet: both steps at 09:00",
        ticket("A", "2026-11-23 10:00"),
        paged(),
        "2026-11-24 09:00",
        [("50%", ("carol",)), ("80%", ("carol", "alice"))],
    ),
    # A level A problem at 03:00 has its deadline at night: no holding back.
    (
        "R1 A deadline at night: no quiet hold",
        ticket("A", "2026-11-24 03:00"),
        paged(),
        "2026-11-24 15:00",
        [("50%", ("carol",))],
    ),
    # Paging switched on over old untaken tickets: a step more than catch_up late is dropped.
    (
        "R3 a step an hour and more late is not sent",
        ticket("C", SUNDAY_3AM),
        paged(),
        "2026-11-29 04:01",
        [],
    ),
    (
        "R3 a step under an hour late is sent",
        ticket("C", SUNDAY_3AM),
        paged(),
        "2026-11-29 03:59",
        [("opening", ("dave",))],
    ),
    # R16: a customer without an account manager: the step pages nobody, said so.
    (
        "R16 no account manager",
        ticket("B", FRIDAY_1630),
        paged("opening"),
        "2026-11-27 19:42",
        [("80%", ())],
    ),
]


@pytest.mark.parametrize(
    ("rule", "subject", "already", "now", "expected"), ROWS, ids=[row[0] for row in ROWS]
)
def test_pages_owed(
    rule: str,
    subject: Ticket,
    already: frozenset[str],
    now: str,
    expected: list[tuple[str, tuple[str, ...]]],
) -> None:
    manager = None if rule.startswith("R16 no account manager") else "alice"
    policy = POLICIES[subject.level or "B"]
    owed = pages_owed(subject, policy, PAGING, calendar(), local(now), already, manager)
    assert [(page.step, page.people) for page in owed] == expected, rule


def test_a_page_carries_its_step_identity_and_the_time_left() -> None:
    """R3: the page knows its deadline; R15: its identity is the ticket and step."""
    (page,) = pages_owed(
        ticket("B", FRIDAY_1630),
        POLICIES["B"],
        PAGING,
        calendar(),
        local("2026-11-27 19:42"),
        paged("opening"),
        "alice",
    )
    assert page.identity == "page:7:80%"
    assert page.left == timedelta(minutes=48)
    assert page.due_at == local("2026-11-27 19:42")


def test_r1_rota_on_a_belgian_holiday() -> None:
    """R1: Christmas 2026 is a Friday: in business hours, erin stands in for carol."""
    christmas = local("2026-12-25 10:00")
    assert on_call(ROTA, BRUSSELS, christmas, calendar("BE").is_holiday) == OnCall(
        "erin", "public holiday"
    )
    assert on_call(ROTA, BRUSSELS, local("2026-12-24 10:00"), calendar("BE").is_holiday) == (
        OnCall("carol", "weekly rota")
    )
    # R3: a level C problem on Christmas morning pages the holiday's on-call at once.
    subject = ticket("C", "2026-12-25 10:00")
    owed = pages_owed(subject, POLICIES["C"], PAGING, calendar("BE"), christmas, paged(), "alice")
    assert [(page.step, page.people) for page in owed] == [("opening", ("erin",))]


def test_a_dated_override_wins_over_the_holiday_and_the_week() -> None:
    """A swap: carol takes Christmas Eve night instead of dave; a later line wins."""
    rota = dataclasses.replace(
        ROTA,
        overrides=(
            Override(local("2026-12-24 17:00"), local("2026-12-26 09:00"), "carol"),
            Override(local("2026-12-25 12:00"), local("2026-12-25 14:00"), "bob"),
        ),
    )
    holidays = calendar("BE").is_holiday
    assert on_call(rota, BRUSSELS, local("2026-12-24 23:00"), holidays).person == "carol"
    assert on_call(rota, BRUSSELS, local("2026-12-25 10:00"), holidays).person == "carol"
    assert on_call(rota, BRUSSELS, local("2026-12-25 13:00"), holidays).person == "bob"
    # 26 December is no public holiday in Belgium: a Saturday of the weekly rota.
    assert on_call(rota, BRUSSELS, local("2026-12-26 09:00"), holidays).person == "dave"
    assert on_call(rota, BRUSSELS, local("2026-12-28 09:00"), holidays).person == "carol"


@pytest.mark.parametrize(
    ("at", "person"),
    [
        ("2026-11-23 08:59", "dave"),  # Monday morning: Sunday's night shift
        ("2026-11-23 09:00", "carol"),  # business hours begin
        ("2026-11-23 16:59", "carol"),
        ("2026-11-23 17:00", "dave"),  # the night runs into Tuesday
        ("2026-11-24 03:00", "dave"),
        ("2026-11-28 12:00", "dave"),  # Saturday
        ("2026-03-29 02:30", "dave"),  # the night clocks jump forward: still the night
    ],
)
def test_weekly_shifts_across_midnight(at: str, person: str) -> None:
    assert on_call(ROTA, BRUSSELS, local(at)).person == person


def test_nobody_on_the_rota_falls_to_the_backup() -> None:
    office_only = Rota(weekly=(Shift(WEEKDAYS, time(9), time(17), "carol"),), backup="bob")
    assert uncovered(office_only) == "mon 00:00"
    assert on_call(office_only, BRUSSELS, local("2026-11-28 12:00")) == OnCall(
        "bob", "backup (nobody on the weekly rota)"
    )
    assert on_call(Rota(), BRUSSELS, local("2026-11-28 12:00")).person is None
    assert uncovered(ROTA) is None


def test_stopped_says_why() -> None:
    """R4: a take-over, a recovery or a closing stops the pages; R9: no deadline, no page."""
    assert stopped(ticket("C", SUNDAY_3AM)) is None
    assert stopped(ticket("C", SUNDAY_3AM, taken_at=local(SUNDAY_3AM), taken_by="dave")) == (
        "taken over by dave"
    )
    assert stopped(ticket("C", SUNDAY_3AM, recovered_at=local(SUNDAY_3AM))) == "recovered"
    assert stopped(ticket("C", SUNDAY_3AM, deadline_at=None)) == "no SLA deadline (R9)"


def test_step_due_times_follow_the_deadline() -> None:
    """R3: 50% of level B's 12 h from Friday 17:00 (outside) is Friday 23:00."""
    subject = ticket("B", "2026-11-27 17:00")
    half = Step(Decimal("0.5"), ("on_call",))
    assert due_at(half, subject, POLICIES["B"], calendar()) == local("2026-11-27 23:00")
    assert half.label == "50%"
    assert Step(Decimal(0), ("on_call",)).label == "opening"
    assert Step(Decimal("0.125"), ("on_call",)).label == "12.5%"
    assert Step(Decimal(1), ("on_call",)).label == "100%"


def test_the_messages_carry_the_ticket_the_time_left_and_the_link() -> None:
    """R3: the page says how long is left and where to take the ticket over."""
    subject = ticket("B", FRIDAY_1630)
    (page,) = pages_owed(
        subject,
        POLICIES["B"],
        PAGING,
        calendar(),
        local("2026-11-27 19:42"),
        paged("opening"),
        "alice",
    )
    link = ticket_link("https://vigie.provider.example/", subject.id)
    assert link == "https://vigie.provider.example/tickets/7"
    messages = compose(page, subject, PEOPLE["alice"], link, BRUSSELS)
    assert [(channel, recipient) for channel, recipient, _, _ in messages] == [
        ("email", "alice@provider.example"),
        ("sms", "+32470000000"),
    ]
    _, _, subject_line, body = messages[0]
    assert subject_line == "[page] ticket #7 level B: db01!disk, 48m left"
    assert "Deadline:   2026-11-27T20:30:00+01:00 (48m left)" in body
    assert link in body
    sms = messages[1][3]
    assert len(sms) <= 160 and link in sms and "48m left" in sms


def test_time_left_reads_as_a_countdown() -> None:
    """R4: past the deadline the page says how long ago it passed."""
    assert time_left(timedelta(hours=3, minutes=59, seconds=30)) == "3h59 left"
    assert time_left(timedelta(minutes=48)) == "48m left"
    assert time_left(timedelta(minutes=-12)) == "deadline passed 12m ago"
    assert time_left(timedelta(hours=-2)) == "deadline passed 2h00 ago"
