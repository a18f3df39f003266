"""The command line of check_vigie_http: every flag, its type, and the validated Request.

Domain model: what an Icinga admin asks the check for, flag by flag, in the words of
check_http and check_curl (``-H``, ``-I``, ``-u``, ``-e``, ``-s``, ``-C`` ...), so that a
CheckCommand written for them needs few changes. A flag's type rejects a malformed value
as it is parsed; ``request_from_args`` rejects flags that do not fit together, and turns
the rest into a ``Request``: the first target and how to talk to it. Both end as one
UNKNOWN line with the usage (plugins.arguments), never as argparse's exit 2.
"""

from __future__ import annotations

import argparse
import os
import re
import socket

from plugins import __version__, arguments, http_target
from plugins.arguments import PluginError, UsageError
from plugins.http_target import DEFAULT_PORTS, Target
from plugins.http_wire import is_token
from plugins.nagios import Range
from plugins.wording import one_line

NAME = "HTTP"
PROG = "check_vigie_http"
AUTH_ENV = "VIGIE_HTTP_AUTH"
HEADERS_ENV = "VIGIE_HTTP_HEADERS"
# Headers that carry credentials: -k refuses them, they come from --header-file or the env.
SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
# --tls-min-version choices (plugins.tls maps them to protocol versions).
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
# Upper bounds of the numeric flags: far beyond any real use, and well inside what the
# code they reach (floats, timers, Range) handles. Above them a value is a typo.
MAX_REDIRECTS = 100
MAX_SIZE = 10**12  # bytes (-m): a terabyte
# -M: a huge age (99999d) is how an admin asks for a dated document of any age.
MAX_AGE_DAYS = 999999
MAX_CERT_DAYS = 36500  # -C: a century
# What cannot be part of a host name, an address or a server name, besides whitespace
# and control characters: the signs of a URL given where a name was wanted.
URL_SIGNS = frozenset("/?#@\\")


class Request:
    """What the command line asks for, validated: the first target and how to talk to it."""

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
        self.proxy: str | None = None
        self.sni: str | None = None
        self.send_sni = True
        self.verify = True
        self.ca_file: str | None = None
        self.client_cert: str | None = None
        self.client_key: str | None = None
        self.tls_min_version: str | None = None
        self.string: str | None = None
        self.pattern: re.Pattern[str] | None = None
        self.header_string: str | None = None
        self.want_age = False

    @property
    def keep_body(self) -> bool:
        """True when a content option needs the body kept."""
        return self.string is not None or self.pattern is not None


class Expected:
    """The status codes ``-e`` accepts, as typed (``200,301-302``) and as ranges."""

    def __init__(self, text: str, ranges: list[tuple[int, int]]) -> None:
        self.text = text
        self.ranges = ranges

    def accepts(self, code: int) -> bool:
        """True when ``code`` is one of the expected codes."""
        return any(low <= code <= high for low, high in self.ranges)


# --- flag types -----------------------------------------------------------------------


def _status_spec(text: str) -> Expected:
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


def _size_spec(text: str) -> Range:
    match = re.fullmatch(r"([0-9]+)(?::([0-9]+))?", text.strip())
    if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: expected MIN or MIN:MAX in bytes, e.g. 100 or 100:50000"
        )
    low, high = match.group(1), match.group(2)
    if int(high or low) > MAX_SIZE:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: at most {MAX_SIZE} bytes (1 TB)")
    # int() drops leading zeros, which Range would read as a number all the same.
    return Range(f"{int(low)}:{'' if high is None else int(high)}")


def _age_spec(text: str) -> tuple[float, str]:
    match = re.fullmatch(r"([0-9]+)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid age {text!r}: expected a number of seconds, or with m, h or d, e.g. 2d"
        )
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    age = int(match.group(1)) * unit
    if age > MAX_AGE_DAYS * 86400:
        raise argparse.ArgumentTypeError(f"invalid age {text!r}: at most {MAX_AGE_DAYS}d")
    return float(age), text.strip()


def _cert_spec(text: str) -> tuple[float, float]:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(?:,([0-9]+(?:\.[0-9]+)?))?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid certificate days {text!r}: expected WARN[,CRIT], e.g. 30,14"
        )
    warn = float(match.group(1))
    crit = float(match.group(2) or 0)
    if warn > MAX_CERT_DAYS:
        raise argparse.ArgumentTypeError(
            f"invalid certificate days {text!r}: at most {MAX_CERT_DAYS} (a century)"
        )
    if crit > warn:
        raise argparse.ArgumentTypeError(f"invalid certificate days {text!r}: CRIT above WARN")
    return warn, crit


