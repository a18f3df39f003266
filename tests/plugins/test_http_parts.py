"""The pure parts of check_vigie_http, table by table: names, URLs, proxies, certificates."""

from __future__ import annotations

import datetime
import ssl

import pytest

from plugins import http
from plugins.http import Target

from .conftest import Pki

HOME = Target("http", "example.com", 8080, "192.0.2.7", "example.com:8080", "/a/b?old=1")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        # relative: same server, same Host header, -I kept
        ("c?x=1", ("http", "example.com", 8080, "192.0.2.7", "example.com:8080", "/a/c?x=1")),
        ("/d#frag", ("http", "example.com", 8080, "192.0.2.7", "example.com:8080", "/d")),
        ("../up", ("http", "example.com", 8080, "192.0.2.7", "example.com:8080", "/up")),
        # absolute on the same name: -I still applies, the port is the URL's
        (
            "https://example.com/x?q=1",
            ("https", "example.com", 443, "192.0.2.7", "example.com", "/x?q=1"),
        ),
        # another host: resolved by name, credentials stripped from the Host header
        (
            "http://u:p@other.test:81/",
            ("http", "other.test", 81, "other.test", "other.test:81", "/"),
        ),
        # scheme-relative
        ("//cdn.test/p", ("http", "cdn.test", 80, "cdn.test", "cdn.test", "/p")),
    ],
)
def test_redirect_target(location: str, expected: tuple[object, ...]) -> None:
    target = http._redirect_target(HOME, location, HOME)
    got = (target.scheme, target.host, target.port, target.address, target.host_header, target.path)
    assert got == expected


@pytest.mark.parametrize(
    "location", ["ftp://example.com/", "http://:80/", "http://example.com:99999/"]
)
def test_redirect_target_refuses_what_cannot_be_followed(location: str) -> None:
    with pytest.raises(http.Failure, match="redirect to"):
        http._redirect_target(HOME, location, HOME)


@pytest.mark.parametrize(
    ("text", "host", "header"),
    [
        ("example.com", "example.com", None),
        ("example.com:8080", "example.com", "example.com:8080"),
        ("[2001:db8::1]:8443", "2001:db8::1", "[2001:db8::1]:8443"),
        ("2001:db8::1", "2001:db8::1", None),
    ],
)
def test_split_vhost(text: str, host: str, header: str | None) -> None:
    assert http._split_vhost(text) == (host, header)


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("www.example.com", "WWW.Example.com.", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("example.com", "example.org", False),
    ],
)
def test_name_matches(pattern: str, host: str, matches: bool) -> None:
    assert http._name_matches(pattern, host) is matches


def test_certificate_matches_names_and_addresses() -> None:
    cert = {"subjectAltName": (("DNS", "*.vigie.test"), ("IP Address", "2001:DB8:0:0:0:0:0:1"))}
    assert http._certificate_matches(cert, "www.vigie.test")
    assert http._certificate_matches(cert, "2001:db8::1")
    assert not http._certificate_matches(cert, "vigie.test")
    assert not http._certificate_matches(cert, "192.0.2.1")


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypass"),
    [
        ("", "example.com", 80, False),
        ("*", "example.com", 80, True),
        ("example.com", "www.example.com", 80, True),
        (".example.com", "example.com", 80, True),
        ("example.com:8080", "example.com", 80, False),
        ("example.com:8080", "example.com", 8080, True),
        ("other.com, 127.0.0.1", "127.0.0.1", 80, True),
        ("ample.com", "example.com", 80, False),
    ],
)
def test_no_proxy(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, host: str, port: int, bypass: bool
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("no_proxy", no_proxy)
    assert http._bypass_proxy(host, port) is bypass


def test_certificate_dates_in_both_der_time_formats(pki: Pki) -> None:
    # UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280, 4.1.2.5).
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for end in (
        datetime.datetime(2049, 12, 31, 23, 59, 58, tzinfo=datetime.UTC),
        datetime.datetime(2051, 6, 1, 12, 0, 0, tzinfo=datetime.UTC),
    ):
        cert, _ = pki.issue(f"dates-{end.year}", "DNS:dates.test", start, end)
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert http._certificate_not_after(der) == end


def test_unreadable_certificate_has_no_date() -> None:
    assert http._certificate_not_after(b"\x30\x03\x02\x01") is None
