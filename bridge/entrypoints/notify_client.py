"""Handing a notification to a running ``vigie notify-server``, and the wire format both use.

Starting Python and importing the bridge costs most of a notification's time; a notify
server keeps all of it loaded and records each call with the same ``notify`` function the
launcher would run itself. The launcher asks the server first and records the call itself
whenever the server does not answer for it: no socket, a server that is down or declines,
a broken connection, no answer in time. Recording is idempotent (each event has an
identity, built from the call and the "now" the launcher sends), so a call the server was
still recording when the launcher gave up is recorded once all the same.

The format: one request per connection, fields separated by NUL (which neither argv nor the
environment can hold), UTF-8 with undecodable bytes passed through as surrogates:
``VIGIE-NOTIFY 1, config, received (Unix microseconds), name=value...``; the answer is
``VIGIE-NOTIFY 1, exit code, stdout, stderr``, or ``VIGIE-NOTIFY 1, declined, reason``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself is not imported on this path
if TYPE_CHECKING:
    import socket
    from collections.abc import Mapping

# The server's socket: this, unless VIGIE_NOTIFY_SOCKET names another (empty: do not ask).
DEFAULT_SOCKET = "/run/vigie/notify.sock"
SOCKET_VARIABLE = "VIGIE_NOTIFY_SOCKET"
MAGIC = "VIGIE-NOTIFY 1"
DECLINED = "declined"
MAX_MESSAGE_BYTES = 1024 * 1024  # a notification's output is cut at 64 KiB anyway
# Well under Icinga's 30 s command timeout, so the launcher still has time to record the
# call itself when the server does not answer.
CONNECT_SECONDS = 1.0
ANSWER_SECONDS = 15.0

Served = tuple[int, str, str]  # exit code, standard output, standard error


def socket_path() -> str | None:
    """The notify server's socket, or None when there is none to ask."""
    path = os.environ.get(SOCKET_VARIABLE, DEFAULT_SOCKET)
    return path if path and os.path.exists(path) else None


def submit(
    config_option: str | None, options: Mapping[str, str | None], received_us: int
) -> Served | None:
    """The server's answer to one call, or None when the launcher must record it itself."""
    path = socket_path()
    if path is None:
        return None
    import socket

    config = os.path.abspath(config_option) if config_option else ""
    request = encode([MAGIC, config, str(received_us), *named(options)])
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CONNECT_SECONDS)
            connection.connect(path)
            connection.settimeout(ANSWER_SECONDS)
            connection.sendall(request)
            connection.shutdown(socket.SHUT_WR)
            answer = read_all(connection)
    except OSError:  # refused, reset, timed out: record it here
        return None
    return served(answer)


def named(options: Mapping[str, str | None]) -> list[str]:
    """The options given, as ``name=value`` fields."""
    return [f"{name}={value}" for name, value in options.items() if value is not None]


def encode(fields: list[str]) -> bytes:
    """One message: NUL-separated fields."""
    return "\0".join(fields).encode("utf-8", "surrogateescape")


def decode(message: bytes) -> list[str] | None:
    """The fields of one message, or None when it is not one of ours."""
    fields = message.decode("utf-8", "surrogateescape").split("\0")
    return fields[1:] if fields[0] == MAGIC else None


def read_all(connection: socket.socket) -> bytes:
    """Everything the peer sends until it closes its side, at most MAX_MESSAGE_BYTES
    (beyond, the message is cut, and then refused as malformed)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_MESSAGE_BYTES:  # bounded: every pass reads at least one byte
        chunk = connection.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def served(answer: bytes) -> Served | None:
    """The exit code and output of an answer; None for a refusal or anything malformed."""
    fields = decode(answer) if len(answer) <= MAX_MESSAGE_BYTES else None
    if fields is None or len(fields) != 3 or not fields[0].isdigit():
        return None
    return int(fields[0]), fields[1], fields[2]
