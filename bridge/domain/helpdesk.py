"""The helpdesk outbox and sync back, as plain values: what waits, when to retry it, which
item of each ticket may go next, and what staff did in an external helpdesk.

Domain model: every change an external helpdesk must see is an outbox item, written in the
same transaction as the ticket change. Items of one ticket go in order: the first one not
delivered holds the others back. A failed item is retried after an exponential backoff with
jitter; after ``max_attempts`` failures it is dead-lettered until someone retries it. The
external ticket carries the marker ``[vigie#<id>]`` and the incident key in its subject, so
a create whose answer was lost is found again rather than made twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bridge.domain.tickets import Ticket

Action = Literal["open", "comment", "status", "work"]
Status = Literal["taken", "resolved", "closed"]
ACTIONS: tuple[Action, ...] = ("open", "comment", "status", "work")
STATUSES: tuple[Status, ...] = ("taken", "resolved", "closed")

# Vigie's own comments in the helpdesk start with this: `vigie sync` does not read them back.
VIGIE_PREFIX = "[vigie] "
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxItem:
    """One change waiting for the external helpdesk; ``failures`` counts the failed
    attempts since it was last retried on demand."""

    id: int
    ticket_id: int
    action: Action
    payload: Mapping[str, object]
    created_at: datetime
    failures: int = 0
    retry_at: datetime | None = None
    last_error: str | None = None
    delivered: bool = False

    def dead(self, max_attempts: int) -> bool:
        """Dead-lettered: failed ``max_attempts`` times; retried only on demand."""
        return not self.delivered and self.failures >= max_attempts


@dataclass(frozen=True)
class StaffAction:
    """One thing staff did in the external helpdesk, read back by ``vigie sync``.

    ``source`` identifies it in the helpdesk (``redmine:time_entry:12``), so it is
    imported once; ``minutes`` is set for work, ``text`` for comments and closings."""

    source: str
    kind: Literal["taken", "work", "resolved", "closed", "comment"]
    at: datetime
    by: str
    minutes: int | None = None
    text: str | None = None


def marker(ticket_id: int) -> str:
    """The tag an external ticket's subject carries: ``[vigie#12]`` (the bracket closes it,
    so #12 never matches #123)."""
    return f"[vigie#{ticket_id}]"


def item_tag(item_id: int) -> str:
    """The tag a delivered comment or time entry carries, so that a retry after a lost
    answer can see it arrived: ``(outbox 7)``."""
    return f"(outbox {item_id})"


def external_subject(ticket: Ticket) -> str:
    """The external ticket's subject: the marker, the incident key, the ticket's subject."""
    key = ticket.key or ticket.server or ticket.customer or "request"
    return f"{marker(ticket.id)} {key}: {ticket.subject}"[:250]


def backoff(failures: int, jitter: float) -> timedelta:
    """How long to wait after the ``failures``-th failure: 5 s doubling up to an hour,
    times ``jitter`` (0.5 to 1.5, drawn by the caller) so that retries spread out."""
    if failures < 1:
        return timedelta(0)
    base = BACKOFF_BASE * (1 << min(failures - 1, 20))
    return min(base, BACKOFF_CAP) * max(0.5, min(1.5, jitter))


def next_deliveries(
    items: Iterable[OutboxItem], now: datetime, max_attempts: int, ignore_backoff: bool = False
) -> list[OutboxItem]:
    """The item each ticket may deliver now: its first undelivered one, unless dead or
    still backing off (then its ticket waits: deliveries of a ticket keep their order)."""
    first: dict[int, OutboxItem] = {}
    for item in sorted(items, key=lambda i: i.id):
        if not item.delivered and item.ticket_id not in first:
            first[item.ticket_id] = item
    ready = []
    for item in first.values():
        if item.dead(max_attempts):
            continue
        if not ignore_backoff and item.retry_at is not None and item.retry_at > now:
            continue
        ready.append(item)
    return sorted(ready, key=lambda i: i.id)


def changes_for(
    opened: bool, took: bool, closed: bool, ticket: Ticket, text: str
) -> Sequence[tuple[Action, dict[str, object]]]:
    """The outbox items one recorded notification owes the helpdesk, in order."""
    items: list[tuple[Action, dict[str, object]]] = []
    if opened:
        # Prefixed too: a helpdesk that keeps the body as a first note must not read it back.
        body = VIGIE_PREFIX + text
        items.append(("open", {"subject": external_subject(ticket), "body": body}))
    else:
        items.append(("comment", {"text": VIGIE_PREFIX + text}))
    if took:
        items.append(("status", {"status": "taken", "by": ticket.taken_by}))
    if closed:  # a recovery that closes it (close_on_recovery); else staff close it (R15)
        items.append(("status", {"status": "closed"}))
    return items
