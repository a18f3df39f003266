"""Reliability of ``vigie notify``: alert storms of real parallel processes, and the spool.

An outage makes Icinga start hundreds of ``vigie notify`` at once, some delivered twice;
every problem must end as exactly one ticket, with no "database is locked" failure. When
the database cannot be written at all, the event goes to a spool and is replayed later.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from tests.vigie_command import VIGIE, Run, as_json, clean_env, notify_args

PROBLEMS = 120
DELIVERIES = 2  # each problem delivered twice, as both masters of an HA pair would


def test_storm_of_parallel_notifications_leaves_one_ticket_per_problem(
    config_file: Path,
) -> None:
    base = [
        "--config",
        str(config_file),
        "notify",
        "--type",
        "PROBLEM",
        "--state",
        "CRITICAL",
        "--since",
        "1795600800",
        "--output",
        "CRITICAL - storm",
    ]
    processes = []
    try:
        for delivery in range(DELIVERIES):
            for number in range(PROBLEMS):
                host = f"storm{number:03d}" if number % 2 else "web01"
                args = [VIGIE, *base, "--host", host, "--service", f"svc{number:03d}"]
                processes.append(
                    subprocess.Popen(
                        args,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        env=clean_env(),
                    )
                )
            del delivery
        results = [(p.wait(timeout=300), *p.communicate(timeout=60)) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    failures = [(code, err) for code, _out, err in results if code != 0]
    assert failures == []
    outputs = [out for _code, out, _err in results]
    assert not any("spooled" in out for out in outputs), "a notification fell back to the spool"
    assert sum("opened ticket" in out for out in outputs) == PROBLEMS
    assert sum("already recorded" in out for out in outputs) == PROBLEMS * (DELIVERIES - 1)
    db = sqlite3.connect(config_file.parent / "vigie.db")
    try:
        assert db.execute("SELECT count(*), count(DISTINCT key) FROM tickets").fetchone() == (
            PROBLEMS,
            PROBLEMS,
        )
        assert db.execute("SELECT count(*) FROM events").fetchone() == (PROBLEMS,)
    finally:
        db.close()


def _notify(config_file: Path, service: str, **popen: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            VIGIE,
            "--config",
            str(config_file),
            *notify_args(
                type="PROBLEM", host="web01", service=service, state="CRITICAL", since="1795600800"
            ),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
        **popen,
    )


def test_unwritable_store_spools_and_the_next_run_replays(config_file: Path, vigie: Run) -> None:
    """The database file is unusable (here: garbage where the database should be)."""
    store = config_file.parent / "vigie.db"
    store.write_bytes(b"this is not a database" * 100)
    first = _notify(config_file, "http")
    assert first.returncode == 0, first.stderr
    assert "spooled PROBLEM for web01!http" in first.stdout
    spool = config_file.parent / "vigie.db.spool"
    assert spool.stat().st_size > 0
    second = _notify(config_file, "http")  # the same event again: kept too, deduplicated later
    assert "spooled" in second.stdout
    store.unlink()
    third = _notify(config_file, "smtp")
    assert third.returncode == 0, third.stderr
    assert "replayed 2 spooled notification(s)" in third.stdout
    assert spool.stat().st_size == 0
    keys = sorted(t["key"] for t in as_json(vigie("tickets", "--format", "json")))
    assert keys == ["web01!http", "web01!smtp"]


def test_store_path_that_cannot_be_opened_spools(config_file: Path, vigie: Run) -> None:
    store = config_file.parent / "vigie.db"
    store.mkdir()  # a folder where the database file should be: SQLite cannot open it
    result = _notify(config_file, "http")
    assert result.returncode == 0, result.stderr
    assert "spooled" in result.stdout
    store.rmdir()
    assert "replayed 1" in _notify(config_file, "http").stdout
    (ticket,) = as_json(vigie("tickets", "--format", "json"))
    assert ticket["key"] == "web01!http"


def test_nothing_writable_at_all_fails_loudly_with_tempfail(tmp_path: Path) -> None:
    """Neither the store nor its spool can be written: exit 75 so Icinga logs the failure."""
    from tests.vigie_command import write_config

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    config = write_config(tmp_path, store={"path": str(blocker / "vigie.db")})
    result = _notify(config, "http")
    assert result.returncode == 75
    assert "NOTHING RECORDED" in result.stderr
    assert "Traceback" not in result.stderr


def test_full_disk_spools_and_the_next_run_replays(config_file: Path, vigie: Run) -> None:
    """The file system refuses to grow the database (a file-size limit stands in for a full
    disk: writes past it fail with EFBIG, as they fail with ENOSPC on a full disk)."""
    import resource
    import signal

    assert _notify(config_file, "http").returncode == 0  # the store exists, with its WAL

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of dying
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    full = _notify(config_file, "disk", preexec_fn=small_files)
    assert full.returncode == 0, full.stderr
    assert "spooled PROBLEM for web01!disk" in full.stdout
    assert "replayed 1" in _notify(config_file, "smtp").stdout
    keys = sorted(t["key"] for t in as_json(vigie("tickets", "--format", "json")))
    assert keys == ["web01!disk", "web01!http", "web01!smtp"]


def test_broken_holiday_calendar_keeps_the_event_until_the_configuration_is_fixed(
    tmp_path: Path, vigie: Run
) -> None:
    """A configuration problem only the calendar finds (an unknown country) is not the
    event's fault: exit 2 naming it, the event kept in the spool, recorded once fixed."""
    from tests.vigie_command import write_config

    write_config(tmp_path, business_hours={"holidays": "XX"})
    failed = _notify(tmp_path / "vigie.yaml", "http")  # a Wednesday at 10:00: a business day
    assert failed.returncode == 2
    assert "holidays" in failed.stderr and "kept in" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    write_config(tmp_path, business_hours={"holidays": "BE"})
    fixed = _notify(tmp_path / "vigie.yaml", "smtp")
    assert fixed.returncode == 0, fixed.stderr
    assert "replayed 1" in fixed.stdout
    keys = sorted(t["key"] for t in as_json(vigie("tickets", "--format", "json")))
    assert keys == ["web01!http", "web01!smtp"]


def test_a_poisoned_spooled_event_is_set_aside_and_never_blocks_the_others(
    config_file: Path, vigie: Run
) -> None:
    """An event that fails for a reason of its own goes to <spool>.rejected, with why."""
    import json

    spool = config_file.parent / "vigie.db.spool"
    good = {
        "type": "PROBLEM",
        "host": "web01",
        "service": "ntp",
        "state": "CRITICAL",
        "output": "NTP CRITICAL",
        "since": "2026-11-25T09:00:00+00:00",
        "received_at": "2026-11-25T09:00:05+00:00",
        "author": None,
        "comment": None,
        "customer_hint": None,
        "notification_number": None,
    }
    # A reference time whose deadline falls past the year 9999: recording it must fail.
    poisoned = dict(good, service="time", since="9999-12-31T23:00:00+00:00")
    spool.write_text("\n".join(json.dumps(e) for e in (poisoned, good)) + "\nnot json\n")
    result = _notify(config_file, "http")
    assert result.returncode == 0, result.stderr
    assert "replayed 1 spooled" in result.stdout
    assert spool.read_text() == ""
    rejected = (config_file.parent / "vigie.db.spool.rejected").read_text().splitlines()
    assert len(rejected) == 2
    assert '"service": "time"' in rejected[0] and "OverflowError" in rejected[0]
    assert rejected[1].startswith("not json")
    keys = sorted(t["key"] for t in as_json(vigie("tickets", "--format", "json")))
    assert keys == ["web01!http", "web01!ntp"]
