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
(arguments and ``main``). Only http.client and ssl on the network path: start-up time is
part of every check's cost.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import email.utils
import http.client
import ipaddress
import logging
import os
import re
import socket
import ssl
import time
import urllib.parse

from plugins import __version__, runtime
from plugins.runtime import (
    Context,
    Critical,
    Metric,
    Ok,
    PluginCheck,
    PluginError,
    Range,
    Resource,
    Result,
    Summary,
    ThresholdContext,
    UsageError,
    Warn,
    one_line,
)

TYPE_CHECKING = False  # see plugins.runtime: importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import NoReturn

    from plugins.runtime import Deadline, Results

_log = logging.getLogger(__name__)

NAME = "HTTP"
PROG = "check_vigie_http"
AUTH_ENV = "VIGIE_HTTP_AUTH"
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# -s and -r look at this much of the body; the size counts every byte.
BODY_MATCH_LIMIT = 4 * 1024 * 1024
CHUNK = 64 * 1024
TLS_VERSIONS = {"1.0": "TLSv1", "1.1": "TLSv1_1", "1.2": "TLSv1_2", "1.3": "TLSv1_3"}
# RFC 9110 token: what a method or a header name may be made of.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
# A Last-Modified this far ahead of the server's clock is an error, not clock jitter.
FUTURE_SLACK = 60.0


# --- data acquisition -----------------------------------------------------------------


class Failure(Exception):
    """The exchange failed in a way that says something about the server or the network."""


class _TruncatedHead(http.client.HTTPException):
    """The server closed the connection before the blank line that ends the headers."""


