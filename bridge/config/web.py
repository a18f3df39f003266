"""The ``web:`` key of ``vigie.yaml``: the staff queue's address, countdown and logins."""

from __future__ import annotations

import re

from bridge.config.model import WebSettings
from bridge.config.validate import Checker, read_duration, read_integer, shown

_KEYS = (
    "listen",
    "warning",
    "session_lifetime",
    "max_failed_logins",
    "failed_login_window",
    "trusted_header",
    "public_url",
)
_HEADER = re.compile(r"[A-Za-z0-9-]+")


def parse_listen(value: object) -> str:
    """``HOST:PORT`` (an IPv6 host in brackets), as ``vigie web --listen`` takes it."""
    text = value if isinstance(value, str) else ""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"must be HOST:PORT like 127.0.0.1:8080, got {shown(value)}")
    return text


def listen_address(listen: str) -> tuple[str, int]:
    """The host (brackets of an IPv6 address removed) and port of ``HOST:PORT``."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def read_web(check: Checker, raw: object) -> WebSettings | None:
    """The ``web:`` mapping, every key optional; None when a problem was reported."""
    before = len(check.problems)
    data = check.mapping(raw, "web", (), _KEYS)
    if data is None:
        return None
    default = WebSettings()
    positive = read_duration(allow_zero=False)
    listen = check.field(data, "listen", "web", parse_listen, default.listen)
    warning = check.field(data, "warning", "web", positive, default.warning)
    lifetime = check.field(data, "session_lifetime", "web", positive, default.session_lifetime)
    failures = check.field(
        data, "max_failed_logins", "web", read_integer(1), default.max_failed_logins
    )
    window = check.field(data, "failed_login_window", "web", positive, default.failed_login_window)
    header = check.field(data, "trusted_header", "web", _header_name, None)
    public_url = check.field(data, "public_url", "web", _public_url, None)
    if len(check.problems) > before:
        return None
    assert listen is not None and warning is not None and lifetime is not None
    assert failures is not None and window is not None
    return WebSettings(listen, warning, lifetime, failures, window, header, public_url)


def _header_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _HEADER.fullmatch(value):
        raise ValueError(f"must be an HTTP header name like X-Remote-User, got {shown(value)}")
    return value.lower()


def _public_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError(f"must be an address like https://portal.example, got {shown(value)}")
    return value.rstrip("/")
