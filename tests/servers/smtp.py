"""A real SMTP server on loopback: aiosmtpd, with STARTTLS, implicit TLS, AUTH and a mailbox.

Every server binds 127.0.0.1 (or ::1) on a free port and is stopped by whoever started it.
"""

from __future__ import annotations

import hmac
import os
import socket
import ssl
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers.loopback import LOOPBACK

USER, PASSWORD = "monitor@acme.example", "s3cret pass:wörd"
REFUSED = "nobody@acme.example"
SERVER_NAME = "mx.vigie.test"


class Mailbox:
    """The aiosmtpd handler: refuses REFUSED, keeps every message, speaks CRAM-MD5 too.

    ``mechanisms`` records each AUTH mechanism a client succeeded with.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.mechanisms: list[str] = []
        self.hellos: list[str] = []
        self.resets = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, name: str, lines: list[str]
    ) -> list[str]:
        # A handler's EHLO hook takes over what aiosmtpd does by default: remember the name.
        session.host_name = name
        self.hellos.append(name)
        return lines

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 2.0.0 Ok: queued as VIGIE42"

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.resets += 1
        return "250 2.0.0 Ok"

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        """CRAM-MD5 (RFC 2195), which aiosmtpd leaves to its handlers."""
        challenge = f"<{os.urandom(8).hex()}@{SERVER_NAME}>".encode()
        response = await server.challenge_auth(challenge)
        if response is MISSING:
            return AuthResult(success=False)  # aiosmtpd has answered already
        user, _, digest = bytes(response).decode("utf-8", "replace").rpartition(" ")
        expected = hmac.new(PASSWORD.encode(), challenge, "md5").hexdigest()
        if user == USER and hmac.compare_digest(digest, expected):
            self.mechanisms.append("CRAM-MD5")
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """PLAIN and LOGIN: USER and PASSWORD, nothing else."""
        good = isinstance(data, LoginPassword) and (
            data.login.decode("utf-8", "replace"),
            data.password.decode("utf-8", "replace"),
        ) == (USER, PASSWORD)
        if good:
            self.mechanisms.append(mechanism)
        # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing).
        return AuthResult(success=good, handled=False)


def free_port(address: str) -> int:
    """A TCP port free on ``address`` right now."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    """aiosmtpd on loopback: plain, STARTTLS (``starttls``) or implicit TLS (``implicit``).

    ``auth_over_clear`` offers AUTH before TLS too; ``mechanisms`` limits what is offered.
    """

    def __init__(
        self,
        *,
        address: str = LOOPBACK,
        starttls: ssl.SSLContext | None = None,
        implicit: ssl.SSLContext | None = None,
        auth: bool = False,
        auth_over_clear: bool = False,
        exclude_mechanisms: tuple[str, ...] = (),
    ) -> None:
        self.mailbox = Mailbox()
        self.address = address
        params: dict[str, Any] = {"ident": "ESMTP Vigie test"}
        if starttls is not None:
            params["tls_context"] = starttls
        if auth:
            params["authenticator"] = self.mailbox.authenticator
            # aiosmtpd counts only STARTTLS as TLS: under implicit TLS it must be told.
            params["auth_require_tls"] = not (auth_over_clear or implicit is not None)
            params["auth_exclude_mechanism"] = list(exclude_mechanisms)
        else:
            params["auth_exclude_mechanism"] = ["PLAIN", "LOGIN", "CRAM-MD5"]
        self.controller = Controller(
            self.mailbox,
            hostname=address,
            port=free_port(address),
            ssl_context=implicit,
            server_hostname=SERVER_NAME,
            ready_timeout=10,
            **params,
        )
        self.controller.start()
        self.port: int = self.controller.port

    def stop(self) -> None:
        """Stop the server's thread and close its port."""
        self.controller.stop()
