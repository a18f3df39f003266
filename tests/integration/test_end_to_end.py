"""Vigie's main job, end to end: a real Icinga 2 runs our check against a real HTTP server
on 127.0.0.1, and its notifications become tickets in the store through ``vigie notify``.

Each test starts its own daemon from a temporary folder with the shipped icinga-config/ and
stops it at the end. Waits are bounded; nothing here measures speed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.servers.health_target import HealthTarget
from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.notify_server import NotifyServer
from tests.servers.polling import free_port, wait_for
from tests.servers.vigie_config import icinga_settings, run_vigie, vigie_json, write_vigie_config

pytestmark = pytest.mark.icinga

BRUSSELS = ZoneInfo("Europe/Brussels")
WAIT = 45.0  # seconds; a check runs every second, so this is only a bound for a stuck run
ACME = {
    "acme": {
        "name": "ACME SA",
        "account_manager": "alice",
        "servers": {"web01": {"level": "B", "since": "2020-01-01"}},
    }
}


def web01(port: int) -> str:
    """web01 at level B, always UP, with an HTTP check against the test's server.

    Two check attempts: the first failure is SOFT, the second HARD, one second later; the
    reference time must be the HARD one.
    """
    return f"""
object Host "web01" {{
  import "vigie-level-b"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  vars.customer = "acme"
  check_interval = 1s
}}

object Service "http" {{
  host_name = "web01"
  check_command = "vigie-http"
  vars.vigie_http_port = {port}
  vars.vigie_http_uri = "/health"
  vars.vigie_http_string = "shop is open"
  vars.vigie_http_timeout = 5
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 2
}}
"""


def r3_deadline_level_b(reference: datetime) -> datetime:
    """R3 for level B, Brussels business hours Mon-Fri 09:00-17:00 (half open), no holidays."""
    local = reference.astimezone(BRUSSELS)
    inside = local.weekday() < 5 and 9 <= local.hour < 17
    return reference + timedelta(hours=4 if inside else 12)


def at(text: str | None) -> datetime | None:
    """A JSON time of vigie (ISO 8601 with an offset), as an aware datetime."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text} has no UTC offset"
    return moment


def tickets(config: Path) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = vigie_json(config, "tickets")
    return listed


def one_ticket(config: Path, sandbox: IcingaSandbox, what: str, check: Any) -> dict[str, Any]:
    """Wait until the only ticket satisfies ``check``; say what Icinga logged if it never does."""

    def probe() -> dict[str, Any] | None:
        listed = tickets(config)
        assert len(listed) <= 1, f"more than one ticket: {listed}"
        return listed[0] if listed and check(listed[0]) else None

    try:
        return wait_for(what, probe, timeout=WAIT, interval=0.2)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


def hard_critical(sandbox: IcingaSandbox) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        attrs = sandbox.service("web01", "http")
        return attrs if attrs["state"] == 2 and attrs["state_type"] == 1 else None

    return wait_for("web01!http to be HARD CRITICAL", probe, timeout=WAIT)


