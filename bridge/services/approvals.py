"""Approvals asked of the customer (R11) and its answer, and what a customer adds to its
tickets from the portal (comments); the files kept with a ticket.

Staff refused past the threshold ask the customer at once: the request (quarters and the
estimated cost at the ticket's rate) is recorded and the customer's contacts are alerted
through the alerts' outbox (R14), with a link to the ticket. The customer's answer is
recorded with who and when; an approval is the same record ``vigie approve`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.adapters.alert_templates import texts_from
from bridge.config.calendar import business_calendar
from bridge.config.model import Config
from bridge.domain.alert_texts import render
from bridge.domain.billing import WorkEntry, billable_minutes
from bridge.domain.portal import (
    MAX_DESCRIPTION,
    ApprovalRequest,
    Attachment,
    decision_problem,
    estimate,
)
from bridge.domain.refusals import Invalid, not_before_reference
from bridge.domain.tickets import Category, Ticket
from bridge.services.errors import Rejected
from bridge.services.notifications import portal_link
from bridge.store.unit_of_work import UnitOfWork


def ask_approval(
    uow: UnitOfWork,
    config: Config,
    ticket: Ticket,
    minutes: int,
    category: Category,
    by: str,
    now: datetime,
) -> str:
    """Inside the caller's transaction: record an approval request for ``minutes`` more
    work and queue the alerts to the customer's contacts, unless one is already waiting.
    Returns what was done, for the refusal's message."""
    waiting = [r for r in uow.portal.requests(ticket.id) if r.pending]
    if waiting:
        return f"the customer was asked already (approval request {waiting[-1].id})"
    calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
    work = uow.tickets.work(ticket.id)
    current, _ = billable_minutes(WorkEntry(w.at, w.minutes, w.by, w.category) for w in work)
    new = 0 if category == "update" else minutes
    cost = estimate(
        current,
        new,
        calendar.is_business_time(ticket.reference_at),
        ticket.level is not None,
        config.rates,
    )
    request = uow.portal.add_request(
        ticket.id, minutes, cost.quarters, cost.rate, cost.amount, by, now
    )
    uow.tickets.add_entry(
        ticket.id,
        None,
        now,
        now,
        "approval_asked",
        actor=by,
        comment=f"{cost.quarters} quarters, about {cost.amount} EUR",
    )
    customer = config.customers.get(ticket.customer or "")
    if customer is None:
        return f"approval request {request.id} recorded (no customer contacts to alert)"
    values = {
        "ticket": str(ticket.id),
        "customer": customer.name,
        "key": ticket.key or ticket.server or "-",
        "subject": ticket.subject,
        "level": ticket.level,
        "quarters": str(cost.quarters),
        "rate": str(cost.rate),
        "amount": str(cost.amount),
        "minutes": str(minutes),
        "asked_by": by,
        "link": portal_link(config, ticket.id),
    }
    texts = texts_from(config.alerts.templates)(customer.language, "approval")
    subject, body, sms = render(texts, values)
    messages = [("email", a, subject, body) for a in customer.alerts.email]
    messages += [("sms", n, subject, sms) for n in customer.alerts.sms]
    for channel, recipient, subject, body in messages:
        uow.tickets.add_message(ticket.id, channel, recipient, subject, body, now)
    return (
        f"the customer was asked (approval request {request.id}, {len(messages)} alert(s) queued)"
    )


def decide(
    uow: UnitOfWork, ticket_id: int, decision: str, by: str, now: datetime
) -> ApprovalRequest:
    """The customer approves or declines the ticket's waiting request, as ``by``, now.

    An approval is also the approval R11 looks for, so staff's next ``log`` passes."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        waiting = [r for r in uow.portal.requests(ticket_id) if r.pending]
        request = waiting[-1] if waiting else None
        problem = decision_problem(request, decision)
        if problem is not None:
            raise Rejected(Invalid(problem))
        assert request is not None
        wrong = not_before_reference(ticket, now)
        if wrong is not None:
            raise Rejected(wrong)
        uow.portal.decide(request.id, decision, by, now)
        if decision == "approved":
            uow.tickets.add_approval(ticket_id, by, now, now)
        uow.tickets.add_entry(
            ticket_id,
            None,
            now,
            now,
            decision,
            actor=by,
            comment=f"approval request {request.id}: {request.quarters} quarters",
        )
        decided = uow.portal.request(request.id)
        uow.commit()
    return decided


def comment(uow: UnitOfWork, ticket_id: int, text: str, by: str, now: datetime) -> None:
    """A customer's (or staff's) comment in the ticket's history."""
    text = text.strip()
    if not text:
        raise Rejected(Invalid("comment: empty"))
    if len(text) > MAX_DESCRIPTION:
        raise Rejected(Invalid(f"comment: at most {MAX_DESCRIPTION} characters"))
    with uow:
        uow.tickets.get(ticket_id)
        uow.tickets.add_entry(ticket_id, None, now, now, "comment", actor=by, comment=text)
        uow.commit()


@dataclass(frozen=True)
class PortalFile:
    """What the portal adds to a ticket's file: its attachments and approval requests."""

    attachments: list[Attachment]
    requests: list[ApprovalRequest]


def portal_file(uow: UnitOfWork, ticket_id: int) -> PortalFile:
    """A ticket's attachments and approval requests."""
    with uow:
        return PortalFile(uow.portal.attachments(ticket_id), uow.portal.requests(ticket_id))


def attachment(uow: UnitOfWork, ticket_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
    """One file of a ticket with its content (NotFound else)."""
    with uow:
        return uow.portal.attachment(ticket_id, attachment_id)
