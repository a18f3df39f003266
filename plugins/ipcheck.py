"""check_vigie_ipcheck: is a server at the addresses the world expects, with a reverse DNS
that agrees and an address no blocklist lists?

Domain model: the provider's own probe for mail servers and anything customers reach by
name. Three findings about one set of addresses, each in its own resource: the addresses
(``-H`` looked up in DNS, from one nameserver or several that must agree, or the public
address the network leaves by), their reverse DNS (forward-confirmed), and their standing
on DNS blocklists. Every question of a stage is asked at once (plugins.dns_query), so the
whole check takes a few round trips, within ``-t``.

Laid out as nagiosplugin's examples are: data acquisition (Resources), data evaluation
(Contexts), data presentation (Summary), runtime. The command line is in ipcheck_options.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import time

from plugins import dns_query, public_ip, rbl, runtime
from plugins.contexts import ThresholdContext
from plugins.dns_query import Nameserver, Question
from plugins.ipcheck_options import NAME, Network, Plan, build_parser
from plugins.nagios import (
    Context,
    Critical,
    Metric,
    Ok,
    Resource,
    Result,
    Results,
    Summary,
    Unknown,
    Warn,
)
from plugins.runtime import PluginCheck
from plugins.wording import one_line, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Range, ServiceState

_log = logging.getLogger(__name__)


# --- data acquisition -----------------------------------------------------------------


class Addresses(Resource):
    """The addresses checked: -H's A and AAAA records, or -H itself when it is an address.

    With several ``--nameserver``, each is asked and their answers compared; without one,
    the system's nameservers are asked in turn, as its resolver would.
    """

    def __init__(self, plan: Plan, deadline: Deadline, servers: list[Nameserver], share: float):
        self.plan = plan
        self.deadline = deadline
        self.servers = servers
        self.share = share
        self.addresses: list[str] = []
        self.said: dict[str, list[str]] = {}  # nameserver -> its addresses

    @property
    def name(self) -> str:
        return "addresses"

    def probe(self) -> Iterator[Metric]:
        """Ask, then yield the failures, the --expect verdict, the agreement and the count."""
        problems: list[str] = []
        if self.plan.literal is not None:
            self.addresses = [self.plan.literal[0]]
        else:
            problems = self._look_up()
        yield Metric("lookup", problems, context="lookup")
        if self.plan.expected:
            verdicts = [
                f"{who}: {problem}" if len(self.said) > 1 else problem
                for who, found in (self.said.items() or [("", self.addresses)])
                if found or not problems
                for problem in mismatches(found, self.plan.expected, self.plan.match)
            ]
            yield Metric("expect", verdicts, context="expect")
        if len(self.said) > 1:
            yield Metric("agreement", disagreement(self.said), context="agreement")
        yield Metric("addresses", len(self.addresses), min=0, context="addresses")

    def _look_up(self) -> list[str]:
        host = self.plan.host
        groups = [[server] for server in self.servers] if self.plan.nameservers else [self.servers]
        batch = [Question(host, rdtype, group) for group in groups for rdtype in self.plan.rdtypes]
        limit = self.deadline.network_remaining() * self.share
        _log.info("asking %s", ", ".join(f"{q} of {q.servers[0]}" for q in batch))
        replies = dns_query.ask(batch, self.deadline, limit)
        problems: list[str] = []
        found: set[str] = set()
        per_group = len(self.plan.rdtypes)
        for number, group in enumerate(groups):
            mine = replies[number * per_group : (number + 1) * per_group]
            who = str(group[0]) if self.plan.nameservers else "the system resolver"
            addresses = sorted({a for reply in mine for a in reply.records}, key=_sort_key)
            failed = [reply for reply in mine if reply.failed]
            gone = [reply for reply in mine if reply.outcome == dns_query.NXDOMAIN]
            if gone:
                problems.append(f"{host} does not exist ({gone[0].describe()})")
            elif failed:
                # One line per distinct failure: "A and AAAA www.example.com: SERVFAIL from ..."
                for words in dict.fromkeys(reply.describe() for reply in failed):
                    kinds = [r.question.rdtype for r in failed if r.describe() == words]
                    problems.append(f"{' and '.join(kinds)} {host}: {words}")
            elif not addresses:
                kinds_asked = " or ".join(self.plan.rdtypes)
                problems.append(f"{host} has no {kinds_asked} record (asked {who})")
            if not failed:
                self.said[who] = addresses
            found.update(addresses)
        self.addresses = sorted(found, key=_sort_key)
        return list(dict.fromkeys(problems))


class PublicAddress(Addresses):
    """The address this network leaves by, from the --public-ip sources."""

    def probe(self) -> Iterator[Metric]:
        """Ask the sources in order; yield the failures, the verdict and the count."""
        family = self.plan.family if self.plan.family != socket.AF_UNSPEC else socket.AF_INET
        limit = self.deadline.network_remaining() * self.share
        address, problems = public_ip.discover(self.plan.sources, family, self.deadline, limit)
        for problem in problems:
            _log.info("public address source: %s", problem)
        if address is None:
            yield Metric("sources", ["no source told the public address: " + "; ".join(problems)])
        else:
            self.addresses = [address]
            if self.plan.expected:
                verdicts = mismatches(self.addresses, self.plan.expected, self.plan.match)
                yield Metric("expect", verdicts, context="expect")
            else:
                key = " ".join([str(family)] + [str(source) for source in self.plan.sources])
                change = public_ip.compare_with_last(
                    self.plan.state_file, key, address, self.plan.changed_for
                )
                yield Metric("change", [change] if change else [], context="change")
        yield Metric("addresses", len(self.addresses), min=0, context="addresses")


class ReverseDns(Resource):
    """Forward-confirmed reverse DNS: a PTR for each address, naming a host that has it."""

    def __init__(
        self, source: Addresses, deadline: Deadline, servers: list[Nameserver], share: float
    ) -> None:
        self.source = source
        self.deadline = deadline
        self.servers = servers
        self.share = share
        self.confirmed: dict[str, str] = {}  # address -> the PTR name that resolves back

    @property
    def name(self) -> str:
        return "reverse DNS"

    def probe(self) -> Iterator[Metric]:
        """Ask every PTR at once, then every name they give; yield what does not match."""
        addresses = self.source.addresses
        if not addresses:
            return
        # Two rounds of questions: the PTRs, then the names they give.
        budget = self.deadline.network_remaining() * self.share
        stop_at = time.monotonic() + budget
        ptrs = dns_query.ask(
            [Question(dns_query.reverse_name(a), "PTR", self.servers) for a in addresses],
            self.deadline,
            budget / 2,
        )
        pairs = [
            (a, name) for a, reply in zip(addresses, ptrs, strict=True) for name in reply.records
        ]
        forward = dns_query.ask(
            [Question(name, "AAAA" if ":" in a else "A", self.servers) for a, name in pairs],
            self.deadline,
            max(0.0, stop_at - time.monotonic()),
        )
        back: dict[str, list[tuple[str, dns_query.Reply]]] = {}
        for (address, name), reply in zip(pairs, forward, strict=True):
            back.setdefault(address, []).append((name, reply))
        problems = []
        for address, ptr in zip(addresses, ptrs, strict=True):
            problem = self._judge(address, ptr, back.get(address, []))
            if problem:
                problems.append(problem)
        yield Metric("ptr", problems, context="ptr")

    def _judge(
        self, address: str, ptr: dns_query.Reply, back: list[tuple[str, dns_query.Reply]]
    ) -> str | None:
        if ptr.failed:
            return f"PTR of {address}: {ptr.describe()}"
        if ptr.outcome != dns_query.ANSWER:
            return f"{address} has no PTR record ({ptr.describe()})"
        said = []
        for name, reply in back:
            if address in {_canonical(record) for record in reply.records}:
                self.confirmed[address] = name
                _log.info("%s PTR %s, which resolves back to it", address, name)
                return None
            said.append(
                f"{name}, which resolves to {', '.join(reply.records)}"
                if reply.outcome == dns_query.ANSWER
                else f"{name}, which gives {reply.describe()}"
            )
        return f"{address} PTR {'; '.join(said)}: not back to {address}"


class Blocklists(Resource):
    """Each address looked up in each blocklist zone, all at once (plugins.rbl)."""

    def __init__(
        self, source: Addresses, deadline: Deadline, servers: list[Nameserver], zones: list[str]
    ):
        self.source = source
        self.deadline = deadline
        self.servers = servers
        self.zones = zones
        self.verdict = rbl.Verdict(zones)

    @property
    def name(self) -> str:
        return "blocklists"

    def probe(self) -> Iterator[Metric]:
        """Yield the listings, the zones that counted, and those that could not say."""
        addresses = self.source.addresses
        if addresses:
            batch = rbl.questions(addresses, self.zones, self.servers)
            replies = dns_query.ask(batch, self.deadline)
            self.verdict = rbl.judge(addresses, self.zones, replies)
        for listing in self.verdict.listings:
            _log.info("%s", listing)
        yield Metric("listed", len(self.verdict.listings), min=0, context="listed")
        yield Metric("zones_checked", self.verdict.checked, min=0, context="zones_checked")
        yield Metric("zones_failed", len(self.verdict.failed), min=0, context="zones_failed")
        yield Metric("zones", list(self.verdict.failed.values()), context="zones")


class Elapsed(Resource):
    """The time the whole check took, from the start of the plugin."""

    def __init__(self, started: float) -> None:
        self.started = started

    def probe(self) -> Iterator[Metric]:
        """One metric: the seconds since the plugin started."""
        yield Metric("time", time.monotonic() - self.started, "s", min=0, context="time")


def mismatches(addresses: Sequence[str], expected: list[Network], match: str) -> list[str]:
    """How ``addresses`` break ``--expect`` under ``--match``; empty when they fit."""
    found = [ipaddress.ip_address(a) for a in addresses]
    outside = [str(a) for a in found if not any(a in network for network in expected)]
    shown = ", ".join(addresses) or "no address"
    wanted = " ".join(str(network) for network in expected)
    if match == "any":
        if len(outside) == len(found):
            return [f"{shown}: none in --expect {wanted}"]
        return []
    problems = [f"{', '.join(outside)} not in --expect {wanted}"] if outside else []
    if match == "exact":
        missing = [str(n) for n in expected if not any(a in n for a in found)]
        if missing:
            problems.append(f"{' '.join(missing)} expected, not among {shown}")
    return problems


def disagreement(said: dict[str, list[str]]) -> list[str]:
    """One problem naming what each nameserver said, when they do not all say the same."""
    if len({tuple(addresses) for addresses in said.values()}) <= 1:
        return []
    each = "; ".join(f"{who} says {', '.join(a) or 'nothing'}" for who, a in said.items())
    return [f"nameservers disagree: {each}"]


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _sort_key(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


# --- data evaluation ------------------------------------------------------------------


class FindingsContext(Context):
    """Judges a list of findings in words: none is OK, any is ``state``."""

    def __init__(self, name: str, state: ServiceState) -> None:
        super().__init__(name)
        self.state = state

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK without findings, else ``state`` with the findings joined."""
        if not metric.value:
            return Result(Ok, None, metric)
        return Result(self.state, "; ".join(metric.value), metric)

    def performance(self, metric: Metric, resource: Resource) -> None:
        """Findings are words, not perfdata."""
        return None


