"""External helpdesks behind one small interface: open a ticket for an incident, comment,
set its status, add time worked, find it by its marker, read back what staff did there.

Only loaded where ``helpdesk.kind`` names one: the embedded default never imports this.
Every failure is one ``HelpdeskError`` with a one-line message; the outbox retries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bridge.config.model import HelpdeskSettings
from bridge.domain.helpdesk import StaffAction, Status

__all__ = ["Helpdesk", "HelpdeskError", "connect", "read_secret"]


class HelpdeskError(Exception):
    """The helpdesk did not do what was asked (down, refused, answered nonsense)."""


class Helpdesk(Protocol):
    """One external helpdesk; ``ref`` is its ticket id (the ticket's ``external_ref``)."""

    name: str

    def open(self, marker: str, subject: str, body: str) -> str:
        """Open a ticket whose subject carries ``marker``; its id."""

    def find(self, marker: str) -> str | None:
        """The id of the ticket whose subject carries ``marker``, or None."""

    def comment(self, ref: str, text: str) -> None:
        """Add an internal comment."""

    def set_status(self, ref: str, status: Status) -> None:
        """Mark the ticket taken over, resolved or closed."""

    def add_time(self, ref: str, minutes: int, by: str, at: datetime, note: str | None) -> None:
        """Log time worked on the ticket."""

    def activity(self, ref: str) -> Sequence[StaffAction]:
        """What staff did on the ticket: take-overs, time worked, closings, comments."""


def connect(settings: HelpdeskSettings, timeout: float) -> Helpdesk:
    """The adapter of ``settings.kind``; ``timeout`` bounds each request, in seconds."""
    if settings.url is None or settings.token_file is None or settings.project is None:
        raise HelpdeskError(f"helpdesk {settings.kind}: url, token_file and project are needed")
    secret = read_secret(settings)
    if settings.kind == "rt":
        from bridge.adapters.helpdesks.rt import RequestTracker

        return RequestTracker(settings.url, secret, settings.project, timeout)
    if settings.kind == "redmine":
        from bridge.adapters.helpdesks.redmine import Redmine

        return Redmine(settings.url, secret, settings.project, timeout, settings.tracker)
    if settings.kind == "zammad":
        from bridge.adapters.helpdesks.zammad import Zammad

        return Zammad(settings.url, secret, settings.project, timeout, settings.customer)
    if settings.kind == "glpi":
        from bridge.adapters.helpdesks.glpi import Glpi

        return Glpi(settings.url, secret, settings.project, timeout)
    raise HelpdeskError(f"no external helpdesk for kind {settings.kind}")


def read_secret(settings: HelpdeskSettings) -> str:
    """The token file's text, stripped; HelpdeskError naming the file when unreadable."""
    assert settings.token_file is not None
    try:
        text = settings.token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise HelpdeskError(f"helpdesk.token_file {settings.token_file}: {reason}") from None
    if not text:
        raise HelpdeskError(f"helpdesk.token_file {settings.token_file} is empty")
    return text
