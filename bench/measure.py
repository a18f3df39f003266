"""Measuring commands the way the budgets are stated: wall time, CPU time, peak RSS.

Wall and CPU come from spawning the command directly and reaping it with ``os.wait4``
(user + system time of the command alone). Peak RSS needs care: Linux carries a process's
resident size from before ``exec`` into its ``ru_maxrss``, so a command started by this
Python process would report at least this process's own size. GNU time (``/usr/bin/time``,
Debian package ``time``) is a small C program that forks, waits with ``wait4`` and prints
``ru_maxrss``: started under it, a command's peak is its own. Without it, the figure is
reported as an upper bound.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

GNU_TIME = shutil.which("time", path="/usr/bin:/bin")
DEVNULL_ACTIONS = [
    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
]


class Run:
    """One run of a command: wall and CPU seconds, exit code, ``ru_maxrss`` in KiB."""

    def __init__(self, wall: float, cpu: float, exit_code: int, max_rss_kib: int) -> None:
        self.wall = wall
        self.cpu = cpu
        self.exit_code = exit_code
        self.max_rss_kib = max_rss_kib


def run_once(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Run:
    """Spawn ``argv`` with no output, wait for it, and return what it cost."""
    started = time.perf_counter()
    environment = os.environ if env is None else env
    pid = os.posix_spawn(argv[0], list(argv), environment, file_actions=DEVNULL_ACTIONS)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    return Run(
        wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), usage.ru_maxrss
    )


def peak_rss_kib(argv: Sequence[str]) -> int | None:
    """The command's own peak RSS in KiB, measured by GNU time; None without it."""
    if GNU_TIME is None:
        return None
    with tempfile.NamedTemporaryFile("r", prefix="bench-rss-") as report:
        subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", report.name, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )
        text = Path(report.name).read_text().strip().splitlines()
    return int(text[-1]) if text and text[-1].isdigit() else None


class Figures:
    """Medians and peak over the runs of one command."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs: list[Run] = []
        self.rss_kib: list[int] = []

    @property
    def median_wall(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def median_cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        """Peak RSS in MiB: GNU time's figure, else wait4's (an upper bound)."""
        values = self.rss_kib or [run.max_rss_kib for run in self.runs]
        return max(values) / 1024

    @property
    def exit_codes(self) -> set[int]:
        return {run.exit_code for run in self.runs}


def compare(commands: dict[str, list[str]], runs: int) -> dict[str, Figures]:
    """Run each command ``runs`` times, interleaved so load changes hit all of them alike."""
    figures = {name: Figures(name) for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            figures[name].runs.append(run_once(argv))
            rss = peak_rss_kib(argv)
            if rss is not None:
                figures[name].rss_kib.append(rss)
    return figures


def rss_method() -> str:
    """How peak RSS was measured, for the report."""
    if GNU_TIME:
        return f"peak RSS: ru_maxrss via {GNU_TIME}"
    return "peak RSS: ru_maxrss via wait4 from this process (upper bound: install 'time')"


def report_against(
    title: str, baseline: Figures, ours: Figures, wall_ratio_budget: float, rss_budget_mb: float
) -> bool:
    """Print a plugin's figures beside its C baseline's and the budget verdict; True when
    within budget (wall within ``wall_ratio_budget`` times the baseline's, RSS under its
    budget)."""
    print(title)
    print(f"{'':18} {'median wall':>12} {'median CPU':>12} {'peak RSS':>10}")
    for fig in (baseline, ours):
        print(
            f"{fig.name:18} {fig.median_wall * 1000:9.1f} ms {fig.median_cpu * 1000:9.1f} ms "
            f"{fig.peak_rss_mib:7.1f} MB"
        )
    wall_ratio = ours.median_wall / baseline.median_wall
    cpu_ratio = ours.median_cpu / baseline.median_cpu if baseline.median_cpu else float("inf")
    rss_ratio = ours.peak_rss_mib / baseline.peak_rss_mib
    print(f"{'ratio':18} {wall_ratio:11.1f}x {cpu_ratio:11.1f}x {rss_ratio:9.1f}x")
    print(f"({rss_method()}; MB here means MiB)")
    wall_ok = wall_ratio <= wall_ratio_budget
    rss_ok = ours.peak_rss_mib < rss_budget_mb
    print(
        f"budget: wall within {wall_ratio_budget:g}x {baseline.name}: {wall_ratio:.1f}x "
        f"{'ok' if wall_ok else 'OVER'}; peak RSS under {rss_budget_mb:g} MB: "
        f"{ours.peak_rss_mib:.1f} MB {'ok' if rss_ok else 'OVER'}"
    )
    return wall_ok and rss_ok
