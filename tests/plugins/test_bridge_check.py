"""check_vigie_bridge on real stores: what it reports, and that it writes nothing.

Icinga's own run of it (as nagios, a store root took) is in
tests/integration/test_deployment.py; here each state of the bridge it tells apart.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.domain.notification import Event
from bridge.store import spool
from tests.plugins.running import PluginRun, run_command
from tests.servers.polling import free_port
from tests.vigie_command import Run, config_file, notify_args, vigie, write_config

__all__ = ["config_file", "vigie"]  # the command's fixtures

CHECK_BRIDGE = Path(sys.executable).parent / "check_vigie_bridge"
PROBLEM = notify_args(
    type="PROBLEM", host="web01", service="http", state="CRITICAL", since="1795600000"
)


def check(config: Path, *args: str) -> PluginRun:
    return run_command(
        [str(CHECK_BRIDGE), "--config", str(config), *args],
        env={"VIGIE_CACHE_DIR": str(config.parent / "cache")},
    )


def spool_event(store: Path, minutes_ago: float) -> None:
    received = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    event = Event(
        type="PROBLEM",
        host="db01",
        service="disk",
        state="CRITICAL",
        output="",
        since=received,
        received_at=received,
    )
    spool.append(spool.spool_path(store), event)


def test_a_quiet_bridge_is_ok_and_its_store_is_not_created(config_file: Path) -> None:
    run = check(config_file)
    assert run.code == 0, run
    assert run.text == "VIGIE BRIDGE OK - store writable, nothing waiting"
    assert run.perfdata["spooled"][0] == 0 and run.perfdata["acks_failing"][0] == 0
    assert not (config_file.parent / "vigie.db").exists()


def test_alerts_waiting_are_counted_and_failing_ones_warn(config_file: Path, vigie: Run) -> None:
    vigie(*PROBLEM)
    waiting = check(config_file)
    assert waiting.code == 0, waiting
    assert waiting.perfdata["alerts_waiting"][0] >= 1
    assert "alert(s) waiting" in waiting.text

    # The relay refuses: send-alerts keeps them, and the check says so.
    refused = write_config(
        config_file.parent,
        alerts={
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),
            "sender": "n@example.org",
            "sms_gateway": "{number}@sms.example.org",
        },
    )
    vigie("send-alerts")
    failing = check(refused)
    assert failing.code == 1, failing
    assert "alerts failing: " in failing.text
    assert failing.perfdata["alerts_failing"][0] == failing.perfdata["alerts_waiting"][0]


def test_spooled_notifications_warn_then_turn_critical_with_age(config_file: Path) -> None:
    store = config_file.parent / "vigie.db"
    spool_event(store, minutes_ago=1)
    fresh = check(config_file)
    assert fresh.code == 1, fresh
    assert "notifications spooled: 1" in fresh.text
    spool_event(store, minutes_ago=20)
    old = check(config_file)
    assert old.code == 2, old
    assert "oldest spooled notification waiting for" in old.text
    assert old.perfdata["spooled"][0] == 2 and old.perfdata["spool_age"][0] >= 1200
    assert check(config_file, "--spool-age-critical", "1h").code == 1


def test_a_store_that_cannot_be_read_is_critical_in_its_own_words(config_file: Path) -> None:
    (config_file.parent / "vigie.db").write_bytes(b"not a database, " * 512)
    run = check(config_file)
    assert run.code == 2, run
    assert "cannot open the store" in run.text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--spooled-warning", "x"), "invalid range"),
        (("--spool-age-critical", "5q"), "invalid age"),
    ],
)
def test_bad_arguments_are_unknown(config_file: Path, args: tuple[str, ...], words: str) -> None:
    run = check(config_file, *args)
    assert run.code == 3 and words in run.stdout, run


def test_a_broken_configuration_is_one_unknown_line(tmp_path: Path) -> None:
    broken = tmp_path / "vigie.yaml"
    broken.write_text("levels: [\n", encoding="utf-8")
    run = check(broken)
    assert run.code == 3, run
    assert len(run.lines) == 1 and str(broken) in run.first


def test_a_run_killed_before_recording_its_event_counts_as_waiting(config_file: Path) -> None:
    """Its journal entry waits for the next run: the check counts it with the spool's."""
    from bridge.store import journal

    store = config_file.parent / "vigie.db"
    received = datetime.now(UTC) - timedelta(minutes=20)
    event = Event(
        type="PROBLEM",
        host="db01",
        service="disk",
        state="CRITICAL",
        output="",
        since=received,
        received_at=received,
    )
    journal.write(journal.journal_folder(store), event).keep()  # its run died: lock free
    run = check(config_file)
    assert run.code == 2, run
    assert run.perfdata["spooled"][0] == 1 and run.perfdata["spool_age"][0] >= 1200
    assert len(list(journal.journal_folder(store).iterdir())) == 1  # the check changed nothing
