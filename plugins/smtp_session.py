"""Data acquisition of check_vigie_smtp: one SMTP session, from the banner to QUIT.

Domain model: one SMTP session as a mail client lives it. The check connects (TLS from
the first byte with ``--tls``), reads the banner, says EHLO (HELO to a server that knows
no EHLO), upgrades to TLS with STARTTLS when asked, authenticates, gives the envelope
(then RSET, or DATA with a small test message under ``--send``) and says QUIT. Each step
is timed and any step can fail; a failure says which step and why. The certificate's
remaining lifetime is read at the handshake, and again without verification when the
handshake rejected it, so that an expired certificate is reported with its date.

A server that drops the line after QUIT has done nothing wrong: the session was over.
"""

from __future__ import annotations

import logging
import os
import time

from plugins import network
from plugins.nagios import Metric, Resource
from plugins.smtp_wire import Reply, SmtpWire, WireError, authenticate, choose_mechanism
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import datetime
    import socket
    import ssl
    from collections.abc import Iterator

    from plugins.deadline import Deadline
    from plugins.line_reader import Stream
    from plugins.smtp_options import Settings

_log = logging.getLogger(__name__)

# The longest the check waits for the reply to QUIT: the result is known by then.
QUIT_WAIT = 1.0


class Failure(Exception):
    """The session failed in a way that says something about the server or the network."""


class Session:
    """Everything observed during the run, filled in step by step so a failure keeps it."""

    def __init__(self) -> None:
        self.banner: Reply | None = None
        self.extensions: dict[str, list[str]] = {}
        self.tls_version: str | None = None
        self.cert_name = ""
        self.cert_not_after: datetime.datetime | None = None
        self.mechanism: str | None = None
        self.accepted: list[str] = []
        self.token: str | None = None
        self.queued: Reply | None = None
        self.timings: dict[str, float] = {}
        self.total = 0.0
        self.failure: str | None = None

    def cert_days_left(self) -> float | None:
        """Days until the server's certificate expires (negative once expired)."""
        if self.cert_not_after is None:
            return None
        from plugins import tls  # only with TLS, which has imported it already

        return tls.days_left(self.cert_not_after)


