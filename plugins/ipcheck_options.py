"""The command line of check_vigie_ipcheck: every flag, its type, and the validated Plan.

Domain model: what an admin asks of a server's addresses. Which addresses (``-H`` looked up
in DNS, or ``--public-ip``), what they must be (``--expect`` and ``--match``), who answers
(``--nameserver``, else the system's resolver), and what else to check about each address:
its reverse DNS (``--ptr``) and the blocklists (``--rbl``). Bad values end as one UNKNOWN
line with the usage (plugins.runtime), never as argparse's exit 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket

from plugins import arguments, dns_query, network, public_ip, rbl
from plugins.arguments import UsageError
from plugins.nagios import Range
from plugins.wording import one_line

NAME = "IPCHECK"
PROG = "check_vigie_ipcheck"
MATCH_MODES = ("exact", "any", "subset")
DEFAULT_CHANGED_FOR = 3600.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Plan:
    """The validated command line: what to look up, judge and check."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.host: str = args.hostname or ""
        self.literal = _literal(self.host)
        self.family: int = args.family or socket.AF_UNSPEC
        self.public_ip: bool = args.public_ip
        self.match: str = args.match
        self.nameservers: list[dns_query.Nameserver] = [
            dns_query.parse_nameserver(text) for text in args.nameserver or []
        ]
        self.ptr: bool = args.ptr or args.ptr_critical
        self.ptr_critical: bool = args.ptr_critical
        zones = list(args.rbl or []) + (list(rbl.DEFAULT_ZONES) if args.rbl_default else [])
        self.zones: list[str] = list(dict.fromkeys(zones))  # once each, in the order given
        self.warning: Range | None = args.warning
        self.critical: Range | None = args.critical
        if self.zones and args.warning is None and args.critical is None:
            self.critical = Range("0")  # any listing is CRITICAL
        self.sources = [public_ip.Source(text) for text in args.public_ip_source or []]
        self.state_file: str = args.state_file or public_ip.default_state_file()
        self.changed_for: float = args.changed_for
        self.expected: list[Network] = self._expected(args.expect or [])
        self._check(args)

    def _expected(self, networks: list[Network]) -> list[Network]:
        if self.family == socket.AF_UNSPEC:
            return networks
        version = 4 if self.family == socket.AF_INET else 6
        kept = [network for network in networks if network.version == version]
        if networks and not kept:
            raise UsageError(f"--expect lists no IPv{version} address, and -{version} asks for one")
        return kept

    def _check(self, args: argparse.Namespace) -> None:
        if self.public_ip and self.host:
            raise UsageError("-H and --public-ip exclude each other: the address is either")
        if not self.public_ip and not self.host:
            raise UsageError("-H NAME (or --public-ip) is required")
        if self.literal is not None and self.family not in (socket.AF_UNSPEC, self.literal[1]):
            raise UsageError(f"-H {self.host} is not of the address family -4/-6 asks for")
        if (args.warning is not None or args.critical is not None) and not self.zones:
            raise UsageError(
                "-w/-c are thresholds on blocklist listings: give --rbl or --rbl-default"
            )
        if not self.public_ip and (args.public_ip_source or args.state_file):
            raise UsageError("--public-ip-source and --state-file go with --public-ip")
        if self.public_ip and not self.sources:
            family = self.family if self.family != socket.AF_UNSPEC else socket.AF_INET
            self.sources = [public_ip.Source(text) for text in public_ip.DEFAULT_SOURCES[family]]

    @property
    def label(self) -> str:
        """How the first line names what was checked."""
        return self.host or "public address"

    @property
    def rdtypes(self) -> list[str]:
        """The address records to ask for."""
        kinds: dict[int, list[str]] = {socket.AF_INET: ["A"], socket.AF_INET6: ["AAAA"]}
        return kinds.get(self.family, ["A", "AAAA"])


