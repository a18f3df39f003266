"""Delivering the helpdesk outbox: right after ``vigie notify`` commits (within
``helpdesk.deliver_within``), and from ``vigie flush`` (cron or a systemd timer).

Each ticket's items go in order, under that ticket's lock (two processes never deliver the
same ticket at once). Opening is idempotent: the helpdesk is searched for the ticket's
marker first, so a create whose answer was lost is found, not made again. A failure is
recorded with its retry time (exponential backoff with jitter); after ``max_attempts``
the item is dead-lettered, and ``vigie flush --dead`` retries it on demand.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bridge.adapters.helpdesks import Helpdesk, HelpdeskError, connect
from bridge.config.model import Config
from bridge.domain.helpdesk import (
    VIGIE_PREFIX,
    OutboxItem,
    backoff,
    external_subject,
    item_tag,
    marker,
    next_deliveries,
)
from bridge.domain.tickets import Ticket
from bridge.store.ticket_locks import ticket_lock
from bridge.store.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]


@dataclass
class Flushed:
    """What a delivery run did, and what is left."""

    delivered: int = 0
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    requeued: int = 0
    waiting: int = 0  # undelivered afterwards, dead ones included
    dead: int = 0


def deliver_after_commit(uow: UnitOfWork, config: Config, ticket_id: int, now: datetime) -> str:
    """Deliver one ticket's items within ``deliver_within``; the line ``vigie notify``
    prints. Never raises: the items are safe in the outbox whatever happens here."""
    settings = config.helpdesk
    if settings.deliver_within <= 0:
        return "helpdesk: queued for vigie flush"
    try:
        helpdesk = connect(settings, min(settings.timeout, settings.deliver_within))
        deadline = time.monotonic() + settings.deliver_within
        _set_deadline(helpdesk, deadline)
        done = Flushed()
        _deliver_ticket(uow, config, helpdesk, ticket_id, _fixed(now), done, False)
        with uow:
            left = len(uow.helpdesk.undelivered(ticket_id))
    except Exception as error:  # the event is committed: a failure here only delays
        return f"helpdesk: kept in the outbox ({type(error).__name__}: {error})"
    sent = f"{done.delivered} change(s) delivered to {helpdesk.name}"
    if not left:
        return f"helpdesk: {sent}"
    why = f": {done.failed[0][1]}" if done.failed else ""
    return f"helpdesk: {sent}, {left} kept in the outbox for vigie flush{why}"


def flush(
    uow: UnitOfWork,
    config: Config,
    clock: Clock = lambda: datetime.now(UTC),
    *,
    ignore_backoff: bool = False,
    retry_dead: bool = False,
    helpdesk: Helpdesk | None = None,
) -> Flushed:
    """Deliver what is due in the outbox, ticket by ticket; ``retry_dead`` first gives
    the dead-lettered items their attempts back; ``ignore_backoff`` tries all now."""
    settings = config.helpdesk
    done = Flushed()
    with uow:
        waiting = uow.helpdesk.undelivered()
        if retry_dead:
            for item in waiting:
                if item.dead(settings.max_attempts):
                    uow.helpdesk.add_attempt(item.id, "requeued", clock())
                    done.requeued += 1
            uow.commit()
    if waiting and settings.external:
        if helpdesk is None:
            helpdesk = connect(settings, settings.timeout)
        tickets = list(dict.fromkeys(item.ticket_id for item in waiting))
        for ticket_id in tickets:
            _deliver_ticket(uow, config, helpdesk, ticket_id, clock, done, ignore_backoff)
    with uow:
        left = uow.helpdesk.undelivered()
    done.waiting = len(left)
    done.dead = sum(item.dead(settings.max_attempts) for item in left)
    return done


def outbox(uow: UnitOfWork, dead_only: bool, max_attempts: int) -> list[OutboxItem]:
    """The items not delivered yet (only the dead-lettered ones with ``dead_only``)."""
    with uow:
        items = uow.helpdesk.undelivered()
    return [item for item in items if item.dead(max_attempts) or not dead_only]


def _deliver_ticket(
    uow: UnitOfWork,
    config: Config,
    helpdesk: Helpdesk,
    ticket_id: int,
    clock: Clock,
    done: Flushed,
    ignore_backoff: bool,
) -> None:
    """Deliver the ticket's items in order until one fails or none is due."""
    max_attempts = config.helpdesk.max_attempts
    with ticket_lock(config.store_path, ticket_id) as mine:
        if not mine:
            return  # another process is delivering this ticket
        for _ in range(10_000):  # bounded: a ticket never holds more
            with uow:
                items = uow.helpdesk.undelivered(ticket_id)
                ticket = uow.tickets.get(ticket_id)
            ready = next_deliveries(items, clock(), max_attempts, ignore_backoff)
            if not ready:
                return
            item = ready[0]
            try:
                ref = _send(helpdesk, ticket, item)
            except HelpdeskError as error:
                now = clock()
                wait = backoff(item.failures + 1, random.uniform(0.5, 1.5))
                with uow:
                    uow.helpdesk.add_attempt(item.id, "failed", now, str(error), now + wait)
                    uow.commit()
                done.failed.append((item, str(error)))
                return
            with uow:
                if ref is not None and ref != ticket.external_ref:
                    uow.helpdesk.set_external_ref(ticket_id, ref)
                uow.helpdesk.add_attempt(item.id, "delivered", clock())
                uow.commit()
            done.delivered += 1


def _send(helpdesk: Helpdesk, ticket: Ticket, item: OutboxItem) -> str | None:
    """Do one item; the external ticket's id when it was found or opened."""
    payload = item.payload
    ref = ticket.external_ref
    opened = None
    if ref is None:
        # Look before creating: a create whose answer was lost is found here.
        ref = helpdesk.find(marker(ticket.id))
        if ref is None:
            subject = str(payload.get("subject") or external_subject(ticket))
            body = str(payload.get("body") or payload.get("text") or ticket.subject)
            ref = helpdesk.open(marker(ticket.id), subject, body)
            if item.action == "open":
                return ref
        opened = ref
    tag = item_tag(item.id)
    if item.action in ("comment", "work") and item.failures and _already_there(helpdesk, ref, tag):
        return opened  # an earlier attempt got there, its answer was lost
    if item.action == "comment":
        text = str(payload["text"])
        if text.startswith(VIGIE_PREFIX):
            text = text[len(VIGIE_PREFIX) :]
        helpdesk.comment(ref, f"{VIGIE_PREFIX}{tag} {text}")
    elif item.action == "status":
        helpdesk.set_status(ref, payload["status"])  # type: ignore[arg-type]
    elif item.action == "work":
        at = datetime.fromisoformat(str(payload["at"]))
        note = f"{tag} {payload.get('note') or ''}".strip()
        minutes, by = int(str(payload["minutes"])), str(payload["by"])
        helpdesk.add_time(ref, minutes, by, at, note)
    return opened


def _already_there(helpdesk: Helpdesk, ref: str, tag: str) -> bool:
    """Whether the helpdesk already holds the comment or time carrying ``tag``: a retry
    after a lost answer adds nothing twice (a status is set the same way again)."""
    return any(tag in (action.text or "") for action in helpdesk.activity(ref))


def _set_deadline(helpdesk: Helpdesk, deadline: float) -> None:
    http = getattr(helpdesk, "http", None)
    if http is not None:
        http.deadline = deadline


def _fixed(now: datetime) -> Clock:
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)
