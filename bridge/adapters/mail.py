"""Customer alerts leave by mail: each outbox message handed to the SMTP relay.

``vigie send-alerts`` delivers what ``vigie notify`` queued (R14, composed in
``bridge.domain.alerts``); an SMS is a mail to the email-to-SMS gateway, or goes through
apprise when ``alerts.apprise`` is set (``sms``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bridge.adapters.sms import DeliveryError, recipient_address, send_by_apprise
from bridge.config.model import AlertTransport
from bridge.domain.alerts import Message


def deliver(
    messages: Sequence[Message],
    transport: AlertTransport,
    done: Callable[[Message, str | None], None],
) -> None:
    """Hand each message to the SMTP relay, calling ``done(message, error)`` right after
    each one (error None when sent), so that a run stopped midway resends nothing."""
    if transport.apprise:
        # SMS leave through apprise, whatever becomes of the SMTP relay.
        for message in [m for m in messages if m.channel == "sms"]:
            try:
                send_by_apprise(message, transport.apprise)
            except DeliveryError as error:
                done(message, str(error))
            except Exception as error:  # this message only: the others still go
                done(message, f"{type(error).__name__}: {error}")
            else:
                done(message, None)
        messages = [m for m in messages if m.channel != "sms"]
        if not messages:
            return
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
                mail["Subject"] = header_text(message.subject)
                mail.set_content(message.body)
                relay.send_message(mail)
            except (DeliveryError, OSError, smtplib.SMTPException) as error:
                done(message, str(error) or type(error).__name__)
            except Exception as error:  # this message only: the others still go
                done(message, f"{type(error).__name__}: {error}")
            else:
                done(message, None)


def header_text(value: str) -> str:
    """A header value on one line: any line break or control character (CR, LF, NEL, the
    Unicode line and paragraph separators, escapes) becomes a space."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def relay_answers(transport: AlertTransport) -> str:
    """Greet the SMTP relay (EHLO, then QUIT); its greeting, or DeliveryError saying why."""
    import smtplib

    where = f"SMTP relay {transport.smtp_host}:{transport.smtp_port}"
    try:
        with smtplib.SMTP(
            transport.smtp_host, transport.smtp_port, timeout=transport.timeout
        ) as relay:
            code, reply = relay.ehlo()
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"{where}: {error}") from None
    if code != 250:
        raise DeliveryError(f"{where}: EHLO answered {code}")
    return f"{where} answers: {reply.decode(errors='replace').splitlines()[0]}"


@contextmanager
def exclusive(lock_path: Path) -> Iterator[bool]:
    """Whether this run holds the outbox: two runs at once would send every alert twice."""
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)  # beside a store not made yet
    import os

    with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