def _literal(host: str) -> tuple[str, int] | None:
    """(address, family) when -H is an address rather than a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return str(address), socket.AF_INET if address.version == 4 else socket.AF_INET6


# --- flag types -----------------------------------------------------------------------


def _host(text: str) -> str:
    name = text.strip().rstrip(".")
    if _literal(name) is not None:
        return name
    try:
        # An IDN is asked for in its IDNA form, as every resolver does.
        return rbl.zone_name(network.ascii_name(name))  # the same rules: a DNS name
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid host {one_line(repr(text), 200)}: expected a DNS name or an IP address"
        ) from None


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"invalid --expect {text!r}: {exc}; expected an address or a CIDR such as 192.0.2.0/28"
        ) from None


def _zone(text: str) -> str:
    try:
        return rbl.zone_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _nameserver(text: str) -> str:
    try:
        dns_query.parse_nameserver(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _source(text: str) -> str:
    try:
        public_ip.Source(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> arguments.PluginArgumentParser:
    """The command line of check_vigie_ipcheck, documented flag by flag."""
    parser = arguments.PluginArgumentParser(
        NAME,
        PROG,
        "Check that a server is at the addresses the world expects, that its reverse DNS\n"
        "agrees, and that no blocklist lists it.\n"
        "First line: IPCHECK OK - mail.example.com: 192.0.2.10 as expected, PTR confirmed, "
        "listed on none of 5 zones | time=0.012345s addresses=1;;;0 ...",
        epilog=(
            "States: NXDOMAIN, no address, a SERVFAIL or no answer within -t from any\n"
            "nameserver asked, or addresses other than --expect: CRITICAL. Nameservers that\n"
            "disagree: WARNING, naming what each said. A missing or mismatching PTR: WARNING\n"
            "(--ptr-critical: CRITICAL). Listings: against -w/-c (default: any is CRITICAL).\n"
            "A blocklist that refuses the query (127.255.255.x), lists 127.0.0.1, answers\n"
            "every name, or does not answer: WARNING, named, and its answers never counted.\n"
            "--public-ip: a change since the last run is WARNING for --changed-for seconds;\n"
            "no source answering is UNKNOWN.\n\n"
            "Perfdata: time (s), addresses, and with blocklists listed, zones_checked,\n"
            "zones_failed.\n\n"
            f"--rbl-default asks {', '.join(rbl.DEFAULT_ZONES)}.\n"
            "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, the plugin's\n"
            "own deadline, dnspython missing, an internal error; also after --help and --version)."
        ),
    )
    what = parser.add_argument_group("addresses")
    what.add_argument(
        "-H",
        "--hostname",
        type=_host,
        metavar="NAME",
        help="the name whose A and AAAA records are checked (an address is taken as it is)",
    )
    what.add_argument(
        "--expect",
        type=_network,
        action="append",
        metavar="ADDRESS|CIDR",
        help="an address (or network) the answers must hold; repeat for several",
    )
    what.add_argument(
        "--match",
        choices=MATCH_MODES,
        default="exact",
        help="exact (default): the addresses are exactly --expect, each CIDR holding at "
        "least one; subset: every address is in --expect; any: at least one is",
    )
    family = what.add_mutually_exclusive_group()
    family.add_argument(
        "-4", dest="family", action="store_const", const=socket.AF_INET, help="IPv4 (A) only"
    )
    family.add_argument(
        "-6", dest="family", action="store_const", const=socket.AF_INET6, help="IPv6 (AAAA) only"
    )
    what.add_argument(
        "--nameserver",
        type=_nameserver,
        action="append",
        metavar="HOST[:PORT]",
        help="ask this server (an IP address; IPv6 as [::1]:53) instead of the system "
        "resolver; repeat for several: each is asked for the addresses and they must agree, "
        "the other questions go to them in turn",
    )
    checks = parser.add_argument_group("reverse DNS and blocklists")
    checks.add_argument(
        "--ptr",
        action="store_true",
        help="forward-confirmed reverse DNS: each address has a PTR naming a host that "
        "resolves back to it (else WARNING)",
    )
    checks.add_argument(
        "--ptr-critical", action="store_true", help="as --ptr, a failure being CRITICAL"
    )
    checks.add_argument(
        "--rbl",
        type=_zone,
        action="append",
        metavar="ZONE",
        help="a DNS blocklist zone to look each address up in; repeat for several",
    )
    checks.add_argument(
        "--rbl-default", action="store_true", help="the widely used blocklists listed below"
    )
    checks.add_argument(
        "-w",
        "--warning",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="WARNING when the number of listings is outside this range",
    )
    checks.add_argument(
        "-c",
        "--critical",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="CRITICAL when the number of listings is outside this range (default 0)",
    )
    public = parser.add_argument_group("public address")
    public.add_argument(
        "--public-ip",
        action="store_true",
        help="check the address this network leaves by instead of -H: against --expect, "
        "or else against the last run's",
    )
    public.add_argument(
        "--public-ip-source",
        type=_source,
        action="append",
        metavar="SOURCE",
        help="dns:NAME[/A|AAAA|TXT]@SERVER[:PORT] or an http(s) URL whose body is the "
        "address; repeat for several, asked in order (default: OpenDNS's and Google's DNS)",
    )
    public.add_argument(
        "--state-file",
        metavar="PATH",
        help="where the last public address is kept (default: "
        "$XDG_STATE_HOME/vigie/ipcheck.state, else ~/.local/state/vigie/ipcheck.state)",
    )
    public.add_argument(
        "--changed-for",
        type=arguments.seconds,
        default=DEFAULT_CHANGED_FOR,
        metavar="SECONDS",
        help="how long a change of public address stays WARNING (default %(default)g)",
    )
    return parser