def _redirect_count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_REDIRECTS:
        raise argparse.ArgumentTypeError(
            f"invalid count {one_line(text, 40)!r}: expected 0 to {MAX_REDIRECTS}"
        )
    return int(text)


def _field_problem(value: str) -> str | None:
    """What keeps ``value`` out of an HTTP header field, if anything.

    CR and LF would end the field and start another one (header injection); the wire
    carries ISO-8859-1 only. Undecodable bytes of the command line fail the latter.
    """
    if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
        return "control characters in the value"
    if not value.isascii() and not _latin1(value):
        return "the value has characters outside ISO-8859-1"
    return None


def _field_value(text: str) -> str:
    """argparse type of a header value (-A, -T); the error does not repeat the value."""
    problem = _field_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if name.lower() in (secret.lower() for secret in SECRET_HEADERS):
        # The value is not repeated: it is the secret this refusal protects.
        raise argparse.ArgumentTypeError(
            f"{name} must not be on the command line, which Icinga logs: put it in "
            f"--header-file or ${HEADERS_ENV} (basic auth: ${AUTH_ENV} or --auth-file)"
        )
    # The value is never repeated: -k may carry an API key, and a broken line its value.
    if not sep or not is_token(name):
        raise argparse.ArgumentTypeError(
            "invalid header: expected 'Name: value', the name an HTTP token"
        )
    problem = _field_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"invalid header {name}: {problem}")
    return name, value.strip()


def header_lines(text: str, origin: str) -> list[tuple[str, str]]:
    """``Name: value`` lines as headers; blank lines and ``#`` comments are skipped.

    A malformed line raises PluginError naming ``origin`` and the line number, never the
    line itself: it may hold the very secret it was meant to carry.
    """
    headers = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep:
            problem = "expected 'Name: value', found no colon"
        elif not is_token(name):
            problem = "the header name before the colon is not an HTTP token"
        elif found := _field_problem(value):
            problem = found
        else:
            headers.append((name, value.strip()))
            continue
        raise PluginError(f"{origin} line {number}: {problem}")
    return headers


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def read_header_file(path: str) -> list[tuple[str, str]]:
    """The headers of ``--header-file``; unreadable, malformed or empty is a PluginError."""
    try:
        with open(path, encoding="utf-8") as header_file:
            text = header_file.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PluginError(f"cannot read headers from {path}: {reason}") from None
    headers = header_lines(text, f"header file {path}")
    if not headers:
        raise PluginError(f"header file {path} has no 'Name: value' line")
    return headers


def _method(text: str) -> str:
    if not is_token(text):
        raise argparse.ArgumentTypeError(f"invalid method {text!r}: not an HTTP token")
    return text


def _uri(text: str) -> str:
    if not text.startswith("/") or re.search(r"[\x00-\x20\x7f]", text):
        raise argparse.ArgumentTypeError(
            f"invalid URI {text!r}: expected a path and query starting with /, without spaces"
        )
    if text.isascii():
        return text
    # Percent-encoded as browsers do, byte for byte as given (surrogateescape keeps the
    # bytes of a command line that is not UTF-8): raw, they cannot go in a request line.
    return "".join(
        char if char.isascii() else "".join(f"%{byte:02X}" for byte in _argv_bytes(char))
        for char in text
    )


def _argv_bytes(text: str) -> bytes:
    """``text`` as the bytes it came from on the command line."""
    return text.encode("utf-8", "surrogateescape")


