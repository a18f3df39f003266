"""The staff's commands on the embedded store: open, take, close, deadline, check-config.

Bad input to every command gets one line and changes nothing (R15: nothing half-written).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.vigie_command import Run, as_json, assert_one_line_error, notify_args, write_config


def count_rows(config_file: Path) -> tuple[int, int]:
    store = config_file.parent / "vigie.db"
    if not store.exists():
        return (0, 0)
    db = sqlite3.connect(store)
    try:
        return (
            db.execute("SELECT count(*) FROM tickets").fetchone()[0],
            db.execute("SELECT count(*) FROM events").fetchone()[0],
        )
    finally:
        db.close()


def open_request(vigie: Run, *extra: str) -> dict[str, object]:
    result = vigie(
        "open",
        "--customer",
        "acme",
        "--server",
        "web01",
        "--subject",
        "Please renew the TLS certificate",
        "--at",
        "2026-11-23T10:00:00",
        "--format",
        "json",
        *extra,
    )
    ticket: dict[str, object] = as_json(result)
    return ticket


def test_open_records_a_request_at_its_reception_time(vigie: Run) -> None:
    """R2: a request's reference time is when it was received; R3 level B inside: 4 h."""
    ticket = open_request(vigie, "--express")
    assert ticket["kind"] == "request" and ticket["level"] == "B"
    assert ticket["reference_at"] == "2026-11-23T10:00:00+01:00"
    assert ticket["deadline_at"] == "2026-11-23T14:00:00+01:00"
    assert ticket["express"] is True  # R10
    assert ticket["assignee"] == "alice"  # R16


def test_request_naming_no_server_takes_the_customers_best_level(vigie: Run) -> None:
    result = vigie(
        "open",
        "--customer",
        "acme",
        "--subject",
        "Advice on backups",
        "--at",
        "2026-11-22T10:00:00",
        "--format",
        "json",
    )
    ticket = as_json(result)
    assert ticket["server"] is None and ticket["level"] == "C"  # db01 is C: 4 h any time
    assert ticket["deadline_at"] == "2026-11-22T14:00:00+01:00"


def test_take_then_close_with_debrief_keeps_the_whole_history(vigie: Run) -> None:
    """R4 take-over, R15 debrief and written trace."""
    open_request(vigie)
    taken = as_json(
        vigie("take", "1", "--by", "alice", "--at", "2026-11-23T11:00:00", "--format", "json")
    )
    assert taken["taken_by"] == "alice" and taken["taken_at"] == "2026-11-23T11:00:00+01:00"
    assert taken["breached"] is False
    again = vigie("take", "1", "--by", "bob")
    assert_one_line_error(again, 1, "already taken over by alice", "R4")
    closed = as_json(
        vigie(
            "close", "1", "--debrief", "renewed", "--at", "2026-11-23T12:00:00", "--format", "json"
        )
    )
    assert closed["status"] == "closed"
    shown = as_json(vigie("show", "1", "--format", "json"))
    assert [e["type"] for e in shown["history"]] == ["opened", "taken", "closed"]
    assert shown["history"][-1]["comment"] == "renewed"
    text = vigie("show", "1")
    assert text.returncode == 0 and "renewed" in text.stdout and "taken" in text.stdout


def test_late_take_over_is_a_breach(vigie: Run) -> None:
    """R4: taken after the deadline = breached."""
    open_request(vigie)
    taken = as_json(
        vigie("take", "1", "--by", "alice", "--at", "2026-11-23T14:00:01", "--format", "json")
    )
    assert taken["breached"] is True


