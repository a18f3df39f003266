"""Raw-socket servers on 127.0.0.1 that answer exactly what a test scripts, or misbehave."""

from __future__ import annotations

import socket
import ssl
import threading
import time

from tests.servers.loopback import MAX_WAIT, LoopbackListener


class RawServer(LoopbackListener):
    """A TCP server on 127.0.0.1 that misbehaves on purpose, one behaviour per server.

    garbage        answers a banner that is not HTTP
    mid-headers    sends a status line and half a header, then closes
    hang-up        reads the request, then closes the connection without a word
    silent         accepts and never answers (until the test ends)
    drip           answers a status line, then one header byte every 0.1 s
    tls-hang-up    completes a TLS handshake, then closes (needs ``tls``)
    """

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        super().__init__(backlog=16)

    def _handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._behave, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket | ssl.SSLSocket) -> None:
        conn.settimeout(MAX_WAIT)
        data = b""
        deadline = time.monotonic() + MAX_WAIT
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk

    def _behave(self, conn: socket.socket) -> None:
        try:
            if self.behaviour == "silent":
                self.held.append(conn)  # closed when the test ends
                return
            if self.behaviour == "tls-hang-up":
                assert self.tls is not None
                conn.settimeout(MAX_WAIT)
                with self.tls.wrap_socket(conn, server_side=True) as tls_conn:
                    self._read_request(tls_conn)
                return
            self._read_request(conn)
            if self.behaviour == "garbage":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\r\n")
            elif self.behaviour == "mid-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\nServer: half\r\nContent-Type: text/pl")
            elif self.behaviour == "drip":
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                # Each byte arrives well within any socket timeout; the whole never does.
                for _ in range(int(MAX_WAIT / 0.1)):
                    if self.stopping.wait(0.1):
                        break
                    conn.sendall(b"z")
            conn.close()
        except OSError:
            conn.close()


class ScriptedServer(LoopbackListener):
    """Answers every connection on 127.0.0.1 with ``reply``, then closes (or holds) it.

    Records each request as received: the head up to the blank line, and as many bytes
    of body as its Content-Length announces.
    """

    def __init__(self, reply: bytes, hold: bool = False) -> None:
        self.reply = reply
        self.hold = hold
        self.requests: list[bytes] = []
        super().__init__(backlog=8)

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.requests.append(self._read_request(conn))
            conn.sendall(self.reply)
        except OSError:
            pass
        if self.hold:
            self.held.append(conn)
        else:
            conn.close()

    def _read_request(self, conn: socket.socket) -> bytes:
        conn.settimeout(MAX_WAIT)
        data = b""
        deadline = time.monotonic() + MAX_WAIT
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length and time.monotonic() < deadline:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
