"""The pages: log in and out, the queue, a ticket and the forms that act on it.

Each handler reads the request, calls the service the ``vigie`` command calls, and renders
a template; a refusal by a contract rule is shown with its rule, bad input names its field
and writes nothing. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bridge.domain.accounts import LoginPolicy, may_see, visible_customer
from bridge.domain.refusals import Refusal
from bridge.domain.tickets import CATEGORIES
from bridge.entrypoints.render import ticket_json
from bridge.entrypoints.web import auth, i18n, portal
from bridge.entrypoints.web.actions import MAX_TEXT, BadForm, perform
from bridge.entrypoints.web.views import TEMPLATES, row_view
from bridge.services import accounts, approvals, queue
from bridge.services.billing import breached
from bridge.services.errors import Rejected
from bridge.services.queue import QueueFilter


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered (autoescaped) as an HTML response."""
    return HTMLResponse(TEMPLATES.get_template(template).render(**context), status_code=status)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = auth.login_token(request)
    language = i18n.language_of(request, auth.config_of(request), None)
    response = render(
        "login.html",
        status,
        user=None,
        login_csrf=token,
        error=error,
        _=i18n.gettext_of(language),
        language=language,
        languages=i18n.LANGUAGE_NAMES,
    )
    auth.set_login_cookie(request, response, token)
    if request.query_params.get("lang") == language:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, language, httponly=True, samesite="strict", path="/"
        )
    return response


async def login_form(request: Request) -> Response:
    """GET /login."""
    return _login_page(request)


