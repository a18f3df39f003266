"""One Icinga 2 notification, as the NotificationCommand passes it, turned into a checked event.

Domain model: Icinga calls ``vigie notify`` once per notification and per user, with the
notification type, the host (and service), its state and plugin output, and the time of the
hard state change that started it (the reference time, R2). Icinga may deliver the same
notification twice (both masters of an HA pair, or a replay after a cluster resync), so each
event carries an identity that is the same for the same notification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from bridge.domain.times import TimeFormatError, parse_time

TYPES = frozenset(
    {
        "PROBLEM",
        "RECOVERY",
        "ACKNOWLEDGEMENT",
        "CUSTOM",
        "FLAPPINGSTART",
        "FLAPPINGEND",
        "DOWNTIMESTART",
        "DOWNTIMEEND",
        "DOWNTIMEREMOVED",
    }
)
SERVICE_STATES = frozenset({"OK", "WARNING", "CRITICAL", "UNKNOWN"})
HOST_STATES = frozenset({"UP", "DOWN", "UNREACHABLE"})
OK_STATES = frozenset({"OK", "UP"})

MAX_OUTPUT_BYTES = 64 * 1024
# Icinga's clock and ours may differ a little (another master of an HA pair).
CLOCK_SKEW = timedelta(hours=1)
MAX_NAME_LENGTH = 1024


class BadNotification(ValueError):
    """The notification cannot be read; the message names the option that is wrong."""


@dataclass(frozen=True)
class Event:
    """A validated notification. ``since`` is the hard state change (R2), in UTC."""

    type: str
    host: str
    service: str | None
    state: str | None
    output: str
    since: datetime
    received_at: datetime
    author: str | None = None
    comment: str | None = None
    customer_hint: str | None = None
    notification_number: int | None = None
    # The reference time Icinga gave when it could not be one (R2) and ``since`` stands in.
    reported_since: datetime | None = None

    @property
    def key(self) -> str:
        """The incident key: ``host!service``, or ``host`` for a host notification."""
        return self.host if self.service is None else f"{self.host}!{self.service}"

    @property
    def identity(self) -> str:
        """Equal for two deliveries of the same notification, different for any other."""
        parts = (
            self.type,
            self.key,
            self.state or "",
            (self.reported_since or self.since).isoformat(),
            self.author or "",
            self.comment or "",
            self.output,
            "" if self.notification_number is None else str(self.notification_number),
        )
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


# No server was under a Vigie contract before this: an earlier reference time is Icinga's
# "never" (0, 1 or the like), not the moment a probe fired.
EARLIEST_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)


def with_plausible_since(event: Event, earliest: datetime) -> Event:
    """R2: a reference time before ``earliest`` (2000, or the server's contract start)
    cannot be when the probe fired: the notification's own time stands in for it, and the
    event keeps the one Icinga gave (``reported_since``) for its history and identity."""
    if event.since >= earliest or event.reported_since is not None:
        return event
    return replace(event, since=event.received_at, reported_since=event.since)


def clean_text(value: str | None, limit: int = MAX_OUTPUT_BYTES) -> str:
    """Plugin output as readable text: UTF-8 (a stray invalid byte replaced) or else Latin-1,
    no NULs, at most ``limit`` bytes.

    Arguments and environment variables that are not UTF-8 arrive with surrogate escapes;
    they are turned back into bytes and decoded, so nothing is dropped.
    """
    if not value:
        return ""
    raw = value.encode("utf-8", "surrogateescape")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        # No valid multi-byte sequence at all: a Latin-1 system's text, read as such.
        # Otherwise UTF-8 with a stray byte: only that byte is lost, not the whole value.
        if all(c == "\ufffd" or c < "\x80" for c in text):
            text = raw.decode("latin-1")
    text = text.replace("\x00", "\ufffd").rstrip()
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    marker = f"\n[... truncated: {len(encoded) - limit} more bytes]"
    return encoded[: limit - len(marker.encode())].decode("utf-8", "ignore") + marker


def _name(option: str, value: str | None, required: bool) -> str | None:
    # Names from a Latin-1 Icinga configuration arrive surrogate-escaped, as output does.
    text = clean_text(value, MAX_NAME_LENGTH * 4).strip()
    if not text:
        if required:
            raise BadNotification(f"--{option}: missing (or VIGIE_{option.upper()} empty)")
        return None
    if len(text) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in text):
        raise BadNotification(f"--{option}: not a valid Icinga object name: {text[:80]!r}")
    if option == "host" and "!" in text:
        raise BadNotification(f"--host: {text!r} contains '!', which Icinga host names cannot")
    return text


def _since(value: str | None, required: bool, received_at: datetime, tz: tzinfo) -> datetime:
    text = (value or "").strip()
    if not text or text == "0":
        # Icinga renders an unset last_hard_state_change as 0 or nothing: use the arrival.
        if required:
            raise BadNotification("--since: missing (the Unix time of the hard state change)")
        return received_at
    try:
        since = parse_time(text, tz)
    except TimeFormatError as error:
        raise BadNotification(f"--since: {error}") from None
    if since > received_at + CLOCK_SKEW:
        raise BadNotification(f"--since: {text} is in the future (now is {received_at:%c} UTC)")
    return since


def parse_event(
    *,
    type: str | None,
    host: str | None,
    service: str | None,
    state: str | None,
    output: str | None,
    since: str | None,
    author: str | None,
    comment: str | None,
    customer: str | None = None,
    notification_number: str | None = None,
    received_at: datetime,
    tz: tzinfo = UTC,
) -> Event:
    """Check every option and build the event; raise BadNotification naming the first bad one."""
    kind = (type or "").strip().upper()
    if not kind:
        raise BadNotification("--type: missing (or VIGIE_TYPE empty)")
    if kind not in TYPES:
        raise BadNotification(f"--type: {type!r} is not one of {', '.join(sorted(TYPES))}")
    host_name = _name("host", host, required=True)
    assert host_name is not None
    service_name = _name("service", service, required=False)
    allowed = HOST_STATES if service_name is None else SERVICE_STATES
    state_name = (state or "").strip().upper() or None
    if state_name is not None and state_name not in allowed:
        what = "a host" if service_name is None else "a service"
        raise BadNotification(
            f"--state: {state!r} is not a state of {what} ({', '.join(sorted(allowed))})"
        )
    if kind in ("PROBLEM", "RECOVERY") and state_name is None:
        raise BadNotification(f"--state: missing, a {kind} carries the new state")
    if kind == "PROBLEM" and state_name in OK_STATES:
        raise BadNotification(f"--state: a PROBLEM cannot have state {state_name}")
    if kind == "RECOVERY" and state_name not in OK_STATES:
        raise BadNotification(f"--state: a RECOVERY must have state OK or UP, got {state_name}")
    number: int | None = None
    if notification_number and notification_number.strip():
        try:
            number = int(notification_number.strip())
        except ValueError:
            raise BadNotification(
                f"--notification-number: {notification_number!r} is not an integer"
            ) from None
    return Event(
        type=kind,
        host=host_name,
        service=service_name,
        state=state_name,
        output=clean_text(output),
        since=_since(since, kind in ("PROBLEM", "RECOVERY"), received_at, tz),
        received_at=received_at,
        author=clean_text(author, 1024) or None,
        comment=clean_text(comment, 16 * 1024) or None,
        customer_hint=_name("customer", customer, required=False),
        notification_number=number,
    )
