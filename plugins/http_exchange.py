"""Data acquisition of check_vigie_http: one HTTP(S) exchange, redirects included.

Domain model: one HTTP exchange as a monitoring system sees it. The plugin resolves the
target, connects (optionally through a proxy, itself over TLS for an ``https://`` one),
negotiates TLS and verifies the certificate, sends one request, reads the status, the
headers and the body (decoded when it comes compressed), and follows redirects when
asked. Each step is timed and any step can fail; a failure says which step and why. The
certificate's remaining lifetime is read at the handshake, so it is reported even when
the HTTP exchange that follows fails.
"""

from __future__ import annotations

import logging
import time

from plugins import http_body, http_headers, http_response, http_target, http_wire, network
from plugins.nagios import Metric, Resource
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import datetime
    import ssl
    from collections.abc import Iterator

    from plugins.deadline import Deadline
    from plugins.http_request import Request
    from plugins.http_target import Proxy, Target

_log = logging.getLogger(__name__)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


class Failure(Exception):
    """The exchange failed in a way that says something about the server or the network."""


class Exchange:
    """Everything observed during the run, filled in step by step so a failure keeps it."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.body = http_body.Body([], 0)
        self.total = 0.0
        self.timings: dict[str, float] = {}
        self.hops: list[str] = []
        self.redirects = 0
        self.failure: str | None = None
        self.cert_name = ""
        self.cert_not_after: datetime.datetime | None = None

    @property
    def size(self) -> int:
        """The body's size in bytes, decoded when it came compressed."""
        return self.body.size

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def text(self) -> str:
        """The kept part of the body as text, in the charset the server announced."""
        return http_body.text(self.body.content(), self.header("Content-Type"))

    def cert_days_left(self) -> float | None:
        """Days until the first server's certificate expires (negative once expired)."""
        if self.cert_not_after is None:
            return None
        import datetime  # only for HTTPS, which has imported it already (plugins.tls)

        left = self.cert_not_after - datetime.datetime.now(datetime.UTC)
        return left.total_seconds() / 86400

    def summary(self) -> str:
        """``200 OK, 1234 bytes in 0.012 s``, the heart of the status line."""
        redirects = ""
        if self.redirects:
            redirects = f" after {self.redirects} redirect{'s' if self.redirects > 1 else ''}"
        reason = one_line(self.reason, 80)
        size = f"{self.size} bytes"
        if self.body.decoded:
            size += f" ({self.body.wire_size} {one_line(self.body.coding, 40)}-encoded)"
        return f"{self.status} {reason}{redirects}, {size} in {self.total:.3f} s"


def _where(host: str, port: int) -> str:
    return f"{host} port {port}"


