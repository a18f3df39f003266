"""Benchmark ``vigie notify``: one notification's cost, and an alert storm killed as Icinga kills.

Runs the installed ``vigie`` (next to this Python) on each store in the same run: a fresh
embedded (SQLite) store, with and without a holiday calendar, then a fresh PostgreSQL
database (a throwaway cluster of Debian's postgresql, durable settings: fsync on). One
notification: the median wall and CPU time of sequential runs with the daemon's environment
(no HOME, as Icinga's init script starts it), and with a cache folder given. The storm:
1,000 notifications from 64 processes at a time, each killed once it has run 30 s as Icinga
does with a notification command, half of them the second delivery of a problem as the
other master of an HA pair sends it; then one ``vigie replay``; every problem must be one
ticket. Each is measured twice: the launcher recording the call itself, and handing it to
a running ``vigie notify-server``. Budgets (issue 9): median under 40 ms with the daemon's
environment and a notify server on SQLite, every problem one ticket on both stores either
way. Exits 1 if over.

    .venv/bin/python bench/bench_notify.py [--runs 40] [--storm 1000] [--parallel 64]
        [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import compileall
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from measure import run_once

from tests.servers.postgres import Cluster, throwaway_cluster

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))
BUDGET_MEDIAN_S = 0.040
ICINGA_TIMEOUT_S = 30.0


def make_config(folder: Path, holidays: str | None, url: str | None = None) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = {"path": str(folder / "vigie.db")}
    if url is not None:
        data["store"] = {"url": url, "spool": str(folder / "vigie.spool")}
    data["business_hours"]["holidays"] = holidays
    data.pop("icinga", None)
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def notify_args(config: Path, number: int, service: int | None = None) -> list[str]:
    # A weekday in business hours, so the holiday calendar is consulted when configured.
    since = 1795600800 + number % 3600  # 2026-11-25 (a Wednesday), 10:00-11:00 in Brussels
    return [
        VIGIE,
        "--config",
        str(config),
        "notify",
        "--type",
        "PROBLEM",
        "--host",
        "web01",
        "--service",
        f"bench{number if service is None else service:05d}",
        "--state",
        "CRITICAL",
        "--since",
        str(since),
        "--output",
        "CRITICAL - benchmark",
    ]


def env(daemon: bool = False, server: str = "") -> dict[str, str]:
    """The environment of a notify: ours, or Icinga's daemon's (no HOME, no XDG folders);
    handing its calls to the notify server listening at ``server``, if any."""
    dropped = ("HOME", "XDG_CACHE_HOME") if daemon else ()
    kept = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_") and k not in dropped}
    return {**kept, "VIGIE_NOTIFY_SOCKET": server}


def one(args: list[str], daemon: bool = False, server: str = "") -> tuple[float, float]:
    """Wall and CPU (user+sys of the child, from wait4) of one run."""
    run = run_once(args, env(daemon, server))
    if run.exit_code != 0:
        raise SystemExit(f"vigie notify failed: {' '.join(args)}")
    return run.wall, run.cpu


def byte_compile_bridge() -> None:
    """Write the bridge's .pyc files, as pip does on install (PYTHONDONTWRITEBYTECODE may
    be set here, and then every run would measure the compiler)."""
    compileall.compile_dir(ROOT / "bridge", quiet=1)


def storm(
    config: Path, total: int, parallel: int, offset: int, server: str = ""
) -> tuple[float, int]:
    """``total`` notifications, ``parallel`` at a time, each killed past Icinga's timeout,
    each problem sent twice in a row (two masters); the wall time and how many were killed."""
    start = time.perf_counter()
    running: list[tuple[subprocess.Popen[bytes], float]] = []
    killed = 0

    def reap(block: bool) -> None:
        nonlocal running, killed
        while True:
            now = time.perf_counter()
            still = []
            for process, started in running:
                if process.poll() is not None:
                    continue
                if now - started > ICINGA_TIMEOUT_S:
                    process.kill()
                    process.wait()
                    killed += 1
                    continue
                still.append((process, started))
            running = still
            if not block or len(running) < parallel:
                return
            time.sleep(0.005)

    for number in range(offset, offset + total):
        reap(block=True)
        twice = offset + (number - offset) // 2  # the same problem, from the other master
        process = subprocess.Popen(
            notify_args(config, number, twice),
            env=env(server=server),
            stdout=subprocess.DEVNULL,
        )
        running.append((process, time.perf_counter()))
    while running:
        reap(block=False)
        time.sleep(0.01)
    return time.perf_counter() - start, killed


@contextmanager
def notify_server(config: Path) -> Iterator[tuple[str, int]]:
    """A ``vigie notify-server`` for ``config``, as deployed beside Icinga; its socket and
    process id."""
    socket = str(config.parent / "notify.sock")
    server = subprocess.Popen(
        [VIGIE, "--config", str(config), "notify-server", "--socket", socket],
        env=env(daemon=True),
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # bounded: 30 s
            if os.path.exists(socket):
                break
            time.sleep(0.1)
        else:
            raise SystemExit("vigie notify-server did not start")
        yield socket, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def process_cpu(pid: int) -> float:
    """CPU seconds (user+sys) a running process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replay(config: Path) -> None:
    """``vigie replay`` until nothing waits: what killed runs left in the journal."""
    for _ in range(20):
        done = subprocess.run(
            [VIGIE, "--config", str(config), "replay"], env=env(), capture_output=True, check=False
        )
        if done.returncode == 0:
            return
    raise SystemExit("vigie replay did not drain the journal")


