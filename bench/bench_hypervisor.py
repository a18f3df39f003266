"""check_vigie_hypervisor on both backends: libvirt's test driver and a loopback Proxmox VE API.

Runs, interleaved, at least 30 times each: the guests mode on ``test:///default`` (libvirt
in-process, one bulk call), the guests mode against the fake Proxmox VE API of the tests
over HTTPS on 127.0.0.1 (one request), and the backups mode there (four requests). Beside
them, what the transport costs on top of what the check imports anyway: the project's own
client (``plugins.http_wire`` and ``plugins.tls``, which load ``ssl``) against
``http.client`` with ``ssl``, or ``requests``. Prints the median
wall time, median CPU time and peak RSS of each, then checks the budget: every plugin run
under 120 ms median CPU time (user + system) and 45 MB peak RSS. Exits 1 when over budget, 2 when it
cannot run.

    .venv/bin/python bench/bench_hypervisor.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

from measure import Figures, compare, rss_method, run_once

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers.pve_api import (  # noqa: E402
    TOKEN_ID,
    TOKEN_SECRET,
    FakePve,
    self_signed_certificate,
)

CHECK = Path(sys.executable).parent / "check_vigie_hypervisor"
# CPU rather than wall time: other processes on a shared machine stretch the wall time.
CPU_BUDGET_MS = 120.0
RSS_BUDGET_MB = 45.0
PLUGIN_RUNS = ("libvirt guests", "proxmox guests", "proxmox backups")
# What every run of the check imports before choosing a transport.
BASE = "import plugins.hypervisor, plugins.runtime"


def report(figures: dict[str, Figures], runs: int) -> bool:
    """Print the figures and the budget verdict; True when within budget."""
    print(f"check_vigie_hypervisor, {runs} interleaved runs each")
    print(f"{'':36} {'median wall':>12} {'median CPU':>12} {'peak RSS':>10}")
    for fig in figures.values():
        print(
            f"{fig.name:36} {fig.median_wall * 1000:9.1f} ms {fig.median_cpu * 1000:9.1f} ms "
            f"{fig.peak_rss_mib:7.1f} MB"
        )
    print(f"({rss_method()}; MB here means MiB)")
    verdicts = []
    for name in PLUGIN_RUNS:
        fig = figures[name]
        cpu_ok = fig.median_cpu * 1000 < CPU_BUDGET_MS
        rss_ok = fig.peak_rss_mib < RSS_BUDGET_MB
        verdicts.append(cpu_ok and rss_ok)
        print(
            f"budget {name}: CPU under {CPU_BUDGET_MS:g} ms: {fig.median_cpu * 1000:.1f} ms "
            f"{'ok' if cpu_ok else 'OVER'}; peak RSS under {RSS_BUDGET_MB:g} MB: "
            f"{fig.peak_rss_mib:.1f} MB {'ok' if rss_ok else 'OVER'}"
        )
    return all(verdicts)


def main() -> int:
    """Run the benchmark; the exit status says whether the budget holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per command (at least 30)")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    if not CHECK.exists():
        print(f"bench_hypervisor: {CHECK} is missing (make venv)", file=sys.stderr)
        return 2
    if importlib.util.find_spec("libvirt") is None:
        print("bench_hypervisor: libvirt-python is missing (make venv)", file=sys.stderr)
        return 2
    spec = importlib.util.find_spec("plugins")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)  # as pip does: measure runs, not compiles

    with tempfile.TemporaryDirectory(prefix="bench-hypervisor-") as tmp:
        cert = self_signed_certificate(Path(tmp))
        server = FakePve(cert).start()
        os.environ["VIGIE_PVE_TOKEN_SECRET"] = TOKEN_SECRET
        try:
            pve = [str(CHECK), "--backend", "proxmox", "--url", server.url]
            pve += ["--token-id", TOKEN_ID, "--ca-file", str(cert[0])]
            python = [sys.executable, "-c"]
            commands = {
                "libvirt guests": [
                    str(CHECK), "--backend", "libvirt", "--uri", "test:///default",
                    "--mode", "guests",
                ],
                "proxmox guests": [*pve, "--mode", "guests"],
                "proxmox backups": [*pve, "--mode", "backups", "-w", "3d", "-c", "1w",
                                    "--ignore", "test01"],
                "base: import plugins.hypervisor": [*python, BASE],
                "base + http_wire, tls, json (ours)": [
                    *python, BASE + ", json, plugins.http_wire, plugins.tls"
                ],
                "base + http.client, ssl, json": [*python, BASE + ", http.client, ssl, json"],
                "base + requests": [*python, BASE + ", requests"],
            }  # fmt: skip
            for name, argv in commands.items():
                code = run_once(argv).exit_code
                if code != 0:
                    print(f"bench_hypervisor: {name} exits {code}", file=sys.stderr)
                    return 2
            figures = compare(commands, args.runs)
        finally:
            server.stop()
    for fig in figures.values():
        if fig.exit_codes != {0}:
            print(f"bench_hypervisor: {fig.name} exit codes {sorted(fig.exit_codes)}")
            return 2
    return 0 if report(figures, args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
