"""R14: probes alert the customer too, by mail and SMS, when the contract asks for it.

A real SMTP server (aiosmtpd) on 127.0.0.1 stands in for the provider's mail relay; the
SMS gateway is an email-to-SMS address on it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tests.vigie_command import Run, as_json, notify_args, write_config


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def relay() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def alerting_config(folder: Path, port: int) -> Path:
    return write_config(
        folder,
        alerts={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "sender": "noc@provider.example",
            "sms_gateway": "{number}@sms.provider.example",
            "timeout": 5,
        },
    )


def problem(
    vigie: Run, kind: str = "PROBLEM", state: str = "CRITICAL", since: str = "1795600800"
) -> None:
    result = vigie(
        *notify_args(
            type=kind,
            host="web01",
            service="http",
            state=state,
            since=since,
            output=f"HTTP {state}",
        )
    )
    assert result.returncode == 0, result.stderr


def test_problem_and_recovery_alert_the_customer_by_mail_and_sms(
    tmp_path: Path, vigie: Run, relay: tuple[int, Inbox]
) -> None:
    port, inbox = relay
    alerting_config(tmp_path, port)
    problem(vigie)
    sent = vigie("send-alerts")
    assert sent.returncode == 0, sent.stderr
    assert "2 alert(s) sent" in sent.stdout
    recipients = sorted(r for rcpt, _ in inbox.messages for r in rcpt)
    assert recipients == ["32470000000@sms.provider.example", "ops@acme.example"]
    mail = next(m for rcpt, m in inbox.messages if rcpt == ["ops@acme.example"])
    assert mail["From"] == "noc@provider.example"
    assert "ticket #1" in mail["Subject"] and "web01!http" in mail["Subject"]
    assert "Taken over by" in mail.get_payload(decode=True).decode()
    # Nothing twice.
    assert "0 alert(s) sent" in vigie("send-alerts").stdout
    assert len(inbox.messages) == 2
    problem(vigie, kind="RECOVERY", state="OK", since="1795601400")
    assert "2 alert(s) sent" in vigie("send-alerts").stdout
    assert all("recovered" in m["Subject"] for _, m in inbox.messages[2:])
    history = [e["type"] for e in as_json(vigie("show", "1", "--format", "json"))["history"]]
    assert history.count("alert_sent") == 4


def test_customer_without_alert_addresses_gets_none(
    tmp_path: Path, vigie: Run, relay: tuple[int, Inbox]
) -> None:
    port, inbox = relay
    alerting_config(tmp_path, port)
    result = vigie(*notify_args(type="PROBLEM", host="stranger", state="DOWN", since="1795600800"))
    assert result.returncode == 0
    assert "0 alert(s) sent" in vigie("send-alerts").stdout
    assert inbox.messages == []


def test_relay_down_keeps_the_alerts_for_the_next_run(
    tmp_path: Path, vigie: Run, relay: tuple[int, Inbox]
) -> None:
    port, inbox = relay
    alerting_config(tmp_path, free_port())  # nothing listens there
    problem(vigie)
    failed = vigie("send-alerts")
    assert failed.returncode == 75
    assert "0 alert(s) sent, 2 kept for later" in failed.stdout
    assert "Traceback" not in failed.stderr
    alerting_config(tmp_path, port)
    assert "2 alert(s) sent" in vigie("send-alerts").stdout
    assert len(inbox.messages) == 2
    history = [e["type"] for e in as_json(vigie("show", "1", "--format", "json"))["history"]]
    assert history.count("alert_failed") == 2 and history.count("alert_sent") == 2


def test_sms_numbers_without_a_gateway_are_a_configuration_problem(
    tmp_path: Path, vigie: Run
) -> None:
    write_config(tmp_path, alerts={"smtp_host": "127.0.0.1", "sms_gateway": None})
    result = vigie("check-config")
    assert result.returncode == 2
    assert "customers.acme.alerts.sms" in result.stderr and "sms_gateway" in result.stderr


def test_two_runs_at_once_never_send_an_alert_twice(
    tmp_path: Path, vigie: Run, relay: tuple[int, Inbox]
) -> None:
    import subprocess

    from tests.vigie_command import VIGIE, clean_env

    port, inbox = relay
    config = alerting_config(tmp_path, port)
    for number in range(8):
        result = vigie(
            *notify_args(
                type="PROBLEM",
                host="web01",
                service=f"svc{number}",
                state="CRITICAL",
                since="1795600800",
            )
        )
        assert result.returncode == 0, result.stderr
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    runs = [
        subprocess.Popen(
            [VIGIE, "--config", str(config), "send-alerts"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    sent = [(tuple(rcpt), mail["Subject"]) for rcpt, mail in inbox.messages]
    assert len(sent) == 16 and len(set(sent)) == 16  # 8 tickets x (mail + SMS), once each
