"""Who is asking: a session cookie (pages) or a bearer token (API); and CSRF checks.

The cookie holds a random session id (HttpOnly, SameSite=Strict, Secure over TLS); the
store keeps its digest and the session's CSRF token, which every form that changes
anything carries back. Disabling an account ends its sessions and tokens at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bridge.config.model import Config
from bridge.domain.accounts import User, may_see
from bridge.services import accounts
from bridge.services.accounts import Session
from bridge.services.tickets import TicketFile, show
from bridge.store.errors import NotFound
from bridge.store.unit_of_work import UnitOfWork, open_store

SESSION_COOKIE = "vigie_session"
LOGIN_CSRF_COOKIE = "vigie_login"  # double-submit token of the login form, before any session


def config_of(request: Request) -> Config:
    """The validated ``vigie.yaml`` the app was started with."""
    config: Config = request.app.state.config
    return config


def now() -> datetime:
    """The clock of every request."""
    return datetime.now(UTC)


def reading(request: Request) -> UnitOfWork:
    """A reading unit of work on the store."""
    return open_store(config_of(request), write=False)


def writing(request: Request) -> UnitOfWork:
    """A writing unit of work on the store."""
    return open_store(config_of(request))


async def visible_ticket(request: Request, user: User, ticket_id: int) -> TicketFile | None:
    """The ticket with its history when ``user`` may see it, else None: another customer's
    ticket answers as one that does not exist (404 everywhere, never 403)."""
    try:
        found = await run_in_threadpool(show, reading(request), ticket_id)
    except NotFound:
        return None
    return found if may_see(user, found.ticket) else None


async def session_of(request: Request) -> Session | None:
    """The logged-in session behind the request's cookie (or the proxy's header), or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await run_in_threadpool(accounts.session_of, reading(request), cookie, now())
    return await _trusted_session(request)


LOOPBACK = frozenset({"127.0.0.1", "::1"})


async def _trusted_session(request: Request) -> Session | None:
    """The account a reverse proxy on loopback names in ``web.trusted_header`` (off unless
    configured). Its CSRF token is derived from the account's name and the process's
    secret, so that its forms still carry one."""
    header = config_of(request).web.trusted_header
    if header is None or request.client is None or request.client.host not in LOOPBACK:
        return None
    name = request.headers.get(header, "").strip()
    if not name:
        return None
    user = await run_in_threadpool(accounts.enabled_user, reading(request), name)
    if user is None:
        return None
    secret: bytes = request.app.state.secret
    csrf = hmac.new(secret, name.encode(), "sha256").hexdigest()
    return Session(user, "", csrf)


async def token_session(request: Request) -> Session | None:
    """The account of the request's ``Authorization: Bearer`` token, as a session."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = await run_in_threadpool(accounts.token_user, reading(request), token.strip())
    return None if user is None else Session(user, "", "")


def csrf_ok(session: Session, sent: object) -> bool:
    """Whether a form carried the session's CSRF token."""
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    """Hand the browser its session cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=int(config_of(request).web.session_lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def login_token(request: Request) -> str:
    """The login form's CSRF token: the one the browser holds, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    """The login form's double-submit cookie."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )


def client_address(request: Request) -> str:
    """The address failed logins are counted against (the proxy's, unless it says)."""
    return request.client.host if request.client else "unknown"
