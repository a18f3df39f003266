"""Faults around ``vigie notify``: a full disk, a long replay, a storm past Icinga's timeout.

Icinga gives a notification command 30 s and then kills it; a notification it has handed
over and seen acknowledged (exit 0) must end as exactly one record, whatever else happens.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.domain.notification import Event
from bridge.store import spool
from tests.vigie_command import VIGIE, clean_env, notify_args, write_config

ICINGA_TIMEOUT = 30.0  # seconds: Icinga's default for a notification command


def notify_command(config: Path, service: str, host: str = "web01") -> list[str]:
    return [
        VIGIE,
        "--config",
        str(config),
        *notify_args(
            type="PROBLEM", host=host, service=service, state="CRITICAL", since="1795600800"
        ),
    ]


def start(command: list[str], cache: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(cache)),
    )


def finish_as_icinga_does(process: subprocess.Popen[str], started: float) -> tuple[int, str]:
    """Wait for a notify as Icinga does: killed once its timeout is up; (exit code, stdout)."""
    try:
        out, _ = process.communicate(timeout=max(0.1, started + ICINGA_TIMEOUT - time.monotonic()))
        return process.returncode, out
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        return -9, out


def recorded_keys(store: Path) -> list[str]:
    db = sqlite3.connect(store)
    try:
        return [key for (key,) in db.execute("SELECT key FROM tickets ORDER BY key")]
    finally:
        db.close()


def drain(config: Path, cache: Path, runs: int = 50) -> None:
    """``vigie replay`` until nothing waits (each run is bounded; at most ``runs`` of them)."""
    for _ in range(runs):
        result = subprocess.run(
            [VIGIE, "--config", str(config), "replay"],
            capture_output=True,
            text=True,
            env=clean_env(XDG_CACHE_HOME=str(cache)),
            timeout=120,
            check=False,
        )
        if result.returncode == 0:
            return
        assert result.returncode == 75, result.stderr
    raise AssertionError(f"still not drained after {runs} runs of vigie replay")


@pytest.mark.slow
def test_a_storm_killed_at_icingas_timeout_loses_nothing_it_acknowledged(
    tmp_path: Path,
) -> None:
    """400 notifications at once on a small machine, each killed at 30 s as Icinga does: every
    one acknowledged is recorded exactly once, and the killed ones are recorded by the next
    run (they were in the journal before anything else)."""
    config = write_config(tmp_path)
    cache = tmp_path / "cache"
    started = time.monotonic()
    processes = [start(notify_command(config, f"svc{n:03d}"), cache) for n in range(400)]
    results = [finish_as_icinga_does(p, started) for p in processes]
    # Acknowledged: recorded, or (a run that waited its bounded time for the store's lock)
    # kept in the spool, which it says, and which the replay below records.
    acknowledged = {
        f"web01!svc{n:03d}"
        for n, (code, out) in enumerate(results)
        if code == 0 and not any(line.startswith("spooled ") for line in out.splitlines())
    }
    assert all(code in (0, -9) for code, _ in results)
    assert acknowledged <= set(recorded_keys(tmp_path / "vigie.db"))
    drain(config, cache)
    keys = recorded_keys(tmp_path / "vigie.db")
    assert keys == sorted(f"web01!svc{n:03d}" for n in range(400))


def _spooled(number: int) -> bytes:
    moment = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    event = Event(
        type="PROBLEM",
        host="web01",
        service=f"old{number:05d}",
        state="CRITICAL",
        output="CRITICAL - spooled while the store was away",
        since=moment,
        received_at=moment + timedelta(milliseconds=number),
    )
    return spool.frame(spool.to_json(event))


@pytest.mark.slow
def test_a_long_replay_never_holds_new_notifications_back(tmp_path: Path) -> None:
    """20,000 spooled events: the run that replays them is bounded, notifications arriving
    meanwhile are recorded at once, and ``vigie replay`` drains the rest, each once."""
    config = write_config(tmp_path)
    cache = tmp_path / "cache"
    (tmp_path / "vigie.db.spool").write_bytes(b"".join(_spooled(n) for n in range(20_000)))
    started = time.monotonic()
    replaying = start(notify_command(config, "first"), cache)
    arriving = []
    for number in range(10):
        time.sleep(0.2)
        arriving.append((start(notify_command(config, f"new{number}"), cache), time.monotonic()))
    assert finish_as_icinga_does(replaying, started)[0] == 0
    for process, at in arriving:
        code, out = finish_as_icinga_does(process, at)
        assert code == 0 and "opened ticket" in out, out
    drain(config, cache)
    keys = recorded_keys(tmp_path / "vigie.db")
    assert len(keys) == 20_011 and len(set(keys)) == 20_011
    assert not spool.pending(tmp_path / "vigie.db.spool")


FULL_DISK_SCENARIO = textwrap.dedent(
    """
    import json, os, subprocess, sys
    vigie, folder, config, cache, ROOM = sys.argv[1:5] + [int(sys.argv[5])]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", folder], check=True)
    out = {}
    def notify(service):
        command = [vigie, "--config", config, "notify", "--type", "PROBLEM", "--host",
                   "web01", "--service", service, "--state", "CRITICAL", "--since", "1795600800"]
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        return [done.returncode, done.stdout, done.stderr]
    store = os.path.join(folder, "vigie.db")
    out["first"] = notify("first")
    # Events kept while the store was away, as a run that could not write it left them.
    from datetime import datetime, timezone
    from bridge.store import spool
    from bridge.domain.notification import Event
    moment = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    for name in ("a", "b", "c"):
        spool.append(spool.spool_path(__import__("pathlib").Path(store)), Event(
            type="PROBLEM", host="web01", service=name, state="CRITICAL", output="x" * 20_000,
            since=moment, received_at=moment))
    filler = os.path.join(folder, "filler")
    fill = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(10_000):
            os.write(fill, b"x" * 4096)
    except OSError:
        pass
    # Room for the store to open and start a replay, not for the replay to end.
    os.ftruncate(fill, os.fstat(fill).st_size - ROOM)
    os.close(fill)
    out["full"] = notify("d")
    out["rejected"] = sorted(n for n in os.listdir(folder) if n.endswith(".rejected"))
    out["why"] = [open(os.path.join(folder, n)).read()[-400:] for n in out["rejected"]]
    os.unlink(filler)
    out["freed"] = notify("e")
    out["again"] = notify("f")
    import sqlite3
    db = sqlite3.connect(store)
    out["keys"] = [key for (key,) in db.execute("SELECT key FROM tickets ORDER BY key")]
    db.close()
    print(json.dumps(out))
    """
)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
@pytest.mark.parametrize("room", [0, 48 * 1024, 96 * 1024])
def test_a_full_disk_during_a_replay_keeps_the_spooled_events(tmp_path: Path, room: int) -> None:
    """The store's file system fills up (a 2 MiB tmpfs in a private mount namespace) while
    spooled events wait: they stay in the spool, the error says the disk is full, and once
    space is freed every one is recorded."""
    folder = tmp_path / "small"
    folder.mkdir()
    config = write_config(folder)
    config = config.rename(tmp_path / "vigie.yaml")  # the configuration stays outside the tmpfs
    script = tmp_path / "scenario.py"
    script.write_text(FULL_DISK_SCENARIO)
    ran = subprocess.run(
        [
            *("unshare", "--mount", "--propagation", "private", "--", sys.executable),
            *(str(script), VIGIE, str(folder), str(config), str(tmp_path / "cache"), str(room)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if ran.returncode != 0 and "unshare" in ran.stderr:
        pytest.skip(f"no private mount namespace here: {ran.stderr.strip()}")
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["first"][0] == 0, out["first"]
    code, stdout, stderr = out["full"]
    assert code in (0, 75), (stdout, stderr)
    said = (stdout + stderr).replace(str(tmp_path), "FOLDER").lower()
    assert "full" in said or "no space" in said, said
    assert "rollback" not in said
    assert out["rejected"] == [], out["why"]
    assert out["freed"][0] == 0, out["freed"]
    assert out["again"][0] == 0, out["again"]
    assert "spooled" not in out["again"][1]
    expected = ["web01!a", "web01!b", "web01!c", "web01!e", "web01!f", "web01!first"]
    if code == 0:  # the event of the run that met the full disk was kept, not refused
        expected.insert(3, "web01!d")
    assert out["keys"] == expected


NOBODY = 65534


def _as_nobody() -> None:
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@pytest.fixture
def public_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own are private to us)."""
    folder = Path(tempfile.mkdtemp(prefix="vigie-public-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to play Icinga's unprivileged user")
def test_a_store_made_writable_again_is_written_again(public_folder: Path) -> None:
    """The store was read-only for a while and read meanwhile (SQLite then leaves a read-only
    shared-memory file behind); once the database is writable again, so is the store."""
    folder = public_folder / "store"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    config = write_config(folder)
    config.chmod(0o644)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VIGIE, "--config", str(config), *args],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},  # Icinga's daemon: no HOME
            timeout=60,
            check=False,
            preexec_fn=_as_nobody,
        )

    def problem(service: str) -> subprocess.CompletedProcess[str]:
        return run(
            *notify_args(
                type="PROBLEM", host="web01", service=service, state="CRITICAL", since="1795600800"
            )
        )

    first = problem("a")
    assert first.returncode == 0, first.stderr
    store = folder / "vigie.db"
    store.chmod(0o440)
    assert run("tickets").returncode == 0  # a reader meanwhile
    shm = folder / "vigie.db-shm"
    assert shm.exists() and not shm.stat().st_mode & stat.S_IWUSR, "no read-only -shm: no test"
    store.chmod(0o640)
    again = problem("b")
    assert again.returncode == 0 and "opened ticket" in again.stdout, (again.stdout, again.stderr)
