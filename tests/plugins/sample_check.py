"""A minimal plugin on plugins.runtime, to test the conventions every check shares.

Not a stand-in for anything: a real plugin process whose probe does what ``--mode`` says
(measure a tiny number, sleep, block SIGALRM and sleep, raise), so the tests can watch
the runtime handle each case from the outside, as Icinga would.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# Run as a script from the tests: make the project importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from plugins import runtime
from plugins.runtime import Deadline, Metric, PluginCheck, Resource

MODES = ("ok", "sleep", "block", "raise", "plugin-error", "usage-error")
SLEEP = 30.0  # far past any -t the tests give; the deadline must end it first


class Sample(Resource):
    """Domain model: nothing; the probe just does what the test asked."""

    def __init__(self, mode: str, deadline: Deadline) -> None:
        self.mode = mode
        self.deadline = deadline

    def probe(self) -> Iterator[Metric]:
        if self.mode == "sleep":
            self.deadline.activity = "sleeping in the probe"
            time.sleep(SLEEP)
        elif self.mode == "block":
            # SIGALRM cannot reach this thread: only the watchdog can end the run.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            self.deadline.activity = "blocked with SIGALRM masked"
            time.sleep(SLEEP)
        elif self.mode == "raise":
            raise ZeroDivisionError("division by zero")
        elif self.mode == "plugin-error":
            raise runtime.PluginError("cannot read the sample file")
        elif self.mode == "usage-error":
            raise runtime.UsageError("--mode usage-error needs nothing at all")
        yield Metric("tiny", 0.00001, "s", min=0, context="tiny")
        yield Metric("count", 3, "", min=0, context="count")


def build_parser() -> runtime.PluginArgumentParser:
    """The sample's command line: the conventions plus --mode and thresholds."""
    parser = runtime.PluginArgumentParser("SAMPLE", "sample_check", "Sample plugin for tests.")
    parser.add_argument("--mode", choices=MODES, default="ok", help="what the probe does")
    parser.add_argument("-w", "--warning", type=runtime.nagios_range, help="range for tiny")
    parser.add_argument("-c", "--critical", type=runtime.nagios_range, help="range for tiny")
    return parser


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The sample check."""
    return PluginCheck(
        Sample(args.mode, deadline),
        runtime.ThresholdContext("tiny", args.warning, args.critical),
        runtime.ThresholdContext("count"),
        name="SAMPLE",
    )


if __name__ == "__main__":
    runtime.run(build_parser(), build_check)
