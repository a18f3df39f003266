"""The template of a Vigie check: copy it, rename it, replace the probe.

Domain model: none of its own; this check measures two trivial figures, and its probe
can be told (``--mode``) to hang, block signals or fail, so that the tests watch the
shared runtime handle each case from outside, as Icinga would. A real check keeps the
same four labelled parts, in this order, as nagiosplugin's examples are laid out:

1. data acquisition: a ``Resource`` whose ``probe()`` talks to the service and yields
   ``Metric`` objects (a failure of the service is a metric too, for FailureContext);
   network steps go through ``plugins.network`` (``Steps``, ``connect``, ``describe``)
   and ``plugins.line_reader``, every wait bounded by the deadline;
2. data evaluation: one Context per metric, mostly from ``plugins.contexts``
   (``ThresholdContext`` for numbers, ``FailureContext``, ``FindingContext``);
3. data presentation: a ``Summary`` for the status line and the -v lines, worded with
   ``plugins.wording`` (``one_line`` and ``clean`` on anything a server sent);
4. runtime: ``build_parser`` (a ``PluginArgumentParser`` brings -h -V -v -t
   --timeout-result), ``build_check`` (arguments to Check; the admin's mistakes raise
   ``UsageError`` or ``PluginError``) and ``main``, which hands both to
   ``plugins.runtime.run``. Declare ``main`` as a console script in pyproject.toml.

Run it with ``python -m plugins.template_check``.
"""

from __future__ import annotations

import signal
import time

from plugins import arguments, runtime
from plugins.contexts import ThresholdContext
from plugins.nagios import Metric, Ok, Resource, Summary
from plugins.runtime import PluginCheck

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Results

NAME = "SAMPLE"
PROG = "sample_check"
MODES = ("ok", "sleep", "block", "raise", "plugin-error", "usage-error")
SLEEP = 30.0  # far past any -t the tests give; the deadline must end it first


# --- data acquisition -----------------------------------------------------------------


class Sample(Resource):
    """Measures nothing real: the probe does what ``--mode`` asks, then yields two figures."""

    def __init__(self, mode: str, deadline: Deadline) -> None:
        self.mode = mode
        self.deadline = deadline

    def probe(self) -> Iterator[Metric]:
        """A tiny time and a count, after hanging or failing as the mode says."""
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
            raise arguments.PluginError("cannot read the sample file")
        elif self.mode == "usage-error":
            raise arguments.UsageError("--mode usage-error needs nothing at all")
        yield Metric("tiny", 0.00001, "s", min=0, context="tiny")
        yield Metric("count", 3, "", min=0, context="count")


# --- data evaluation ------------------------------------------------------------------
# The figures are numbers judged against -w/-c: ThresholdContext does it (build_check).


# --- data presentation ----------------------------------------------------------------


class SampleSummary(Summary):
    """The status line: nothing more than the state when all is well, else the problems."""

    def ok(self, results: Results) -> str:
        """Nothing to add to ``SAMPLE OK``: the perfdata say it."""
        return ""

    def problem(self, results: Results) -> str:
        """Every problem, worst first."""
        return "; ".join(str(result) for result in results if result.state != Ok)

    def verbose(self, results: Results) -> list[str]:
        """With -v: each problem with its state."""
        return [f"{r.state.text}: {r}" for r in results if r.state != Ok]


# --- runtime --------------------------------------------------------------------------


def build_parser() -> arguments.PluginArgumentParser:
    """The sample's command line: the conventions plus --mode and thresholds."""
    parser = arguments.PluginArgumentParser(NAME, PROG, "Sample plugin for tests.")
    parser.add_argument("--mode", choices=MODES, default="ok", help="what the probe does")
    parser.add_argument("-w", "--warning", type=arguments.nagios_range, help="range for tiny")
    parser.add_argument("-c", "--critical", type=arguments.nagios_range, help="range for tiny")
    return parser


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The sample check: the resource, a context per metric, the summary."""
    return PluginCheck(
        Sample(args.mode, deadline),
        ThresholdContext("tiny", args.warning, args.critical),
        ThresholdContext("count"),
        SampleSummary(),
        name=NAME,
    )


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: parse, probe, judge, print, exit."""
    runtime.run(build_parser(), build_check, argv)


if __name__ == "__main__":
    main()
