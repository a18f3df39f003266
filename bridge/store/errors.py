"""What the store says when it cannot do its part, each in one line.

A database that cannot be written (read-only, disk full, damaged, locked too long) is told
apart from a bug by SQLite's own error code, never by the wording of its message.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class StoreError(Exception):
    """The store refused an operation; the message says why in one line."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or written (read-only, disk full, missing folder)."""


class NotFound(StoreError):
    """No ticket has that number."""


class Conflict(StoreError):
    """Another writer got there first (the other master of an HA pair opened the incident or
    recorded the notification): the transaction is rolled back and done again."""


class ConstraintViolation(sqlite3.IntegrityError):
    """PostgreSQL refused a write by a constraint or a trigger (R15): raised as SQLite's
    IntegrityError, so that callers handle a refusal alike on both stores."""


# Less free space than this on the store's file system when SQLite fails to write it: the
# disk is full (SQLite needs a few pages for its journal and shared memory).
FULL_BELOW = 256 * 1024

# Primary result codes (the low byte of an extended code) of a store that cannot be used
# now: busy or locked past the timeout, read-only, I/O error, damaged, full, not openable.
_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOTADB,
    }
)


def unavailable(error: sqlite3.Error, path: Path) -> StoreUnavailable | None:
    """``error`` as StoreUnavailable when the database cannot be written now, else None."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in _UNAVAILABLE:
        return None
    return StoreUnavailable(f"cannot write the store {path}: {error}{_disk_full(code, path)}")


def _disk_full(code: int, path: Path) -> str:
    """ ", the disk is full" when that is why: SQLite says only "disk I/O error" when a full
    disk stops it creating its shared-memory file."""
    if code & 0xFF not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return ""
    try:
        status = os.statvfs(path.parent)
    except OSError:
        return ""
    free = status.f_bavail * status.f_frsize
    return f" (the disk is full: {free} bytes free in {path.parent})" if free < FULL_BELOW else ""
