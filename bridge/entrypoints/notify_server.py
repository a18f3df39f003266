"""``vigie notify-server``: the notify path kept loaded, so a notification costs the launcher
a Python start and one local connection instead of importing the whole bridge.

One call at a time, in arrival order: the store takes one writer at a time anyway, and
recording a call is a few milliseconds once everything is loaded. Each call runs
``notify.notify`` exactly as the launcher would (journal first, then the store, the spool
when the store cannot take it). Only calls for the server's own configuration, from its
own user (or root), are answered; any other is declined and the launcher records it itself.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from bridge.config.model import DEFAULT_CONFIG_PATH
from bridge.entrypoints import notify_client as wire
from bridge.entrypoints.notify import IntakeFailure, notify
from bridge.entrypoints.notify_call import EXIT_INTERNAL, utc_from_microseconds

# A peer that does not send its call within this long is dropped (it records it itself).
REQUEST_SECONDS = 5.0
# How often the accept loop looks whether it was asked to stop.
POLL_SECONDS = 0.5
BACKLOG = 128  # a storm waits in the kernel's queue, not in refused connections


class ServerError(Exception):
    """The server cannot start: the one line says why."""


def serve(
    path: Path,
    config: Path,
    log: Callable[[str], None],
) -> int:
    """Answer notify calls on ``path`` until SIGTERM or SIGINT; the number answered."""
    listener = bind(path)
    bound = path.stat().st_ino
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    answered = 0
    try:
        listener.settimeout(POLL_SECONDS)
        log(f"vigie notify-server: listening on {path} for {config}")
        while not stopping:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                answered += answer(connection, config, log)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        release(listener, path, bound)
    log(f"vigie notify-server: stopped after {answered} call(s)")
    return answered


def bind(path: Path) -> socket.socket:
    """A listening socket at ``path``, readable and writable by this user only; a stale one
    left by a server that died is replaced, a live one or any other file is not."""
    if path.is_symlink() or (path.exists() and not stat.S_ISSOCK(path.stat().st_mode)):
        raise ServerError(f"{path} exists and is not a socket: not replacing it")
    if path.exists():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
            except OSError:
                path.unlink()  # nobody listens: a server that died left it
            else:
                raise ServerError(f"another notify server listens on {path}")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        listener.bind(str(path))
    except OSError as error:
        listener.close()
        raise ServerError(f"cannot listen on {path}: {error.strerror}") from None
    finally:
        os.umask(previous)
    listener.listen(BACKLOG)
    return listener


def release(listener: socket.socket, path: Path, bound: int) -> None:
    """Close the socket and remove its file (inode ``bound``), unless another server has
    taken the path since."""
    try:
        ours = path.stat().st_ino == bound
    except OSError:
        ours = False
    listener.close()
    if ours:
        path.unlink(missing_ok=True)


def answer(connection: socket.socket, config: Path, log: Callable[[str], None]) -> int:
    """Answer one call; 1 when it was recorded here (whatever its outcome), else 0."""
    try:
        connection.settimeout(REQUEST_SECONDS)
        fields = wire.decode(wire.read_all(connection))
    except OSError as error:  # the caller went away before its call: it records it itself
        log(f"vigie notify-server: a caller went away ({error})")
        return 0
    reply, served = respond(fields, peer_uid(connection), config)
    if served and reply[0] != "0":
        log(f"vigie notify-server: exit {reply[0]}: {reply[2]}")
    try:
        connection.sendall(wire.encode([wire.MAGIC, *reply]))
    except OSError as error:  # recorded all the same: a run of it again finds it recorded
        log(f"vigie notify-server: a caller went away before its answer ({error})")
    return int(served)


def respond(fields: list[str] | None, uid: int, config: Path) -> tuple[list[str], bool]:
    """The answer's fields for a call, and whether it was recorded here."""
    if fields is None or len(fields) < 2 or not fields[1].isdigit():
        return [wire.DECLINED, "not a notify call"], False
    if uid not in (os.getuid(), 0):
        return [wire.DECLINED, f"calls from uid {uid} are recorded by the caller"], False
    asked = Path(fields[0]) if fields[0] else DEFAULT_CONFIG_PATH
    if os.path.realpath(asked) != os.path.realpath(config):
        return [wire.DECLINED, f"this server records for {config}, not {asked}"], False
    options: dict[str, str | None] = {}
    for field in fields[2:]:
        name, _, value = field.partition("=")
        options[name] = value
    received = utc_from_microseconds(int(fields[1]))
    try:
        lines = notify(str(config), options, received)
    except IntakeFailure as failure:
        return [str(failure.exit_code), "", f"vigie: {failure}"], True
    except Exception as error:  # a bug: the same one line the launcher would print
        message = f"vigie: internal error: {type(error).__name__}: {error}"
        return [str(EXIT_INTERNAL), "", message], True
    return ["0", "\n".join(lines), ""], True


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end (Linux's SO_PEERCRED)."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return int(uid)


def log_to_stderr(line: str) -> None:
    """The server's log: one line each, to standard error (the journal, under systemd)."""
    print(line, file=sys.stderr, flush=True)
