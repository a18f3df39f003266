"""How one notification changes the tickets: a pure decision, applied by a service.

Domain model: an incident runs from a HARD non-OK state to its recovery and has one ticket,
keyed ``host!service`` (or ``host``). Re-notifications and state changes go into that
ticket's history without moving its deadline (R4); a problem soon after a recovery reopens
the ticket rather than flooding the helpdesk; a late replay of an old problem is only noted;
a service failing on a host that is down joins the host's ticket. R4 is settled at the
deadline: a recovery or closing by then keeps counting even if the incident comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bridge.domain.contract import Customer
from bridge.domain.notification import Event
from bridge.domain.tickets import Ticket

Action = Literal["open", "append", "reopen", "detached"]


@dataclass(frozen=True)
class TicketState:
    """What the decision needs to know of an existing ticket."""

    id: int
    key: str | None
    status: str
    taken_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """What to do with an event: which ticket, what history entry, which state changes."""

    action: Action
    ticket_id: int | None
    entry: str
    take: bool = False
    recover: bool = False
    clear_recovery: bool = False
    # The problem is back on a ticket already taken over: Icinga dropped its acknowledgement
    # at the recovery, so it is acknowledged again as the same take-over (no new SLA event).
    reacknowledge: bool = False


# The history entry of an acknowledgement Icinga is owed again (see ``reacknowledge``).
ACK_DUE = "icinga_ack_due"

AUTO_DEBRIEF = "closed automatically on recovery, as the customer's configuration asks"

_PLAIN_ENTRIES = {
    "CUSTOM": "custom",
    "FLAPPINGSTART": "flapping_start",
    "FLAPPINGEND": "flapping_end",
    "DOWNTIMESTART": "downtime_start",
    "DOWNTIMEEND": "downtime_end",
    "DOWNTIMEREMOVED": "downtime_removed",
}


def state_of(ticket: Ticket | None) -> TicketState | None:
    """What ``decide`` needs of a ticket."""
    if ticket is None:
        return None
    return TicketState(
        id=ticket.id,
        key=ticket.key,
        status=ticket.status,
        taken_at=ticket.taken_at,
        recovered_at=ticket.recovered_at,
        closed_at=ticket.closed_at,
    )


def decide(
    event: Event,
    *,
    open_ticket: TicketState | None,
    host_ticket: TicketState | None,
    last_ticket: TicketState | None,
    last_state: str | None,
    reopen_within: timedelta,
) -> Decision:
    """Decide what ``event`` does.

    ``open_ticket`` is the open ticket already following this key, ``host_ticket`` the open
    ticket of the host itself (for a service event), ``last_ticket`` the latest ticket of this
    key whatever its status, ``last_state`` the last state recorded for this key.
    """
    if event.type == "PROBLEM":
        return _problem(event, open_ticket, host_ticket, last_ticket, last_state, reopen_within)
    target = open_ticket or last_ticket
    if event.type == "RECOVERY":
        if target is None:
            return Decision("detached", None, "recovery")
        own_key = target.key == event.key and target.status != "closed"
        return Decision("append", target.id, "recovery", recover=own_key)
    if event.type == "ACKNOWLEDGEMENT":
        if open_ticket is None:
            return Decision(*_elsewhere(last_ticket), "acknowledgement")
        return Decision(
            "append", open_ticket.id, "acknowledgement", take=open_ticket.taken_at is None
        )
    entry = _PLAIN_ENTRIES[event.type]
    if open_ticket is None:
        return Decision("detached", None, entry)
    return Decision("append", open_ticket.id, entry)


def _elsewhere(last_ticket: TicketState | None) -> tuple[Action, int | None]:
    return ("detached", None) if last_ticket is None else ("append", last_ticket.id)


def _problem(
    event: Event,
    open_ticket: TicketState | None,
    host_ticket: TicketState | None,
    last_ticket: TicketState | None,
    last_state: str | None,
    reopen_within: timedelta,
) -> Decision:
    recovered = None if open_ticket is None else open_ticket.recovered_at
    if open_ticket is not None and not (
        recovered is not None and open_ticket.key == event.key and event.since >= recovered
    ):
        entry = "state_change" if last_state != event.state else "renotification"
        return Decision("append", open_ticket.id, entry)
    if open_ticket is not None and recovered is not None:
        # Recovered, not yet closed: soon after, the same incident is back (flapping);
        # long after, it is a new incident with its own ticket and deadline (R3, R4).
        if event.since <= recovered + reopen_within:
            return Decision(
                "append",
                open_ticket.id,
                "problem_again",
                clear_recovery=True,
                reacknowledge=open_ticket.taken_at is not None,
            )
        if _host_down(event, host_ticket):
            assert host_ticket is not None
            return Decision("append", host_ticket.id, "joined_host_ticket")
        return Decision("open", None, "opened")
    # Only the key's own last ticket can be replayed or reopened; one it merely joined
    # (a host's) is not its incident.
    if last_ticket is not None and last_ticket.key == event.key:
        closed = last_ticket.closed_at
        if closed is not None and event.since <= closed:
            return Decision("append", last_ticket.id, "replay")
        recovered = last_ticket.recovered_at
        if recovered is not None and recovered <= event.since <= recovered + reopen_within:
            return Decision(
                "reopen",
                last_ticket.id,
                "reopened",
                clear_recovery=True,
                reacknowledge=last_ticket.taken_at is not None,
            )
    if _host_down(event, host_ticket):
        assert host_ticket is not None
        return Decision("append", host_ticket.id, "joined_host_ticket")
    return Decision("open", None, "opened")


def _host_down(event: Event, host_ticket: TicketState | None) -> bool:
    """A service event joins its host's open ticket while the host is still down."""
    return (
        event.service is not None and host_ticket is not None and host_ticket.recovered_at is None
    )


def kept_for_sla(
    mark: datetime | None, deadline_at: datetime | None, relapse_at: datetime
) -> datetime | None:
    """R4 is settled at the deadline: a recovery or closing (``mark``) that happened by then
    keeps counting for the SLA even if the incident comes back after it; a relapse at or
    before the deadline cancels it."""
    if deadline_at is None or relapse_at <= deadline_at:
        return None
    return mark


def reopened_status(ticket: Ticket) -> str:
    """A reopened ticket is new again, or still taken if it was taken over (R4 keeps it)."""
    return "new" if ticket.taken_at is None else "taken"


def closes_on_recovery(customers: Mapping[str, Customer], customer_id: str | None) -> bool:
    """Whether the customer's configuration closes its tickets on recovery (no debrief wait)."""
    return (
        customer_id is not None
        and customer_id in customers
        and customers[customer_id].close_on_recovery
    )
