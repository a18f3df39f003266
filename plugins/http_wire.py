"""HTTP/1.1 on a socket: one request out, one response in, each step timed.

Domain model: an HTTP/1.1 exchange framed as RFC 9112 frames it. The client connects
(TCP, then optionally a CONNECT tunnel through a proxy, then TLS), sends a request line
and its header fields, and reads back a status line, header fields and a body whose end
is told by the response itself: no body at all (HEAD, 1xx, 204, 304), ``Content-Length``
bytes, chunked transfer coding (with trailer fields), or everything until the server
closes. Interim 1xx responses are skipped.

A monitoring check talks to servers that may be broken or hostile, so everything the
server sends is bounded: the length of a line, the number and total size of header
fields, the size of a chunk, and every wait (``budget()`` gives the timeout of the next
one and raises TimeoutError once none is left). What does not parse raises a WireError
that says what was wrong, for the caller to turn into one CRITICAL line.

The marks ``time_connect``, ``time_tls``, ``time_firstbyte`` and ``time_headers`` (from the
request sent), and ``time_transfer`` (the body) land in ``Connection.timings`` as each
step completes, so a failure keeps the ones already taken.

Only ``socket`` is imported: http.client would bring the ``email`` package (tens of
milliseconds of start-up), and ``ssl`` arrives with the TLS context a caller passes in.
"""

from __future__ import annotations

import logging
import socket
import time

from plugins import network
from plugins.line_reader import RECV_SIZE, LineReader, LineTooLong

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterator

_log = logging.getLogger(__name__)

# What a server may send before its body. Generous for any real server (http.client and
# curl allow about as much), small enough that a hostile one cannot hoard our memory.
MAX_LINE = 64 * 1024
MAX_FIELDS = 100
MAX_HEAD = 256 * 1024
# 1xx responses accepted before the final one.
MAX_INTERIM = 10
# RFC 9110 token: what a method or a field name is made of. (Sets rather than regular
# expressions: compiling those would cost every run start-up time.)
TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
# A chunk size up to 2**64 - 1; anything longer is not a size but an attack.
MAX_CHUNK_DIGITS = 16


# --- what can go wrong ----------------------------------------------------------------


class WireError(Exception):
    """The server's answer breaks HTTP/1.1 (the message says how)."""


class NoAnswer(WireError):
    """The connection ended before the first byte of a response."""


class NotHttp(WireError):
    """The first line is not an HTTP status line; ``line`` is what came instead."""

    def __init__(self, line: str) -> None:
        super().__init__(f"not an HTTP status line: {line!r}")
        self.line = line


class TruncatedHead(WireError):
    """The connection ended before the blank line that ends the header fields."""


class IncompleteBody(WireError):
    """The connection ended inside the body: ``received`` bytes, ``missing`` announced."""

    def __init__(self, received: int, missing: int | None) -> None:
        more = f", {missing} more announced" if missing else ""
        super().__init__(f"connection closed after {received} bytes of the body{more}")
        self.received = received
        self.missing = missing


class TunnelRefused(WireError):
    """The proxy answered CONNECT with something other than 2xx."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"CONNECT refused: {status} {reason}")
        self.status = status
        self.reason = reason


class RequestError(ValueError):
    """The request itself cannot be put on the wire (a caller's mistake, not the server's)."""


def is_token(text: str) -> bool:
    """True when ``text`` is an RFC 9110 token (a method, a field name)."""
    return bool(text) and TOKEN_CHARS.issuperset(text)


# --- the response ---------------------------------------------------------------------


class Response:
    """A response as received: status, reason, fields in order, trailers after the body.

    ``first_byte_at`` and ``headers_at`` are ``time.perf_counter()`` readings.
    """

    __slots__ = (
        "first_byte_at",
        "headers",
        "headers_at",
        "method",
        "reason",
        "status",
        "trailers",
        "version",
    )

    def __init__(self, method: str) -> None:
        self.method = method
        self.version = ""
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []
        self.first_byte_at = 0.0
        self.headers_at = 0.0

    def values(self, name: str) -> list[str]:
        """Every value of the header field ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def header(self, name: str) -> str | None:
        """The first value of the header field ``name``, if any."""
        found = self.values(name)
        return found[0] if found else None

    def framing(self) -> tuple[str, int | None]:
        """How the body ends (RFC 9112, 6.3): ``none``, ``length`` N, ``chunked``, ``close``."""
        if (
            self.method == "HEAD"
            or self.status < 200
            or self.status in (204, 304)
            or (self.method == "CONNECT" and self.status < 300)
        ):
            return "none", None
        codings = [
            coding.strip().lower()
            for value in self.values("Transfer-Encoding")
            for coding in value.split(",")
            if coding.strip()
        ]
        if codings:
            # Transfer-Encoding overrides Content-Length; unless chunked comes last, only
            # the end of the connection ends the body.
            return ("chunked" if codings[-1] == "chunked" else "close"), None
        lengths = {
            item.strip() for value in self.values("Content-Length") for item in value.split(",")
        }
        if not lengths:
            return "close", None
        length = lengths.pop()
        if lengths or not length.isdigit() or len(length) > 18:
            shown = ", ".join(self.values("Content-Length"))
            raise WireError(f"invalid Content-Length {shown[:80]!r}")
        return "length", int(length)


