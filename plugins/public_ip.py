"""The address this network leaves by, as the outside world sees it, and whether it moved.

Domain model: a mail server behind NAT sends from an address it does not hold. Services
outside tell it back: a DNS server that answers a special name with the address the query
came from (OpenDNS's myip.opendns.com, Google's o-o.myaddr.l.google.com as TXT), or a web
page whose body is the client's address. Sources are asked in order, the first valid
answer wins. Without an expected address, the last run's is remembered (nagiosplugin's
Cookie, a JSON file locked while in use): a change is a finding for as long as
``--changed-for`` says, so that Icinga sees it for more than one soft check.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import time
import urllib.parse

from plugins import dns_query, http_wire, network
from plugins.arguments import PluginError, UsageError
from plugins.dns_query import Nameserver, Question

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.deadline import Deadline

_log = logging.getLogger(__name__)

DEFAULT_SOURCES: dict[int, tuple[str, ...]] = {
    socket.AF_INET: (
        "dns:myip.opendns.com@208.67.222.222",
        "dns:o-o.myaddr.l.google.com/TXT@216.239.32.10",
    ),
    socket.AF_INET6: (
        "dns:myip.opendns.com/AAAA@[2620:119:35::35]",
        "dns:o-o.myaddr.l.google.com/TXT@[2001:4860:4802:32::a]",
    ),
}
SOURCE_TYPES = ("A", "AAAA", "TXT")
# An address is a few dozen bytes; a page that sends more is not such a source.
MAX_BODY = 1024


class Source:
    """Where to learn the public address: ``dns:NAME[/TYPE]@SERVER`` or an http(s) URL."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.url: urllib.parse.SplitResult | None = None
        self.name = ""
        self.rdtype = ""
        self.server: Nameserver | None = None
        if text.startswith("dns:"):
            name, at, server = text[4:].rpartition("@")
            name, _, rdtype = name.partition("/")
            if not at or not name or not server:
                raise UsageError(f"invalid source {text!r}: expected dns:NAME[/TYPE]@SERVER")
            self.rdtype = rdtype.upper()
            if self.rdtype and self.rdtype not in SOURCE_TYPES:
                raise UsageError(f"invalid source {text!r}: TYPE is A, AAAA or TXT")
            self.name = name
            self.server = dns_query.parse_nameserver(server)
        elif text.startswith(("http://", "https://")):
            self.url = urllib.parse.urlsplit(text)
            try:
                self.url.port  # noqa: B018 - raises on a bad port
            except ValueError:
                raise UsageError(f"invalid source {text!r}: bad port") from None
            if not self.url.hostname:
                raise UsageError(f"invalid source {text!r}: no host in the URL")
        else:
            raise UsageError(
                f"invalid source {text!r}: expected dns:NAME[/TYPE]@SERVER or an http(s) URL"
            )

    def __str__(self) -> str:
        return self.text


def discover(
    sources: list[Source], family: int, deadline: Deadline, limit: float
) -> tuple[str | None, list[str]]:
    """The public address from the first source that tells one, and what the others said."""
    problems: list[str] = []
    stop_at = time.monotonic() + limit
    for source in sources:
        left = stop_at - time.monotonic()
        if left <= 0 or deadline.network_remaining() <= 0:
            problems.append(f"{source}: not asked, -t spent")
            continue
        deadline.activity = f"asking {source} for the public address"
        try:
            text = _ask_dns(source, family, deadline, left) if source.server else None
            if source.url is not None:
                text = _ask_http(source.url, family, deadline, stop_at)
        except (OSError, http_wire.WireError) as exc:
            problems.append(f"{source}: {getattr(exc, 'strerror', None) or exc}")
            continue
        except PluginError as exc:
            problems.append(f"{source}: {exc}")
            continue
        address = _address(text or "", family)
        if address is None:
            problems.append(f"{source}: answered {text!r}, not an address")
            continue
        _log.info("%s says the public address is %s", source, address)
        return address, problems
    return None, problems


def _ask_dns(source: Source, family: int, deadline: Deadline, limit: float) -> str:
    assert source.server is not None
    rdtype = source.rdtype or ("AAAA" if family == socket.AF_INET6 else "A")
    (reply,) = dns_query.ask([Question(source.name, rdtype, [source.server])], deadline, limit)
    if reply.outcome != dns_query.ANSWER:
        raise PluginError(reply.describe())
    return reply.records[0]


def _ask_http(
    url: urllib.parse.SplitResult, family: int, deadline: Deadline, stop_at: float
) -> str:
    """The body of a GET of ``url``, which should hold the address and nothing else."""

    def budget() -> float:
        left = min(deadline.network_remaining(), stop_at - time.monotonic())
        if left <= 0:
            raise TimeoutError("no time left")
        return left

    host = url.hostname or ""
    tls = url.scheme == "https"
    conn = http_wire.Connection(budget, network.Steps(deadline).step)
    try:
        with deadline.network():
            conn.open(host, url.port or (443 if tls else 80), family)
            if tls:
                import ssl  # only for an https source

                conn.start_tls(ssl.create_default_context(), host)
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            authority = host if url.port is None else f"{host}:{url.port}"
            fields = [("Host", authority), ("Accept", "text/plain"), ("Connection", "close")]
            conn.send("GET", path, fields, None)
            response = conn.read_head("GET")
            if response.status != 200:
                raise PluginError(f"HTTP status {response.status}")
            body = b""
            for chunk in conn.read_body(response):
                body += chunk
                if len(body) > MAX_BODY:
                    raise PluginError(f"more than {MAX_BODY} bytes, not an address")
    finally:
        conn.close()
    return body.decode("ascii", "replace")


def _address(text: str, family: int) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if family == socket.AF_INET and address.version != 4:
        return None
    if family == socket.AF_INET6 and address.version != 6:
        return None
    return str(address)


# --- the last run's address -----------------------------------------------------------


def default_state_file() -> str:
    """Where the last public address is kept: under $XDG_STATE_HOME or ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(base, "vigie", "ipcheck.state")


def compare_with_last(
    path: str, key: str, address: str, changed_for: float, now: float | None = None
) -> str | None:
    """Remember ``address`` under ``key``; say so if it differs from the last run's.

    A change stays reported for ``changed_for`` seconds after it was seen.
    """
    # State between runs, for this option only: plugins.nagios defers this module.
    from nagiosplugin.cookie import Cookie

    now = time.time() if now is None else now
    folder = os.path.dirname(path)
    try:
        if folder:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        with Cookie(path) as cookie:
            last = cookie.get(key)
            if not isinstance(last, dict) or last.get("address") == address:
                if not isinstance(last, dict):
                    cookie[key] = {"address": address, "since": now}
                    _log.info("first public address seen for this source list: %s", address)
                    return None
                changed_at = last.get("changed_at")
                if isinstance(changed_at, int | float) and now - changed_at < changed_for:
                    return _changed(last.get("previous"), address, now - changed_at)
                return None
            cookie[key] = {
                "address": address,
                "since": now,
                "previous": last.get("address"),
                "changed_at": now,
            }
            return _changed(last.get("address"), address, 0)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise PluginError(f"cannot keep the public address in {path}: {reason}") from None


def _changed(previous: object, address: str, ago: float) -> str:
    when = "" if ago < 1 else f" {int(ago // 60)} min ago"
    return f"public address changed from {previous} to {address}{when}"
