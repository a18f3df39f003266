"""The on-call rota: who among the provider's staff is woken up at a given moment.

Domain model: staff are people with contacts (an email address, a phone number for SMS).
A weekly schedule of shifts says who is on call, by weekday and time of day in the
provider's zone; dated overrides (a swap, a given holiday) take precedence over it, and a
named person may stand in on every public holiday (R1's holiday calendar). A backup is
paged when the schedule names nobody, and when a policy asks for the backup by name.

Pure: the caller passes the moment and the holiday calendar; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bridge.domain.sla import no_holidays


@dataclass(frozen=True)
class Person:
    """Someone who can be paged, and how: an email address and/or a phone number."""

    name: str
    email: str | None = None
    sms: str | None = None


@dataclass(frozen=True)
class Shift:
    """One line of the weekly schedule: on ``days`` from ``start`` to ``end`` (local time).

    An ``end`` at or before ``start`` runs into the next day (17:00 to 09:00 is a night);
    00:00 to 00:00 is the whole day.
    """

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    person: str

    def covers(self, local: datetime) -> bool:
        """Whether this shift holds the wall-clock moment ``local``."""
        clock = local.time().replace(tzinfo=None)
        today, yesterday = local.weekday(), (local.weekday() - 1) % 7
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        # Across midnight: the evening of a listed day, or the morning after one.
        return (today in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )


@dataclass(frozen=True)
class Override:
    """Someone else on call over [start, end) (aware datetimes): a swap, a holiday."""

    start: datetime
    end: datetime
    person: str


@dataclass(frozen=True)
class Rota:
    """The weekly schedule, its overrides, the holiday stand-in and the backup."""

    weekly: tuple[Shift, ...] = ()
    overrides: tuple[Override, ...] = ()
    holidays: str | None = None  # on call all day on each public holiday
    backup: str | None = None


@dataclass(frozen=True)
class OnCall:
    """Who is on call at a moment, and why (the rota line that says so)."""

    person: str | None
    because: str


def on_call(
    rota: Rota,
    tz: ZoneInfo,
    at: datetime,
    is_holiday: Callable[[date], bool] = no_holidays,
) -> OnCall:
    """Who is on call at ``at``: the last override holding it, else the holiday stand-in
    on a public holiday, else the first weekly shift holding it, else the backup."""
    if at.tzinfo is None:
        raise ValueError(f"at must carry a time zone, got naive {at.isoformat()}")
    moment = at.astimezone(UTC)
    for override in reversed(rota.overrides):  # a later line corrects an earlier one
        if override.start <= moment < override.end:
            return OnCall(override.person, "override")
    local = moment.astimezone(tz)
    if rota.holidays is not None and is_holiday(local.date()):
        return OnCall(rota.holidays, "public holiday")
    for shift in rota.weekly:
        if shift.covers(local):
            return OnCall(shift.person, "weekly rota")
    if rota.backup is not None:
        return OnCall(rota.backup, "backup (nobody on the weekly rota)")
    return OnCall(None, "nobody on the rota and no backup")


def uncovered(rota: Rota) -> str | None:
    """The first moment of the week (``mon 03:00``) no shift covers, or None when the
    weekly schedule covers every minute."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    monday = datetime(2024, 1, 1)  # a Monday; only weekdays and clock times matter here
    for minute in range(7 * 24 * 60):
        local = monday + timedelta(minutes=minute)
        if not any(shift.covers(local) for shift in rota.weekly):
            return f"{names[local.weekday()]} {local:%H:%M}"
    return None
