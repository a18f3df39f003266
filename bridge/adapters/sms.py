"""SMS alerts go through an email-to-SMS gateway (a number becomes the gateway's address),
or through apprise URLs, which cover many European SMS gateways.

``alerts.sms_gateway`` is an address holding ``{number}`` (``{number}@sms.example``); the
message itself is sent by mail (``mail``). ``alerts.apprise`` lists apprise URLs holding
``{number}`` too (``twilio://SID:TOKEN@+3212345678/{number}``); with them, SMS go through
apprise (the ``sms`` extra), loaded only then.
"""

from __future__ import annotations

from bridge.config.model import AlertTransport
from bridge.domain.alerts import Message


class DeliveryError(Exception):
    """A message could not be handed to the relay."""


def recipient_address(message: Message, transport: AlertTransport) -> str:
    """Where the mail goes: the address itself, or the SMS gateway's address for a number."""
    if message.channel == "email":
        return message.recipient
    if transport.sms_gateway is None:
        raise DeliveryError("no alerts.sms_gateway configured for SMS")
    return transport.sms_gateway.replace("{number}", number_of(message))


def number_of(message: Message) -> str:
    """The recipient's number, digits only (``+32 470...`` is ``32470...``)."""
    return message.recipient.replace(" ", "").lstrip("+")


def send_by_apprise(message: Message, urls: tuple[str, ...]) -> None:
    """Hand one SMS to every apprise URL; DeliveryError when apprise is missing, a URL is
    not one apprise knows, or the gateway refused it. URLs hold credentials: an error
    names a URL by its scheme only."""
    try:
        import apprise
    except ImportError:
        raise DeliveryError(
            "alerts.apprise needs the sms extra: pip install 'vigie[sms]'"
        ) from None
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url.replace("{number}", number_of(message))):
            scheme = url.split("://", 1)[0]
            raise DeliveryError(f"alerts.apprise: apprise does not accept this {scheme}:// URL")
    if not sender.notify(body=message.body, title=""):
        raise DeliveryError("apprise: the SMS gateway refused the message or did not answer")


def apprise_problem(urls: tuple[str, ...]) -> str | None:
    """What keeps these apprise URLs from sending (apprise missing, a URL it refuses), or
    None; nothing is sent."""
    try:
        import apprise
    except ImportError:
        return "alerts.apprise needs apprise: pip install 'vigie[sms]'"
    for url in urls:
        if not apprise.Apprise().add(url.replace("{number}", "32470000000")):
            return f"alerts.apprise: apprise does not accept this {url.split('://', 1)[0]}:// URL"
    return None
