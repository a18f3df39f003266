"""JSON over HTTP for the helpdesk adapters, on the standard library's ``http.client``.

One request per connection, each bounded by the adapter's timeout and by an optional
deadline (``vigie notify`` delivers within ``helpdesk.deliver_within``). Failures, HTTP
errors included, are one-line ``HelpdeskError``s; ``allow`` lets a caller read a status it
expects (a 404 on a lookup).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.parse
from collections.abc import Collection, Mapping
from typing import Any

from bridge.adapters.helpdesks import HelpdeskError

USER_AGENT = "vigie-helpdesk/1"  # never "Mozilla": RT sends browsers to its login page


class JsonHttp:
    """Requests to one base URL with fixed headers (the credentials)."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HelpdeskError(f"not an http(s) URL: {base_url}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        self.timeout = timeout
        self.deadline: float | None = None  # time.monotonic() past which nothing is sent

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        query: Mapping[str, str] | None = None,
        allow: Collection[int] = (),
    ) -> tuple[int, Any]:
        """(status, decoded JSON or None); HelpdeskError unless 2xx or in ``allow``."""
        timeout = self.timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise HelpdeskError("out of time for the helpdesk (deliver_within)")
        target = self.prefix + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        connection = self._connection(timeout)
        try:
            connection.request(method, target, payload, headers)
            answer = connection.getresponse()
            data = answer.read(10_000_000)
        except (OSError, http.client.HTTPException) as error:
            what = "timed out" if isinstance(error, socket.timeout) else str(error) or repr(error)
            raise HelpdeskError(f"{method} {target}: {what}") from None
        finally:
            connection.close()
        decoded = _decode(data)
        if 200 <= answer.status < 300 or answer.status in allow:
            return answer.status, decoded
        raise HelpdeskError(f"{method} {target}: HTTP {answer.status} {_reason(decoded, data)}")

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _decode(data: bytes) -> Any:
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _reason(decoded: Any, data: bytes) -> str:
    """The server's own words, one line and short."""
    if isinstance(decoded, dict):
        for key in ("message", "errors", "error", "error_human"):
            if key in decoded:
                return str(decoded[key])[:200]
    if isinstance(decoded, list):
        return str(decoded)[:200]
    return " ".join(data.decode("utf-8", "replace").split())[:200]
