"""What Icinga, a configuration or a plugin can hand ``vigie`` that it must survive.

Names and outputs with control characters, invalid bytes, impossible reference times,
configurations that are not files or are huge: each is refused in one line naming it, or
kept and cleaned where it leaves (a mail header, a terminal line); never a lost event, a
hang, a traceback, or one bad value stopping everything else.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from tests.integration.test_alerts import Inbox, alerting_config, relay  # noqa: F401
from tests.vigie_command import (
    VIGIE,
    Run,
    as_json,
    assert_one_line_error,
    clean_env,
    notify_args,
    write_config,
)

CONTROLS = ["\x1b", "\x07", "\r", "\n", "\x85", "\u2028", "\u2029", "\x9b"]


def notify(vigie: Run, **options: str) -> subprocess.CompletedProcess[str]:
    values = {"type": "PROBLEM", "host": "web01", "state": "CRITICAL", "since": "1795600800"}
    values.update(options)
    return vigie(*notify_args(**values))


def test_names_that_break_mail_headers_never_stop_the_other_alerts(
    tmp_path: Path,
    vigie: Run,
    relay: tuple[int, Inbox],  # noqa: F811
) -> None:
    port, inbox = relay
    alerting_config(tmp_path, port)
    nasty = "http\u2028Bcc: evil@attacker.example\x85x"
    assert notify(vigie, service=nasty).returncode == 0
    raw = "smtp\udc85"  # a raw 0x85 byte in the name, as a non-UTF-8 system passes it
    assert notify(vigie, service=raw).returncode == 0
    assert notify(vigie, host="shop01", service="http").returncode == 0  # another customer
    sent = vigie("send-alerts")
    assert sent.returncode == 0, sent.stderr
    recipients = sorted(r for rcpt, _ in inbox.messages for r in rcpt)
    assert "patron@boulangerie-dupont.example" in recipients
    assert "evil@attacker.example" not in recipients
    for _, mail in inbox.messages:
        for header, value in mail.items():
            assert not any(c in value for c in CONTROLS), (header, value)


def test_a_customer_name_with_a_line_break_is_a_configuration_error(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["customers"]["acme"]["name"] = "ACME\r\nBcc: evil@attacker.example"
    path.write_text(yaml.safe_dump(data))
    result = subprocess.run(
        [VIGIE, "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "customers.acme.name" in result.stderr


@pytest.mark.parametrize("since", ["0.0", "1", "1e-400", "946684799"])
def test_a_reference_time_before_any_contract_is_not_a_1970_ticket(vigie: Run, since: str) -> None:
    """A reference time before 2000 (or before the server's contract) cannot be the hard
    state change of a server under contract: the notification's own time stands in for it,
    and the history says so."""
    result = notify(vigie, service="http", since=since)
    assert result.returncode == 0, result.stderr
    (ticket,) = as_json(vigie("tickets", "--format", "json"))
    assert ticket["level"] == "B" and ticket["deadline_at"] is not None
    assert not ticket["reference_at"].startswith(("1970", "1999"))
    shown = as_json(vigie("show", str(ticket["id"]), "--format", "json"))
    assert any("reference time" in str(entry) for entry in shown["history"]), shown["history"]


def test_terminal_escapes_in_plugin_output_never_reach_the_terminal(vigie: Run) -> None:
    evil = "CRITICAL \x1b[2J\x1b]0;owned\x07 gone\x9b31m"
    assert notify(vigie, service="http", output=evil).returncode == 0
    for args in (("tickets",), ("show", "1")):
        shown = vigie(*args)
        assert shown.returncode == 0, shown.stderr
        assert not any(c in shown.stdout for c in ("\x1b", "\x07", "\x9b")), repr(shown.stdout)
    assert "gone" in vigie("show", "1").stdout


def test_one_invalid_byte_spoils_that_byte_only(vigie: Run) -> None:
    """Valid UTF-8 around one invalid byte: the byte is replaced, the rest kept as written
    (a whole value in Latin-1 is still read as Latin-1: see test_notify)."""
    mixed = "caf\u00e9 \udcff"  # "café " in UTF-8, then the byte 0xff
    assert notify(vigie, service="http", output=mixed).returncode == 0
    entry = as_json(vigie("show", "1", "--format", "json"))["history"][0]
    assert entry["output"] == "caf\u00e9 \ufffd"


def _check_config(path: Path, *, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIGIE, "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=timeout,
        check=False,
    )


def assert_check_config_names(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """check-config lists each problem on its line, then how many: exit 2, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    for word in words:
        assert word in first, first


def test_a_store_path_that_cannot_be_a_file_is_refused_by_check_config_and_notify(
    tmp_path: Path, vigie: Run
) -> None:
    write_config(tmp_path)
    assert notify(vigie, service="first").returncode == 0  # a valid one first: its store
    path = write_config(tmp_path, store={"path": "/"})
    assert_check_config_names(_check_config(path), "store.path")
    kept = notify(vigie, service="second")
    assert_one_line_error(kept, 2, "store.path", "kept in")
    write_config(tmp_path)
    assert "replayed 1" in notify(vigie, service="third").stdout
    keys = [t["key"] for t in as_json(vigie("tickets", "--format", "json"))]
    assert sorted(keys) == ["web01!first", "web01!second", "web01!third"]


def test_a_configuration_that_is_not_a_regular_file_is_refused_without_waiting(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "vigie.yaml"
    os.mkfifo(fifo)
    opened = threading.Event()

    def never_write() -> None:  # a writer that opens the pipe and then says nothing
        with open(fifo, "w"):
            opened.wait(30)

    writer = threading.Thread(target=never_write, daemon=True)
    writer.start()
    try:
        result = _check_config(fifo)
    finally:
        opened.set()
        # If the writer still waits for a reader, be one (without waiting for a writer).
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(10)
    assert_check_config_names(result, "regular file")


def test_a_huge_configuration_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    with path.open("a") as out:
        out.write("# padding\n" * 600_000)  # 6 MB of comments
    assert_check_config_names(_check_config(path), "MB")


def test_nothing_vigie_writes_is_readable_by_every_user(tmp_path: Path, vigie: Run) -> None:
    old = os.umask(0o022)
    try:
        assert notify(vigie, service="http").returncode == 0
        store = tmp_path / "vigie.db"
        store_bytes = store.read_bytes()
        store.write_bytes(b"not a database")  # the next event goes to the spool
        assert "spooled" in notify(vigie, service="smtp").stdout
        store.write_bytes(store_bytes)
    finally:
        os.umask(old)
    written = [p for p in tmp_path.iterdir() if p.name.startswith("vigie.db")]
    assert {p.name for p in written} >= {"vigie.db", "vigie.db.spool"}
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert not mode & stat.S_IRWXO, (path.name, oct(mode))
