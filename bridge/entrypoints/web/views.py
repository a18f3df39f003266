"""What the templates show: rows of the queue with their SLA clock, times in the provider's
zone, and the Jinja2 environment (autoescaping on, so plugin output is always text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import jinja2

from bridge.domain.queue import clock_state, time_left
from bridge.domain.times import to_display
from bridge.services.queue import QueueRow

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class RowView:
    """One line of the queue as the page shows it."""

    row: QueueRow
    what: str
    deadline: str
    deadline_utc: str
    clock: str
    left: str


def left_text(left: timedelta | None) -> str:
    """Time left as ``1h 05m`` or ``breached``; ``-`` when no clock runs."""
    if left is None:
        return "-"
    if left <= timedelta(0):
        return "breached"
    minutes = int(left.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def row_view(row: QueueRow, now: datetime, warning: timedelta, tz: tzinfo) -> RowView:
    """A queue row with its countdown computed as of now (the page's script keeps it going)."""
    ticket = row.ticket
    left = time_left(ticket, now)
    deadline = ticket.deadline_at
    return RowView(
        row,
        ticket.key or ticket.server or "-",
        to_display(deadline, tz) or "-",
        deadline.isoformat() if deadline is not None and ticket.status == "new" else "",
        clock_state(left, warning),
        left_text(left),
    )


def shown(moment: datetime | None, tz: tzinfo) -> str:
    """A time in the provider's zone, or ``-``."""
    return to_display(moment, tz) or "-"


def this_month() -> str:
    """The current month, ``YYYY-MM``, for the header's link."""
    return datetime.now(UTC).strftime("%Y-%m")


def english(message: str) -> str:
    """Staff pages are in English (the portal's catalog: some ids are keys, ``sla-met``)."""
    from bridge.entrypoints.web.i18n import gettext_of

    return gettext_of("en")(message)


TEMPLATES.globals["shown"] = shown
TEMPLATES.globals["_"] = english
TEMPLATES.globals["this_month"] = this_month
