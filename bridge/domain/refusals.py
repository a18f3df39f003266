"""What staff may not do to a ticket, as values: a Refusal names its contract rule.

Domain model: a ticket is taken over once (R4), closed once and an incident only with its
debrief (R15), worked on past the customer's approval threshold only once approved (R11),
and nothing happens to it before its reference time (R2). Each check returns None when the
operation may go on, else what is wrong; the entry points turn a Refusal into exit 1 and an
Invalid into exit 2. Pure: no clock, no store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bridge.domain.billing import WorkEntry, approval_needed, billable_minutes
from bridge.domain.contract import Customer, Rates
from bridge.domain.tickets import Approval, Category, Ticket, Work
from bridge.domain.times import to_display


@dataclass(frozen=True)
class Refusal:
    """A contract rule refuses the operation; ``rule`` names it (R4, R11, R15...)."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})"


@dataclass(frozen=True)
class Invalid:
    """The request contradicts the ticket (a time before its reference time...)."""

    message: str

    def __str__(self) -> str:
        return self.message


Verdict = Refusal | Invalid | None


def _shown(moment: datetime, tz: tzinfo) -> str:
    # Every time a message shows is the provider's local time with its offset, to the second.
    return to_display(moment, tz) or ""


def not_before_reference(ticket: Ticket, at: datetime, tz: tzinfo = UTC) -> Invalid | None:
    """Nothing is done on a ticket before its reference time (R2): a typo in --at."""
    if at < ticket.reference_at:
        return Invalid(
            f"--at {_shown(at, tz)} is before ticket {ticket.id}'s reference time "
            f"{_shown(ticket.reference_at, tz)}"
        )
    return None


def may_take(ticket: Ticket, at: datetime, tz: tzinfo = UTC) -> Verdict:
    """R4: a ticket is taken over once, and not once closed."""
    if ticket.status == "closed":
        return Refusal("R4", f"ticket {ticket.id} is closed; it cannot be taken over")
    if ticket.taken_at is not None:
        return Refusal(
            "R4",
            f"ticket {ticket.id} was already taken over by {ticket.taken_by} "
            f"at {_shown(ticket.taken_at, tz)}",
        )
    return not_before_reference(ticket, at, tz)


def may_close(ticket: Ticket, debrief: str | None, at: datetime, tz: tzinfo = UTC) -> Verdict:
    """R15: closed once; an incident is closed with its debrief."""
    if ticket.status == "closed":
        return Refusal("R15", f"ticket {ticket.id} is already closed")
    if ticket.kind == "incident" and not (debrief and debrief.strip()):
        return Refusal("R15", f"ticket {ticket.id} is an incident: close it with --debrief TEXT")
    wrong = not_before_reference(ticket, at, tz)
    if wrong is None and ticket.taken_at is not None and at < ticket.taken_at:
        wrong = Invalid(
            f"--at {_shown(at, tz)} is before ticket {ticket.id} was taken over "
            f"({_shown(ticket.taken_at, tz)})"
        )
    return wrong


def may_log_work(
    ticket: Ticket,
    work: Sequence[Work],
    approvals: Sequence[Approval],
    minutes: int,
    category: Category,
    at: datetime,
    customer: Customer | None,
    business_hours: bool,
    rates: Rates,
    tz: tzinfo = UTC,
) -> Verdict:
    """R11: work that would take a ticket past its customer's threshold needs an approval;
    updates never count (R6)."""
    wrong = not_before_reference(ticket, at, tz)
    if wrong is not None:
        return wrong
    threshold = None if customer is None else customer.approval_threshold
    if threshold is None or approvals:
        return None
    current, _ = billable_minutes(WorkEntry(w.at, w.minutes, w.by, w.category) for w in work)
    new = 0 if category == "update" else minutes
    if approval_needed(current, new, business_hours, ticket.level is not None, threshold, rates):
        return Refusal(
            "R11",
            f"ticket {ticket.id}: {minutes} more minutes would take it past "
            f"{ticket.customer}'s approval threshold of {threshold} quarters; record the "
            f"customer's approval first: vigie approve {ticket.id} --by NAME",
        )
    return None
