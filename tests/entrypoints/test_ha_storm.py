"""An HA pair's alert storm on each store: 1,000 notifications from 64 concurrent processes,
every event delivered twice as both masters of an Icinga 2 HA zone would send it (R15).

Each process runs ``vigie notify``'s own code (``bridge.entrypoints.notify.notify``, the
function the command calls once its arguments are read) for its share of the deliveries,
so 64 writers race on the store without paying 1,000 interpreter start-ups. Exactly one
ticket per incident, every event recorded once; with PostgreSQL stopped mid-storm and
started again, nothing is lost once the spool is replayed.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Backend
from tests.servers.postgres import Cluster
from tests.vigie_command import VIGIE, clean_env, write_config

PROCESSES = 64
HOSTS, SERVICES, NUMBERS = 25, 10, 2  # 250 incidents, each notified twice: 500 events
EVENTS = HOSTS * SERVICES * NUMBERS
DELIVERIES = 2 * EVENTS  # 1,000: every event sent by both masters


def deliveries() -> list[list[dict[str, str]]]:
    """The options of each process's notifications: event j goes to process j % 64 and to
    process (j + 32) % 64, so the two deliveries of one event race each other."""
    shares: list[list[dict[str, str]]] = [[] for _ in range(PROCESSES)]
    events = [
        {
            "type": "PROBLEM",
            "host": f"ha{host:02d}",
            "service": f"svc{service}",
            "state": "CRITICAL",
            "output": "CRITICAL - storm",
            "since": "1795600800",
            "notification-number": str(number),
        }
        for number in range(1, NUMBERS + 1)
        for host in range(HOSTS)
        for service in range(SERVICES)
    ]
    for j, event in enumerate(events):
        shares[j % PROCESSES].append(event)
        shares[(j + PROCESSES // 2) % PROCESSES].append(event)
    return shares


def _deliver(config: str, share: list[dict[str, str]], out: str, start: Any) -> None:
    """One process: its notifications one after the other, each outcome a line of ``out``."""
    from bridge.entrypoints.notify import IntakeFailure, notify

    start.wait(60)
    with open(out, "w", encoding="utf-8") as lines:
        for options in share:
            full: dict[str, str | None] = {"author": None, "comment": None, "customer": None}
            full.update(options)
            try:
                said = " | ".join(notify(config, full, datetime.now(UTC)))
            except IntakeFailure as failure:
                said = f"FAILED {failure.exit_code}: {failure}"
            lines.write(json.dumps(said) + "\n")
            lines.flush()


def _done(outputs: list[Path]) -> int:
    return sum(p.read_text(encoding="utf-8").count("\n") for p in outputs if p.exists())


def storm(config: Path, folder: Path, on_progress: Any = None) -> list[str]:
    """Run the storm; every outcome line. ``on_progress(done)`` is called while it runs."""
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    outputs = [folder / f"out-{n}.jsonl" for n in range(PROCESSES)]
    processes = [
        context.Process(target=_deliver, args=(str(config), share, str(out), start))
        for share, out in zip(deliveries(), outputs, strict=True)
    ]
    for process in processes:
        process.start()
    try:
        deadline = time.monotonic() + 600
        while any(p.is_alive() for p in processes) and time.monotonic() < deadline:
            if on_progress is not None:
                on_progress(_done(outputs))
            time.sleep(0.05)
    finally:
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    return [json.loads(line) for out in outputs for line in out.read_text().splitlines()]


def assert_each_incident_once(backend: Backend) -> None:
    """One ticket per incident key; each event recorded once."""
    with backend.raw() as db:
        tickets = db.execute("SELECT count(*), count(DISTINCT key) FROM tickets").fetchone()
        assert tuple(tickets) == (HOSTS * SERVICES, HOSTS * SERVICES)
        events = db.execute(
            "SELECT count(*), count(DISTINCT identity) FROM events WHERE identity IS NOT NULL"
        ).fetchone()
        assert tuple(events) == (EVENTS, EVENTS)


@pytest.mark.slow
def test_an_ha_storm_makes_one_ticket_per_incident_and_records_each_event_once(
    tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, store=backend.store)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the processes inherit it
    said = storm(config, tmp_path)
    assert len(said) == DELIVERIES
    assert [s for s in said if "FAILED" in s or "spooled" in s] == []
    assert sum("opened ticket" in s for s in said) == HOSTS * SERVICES
    assert sum("already recorded" in s for s in said) == EVENTS  # the second of each pair
    assert_each_incident_once(backend)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_stopped_mid_storm_loses_nothing_once_the_spool_is_replayed(
    tmp_path: Path, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = Backend("postgres", tmp_path, pg_cluster.fresh_database())
    config = write_config(tmp_path, store=backend.store)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    state = {"stopped": False, "started": False}

    def outage(done: int) -> None:
        if done >= DELIVERIES * 3 // 10 and not state["stopped"]:
            pg_cluster.stop("fast")  # connections cut mid-transaction
            state["stopped"] = True
        elif done >= DELIVERIES * 6 // 10 and state["stopped"] and not state["started"]:
            pg_cluster.start()
            state["started"] = True

    try:
        said = storm(config, tmp_path, outage)
    finally:
        if not state["started"]:
            pg_cluster.start()
    assert state["stopped"] and state["started"]
    assert [s for s in said if "FAILED" in s] == []
    assert any("spooled" in s for s in said), "the outage spooled nothing"
    replay = subprocess.run(
        [VIGIE, "--config", str(config), "replay"],
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr
    assert not (tmp_path / "vigie.spool").exists() or not (tmp_path / "vigie.spool").stat().st_size
    assert_each_incident_once(backend)
