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
from plugins.http_response import (
    MAX_LINE,
    IncompleteBody,
    NoAnswer,
    NotHttp,
    RequestError,
    Response,
    TruncatedHead,
    TunnelRefused,
    WireError,
    is_token,
    read_fields,
    read_status_line,
)
from plugins.line_reader import RECV_SIZE, LineReader, LineTooLong

# The response side lives in plugins.http_response; its names are part of this API too.
__all__ = [
    "Connection",
    "IncompleteBody",
    "NoAnswer",
    "NotHttp",
    "RequestError",
    "Response",
    "TruncatedHead",
    "TunnelRefused",
    "WireError",
    "is_token",
]

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterator

    from plugins.line_reader import Stream

_log = logging.getLogger(__name__)

# 1xx responses accepted before the final one.
MAX_INTERIM = 10
HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
# A chunk size up to 2**64 - 1; anything longer is not a size but an attack.
MAX_CHUNK_DIGITS = 16


# --- the connection -------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 connection for one request: open, [tunnel,] [start_tls,] send, read.

    ``budget()`` returns the timeout for the next network wait (raising TimeoutError when
    none is left); ``step(activity)`` is told what the connection is doing, for messages.
    """

    def __init__(self, budget: Callable[[], float], step: Callable[[str], None]) -> None:
        self.budget = budget
        self.step = step
        self.sock: Stream | None = None
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

    def start_tls(
        self, context: ssl.SSLContext, server_name: str | None, *, to_proxy: bool = False
    ) -> None:
        """The TLS handshake on the open connection (TLS already, through an https proxy).

        Keeps the server's certificate and times the handshake, unless ``to_proxy`` says
        that this is the handshake with an ``https://`` proxy itself.
        """
        from plugins import tls  # loaded with the context the caller passes in

        sock = self._socket()
        started = time.perf_counter()
        sock.settimeout(self.budget())
        tls_sock = tls.wrap(context, sock, server_name)
        self.sock = tls_sock
        self._reader = None
        version, cipher = tls_sock.version(), (tls_sock.cipher() or ("?",))[0]
        _log.info("%s with %s%s", version, cipher, " (to the proxy)" if to_proxy else "")
        if to_proxy:
            return
        self.timings["time_tls"] = time.perf_counter() - started
        self.peer_cert_der = tls_sock.getpeercert(binary_form=True)
        self.peer_cert = tls_sock.getpeercert() or None  # type: ignore[assignment]

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

    def _socket(self) -> Stream:
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
            read_status_line(reader, response)
            response.headers = read_fields(reader, "header field")
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
        response.trailers = read_fields(reader, "trailer field", eof_ends=True)
