"""The web queue's reads: the open tickets most urgent first, closed ones searched, and
the change feed that tells open pages what moved.

The feed is the history's own numbering: every change of a ticket (a notification, a
take-over, work, an approval, a recovery, a closing) appends a history entry, so the
latest entry's number grows with every change, whichever process made it. Reading it is
one lookup on the primary key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bridge.domain.queue import first_line, queue_order
from bridge.domain.tickets import Ticket
from bridge.store.unit_of_work import UnitOfWork

CLOSED_SEARCH_LIMIT = 200
CHANGES_BATCH = 500


@dataclass(frozen=True)
class QueueRow:
    """One ticket of the queue and the first line of its latest plugin output."""

    ticket: Ticket
    output: str


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; None is any."""

    customer: str | None = None
    level: str | None = None
    status: str | None = None
    assignee: str | None = None

    def keeps(self, ticket: Ticket) -> bool:
        """Whether the ticket passes every filter given."""
        return (
            (self.customer is None or ticket.customer == self.customer)
            and (self.level is None or ticket.level == self.level)
            and (self.status is None or ticket.status == self.status)
            and (self.assignee is None or self.assignee in (ticket.assignee, ticket.taken_by))
        )


def open_queue(uow: UnitOfWork, keep: Callable[[Ticket], bool], now: datetime) -> list[QueueRow]:
    """Open tickets that ``keep`` lets through, most urgent first."""
    with uow:
        tickets = queue_order([t for t in uow.tickets.open_tickets() if keep(t)], now)
        outputs = uow.tickets.last_outputs([t.id for t in tickets])
    return [QueueRow(t, first_line(outputs.get(t.id))) for t in tickets]


def search_closed(uow: UnitOfWork, text: str, keep: Callable[[Ticket], bool]) -> list[Ticket]:
    """Closed tickets holding the text (subject, key, customer, debrief), newest first."""
    with uow:
        found = uow.tickets.search_closed(text.strip(), CLOSED_SEARCH_LIMIT)
    return [t for t in found if keep(t)]


def last_change(uow: UnitOfWork) -> int:
    """Where the change feed stands now."""
    with uow:
        return uow.tickets.last_entry_id()


def changes_since(uow: UnitOfWork, position: int) -> tuple[int, list[Ticket]]:
    """The tickets changed after ``position`` (as they are now), and the new position."""
    with uow:
        changed = uow.tickets.changed_since(position, CHANGES_BATCH)
        if not changed:
            return position, []
        ids = list(dict.fromkeys(ticket_id for _, ticket_id in changed))
        tickets = [uow.tickets.get(ticket_id) for ticket_id in ids]
    return changed[-1][0], tickets
