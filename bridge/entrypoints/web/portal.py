"""The customer portal: a customer account's own tickets (open and closed, each with its
history and SLA), the form that asks for help, approvals (R11) and comments.

Every handler is reached only after the caller checked that the account may see the
ticket (``may_see``): a ticket of another customer answers 404 before anything here runs.
Pages are in the customer's language (``i18n``); every form carries the CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from bridge.domain.accounts import User
from bridge.domain.portal import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_DESCRIPTION,
    NewAttachment,
    safe_file_name,
)
from bridge.domain.refusals import Refusal
from bridge.domain.tickets import Ticket
from bridge.entrypoints.documents import money
from bridge.entrypoints.web import auth, i18n
from bridge.entrypoints.web.views import TEMPLATES
from bridge.services import approvals
from bridge.services import tickets as services
from bridge.services.billing import breached
from bridge.services.errors import Rejected
from bridge.store.errors import NotFound

CUSTOMER_ACTIONS = ("comment", "approve", "decline")
MAX_SUBJECT = 200
# A whole request's body: its files at their limit and the form's text around them.
MAX_BODY = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 64 * 1024
SAFE_MEDIA = frozenset({"image/png", "image/jpeg", "application/pdf", "text/plain"})


def page(
    request: Request, template: str, user: User, csrf: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A portal template in the page's language (``?lang=`` is kept in a cookie)."""
    config = auth.config_of(request)
    language = i18n.language_of(request, config, user)
    html = TEMPLATES.get_template(template).render(
        user=user,
        csrf=csrf,
        _=i18n.gettext_of(language),
        language=language,
        languages=i18n.LANGUAGE_NAMES,
        tz=config.timezone,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, language, httponly=True, samesite="strict", path="/"
        )
    return response


@dataclass(frozen=True)
class TicketLine:
    """A ticket as the customer's list shows it: its SLA told plainly."""

    ticket: Ticket
    sla: str  # met, missed, running, none


def sla_state(ticket: Ticket, now: datetime) -> str:
    """``missed`` (R4 breached), ``met`` (taken over or ended in time), ``running``, or
    ``none`` (no deadline: out of contract)."""
    if ticket.deadline_at is None:
        return "none"
    if breached(ticket, now):
        return "missed"
    if ticket.taken_at or ticket.sla_closed_at or ticket.sla_recovered_at:
        return "met"
    return "running"


async def home(request: Request, user: User, csrf: str) -> Response:
    """GET / for a customer account: its tickets, open first, then closed."""
    found = await run_in_threadpool(
        services.list_tickets, auth.reading(request), False, user.customer, None
    )
    now = auth.now()
    lines = [TicketLine(t, sla_state(t, now)) for t in reversed(found)]
    customer = auth.config_of(request).customers.get(user.customer or "")
    servers = [] if customer is None else sorted(customer.servers.values(), key=lambda s: s.name)
    return page(
        request,
        "portal_home.html",
        user,
        csrf,
        servers=servers,
        open_lines=[line for line in lines if line.ticket.status != "closed"],
        closed_lines=[line for line in lines if line.ticket.status == "closed"],
    )


def _servers(request: Request, user: User) -> list[str]:
    customer = auth.config_of(request).customers.get(user.customer or "")
    if customer is None:
        return []
    today = datetime.now(UTC).astimezone(auth.config_of(request).timezone).date()
    return sorted(name for name, server in customer.servers.items() if server.covers(today))


