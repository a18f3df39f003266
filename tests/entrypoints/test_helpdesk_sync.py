"""``vigie sync`` with real helpdesks (Request Tracker 5, Redmine 5 from Debian's
packages): staff take the ticket over, log time, comment and close it there; Vigie records
it as they did it, at their times (R4, R15), the take-over goes on to Icinga, and the
month's statement bills the time logged in the helpdesk (R6, R13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.entrypoints.test_helpdesk_outbox import as_json, configure, problem, vigie
from tests.servers.helpdesks import Desk
from tests.servers.polling import free_port

pytestmark = [pytest.mark.helpdesk, pytest.mark.slow]
DEBRIEF = "replaced the failed disk, RAID rebuilt"


def work_in_the_helpdesk(desk: Desk, ref: str) -> str:
    """Staff take the ticket over, log 45 minutes, write what they did and close it; who
    did it, as the helpdesk names them."""
    if desk.kind == "rt":
        desk.call("PUT", f"/ticket/{ref}", {"Status": "open"})
        work = {"Content": "swapped the disk", "ContentType": "text/plain", "TimeTaken": "45"}
        desk.call("POST", f"/ticket/{ref}/comment", work)
        desk.call(
            "POST", f"/ticket/{ref}/comment", {"Content": DEBRIEF, "ContentType": "text/plain"}
        )
        desk.call("PUT", f"/ticket/{ref}", {"Status": "resolved"})
        return "root"
    listed = desk.call("GET", "/issue_statuses.json")["issue_statuses"]
    statuses = {status["name"]: status["id"] for status in listed}
    desk.call("PUT", f"/issues/{ref}.json", {"issue": {"status_id": statuses["In Progress"]}})
    activities = desk.call("GET", "/enumerations/time_entry_activities.json")
    entry = {"issue_id": int(ref), "hours": 0.75, "comments": "swapped the disk"}
    entry["activity_id"] = activities["time_entry_activities"][0]["id"]
    desk.call("POST", "/time_entries.json", {"time_entry": entry})
    desk.call("PUT", f"/issues/{ref}.json", {"issue": {"notes": DEBRIEF}})
    desk.call("PUT", f"/issues/{ref}.json", {"issue": {"status_id": statuses["Closed"]}})
    return "Redmine Admin"


def test_sync_records_the_staff_work_done_in_the_helpdesk_and_bills_it(
    tmp_path: Path, desk: Desk
) -> None:
    # Icinga is configured but not there: the take-over is still sent on (and noted failed,
    # for `vigie sync-icinga` to retry), which shows it flows on to Icinga.
    password = tmp_path / "icinga.password"
    password.write_text("secret\n")
    config = configure(tmp_path, desk)
    data = config.read_text()
    config.write_text(
        data + f"icinga:\n  url: https://127.0.0.1:{free_port()}\n  user: vigie\n"
        f"  password_file: {password}\n  verify: false\n  timeout: 2\n"
    )
    assert problem(config, "http").returncode == 0
    [ticket] = as_json(vigie(config, "tickets", "--format", "json"))
    staff = work_in_the_helpdesk(desk, ticket["external_ref"])

    synced = vigie(config, "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    shown = as_json(vigie(config, "show", "1", "--format", "json"))
    assert shown["status"] == "closed"
    assert shown["taken_by"] == staff
    assert shown["debrief"] == DEBRIEF  # staff's last comment before closing
    assert [(w["minutes"], w["by"], w["category"]) for w in shown["work"]] == [
        (45, staff, "incident")
    ]
    types = [entry["type"] for entry in shown["history"]]
    assert "taken" in types and "closed" in types
    assert "icinga_ack_failed" in types  # the take-over went on to Icinga (down here)
    # Vigie's own comments in the helpdesk are not read back as staff's.
    comments = [e["comment"] for e in shown["history"] if e["type"] == "helpdesk_comment"]
    assert not [c for c in comments if "[vigie]" in c]

    again = vigie(config, "sync")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 imported")  # each thing of the helpdesk once
    month = ticket["reference_at"][:7]  # shown in the provider's time zone
    statement = as_json(
        vigie(config, "statement", "--customer", "acme", "--month", month, "--format", "json")
    )
    work = [line for line in statement["lines"] if line["kind"] == "work"]
    assert [(line["ticket"], line["minutes"]) for line in work] == [(1, 45)]
    assert work[0]["amount"] != "0.00"  # billed: 3 quarters, past the level's free ones


def test_staff_working_in_vigie_is_mirrored_and_not_read_back_twice(
    tmp_path: Path, desk: Desk
) -> None:
    config = configure(tmp_path, desk)
    assert problem(config, "http").returncode == 0
    taken = vigie(config, "take", "1", "--by", "alice")
    assert taken.returncode == 0, taken.stderr
    assert "helpdesk: 1 change(s) delivered" in taken.stdout
    logged = vigie(config, "log", "1", "--minutes", "30", "--by", "alice", "--note", "reboot")
    assert "helpdesk: 1 change(s) delivered" in logged.stdout, logged.stdout + logged.stderr
    closed = vigie(config, "close", "1", "--debrief", "the pool was full")
    assert "helpdesk: 2 change(s) delivered" in closed.stdout, closed.stdout + closed.stderr
    [external] = desk.with_marker("[vigie#1]")
    assert external["status"] == {"rt": "resolved", "redmine": "Closed"}[desk.kind]
    if desk.kind == "rt":
        assert desk.call("GET", f"/ticket/{external['id']}")["TimeWorked"] == "30"
    else:
        entries = desk.call("GET", f"/time_entries.json?issue_id={external['id']}")
        assert [entry["hours"] for entry in entries["time_entries"]] == [0.5]

    synced = vigie(config, "sync")
    assert synced.returncode == 0, synced.stderr
    shown = as_json(vigie(config, "show", "1", "--format", "json"))
    assert [(w["minutes"], w["by"]) for w in shown["work"]] == [(30, "alice")]  # not twice
    assert shown["debrief"] == "the pool was full"
    assert [e["type"] for e in shown["history"]].count("closed") == 1
