"""The ``vigie`` console script: a plain ``vigie notify`` call takes a lean path.

Icinga starts ``vigie notify`` for every notification; importing click alone costs about
30 ms here, a third of the budget of a notification. So a plain ``notify`` call (options
and ``VIGIE_*`` variables only) is parsed from the same option table by the lean entry point
``notify`` and never imports click; everything else, including ``vigie notify --help`` and
any mistake in the arguments, goes to the click CLI, which gives the usual help and one-line
errors.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime


def main() -> None:
    """Console entry point."""
    try:
        from bridge.entrypoints.notify import (
            EXIT_INTERNAL,
            IntakeFailure,
            notify,
            parse_notify_argv,
        )
    except Exception as error:  # a broken installation: one line, never a traceback
        print(f"vigie: cannot load vigie ({type(error).__name__}: {error})", file=sys.stderr)
        sys.exit(3)
    parsed = parse_notify_argv(sys.argv[1:])
    if parsed is None:
        from bridge.entrypoints.cli import main as click_main

        click_main()
        return
    config_option, options = parsed
    try:
        lines = notify(config_option, options, datetime.now(UTC))
    except IntakeFailure as failure:
        print(f"vigie: {failure}", file=sys.stderr)
        sys.exit(failure.exit_code)
    except Exception as error:  # a bug before the event was read: one line, no traceback
        print(f"vigie: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    print("\n".join(lines))
