"""Redmine 5 through its REST API (JSON), with an API key from the token file.

Domain model: a Vigie ticket is an issue of the configured project (``helpdesk.project``,
its identifier) and tracker (``helpdesk.tracker``, by name; default the project's
default), whose subject carries the marker ``[vigie#<id>]`` and the incident key; the
issues list filtered on the subject (``subject=~...``, closed ones included) finds it again.
Comments are notes, time worked is a time entry, and statuses are found by name: taken is
"In Progress", resolved "Resolved", closed the first closed status ("Closed"). Journals
and time entries are read back for ``vigie sync``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.adapters.helpdesks import HelpdeskError
from bridge.adapters.helpdesks.http import JsonHttp
from bridge.domain.helpdesk import VIGIE_PREFIX, StaffAction, Status

_STATUS_NAMES = {"taken": "in progress", "resolved": "resolved", "closed": "closed"}


class Redmine:
    """One Redmine project."""

    name = "Redmine"

    def __init__(
        self, url: str, key: str, project: str, timeout: float, tracker: str | None = None
    ) -> None:
        self.http = JsonHttp(url, {"X-Redmine-API-Key": key}, timeout)
        self.project = project
        self.tracker = tracker
        self._statuses: list[dict[str, Any]] | None = None

    def open(self, marker: str, subject: str, body: str) -> str:
        """Create the issue; its id."""
        issue: dict[str, object] = {
            "project_id": self.project,
            "subject": subject,
            "description": body,
        }
        if self.tracker is not None:
            issue["tracker_id"] = self._named("/trackers.json", "trackers", self.tracker)
        _, answer = self.http.call("POST", "/issues.json", {"issue": issue})
        try:
            return str(answer["issue"]["id"])
        except (TypeError, KeyError):
            raise HelpdeskError(f"Redmine created no issue: {answer}") from None

    def find(self, marker: str) -> str | None:
        """The lowest-numbered issue of the project whose subject holds ``marker``."""
        _, answer = self.http.call(
            "GET",
            "/issues.json",
            query={
                "project_id": self.project,
                "status_id": "*",
                "subject": "~" + marker,
                "sort": "id",
                "limit": "100",
            },
        )
        for issue in (answer or {}).get("issues", []):
            if marker in str(issue.get("subject", "")):
                return str(issue["id"])
        return None

    def comment(self, ref: str, text: str) -> None:
        """A note on the issue."""
        self.http.call("PUT", f"/issues/{ref}.json", {"issue": {"notes": text}})

    def set_status(self, ref: str, status: Status) -> None:
        """The status named for ``status``."""
        status_id = self._status_id(status)
        self.http.call("PUT", f"/issues/{ref}.json", {"issue": {"status_id": status_id}})

    def add_time(self, ref: str, minutes: int, by: str, at: datetime, note: str | None) -> None:
        """A time entry of the default activity, on the day it was worked."""
        entry: dict[str, object] = {
            "issue_id": int(ref),
            "hours": round(minutes / 60, 4),
            "spent_on": at.date().isoformat(),
            "comments": (VIGIE_PREFIX + (f"{by}: {note}" if note else by))[:255],
        }
        activity = self._default_activity()
        if activity is not None:
            entry["activity_id"] = activity
        self.http.call("POST", "/time_entries.json", {"time_entry": entry})

    def activity(self, ref: str) -> Sequence[StaffAction]:
        """Status changes and notes from the journals; time entries as work."""
        _, answer = self.http.call("GET", f"/issues/{ref}.json", query={"include": "journals"})
        issue = (answer or {}).get("issue") or {}
        actions: list[StaffAction] = []
        statuses = {str(s["id"]): s for s in self._all_statuses()}
        for journal in issue.get("journals", []):
            source = f"redmine:journal:{journal['id']}"
            at = _time(journal.get("created_on"))
            by = _user(journal.get("user"))
            for detail in journal.get("details", []):
                if detail.get("name") == "status_id":
                    status = statuses.get(str(detail.get("new_value")), {})
                    name = str(status.get("name", "")).lower()
                    if status.get("is_closed"):
                        text = journal.get("notes") or f"{status.get('name')} in Redmine by {by}"
                        actions.append(StaffAction(source, "closed", at, by, text=text))
                    elif name == "resolved":
                        actions.append(StaffAction(source, "resolved", at, by))
                    elif name != "new":
                        actions.append(StaffAction(source, "taken", at, by))
                elif detail.get("name") == "assigned_to_id" and detail.get("new_value"):
                    actions.append(StaffAction(source + ":assigned", "taken", at, by))
            if journal.get("notes"):
                text = str(journal["notes"])
                actions.append(StaffAction(source + ":note", "comment", at, by, text=text))
        offset = 0
        while offset < 10_000:
            _, page = self.http.call(
                "GET",
                "/time_entries.json",
                query={"issue_id": ref, "limit": "100", "offset": str(offset)},
            )
            entries = (page or {}).get("time_entries", [])
            for entry in entries:
                minutes = round(float(entry.get("hours") or 0) * 60)
                if minutes > 0:
                    actions.append(
                        StaffAction(
                            f"redmine:time_entry:{entry['id']}",
                            "work",
                            _time(entry.get("created_on")),
                            _user(entry.get("user")),
                            minutes=minutes,
                            text=entry.get("comments") or None,
                        )
                    )
            offset += len(entries)
            if not entries or offset >= int((page or {}).get("total_count", 0)):
                break
        return sorted(actions, key=lambda action: action.at)

    def _all_statuses(self) -> list[dict[str, Any]]:
        if self._statuses is None:
            _, answer = self.http.call("GET", "/issue_statuses.json")
            self._statuses = list((answer or {}).get("issue_statuses", []))
        return self._statuses

    def _status_id(self, status: Status) -> int:
        wanted = _STATUS_NAMES[status]
        statuses = self._all_statuses()
        for item in statuses:
            if str(item.get("name", "")).lower() == wanted:
                return int(item["id"])
        if status == "closed":
            for item in statuses:
                if item.get("is_closed"):
                    return int(item["id"])
        raise HelpdeskError(f"Redmine has no status {wanted!r}")

    def _named(self, path: str, key: str, name: str) -> int:
        _, answer = self.http.call("GET", path)
        for item in (answer or {}).get(key, []):
            if str(item.get("name", "")).lower() == name.lower():
                return int(item["id"])
        raise HelpdeskError(f"Redmine has no {key[:-1]} named {name!r}")

    def _default_activity(self) -> int | None:
        _, answer = self.http.call("GET", "/enumerations/time_entry_activities.json")
        listed = (answer or {}).get("time_entry_activities", [])
        activities = [item for item in listed if item.get("active", True)]
        for item in activities:
            if item.get("is_default"):
                return int(item["id"])
        return int(activities[0]["id"]) if activities else None


def _user(user: object) -> str:
    if isinstance(user, dict):
        return str(user.get("name") or user.get("id") or "Redmine")
    return "Redmine"


def _time(text: object) -> datetime:
    """Redmine's ``2026-12-02T09:30:00Z`` (UTC)."""
    if not isinstance(text, str) or not text:
        raise HelpdeskError(f"Redmine gave no time: {text!r}")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
