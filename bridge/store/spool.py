"""The spool: where ``vigie notify`` keeps an event when the database cannot take it.

A notification Icinga hands over must never be lost, even with the store read-only or the
disk full. The event is appended as one JSON line to a file next to the database, flushed
and fsynced; the next run that can write the store replays the spool, and since recording
is idempotent (each event has an identity), a replay interrupted half-way is safe to repeat.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from bridge.domain.notification import Event


class SpoolError(Exception):
    """The spool itself cannot be written."""


def spool_path(store_path: Path) -> Path:
    """The spool file of a store."""
    return store_path.with_name(store_path.name + ".spool")


def _to_json(event: Event) -> str:
    import json  # the spool is the rare path: keep its imports off the usual one

    data: dict[str, Any] = dict(vars(event))
    data["since"] = event.since.isoformat()
    data["received_at"] = event.received_at.isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _from_json(line: str) -> Event:
    import json

    data = json.loads(line)
    data["since"] = datetime.fromisoformat(data["since"])
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    return Event(**data)


@contextmanager
def _locked(path: Path, mode: str) -> Iterator[IO[str]]:
    with open(path, mode, encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append(path: Path, event: Event) -> None:
    """Append one event durably (flushed and fsynced before returning)."""
    try:
        with _locked(path, "a") as handle:
            handle.write(_to_json(event) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise SpoolError(f"cannot write the spool {path}: {error.strerror or error}") from None


def pending(path: Path) -> bool:
    """Whether the spool holds events to replay (a cheap stat, done on every run)."""
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def replay(
    path: Path,
    record: Callable[[Event], object],
    transient: tuple[type[BaseException], ...] = (),
) -> int:
    """Record the spooled events in order and take them out; returns how many were recorded.

    An error in ``transient`` (the store is still unavailable, the configuration is broken)
    stops the replay and re-raises, leaving that event and the rest in the spool. Any other
    error concerns that one event: it is moved to ``<spool>.rejected`` with the error, so
    that a poisoned event never blocks the ones after it. An unreadable line goes there too.
    """
    count = 0
    with _locked(path, "r+") as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
        rejected: list[str] = []
        kept: list[str] = []
        try:
            for index, line in enumerate(lines):
                try:
                    record(_from_json(line))
                    count += 1
                except transient:
                    kept = lines[index:]
                    raise
                except Exception as error:  # this event only: set it aside, go on
                    rejected.append(f"{line}\t# {type(error).__name__}: {error}")
        finally:
            if rejected:
                with open(path.with_name(path.name + ".rejected"), "a", encoding="utf-8") as bad:
                    bad.write("\n".join(rejected) + "\n")
                    bad.flush()
                    os.fsync(bad.fileno())
            handle.seek(0)
            handle.truncate()
            if kept:
                handle.write("\n".join(kept) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return count
