"""An HTTP/1.1 response as it arrives: the status line, the fields, how the body ends.

Domain model: the answer of a server that may be broken or hostile, framed as RFC 9112
frames it. Everything before the body is bounded (the length of a line, the number and
the total size of the fields) and what does not parse raises a WireError that says what
was wrong, for the caller to turn into one CRITICAL line. The body itself is read by
``plugins.http_wire.Connection``.
"""

from __future__ import annotations

from plugins.line_reader import LineReader, LineTooLong
from plugins.wording import one_line

# What a server may send before its body. Generous for any real server (http.client and
# curl allow about as much), small enough that a hostile one cannot hoard our memory.
MAX_LINE = 64 * 1024
MAX_FIELDS = 100
MAX_HEAD = 256 * 1024
# RFC 9110 token: what a method or a field name is made of. (Sets rather than regular
# expressions: compiling those would cost every run start-up time.)
TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


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


def read_fields(reader: LineReader, what: str, eof_ends: bool = False) -> list[tuple[str, str]]:
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


def read_status_line(reader: LineReader, response: Response) -> None:
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


def describe(exc: BaseException, where: str, received: int) -> str:
    """One line for what the server got wrong (or a request that could not be sent).

    ``where`` names the server as messages do, ``received`` the body's bytes so far.
    """
    if isinstance(exc, NoAnswer):
        return f"{where} closed the connection without answering"
    if isinstance(exc, NotHttp):
        return f"{where} did not answer with HTTP: {one_line(repr(exc.line), 80)}"
    if isinstance(exc, TruncatedHead):
        return f"{where} closed the connection in the middle of the response headers"
    if isinstance(exc, IncompleteBody):
        more = f", {exc.missing} more were announced" if exc.missing else ""
        return f"{where} closed the connection after {received} bytes of the body{more}"
    if isinstance(exc, WireError):
        return f"invalid HTTP response from {where}: {one_line(exc, 120)}"
    return f"cannot send the request to {where}: {one_line(exc)}"
