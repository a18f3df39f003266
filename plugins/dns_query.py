"""Asking DNS servers questions, many at once, within the plugin's deadline.

Domain model: a stub resolver's view of DNS. A ``Question`` (a name and a record type) goes
to one or more nameservers; each is sent over UDP, re-sent (to the next server, when there
are several) every ``RETRY`` seconds while unanswered, and asked again over TCP when the
answer comes back truncated. Every question of a batch is in flight at the same time, so a
batch takes about as long as its slowest answer, never longer than the time it is given.
What comes back is a ``Reply`` saying what the server meant: records, no such name
(NXDOMAIN), no record of that type (NODATA), a server failure (SERVFAIL), a refusal, or
silence. The wire format is dnspython's (the ``vigie[dns]`` extra), imported on first use.
"""

from __future__ import annotations

import ipaddress
import logging
import select
import socket
import time

from plugins.arguments import PluginError, UsageError

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import dns.message

    from plugins.deadline import Deadline

_log = logging.getLogger(__name__)

DNS_PORT = 53
# Seconds before an unanswered UDP question is sent again, as resolv.conf's timeout does.
RETRY = 1.0
INSTALL_HINT = (
    "dnspython is not installed: pip install 'vigie[dns]' (or apt-get install python3-dnspython)"
)
RESOLV_CONF = "/etc/resolv.conf"

# What a reply can mean; only ANSWER carries records.
ANSWER = "answer"
NODATA = "nodata"
NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
REFUSED = "refused"
TIMEOUT = "timeout"
ERROR = "error"


def load_dnspython() -> None:
    """Import the parts of dnspython this module uses, or say how to install it."""
    try:
        # dns.query (TCP, and much else) is loaded only for a truncated answer.
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype  # noqa: F401
    except ImportError:
        raise PluginError(INSTALL_HINT) from None


class Nameserver:
    """A DNS server to ask: an IP address and a port."""

    def __init__(self, address: str, port: int = DNS_PORT) -> None:
        self.address = address
        self.port = port
        self.family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def __str__(self) -> str:
        host = f"[{self.address}]" if self.family == socket.AF_INET6 else self.address
        return host if self.port == DNS_PORT else f"{host}:{self.port}"

    def __repr__(self) -> str:
        return f"Nameserver({self!s})"


def parse_nameserver(text: str) -> Nameserver:
    """``HOST[:PORT]`` as a Nameserver; an IPv6 address with a port is ``[::1]:53``.

    HOST must be an address: a name would need a resolver to find the resolver.
    """
    host, port_text = text, ""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise UsageError(f"invalid nameserver {text!r}: expected [IPV6]:PORT")
        port_text = rest[1:]
        if rest and not port_text:
            raise UsageError(f"invalid nameserver {text!r}: the port is missing after ':'")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text:
            raise UsageError(f"invalid nameserver {text!r}: the port is missing after ':'")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"invalid nameserver {text!r}: expected an IP address, optionally with :PORT "
            "(IPv6 as [::1]:53)"
        ) from None
    port = DNS_PORT
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise UsageError(f"invalid nameserver {text!r}: the port must be 1 to 65535")
        port = int(port_text)
    return Nameserver(str(address), port)


def system_nameservers(path: str = RESOLV_CONF) -> list[Nameserver]:
    """The nameservers of the system resolver (resolv.conf), as dnspython reads them."""
    load_dnspython()
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver(filename=path)
    except (OSError, dns.resolver.NoResolverConfiguration) as exc:
        raise PluginError(f"no system resolver to ask ({path}: {exc}); use --nameserver") from None
    servers = []
    for entry in resolver.nameservers:
        try:
            servers.append(Nameserver(str(ipaddress.ip_address(str(entry)))))
        except ValueError:
            _log.info("skipping nameserver %s of %s: not a plain address", entry, path)
    if not servers:
        raise PluginError(f"{path} names no nameserver; use --nameserver")
    return servers


