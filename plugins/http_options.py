"""The command line of check_vigie_http: every flag, documented, and its type.

Domain model: what an Icinga admin asks the check for, flag by flag, in the words of
check_http and check_curl (``-H``, ``-I``, ``-u``, ``-e``, ``-s``, ``-C`` ...), so that a
CheckCommand written for them needs few changes. A flag's type rejects a malformed value
as it is parsed, as one UNKNOWN line with the usage (plugins.arguments), never as
argparse's exit 2; ``plugins.http_request`` then judges the flags together.
"""

from __future__ import annotations

import argparse
import re
import socket

from plugins import __version__, arguments
from plugins.http_headers import (
    AUTH_ENV,
    HEADERS_ENV,
    SECRET_HEADERS,
    field_value,
    header_option,
)
from plugins.http_request import (
    address_option,
    argv_bytes,
    hostname_option,
    server_name_option,
    status_codes,
)
from plugins.http_wire import is_token
from plugins.nagios import Range
from plugins.wording import one_line

NAME = "HTTP"
PROG = "check_vigie_http"
# --tls-min-version choices (plugins.tls maps them to protocol versions).
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
# Upper bounds of the numeric flags: far beyond any real use, and well inside what the
# code they reach (floats, timers, Range) handles. Above them a value is a typo.
MAX_REDIRECTS = 100
MAX_SIZE = 10**12  # bytes (-m): a terabyte
# -M: a huge age (99999d) is how an admin asks for a dated document of any age.
MAX_AGE_DAYS = 999999
MAX_CERT_DAYS = 36500  # -C: a century


# --- flag types -----------------------------------------------------------------------


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
        char if char.isascii() else "".join(f"%{byte:02X}" for byte in argv_bytes(char))
        for char in text
    )


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
            "Perfdata, in seconds and bytes: time (total, redirects included), size (of the\n"
            "body as decoded, when it came gzip- or deflate-encoded), then for\n"
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
        type=hostname_option,
        metavar="HOST",
        help="virtual host name: Host header, SNI and certificate name; HOST:PORT puts the "
        "port in the Host header only, as check_http does",
    )
    target.add_argument(
        "-I",
        "--ip",
        type=address_option,
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
        type=server_name_option,
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
        type=status_codes,
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

    content = parser.add_argument_group("content (the first 4 MiB of the body, decoded)")
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
        type=field_value,
        metavar="TYPE",
        help="Content-Type of the body (default application/x-www-form-urlencoded)",
    )
    request.add_argument(
        "-k",
        "--header",
        type=header_option,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header, repeatable; replaces a default header of the same name "
        f"({', '.join(SECRET_HEADERS)} refused: see --header-file)",
    )
    request.add_argument(
        "-A",
        "--user-agent",
        type=field_value,
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
        help="HTTP proxy, http://HOST:PORT or HOST:PORT, or https://HOST:PORT for TLS to the "
        "proxy, verified as the server is (--ca-file, --insecure) (default: http_proxy/"
        "https_proxy and no_proxy from the environment, where proxy credentials may go)",
    )
    request.add_argument(
        "--compressed",
        action="store_true",
        help="ask for a gzip-compressed body (Accept-Encoding: gzip) instead of the default "
        "identity; a compressed body is decoded for -s, -r and -m, and its size is the "
        "decoded one, the compressed size shown beside it",
    )

    arguments.add_time_thresholds(parser)
    return parser
