"""check_vigie_bridge on a busy store, with the environment Icinga's daemon gives it.

The store holds a year's worth of tickets of a small provider (300 incidents, each with
its problem, take-over and recovery, left open), and two notifications wait in the spool;
the environment is the daemon's (PATH and LANG, no HOME; the configuration cache in a
folder of its own). At least 30 runs: median wall and CPU
time, peak RSS. Budget: under 150 ms of CPU and 40 MB (Icinga runs it every minute on the
master). Exits 1 when over budget, 2 when it cannot run. ``bench/run_all.py`` runs it.

    .venv/bin/python bench/bench_bridge.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_http import byte_compile_plugins
from measure import Figures, compare, rss_method, run_once

REPO = Path(__file__).resolve().parents[1]
CHECK_BRIDGE = Path(sys.executable).parent / "check_vigie_bridge"
CPU_BUDGET_MS = 150.0
RSS_BUDGET_MB = 40.0
INCIDENTS = 300


def fill(folder: Path) -> Path:
    """A configuration and a store with ``INCIDENTS`` incidents and a spool of two."""
    sys.path.insert(0, str(REPO))
    import yaml

    from bridge.config.load import load_config
    from bridge.domain.notification import Event
    from bridge.services.notifications import record_notification
    from bridge.services.tickets import take
    from bridge.store import spool
    from bridge.store.unit_of_work import UnitOfWork

    data = yaml.safe_load((REPO / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = {"path": str(folder / "vigie.db")}
    data.pop("icinga", None)
    for customer in data["customers"].values():
        customer.pop("alerts", None)  # sent long ago: nothing waits in the outbox
    config_file = folder / "vigie.yaml"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(config_file, cache=False)
    uow = UnitOfWork(config.store_path)
    start = datetime.now(UTC) - timedelta(days=365)
    hosts = ["web01", "db01", "mail01"]
    for number in range(INCIDENTS):
        since = start + timedelta(hours=number * 12)
        host = hosts[number % len(hosts)]

        def event(kind: str, state: str, at: datetime, host: str = host) -> Event:
            return Event(kind, host, "http", state, "", at, at + timedelta(seconds=3))

        outcome = record_notification(uow, config, event("PROBLEM", "CRITICAL", since), since)
        if outcome.ticket_id is not None and outcome.opened is not None:
            take(uow, outcome.ticket_id, "alice", since + timedelta(minutes=5), since)
        later = since + timedelta(hours=1)
        record_notification(uow, config, event("RECOVERY", "OK", later), later)
    now = datetime.now(UTC)
    for minutes in (3, 1):
        at = now - timedelta(minutes=minutes)
        spool.append(
            spool.spool_path(config.store_path),
            Event("PROBLEM", "db01", "disk", "CRITICAL", "", at, at),
        )
    return config_file


def main() -> int:
    """Run the benchmark; the exit status says whether the budget holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs (at least 30)")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    if not CHECK_BRIDGE.exists():
        print(f"bench_bridge: {CHECK_BRIDGE} is missing (make venv)", file=sys.stderr)
        return 2
    byte_compile_plugins()
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as scratch:
        folder = Path(scratch)
        config_file = fill(folder)
        # The daemon's environment: no HOME, nothing of the caller's.
        os.environ.clear()
        os.environ.update(
            {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "VIGIE_CACHE_DIR": str(folder)}
        )
        argv = [str(CHECK_BRIDGE), "--config", str(config_file)]
        warm = run_once(argv)  # also fills the configuration cache, as Icinga's first run
        if warm.exit_code != 1:  # WARNING: two notifications spooled, a few minutes old
            print(f"bench_bridge: check_vigie_bridge exits {warm.exit_code}", file=sys.stderr)
            return 2
        figures: Figures = compare({"check_vigie_bridge": argv}, args.runs)["check_vigie_bridge"]
    if figures.exit_codes != {1}:
        print(f"bench_bridge: exit codes {sorted(figures.exit_codes)}", file=sys.stderr)
        return 2
    print(
        f"check_vigie_bridge, {INCIDENTS} incidents and 2 spooled notifications, "
        f"{args.runs} runs, no HOME"
    )
    print(
        f"median wall {figures.median_wall * 1000:.1f} ms, median CPU "
        f"{figures.median_cpu * 1000:.1f} ms, peak RSS {figures.peak_rss_mib:.1f} MB "
        f"({rss_method()})"
    )
    cpu_ok = figures.median_cpu * 1000 < CPU_BUDGET_MS
    rss_ok = figures.peak_rss_mib < RSS_BUDGET_MB
    print(
        f"budget: CPU under {CPU_BUDGET_MS:g} ms {'ok' if cpu_ok else 'OVER'}; "
        f"peak RSS under {RSS_BUDGET_MB:g} MB {'ok' if rss_ok else 'OVER'}"
    )
    return 0 if cpu_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
