"""The spool: where ``vigie notify`` keeps an event when the database cannot take it.

A notification Icinga hands over must never be lost, even with the store read-only or the
disk full. The event is appended as one framed record to a file next to the database,
flushed and fsynced; a later run that can write the store replays the spool, and since
recording is idempotent (each event has an identity), a replay cut short is safe to repeat.

Records cannot glue: each is one line ``v1 CRC32 LENGTH JSON``, and an append that finds
the file not ending with a newline (a writer killed mid-record) first closes the torn tail,
which the replay then sets aside as damaged. Lines written before framing existed (plain
JSON) are still read.

Replay never holds the appenders back: it moves the live spool aside (``.replaying``) under
a short lock, works through that file alone, and keeps its place in ``.replaying.offset``,
so a replay bounded in count and time (or killed) resumes where it stopped. One replay runs
at a time (``.replay.lock``); a run that finds another replaying leaves the work to it.
Records that fail for reasons of their own go to ``.rejected`` one by one, each with the
reason, and never block the records after them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from bridge.domain.notification import Event
from bridge.store.files import FILE_MODE

# Appenders hold the lock for one write; a wait past this means something is wrong.
LOCK_WAIT_SECONDS = 5.0
_FRAME = b"v1"


class SpoolError(Exception):
    """The spool itself cannot be written."""


class Backlog(NamedTuple):
    """What waits in a spool: how many records, and when the oldest one was received."""

    records: int
    oldest: datetime | None


def spool_path(store_path: Path) -> Path:
    """The spool file of a store."""
    return store_path.with_name(store_path.name + ".spool")


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def rejected_path(path: Path) -> Path:
    """Where the records a replay could not record are set aside, with their reasons."""
    return _sibling(path, ".rejected")


def to_json(event: Event) -> str:
    """The event as the JSON a spool or journal record carries."""
    import json  # the spool is the rare path: keep its imports off the usual one

    data: dict[str, Any] = dict(vars(event))
    for name, value in data.items():
        if isinstance(value, datetime):
            data[name] = value.isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def from_json(payload: str) -> Event:
    """The event a record's JSON carries."""
    import json

    data = json.loads(payload)
    for name in ("since", "received_at", "reported_since"):
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    return Event(**data)


def frame(payload: str) -> bytes:
    """One record as written: ``v1 CRC32 LENGTH PAYLOAD`` and a newline."""
    body = payload.encode("utf-8")
    return b"%s %08x %d %s\n" % (_FRAME, zlib.crc32(body), len(body), body)


class Damaged(ValueError):
    """A record that is torn or altered; the message says how."""


def unframe(line: bytes) -> str:
    """The payload of one record (without its newline), or Damaged saying what is wrong."""
    if line.startswith(b"{"):  # written before records were framed
        return line.decode("utf-8", "replace")
    parts = line.split(b" ", 3)
    if len(parts) != 4 or parts[0] != _FRAME:
        raise Damaged("not a spool record (torn or foreign line)")
    _, crc, length, body = parts
    if not length.isdigit() or int(length) != len(body):
        raise Damaged(f"torn record: {len(body)} bytes of {length.decode('ascii', 'replace')}")
    if crc != b"%08x" % zlib.crc32(body):
        raise Damaged("damaged record: checksum mismatch")
    return body.decode("utf-8")


def _lock(fd: int, operation: int, wait: float) -> bool:
    """Take a flock, waiting at most ``wait`` seconds (0: do not wait); whether it was taken."""
    give_up = time.monotonic() + wait
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= give_up:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def _open_locked(path: Path, wait: float) -> int:
    """The live spool opened for appending and locked; the same file as ``path`` still names.

    A replay may move the file aside between our open and our lock: then the lock we got is
    on the moved file, so open the path again.
    """
    for _ in range(100):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            if not _lock(fd, fcntl.LOCK_EX, wait):
                raise OSError(errno.EWOULDBLOCK, f"locked for more than {wait:g} s")
            opened = os.fstat(fd)
            named = os.stat(path)
            if (opened.st_ino, opened.st_dev) == (named.st_ino, named.st_dev):
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise OSError(errno.EAGAIN, "the spool kept moving while it was opened")


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def append(path: Path, event: Event, wait: float = LOCK_WAIT_SECONDS) -> None:
    """Append one event durably (flushed and fsynced before returning)."""
    record = frame(to_json(event))
    try:
        fd = _open_locked(path, wait)
        try:
            if _ends_torn(fd):
                record = b"\n" + record  # close the torn record: it must not swallow this one
            written = os.write(fd, record)
            if written != len(record):
                raise OSError(errno.ENOSPC, f"only {written} of {len(record)} bytes written")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise SpoolError(f"cannot write the spool {path}: {error.strerror or error}") from None


def pending(path: Path) -> bool:
    """Whether the spool holds events to replay (a cheap stat, done on every run)."""
    for candidate in (path, _sibling(path, ".replaying")):
        try:
            if candidate.stat().st_size > 0:
                return True
        except OSError:
            pass
    return False