async def login(request: Request) -> Response:
    """POST /login: a session cookie, or the form again with one vague error."""
    form = await request.form()
    sent, held = form.get("csrf"), request.cookies.get(auth.LOGIN_CSRF_COOKIE)
    if not isinstance(sent, str) or not held or sent != held:
        return _login_page(request, "The form expired: log in again.", 403)
    # Bounded: a failed login is recorded under the name given.
    name, password = str(form.get("name") or "")[:64], str(form.get("password") or "")[:1024]
    web = auth.config_of(request).web
    policy = LoginPolicy(web.max_failed_logins, web.failed_login_window)
    try:
        session = await run_in_threadpool(
            accounts.log_in,
            auth.writing(request),
            name.strip(),
            password,
            auth.client_address(request),
            policy,
            web.session_lifetime,
            auth.now(),
        )
    except accounts.LoginFailed as failed:
        return _login_page(request, str(failed).capitalize() + ".", 401)
    response = RedirectResponse("/", status_code=303)
    auth.set_session_cookie(request, response, session)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    """POST /logout."""
    session = await auth.session_of(request)
    form = await request.form()
    if session is not None:
        if not auth.csrf_ok(session, form.get("csrf")):
            return PlainTextResponse("CSRF token missing or wrong", 403)
        if session.session_id:  # a trusted-header user has no session to end
            await run_in_threadpool(accounts.log_out, auth.writing(request), session.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


def _filters(request: Request) -> QueueFilter:
    params = request.query_params
    return QueueFilter(
        **{
            key: (params.get(key) or "").strip() or None
            for key in ("customer", "level", "status", "assignee")
        }
    )


async def _rows(request: Request, session: accounts.Session) -> list[Any]:
    config = auth.config_of(request)
    asked = _filters(request)
    allowed, customer = visible_customer(session.user, asked.customer)
    chosen = QueueFilter(customer, asked.level, asked.status, asked.assignee)
    now = auth.now()
    found = (
        await run_in_threadpool(queue.open_queue, auth.reading(request), chosen.keeps, now)
        if allowed
        else []
    )
    return [row_view(row, now, config.web.warning, config.timezone) for row in found]


async def queue_page(request: Request) -> Response:
    """GET /: the open tickets, most urgent first; closed ones searched with ``q``."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if session.user.role == "customer":
        return await portal.home(request, session.user, session.csrf)
    config = auth.config_of(request)
    search = (request.query_params.get("q") or "").strip()
    user = session.user
    closed = (
        await run_in_threadpool(
            queue.search_closed, auth.reading(request), search, lambda t: may_see(user, t)
        )
        if search
        else []
    )
    return render(
        "queue.html",
        user=user,
        csrf=session.csrf,
        rows=await _rows(request, session),
        filters=_filters(request),
        search=search,
        closed=closed,
        tz=config.timezone,
        warning_seconds=int(config.web.warning.total_seconds()),
    )


async def queue_rows(request: Request) -> Response:
    """GET /queue/rows: the queue's rows alone, for the page's live refresh."""
    session = await auth.session_of(request)
    if session is None:
        return PlainTextResponse("log in first", 401)
    return render("rows.html", rows=await _rows(request, session))


async def ticket_page(
    request: Request,
    message: str | None = None,
    kind: str = "done",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    """GET /tickets/ID: everything ``vigie show`` shows, and the forms that act on it."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    config = auth.config_of(request)
    ticket_id = int(request.path_params["ticket_id"])
    found = await auth.visible_ticket(request, session.user, ticket_id)
    if found is None:
        return PlainTextResponse(f"no ticket {ticket_id}", 404)
    if session.user.role == "customer":
        return await portal.ticket_page(request, session.user, session.csrf, found, message, status)
    ticket = found.ticket
    extra = await run_in_threadpool(approvals.portal_file, auth.reading(request), ticket_id)
    data = ticket_json(ticket, breached(ticket, auth.now()), config.timezone)
    return render(
        "ticket.html",
        status,
        user=session.user,
        csrf=session.csrf,
        t=ticket,
        fields=[(k, v) for k, v in data.items() if v is not None and v != ""],
        history=found.history,
        work=found.work,
        approvals=found.approvals,
        attachments=extra.attachments,
        requests=extra.requests,
        categories=CATEGORIES,
        message=message,
        message_class=kind,
        values=values or {},
        tz=config.timezone,
        warning_seconds=int(config.web.warning.total_seconds()),
    )


async def act(request: Request) -> Response:
    """POST /tickets/ID/ACTION (take, log, approve, close): one service call, as the CLI's."""
    session = await auth.session_of(request)
    if session is None:
        return PlainTextResponse("log in first", 401)
    form = await request.form()
    if not auth.csrf_ok(session, form.get("csrf")):
        return PlainTextResponse("CSRF token missing or wrong", 403)
    ticket_id = int(request.path_params["ticket_id"])
    action = request.path_params["action"]
    user = session.user
    visible = await auth.visible_ticket(request, user, ticket_id)
    if visible is None:
        return PlainTextResponse(f"no ticket {ticket_id}", 404)
    if not user.is_staff:
        return await portal.act_on_page(request, user, session.csrf, visible, action, form)
    try:
        await perform(request, user, ticket_id, action, form)
    except BadForm as bad:
        return await ticket_page(request, str(bad), "error", 400, _kept(form))
    except Rejected as rejected:
        verdict = rejected.verdict
        if isinstance(verdict, Refusal):
            text = f"{verdict.rule}: {verdict.message}"
            return await ticket_page(request, text, "refusal", 409, _kept(form))
        return await ticket_page(request, str(verdict), "error", 400, _kept(form))
    # The history shows what was done; a redirect keeps a reload from doing it twice.
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


def _kept(form: Mapping[str, object]) -> dict[str, str]:
    """What was typed into a refused form, to show it again (never the CSRF token)."""
    return {
        key: value[:MAX_TEXT]
        for key, value in form.items()
        if key != "csrf" and isinstance(value, str)
    }


async def attachment(request: Request) -> Response:
    """GET /tickets/ID/attachments/N: a file kept with a ticket the account may see."""
    session = await auth.session_of(request)
    if session is None:
        return PlainTextResponse("log in first", 401)
    ticket_id = int(request.path_params["ticket_id"])
    found = await auth.visible_ticket(request, session.user, ticket_id)
    if found is None:
        return PlainTextResponse(f"no ticket {ticket_id}", 404)
    return await portal.attachment(request, ticket_id)
