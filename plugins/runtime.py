"""The check runner: parse, run the check under its deadline, print one answer, exit.

Domain model: one plugin run, as Icinga 2 sees it. Icinga starts the plugin, reads the
first line of stdout (``HTTP OK - summary | perfdata``) and the exit code (0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN), and kills it when its own check_timeout runs out.
``run`` makes every check answer the same way: bad arguments are UNKNOWN with the usage,
the deadline is one line (``plugins.deadline``), an unexpected exception is one UNKNOWN
line naming it (its traceback on stderr with -vvv, never on stdout), and perfdata stay
on the first line in the order the check yields them.

nagiosplugin's Check and Runtime do the judging and the formatting; this module takes
the place of their ``guarded``/``Check.main``, using only their public API.
"""

from __future__ import annotations

import logging
import sys
import traceback

from plugins.arguments import EXIT_UNKNOWN, PluginError, UsageError
from plugins.deadline import Alarm, Deadline, PluginTimeout, emit
from plugins.nagios import Check, CheckError, Metric, Output, Result, Runtime, Unknown
from plugins.wording import clean, one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import NoReturn

    from plugins.arguments import PluginArgumentParser
    from plugins.nagios import Resource

_log = logging.getLogger(__name__)


class PluginCheck(Check):
    """nagiosplugin's Check, keeping perfdata in the order the resources yield metrics.

    nagiosplugin sorts perfdata by label; a plugin lists the main figure first
    (``time=... size=...``) and its details after. Each metric is judged by the context
    it names, as nagiosplugin's own Check does it, through the public API only.
    """

    def __call__(self) -> None:
        for resource in self.resources:
            self._probe(resource)
        self.perfdata = [item for item in self.perfdata if item]

    def _probe(self, resource: Resource) -> None:
        metric: Metric | None = None
        try:
            metrics = resource.probe()
            for metric in [metrics] if isinstance(metrics, Metric) else metrics:
                metric = metric.replace(contextobj=self.contexts[metric.context], resource=resource)
                result = metric.evaluate()
                if not isinstance(result, Result):
                    result = Result(result, metric=metric)
                self.results.add(result)
                self.perfdata.append(str(metric.performance() or ""))
        except CheckError as exc:
            self.results.add(Result(Unknown, str(exc), metric))


class _Output(Output):
    """nagiosplugin's output, with the perfdata kept on the first line at every verbosity,
    and no control character anywhere: a check words what servers said, and a status
    line must stay one line."""

    def add(self, check: Check) -> None:
        self.status = clean(self.format_status(check))
        perfdata = self.format_perfdata(check)
        if perfdata:
            self.status += " " + perfdata
        if self.verbose > 0:
            self.add_longoutput(check.verbose_str)

    def add_longoutput(self, text: str | list[str]) -> None:
        lines = text if isinstance(text, list | tuple) else str(text).splitlines()
        for line in lines:
            super().add_longoutput(clean(line))


class _CleanFormatter(logging.Formatter):
    """Log lines (-vv, -vvv) with control characters escaped: they may quote a server."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record))


def _internal_error(check_name: str, exc: BaseException, verbose: int) -> tuple[str, int]:
    if verbose >= 3:
        # Detail for whoever runs the plugin by hand; stdout stays one line for Icinga.
        traceback.print_exception(exc, file=sys.stderr)
    what = one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return f"{check_name} UNKNOWN - internal error: {what}\n", EXIT_UNKNOWN


def run(
    parser: PluginArgumentParser,
    build_check: Callable[[argparse.Namespace, Deadline], Check],
    argv: Sequence[str] | None = None,
) -> NoReturn:
    """Parse the arguments, run the check under its deadline, print, and exit.

    ``build_check(args, deadline)`` turns the parsed arguments into a Check; it may raise
    ``UsageError`` or ``PluginError`` for input the parser alone cannot judge.
    """
    name = parser.check_name
    args = parser.parse_args(parser.attach_values(sys.argv[1:] if argv is None else argv))
    deadline = Deadline(args.timeout)
    verbose = min(args.verbose, 3)
    runtime = Runtime()
    runtime.output = _Output(runtime.logchan)
    runtime.verbose = verbose
    runtime.logchan.setFormatter(_CleanFormatter("%(message)s"))
    plugin_log = logging.getLogger("plugins")
    plugin_log.setLevel(logging.DEBUG)
    plugin_log.addHandler(runtime.logchan)
    plugin_log.propagate = False

    alarm = Alarm(deadline, name, args.timeout_result)
    try:
        try:
            # Inside the guard: the first alarm may fire before the watchdog has started
            # (a tiny -t), and a timer can fail to start; either ends as one line below.
            alarm.arm()
            runtime.run(build_check(args, deadline))
            text, code = str(runtime.output), runtime.exitcode
        finally:
            # An alarm that fires before this line raises here, still inside the guard;
            # after it, none can interrupt the handlers below or the printing.
            alarm.disarm()
    except PluginTimeout:
        text, code = deadline.timeout_output(name, args.timeout_result)
    except UsageError as exc:
        text, code = parser.bad_arguments(exc), EXIT_UNKNOWN
    except PluginError as exc:
        text, code = f"{name} UNKNOWN - {one_line(exc)}\n", EXIT_UNKNOWN
    except Exception as exc:
        text, code = _internal_error(name, exc, verbose)
    alarm.cancel_watchdog()
    emit(text, code)
