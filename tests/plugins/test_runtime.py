"""The conventions every Vigie plugin shares (plugins/runtime.py and the toolkit).

Behaviour is watched from outside, on a real plugin process (plugins/template_check.py,
whose probe sleeps, blocks or raises on demand), the way Icinga sees it: exit code and
first line. The number formatting is tested directly.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pytest

from plugins import __version__, arguments, wording
from plugins.arguments import PluginError
from plugins.nagios import Range
from tests.plugins.running import PluginRun, run_command

SAMPLE = "plugins.template_check"


def sample(*args: str) -> PluginRun:
    """Run the sample plugin as a separate process."""
    return run_command([sys.executable, "-m", SAMPLE, *args])


# --- start-up -------------------------------------------------------------------------

LEAN_IMPORT_PROBE = """
import sys
import plugins.runtime, plugins.template_check
print(sorted(m for m in ("tempfile", "json", "nagiosplugin.cookie") if m in sys.modules))
import nagiosplugin
from nagiosplugin import Cookie, LogTail
import nagiosplugin.cookie, nagiosplugin.logtail
print(Cookie is nagiosplugin.cookie.Cookie is nagiosplugin.Cookie, Cookie.__name__)
print(LogTail is nagiosplugin.logtail.LogTail, LogTail.__name__)
try:
    nagiosplugin.NoSuchThing
except AttributeError as exc:
    print(exc)
