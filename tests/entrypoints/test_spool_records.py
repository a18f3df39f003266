"""The spool's records: framed so they cannot glue, replayed in bounded, resumable steps.

A notify killed or refused mid-write leaves a torn record; the next event must not be
swallowed with it. A replay of thousands of records must neither hold the appenders back
nor start again from the top when it is cut short.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.domain.notification import Event
from bridge.store import spool
from tests.vigie_command import VIGIE, Run, as_json, clean_env, notify_args

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def event(number: int) -> Event:
    return Event(
        type="PROBLEM",
        host="web01",
        service=f"svc{number:05d}",
        state="CRITICAL",
        output=f"CRITICAL - number {number} \u00e9t\u00e9",
        since=T0,
        received_at=T0 + timedelta(seconds=number),
    )


def filled(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "vigie.db.spool"
    for number in range(count):
        spool.append(path, event(number))
    return path


def test_a_record_reads_back_as_written_and_names_its_damage() -> None:
    payload = '{"type": "PROBLEM", "output": "caf\u00e9"}'
    line = spool.frame(payload)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert spool.unframe(line[:-1]) == payload
    with pytest.raises(spool.Damaged, match="torn record"):
        spool.unframe(line[:-10])
    altered = line[:-3] + b"X" + line[-2:]
    with pytest.raises(spool.Damaged, match="checksum"):
        spool.unframe(altered[:-1])
    with pytest.raises(spool.Damaged, match="not a spool record"):
        spool.unframe(b"garbage")
    # Records written before framing existed are still read.
    assert spool.unframe(b'{"type": "PROBLEM"}') == '{"type": "PROBLEM"}'


def test_spool_files_are_not_readable_by_other_users(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = filled(tmp_path, 2)

        def fail(_: Event) -> None:
            raise ValueError("refused")

        spool.replay(path, fail)
    finally:
        os.umask(old)
    for name in ("vigie.db.spool", "vigie.db.spool.rejected"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o640, (name, oct(mode))


def test_a_torn_tail_is_closed_and_set_aside_without_the_next_record(tmp_path: Path) -> None:
    path = filled(tmp_path, 1)
    whole = path.read_bytes()
    path.write_bytes(whole + spool.frame('{"type": "PROBLEM", "host": "torn"}')[:25])
    spool.append(path, event(1))
    recorded: list[Event] = []
    assert spool.replay(path, recorded.append) == 2
    assert [e.service for e in recorded] == ["svc00000", "svc00001"]
    (reason,) = spool.rejected_path(path).read_text().splitlines()
    assert "torn record" in reason


def test_a_notify_refused_mid_write_does_not_swallow_the_next_event(
    config_file: Path, vigie: Run
) -> None:
    """The spool's file system fills up in the middle of a record (a file-size limit makes the
    write stop part-way, as a full disk does): that notify says NOTHING RECORDED, and the
    next one, kept in the spool, is recorded once the store is back."""
    import resource

    store = config_file.parent / "vigie.db"
    store.write_bytes(b"this is not a database" * 100)
    spool_file = config_file.parent / "vigie.db.spool"

    def run(service: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
        def small_files() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            assert limit is not None
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        return subprocess.run(
            [
                VIGIE,
                "--config",
                str(config_file),
                *notify_args(
                    type="PROBLEM",
                    host="web01",
                    service=service,
                    state="CRITICAL",
                    since="1795600800",
                ),
            ],
            capture_output=True,
            text=True,
            env=clean_env(XDG_CACHE_HOME=str(config_file.parent / "cache")),
            timeout=60,
            check=False,
            preexec_fn=None if limit is None else small_files,
        )

    torn = run("torn", limit=40)
    assert torn.returncode == 75, (torn.stdout, torn.stderr)
    assert "NOTHING RECORDED" in torn.stderr
    assert spool_file.stat().st_size == 40  # part of a record: a torn tail
    kept = run("after")
    assert kept.returncode == 0 and "spooled" in kept.stdout, kept.stderr
    store.unlink()
    replaying = run("last")
    assert "replayed 1 spooled" in replaying.stdout, replaying.stdout
    keys = sorted(t["key"] for t in as_json(vigie("tickets", "--format", "json")))
    assert keys == ["web01!after", "web01!last"]
    (set_aside,) = (config_file.parent / "vigie.db.spool.rejected").read_text().splitlines()
    assert "torn record" in set_aside


def test_a_bounded_replay_resumes_where_it_stopped(tmp_path: Path) -> None:
    path = filled(tmp_path, 50)
    recorded: list[str] = []

    def record(e: Event) -> None:
        assert e.service is not None
        recorded.append(e.service)

    assert spool.replay(path, record, max_records=20) == 20
    assert spool.pending(path)
    spool.append(path, event(50))  # arrives while the replay is half done
    assert spool.backlog(path).records == 31
    assert spool.replay(path, record, max_records=20) == 20
    assert spool.replay(path, record) == 11
    assert recorded == [f"svc{n:05d}" for n in range(51)]
    assert not spool.pending(path)
    assert spool.backlog(path) == (0, None)


def test_a_transient_failure_keeps_the_record_for_the_next_run(tmp_path: Path) -> None:
    path = filled(tmp_path, 5)
    recorded: list[str] = []

    def flaky(e: Event) -> None:
        assert e.service is not None
        if e.service == "svc00002" and "failed once" not in recorded:
            recorded.append("failed once")
            raise TimeoutError("store busy")
        recorded.append(e.service)

    with pytest.raises(TimeoutError):
        spool.replay(path, flaky, (TimeoutError,))
    assert spool.replay(path, flaky, (TimeoutError,)) == 3
    assert recorded == ["svc00000", "svc00001", "failed once", "svc00002", "svc00003", "svc00004"]


def _slow_replay(path: str, log: str) -> None:
    def record(e: Event) -> None:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{e.service}\n")
        time.sleep(0.01)

    spool.replay(Path(path), record)


def test_a_replay_killed_at_any_point_loses_nothing(tmp_path: Path) -> None:
    path = filled(tmp_path, 300)
    log = tmp_path / "recorded"
    context = multiprocessing.get_context("fork")
    for _ in range(3):
        worker = context.Process(target=_slow_replay, args=(str(path), str(log)))
        worker.start()
        for _ in range(500):  # until it has recorded something, at most 5 s
            if log.exists() and log.stat().st_size > 0:
                break
            time.sleep(0.01)
        time.sleep(0.2)
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(10)
    _slow_replay(str(path), str(log))
    seen = log.read_text().split()
    # Recording is idempotent, so a record done twice after a kill is harmless; none is lost,
    # and the order is kept.
    assert sorted(set(seen)) == [f"svc{n:05d}" for n in range(300)]
    assert [s for i, s in enumerate(seen) if s not in seen[:i]] == sorted(set(seen))
    assert len(seen) < 300 + 3 * 5, "a killed replay started again from the top"
    assert not spool.pending(path)


def test_appenders_are_not_held_back_by_a_long_replay(tmp_path: Path) -> None:
    path = filled(tmp_path, 400)
    log = tmp_path / "recorded"
    worker = multiprocessing.get_context("fork").Process(
        target=_slow_replay, args=(str(path), str(log))
    )
    worker.start()
    try:
        for _ in range(500):
            if log.exists():
                break
            time.sleep(0.01)
        for number in range(400, 410):  # the replay takes seconds; each append waits 0.5 s at most
            spool.append(path, event(number), wait=0.5)
        assert worker.is_alive(), "the replay ended before the appends: the test proves nothing"
        assert spool.replay(path, lambda e: None) == 0, "a second replay ran beside the first"
    finally:
        worker.join(60)
    # The running replay took the new records too, once it was through the old ones.
    assert log.read_text().split() == [f"svc{n:05d}" for n in range(410)]
    assert not spool.pending(path)


def test_the_rejected_records_each_carry_their_reason(tmp_path: Path) -> None:
    path = filled(tmp_path, 3)

    def refuse_middle(e: Event) -> None:
        if e.service == "svc00001":
            raise ValueError("bad\nname\r\x1b[31m")

    assert spool.replay(path, refuse_middle) == 2
    (line,) = spool.rejected_path(path).read_text().splitlines()
    payload, reason = line.split("\t# ")
    assert '"service": "svc00001"' in payload
    assert reason.startswith("ValueError: bad name")
