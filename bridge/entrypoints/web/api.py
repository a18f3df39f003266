"""The JSON API for scripts, with per-user bearer tokens (``vigie token add NAME``).

``GET /api/tickets`` lists tickets with the fields of ``vigie tickets --format json``
(``?open=1``, ``?customer=C``); ``GET /api/tickets/ID`` adds its ``history``;
``GET /api/events`` streams every change of a ticket; ``POST /api/tickets/ID/ACTION``
(take, log, approve, close) acts as the ticket page's forms do. Without a valid token: 401; a ticket
the account may not see: 404, as if it did not exist.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.domain.accounts import may_see, visible_customer
from bridge.domain.refusals import Refusal
from bridge.entrypoints.render import (
    approval_json,
    history_json,
    request_json,
    ticket_json,
    work_json,
)
from bridge.entrypoints.web import auth, events, portal
from bridge.entrypoints.web.actions import BadForm, perform
from bridge.services import approvals
from bridge.services import tickets as services
from bridge.services.accounts import Session
from bridge.services.billing import breached
from bridge.services.errors import Rejected


def _unauthorized() -> Response:
    return JSONResponse(
        {"error": "a valid API token is required (Authorization: Bearer TOKEN)"},
        401,
        headers={"WWW-Authenticate": 'Bearer realm="vigie"'},
    )


async def _session(request: Request) -> Session | None:
    return await auth.token_session(request)


async def tickets(request: Request) -> Response:
    """GET /api/tickets."""
    session = await _session(request)
    if session is None:
        return _unauthorized()
    params = request.query_params
    open_only = params.get("open", "") not in ("", "0", "false")
    allowed, customer = visible_customer(session.user, params.get("customer") or None)
    found = (
        await run_in_threadpool(
            services.list_tickets, auth.reading(request), open_only, customer, None
        )
        if allowed
        else []
    )
    now, tz = auth.now(), auth.config_of(request).timezone
    return JSONResponse(
        [ticket_json(t, breached(t, now), tz) for t in found if may_see(session.user, t)]
    )


async def ticket(request: Request) -> Response:
    """GET /api/tickets/ID."""
    session = await _session(request)
    if session is None:
        return _unauthorized()
    ticket_id = int(request.path_params["ticket_id"])
    found = await auth.visible_ticket(request, session.user, ticket_id)
    if found is None:
        return JSONResponse({"error": f"no ticket {ticket_id}"}, 404)
    tz = auth.config_of(request).timezone
    data = ticket_json(found.ticket, breached(found.ticket, auth.now()), tz)
    data["history"] = [history_json(entry, tz) for entry in found.history]
    data["work"] = [work_json(item, tz) for item in found.work]
    data["approvals"] = [approval_json(item, tz) for item in found.approvals]
    extra = await run_in_threadpool(approvals.portal_file, auth.reading(request), ticket_id)
    data["approval_requests"] = [request_json(item, tz) for item in extra.requests]
    data["attachments"] = [
        {"id": a.id, "name": a.name, "size": a.size, "media_type": a.media_type}
        for a in extra.attachments
    ]
    return JSONResponse(data)


async def act(request: Request) -> Response:
    """POST /api/tickets/ID/ACTION (take, log, approve, close), a JSON object of fields in.

    200 with the ticket as it now is; 400 naming a bad field; 409 with the ``rule`` that
    refused; 403 for an account that is not staff.
    """
    session = await _session(request)
    if session is None:
        return _unauthorized()
    ticket_id = int(request.path_params["ticket_id"])
    found = await auth.visible_ticket(request, session.user, ticket_id)
    if found is None:
        return JSONResponse({"error": f"no ticket {ticket_id}"}, 404)
    if not session.user.is_staff:
        return await portal.act_by_api(
            request, session.user, ticket_id, request.path_params["action"]
        )
    try:
        fields = await request.json() if await request.body() else {}
    except ValueError:
        return JSONResponse({"error": "the body must be a JSON object"}, 400)
    if not isinstance(fields, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, 400)
    try:
        await perform(request, session.user, ticket_id, request.path_params["action"], fields)
    except BadForm as bad:
        return JSONResponse({"error": str(bad)}, 400)
    except Rejected as rejected:
        verdict = rejected.verdict
        if isinstance(verdict, Refusal):
            return JSONResponse({"error": str(verdict), "rule": verdict.rule}, 409)
        return JSONResponse({"error": str(verdict)}, 400)
    return await ticket(request)


async def api_events(request: Request) -> Response:
    """GET /api/events: one server-sent event per change of a ticket."""
    session = await _session(request)
    if session is None:
        return _unauthorized()
    feed: events.ChangeFeed = request.app.state.feed
    return events.stream(feed, session.user)


async def page_events(request: Request) -> Response:
    """GET /events: the same stream for a logged-in page."""
    session = await auth.session_of(request)
    if session is None:
        return Response("log in first", 401)
    feed: events.ChangeFeed = request.app.state.feed
    return events.stream(feed, session.user)
