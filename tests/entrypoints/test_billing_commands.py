"""``vigie log``, ``approve``, ``statement``, ``invoice`` and ``sla`` on the embedded store.

The rules themselves are tested in tests/domain; here the shell is: work reaches the right
ticket, the approval threshold refuses then accepts (R11), documents come out as the JSON
and CSV the accountant reads, and bad input changes nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.entrypoints.test_staff_commands import count_rows
from tests.vigie_command import Run, as_json, assert_one_line_error, notify_args

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def november(vigie: Run) -> Run:
    """acme in November 2026: a Sunday-night incident on mail01 (level A) with 10 minutes of
    work, and an express request on web01 (level B) on Monday morning."""
    since = int(datetime(2026, 11, 22, 3, 0, tzinfo=BRUSSELS).timestamp())
    assert (
        vigie(
            *notify_args(
                type="PROBLEM", host="mail01", service="smtp", state="CRITICAL", since=str(since)
            )
        ).returncode
        == 0
    )
    assert vigie("take", "1", "--by", "alice", "--at", "2026-11-22T05:00:00").returncode == 0
    assert (
        vigie(
            "log", "1", "--minutes", "10", "--by", "alice", "--at", "2026-11-22T05:10:00"
        ).returncode
        == 0
    )
    assert (
        vigie(
            "open",
            "--customer",
            "acme",
            "--server",
            "web01",
            "--subject",
            "renew cert",
            "--at",
            "2026-11-23T10:00:00",
            "--express",
        ).returncode
        == 0
    )
    assert vigie("take", "2", "--by", "bob", "--at", "2026-11-23T10:30:00").returncode == 0
    return vigie


def test_work_past_the_threshold_is_refused_until_approved(
    november: Run, config_file: Path
) -> None:
    """R11: acme's threshold is 6 quarters; 100 minutes would be 7."""
    vigie = november
    assert vigie("log", "2", "--minutes", "50", "--by", "bob").returncode == 0
    before = count_rows(config_file)
    refused = vigie("log", "2", "--minutes", "50", "--by", "bob")
    assert_one_line_error(refused, 1, "R11", "threshold of 6 quarters", "vigie approve 2")
    # Nothing logged; the only entry added is the approval asked of the customer (R11).
    assert count_rows(config_file) == (before[0], before[1] + 1)
    first = as_json(vigie("show", "2", "--format", "json"))
    assert len(first["work"]) == 1 and first["history"][-1]["type"] == "approval_asked"
    # Updates are never billed (R6), so they never need approval.
    assert (
        vigie("log", "2", "--minutes", "120", "--by", "bob", "--category", "update").returncode == 0
    )
    assert vigie("approve", "2", "--by", "Mr Coyote").returncode == 0
    accepted = vigie("log", "2", "--minutes", "50", "--by", "bob", "--format", "json")
    assert as_json(accepted)["minutes"] == 50
    shown = as_json(vigie("show", "2", "--format", "json"))
    assert [w["minutes"] for w in shown["work"]] == [50, 120, 50]
    assert shown["approvals"][0]["by"] == "Mr Coyote"
    # R15: the history tells the work too, with who and how long.
    logged = [e for e in shown["history"] if e["type"] == "work"]
    assert [(e["by"], e["comment"]) for e in logged] == [
        ("bob", "50 min of request work"),
        ("bob", "120 min of update work"),
        ("bob", "50 min of request work"),
    ]
    assert "approved" in [e["type"] for e in shown["history"]]


