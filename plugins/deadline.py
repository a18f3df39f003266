"""The plugin's own deadline (``-t``): a check always answers, in time, in one line.

Domain model: the time Icinga gives a plugin. Icinga kills a plugin when its own
check_timeout runs out, and a killed plugin says nothing useful; so a check ends on its
own deadline first, with one line naming what it was still doing, in the state
``--timeout-result`` chooses. Network waits end a little earlier still (the network
deadline), as a CRITICAL network timeout, leaving time to judge and print.

Two mechanisms, because one is not enough: SIGALRM interrupts Python code (first at the
network deadline, then at the plugin's), and a watchdog thread ends the process when C
code holds the interpreter past the deadline. ``emit`` is the one way out of a run, so
that the watchdog and the main thread never both print.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from plugins.nagios import STATES
from plugins.wording import bound, one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import NoReturn

# How long the watchdog waits after the deadline before it ends the process itself: the
# SIGALRM path normally answers first, with a cleaner message.
WATCHDOG_GRACE = 0.3

_emit_lock = threading.Lock()


class PluginTimeout(BaseException):
    """The plugin's own deadline passed.

    A BaseException so that a plugin's ``except Exception`` around network code cannot
    swallow it and report the deadline as a network failure.
    """


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
        # bound() would round a sub-microsecond -t to "0".
        shown = bound(self.seconds) if self.seconds >= 1e-6 else f"{self.seconds:g}"
        return (
            f"plugin timeout: no result after {shown} s (-t), still {one_line(self.activity, 200)}"
        )

    def timeout_output(self, check_name: str, state_name: str) -> tuple[str, int]:
        """What to print and the exit code when the deadline passes."""
        state = STATES[state_name]
        return f"{check_name} {state.text.upper()} - {self.message()}\n", int(state)


class Alarm:
    """Arms SIGALRM and the watchdog for a deadline; ``disarm`` before printing the result."""

    def __init__(self, deadline: Deadline, check_name: str, state_name: str) -> None:
        self.deadline = deadline
        self.check_name = check_name
        self.state_name = state_name
        self.watchdog: threading.Timer | None = None

    def arm(self) -> None:
        """Start both timers; the first alarm may fire before this returns (a tiny -t)."""
        deadline = self.deadline
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, deadline.seconds - deadline.reserve)
        self.watchdog = threading.Timer(deadline.seconds + WATCHDOG_GRACE, self._watchdog)
        self.watchdog.daemon = True
        self.watchdog.start()

    def disarm(self) -> None:
        """No alarm after this: the result is known and is being printed."""
        self.deadline.finished = True
        signal.setitimer(signal.ITIMER_REAL, 0)

    def cancel_watchdog(self) -> None:
        """Stop the watchdog thread (after ``disarm``, once the result is ready)."""
        if self.watchdog is not None:
            self.watchdog.cancel()

    def _on_alarm(self, _signum: int, _frame: object) -> None:
        """SIGALRM fires first at the network deadline, then at the plugin's own."""
        deadline = self.deadline
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

    def _watchdog(self) -> None:
        """Ends the process when the main thread could not (stuck in C code)."""
        if not _emit_lock.acquire(blocking=False):
            return  # the main thread is printing its result right now
        text, code = self.deadline.timeout_output(self.check_name, self.state_name)
        os.write(sys.stdout.fileno(), text.encode("utf-8", "replace"))
        os._exit(code)


def emit(text: str, code: int) -> NoReturn:
    """Print the plugin's output and exit, unless the watchdog has already done so."""
    with _emit_lock:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            pass  # nobody reads the output; the exit code still matters
        sys.exit(code)
