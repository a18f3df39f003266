"""The conventions every Vigie check plugin follows, built on nagiosplugin.

Domain model: one plugin run, as Icinga 2 sees it. Icinga starts the plugin, reads the first
line of stdout (``HTTP OK - summary | perfdata``) and the exit code (0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN), and kills it when its own check_timeout runs out. So a run must:

- reject bad arguments with exit 3 and a usage line (argparse's exit 2 reads as CRITICAL);
- end on its own deadline (``-t``) with one UNKNOWN line, or the state ``--timeout-result``
  names, even when C code holds the interpreter (a watchdog thread then ends the process);
- turn any unexpected exception into one UNKNOWN line naming it, never a traceback on stdout;
- print perfdata in base units and plain decimal notation (never ``1e-05``);
- read secrets from the environment or a file, never from the command line, which Icinga logs.

nagiosplugin supplies the model (Resource acquires, Context judges, Summary words, Check
controls) and its Runtime formats the output; this module adds the argument parsing,
the deadline and the error handling around ``Check``, in place of ``guarded``/``Check.main``.
Start-up time is part of every check's cost, so this module imports only what nagiosplugin
loads anyway (notably not ``typing`` or ``dataclasses``), and loads nagiosplugin without the
parts Vigie does not use (see ``_import_nagiosplugin``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import signal
import sys
import threading
import time
import traceback

from plugins import __version__

# mypy treats any name TYPE_CHECKING as true; importing it from typing would cost ~2 ms
# of start-up on every check run.
TYPE_CHECKING = False


def _import_nagiosplugin() -> object:
    """nagiosplugin, its ``Cookie`` and ``LogTail`` loaded on first use instead of up front.

    The package's ``__init__`` imports every class it offers; ``Cookie`` and ``LogTail``
    (state files between runs) bring tempfile, shutil, bz2, lzma, random and json, about
    a tenth of a check's whole run time, for nothing unless a check keeps state. Empty
    stand-ins take their place while the package loads; afterwards the package serves
    the real classes on first access (PEP 562), and importing the submodules works as
    ever. Should a future nagiosplugin not fit this, it is imported the plain way.
    """
    if "nagiosplugin" in sys.modules:
        return sys.modules["nagiosplugin"]
    deferred = {"nagiosplugin.cookie": "Cookie", "nagiosplugin.logtail": "LogTail"}
    stand_ins = {}
    for module_name, class_name in deferred.items():
        if module_name not in sys.modules:
            stand_in = type(sys)(module_name)
            setattr(stand_in, class_name, None)
            stand_ins[module_name] = stand_in
    sys.modules.update(stand_ins)
    try:
        import nagiosplugin as package
    except ImportError:
        package = None
    finally:
        for module_name, stand_in in stand_ins.items():
            if sys.modules.get(module_name) is stand_in:
                del sys.modules[module_name]
    if package is None:
        import nagiosplugin as package

        return package
    lazy = {}
    for module_name, class_name in deferred.items():
        if module_name in stand_ins and getattr(package, class_name, None) is None:
            delattr(package, class_name)
            lazy[class_name] = module_name

    def load_on_access(name: str) -> object:
        if name not in lazy:
            raise AttributeError(f"module 'nagiosplugin' has no attribute {name!r}")
        module = __import__(lazy[name], fromlist=[name])
        value = getattr(module, name)
        setattr(package, name, value)
        return value

    package.__getattr__ = load_on_access
    return package


if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, NoReturn

    import nagiosplugin

    # nagiosplugin ships no type information: these declarations describe the parts of its
    # API that Vigie uses, so that plugins subclass typed classes under mypy --strict.
    class ServiceState:
        code: int
        text: str

        def __int__(self) -> int: ...

    Ok: ServiceState
    Warn: ServiceState
    Critical: ServiceState
    Unknown: ServiceState

    class Range:
        invert: bool
        start: float
        end: float

        def __init__(self, spec: str | Range | None = "") -> None: ...
        def match(self, value: float) -> bool: ...

    class Metric:
        name: str
        value: Any
        uom: str | None
        min: float | None
        max: float | None
        context: str
        contextobj: Context | None
        resource: Resource | None

        def __init__(
            self,
            name: str,
            value: Any,
            uom: str | None = None,
            min: float | None = None,
            max: float | None = None,
            context: str | None = None,
        ) -> None: ...

    class Result:
        state: ServiceState
        hint: str | None
        metric: Metric | None

        def __init__(
            self, state: ServiceState, hint: str | None = None, metric: Metric | None = None
        ) -> None: ...
        @property
        def resource(self) -> Resource | None: ...

    class Results:
        def __iter__(self) -> Iterator[Result]: ...
        def __len__(self) -> int: ...
        def __getitem__(self, item: int | str) -> Result: ...
        def __contains__(self, name: str) -> bool: ...
        @property
        def most_significant_state(self) -> ServiceState: ...
        @property
        def first_significant(self) -> Result: ...

    class Performance:
        def __init__(
            self,
            label: str,
            value: object,
            uom: str = "",
            warn: object = "",
            crit: object = "",
            min: object = "",
            max: object = "",
        ) -> None: ...

    class Resource:
        @property
        def name(self) -> str: ...
        def probe(self) -> Iterable[Metric]: ...

    class Context:
        name: str

        def __init__(self, name: str) -> None: ...
        def evaluate(self, metric: Metric, resource: Resource) -> Result: ...
        def performance(self, metric: Metric, resource: Resource) -> Performance | None: ...
        def describe(self, metric: Metric) -> str | None: ...

    class Summary:
        def ok(self, results: Results) -> str: ...
        def problem(self, results: Results) -> str: ...
        def verbose(self, results: Results) -> list[str]: ...
        def empty(self) -> str: ...

    class Check:
        name: str
        resources: list[Resource]
        results: Results
        perfdata: list[str]

        def __init__(self, *objects: Resource | Context | Summary, name: str = "") -> None: ...
        def _evaluate_resource(self, resource: Resource) -> None: ...
        def __call__(self) -> None: ...
        @property
        def state(self) -> ServiceState: ...
        @property
        def exitcode(self) -> int: ...
        @property
        def verbose_str(self) -> list[str] | str: ...

    class Output:
        status: str
        verbose: int

        def __init__(self, logchan: logging.Handler, verbose: int = 0) -> None: ...
        def format_status(self, check: Check) -> str: ...
        def format_perfdata(self, check: Check) -> str: ...
        def add_longoutput(self, text: str | list[str]) -> None: ...

    class Runtime:
        logchan: logging.StreamHandler[Any]
        output: Output
        exitcode: int

        @property
        def verbose(self) -> int: ...
        @verbose.setter
        def verbose(self, value: int) -> None: ...
        def run(self, check: Check) -> None: ...
else:
    nagiosplugin = _import_nagiosplugin()
    from nagiosplugin import (
        Check,
        Context,
        Critical,
        Metric,
        Ok,
        Performance,
        Range,
        Resource,
        Result,
        Results,
        Summary,
        Unknown,
        Warn,
    )
    from nagiosplugin.output import Output
    from nagiosplugin.runtime import Runtime

__all__ = [
    "Check",
    "Context",
    "Critical",
    "Deadline",
    "Metric",
    "Ok",
    "PluginArgumentParser",
    "PluginCheck",
    "PluginError",
    "Range",
    "Resource",
    "Result",
    "Results",
    "Summary",
    "ThresholdContext",
    "Unknown",
    "UsageError",
    "Warn",
    "nagios_range",
    "number",
    "one_line",
    "performance",
    "range_text",
    "range_violation",
    "read_secret",
    "run",
    "seconds",
    "timeout_seconds",
]

STATES = {"ok": Ok, "warning": Warn, "critical": Critical, "unknown": Unknown}
EXIT_UNKNOWN = 3
DEFAULT_TIMEOUT = 10.0
# -t beyond this is a typo, not a deadline: Icinga's own check_timeout is minutes at most,
# and the C library's timers overflow long before the float does.
MAX_TIMEOUT = 86400.0
# How long the watchdog waits after the deadline before it ends the process itself: the
# SIGALRM path normally answers first, with a cleaner message.
WATCHDOG_GRACE = 0.3
# A status line is one line; an exception message may carry anything.
MAX_LINE = 400
# A negative number or range (-1, -0.5, -1:1): a value, even where -4 and -6 are options.
_NEGATIVE_NUMBER = re.compile(r"-\.?\d")

_emit_lock = threading.Lock()


# --- errors ---------------------------------------------------------------------------


class PluginError(Exception):
    """Bad input found after parsing (an unreadable file, say): one UNKNOWN line, exit 3."""


class UsageError(PluginError):
    """Options that parse but do not fit together: like a parse error, with the usage line."""


class PluginTimeout(BaseException):
    """The plugin's own deadline passed.

    A BaseException so that a plugin's ``except Exception`` around network code cannot
    swallow it and report the deadline as a network failure.
    """


# --- formatting -----------------------------------------------------------------------


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """``text`` squeezed onto one line, without the ``|`` that starts perfdata, bounded."""
    flat = " ".join(str(text).split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def number(value: float, digits: int = 6) -> str:
    """``value`` in plain decimal notation (never ``1e-05``): integers as they are."""
    if isinstance(value, int):
        return str(value)
    if math.isinf(value) or math.isnan(value):
        return str(value)
    return f"{value:.{digits}f}"


def _bound(value: float) -> str:
    """A range boundary as short plain decimal text: ``10``, ``0.5``, ``0.000001``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.12f}".rstrip("0").rstrip(".")


