"""check_vigie_http and what a server sends back: content codings, and text that is not
fit to print (terminal escapes, BEL, NUL) in a reason phrase or a header."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

from tests.plugins.running import PluginRun, check_http
from tests.servers.http_app import BOMB_SIZE, HOME_PAGE, TestServer
from tests.servers.loopback import LOOPBACK
from tests.servers.scripted import ScriptedServer


def local(server: TestServer, *args: str) -> PluginRun:
    """check_vigie_http against the plain test server."""
    return check_http("-H", LOOPBACK, "-p", str(server.port), *args)


# --- content codings ------------------------------------------------------------------


def test_identity_is_asked_for_by_default(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/echo")
    assert run.code == 0, run
    assert http_server.requests[-1].headers["accept-encoding"] == "identity"


def test_compressed_asks_for_gzip_and_judges_the_decoded_body(http_server: TestServer) -> None:
    page = HOME_PAGE * 40
    run = local(http_server, "-u", "/compressed", "--compressed", "-s", "Vigie test server",
                "-m", f"{len(page)}:{len(page)}")  # fmt: skip
    assert run.code == 0, run
    assert http_server.requests[-1].headers["accept-encoding"] == "gzip"
    wire = len(gzip.compress(page))
    assert re.fullmatch(
        rf"HTTP OK - 200 OK, {len(page)} bytes \((\d+) gzip-encoded\) in \d+\.\d{{3}} s", run.text
    ), run.text
    assert abs(int(re.findall(r"\((\d+) gzip", run.text)[0]) - wire) < 64
    assert run.perfdata["size"][0] == len(page)


def test_a_server_that_compresses_anyway_is_decoded(http_server: TestServer) -> None:
    # Asked for identity, the server gzips all the same: -s still finds the text.
    run = local(http_server, "-u", "/compressed", "-s", "Welcome to the Vigie test server")
    assert run.code == 0, run
    assert http_server.requests[-1].headers["accept-encoding"] == "identity"
    assert f"{len(HOME_PAGE) * 40} bytes (" in run.text


def test_deflate_is_decoded_too(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/compressed?coding=deflate", "-r", "Vigie.*server")
    assert run.code == 0, run
    assert "deflate-encoded" in run.text


def test_a_coding_the_check_cannot_decode_is_critical_when_the_body_is_searched(
    http_server: TestServer,
) -> None:
    run = local(http_server, "-u", "/compressed?coding=br", "-s", "Welcome")
    assert run.code == 2, run
    assert run.text.startswith(
        f"HTTP CRITICAL - {LOOPBACK} port {http_server.port} sent the body br-encoded, "
        "which this check cannot decode (gzip and deflate only)"
    )
    # Unsearched, the body is only counted, as it came.
    counted = local(http_server, "-u", "/compressed?coding=br")
    assert counted.code == 0, counted


def test_a_body_that_decodes_past_the_bound_is_critical(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/compressed?bomb=1", "-t", "20")
    assert run.code == 2, run
    assert run.text.startswith(
        f"HTTP CRITICAL - {LOOPBACK} port {http_server.port}: the gzip body decodes to more "
        "than 256 MiB"
    ), run
    assert BOMB_SIZE > 256 * 2**20


def test_a_body_that_does_not_decode_is_critical(
    scripted_server: Callable[..., ScriptedServer],
) -> None:
    body = b"this is not gzip at all"
    server = scripted_server(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    run = check_http("-H", LOOPBACK, "-p", str(server.port))
    assert run.code == 2, run
    assert "the gzip body does not decode" in run.text


# --- what a server says ---------------------------------------------------------------


def test_control_characters_from_the_server_are_shown_escaped(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/control-chars", "-e", "204", "-v", "-vv", "-vvv")
    assert run.code == 2, run
    everything = run.stdout + run.stderr
    for raw in ("\x1b", "\x07", "\x00", "\x9b"):
        assert raw not in everything, (raw, everything)
    assert "200 OK\\x1b[2J\\x07\\x00\\x9b1m done" in run.first
    assert "\\x1b]0;owned\\x07" in run.stdout  # the header, at -vvv


def test_the_default_request_headers(http_server: TestServer) -> None:
    run = local(http_server, "-u", "/echo")
    assert run.code == 0, run
    headers = http_server.requests[-1].headers
    assert set(headers) == {"host", "user-agent", "accept", "accept-encoding", "connection"}
