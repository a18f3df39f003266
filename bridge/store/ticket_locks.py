"""One lock per ticket beside the store, so that two processes never deliver the same
ticket's outbox items at once (a create sent twice would make two external tickets).

Byte-range locks (``fcntl.lockf``) on one file: the byte at offset ``ticket_id`` is that
ticket's lock. They are the process's own and die with it, so a killed run never leaves a
ticket locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bridge.store.files import FILE_MODE


@contextmanager
def ticket_lock(store_path: Path, ticket_id: int) -> Iterator[bool]:
    """Whether this process holds the ticket's delivery lock (never waits for it)."""
    lock_path = store_path.with_name(store_path.name + ".helpdesk.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, ticket_id)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, ticket_id)
    finally:
        os.close(fd)
