"""Customer alerts (R14): who to tell when a probe fires, and sending it by mail or SMS.

Probes always alert the provider (Icinga's own notifications); they alert the customer too
when the contract lists addresses (``customers.X.alerts``). ``vigie notify`` only puts the
messages in the store's outbox, in the same transaction as the ticket, so alerting never
slows it down nor loses a message; ``vigie send-alerts`` delivers them through an SMTP relay
(an SMS goes to an email-to-SMS gateway address) and records each attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path

from bridge.config import AlertTransport, Config
from bridge.store import Message
from bridge.tickets import Ticket
from bridge.times import to_display

SMS_LENGTH = 160


def compose(config: Config, ticket: Ticket, entry: str) -> Sequence[tuple[str, str, str, str]]:
    """The (channel, recipient, subject, body) messages a ticket event owes its customer."""
    customer = config.customers.get(ticket.customer or "")
    if customer is None or ticket.kind != "incident":
        return ()
    alerts = customer.alerts
    if not alerts.email and not alerts.sms:
        return ()
    what = "recovered" if entry == "recovery" else "problem"
    subject = f"[{customer.name}] ticket #{ticket.id}: {ticket.key} {what}"
    body = _body(ticket, what, config.timezone)
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


class DeliveryError(Exception):
    """A message could not be handed to the relay."""


def recipient_address(message: Message, transport: AlertTransport) -> str:
    """Where the mail goes: the address itself, or the SMS gateway's address for a number."""
    if message.channel == "email":
        return message.recipient
    if transport.sms_gateway is None:
        raise DeliveryError("no alerts.sms_gateway configured for SMS")
    number = message.recipient.replace(" ", "").lstrip("+")
    return transport.sms_gateway.replace("{number}", number)


def deliver(
    messages: Sequence[Message],
    transport: AlertTransport,
    done: Callable[[Message, str | None], None],
) -> None:
    """Hand each message to the SMTP relay, calling ``done(message, error)`` right after
    each one (error None when sent), so that a run stopped midway resends nothing."""
    import smtplib
    from email.message import EmailMessage

    try:
        relay = smtplib.SMTP(transport.smtp_host, transport.smtp_port, timeout=transport.timeout)
    except (OSError, smtplib.SMTPException) as error:
        reason = f"SMTP relay {transport.smtp_host}:{transport.smtp_port}: {error}"
        for message in messages:
            done(message, reason)
        return
    with relay:
        for message in messages:
            try:
                mail = EmailMessage()
                mail["From"] = transport.sender
                mail["To"] = recipient_address(message, transport)
                mail["Subject"] = message.subject
                mail.set_content(message.body)
                relay.send_message(mail)
            except (DeliveryError, OSError, smtplib.SMTPException) as error:
                done(message, str(error) or type(error).__name__)
            else:
                done(message, None)


@contextmanager
def exclusive(lock_path: Path) -> Iterator[bool]:
    """Whether this run holds the outbox: two runs at once would send every alert twice."""
    import fcntl

    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
