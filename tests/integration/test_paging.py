"""SLA-aware paging end to end (R3, R4, R5, R15, R16): the installed ``vigie`` run as cron
would, its time driven by ``--at``, and a real SMTP server (aiosmtpd) on 127.0.0.1 standing
in for the provider's mail relay and its email-to-SMS gateway.

The example configuration's rota: carol on weekdays 09:00-17:00, dave every night and
weekend day, bob the backup; alice is ACME's account manager (R16).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.servers.smtp import SmtpServer
from tests.vigie_command import Run, as_json, notify_args, write_config

BRUSSELS = ZoneInfo("Europe/Brussels")
SUNDAY_3AM = "2026-11-29 03:00"
FRIDAY_1630 = "2026-11-27 16:30"


@pytest.fixture
def relay() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def config_file(tmp_path: Path, relay: SmtpServer) -> Path:
    """The example configuration (its paging: section included), mail to the loopback relay."""
    return write_config(
        tmp_path,
        alerts={
            "smtp_host": relay.address,
            "smtp_port": relay.port,
            "sender": "noc@provider.example",
            "sms_gateway": "{number}@sms.provider.example",
            "timeout": 5,
        },
    )


def unix(local: str) -> str:
    return str(int(datetime.fromisoformat(local).replace(tzinfo=BRUSSELS).timestamp()))


def problem(vigie: Run, host: str, service: str, since: str, kind: str = "PROBLEM") -> None:
    state = "OK" if kind == "RECOVERY" else "CRITICAL"
    result = vigie(
        *notify_args(
            type=kind,
            host=host,
            service=service,
            state=state,
            since=unix(since),
            output=f"{service} {state}",
            **({"author": "icingaadmin", "comment": "on it"} if kind == "ACKNOWLEDGEMENT" else {}),
        )
    )
    assert result.returncode == 0, result.stderr


def cron(vigie: Run, at: str) -> str:
    """One ``vigie page`` run at ``at`` (Brussels time); what it printed."""
    result = vigie("page", "--at", at)
    assert result.returncode == 0, result.stderr
    return result.stdout


def pages(relay: SmtpServer) -> list[tuple[list[str], Message]]:
    """The pages the relay received (customer alerts left out), in order."""
    found = []
    for _, recipients, content in relay.mailbox.messages:
        mail = message_from_bytes(content)
        if str(mail["Subject"]).startswith("[page]"):
            found.append((recipients, mail))
    return found


def recipients(relay: SmtpServer) -> list[str]:
    return [address for rcpt, _ in pages(relay) for address in rcpt]


def history(vigie: Run, ticket: int) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = as_json(vigie("show", str(ticket), "--format", "json"))[
        "history"
    ]
    return [entry for entry in entries if entry["type"] == "paged"]


def test_r3_level_c_at_3am_pages_the_on_call_at_once_and_each_page_once(
    vigie: Run, relay: SmtpServer
) -> None:
    """R3, R5: level C's 4 h run at night too: dave is woken at once, alice half-way;
    cron's repeated runs send each page exactly once (R15: each one in the history)."""
    problem(vigie, "db01", "disk", SUNDAY_3AM)
    assert "paged opening: dave (email, sms)" in cron(vigie, "2026-11-29 03:00:30")
    for minute in ("03:01", "03:02", "04:59"):
        assert "nobody to page" in cron(vigie, f"2026-11-29 {minute}")
    assert recipients(relay) == ["dave@provider.example", "32470333333@sms.provider.example"]

    assert "paged 50%: dave (email, sms), alice (email, sms)" in cron(vigie, "2026-11-29 05:00")
    assert "nobody to page" in cron(vigie, "2026-11-29 05:01")
    assert len(pages(relay)) == 6

    _, mail = pages(relay)[0]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["Subject"] == "[page] ticket #1 level C: db01!disk, 3h59 left"
    assert "Take it over: https://vigie.provider.example/tickets/1" in body
    assert "Deadline:   2026-11-29T07:00:00+01:00" in body
    sms = pages(relay)[1][1].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "https://vigie.provider.example/tickets/1" in sms

    # R4: dave takes it over at 05:10: the backup's 80% page (06:12) never goes.
    taken = vigie("take", "1", "--by", "dave", "--at", "2026-11-29 05:10")
    assert taken.returncode == 0, taken.stderr
    assert "nobody to page" in cron(vigie, "2026-11-29 06:12")
    assert len(pages(relay)) == 6
    paged = history(vigie, 1)
    assert [entry["comment"].split(":")[0] for entry in paged] == ["opening", "50%"]
    assert paged[0]["at"] == "2026-11-29T03:00:30+01:00"


def test_r3_level_a_at_3am_pages_nobody_until_half_way_and_a_recovery_stops_it(
    vigie: Run, relay: SmtpServer
) -> None:
    """R3: level A has 24 h: nobody is woken at 03:00; the on-call is paged at 15:00."""
    problem(vigie, "mail01", "smtp", SUNDAY_3AM)
    for at in ("2026-11-29 03:00:30", "2026-11-29 09:00", "2026-11-29 14:59"):
        assert "nobody to page" in cron(vigie, at)
    assert pages(relay) == []
    assert "paged 50%: dave" in cron(vigie, "2026-11-29 15:00:30")
    assert recipients(relay) == ["dave@provider.example", "32470333333@sms.provider.example"]
    # A recovery stops the rest (the 80% mark, 22:12 that Sunday, would page alice too).
    problem(vigie, "mail01", "smtp", "2026-11-29 16:00", kind="RECOVERY")
    assert "nobody to page" in cron(vigie, "2026-11-29 22:12:30")
    assert len(pages(relay)) == 2


