"""Staff's use cases on tickets: open a request, take over, log work, approve, close, look.

Each writes in one unit of work: read the ticket, ask the domain (``refusals``) whether the
operation may go on, write, commit, and return the record written. A refusal is raised as
``Rejected`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bridge.config.calendar import business_calendar
from bridge.config.model import Config, HelpdeskSettings
from bridge.domain.contract import Customer
from bridge.domain.portal import NewAttachment, attachment_problem
from bridge.domain.refusals import (
    Invalid,
    Refusal,
    may_close,
    may_log_work,
    may_take,
    not_before_reference,
)
from bridge.domain.tickets import Approval, Category, HistoryEntry, Ticket, Work, request_ticket
from bridge.services.approvals import ask_approval
from bridge.services.errors import Rejected
from bridge.store.unit_of_work import UnitOfWork

TYPE_CHECKING = False  # the helpdesk's values, only where one is configured
if TYPE_CHECKING:
    from bridge.domain.helpdesk import Action


def customer_of(config: Config, customer_id: str) -> Customer:
    """The customer of ``vigie.yaml``, or Rejected naming the known ones."""
    customer = config.customers.get(customer_id)
    if customer is None:
        known = ", ".join(sorted(config.customers)) or "none"
        raise Rejected(Invalid(f"--customer: unknown customer {customer_id!r} (known: {known})"))
    return customer


def open_request(
    uow: UnitOfWork,
    config: Config,
    customer_id: str,
    server: str | None,
    subject: str,
    received: datetime,
    express: bool,
    by: str | None,
    now: datetime,
    description: str | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> Ticket:
    """Open a ticket for a customer's request (R2: its reference time is when received),
    with the description and files the customer sent, all in one transaction."""
    customer = customer_of(config, customer_id)
    if not subject.strip():
        raise Rejected(Invalid("--subject: empty"))
    problem = attachment_problem(attachments)
    if problem is not None:
        raise Rejected(Invalid(problem))
    if server is not None and server not in customer.servers:
        known = ", ".join(sorted(customer.servers)) or "none"
        raise Rejected(
            Invalid(f"--server: {server!r} is not a server of {customer_id} (known: {known})")
        )
    calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
    new = request_ticket(
        customer, server, subject, received, express, config.levels, calendar, config.timezone
    )
    with uow:
        ticket_id = uow.tickets.add(new, False, now)
        uow.tickets.add_entry(
            ticket_id, new.key, new.reference_at, now, "opened", actor=by, comment=new.subject
        )
        if description and description.strip():
            uow.tickets.add_entry(
                ticket_id, None, new.reference_at, now, "comment", actor=by, comment=description
            )
        for attachment in attachments:
            uow.portal.add_attachment(ticket_id, attachment, by, now)
        ticket = uow.tickets.get(ticket_id)
        uow.commit()
    return ticket


def take(
    uow: UnitOfWork,
    ticket_id: int,
    by: str,
    at: datetime,
    now: datetime,
    tz: tzinfo = UTC,
    helpdesk: HelpdeskSettings | None = None,
) -> Ticket:
    """Take the ticket over (stops the SLA clock, R4); refused when closed or already taken.
    ``tz``: the zone a refusal shows its times in; with an external ``helpdesk``, the
    take-over goes to its outbox in the same transaction."""
    with uow:
        verdict = may_take(uow.tickets.get(ticket_id), at, tz)
        if verdict is not None:
            raise Rejected(verdict)
        uow.tickets.set_taken(ticket_id, by, at)
        uow.tickets.add_entry(ticket_id, None, at, now, "taken", actor=by)
        mirror(uow, helpdesk, ticket_id, now, ("status", {"status": "taken", "by": by}))
        ticket = uow.tickets.get(ticket_id)
        uow.commit()
    return ticket


def close(
    uow: UnitOfWork,
    ticket_id: int,
    debrief: str | None,
    at: datetime,
    now: datetime,
    tz: tzinfo = UTC,
    helpdesk: HelpdeskSettings | None = None,
) -> Ticket:
    """Close the ticket; an incident needs its debrief (R15). With an external
    ``helpdesk``, the debrief and the closing go to its outbox in the same transaction."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        verdict = may_close(ticket, debrief, at, tz)
        if verdict is not None:
            raise Rejected(verdict)
        text = (debrief or "").strip()
        uow.tickets.set_closed(ticket_id, at, text, ticket.sla_closed_at or at)
        uow.tickets.add_entry(ticket_id, None, at, now, "closed", comment=text)
        said: dict[str, object] = {"text": "closed in Vigie" + (f": {text}" if text else "")}
        mirror(uow, helpdesk, ticket_id, now, ("comment", said), ("status", {"status": "closed"}))
        ticket = uow.tickets.get(ticket_id)
        uow.commit()
    return ticket


