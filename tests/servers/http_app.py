"""The HTTP(S) test server: the standard library's server running a small application."""

from __future__ import annotations

import base64
import functools
import gzip
import http.server
import json
import socket
import ssl
import time
import urllib.parse
import zlib
from collections.abc import Callable
from typing import cast

from tests.servers.loopback import LOOPBACK, MAX_WAIT

HOME_PAGE = b"<html><body><h1>Welcome to the Vigie test server</h1></body></html>\n"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
BASIC_USER, BASIC_PASSWORD = "monitor", "s3cret:with-colon"
BEARER_TOKEN = "vigie-t0ken.Secret_42"
BOMB_SIZE = 257 * 2**20


@functools.cache
def zero_bomb() -> bytes:
    """BOMB_SIZE zero bytes, gzip-compressed to about 250 KiB: made once per session."""
    packer = zlib.compressobj(1, wbits=31)
    block = bytes(2**20)
    return b"".join(packer.compress(block) for _ in range(BOMB_SIZE // len(block))) + (
        packer.flush()
    )


class Recorded:
    """One request as the server received it."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class TestApp(http.server.BaseHTTPRequestHandler):
    """The application every test server runs; every request is recorded on the server.

    /                   a small home page with Last-Modified
    /echo...            the request itself as JSON (any method)
    /status/NNN         that status
    /slow?delay=S       answers after S seconds (at most MAX_WAIT)
    /redirect/N         a chain of N 302 redirects ending in 200
    /redirect-to?url=U&code=C   one redirect to U
    /big?size=N         N bytes, starting with BEGIN and ending with THE-END
    /chunked            a chunked body
    /modified?age=S     Last-Modified S seconds before Date; none=1 without; bad=1 garbage
    /auth               basic auth required
    /bearer             ``Authorization: Bearer BEARER_TOKEN`` required
    /headers            an extra X-Vigie-Probe response header
    /odd-reason         a reason phrase with a pipe in it
    /truncated          announces 1000 bytes, sends 10, closes
    /compressed?coding=C  the home page 40 times in content coding C (gzip, deflate, br),
                        whatever the request's Accept-Encoding; bomb=1: 257 MiB of zeros
    /control-chars      a reason phrase and a header with terminal escapes, BEL, NUL
    anything else       404; methods other than GET/HEAD/POST outside /echo get 405
    """

    protocol_version = "HTTP/1.1"
    server_version = "VigieTest/1.0"
    __test__ = False  # not a pytest test class

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler dispatches on do_<METHOD>: accept every token.
        if name.startswith("do_"):
            return self.route
        raise AttributeError(name)

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        self.send_response(status, reason)
        merged = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        merged.update(headers or {})
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.requests.append(Recorded(self.command, self.path, headers, body))  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path.startswith("/echo"):
            return self.echo(body, headers)
        if self.command not in ("GET", "HEAD", "POST"):
            return self.reply(405, b"method not allowed\n", {"Allow": "GET, HEAD, POST"})
        if path == "/":
            return self.reply(200, HOME_PAGE, {"Last-Modified": LAST_MODIFIED})
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self.reply(code, f"status {code}\n".encode())
        if path == "/slow":
            time.sleep(min(float(query.get("delay", "1")), MAX_WAIT))
            return self.reply(200, b"slow answer\n")
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left == 0:
                return self.reply(200, b"end of the chain\n")
            return self.reply(302, b"", {"Location": f"/redirect/{left - 1}"})
        if path == "/redirect-to":
            return self.reply(int(query.get("code", "302")), b"", {"Location": query["url"]})
        if path == "/big":
            return self.big(int(query.get("size", "1000000")))
        if path == "/chunked":
            return self.chunked()
        if path == "/modified":
            return self.modified(query)
        if path == "/auth":
            expected = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
            if headers.get("authorization") == f"Basic {expected}":
                return self.reply(200, b"authenticated\n")
            return self.reply(401, b"who are you?\n", {"WWW-Authenticate": 'Basic realm="t"'})
        if path == "/bearer":
            if headers.get("authorization") == f"Bearer {BEARER_TOKEN}":
                return self.reply(200, b"token accepted\n")
            return self.reply(401, b"token?\n", {"WWW-Authenticate": 'Bearer realm="t"'})
        if path == "/headers":
            return self.reply(200, b"see the headers\n", {"X-Vigie-Probe": "ready"})
        if path == "/odd-reason":
            return self.reply(200, b"odd\n", reason="OK | not perfdata")
        if path == "/compressed":
            return self.compressed(query)
        if path == "/control-chars":
            self.send_response_only(200, "OK\x1b[2J\x07\x00\x9b1m done")
            self.send_header("Content-Length", "0")
            self.send_header("X-Escape", "\x1b]0;owned\x07")
            self.end_headers()
            return None
        if path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return None
        return self.reply(404, b"not found\n")

    def echo(self, body: bytes, headers: dict[str, str]) -> None:
        client_cert = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert()
            if peer:
                subject = cast("tuple[tuple[tuple[str, str], ...], ...]", peer["subject"])
                client_cert = dict(rdn[0] for rdn in subject)["commonName"]
        document = {
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "client_cert": client_cert,
        }
        self.reply(200, json.dumps(document).encode(), {"Content-Type": "application/json"})

    def big(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        head, tail = b"BEGIN", b"THE-END"
        filler = size - len(head) - len(tail)
        self.wfile.write(head)
        block = b"x" * 65536
        while filler > 0:
            self.wfile.write(block[: min(filler, len(block))])
            filler -= len(block)
        self.wfile.write(tail)

    def compressed(self, query: dict[str, str]) -> None:
        coding = query.get("coding", "gzip")
        if "bomb" in query:
            body = zero_bomb()
        elif coding == "deflate":
            body = zlib.compress(HOME_PAGE * 40)
        else:  # br is not really brotli here: only its name matters to the client
            body = gzip.compress(HOME_PAGE * 40)
        self.reply(200, body, {"Content-Encoding": coding, "Vary": "Accept-Encoding"})

    def chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (b"first piece, ", b"second piece, ", b"last piece\n"):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def modified(self, query: dict[str, str]) -> None:
        now = time.time()
        headers = {"Date": self.date_time_string(int(now))}
        if "bad" in query:
            headers["Last-Modified"] = "last tuesday, probably"
        elif "age" in query:
            headers["Last-Modified"] = self.date_time_string(int(now - float(query["age"])))
        self.reply(200, b"dated document\n", headers)


class TestServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that records requests (and SNI names, over TLS)."""

    daemon_threads = True
    block_on_close = False
    __test__ = False

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((LOOPBACK, 0), TestApp)
        self.tls = tls
        self.requests: list[Recorded] = []
        self.server_names: list[str | None] = []
        self.handshake_errors: list[str] = []
        if tls is not None:
            tls.sni_callback = self._record_sni

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def _record_sni(self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if self.tls is None:
            return super().finish_request(request, client_address)
        # The TLS handshake happens in the handler thread, so a stuck client blocks no one.
        request.settimeout(MAX_WAIT)
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.handshake_errors.append(str(exc))
            return None
        try:
            self.RequestHandlerClass(tls_sock, client_address, self)  # type: ignore[arg-type]
        except (ssl.SSLError, OSError) as exc:
            self.handshake_errors.append(str(exc))
        finally:
            tls_sock.close()
        return None

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are part of the tests
