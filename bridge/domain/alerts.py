"""Customer alerts (R14): which messages a ticket event owes the customer.

Probes always alert the provider (Icinga's own notifications); they alert the customer too
when the contract lists addresses (``customers.X.alerts``). ``vigie notify`` puts these
messages in the store's outbox in the same transaction as the ticket, so alerting never
slows it down nor loses a message; ``vigie send-alerts`` delivers them later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from bridge.domain.contract import Customer
from bridge.domain.tickets import Ticket
from bridge.domain.times import to_display

SMS_LENGTH = 160


@dataclass(frozen=True)
class Message:
    """A customer alert waiting in the outbox (R14)."""

    id: int
    ticket_id: int
    channel: str
    recipient: str
    subject: str
    body: str


def compose(
    customers: Mapping[str, Customer], tz: tzinfo, ticket: Ticket, entry: str
) -> Sequence[tuple[str, str, str, str]]:
    """The (channel, recipient, subject, body) messages a ticket event owes its customer."""
    customer = customers.get(ticket.customer or "")
    if customer is None or ticket.kind != "incident":
        return ()
    alerts = customer.alerts
    if not alerts.email and not alerts.sms:
        return ()
    what = "recovered" if entry == "recovery" else "problem"
    subject = f"[{customer.name}] ticket #{ticket.id}: {ticket.key} {what}"
    body = _body(ticket, what, tz)
    sms = f"#{ticket.id} {ticket.key} {what}: {ticket.subject}"[:SMS_LENGTH]
    messages = [("email", address, subject, body) for address in alerts.email]
    messages += [("sms", number, subject, sms) for number in alerts.sms]
    return messages


def _body(ticket: Ticket, what: str, tz: tzinfo) -> str:
    lines = [
        f"Ticket #{ticket.id}: {ticket.subject}",
        "",
        f"Server:     {ticket.server}" + (f", service {ticket.service}" if ticket.service else ""),
        f"Since:      {to_display(ticket.reference_at, tz)}",
    ]
    if what == "problem" and ticket.deadline_at is not None:
        lines.append(
            f"Taken over by {to_display(ticket.deadline_at, tz)} at the latest "
            f"(level {ticket.level})."
        )
    if what == "recovered":
        lines.append(f"Recovered:  {to_display(ticket.recovered_at, tz)}")
    lines += ["", "We are on it; every incident is debriefed once closed."]
    return "\n".join(lines) + "\n"
