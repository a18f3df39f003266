"""GLPI through its REST API (``apirest.php``): a session opened with the application
token and a user token, both from the token file (first line the App-Token, second the
user token; a single line is a user token with no App-Token).

Domain model: a Vigie ticket is a GLPI Ticket of the configured entity (``project``, its
id), whose name carries the marker ``[vigie#<id>]`` and the incident key; the search
engine (``search/Ticket``, field 1 "contains") finds it again. Comments are private
followups (ITILFollowup), time worked a TicketTask with its ``actiontime`` in seconds,
taking over is status 2 (processing, assigned), closing status 6 (closed; 5 solved is
read as resolved). Read back: tasks, followups and the Log's status changes. GLPI gives
times without a zone: the server must run in UTC for them to be read right.

GLPI is not in Debian 12: this adapter is tested against a local server answering as
GLPI's REST API documentation (``apirest.md``) shows, not against GLPI itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.adapters.helpdesks import HelpdeskError
from bridge.adapters.helpdesks.http import JsonHttp
from bridge.domain.helpdesk import VIGIE_PREFIX, StaffAction, Status

_STATUS = {"taken": 2, "resolved": 5, "closed": 6}
STATUS_FIELD = 12  # the search option of a ticket's status, as the Log names it
NAME_FIELD, ID_FIELD = 1, 2


class Glpi:
    """One GLPI entity."""

    name = "GLPI"

    def __init__(self, url: str, secret: str, entity: str, timeout: float) -> None:
        lines = [line.strip() for line in secret.splitlines() if line.strip()]
        app_token, user_token = (None, lines[0]) if len(lines) == 1 else (lines[0], lines[1])
        base = url.rstrip("/")
        if not base.endswith("apirest.php"):
            base += "/apirest.php"
        headers = {} if app_token is None else {"App-Token": app_token}
        self.http = JsonHttp(base, headers, timeout)
        self._user_token = user_token
        self.entity = entity
        self._session = False

    def _login(self) -> None:
        if self._session:
            return
        self.http.headers["Authorization"] = f"user_token {self._user_token}"
        try:
            _, answer = self.http.call("GET", "/initSession")
        finally:
            del self.http.headers["Authorization"]
        token = (answer or {}).get("session_token") if isinstance(answer, dict) else None
        if not token:
            raise HelpdeskError(f"GLPI gave no session token: {answer}")
        self.http.headers["Session-Token"] = str(token)
        self._session = True

    def _call(self, method: str, path: str, body: object = None, **query: str) -> Any:
        self._login()
        return self.http.call(method, path, body, query=query or None)[1]

    def open(self, marker: str, subject: str, body: str) -> str:
        """Create the Ticket in the entity; its id."""
        answer = self._call(
            "POST",
            "/Ticket",
            {"input": {"name": subject, "content": body, "entities_id": int(self.entity)}},
        )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise HelpdeskError(f"GLPI created no ticket: {answer}")
        return str(answer["id"])

    def find(self, marker: str) -> str | None:
        """The lowest-numbered Ticket whose name holds ``marker``."""
        answer = self._call(
            "GET",
            "/search/Ticket",
            **{
                "criteria[0][field]": str(NAME_FIELD),
                "criteria[0][searchtype]": "contains",
                "criteria[0][value]": marker,
                "forcedisplay[0]": str(ID_FIELD),
                "range": "0-100",
            },
        )
        rows = (answer or {}).get("data") or []
        if isinstance(rows, dict):  # indexed by id, as the documentation's example shows
            rows = [dict(row, **{str(ID_FIELD): key}) for key, row in rows.items()]
        found = [
            int(row[str(ID_FIELD)]) for row in rows if marker in str(row.get(str(NAME_FIELD), ""))
        ]
        return str(min(found)) if found else None

    def comment(self, ref: str, text: str) -> None:
        """A private followup."""
        followup = {"itemtype": "Ticket", "items_id": int(ref), "content": text, "is_private": 1}
        self._call("POST", f"/Ticket/{ref}/ITILFollowup", {"input": followup})

    def set_status(self, ref: str, status: Status) -> None:
        """GLPI's status for ``status`` (2, 5, 6)."""
        answer = self._call("PUT", f"/Ticket/{ref}", {"input": {"status": _STATUS[status]}})
        for result in answer if isinstance(answer, list) else []:
            if isinstance(result, dict) and result.get(str(ref)) is False:
                raise HelpdeskError(f"GLPI refused: {result.get('message')}")

    def add_time(self, ref: str, minutes: int, by: str, at: datetime, note: str | None) -> None:
        """A task carrying the time."""
        content = VIGIE_PREFIX + (f"{by}: {note}" if note else by)
        task = {
            "tickets_id": int(ref),
            "content": content,
            "actiontime": minutes * 60,
            "date": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        self._call("POST", f"/Ticket/{ref}/TicketTask", {"input": task})

    def activity(self, ref: str) -> Sequence[StaffAction]:
        """Tasks as work, private followups as comments, status changes from the Log."""
        actions: list[StaffAction] = []
        for task in self._call("GET", f"/Ticket/{ref}/TicketTask", expand_dropdowns="true") or []:
            minutes = int(task.get("actiontime") or 0) // 60
            if minutes > 0:
                actions.append(
                    StaffAction(
                        f"glpi:task:{task['id']}",
                        "work",
                        _time(task.get("date_creation") or task.get("date")),
                        _user(task.get("users_id")),
                        minutes=minutes,
                        text=task.get("content") or None,
                    )
                )
        for followup in (
            self._call("GET", f"/Ticket/{ref}/ITILFollowup", expand_dropdowns="true") or []
        ):
            actions.append(
                StaffAction(
                    f"glpi:followup:{followup['id']}",
                    "comment",
                    _time(followup.get("date_creation") or followup.get("date")),
                    _user(followup.get("users_id")),
                    text=str(followup.get("content") or "").strip(),
                )
            )
        for log in self._call("GET", f"/Ticket/{ref}/Log", range="0-1000") or []:
            if int(log.get("id_search_option") or 0) != STATUS_FIELD:
                continue
            status = _number(log.get("new_value"))
            kind = {2: "taken", 3: "taken", 5: "resolved", 6: "closed"}.get(status or 0)
            if kind is not None:
                at, by = _time(log.get("date_mod")), _user(log.get("user_name"))
                actions.append(StaffAction(f"glpi:log:{log['id']}", kind, at, by))  # type: ignore[arg-type]
        return sorted(actions, key=lambda action: action.at)


def _number(value: object) -> int | None:
    """A status as the Log shows it: ``6``, or ``Closed (6)``."""
    match = re.search(r"(\d+)\)?\s*$", str(value or ""))
    return int(match.group(1)) if match else None


def _user(value: object) -> str:
    """``glpi (2)`` as the Log names a user: the name without its id."""
    text = str(value or "GLPI")
    return re.sub(r"\s*\(\d+\)$", "", text) or "GLPI"


def _time(text: object) -> datetime:
    """GLPI's ``2015-10-13 10:00:59`` (the server's zone, taken as UTC)."""
    if not isinstance(text, str) or not text:
        raise HelpdeskError(f"GLPI gave no time: {text!r}")
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
