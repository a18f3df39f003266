"""Reading and writing times: aware datetimes in, UTC in the store, the provider's zone out.

Every time the bridge stores is UTC; every time it prints carries an explicit offset, shown in
the provider's time zone so that staff read local wall-clock times.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


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
    return parsed.astimezone(UTC)


def from_unix(seconds: float) -> datetime:
    """A Unix timestamp as an aware UTC datetime; refuses values no clock can have."""
    if seconds != seconds or seconds < 0 or seconds > 253402300799:  # NaN, negative, > 9999
        raise TimeFormatError(f"{seconds!r} is not a plausible Unix time")
    return datetime.fromtimestamp(seconds, UTC)


def to_db(moment: datetime) -> str:
    """The store's text form: ISO 8601 in UTC with microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str | None) -> datetime | None:
    """Back from the store's text form."""
    return None if text is None else datetime.fromisoformat(text)


def to_display(moment: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 in the provider's zone with its offset, to the second."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec="seconds")
