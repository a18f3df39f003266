"""``vigie doctor``: everything the configuration points at, tried, with what to fix.

A real SMTP server (aiosmtpd) stands for the relay; Icinga's API is tried for real in
tests/integration/test_deployment.py, here only where nothing answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.domain.notification import Event
from bridge.store import spool
from tests.servers.polling import free_port
from tests.servers.smtp import SmtpServer
from tests.vigie_command import Run, notify_args, write_config

RELAY = {"sender": "noc@example.org", "sms_gateway": "{number}@sms.example.org"}


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


def lines(result: object) -> dict[str, str]:
    """Each finding's line, by what it is about."""
    out = getattr(result, "stdout", "")
    found = {}
    for line in out.splitlines():
        verdict, what, detail = line.split(None, 2)
        found[what] = f"{verdict} {detail}"
    return found


def test_all_well_is_exit_0_with_a_line_each(
    config_file: Path, vigie: Run, relay: SmtpServer
) -> None:
    write_config(
        config_file.parent, alerts={**RELAY, "smtp_host": "127.0.0.1", "smtp_port": relay.port}
    )
    done = vigie("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert set(found) == {"store", "spool", "cache", "icinga", "relay", "helpdesk"}
    assert all(line.startswith("OK") for line in found.values()), found
    assert "answers" in found["relay"]
    assert "no icinga: section" in found["icinga"]
    assert "embedded" in found["helpdesk"]


def test_what_does_not_answer_is_named_with_the_fix(config_file: Path, vigie: Run) -> None:
    folder = config_file.parent
    secret = folder / "api-password"
    secret.write_text("x\n", encoding="ascii")
    write_config(
        folder,
        alerts={**RELAY, "smtp_host": "127.0.0.1", "smtp_port": free_port()},
        icinga={
            "url": f"https://127.0.0.1:{free_port()}",
            "user": "vigie",
            "password_file": str(secret),
            "verify": False,
        },
    )
    vigie(
        *notify_args(
            type="PROBLEM", host="web01", service="http", state="CRITICAL", since="1795600000"
        )
    )
    done = vigie("doctor")
    assert done.returncode == 2
    assert done.stderr.strip() == "vigie: to fix: icinga, relay"
    found = lines(done)
    assert found["icinga"].startswith("FIX") and "cannot connect" in found["icinga"]
    assert found["relay"].startswith("FIX") and "acme" in found["relay"]
    assert found["store"].startswith("OK") and found["spool"].startswith("OK")


def test_notifications_waiting_in_the_spool_are_named(config_file: Path, vigie: Run) -> None:
    now = datetime.now(UTC)
    store = config_file.parent / "vigie.db"
    spool.append(
        spool.spool_path(store), Event("PROBLEM", "db01", "disk", "CRITICAL", "", now, now)
    )
    done = vigie("doctor")
    assert done.returncode == 2
    found = lines(done)
    assert found["spool"].startswith("FIX")
    assert "1 notification(s) wait in" in found["spool"]
    assert "vigie sync-icinga" in found["spool"]
