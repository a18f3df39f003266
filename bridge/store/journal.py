"""The journal: each ``vigie notify`` writes its event to a file of its own before anything else.

Icinga kills a notification command that runs past its timeout (30 s by default), and in a
storm on a small machine some do. So the first durable act of a run is small and never
waits on another process: one new file in ``<store>.journal/``, written and fsynced (under
a millisecond here), holding the event as one framed spool record, and locked by the run
for as long as it lives. Once the event is in the store (or in the spool) the run removes
its file. A file whose lock can be taken belongs to a run that died: the next run that can
write the store records it (idempotently: a run killed right after its commit leaves an
event that is already there) and removes it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from bridge.domain.notification import Event
from bridge.store import spool
from bridge.store.files import FILE_MODE, FOLDER_MODE

# An entry still being written after this long belongs to a run that died.
STALE_SECONDS = 60.0


def journal_folder(store_path: Path) -> Path:
    """The journal folder of a store."""
    return store_path.with_name(store_path.name + ".journal")


class Entry:
    """One run's event, on disk and locked until the run is done with it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    def done(self) -> None:
        """The event is recorded elsewhere: the file goes (unlinked before it is unlocked)."""
        try:
            os.unlink(self.path)
        finally:
            os.close(self._fd)

    def keep(self) -> None:
        """Leave the file for a later run to record (unlocked by closing it)."""
        os.close(self._fd)


def pending(folder: Path) -> bool:
    """Whether the journal holds entries (its own runs' or dead runs'): a cheap look."""
    try:
        with os.scandir(folder) as entries:
            return any(entry.name.endswith(".event") for entry in entries)
    except OSError:
        return False


def write(folder: Path, event: Event) -> Entry:
    """Write ``event`` durably to a new file of its own in ``folder``, and keep it locked."""
    folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    # Reception time first so that a listing sorts oldest first; the pid and a random part
    # keep two runs in the same microsecond apart.
    stamp = event.received_at.strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{os.getpid()}-{os.urandom(4).hex()}"
    # Written under a name the replay ignores, locked, then renamed: a replay never sees an
    # entry its run has not locked yet (it would take it for a dead run's).
    writing = folder / f"{name}.tmp"
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(writing, flags, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else has it
        record = spool.frame(spool.to_json(event))
        if os.write(fd, record) != len(record):
            raise OSError(errno.ENOSPC, "the journal record was cut short")
        os.fsync(fd)
        path = folder / f"{name}.event"
        os.rename(writing, path)
    except BaseException:
        os.close(fd)
        os.unlink(writing)
        raise
    return Entry(path, fd)


def orphans(folder: Path) -> Iterator[tuple[Entry, Event | None, str]]:
    """The entries of runs that died, oldest first, each locked: (entry, event or None, why).

    An entry that cannot be read comes with no event and the reason, to be set aside.
    """
    try:
        listed = os.listdir(folder)
    except OSError:
        return
    for name in listed:
        if name.endswith(".tmp"):
            _drop_if_dead(folder / name)
    names = sorted(name for name in listed if name.endswith(".event"))
    for name in names:
        path = folder / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # done and removed by its run meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # its run is alive and still at work
        if os.fstat(fd).st_nlink == 0:  # removed between our listing and our lock
            os.close(fd)
            continue
        entry = Entry(path, fd)
        line = os.pread(fd, 1 << 20, 0).rstrip(b"\n")
        try:
            event: Event | None = spool.from_json(spool.unframe(line))
            why = ""
        except Exception as error:  # a run killed while writing it, or a damaged file
            event, why = None, f"journal entry {name}: {spool.describe(error)}"
        yield entry, event, why


def backlog(folder: Path) -> spool.Backlog:
    """The entries of runs that died (their lock free), and the oldest's reception time:
    read only, for the bridge's own check."""
    records = 0
    oldest: datetime | None = None
    try:
        names = [name for name in os.listdir(folder) if name.endswith(".event")]
    except OSError:
        return spool.Backlog(0, None)
    for name in names:
        try:
            fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its run is alive
            line = os.pread(fd, 1 << 20, 0).rstrip(b"\n")
        finally:
            os.close(fd)  # which releases the shared lock: nothing is held or changed
        records += 1
        try:
            received = spool.from_json(spool.unframe(line)).received_at
        except Exception:  # a torn entry still waits to be set aside
            continue
        oldest = received if oldest is None else min(oldest, received)
    return spool.Backlog(records, oldest)


def waiting(store_path: Path) -> spool.Backlog:
    """Everything waiting to be recorded beside a store: the spool's records and the
    entries of runs that died (the next notify or ``vigie replay`` records both)."""
    spooled = spool.backlog(spool.spool_path(store_path))
    orphans = backlog(journal_folder(store_path))
    times = [t for t in (spooled.oldest, orphans.oldest) if t is not None]
    return spool.Backlog(spooled.records + orphans.records, min(times) if times else None)


def _drop_if_dead(path: Path) -> None:
    """Remove an entry its run never finished writing (it died before its event was kept)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        # A run between creating its file and locking it is no dead run: only old ones go.
        if os.fstat(fd).st_mtime < time.time() - STALE_SECONDS:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)
    except OSError:
        pass  # still being written, or gone meanwhile
    finally:
        os.close(fd)


def replay(
    folder: Path,
    record: Callable[[Event], object],
    transient: tuple[type[BaseException], ...],
    spool_file: Path,
) -> int:
    """Record the events of runs that died, oldest first; how many were recorded.

    A transient error stops and re-raises, that entry kept; an entry that cannot be read or
    recorded is set aside beside ``spool_file``'s rejected records, with its reason.
    """
    count = 0
    for entry, event, why in orphans(folder):
        try:
            if event is None:
                spool.set_aside(spool_file, why)
            else:
                try:
                    record(event)
                    count += 1
                except transient:
                    raise
                except Exception as error:  # this event only
                    spool.set_aside(
                        spool_file, f"{spool.to_json(event)}\t# {spool.describe(error)}"
                    )
        except BaseException:
            entry.keep()
            raise
        entry.done()
    return count
