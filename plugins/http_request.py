"""What one run of check_vigie_http asks for: the validated ``Request``.

Domain model: the admin's command line, checked as a whole. ``request_from_args`` rejects
flags that do not fit together (a UsageError: bad arguments, with the usage), reads the
secrets from files or the environment (a PluginError when they cannot be used), puts an
international host name in its IDNA form, parses the proxy once, and turns the rest into
a ``Request``: the first target, how to talk to it, and what to judge. Nothing after this
reads the command line again.
"""

from __future__ import annotations

import argparse
import re
import socket

from plugins import arguments, http_headers, http_target
from plugins.arguments import PluginError, UsageError
from plugins.http_headers import AUTH_ENV, HEADERS_ENV
from plugins.http_target import DEFAULT_PORTS, Proxies, Target
from plugins.network import BadName, ascii_name
from plugins.wording import one_line

# What cannot be part of a host name, an address or a server name, besides whitespace
# and control characters: the signs of a URL given where a name was wanted.
URL_SIGNS = frozenset("/?#@\\")

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.nagios import Range


class Expected:
    """The status codes ``-e`` accepts, as typed (``200,301-302``) and as ranges."""

    def __init__(self, text: str, ranges: list[tuple[int, int]]) -> None:
        self.text = text
        self.ranges = ranges

    def accepts(self, code: int) -> bool:
        """True when ``code`` is one of the expected codes."""
        return any(low <= code <= high for low, high in self.ranges)


