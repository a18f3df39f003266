"""The store stays its owner's, and nothing waits in the spool unseen.

A command that writes the store, run by a user who must not write it (root over a store
``nagios`` owns, or a user without write access), is refused naming the user to run as;
one that may write records the spool first; one that only reads says that notifications
wait. Refusals show times as every output does: the provider's local time, to the second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vigie_command import (
    VIGIE,
    Run,
    assert_one_line_error,
    notify_args,
    write_config,
)

PROBLEM = notify_args(
    type="PROBLEM", host="web01", service="http", state="CRITICAL", since="1795600000"
)


@pytest.fixture
def nagios_folder() -> Iterator[Path]:
    """A folder owned by Icinga's user (nagios), reachable by it, for a store it owns."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as nagios")
    try:
        import pwd

        nagios = pwd.getpwnam("nagios")
    except KeyError:
        pytest.skip("no nagios user (Debian's icinga2 creates it)")
    folder = Path(tempfile.mkdtemp(prefix="vigie-owner-"))
    folder.chmod(0o755)
    os.chown(folder, nagios.pw_uid, nagios.pw_gid)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def as_user(user: str | None, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``vigie --config CONFIG ARGS`` as ``user`` (None: root), HOME unset as under Icinga."""
    prefix = [] if user is None else ["runuser", "-u", user, "--"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    env["VIGIE_CACHE_DIR"] = str(config.parent)
    return subprocess.run(
        [
            *prefix,
            "env",
            *(f"{k}={v}" for k, v in env.items()),
            VIGIE,
            "--config",
            str(config),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_root_is_refused_a_store_nagios_owns_and_told_whom_to_run_as(nagios_folder: Path) -> None:
    config = write_config(nagios_folder)
    os.chown(config, 0, 0)
    config.chmod(0o644)
    opened = as_user("nagios", config, "open", "--customer", "acme", "--subject", "disk")
    assert opened.returncode == 0, opened.stderr
    refused = as_user(None, config, "take", "1", "--by", "alice")
    assert_one_line_error(refused, 2, "belongs to nagios", "runuser -u nagios --")
    assert "take 1 --by alice" in refused.stderr
    # Nothing root-owned was left beside the store.
    assert {p.stat().st_uid for p in nagios_folder.iterdir() if p.name.startswith("vigie.db")} == {
        os.stat(nagios_folder).st_uid
    }
    # Reading is fine for root.
    assert as_user(None, config, "tickets").returncode == 0


def test_a_spooled_notification_is_recorded_by_the_next_staff_command(
    nagios_folder: Path,
) -> None:
    config = write_config(nagios_folder)
    os.chown(config, 0, 0)
    config.chmod(0o644)
    store = nagios_folder / "vigie.db"
    assert as_user("nagios", config, "open", "--customer", "acme", "--subject", "a").returncode == 0
    os.chown(store, 0, 0)  # root took the store: nagios can only spool
    spooled = as_user("nagios", config, *PROBLEM)
    assert spooled.returncode == 0 and "spooled" in spooled.stdout, spooled.stderr
    shown = as_user("nagios", config, "tickets")
    assert "notifications wait in the spool" in shown.stderr
    refused = as_user("nagios", config, "take", "1", "--by", "alice")
    assert_one_line_error(refused, 2, "belongs to root and nagios cannot write it")

    os.chown(store, os.stat(nagios_folder).st_uid, os.stat(nagios_folder).st_gid)
    took = as_user("nagios", config, "take", "1", "--by", "alice")
    assert took.returncode == 0, took.stderr
    assert "recorded 1 spooled notification(s) first" in took.stderr
    listed = as_user("nagios", config, "tickets")
    assert "web01!http" in listed.stdout and "spool" not in listed.stderr


def test_refusals_show_local_times_to_the_second(vigie: Run) -> None:
    vigie("open", "--customer", "acme", "--subject", "x", "--at", "2026-11-23T10:00:00")
    vigie("take", "1", "--by", "alice", "--at", "2026-11-23T11:00:00.123456")
    again = vigie("take", "1", "--by", "bob")
    assert_one_line_error(again, 1, "at 2026-11-23T11:00:00+01:00 (R4)")
    early = vigie("close", "1", "--debrief", "x", "--at", "2026-11-23T09:00:00")
    assert_one_line_error(
        early, 2, "--at 2026-11-23T09:00:00+01:00 is before", "2026-11-23T10:00:00+01:00"
    )


def test_sync_icinga_reports_given_up_and_failing(vigie: Run, config_file: Path) -> None:
    """No icinga: section: nothing to retry, and the summary says so."""
    done = vigie("sync-icinga")
    assert done.returncode == 0, done.stderr
    assert "0 acknowledgement(s) retried, 0 still failing, 0 given up" in done.stdout
