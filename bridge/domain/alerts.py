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

from bridge.domain.alert_texts import TextsOf, default_texts, render
from bridge.domain.contract import Customer
from bridge.domain.tickets import Ticket
from bridge.domain.times import to_display


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
    customers: Mapping[str, Customer],
    tz: tzinfo,
    ticket: Ticket,
    entry: str,
    texts: TextsOf = default_texts,
    link: str | None = None,
) -> Sequence[tuple[str, str, str, str]]:
    """The (channel, recipient, subject, body) messages a ticket event owes its customer,
    in its language (``texts(language, name)``, the built-in wording by default); ``link``
    is the ticket's page on the portal, when it has a public address."""
    customer = customers.get(ticket.customer or "")
    if customer is None or ticket.kind != "incident":
        return ()
    alerts = customer.alerts
    if not alerts.email and not alerts.sms:
        return ()
    name = "recovered" if entry == "recovery" else "problem"
    values = {
        "ticket": str(ticket.id),
        "customer": customer.name,
        "key": ticket.key or ticket.server or "-",
        "subject": ticket.subject,
        "level": ticket.level,
        "since": to_display(ticket.reference_at, tz),
        "deadline": to_display(ticket.deadline_at, tz) if name == "problem" else None,
        "recovered": to_display(ticket.recovered_at, tz) if name == "recovered" else None,
        "link": link,
    }
    subject, body, sms = render(texts(customer.language, name), values)
    messages = [("email", address, subject, body) for address in alerts.email]
    messages += [("sms", number, subject, sms) for number in alerts.sms]
    return messages
