"""The shared parts of the checks, table by table: wording, names, address order, bodies."""

from __future__ import annotations

import gzip
import socket

import pytest

from plugins import http_body, network, wording


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("OK", "OK"),
        ("Not Found", "Not Found"),
        ("OK\x1b[2J", "OK\\x1b[2J"),
        ("bell\x07 nul\x00 del\x7f csi\x9b", "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("right\u202eto-left", "right\\u202eto-left"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("été 例え", "été 例え"),
    ],
)
def test_clean_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert wording.clean(text) == shown


def test_one_line_flattens_white_space_and_escapes_the_rest() -> None:
    assert wording.one_line("a\r\nb\tc\x1bd") == "a b c\\x1bd"


@pytest.mark.parametrize(
    ("name", "ace"),
    [
        ("example.com", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("Bücher.Example.", "xn--bcher-kva.example."),
        ("例え.jp", "xn--r8jz45g.jp"),
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008: ß stays ß (IDNA 2003 made it ss)
    ],
)
def test_ascii_name_is_the_idna_form(name: str, ace: str) -> None:
    assert network.ascii_name(name) == ace


def test_ascii_name_refuses_what_idna_cannot_encode() -> None:
    with pytest.raises(network.BadName, match="not a valid international domain name"):
        network.ascii_name("ü" + "x" * 70 + ".example")


def test_addresses_alternate_families_in_the_resolver_order() -> None:
    v6, v4 = socket.AF_INET6, socket.AF_INET
    found = [(v6, "a"), (v6, "b"), (v6, "c"), (v4, "1"), (v4, "2")]
    assert network._interleaved(found) == [
        (v6, "a"),
        (v4, "1"),
        (v6, "b"),
        (v4, "2"),
        (v6, "c"),
    ]


def test_a_body_in_two_codings_is_decoded_in_reverse_order() -> None:
    page = b"twice compressed " * 100
    body = http_body.Body(http_body.codings(["gzip", "identity, gzip"]), keep=10)
    blob = gzip.compress(gzip.compress(page))
    for start in range(0, len(blob), 7):
        body.feed(blob[start : start + 7])
    body.finish()
    assert (body.size, body.wire_size, body.content()) == (len(page), len(blob), page[:10])
    assert body.coding == "gzip, gzip"
