"""What staff do to a ticket from a page or the API: take over, log work, approve, close.

Each is one call of the service the ``vigie`` command calls, with the acting account as
``by``; the fields are checked here first, and a bad one is named before anything is
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bridge.domain.accounts import User
from bridge.domain.tickets import CATEGORIES, Category
from bridge.entrypoints.web import auth
from bridge.services import tickets as services

ACTIONS = ("take", "log", "approve", "close")
MAX_MINUTES = 24 * 60
MAX_TEXT = 4000


class BadForm(Exception):
    """A field is missing or wrong; the message names it."""


def _minutes(fields: Mapping[str, object]) -> int:
    text = str(fields.get("minutes") or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_MINUTES:
        raise BadForm(f"minutes: a whole number from 1 to {MAX_MINUTES}, got {text[:20]!r}")
    return int(text)


def _category(fields: Mapping[str, object]) -> Category | None:
    text = str(fields.get("category") or "")
    if not text:
        return None
    for category in CATEGORIES:
        if category == text:
            return category
    raise BadForm(f"category: one of {', '.join(CATEGORIES)}, got {text[:20]!r}")


def _text(fields: Mapping[str, object], name: str, required: bool) -> str | None:
    text = str(fields.get(name) or "").strip()
    if len(text) > MAX_TEXT:
        raise BadForm(f"{name}: at most {MAX_TEXT} characters")
    if required and not text:
        raise BadForm(f"{name}: required")
    return text or None


async def perform(
    request: Request, user: User, ticket_id: int, action: str, fields: Mapping[str, object]
) -> None:
    """Do ``action`` on the ticket as ``user``; BadForm or the service's Rejected."""
    uow, now, config = auth.writing(request), auth.now(), auth.config_of(request)
    if action == "take":
        await run_in_threadpool(
            services.take, uow, ticket_id, user.name, now, now, UTC, config.helpdesk
        )
    elif action == "log":
        minutes, category = _minutes(fields), _category(fields)
        note = _text(fields, "note", required=False)
        await run_in_threadpool(
            services.log_work,
            uow,
            config,
            ticket_id,
            minutes,
            user.name,
            now,
            category,
            note,
            now,
        )
    elif action == "approve":
        by = _text(fields, "by", required=True)
        assert by is not None
        await run_in_threadpool(services.approve, uow, ticket_id, by, now, now)
    elif action == "close":
        debrief = _text(fields, "debrief", required=False)
        await run_in_threadpool(
            services.close, uow, ticket_id, debrief, now, now, UTC, config.helpdesk
        )
    else:
        raise BadForm(f"action: one of {', '.join(ACTIONS)}, got {action[:20]!r}")
