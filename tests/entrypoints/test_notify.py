"""``vigie notify`` end to end on the embedded store: real processes, a real SQLite file.

Each test cites the rule of contract-rules.md it checks (R2, R3, R4, R14-R16).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.vigie_command import (
    ROOT,
    Run,
    as_json,
    assert_one_line_error,
    notify_args,
    write_config,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
# Friday 2026-11-20 16:30 in Brussels: inside business hours, level B gives 4 h (R3).
FRIDAY_1630 = datetime(2026, 11, 20, 16, 30, tzinfo=BRUSSELS)


def unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def problem(
    vigie: Run,
    host: str = "web01",
    service: str | None = "http",
    state: str = "CRITICAL",
    since: datetime = FRIDAY_1630,
    output: str = "HTTP CRITICAL - down",
    kind: str = "PROBLEM",
    **extra: str,
) -> str:
    args = [
        "notify",
        "--type",
        kind,
        "--host",
        host,
        "--state",
        state,
        "--output",
        output,
        "--since",
        unix(since),
    ]
    if service is not None:
        args += ["--service", service]
    for name, value in extra.items():
        args += [f"--{name.replace('_', '-')}", value]
    result = vigie(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout.strip()


def tickets(vigie: Run) -> list[dict[str, object]]:
    found: list[dict[str, object]] = as_json(vigie("tickets", "--format", "json"))
    return found


def show(vigie: Run, ticket_id: object) -> dict[str, object]:
    shown: dict[str, object] = as_json(vigie("show", str(ticket_id), "--format", "json"))
    return shown


def history_types(vigie: Run, ticket_id: object) -> list[object]:
    return [entry["type"] for entry in show(vigie, ticket_id)["history"]]  # type: ignore[attr-defined,index]


def test_problem_opens_a_ticket_with_contract_level_and_deadline(vigie: Run) -> None:
    """R2 reference = hard state change; R3 level B inside hours = 4 h; R16 account manager."""
    line = problem(vigie)
    assert line.startswith("opened ticket 1 for web01!http (acme, level B")
    (ticket,) = tickets(vigie)
    assert ticket["customer"] == "acme"
    assert ticket["server"] == "web01" and ticket["service"] == "http"
    assert ticket["kind"] == "incident" and ticket["level"] == "B"
    assert ticket["status"] == "new"
    assert ticket["reference_at"] == "2026-11-20T16:30:00+01:00"
    assert ticket["deadline_at"] == "2026-11-20T20:30:00+01:00"
    assert ticket["assignee"] == "alice"
    # Its deadline has passed and nobody took it over: breached as of now (R4).
    assert ticket["breached"] is True
    assert ticket["taken_at"] is None and ticket["closed_at"] is None


def test_outside_hours_reference_gives_level_b_twelve_hours(vigie: Run) -> None:
    """R3: Fri 17:00 is outside (half-open R1): deadline Sat 05:00."""
    problem(vigie, since=datetime(2026, 11, 20, 17, 0, tzinfo=BRUSSELS))
    (ticket,) = tickets(vigie)
    assert ticket["deadline_at"] == "2026-11-21T05:00:00+01:00"


def test_same_notification_twice_adds_nothing(vigie: Run) -> None:
    """Icinga may deliver a notification twice (HA pair, resync): one ticket, one entry."""
    problem(vigie)
    second = problem(vigie)
    assert "already recorded" in second
    assert len(tickets(vigie)) == 1
    assert history_types(vigie, 1) == ["opened"]


def test_state_change_and_renotification_never_move_the_deadline(vigie: Run) -> None:
    """R4: WARNING then CRITICAL, and re-notifications, go to the history only."""
    problem(vigie, state="WARNING", output="HTTP WARNING - slow")
    later = FRIDAY_1630 + timedelta(hours=2)
    problem(vigie, state="CRITICAL", since=later, output="HTTP CRITICAL - down")
    problem(
        vigie, state="CRITICAL", since=later, output="HTTP CRITICAL - down", notification_number="2"
    )
    (ticket,) = tickets(vigie)
    assert ticket["deadline_at"] == "2026-11-20T20:30:00+01:00"
    assert ticket["reference_at"] == "2026-11-20T16:30:00+01:00"
    assert history_types(vigie, 1) == ["opened", "state_change", "renotification"]


def test_acknowledgement_is_the_take_over_by_its_author(vigie: Run) -> None:
    """R4: an Icinga acknowledgement is a take-over; a second one does not change it."""
    problem(vigie)
    problem(vigie, kind="ACKNOWLEDGEMENT", author="bob", comment="looking")
    problem(vigie, kind="ACKNOWLEDGEMENT", author="carol", comment="me too")
    (ticket,) = tickets(vigie)
    assert ticket["taken_by"] == "bob" and ticket["status"] == "taken"
    assert ticket["taken_at"] is not None
    entries = show(vigie, 1)["history"]
    assert [e.get("by") for e in entries if e["type"] == "acknowledgement"] == ["bob", "carol"]
    assert [e.get("by") for e in entries if e["type"] == "taken"] == ["bob"]  # type: ignore[attr-defined,union-attr]


def test_recovery_keeps_the_ticket_open_and_a_quick_relapse_reopens_it(vigie: Run) -> None:
    """R15: recovery recorded, closing needs a debrief; flapping must not flood (reopen_within)."""
    problem(vigie)
    recovered = FRIDAY_1630 + timedelta(minutes=10)
    problem(vigie, kind="RECOVERY", state="OK", output="HTTP OK", since=recovered)
    (ticket,) = tickets(vigie)
    assert ticket["status"] == "new"
    assert ticket["recovered_at"] == "2026-11-20T16:40:00+01:00"
    problem(vigie, since=recovered + timedelta(minutes=20))
    (ticket,) = tickets(vigie)
    assert ticket["recovered_at"] is None
    assert history_types(vigie, 1) == ["opened", "recovery", "problem_again"]


@pytest.mark.parametrize("host", ["web01", "pos01"])  # pos01's customer closes on recovery
def test_recovery_before_the_deadline_stays_met_when_the_incident_returns_after_it(
    vigie: Run, host: str
) -> None:
    """R4: recovered at 20:00, before the 20:30 deadline: no breach, even though it relapses
    at 20:45 (within reopen_within, the same ticket) and nobody has taken it over since."""
    problem(vigie, host=host)
    problem(
        vigie,
        host=host,
        kind="RECOVERY",
        state="OK",
        output="HTTP OK",
        since=FRIDAY_1630 + timedelta(hours=3, minutes=30),
    )
    problem(vigie, host=host, since=FRIDAY_1630 + timedelta(hours=4, minutes=15))
    (ticket,) = tickets(vigie)
    assert ticket["recovered_at"] is None and ticket["closed_at"] is None
    assert ticket["breached"] is False


def test_relapse_before_the_deadline_cancels_the_recovery(vigie: Run) -> None:
    """R4: back at 17:30, before the 20:30 deadline, and never taken over: breached."""
    problem(vigie)
    problem(
        vigie,
        kind="RECOVERY",
        state="OK",
        output="HTTP OK",
        since=FRIDAY_1630 + timedelta(minutes=30),
    )
    problem(vigie, since=FRIDAY_1630 + timedelta(hours=1))
    (ticket,) = tickets(vigie)
    assert ticket["breached"] is True


def test_problem_long_after_a_recovery_on_an_open_ticket_is_a_new_incident(vigie: Run) -> None:
    """R4: the recovered incident did not breach; the new one gets its own deadline (R3)."""
    problem(vigie)
    recovered = FRIDAY_1630 + timedelta(minutes=5)
    problem(vigie, kind="RECOVERY", state="OK", output="HTTP OK", since=recovered)
    problem(vigie, since=recovered + timedelta(hours=3))
    first, second = tickets(vigie)
    assert first["recovered_at"] == "2026-11-20T16:35:00+01:00" and first["breached"] is False
    assert second["reference_at"] == "2026-11-20T19:35:00+01:00"
    assert second["deadline_at"] == "2026-11-21T07:35:00+01:00"  # outside hours: 12 h


def test_problem_exactly_at_the_closing_time_is_a_replay(vigie: Run) -> None:
    """A state change at or before the closing of the key's last ticket is no new incident."""
    problem(vigie)
    closed_at = FRIDAY_1630 + timedelta(minutes=20)
    assert vigie("close", "1", "--debrief", "fixed", "--at", closed_at.isoformat()).returncode == 0
    problem(vigie, since=closed_at, output="HTTP CRITICAL - again")
    assert len(tickets(vigie)) == 1
    assert history_types(vigie, 1)[-1] == "replay"
    problem(vigie, since=closed_at + timedelta(seconds=1), output="HTTP CRITICAL - new")
    assert len(tickets(vigie)) == 2


