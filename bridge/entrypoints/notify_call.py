"""A ``vigie notify`` call as Icinga makes it: its options, its exit codes, and the parsing
of a plain call, with nothing imported that the launcher would pay for on every notification.

The launcher reads a call with this, then hands it to a running ``vigie notify-server``
(``notify_client``) or records it itself (``notify``); both take the same options and the
same "now", so the event and its identity are the same whichever records it.
"""

from __future__ import annotations

import os

# Annotations only: importing typing, collections.abc or datetime here would be paid on
# every notification handed to a notify server.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

# The exit codes of every `vigie` command (design.md), here where no click is imported.
EXIT_REFUSED = 1  # a contract rule refused it; the message names the rule
EXIT_BAD_INPUT = 2  # bad input or configuration; the message says what and where
EXIT_INTERNAL = 3  # a bug
EXIT_TEMPFAIL = 75  # sysexits' EX_TEMPFAIL: not done (nothing stored, not sent), try again

# The options of `vigie notify`, each also read from VIGIE_<NAME>: the one table both the
# click command and the launcher's fast path are built from.
NOTIFY_OPTIONS: tuple[tuple[str, str], ...] = (
    ("type", "PROBLEM, RECOVERY, ACKNOWLEDGEMENT, CUSTOM, FLAPPING*, DOWNTIME*"),
    ("host", "Icinga host name (the server)"),
    ("service", "Icinga service name; absent for a host notification"),
    ("state", "the state: OK/WARNING/CRITICAL/UNKNOWN or UP/DOWN/UNREACHABLE"),
    ("output", "the plugin output"),
    ("since", "Unix time of the hard state change: the reference time (R2)"),
    ("author", "who acknowledged, scheduled the downtime or sent the custom note"),
    ("comment", "the acknowledgement, downtime or custom comment"),
    ("customer", "the host's customer (host.vars.customer), for hosts no contract names"),
    ("notification-number", "Icinga's notification number, to tell re-notifications"),
)

Options = dict[str, str | None]


def envvar(name: str) -> str:
    """The environment variable of a notify option: ``VIGIE_NOTIFICATION_NUMBER``..."""
    return "VIGIE_" + name.upper().replace("-", "_")


def parse_notify_argv(argv: Sequence[str]) -> tuple[str | None, Options] | None:
    """A plain ``[--config FILE] notify --opt VALUE...`` call as (config, options); None
    for anything else (help, version, an unknown option...), which click then handles."""
    args = list(argv)
    config: str | None = None
    if args and args[0].startswith("--config"):
        config, args = _take(args, "--config")
        if config is None:
            return None
    if not args or args[0] != "notify":
        return None
    known = {name for name, _ in NOTIFY_OPTIONS}
    options: Options = {}
    args = args[1:]
    while args:
        flag = args[0].split("=", 1)[0]
        if not flag.startswith("--") or flag[2:] not in known or flag[2:] in options:
            return None
        value, args = _take(args, flag)
        if value is None:
            return None
        options[flag[2:]] = value
    for name, _ in NOTIFY_OPTIONS:
        if name not in options:
            options[name] = os.environ.get(envvar(name)) or None  # empty means absent
    return config or os.environ.get("VIGIE_CONFIG") or None, options


def _take(args: list[str], flag: str) -> tuple[str | None, list[str]]:
    if args[0].startswith(flag + "="):
        return args[0][len(flag) + 1 :], args[1:]
    if args[0] == flag and len(args) > 1:
        return args[1], args[2:]
    return None, args


def utc_from_microseconds(microseconds: int) -> datetime:
    """The moment a call was received, from its Unix time in microseconds: exact, so the
    notify server and the launcher's own recording build the same event from one call."""
    from datetime import UTC, datetime, timedelta

    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)