def history(config: Path, ticket_id: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = vigie_json(config, "show", str(ticket_id))["history"]
    return entries


def test_a_failing_site_opens_one_ticket_taken_over_by_an_ack_and_recovered(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    config = tmp_path / "vigie.yaml"
    sandbox = start_icinga(vigie_config=config, objects=web01(http_target.port), build_only=True)
    write_vigie_config(config, tmp_path / "vigie.db", ACME, icinga_settings(sandbox))
    sandbox.start()

    # Healthy first: the check runs and passes, and nothing is opened.
    wait_for("a first OK check", lambda: sandbox.service("web01", "http")["last_check"] > 0 or None)
    assert sandbox.service("web01", "http")["state"] == 0
    assert tickets(config) == []

    # The site fails: a ticket for ACME's web01, level B, reference time = HARD state change.
    http_target.healthy = False
    state = hard_critical(sandbox)
    ticket = one_ticket(config, sandbox, "the ticket to be opened", lambda t: True)
    reference = datetime.fromtimestamp(int(state["last_hard_state_change"]), UTC)
    assert ticket["customer"] == "acme"
    assert (ticket["server"], ticket["service"]) == ("web01", "http")
    assert ticket["kind"] == "incident"
    assert ticket["level"] == "B"
    assert at(ticket["reference_at"]) == reference
    assert at(ticket["deadline_at"]) == r3_deadline_level_b(reference)
    assert ticket["taken_at"] is None and ticket["taken_by"] is None
    assert ticket["recovered_at"] is None and ticket["breached"] is False

    # Someone acknowledges in Icinga: that is the take-over, by that person.
    sandbox.acknowledge("web01", "http", "carol", "looking at the load balancer")
    ticket = one_ticket(config, sandbox, "the take-over", lambda t: t["taken_by"] is not None)
    assert ticket["taken_by"] == "carol"
    assert at(ticket["taken_at"]) is not None
    assert at(ticket["deadline_at"]) == r3_deadline_level_b(reference)

    # The site recovers: the recovery lands in the same ticket's history.
    http_target.healthy = True
    ticket = one_ticket(config, sandbox, "the recovery", lambda t: t["recovered_at"] is not None)
    recovered = sandbox.service("web01", "http")
    assert recovered["state"] == 0
    assert at(ticket["recovered_at"]) == datetime.fromtimestamp(
        int(recovered["last_hard_state_change"]), UTC
    )
    entries = history(config, ticket["id"])
    by_type = {entry["type"]: entry for entry in entries}
    assert {"opened", "acknowledgement", "recovery"} <= set(by_type), entries
    assert by_type["acknowledgement"]["by"] == "carol"
    assert by_type["acknowledgement"]["comment"] == "looking at the load balancer"
    assert len(tickets(config)) == 1
    assert ticket["taken_by"] == "carol" and ticket["level"] == "B"


def test_icinga_hands_its_notifications_to_a_notify_server(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    """The same ticket through ``vigie notify-server``: Icinga runs ``vigie notify`` as usual,
    which hands each call to the server (R2 reference time, R3 deadline as without it)."""
    config = tmp_path / "vigie.yaml"
    sock = tmp_path / "notify.sock"
    sandbox = start_icinga(
        vigie_config=config,
        objects=web01(http_target.port),
        build_only=True,
        environment={"VIGIE_NOTIFY_SOCKET": str(sock)},
    )
    write_vigie_config(config, tmp_path / "vigie.db", ACME, icinga_settings(sandbox))
    server = NotifyServer(config, sock)
    try:
        sandbox.start()
        wait_for(
            "a first OK check", lambda: sandbox.service("web01", "http")["last_check"] > 0 or None
        )
        http_target.healthy = False
        state = hard_critical(sandbox)
        ticket = one_ticket(config, sandbox, "the ticket to be opened", lambda t: True)
        reference = datetime.fromtimestamp(int(state["last_hard_state_change"]), UTC)
        assert at(ticket["deadline_at"]) == r3_deadline_level_b(reference)
        http_target.healthy = True
        one_ticket(config, sandbox, "the recovery", lambda t: t["recovered_at"] is not None)
    finally:
        log = server.stop()
    answered = int(log.rsplit("stopped after ", 1)[1].split()[0])
    assert answered >= 2, log  # the problem and the recovery, at least
    assert [e["type"] for e in history(config, ticket["id"])][:1] == ["opened"]


def test_taking_a_ticket_over_in_vigie_acknowledges_it_in_icinga(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    config = tmp_path / "vigie.yaml"
    sandbox = start_icinga(vigie_config=config, objects=web01(http_target.port), build_only=True)
    write_vigie_config(config, tmp_path / "vigie.db", ACME, icinga_settings(sandbox))
    http_target.healthy = False
    sandbox.start()
    hard_critical(sandbox)
    ticket = one_ticket(config, sandbox, "the ticket to be opened", lambda t: True)
    assert sandbox.service("web01", "http")["acknowledgement"] == 0

    taken = run_vigie(config, "take", str(ticket["id"]), "--by", "dave", "--format", "json")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["taken_by"] == "dave"

    # Acknowledged in Icinga (sticky: 2), by dave, with a comment naming the ticket.
    service = sandbox.service("web01", "http")
    assert service["acknowledgement"] == 2
    comments = sandbox.comments("web01", "http")
    assert [c["author"] for c in comments] == ["dave"]
    assert f"#{ticket['id']}" in comments[0]["text"]
    types = [entry["type"] for entry in history(config, ticket["id"])]
    assert "icinga_acknowledged" in types
    assert "icinga_ack_failed" not in types
    # Icinga tells the hook about the acknowledgement: it lands in the same ticket's history,
    # and the take-over stays dave's.
    ticket = one_ticket(
        config,
        sandbox,
        "Icinga's acknowledgement notification",
        lambda t: "acknowledgement" in [e["type"] for e in history(config, t["id"])],
    )
    (notified,) = [e for e in history(config, ticket["id"]) if e["type"] == "acknowledgement"]
    assert notified["by"] == "dave"
    assert f"#{ticket['id']}" in notified["comment"]
    assert ticket["taken_by"] == "dave"


def test_a_take_over_counts_while_icinga_is_unreachable_and_is_acknowledged_later(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    config = tmp_path / "vigie.yaml"
    port = free_port()
    sandbox = start_icinga(
        vigie_config=config, objects=web01(http_target.port), api_port=port, build_only=True
    )
    write_vigie_config(config, tmp_path / "vigie.db", ACME, icinga_settings(sandbox))
    # The problem reaches vigie while the API is down (nothing listens on its port yet).
    since = int(datetime.now(UTC).timestamp()) - 60
    notified = run_vigie(
        config,
        "notify",
        env={
            "VIGIE_TYPE": "PROBLEM",
            "VIGIE_HOST": "web01",
            "VIGIE_SERVICE": "http",
            "VIGIE_STATE": "CRITICAL",
            "VIGIE_OUTPUT": "HTTP CRITICAL - 503 Service Unavailable",
            "VIGIE_SINCE": str(since),
            "VIGIE_CUSTOMER": "acme",
        },
    )
    assert notified.returncode == 0, notified.stderr
    (ticket,) = tickets(config)

    taken = run_vigie(config, "take", str(ticket["id"]), "--by", "erin", "--format", "json")
    assert taken.returncode == 0, taken.stderr
    (ticket,) = tickets(config)
    assert ticket["taken_by"] == "erin" and ticket["taken_at"] is not None
    failed = [e for e in history(config, ticket["id"]) if e["type"] == "icinga_ack_failed"]
    assert len(failed) == 1
    assert f"127.0.0.1:{port}" in failed[0]["comment"]
    assert "\n" not in failed[0]["comment"]

    # Icinga comes back with the problem still there; the retry acknowledges it.
    http_target.healthy = False
    sandbox.start()
    hard_critical(sandbox)
    retried = run_vigie(config, "sync-icinga")
    assert retried.returncode == 0, retried.stderr
    assert sandbox.service("web01", "http")["acknowledgement"] == 2
    comments = sandbox.comments("web01", "http")
    assert [c["author"] for c in comments] == ["erin"]
    assert f"#{ticket['id']}" in comments[0]["text"]
    types = [entry["type"] for entry in history(config, ticket["id"])]
    assert types.index("icinga_ack_failed") < types.index("icinga_acknowledged")
    assert len(tickets(config)) == 1
    assert tickets(config)[0]["taken_by"] == "erin"