def test_closing_an_incident_needs_a_debrief(vigie: Run, config_file: Path) -> None:
    """R15: each incident is closed with a debrief."""
    vigie(
        *notify_args(
            type="PROBLEM", host="web01", service="http", state="CRITICAL", since="1795600800"
        )
    )
    before = count_rows(config_file)
    assert_one_line_error(vigie("close", "1"), 1, "--debrief", "R15")
    assert_one_line_error(vigie("close", "1", "--debrief", "   "), 1, "--debrief")
    assert count_rows(config_file) == before


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["open", "--customer", "nobody", "--subject", "x"], 2, ["--customer", "nobody", "acme"]),
        (["open", "--customer", "acme", "--server", "db99", "--subject", "x"], 2, ["db99"]),
        (["open", "--customer", "acme", "--subject", "x", "--at", "soon"], 2, ["--at", "soon"]),
        (["open", "--customer", "acme"], 2, ["--subject"]),
        (["take", "99", "--by", "alice"], 2, ["no ticket 99"]),
        (["take", "abc", "--by", "alice"], 2, ["abc"]),
        (["take", "1"], 2, ["--by"]),
        (["close", "42", "--debrief", "x"], 2, ["no ticket 42"]),
        (["show", "7"], 2, ["no ticket 7"]),
        (["deadline", "--level", "Z", "--at", "2026-11-23T10:00:00"], 2, ["--level", "Z"]),
        (["deadline", "--level", "A", "--at", "tomorrow"], 2, ["--at"]),
        (["tickets", "--format", "xml"], 2, ["xml"]),
        (["take", "1", "--by", "alice", "--at", "2026-11-23T09:59:00"], 2, ["before", "reference"]),
        (["log", "1", "--minutes", "5", "--by", "a", "--at", "2026-11-22T10:00:00"], 2, ["before"]),
        (["approve", "1", "--by", "a", "--at", "2020-01-01T00:00:00"], 2, ["before"]),
        (["take", "1", "--by", "alice", "--at", "9999-12-31T23:00:00"], 2, ["--at", "range"]),
        (["show", "99999999999999999999999"], 2, ["99999999999999999999999"]),
        (
            ["open", "--customer", "acme", "--subject", "x", "--at", "0001-01-01T00:00"],
            2,
            ["--at", "out of range"],
        ),
        (["deadline", "--level", "A", "--at", "0001-01-01T00:00"], 2, ["--at", "out of range"]),
        (["take", "1", "--by", "alice", "--at", "2099-01-01T00:00:00"], 2, ["--at", "future"]),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    vigie: Run, config_file: Path, args: list[str], code: int, words: list[str]
) -> None:
    open_request(vigie)
    before = count_rows(config_file)
    assert_one_line_error(vigie(*args), code, *words)
    assert count_rows(config_file) == before


def test_deadline_prints_the_r3_deadline_in_json(vigie: Run) -> None:
    """The issue's own example: level B, Friday 16:30 in Brussels."""
    data = as_json(
        vigie("deadline", "--level", "B", "--at", "2026-11-27T16:30:00+01:00", "--format", "json")
    )
    assert data["deadline_at"] == "2026-11-27T20:30:00+01:00"
    assert data["business_hours"] is True
    # A time without offset is read in the configured time zone; the future is fine here.
    data = as_json(
        vigie("deadline", "--level", "C", "--at", "2026-11-29T03:00:00", "--format", "json")
    )
    assert data["deadline_at"] == "2026-11-29T07:00:00+01:00"


def test_check_config_lists_every_problem(tmp_path: Path, vigie: Run) -> None:
    assert vigie("check-config").returncode == 0
    path = write_config(tmp_path, timezone="Nowhere/Never", rates={"vat": "lots"})
    result = vigie("check-config")
    assert result.returncode == 2
    assert "timezone" in result.stderr and "rates" in result.stderr
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr


def test_no_traceback_on_a_missing_configuration(tmp_path: Path, vigie: Run) -> None:
    (tmp_path / "vigie.yaml").unlink()
    assert_one_line_error(vigie("tickets"), 2, "no such file")


def test_closing_never_erases_a_late_take_over(vigie: Run, config_file: Path) -> None:
    """R4: once taken, only the take-over counts; a closing before it is a typo."""
    open_request(vigie)
    late = as_json(
        vigie("take", "1", "--by", "bob", "--at", "2026-11-23T18:00:00", "--format", "json")
    )
    assert late["breached"] is True
    before = count_rows(config_file)
    refused = vigie("close", "1", "--debrief", "x", "--at", "2026-11-23T11:00:00")
    assert_one_line_error(refused, 2, "before", "taken over")
    assert count_rows(config_file) == before
    closed = as_json(
        vigie("close", "1", "--debrief", "x", "--at", "2026-11-23T19:00:00", "--format", "json")
    )
    assert closed["breached"] is True


def test_a_contract_covers_whole_months(tmp_path: Path, vigie: Run) -> None:
    """R12 invoices whole months from the start month: the SLA covers them too (not R9)."""
    import yaml

    from tests.vigie_command import ROOT

    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["customers"]["acme"]["servers"]["web01"]["since"] = "2026-11-15"
    write_config(tmp_path, customers=data["customers"])
    ticket = as_json(
        vigie(
            "open",
            "--customer",
            "acme",
            "--server",
            "web01",
            "--subject",
            "x",
            "--at",
            "2026-11-03T10:00:00",
            "--format",
            "json",
        )
    )
    assert ticket["level"] == "B"
