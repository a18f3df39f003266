"""Zammad through its REST API (``/api/v1``), with an access token from the token file
(``Authorization: Token token=...``).

Domain model: a Vigie ticket is a Zammad ticket of the configured group (``project``)
and customer (``customer``: an existing customer's e-mail or login), whose title carries
the marker ``[vigie#<id>]`` and the incident key; the ticket search finds it again.
Comments are internal notes, time worked an internal note with its ``time_unit`` (minutes,
as the instance's unit should be set; Zammad books it as time accounting), taking over is
state ``open``, closing state ``closed``.
Read back: the owner and the closing from the ticket (``expand=true``), time accounting
entries, and the notes.

Zammad cannot run here: this adapter is tested against a local server answering as the
Zammad REST API documentation shows (docs.zammad.org, API > Tickets, Articles, Time
Accounting), not against Zammad itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.adapters.helpdesks import HelpdeskError
from bridge.adapters.helpdesks.http import JsonHttp
from bridge.domain.helpdesk import VIGIE_PREFIX, StaffAction, Status

_STATE = {"taken": "open", "resolved": "closed", "closed": "closed"}
SYSTEM_USER = 1  # Zammad's "-" user: the owner of a ticket nobody has taken


class Zammad:
    """One Zammad group."""

    name = "Zammad"

    def __init__(
        self, url: str, token: str, group: str, timeout: float, customer: str | None
    ) -> None:
        self.http = JsonHttp(
            url.rstrip("/") + "/api/v1", {"Authorization": f"Token token={token}"}, timeout
        )
        self.group = group
        self.customer = customer
        self._users: dict[object, str] = {}

    def open(self, marker: str, subject: str, body: str) -> str:
        """Create the ticket with its first note; its id."""
        if self.customer is None:
            raise HelpdeskError("Zammad needs helpdesk.customer (an existing customer)")
        _, answer = self.http.call(
            "POST",
            "/tickets",
            {
                "title": subject,
                "group": self.group,
                "customer": self.customer,
                "article": _note(body, subject),
            },
        )
        if not isinstance(answer, dict) or "id" not in answer:
            raise HelpdeskError(f"Zammad created no ticket: {answer}")
        return str(answer["id"])

    def find(self, marker: str) -> str | None:
        """The lowest-numbered ticket whose title holds ``marker``."""
        _, answer = self.http.call(
            "GET", "/tickets/search", query={"query": f'title:"{marker}"', "limit": "50"}
        )
        tickets = ((answer or {}).get("assets") or {}).get("Ticket") or {}
        for ticket_id in sorted((answer or {}).get("tickets", []), key=int):
            title = str((tickets.get(str(ticket_id)) or {}).get("title", ""))
            if marker in title:
                return str(ticket_id)
        return None

    def comment(self, ref: str, text: str) -> None:
        """An internal note."""
        self.http.call("POST", "/ticket_articles", {"ticket_id": int(ref), **_note(text)})

    def set_status(self, ref: str, status: Status) -> None:
        """Zammad's state for ``status`` (open, closed)."""
        self.http.call("PUT", f"/tickets/{ref}", {"state": _STATE[status]})

    def add_time(self, ref: str, minutes: int, by: str, at: datetime, note: str | None) -> None:
        """An internal note carrying the time (``time_unit``): Zammad accounts it."""
        text = f"{VIGIE_PREFIX}{minutes} min by {by} at {at.isoformat()}"
        text += f": {note}" if note else ""
        note_with_time = {"ticket_id": int(ref), **_note(text), "time_unit": f"{minutes}.0"}
        self.http.call("POST", "/ticket_articles", note_with_time)

    def activity(self, ref: str) -> Sequence[StaffAction]:
        """The take-over and closing from the ticket, time accounting, internal notes."""
        actions: list[StaffAction] = []
        _, ticket = self.http.call("GET", f"/tickets/{ref}", query={"expand": "true"})
        ticket = ticket or {}
        owner = ticket.get("owner_id")
        if owner not in (None, SYSTEM_USER):
            at = _time(ticket.get("last_owner_update_at") or ticket.get("updated_at"))
            by = str(ticket.get("owner") or self._user(owner))
            actions.append(StaffAction(f"zammad:{ref}:owner:{owner}", "taken", at, by))
        if ticket.get("state") == "closed" and ticket.get("close_at"):
            by = str(ticket.get("updated_by") or self._user(ticket.get("updated_by_id")))
            at = _time(ticket["close_at"])
            actions.append(
                StaffAction(f"zammad:{ref}:closed:{ticket['close_at']}", "closed", at, by)
            )
        _, articles = self.http.call("GET", f"/ticket_articles/by_ticket/{ref}")
        bodies = {article.get("id"): article.get("body") for article in articles or []}
        _, entries = self.http.call("GET", f"/tickets/{ref}/time_accountings")
        for entry in entries or []:
            minutes = round(float(entry.get("time_unit") or 0))
            if minutes > 0:
                actions.append(
                    StaffAction(
                        f"zammad:time_accounting:{entry['id']}",
                        "work",
                        _time(entry.get("created_at")),
                        self._user(entry.get("created_by_id")),
                        minutes=minutes,
                        text=bodies.get(entry.get("ticket_article_id")),
                    )
                )
        for article in articles or []:
            if article.get("type") == "note" and article.get("internal"):
                actions.append(
                    StaffAction(
                        f"zammad:article:{article['id']}",
                        "comment",
                        _time(article.get("created_at")),
                        str(article.get("from") or self._user(article.get("created_by_id"))),
                        text=str(article.get("body") or "").strip(),
                    )
                )
        return sorted(actions, key=lambda action: action.at)

    def _user(self, user_id: object) -> str:
        """A user's name (login when the names are empty), looked up once."""
        if user_id is None:
            return "Zammad"
        if user_id not in self._users:
            _, user = self.http.call("GET", f"/users/{user_id}")
            user = user or {}
            full = f"{user.get('firstname') or ''} {user.get('lastname') or ''}".strip()
            self._users[user_id] = full or str(user.get("login") or user_id)
        return self._users[user_id]


def _note(body: str, subject: str | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {
        "body": body,
        "type": "note",
        "internal": True,
        "content_type": "text/plain",
    }
    if subject is not None:
        note["subject"] = subject
    return note


def _time(text: object) -> datetime:
    """Zammad's ``2023-08-16T08:11:49.315Z`` (UTC)."""
    if not isinstance(text, str) or not text:
        raise HelpdeskError(f"Zammad gave no time: {text!r}")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
