"""check_vigie_ipcheck against a loopback nameserver, beside monitoring-plugins' check_dns.

NSD (Debian's authoritative nameserver) serves the test zones on 127.0.0.153 port 53 (the
port check_dns's nslookup asks; binding it needs root) or, failing that, on a free port,
where check_dns cannot follow. Interleaved, at least 30 runs each:

- check_dns -H www.example.test -s SERVER: a plain lookup;
- check_vigie_ipcheck on the same plain lookup;
- check_vigie_ipcheck on the same name with five blocklist zones (--rbl-default, served
  by NSD too): 30 questions in parallel.

Prints the median wall time, median CPU time (user + system) and peak RSS of each, and
checks the budget of the five-zone run: under 250 ms median CPU and 40 MB peak RSS, and
within 8x check_dns's median wall when check_dns could run. CPU time and the ratio hold
when other work shares the machine; a wall time in milliseconds would not.
Exits 1 when over budget, 2 when it cannot run.

    .venv/bin/python bench/bench_ipcheck.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench_http import byte_compile_plugins
from measure import Figures, compare, rss_method, run_once

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers.dns_zones import zones  # noqa: E402
from tests.servers.nsd import NSD, NsdServer  # noqa: E402

CHECK_DNS = Path("/usr/lib/nagios/plugins/check_dns")
CHECK_IPCHECK = Path(sys.executable).parent / "check_vigie_ipcheck"
SERVER_ADDRESS = "127.0.0.153"
CPU_BUDGET_MS = 250.0
WALL_RATIO_BUDGET = 8.0
RSS_BUDGET_MB = 40.0


def start_server(folder: Path) -> NsdServer:
    """NSD on port 53 when this process may bind it (check_dns can then ask it too)."""
    if os.geteuid() == 0:
        server = NsdServer(folder / "port53", zones("192.0.2.80"), port=53)
        server.addresses = (SERVER_ADDRESS,)
        try:
            return server.start()
        except RuntimeError as exc:
            print(f"bench_ipcheck: NSD cannot serve port 53 ({exc}); check_dns left out")
    return NsdServer(folder / "free-port", zones("192.0.2.80")).start()


def report(figures: dict[str, Figures], runs: int) -> bool:
    """Print the figures and the budget verdict; True when within budget."""
    print(f"DNS checks against NSD on loopback, {runs} interleaved runs each")
    print(f"{'':28} {'median wall':>12} {'median CPU':>12} {'peak RSS':>10}")
    for fig in figures.values():
        print(
            f"{fig.name:28} {fig.median_wall * 1000:9.1f} ms {fig.median_cpu * 1000:9.1f} ms "
            f"{fig.peak_rss_mib:7.1f} MB"
        )
    print(f"({rss_method()}; MB here means MiB)")
    five = figures["ipcheck (5 blocklists)"]
    verdicts = []
    cpu_ms = five.median_cpu * 1000
    cpu_ok = cpu_ms < CPU_BUDGET_MS
    verdicts.append(f"CPU under {CPU_BUDGET_MS:g} ms: {cpu_ms:.1f} ms {'ok' if cpu_ok else 'OVER'}")
    rss_ok = five.peak_rss_mib < RSS_BUDGET_MB
    verdicts.append(
        f"peak RSS under {RSS_BUDGET_MB:g} MB: {five.peak_rss_mib:.1f} MB "
        f"{'ok' if rss_ok else 'OVER'}"
    )
    ratio_ok = True
    if "check_dns" in figures:
        for fig in (figures["ipcheck (plain lookup)"], five):
            ratio = fig.median_wall / figures["check_dns"].median_wall
            print(f"{fig.name} takes {ratio:.1f}x check_dns's wall time")
        ratio_ok = ratio <= WALL_RATIO_BUDGET
        verdicts.append(
            f"wall within {WALL_RATIO_BUDGET:g}x check_dns: {ratio:.1f}x "
            f"{'ok' if ratio_ok else 'OVER'}"
        )
    print("budget of the five-blocklist run: " + "; ".join(verdicts))
    return cpu_ok and rss_ok and ratio_ok


def main() -> int:
    """Run the benchmark; the exit status says whether the budget holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per command (at least 30)")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    for path, hint in ((CHECK_IPCHECK, "make venv"), (Path(NSD), "apt-get install nsd")):
        if not path.exists():
            print(f"bench_ipcheck: {path} is missing ({hint})", file=sys.stderr)
            return 2

    byte_compile_plugins()
    with tempfile.TemporaryDirectory(prefix="bench-ipcheck-") as folder:
        server = start_server(Path(folder))
        try:
            spec = server.spec(server.addresses[0])
            ipcheck = [str(CHECK_IPCHECK), "-H", "www.example.test", "--nameserver", spec]
            commands = {
                "ipcheck (plain lookup)": ipcheck,
                "ipcheck (5 blocklists)": [*ipcheck, "--rbl-default"],
            }
            if server.port == 53 and CHECK_DNS.exists():
                commands["check_dns"] = [
                    str(CHECK_DNS), "-H", "www.example.test", "-s", server.addresses[0],
                ]  # fmt: skip
            for name, argv in commands.items():
                # A warm-up run each (page cache, .pyc files), which must also succeed.
                code = run_once(argv).exit_code
                if code != 0:
                    print(f"bench_ipcheck: {name} exits {code}", file=sys.stderr)
                    return 2
            figures = compare(commands, args.runs)
        finally:
            server.stop()
    for fig in figures.values():
        if fig.exit_codes != {0}:
            print(f"bench_ipcheck: {fig.name} exit codes {sorted(fig.exit_codes)}", file=sys.stderr)
            return 2
    return 0 if report(figures, args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