def tickets(config: Path, url: str | None) -> int:
    if url is not None:
        import psycopg

        with psycopg.connect(url) as pg:
            found = pg.execute("SELECT count(*) FROM tickets").fetchone()
            return int(found[0]) if found else 0
    db = sqlite3.connect(config.parent / "vigie.db")
    try:
        return int(db.execute("SELECT count(*) FROM tickets").fetchone()[0])
    finally:
        db.close()


def measure(options: argparse.Namespace, label: str, holidays: str | None, url: str | None) -> bool:
    """One store's figures, in-process and through a notify server, printed; whether over
    budget."""
    over = False
    with tempfile.TemporaryDirectory() as folder:
        config = make_config(Path(folder), holidays, url)
        one(notify_args(config, 99999), daemon=True)  # creates store and cache: not measured
        with notify_server(config) as (server, pid):
            for how, socket in (("in-process", ""), ("via notify-server", server)):
                base = 200000 if socket else 0
                server_cpu = process_cpu(pid)
                daemon = [
                    one(notify_args(config, base + n), daemon=True, server=socket)
                    for n in range(options.runs)
                ]
                cached = [
                    one(notify_args(config, base + 50000 + n), server=socket)
                    for n in range(options.runs)
                ]
                wall = statistics.median(r[0] for r in daemon)
                # The server's share, per call, added to the caller's own CPU.
                served = (process_cpu(pid) - server_cpu) / options.runs if socket else 0.0
                cpu = statistics.median(r[1] for r in daemon) + served
                wall_cached = statistics.median(r[0] for r in cached)
                before = tickets(config, url)
                storm_wall, killed = storm(
                    config, options.storm, options.parallel, base + 100000, socket
                )
                replay(config)
                recorded = tickets(config, url) - before
                problems = (options.storm + 1) // 2
                print(
                    f"  {label:<23} {how:<17} daemon env median wall {wall * 1000:6.1f} ms, "
                    f"CPU {cpu * 1000:6.1f} ms with the server's (cache folder given: "
                    f"{wall_cached * 1000:6.1f} ms); storm {storm_wall:5.1f} s, {killed} "
                    f"killed, {recorded} tickets for {problems} problems sent twice",
                    flush=True,
                )
                if recorded != problems or (url is None and socket and wall > BUDGET_MEDIAN_S):
                    over = True
    return over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--stores", default="sqlite,postgresql")
    options = parser.parse_args()
    stores = options.stores.split(",")
    over = False
    byte_compile_bridge()
    print(
        f"vigie notify: {options.runs} sequential runs (the daemon's environment, then a cache "
        f"folder given), then a storm of {options.storm} ({options.parallel} at a time, each "
        f"killed past {ICINGA_TIMEOUT_S:.0f} s, each problem sent twice), on each store, "
        "in-process and through a notify server"
    )
    if "sqlite" in stores:
        for holidays in (None, "BE"):
            label = f"SQLite, holidays {holidays}" if holidays else "SQLite, no holidays"
            over |= measure(options, label, holidays, None)
    if "postgresql" in stores:
        with throwaway_cluster(durable=True) as cluster:
            over |= measure(options, "PostgreSQL, no holidays", None, database(cluster))
    print(
        f"budget: median < {BUDGET_MEDIAN_S * 1000:.0f} ms with the daemon's environment and "
        "a notify server (SQLite), every problem of the storm one ticket: "
        f"{'OVER' if over else 'met'}"
    )
    return 1 if over else 0


def database(cluster: Cluster) -> str:
    """A new empty database of the cluster (the first notify creates the schema)."""
    return cluster.empty_database()


if __name__ == "__main__":
    sys.exit(main())
