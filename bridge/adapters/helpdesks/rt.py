"""Request Tracker 5 through its REST 2 API (``/REST/2.0``), built into RT 5.

Domain model: a Vigie ticket is an RT ticket in the configured queue (``helpdesk.project``)
whose subject carries the marker ``[vigie#<id>]`` and the incident key; a TicketSQL search
on the subject finds it again. Comments are internal (``/comment``); time worked is a
comment's ``TimeTaken`` (RT adds it to TimeWorked). Taking over is RT's ``open``; RT's
default lifecycle closes with ``resolved``, which Vigie reads back as a closing.

The token file holds an RT auth token (``Authorization: token ...``), or ``user:password``
for HTTP basic auth. RT answers HTTP 200 even when it refuses a field (an invalid status):
the messages it returns are checked.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.adapters.helpdesks import HelpdeskError
from bridge.adapters.helpdesks.http import JsonHttp
from bridge.domain.helpdesk import VIGIE_PREFIX, StaffAction, Status

# Vigie's statuses in RT's default lifecycle.
_STATUS = {"taken": "open", "resolved": "resolved", "closed": "resolved"}
_REFUSED = ("isn't a valid", "permission denied", "could not", "couldn't", "illegal")
MAX_PAGES = 50  # a ticket's history, 100 transactions a page


class RequestTracker:
    """One RT queue."""

    name = "Request Tracker"

    def __init__(self, url: str, secret: str, queue: str, timeout: float) -> None:
        if ":" in secret:  # user:password
            auth = "Basic " + base64.b64encode(secret.encode("utf-8")).decode("ascii")
        else:
            auth = f"token {secret}"
        self.http = JsonHttp(url.rstrip("/") + "/REST/2.0", {"Authorization": auth}, timeout)
        self.queue = queue

    def open(self, marker: str, subject: str, body: str) -> str:
        """Create the ticket in the queue; its id."""
        _, answer = self.http.call(
            "POST",
            "/ticket",
            {"Queue": self.queue, "Subject": subject, "Content": body, "ContentType": "text/plain"},
        )
        if not isinstance(answer, dict) or "id" not in answer:
            raise HelpdeskError(f"RT created no ticket: {answer}")
        return str(answer["id"])

    def find(self, marker: str) -> str | None:
        """The lowest-numbered ticket of the queue whose subject holds ``marker``."""
        query = f"Queue = '{_quoted(self.queue)}' AND Subject LIKE '{_quoted(marker)}'"
        _, answer = self.http.call(
            "GET", "/tickets", query={"query": query, "fields": "Subject", "orderby": "id"}
        )
        for item in (answer or {}).get("items", []):
            if marker in str(item.get("Subject", "")):
                return str(item["id"])
        return None

    def comment(self, ref: str, text: str) -> None:
        """An internal comment."""
        self._check(
            self.http.call(
                "POST", f"/ticket/{ref}/comment", {"Content": text, "ContentType": "text/plain"}
            )[1]
        )

    def set_status(self, ref: str, status: Status) -> None:
        """RT's status for ``status`` (open, resolved)."""
        self._check(self.http.call("PUT", f"/ticket/{ref}", {"Status": _STATUS[status]})[1])

    def add_time(self, ref: str, minutes: int, by: str, at: datetime, note: str | None) -> None:
        """A comment carrying the time (RT adds TimeTaken to the ticket's TimeWorked)."""
        text = f"{VIGIE_PREFIX}{minutes} min by {by} at {at.isoformat()}"
        text += f": {note}" if note else ""
        self._check(
            self.http.call(
                "POST",
                f"/ticket/{ref}/comment",
                {"Content": text, "ContentType": "text/plain", "TimeTaken": str(minutes)},
            )[1]
        )

    def activity(self, ref: str) -> Sequence[StaffAction]:
        """Take-overs (to ``open``), closings (``resolved``, ``rejected``), time worked
        and comments, from the ticket's transactions."""
        actions: list[StaffAction] = []
        fields = "Type,Field,OldValue,NewValue,TimeTaken,Created,Creator"
        for page in range(1, MAX_PAGES + 1):
            _, answer = self.http.call(
                "GET",
                f"/ticket/{ref}/history",
                query={"per_page": "100", "page": str(page), "fields": fields},
            )
            items = (answer or {}).get("items", [])
            for item in items:
                actions.extend(self._actions(ref, item))
            if page >= int((answer or {}).get("pages", 1) or 1) or not items:
                break
        return actions

    def _actions(self, ref: str, item: dict[str, Any]) -> list[StaffAction]:
        source = f"rt:{ref}:transaction:{item['id']}"
        at = _time(item.get("Created"))
        by = _user(item.get("Creator"))
        kind, field, new = item.get("Type"), item.get("Field"), item.get("NewValue")
        found: list[StaffAction] = []
        minutes = int(item.get("TimeTaken") or 0)
        if kind in ("Comment", "Correspond") and minutes > 0:
            text = self._content(item["id"])  # Vigie's own work is told by its prefix
            found.append(StaffAction(source + ":work", "work", at, by, minutes, text))
        elif kind == "Set" and field == "TimeWorked":
            added = int(new or 0) - int(item.get("OldValue") or 0)
            if added > 0:
                found.append(StaffAction(source, "work", at, by, minutes=added))
        if kind == "Status" and new == "open":
            found.append(StaffAction(source, "taken", at, by))
        elif kind == "Status" and new in ("resolved", "rejected"):
            found.append(StaffAction(source, "closed", at, by, text=f"{new} in RT by {by}"))
        elif kind in ("Set", "Give", "Take", "Steal") and (field == "Owner" or kind != "Set"):
            found.append(StaffAction(source, "taken", at, by))
        if kind in ("Comment", "Correspond") and not minutes:
            text = self._content(item["id"])
            if text:
                found.append(StaffAction(source + ":comment", "comment", at, by, text=text))
        return found

    def _content(self, transaction: object) -> str | None:
        """The text of a comment or reply."""
        _, answer = self.http.call(
            "GET", f"/transaction/{transaction}/attachments", query={"fields": "Content"}
        )
        for item in (answer or {}).get("items", []):
            content = item.get("Content")
            if isinstance(content, str) and content.strip():
                if not content.isprintable() and "\n" not in content:
                    content = base64.b64decode(content).decode("utf-8", "replace")
                return content.strip()[:2000]
        return None

    @staticmethod
    def _check(messages: object) -> None:
        """RT says 200 with a refusal in its messages: raise it."""
        for message in messages if isinstance(messages, list) else []:
            if any(word in str(message).lower() for word in _REFUSED):
                raise HelpdeskError(f"RT refused: {message}")


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _user(creator: object) -> str:
    if isinstance(creator, dict):
        return str(creator.get("id") or creator.get("Name") or "RT")
    return str(creator or "RT")


def _time(text: object) -> datetime:
    """RT's ``2026-12-02T09:30:00Z`` (UTC)."""
    if not isinstance(text, str) or not text:
        raise HelpdeskError(f"RT gave no time: {text!r}")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
