"""DNS blocklists (DNSBL, RFC 5782): is an address listed, and can the list be trusted?

Domain model: a blocklist is a DNS zone. To ask whether 192.0.2.10 is listed on
zen.example, one asks A of 10.2.0.192.zen.example (IPv6: the 32 nibbles reversed). A
listing answers an address in 127.0.0.2-127.0.0.254 (the code says why) and a TXT record
with the reason; NXDOMAIN means not listed. Everything else is a trap:

- 127.255.255.x is the list refusing the query (Spamhaus answers 127.255.255.254 to queries
  that come through a public resolver): the address was not checked, it is not listed;
- a zone must never list 127.0.0.1 (RFC 5782 section 5): one that does, or that answers even
  for a name that is not an address (a lapsed list domain parked under a wildcard), lists
  everything, so its answers mean nothing;
- any other answer is no blocklist code (a parked domain's web server, say);
- SERVFAIL, a refusal or silence leaves the address unchecked on that zone.

Each zone is probed with 127.0.0.1 and with a name that is no address, beside the
addresses checked, in the same batch of questions.
"""

from __future__ import annotations

import ipaddress
import re

from plugins import dns_query
from plugins.dns_query import Nameserver, Question, Reply

# --rbl-default: widely used lists that answer queries without registration for low
# volumes. Spamhaus refuses queries that come through large public resolvers.
DEFAULT_ZONES = (
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "psbl.surriel.com",
    "bl.mailspike.net",
)
PROBE_ADDRESS = "127.0.0.1"
# A label no list keys on: only a zone that answers every name answers it.
PROBE_NAME = "vigie-probe-not-an-address"
LISTING = (ipaddress.IPv4Address("127.0.0.2"), ipaddress.IPv4Address("127.0.0.254"))
REFUSAL = ipaddress.IPv4Network("127.255.255.0/24")
# The refusal codes Spamhaus documents; other lists use the same block.
REFUSAL_MEANING = {
    "127.255.255.252": "the zone name is mistyped",
    "127.255.255.254": "queries through a public or open resolver are refused",
    "127.255.255.255": "too many queries",
}
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def zone_name(text: str) -> str:
    """A blocklist zone as typed, checked to be a DNS name; ValueError says why not."""
    zone = text.strip().rstrip(".").lower()
    if not zone or len(zone) > 200 or not all(_LABEL.fullmatch(part) for part in zone.split(".")):
        raise ValueError(
            f"invalid blocklist zone {text!r}: expected a DNS name like bl.example.org"
        )
    return zone


def query_name(address: str, zone: str) -> str:
    """The name to look up for ``address`` in ``zone``: reversed octets or nibbles."""
    reverse = ipaddress.ip_address(address).reverse_pointer
    return reverse.rsplit(".", 2)[0] + "." + zone


