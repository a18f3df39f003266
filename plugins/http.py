"""check_vigie_http: an HTTP(S) check for Icinga 2, in the line of check_http and check_curl.

Domain model: one HTTP exchange as a monitoring system sees it. The plugin resolves the
target, connects (optionally through a proxy), negotiates TLS and verifies the certificate,
sends one request, reads the status, the headers and the body, and follows redirects when
asked. Each step is timed and any step can fail; a failure says which step and why, and
is CRITICAL (the server or the network is at fault), whereas bad arguments and the plugin's
own deadline are UNKNOWN. The certificate's remaining lifetime is read at the handshake,
so it is reported even when the HTTP exchange that follows fails.

Laid out as nagiosplugin's examples are: data acquisition (``HttpExchange``, a Resource),
data evaluation (the Contexts), data presentation (``HttpSummary``), then the runtime
(``build_check`` and ``main``). The parts it builds on have a module each:
``http_options`` (the command line), ``http_target`` (where a request goes: proxies,
redirects), ``http_wire`` (HTTP/1.1 on a socket), ``tls`` (the TLS context and the
certificate) and ``http_date`` (dates in headers).
Start-up time is part of every check's cost: ``tls`` (and with it ``ssl``) is imported
only for HTTPS, ``http_date`` only for ``-M``.
"""

from __future__ import annotations

import argparse
import logging
import re
import socket
import time

from plugins import __version__, http_target, http_wire, network, runtime
from plugins.contexts import FailureContext, FindingContext, ThresholdContext
from plugins.http_options import (
    NAME,
    PROG,
    SECRET_HEADERS,
    Expected,
    Request,
    build_parser,
    request_from_args,
)
from plugins.nagios import Context, Critical, Metric, Ok, Range, Resource, Result, Summary, Warn
from plugins.runtime import PluginCheck
from plugins.wording import duration, number, one_line, range_text, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import datetime
    import ssl
    from collections.abc import Callable, Iterator, Sequence
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.http_target import Proxy, Target
    from plugins.nagios import Results

_log = logging.getLogger(__name__)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# -s and -r look at this much of the body; the size counts every byte.
BODY_MATCH_LIMIT = 4 * 1024 * 1024
# A Last-Modified this far ahead of the server's clock is an error, not clock jitter.
FUTURE_SLACK = 60.0


# --- data acquisition -----------------------------------------------------------------


class Failure(Exception):
    """The exchange failed in a way that says something about the server or the network."""


