"""The staff queue's order and its SLA clock: most urgent first, time left to the deadline.

A ticket not yet taken over has its take-over deadline running (R3, R4); once taken its
clock is stopped. Pure: ``now`` is given.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.domain.tickets import Ticket

_NEVER = timedelta.max


def time_left(ticket: Ticket, now: datetime) -> timedelta | None:
    """Time before the take-over deadline, negative once past; None when no clock runs."""
    if ticket.status != "new" or ticket.deadline_at is None:
        return None
    return ticket.deadline_at - now


def queue_order(tickets: list[Ticket], now: datetime) -> list[Ticket]:
    """Waiting tickets by time left (breached first), then out-of-contract, then taken."""

    def urgency(ticket: Ticket) -> tuple[int, timedelta, int]:
        left = time_left(ticket, now)
        if left is not None:
            return 0, left, ticket.id
        return (1 if ticket.status == "new" else 2), _NEVER, ticket.id

    return sorted(tickets, key=urgency)


def clock_state(left: timedelta | None, warning: timedelta) -> str:
    """How the countdown is shown: ``stopped``, ``ok``, ``warning`` or ``breached``."""
    if left is None:
        return "stopped"
    if left <= timedelta(0):
        return "breached"
    return "warning" if left <= warning else "ok"


def first_line(output: str | None) -> str:
    """The first line of a plugin's output (the rest is long text and perfdata)."""
    text = (output or "").strip()
    return text.splitlines()[0].split("|", 1)[0].strip() if text else ""
