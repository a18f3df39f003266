"""What every loopback test server shares: the address, the longest wait, the threads.

Every server binds 127.0.0.1 on a free port and is stopped by whoever started it.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Callable

LOOPBACK = "127.0.0.1"
# Longest a test server ever waits on purpose (slow endpoint, relays): keeps loops bounded.
MAX_WAIT = 5.0


def serve(server: socketserver.BaseServer) -> Callable[[], None]:
    """Run ``server`` in a thread; returns the function that stops it (for a finalizer)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=MAX_WAIT)

    return stop


class LoopbackListener:
    """A TCP listener on 127.0.0.1 whose thread hands each connection to ``_handle``;
    ``stop`` ends the thread and closes the listener and every connection held open."""

    def __init__(self, backlog: int) -> None:
        self.listener = socket.socket()
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(backlog)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=MAX_WAIT)
        self.listener.close()
        for conn in self.held:
            conn.close()