class Exchange:
    """Everything observed during the run, filled in step by step so a failure keeps it."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.size = 0
        self.total = 0.0
        self.timings: dict[str, float] = {}
        self.hops: list[str] = []
        self.redirects = 0
        self.failure: str | None = None
        self.cert_name = ""
        self.cert_not_after: datetime.datetime | None = None

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def text(self) -> str:
        """The kept part of the body as text, in the charset the server announced."""
        charset = "utf-8"
        match = re.search(r"charset=([\w.:-]+)", self.header("Content-Type") or "", re.I)
        if match:
            charset = match.group(1)
        try:
            return self.body.decode(charset, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")

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
        return f"{self.status} {reason}{redirects}, {self.size} bytes in {self.total:.3f} s"


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
        self._tls_context: ssl.SSLContext | None = None
        self.steps = network.Steps(deadline)
        self.step = self.steps.step

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
            yield Metric("age", _document_age(ex), context="age")

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
        proxy = self._proxy_for(target)
        tls = self.tls_context() if target.tls else None
        server_name = self._server_name(target) if tls is not None else None
        host, port = (proxy.host, proxy.port) if proxy else (target.address, target.port)
        where = ("proxy " if proxy else "") + _where(host, port)
        conn = http_wire.Connection(self.steps.budget, self.step)
        ex.timings = conn.timings  # this request's times, kept as far as it gets
        try:
            try:
                conn.open(host, port, self.request.family)
                if proxy and target.tls:
                    self.step(f"asking {where} for a tunnel to {target.authority()}")
                    conn.tunnel(target.authority(), proxy.authorization)
                    where = f"{_where(target.address, target.port)} (through {where})"
                if tls is not None:
                    self.step(f"negotiating TLS with {where}")
                    conn.start_tls(tls, server_name)
            finally:
                if first and conn.peer_cert_der:
                    from plugins import tls as tls_module  # loaded with the TLS context

                    ex.cert_name = server_name or target.host
                    ex.cert_not_after = tls_module.certificate_not_after(conn.peer_cert_der)
            if tls is not None:
                self._check_name_without_sni(conn, target, where)
            self._send(conn, where, target, method, body, proxy)
            self.step(f"waiting for the response from {where}")
            response = conn.read_head(method)
            ex.status, ex.reason = response.status, response.reason
            ex.headers = response.headers
            _log.debug("response headers: %s", ex.headers)
            self._read_body(where, conn, response)
        except (OSError, http_wire.WireError, ValueError, Failure) as exc:
            if isinstance(exc, Failure):
                message = str(exc)
            else:
                message = self._describe(exc, where, host, target, server_name)
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

    def _proxy_for(self, target: Target) -> Proxy | None:
        return http_target.proxy_for(target, self.request.proxy)

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
        headers: dict[str, tuple[str, str]] = {}

        def put(name: str, value: str) -> None:
            headers[name.lower()] = (name, value)

        put("Host", target.host_header)
        put("User-Agent", f"{PROG}/{__version__} (Vigie)")
        put("Accept", "*/*")
        put("Connection", "close")
        # Credentials go to the host they were meant for, never to a redirect elsewhere.
        to_origin = (target.host.lower(), target.port) == self.auth_origin
        if self.request.authorization and to_origin:
            put("Authorization", self.request.authorization)
        if via_plain_proxy and proxy is not None and proxy.authorization:
            put("Proxy-Authorization", proxy.authorization)
        if body is not None:
            put("Content-Type", "application/x-www-form-urlencoded")
            put("Content-Length", str(len(body)))
        for name, value in self.request.headers:
            put(name, value)
        secret = {name.lower() for name in SECRET_HEADERS}
        if to_origin:
            for name, value in self.request.secret_headers:
                put(name, value)
                secret.add(name.lower())
        self.step(f"sending the request to {where}")
        _log.info("%s %s via %s", method, url, where)
        _log.debug(
            "request headers: %s",
            [
                (n, "***" if n.lower() in secret or "authorization" in n.lower() else v)
                for n, v in headers.values()
            ],
        )
        conn.send(method, url, list(headers.values()), body)

    def _read_body(
        self, where: str, conn: http_wire.Connection, response: http_wire.Response
    ) -> None:
        ex = self.exchange
        keep = BODY_MATCH_LIMIT if self.request.keep_body else 0
        kept: list[bytes] = []
        kept_size = 0
        ex.size = 0
        self.step(f"reading the body from {where}")
        for chunk in conn.read_body(response):
            ex.size += len(chunk)
            if kept_size < keep:
                kept.append(chunk[: keep - kept_size])
                kept_size += len(kept[-1])
        ex.body = b"".join(kept)
        if response.trailers:
            _log.debug("response trailers: %s", response.trailers)

    def _describe(
        self,
        exc: BaseException,
        where: str,
        host: str,
        target: Target,
        server_name: str | None,
    ) -> str:
        """One line saying what failed and where: the CRITICAL message.

        ``host`` is the name that was resolved (the target's or the proxy's), ``where`` the
        server as the messages name it, ``server_name`` the TLS name sent, if any.
        """
        said = network.describe(
            exc,
            where=where,
            host=host,
            steps=self.steps,
            family=self.request.family,
            cert_name=server_name or target.host,
            client_cert=bool(self.request.client_cert),
        )
        if said is not None:
            return said
        if isinstance(exc, http_wire.TunnelRefused):
            return (
                f"{where} refused the tunnel to {target.authority()}: "
                f"{exc.status} {one_line(exc.reason, 80)}"
            )
        if isinstance(exc, http_wire.NoAnswer):
            return f"{where} closed the connection without answering"
        if isinstance(exc, http_wire.NotHttp):
            return f"{where} did not answer with HTTP: {one_line(repr(exc.line), 80)}"
        if isinstance(exc, http_wire.TruncatedHead):
            return f"{where} closed the connection in the middle of the response headers"
        if isinstance(exc, http_wire.IncompleteBody):
            more = f", {exc.missing} more were announced" if exc.missing else ""
            return (
                f"{where} closed the connection after {self.exchange.size} bytes of the body{more}"
            )
        if isinstance(exc, http_wire.WireError):
            return f"invalid HTTP response from {where}: {one_line(exc, 120)}"
        return f"cannot send the request to {where}: {exc}"

    def _read_unverified_certificate(self, target: Target) -> None:
        """After a failure, read the certificate's dates without verifying it.

        A rejected certificate still has a lifetime worth reporting (``-C`` and the
        ``cert_days_left`` perfdata): "expired 3 days ago" says more than "rejected".
        """
        if self._proxy_for(target) is not None or self.deadline.network_remaining() <= 0:
            return
        from plugins import tls  # only for HTTPS

        name = self._server_name(target)
        try:
            address = (target.address, target.port)
            with (
                self.deadline.network(),
                socket.create_connection(address, timeout=self.steps.budget()) as sock,
            ):
                der = tls.unverified_peer_certificate(sock, name)
        except (OSError, ValueError) as exc:
            _log.info("could not read the certificate without verification: %s", exc)
            return
        if der:
            self.exchange.cert_name = name or target.host
            self.exchange.cert_not_after = tls.certificate_not_after(der)


def _document_age(ex: Exchange) -> float | str:
    """Seconds since Last-Modified by the server's clock, or why that cannot be told."""
    import datetime  # only for -M

    from plugins.http_date import parse_http_date

    modified = ex.header("Last-Modified")
    if modified is None:
        return "no Last-Modified header in the response (-M)"
    modified_at = parse_http_date(modified)
    if modified_at is None:
        return f"Last-Modified header is not a date: {one_line(repr(modified), 80)}"
    date = ex.header("Date")
    now = (parse_http_date(date) if date else None) or datetime.datetime.now(datetime.UTC)
    return (now - modified_at).total_seconds()


