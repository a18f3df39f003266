"""SMS alerts go through an email-to-SMS gateway: a number becomes the gateway's address.

``alerts.sms_gateway`` is an address holding ``{number}`` (``{number}@sms.example``); the
message itself is sent by mail (``mail``).
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
    number = message.recipient.replace(" ", "").lstrip("+")
    return transport.sms_gateway.replace("{number}", number)