def test_problem_soon_after_a_closed_recovery_reopens_and_late_replay_is_only_noted(
    vigie: Run,
) -> None:
    """Reopen within reopen_within of the recovery; a replay of an old problem opens nothing."""
    problem(vigie)
    recovered = FRIDAY_1630 + timedelta(minutes=5)
    problem(vigie, kind="RECOVERY", state="OK", output="HTTP OK", since=recovered)
    closed = vigie(
        "close",
        "1",
        "--debrief",
        "restarted nginx",
        "--at",
        (recovered + timedelta(minutes=1)).isoformat(),
    )
    assert closed.returncode == 0, closed.stderr
    # A replay: Icinga re-sends the old problem (same since) after a cluster resync.
    problem(vigie, output="HTTP CRITICAL - down (resent)")
    assert len(tickets(vigie)) == 1
    assert history_types(vigie, 1)[-1] == "replay"
    # A new problem 30 min after the recovery: the same ticket comes back.
    problem(vigie, since=recovered + timedelta(minutes=30))
    (ticket,) = tickets(vigie)
    assert ticket["status"] == "new" and ticket["closed_at"] is None
    assert history_types(vigie, 1)[-1] == "reopened"


def test_problem_long_after_recovery_opens_a_new_ticket(vigie: Run) -> None:
    problem(vigie)
    recovered = FRIDAY_1630 + timedelta(minutes=5)
    problem(vigie, kind="RECOVERY", state="OK", output="HTTP OK", since=recovered)
    at = (recovered + timedelta(minutes=2)).isoformat()
    assert vigie("close", "1", "--debrief", "fixed", "--at", at).returncode == 0
    problem(vigie, since=recovered + timedelta(hours=3))
    assert [t["id"] for t in tickets(vigie)] == [1, 2]