def log_work(
    uow: UnitOfWork,
    config: Config,
    ticket_id: int,
    minutes: int,
    by: str,
    at: datetime,
    category: Category | None,
    note: str | None,
    now: datetime,
) -> Work:
    """Log work on a ticket (its kind's category unless given); R11 may refuse it."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        kind: Category = category or ticket.kind
        calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
        verdict = may_log_work(
            ticket,
            uow.tickets.work(ticket_id),
            uow.tickets.approvals(ticket_id),
            minutes,
            kind,
            at,
            config.customers.get(ticket.customer or ""),
            calendar.is_business_time(ticket.reference_at),
            config.rates,
            config.timezone,
        )
        if isinstance(verdict, Refusal) and verdict.rule == "R11":
            # The customer is asked at once (R11, R14): the refusal says so.
            asked = ask_approval(uow, config, ticket, minutes, kind, by, now)
            uow.commit()
            raise Rejected(Refusal("R11", f"{verdict.message}; {asked}"))
        if verdict is not None:
            raise Rejected(verdict)
        work = uow.tickets.add_work(ticket_id, minutes, by, at, kind, note, now)
        # The history tells the whole story (R15), work included.
        what = f"{minutes} min of {kind} work" + (f": {note}" if note else "")
        uow.tickets.add_entry(ticket_id, None, at, now, "work", actor=by, comment=what)
        done = {"minutes": minutes, "by": by, "at": at.isoformat(), "note": note}
        mirror(uow, config.helpdesk, ticket_id, now, ("work", done))
        uow.commit()
    return work


def mirror(
    uow: UnitOfWork,
    helpdesk: HelpdeskSettings | None,
    ticket_id: int,
    now: datetime,
    *changes: tuple[Action, dict[str, object]] | None,
) -> None:
    """Queue staff's changes for the external helpdesk, in the caller's transaction
    (nothing when the store is the only helpdesk). Comments carry Vigie's prefix, so that
    ``vigie sync`` does not read them back as staff's."""
    if helpdesk is None or not helpdesk.external:
        return
    from bridge.domain.helpdesk import VIGIE_PREFIX

    for change in changes:
        if change is not None:
            action, payload = change
            if action == "comment":
                payload = dict(payload, text=VIGIE_PREFIX + str(payload["text"]))
            uow.helpdesk.add(ticket_id, action, payload, now)


def approve(
    uow: UnitOfWork, ticket_id: int, by: str, at: datetime, now: datetime, tz: tzinfo = UTC
) -> Approval:
    """Record the customer's approval to go past the threshold (R11)."""
    with uow:
        verdict = not_before_reference(uow.tickets.get(ticket_id), at, tz)
        if verdict is not None:
            raise Rejected(verdict)
        approval = uow.tickets.add_approval(ticket_id, by, at, now)
        # An approval given by phone answers what the portal asked too (R11).
        for request in uow.portal.requests(ticket_id):
            if request.pending:
                uow.portal.decide(request.id, "approved", by, at)
        uow.tickets.add_entry(ticket_id, None, at, now, "approved", actor=by)
        uow.commit()
    return approval


def list_tickets(
    uow: UnitOfWork, open_only: bool, customer: str | None, server: str | None
) -> list[Ticket]:
    """Tickets matching every filter given, oldest first."""
    with uow:
        return uow.tickets.tickets(open_only=open_only, customer=customer, server=server)


@dataclass(frozen=True)
class TicketFile:
    """One ticket with everything recorded on it (R15)."""

    ticket: Ticket
    history: list[HistoryEntry]
    work: list[Work]
    approvals: list[Approval]


def show(uow: UnitOfWork, ticket_id: int) -> TicketFile:
    """One ticket with its whole history, work and approvals."""
    with uow:
        repo = uow.tickets
        ticket = repo.get(ticket_id)
        return TicketFile(
            ticket, repo.history(ticket_id), repo.work(ticket_id), repo.approvals(ticket_id)
        )


def events_of(uow: UnitOfWork, key: str) -> list[HistoryEntry]:
    """Every notification recorded for a host or ``host!service``, ticket or not."""
    with uow:
        return uow.tickets.events_of(key)
