"""Benchmark ``vigie notify``: one notification's cost, and an alert storm.

Runs the installed ``vigie`` (next to this Python) against a fresh embedded store, with and
without a holiday calendar, and prints the median wall and CPU time of one notification and
the wall time of a storm of 500 notifications, 32 at a time, with the tickets it left.
Budgets (issue 3): median under 80 ms per notification, the storm under 30 s. Exits 1 if over.

    .venv/bin/python bench/bench_notify.py [--runs 40] [--storm 500] [--parallel 32]
"""

from __future__ import annotations

import argparse
import compileall
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run_once

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))
BUDGET_MEDIAN_S = 0.080
BUDGET_STORM_S = 30.0


def make_config(folder: Path, holidays: str | None) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = {"path": str(folder / "vigie.db")}
    data["business_hours"]["holidays"] = holidays
    data.pop("icinga", None)
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def notify_args(config: Path, number: int) -> list[str]:
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
        f"bench{number:05d}",
        "--state",
        "CRITICAL",
        "--since",
        str(since),
        "--output",
        "CRITICAL - benchmark",
    ]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}


def one(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user+sys of the child, from wait4) of one run."""
    run = run_once(args)
    if run.exit_code != 0:
        raise SystemExit(f"vigie notify failed: {' '.join(args)}")
    return run.wall, run.cpu


def byte_compile_bridge() -> None:
    """Write the bridge's .pyc files, as pip does on install (PYTHONDONTWRITEBYTECODE may
    be set here, and then every run would measure the compiler)."""
    compileall.compile_dir(ROOT / "bridge", quiet=1)


def storm(config: Path, total: int, parallel: int, offset: int) -> float:
    start = time.perf_counter()
    running: list[subprocess.Popen[bytes]] = []
    for number in range(offset, offset + total):
        while len(running) >= parallel:
            running[0].wait(timeout=120)
            running = [p for p in running if p.poll() is None]
        running.append(
            subprocess.Popen(notify_args(config, number), env=env(), stdout=subprocess.DEVNULL)
        )
    for process in running:
        if process.wait(timeout=120) != 0:
            raise SystemExit("a notification of the storm failed")
    return time.perf_counter() - start


def tickets(config: Path) -> int:
    db = sqlite3.connect(config.parent / "vigie.db")
    try:
        return int(db.execute("SELECT count(*) FROM tickets").fetchone()[0])
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--storm", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=32)
    options = parser.parse_args()
    over = False
    byte_compile_bridge()
    print(
        f"vigie notify: {options.runs} sequential runs, then a storm of {options.storm} "
        f"({options.parallel} at a time), on the embedded store"
    )
    for holidays in (None, "BE"):
        with tempfile.TemporaryDirectory() as folder:
            config = make_config(Path(folder), holidays)
            one(notify_args(config, 99999))  # creates the store; not measured
            runs = [one(notify_args(config, n)) for n in range(options.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            storm_wall = storm(config, options.storm, options.parallel, options.runs)
            left = tickets(config) - options.runs - 1
            label = f"holidays {holidays}" if holidays else "no holidays"
            print(
                f"  {label:<12} median wall {wall * 1000:6.1f} ms, median CPU "
                f"{cpu * 1000:6.1f} ms; storm {storm_wall:5.1f} s, {left} tickets "
                f"for {options.storm} problems"
            )
            if wall > BUDGET_MEDIAN_S or storm_wall > BUDGET_STORM_S or left != options.storm:
                over = True
    print(
        f"budget: median < {BUDGET_MEDIAN_S * 1000:.0f} ms, storm < {BUDGET_STORM_S:.0f} s, "
        f"one ticket per problem: {'OVER' if over else 'met'}"
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