def test_close_on_recovery_when_the_customer_asks(vigie: Run) -> None:
    """bakery's configuration closes a recovered incident by itself."""
    problem(vigie, host="shop01", service="http")
    problem(
        vigie,
        host="shop01",
        service="http",
        kind="RECOVERY",
        state="OK",
        output="ok",
        since=FRIDAY_1630 + timedelta(minutes=3),
    )
    (ticket,) = tickets(vigie)
    assert ticket["status"] == "closed"
    assert ticket["closed_at"] == "2026-11-20T16:33:00+01:00"
    assert history_types(vigie, 1)[-1] == "closed"


def test_service_problem_joins_the_ticket_of_its_down_host(vigie: Run) -> None:
    problem(vigie, service=None, state="DOWN", output="PING CRITICAL - 100% loss")
    problem(vigie, service="http", since=FRIDAY_1630 + timedelta(minutes=1))
    problem(vigie, service="smtp", since=FRIDAY_1630 + timedelta(minutes=1))
    (ticket,) = tickets(vigie)
    assert ticket["service"] is None and ticket["key"] == "web01"
    assert history_types(vigie, 1) == ["opened", "joined_host_ticket", "joined_host_ticket"]
    # The service's recovery lands on the host's ticket but does not recover the host.
    problem(
        vigie,
        service="http",
        kind="RECOVERY",
        state="OK",
        output="ok",
        since=FRIDAY_1630 + timedelta(minutes=9),
    )
    (ticket,) = tickets(vigie)
    assert ticket["recovered_at"] is None
    assert history_types(vigie, 1)[-1] == "recovery"


def test_problem_during_a_downtime_gets_its_ticket_marked(vigie: Run) -> None:
    problem(
        vigie,
        kind="DOWNTIMESTART",
        state="OK",
        output="",
        author="carol",
        comment="maintenance",
        since=FRIDAY_1630 - timedelta(minutes=5),
    )
    problem(vigie)
    (ticket,) = tickets(vigie)
    assert ticket["in_downtime"] is True
    # R15: the downtime that came before any ticket is still there to consult.
    events = as_json(vigie("events", "web01!http", "--format", "json"))
    assert [(e["type"], e["ticket"]) for e in events] == [("downtime_start", None), ("opened", 1)]
    assert events[0]["by"] == "carol" and events[0]["comment"] == "maintenance"


