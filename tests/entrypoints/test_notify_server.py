"""``vigie notify-server``: notify hands its calls to a running server, which records them as
the launcher would; whenever the server does not answer for a call, the launcher records it
itself, and nothing is lost or recorded twice (issue 9: one notify under 40 ms)."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bridge.entrypoints.notify_server import respond
from tests.servers.notify_server import NotifyServer
from tests.servers.polling import wait_for
from tests.servers.postgres import Cluster
from tests.vigie_command import VIGIE, clean_env, notify_args, write_config

PROBLEM = {"type": "PROBLEM", "host": "web01", "state": "CRITICAL", "since": "1795600800"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NotifyServer]:
    running = NotifyServer(write_config(tmp_path), tmp_path / "notify.sock")
    yield running
    running.stop()


def notify(
    config: Path, sock: Path | str, service: str, **changes: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            VIGIE,
            "--config",
            str(config),
            *notify_args(**{**PROBLEM, "service": service, **changes}),
        ],
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(config.parent / "cache"), VIGIE_NOTIFY_SOCKET=str(sock)),
        timeout=60,
        check=False,
    )


def tickets(store: Path) -> list[tuple[str, int]]:
    """(key, events recorded) of every ticket; none in a store not made yet."""
    if not store.exists():
        return []
    db = sqlite3.connect(store)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tickets'").fetchone():
            return []
        return db.execute(
            "SELECT t.key, (SELECT count(*) FROM events e WHERE e.ticket_id = t.id)"
            " FROM tickets t ORDER BY t.key"
        ).fetchall()
    finally:
        db.close()


def test_the_server_records_a_call_as_the_launcher_would(server: NotifyServer) -> None:
    """The same line, the same ticket; the same event recorded once whichever records it
    (R2 reference time from --since, the identity built from the call)."""
    served = notify(server.config, server.socket, "http")
    assert served.returncode == 0, served.stderr
    assert served.stdout.startswith("opened ticket 1 for web01!http (acme, level B, deadline ")
    here = notify(server.config, "", "smtp")  # no socket: the launcher records it itself
    assert here.stdout.startswith("opened ticket 2 for web01!smtp (acme, level B, deadline ")
    again = notify(server.config, "", "http")
    assert (
        again.stdout.strip()
        == "PROBLEM for web01!http already recorded (ticket 1): nothing changed"
    )
    assert tickets(server.config.parent / "vigie.db") == [("web01!http", 1), ("web01!smtp", 1)]
    assert "stopped after 1 call(s)" in server.stop()


def test_the_server_reads_a_changed_configuration(server: NotifyServer) -> None:
    """R3: the deadline follows the level vigie.yaml gives now, not when the server started."""
    first = notify(server.config, server.socket, "http")
    assert "level B" in first.stdout, first.stderr
    data = yaml.safe_load(server.config.read_text(encoding="utf-8"))
    data["customers"]["acme"]["servers"]["web01"]["level"] = "C"
    server.config.write_text(yaml.safe_dump(data), encoding="utf-8")
    second = notify(server.config, server.socket, "smtp")
    assert "level C" in second.stdout, second.stderr
    assert "stopped after 2 call(s)" in server.stop()


def test_bad_input_is_refused_by_the_server_in_one_line(server: NotifyServer) -> None:
    result = notify(server.config, server.socket, "http", state="BOGUS")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("vigie: --state: 'BOGUS' is not a state")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert tickets(server.config.parent / "vigie.db") == []


def test_a_call_for_another_configuration_is_recorded_by_the_launcher(
    server: NotifyServer, tmp_path: Path
) -> None:
    """The server only writes its own store; a call for another is declined, recorded here."""
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = write_config(other_folder)
    result = notify(other, server.socket, "http")
    assert result.returncode == 0, result.stderr
    assert tickets(other_folder / "vigie.db") == [("web01!http", 1)]
    assert tickets(tmp_path / "vigie.db") == []
    assert "stopped after 0 call(s)" in server.stop()


def test_a_peer_of_another_user_is_declined() -> None:
    reply, served = respond(
        ["", "1795600800000000", "type=PROBLEM"], os.getuid() + 4242, Path("/x")
    )
    assert (reply[0], served) == ("declined", False)
    assert "uid" in reply[1]


def test_the_socket_is_this_users_only_and_removed_on_stop(server: NotifyServer) -> None:
    mode = stat.S_IMODE(server.socket.stat().st_mode)
    assert mode == 0o600, oct(mode)
    server.stop()
    assert not server.socket.exists()


def test_a_live_server_is_not_replaced_nor_a_file_that_is_not_a_socket(
    server: NotifyServer, tmp_path: Path
) -> None:
    second = subprocess.run(
        [VIGIE, "--config", str(server.config), "notify-server", "--socket", str(server.socket)],
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
        timeout=60,
        check=False,
    )
    assert second.returncode == 2
    assert f"another notify server listens on {server.socket}" in second.stderr
    plain = tmp_path / "plain"
    plain.write_text("keep me")
    third = subprocess.run(
        [VIGIE, "--config", str(server.config), "notify-server", "--socket", str(plain)],
        capture_output=True,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
        timeout=60,
        check=False,
    )
    assert third.returncode == 2 and "is not a socket" in third.stderr
    assert plain.read_text() == "keep me"


def test_a_stale_socket_is_replaced(tmp_path: Path) -> None:
    """A server killed with -9 leaves its socket; the next one takes the path over."""
    config = write_config(tmp_path)
    first = NotifyServer(config, tmp_path / "notify.sock")
    first.process.kill()
    first.process.communicate(timeout=30)
    assert first.socket.exists()
    here = notify(config, first.socket, "http")  # nobody listens: recorded by the launcher
    assert here.returncode == 0 and here.stdout.startswith("opened ticket 1")
    second = NotifyServer(config, tmp_path / "notify.sock")
    try:
        served = notify(config, second.socket, "smtp")
        assert served.returncode == 0 and served.stdout.startswith("opened ticket 2")
    finally:
        assert "stopped after 1 call(s)" in second.stop()


def test_a_server_that_hangs_up_without_answering_leaves_the_call_to_the_launcher(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    sock = tmp_path / "mute.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock))
    listener.listen(1)
    try:
        caller = subprocess.Popen(
            [VIGIE, "--config", str(config), *notify_args(**PROBLEM, service="http")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"), VIGIE_NOTIFY_SOCKET=str(sock)),
        )
        listener.settimeout(30)
        connection, _ = listener.accept()
        connection.close()  # read nothing, answer nothing
        out, err = caller.communicate(timeout=60)
    finally:
        listener.close()
    assert caller.returncode == 0, err
    assert out.startswith("opened ticket 1 for web01!http")


@pytest.mark.slow
def test_a_server_killed_in_a_storm_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    """120 calls at once, the server killed with -9 in the middle: every call is recorded
    exactly once, by the server or by its launcher."""
    config = write_config(tmp_path)
    server = NotifyServer(config, tmp_path / "notify.sock")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path / "cache"), VIGIE_NOTIFY_SOCKET=str(server.socket))
    callers = [
        subprocess.Popen(
            [VIGIE, "--config", str(config), *notify_args(**PROBLEM, service=f"svc{n:03d}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(120)
    ]
    wait_for(
        "some calls recorded",
        lambda: (
            True if (tmp_path / "vigie.db").exists() and tickets(tmp_path / "vigie.db") else None
        ),
        60,
        0.01,
    )
    server.process.kill()
    server.process.communicate(timeout=30)
    codes = [caller.wait(timeout=120) for caller in callers]
    assert codes == [0] * 120
    assert tickets(tmp_path / "vigie.db") == [(f"web01!svc{n:03d}", 1) for n in range(120)]


@pytest.mark.postgres
def test_a_server_on_the_postgresql_store_records_spools_and_replays(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    """An HA master's server keeps psycopg loaded; with PostgreSQL down its call is
    spooled exactly as the launcher's would be, and recorded once the database is back."""
    url = pg_cluster.fresh_database()
    config = write_config(tmp_path, store={"url": url, "spool": str(tmp_path / "vigie.spool")})
    server = NotifyServer(config, tmp_path / "notify.sock")
    try:
        served = notify(config, server.socket, "http")
        assert served.stdout.startswith("opened ticket 1 for web01!http"), served.stderr
        pg_cluster.stop("fast")
        try:
            down = notify(config, server.socket, "smtp")
            assert down.returncode == 0, down.stderr
            assert down.stdout.startswith("spooled PROBLEM for web01!smtp"), down.stdout
        finally:
            pg_cluster.start()
        back = notify(config, server.socket, "disk")
        assert "replayed 1 spooled notification(s)" in back.stdout, back.stdout
        assert "opened ticket 3 for web01!disk" in back.stdout
    finally:
        assert "stopped after 3 call(s)" in server.stop()
