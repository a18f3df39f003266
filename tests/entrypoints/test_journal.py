"""The journal: a run's event is on disk, in a file of its own, before anything else happens.

A run Icinga kills at its timeout leaves its file behind, unlocked; the next run records it.
A run still at work keeps its file locked, and nobody else takes it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.domain.notification import Event
from bridge.store import journal, spool

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def event(number: int) -> Event:
    return Event(
        type="PROBLEM",
        host="web01",
        service=f"svc{number:03d}",
        state="CRITICAL",
        output="CRITICAL",
        since=T0,
        received_at=T0 + timedelta(seconds=number),
    )


def _write_and_hang(folder: str, number: int, ready: str) -> None:
    journal.write(Path(folder), event(number))
    Path(ready).touch()
    time.sleep(60)


def test_a_live_run_keeps_its_entry_and_a_killed_one_leaves_it_to_the_next(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "vigie.db.journal"
    ready = tmp_path / "ready"
    worker = multiprocessing.get_context("fork").Process(
        target=_write_and_hang, args=(str(folder), 7, str(ready))
    )
    worker.start()
    try:
        for _ in range(1000):
            if ready.exists():
                break
            time.sleep(0.01)
        assert ready.exists()
        recorded: list[Event] = []
        spool_file = tmp_path / "vigie.db.spool"
        assert journal.replay(folder, recorded.append, (), spool_file) == 0  # alive: not ours
        assert len(os.listdir(folder)) == 1
        assert journal.backlog(folder) == (0, None)  # a live run's entry is not waiting
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(10)
        assert journal.backlog(folder) == (1, event(7).received_at)  # read only:
        assert len(os.listdir(folder)) == 1
        assert journal.replay(folder, recorded.append, (), spool_file) == 1
        assert [e.service for e in recorded] == ["svc007"]
        assert os.listdir(folder) == []
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join(10)


def test_entries_are_private_and_done_ones_leave_nothing(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = tmp_path / "vigie.db.journal"
        entry = journal.write(folder, event(1))
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750
        assert stat.S_IMODE(entry.path.stat().st_mode) == 0o640
        assert spool.from_json(spool.unframe(entry.path.read_bytes().rstrip(b"\n"))) == event(1)
        entry.done()
        assert os.listdir(folder) == []
    finally:
        os.umask(old)


def test_orphans_come_oldest_first_and_a_torn_one_is_set_aside(tmp_path: Path) -> None:
    folder = tmp_path / "vigie.db.journal"
    for number in (3, 1, 2):
        journal.write(folder, event(number)).keep()
    torn = folder / "20261125T085959000000-1-00000000.event"
    torn.write_bytes(spool.frame('{"type": "PROBLEM"}')[:24])
    recorded: list[Event] = []
    spool_file = tmp_path / "vigie.db.spool"
    assert journal.replay(folder, recorded.append, (), spool_file) == 3
    assert [e.service for e in recorded] == ["svc001", "svc002", "svc003"]
    (reason,) = spool.rejected_path(spool_file).read_text().splitlines()
    assert torn.name in reason and "torn record" in reason
    assert os.listdir(folder) == []


def test_a_transient_failure_keeps_the_entry(tmp_path: Path) -> None:
    folder = tmp_path / "vigie.db.journal"
    journal.write(folder, event(1)).keep()

    def busy(_: Event) -> None:
        raise TimeoutError("store busy")

    spool_file = tmp_path / "vigie.db.spool"
    try:
        journal.replay(folder, busy, (TimeoutError,), spool_file)
    except TimeoutError:
        pass
    else:
        raise AssertionError("the transient error was swallowed")
    assert len(os.listdir(folder)) == 1
    recorded: list[Event] = []
    assert journal.replay(folder, recorded.append, (), spool_file) == 1