def range_text(spec: Range | None, *, explicit_start: bool = False) -> str:
    """A Nagios range as the plugin guidelines write it, in plain decimal notation.

    ``explicit_start`` writes a start of 0 too (``@0:1`` rather than ``@1``), for prose.
    """
    if spec is None:
        return ""
    text = "@" if spec.invert else ""
    if spec.start == -math.inf:
        text += "~:"
    elif spec.start != 0 or explicit_start or spec.end == math.inf:
        # 0: (alert below zero) written as "" would read as no threshold at all.
        text += _bound(spec.start) + ":"
    if spec.end != math.inf:
        text += _bound(spec.end)
    return text


def range_violation(spec: Range, level: str = "") -> str:
    """Why a value breaks ``spec``: ``outside the warning range 5:10``, or for an inverted
    range (which alerts on the values it holds) ``inside the warning range @0:1``.

    nagiosplugin's ``Range.violation`` says "outside" for both forms.
    """
    where = "inside" if spec.invert else "outside"
    name = f"the {level} range" if level else "the range"
    return f"{where} {name} {range_text(spec, explicit_start=spec.invert)}"


def performance(
    label: str,
    value: float,
    uom: str = "",
    *,
    warning: Range | None = None,
    critical: Range | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    digits: int = 6,
) -> Performance:
    """One perfdata item in base units with every number in plain decimal notation."""
    return Performance(
        label,
        number(value, digits),
        uom,
        range_text(warning),
        range_text(critical),
        "" if minimum is None else _bound(minimum),
        "" if maximum is None else _bound(maximum),
    )