class Question:
    """A name and a record type, for one nameserver or several taken in turn."""

    def __init__(self, name: str, rdtype: str, servers: list[Nameserver]) -> None:
        self.name = name
        self.rdtype = rdtype
        self.servers = servers

    def __str__(self) -> str:
        return f"{self.rdtype} {self.name}"


class Reply:
    """What a nameserver answered to a question (or that none did)."""

    def __init__(
        self,
        question: Question,
        outcome: str,
        server: Nameserver | None,
        records: list[str] | None = None,
        detail: str = "",
    ) -> None:
        self.question = question
        self.outcome = outcome
        self.server = server
        self.records = records or []
        self.detail = detail

    @property
    def failed(self) -> bool:
        """True when the server could not say whether the name exists."""
        return self.outcome in (SERVFAIL, REFUSED, TIMEOUT, ERROR)

    def describe(self) -> str:
        """The outcome in words: ``SERVFAIL from 127.0.0.1:5353``, ``no answer within 2 s``."""
        where = f" from {self.server}" if self.server else ""
        if self.outcome == TIMEOUT:
            return f"no answer{self.detail}"
        if self.outcome == ERROR:
            return f"cannot ask {self.server}: {self.detail}"
        words = {
            ANSWER: "answer",
            NODATA: f"no {self.question.rdtype} record",
            NXDOMAIN: "NXDOMAIN",
            SERVFAIL: "SERVFAIL",
            REFUSED: "REFUSED",
        }
        return f"{words[self.outcome]}{where}"


