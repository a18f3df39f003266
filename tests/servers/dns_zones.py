"""The zones the check_vigie_ipcheck tests and benchmark serve (see nsd.NsdServer).

What a provider meets in the field: a server with A and AAAA records, forward-confirmed
PTRs and broken ones, a name without address, a zone that fails to load (SERVFAIL),
blocklists with listed and clean addresses and TXT reasons, a list that refuses queries
(127.255.255.254), one that lists everything, one that lists 127.0.0.1, one that answers
with no blocklist code, and the zones of --rbl-default, served here so that no test
leaves the machine.
"""

from __future__ import annotations

import ipaddress

from plugins import rbl

SPAM_REASON = "Listed for sending spam, see https://bl.test/lookup?192.0.2.66"
EXAMPLE = """\
www A 192.0.2.10
www AAAA 2001:db8::10
alias CNAME www
mail A 192.0.2.25
mail AAAA 2001:db8::25
noptr A 192.0.2.30
badptr A 192.0.2.40
other A 192.0.2.41
v4only A 192.0.2.50
dirty A 192.0.2.66
split A 192.0.2.80
empty TXT "no address here"
xn--bcher-kva A 192.0.2.12
myip A 198.51.100.7
myip6 TXT "2001:db8::77"
""" + "".join(  # more than fits in 512 bytes of UDP: truncated
    f"many A 192.0.2.{host}\n" for host in range(100, 140)
)


def ptr(address: str, name: str) -> str:
    return f"{ipaddress.ip_address(address).reverse_pointer}. PTR {name}.\n"


def listing(address: str, zone: str, code: str = "127.0.0.2", reason: str = "") -> str:
    name = rbl.query_name(address, zone)
    text = f"{name}. A {code}\n"
    return text + (f'{name}. TXT "{reason}"\n' if reason else "")


def zones(split_answer: str) -> dict[str, str | None]:
    """The zones of a test nameserver; ``split_answer`` is its A record for split."""
    test_entry = "".join(listing("127.0.0.2", zone) for zone in ("bl.test", "clean.test"))
    return {
        "example.test": EXAMPLE.replace("split A 192.0.2.80", f"split A {split_answer}"),
        "2.0.192.in-addr.arpa": ptr("192.0.2.10", "www.example.test")
        + ptr("192.0.2.25", "mail.example.test")
        + ptr("192.0.2.40", "other.example.test")
        + ptr("192.0.2.66", "dirty.example.test"),
        "8.b.d.0.1.0.0.2.ip6.arpa": ptr("2001:db8::10", "www.example.test")
        + ptr("2001:db8::25", "mail.example.test"),
        "bl.test": test_entry.split("\n", 1)[0]
        + "\n"
        + listing("192.0.2.66", "bl.test", reason=SPAM_REASON)
        + listing("2001:db8::66", "bl.test", code="127.0.0.3", reason="IPv6 spam source"),
        "clean.test": listing("127.0.0.2", "clean.test"),
        "second.test": listing("192.0.2.66", "second.test", code="127.0.0.4"),
        "refusing.test": "* A 127.255.255.254\n",
        # Refuses the lookups of real addresses only, as a list rate-limiting a resolver.
        "rate-limited.test": listing("192.0.2.66", "rate-limited.test", code="127.255.255.255"),
        "everything.test": "* A 127.0.0.2\n",
        "lists-localhost.test": listing("127.0.0.1", "lists-localhost.test"),
        "parked.test": listing("192.0.2.66", "parked.test", code="192.0.2.200"),
        "servfail.test": None,
        # --rbl-default's zones, served here: the test never leaves the machine.
        **{zone: listing("192.0.2.66", zone, code="127.0.0.10") for zone in rbl.DEFAULT_ZONES},
    }
