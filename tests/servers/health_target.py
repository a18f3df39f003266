"""An HTTP server on 127.0.0.1 whose health the caller flips: 200 while healthy, 503 when
broken (the web site a check watches, in the end-to-end tests and ``make demo``)."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HealthTarget:
    """An HTTP server on 127.0.0.1 that answers 200 while healthy and 503 when broken.

    With ``credentials`` ("user:password") it wants basic auth, and answers 401 without.
    ``seen`` lists each request's path and headers (names in lower case).
    """

    def __init__(self, body: str = "shop is open", credentials: str | None = None) -> None:
        self.healthy = True
        self.body = body
        self.requests = 0
        self.seen: list[tuple[str, dict[str, str]]] = []
        expected = None
        if credentials is not None:
            expected = "Basic " + base64.b64encode(credentials.encode()).decode()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target.requests += 1
                target.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                code = 200 if target.healthy else 503
                text = (target.body if target.healthy else "maintenance: backend down").encode()
                if expected is not None and self.headers.get("Authorization") != expected:
                    code, text = 401, b"who are you?"
                self.send_response(code)
                if code == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="shop"')
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_HEAD = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                # Quiet: the daemon polls every second.
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HealthTarget:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
