"""Network I/O every check shares: names, connecting, the steps and their words.

Domain model: a check reaching a service over TCP, as an admin reads the outcome. The
check resolves a name (an international one in its IDNA form), connects to the first of
its addresses that answers, alternating IPv6 and IPv4 so that one dead family cannot hold
up the other, and gives each address a share of the time left rather than all of it.
Every wait takes its timeout from ``Steps.budget``; ``Steps.step`` says what the check is
doing, for the messages. ``describe`` turns what went wrong into one line naming the step
and the server: the CRITICAL message.

Only ``socket`` is imported here: ``ssl`` (for TLS errors) is looked at only when a check
has loaded it, and ``idna`` only for names that are not ASCII.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import time

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from plugins.deadline import Deadline

_log = logging.getLogger(__name__)

FAMILIES: dict[int, str] = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}


class BadName(ValueError):
    """A host name that no resolver could be asked for (not a valid IDN, say)."""


class ConnectError(OSError):
    """No address of a name answered; the message says what each one did."""


class Steps:
    """What a check is doing on the network, and how long its next wait may take.

    ``step(activity)`` records the activity (``connecting to 192.0.2.1 port 25``) for the
    timeout and failure messages, ``timed`` also times it (perfdata like ``time_banner``);
    ``budget()`` is the timeout of the next wait and raises TimeoutError once the network
    deadline has passed.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.started = time.perf_counter()

    @property
    def activity(self) -> str:
        """What the check is doing now, as the messages say it."""
        return self.deadline.activity

    def step(self, activity: str) -> None:
        """Record what the check is doing now."""
        self.deadline.activity = activity
        self.started = time.perf_counter()

    def budget(self) -> float:
        """The timeout for the next network wait; raises TimeoutError when none is left."""
        left = self.deadline.network_remaining()
        if left <= 0:
            raise TimeoutError("no time left")
        return left

    @contextlib.contextmanager
    def timed(self, activity: str, timings: dict[str, float], name: str) -> Iterator[None]:
        """A step whose duration lands in ``timings[name]`` when it completes."""
        self.step(activity)
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    def timeout_message(self) -> str:
        """``network timeout after 2.5 s waiting for ...``: the step that ran out of time."""
        waited = time.perf_counter() - self.started
        return f"network timeout after {waited:.1f} s {self.activity}"


def ascii_name(name: str) -> str:
    """``name`` as DNS, SNI and Host headers carry it: an IDN in its IDNA (A-label) form.

    ASCII names are returned as they are. Raises BadName for a name IDNA cannot encode.
    """
    if name.isascii():
        return name
    import idna  # only for international names: its tables cost start-up time

    try:
        return idna.encode(name.rstrip("."), uts46=True).decode("ascii") + (
            "." if name.endswith(".") else ""
        )
    except idna.IDNAError as exc:
        raise BadName(f"{name!r} is not a valid international domain name: {exc}") from None


def _interleaved(infos: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Addresses in the resolver's order, but alternating families (RFC 8305, 4)."""
    first = [info for info in infos if info[0] == infos[0][0]]
    other = [info for info in infos if info[0] != infos[0][0]]
    ordered: list[tuple[int, str]] = []
    for index in range(max(len(first), len(other))):
        ordered += first[index : index + 1] + other[index : index + 1]
    return ordered


def connect(
    host: str,
    port: int,
    *,
    family: int = socket.AF_UNSPEC,
    budget: Callable[[], float],
    step: Callable[[str], None],
) -> tuple[socket.socket, float]:
    """A TCP connection to the first address of ``host`` that answers, and the seconds
    connecting took (from the first attempt, resolution not included).

    Each address but the last may wait its share of the time left (the time left divided
    by the addresses left), so that an address that never answers cannot use up the
    check's deadline before the next one is tried.
    """
    step(f"resolving {host}")
    # An ASCII name as bytes skips the idna codec, whose import costs start-up time.
    infos = socket.getaddrinfo(ascii_name(host).encode("ascii"), port, family, socket.SOCK_STREAM)
    addresses = _interleaved([(info[0], str(info[4][0])) for info in infos])
    _log.info("%s resolves to %s", host, ", ".join(address for _, address in addresses))
    failures: list[str] = []
    last_error: OSError | None = None
    first_attempt = started = time.perf_counter()
    address, recorded = "", True
    try:
        for index, (address_family, address) in enumerate(addresses):
            step(f"connecting to {address} port {port}")
            share = budget() / (len(addresses) - index)
            started, recorded = time.perf_counter(), False
            sock = socket.socket(address_family, socket.SOCK_STREAM)
            try:
                sock.settimeout(share)
                sock.connect((address, port))
            except OSError as exc:
                sock.close()
                last_error = exc
                said = _failed(exc, started)
                failures.append(f"{address} {said}")
                recorded = True
                _log.info("connecting to %s port %s failed: %s", address, port, said)
                continue
            _log.info("connected to %s port %s (%s)", address, port, FAMILIES.get(address_family))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, time.perf_counter() - first_attempt
    except TimeoutError:
        # The network deadline (an alarm) may strike anywhere in the loop: after another
        # address failed, saying what each one did is still the better message.
        if not failures:
            raise
        if not recorded:
            failures.append(f"{address} no answer in {time.perf_counter() - started:.1f} s")
    else:
        if last_error is None:
            raise ConnectError(f"{host} has no address to connect to")
        if len(failures) == 1:
            raise last_error
    raise ConnectError(f"no address of {host} answered on port {port}: {'; '.join(failures)}")


def _failed(exc: OSError, started: float) -> str:
    """What an address did instead of answering: ``no answer in 2.5 s``, ``refused``..."""
    if isinstance(exc, TimeoutError):
        return f"no answer in {time.perf_counter() - started:.1f} s"
    return exc.strerror or str(exc)


def describe(
    exc: BaseException,
    *,
    where: str,
    host: str,
    steps: Steps,
    family: int = socket.AF_UNSPEC,
    cert_name: str = "",
    client_cert: bool = False,
) -> str | None:
    """One line saying what failed and where, for a network or TLS error; else None.

    ``where`` is the server as the messages name it (``mail.example port 25``), ``host``
    the name that was resolved, ``cert_name`` the name a certificate was checked against.
    A protocol words its own errors (a garbled reply) when this returns None.
    """
    if isinstance(exc, socket.gaierror):
        to = f" to an {FAMILIES[family]} address" if family in FAMILIES else ""
        return f"cannot resolve {host}{to}: {exc.strerror}"
    if isinstance(exc, BadName):
        return f"cannot resolve {exc}"
    if isinstance(exc, TimeoutError):
        return steps.timeout_message()
    if isinstance(exc, ConnectError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    if "ssl" in sys.modules:
        from plugins import tls  # ssl is loaded already: this costs nothing more

        said = tls.describe_error(
            exc,
            where=where,
            activity=steps.activity,
            cert_name=cert_name or host,
            client_cert=client_cert,
        )
        if said is not None:
            return said
    if isinstance(exc, ConnectionResetError):
        return f"connection reset while {steps.activity}"
    if isinstance(exc, OSError):
        return f"network error while {steps.activity}: {exc.strerror or exc}"
    return None
