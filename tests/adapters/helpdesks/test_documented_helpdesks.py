"""The Zammad and GLPI adapters against local servers shaped exactly as their REST API
documentation shows (neither can run here: see tests/servers/helpdesk_fakes.py), then
``vigie notify``, ``vigie flush`` and ``vigie sync`` through them: the staff's time is
billed (R13), their take-over stops the clock (R4), their closing closes (R15)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.adapters.helpdesks import Helpdesk, HelpdeskError
from bridge.adapters.helpdesks.glpi import Glpi
from bridge.adapters.helpdesks.zammad import Zammad
from tests.entrypoints.test_helpdesk_outbox import as_json, problem, vigie
from tests.servers.helpdesk_fakes import FakeGlpi, FakeHelpdesk, FakeZammad
from tests.vigie_command import write_config

SECRETS = {"zammad": FakeZammad.TOKEN, "glpi": f"{FakeGlpi.APP}\n{FakeGlpi.USER}"}
PROJECTS = {"zammad": "Users", "glpi": "0"}
STAFF = {"zammad": "Bob Smith", "glpi": "tech"}


@pytest.fixture(params=["zammad", "glpi"])
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeHelpdesk]]:
    server: FakeHelpdesk = FakeZammad() if request.param == "zammad" else FakeGlpi()
    with server:
        yield request.param, server


def adapter(kind: str, server: FakeHelpdesk, secret: str | None = None) -> Helpdesk:
    secret = secret or SECRETS[kind]
    if kind == "zammad":
        return Zammad(server.url, secret, "Users", 5, "customer@example.com")
    return Glpi(server.url, secret, "0", 5)


def test_the_whole_life_of_an_external_ticket(fake: tuple[str, FakeHelpdesk]) -> None:
    kind, server = fake
    helpdesk = adapter(kind, server)
    assert helpdesk.find("[vigie#12]") is None
    ref = helpdesk.open("[vigie#12]", "[vigie#12] web01!http: down", "PROBLEM")
    assert helpdesk.find("[vigie#12]") == ref
    assert helpdesk.find("[vigie#1]") is None
    helpdesk.comment(ref, "[vigie] RECOVERY")
    helpdesk.set_status(ref, "taken")
    helpdesk.add_time(ref, 30, "alice", datetime.now(UTC), "restarted")
    server.staff_take(int(ref))  # type: ignore[attr-defined]
    server.staff_work(int(ref), 45, "swapped the disk")  # type: ignore[attr-defined]
    server.staff_close(int(ref))  # type: ignore[attr-defined]
    actions = helpdesk.activity(ref)
    assert {(a.kind, a.by) for a in actions if a.kind in ("taken", "closed")} >= {
        ("closed", STAFF[kind] if kind == "glpi" else "bob")
    }
    assert sorted(a.minutes for a in actions if a.kind == "work") == [30, 45]
    assert "swapped the disk" in [a.text for a in actions if a.kind == "comment"]
    assert len({a.source for a in actions}) == len(actions)
    assert all(a.at.tzinfo is not None for a in actions)


def test_bad_credentials_are_one_line_errors(fake: tuple[str, FakeHelpdesk]) -> None:
    kind, server = fake
    wrong = "nope" if kind == "zammad" else f"{FakeGlpi.APP}\nnope"
    with pytest.raises(HelpdeskError, match="HTTP 401") as caught:
        adapter(kind, server, wrong).find("[vigie#1]")
    assert "\n" not in str(caught.value)


def test_notify_flush_and_sync_through_the_documented_api(
    tmp_path: Path, fake: tuple[str, FakeHelpdesk]
) -> None:
    kind, server = fake
    token = tmp_path / "helpdesk.token"
    token.write_text(SECRETS[kind] + "\n")
    token.chmod(0o600)
    section: dict[str, object] = {
        "kind": kind,
        "url": server.url,
        "token_file": str(token),
        "project": PROJECTS[kind],
    }
    if kind == "zammad":
        section["customer"] = "customer@example.com"
    config = write_config(tmp_path, helpdesk=section)
    assert problem(config, "http").returncode == 0
    [ticket] = as_json(vigie(config, "tickets", "--format", "json"))
    assert ticket["external_ref"] == "1"
    ref = int(ticket["external_ref"])
    time.sleep(1)  # the helpdesk's times are to the second: after the reference time
    server.staff_take(ref)  # type: ignore[attr-defined]
    server.staff_work(ref, 45, "swapped the disk")  # type: ignore[attr-defined]
    server.staff_close(ref)  # type: ignore[attr-defined]
    synced = vigie(config, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    shown = as_json(vigie(config, "show", "1", "--format", "json"))
    assert shown["status"] == "closed" and shown["debrief"] == "swapped the disk"
    assert [(w["minutes"], w["by"]) for w in shown["work"]] == [(45, STAFF[kind])]
    month = ticket["reference_at"][:7]
    statement = as_json(
        vigie(config, "statement", "--customer", "acme", "--month", month, "--format", "json")
    )
    assert [line["minutes"] for line in statement["lines"] if line["kind"] == "work"] == [45]
    assert vigie(config, "flush").returncode == 0
