"""SMS alerts (R14) through apprise URLs, against a real HTTP gateway on loopback: apprise's
``json://`` service posts each message there, as a European SMS gateway's HTTP API would
receive it. Email alerts still go to the SMTP relay beside them."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from bridge.adapters.mail import deliver
from bridge.config.model import AlertTransport
from bridge.domain.alerts import Message
from tests.servers.smtp import SmtpServer


class Gateway(http.server.ThreadingHTTPServer):
    """An HTTP server keeping every POST (path, JSON body); 500 on a path ending in /fail."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[tuple[str, dict[str, object]]] = []


class Handler(http.server.BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.server.received.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(500 if self.path.endswith("/fail") else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


def test_r14_an_sms_goes_through_apprise_and_an_email_through_the_relay(
    gateway: Gateway, relay: SmtpServer
) -> None:
    port = gateway.server_address[1]
    transport = AlertTransport(
        "127.0.0.1",
        relay.port,
        "noc@provider.example",
        apprise=(f"json://127.0.0.1:{port}/sms/{{number}}",),
    )
    messages = [
        Message(1, 7, "sms", "+32 470 00 00 00", "ticket #7", "#7 web01!http problem"),
        Message(2, 7, "email", "ops@acme.example", "ticket #7", "Ticket #7: down\n"),
    ]
    results: list[tuple[int, str | None]] = []
    deliver(messages, transport, lambda message, error: results.append((message.id, error)))
    assert sorted(results) == [(1, None), (2, None)]
    assert [(path, body["message"]) for path, body in gateway.received] == [
        ("/sms/32470000000", "#7 web01!http problem")
    ]
    assert [to for _, to, _ in relay.mailbox.messages] == [["ops@acme.example"]]


def test_a_gateway_that_refuses_is_a_failed_delivery_naming_no_credentials(
    gateway: Gateway,
) -> None:
    port = gateway.server_address[1]
    transport = AlertTransport(
        "127.0.0.1", 1, apprise=(f"json://user:s3cret@127.0.0.1:{port}/fail",)
    )
    results: list[tuple[int, str | None]] = []
    message = Message(3, 7, "sms", "+32470000000", "ticket #7", "#7 problem")
    deliver([message], transport, lambda m, error: results.append((m.id, error)))
    assert len(results) == 1 and results[0][1] is not None
    assert "refused" in results[0][1] and "s3cret" not in results[0][1]
    unknown = AlertTransport(apprise=("nosuchservice://x/{number}",))
    deliver([message], unknown, lambda m, error: results.append((m.id, error)))
    assert results[1][1] == "alerts.apprise: apprise does not accept this nosuchservice:// URL"


def test_doctor_names_an_apprise_url_it_cannot_use() -> None:
    from bridge.adapters.sms import apprise_problem

    assert apprise_problem(("json://127.0.0.1:9/sms/{number}",)) is None
    assert apprise_problem(("nosuchservice://x",)) == (
        "alerts.apprise: apprise does not accept this nosuchservice:// URL"
    )
