"""check_vigie_http beside monitoring-plugins' check_curl, on the same loopback server.

Both plugins fetch the same page from an HTTP server this script starts on 127.0.0.1,
interleaved, at least 30 runs each. Prints the median wall time, median CPU time
(user + system) and peak RSS of each, and their ratios, then checks the budget:
check_vigie_http within 6x check_curl's median wall time and under 25 MB peak RSS.
Exits 1 when over budget, 2 when it cannot run.

    .venv/bin/python bench/bench_http.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import http.server
import importlib.util
import sys
import threading
from pathlib import Path

from measure import Figures, compare, report_against, run_once

CHECK_CURL = Path("/usr/lib/nagios/plugins/check_curl")
CHECK_VIGIE_HTTP = Path(sys.executable).parent / "check_vigie_http"
PAGE = b"<html><body>" + b"Vigie benchmark page. " * 55 + b"</body></html>\n"
WALL_RATIO_BUDGET = 6.0
RSS_BUDGET_MB = 25.0


class Page(http.server.BaseHTTPRequestHandler):
    """Serves the same page for every GET."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


def report(curl: Figures, vigie: Figures, runs: int) -> bool:
    """Print the figures and the budget verdict; True when within budget."""
    title = f"HTTP check on loopback ({len(PAGE)}-byte page), {runs} interleaved runs each"
    return report_against(title, curl, vigie, WALL_RATIO_BUDGET, RSS_BUDGET_MB)


def byte_compile_plugins() -> None:
    """Write the plugins' .pyc files, as pip does when it installs a package.

    Without them (say PYTHONDONTWRITEBYTECODE is set) every run would compile the
    plugin's source again and the figures would measure the compiler.
    """
    spec = importlib.util.find_spec("plugins")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def main() -> int:
    """Run the benchmark; the exit status says whether the budget holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per plugin (at least 30)")
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    for plugin, hint in (
        (CHECK_CURL, "monitoring-plugins-standard"),
        (CHECK_VIGIE_HTTP, "make venv"),
    ):
        if not plugin.exists():
            print(f"bench_http: {plugin} is missing ({hint})", file=sys.stderr)
            return 2

    byte_compile_plugins()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        port = str(server.server_address[1])
        commands = {
            "check_curl": [str(CHECK_CURL), "-H", "127.0.0.1", "-p", port, "-u", "/"],
            "check_vigie_http": [str(CHECK_VIGIE_HTTP), "-H", "127.0.0.1", "-p", port, "-u", "/"],
        }
        for name, argv in commands.items():
            # A warm-up run each (page cache, .pyc files), which must also succeed.
            code = run_once(argv).exit_code
            if code != 0:
                print(f"bench_http: {name} exits {code} against the test page", file=sys.stderr)
                return 2
        figures = compare(commands, args.runs)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    for fig in figures.values():
        if fig.exit_codes != {0}:
            print(f"bench_http: {fig.name} exit codes {sorted(fig.exit_codes)}", file=sys.stderr)
            return 2
    return 0 if report(figures["check_curl"], figures["check_vigie_http"], args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