class _Flight:
    """One question in the air: its query and the UDP sockets it was sent on."""

    def __init__(self, question: Question, query: dns.message.Message) -> None:
        self.question = question
        self.query = query
        self.wire = query.to_wire()
        self.sent = 0
        self.next_send = 0.0
        self.sockets: dict[socket.socket, Nameserver] = {}
        self.errors: list[str] = []

    def send(self) -> None:
        server = self.question.servers[self.sent % len(self.question.servers)]
        self.sent += 1
        self.next_send = time.monotonic() + RETRY
        sock = socket.socket(server.family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            # Connected: the kernel filters other senders and reports ICMP refusals.
            sock.connect((server.address, server.port))
            sock.send(self.wire)
        except OSError as exc:
            sock.close()
            self.errors.append(f"{server}: {exc.strerror or exc}")
            self.next_send = 0.0  # on to the next server, if there is one
            return
        self.sockets[sock] = server

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()


def ask(questions: list[Question], deadline: Deadline, limit: float | None = None) -> list[Reply]:
    """Every question answered, in order, within ``limit`` seconds and the network deadline.

    Unanswered questions end as TIMEOUT replies saying how long they waited.
    """
    load_dnspython()
    import dns.message

    started = time.monotonic()
    budget = deadline.network_remaining()
    if limit is not None:
        budget = min(budget, limit)
    stop_at = started + budget
    replies: dict[int, Reply] = {}
    flights: dict[int, _Flight] = {}
    for index, question in enumerate(questions):
        query = dns.message.make_query(question.name, question.rdtype)
        flights[index] = _Flight(question, query)
    try:
        with deadline.network():
            _exchange(flights, replies, deadline, stop_at)
    except TimeoutError:
        pass  # the network deadline: what is unanswered is reported as such below
    finally:
        for flight in flights.values():
            flight.close()
    waited = time.monotonic() - started
    for index, flight in flights.items():
        if index not in replies:
            if flight.errors and not flight.sockets:
                replies[index] = Reply(
                    flight.question, ERROR, flight.question.servers[0], detail=flight.errors[-1]
                )
            else:
                servers = ", ".join(str(server) for server in flight.question.servers)
                replies[index] = Reply(
                    flight.question, TIMEOUT, None, detail=f" from {servers} within {waited:.1f} s"
                )
    return [replies[index] for index in range(len(questions))]


def _exchange(
    flights: dict[int, _Flight], replies: dict[int, Reply], deadline: Deadline, stop_at: float
) -> None:
    """Send, re-send and read until every flight has its reply or the time is up."""
    deadline.activity = f"waiting for {len(flights)} DNS answers"
    while len(replies) < len(flights):
        now = time.monotonic()
        if now >= stop_at:
            return
        owners: dict[socket.socket, int] = {}
        for index, flight in flights.items():
            if index in replies:
                continue
            if now >= flight.next_send:
                flight.send()
            if not flight.sockets and flight.sent >= len(flight.question.servers):
                server = flight.question.servers[0]
                detail = flight.errors[-1] if flight.errors else "no socket"
                replies[index] = Reply(flight.question, ERROR, server, detail=detail)
                continue
            for sock in flight.sockets:
                owners[sock] = index
        if not owners:
            continue
        wake = min(
            [stop_at]
            + [flights[index].next_send for index in set(owners.values()) if index not in replies]
        )
        ready, _, _ = select.select(list(owners), [], [], max(0.0, wake - time.monotonic()))
        for sock in ready:
            index = owners[sock]
            if index in replies:
                continue
            flight = flights[index]
            reply = _receive(flight, sock, deadline)
            if reply is not None:
                replies[index] = reply


def _receive(flight: _Flight, sock: socket.socket, deadline: Deadline) -> Reply | None:
    """The reply in ``sock``'s datagram, or None if it was no answer to this query."""
    import dns.exception
    import dns.flags
    import dns.message

    server = flight.sockets[sock]
    try:
        wire = sock.recv(65535)
    except OSError as exc:
        # ICMP port unreachable: nothing listens there. Another server may still answer.
        flight.errors.append(exc.strerror or str(exc))
        sock.close()
        del flight.sockets[sock]
        if flight.sent >= len(flight.question.servers) and not flight.sockets:
            return Reply(flight.question, ERROR, server, detail=exc.strerror or str(exc))
        flight.next_send = 0.0
        return None
    try:
        response = dns.message.from_wire(wire)
    except dns.exception.DNSException as exc:
        _log.info("ignoring a malformed answer from %s: %s", server, exc)
        return None
    if not flight.query.is_response(response):
        return None
    if response.flags & dns.flags.TC:
        _log.info("%s from %s was truncated: asking again over TCP", flight.question, server)
        import dns.query

        try:
            timeout = max(0.001, deadline.network_remaining())
            response = dns.query.tcp(flight.query, server.address, timeout, server.port)
        except (OSError, dns.exception.DNSException) as exc:
            return Reply(flight.question, ERROR, server, detail=f"over TCP: {exc}")
    return interpret(flight.question, response, server)


def interpret(question: Question, response: dns.message.Message, server: Nameserver) -> Reply:
    """What ``response`` says about ``question``: its records, or why there are none."""
    import dns.rcode
    import dns.rdatatype

    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        outcome = NXDOMAIN
    elif rcode == dns.rcode.SERVFAIL:
        outcome = SERVFAIL
    elif rcode == dns.rcode.REFUSED:
        outcome = REFUSED
    elif rcode != dns.rcode.NOERROR:
        return Reply(question, ERROR, server, detail=f"{dns.rcode.to_text(rcode)} from {server}")
    else:
        wanted = dns.rdatatype.from_text(question.rdtype)
        # Records of the type asked, wherever a CNAME chain led.
        records = [
            _text(rdata) for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset
        ]
        if records:
            _log.debug("%s from %s: %s", question, server, ", ".join(records))
            return Reply(question, ANSWER, server, records)
        outcome = NODATA
    _log.debug("%s from %s: %s", question, server, outcome)
    return Reply(question, outcome, server)


def _text(rdata: object) -> str:
    """A record's value as text: TXT strings joined and unquoted, names without the dot."""
    strings = getattr(rdata, "strings", None)
    if strings is not None:
        return "".join(part.decode("utf-8", "replace") for part in strings)
    target = getattr(rdata, "target", None)
    if target is not None:
        return str(target.to_text(omit_final_dot=True))
    return str(rdata.to_text())  # type: ignore[attr-defined]


def reverse_name(address: str) -> str:
    """The PTR name of an address: reversed octets under in-addr.arpa, nibbles under ip6.arpa."""
    ip = ipaddress.ip_address(address)
    return ip.reverse_pointer
