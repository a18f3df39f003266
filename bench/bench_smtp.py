"""check_vigie_smtp beside monitoring-plugins' check_smtp, on the same loopback server.

Both plugins check the same SMTP server (aiosmtpd, which this script starts on 127.0.0.1):
banner, EHLO, QUIT, interleaved, at least 30 runs each. Prints the median wall time,
median CPU time (user + system) and peak RSS of each, and their ratios, then checks the
budget: check_vigie_smtp within 15x check_smtp's median wall time (check_smtp is a small
C program; Python's own start-up is most of ours) and under 25 MB peak RSS. Exits 1 when
over budget, 2 when it cannot run. ``bench/run_all.py`` runs it with the others.

    .venv/bin/python bench/bench_smtp.py [--runs N]
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

from bench_http import byte_compile_plugins
from measure import Figures, compare, report_against, run_once

CHECK_SMTP = Path("/usr/lib/nagios/plugins/check_smtp")
CHECK_VIGIE_SMTP = Path(sys.executable).parent / "check_vigie_smtp"
WALL_RATIO_BUDGET = 15.0
RSS_BUDGET_MB = 25.0


class Quiet:
    """aiosmtpd's handler: the benchmark sends no mail, so nothing to handle."""


def start_server() -> tuple[Any, int]:
    """aiosmtpd on 127.0.0.1, on a free port; returns (controller, port)."""
    from aiosmtpd.controller import Controller  # a test dependency: `make venv` has it

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Quiet(), hostname="127.0.0.1", port=port, server_hostname="mx.bench")
    controller.start()
    return controller, port


def report(c_check: Figures, vigie: Figures, runs: int) -> bool:
    """Print the figures and the budget verdict; True when within budget."""
    title = f"SMTP check on loopback (banner, EHLO, QUIT), {runs} interleaved runs each"
    return report_against(title, c_check, vigie, WALL_RATIO_BUDGET, RSS_BUDGET_MB)


def main() -> int:
    """Run the benchmark; the exit status says whether the budget holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per plugin (at least 30)")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    for plugin, hint in (
        (CHECK_SMTP, "monitoring-plugins-standard"),
        (CHECK_VIGIE_SMTP, "make venv"),
    ):
        if not plugin.exists():
            print(f"bench_smtp: {plugin} is missing ({hint})", file=sys.stderr)
            return 2

    byte_compile_plugins()
    try:
        controller, port = start_server()
    except ImportError:
        print("bench_smtp: aiosmtpd is missing (make venv)", file=sys.stderr)
        return 2
    try:
        # The same dialogue for both: banner, EHLO with the same name, QUIT.
        common = ["-H", "127.0.0.1", "-p", str(port), "-F", "bench.vigie.test"]
        commands = {
            "check_smtp": [str(CHECK_SMTP), *common],
            "check_vigie_smtp": [str(CHECK_VIGIE_SMTP), *common],
        }
        for name, argv in commands.items():
            # A warm-up run each (page cache, .pyc files), which must also succeed.
            code = run_once(argv).exit_code
            if code != 0:
                print(f"bench_smtp: {name} exits {code} against the server", file=sys.stderr)
                return 2
        figures = compare(commands, args.runs)
    finally:
        controller.stop()
    for fig in figures.values():
        if fig.exit_codes != {0}:
            print(f"bench_smtp: {fig.name} exit codes {sorted(fig.exit_codes)}", file=sys.stderr)
            return 2
    return 0 if report(figures["check_smtp"], figures["check_vigie_smtp"], args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
