"""The ``web:`` key of vigie.yaml: every key optional, each problem named by its key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridge.config.model import ConfigError, WebSettings
from bridge.config.sections import parse_config
from bridge.config.web import listen_address
from tests.offer import LEVELS_DATA


def parsed(web: Any) -> WebSettings:
    return parse_config({"levels": dict(LEVELS_DATA), "web": web}, "test").web


def test_the_defaults() -> None:
    assert parse_config({"levels": dict(LEVELS_DATA)}, "test").web == WebSettings()
    assert WebSettings().listen == "127.0.0.1:8080"


def test_every_key_is_read() -> None:
    web = parsed(
        {
            "listen": "[::1]:9000",
            "warning": "30m",
            "session_lifetime": "8h",
            "max_failed_logins": 3,
            "failed_login_window": "1h",
        }
    )
    assert web == WebSettings(
        "[::1]:9000", timedelta(minutes=30), timedelta(hours=8), 3, timedelta(hours=1)
    )
    assert listen_address(web.listen) == ("::1", 9000)


@pytest.mark.parametrize(
    ("web", "problem"),
    [
        ({"listen": "8080"}, "web.listen: must be HOST:PORT"),
        ({"listen": "localhost:99999"}, "web.listen: must be HOST:PORT"),
        ({"warning": "0s"}, "web.warning: must be longer than zero"),
        ({"max_failed_logins": 0}, "web.max_failed_logins: must be >= 1"),
        ({"listne": "x"}, "web.listne: unknown key (did you mean listen?)"),
        ("yes", "web: must be a mapping"),
    ],
)
def test_each_problem_is_named_by_its_key(web: Any, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parsed(web)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_the_trusted_header() -> None:
    assert parsed({}).trusted_header is None
    assert parsed({"trusted_header": "X-Remote-User"}).trusted_header == "x-remote-user"
    with pytest.raises(ConfigError) as raised:
        parsed({"trusted_header": "X Remote: User"})
    assert raised.value.problems[0].startswith("web.trusted_header: must be an HTTP header")


def test_public_url_is_an_http_address() -> None:
    assert parsed({"public_url": "https://portal.example/"}).public_url == "https://portal.example"
    with pytest.raises(ConfigError, match=r"web\.public_url: must be an address like"):
        parsed({"public_url": "portal.example"})


def test_alert_templates_and_apprise_urls_are_checked(tmp_path: Any) -> None:
    base = {"levels": dict(LEVELS_DATA)}
    found = parse_config(
        {**base, "alerts": {"templates": str(tmp_path), "apprise": ["json://127.0.0.1/{number}"]}},
        "test",
    ).alerts
    assert found.templates == tmp_path and found.apprise == ("json://127.0.0.1/{number}",)
    with pytest.raises(ConfigError, match=r"alerts\.templates: must be a folder"):
        parse_config({**base, "alerts": {"templates": str(tmp_path / "none")}}, "test")
    with pytest.raises(ConfigError, match=r"alerts\.apprise: item 1: must be an apprise URL"):
        parse_config({**base, "alerts": {"apprise": ["not a url"]}}, "test")