@contextmanager
def _replay_lock(path: Path) -> Iterator[bool]:
    fd = os.open(_sibling(path, ".replay.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        yield _lock(fd, fcntl.LOCK_EX, 0)
    finally:
        os.close(fd)  # closing releases the lock


def _claim(path: Path, claimed: Path) -> bool:
    """Move the live spool aside for replay; an empty live file stays for the appenders."""
    try:
        fd = _open_locked(path, LOCK_WAIT_SECONDS)
    except FileNotFoundError:
        return False
    try:
        if os.fstat(fd).st_size == 0:
            return False
        os.rename(path, claimed)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE))
        return True
    finally:
        os.close(fd)


def _read_offset(offset_file: Path) -> int:
    try:
        return int(offset_file.read_bytes().strip() or 0)
    except (OSError, ValueError):
        return 0  # replaying from the start again is safe: recording is idempotent


class _Place:
    """Where a replay stands in its file, kept after every record so a kill loses no ground.

    One fixed-width ``pwrite`` per record, not fsynced: after a crash of the machine an older
    place only means recording a few events again, which is idempotent.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)

    def save(self, offset: int) -> None:
        os.pwrite(self._fd, b"%20d\n" % offset, 0)

    def close(self) -> None:
        os.close(self._fd)


def set_aside(path: Path, entry: str) -> None:
    """Keep a record that cannot be recorded in ``<spool>.rejected``, durably."""
    fd = os.open(
        rejected_path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE
    )
    try:
        os.write(fd, (entry + "\n").encode("utf-8", "replace"))
        os.fsync(fd)
    finally:
        os.close(fd)


def describe(error: BaseException) -> str:
    """An error as one line of plain text, to keep beside what it refused."""
    text = f"{type(error).__name__}: {error}"
    # One line of plain text, whatever the error said (newlines, terminal escapes).
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _records(claimed: Path, start: int) -> Iterator[tuple[int, bytes]]:
    """Each whole line from ``start`` on, with the offset just past it."""
    with open(claimed, "rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            offset += len(line)
            yield offset, line.rstrip(b"\n")


def replay(
    path: Path,
    record: Callable[[Event], object],
    transient: tuple[type[BaseException], ...] = (),
    max_records: int | None = None,
    max_seconds: float | None = None,
) -> int:
    """Record spooled events in order, at most ``max_records`` or ``max_seconds``; how many.

    An error in ``transient`` (the store is still unavailable, the configuration is broken)
    stops the replay and re-raises, that event and the rest kept for the next run. Any other
    error, or a torn or damaged record, concerns that record alone: it is set aside in
    ``<spool>.rejected`` with its reason. A replay already under way elsewhere: 0.
    """
    claimed = _sibling(path, ".replaying")
    offset_file = _sibling(path, ".replaying.offset")
    stop_at = None if max_seconds is None else time.monotonic() + max_seconds
    count = handled = 0
    with _replay_lock(path) as mine:
        if not mine:
            return 0
        while True:
            if not claimed.exists() and not _claim(path, claimed):
                return count
            place = _Place(offset_file)
            try:
                for offset, line in _records(claimed, _read_offset(offset_file)):
                    if (max_records is not None and handled >= max_records) or (
                        stop_at is not None and time.monotonic() >= stop_at
                    ):
                        return count
                    handled += 1
                    if _replay_one(path, line, record, transient):
                        count += 1
                    place.save(offset)
            finally:
                place.close()
            claimed.unlink()
            offset_file.unlink()


def _replay_one(
    path: Path,
    line: bytes,
    record: Callable[[Event], object],
    transient: tuple[type[BaseException], ...],
) -> bool:
    """Record one spooled line, or set it aside with its reason; whether it was recorded."""
    if not line.strip():
        return False
    try:
        payload = unframe(line)
    except Damaged as damage:
        set_aside(path, f"{line.decode('utf-8', 'replace')}\t# {damage}")
        return False
    try:
        record(from_json(payload))
    except transient:
        raise
    except Exception as error:  # this record only: set it aside, go on with the others
        set_aside(path, f"{payload}\t# {describe(error)}")
        return False
    return True


def backlog(path: Path) -> Backlog:
    """How many records wait in the spool and the oldest's reception time (for checks)."""
    records = 0
    oldest: datetime | None = None
    claimed = _sibling(path, ".replaying")
    sources = [(claimed, _read_offset(_sibling(path, ".replaying.offset"))), (path, 0)]
    for source, start in sources:
        try:
            lines = list(_records(source, start))
        except OSError:
            continue
        for _, line in lines:
            if not line.strip():
                continue
            records += 1
            try:
                received = from_json(unframe(line)).received_at
            except Exception:  # a damaged record still counts as waiting
                continue
            oldest = received if oldest is None else min(oldest, received)
    return Backlog(records, oldest)