async def help_form(request: Request) -> Response:
    """GET /help: the form that opens a request ticket."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if session.user.role != "customer":
        return PlainTextResponse("customer accounts only: staff use vigie open", 403)
    return _help_page(request, session.user, session.csrf)


def _help_page(
    request: Request,
    user: User,
    csrf: str,
    error: str | None = None,
    status: int = 200,
    values: Mapping[str, str] | None = None,
) -> Response:
    config = auth.config_of(request)
    return page(
        request,
        "portal_help.html",
        user,
        csrf,
        status,
        servers=_servers(request, user),
        express_fee=money(config.rates.express_fee),
        max_files=MAX_ATTACHMENTS,
        max_megabytes=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        error=error,
        values=values or {},
    )


async def ask_for_help(request: Request) -> Response:
    """POST /help: a request ticket through ``vigie open``'s service, then its page."""
    session = await auth.session_of(request)
    if session is None:
        return PlainTextResponse("log in first", 401)
    user = session.user
    if user.role != "customer" or user.customer is None:
        return PlainTextResponse("customer accounts only: staff use vigie open", 403)
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return PlainTextResponse(f"attachments: at most {MAX_ATTACHMENT_BYTES} bytes each", 413)
    form = await request.form(max_files=MAX_ATTACHMENTS + 1, max_fields=20)
    if not auth.csrf_ok(session, form.get("csrf")):
        return PlainTextResponse("CSRF token missing or wrong", 403)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    subject = str(form.get("subject") or "").strip()
    description = str(form.get("description") or "").strip()
    server = str(form.get("server") or "").strip() or None
    express = form.get("express") == "1"
    error = None
    if not subject or len(subject) > MAX_SUBJECT:
        error = f"subject: required, at most {MAX_SUBJECT} characters"
    elif len(description) > MAX_DESCRIPTION:
        error = f"description: at most {MAX_DESCRIPTION} characters"
    files: list[NewAttachment] = []
    for item in form.getlist("attachments"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        content = await item.read(MAX_ATTACHMENT_BYTES + 1)
        files.append(
            NewAttachment(
                safe_file_name(item.filename),
                item.content_type or "application/octet-stream",
                content,
            )
        )
    if error is not None:
        return _help_page(request, user, session.csrf, error, 400, values)
    config, now = auth.config_of(request), auth.now()
    try:
        ticket = await run_in_threadpool(
            services.open_request,
            auth.writing(request),
            config,
            user.customer,
            server,
            subject,
            now,
            express,
            user.name,
            now,
            description or None,
            files,
        )
    except Rejected as rejected:
        return _help_page(request, user, session.csrf, str(rejected.verdict), 400, values)
    return RedirectResponse(f"/tickets/{ticket.id}?opened=1", status_code=303)


async def ticket_page(
    request: Request,
    user: User,
    csrf: str,
    found: services.TicketFile,
    message: str | None = None,
    status: int = 200,
) -> Response:
    """A customer's view of one of its tickets (the caller checked it may see it)."""
    ticket = found.ticket
    extra = await run_in_threadpool(approvals.portal_file, auth.reading(request), ticket.id)
    config = auth.config_of(request)
    return page(
        request,
        "portal_ticket.html",
        user,
        csrf,
        status,
        t=ticket,
        sla=sla_state(ticket, auth.now()),
        history=found.history,
        attachments=extra.attachments,
        requests=extra.requests,
        pending=[r for r in extra.requests if r.pending],
        express_fee=money(config.rates.express_fee),
        opened=request.query_params.get("opened") == "1",
        message=message,
    )


async def perform(
    request: Request, user: User, ticket_id: int, action: str, fields: Mapping[str, object]
) -> str:
    """A customer's action on its ticket; what was done, or Rejected / ValueError."""
    now = auth.now()
    if action == "comment":
        text = str(fields.get("text") or "")
        await run_in_threadpool(
            approvals.comment, auth.writing(request), ticket_id, text, user.name, now
        )
        return "comment recorded"
    if action in ("approve", "decline"):
        decision = "approved" if action == "approve" else "declined"
        done = await run_in_threadpool(
            approvals.decide, auth.writing(request), ticket_id, decision, user.name, now
        )
        return f"approval request {done.id} {decision}"
    raise ValueError(f"action: one of {', '.join(CUSTOMER_ACTIONS)}, got {action[:20]!r}")


async def act_on_page(
    request: Request, user: User, csrf: str, found: services.TicketFile, action: str, form: Any
) -> Response:
    """POST /tickets/ID/ACTION by a customer: comment, approve or decline."""
    if action not in CUSTOMER_ACTIONS:
        return PlainTextResponse("staff only", 403)
    try:
        await perform(request, user, found.ticket.id, action, form)
    except Rejected as rejected:
        return await ticket_page(request, user, csrf, found, str(rejected.verdict), 400)
    return RedirectResponse(f"/tickets/{found.ticket.id}", status_code=303)


async def act_by_api(request: Request, user: User, ticket_id: int, action: str) -> Response:
    """POST /api/tickets/ID/ACTION by a customer's token: comment, approve or decline."""
    if action not in CUSTOMER_ACTIONS:
        return JSONResponse({"error": "staff only"}, 403)
    try:
        fields = await request.json() if await request.body() else {}
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, 400)
    try:
        done = await perform(request, user, ticket_id, action, fields)
    except Rejected as rejected:
        verdict = rejected.verdict
        rule = verdict.rule if isinstance(verdict, Refusal) else None
        return JSONResponse({"error": str(verdict), "rule": rule}, 409 if rule else 400)
    return JSONResponse({"id": ticket_id, "done": done})


async def attachment(request: Request, ticket_id: int) -> Response:
    """GET /tickets/ID/attachments/N (the caller checked the ticket is visible)."""
    attachment_id = int(request.path_params["attachment_id"])
    try:
        found, content = await run_in_threadpool(
            approvals.attachment, auth.reading(request), ticket_id, attachment_id
        )
    except NotFound:
        return PlainTextResponse(f"no attachment {attachment_id}", 404)
    media = found.media_type if found.media_type in SAFE_MEDIA else "application/octet-stream"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{found.name}"'},
    )
