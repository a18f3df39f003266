"""The shared parts of the checks: wording, names, address order, steps, connecting, bodies."""

from __future__ import annotations

import argparse
import datetime
import gzip
import re
import socket
import time

import pytest

from plugins import arguments, http_body, network, wording
from plugins.deadline import Deadline


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


# --- argument types every check shares --------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("25", 25), ("65535", 65535)])
def test_port_reads_1_to_65535(text: str, value: int) -> None:
    assert arguments.port(text) == value


@pytest.mark.parametrize("text", ["0", "65536", "-1", "25a", "２５", ""])
def test_port_refuses_the_rest(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected 1 to 65535"):
        arguments.port(text)


@pytest.mark.parametrize("text", ["mx.example", "192.0.2.1", "2001:db8::25", "bücher.example"])
def test_host_name_takes_names_and_addresses(text: str) -> None:
    assert arguments.host_name(text) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("mx example", "spaces or control characters"),
        ("mx\x1b.example", "spaces or control characters"),
        ("smtp://mx.example", "a URL or a mail address"),
        ("postmaster@mx.example", "a URL or a mail address"),
        ("[2001:db8::25]", "brackets"),
    ],
)
def test_host_name_refuses_what_no_resolver_takes(text: str, problem: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(problem)):
        arguments.host_name(text)


@pytest.mark.parametrize(
    ("text", "days"), [("30", (30.0, 0.0)), ("30,14", (30.0, 14.0)), ("7.5,0.5", (7.5, 0.5))]
)
def test_certificate_days_is_warn_then_crit(text: str, days: tuple[float, float]) -> None:
    assert arguments.certificate_days(text) == days


@pytest.mark.parametrize(
    ("text", "problem"),
    [("14,30", "CRIT above WARN"), ("36501", "at most 36500"), ("30;14", "expected WARN")],
)
def test_certificate_days_refuses_the_rest(text: str, problem: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=problem):
        arguments.certificate_days(text)


def test_days_left_counts_fractions_and_goes_negative() -> None:
    from plugins import tls

    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert tls.days_left(now + datetime.timedelta(days=2, hours=12), now) == 2.5
    assert tls.days_left(now - datetime.timedelta(days=10), now) == -10


def test_a_timed_step_is_the_activity_and_lands_in_the_timings() -> None:
    steps = network.Steps(Deadline(5))
    timings: dict[str, float] = {}
    with steps.timed("waiting for the banner", timings, "time_banner"):
        assert steps.activity == "waiting for the banner"
    assert set(timings) == {"time_banner"} and timings["time_banner"] >= 0
    assert steps.timeout_message().startswith("network timeout after 0.0 s waiting for")


def test_the_budget_ends_with_the_network_deadline() -> None:
    deadline = Deadline(0.005)  # the reserve (a fifth) leaves 4 ms for network waits
    steps = network.Steps(deadline)
    while deadline.network_remaining() > 0:
        time.sleep(0.001)
    with pytest.raises(TimeoutError):
        steps.budget()


def test_connect_to_a_single_address_raises_its_own_error() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there any more
    steps = network.Steps(Deadline(5))
    with pytest.raises(ConnectionRefusedError):
        network.connect("127.0.0.1", port, budget=steps.budget, step=steps.step)
    assert steps.activity == f"connecting to 127.0.0.1 port {port}"


def test_connect_returns_the_socket_and_the_time_it_took() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        steps = network.Steps(Deadline(5))
        sock, seconds = network.connect(
            "127.0.0.1", listener.getsockname()[1], budget=steps.budget, step=steps.step
        )
        with sock:
            assert sock.getpeername() == listener.getsockname()
        assert seconds >= 0
    finally:
        listener.close()
