"""The ``vigie`` console script: a plain ``vigie notify`` call takes a lean path.

Icinga starts ``vigie notify`` for every notification; importing click alone costs about
30 ms here, a third of the budget of a notification. So a plain ``notify`` call (options
and ``VIGIE_*`` variables only) is parsed from the same option table by ``notify_call`` and
never imports click; everything else, including ``vigie notify --help`` and any mistake in
the arguments, goes to the click CLI, which gives the usual help and one-line errors. A
running ``vigie notify-server`` records the call (``notify_client``); when none answers,
the launcher loads the notify path and records it itself.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    """Console entry point."""
    try:
        from bridge.entrypoints.notify_call import parse_notify_argv
    except Exception as error:  # a broken installation: one line, never a traceback
        print(f"vigie: cannot load vigie ({type(error).__name__}: {error})", file=sys.stderr)
        sys.exit(3)
    parsed = parse_notify_argv(sys.argv[1:])
    if parsed is None:
        from bridge.entrypoints.cli import main as click_main

        click_main()
        return
    config_option, options = parsed
    received_us = time.time_ns() // 1000
    try:
        from bridge.entrypoints.notify_client import submit

        served = submit(config_option, options, received_us)
    except Exception:  # a broken client is no reason not to record the call here
        served = None
    if served is not None:
        code, out, err = served
        if out:
            print(out)
        if err:
            print(err, file=sys.stderr)
        sys.exit(code)
    record_here(config_option, options, received_us)


def record_here(
    config_option: str | None,
    options: dict[str, str | None],
    received_us: int,
) -> None:
    """Load the notify path and record the call in this process."""
    try:
        from bridge.entrypoints.notify import IntakeFailure, notify
        from bridge.entrypoints.notify_call import EXIT_INTERNAL, utc_from_microseconds
    except Exception as error:  # a broken installation: one line, never a traceback
        print(f"vigie: cannot load vigie ({type(error).__name__}: {error})", file=sys.stderr)
        sys.exit(3)
    try:
        lines = notify(config_option, options, utc_from_microseconds(received_us))
    except IntakeFailure as failure:
        print(f"vigie: {failure}", file=sys.stderr)
        sys.exit(failure.exit_code)
    except Exception as error:  # a bug before the event was read: one line, no traceback
        print(f"vigie: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    print("\n".join(lines))
