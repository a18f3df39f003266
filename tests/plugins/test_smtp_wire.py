"""SMTP replies and AUTH encodings on a real socket pair: the server's side is written first."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator

import pytest

from plugins import smtp_wire
from plugins.smtp_wire import SmtpWire, WireError


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, server) ends of a connected socket pair, both closed afterwards."""
    client, server = socket.socketpair()
    yield client, server
    client.close()
    server.close()


def wire_for(client: socket.socket) -> SmtpWire:
    ends = time.monotonic() + 5
    return SmtpWire(client, lambda: max(0.01, ends - time.monotonic()))


def sent(server: socket.socket) -> list[bytes]:
    """The lines the client wrote, as the server reads them."""
    server.settimeout(1)
    return server.recv(65536).split(b"\r\n")[:-1]


def test_a_multi_line_reply_and_its_extensions(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    server.sendall(
        b"250-mx.example Hello\r\n250-SIZE 1000\r\n250-auth PLAIN LOGIN\r\n250 STARTTLS\r\n"
    )
    reply = wire_for(client).read_reply()
    assert (reply.code, reply.first) == (250, "250 mx.example Hello")
    assert reply.extensions() == {"SIZE": ["1000"], "AUTH": ["PLAIN", "LOGIN"], "STARTTLS": []}


def test_a_bare_code_is_a_whole_reply(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    server.sendall(b"250\r\n")
    assert wire_for(client).read_reply().first == "250"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"250-one\r\n550 two\r\n", "a reply whose lines carry codes 250 and 550"),
        (b"250 " + b"x" * 3000 + b"\r\n", "a reply line longer than 2048 bytes"),
        (b"hello\r\n", "not an SMTP reply (b'hello')"),
        (b"250-half", "connection closed in mid-reply"),
        (b"", "connection closed"),
    ],
)
def test_what_is_not_a_reply(
    pair: tuple[socket.socket, socket.socket], data: bytes, problem: str
) -> None:
    client, server = pair
    server.sendall(data)
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(WireError) as caught:
        wire_for(client).read_reply()
    assert str(caught.value) == problem


def test_cram_md5_answers_as_rfc_2195_shows(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    server.sendall(b"334 " + base64.b64encode(challenge) + b"\r\n235 2.7.0 ok\r\n")
    reply = smtp_wire.authenticate(wire_for(client), "CRAM-MD5", "tim", "tanstaaftanstaaf")
    assert reply.code == 235
    command, answer = sent(server)
    assert command == b"AUTH CRAM-MD5"
    assert base64.b64decode(answer) == b"tim b913a602c7eda7a495b4e6e7334d3890"


def test_plain_and_login(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    server.sendall(b"235 ok\r\n")
    assert smtp_wire.authenticate(wire_for(client), "PLAIN", "u", "p\u00e9").code == 235
    [line] = sent(server)
    assert line == b"AUTH PLAIN " + base64.b64encode(b"\0u\0p\xc3\xa9")
    server.sendall(b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 no\r\n")
    assert smtp_wire.authenticate(wire_for(client), "LOGIN", "u", "p").code == 535
    assert sent(server) == [b"AUTH LOGIN", b"dQ==", b"cA=="]


def test_an_unexpected_challenge_is_cancelled(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    server.sendall(b"334 more?\r\n501 5.7.0 cancelled\r\n")
    reply = smtp_wire.authenticate(wire_for(client), "PLAIN", "u", "p")
    assert reply.code == 501
    assert sent(server)[-1] == b"*"


@pytest.mark.parametrize(
    ("offered", "wanted", "chosen"),
    [
        (["PLAIN", "LOGIN", "CRAM-MD5"], None, "CRAM-MD5"),
        (["login", "plain"], None, "PLAIN"),
        (["LOGIN", "XOAUTH2"], None, "LOGIN"),
        (["XOAUTH2"], None, None),
        (["PLAIN", "CRAM-MD5"], "PLAIN", "PLAIN"),
        (["PLAIN"], "LOGIN", None),
    ],
)
def test_the_mechanism_chosen(offered: list[str], wanted: str | None, chosen: str | None) -> None:
    assert smtp_wire.choose_mechanism(offered, wanted) == chosen