# --- data evaluation ------------------------------------------------------------------


class StatusContext(Context):
    """Judges the final status code: ``-e`` lists what is OK, else by class.

    Without ``-e``: 2xx and 3xx are OK, 4xx WARNING, anything else CRITICAL.
    """

    def __init__(self, expected: Expected | None) -> None:
        super().__init__("status")
        self.expected = expected

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK, WARNING or CRITICAL for the status code in ``metric.value``."""
        code = metric.value
        if self.expected is not None:
            if self.expected.accepts(code):
                return Result(Ok, None, metric)
            return Result(Critical, f"status {code} is not one of -e {self.expected.text}", metric)
        if 200 <= code < 400:
            return Result(Ok, None, metric)
        return Result(Warn if 400 <= code < 500 else Critical, None, metric)


class AgeContext(Context):
    """Judges the document's age from Last-Modified (``-M``): too old or unknown is CRITICAL."""

    def __init__(self, max_age: float, spec: str) -> None:
        super().__init__("age")
        self.max_age = max_age
        self.spec = spec

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """CRITICAL when older than -M, dated in the future, or undated."""
        age = metric.value
        if isinstance(age, str):
            return Result(Critical, age, metric)
        if age > self.max_age:
            return Result(
                Critical, f"document is {duration(age)} old, more than -M {self.spec}", metric
            )
        if age < -FUTURE_SLACK:
            return Result(Critical, f"Last-Modified is {duration(-age)} in the future", metric)
        return Result(Ok, None, metric)


def _time_hint(metric: Metric, level: str, spec: Range) -> str:
    took = f"response time {metric.value:.3f} s"
    if not spec.invert and spec.start == 0:
        return f"{took} is above the {level} threshold of {range_text(spec)} s"
    # "inside" for an inverted range (@0:1 alerts on the values it holds), else "outside".
    return f"{took} is {range_violation(spec, level)}"


