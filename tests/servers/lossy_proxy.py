"""A reverse proxy on 127.0.0.1 in front of a helpdesk that can lose answers: the request
is forwarded and fully answered upstream (the ticket is created), then the connection to
the client is closed without a byte of the answer.

``drops`` counts how many answers to lose, for requests matching ``lose(method, path)``.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Callable

from tests.servers.loopback import LOOPBACK


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        proxy: LossyProxy = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(LOOPBACK, proxy.upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = f"{LOOPBACK}:{proxy.upstream_port}"
        upstream.request(self.command, self.path, body, headers)
        answer = upstream.getresponse()
        payload = answer.read()
        upstream.close()
        path = urllib.parse.urlsplit(self.path).path
        with proxy.lock:
            proxy.seen.append((self.command, path, answer.status))
            lose = proxy.drops > 0 and proxy.lose(self.command, path)
            if lose:
                proxy.drops -= 1
                proxy.lost.append((self.command, path))
        if lose:
            self.close_connection = True
            return  # the upstream did it; the client hears nothing
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


class LossyProxy(http.server.ThreadingHTTPServer):
    """The proxy; ``seen`` lists (method, path, upstream status), ``lost`` what it dropped."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, upstream_port: int, lose: Callable[[str, str], bool], drops: int = 1
    ) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.upstream_port = upstream_port
        self.lose = lose
        self.drops = drops
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str, int]] = []
        self.lost: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)