def status_codes(text: str) -> Expected:
    """argparse type of -e: status codes and ranges (``200,301-302``)."""
    spec = []
    for item in text.split(","):
        # [0-9], not \d: \d also matches other scripts' digits, which int() accepts.
        match = re.fullmatch(r"\s*([0-9]{3})\s*(?:-\s*([0-9]{3})\s*)?", item)
        if not match:
            raise argparse.ArgumentTypeError(
                f"invalid status list {text!r}: expected codes and ranges like 200,301-302"
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low > high:
            raise argparse.ArgumentTypeError(f"invalid status range {item.strip()!r}")
        spec.append((low, high))
    return Expected(text.replace(" ", ""), spec)


class Request:
    """What the command line asks for, validated: the first target, how to talk to it,
    and what to judge."""

    def __init__(self) -> None:
        self.target = Target("http", "", 80, "", "", "/")
        self.method = "GET"
        self.body: bytes | None = None
        self.headers: list[tuple[str, str]] = []
        self.authorization: str | None = None
        # From --header-file or $VIGIE_HTTP_HEADERS: sent to the first target's origin only.
        self.secret_headers: list[tuple[str, str]] = []
        self.follow = False
        self.max_redirects = 15
        self.family = socket.AF_UNSPEC
        self.proxies = Proxies(None)
        self.sni: str | None = None
        self.send_sni = True
        self.verify = True
        self.ca_file: str | None = None
        self.client_cert: str | None = None
        self.client_key: str | None = None
        self.tls_min_version: str | None = None
        # Accept-Encoding: identity unless --compressed asks for gzip.
        self.compressed = False
        # What to judge.
        self.expect: Expected | None = None
        self.warning: Range | None = None
        self.critical: Range | None = None
        self.size: Range | None = None
        self.certificate: tuple[float, float] | None = None
        self.string: str | None = None
        self.pattern: re.Pattern[str] | None = None
        self.invert_regex = False
        self.header_string: str | None = None
        self.max_age: tuple[float, str] | None = None

    @property
    def keep_body(self) -> bool:
        """True when a content option needs the body kept."""
        return self.string is not None or self.pattern is not None

    @property
    def want_age(self) -> bool:
        """True when -M asks for the document's age."""
        return self.max_age is not None


def _name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a host name, an address or a server name, if it cannot."""
    if any(char.isspace() or not char.isprintable() for char in text):
        return "spaces or control characters"
    if not URL_SIGNS.isdisjoint(text):
        return "a URL, not a name"
    if text.startswith("[") and "]" not in text:
        return "an IPv6 address without its closing ]"
    return None


def hostname_option(text: str) -> str:
    """argparse type of -H: a host name or address, optionally with :PORT."""
    # Empty stays empty: "not given", as an Icinga var that resolves to nothing passes it.
    problem = _name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(
            f"invalid host {one_line(repr(text), 200)}: {problem}; expected a host "
            "name or address, optionally with :PORT"
        )
    return text


def address_option(text: str) -> str:
    """argparse type of -I: an address or a host name, IPv6 without brackets."""
    brackets = "[" in text or "]" in text
    problem = _name_problem(text) or (
        "brackets (an IPv6 address goes without)" if brackets else None
    )
    if problem:
        raise argparse.ArgumentTypeError(
            f"invalid address {one_line(repr(text), 200)}: {problem}; expected an "
            "IP address or a host name"
        )
    return text


def server_name_option(text: str) -> str:
    """argparse type of --sni: a host name."""
    problem = _name_problem(text)
    if problem or not text:
        raise argparse.ArgumentTypeError(
            f"invalid server name {one_line(repr(text), 200)}: "
            f"{problem or 'empty'}; expected a host name"
        )
    return text


def argv_bytes(text: str) -> bytes:
    """``text`` as the bytes it came from on the command line."""
    return text.encode("utf-8", "surrogateescape")


def _idna(name: str, flag: str) -> str:
    """``name`` in its IDNA form; a name IDNA cannot encode is a bad argument."""
    try:
        return ascii_name(name)
    except BadName as exc:
        raise UsageError(f"{flag}: {one_line(exc, 200)}") from None


def _check_family(args: argparse.Namespace) -> None:
    """-4/-6 must not contradict an -I address."""
    import ipaddress  # only with -I and -4/-6

    try:
        address = ipaddress.ip_address(args.ip)
    except ValueError:
        return
    # An IPv4-mapped address (::ffff:192.0.2.1) fits either family.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return
    if (address.version == 6) != (args.family == socket.AF_INET6):
        flag = "-6" if args.family == socket.AF_INET6 else "-4"
        raise UsageError(f"{flag} contradicts --ip {args.ip}")


def request_from_args(args: argparse.Namespace) -> Request:
    """The validated request; options that do not fit together raise UsageError."""
    if not args.hostname and not args.ip:
        raise UsageError("-H/--hostname or -I/--ip is required")
    if args.invert_regex and not (args.regex or args.eregi):
        raise UsageError("--invert-regex needs -r or -R")
    if args.client_key and not args.client_cert:
        raise UsageError("--client-key needs --client-cert")
    if args.sni and args.no_sni:
        raise UsageError("--sni and --no-sni contradict each other")
    request = Request()
    ip = _idna(args.ip, "-I/--ip") if args.ip else args.ip
    host, vhost_header = (ip, None)
    if args.hostname:
        host, vhost_header = http_target.split_vhost(args.hostname)
        if not host.isascii():
            host = _idna(host, "-H/--hostname")
            if vhost_header is not None:
                vhost_header = f"{host}:{vhost_header.rpartition(':')[2]}"
    if args.ip and args.family:
        _check_family(args)
    tls = bool(args.ssl or args.certificate or args.client_cert or args.sni)
    scheme = "https" if tls else "http"
    port = args.port or DEFAULT_PORTS[scheme]
    if vhost_header is None:
        bracketed = f"[{host}]" if ":" in host else host
        vhost_header = bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
    request.target = Target(scheme, host, port, ip or host, vhost_header, args.uri)
    request.method = args.method or ("POST" if args.data is not None else "GET")
    if args.data is not None:
        request.body = argv_bytes(args.data)
    headers: list[tuple[str, str]] = []
    if args.data is not None or args.content_type:
        headers.append(("Content-Type", args.content_type or "application/x-www-form-urlencoded"))
    if args.user_agent:
        headers.append(("User-Agent", args.user_agent))
    request.headers = headers + list(args.header)
    credentials = arguments.read_secret(AUTH_ENV, args.auth_file, "basic auth credentials")
    if credentials is not None:
        if ":" not in credentials:
            origin = args.auth_file or f"${AUTH_ENV}"
            raise PluginError(f"basic auth credentials in {origin} must be user:password")
        request.authorization = http_target.basic_authorization(credentials)
    request.secret_headers = http_headers.secret_headers(args.header_file)
    if request.authorization and any(
        name.lower() == "authorization" for name, _ in request.secret_headers
    ):
        origin = args.header_file or f"${HEADERS_ENV}"
        raise PluginError(
            f"Authorization comes from both basic auth credentials and {origin}: keep one"
        )
    request.follow = args.follow
    request.max_redirects = args.max_redirects
    request.family = args.family or socket.AF_UNSPEC
    # A bad --proxy is a bad argument (UsageError), found before any network wait.
    request.proxies = Proxies(
        http_target.parse_proxy(args.proxy, "--proxy") if args.proxy else None
    )
    request.sni = _idna(args.sni, "--sni") if args.sni else None
    request.send_sni = not args.no_sni
    request.verify = not args.insecure
    request.ca_file = args.ca_file
    request.client_cert = args.client_cert
    request.client_key = args.client_key
    request.tls_min_version = args.tls_min_version
    request.compressed = args.compressed
    request.expect = args.expect
    request.warning, request.critical = args.warning, args.critical
    request.size = args.size
    request.certificate = args.certificate
    request.string = args.string
    if args.regex or args.eregi:
        request.pattern = re.compile(args.regex or args.eregi, re.IGNORECASE if args.eregi else 0)
    request.invert_regex = args.invert_regex
    request.header_string = args.header_string
    request.max_age = args.max_age
    return request
