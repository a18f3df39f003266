"""plugins/http_wire.py, HTTP/1.1 on a socket, against real servers on 127.0.0.1.

A scripted server answers each connection with bytes the test chose, exactly, so every
framing rule is checked on the wire: Content-Length, chunked with extensions and trailers,
read-to-close, no body for HEAD/204/304, interim 1xx responses, and the limits that keep
a hostile server from holding the check (oversized headers, bad chunk sizes, a body cut
short). The test servers of conftest cover TLS and the proxy tunnel.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator

import pytest

from plugins import http_wire
from plugins.http_wire import Connection, Response
from tests.servers.http_app import TestServer
from tests.servers.loopback import LOOPBACK, MAX_WAIT
from tests.servers.pki import Certificates
from tests.servers.proxy import ProxyServer
from tests.servers.scripted import ScriptedServer

BUDGET = 3.0
Scripted = Callable[..., ScriptedServer]


def budget_of(seconds: float) -> Callable[[], float]:
    """A time budget as the plugin gives one: the time left, TimeoutError once spent."""
    ends = time.monotonic() + seconds

    def budget() -> float:
        left = ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("budget spent")
        return left

    return budget


class Exchange:
    """One request on a fresh Connection, and what came back."""

    def __init__(self, conn: Connection, response: Response, body: bytes) -> None:
        self.conn = conn
        self.response = response
        self.body = body


def fetch(
    port: int,
    method: str = "GET",
    target: str = "/",
    fields: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    seconds: float = BUDGET,
) -> Exchange:
    """Connect to 127.0.0.1:``port``, send one request, read the whole response."""
    steps: list[str] = []
    conn = Connection(budget_of(seconds), steps.append)
    try:
        conn.open(LOOPBACK, port)
        conn.send(method, target, fields or [("Host", "test")], body)
        response = conn.read_head(method)
        received = b"".join(conn.read_body(response))
    finally:
        conn.close()
    return Exchange(conn, response, received)


def head(*fields: str, status: str = "200 OK") -> bytes:
    """A response head: status line, the given field lines, the blank line."""
    return "".join(f"{line}\r\n" for line in (f"HTTP/1.1 {status}", *fields, "")).encode()


# --- the request ----------------------------------------------------------------------


def test_request_goes_out_as_written(scripted_server: Scripted) -> None:
    server = scripted_server(head("Content-Length: 2") + b"ok")
    fields = [("Host", "vhost.test:8080"), ("Content-Length", "7"), ("X-Probe", "ready")]
    got = fetch(server.port, "PUT", "/path?q=1", fields, b"payload")
    assert server.requests == [
        b"PUT /path?q=1 HTTP/1.1\r\nHost: vhost.test:8080\r\nContent-Length: 7\r\n"
        b"X-Probe: ready\r\n\r\npayload"
    ]
    assert (got.response.status, got.response.reason, got.body) == (200, "OK", b"ok")


@pytest.mark.parametrize(
    ("method", "target", "fields", "why"),
    [
        ("GE T", "/", [], "invalid method"),
        ("GET", "/a b", [], "invalid request target"),
        ("GET", "/\u00e9", [], "invalid request target"),
        ("GET", "/", [("X-Bad", "one\r\nInjected: two")], "invalid header field 'X-Bad'"),
        ("GET", "/", [("Bad Name", "x")], "invalid header field"),
        ("GET", "/", [("X-Euro", "\u20ac")], "outside ISO-8859-1"),
    ],
)
def test_a_request_that_would_break_its_framing_is_refused(
    scripted_server: Scripted,
    method: str,
    target: str,
    fields: list[tuple[str, str]],
    why: str,
) -> None:
    server = scripted_server(head("Content-Length: 0"))
    conn = Connection(budget_of(BUDGET), lambda _: None)
    try:
        conn.open(LOOPBACK, server.port)
        with pytest.raises(http_wire.RequestError, match=why):
            conn.send(method, target, fields, None)
    finally:
        conn.close()


# --- bodies ---------------------------------------------------------------------------


def test_content_length_body_is_read_exactly(
    scripted_server: Scripted,
) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value
    # Bytes past the announced length are not part of the body.
    server = scripted_server(head(f"Content-Length: {len(body)}") + body + b"EXTRA")
    got = fetch(server.port)
    assert got.body == body


def test_chunked_body_with_extensions_and_trailers(
    scripted_server: Scripted,
) -> None:
    chunks = (
        b"5;name=value\r\nfirst\r\n"
        b"A \r\n0123456789\r\n"
        b"1\r\n!\r\n"
        b"0\r\nX-Checksum: abc123\r\nX-Other:  two words \r\n\r\n"
    )
    server = scripted_server(head("Transfer-Encoding: chunked") + chunks)
    got = fetch(server.port)
    assert got.body == b"first0123456789!"
    assert got.response.trailers == [("X-Checksum", "abc123"), ("X-Other", "two words")]


def test_chunked_wins_over_content_length(scripted_server: Scripted) -> None:
    server = scripted_server(
        head("Content-Length: 3", "Transfer-Encoding: chunked") + b"6\r\nchunks\r\n0\r\n\r\n"
    )
    assert fetch(server.port).body == b"chunks"


def test_chunked_body_closed_after_the_last_chunk_is_complete(
    scripted_server: Scripted,
) -> None:
    # No blank line after the last chunk: the body is whole all the same.
    server = scripted_server(head("Transfer-Encoding: chunked") + b"4\r\ndone\r\n0\r\n")
    got = fetch(server.port)
    assert (got.body, got.response.trailers) == (b"done", [])


@pytest.mark.parametrize(
    ("chunks", "why"),
    [
        (b"zz\r\nabc\r\n0\r\n\r\n", "invalid chunk size 'zz\\\\r\\\\n'"),
        (b"-5\r\nabc\r\n0\r\n\r\n", "invalid chunk size"),
        (b"\r\nabc\r\n0\r\n\r\n", "invalid chunk size"),
        (b"11111111111111111\r\nabc\r\n", "invalid chunk size"),
        (b"3\r\nabcdef\r\n0\r\n\r\n", "chunk longer than its announced size"),
        (b"3\r\nabc\r\n0\r\nno colon in this trailer\r\n\r\n", "malformed trailer field line"),
    ],
)
def test_bad_chunks_are_wire_errors(scripted_server: Scripted, chunks: bytes, why: str) -> None:
    server = scripted_server(head("Transfer-Encoding: chunked") + chunks)
    with pytest.raises(http_wire.WireError, match=why):
        fetch(server.port)


def test_chunked_body_cut_short(scripted_server: Scripted) -> None:
    server = scripted_server(head("Transfer-Encoding: chunked") + b"4\r\nfull\r\n10\r\nhalf")
    with pytest.raises(http_wire.IncompleteBody) as caught:
        fetch(server.port)
    assert (caught.value.received, caught.value.missing) == (8, 12)


def test_content_length_body_cut_short(scripted_server: Scripted) -> None:
    server = scripted_server(head("Content-Length: 100") + b"0123456789")
    with pytest.raises(http_wire.IncompleteBody) as caught:
        fetch(server.port)
    assert (caught.value.received, caught.value.missing) == (10, 90)


def test_without_length_the_body_ends_with_the_connection(
    scripted_server: Scripted,
) -> None:
    body = b"read until the server closes\n" * 5000
    server = scripted_server(head("Content-Type: text/plain") + body)
    assert fetch(server.port).body == body


def test_unknown_transfer_coding_is_read_to_close(
    scripted_server: Scripted,
) -> None:
    server = scripted_server(head("Transfer-Encoding: gzip", "Content-Length: 2") + b"opaque bytes")
    assert fetch(server.port).body == b"opaque bytes"


@pytest.mark.parametrize(
    ("method", "status"), [("HEAD", "200 OK"), ("GET", "204 No Content"), ("GET", "304 Not")]
)
def test_responses_without_a_body(scripted_server: Scripted, method: str, status: str) -> None:
    # The server announces a body it never sends and keeps the connection open: reading
    # one would wait until the budget ran out.
    server = scripted_server(head("Content-Length: 100", status=status), hold=True)
    got = fetch(server.port, method, seconds=MAX_WAIT)
    assert got.body == b""
    assert "time_transfer" in got.conn.timings


@pytest.mark.parametrize("lengths", [("12, 13",), ("12", "13"), ("abc",), ("-1",), ("9" * 30,)])
def test_invalid_content_length(scripted_server: Scripted, lengths: tuple[str, ...]) -> None:
    server = scripted_server(head(*(f"Content-Length: {value}" for value in lengths)) + b"x" * 13)
    with pytest.raises(http_wire.WireError, match="invalid Content-Length"):
        fetch(server.port)


def test_repeated_identical_content_length_is_fine(
    scripted_server: Scripted,
) -> None:
    server = scripted_server(head("Content-Length: 4, 4", "Content-Length: 4") + b"same")
    assert fetch(server.port).body == b"same"


# --- the head -------------------------------------------------------------------------


def test_interim_responses_are_skipped(scripted_server: Scripted) -> None:
    reply = (
        head(status="100 Continue")
        + head("Link: </style.css>", status="103 Early Hints")
        + head("Content-Length: 5", status="201 Created")
        + b"final"
    )
    got = fetch(scripted_server(reply).port)
    assert (got.response.status, got.response.reason, got.body) == (201, "Created", b"final")
    assert got.response.headers == [("Content-Length", "5")]


def test_endless_interim_responses_are_refused(
    scripted_server: Scripted,
) -> None:
    server = scripted_server(head(status="100 Continue") * 50)
    with pytest.raises(http_wire.WireError, match="more than 10 interim"):
        fetch(server.port)


def test_fields_keep_their_order_case_and_repeats(
    scripted_server: Scripted,
) -> None:
    reply = (
        b"HTTP/1.0 404\r\n"  # HTTP/1.0, no reason phrase, bare LF below
        b"Set-Cookie: a=1\nX-Folded: first\r\n   second\r\nset-cookie: b=2\r\n"
        b"Empty:\r\n\r\n"
    )
    got = fetch(scripted_server(reply).port)
    response = got.response
    assert (response.version, response.status, response.reason) == ("HTTP/1.0", 404, "")
    assert response.headers == [
        ("Set-Cookie", "a=1"),
        ("X-Folded", "first second"),
        ("set-cookie", "b=2"),
        ("Empty", ""),
    ]
    assert response.values("SET-COOKIE") == ["a=1", "b=2"]
    assert response.header("x-missing") is None


def test_too_many_header_fields(scripted_server: Scripted) -> None:
    server = scripted_server(head(*(f"X-N{n}: {n}" for n in range(101))))
    with pytest.raises(http_wire.WireError, match="more than 100 header fields"):
        fetch(server.port)
    at_the_limit = scripted_server(head(*(f"X-N{n}: {n}" for n in range(100))))
    assert len(fetch(at_the_limit.port).response.headers) == 100


def test_header_line_too_long(scripted_server: Scripted) -> None:
    server = scripted_server(head("X-Big: " + "x" * 70000))
    with pytest.raises(http_wire.WireError, match="header field line longer than 65536"):
        fetch(server.port)


def test_headers_too_large_in_total(scripted_server: Scripted) -> None:
    server = scripted_server(head(*(f"X-Part{n}: {'y' * 6000}" for n in range(50))))
    with pytest.raises(http_wire.WireError, match="header fields larger than 262144 bytes"):
        fetch(server.port)


def test_header_line_without_a_colon(scripted_server: Scripted) -> None:
    server = scripted_server(head("this is not a header field"))
    with pytest.raises(http_wire.WireError, match="malformed header field line"):
        fetch(server.port)


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.2p1\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00" + b"\x00" * 70000,  # a TLS record, with no line end at all
    ],
)
def test_not_a_status_line(scripted_server: Scripted, reply: bytes) -> None:
    with pytest.raises(http_wire.NotHttp) as caught:
        fetch(scripted_server(reply).port)
    assert caught.value.line == reply[: len(caught.value.line)].decode("latin-1")


def test_unsupported_version(scripted_server: Scripted) -> None:
    with pytest.raises(http_wire.WireError, match=r"unsupported protocol version 'HTTP/2\.0'"):
        fetch(scripted_server(b"HTTP/2.0 200 OK\r\n\r\n").port)


def test_closed_without_an_answer(scripted_server: Scripted) -> None:
    with pytest.raises(http_wire.NoAnswer):
        fetch(scripted_server(b"").port)


def test_closed_in_the_middle_of_the_headers(
    scripted_server: Scripted,
) -> None:
    with pytest.raises(http_wire.TruncatedHead):
        fetch(scripted_server(b"HTTP/1.1 200 OK\r\nServer: half\r\nContent-Ty").port)


def test_a_silent_server_ends_with_the_budget(
    scripted_server: Scripted,
) -> None:
    server = scripted_server(b"", hold=True)
    with pytest.raises(TimeoutError):
        fetch(server.port, seconds=0.3)


# --- timing marks ---------------------------------------------------------------------


def test_timing_marks(scripted_server: Scripted) -> None:
    got = fetch(scripted_server(head("Content-Length: 4") + b"body").port)
    timings = got.conn.timings
    assert sorted(timings) == ["time_connect", "time_firstbyte", "time_headers", "time_transfer"]
    assert all(value >= 0 for value in timings.values())
    assert timings["time_firstbyte"] <= timings["time_headers"]
    response = got.response
    assert got.conn.sent_at <= response.first_byte_at <= response.headers_at


# --- TLS and proxies ------------------------------------------------------------------


@pytest.fixture
def tls_test_server(
    tls_server: Callable[..., TestServer], certs: Certificates
) -> Iterator[tuple[TestServer, ssl.SSLContext]]:
    """An HTTPS test server and a client context that trusts its CA."""
    context = ssl.create_default_context(cafile=str(certs.ca))
    yield tls_server("valid"), context


def test_tls_handshake_keeps_the_certificate_and_its_time(
    tls_test_server: tuple[TestServer, ssl.SSLContext],
) -> None:
    server, context = tls_test_server
    conn = Connection(budget_of(BUDGET), lambda _: None)
    try:
        conn.open(LOOPBACK, server.port)
        conn.start_tls(context, "localhost")
        conn.send("GET", "/echo/tls", [("Host", "localhost")], None)
        response = conn.read_head("GET")
        body = b"".join(conn.read_body(response))
    finally:
        conn.close()
    assert response.status == 200 and b'"path": "/echo/tls"' in body
    assert conn.peer_cert_der and conn.peer_cert_der.startswith(b"\x30")
    assert conn.peer_cert is not None and "subjectAltName" in conn.peer_cert
    assert "time_tls" in conn.timings
    assert server.server_names == ["localhost"]


def test_connect_tunnel_through_a_proxy(
    proxy_server: Callable[..., ProxyServer],
    tls_test_server: tuple[TestServer, ssl.SSLContext],
) -> None:
    server, context = tls_test_server
    proxy = proxy_server()
    conn = Connection(budget_of(BUDGET), lambda _: None)
    authority = f"localhost:{server.port}"
    try:
        conn.open(LOOPBACK, proxy.port)
        conn.tunnel(authority, "Basic dGVzdDp0ZXN0")
        conn.start_tls(context, "localhost")
        conn.send("GET", "/echo/tunnelled", [("Host", "localhost")], None)
        response = conn.read_head("GET")
        b"".join(conn.read_body(response))
    finally:
        conn.close()
    assert response.status == 200
    assert proxy.seen == [("CONNECT", authority, "Basic dGVzdDp0ZXN0")]
    assert server.requests[-1].path == "/echo/tunnelled"


def test_a_refused_tunnel(proxy_server: Callable[..., ProxyServer]) -> None:
    proxy = proxy_server(required_auth="Basic c29tZW9uZTplbHNl")
    conn = Connection(budget_of(BUDGET), lambda _: None)
    try:
        conn.open(LOOPBACK, proxy.port)
        with pytest.raises(http_wire.TunnelRefused) as caught:
            conn.tunnel(f"{LOOPBACK}:443")
    finally:
        conn.close()
    assert (caught.value.status, caught.value.reason) == (407, "Proxy Authentication Required")


def test_steps_name_what_the_connection_is_doing(
    scripted_server: Scripted,
) -> None:
    server = scripted_server(head("Content-Length: 0"))
    steps: list[str] = []
    conn = Connection(budget_of(BUDGET), steps.append)
    try:
        conn.open("localhost", server.port, socket.AF_INET)
    finally:
        conn.close()
    assert steps == ["resolving localhost", f"connecting to 127.0.0.1 port {server.port}"]


def test_refused_connection_is_the_os_error(http_server: TestServer) -> None:
    port = http_server.port
    http_server.shutdown()
    http_server.server_close()
    conn = Connection(budget_of(BUDGET), lambda _: None)
    with pytest.raises(ConnectionRefusedError):
        conn.open(LOOPBACK, port)
    assert conn.sock is None and conn.timings == {}
