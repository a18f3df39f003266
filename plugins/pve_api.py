"""The Proxmox VE REST API as the check uses it: GET a path, get its ``data`` back.

Domain model: Proxmox VE serves its API over HTTPS (port 8006) under ``/api2/json``; every
answer is a JSON object whose ``data`` holds the result. An API token authenticates each
request with the header ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``; a refused
token is ``401`` with the reason in the status line, a missing permission ``403``. The
certificate is verified unless told otherwise (``--insecure``), against ``--ca-file`` when
Proxmox VE's own CA signed it.

The transport is one method, ``PveApi.get(path)``, on the project's own HTTP/1.1 client
(``plugins.http_wire``): ``http.client`` or requests would cost tens of milliseconds of
start-up, and every wait is bounded by the plugin's deadline.
"""

from __future__ import annotations

import json
import logging

from plugins import __version__, http_wire, network
from plugins.arguments import PluginError, UsageError
from plugins.hypervisor_readings import BackendError
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    import ssl
    from typing import Any

    from plugins.deadline import Deadline

_log = logging.getLogger(__name__)

API_ROOT = "/api2/json"
DEFAULT_PORT = 8006
# An API answer is JSON about a cluster; a few MB covers thousands of guests.
MAX_BODY = 16 * 1024 * 1024


class AuthenticationError(PluginError):
    """The API refused the token (401) or its permissions (403): the admin's to fix."""


def parse_url(url: str) -> tuple[str, int]:
    """``https://host[:port][/]`` as host and port (8006 by default); UsageError otherwise."""
    rest = url.removeprefix("https://")
    if rest == url:
        raise UsageError(f"--url must start with https:// (Proxmox VE serves HTTPS), got {url!r}")
    authority = rest.split("/", 1)[0]
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        port_text = after.removeprefix(":")
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise UsageError(f"--url has no host: {url!r}")
    if not port_text:
        return host, DEFAULT_PORT
    if not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise UsageError(f"--url has an invalid port: {url!r}")
    return host, int(port_text)


class PveApi:
    """An API client for one Proxmox VE node, authenticated by an API token."""

    def __init__(
        self,
        url: str,
        token_id: str,
        secret: str,
        deadline: Deadline,
        *,
        ca_file: str | None = None,
        insecure: bool = False,
    ) -> None:
        self.host, self.port = parse_url(url)
        self.where = f"{self.host} port {self.port}"
        self.deadline = deadline
        self.steps = network.Steps(deadline)
        self.authorization = f"PVEAPIToken={token_id}={secret}"
        from plugins import tls  # ssl costs start-up time: only once an API is asked

        self._tls: ssl.SSLContext = tls.client_context(
            verify=not insecure, ca_file=ca_file, alpn=("http/1.1",)
        )

    def get(self, path: str) -> Any:
        """GET ``API_ROOT + path``; the answer's ``data``. BackendError when it fails."""
        conn = http_wire.Connection(self.steps.budget, self.steps.step)
        try:
            with self.deadline.network():
                conn.open(self.host, self.port)
                self.steps.step(f"negotiating TLS with {self.where}")
                conn.start_tls(self._tls, self.host)
                self.steps.step(f"sending GET {path} to {self.where}")
                conn.send("GET", API_ROOT + path, self._headers(), None)
                self.steps.step(f"waiting for the answer to GET {path}")
                response = conn.read_head("GET")
                self.steps.step(f"reading the answer to GET {path}")
                body = self._read_body(conn, response)
        except (OSError, ValueError, http_wire.WireError) as exc:
            raise BackendError(self._describe(exc)) from None
        finally:
            conn.close()
        _log.info("GET %s: %s %s, %d bytes", path, response.status, response.reason, len(body))
        if response.status in (401, 403):
            raise AuthenticationError(
                f"the Proxmox VE API refused the token: {response.status} "
                f"{one_line(response.reason, 120)} (check --token-id, the secret and the "
                "token's permissions: PVEAuditor on / is enough)"
            )
        if response.status != 200:
            raise BackendError(
                f"GET {path}: {response.status} {one_line(response.reason, 120)} from {self.where}"
            )
        try:
            return json.loads(body)["data"]
        except (ValueError, KeyError, TypeError):
            raise BackendError(f"GET {path}: the answer is not Proxmox VE API JSON") from None

    def _headers(self) -> list[tuple[str, str]]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return [
            ("Host", f"{host}:{self.port}"),
            ("User-Agent", f"check_vigie_hypervisor/{__version__} (Vigie)"),
            ("Accept", "application/json"),
            ("Authorization", self.authorization),
            ("Connection", "close"),
        ]

    def _read_body(self, conn: http_wire.Connection, response: http_wire.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in conn.read_body(response):
            size += len(chunk)
            if size > MAX_BODY:
                raise http_wire.WireError(f"an answer larger than {MAX_BODY} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _describe(self, exc: BaseException) -> str:
        """One line naming what failed with the API, for the CRITICAL message."""
        said = network.describe(exc, where=self.where, host=self.host, steps=self.steps)
        if said is not None:
            return f"Proxmox VE API: {said}"
        return f"invalid answer from the Proxmox VE API at {self.where}: {one_line(exc, 160)}"
