"""The pure parts of check_vigie_http, table by table: names, URLs, proxies, certificates,
dates."""

from __future__ import annotations

import datetime
import ssl

import pytest

from plugins import http_target, tls
from plugins.http_age import parse_http_date
from plugins.http_target import BadRedirect, Target
from tests.servers.pki import Pki

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
    target = http_target.redirect_target(HOME, location, HOME)
    got = (target.scheme, target.host, target.port, target.address, target.host_header, target.path)
    assert got == expected


def test_redirect_target_quotes_what_would_break_the_request_line() -> None:
    # Invalid in a Location, but browsers and curl follow it percent-encoded.
    target = http_target.redirect_target(HOME, "/a b/été?q=x y", HOME)
    assert target.path == "/a%20b/%C3%A9t%C3%A9?q=x%20y"


@pytest.mark.parametrize(
    "location",
    ["ftp://example.com/", "http://:80/", "http://example.com:99999/", "http://[::1/"],
)
def test_redirect_target_refuses_what_cannot_be_followed(location: str) -> None:
    with pytest.raises(BadRedirect, match="redirect to"):
        http_target.redirect_target(HOME, location, HOME)


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
    assert http_target.split_vhost(text) == (host, header)


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
    assert tls.name_matches(pattern, host) is matches


def test_certificate_matches_names_and_addresses() -> None:
    cert = {"subjectAltName": (("DNS", "*.vigie.test"), ("IP Address", "2001:DB8:0:0:0:0:0:1"))}
    assert tls.certificate_matches(cert, "www.vigie.test")
    assert tls.certificate_matches(cert, "2001:db8::1")
    assert not tls.certificate_matches(cert, "vigie.test")
    assert not tls.certificate_matches(cert, "192.0.2.1")


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
    assert http_target.bypass_proxy(host, port) is bypass


def test_certificate_dates_in_both_der_time_formats(pki: Pki) -> None:
    # UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280, 4.1.2.5).
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for end in (
        datetime.datetime(2049, 12, 31, 23, 59, 58, tzinfo=datetime.UTC),
        datetime.datetime(2051, 6, 1, 12, 0, 0, tzinfo=datetime.UTC),
    ):
        cert, _ = pki.issue(f"dates-{end.year}", "DNS:dates.test", start, end)
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert tls.certificate_not_after(der) == end


def test_unreadable_certificate_has_no_date() -> None:
    assert tls.certificate_not_after(b"\x30\x03\x02\x01") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the three forms RFC 9110 (5.6.7) asks a recipient to read
        ("Sun, 06 Nov 1994 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sun Nov  6 08:49:37 1994", (1994, 11, 6, 8, 49, 37)),
        # what servers also write: numeric zones, no weekday, no seconds, one-digit day
        ("Wed, 01 Jan 2025 01:30:00 +0130", (2025, 1, 1, 0, 0, 0)),
        ("1 Jan 2025 00:00 -0500", (2025, 1, 1, 5, 0, 0)),
        ("Tue, 31 Dec 2024 19:00:00 EST", (2025, 1, 1, 0, 0, 0)),
        ("  Wed, 01 Jan 2025 00:00:00 UTC ", (2025, 1, 1, 0, 0, 0)),
    ],
)
def test_http_dates(text: str, expected: tuple[int, int, int, int, int, int]) -> None:
    assert parse_http_date(text) == datetime.datetime(*expected, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "text",
    [
        "last tuesday, probably",
        "",
        "Wed, 31 Feb 2025 00:00:00 GMT",
        "Wed, 01 Foo 2025 00:00:00 GMT",
        "Wed, 01 Jan 2025 25:00:00 GMT",
        "Wed, 01 Jan 2025 00:00:00 XYZ",
        "Wed, 01 Jan 2025 00:00:00 +0175",
        "Wed, 01 Jan 2025 00:00:00 GMT trailing words",
    ],
)
def test_not_http_dates(text: str) -> None:
    assert parse_http_date(text) is None


def test_two_digit_years_are_never_more_than_50_years_ahead() -> None:
    this_year = datetime.datetime.now(datetime.UTC).year
    ahead = (this_year + 49) % 100
    behind = (this_year + 51) % 100
    parsed = parse_http_date(f"Sunday, 06-Nov-{ahead:02d} 08:49:37 GMT")
    assert parsed is not None and parsed.year == this_year + 49
    parsed = parse_http_date(f"Sunday, 06-Nov-{behind:02d} 08:49:37 GMT")
    assert parsed is not None and parsed.year == this_year + 51 - 100