# --- reading --------------------------------------------------------------------------


def _read_fields(reader: LineReader, what: str, eof_ends: bool = False) -> list[tuple[str, str]]:
    """Header (or trailer) fields up to the blank line that ends them, within the limits.

    With ``eof_ends``, an end of stream where the next field would start ends them too.
    """
    fields: list[tuple[str, str]] = []
    total = 0
    while True:
        try:
            raw = reader.readline(MAX_LINE)
        except LineTooLong:
            raise WireError(f"a {what} line longer than {MAX_LINE} bytes") from None
        if not raw and eof_ends:
            return fields
        if not raw.endswith(b"\n"):
            raise TruncatedHead(f"end of stream inside the {what}s")
        total += len(raw)
        if total > MAX_HEAD:
            raise WireError(f"{what}s larger than {MAX_HEAD} bytes")
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            return fields
        if line[0] in " \t" and fields:
            # Obsolete line folding (RFC 9112, 5.2): the continuation joins with a space.
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not is_token(name):
            raise WireError(f"malformed {what} line {line[:80]!r}")
        if len(fields) == MAX_FIELDS:
            raise WireError(f"more than {MAX_FIELDS} {what}s")
        fields.append((name, value.strip(" \t")))


def _read_status_line(reader: LineReader, response: Response) -> None:
    """The status line (``HTTP/1.1 200 OK``) into ``response``."""
    try:
        raw = reader.readline(MAX_LINE)
    except LineTooLong:
        head = bytes(reader.buffer[:40]).decode("latin-1")
        if not head.startswith("HTTP/"):
            raise NotHttp(head) from None
        raise WireError(f"a status line longer than {MAX_LINE} bytes") from None
    if not raw:
        raise NoAnswer("end of stream before the status line")
    line = raw.decode("latin-1")
    if not line.startswith("HTTP/"):
        raise NotHttp(line)
    parts = line.rstrip("\r\n").split(None, 2)
    if len(parts) < 2 or len(parts[1]) != 3 or not parts[1].isdigit() or parts[1][0] == "0":
        raise NotHttp(line)
    if parts[0] not in ("HTTP/1.1", "HTTP/1.0"):
        raise WireError(f"unsupported protocol version {parts[0][:20]!r}")
    response.version, response.status = parts[0], int(parts[1])
    response.reason = parts[2].strip() if len(parts) > 2 else ""


