"""Bounded reads from a socket: lines and blocks, every wait within the check's budget.

Domain model: what a line-oriented protocol (HTTP/1.1 heads, SMTP replies) receives from
a server that may be broken or hostile. Nothing the server sends may hoard memory or
time: a line is read up to a limit the caller gives, and every wait on the socket takes
its timeout from ``budget()``, which raises TimeoutError once the check's time is spent.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Stream(Protocol):
        """What the checks use of a connection: a socket, TLS on one, or TLS in TLS."""

        def settimeout(self, value: float | None, /) -> None: ...
        def recv(self, size: int, /) -> bytes: ...
        def sendall(self, data: Any, /) -> Any: ...
        def close(self) -> None: ...


RECV_SIZE = 64 * 1024


class LineTooLong(Exception):
    """A line ran past the limit it was read with."""


class LineReader:
    """Buffered reads from ``sock``, every wait bounded by ``budget()``.

    ``buffer`` holds what arrived and was not read yet; ``eof`` is set once the server
    has closed its side.
    """

    __slots__ = ("budget", "buffer", "eof", "sock")

    def __init__(self, sock: Stream, budget: Callable[[], float]) -> None:
        self.sock = sock
        self.budget = budget
        self.buffer = bytearray()
        self.eof = False

    def fill(self) -> bool:
        """Wait for more bytes; False at the end of the stream."""
        if self.eof:
            return False
        self.sock.settimeout(self.budget())
        data = self.sock.recv(RECV_SIZE)
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def readline(self, limit: int) -> bytes:
        """One line with its LF, or what is left at the end of the stream.

        Raises LineTooLong when no LF comes within ``limit`` bytes.
        """
        searched = 0
        while True:
            end = self.buffer.find(b"\n", searched)
            if end >= 0:
                if end >= limit:
                    raise LineTooLong
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > limit:
                raise LineTooLong
            searched = len(self.buffer)
            if not self.fill():
                line = bytes(self.buffer)
                self.buffer.clear()
                return line

    def read_some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes, as soon as some are there; b"" at the end of the stream."""
        if self.buffer:
            data = bytes(self.buffer[:limit])
            del self.buffer[:limit]
            return data
        if self.eof:
            return b""
        self.sock.settimeout(self.budget())
        data = self.sock.recv(min(limit, RECV_SIZE))
        if not data:
            self.eof = True
        return data