def _listing_hint(blocklists: Blocklists) -> Callable[[Metric, str, Range], str]:
    def hint(metric: Metric, level: str, spec: Range) -> str:
        listings = "; ".join(str(listing) for listing in blocklists.verdict.listings)
        count = f"{metric.value} listing{'s' if metric.value != 1 else ''}"
        where = range_violation(spec, level)
        return f"{count} ({where}): {listings}" if listings else f"{count} is {where}"

    return hint


# --- data presentation ----------------------------------------------------------------


class IpSummary(Summary):
    """``mail.example.com: 192.0.2.10 as expected, PTR confirmed, listed on none of 5 zones``."""

    def __init__(self, plan: Plan, addresses: Addresses, blocklists: Blocklists | None) -> None:
        self.plan = plan
        self.addresses = addresses
        self.blocklists = blocklists

    def _facts(self) -> str:
        if self.plan.literal is not None:
            return self.plan.label
        return f"{self.plan.label}: {', '.join(self.addresses.addresses) or 'no address'}"

    def ok(self, results: Results) -> str:
        """The addresses, then what was confirmed about them."""
        parts = [self._facts() + (" as expected" if self.plan.expected else "")]
        if len(self.addresses.said) > 1:
            parts.append(f"{len(self.addresses.said)} nameservers agree")
        if self.plan.ptr:
            parts.append("PTR confirmed")
        if self.blocklists is not None:
            verdict = self.blocklists.verdict
            if verdict.listings:
                parts.append(f"{len(verdict.listings)} listings within the thresholds")
            else:
                parts.append(f"listed on none of {verdict.checked} zones")
        return ", ".join(parts)

    def problem(self, results: Results) -> str:
        """Every problem, worst first, then the addresses."""
        ranked = sorted(
            (r for r in results if r.state != Ok and r.hint), key=lambda r: -int(r.state)
        )
        parts = [one_line(result.hint) for result in ranked]
        return "; ".join([*parts, self._facts()])

    def verbose(self, results: Results) -> list[str]:
        """With -v: each finding with its state."""
        return [f"{r.state.text}: {one_line(r.hint)}" for r in results if r.state != Ok and r.hint]