class Target:
    """Where one request goes: scheme, host name, port, address to connect to, Host header."""

    __slots__ = ("address", "host", "host_header", "path", "port", "scheme")

    def __init__(
        self, scheme: str, host: str, port: int, address: str, host_header: str, path: str
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.address = address
        self.host_header = host_header
        self.path = path

    @property
    def tls(self) -> bool:
        """True for https."""
        return self.scheme == "https"

    def url(self) -> str:
        """The URL as a browser would show it."""
        return f"{self.scheme}://{self.host_header}{self.path}"


class Proxy:
    """An HTTP proxy: plain requests go to it in absolute form, TLS through CONNECT."""

    __slots__ = ("authorization", "host", "port")

    def __init__(self, host: str, port: int, authorization: str | None) -> None:
        self.host = host
        self.port = port
        self.authorization = authorization


class Request:
    """What the command line asks for, validated: the first target and how to talk to it."""

    def __init__(self) -> None:
        self.target = Target("http", "", 80, "", "", "/")
        self.method = "GET"
        self.body: bytes | None = None
        self.headers: list[tuple[str, str]] = []
        self.authorization: str | None = None
        self.follow = False
        self.max_redirects = 15
        self.family = socket.AF_UNSPEC
        self.proxy: str | None = None
        self.sni: str | None = None
        self.send_sni = True
        self.verify = True
        self.ca_file: str | None = None
        self.client_cert: str | None = None
        self.client_key: str | None = None
        self.tls_min_version: str | None = None
        self.string: str | None = None
        self.pattern: re.Pattern[str] | None = None
        self.header_string: str | None = None
        self.want_age = False

    @property
    def keep_body(self) -> bool:
        """True when a content option needs the body kept."""
        return self.string is not None or self.pattern is not None


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
        self.cert_verified = False

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


def _certificate_not_after(der: bytes) -> datetime.datetime | None:
    """The notAfter date of a DER X.509 certificate, None if it cannot be read.

    ssl only decodes certificates it has verified; this reads the date of any certificate
    by walking Certificate > TBSCertificate > validity (RFC 5280, section 4.1).
    """
    try:
        return _der_not_after(der)
    except (IndexError, ValueError, UnicodeDecodeError):
        _log.info("cannot read the certificate's notAfter date")
        return None


def _der_not_after(der: bytes) -> datetime.datetime:
    """notAfter from the DER itself; raises IndexError or ValueError on a malformed one."""

    def element(pos: int) -> tuple[int, int, int]:
        tag, length = der[pos], der[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(der[pos : pos + count], "big")
            pos += count
        return tag, pos, pos + length

    _, certificate, _ = element(0)
    _, pos, _ = element(certificate)
    tag, _, end = element(pos)
    if tag == 0xA0:  # explicit version
        pos = end
    for _ in range(3):  # serialNumber, signature, issuer
        pos = element(pos)[2]
    _, validity, _ = element(pos)
    not_before_end = element(validity)[2]
    tag, start, end = element(not_before_end)
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ: years 50..99 are 19xx
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=datetime.UTC)


def _name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 matching of one certificate name against a host name (leftmost wildcard)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def _certificate_matches(cert: dict[str, object], host: str) -> bool:
    """True when the verified certificate ``cert`` names ``host`` in its subjectAltName."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    names = cert.get("subjectAltName", ())
    for kind, value in names if isinstance(names, tuple) else ():
        if kind == "DNS" and address is None and _name_matches(value, host):
            return True
        if kind == "IP Address" and address is not None:
            try:
                if ipaddress.ip_address(value.strip()) == address:
                    return True
            except ValueError:
                continue
    return False


def _bypass_proxy(host: str, port: int) -> bool:
    """True when no_proxy/NO_PROXY exempts ``host`` (exact name, domain suffix, or ``*``)."""
    entries = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    host = host.lower().rstrip(".")
    for raw in entries.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip(".").rstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def _parse_proxy(text: str, origin: str) -> Proxy:
    """An ``http://[user:password@]host[:port]`` proxy URL; credentials only from the env."""
    url = text if "://" in text else "http://" + text
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise PluginError(f"{origin}: only http:// proxies are supported, got {text!r}")
    try:
        port = parts.port or 1080
    except ValueError:
        raise PluginError(f"{origin}: invalid port in proxy {text!r}") from None
    if not parts.hostname:
        raise PluginError(f"{origin}: no host in proxy {text!r}")
    authorization = None
    if parts.username is not None:
        if origin == "--proxy":
            raise UsageError(
                "--proxy must not carry credentials (Icinga logs command lines); "
                "set http_proxy/https_proxy in the environment instead"
            )
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        authorization = _basic(f"{user}:{password}")
    return Proxy(parts.hostname, port, authorization)


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


class _TrackedReader:
    """The socket's reader as http.client sees it, noting an end of stream in the headers."""

    def __init__(self, raw: object) -> None:
        self.raw = raw
        self.eof = False

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.raw.readline(limit)  # type: ignore[attr-defined]
        if not line:
            self.eof = True
        return line

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


class _Response(http.client.HTTPResponse):
    """http.client's response, timed at its first byte and at the end of its headers."""

    first_byte_at = 0.0
    headers_at = 0.0

    def begin(self) -> None:
        self.fp.peek(1)  # blocks until the server's first byte arrives
        self.first_byte_at = time.perf_counter()
        tracker = _TrackedReader(self.fp)
        # http.client takes an end of stream inside the headers for their end.
        self.fp = tracker  # type: ignore[assignment]
        super().begin()
        if self.fp is tracker:  # type: ignore[comparison-overlap]
            self.fp = tracker.raw  # type: ignore[assignment]
        if tracker.eof:
            raise _TruncatedHead("end of stream inside the response headers")
        self.headers_at = time.perf_counter()


class _Connection(http.client.HTTPConnection):
    """An HTTPConnection that times TCP and TLS apart, honours -4/-6 and proxies."""

    response_class = _Response

    def __init__(
        self,
        exchange: HttpExchange,
        target: Target,
        proxy: Proxy | None,
        tls: ssl.SSLContext | None,
        server_name: str | None,
    ) -> None:
        self.exchange = exchange
        self.target = target
        self.proxy = proxy
        self.tls = tls
        self.server_name = server_name
        self.peer_cert_der: bytes | None = None
        self.peer_cert: dict[str, object] | None = None
        host, port = (proxy.host, proxy.port) if proxy else (target.address, target.port)
        self.where = ("proxy " if proxy else "") + _where(host, port)
        super().__init__(host, port)

    def connect(self) -> None:
        """TCP to the server or the proxy, a CONNECT tunnel if needed, then TLS."""
        step = self.exchange.step
        step(f"resolving {self.host}")
        # An ASCII name as bytes skips the idna codec, whose import costs start-up time.
        name = self.host.encode("ascii") if self.host.isascii() else self.host
        infos = socket.getaddrinfo(
            name, self.port, self.exchange.request.family, socket.SOCK_STREAM
        )
        _log.info("%s resolves to %s", self.host, ", ".join(str(i[4][0]) for i in infos))
        last_error: OSError | None = None
        started = time.perf_counter()
        for family, kind, proto, _, sockaddr in infos:
            step(f"connecting to {_where(str(sockaddr[0]), self.port)}")
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.exchange.network_budget())
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                last_error = exc
                _log.info("connecting to %s failed: %s", sockaddr[0], exc)
                continue
            break
        else:
            raise last_error or OSError("no address to connect to")
        version = "IPv6" if family == socket.AF_INET6 else "IPv4"
        self.exchange.timings["time_connect"] = time.perf_counter() - started
        _log.info("connected to %s port %s (%s)", sockaddr[0], self.port, version)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        if self.proxy and self.target.tls:
            self._tunnel_through_proxy()
        if self.tls is not None:
            step(f"negotiating TLS with {self.where}")
            started = time.perf_counter()
            sock.settimeout(self.exchange.network_budget())
            tls_sock = self.tls.wrap_socket(sock, server_hostname=self.server_name)
            self.exchange.timings["time_tls"] = time.perf_counter() - started
            self.sock = tls_sock
            self.peer_cert_der = tls_sock.getpeercert(binary_form=True)
            self.peer_cert = tls_sock.getpeercert() or None  # type: ignore[assignment]
            _log.info("%s with %s", tls_sock.version(), (tls_sock.cipher() or ("?",))[0])

    def _tunnel_through_proxy(self) -> None:
        target = f"{self.target.address}:{self.target.port}"
        if ":" in self.target.address:
            target = f"[{self.target.address}]:{self.target.port}"
        self.exchange.step(f"asking {self.where} for a tunnel to {target}")
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if self.proxy and self.proxy.authorization:
            lines.append(f"Proxy-Authorization: {self.proxy.authorization}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        answer = http.client.HTTPResponse(self.sock, method="CONNECT")
        answer.begin()
        if answer.status != 200:
            raise Failure(
                f"{self.where} refused the tunnel to {target}: "
                f"{answer.status} {one_line(answer.reason, 80)}"
            )
        self.where = f"{_where(self.target.address, self.target.port)} (through {self.where})"


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
        self.timings = self.exchange.timings
        self.auth_origin = (request.target.host.lower(), request.target.port)
        self._tls_context: ssl.SSLContext | None = None
        self.activity_started = time.perf_counter()

    # The steps -----------------------------------------------------------------------

    def step(self, activity: str) -> None:
        """Record what the exchange is doing now, for timeout and failure messages."""
        self.deadline.activity = activity
        self.activity_started = time.perf_counter()

    def network_budget(self) -> float:
        """The timeout for the next network wait; raises TimeoutError when none is left."""
        left = self.deadline.network_remaining()
        if left <= 0:
            raise TimeoutError("no time left")
        return left

    def tls_context(self) -> ssl.SSLContext:
        """The TLS settings of this run, made once (bad files are the admin's: UNKNOWN)."""
        if self._tls_context is None:
            self._tls_context = _make_tls_context(self.request)
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
            ex.failure = self._timeout_message()
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
            target = _redirect_target(target, location, request.target)
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
        conn = _Connection(self, target, proxy, tls, server_name)
        for key in ("time_connect", "time_tls", "time_firstbyte", "time_headers", "time_transfer"):
            self.timings.pop(key, None)
        try:
            try:
                conn.connect()
            finally:
                if first and conn.peer_cert_der:
                    ex.cert_name = server_name or target.host
                    ex.cert_not_after = _certificate_not_after(conn.peer_cert_der)
            if tls is not None:
                self._check_name_without_sni(conn, target)
            self._send(conn, target, method, body, proxy)
            sent_at = time.perf_counter()
            self.step(f"waiting for the response from {conn.where}")
            # http.client hands the socket over to the response (conn.sock becomes None).
            sock = conn.sock
            assert sock is not None
            sock.settimeout(self.network_budget())
            response = conn.getresponse()
            assert isinstance(response, _Response)
            self.timings["time_firstbyte"] = response.first_byte_at - sent_at
            self.timings["time_headers"] = response.headers_at - sent_at
            ex.status, ex.reason = response.status, response.reason
            ex.headers = response.getheaders()
            _log.debug("response headers: %s", ex.headers)
            self._read_body(conn.where, sock, response)
            self.timings["time_transfer"] = time.perf_counter() - response.headers_at
        except (OSError, http.client.HTTPException, ValueError, Failure) as exc:
            message = str(exc) if isinstance(exc, Failure) else self._describe(exc, conn)
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

    def _check_name_without_sni(self, conn: _Connection, target: Target) -> None:
        # ssl ties the host name check to SNI; without SNI the check is done here.
        if self.request.send_sni or not self.request.verify:
            return
        name = self.request.sni or target.host
        if conn.peer_cert is None or not _certificate_matches(conn.peer_cert, name):
            raise Failure(f"TLS certificate of {conn.where} does not name {name}")

    def _proxy_for(self, target: Target) -> Proxy | None:
        if self.request.proxy:
            return _parse_proxy(self.request.proxy, "--proxy")
        variable = f"{target.scheme}_proxy"
        value = os.environ.get(variable) or os.environ.get(variable.upper())
        if not value or _bypass_proxy(target.host, target.port):
            return None
        return _parse_proxy(value, variable)

    def _send(
        self,
        conn: _Connection,
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
        if self.request.authorization and (target.host.lower(), target.port) == self.auth_origin:
            put("Authorization", self.request.authorization)
        if via_plain_proxy and proxy is not None and proxy.authorization:
            put("Proxy-Authorization", proxy.authorization)
        if body is not None:
            put("Content-Type", "application/x-www-form-urlencoded")
            put("Content-Length", str(len(body)))
        for name, value in self.request.headers:
            put(name, value)
        self.step(f"sending the request to {conn.where}")
        conn.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.values():
            conn.putheader(name, value)
        _log.info("%s %s via %s", method, url, conn.where)
        _log.debug(
            "request headers: %s",
            [(n, "***" if "authorization" in n.lower() else v) for n, v in headers.values()],
        )
        conn.endheaders(body)

    def _read_body(self, where: str, sock: socket.socket, response: _Response) -> None:
        ex = self.exchange
        keep = BODY_MATCH_LIMIT if self.request.keep_body else 0
        kept: list[bytes] = []
        kept_size = 0
        ex.size = 0
        self.step(f"reading the body from {where}")
        # Bounded by the network budget: network_budget() raises once it is spent.
        while True:
            sock.settimeout(self.network_budget())
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            ex.size += len(chunk)
            if kept_size < keep:
                kept.append(chunk[: keep - kept_size])
                kept_size += len(kept[-1])
        ex.body = b"".join(kept)
        if response.length:
            # http.client's read1 takes an early end of stream for the end of the body.
            raise http.client.IncompleteRead(b"", response.length)

    def _describe(self, exc: BaseException, conn: _Connection) -> str:
        """One line saying what failed and where: the CRITICAL message."""
        where = conn.where
        if isinstance(exc, socket.gaierror):
            family = {socket.AF_INET: " to an IPv4 address", socket.AF_INET6: " to an IPv6 address"}
            return (
                f"cannot resolve {conn.host}{family.get(self.request.family, '')}: {exc.strerror}"
            )
        if isinstance(exc, TimeoutError):
            return self._timeout_message()
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {where}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            name = conn.server_name or conn.target.host
            return f"TLS certificate of {name} not accepted: {exc.verify_message}"
        if isinstance(exc, ssl.SSLEOFError):
            hint = "" if self.request.client_cert else " (is a client certificate required?)"
            return f"TLS connection cut short while {self.deadline.activity}{hint}"
        if isinstance(exc, ssl.SSLError):
            if "CERTIFICATE_REQUIRED" in _tls_reason(exc):
                return f"{where} requires a client certificate: {_tls_reason(exc)}"
            if self.deadline.activity.startswith("negotiating TLS"):
                return f"TLS handshake with {where} failed: {_tls_reason(exc)}"
            return f"TLS error while {self.deadline.activity}: {_tls_reason(exc)}"
        if isinstance(exc, http.client.RemoteDisconnected):
            return f"{where} closed the connection without answering"
        if isinstance(exc, http.client.BadStatusLine):
            return f"{where} did not answer with HTTP: {one_line(repr(exc.args[0]), 80)}"
        if isinstance(exc, _TruncatedHead):
            return f"{where} closed the connection in the middle of the response headers"
        if isinstance(exc, http.client.IncompleteRead):
            more = f", {exc.expected} more were announced" if exc.expected else ""
            return (
                f"{where} closed the connection after {self.exchange.size} bytes of the body{more}"
            )
        if isinstance(exc, ConnectionResetError):
            return f"connection reset while {self.deadline.activity}"
        if isinstance(exc, http.client.HTTPException):
            return f"invalid HTTP response from {where}: {one_line(exc, 120)}"
        if isinstance(exc, OSError):
            return f"network error while {self.deadline.activity}: {exc.strerror or exc}"
        return f"cannot send the request to {where}: {exc}"

    def _timeout_message(self) -> str:
        waited = time.perf_counter() - self.activity_started
        return f"network timeout after {waited:.1f} s {self.deadline.activity}"

    def _read_unverified_certificate(self, target: Target) -> None:
        """After a failure, read the certificate's dates without verifying it.

        A rejected certificate still has a lifetime worth reporting (``-C`` and the
        ``cert_days_left`` perfdata): "expired 3 days ago" says more than "rejected".
        """
        if self._proxy_for(target) is not None or self.deadline.network_remaining() <= 0:
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        name = self._server_name(target)
        try:
            address = (target.address, target.port)
            with (
                self.deadline.network(),
                socket.create_connection(address, timeout=self.network_budget()) as sock,
                context.wrap_socket(sock, server_hostname=name) as tls_sock,
            ):
                der = tls_sock.getpeercert(binary_form=True)
        except (OSError, ValueError) as exc:
            _log.info("could not read the certificate without verification: %s", exc)
            return
        if der:
            self.exchange.cert_name = name or target.host
            self.exchange.cert_not_after = _certificate_not_after(der)


def _redirect_target(current: Target, location: str, first: Target) -> Target:
    """The target a Location header points to, query string kept, fragment dropped."""
    ref = urllib.parse.urlsplit(location.strip())
    if not ref.scheme and not ref.netloc:
        # Relative: same server, same Host header; only the path and query change.
        joined = urllib.parse.urlsplit(urllib.parse.urljoin("http://x" + current.path, location))
        path = (joined.path or "/") + (f"?{joined.query}" if joined.query else "")
        return Target(
            current.scheme, current.host, current.port, current.address, current.host_header, path
        )
    scheme = (ref.scheme or current.scheme).lower()
    if scheme not in DEFAULT_PORTS:
        raise Failure(f"redirect to an unsupported URL: {one_line(location, 200)}")
    try:
        port = ref.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise Failure(f"redirect to an invalid URL: {one_line(location, 200)}") from None
    host = (ref.hostname or "").lower()
    if not host:
        raise Failure(f"redirect to a URL without a host: {one_line(location, 200)}")
    # -I still applies when the redirect stays on the host name it was given for.
    address = first.address if host == first.host.lower() else host
    host_header = ref.netloc.rpartition("@")[2]
    path = (ref.path or "/") + (f"?{ref.query}" if ref.query else "")
    return Target(scheme, host, port, address, host_header, path)


def _make_tls_context(request: Request) -> ssl.SSLContext:
    """The client TLS context: verification on unless --insecure, the admin's files loaded."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_alpn_protocols(["http/1.1"])
    if not request.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif not request.send_sni:
        context.check_hostname = False  # checked by hand: ssl ties the check to SNI
    if request.tls_min_version:
        context.minimum_version = ssl.TLSVersion[TLS_VERSIONS[request.tls_min_version]]
    try:
        if request.ca_file:
            context.load_verify_locations(cafile=request.ca_file)
        elif request.verify:
            context.load_default_certs()
    except (OSError, ValueError) as exc:
        raise PluginError(f"cannot load --ca-file {request.ca_file}: {_os_reason(exc)}") from None
    if request.client_cert:
        try:
            context.load_cert_chain(request.client_cert, request.client_key)
        except (OSError, ValueError) as exc:
            raise PluginError(
                f"cannot load --client-cert {request.client_cert}"
                f"{' / --client-key ' + request.client_key if request.client_key else ''}: "
                f"{_os_reason(exc)}"
            ) from None
    return context


def _tls_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason code (``TLSV1_ALERT_PROTOCOL_VERSION``), without source locations."""
    return exc.reason or re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return _tls_reason(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


# --- data evaluation ------------------------------------------------------------------


class FailureContext(Context):
    """A failed exchange is CRITICAL: the server or the network let the check down."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Always critical, with the failure's own words."""
        return Result(Critical, str(metric.value), metric)


class Expected:
    """The status codes ``-e`` accepts, as typed (``200,301-302``) and as ranges."""

    def __init__(self, text: str, ranges: list[tuple[int, int]]) -> None:
        self.text = text
        self.ranges = ranges

    def accepts(self, code: int) -> bool:
        """True when ``code`` is one of the expected codes."""
        return any(low <= code <= high for low, high in self.ranges)


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


class ContentContext(Context):
    """Judges a yes/no finding in the response: something that must (not) be there."""

    def __init__(self, name: str, wanted: bool, problem: str) -> None:
        super().__init__(name)
        self.wanted = wanted
        self.problem = problem

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK when the finding is what is wanted, else CRITICAL with the problem."""
        if bool(metric.value) == self.wanted:
            return Result(Ok, None, metric)
        return Result(Critical, self.problem, metric)


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
                Critical, f"document is {_duration(age)} old, more than -M {self.spec}", metric
            )
        if age < -FUTURE_SLACK:
            return Result(Critical, f"Last-Modified is {_duration(-age)} in the future", metric)
        return Result(Ok, None, metric)


def _duration(secs: float) -> str:
    secs = int(secs)
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _time_hint(metric: Metric, level: str, spec: Range) -> str:
    took = f"response time {metric.value:.3f} s"
    if not spec.invert and spec.start == 0:
        return f"{took} is above the {level} threshold of {runtime.range_text(spec)} s"
    return f"{took} is outside the {level} range {runtime.range_text(spec)}"


def _size_hint(metric: Metric, level: str, spec: Range) -> str:
    return f"size {metric.value} bytes is outside -m {runtime.range_text(spec)}"


def _cert_hint(exchange: Exchange) -> Callable[[Metric, str, Range], str]:
    def hint(metric: Metric, level: str, spec: Range) -> str:
        days = metric.value
        when = f"{exchange.cert_not_after:%Y-%m-%d %H:%M} UTC"
        name = exchange.cert_name
        if days < 0:
            return f"certificate of {name} expired {-days:.1f} days ago ({when})"
        return (
            f"certificate of {name} expires in {days:.1f} days ({when}), "
            f"under the {level} threshold of {runtime.number(spec.start, 0)} days"
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


def _status_spec(text: str) -> Expected:
    spec = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?", item)
        if not match:
            raise argparse.ArgumentTypeError(
                f"invalid status list {text!r}: expected codes and ranges like 200,301-302"
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low > high:
            raise argparse.ArgumentTypeError(f"invalid status range {item.strip()!r}")
        spec.append((low, high))
    return Expected(text.replace(" ", ""), spec)


def _size_spec(text: str) -> Range:
    match = re.fullmatch(r"(\d+)(?::(\d+))?", text.strip())
    if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: expected MIN or MIN:MAX in bytes, e.g. 100 or 100:50000"
        )
    return Range(f"{match.group(1)}:{match.group(2) or ''}")


def _age_spec(text: str) -> tuple[float, str]:
    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid age {text!r}: expected a number of seconds, or with m, h or d, e.g. 2d"
        )
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(int(match.group(1)) * unit), text.strip()


def _cert_spec(text: str) -> tuple[float, float]:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid certificate days {text!r}: expected WARN[,CRIT], e.g. 30,14"
        )
    warn = float(match.group(1))
    crit = float(match.group(2) or 0)
    if crit > warn:
        raise argparse.ArgumentTypeError(f"invalid certificate days {text!r}: CRIT above WARN")
    return warn, crit


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not TOKEN.match(name.strip()) or re.search(r"[\r\n\x00]", value):
        raise argparse.ArgumentTypeError(f"invalid header {text!r}: expected 'Name: value'")
    return name.strip(), value.strip()


def _method(text: str) -> str:
    if not TOKEN.match(text):
        raise argparse.ArgumentTypeError(f"invalid method {text!r}: not an HTTP token")
    return text


def _uri(text: str) -> str:
    if not text.startswith("/") or re.search(r"[\x00-\x20\x7f]", text):
        raise argparse.ArgumentTypeError(
            f"invalid URI {text!r}: expected a path and query starting with /, without spaces"
        )
    return text


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
    return text


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected 1 to 65535")
    return int(text)


def _split_vhost(text: str) -> tuple[str, str | None]:
    """-H as check_http reads it: a host name, and a Host header when a port is appended."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, text if rest.startswith(":") else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        if port.isdigit():
            return host, text
    return text, None


def build_parser() -> runtime.PluginArgumentParser:
    """The command line of check_vigie_http, documented flag by flag."""
    parser = runtime.PluginArgumentParser(
        NAME,
        PROG,
        "Check an HTTP(S) service the way a user reaches it: status, content, timing, "
        "certificate.\nFirst line: HTTP OK - 200 OK, 1234 bytes in 0.012 s | time=0.012345s;W;C;0 "
        "size=1234B;;;0 ...",
        epilog=(
            "Perfdata, in seconds and bytes: time (total, redirects included), size, then for\n"
            "the last request time_connect (TCP), time_tls (handshake), time_firstbyte and\n"
            "time_headers (from the request sent to the first byte / to the end of the\n"
            "headers), time_transfer (the body), and cert_days_left (HTTPS).\n\n"
            "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, the plugin's\n"
            "own deadline, an internal error; also after --help and --version).\n\n"
            f"Basic auth credentials come from ${AUTH_ENV} (user:password) or --auth-file,\n"
            "never from the command line, which Icinga logs."
        ),
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "-H",
        "--hostname",
        metavar="HOST",
        help="virtual host name: Host header, SNI and certificate name; HOST:PORT puts the "
        "port in the Host header only, as check_http does",
    )
    target.add_argument(
        "-I", "--ip", metavar="ADDRESS", help="address to connect to (default: HOST resolved)"
    )
    target.add_argument("-p", "--port", type=_port, help="TCP port (default 80, or 443 with TLS)")
    target.add_argument(
        "-u", "--uri", type=_uri, default="/", help="path and query to ask for (default /)"
    )
    family = target.add_mutually_exclusive_group()
    family.add_argument(
        "-4", dest="family", action="store_const", const=socket.AF_INET, help="IPv4 only"
    )
    family.add_argument(
        "-6", dest="family", action="store_const", const=socket.AF_INET6, help="IPv6 only"
    )

    tls = parser.add_argument_group("TLS and certificate")
    tls.add_argument("-S", "--ssl", action="store_true", help="use TLS (https)")
    tls.add_argument(
        "--sni",
        metavar="NAME",
        help="server name to send in SNI and to verify the certificate against "
        "(default: the host name; implies -S)",
    )
    tls.add_argument(
        "--no-sni",
        action="store_true",
        help="send no SNI (the certificate is still checked against the host name)",
    )
    tls.add_argument(
        "--tls-min-version",
        choices=sorted(TLS_VERSIONS),
        help="lowest TLS version to accept",
    )
    tls.add_argument("--client-cert", metavar="FILE", help="client certificate (PEM; implies -S)")
    tls.add_argument(
        "--client-key",
        metavar="FILE",
        help="key of the client certificate when not in --client-cert",
    )
    tls.add_argument(
        "--ca-file",
        metavar="FILE",
        help="trust these CA certificates (PEM) instead of the system's",
    )
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the certificate chain and host name",
    )
    tls.add_argument(
        "-C",
        "--certificate",
        type=_cert_spec,
        metavar="WARN[,CRIT]",
        help="WARNING when fewer than WARN days of certificate validity are left, CRITICAL "
        "under CRIT (default 0: expired); checked even when the HTTP exchange fails; "
        "implies -S",
    )

    status = parser.add_argument_group("status and redirects")
    status.add_argument(
        "-e",
        "--expect",
        type=_status_spec,
        metavar="CODES",
        help="status codes that are OK, e.g. 200,301-302, judged on the final response; "
        "others are CRITICAL (default: 2xx and 3xx OK, 4xx WARNING, 5xx CRITICAL)",
    )
    status.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="follow redirects (query strings kept; 303, and 301/302 after a POST, become GET)",
    )
    status.add_argument(
        "--max-redirects",
        type=int,
        default=15,
        metavar="N",
        help="with -f, CRITICAL after N redirects (default %(default)s)",
    )

    content = parser.add_argument_group("content (the first 4 MiB of the body)")
    content.add_argument(
        "-s", "--string", metavar="TEXT", help="CRITICAL unless the body contains TEXT"
    )
    content.add_argument(
        "-r", "--regex", type=_regex, metavar="REGEX", help="CRITICAL unless REGEX matches the body"
    )
    content.add_argument(
        "-R",
        "--eregi",
        type=_regex,
        metavar="REGEX",
        help="as -r, case-insensitive (check_http's -R)",
    )
    content.add_argument(
        "--invert-regex",
        action="store_true",
        help="with -r/-R: CRITICAL when the expression matches instead",
    )
    content.add_argument(
        "-d",
        "--header-string",
        metavar="TEXT",
        help="CRITICAL unless the response headers contain TEXT",
    )
    content.add_argument(
        "-m",
        "--size",
        type=_size_spec,
        metavar="MIN[:MAX]",
        help="WARNING when the body is smaller than MIN or larger than MAX bytes",
    )
    content.add_argument(
        "-M",
        "--max-age",
        type=_age_spec,
        metavar="AGE",
        help="CRITICAL when Last-Modified is older than AGE (seconds, or 10m, 2h, 1d), "
        "measured against the server's Date header",
    )

    request = parser.add_argument_group("request")
    request.add_argument(
        "-j", "--method", type=_method, help="HTTP method, any token (default GET, POST with -P)"
    )
    request.add_argument("-P", "--data", metavar="DATA", help="request body (implies POST)")
    request.add_argument(
        "-T",
        "--content-type",
        metavar="TYPE",
        help="Content-Type of the body (default application/x-www-form-urlencoded)",
    )
    request.add_argument(
        "-k",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header, repeatable; replaces a default header of the same name",
    )
    request.add_argument(
        "-A", "--user-agent", metavar="TEXT", help=f"User-Agent (default {PROG}/{__version__})"
    )
    request.add_argument(
        "--auth-file",
        metavar="FILE",
        help=f"file whose first line is user:password for basic auth (else ${AUTH_ENV})",
    )
    request.add_argument(
        "--proxy",
        metavar="URL",
        help="HTTP proxy, http://host:port (default: http_proxy/https_proxy and no_proxy "
        "from the environment, where proxy credentials may go)",
    )

    thresholds = parser.add_argument_group("thresholds")
    thresholds.add_argument(
        "-w",
        "--warning",
        type=runtime.nagios_range,
        metavar="RANGE",
        help="WARNING when the total time in seconds is outside RANGE",
    )
    thresholds.add_argument(
        "-c",
        "--critical",
        type=runtime.nagios_range,
        metavar="RANGE",
        help="CRITICAL when the total time in seconds is outside RANGE",
    )
    return parser


def _request_from_args(args: argparse.Namespace) -> Request:
    """The validated request; options that do not fit together raise UsageError."""
    if not args.hostname and not args.ip:
        raise UsageError("-H/--hostname or -I/--ip is required")
    if args.max_redirects < 0:
        raise UsageError("--max-redirects must be 0 or more")
    if args.invert_regex and not (args.regex or args.eregi):
        raise UsageError("--invert-regex needs -r or -R")
    if args.client_key and not args.client_cert:
        raise UsageError("--client-key needs --client-cert")
    if args.sni and args.no_sni:
        raise UsageError("--sni and --no-sni contradict each other")
    request = Request()
    host, vhost_header = _split_vhost(args.hostname) if args.hostname else (args.ip, None)
    if args.ip and args.family:
        try:
            address = ipaddress.ip_address(args.ip)
        except ValueError:
            is_v6 = None
        else:
            # An IPv4-mapped address (::ffff:192.0.2.1) fits either family.
            mapped = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped
            is_v6 = None if mapped else address.version == 6
        if is_v6 is not None and is_v6 != (args.family == socket.AF_INET6):
            flag = "-6" if args.family == socket.AF_INET6 else "-4"
            raise UsageError(f"{flag} contradicts --ip {args.ip}")
    tls = bool(args.ssl or args.certificate or args.client_cert or args.sni)
    scheme = "https" if tls else "http"
    port = args.port or DEFAULT_PORTS[scheme]
    if vhost_header is None:
        bracketed = f"[{host}]" if ":" in host else host
        vhost_header = bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
    request.target = Target(scheme, host, port, args.ip or host, vhost_header, args.uri)
    request.method = args.method or ("POST" if args.data is not None else "GET")
    if args.data is not None:
        request.body = args.data.encode("utf-8")
    headers: list[tuple[str, str]] = []
    if args.data is not None or args.content_type:
        headers.append(("Content-Type", args.content_type or "application/x-www-form-urlencoded"))
    if args.user_agent:
        headers.append(("User-Agent", args.user_agent))
    request.headers = headers + list(args.header)
    credentials = runtime.read_secret(AUTH_ENV, args.auth_file, "basic auth credentials")
    if credentials is not None:
        if ":" not in credentials:
            origin = args.auth_file or f"${AUTH_ENV}"
            raise PluginError(f"basic auth credentials in {origin} must be user:password")
        request.authorization = _basic(credentials)
    request.follow = args.follow
    request.max_redirects = args.max_redirects
    request.family = args.family or socket.AF_UNSPEC
    request.proxy = args.proxy
    request.sni = args.sni
    request.send_sni = not args.no_sni
    request.verify = not args.insecure
    request.ca_file = args.ca_file
    request.client_cert = args.client_cert
    request.client_key = args.client_key
    request.tls_min_version = args.tls_min_version
    request.string = args.string
    if args.regex or args.eregi:
        request.pattern = re.compile(args.regex or args.eregi, re.IGNORECASE if args.eregi else 0)
    request.header_string = args.header_string
    request.want_age = args.max_age is not None
    return request


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the exchange, its judges and its summary."""
    request = _request_from_args(args)
    if args.proxy:
        _parse_proxy(args.proxy, "--proxy")  # reject a bad proxy before any network
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
            Range(f"{warn_days}:") if warn_days is not None else None,
            Range(f"{crit_days}:") if crit_days is not None else None,
            digits=2,
            hint=_cert_hint(ex),
        ),
    ]
    if request.string is not None:
        contexts.append(
            ContentContext("string", True, f"string {request.string!r} not found in the body")
        )
    if request.pattern is not None:
        shown = repr(request.pattern.pattern)
        if args.invert_regex:
            problem = f"pattern {shown} found in the body (--invert-regex)"
        else:
            problem = f"pattern {shown} not found in the body"
        contexts.append(ContentContext("regex", not args.invert_regex, problem))
    if request.header_string is not None:
        contexts.append(
            ContentContext(
                "header_string", True, f"header string {request.header_string!r} not found"
            )
        )
    if args.max_age is not None:
        contexts.append(AgeContext(*args.max_age))
    return PluginCheck(
        resource, *contexts, HttpSummary(resource, bool(args.certificate)), name=NAME
    )


def _document_age(ex: Exchange) -> float | str:
    """Seconds since Last-Modified by the server's clock, or why that cannot be told."""
    modified = ex.header("Last-Modified")
    if modified is None:
        return "no Last-Modified header in the response (-M)"
    try:
        modified_at = email.utils.parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return f"Last-Modified header is not a date: {one_line(repr(modified), 80)}"
    now = datetime.datetime.now(datetime.UTC)
    date = ex.header("Date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            now = email.utils.parsedate_to_datetime(date)
    if modified_at.tzinfo is None:
        modified_at = modified_at.replace(tzinfo=datetime.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.UTC)
    return (now - modified_at).total_seconds()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_http."""
    runtime.run(build_parser(), build_check, argv)
