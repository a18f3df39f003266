"""Talking back to Icinga 2 through its REST API.

Domain model: when staff take a ticket over in Vigie, the problem is acknowledged in Icinga
(``POST /v1/actions/acknowledge-problem``), so Icinga shows who has it in hand and stops
re-notifying. The API listens on TLS (port 5665 by default) with HTTP basic auth for an
``ApiUser``; the password is read from a file, never from the command line, and the server
certificate is verified against ``ca_file`` (Icinga's own CA, ``/var/lib/icinga2/certs/ca.crt``)
unless ``verify`` is off.

Every failure is one ``IcingaApiError`` with a one-line message that says what to fix.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.config.model import IcingaApi

if TYPE_CHECKING:
    import requests

__all__ = ["IcingaApiError", "IcingaObjectMissing", "acknowledge_problem", "application_status"]


class IcingaApiError(Exception):
    """Icinga's REST API could not do what was asked; the message is one line."""


class IcingaObjectMissing(IcingaApiError):
    """Icinga answered, but has no such host or service (renamed, removed, never monitored)."""


def acknowledge_problem(
    api: IcingaApi, host: str, service: str | None, author: str, comment: str
) -> None:
    """Acknowledge the problem of a host (``service`` None) or of one of its services.

    A problem already acknowledged, or an object back to OK/UP, counts as done: Icinga has
    nothing left to re-notify, so there is nothing to retry.
    """
    if service:
        body: dict[str, Any] = {
            "type": "Service",
            "filter": "host.name == filter_host && service.name == filter_service",
            "filter_vars": {"filter_host": host, "filter_service": service},
        }
        what = f"service {host}!{service}"
    else:
        body = {
            "type": "Host",
            "filter": "host.name == filter_host",
            "filter_vars": {"filter_host": host},
        }
        what = f"host {host}"
    body.update(
        {
            "author": author,
            "comment": comment,
            # Sticky: the take-over holds until recovery, whatever WARNING/CRITICAL does.
            "sticky": True,
            # Icinga tells its other users (and Vigie's own hook records who took it).
            "notify": True,
        }
    )
    payload = _request(api, "POST", "/v1/actions/acknowledge-problem", body, what)
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list) or not results:
        raise IcingaObjectMissing(f"Icinga API: no {what} to acknowledge (is it monitored?)")
    for result in results:
        if not isinstance(result, dict):
            raise IcingaApiError(f"Icinga API: unexpected answer acknowledging {what}")
        code = int(float(result.get("code", 0)))
        status = _one_line(str(result.get("status", "")))
        if 200 <= code < 300:
            continue
        if code == 409:
            # "... is OK." or "... has already been acknowledged.": nothing to do.
            continue
        raise IcingaApiError(f"Icinga API: cannot acknowledge {what}: {status} (code {code})")


def application_status(api: IcingaApi) -> dict[str, Any]:
    """Icinga's ``IcingaApplication`` status (version, node name): a readiness probe."""
    payload = _request(api, "GET", "/v1/status/IcingaApplication", None, "the application status")
    try:
        status = payload["results"][0]["status"]["icingaapplication"]["app"]
    except (KeyError, IndexError, TypeError):
        raise IcingaApiError("Icinga API: unexpected answer to the status request") from None
    if not isinstance(status, dict):
        raise IcingaApiError("Icinga API: unexpected answer to the status request")
    return status


def _request(api: IcingaApi, method: str, path: str, body: dict[str, Any] | None, what: str) -> Any:
    """One API call; returns the decoded JSON, or raises IcingaApiError saying why."""
    # Imported here: `vigie notify`, Icinga's hot path, never talks back and should not pay
    # for importing requests.
    import requests
    import urllib3

    url = api.url.rstrip("/") + path
    password = _password(api)
    verify: bool | str = False
    if api.verify:
        verify = str(api.ca_file) if api.ca_file is not None else True
    try:
        with warnings.catch_warnings():
            # verify: false is the admin's explicit choice; do not nag on every take-over.
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            response = requests.request(
                method,
                url,
                auth=(api.user, password),
                headers={"Accept": "application/json"},
                data=None if body is None else json.dumps(body),
                verify=verify,
                timeout=api.timeout,
            )
    except requests.exceptions.SSLError as error:
        reason = _ssl_reason(error)
        # A name the certificate does not carry (127.0.0.1 for Icinga's node name) is the
        # url's fault, not the CA's.
        key = (
            "icinga.url must name the host as its certificate does (Icinga's NodeName)"
            if "hostname mismatch" in reason or "IP address mismatch" in reason
            else "check icinga.ca_file"
        )
        raise IcingaApiError(
            f"Icinga API at {api.url}: TLS verification failed ({reason}); {key}"
        ) from None
    except requests.exceptions.Timeout:
        raise IcingaApiError(
            f"Icinga API at {api.url}: no answer within {api.timeout:g} s"
        ) from None
    except requests.exceptions.ConnectionError as error:
        raise IcingaApiError(
            f"Icinga API at {api.url}: cannot connect ({_connection_reason(error)})"
        ) from None
    except requests.exceptions.RequestException as error:
        raise IcingaApiError(f"Icinga API at {api.url}: {_one_line(str(error))}") from None
    return _decode(api, response, what)


def _decode(api: IcingaApi, response: requests.Response, what: str) -> Any:
    if response.status_code == 401:
        raise IcingaApiError(
            f"Icinga API at {api.url}: user {api.user!r} was refused (HTTP 401); "
            "check icinga.user and icinga.password_file"
        )
    if response.status_code == 403:
        raise IcingaApiError(
            f"Icinga API at {api.url}: user {api.user!r} may not do this (HTTP 403); "
            "check the ApiUser's permissions"
        )
    try:
        payload = response.json()
    except ValueError:
        raise IcingaApiError(
            f"Icinga API at {api.url}: HTTP {response.status_code}, not a JSON answer"
        ) from None
    if response.status_code == 404:
        raise IcingaObjectMissing(f"Icinga API: no {what} in Icinga (HTTP 404)")
    # Actions answer 500 when every object failed; the per-object codes say why, so let
    # the caller read them. Anything else outside 2xx has a top-level status.
    if response.status_code >= 300 and not (
        isinstance(payload, dict) and isinstance(payload.get("results"), list)
    ):
        status = payload.get("status", "") if isinstance(payload, dict) else ""
        raise IcingaApiError(
            f"Icinga API at {api.url}: HTTP {response.status_code} {_one_line(str(status))}"
        )
    return payload


def _password(api: IcingaApi) -> str:
    if api.password_file is None:
        raise IcingaApiError("icinga.password_file: not set; the API password is read from a file")
    try:
        text = Path(api.password_file).read_text(encoding="utf-8")
    except OSError as error:
        raise IcingaApiError(
            f"icinga.password_file: cannot read {api.password_file} ({error.strerror})"
        ) from None
    # A trailing newline is what `echo secret > file` leaves; it is never part of the password.
    password = text.rstrip("\r\n")
    if not password:
        raise IcingaApiError(f"icinga.password_file: {api.password_file} is empty")
    return password


def _ssl_reason(error: Exception) -> str:
    text = str(error)
    for marker in ("certificate verify failed: ", "hostname mismatch", "IP address mismatch"):
        start = text.find(marker)
        if start >= 0:
            reason = text[start:].split("(_ssl")[0].split("')")[0]
            return _one_line(reason.rstrip(" ,:"))
    return _one_line(text)


def _connection_reason(error: Exception) -> str:
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return _one_line(text)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."