def test_r16_level_b_friday_escalates_to_the_account_manager_unless_acknowledged(
    tmp_path: Path, vigie: Run, relay: SmtpServer
) -> None:
    """R3, R16: level B at Friday 16:30 (deadline 20:30): carol at once, alice at 80%
    (19:42). On a second server, an Icinga acknowledgement at 40% stops the escalation."""
    problem(vigie, "web01", "http", FRIDAY_1630)
    problem(vigie, "pos01", "http", FRIDAY_1630)  # the bakery's, bob its account manager
    first = cron(vigie, "2026-11-27 16:30:30")
    assert "ticket 1: paged opening: carol" in first and "ticket 2: paged opening: carol" in first
    problem(vigie, "pos01", "http", FRIDAY_1630, kind="ACKNOWLEDGEMENT")  # at 40% or so
    assert "nobody to page" in cron(vigie, "2026-11-27 19:41")
    escalated = cron(vigie, "2026-11-27 19:42:30")
    assert escalated.strip() == ("ticket 1: paged 80%: alice (email, sms); 47m left")
    assert recipients(relay)[-2:] == ["alice@provider.example", "32470111111@sms.provider.example"]
    assert "bob@provider.example" not in recipients(relay)
    assert [e["comment"].split(":")[0] for e in history(vigie, 2)] == ["opening"]


def test_dry_run_shows_what_would_be_sent_and_sends_nothing(vigie: Run, relay: SmtpServer) -> None:
    problem(vigie, "db01", "disk", SUNDAY_3AM)
    dry = vigie("page", "--dry-run", "--at", "2026-11-29 05:00", "--format", "json")
    planned = as_json(dry)
    assert [(p["ticket"], p["step"], p["people"]) for p in planned] == [
        (1, "50%", ["dave", "alice"])
    ]
    assert planned[0]["recorded"] is False and planned[0]["minutes_left"] == 120
    assert relay.mailbox.messages == [] and history(vigie, 1) == []
    # Dry runs may look ahead; real runs record what happened, never the future.
    assert vigie("page", "--dry-run", "--at", "2999-01-01").returncode == 0
    future = vigie("page", "--at", "2999-01-01")
    assert future.returncode == 2 and "is in the future" in future.stderr


def test_oncall_says_who_and_why(vigie: Run) -> None:
    """The rota: a weekday's day shift, the night, and the Christmas override."""
    assert as_json(vigie("oncall", "--at", "2026-11-27 10:00", "--format", "json")) == {
        "at": "2026-11-27T10:00:00+01:00",
        "person": "carol",
        "because": "weekly rota",
        "email": "carol@provider.example",
        "sms": "+32470222222",
    }
    night = vigie("oncall", "--at", "2026-11-29 03:00")
    assert night.stdout.strip() == (
        "2026-11-29T03:00:00+01:00: dave (weekly rota; email dave@provider.example, "
        "sms +32470333333)"
    )
    christmas = as_json(vigie("oncall", "--at", "2026-12-25 03:00", "--format", "json"))
    assert (christmas["person"], christmas["because"]) == ("carol", "override")


def test_without_paging_the_commands_say_so(tmp_path: Path, vigie: Run) -> None:
    data_less = write_config(tmp_path)
    text = data_less.read_text(encoding="utf-8")
    start = text.index("paging:")
    end = text.index("\ncustomers:")
    data_less.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    for command in (("page",), ("oncall",)):
        result = vigie(*command)
        assert result.returncode == 2
        assert "paging: not configured in vigie.yaml" in result.stderr


def test_overlapping_cron_runs_send_each_page_once(vigie: Run, relay: SmtpServer) -> None:
    """Two runs at once (a slow relay, cron starting the next): one records the page, the
    other finds it recorded (R15), so dave gets one email and one SMS."""
    from concurrent.futures import ThreadPoolExecutor

    problem(vigie, "db01", "disk", SUNDAY_3AM)
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda _: vigie("page", "--at", "2026-11-29 03:01"), range(3)))
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    assert sum("paged opening" in run.stdout for run in runs) == 1
    assert recipients(relay) == ["dave@provider.example", "32470333333@sms.provider.example"]
    assert len(history(vigie, 1)) == 1


def test_a_downtime_holds_the_pages_while_it_lasts(vigie: Run, relay: SmtpServer) -> None:
    """Maintenance on db01 from 03:05: the 50% page (05:00) waits for the downtime's end
    (05:30) and goes then, being less than catch_up (1 h) late."""

    def downtime(kind: str, at: str) -> None:
        result = vigie(
            *notify_args(
                type=kind,
                host="db01",
                state="UP",
                since=unix(at),
                output="",
                author="carol",
                comment="disk replacement",
            )
        )
        assert result.returncode == 0, result.stderr

    problem(vigie, "db01", "disk", SUNDAY_3AM)
    assert "paged opening: dave" in cron(vigie, "2026-11-29 03:00:30")
    downtime("DOWNTIMESTART", "2026-11-29 03:05")
    assert "nobody to page" in cron(vigie, "2026-11-29 05:00")
    downtime("DOWNTIMEEND", "2026-11-29 05:30")
    assert "paged 50%: dave (email, sms), alice (email, sms)" in cron(vigie, "2026-11-29 05:31")
    assert [e["comment"].split(":")[0] for e in history(vigie, 1)] == ["opening", "50%"]
