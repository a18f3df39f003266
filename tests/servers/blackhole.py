"""A loopback port that never answers a connection attempt, as a dropping firewall does.

The kernel drops a SYN when the listen queue it is meant for is full. This listener has
a queue of one, filled at once by a connection of its own that it never accepts, so
every further attempt waits for an answer that does not come: a real unanswered
connect, without a firewall rule or a network namespace.
"""

from __future__ import annotations

import select
import socket

from tests.servers.loopback import MAX_WAIT


class Blackhole:
    """A port on ``address`` (``::1`` or a 127.x address) whose connects never complete."""

    def __init__(self, address: str, port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        # The port may be taken from another address's server: leftovers of earlier
        # connections on it (TIME_WAIT) must not refuse the bind.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((address, port))
        except OSError:
            self.listener.close()
            raise
        self.listener.listen(0)
        self.port = int(self.listener.getsockname()[1])
        self.fillers: list[socket.socket] = []
        for _ in range(2):
            filler = socket.socket(family, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((address, self.port))
            self.fillers.append(filler)
        # The first filler completes its handshake and fills the queue; the second is
        # already dropped, which shows that the queue is full.
        select.select([], self.fillers[:1], [], MAX_WAIT)

    def stop(self) -> None:
        """Close the listener and the connections that fill it."""
        for sock in (*self.fillers, self.listener):
            sock.close()
