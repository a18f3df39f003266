"""The command line of a check: the Nagios-style parser, its value types, and secrets.

Domain model: what an Icinga admin hands a plugin. Icinga runs the plugin with the
arguments of its CheckCommand and logs that command line, so:

- a bad argument is exit 3 (UNKNOWN) with a one-line reason and the usage, on stdout
  where Icinga looks (argparse's own exit 2 would read as CRITICAL);
- every check has -h, -V, -v, -t and --timeout-result, the way the plugin guidelines
  and the monitoring-plugins project spell them;
- thresholds are Nagios ranges (``10``, ``5:10``, ``~:3``, ``@0:2``) in plain decimals;
- a port, a host name and a certificate's days left (``WARN[,CRIT]``) read the same in
  every check;
- secrets come from the environment or a file, never from the command line.

``PluginError`` (bad input found after parsing) and ``UsageError`` (options that parse
but do not fit together) are how the rest of a check reports the admin's mistakes.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys

from plugins import __version__, deadline, nagios
from plugins.nagios import STATES, Range
from plugins.wording import bound, number, one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

EXIT_UNKNOWN = 3
DEFAULT_TIMEOUT = 10.0
# -t beyond this is a typo, not a deadline: Icinga's own check_timeout is minutes at most,
# and the C library's timers overflow long before the float does.
MAX_TIMEOUT = 86400.0
# A negative number or range (-1, -0.5, -1:1): a value, even where -4 and -6 are options.
_NEGATIVE_NUMBER = re.compile(r"-\.?\d")


class PluginError(Exception):
    """Bad input found after parsing (an unreadable file, say): one UNKNOWN line, exit 3."""


class UsageError(PluginError):
    """Options that parse but do not fit together: like a parse error, with the usage line."""


# --- value types ----------------------------------------------------------------------


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


AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def age_range(text: str) -> Range:
    """A Nagios range of ages whose numbers may carry a unit (s, m, h, d, w): ``7d``, ``1h:2d``.

    Converted to seconds, the unit of the perfdata: ``7d`` is ``604800``.
    """
    invert = text.startswith("@")
    body = text.removeprefix("@")
    atoms = body.split(":") if ":" in body else [body]
    if len(atoms) > 2:
        raise argparse.ArgumentTypeError(f"invalid age range {text!r}: more than one ':'")
    converted = []
    for atom in atoms:
        unit = atom[-1:].lower()
        if atom in ("", "~") or unit not in AGE_UNITS:
            converted.append(atom)
            continue
        amount = atom[:-1]
        if not (amount.isascii() and amount.replace(".", "", 1).isdigit()):
            raise argparse.ArgumentTypeError(
                f"invalid age {atom!r} in {text!r}: expected a number with s, m, h, d or w"
            )
        seconds = float(amount) * AGE_UNITS[unit]
        converted.append(number(seconds, 0) if seconds.is_integer() else f"{seconds:f}")
    spec = ("@" if invert else "") + ":".join(converted)
    try:
        return nagios_range(spec)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"invalid age range {text!r}: expected [@][START:][END], each an age such as "
            "3600, 90m, 36h, 7d or 2w"
        ) from None


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
            f"must be at most {bound(MAX_TIMEOUT)} seconds (one day), got {one_line(text, 40)}"
        )
    return value


def state_name(text: str) -> str:
    """argparse type: a state by name (ok, warning, critical, unknown), any case."""
    name = text.lower()
    if name not in STATES:
        raise argparse.ArgumentTypeError(
            f"invalid state {text!r}: expected one of {', '.join(STATES)}"
        )
    return name


# Beyond a century of validity a -C threshold is a typo, not a policy.
MAX_CERT_DAYS = 36500
# What cannot be part of a host name, an address or a server name, besides white space and
# control characters: the signs of a URL or a mail address given where a name was wanted.
_NOT_IN_NAMES = frozenset("/?#@\\")


def port(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(
            f"invalid port {one_line(text, 40)!r}: expected 1 to 65535"
        )
    return int(text)


def host_name(text: str) -> str:
    """argparse type: a host name or an IP address, without spaces, controls or URL signs."""
    problem = None
    if not text or any(char.isspace() or not char.isprintable() for char in text):
        problem = "empty" if not text else "spaces or control characters"
    elif not _NOT_IN_NAMES.isdisjoint(text):
        problem = "a URL or a mail address, not a name"
    elif "[" in text or "]" in text:
        problem = "brackets (an IPv6 address goes without)"
    if problem:
        raise argparse.ArgumentTypeError(
            f"invalid host {one_line(repr(text), 200)}: {problem}; expected a host name "
            "or an IP address"
        )
    return text


def certificate_days(text: str) -> tuple[float, float]:
    """argparse type: ``WARN[,CRIT]`` days of certificate validity left (CRIT default 0)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(?:,([0-9]+(?:\.[0-9]+)?))?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid certificate days {one_line(repr(text), 80)}: expected WARN[,CRIT], e.g. 30,14"
        )
    warn, crit = float(match.group(1)), float(match.group(2) or 0)
    if warn > MAX_CERT_DAYS:
        raise argparse.ArgumentTypeError(
            f"invalid certificate days {text!r}: at most {MAX_CERT_DAYS} (a century)"
        )
    if crit > warn:
        raise argparse.ArgumentTypeError(f"invalid certificate days {text!r}: CRIT above WARN")
    return warn, crit


# --- secrets --------------------------------------------------------------------------


def add_time_thresholds(parser: argparse.ArgumentParser) -> None:
    """-w/-c on the total time in seconds, as the network checks judge it."""
    thresholds = parser.add_argument_group("thresholds")
    thresholds.add_argument(
        "-w",
        "--warning",
        type=nagios_range,
        metavar="RANGE",
        help="WARNING when the total time in seconds is outside RANGE",
    )
    thresholds.add_argument(
        "-c",
        "--critical",
        type=nagios_range,
        metavar="RANGE",
        help="CRITICAL when the total time in seconds is outside RANGE",
    )


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


# --- the parser -----------------------------------------------------------------------


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
            f"{parser.prog} {__version__} (vigie; nagiosplugin {nagios.version}; "
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
            f"{bound(MAX_TIMEOUT)}); network waits end a little earlier, as CRITICAL, so "
            "this one only catches what hangs elsewhere",
        )
        conventions.add_argument(
            "--timeout-result",
            type=state_name,
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

    def bad_arguments(self, message: object) -> str:
        """The output of a bad argument: ``NAME UNKNOWN - bad arguments: why`` and the usage."""
        return f"{self.check_name} UNKNOWN - bad arguments: {one_line(message)}\n" + (
            self.format_usage()
        )

    def error(self, message: str) -> NoReturn:
        """Report a bad argument the plugin way: one UNKNOWN line, the usage, exit 3."""
        deadline.emit(self.bad_arguments(message), EXIT_UNKNOWN)