def test_host_no_contract_covers_is_out_of_contract(vigie: Run) -> None:
    """R9: a host no contract names still gets a ticket, with no level and no deadline."""
    line = problem(vigie, host="stranger01", service="http", customer="walk-in")
    assert "out of contract" in line
    (ticket,) = tickets(vigie)
    assert ticket["level"] is None and ticket["deadline_at"] is None
    assert ticket["customer"] == "walk-in"


def test_server_past_its_contract_end_is_out_of_contract(tmp_path: Path, vigie: Run) -> None:
    """R9/R12: once db01's contract has ended, a problem on it has no SLA."""
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["customers"]["acme"]["servers"]["db01"]["until"] = date(2026, 10, 31)
    write_config(tmp_path, customers=data["customers"])
    problem(vigie, host="db01", service="mysql", since=datetime(2026, 11, 2, 10, tzinfo=BRUSSELS))
    problem(vigie, host="db01", service="disk", since=datetime(2026, 10, 30, 10, tzinfo=BRUSSELS))
    levels = {t["key"]: (t["customer"], t["level"]) for t in tickets(vigie)}
    assert levels == {"db01!mysql": ("acme", None), "db01!disk": ("acme", "C")}


def test_latin1_names_from_icinga_are_decoded_not_lost(vigie: Run) -> None:
    """A Latin-1 Icinga configuration passes names that are not UTF-8."""
    name = "caf\xe9".encode("latin-1").decode("utf-8", "surrogateescape")
    problem(vigie, service=name)
    (ticket,) = tickets(vigie)
    assert ticket["key"] == "web01!café"


def test_since_in_the_future_is_refused(vigie: Run) -> None:
    """R2: the reference time is when the state changed, which cannot be days ahead."""
    result = vigie(*notify_args(type="PROBLEM", host="web01", state="DOWN", since="253402300000"))
    assert_one_line_error(result, 2, "--since")
    result = vigie(
        *notify_args(
            type="PROBLEM",
            host="web01",
            state="DOWN",
            since=unix(datetime.now(UTC) + timedelta(days=2)),
        )
    )
    assert_one_line_error(result, 2, "--since", "future")
    assert tickets(vigie) == []


def test_environment_variables_carry_the_event(vigie: Run) -> None:
    """Icinga passes the event in VIGIE_* variables (design.md)."""
    env = {
        "VIGIE_TYPE": "PROBLEM",
        "VIGIE_HOST": "mail01",
        "VIGIE_SERVICE": "smtp",
        "VIGIE_STATE": "CRITICAL",
        "VIGIE_OUTPUT": "SMTP CRITICAL - refused ",
        "VIGIE_SINCE": unix(FRIDAY_1630),
        "VIGIE_AUTHOR": "",
        "VIGIE_COMMENT": "",
    }
    result = vigie("notify", env=env)
    assert result.returncode == 0, result.stderr
    (ticket,) = tickets(vigie)
    assert ticket["key"] == "mail01!smtp" and ticket["level"] == "A"
    # R3 level A: 24 h.
    assert ticket["deadline_at"] == "2026-11-21T16:30:00+01:00"
    entry = show(vigie, 1)["history"][0]  # type: ignore[index]
    assert entry["output"] == "SMTP CRITICAL - refused"  # Icinga's trailing space is stripped


def test_empty_service_variable_means_a_host_notification(vigie: Run) -> None:
    env = {
        "VIGIE_TYPE": "PROBLEM",
        "VIGIE_HOST": "web01",
        "VIGIE_SERVICE": "",
        "VIGIE_STATE": "DOWN",
        "VIGIE_SINCE": unix(FRIDAY_1630),
    }
    assert vigie("notify", env=env).returncode == 0
    (ticket,) = tickets(vigie)
    assert ticket["key"] == "web01" and ticket["service"] is None


