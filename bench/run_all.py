"""Run every benchmark in bench/ (bench_*.py) in turn; exit 1 if any is over budget.

.venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TIMEOUT = 900  # seconds per benchmark: a stuck one must not hold `make bench` forever


def main() -> int:
    """Run each bench_*.py with this interpreter and summarise the exit codes."""
    scripts = sorted(BENCH.glob("bench_*.py"))
    if not scripts:
        print("run_all: no bench/bench_*.py found", file=sys.stderr)
        return 2
    results: list[tuple[str, int]] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        try:
            code = subprocess.run([sys.executable, str(script)], timeout=TIMEOUT, check=False)
            results.append((script.name, code.returncode))
        except subprocess.TimeoutExpired:
            print(f"run_all: {script.name} took more than {TIMEOUT} s", file=sys.stderr)
            results.append((script.name, 124))
        print(flush=True)
    verdict = {0: "within budget", 1: "OVER BUDGET"}
    for name, code in results:
        print(f"{name}: {verdict.get(code, f'failed (exit {code})')}")
    return 0 if all(code == 0 for _, code in results) else 1


if __name__ == "__main__":
    sys.exit(main())
