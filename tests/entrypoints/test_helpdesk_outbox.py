"""The helpdesk outbox with real helpdesks (Request Tracker 5, Redmine 5 from Debian's
packages): ``vigie notify`` commits the event and its outbox items in one transaction,
then delivers within ``deliver_within``; what fails stays; ``vigie flush`` delivers it in
order, idempotently; dead-lettered items show in ``vigie outbox --dead`` (R15: nothing
recorded is lost)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.servers.helpdesks import Desk
from tests.servers.lossy_proxy import LossyProxy
from tests.servers.polling import free_port
from tests.vigie_command import VIGIE, clean_env, notify_args, write_config

pytestmark = [pytest.mark.helpdesk, pytest.mark.slow]
EXIT_TEMPFAIL = 75


def configure(tmp_path: Path, desk: Desk, url: str | None = None, **extra: object) -> Path:
    return write_config(tmp_path, helpdesk=desk.section(tmp_path, url, **extra))


def vigie(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIGIE, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(config.parent / "cache")),
        timeout=120,
        check=False,
    )


def problem(config: Path, service: str, **extra: str) -> subprocess.CompletedProcess[str]:
    since = str(int(time.time()) - 120)
    options = {"type": "PROBLEM", "host": "web01", "service": service, "state": "CRITICAL"}
    options.update(since=since, output=f"{service} is down", **extra)
    return vigie(config, *notify_args(**options))


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_notify_opens_the_external_ticket_and_records_its_id_as_external_ref(
    tmp_path: Path, desk: Desk
) -> None:
    config = configure(tmp_path, desk)
    result = problem(config, "http")
    assert result.returncode == 0, result.stderr
    assert "1 change(s) delivered" in result.stdout
    [ticket] = as_json(vigie(config, "tickets", "--format", "json"))
    [external] = desk.with_marker("[vigie#1]")
    assert "web01!http" in external["subject"]  # the incident key is findable there
    assert ticket["external_ref"] == external["id"]
    assert as_json(vigie(config, "outbox", "--format", "json")) == []
    flushed = vigie(config, "flush")
    assert flushed.returncode == 0, flushed.stderr
    assert "0 waiting" in flushed.stdout


def test_an_outage_keeps_the_changes_then_flush_delivers_them_once_and_in_order(
    tmp_path: Path, private_desk: Callable[[str], Desk]
) -> None:
    desk = private_desk("rt")
    config = configure(tmp_path, desk)
    desk.server.stop()
    assert problem(config, "http").returncode == 0
    acknowledgement = notify_args(
        type="ACKNOWLEDGEMENT", host="web01", service="http", state="CRITICAL", author="alice"
    )
    ack = vigie(config, *acknowledgement)
    assert ack.returncode == 0, ack.stderr
    assert "kept in the outbox" in ack.stdout
    waiting = as_json(vigie(config, "outbox", "--format", "json"))
    assert [(i["action"], i["state"]) for i in waiting] == [
        ("open", "failing"),
        ("comment", "waiting"),  # held behind the open: a ticket's changes keep their order
        ("status", "waiting"),
    ]
    assert vigie(config, "flush", "--now").returncode == EXIT_TEMPFAIL
    desk.server.start()
    flushed = vigie(config, "flush", "--now")
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert "3 delivered" in flushed.stdout
    [external] = desk.with_marker("[vigie#1]")
    assert external["status"] == "open"  # taken over in RT
    history = desk.call("GET", f"/ticket/{external['id']}/history?per_page=100&fields=Type")
    types = [item["Type"] for item in history["items"]]
    assert types.index("Create") < types.index("Comment") < types.index("Status")


def test_after_max_attempts_an_item_is_dead_lettered_until_retried_on_demand(
    tmp_path: Path, private_desk: Callable[[str], Desk]
) -> None:
    desk = private_desk("rt")
    config = configure(tmp_path, desk, max_attempts=2)
    desk.server.stop()
    assert problem(config, "http").returncode == 0  # attempt 1, in notify
    assert vigie(config, "flush", "--now").returncode == EXIT_TEMPFAIL  # attempt 2: dead
    [dead] = as_json(vigie(config, "outbox", "--dead", "--format", "json"))
    assert (dead["action"], dead["state"], dead["failures"]) == ("open", "dead", 2)
    assert "Connection refused" in dead["last_error"]
    table = vigie(config, "outbox", "--dead")
    assert "dead" in table.stdout and "2/2" in table.stdout
    desk.server.start()
    assert vigie(config, "flush", "--now").returncode == EXIT_TEMPFAIL  # dead: not retried
    assert desk.with_marker("[vigie#1]") == []
    retried = vigie(config, "flush", "--dead")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "1 dead-lettered item(s) retried" in retried.stdout
    assert len(desk.with_marker("[vigie#1]")) == 1
    assert as_json(vigie(config, "outbox", "--dead", "--format", "json")) == []


def test_a_create_whose_answer_was_lost_makes_no_second_ticket(tmp_path: Path, desk: Desk) -> None:
    creates = {"rt": "/REST/2.0/ticket", "redmine": "/issues.json"}[desk.kind]
    with LossyProxy(
        desk.server.port, lambda method, path: (method, path) == ("POST", creates)
    ) as proxy:
        config = configure(tmp_path, desk, url=proxy.url)
        result = problem(config, "http")
        assert result.returncode == 0, result.stderr
        assert "1 kept in the outbox" in result.stdout
        assert proxy.lost == [("POST", creates)]
        assert len(desk.with_marker("[vigie#1]")) == 1  # created, the answer lost
        flushed = vigie(config, "flush", "--now")
        assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    [external] = desk.with_marker("[vigie#1]")
    [ticket] = as_json(vigie(config, "tickets", "--format", "json"))
    assert ticket["external_ref"] == external["id"]
    assert [seen for seen in proxy.seen if seen[:2] == ("POST", creates)] == [
        ("POST", creates, 201)
    ]


def test_doctor_tries_the_helpdesk_and_names_dead_letters(tmp_path: Path, desk: Desk) -> None:
    def helpdesk_line(config: Path) -> str:
        lines = vigie(config, "doctor").stdout.splitlines()
        return next(line for line in lines if line.split()[1:2] == ["helpdesk"])

    assert helpdesk_line(configure(tmp_path, desk)).startswith("OK   helpdesk http://127.0.0.1")
    elsewhere = tmp_path / "down"
    elsewhere.mkdir()
    down = configure(elsewhere, desk, url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    assert "Connection refused" in helpdesk_line(down)
    assert problem(down, "http").returncode == 0  # its one attempt fails: dead-lettered
    down.write_text(down.read_text().replace(str(_port_of(down)), str(desk.server.port)))
    assert "1 item(s) dead-lettered" in helpdesk_line(down)


def _port_of(config: Path) -> int:
    import re

    match = re.search(r"url: http://127\.0\.0\.1:(\d+)", config.read_text())
    assert match is not None
    return int(match.group(1))


def test_a_helpdesk_that_never_answers_holds_notify_no_longer_than_deliver_within(
    tmp_path: Path, desk: Desk
) -> None:
    from tests.servers.blackhole import Blackhole

    hole = Blackhole("127.0.0.1")
    try:
        config = configure(tmp_path, desk, url=f"http://127.0.0.1:{hole.port}")
        vigie(config, "check-config")  # the configuration cached, as on a running system
        started = time.monotonic()
        result = problem(config, "http", **{"notification-number": "1"})
        took = time.monotonic() - started
    finally:
        hole.stop()
    assert result.returncode == 0, result.stderr
    assert "kept in the outbox" in result.stdout and "timed out" in result.stdout
    assert 1.5 < took < 6  # 2 s of trying, then the event is safe and notify is done
    [waiting] = as_json(vigie(config, "outbox", "--format", "json"))
    assert (waiting["action"], waiting["state"]) == ("open", "failing")


def test_concurrent_flushes_deliver_each_ticket_once_and_in_order(
    tmp_path: Path, private_desk: Callable[[str], Desk]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    desk = private_desk("rt")
    config = configure(tmp_path, desk, deliver_within="0s")  # everything left to flush
    for number in range(30):
        assert problem(config, f"svc{number}").returncode == 0
        ack = notify_args(type="ACKNOWLEDGEMENT", host="web01", service=f"svc{number}",
                          state="CRITICAL", author="alice", comment="on it")  # fmt: skip
        assert vigie(config, *ack).returncode == 0
    assert len(as_json(vigie(config, "outbox", "--format", "json"))) == 90
    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(lambda _: vigie(config, "flush", "--now").returncode, range(3)))
    assert set(codes) <= {0, EXIT_TEMPFAIL}  # a flush skips the tickets another one holds
    assert vigie(config, "flush", "--now").returncode == 0
    tickets = desk.tickets()
    assert sorted(t["subject"].split()[0] for t in tickets) == sorted(
        f"[vigie#{n}]" for n in range(1, 31)
    )
    assert {t["status"] for t in tickets} == {"open"}  # taken over, after being opened


def test_a_comment_whose_answer_was_lost_is_not_added_twice(tmp_path: Path, desk: Desk) -> None:
    def is_comment(method: str, path: str) -> bool:
        if desk.kind == "rt":
            return method == "POST" and path.endswith("/comment")
        return method == "PUT" and path.startswith("/issues/")  # the note comes first

    with LossyProxy(desk.server.port, is_comment, drops=0) as proxy:
        config = configure(tmp_path, desk, url=proxy.url)
        assert problem(config, "http").returncode == 0
        proxy.drops = 1
        ack = notify_args(type="ACKNOWLEDGEMENT", host="web01", service="http",
                          state="CRITICAL", author="alice", comment="on it")  # fmt: skip
        result = vigie(config, *ack)
        assert "2 kept in the outbox" in result.stdout, result.stdout + result.stderr
        assert len(proxy.lost) == 1
        flushed = vigie(config, "flush", "--now")
        assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    [external] = desk.with_marker("[vigie#1]")
    if desk.kind == "rt":
        history = desk.call("GET", f"/ticket/{external['id']}/history?per_page=100&fields=Type")
        comments = [item for item in history["items"] if item["Type"] == "Comment"]
    else:
        issue = desk.call("GET", f"/issues/{external['id']}.json?include=journals")["issue"]
        comments = [j for j in issue["journals"] if "(outbox 2)" in (j.get("notes") or "")]
    assert len(comments) == 1  # sent once, its answer lost, found on the retry
    assert external["status"] == {"rt": "open", "redmine": "In Progress"}[desk.kind]
