"""Request header fields from the command line, from a file, and from the environment.

Domain model: the header fields of a request: the check's defaults (``Accept-Encoding:
identity`` among them) and what the admin adds. ``-k 'Name: value'`` adds a header; a
header that carries a credential (Authorization, Cookie ...) never comes from the command
line, which Icinga logs, but from ``--header-file`` or ``$VIGIE_HTTP_HEADERS``. A value
must fit on the wire: no CR or LF (header injection), ISO-8859-1 only. A malformed secret
line is named by its number, never quoted.
"""

from __future__ import annotations

import argparse
import os
import re

from plugins import __version__
from plugins.arguments import PluginError
from plugins.http_wire import is_token

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.http_request import Request
    from plugins.http_target import Target

HEADERS_ENV = "VIGIE_HTTP_HEADERS"
AUTH_ENV = "VIGIE_HTTP_AUTH"
# Headers that carry credentials: -k refuses them, they come from --header-file or the env.
SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
USER_AGENT = f"check_vigie_http/{__version__} (Vigie)"


def field_problem(value: str) -> str | None:
    """What keeps ``value`` out of an HTTP header field, if anything.

    CR and LF would end the field and start another one (header injection); the wire
    carries ISO-8859-1 only. Undecodable bytes of the command line fail the latter.
    """
    if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
        return "control characters in the value"
    if not value.isascii() and not _latin1(value):
        return "the value has characters outside ISO-8859-1"
    return None


def field_value(text: str) -> str:
    """argparse type of a header value (-A, -T); the error does not repeat the value."""
    problem = field_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def header_option(text: str) -> tuple[str, str]:
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
    problem = field_problem(value)
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
        elif found := field_problem(value):
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


def secret_headers(path: str | None) -> list[tuple[str, str]]:
    """The headers of ``--header-file`` when given, else of $VIGIE_HTTP_HEADERS, if any."""
    if path:
        return read_header_file(path)
    return header_lines(os.environ.get(HEADERS_ENV, ""), f"${HEADERS_ENV}")


def request_fields(
    request: Request,
    target: Target,
    method: str,
    body: bytes | None,
    *,
    to_origin: bool,
    proxy_authorization: str | None,
) -> tuple[list[tuple[str, str]], set[str]]:
    """The header fields of one request, and the names of those to mask in logs.

    Defaults first, then the admin's -k headers, then the secret ones, each replacing a
    field of the same name. Credentials go only ``to_origin``: the host and port the
    check was given, never a redirect elsewhere.
    """
    fields: dict[str, tuple[str, str]] = {}

    def put(name: str, value: str) -> None:
        fields[name.lower()] = (name, value)

    put("Host", target.host_header)
    put("User-Agent", USER_AGENT)
    put("Accept", "*/*")
    # identity unless asked: a compressed body would have to be decoded to be judged.
    put("Accept-Encoding", "gzip" if request.compressed else "identity")
    put("Connection", "close")
    if request.authorization and to_origin:
        put("Authorization", request.authorization)
    if proxy_authorization:
        put("Proxy-Authorization", proxy_authorization)
    if body is not None:
        put("Content-Type", "application/x-www-form-urlencoded")
        put("Content-Length", str(len(body)))
    for name, value in request.headers:
        put(name, value)
    secret = {name.lower() for name in SECRET_HEADERS}
    if to_origin:
        for name, value in request.secret_headers:
            put(name, value)
            secret.add(name.lower())
    return list(fields.values()), secret