def test_statement_json_lines_and_totals(november: Run) -> None:
    """R7/R8: mail01's 10 minutes on Sunday = 2 quarters (minimum) at 35, 1 free: 35.00.
    web01's request: 50 minutes = 4 quarters at 20, 2 free: 40.00; express 75.00 (R10).
    Subtotal 150.00, VAT 21 % 31.50, total 181.50 (R13)."""
    vigie = november
    assert (
        vigie(
            "log", "2", "--minutes", "50", "--by", "bob", "--at", "2026-11-23T11:00:00"
        ).returncode
        == 0
    )
    doc = as_json(
        vigie("statement", "--customer", "acme", "--month", "2026-11", "--format", "json")
    )
    assert (doc["subtotal"], doc["vat"], doc["total"]) == ("150.00", "31.50", "181.50")
    work = {line["ticket"]: line for line in doc["lines"] if line["kind"] == "work"}
    assert (work[1]["quarters"], work[1]["free_quarters"], work[1]["rate"], work[1]["amount"]) == (
        2,
        1,
        "35.00",
        "35.00",
    )
    assert (work[2]["quarters"], work[2]["free_quarters"], work[2]["amount"]) == (4, 2, "40.00")
    assert [line["amount"] for line in doc["lines"] if line["kind"] == "express"] == ["75.00"]
    assert not [line for line in doc["lines"] if line["kind"] == "refund"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                vigie(
                    "statement", "--customer", "acme", "--month", "2026-11", "--format", "csv"
                ).stdout
            )
        )
    )
    assert rows[-1]["kind"] == "total" and rows[-1]["amount"] == "181.50"
    table = vigie("statement", "--customer", "acme", "--month", "2026-11")
    assert "181.50" in table.stdout


def test_breach_refunds_the_servers_fee(vigie: Run) -> None:
    """R4/R5: taken over after its deadline (4 h on level B inside hours): web01's 140 back."""
    vigie(
        "open",
        "--customer",
        "acme",
        "--server",
        "web01",
        "--subject",
        "x",
        "--at",
        "2026-11-23T10:00:00",
    )
    vigie("take", "1", "--by", "bob", "--at", "2026-11-23T15:00:00")
    doc = as_json(
        vigie("statement", "--customer", "acme", "--month", "2026-11", "--format", "json")
    )
    refunds = [line["amount"] for line in doc["lines"] if line["kind"] == "refund"]
    assert refunds == ["-140.00"]
    report = as_json(vigie("sla", "--month", "2026-11", "--format", "json"))
    (row,) = report
    assert (row["customer"], row["level"], row["breached"]) == ("acme", "B", 1)


def test_invoice_json_for_the_quarter(vigie: Run) -> None:
    """R12: Q4 2026, acme's three servers (70 + 140 + 210) for three months: 1260 + 21 % VAT."""
    doc = as_json(
        vigie("invoice", "--customer", "acme", "--quarter", "2026-Q4", "--format", "json")
    )
    assert (doc["subtotal"], doc["total"]) == ("1260.00", "1524.60")
    assert {line["kind"] for line in doc["lines"]} == {"fee"}
    everyone = as_json(vigie("invoice", "--all", "--quarter", "2026-Q4", "--format", "json"))
    assert {d["customer"] for d in everyone} == {"acme", "bakery"}


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["log", "1", "--minutes", "0", "--by", "a"], 2, ["--minutes"]),
        (["log", "1", "--minutes", "ten", "--by", "a"], 2, ["--minutes"]),
        (["log", "1", "--minutes", "5", "--by", "a", "--category", "fun"], 2, ["--category"]),
        (["log", "9", "--minutes", "5", "--by", "a"], 2, ["no ticket 9"]),
        (["approve", "9", "--by", "a"], 2, ["no ticket 9"]),
        (["statement", "--customer", "acme", "--month", "2026-13"], 2, ["--month"]),
        (["statement", "--customer", "nobody", "--month", "2026-11"], 2, ["nobody"]),
        (["statement", "--month", "2026-11"], 2, ["--customer"]),
        (["invoice", "--customer", "acme", "--quarter", "2026-Q5"], 2, ["--quarter"]),
        (["invoice", "--customer", "nobody", "--quarter", "2026-Q4"], 2, ["nobody"]),
        (["sla", "--month", "November"], 2, ["--month"]),
        (["sla", "--month", "9999-12"], 2, ["--month", "out of range"]),
        (["statement", "--all", "--month", "0000-01"], 2, ["--month", "out of range"]),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    november: Run, config_file: Path, args: list[str], code: int, words: list[str]
) -> None:
    before = count_rows(config_file)
    assert_one_line_error(november(*args), code, *words)
    assert count_rows(config_file) == before
