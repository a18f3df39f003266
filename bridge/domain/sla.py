"""The SLA rules: business hours (R1), take-over deadlines (R3), met or breached (R4).

Domain model: an incident or request has a reference time (R2); its level gives a delay
to take it over, chosen by whether that time falls in business hours. The delay counts
elapsed time (24 h is 24 real hours, across a DST change too) or, with ``clock: business``,
business time only. Take-over at or before the deadline meets the SLA.

Pure: plain values in, plain values out; no clock, file or database. Every datetime
given must be timezone-aware; every datetime returned is in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bridge.domain.contract import BusinessHours, Level, ResponseRule

SlaStatus = Literal["met", "breached", "pending", "recovered", "no_sla"]

# A business-clock deadline further than this is a calendar with (almost) no business days.
_MAX_DAYS_AHEAD = 3660


def no_holidays(day: date) -> bool:
    """R1's default: the offer names no public holidays."""
    return False


def _require_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone, got naive {at.isoformat()}")


@dataclass(frozen=True)
class BusinessCalendar:
    """R1: business days and hours in the provider's time zone, minus its holidays.

    ``is_holiday`` is asked only about a business weekday inside business hours, so a
    lazy calendar (``bridge.config.holidays``, which may read files) is not loaded for
    nights and weekends; the caller builds it and passes it in.
    """

    tz: ZoneInfo
    hours: BusinessHours
    is_holiday: Callable[[date], bool] = no_holidays

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) has business hours at all."""
        return day.weekday() in self.hours.days and not self.is_holiday(day)

    def is_business_time(self, at: datetime) -> bool:
        """R1: whether ``at`` falls in [start, end) of a business day, in the provider's zone."""
        _require_aware(at, "at")
        local = at.astimezone(self.tz)
        if local.weekday() not in self.hours.days:
            return False
        if not self.hours.start <= local.time() < self.hours.end:
            return False
        return not self.is_holiday(local.date())

    def business_periods(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The business periods [start, end) in UTC that end after ``after``, in order.

        Bounded: ends after about ten years of days, whatever the calendar.
        """
        _require_aware(after, "after")
        after = after.astimezone(UTC)
        day = after.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS_AHEAD):
            if self.is_business_day(day):
                # Local wall-clock times to UTC: the offset of that very day (DST-safe).
                start = datetime.combine(day, self.hours.start, self.tz).astimezone(UTC)
                end = datetime.combine(day, self.hours.end, self.tz).astimezone(UTC)
                if end > after:
                    yield max(start, after), end
            day += timedelta(days=1)


def response_rule(reference_at: datetime, level: Level, calendar: BusinessCalendar) -> ResponseRule:
    """R3: the first rule of ``level`` whose ``when`` matches the reference time."""
    inside = calendar.is_business_time(reference_at)
    for rule in level.response:
        if rule.when == "always" or (rule.when == "business_hours") == inside:
            return rule
    # The configuration rejects levels with such a gap; this guards hand-built ones.
    where = "inside" if inside else "outside"
    raise ValueError(f"level {level.name} has no response rule for a time {where} business hours")


def take_over_deadline(
    reference_at: datetime, level: Level, calendar: BusinessCalendar
) -> datetime:
    """R3: the take-over deadline of a reference time (R2) for a level, in UTC.

    Elapsed clock: the delay is added to the UTC instant, so it stays true across DST.
    Business clock: only business time counts; a delay that ends exactly at the end of a
    business day ends there.
    """
    _require_aware(reference_at, "reference_at")
    within = response_rule(reference_at, level, calendar).within
    start = reference_at.astimezone(UTC)
    if level.clock == "elapsed":
        return start + within
    remaining = within
    for period_start, period_end in calendar.business_periods(start):
        available = period_end - period_start
        if remaining <= available:
            return period_start + remaining
        remaining -= available
    raise ValueError(f"level {level.name}: no business time within ten years of {reference_at}")


def sla_status(
    deadline_at: datetime | None,
    *,
    now: datetime,
    taken_at: datetime | None = None,
    closed_at: datetime | None = None,
    recovered_at: datetime | None = None,
) -> SlaStatus:
    """R4: where a ticket's SLA stands as of ``now`` (events after ``now`` are not yet known).

    - ``met``: taken over (or, never taken, closed) at or before ``deadline_at``;
    - ``recovered``: recovered at or before the deadline with no take-over by then;
    - ``breached``: ``now`` is past the deadline and neither happened by it;
    - ``pending``: none of these yet;
    - ``no_sla``: no deadline at all (out of contract, R9).
    """
    for name, at in (
        ("now", now),
        ("deadline_at", deadline_at),
        ("taken_at", taken_at),
        ("closed_at", closed_at),
        ("recovered_at", recovered_at),
    ):
        if at is not None:
            _require_aware(at, name)
    if deadline_at is None:
        return "no_sla"
    # Closing a ticket never taken over counts as its take-over (R4); once taken, only the
    # take-over counts.
    take_over = taken_at if taken_at is not None else closed_at
    if take_over is not None and take_over <= now and take_over <= deadline_at:
        return "met"
    if recovered_at is not None and recovered_at <= now and recovered_at <= deadline_at:
        return "recovered"
    # Take-over exactly at the deadline is still in time, so the breach starts just after.
    return "breached" if now > deadline_at else "pending"


def is_breached(
    deadline_at: datetime | None,
    *,
    now: datetime,
    taken_at: datetime | None = None,
    closed_at: datetime | None = None,
    recovered_at: datetime | None = None,
) -> bool:
    """R4: whether the SLA is breached as of ``now`` (see ``sla_status``)."""
    status = sla_status(
        deadline_at, now=now, taken_at=taken_at, closed_at=closed_at, recovered_at=recovered_at
    )
    return status == "breached"


def outcome_of(status: SlaStatus) -> Literal["met", "breached", "pending"]:
    """R4's verdict as the SLA report counts it: a recovery in time meets the SLA."""
    if status in ("met", "recovered"):
        return "met"
    return "breached" if status == "breached" else "pending"