# --- argument types -------------------------------------------------------------------


def _plain_decimal(atom: str) -> bool:
    """True for a finite number in plain decimal notation: ``5``, ``-0.5``, ``.25``.

    Python's own parsers also take ``1_000``, ``inf``, ``nan``, exponents and non-ASCII
    digits; none of them belongs in a threshold, and an exponent would reach perfdata.
    """
    digits = atom[1:] if atom[:1] in ("+", "-") else atom
    whole, _, fraction = digits.partition(".")
    if not (whole or fraction) or not (whole + fraction).isascii():
        return False
    if (whole and not whole.isdigit()) or (fraction and not fraction.isdigit()):
        return False
    # float() of a few hundred digits is inf: no longer a boundary anything can compare to.
    return math.isfinite(float(digits))


def nagios_range(text: str) -> Range:
    """argparse type: a Nagios threshold range (``10``, ``5:10``, ``~:3``, ``@0:2``)."""
    spec = text.removeprefix("@")
    start, _, end = spec.partition(":") if ":" in spec else ("", "", spec)
    atoms_valid = (start in ("", "~") or _plain_decimal(start)) and (
        end == "" or _plain_decimal(end)
    )
    if atoms_valid and spec not in ("", ":"):
        try:
            return Range(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(
        f"invalid range {text!r}: expected [@][START:][END] with numbers and START <= END, "
        "e.g. 10, 5:10, ~:3, @0:2"
    )


def seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds."""
    try:
        # float() also reads "1_0" and non-ASCII digits; a number of seconds is neither.
        value = float(text) if text.isascii() and "_" not in text else math.nan
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        shown = one_line(text, 40) if text.strip() else repr(text)
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {shown}")
    return value


def timeout_seconds(text: str) -> float:
    """argparse type for -t: a positive number of seconds, at most ``MAX_TIMEOUT``."""
    value = seconds(text)
    if value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be at most {_bound(MAX_TIMEOUT)} seconds (one day), got {one_line(text, 40)}"
        )
    return value


def _state_name(text: str) -> str:
    name = text.lower()
    if name not in STATES:
        raise argparse.ArgumentTypeError(
            f"invalid state {text!r}: expected one of {', '.join(STATES)}"
        )
    return name


# --- secrets --------------------------------------------------------------------------


def read_secret(env_var: str, path: str | None, what: str) -> str | None:
    """A secret from file ``path`` when given (its first line), else from ``env_var``.

    None when neither is set. Icinga logs command lines, so secrets never come from there.
    """
    if path:
        try:
            with open(path, encoding="utf-8") as secret_file:
                value = secret_file.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise PluginError(f"cannot read {what} from {path}: {reason}") from None
        if not value:
            raise PluginError(f"{what} file {path} is empty")
        return value
    return os.environ.get(env_var) or None


# --- argument parsing -----------------------------------------------------------------


class _HelpAction(argparse.Action):
    """-h/--help: the full help on stdout, exit 3 as the plugin guidelines ask."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.print_help(sys.stdout)
        sys.stdout.flush()
        sys.exit(EXIT_UNKNOWN)


class _VersionAction(argparse.Action):
    """-V/--version: one line with the versions that matter in a bug report, exit 3."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        py = sys.version_info
        print(
            f"{parser.prog} {__version__} (vigie; nagiosplugin {nagiosplugin.__version__}; "
            f"Python {py.major}.{py.minor}.{py.micro})"
        )
        sys.stdout.flush()
        sys.exit(EXIT_UNKNOWN)


class PluginArgumentParser(argparse.ArgumentParser):
    """argparse with the plugin conventions: -h -V -v -t --timeout-result, errors exit 3.

    A bad argument prints ``NAME UNKNOWN - bad arguments: why`` then the usage line on
    stdout, where Icinga looks, and exits 3 (UNKNOWN) rather than argparse's 2 (CRITICAL).
    """

    def __init__(self, check_name: str, prog: str, description: str, epilog: str = "") -> None:
        super().__init__(
            prog=prog,
            description=description,
            epilog=epilog,
            add_help=False,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.check_name = check_name
        conventions = self.add_argument_group("plugin conventions")
        conventions.add_argument(
            "-h", "--help", action=_HelpAction, nargs=0, help="show this help and exit (status 3)"
        )
        conventions.add_argument(
            "-V", "--version", action=_VersionAction, nargs=0, help="show the version (status 3)"
        )
        conventions.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0,
            help="more detail after the first line: -v the steps, -vv what happened on the "
            "network, -vvv the headers and the traceback of an internal error (on stderr)",
        )
        conventions.add_argument(
            "-t",
            "--timeout",
            type=timeout_seconds,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help="the plugin's own deadline (default %(default)g s, at most "
            f"{_bound(MAX_TIMEOUT)}); network waits end a little earlier, as CRITICAL, so "
            "this one only catches what hangs elsewhere",
        )
        conventions.add_argument(
            "--timeout-result",
            type=_state_name,
            default="unknown",
            metavar="STATE",
            help="state reported when the deadline passes: ok, warning, critical or unknown "
            "(default %(default)s)",
        )

    def attach_values(self, argv: Sequence[str]) -> list[str]:
        """``argv`` with a value that starts with "-" attached to its option (``-t=-1``).

        getopt, which the C plugins use, gives an option that takes a value the next word
        whatever it looks like, and Icinga passes vars that way. argparse reads ``-1`` as an
        option when the parser has options like ``-4``, and ``-text`` as an unknown option.
        A next word that is one of this parser's options stays an option, so that ``-H -v``
        still says that -H lacks its value.
        """
        words = list(argv)
        attached: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            index += 1
            if word == "--":
                attached += words[index - 1 :]
                break
            attached.append(word)
            action = self._option_string_actions.get(word)
            if action is None or action.nargs is not None or index == len(words):
                continue  # not an option taking exactly one value, or nothing follows
            value = words[index]
            if value.startswith("-") and (
                _NEGATIVE_NUMBER.match(value) or not self._is_option(value)
            ):
                attached[-1] = f"{word}={value}"
                index += 1
        return attached

    def _is_option(self, word: str) -> bool:
        """True when argparse would read ``word`` as one of this parser's options."""
        if word.startswith("--"):
            return word.partition("=")[0] in self._option_string_actions
        # -vv, -t5: a short option with something glued to it.
        return word[:2] in self._option_string_actions

    def error(self, message: str) -> NoReturn:
        """Report a bad argument the plugin way: one UNKNOWN line, the usage, exit 3."""
        _emit(
            f"{self.check_name} UNKNOWN - bad arguments: {one_line(message)}\n"
            + self.format_usage(),
            EXIT_UNKNOWN,
        )


# --- the deadline ---------------------------------------------------------------------


class Deadline:
    """The plugin's own time limit (``-t``), and what the plugin is doing meanwhile.

    Network waits end a little earlier, at the network deadline: inside ``network()``
    they raise TimeoutError then (a CRITICAL network timeout, even for a server that
    trickles bytes), leaving time to judge and print before the plugin's own deadline
    (UNKNOWN) could fire. Resources also use ``network_remaining()`` for socket timeouts,
    and set ``activity`` so that a timeout message says what was still pending.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expires = self.started + seconds
        # Leave room for judging and printing after a network timeout.
        self.reserve = min(0.5, seconds / 5)
        self.activity = "starting"
        self.network_waits = 0
        self.network_expired = False
        # Set once the result is known: a late SIGALRM must not interrupt its printing.
        self.finished = False

    @contextlib.contextmanager
    def network(self) -> Iterator[None]:
        """A block of network waits: past the network deadline it raises TimeoutError."""
        if self.network_remaining() <= 0:
            raise TimeoutError("network deadline passed")
        self.network_waits += 1
        try:
            yield
        finally:
            self.network_waits -= 1

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.expires - time.monotonic()

    def network_remaining(self) -> float:
        """Seconds left for network waits: the deadline minus a small reserve."""
        return self.remaining() - self.reserve

    def message(self) -> str:
        """The one-line explanation printed when the deadline passes."""
        # _bound would round a sub-microsecond -t to "0".
        shown = _bound(self.seconds) if self.seconds >= 1e-6 else f"{self.seconds:g}"
        return (
            f"plugin timeout: no result after {shown} s (-t), still {one_line(self.activity, 200)}"
        )


def _alarm_handler(deadline: Deadline) -> Callable[[int, object], None]:
    """SIGALRM fires first at the network deadline, then at the plugin's own."""

    def on_alarm(_signum: int, _frame: object) -> None:
        if deadline.finished:
            return
        left = deadline.remaining()
        if not deadline.network_expired and left > 0:
            deadline.network_expired = True
            signal.setitimer(signal.ITIMER_REAL, left)
            if deadline.network_waits:
                raise TimeoutError("network deadline reached")
            return
        raise PluginTimeout

    return on_alarm


def _timeout_text(check_name: str, state_name: str, deadline: Deadline) -> tuple[str, int]:
    state = STATES[state_name]
    return f"{check_name} {state.text.upper()} - {deadline.message()}\n", int(state)


def _watchdog(check_name: str, state_name: str, deadline: Deadline) -> None:
    """Ends the process when the main thread could not (stuck in C code past the deadline)."""
    if not _emit_lock.acquire(blocking=False):
        return  # the main thread is printing its result right now
    text, code = _timeout_text(check_name, state_name, deadline)
    os.write(sys.stdout.fileno(), text.encode("utf-8", "replace"))
    os._exit(code)


def _emit(text: str, code: int) -> NoReturn:
    """Print the plugin's output and exit, unless the watchdog has already done so."""
    with _emit_lock:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            pass  # nobody reads the output; the exit code still matters
        sys.exit(code)


# --- the check and its output ---------------------------------------------------------


class PluginCheck(Check):
    """nagiosplugin's Check, keeping perfdata in the order the resources yield metrics.

    nagiosplugin sorts perfdata by label; a plugin lists the main figure first
    (``time=... size=...``) and its details after.
    """

    def __call__(self) -> None:
        for resource in self.resources:
            self._evaluate_resource(resource)
        self.perfdata = [item for item in self.perfdata if item]


class ThresholdContext(Context):
    """Judges a number against Nagios warning/critical ranges; perfdata in plain decimals.

    ``hint(metric, level, range)`` words a violation; the default names the metric, its
    value and the range it breaks.
    """

    def __init__(
        self,
        name: str,
        warning: Range | None = None,
        critical: Range | None = None,
        *,
        digits: int = 6,
        hint: Callable[[Metric, str, Range], str] | None = None,
    ) -> None:
        super().__init__(name)
        self.warning = warning
        self.critical = critical
        self.digits = digits
        self.hint = hint or self._default_hint

    def _default_hint(self, metric: Metric, level: str, spec: Range) -> str:
        value = f"{number(metric.value, self.digits)}{metric.uom or ''}"
        return f"{metric.name} {value} is {range_violation(spec, level)}"

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Critical outside the critical range, else warning outside the warning range."""
        if self.critical is not None and not self.critical.match(metric.value):
            return Result(Critical, self.hint(metric, "critical", self.critical), metric)
        if self.warning is not None and not self.warning.match(metric.value):
            return Result(Warn, self.hint(metric, "warning", self.warning), metric)
        return Result(Ok, None, metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance:
        """The metric with its ranges, in base units and plain decimal notation."""
        return performance(
            metric.name,
            metric.value,
            metric.uom or "",
            warning=self.warning,
            critical=self.critical,
            minimum=metric.min,
            maximum=metric.max,
            digits=self.digits,
        )


class _Output(Output):
    """nagiosplugin's output, with the perfdata kept on the first line at every verbosity."""

    def add(self, check: Check) -> None:
        self.status = self.format_status(check)
        perfdata = self.format_perfdata(check)
        if perfdata:
            self.status += " " + perfdata
        if self.verbose > 0:
            self.add_longoutput(check.verbose_str)


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
    plugin_log = logging.getLogger("plugins")
    plugin_log.setLevel(logging.DEBUG)
    plugin_log.addHandler(runtime.logchan)
    plugin_log.propagate = False

    watchdog: threading.Timer | None = None
    try:
        try:
            # Inside the guard: the first alarm may fire before the watchdog has started
            # (a tiny -t), and a timer can fail to start; either ends as one line below.
            signal.signal(signal.SIGALRM, _alarm_handler(deadline))
            signal.setitimer(signal.ITIMER_REAL, args.timeout - deadline.reserve)
            watchdog = threading.Timer(
                args.timeout + WATCHDOG_GRACE, _watchdog, (name, args.timeout_result, deadline)
            )
            watchdog.daemon = True
            watchdog.start()
            runtime.run(build_check(args, deadline))
            text, code = str(runtime.output), runtime.exitcode
        finally:
            # An alarm that fires before these two lines raises here, still inside the
            # guard; after them, none can interrupt the handlers below or the printing.
            deadline.finished = True
            signal.setitimer(signal.ITIMER_REAL, 0)
    except PluginTimeout:
        text, code = _timeout_text(name, args.timeout_result, deadline)
    except UsageError as exc:
        text = f"{name} UNKNOWN - bad arguments: {one_line(exc)}\n{parser.format_usage()}"
        code = EXIT_UNKNOWN
    except PluginError as exc:
        text, code = f"{name} UNKNOWN - {one_line(exc)}\n", EXIT_UNKNOWN
    except Exception as exc:
        text, code = _internal_error(name, exc, verbose)
    if watchdog is not None:
        watchdog.cancel()
    _emit(text, code)
