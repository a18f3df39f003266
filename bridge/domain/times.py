"""Reading and showing times: aware datetimes in, UTC inside, the provider's zone out.

Every time the bridge stores is UTC; every time it prints carries an explicit offset, shown in
the provider's time zone so that staff read local wall-clock times.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

# Times a monitoring event or a staff action can plausibly carry; anything outside is a
# typo, and would overflow date arithmetic (a deadline a day after 9999-12-31).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class TimeFormatError(ValueError):
    """A time given by a user or by Icinga cannot be read."""


def parse_time(text: str, tz: tzinfo) -> datetime:
    """Read ISO 8601 (a time without offset is read in ``tz``) or Unix seconds; return UTC."""
    value = text.strip()
    if not value:
        raise TimeFormatError("empty time")
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return from_unix(seconds)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise TimeFormatError(
            f"{text!r} is neither ISO 8601 (2026-11-27T16:30:00+01:00) nor Unix seconds"
        ) from None
    if parsed.tzinfo is None:
        # fold=0 picks the first of two ambiguous local times, as most people mean it.
        parsed = parsed.replace(tzinfo=tz)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past the calendar's edge
        raise TimeFormatError(f"{text!r} is out of range (1970 to 8999)") from None
    return _plausible(moment, text)


def _plausible(moment: datetime, text: object) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise TimeFormatError(f"{text!r} is out of range (1970 to 8999)")
    return moment


def from_unix(seconds: float) -> datetime:
    """A Unix timestamp as an aware UTC datetime; refuses values no clock can have."""
    if seconds != seconds or not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise TimeFormatError(f"{seconds!r} is not a plausible Unix time (1970 to 8999)")
    return datetime.fromtimestamp(seconds, UTC)


def to_display(moment: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 in the provider's zone with its offset, to the second."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec="seconds")