def _name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a host name, an address or a server name, if it cannot."""
    if any(char.isspace() or not char.isprintable() for char in text):
        return "spaces or control characters"
    if not URL_SIGNS.isdisjoint(text):
        return "a URL, not a name"
    if text.startswith("[") and "]" not in text:
        return "an IPv6 address without its closing ]"
    return None


def _hostname(text: str) -> str:
    # Empty stays empty: "not given", as an Icinga var that resolves to nothing passes it.
    problem = _name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(
            f"invalid host {one_line(repr(text), 200)}: {problem}; expected a host "
            "name or address, optionally with :PORT"
        )
    return text


def _address(text: str) -> str:
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


def _server_name(text: str) -> str:
    problem = _name_problem(text)
    if problem or not text:
        raise argparse.ArgumentTypeError(
            f"invalid server name {one_line(repr(text), 200)}: "
            f"{problem or 'empty'}; expected a host name"
        )
    return text


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
    return text


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected 1 to 65535")
    return int(text)


def build_parser() -> arguments.PluginArgumentParser:
    """The command line of check_vigie_http, documented flag by flag."""
    parser = arguments.PluginArgumentParser(
        NAME,
        PROG,
        "Check an HTTP(S) service the way a user reaches it: status, content, timing, "
        "certificate.\nFirst line: HTTP OK - 200 OK, 1234 bytes in 0.012 s | time=0.012345s;W;C;0 "
        "size=1234B;;;0 ...",
        epilog=(
            "Perfdata, in seconds and bytes: time (total, redirects included), size, then for\n"
            "the last request time_connect (TCP), time_tls (handshake), time_firstbyte and\n"
            "time_headers (from the request sent to the first byte / to the end of the\n"
            "headers), time_transfer (the body), and cert_days_left (HTTPS).\n\n"
            "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments, the plugin's\n"
            "own deadline, an internal error; also after --help and --version).\n\n"
            "Secrets never come from the command line, which Icinga logs. Basic auth\n"
            f"credentials: ${AUTH_ENV} (user:password) or --auth-file. Other secret headers\n"
            "(Authorization: Bearer ..., Cookie, an API key): --header-file FILE or\n"
            f"${HEADERS_ENV}, one 'Name: value' per line (blank lines and # comments\n"
            "ignored; the file wins over the variable), sent to the host and port checked\n"
            "only, never to a redirect elsewhere, and masked in -vvv output. -k refuses\n"
            f"{', '.join(SECRET_HEADERS)}."
        ),
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "-H",
        "--hostname",
        type=_hostname,
        metavar="HOST",
        help="virtual host name: Host header, SNI and certificate name; HOST:PORT puts the "
        "port in the Host header only, as check_http does",
    )
    target.add_argument(
        "-I",
        "--ip",
        type=_address,
        metavar="ADDRESS",
        help="address to connect to (default: HOST resolved)",
    )
    target.add_argument("-p", "--port", type=_port, help="TCP port (default 80, or 443 with TLS)")
    target.add_argument(
        "-u", "--uri", type=_uri, default="/", help="path and query to ask for (default /)"
    )
    family = target.add_mutually_exclusive_group()
    family.add_argument(
        "-4", dest="family", action="store_const", const=socket.AF_INET, help="IPv4 only"
    )
    family.add_argument(
        "-6", dest="family", action="store_const", const=socket.AF_INET6, help="IPv6 only"
    )

    tls = parser.add_argument_group("TLS and certificate")
    tls.add_argument("-S", "--ssl", action="store_true", help="use TLS (https)")
    tls.add_argument(
        "--sni",
        type=_server_name,
        metavar="NAME",
        help="server name to send in SNI and to verify the certificate against "
        "(default: the host name; implies -S)",
    )
    tls.add_argument(
        "--no-sni",
        action="store_true",
        help="send no SNI (the certificate is still checked against the host name)",
    )
    tls.add_argument(
        "--tls-min-version",
        choices=TLS_VERSIONS,
        help="lowest TLS version to accept",
    )
    tls.add_argument("--client-cert", metavar="FILE", help="client certificate (PEM; implies -S)")
    tls.add_argument(
        "--client-key",
        metavar="FILE",
        help="key of the client certificate when not in --client-cert",
    )
    tls.add_argument(
        "--ca-file",
        metavar="FILE",
        help="trust these CA certificates (PEM) instead of the system's",
    )
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the certificate chain and host name",
    )
    tls.add_argument(
        "-C",
        "--certificate",
        type=_cert_spec,
        metavar="WARN[,CRIT]",
        help="WARNING when fewer than WARN days of certificate validity are left, CRITICAL "
        f"under CRIT (default 0: expired; at most {MAX_CERT_DAYS}); checked even when the "
        "HTTP exchange fails; implies -S",
    )

    status = parser.add_argument_group("status and redirects")
    status.add_argument(
        "-e",
        "--expect",
        type=_status_spec,
        metavar="CODES",
        help="status codes that are OK, e.g. 200,301-302, judged on the final response; "
        "others are CRITICAL (default: 2xx and 3xx OK, 4xx WARNING, 5xx CRITICAL)",
    )
    status.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="follow redirects (query strings kept; 303, and 301/302 after a POST, become GET)",
    )
    status.add_argument(
        "--max-redirects",
        type=_redirect_count,
        default=15,
        metavar="N",
        help=f"with -f, CRITICAL after N redirects (default %(default)s, at most {MAX_REDIRECTS})",
    )

    content = parser.add_argument_group("content (the first 4 MiB of the body)")
    content.add_argument(
        "-s", "--string", metavar="TEXT", help="CRITICAL unless the body contains TEXT"
    )
    content.add_argument(
        "-r", "--regex", type=_regex, metavar="REGEX", help="CRITICAL unless REGEX matches the body"
    )
    content.add_argument(
        "-R",
        "--eregi",
        type=_regex,
        metavar="REGEX",
        help="as -r, case-insensitive (check_http's -R)",
    )
    content.add_argument(
        "--invert-regex",
        action="store_true",
        help="with -r/-R: CRITICAL when the expression matches instead",
    )
    content.add_argument(
        "-d",
        "--header-string",
        metavar="TEXT",
        help="CRITICAL unless the response headers contain TEXT",
    )
    content.add_argument(
        "-m",
        "--size",
        type=_size_spec,
        metavar="MIN[:MAX]",
        help="WARNING when the body is smaller than MIN or larger than MAX bytes "
        f"(at most {MAX_SIZE})",
    )
    content.add_argument(
        "-M",
        "--max-age",
        type=_age_spec,
        metavar="AGE",
        help="CRITICAL when Last-Modified is older than AGE (seconds, or 10m, 2h, 1d; at "
        f"most {MAX_AGE_DAYS}d), measured against the server's Date header",
    )

    request = parser.add_argument_group("request")
    request.add_argument(
        "-j", "--method", type=_method, help="HTTP method, any token (default GET, POST with -P)"
    )
    request.add_argument("-P", "--data", metavar="DATA", help="request body (implies POST)")
    request.add_argument(
        "-T",
        "--content-type",
        type=_field_value,
        metavar="TYPE",
        help="Content-Type of the body (default application/x-www-form-urlencoded)",
    )
    request.add_argument(
        "-k",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header, repeatable; replaces a default header of the same name "
        f"({', '.join(SECRET_HEADERS)} refused: see --header-file)",
    )
    request.add_argument(
        "-A",
        "--user-agent",
        type=_field_value,
        metavar="TEXT",
        help=f"User-Agent (default {PROG}/{__version__})",
    )
    request.add_argument(
        "--auth-file",
        metavar="FILE",
        help=f"file whose first line is user:password for basic auth (else ${AUTH_ENV})",
    )
    request.add_argument(
        "--header-file",
        metavar="FILE",
        help="file of secret request headers, one 'Name: value' per line, # comments "
        f"allowed (else ${HEADERS_ENV}, same format); replaces a header of the same name",
    )
    request.add_argument(
        "--proxy",
        metavar="URL",
        help="HTTP proxy, http://HOST:PORT or HOST:PORT (default: http_proxy/https_proxy "
        "and no_proxy from the environment, where proxy credentials may go)",
    )

    thresholds = parser.add_argument_group("thresholds")
    thresholds.add_argument(
        "-w",
        "--warning",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="WARNING when the total time in seconds is outside RANGE",
    )
    thresholds.add_argument(
        "-c",
        "--critical",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="CRITICAL when the total time in seconds is outside RANGE",
    )
    return parser


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
    host, vhost_header = (args.ip, None)
    if args.hostname:
        host, vhost_header = http_target.split_vhost(args.hostname)
    if args.ip and args.family:
        import ipaddress  # only with -I and -4/-6

        try:
            address = ipaddress.ip_address(args.ip)
        except ValueError:
            is_v6 = None
        else:
            # An IPv4-mapped address (::ffff:192.0.2.1) fits either family.
            mapped = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped
            is_v6 = None if mapped else address.version == 6
        if is_v6 is not None and is_v6 != (args.family == socket.AF_INET6):
            flag = "-6" if args.family == socket.AF_INET6 else "-4"
            raise UsageError(f"{flag} contradicts --ip {args.ip}")
    tls = bool(args.ssl or args.certificate or args.client_cert or args.sni)
    scheme = "https" if tls else "http"
    port = args.port or DEFAULT_PORTS[scheme]
    if vhost_header is None:
        bracketed = f"[{host}]" if ":" in host else host
        vhost_header = bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
    request.target = Target(scheme, host, port, args.ip or host, vhost_header, args.uri)
    request.method = args.method or ("POST" if args.data is not None else "GET")
    if args.data is not None:
        request.body = _argv_bytes(args.data)
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
    request.secret_headers = _secret_headers(args.header_file)
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
    request.proxy = args.proxy
    request.sni = args.sni
    request.send_sni = not args.no_sni
    request.verify = not args.insecure
    request.ca_file = args.ca_file
    request.client_cert = args.client_cert
    request.client_key = args.client_key
    request.tls_min_version = args.tls_min_version
    request.string = args.string
    if args.regex or args.eregi:
        request.pattern = re.compile(args.regex or args.eregi, re.IGNORECASE if args.eregi else 0)
    request.header_string = args.header_string
    request.want_age = args.max_age is not None
    return request


def _secret_headers(path: str | None) -> list[tuple[str, str]]:
    """The headers of ``--header-file`` when given, else of $VIGIE_HTTP_HEADERS, if any."""
    if path:
        return read_header_file(path)
    return header_lines(os.environ.get(HEADERS_ENV, ""), f"${HEADERS_ENV}")