def test_latin1_and_huge_output_are_kept_decoded_and_truncated(vigie: Run) -> None:
    latin1 = "Temp\xe9rature \xe9lev\xe9e".encode("latin-1").decode("utf-8", "surrogateescape")
    problem(vigie, output=latin1)
    entry = show(vigie, 1)["history"][0]  # type: ignore[index]
    assert entry["output"] == "Température élevée"
    huge = "x" * 100_000  # a single argument can hold at most 128 KiB on Linux
    problem(vigie, service="disk", output=huge)
    kept = show(vigie, 2)["history"][0]["output"]  # type: ignore[index]
    assert len(kept.encode()) <= 64 * 1024
    assert kept.startswith("xxxx") and "truncated" in kept


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--type", "PROBLEM", "--state", "CRITICAL", "--since", "1795600800"], ["--host"]),
        (
            ["--type", "EXPLODED", "--host", "web01", "--since", "1795600800"],
            ["--type", "EXPLODED"],
        ),
        (["--host", "web01", "--state", "DOWN", "--since", "1795600800"], ["--type"]),
        (
            [
                "--type",
                "PROBLEM",
                "--host",
                "web01",
                "--service",
                "http",
                "--state",
                "DOWN",
                "--since",
                "1795600800",
            ],
            ["--state", "DOWN"],
        ),
        (
            ["--type", "PROBLEM", "--host", "web01", "--state", "DOWN", "--since", "yesterday"],
            ["--since", "yesterday"],
        ),
        (["--type", "PROBLEM", "--host", "web01", "--state", "DOWN"], ["--since"]),
        (
            ["--type", "RECOVERY", "--host", "web01", "--state", "DOWN", "--since", "1795600800"],
            ["--state"],
        ),
        (
            [
                "--type",
                "PROBLEM",
                "--host",
                "web01",
                "--state",
                "DOWN",
                "--since",
                "1795600800",
                "--notification-number",
                "two",
            ],
            ["--notification-number"],
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    vigie: Run, config_file: Path, args: list[str], words: list[str]
) -> None:
    result = vigie("notify", *args)
    assert_one_line_error(result, 2, *words)
    store = config_file.parent / "vigie.db"
    assert not store.exists() or sqlite3.connect(store).execute(
        "SELECT count(*) FROM events"
    ).fetchone() == (0,)


def test_broken_configuration_is_one_line_and_keeps_the_event(tmp_path: Path, vigie: Run) -> None:
    """A typo in vigie.yaml must not drop Icinga's notifications (Icinga never retries): the
    event is kept in the spool of the last store validated, and recorded once it is fixed."""
    problem(vigie)  # a valid configuration, seen once
    path = write_config(tmp_path, timezone="Mars/Olympus")
    result = vigie(
        *notify_args(
            type="PROBLEM", host="web01", service="smtp", state="CRITICAL", since="1795600800"
        )
    )
    assert_one_line_error(result, 2, str(path), "timezone", "kept in", "vigie.db.spool")
    write_config(tmp_path)
    fixed = vigie(
        *notify_args(
            type="PROBLEM", host="web01", service="ntp", state="CRITICAL", since="1795600800"
        )
    )
    assert "replayed 1" in fixed.stdout
    assert sorted(t["key"] for t in tickets(vigie)) == ["web01!http", "web01!ntp", "web01!smtp"]


def test_since_without_offset_is_read_in_the_providers_zone(vigie: Run) -> None:
    """design.md: a time without offset is read in the configured time zone."""
    result = vigie(
        *notify_args(type="PROBLEM", host="web01", state="DOWN", since="2026-11-20T16:30:00")
    )
    assert result.returncode == 0, result.stderr
    (ticket,) = tickets(vigie)
    assert ticket["reference_at"] == "2026-11-20T16:30:00+01:00"


def test_history_is_append_only(vigie: Run, config_file: Path) -> None:
    """R15: the store itself refuses to rewrite or delete history."""
    problem(vigie)
    db = sqlite3.connect(config_file.parent / "vigie.db")
    for statement in (
        "UPDATE events SET type = 'x'",
        "DELETE FROM events",
        "DELETE FROM tickets",
        "UPDATE tickets SET deadline_at = 'x'",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(statement)
    db.close()


def test_times_are_stored_in_utc(vigie: Run, config_file: Path) -> None:
    problem(vigie)
    db = sqlite3.connect(config_file.parent / "vigie.db")
    (reference,) = db.execute("SELECT reference_at FROM tickets").fetchone()
    db.close()
    assert datetime.fromisoformat(reference) == FRIDAY_1630.astimezone(UTC)
    assert reference.endswith("+00:00")
