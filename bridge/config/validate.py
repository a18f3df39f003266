"""Checking YAML values one key at a time: every problem is collected with its key path.

``Checker`` gathers the problems of a whole file; each ``read_*`` reader turns one raw value
into its typed one, or raises ValueError whose text follows "key.path: " in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
MISSING = object()
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_COUNTRY = re.compile(r"[A-Z]{2,3}(?:-[A-Z0-9]{1,5})?")
_PHONE = re.compile(r"\+?[0-9][0-9 .\-/()]{5,}")


def shown(value: object) -> str:
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


class Checker:
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
            self.add(path, f"must be a mapping, got {shown(value)}")
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
            self.add(path, f"must be a mapping of {what} by name, got {shown(value)}")
            return None
        result: dict[str, object] = {}
        for key, item in value.items():
            if isinstance(key, str) and key.isprintable() and key.strip() and key == key.strip():
                result[key] = item
            else:
                self.add(_join(path, key), f"a {what} name must be a word, got {shown(key)}")
        return result

    def field(
        self,
        data: dict[str, object],
        key: str,
        path: str,
        read: Callable[[object], _T],
        default: _T | object = MISSING,
    ) -> _T | None:
        """Read ``data[key]`` with ``read`` (which raises ValueError with the complaint)."""
        if key not in data:
            return None if default is MISSING else cast("_T", default)
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


def read_string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {shown(value)}")
    text = value.strip()
    if not text.replace(" ", "").isprintable():
        # A line break in a name would become one in a mail header or a terminal line.
        raise ValueError(f"must be one line of text without control characters, got {text!r}")
    return text


def read_integer(minimum: int) -> Callable[[object], int]:
    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {shown(value)}")
        if value < minimum:
            raise ValueError(f"must be >= {minimum}, got {value}")
        return value

    return read


def read_decimal(value: object) -> Decimal:
    # The loader gives Decimals; a float (data built in Python) goes through str() so that
    # 0.1 becomes Decimal("0.1"), not the binary float's 55 digits.
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"must be a number, got {shown(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a number, got {shown(value)}") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {shown(value)}")
    return number


def read_money(value: object) -> Decimal:
    amount = read_decimal(value)
    if amount < 0:
        raise ValueError(f"must be an amount >= 0, got {amount}")
    return amount


def read_optional_money(value: object) -> Decimal | None:
    return None if value is None else read_money(value)


def read_fraction(upper_open: bool) -> Callable[[object], Decimal]:
    """A share between 0 and 1 (1 itself excluded when it would divide by zero)."""

    def read(value: object) -> Decimal:
        share = read_decimal(value)
        if share < 0 or share > 1 or (upper_open and share == 1):
            bound = "0 up to but not including 1" if upper_open else "0 to 1"
            raise ValueError(f"must be a fraction from {bound} (0.25 for 25%), got {share}")
        return share

    return read


def read_boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {shown(value)}")
    return value


def read_duration(allow_zero: bool) -> Callable[[object], timedelta]:
    def read(value: object) -> timedelta:
        if not isinstance(value, str):
            raise ValueError(f"must be a duration like 4h, 30m, 1h30m or 90s, got {shown(value)}")
        try:
            duration = parse_duration(value)
        except ValueError:
            raise ValueError(
                f"must be a duration like 4h, 30m, 1h30m or 90s, got {shown(value)}"
            ) from None
        if not duration and not allow_zero:
            raise ValueError(f"must be longer than zero, got {shown(value)}")
        return duration

    return read


def read_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date like 2026-01-01, got {shown(value)}")


def read_clock_time(value: object) -> time:
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is not None:
        hour, minute, second = (int(part or 0) for part in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return time(hour, minute, second)
    raise ValueError(f'must be a time of day like "09:00" (quoted), got {shown(value)}')


def read_choice(kind: object) -> Callable[[object], str]:
    """A reader for one of the strings of a Literal type (When, Clock, RefundScope)."""
    choices: tuple[str, ...] = get_args(kind)

    def read(value: object) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise ValueError(f"must be one of {', '.join(choices)}, got {shown(value)}")

    return read


def read_timezone(value: object) -> ZoneInfo:
    name = read_string(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (like Europe/Brussels)") from None


def read_path(base_dir: Path | None) -> Callable[[object], Path]:
    def read(value: object) -> Path:
        path = Path(read_string(value))
        # A relative path is relative to the configuration file, not to wherever Icinga runs.
        return base_dir / path if base_dir is not None and not path.is_absolute() else path

    return read


def read_optional_path(base_dir: Path | None) -> Callable[[object], Path | None]:
    read = read_path(base_dir)
    return lambda value: None if value is None else read(value)


def read_list_of(read: Callable[[object], _T], what: str) -> Callable[[object], tuple[_T, ...]]:
    def read_all(value: object) -> tuple[_T, ...]:
        if not isinstance(value, list):
            raise ValueError(f"must be a list of {what}, got {shown(value)}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(read(item))
            except ValueError as exc:
                raise ValueError(f"item {index + 1}: {exc}") from None
        return tuple(items)

    return read_all


def read_email(value: object) -> str:
    address = read_string(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise ValueError(f"not an email address: {shown(value)}")
    return address


def read_phone(value: object) -> str:
    if not isinstance(value, str):
        # An unquoted +32470000000 is read as a number and loses its "+".
        raise ValueError(
            f'must be a phone number in quotes like "+32470000000", got {shown(value)}'
        )
    if _PHONE.fullmatch(value.strip()) is None:
        raise ValueError(f"not a phone number: {shown(value)}")
    return value.strip()


def read_country(value: object) -> str:
    code = read_string(value).upper()
    if _COUNTRY.fullmatch(code) is None:
        raise ValueError(
            "must be a country code like BE or FR (or DE-BY with a subdivision), "
            f"got {shown(value)}"
        )
    return code


def read_url(value: object) -> str:
    url = read_string(value)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(
            f"must be an http(s) URL like https://icinga.example:5665, got {shown(value)}"
        )
    return url


def read_timeout(value: object) -> float:
    seconds = read_decimal(value)
    if seconds <= 0:
        raise ValueError(f"must be a number of seconds > 0, got {shown(value)}")
    return float(seconds)