# --- runtime --------------------------------------------------------------------------


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the resources in order, their judges, the summary."""
    plan = Plan(args)
    dns_query.load_dnspython()
    servers = plan.nameservers or dns_query.system_nameservers()
    # Each stage may use its share of the time left, so that a silent server in the first
    # leaves time for the others: the addresses, the reverse DNS, the blocklists.
    stages = 1 + int(plan.ptr) + int(bool(plan.zones))
    kind = PublicAddress if plan.public_ip else Addresses
    addresses = kind(plan, deadline, servers, 1.0 / stages)
    resources: list[Resource] = [addresses]
    contexts: list[Context] = [
        FindingsContext("lookup", Critical),
        FindingsContext("sources", Unknown),
        FindingsContext("expect", Critical),
        FindingsContext("agreement", Warn),
        FindingsContext("change", Warn),
        ThresholdContext("addresses"),
        ThresholdContext("time"),
    ]
    if plan.ptr:
        resources.append(ReverseDns(addresses, deadline, servers, 1.0 / (stages - 1)))
        contexts.append(FindingsContext("ptr", Critical if plan.ptr_critical else Warn))
    blocklists = None
    if plan.zones:
        blocklists = Blocklists(addresses, deadline, servers, plan.zones)
        resources.append(blocklists)
        contexts += [
            ThresholdContext("listed", plan.warning, plan.critical, hint=_listing_hint(blocklists)),
            ThresholdContext("zones_checked"),
            ThresholdContext("zones_failed"),
            FindingsContext("zones", Warn),
        ]
    resources.append(Elapsed(deadline.started))
    return PluginCheck(*resources, *contexts, IpSummary(plan, addresses, blocklists), name=NAME)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_ipcheck."""
    runtime.run(build_parser(), build_check, argv)