def _size_hint(metric: Metric, level: str, spec: Range) -> str:
    return f"size {metric.value} bytes is outside -m {range_text(spec)}"


def _cert_hint(exchange: Exchange) -> Callable[[Metric, str, Range], str]:
    def hint(metric: Metric, level: str, spec: Range) -> str:
        days = metric.value
        when = f"{exchange.cert_not_after:%Y-%m-%d %H:%M} UTC"
        name = exchange.cert_name
        if days < 0:
            return f"certificate of {name} expired {-days:.1f} days ago ({when})"
        return (
            f"certificate of {name} expires in {days:.1f} days ({when}), "
            f"under the {level} threshold of {number(spec.start, 0)} days"
        )

    return hint


# --- data presentation ----------------------------------------------------------------


class HttpSummary(Summary):
    """The status line: ``200 OK, 1234 bytes in 0.012 s``, problems first when there are any."""

    def __init__(self, resource: HttpExchange, show_certificate: bool) -> None:
        self.resource = resource
        self.show_certificate = show_certificate

    def ok(self, results: Results) -> str:
        """The exchange in a few words, and the certificate's lifetime when -C asked for it."""
        ex = self.resource.exchange
        line = ex.summary()
        days = ex.cert_days_left()
        if self.show_certificate and days is not None:
            line += f", certificate valid for {days:.0f} more days"
        return line

    def problem(self, results: Results) -> str:
        """Every problem, worst first, then the exchange if there was a response."""
        parts = [str(result) for result in results if result.state != Ok and str(result)]
        ex = self.resource.exchange
        if ex.failure is None and ex.status is not None:
            parts.append(ex.summary())
        return "; ".join(one_line(part) for part in parts)

    def verbose(self, results: Results) -> list[str]:
        """With -v: each request and its answer, then each problem with its state."""
        ex = self.resource.exchange
        lines = list(ex.hops)
        for result in results:
            if result.state != Ok:
                # A status judged by its class has no words of its own: the exchange has.
                lines.append(f"{result.state.text}: {str(result) or ex.summary()}")
        return lines


# --- runtime --------------------------------------------------------------------------


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the exchange, its judges and its summary."""
    request = request_from_args(args)
    if args.proxy:
        # A bad --proxy is a bad argument (UsageError), found before any network wait.
        http_target.parse_proxy(args.proxy, "--proxy")
    resource = HttpExchange(request, deadline)
    if request.target.tls:
        resource.tls_context()  # bad certificate files are UNKNOWN, before any network
    ex = resource.exchange
    warn_days, crit_days = args.certificate or (None, None)
    contexts: list[Context] = [
        FailureContext("failure"),
        StatusContext(args.expect),
        ThresholdContext("time", args.warning, args.critical, hint=_time_hint),
        ThresholdContext("size", args.size, None, hint=_size_hint),
        ThresholdContext("timing"),
        ThresholdContext(
            "cert_days_left",
            # Fixed-point text: Range reads "1e-05" or "1e+20" (str of a float) as neither.
            Range(f"{warn_days:f}:") if warn_days is not None else None,
            Range(f"{crit_days:f}:") if crit_days is not None else None,
            digits=2,
            hint=_cert_hint(ex),
        ),
    ]
    if request.string is not None:
        contexts.append(
            FindingContext("string", True, f"string {request.string!r} not found in the body")
        )
    if request.pattern is not None:
        shown = repr(request.pattern.pattern)
        if args.invert_regex:
            problem = f"pattern {shown} found in the body (--invert-regex)"
        else:
            problem = f"pattern {shown} not found in the body"
        contexts.append(FindingContext("regex", not args.invert_regex, problem))
    if request.header_string is not None:
        contexts.append(
            FindingContext(
                "header_string", True, f"header string {request.header_string!r} not found"
            )
        )
    if args.max_age is not None:
        contexts.append(AgeContext(*args.max_age))
    return PluginCheck(
        resource, *contexts, HttpSummary(resource, bool(args.certificate)), name=NAME
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_http."""
    runtime.run(build_parser(), build_check, argv)
