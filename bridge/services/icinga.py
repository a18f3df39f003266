"""Telling Icinga a ticket was taken over: acknowledge its problem, retry what failed.

A failed acknowledgement is noted in the ticket's history and retried by ``sync_icinga``
(cron), so taking over never waits on Icinga. A problem that comes back on a ticket already
taken over is acknowledged again (Icinga drops an acknowledgement at the recovery): the
same take-over, noted ``icinga_ack_due`` with the notification, then acknowledged here.
An object Icinga does not have is tried ``MISSING_TRIES`` times, then given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bridge.adapters.icinga_api import IcingaApiError, IcingaObjectMissing, acknowledge_problem
from bridge.config.model import HelpdeskSettings, IcingaApi
from bridge.domain.incidents import ACK_DUE
from bridge.domain.tickets import Ticket
from bridge.services.tickets import take
from bridge.store.unit_of_work import UnitOfWork

ACKNOWLEDGED = "acknowledged in Icinga"
# How many runs an object Icinga does not have is tried before ``sync_icinga`` gives up:
# a host renamed or removed in Icinga never comes back under its old name.
MISSING_TRIES = 5

# The history entries of Icinga's side of a take-over; the last one says what is pending.
DUE, FAILED, MISSING, DONE, GIVEN_UP = (
    ACK_DUE,
    "icinga_ack_failed",
    "icinga_ack_no_object",  # a failure too: Icinga answered that it has no such object
    "icinga_acknowledged",
    "icinga_ack_given_up",
)
_ICINGA_ENTRIES = (DUE, FAILED, MISSING, DONE, GIVEN_UP)


@dataclass(frozen=True)
class Retried:
    """What ``sync_icinga`` did for one ticket: ``said`` as ``acknowledge`` returns it."""

    ticket_id: int
    said: str | None
    given_up: bool = False

    @property
    def failed(self) -> bool:
        """Still failing: retried on the next run."""
        return not self.given_up and self.said is not None and self.said != ACKNOWLEDGED


def acknowledge(
    uow: UnitOfWork, api: IcingaApi | None, ticket: Ticket, now: datetime, again: bool = False
) -> str | None:
    """Acknowledge the ticket's problem in Icinga; what happened, or None when there is
    nothing to acknowledge (no API configured, a request, no server)."""
    if api is None or ticket.kind != "incident" or ticket.server is None:
        return None
    comment = f"Vigie ticket #{ticket.id} taken over by {ticket.taken_by}"
    if again:
        comment += " (the problem came back)"
    try:
        acknowledge_problem(api, ticket.server, ticket.service, ticket.taken_by or "vigie", comment)
    except IcingaApiError as error:
        entry = MISSING if isinstance(error, IcingaObjectMissing) else FAILED
        _note(uow, ticket.id, entry, now, str(error))
        return f"Icinga not acknowledged ({error}); retried by `vigie sync-icinga`"
    _note(uow, ticket.id, DONE, now, comment)
    return ACKNOWLEDGED


def take_over(
    uow: UnitOfWork,
    api: IcingaApi | None,
    ticket_id: int,
    by: str,
    at: datetime,
    now: datetime,
    tz: tzinfo = UTC,
    helpdesk: HelpdeskSettings | None = None,
) -> tuple[Ticket, str | None]:
    """Take the ticket over (R4), then acknowledge it in Icinga: the ticket, and what
    Icinga said (see ``acknowledge``). With an external ``helpdesk``, it is told too
    (through the outbox)."""
    ticket = take(uow, ticket_id, by, at, now, tz, helpdesk)
    return ticket, acknowledge(uow, api, ticket, now)


def reacknowledge(uow: UnitOfWork, api: IcingaApi | None, ticket_id: int, now: datetime) -> None:
    """Acknowledge again the problem back on a taken ticket (its ``icinga_ack_due`` is
    written); a failure is noted and left to ``sync_icinga``."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
    acknowledge(uow, api, ticket, now, again=True)


def _note(uow: UnitOfWork, ticket_id: int, entry: str, now: datetime, comment: str) -> None:
    with uow:
        uow.tickets.get(ticket_id)
        uow.tickets.add_entry(ticket_id, None, now, now, entry, comment=comment)
        uow.commit()


def sync_icinga(uow: UnitOfWork, api: IcingaApi | None, now: datetime) -> list[Retried]:
    """Retry the acknowledgements that failed or are due; give up on an object Icinga
    does not have after ``MISSING_TRIES`` runs. One ``Retried`` per ticket tried."""
    with uow:
        waiting = pending_acknowledgements(uow)
    done = []
    for ticket in waiting:
        with uow:
            again = _last(uow, ticket.id) == DUE
        said = acknowledge(uow, api, ticket, now, again=again)
        misses = _missing_in_a_row(uow, ticket.id)
        if misses >= MISSING_TRIES:
            reason = f"given up after {misses} tries: {said}"
            _note(uow, ticket.id, GIVEN_UP, now, reason)
            done.append(Retried(ticket.id, reason, given_up=True))
        else:
            done.append(Retried(ticket.id, said))
    return done


def pending_acknowledgements(uow: UnitOfWork) -> list[Ticket]:
    """Open tickets whose acknowledgement in Icinga failed or is due (read in ``uow``'s
    block)."""
    return [ticket for ticket in uow.tickets.tickets(open_only=True) if _pending(uow, ticket)]


def _pending(uow: UnitOfWork, ticket: Ticket) -> bool:
    return _last(uow, ticket.id) in (FAILED, MISSING, DUE)


def _last(uow: UnitOfWork, ticket_id: int) -> str | None:
    last = uow.tickets.last_entry(ticket_id, _ICINGA_ENTRIES)
    return None if last is None else last.type


def _missing_in_a_row(uow: UnitOfWork, ticket_id: int) -> int:
    """How many of the latest acknowledgements in a row found no such object in Icinga."""
    with uow:
        entries = uow.tickets.history(ticket_id)
    count = 0
    for entry in reversed(entries):
        if entry.type == MISSING:
            count += 1
        elif entry.type in _ICINGA_ENTRIES:
            break
    return count
