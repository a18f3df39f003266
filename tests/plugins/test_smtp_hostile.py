"""check_vigie_smtp against hostile mail servers: each case is one line, within -t."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator

import pytest

from tests.plugins.running import CHECK_SMTP, PluginRun, check_smtp, run_with_resolver
from tests.servers.smtp_scripted import HostileSmtp

Start = Callable[[str], HostileSmtp]
TIMEOUT = "3"


def run_on(server: HostileSmtp, *args: str) -> PluginRun:
    return check_smtp("-H", "127.0.0.1", "-p", str(server.port), "-t", TIMEOUT, *args)


def one_line(run: PluginRun) -> str:
    """The whole output, asserted to be a single line (perfdata aside)."""
    assert len(run.lines) == 1, run
    return run.text


@pytest.mark.parametrize(
    ("behaviour", "step"),
    [
        ("silent", "waiting for the banner of"),
        ("drip", "waiting for the banner of"),
        ("endless-slow", "saying EHLO to"),
        ("quit-silent", None),
    ],
)
def test_a_server_that_never_finishes_is_a_network_timeout_within_t(
    hostile_smtp: Start, behaviour: str, step: str | None
) -> None:
    server = hostile_smtp(behaviour)
    run = run_on(server)
    if step is None:
        # The result was known before QUIT: a server that never answers it changes nothing.
        assert run.code == 0, run
        assert one_line(run).startswith("SMTP OK - 220 mx.vigie.test ESMTP hostile, ")
        return
    assert run.code == 2, run
    # The network deadline is -t less a reserve: the message says how long was waited.
    assert re.fullmatch(
        rf"SMTP CRITICAL - network timeout after 2\.\d s {step} 127\.0\.0\.1 port {server.port}",
        one_line(run),
    ), run.text
    assert 2 < run.perfdata["time"][0] < float(TIMEOUT)


def test_the_timeout_result_is_the_admins_choice_for_the_plugin_deadline_only(
    hostile_smtp: Start,
) -> None:
    # A network timeout is the server's failure: CRITICAL whatever --timeout-result says.
    run = run_on(hostile_smtp("silent"), "--timeout-result", "warning")
    assert run.code == 2, run


@pytest.mark.parametrize(
    ("behaviour", "args", "expected"),
    [
        (
            "refusing",
            (),
            "greeted with 554 5.7.1 mx.vigie.test no service for you, expected 220",
        ),
        ("garbage", (), "not an SMTP reply (b'SSH-2.0-OpenSSH_9.2p1 Debian-2') while waiting for "
         "the banner of 127.0.0.1 port {port}"),
        ("drop-mid-ehlo", (), "connection closed in mid-reply while saying EHLO to "
         "127.0.0.1 port {port}"),
        ("endless", (), "a reply of more than 100 lines while saying EHLO to "
         "127.0.0.1 port {port}"),
        ("no-starttls", ("-S",), "does not offer STARTTLS (EHLO lists PIPELINING 8BITMIME)"),
        ("starttls-refused", ("-S",), "refused STARTTLS: 454 4.7.0 TLS not available due to "
         "local problem"),
        ("starttls-broken", ("-S",), "TLS handshake with 127.0.0.1 port {port} failed: "),
        ("starttls-injection", ("-S",), "data after the reply to STARTTLS, before TLS began, while "
         "negotiating TLS with 127.0.0.1 port {port}"),
    ],
)  # fmt: skip
def test_a_hostile_server_is_one_critical_line_naming_the_step(
    hostile_smtp: Start, behaviour: str, args: tuple[str, ...], expected: str
) -> None:
    server = hostile_smtp(behaviour)
    run = run_on(server, *args)
    assert run.code == 2, run
    assert expected.format(port=server.port) in one_line(run), run.text
    assert run.text.startswith("SMTP CRITICAL - ")


def test_a_554_banner_is_what_minus_e_may_expect(hostile_smtp: Start) -> None:
    server = hostile_smtp("refusing")
    run = run_on(server, "-e", "554")
    assert run.code == 0, run
    assert one_line(run).startswith("SMTP OK - 554 5.7.1 mx.vigie.test no service for you, ")
    # Nothing asked of a server that refuses service but QUIT.
    assert server.received == [b"QUIT"]


def test_a_server_without_ehlo_gets_helo(hostile_smtp: Start) -> None:
    server = hostile_smtp("helo-only")
    run = run_on(server, "-F", "probe.vigie.example")
    assert run.code == 0, run
    assert server.received[:2] == [b"EHLO probe.vigie.example", b"HELO probe.vigie.example"]
    # HELO offers no extension, so STARTTLS cannot be had.
    run = run_on(server, "-S")
    assert run.code == 2 and "does not offer STARTTLS (EHLO lists no extension)" in run.text


def test_dropping_the_line_after_quit_is_no_error(hostile_smtp: Start) -> None:
    server = hostile_smtp("quit-drop")
    run = run_on(server, "--mail-from", "noc@vigie.example", "--rcpt-to", "a@acme.example")
    assert run.code == 0, run
    assert server.received[-1] == b"QUIT"


def test_a_banner_with_terminal_escapes_is_printed_escaped(hostile_smtp: Start) -> None:
    run = run_on(hostile_smtp("escapes"))
    assert run.code == 0, run
    assert one_line(run).startswith("SMTP OK - 220 mx.vigie.test \\x1b[2J\\x07ready, ")
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout


@pytest.fixture
def deaf_resolver() -> Iterator[str]:
    """A DNS server address on loopback that takes every query and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.77.0.53", 53))
    except OSError as error:
        sock.close()
        pytest.skip(f"cannot listen on 127.77.0.53 port 53: {error}")
    yield "127.77.0.53"
    sock.close()


@pytest.mark.parametrize(("choice", "code"), [("warning", 1), ("unknown", 3)])
def test_a_resolver_that_never_answers_ends_at_t_in_the_state_chosen(
    deaf_resolver: str, choice: str, code: int
) -> None:
    # The plugin waits inside the C library's resolver, where no signal reaches Python:
    # its own deadline ends the run all the same, in the --timeout-result state.
    argv = [str(CHECK_SMTP), "-H", "mx.vigie-test.invalid", "-t", "2", "--timeout-result", choice]
    run = run_with_resolver(deaf_resolver, argv)
    assert run.code == code, run
    assert run.stdout == (
        f"SMTP {choice.upper()} - plugin timeout: no result after 2 s (-t), still resolving "
        "mx.vigie-test.invalid\n"
    )