# --- the connection -------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 connection for one request: open, [tunnel,] [start_tls,] send, read.

    ``budget()`` returns the timeout for the next network wait (raising TimeoutError when
    none is left); ``step(activity)`` is told what the connection is doing, for messages.
    """

    def __init__(self, budget: Callable[[], float], step: Callable[[str], None]) -> None:
        self.budget = budget
        self.step = step
        self.sock: socket.socket | None = None
        self.timings: dict[str, float] = {}
        self.sent_at = 0.0
        self.peer_cert_der: bytes | None = None
        self.peer_cert: dict[str, object] | None = None
        self._reader: LineReader | None = None

    # Connecting ------------------------------------------------------------------------

    def open(self, host: str, port: int, family: int = socket.AF_UNSPEC) -> None:
        """Resolve ``host`` and connect by TCP to the first of its addresses that answers."""
        self.sock, self.timings["time_connect"] = network.connect(
            host, port, family=family, budget=self.budget, step=self.step
        )

    def tunnel(self, authority: str, proxy_authorization: str | None = None) -> None:
        """Ask the proxy this connection reaches for a tunnel to ``authority`` (host:port)."""
        fields = [("Host", authority)]
        if proxy_authorization:
            fields.append(("Proxy-Authorization", proxy_authorization))
        self._send_head("CONNECT", authority, fields, None)
        reader = self._reading()
        response = self._read_head(reader, "CONNECT")
        if not 200 <= response.status < 300:
            raise TunnelRefused(response.status, response.reason)
        if reader.buffer:
            raise WireError("the proxy sent data before the tunnel was used")
        self._reader = None  # what follows comes from the far end (and maybe through TLS)

    def start_tls(self, context: ssl.SSLContext, server_name: str | None) -> None:
        """The TLS handshake on the open connection; keeps the server's certificate."""
        sock = self._socket()
        started = time.perf_counter()
        sock.settimeout(self.budget())
        tls_sock = context.wrap_socket(sock, server_hostname=server_name)
        self.timings["time_tls"] = time.perf_counter() - started
        self.sock = tls_sock
        self._reader = None
        self.peer_cert_der = tls_sock.getpeercert(binary_form=True)
        self.peer_cert = tls_sock.getpeercert() or None  # type: ignore[assignment]
        _log.info("%s with %s", tls_sock.version(), (tls_sock.cipher() or ("?",))[0])

    # The exchange ----------------------------------------------------------------------

    def send(
        self, method: str, target: str, fields: list[tuple[str, str]], body: bytes | None
    ) -> None:
        """Send the request: ``target`` in origin form (``/path``) or absolute form (proxy).

        The caller chooses every header field, Host and Content-Length included.
        """
        self._send_head(method, target, fields, body)
        self.sent_at = time.perf_counter()

    def read_head(self, method: str) -> Response:
        """The final response's status line and header fields (1xx responses skipped)."""
        response = self._read_head(self._reading(), method)
        self.timings["time_firstbyte"] = response.first_byte_at - self.sent_at
        self.timings["time_headers"] = response.headers_at - self.sent_at
        return response

    def read_body(self, response: Response) -> Iterator[bytes]:
        """The body's bytes as they arrive, de-chunked; trailers land in ``response``.

        Raises IncompleteBody when the connection ends before the body does.
        """
        framing, length = response.framing()
        reader = self._reading()
        if framing == "chunked":
            yield from self._chunked(reader, response)
        elif framing == "length":
            assert length is not None
            left = length
            while left:
                data = reader.read_some(min(left, RECV_SIZE))
                if not data:
                    raise IncompleteBody(length - left, left)
                left -= len(data)
                yield data
        elif framing == "close":
            # Bounded by the budget: it raises TimeoutError once the time is spent.
            while data := reader.read_some(RECV_SIZE):
                yield data
        self.timings["time_transfer"] = time.perf_counter() - response.headers_at

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self._reader = None

    # Inside ----------------------------------------------------------------------------

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise WireError("the connection is not open")
        return self.sock

    def _reading(self) -> LineReader:
        if self._reader is None:
            self._reader = LineReader(self._socket(), self.budget)
        return self._reader

    def _send_head(
        self, method: str, target: str, fields: list[tuple[str, str]], body: bytes | None
    ) -> None:
        if not is_token(method):
            raise RequestError(f"invalid method {method!r}")
        # Printable ASCII without spaces: anything else would break the request line.
        if not (target.isascii() and target.isprintable()) or not target or " " in target:
            raise RequestError(f"invalid request target {target[:200]!r}")
        lines = [f"{method} {target} HTTP/1.1"]
        for name, value in fields:
            if not is_token(name) or "\r" in value or "\n" in value or "\0" in value:
                raise RequestError(f"invalid header field {name[:80]!r}")
            lines.append(f"{name}: {value}")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise RequestError("a header field has characters outside ISO-8859-1") from None
        sock = self._socket()
        sock.settimeout(self.budget())
        sock.sendall(head + body if body else head)

    def _read_head(self, reader: LineReader, method: str) -> Response:
        first_byte_at = 0.0
        for _ in range(MAX_INTERIM + 1):
            if not reader.buffer and not reader.fill():
                raise NoAnswer("end of stream before the status line")
            first_byte_at = first_byte_at or time.perf_counter()
            response = Response(method)
            response.first_byte_at = first_byte_at
            _read_status_line(reader, response)
            response.headers = _read_fields(reader, "header field")
            response.headers_at = time.perf_counter()
            # 101 Switching Protocols is final; other 1xx announce the real response.
            if response.status >= 200 or response.status == 101:
                return response
            _log.info("interim response %s %s", response.status, response.reason)
        raise WireError(f"more than {MAX_INTERIM} interim (1xx) responses")

    def _chunked(self, reader: LineReader, response: Response) -> Iterator[bytes]:
        received = 0
        while True:
            try:
                line = reader.readline(MAX_LINE)
            except LineTooLong:
                raise WireError("a chunk size line too long") from None
            if not line.endswith(b"\n"):
                raise IncompleteBody(received, None)
            size_text = line.split(b";", 1)[0].strip(b" \t\r\n")
            if not 0 < len(size_text) <= MAX_CHUNK_DIGITS or not HEX_DIGITS.issuperset(size_text):
                raise WireError(f"invalid chunk size {line[:40].decode('latin-1')!r}")
            left = int(size_text, 16)
            if left == 0:
                break
            while left:
                data = reader.read_some(min(left, RECV_SIZE))
                if not data:
                    raise IncompleteBody(received, left)
                received += len(data)
                left -= len(data)
                yield data
            try:
                end = reader.readline(2)
            except LineTooLong:
                end = b"?"
            if not end:
                raise IncompleteBody(received, None)
            if end not in (b"\r\n", b"\n"):
                raise WireError("chunk longer than its announced size")
        # Some servers close right after the last chunk: the body is complete all the same.
        response.trailers = _read_fields(reader, "trailer field", eof_ends=True)
