"""The ASGI app of ``vigie web``, its routes and security headers, and ``serve``.

uvicorn serves it; the app holds the validated configuration and the change feed that its
event streams share. One line is logged when it is ready.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.config.model import Config
from bridge.entrypoints.web import api, events, money, months, pages, portal

# The page's own script and style only: an injected <script> could not run even if it got
# past the templates' escaping.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
log = logging.getLogger("vigie.web")


class SecurityHeaders:
    """Adds the security headers to every answer (plain ASGI, so streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(config: Config) -> Starlette:
    """The web app on this configuration's store."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await app.state.feed.start()
        try:
            yield
        finally:
            await app.state.feed.stop()

    routes = [
        Route("/", pages.queue_page),
        Route("/queue/rows", pages.queue_rows),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/tickets/{ticket_id:int}", pages.ticket_page),
        Route("/help", portal.help_form, methods=["GET"]),
        Route("/help", portal.ask_for_help, methods=["POST"]),
        Route("/money", money.money_page),
        Route(
            "/tickets/{ticket_id:int}/attachments/{attachment_id:int}",
            pages.attachment,
        ),
        Route(
            "/tickets/{ticket_id:int}/{action:str}",
            pages.act,
            methods=["POST"],
        ),
        Route("/months/{month:str}", months.sla_page),
        Route("/statements/{customer:str}/{period:str}", months.document_page),
        Route("/invoices/{customer:str}/{period:str}", months.document_page),
        Route("/events", api.page_events),
        Route("/api/tickets", api.tickets),
        Route("/api/tickets/{ticket_id:int}", api.ticket),
        Route("/api/tickets/{ticket_id:int}/{action:str}", api.act, methods=["POST"]),
        Route("/api/events", api.api_events),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static"))),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=lifespan)
    app.state.config = config
    app.state.secret = secrets.token_bytes(32)  # CSRF tokens of trusted-header users
    app.state.feed = events.ChangeFeed(config.store_path, config.timezone, config)
    return app


def serve(config: Config, host: str, port: int) -> None:
    """Serve until stopped (SIGINT or SIGTERM); logs one line when ready."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="vigie web: %(message)s")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # Event streams never end on their own: stop waiting for them after a second.
            timeout_graceful_shutdown=1,
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )
    )
    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets)
        if server.started:
            shown = f"[{host}]" if ":" in host else host
            log.info("ready on http://%s:%d/ (store %s)", shown, port, config.store_path)

    server.startup = startup  # type: ignore[method-assign]
    server.run()
