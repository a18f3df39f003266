"""An HTTP proxy on 127.0.0.1 that forwards requests and tunnels CONNECT, over TLS too.

It knows a few host names of its own (``names``), all of them 127.0.0.1: a proxy does
the resolving for its clients, so a test can name a host that only the proxy knows.
"""

from __future__ import annotations

import http.client
import http.server
import select
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable

from tests.servers.loopback import LOOPBACK, MAX_WAIT


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Forwards absolute-form requests and tunnels CONNECT, to 127.0.0.1 only (by address
    or by one of the proxy's ``names``)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _authorized(self) -> bool:
        proxy: ProxyServer = self.server  # type: ignore[assignment]
        proxy.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        if proxy.required_auth and self.headers.get("Proxy-Authorization") != proxy.required_auth:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_CONNECT(self) -> None:
        if not self._authorized():
            return
        host, _, port = self.path.rpartition(":")
        if not self._known(host):
            self.send_error(403)
            return
        upstream = socket.create_connection((LOOPBACK, int(port)), timeout=MAX_WAIT)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        deadline = time.monotonic() + MAX_WAIT
        try:
            while time.monotonic() < deadline:
                # Bytes TLS has already decrypted are not visible to select.
                pending = [s for s in sockets if isinstance(s, ssl.SSLSocket) and s.pending()]
                ready = pending or select.select(sockets, [], [], 0.1)[0]
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True

    def _known(self, host: str) -> bool:
        proxy: ProxyServer = self.server  # type: ignore[assignment]
        return host == LOOPBACK or host in proxy.names

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)

    def forward(self) -> None:
        if not self._authorized():
            return
        url = urllib.parse.urlsplit(self.path)
        if not self._known(url.hostname or ""):
            self.send_error(403)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(LOOPBACK, url.port or 80, timeout=MAX_WAIT)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-authorization"}
        upstream.request(self.command, url.path + (f"?{url.query}" if url.query else ""),
                         body, headers)  # fmt: skip
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Via", "1.1 vigie-test-proxy")
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()


class ProxyServer(http.server.ThreadingHTTPServer):
    """The test proxy; ``seen`` lists (method, target, Proxy-Authorization) per request."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        required_auth: str | None = None,
        tls: ssl.SSLContext | None = None,
        names: tuple[str, ...] = ("localhost",),
    ) -> None:
        super().__init__((LOOPBACK, 0), ProxyHandler)
        self.required_auth = required_auth
        self.tls = tls
        self.names = names
        self.seen: list[tuple[str, str, str | None]] = []

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if self.tls is None:
            return super().finish_request(request, client_address)
        # An https:// proxy: TLS with the client first, in the handler's thread.
        request.settimeout(MAX_WAIT)
        try:
            with self.tls.wrap_socket(request, server_side=True) as tls_sock:
                self.RequestHandlerClass(tls_sock, client_address, self)  # type: ignore[arg-type]
        except (ssl.SSLError, OSError):
            pass  # a client that rejects the proxy's certificate is part of the tests
        return None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        pass