class SmtpSession(Resource):
    """One SMTP session as a client sees it; ``probe()`` runs it and yields the metrics.

    Network waits stop before the plugin's deadline, so a silent server is a CRITICAL
    network timeout rather than an UNKNOWN plugin timeout.
    """

    def __init__(self, settings: Settings, deadline: Deadline) -> None:
        self.settings = settings
        self.deadline = deadline
        self.session = Session()
        self.steps = network.Steps(deadline)
        self._tls_context: ssl.SSLContext | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The TLS settings of this run, made once (bad files are the admin's: UNKNOWN)."""
        if self._tls_context is None:
            from plugins import tls  # only with TLS: ssl costs start-up time

            self._tls_context = tls.client_context(
                verify=self.settings.verify, ca_file=self.settings.ca_file
            )
        return self._tls_context

    def probe(self) -> Iterator[Metric]:
        """Run the session and yield the metrics, perfdata order first."""
        session = self.session
        self._run()
        if session.failure is not None:
            yield Metric("failure", session.failure, context="failure")
        yield Metric("time", session.total, "s", min=0, context="time")
        for name in ("time_connect", "time_banner", "time_tls", "time_auth"):
            if name in session.timings:
                yield Metric(name, session.timings[name], "s", min=0, context="timing")
        days = session.cert_days_left()
        if days is not None:
            yield Metric("cert_days_left", days, "d", context="cert_days_left")

    def _run(self) -> None:
        session = self.session
        started = time.perf_counter()
        try:
            with self.deadline.network():
                self._session()
        except Failure as failure:
            session.failure = str(failure)
        except TimeoutError:
            # The network deadline can strike anywhere, a connection's close included.
            session.failure = self.steps.timeout_message()
        finally:
            session.total = time.perf_counter() - started
        if session.failure is not None:
            _log.info("session failed: %s", session.failure)
            if self.settings.tls and session.cert_not_after is None:
                self._read_unverified_certificate()

    def _session(self) -> None:
        settings = self.settings
        sock: Stream | None = None
        wire: SmtpWire | None = None
        try:
            sock, self.session.timings["time_connect"] = network.connect(
                settings.address,
                settings.port,
                family=settings.family,
                budget=self.steps.budget,
                step=self.steps.step,
            )
            if settings.implicit_tls:
                activity = f"negotiating TLS with {settings.where}"
                with self.steps.timed(activity, self.session.timings, "time_tls"):
                    sock.settimeout(self.steps.budget())
                    sock = _wrap_plain(self.tls_context(), sock, self._server_name())
                self._tls_established(sock)
            wire = SmtpWire(sock, self.steps.budget)
            self._dialogue(wire)
            self._quit(wire)
        except (OSError, WireError, ValueError) as exc:
            raise Failure(self._describe(exc)) from None
        except Failure:
            # A refusal leaves the server waiting for the next command: say goodbye.
            if wire is not None and self.deadline.network_remaining() > QUIT_WAIT:
                self._quit(wire)
            raise
        finally:
            if wire is not None:
                wire.sock.close()  # after STARTTLS, the TLS socket owns the connection
            elif sock is not None:
                sock.close()

    def _dialogue(self, wire: SmtpWire) -> None:
        """Banner, EHLO, STARTTLS, AUTH and the envelope, each as the settings ask."""
        settings, session, where = self.settings, self.session, self.settings.where
        with self.steps.timed(f"waiting for the banner of {where}", session.timings, "time_banner"):
            banner = session.banner = wire.read_reply()
        if banner.code != settings.expect:
            raise Failure(f"{where} greeted with {banner.shown()}, expected {settings.expect}")
        if banner.code >= 400:
            return  # the expected refusal (-e): nothing more to ask of this server
        self._hello(wire)
        if settings.starttls:
            if "STARTTLS" not in session.extensions:
                offered = " ".join(session.extensions) or "no extension"
                raise Failure(f"{where} does not offer STARTTLS (EHLO lists {one_line(offered)})")
            with self.steps.timed(f"asking {where} for STARTTLS", session.timings, "time_tls"):
                reply = wire.command("STARTTLS")
                if reply.code != 220:
                    raise Failure(f"{where} refused STARTTLS: {reply.shown()}")
                self.steps.step(f"negotiating TLS with {where}")
                sock = wire.start_tls(self.tls_context(), self._server_name())
            self._tls_established(sock)
            self._hello(wire)  # RFC 3207, 4.2: what was said before TLS is forgotten
        if settings.user is not None:
            self._authenticate(wire, settings.user)
        if settings.mail_from is not None:
            self._envelope(wire, settings.mail_from)

    def _tls_established(self, sock: ssl.SSLSocket) -> None:
        """Keep what the handshake told: the TLS version and the certificate's date."""
        from plugins import tls  # loaded with the TLS context

        self.session.tls_version = sock.version()
        der = sock.getpeercert(binary_form=True)
        if der:
            self.session.cert_name = self.settings.cert_name
            self.session.cert_not_after = tls.certificate_not_after(der)
        _log.info("TLS %s, %s", sock.version(), (sock.cipher() or ("?",))[0])

    def _server_name(self) -> str:
        return self.settings.cert_name

    def _hello(self, wire: SmtpWire) -> None:
        where, name = self.settings.where, self.settings.ehlo_name
        self.steps.step(f"saying EHLO to {where}")
        reply = wire.command(f"EHLO {name}")
        if reply.code in (500, 502):
            # A server from before ESMTP: HELO, and no extension at all.
            self.steps.step(f"saying HELO to {where}")
            reply = wire.command(f"HELO {name}")
            self.session.extensions = {}
        else:
            self.session.extensions = reply.extensions() if reply.code == 250 else {}
        if reply.code != 250:
            raise Failure(f"{where} refused EHLO {name}: {reply.shown()}")

    def _authenticate(self, wire: SmtpWire, user: str) -> None:
        settings, where = self.settings, self.settings.where
        offered = self.session.extensions.get("AUTH")
        if not offered:  # absent, or an AUTH line that names no mechanism
            over = " over TLS" if settings.tls else " without TLS"
            raise Failure(f"{where} does not offer AUTH{over}")
        mechanism = choose_mechanism(offered, settings.mechanism)
        if mechanism is None:
            wanted = settings.mechanism or "PLAIN, LOGIN or CRAM-MD5"
            raise Failure(f"{where} offers AUTH {one_line(' '.join(offered), 100)}, not {wanted}")
        activity = f"authenticating as {user} ({mechanism}) with {where}"
        with self.steps.timed(activity, self.session.timings, "time_auth"):
            reply = authenticate(wire, mechanism, user, settings.password)
        if reply.code != 235:
            raise Failure(
                f"{where} refused authentication as {one_line(user, 80)} ({mechanism}): "
                f"{reply.shown()}"
            )
        self.session.mechanism = mechanism

    def _envelope(self, wire: SmtpWire, sender: str) -> None:
        settings, session, where = self.settings, self.session, self.settings.where
        self.steps.step(f"giving {where} the sender")
        path = "<>" if sender == "<>" else f"<{sender}>"
        reply = wire.command(f"MAIL FROM:{path}")
        if reply.code != 250:
            raise Failure(f"{where} refused MAIL FROM:{path}: {reply.shown()}")
        refused = []
        for recipient in settings.rcpt_to:
            self.steps.step(f"giving {where} the recipient {recipient}")
            reply = wire.command(f"RCPT TO:<{recipient}>")
            if reply.code in (250, 251):
                session.accepted.append(recipient)
            else:
                refused.append(f"the recipient <{recipient}>: {reply.shown(160)}")
        if refused:
            raise Failure(f"{where} refused {'; '.join(refused)}")
        if settings.send:
            self._send_message(wire, sender)
            return
        self.steps.step(f"resetting the envelope with {where}")
        reply = wire.command("RSET")
        if reply.code != 250:
            raise Failure(f"{where} refused RSET: {reply.shown()}")

    def _send_message(self, wire: SmtpWire, sender: str) -> None:
        settings, where = self.settings, self.settings.where
        token = self.session.token = os.urandom(8).hex()
        self.steps.step(f"asking {where} to take a message")
        reply = wire.command("DATA")
        if reply.code != 354:
            raise Failure(f"{where} refused DATA: {reply.shown()}")
        self.steps.step(f"sending the test message to {where}")
        wire.send(probe_message(token, sender, settings.rcpt_to, settings.ehlo_name))
        reply = wire.read_reply()
        if reply.code != 250:
            raise Failure(f"{where} refused the test message {token}: {reply.shown()}")
        self.session.queued = reply

    def _quit(self, wire: SmtpWire) -> None:
        """Say QUIT and wait a moment for 221; whatever the server does then is fine."""
        self.steps.step(f"saying QUIT to {self.settings.where}")
        wire.budget = wire.reader.budget = lambda: min(QUIT_WAIT, self.steps.budget())
        try:
            reply = wire.command("QUIT")
            if reply.code != 221:
                _log.info("QUIT answered %s", reply.shown())
        except (OSError, WireError) as exc:
            _log.info("no reply to QUIT (%s): the session was over anyway", exc)

    def _describe(self, exc: BaseException) -> str:
        """One line saying what failed and where: the CRITICAL message."""
        settings = self.settings
        said = network.describe(
            exc,
            where=settings.where,
            host=settings.address,
            steps=self.steps,
            family=settings.family,
            cert_name=settings.cert_name,
        )
        if said is not None:
            return said
        activity = self.steps.activity
        if isinstance(exc, WireError):
            # The activity names the server: "... while saying EHLO to mx.example port 25".
            return f"{exc} while {activity}"
        return f"error while {activity}: {one_line(exc)}"

    def _read_unverified_certificate(self) -> None:
        """After a failure, read the certificate's date without verifying it.

        A rejected certificate still has a lifetime worth reporting (``-C`` and the
        ``cert_days_left`` perfdata): "expired 3 days ago" says more than "rejected".
        """
        if self.deadline.network_remaining() <= QUIT_WAIT:
            return
        from plugins import tls  # only with TLS

        settings = self.settings
        name = self._server_name()
        try:
            with self.deadline.network():
                if settings.implicit_tls:
                    not_after = tls.unverified_not_after(
                        settings.address, settings.port, name, family=settings.family,
                        steps=self.steps,
                    )  # fmt: skip
                else:
                    not_after = self._starttls_not_after(name)
        except (OSError, WireError, ValueError) as exc:
            _log.info("could not read the certificate without verification: %s", exc)
            return
        if not_after is not None:
            self.session.cert_name = name
            self.session.cert_not_after = not_after

    def _starttls_not_after(self, name: str) -> datetime.datetime | None:
        """Banner, EHLO and STARTTLS again, then a handshake that verifies nothing."""
        from plugins import tls  # only with TLS

        settings = self.settings
        sock: socket.socket
        sock, _ = network.connect(
            settings.address, settings.port, family=settings.family,
            budget=self.steps.budget, step=self.steps.step,
        )  # fmt: skip
        with sock:
            wire = SmtpWire(sock, self.steps.budget)
            if wire.read_reply().code != 220:
                return None
            if wire.command(f"EHLO {settings.ehlo_name}").code != 250:
                return None
            if wire.command("STARTTLS").code != 220 or wire.reader.buffer:
                return None
            der = tls.unverified_peer_certificate(sock, name)
        return tls.certificate_not_after(der) if der else None


def _wrap_plain(context: ssl.SSLContext, sock: Stream, server_name: str) -> ssl.SSLSocket:
    """The TLS handshake on a plain socket (implicit TLS): the socket to use from then on."""
    import ssl  # loaded with the context already

    from plugins import tls

    wrapped = tls.wrap(context, sock, server_name)
    assert isinstance(wrapped, ssl.SSLSocket)
    return wrapped


def probe_message(token: str, sender: str, recipients: list[str], ehlo_name: str) -> bytes:
    """The small message ``--send`` delivers, its token in the subject, dot-terminated."""
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    lines = [
        f"From: {'<>' if sender == '<>' else sender}",
        f"To: {', '.join(recipients)}",
        f"Subject: Vigie SMTP check {token}",
        f"Date: {date}",
        f"Message-ID: <vigie-{token}@{ehlo_name.strip('[]')}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"A test message from check_vigie_smtp, token {token}.",
        "It can be deleted.",
    ]
    # No line starts with a dot, so none needs dot-stuffing (RFC 5321, 4.5.2).
    return "".join(line + "\r\n" for line in lines).encode("ascii") + b".\r\n"
