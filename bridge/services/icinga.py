"""Telling Icinga a ticket was taken over: acknowledge its problem, retry what failed.

A failed acknowledgement is noted in the ticket's history and retried by ``sync_icinga``
(cron), so taking over never waits on Icinga.
"""

from __future__ import annotations

from datetime import datetime

from bridge.adapters.icinga_api import IcingaApiError, acknowledge_problem
from bridge.config.model import IcingaApi
from bridge.domain.tickets import Ticket
from bridge.services.tickets import take
from bridge.store.unit_of_work import UnitOfWork

ACKNOWLEDGED = "acknowledged in Icinga"


def acknowledge(
    uow: UnitOfWork, api: IcingaApi | None, ticket: Ticket, now: datetime
) -> str | None:
    """Acknowledge the ticket's problem in Icinga; what happened, or None when there is
    nothing to acknowledge (no API configured, a request, no server)."""
    if api is None or ticket.kind != "incident" or ticket.server is None:
        return None
    comment = f"Vigie ticket #{ticket.id} taken over by {ticket.taken_by}"
    try:
        acknowledge_problem(api, ticket.server, ticket.service, ticket.taken_by or "vigie", comment)
    except IcingaApiError as error:
        _note(uow, ticket.id, "icinga_ack_failed", now, str(error))
        return f"Icinga not acknowledged ({error}); retried by `vigie sync-icinga`"
    _note(uow, ticket.id, "icinga_acknowledged", now, comment)
    return ACKNOWLEDGED


def take_over(
    uow: UnitOfWork,
    api: IcingaApi | None,
    ticket_id: int,
    by: str,
    at: datetime,
    now: datetime,
) -> tuple[Ticket, str | None]:
    """Take the ticket over (R4), then acknowledge it in Icinga: the ticket, and what
    Icinga said (see ``acknowledge``)."""
    ticket = take(uow, ticket_id, by, at, now)
    return ticket, acknowledge(uow, api, ticket, now)


def _note(uow: UnitOfWork, ticket_id: int, entry: str, now: datetime, comment: str) -> None:
    with uow:
        uow.tickets.get(ticket_id)
        uow.tickets.add_entry(ticket_id, None, now, now, entry, comment=comment)
        uow.commit()


def sync_icinga(
    uow: UnitOfWork, api: IcingaApi | None, now: datetime
) -> list[tuple[int, str | None]]:
    """Retry the acknowledgements that failed last time: (ticket, what happened) each."""
    with uow:
        waiting = [
            ticket for ticket in uow.tickets.tickets(open_only=True) if _last_failed(uow, ticket.id)
        ]
    return [(ticket.id, acknowledge(uow, api, ticket, now)) for ticket in waiting]


def _last_failed(uow: UnitOfWork, ticket_id: int) -> bool:
    last = uow.tickets.last_entry(ticket_id, ("icinga_ack_failed", "icinga_acknowledged"))
    return last is not None and last.type == "icinga_ack_failed"