"""


def test_nagiosplugin_state_classes_load_only_when_used() -> None:
    # Cookie and LogTail pull in tempfile and json; a check that keeps no state skips them,
    # and one that does still finds them where nagiosplugin puts them.
    run = run_command([sys.executable, "-c", LEAN_IMPORT_PROBE])
    assert run.lines == [
        "[]",
        "True Cookie",
        "True LogTail",
        "module 'nagiosplugin' has no attribute 'NoSuchThing'",
    ], run


# --- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["-w", "abc"], "argument -w/--warning: invalid range 'abc'"),
        (["-c", "10:5"], "argument -c/--critical: invalid range '10:5'"),
        (["-t", "0"], "argument -t/--timeout: must be a positive number of seconds, got 0"),
        (["-t", "-1"], "argument -t/--timeout: must be a positive number of seconds, got -1"),
        (["-t", "soon"], "argument -t/--timeout: must be a positive number of seconds, got soon"),
        (["-t", "nan"], "argument -t/--timeout: must be a positive number of seconds, got nan"),
        (["-t", "inf"], "argument -t/--timeout: must be a positive number of seconds, got inf"),
        (["-t", "1_0"], "argument -t/--timeout: must be a positive number of seconds, got 1_0"),
        # Past a day -t is a typo; 99999999999 once overflowed the C timer (a traceback).
        (
            ["-t", "86401"],
            "argument -t/--timeout: must be at most 86400 seconds (one day), got 86401",
        ),
        (["-t", "99999999999"], "argument -t/--timeout: must be at most 86400 seconds"),
        (["-t", "1e300"], "argument -t/--timeout: must be at most 86400 seconds"),
        (["-t"], "argument -t/--timeout: expected one argument"),
        (["-w", "-1:-2"], "argument -w/--warning: invalid range '-1:-2'"),
        # float() makes inf of these: a boundary nothing compares to, and an OverflowError
        # when perfdata formats it.
        (["-w", "1" + "0" * 400], "argument -w/--warning: invalid range '1000"),
        (["-c", "1.e400"], "argument -c/--critical: invalid range '1.e400'"),
        (["-c", "nan:"], "argument -c/--critical: invalid range 'nan:'"),
        (["--timeout-result", "maybe"], "argument --timeout-result: invalid state 'maybe'"),
        (["--mode", "usage-error"], "--mode usage-error needs nothing at all"),
    ],
)
def test_bad_arguments_exit_3_with_the_reason_and_the_usage(args: list[str], why: str) -> None:
    run = sample(*args)
    assert run.code == 3
    assert run.first.startswith(f"SAMPLE UNKNOWN - bad arguments: {why}")
    assert run.lines[1].startswith("usage: sample_check ")
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("argv", "attached"),
    [
        (["-t", "-1"], ["-t=-1"]),
        (["--timeout", "-.5", "-4"], ["--timeout=-.5", "-4"]),
        (["-t", "-4"], ["-t=-4"]),  # an option needing a value takes the next word
        (["-s", "-ERR", "-w", "-1:5"], ["-s=-ERR", "-w=-1:5"]),
        (["-s", "plain", "-w", "~:3"], ["-s", "plain", "-w", "~:3"]),
        (["-s", "-v"], ["-s", "-v"]),  # one of the parser's options stays one
        (["-s", "-vv"], ["-s", "-vv"]),
        (["-s", "--timeout=3"], ["-s", "--timeout=3"]),
        (["-s", "--other"], ["-s=--other"]),
        (["-v", "-1"], ["-v", "-1"]),  # -v takes no value
        (["-t"], ["-t"]),
        (["--", "-t", "-1"], ["--", "-t", "-1"]),
    ],
)
def test_values_starting_with_a_dash_are_attached_to_their_option(
    argv: list[str], attached: list[str]
) -> None:
    parser = arguments.PluginArgumentParser("T", "t", "a parser with -4 like check_vigie_http")
    parser.add_argument("-4", dest="ipv4", action="store_true")
    parser.add_argument("-s", "--string")
    parser.add_argument("-w", "--warning", type=arguments.nagios_range)
    assert parser.attach_values(argv) == attached


def test_help_documents_the_conventions_and_exits_3() -> None:
    run = sample("--help")
    assert run.code == 3
    for flag in ("-h, --help", "-V, --version", "-v, --verbose", "-t SECONDS, --timeout SECONDS"):
        assert flag in run.stdout
    assert "--timeout-result STATE" in run.stdout


def test_version_names_the_plugin_and_its_versions() -> None:
    run = sample("-V")
    assert run.code == 3
    assert run.first.startswith(f"sample_check {__version__} (vigie; nagiosplugin ")


# --- the deadline ---------------------------------------------------------------------


def test_the_deadline_ends_a_hung_probe_as_one_unknown_line() -> None:
    run = sample("-t", "0.5", "--mode", "sleep")
    assert run.code == 3
    assert run.lines == [
        "SAMPLE UNKNOWN - plugin timeout: no result after 0.5 s (-t), still sleeping in the probe"
    ]


def test_timeout_result_chooses_the_state_of_the_deadline() -> None:
    run = sample("-t", "0.5", "--mode", "sleep", "--timeout-result", "critical")
    assert run.code == 2
    assert run.first.startswith("SAMPLE CRITICAL - plugin timeout: no result after 0.5 s")
    assert sample("-t", "0.5", "--mode", "sleep", "--timeout-result", "OK").code == 0


@pytest.mark.parametrize("timeout", ["0.0001", "1e-300"])
def test_a_deadline_shorter_than_the_start_up_is_one_unknown_line(timeout: str) -> None:
    # The alarm fires while the run is still setting up its timers (before the watchdog
    # thread has started): once a traceback and exit 1, now the deadline's own line.
    run = sample("-t", timeout, "--mode", "sleep")
    assert run.code == 3, run
    assert len(run.lines) == 1, run
    assert run.first.startswith(
        f"SAMPLE UNKNOWN - plugin timeout: no result after {timeout} s (-t), still "
    ), run
    assert "Traceback" not in run.stdout + run.stderr


def test_the_longest_deadline_is_accepted() -> None:
    run = sample("-t", "86400")
    assert (run.code, run.first) == (0, "SAMPLE OK | tiny=0.000010s;;;0 count=3;;;0"), run


def test_the_watchdog_ends_a_run_that_signals_cannot_interrupt() -> None:
    # The probe masks SIGALRM and sleeps 30 s: without the watchdog this would hang.
    run = sample("-t", "0.5", "--mode", "block")
    assert run.code == 3
    assert run.lines == [
        "SAMPLE UNKNOWN - plugin timeout: no result after 0.5 s (-t), "
        "still blocked with SIGALRM masked"
    ]


# --- errors ---------------------------------------------------------------------------


def test_an_exception_in_a_probe_is_one_unknown_line_without_traceback() -> None:
    run = sample("--mode", "raise")
    assert run.code == 3
    assert run.lines == ["SAMPLE UNKNOWN - internal error: ZeroDivisionError: division by zero"]
    assert "Traceback" not in run.stderr


def test_vvv_adds_the_traceback_on_stderr_only() -> None:
    run = sample("--mode", "raise", "-vvv")
    assert run.lines == ["SAMPLE UNKNOWN - internal error: ZeroDivisionError: division by zero"]
    assert "Traceback (most recent call last)" in run.stderr
    assert 'raise ZeroDivisionError("division by zero")' in run.stderr


def test_a_plugin_error_is_unknown_with_its_message() -> None:
    run = sample("--mode", "plugin-error")
    assert (run.code, run.lines) == (3, ["SAMPLE UNKNOWN - cannot read the sample file"])


# --- output ---------------------------------------------------------------------------


def test_perfdata_is_plain_decimal_in_base_units() -> None:
    run = sample("-w", "0.000001", "-c", "0.5")
    assert run.code == 1  # 0.00001 s is above the warning threshold
    assert run.first.endswith("| tiny=0.000010s;0.000001;0.5;0 count=3;;;0")
    assert "e-" not in run.first


def test_verbose_keeps_perfdata_on_the_first_line_and_adds_detail() -> None:
    quiet, verbose = sample("-w", "0.000001"), sample("-w", "0.000001", "-v")
    assert verbose.first == quiet.first
    assert len(verbose.lines) > len(quiet.lines) == 1
    assert "tiny 0.000010s is outside the warning range 0.000001" in verbose.lines[1]


def test_an_inverted_range_is_broken_by_the_values_inside_it() -> None:
    # @0:1 alerts when the value is between 0 and 1: the message must say "inside".
    run = sample("-w", "@0:1", "-v")
    assert run.code == 1, run
    assert "tiny 0.000010s is inside the warning range @0:1" in run.stdout
    assert "outside" not in run.stdout
    assert run.first.endswith("| tiny=0.000010s;@1;;0 count=3;;;0")
    assert sample("-w", "@1:2").code == 0
    critical = sample("-c", "@~:0.5", "-v")
    assert critical.code == 2, critical
    assert "tiny 0.000010s is inside the critical range @~:0.5" in critical.stdout


@pytest.mark.parametrize(
    ("spec", "level", "words"),
    [
        ("5:10", "warning", "outside the warning range 5:10"),
        ("10", "critical", "outside the critical range 10"),
        ("~:3", "warning", "outside the warning range ~:3"),
        ("@0:1", "warning", "inside the warning range @0:1"),
        ("@1", "critical", "inside the critical range @0:1"),
        ("@1:2", "warning", "inside the warning range @1:2"),
        ("@~:0.5", "", "inside the range @~:0.5"),
        ("@5:", "", "inside the range @5:"),
    ],
)
def test_range_violation_says_inside_for_an_inverted_range(
    spec: str, level: str, words: str
) -> None:
    assert wording.range_violation(Range(spec), level) == words


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.00001, 6, "0.000010"),
        (1e-9, 6, "0.000000"),
        (123456789.5, 2, "123456789.50"),
        (42, 6, "42"),
        (-3.25, 2, "-3.25"),
    ],
)
def test_number_never_uses_scientific_notation(value: float, digits: int, text: str) -> None:
    assert wording.number(value, digits) == text


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("10", "10"),
        ("0.00002", "0.00002"),
        ("5:10", "5:10"),
        ("~:3", "~:3"),
        ("@0:2", "@2"),
        ("@1:2", "@1:2"),
        ("30:", "30:"),
        ("0:", "0:"),
        ("@0:", "@0:"),
        ("0.0000001:", "0.0000001:"),
    ],
)
def test_range_text_is_the_guidelines_syntax_in_plain_decimals(spec: str, text: str) -> None:
    assert wording.range_text(Range(spec)) == text


def test_range_text_of_no_range_is_empty() -> None:
    assert wording.range_text(None) == ""


def test_performance_formats_every_field() -> None:
    item = wording.performance(
        "time", 0.0000123, "s", warning=Range("0.5"), critical=Range("1"), minimum=0, maximum=10
    )
    assert str(item) == "time=0.000012s;0.5;1;0;10"


def test_nagios_range_rejects_what_is_not_a_range() -> None:
    assert arguments.nagios_range("@5:10").invert
    bad_specs = (
        "abc", "10:5", "1:2:3", "", "@", "~", ":", "-", ".", "inf", "-inf", "10:inf",
        "nan", "nan.", "1.e400", "1" + "0" * 400, "1_0", "1e3", "\u0663", "5 ", "0x10",
    )  # fmt: skip
    for bad in bad_specs:
        with pytest.raises(argparse.ArgumentTypeError, match="invalid range"):
            arguments.nagios_range(bad)


@pytest.mark.parametrize(
    ("spec", "parts"),
    [
        ("10", (False, 0, 10)),
        ("+5", (False, 0, 5)),
        ("5.", (False, 0, 5.0)),
        (".5", (False, 0, 0.5)),
        ("-1:5", (False, -1, 5)),
        ("~:3", (False, -math.inf, 3)),
        ("10:", (False, 10, math.inf)),
        ("@0:2", (True, 0, 2)),
        ("1" + "0" * 300, (False, 0, 10**300)),
    ],
)
def test_nagios_range_accepts_plain_decimal_ranges(
    spec: str, parts: tuple[bool, float, float]
) -> None:
    parsed = arguments.nagios_range(spec)
    assert (parsed.invert, parsed.start, parsed.end) == parts


def test_seconds_accepts_positive_finite_numbers_only() -> None:
    assert arguments.seconds("2.5") == 2.5
    for bad in ("0", "-1", "inf", "nan", "ten", "1_0", "\u0663"):
        with pytest.raises(argparse.ArgumentTypeError):
            arguments.seconds(bad)
    assert math.isfinite(arguments.seconds("1e3"))


def test_timeout_seconds_stops_at_one_day() -> None:
    assert arguments.timeout_seconds("86400") == arguments.MAX_TIMEOUT == 86400
    assert arguments.timeout_seconds("0.0001") == 0.0001
    for bad in ("86400.5", "99999999999", "1e300"):
        with pytest.raises(argparse.ArgumentTypeError, match="at most 86400 seconds"):
            arguments.timeout_seconds(bad)


def test_one_line_flattens_and_keeps_the_pipe_out() -> None:
    assert wording.one_line("a\nb |  c") == "a b / c"
    assert len(wording.one_line("x" * 1000)) == wording.MAX_LINE


# --- secrets --------------------------------------------------------------------------


def test_read_secret_prefers_the_file_and_takes_its_first_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("user:from-file\nignored second line\n")
    monkeypatch.setenv("VIGIE_TEST_SECRET", "user:from-env")
    assert arguments.read_secret("VIGIE_TEST_SECRET", str(secret), "token") == "user:from-file"
    assert arguments.read_secret("VIGIE_TEST_SECRET", None, "token") == "user:from-env"
    monkeypatch.delenv("VIGIE_TEST_SECRET")
    assert arguments.read_secret("VIGIE_TEST_SECRET", None, "token") is None


def test_read_secret_names_the_file_it_cannot_use(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(PluginError, match=f"cannot read token from {missing}: No such file"):
        arguments.read_secret("UNSET_VARIABLE", str(missing), "token")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(PluginError, match=r"token file .* is empty"):
        arguments.read_secret("UNSET_VARIABLE", str(empty), "token")
