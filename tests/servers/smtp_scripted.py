"""Hostile SMTP servers on 127.0.0.1: each answers as a broken or malicious mail server would.

refusing           a 554 banner, then 221 to QUIT
silent             accepts and never sends a banner (until the test ends)
drip               sends its banner one byte a second
garbage            answers with an SSH banner
drop-mid-ehlo      cuts the connection in the middle of its EHLO reply
endless            answers EHLO with continuation lines that never end, all at once
endless-slow       the same, a line every 50 ms
helo-only          an old server: 502 to EHLO, 250 to HELO
no-starttls        offers no STARTTLS
starttls-refused   offers STARTTLS, answers it 454
starttls-broken    answers STARTTLS 220, then plain text instead of a handshake
starttls-injection answers STARTTLS 220 with another reply glued to it
quit-drop          closes the connection on QUIT without a reply
quit-silent        never answers QUIT
escapes            a banner with terminal escapes in it
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from tests.servers.loopback import MAX_WAIT, LoopbackListener

EHLO_REPLY = b"250-mx.vigie.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
STARTTLS_EHLO = b"250-mx.vigie.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"


class HostileSmtp(LoopbackListener):
    """A mail server that misbehaves on purpose, one behaviour per server (see the module)."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.received: list[bytes] = []
        super().__init__(backlog=16)

    def _handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self._behave(conn)
        if self.behaviour in ("silent", "quit-silent"):
            self.held.append(conn)  # closed when the test ends
        else:
            conn.close()

    def _pace(self, conn: socket.socket, data: bytes, every: float) -> None:
        """Send ``data`` one byte every ``every`` seconds, until the test ends."""
        for byte in data:
            if self.stopping.wait(every):
                return
            conn.sendall(bytes([byte]))

    def _behave(self, conn: socket.socket) -> None:
        behaviour = self.behaviour
        if behaviour == "silent":
            return
        if behaviour == "drip":
            self._pace(conn, b"220 mx.vigie.test ESMTP slowly\r\n", 1.0)
            return
        banner = {
            "refusing": b"554 5.7.1 mx.vigie.test no service for you\r\n",
            "garbage": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
            "escapes": b"220 mx.vigie.test \x1b[2J\x07ready\r\n",
        }.get(behaviour, b"220 mx.vigie.test ESMTP hostile\r\n")
        conn.sendall(banner)
        conn.settimeout(MAX_WAIT)
        for line in self._lines(conn):
            self.received.append(line)
            verb = line.split(b" ", 1)[0].upper()
            if not self._answer(conn, verb):
                return

    def _lines(self, conn: socket.socket) -> Iterator[bytes]:
        """Each command line the client sends, as it comes, for MAX_WAIT at most."""
        buffer = b""
        deadline = time.monotonic() + MAX_WAIT
        while time.monotonic() < deadline and not self.stopping.is_set():
            if b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                yield line
                continue
            chunk = conn.recv(4096)
            if not chunk:
                return
            buffer += chunk

    def _answer(self, conn: socket.socket, verb: bytes) -> bool:
        """Answer one command as the behaviour says; False to end the connection."""
        behaviour = self.behaviour
        if verb == b"QUIT":
            if behaviour == "quit-silent":
                return False
            if behaviour != "quit-drop":
                conn.sendall(b"221 2.0.0 Bye\r\n")
            return False
        if verb in (b"EHLO", b"HELO"):
            return self._hello(conn, verb)
        if verb == b"STARTTLS":
            if behaviour == "starttls-refused":
                conn.sendall(b"454 4.7.0 TLS not available due to local problem\r\n")
            elif behaviour == "starttls-broken":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                conn.recv(4096)  # the client's hello, answered with plain text
                conn.sendall(b"this is not a TLS handshake at all\r\n" * 4)
                return False
            elif behaviour == "starttls-injection":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
            else:
                conn.sendall(b"502 5.5.1 STARTTLS not implemented\r\n")
            return True
        conn.sendall(b"250 2.0.0 Ok\r\n")
        return True

    def _hello(self, conn: socket.socket, verb: bytes) -> bool:
        behaviour = self.behaviour
        if behaviour == "helo-only":
            conn.sendall(b"502 5.5.1 EHLO not implemented\r\n" if verb == b"EHLO" else (
                b"250 mx.vigie.test\r\n"))  # fmt: skip
        elif behaviour == "drop-mid-ehlo":
            conn.sendall(b"250-mx.vigie.test\r\n250-PIPEL")
            return False
        elif behaviour.startswith("endless"):
            # Far more lines than any client should take: bounded all the same.
            pause = 0.05 if behaviour == "endless-slow" else 0.0
            for index in range(100_000):
                if self.stopping.wait(pause):
                    return False
                conn.sendall(b"250-X-VIGIE-%d\r\n" % index)
            return False
        elif behaviour.startswith("starttls-"):
            conn.sendall(STARTTLS_EHLO)
        else:
            conn.sendall(EHLO_REPLY)
        return True
