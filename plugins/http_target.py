"""Where an HTTP request goes: the target, the proxy in between, and where a redirect leads.

Domain model: the address book of one HTTP check. A target is a scheme, the host name the
request is for (Host header, SNI, certificate name; an international name in its IDNA
form), the address actually connected to (``-I`` or the name itself), a port and a path.
A proxy (``http://`` or ``https://``, TLS to the proxy itself) stands between the check
and the target when ``--proxy`` or the usual ``*_proxy`` variables say so, unless
``no_proxy`` exempts the host; a tunnel through it is asked for by host name, as the
proxy does the resolving. A redirect's Location is resolved against the target that
answered it.

``urllib.parse`` and ``base64`` are imported only on the paths that need them (a proxy,
a redirect, credentials): a plain check does not pay their start-up time.
"""

from __future__ import annotations

import os

from plugins.arguments import PluginError, UsageError
from plugins.network import BadName, ascii_name
from plugins.wording import one_line

DEFAULT_PORTS = {"http": 80, "https": 443}


class BadRedirect(ValueError):
    """A Location that cannot be followed: another scheme, no host, an invalid port."""


class Target:
    """Where one request goes: scheme, host name, port, address to connect to, Host header."""

    __slots__ = ("address", "host", "host_header", "path", "port", "scheme")

    def __init__(
        self, scheme: str, host: str, port: int, address: str, host_header: str, path: str
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.address = address
        self.host_header = host_header
        self.path = path

    @property
    def tls(self) -> bool:
        """True for https."""
        return self.scheme == "https"

    def url(self) -> str:
        """The URL as a browser would show it."""
        return f"{self.scheme}://{self.host_header}{self.path}"

    def authority(self) -> str:
        """``host:port`` as a CONNECT request names it, IPv6 addresses in brackets.

        The host name, not the address: through a proxy, the proxy resolves it.
        """
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


class Proxy:
    """An HTTP proxy: plain requests go to it in absolute form, TLS through CONNECT.

    ``tls`` for an ``https://`` proxy: the connection to the proxy itself is TLS.
    """

    __slots__ = ("authorization", "host", "port", "tls")

    def __init__(self, host: str, port: int, authorization: str | None, tls: bool = False) -> None:
        self.host = host
        self.port = port
        self.authorization = authorization
        self.tls = tls

    def url(self) -> str:
        """The proxy as a URL, without credentials (for messages)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def split_vhost(text: str) -> tuple[str, str | None]:
    """-H as check_http reads it: a host name, and a Host header when a port is appended."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, text if rest.startswith(":") else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        if port.isdigit():
            return host, text
    return text, None


def basic_authorization(credentials: str) -> str:
    """The Authorization header value for ``user:password`` (RFC 7617)."""
    import base64  # only runs with credentials

    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


# --- proxies --------------------------------------------------------------------------


class Proxies:
    """The proxies of one run, each read once: ``--proxy``, else the environment's."""

    def __init__(self, option: Proxy | None) -> None:
        self.option = option
        self._from_env: dict[str, Proxy | None] = {}

    def proxy_for(self, target: Target) -> Proxy | None:
        """``--proxy`` if given, else ``<scheme>_proxy`` unless no_proxy exempts the host."""
        if self.option is not None:
            return self.option
        if bypass_proxy(target.host, target.port):
            return None
        if target.scheme not in self._from_env:
            variable = f"{target.scheme}_proxy"
            value = os.environ.get(variable) or os.environ.get(variable.upper())
            self._from_env[target.scheme] = parse_proxy(value, variable) if value else None
        return self._from_env[target.scheme]


def bypass_proxy(host: str, port: int) -> bool:
    """True when no_proxy/NO_PROXY exempts ``host`` (exact name, domain suffix, or ``*``)."""
    entries = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    host = host.lower().rstrip(".")
    for raw in entries.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip(".").rstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def parse_proxy(text: str, origin: str) -> Proxy:
    """An ``http(s)://[user:password@]host[:port]`` proxy URL; credentials only from the env.

    ``origin`` is where the URL came from: ``--proxy`` (bad arguments, a UsageError,
    and a port is required) or an environment variable (a PluginError, port 1080 by
    default as curl has it). Messages show the URL with its credentials masked.
    """
    import urllib.parse  # only runs with a proxy

    error = UsageError if origin == "--proxy" else PluginError
    shown = one_line(repr(_masked(text)), 200)
    if not text.isprintable() or any(char.isspace() for char in text):
        raise error(f"{origin}: invalid proxy {shown}: spaces or control characters")
    url = text if "://" in text else "http://" + text
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        if port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise error(f"{origin}: invalid proxy {shown}") from None
    if parts.scheme not in ("http", "https"):
        raise error(f"{origin}: only http:// proxies are supported, and https:// ones, got {shown}")
    if not parts.hostname:
        raise error(f"{origin}: no host in proxy {shown}")
    try:
        host = ascii_name(parts.hostname)
    except BadName as exc:
        raise error(f"{origin}: invalid proxy {shown}: {exc}") from None
    authorization = None
    if parts.username is not None:
        if origin == "--proxy":
            raise UsageError(
                "--proxy must not carry credentials (Icinga logs command lines); "
                "set http_proxy/https_proxy in the environment instead"
            )
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        authorization = basic_authorization(f"{user}:{password}")
    if port is None:
        if origin == "--proxy":
            # A bare word is more often a mistake than a proxy on curl's default port.
            raise UsageError(f"--proxy: no port in {shown}: expected http://HOST:PORT")
        port = 1080
    return Proxy(host, port, authorization, tls=parts.scheme == "https")


def _masked(url: str) -> str:
    """``url`` with whatever precedes the last ``@`` (the credentials) replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + sep + rest


# --- redirects ------------------------------------------------------------------------


def redirect_target(current: Target, location: str, first: Target) -> Target:
    """The target a Location header points to, query string kept, fragment dropped.

    Raises BadRedirect for a Location that cannot be followed.
    """
    import urllib.parse  # only runs on a redirect

    try:
        quoted = _quote_unsafe(location.strip())
        ref = urllib.parse.urlsplit(quoted)
        raw_host = urllib.parse.urlsplit(location.strip()).hostname or ""
        if not ref.scheme and not ref.netloc:
            # Relative: same server, same Host header; only the path and query change.
            joined = urllib.parse.urlsplit(urllib.parse.urljoin("http://x" + current.path, quoted))
            path = (joined.path or "/") + (f"?{joined.query}" if joined.query else "")
            return Target(
                current.scheme,
                current.host,
                current.port,
                current.address,
                current.host_header,
                path,
            )
        scheme = (ref.scheme or current.scheme).lower()
        if scheme not in DEFAULT_PORTS:
            raise BadRedirect(f"redirect to an unsupported URL: {one_line(location, 200)}")
        port = ref.port or DEFAULT_PORTS[scheme]
        host = ascii_name(raw_host).lower()
    except BadRedirect:
        raise
    except ValueError:  # BadName included
        raise BadRedirect(f"redirect to an invalid URL: {one_line(location, 200)}") from None
    if not host:
        raise BadRedirect(f"redirect to a URL without a host: {one_line(location, 200)}")
    # -I still applies when the redirect stays on the host name it was given for.
    address = first.address if host == first.host.lower() else host
    host_header = ref.netloc.rpartition("@")[2]
    if not raw_host.isascii():
        bracketed = f"[{host}]" if ":" in host else host
        host_header = bracketed if ref.port is None else f"{bracketed}:{ref.port}"
    path = (ref.path or "/") + (f"?{ref.query}" if ref.query else "")
    return Target(scheme, host, port, address, host_header, path)


def _quote_unsafe(location: str) -> str:
    """``location`` with spaces, control characters and non-ASCII percent-encoded.

    Such a Location is invalid, but browsers and curl follow it this way; sent as they
    are, those characters would break the request line.
    """
    if location.isascii() and location.isprintable() and " " not in location:
        return location
    return "".join(
        char
        if char.isascii() and char.isprintable() and char != " "
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in location
    )