class Listing:
    """An address a zone lists: its codes (127.0.0.x) and the TXT reason, if any."""

    def __init__(self, address: str, zone: str, codes: list[str], reason: str) -> None:
        self.address = address
        self.zone = zone
        self.codes = codes
        self.reason = reason

    def __str__(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"{self.address} listed on {self.zone} ({', '.join(self.codes)}){why}"


class Verdict:
    """What the blocklists say: the listings, and the zones that could not say."""

    def __init__(self, zones: list[str]) -> None:
        self.zones = zones
        self.asked = False
        self.listings: list[Listing] = []
        # zone -> why its answers do not count (refused, broken, failed, no time).
        self.failed: dict[str, str] = {}

    @property
    def checked(self) -> int:
        """How many zones gave answers that count."""
        return len(self.zones) - len(self.failed) if self.asked else 0


def questions(addresses: list[str], zones: list[str], servers: list[Nameserver]) -> list[Question]:
    """The batch: per zone the two probes, then A and TXT for each address."""
    batch = []
    for zone in zones:
        batch.append(Question(query_name(PROBE_ADDRESS, zone), "A", servers))
        batch.append(Question(f"{PROBE_NAME}.{zone}", "A", servers))
        for address in addresses:
            name = query_name(address, zone)
            batch.append(Question(name, "A", servers))
            batch.append(Question(name, "TXT", servers))
    return batch


def judge(addresses: list[str], zones: list[str], replies: list[Reply]) -> Verdict:
    """The verdict from the replies to ``questions(addresses, zones, ...)``, in order."""
    verdict = Verdict(zones)
    verdict.asked = True
    per_zone = 2 + 2 * len(addresses)
    for number, zone in enumerate(zones):
        share = replies[number * per_zone : (number + 1) * per_zone]
        probe_address, probe_name, lookups = share[0], share[1], share[2:]
        problem = _probe_problem(zone, probe_address, probe_name)
        listings: list[Listing] = []
        for index, address in enumerate(addresses):
            if problem:
                break
            found, txt = lookups[2 * index], lookups[2 * index + 1]
            problem = _lookup_problem(zone, address, found)
            if problem is None and found.outcome == dns_query.ANSWER:
                reason = " ".join(txt.records) if txt.outcome == dns_query.ANSWER else ""
                listings.append(Listing(address, zone, sorted(found.records), reason))
        if problem:
            verdict.failed[zone] = problem
        else:
            verdict.listings += listings
    return verdict


def _probe_problem(zone: str, probe_address: Reply, probe_name: Reply) -> str | None:
    """Why the zone cannot be trusted, from its two probes; None when it can."""
    for reply in (probe_address, probe_name):
        if reply.failed:
            return f"{zone}: {reply.describe()}"
        # A refusing list answers every name with its refusal code: a refusal, not a wildcard.
        if any(_in_block(code, REFUSAL) for code in reply.records):
            return _refusal(zone, reply.records)
    if probe_address.outcome == dns_query.ANSWER and probe_name.outcome == dns_query.ANSWER:
        return (
            f"{zone} answers for every name ({', '.join(probe_name.records)}), even "
            f"{PROBE_ADDRESS}: not a working blocklist, its answers are ignored"
        )
    if probe_address.outcome == dns_query.ANSWER:
        return (
            f"{zone} lists {PROBE_ADDRESS} ({', '.join(probe_address.records)}), which no "
            "working list does: its answers are ignored"
        )
    if probe_name.outcome == dns_query.ANSWER:
        return (
            f"{zone} answers for a name that is no address ({', '.join(probe_name.records)}): "
            "not a working blocklist, its answers are ignored"
        )
    return None


def _lookup_problem(zone: str, address: str, reply: Reply) -> str | None:
    """Why ``reply`` says nothing about ``address`` on ``zone``; None when it does."""
    if reply.failed:
        return f"{zone}: {reply.describe()} for {address}"
    if reply.outcome != dns_query.ANSWER:
        return None  # NXDOMAIN or no A record: not listed
    if any(_in_block(code, REFUSAL) for code in reply.records):
        return _refusal(zone, reply.records)
    odd = [code for code in reply.records if not _is_listing_code(code)]
    if odd:
        return (
            f"{zone} answered {', '.join(odd)} for {address}, which is no blocklist code "
            "(127.0.0.2-127.0.0.254): not counted as a listing"
        )
    return None


def _refusal(zone: str, codes: list[str]) -> str:
    meanings = [REFUSAL_MEANING[code] for code in codes if code in REFUSAL_MEANING]
    why = f": {meanings[0]}" if meanings else ""
    return f"{zone} refused the query ({', '.join(codes)}{why}), nothing checked there"


def _is_listing_code(code: str) -> bool:
    try:
        value = ipaddress.ip_address(code)
    except ValueError:
        return False
    return isinstance(value, ipaddress.IPv4Address) and LISTING[0] <= value <= LISTING[1]


def _in_block(code: str, block: ipaddress.IPv4Network) -> bool:
    try:
        return ipaddress.ip_address(code) in block
    except ValueError:
        return False