class HttpExchange(Resource):
    """Domain model: one HTTP(S) exchange, redirects included, as seen from the client.

    ``probe()`` runs the exchange once and yields what was measured: the failure if any,
    the final status and what was found in the response, the times, the size, and the
    certificate's remaining days. Network waits stop before the plugin's deadline, so a
    silent server is a CRITICAL network timeout rather than an UNKNOWN plugin timeout.
    """

    def __init__(self, request: Request, deadline: Deadline) -> None:
        self.request = request
        self.deadline = deadline
        self.exchange = Exchange()
        self.auth_origin = (request.target.host.lower(), request.target.port)
        self.steps = network.Steps(deadline)
        self.step = self.steps.step
        self._tls_context: ssl.SSLContext | None = None
        self._proxy_tls_context: ssl.SSLContext | None = None
        # The name the certificate being negotiated is checked against, for messages.
        self._cert_name = ""

    def tls_context(self) -> ssl.SSLContext:
        """The TLS settings of this run, made once (bad files are the admin's: UNKNOWN)."""
        if self._tls_context is None:
            from plugins import tls  # only for HTTPS: ssl costs start-up time

            request = self.request
            self._tls_context = tls.client_context(
                verify=request.verify,
                # ssl ties its host name check to SNI: without SNI it is done here.
                check_hostname=request.send_sni,
                ca_file=request.ca_file,
                client_cert=request.client_cert,
                client_key=request.client_key,
                min_version=request.tls_min_version,
                alpn=("http/1.1",),
            )
        return self._tls_context

    def proxy_tls_context(self) -> ssl.SSLContext:
        """TLS to an ``https://`` proxy: verified as the server is, without client cert."""
        if self._proxy_tls_context is None:
            from plugins import tls  # only for an https:// proxy

            self._proxy_tls_context = tls.client_context(
                verify=self.request.verify, ca_file=self.request.ca_file, alpn=("http/1.1",)
            )
        return self._proxy_tls_context

    def probe(self) -> Iterator[Metric]:
        """Run the exchange and yield the metrics, perfdata order first."""
        ex = self.exchange
        self._run()
        if ex.failure is not None:
            yield Metric("failure", ex.failure, context="failure")
        elif ex.status is not None:
            yield Metric("status", ex.status, context="status")
            yield from self._content_metrics()
        yield Metric("time", ex.total, "s", min=0, context="time")
        if ex.failure is None and ex.status is not None:
            yield Metric("size", ex.size, "B", min=0, context="size")
        for name in ("time_connect", "time_tls", "time_headers", "time_firstbyte"):
            if name in ex.timings:
                yield Metric(name, ex.timings[name], "s", min=0, context="timing")
        if ex.failure is None and "time_transfer" in ex.timings:
            yield Metric("time_transfer", ex.timings["time_transfer"], "s", min=0, context="timing")
        days = ex.cert_days_left()
        if days is not None:
            yield Metric("cert_days_left", days, context="cert_days_left")

    def _content_metrics(self) -> Iterator[Metric]:
        """What the content options look for: found or not, and the document's age."""
        request, ex = self.request, self.exchange
        text = ex.text() if request.keep_body else ""
        if request.string is not None:
            yield Metric("string", request.string in text, context="string")
        if request.pattern is not None:
            yield Metric("regex", request.pattern.search(text) is not None, context="regex")
        if request.header_string is not None:
            lines = (f"{name}: {value}" for name, value in ex.headers)
            yield Metric(
                "header_string",
                any(request.header_string in line for line in lines),
                context="header_string",
            )
        if request.want_age:
            from plugins.http_age import document_age  # only for -M

            yield Metric("age", document_age(ex.header("Last-Modified"), ex.header("Date")))

    def _run(self) -> None:
        ex = self.exchange
        started = time.perf_counter()
        try:
            with self.deadline.network():
                self._exchange()
        except Failure as failure:
            ex.failure = str(failure)
        except TimeoutError:
            # The network deadline can strike anywhere, a connection's close included.
            ex.failure = self.steps.timeout_message()
        finally:
            ex.total = time.perf_counter() - started
        if ex.failure is not None:
            _log.info("exchange failed: %s", ex.failure)
        first = self.request.target
        if ex.failure is not None and first.tls and ex.cert_not_after is None:
            self._read_unverified_certificate(first)

    def _exchange(self) -> None:
        request, ex = self.request, self.exchange
        target, method, body = request.target, request.method, request.body
        for hop in range(request.max_redirects + 1):
            location = self._request_once(target, method, body, first=hop == 0)
            if location is None:
                return
            if hop == request.max_redirects:
                raise Failure(
                    f"more than {request.max_redirects} redirects (--max-redirects), "
                    f"the last to {one_line(location, 200)}"
                )
            try:
                target = http_target.redirect_target(target, location, request.target)
            except http_target.BadRedirect as exc:
                raise Failure(str(exc)) from None
            ex.redirects += 1
            if ex.status == 303 or (ex.status in (301, 302) and method == "POST"):
                # What browsers and curl do: the next request is a GET without the body.
                method, body = ("HEAD" if method == "HEAD" else "GET"), None
        raise AssertionError("unreachable: the loop returns or raises")

    def _request_once(
        self, target: Target, method: str, body: bytes | None, first: bool
    ) -> str | None:
        """One request and its response; returns the Location to follow, if any."""
        ex = self.exchange
        proxy = self.request.proxies.proxy_for(target)
        host, port = (proxy.host, proxy.port) if proxy else (target.address, target.port)
        where = ("proxy " if proxy else "") + _where(host, port)
        conn = http_wire.Connection(self.steps.budget, self.step)
        ex.timings = conn.timings  # this request's times, kept as far as it gets
        try:
            where = self._connect(conn, target, proxy, (host, port), where, first)
            self._send(conn, where, target, method, body, proxy)
            self.step(f"waiting for the response from {where}")
            response = conn.read_head(method)
            ex.status, ex.reason = response.status, response.reason
            ex.headers = response.headers
            _log.debug("response headers: %s", ex.headers)
            self._read_body(where, conn, response)
        except (OSError, http_wire.WireError, ValueError, Failure) as exc:
            message = str(exc) if isinstance(exc, Failure) else self._describe(exc, where, host)
            ex.hops.append(f"{method} {target.url()} -> {message}")
            raise Failure(message) from None
        finally:
            conn.close()
        location = ex.header("Location")
        hop = f"{method} {target.url()} -> {ex.status} {one_line(ex.reason, 80)}"
        ex.hops.append(hop + (f", Location: {one_line(location, 200)}" if location else ""))
        if self.request.follow and ex.status in REDIRECT_CODES and location:
            return location
        return None

    def _connect(
        self,
        conn: http_wire.Connection,
        target: Target,
        proxy: Proxy | None,
        address: tuple[str, int],
        where: str,
        first: bool,
    ) -> str:
        """Connect, through the proxy if any, and negotiate TLS; returns the new ``where``."""
        tls = self.tls_context() if target.tls else None
        server_name = self._server_name(target) if tls is not None else None
        if proxy is not None and self.request.target.address != self.request.target.host:
            _log.info("through a proxy -I is not used: the proxy resolves %s", target.host)
        try:
            conn.open(*address, self.request.family)
            if proxy is not None and proxy.tls:
                self.step(f"negotiating TLS with {where}")
                self._cert_name = proxy.host
                conn.start_tls(self.proxy_tls_context(), proxy.host, to_proxy=True)
            if proxy is not None and target.tls:
                self.step(f"asking {where} for a tunnel to {target.authority()}")
                try:
                    conn.tunnel(target.authority(), proxy.authorization)
                except http_wire.TunnelRefused as exc:
                    raise Failure(
                        f"{where} refused the tunnel to {target.authority()}: "
                        f"{exc.status} {one_line(exc.reason, 80)}"
                    ) from None
                where = f"{_where(target.host, target.port)} (through {where})"
            if tls is not None:
                self.step(f"negotiating TLS with {where}")
                self._cert_name = server_name or target.host
                conn.start_tls(tls, server_name)
        finally:
            if first and conn.peer_cert_der:
                from plugins import tls as tls_module  # loaded with the TLS context

                self.exchange.cert_name = server_name or target.host
                self.exchange.cert_not_after = tls_module.certificate_not_after(conn.peer_cert_der)
        if tls is not None:
            self._check_name_without_sni(conn, target, where)
        return where

    def _server_name(self, target: Target) -> str | None:
        if not self.request.send_sni:
            return None
        if self.request.sni and target is self.request.target:
            return self.request.sni
        return target.host

    def _check_name_without_sni(
        self, conn: http_wire.Connection, target: Target, where: str
    ) -> None:
        # ssl ties the host name check to SNI; without SNI the check is done here.
        if self.request.send_sni or not self.request.verify:
            return
        from plugins import tls  # loaded with the TLS context

        name = self.request.sni or target.host
        if conn.peer_cert is None or not tls.certificate_matches(conn.peer_cert, name):
            raise Failure(f"TLS certificate of {where} does not name {name}")

    def _send(
        self,
        conn: http_wire.Connection,
        where: str,
        target: Target,
        method: str,
        body: bytes | None,
        proxy: Proxy | None,
    ) -> None:
        via_plain_proxy = proxy is not None and not target.tls
        url = target.url() if via_plain_proxy else target.path
        fields, secret = http_headers.request_fields(
            self.request,
            target,
            method,
            body,
            to_origin=(target.host.lower(), target.port) == self.auth_origin,
            proxy_authorization=proxy.authorization if via_plain_proxy and proxy else None,
        )
        self.step(f"sending the request to {where}")
        _log.info("%s %s via %s", method, url, where)
        _log.debug(
            "request headers: %s",
            [(n, "***" if n.lower() in secret or "authorization" in n.lower() else v)
             for n, v in fields],
        )  # fmt: skip
        conn.send(method, url, fields, body)

    def _read_body(
        self, where: str, conn: http_wire.Connection, response: http_wire.Response
    ) -> None:
        keep = http_body.BODY_MATCH_LIMIT if self.request.keep_body else 0
        body = http_body.Body(http_body.codings(response.values("Content-Encoding")), keep)
        self.exchange.body = body
        if body.coding and not body.decodable and self.request.keep_body:
            raise Failure(
                f"{where} sent the body {one_line(body.coding, 40)}-encoded, which this check "
                "cannot decode (gzip and deflate only), so -s and -r cannot look into it"
            )
        self.step(f"reading the body from {where}")
        try:
            for chunk in conn.read_body(response):
                body.feed(chunk)
            body.finish()
        except http_body.UndecodableBody as exc:
            raise Failure(f"{where}: {exc}") from None
        if response.trailers:
            _log.debug("response trailers: %s", response.trailers)

    def _describe(self, exc: BaseException, where: str, host: str) -> str:
        """One line saying what failed and where: the CRITICAL message.

        ``host`` is the name that was resolved (the target's or the proxy's), ``where`` the
        server as the messages name it.
        """
        said = network.describe(
            exc,
            where=where,
            host=host,
            steps=self.steps,
            family=self.request.family,
            cert_name=self._cert_name,
            client_cert=bool(self.request.client_cert),
        )
        if said is not None:
            return said
        return http_response.describe(exc, where, received=self.exchange.body.wire_size)

    def _read_unverified_certificate(self, target: Target) -> None:
        """After a failure, read the certificate's dates without verifying it.

        A rejected certificate still has a lifetime worth reporting (``-C`` and the
        ``cert_days_left`` perfdata): "expired 3 days ago" says more than "rejected".
        """
        proxy = self.request.proxies.proxy_for(target)
        if proxy is not None or self.deadline.network_remaining() <= 0:
            return
        from plugins import tls  # only for HTTPS

        name = self._server_name(target)
        with self.deadline.network():
            not_after = tls.unverified_not_after(
                target.address, target.port, name, family=self.request.family, steps=self.steps
            )
        if not_after is not None:
            self.exchange.cert_name = name or target.host
            self.exchange.cert_not_after = not_after
