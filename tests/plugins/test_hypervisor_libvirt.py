"""check_vigie_hypervisor --backend libvirt against libvirt's own test driver, really.

``test:///default`` is libvirt's built-in test hypervisor (one running guest, one empty
pool); ``test:///PATH`` loads a node description the tests write, which can hold guests
in any run state (``<test:runstate>``, libvirt's virDomainState numbers), snapshots with
their creation times, and pools whose volumes fill them. The driver runs inside the
client library: no daemon is involved, and the plugin opens it read-only as it would
``qemu:///system``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.hypervisor_libvirt import cpu_percent, creation_time
from tests.plugins.hypervisor_cli import HypervisorRun, check_hypervisor, perfdata

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (vigie[libvirt]) is needed")

# virDomainState
RUNNING, BLOCKED, PAUSED, SHUTOFF, CRASHED, PMSUSPENDED = 1, 2, 3, 5, 6, 7
DAY = 86400


def domain(name: str, state: int = RUNNING, snapshots: tuple[tuple[str, float], ...] = ()) -> str:
    """A test-driver guest in ``state`` with ``snapshots`` (name, creation time)."""
    taken = "".join(
        f"""<test:domainsnapshot>
      <name>{snap}</name><creationTime>{int(made)}</creationTime><state>running</state>
      <active>0</active>
      <domain type='test'><name>{name}</name><memory>1048576</memory><vcpu>1</vcpu>
        <os><type>hvm</type></os></domain>
    </test:domainsnapshot>"""
        for snap, made in snapshots
    )
    return f"""
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>{name}</name><memory>1048576</memory><currentMemory>1048576</currentMemory>
    <vcpu>1</vcpu><os><type>hvm</type></os>
    <test:runstate>{state}</test:runstate>
    {taken}
  </domain>"""


def pool(name: str, used_gib: int) -> str:
    """A 100 GiB directory pool holding one volume of ``used_gib``."""
    volume = (
        f"<volume type='file'><name>disk-{name}.qcow2</name>"
        f"<capacity unit='G'>{used_gib}</capacity><allocation unit='G'>{used_gib}</allocation>"
        "</volume>"
        if used_gib
        else ""
    )
    return f"""
  <pool type='dir'><name>{name}</name><target><path>/{name}</path></target>{volume}</pool>"""


def node(tmp_path: Path, *parts: str) -> str:
    """Write a test-driver node (8 GiB, 4 CPUs) holding ``parts``; its connection URI."""
    path = tmp_path / "node.xml"
    path.write_text(
        "<node>\n  <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads>"
        "<mhz>2000</mhz><model>i686</model></cpu>\n  <memory>8388608</memory>"
        + "".join(parts)
        + "\n</node>\n",
        encoding="utf-8",
    )
    return f"test://{path}"


def libvirt_check(uri: str, *args: str, env: dict[str, str] | None = None) -> HypervisorRun:
    """The check on ``uri`` with ``args``."""
    return check_hypervisor("--backend", "libvirt", "--uri", uri, *args, env=env)


# --- host ---------------------------------------------------------------------------------


def test_host_on_the_default_test_driver() -> None:
    result = libvirt_check("test:///default", "--mode", "host", "--cpu-sample", "0.1")
    assert result.code == 0, result
    # The test driver keeps no node memory statistics and fixed CPU counters: the memory
    # its running guest was given (2 of 3 GiB) stands in, and the CPU is said unmeasured.
    assert result.text.endswith(
        ": CPU not measured (its counters did not move), memory assigned to running guests "
        "66.7% (2.0 GiB of 3.0 GiB)"
    ), result.text
    perf = perfdata(result)
    assert perf["memory"] == (66.67, "%", ["90", "95", "0", "100"])
    assert perf["memory_used"][:2] == (2 * 1024**3, "B")
    assert "cpu" not in perf


def test_host_memory_threshold(tmp_path: Path) -> None:
    uri = node(tmp_path, *(domain(f"vm{i}") for i in range(7)), domain("off", SHUTOFF))
    result = libvirt_check(uri, "--mode", "host", "--cpu-sample", "0.1", "-w", "80", "-c", "90")
    assert result.code == 1, result
    assert result.text.startswith(
        "HYPERVISOR WARNING - memory assigned to running guests 87.5% is above the warning "
        "threshold of 80%;"
    ), result.text


# --- storage --------------------------------------------------------------------------------


def test_pools_near_full(tmp_path: Path) -> None:
    uri = node(tmp_path, pool("images", 95), pool("iso", 10), pool("backup", 0))
    result = libvirt_check(uri, "--mode", "storage")
    assert result.code == 1, result
    assert result.text == (
        "HYPERVISOR WARNING - pool images 95.0% is above the warning threshold of 85%; "
        "3 storage pools, fullest images 95.0% (95.0 GiB of 100.0 GiB)"
    )
    perf = perfdata(result)
    assert perf["images_usage"] == (95.0, "%", ["85", "95", "0", "100"])
    assert perf["images_used"] == (95 * 1024**3, "B", ["", "", "0", str(100 * 1024**3)])
    assert perf["backup_usage"][0] == 0
    critical = libvirt_check(uri, "--mode", "storage", "-c", "90")
    assert critical.code == 2
    assert critical.text.startswith("HYPERVISOR CRITICAL - pool images 95.0% is above the critical")
    ignored = libvirt_check(uri, "--mode", "storage", "--ignore", "images")
    assert ignored.code == 0 and "images" not in ignored.first
    only = libvirt_check(uri, "--mode", "storage", "--include", "iso")
    assert (only.code, only.text) == (
        0,
        "HYPERVISOR OK - 1 storage pool, fullest iso 10.0% (10.0 GiB of 100.0 GiB)",
    )


# --- guests ---------------------------------------------------------------------------------


def test_default_guest_is_running() -> None:
    result = libvirt_check("test:///default", "--mode", "guests", "--expect-running", "test")
    assert (result.code, result.text) == (0, "HYPERVISOR OK - 1 guest: 1 running")
    assert perfdata(result)["running"] == (1, "", ["", "", "0"])


def test_every_guest_state_judged(tmp_path: Path) -> None:
    uri = node(
        tmp_path,
        domain("web01"),
        domain("db01", CRASHED),
        domain("app01", PAUSED),
        domain("batch01", PMSUSPENDED),
        domain("io01", BLOCKED),
        domain("old01", SHUTOFF),
        domain("spare01", SHUTOFF),
    )
    result = libvirt_check(uri, "--mode", "guests", "-v")
    assert result.code == 2, result
    assert result.text == (
        "HYPERVISOR CRITICAL - guest db01 has crashed; guest app01 is paused; "
        "guest batch01 is suspended; guest io01 is blocked; 7 guests: 1 running, 1 paused, "
        "1 suspended, 1 blocked, 1 crashed, 2 shut off (old01, spare01)"
    )
    # -v: each problem on its own line, worst first.
    assert result.lines[1:] == [
        "critical: guest db01 has crashed",
        "warning: guest app01 is paused",
        "warning: guest batch01 is suspended",
        "warning: guest io01 is blocked",
    ]
    perf = perfdata(result)
    counts = {state: perf[state][0] for state in ("running", "paused", "crashed", "shutoff")}
    assert counts == {"running": 1, "paused": 1, "crashed": 1, "shutoff": 2}


def test_expected_running_and_ignored_guests(tmp_path: Path) -> None:
    uri = node(tmp_path, domain("web01"), domain("db01", CRASHED), domain("old01", SHUTOFF))
    result = libvirt_check(
        uri, "--mode", "guests", "--ignore", "db01", "--expect-running", "web01,old01",
        "--expect-running", "mail01",
    )  # fmt: skip
    assert result.code == 2, result
    assert result.text == (
        "HYPERVISOR CRITICAL - guest old01 is shutoff, expected running; guest mail01 expected "
        "running but not found; 2 guests: 1 running, 1 shut off (old01)"
    )
    fine = libvirt_check(uri, "--mode", "guests", "--ignore", "db01")
    assert (fine.code, fine.text) == (0, "HYPERVISOR OK - 2 guests: 1 running, 1 shut off (old01)")


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_age_and_count(tmp_path: Path) -> None:
    now = time.time()
    uri = node(
        tmp_path,
        domain("web01", snapshots=(("before-upgrade", now - 40 * DAY), ("nightly", now - DAY))),
        domain("db01", snapshots=(("pre-migration", now - 3 * DAY),)),
        domain("dns01"),
    )
    result = libvirt_check(uri, "--mode", "snapshots")
    assert result.code == 2, result
    assert result.text.startswith(
        "HYPERVISOR CRITICAL - snapshot 'before-upgrade' of guest web01 is 40 d 0 h old, "
        "more than 30 d 0 h (critical); 3 snapshots on 2 of 3 guests, oldest 40 d 0 h "
        "(web01: before-upgrade)"
    ), result.text
    perf = perfdata(result)
    assert perf["web01_snapshots"][0] == 2 and perf["dns01_snapshots"][0] == 0
    assert abs(perf["db01_snapshot_age"][0] - 3 * DAY) < 120
    assert perf["db01_snapshot_age"][2][:2] == ["604800", "2592000"]
    by_count = libvirt_check(
        uri, "--mode", "snapshots", "-w", "60d", "-c", "90d", "--count-warning", "1"
    )
    assert (by_count.code, by_count.text.split(";")[0]) == (
        1,
        "HYPERVISOR WARNING - guest web01 has 2 snapshots, outside the warning range 1",
    )
    young = libvirt_check(
        uri, "--mode", "snapshots", "-w", "2h", "-c", "@0:1d", "--ignore", "web01"
    )
    assert young.code == 1, young
    assert "is 3 d 0 h old, more than 2 h 0 min (warning)" in young.text


# --- what goes wrong ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["host", "storage", "guests", "snapshots"])
def test_a_hypervisor_that_cannot_be_reached_is_critical(tmp_path: Path, mode: str) -> None:
    result = libvirt_check(f"test://{tmp_path}/absent.xml", "--mode", mode)
    assert result.code == 2, result
    assert result.text.startswith(f"HYPERVISOR CRITICAL - cannot connect to test://{tmp_path}/")


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for sock in held:
        sock.close()
    server.close()


def test_a_hypervisor_that_never_answers_ends_at_the_deadline(silent_listener: int) -> None:
    started = time.monotonic()
    result = libvirt_check(
        f"qemu+tcp://127.0.0.1:{silent_listener}/system", "--mode", "guests", "-t", "1.5"
    )
    took = time.monotonic() - started
    # libvirt's C code holds the main thread: the watchdog ends the run, with one line.
    assert result.code == 3, result
    assert result.text == (
        "HYPERVISOR UNKNOWN - plugin timeout: no result after 1.5 s (-t), still connecting "
        f"to qemu+tcp://127.0.0.1:{silent_listener}/system"
    )
    assert took < 10, took  # the listener never answers


def test_without_libvirt_python_the_check_says_how_to_install_it(tmp_path: Path) -> None:
    # A module that fails to import shadows the installed one, as if it were absent.
    (tmp_path / "libvirt.py").write_text("raise ImportError(\"No module named 'libvirt'\")\n")
    result = libvirt_check("test:///default", "--mode", "guests", env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 3, result
    assert result.text == (
        "HYPERVISOR UNKNOWN - libvirt-python is not installed: pip install 'vigie[libvirt]' "
        "(on Debian it builds with: apt-get install libvirt-dev pkg-config gcc python3-dev)"
    )


@pytest.mark.parametrize("mode", ["cluster", "backups"])
def test_proxmox_only_modes_are_refused(mode: str) -> None:
    result = libvirt_check("test:///default", "--mode", mode)
    assert result.code == 3
    assert (
        result.text == f"HYPERVISOR UNKNOWN - bad arguments: --mode {mode} needs --backend proxmox"
    )


# --- the parts --------------------------------------------------------------------------------


def counters(user: int, kernel: int, idle: int, iowait: int) -> dict[str, int]:
    """Node CPU counters as virNodeGetCPUStats returns them (nanoseconds)."""
    return {"user": user, "kernel": kernel, "idle": idle, "iowait": iowait}


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (counters(0, 0, 0, 0), counters(30, 20, 50, 0), 50.0),
        (counters(10, 0, 0, 0), counters(10, 0, 90, 10), 0.0),
        (counters(5, 5, 5, 5), counters(5, 5, 5, 5), None),
    ],
)
def test_cpu_percent_from_two_samples(
    first: dict[str, int], second: dict[str, int], expected: float | None
) -> None:
    assert cpu_percent(first, second) == expected


def test_creation_time_of_a_snapshot_description() -> None:
    xml = "<domainsnapshot><name>a</name><creationTime>1700000000</creationTime></domainsnapshot>"
    assert creation_time(xml) == 1700000000.0
    assert creation_time("<domainsnapshot><name>a</name></domainsnapshot>") == 0.0
