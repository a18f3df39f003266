"""check_vigie_hypervisor --backend proxmox against the fake Proxmox VE API (servers/pve_api).

Every mode, then what goes wrong around it: a refused token, a node down, a lost quorum,
HA errors, an untrusted certificate, a server that answers too slowly for -t.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.hypervisor_cli import HypervisorRun, check_hypervisor, perfdata
from tests.servers.pve_api import (
    DAY,
    TOKEN_ID,
    TOKEN_SECRET,
    FakePve,
    self_signed_certificate,
)

SECRET_ENV = {"VIGIE_PVE_TOKEN_SECRET": TOKEN_SECRET}


class Certificates:
    """The fake API's certificate (``valid``), which is also the CA to trust (``ca``)."""

    def __init__(self, cert: tuple[Path, Path]) -> None:
        self.valid = cert
        self.ca = cert[0]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A certificate for 127.0.0.1, made once for this module."""
    return Certificates(self_signed_certificate(tmp_path_factory.mktemp("pve-pki")))


@pytest.fixture
def pve(certs: Certificates) -> Iterator[FakePve]:
    """The fake API, fresh for each test (its answers are changed in place)."""
    server = FakePve(certs.valid).start()
    yield server
    server.stop()


def run(
    pve: FakePve, certs: Certificates, *args: str, env: dict[str, str] | None = None
) -> HypervisorRun:
    """The check against the fake, its CA trusted, the secret in the environment."""
    base = ["--backend", "proxmox", "--url", pve.url, "--token-id", TOKEN_ID]
    base += ["--ca-file", str(certs.ca)]
    return check_hypervisor(*base, *args, env=SECRET_ENV if env is None else env)


# --- host ---------------------------------------------------------------------------------


def test_host_reports_cpu_and_memory_of_the_node_from_one_call(
    pve: FakePve, certs: Certificates
) -> None:
    result = run(pve, certs, "--mode", "host", "--node", "pve1")
    assert result.code == 0, result
    assert result.text == (
        "HYPERVISOR OK - pve1: CPU 12.3%, memory used 37.5% (24.0 GiB of 64.0 GiB)"
    )
    perf = perfdata(result)
    assert perf["cpu"] == (12.34, "%", ["90", "95", "0", "100"])
    assert perf["memory"][:2] == (37.5, "%")
    assert perf["memory_used"][:2] == (24 * 1024**3, "B")
    assert perf["memory_total"][:2] == (64 * 1024**3, "B")
    assert [path for path, _ in pve.seen] == ["/api2/json/cluster/resources?type=node"]
    assert pve.seen[0][1] == f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"


def test_host_thresholds_in_percent(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "host", "--node", "pve1", "-w", "12", "-c", "37")
    assert result.code == 2, result
    assert result.text.startswith(
        "HYPERVISOR CRITICAL - memory used 37.5% is above the critical threshold of 37%; "
        "CPU 12.3% is above the warning threshold of 12%; pve1: CPU"
    ), result.text


def test_a_node_down_is_critical(pve: FakePve, certs: Certificates) -> None:
    node = pve.resources("node")[1]
    node.update(status="offline")
    for key in ("cpu", "mem", "uptime"):
        node.pop(key)
    result = run(pve, certs, "--mode", "host", "--node", "pve2")
    assert (result.code, result.text) == (2, "HYPERVISOR CRITICAL - node pve2 is offline")


def test_a_node_not_in_the_cluster_is_critical(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "host", "--node", "pve9")
    assert result.code == 2
    assert "node 'pve9' is not a member of this Proxmox VE cluster" in result.text


# --- storage --------------------------------------------------------------------------------


def test_storage_usage_per_pool_of_a_node(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "storage", "--node", "pve1")
    assert result.code == 1, result
    assert result.text.startswith(
        "HYPERVISOR WARNING - pool local-lvm 90.0% is above the warning threshold of 85%; "
        "3 storage pools, fullest local-lvm 90.0% (90.0 GiB of 100.0 GiB)"
    ), result.text
    perf = perfdata(result)
    assert perf["local-lvm_usage"] == (90.0, "%", ["85", "95", "0", "100"])
    assert perf["local-lvm_used"][:2] == (90 * 1024**3, "B")
    assert perf["nfs-backup_total"][:2] == (2000 * 1024**3, "B")
    assert len(pve.seen) == 1


def test_storage_include_ignore_and_every_node(pve: FakePve, certs: Certificates) -> None:
    ignored = run(pve, certs, "--mode", "storage", "--node", "pve1", "--ignore", "local-lvm")
    assert ignored.code == 0, ignored
    assert "local-lvm" not in ignored.first
    missing = run(pve, certs, "--mode", "storage", "--include", "nope", "--include", "pve1/local")
    assert (missing.code, missing.text) == (2, "HYPERVISOR CRITICAL - no storage pool named nope")
    everywhere = run(pve, certs, "--mode", "storage", "-w", "95")
    assert everywhere.code == 0, everywhere
    # Per-node storages carry their node; a shared one is counted once.
    assert set(perfdata(everywhere)) >= {"pve1/local_usage", "pve2/local_usage"}
    assert [label for label in perfdata(everywhere) if "nfs-backup" in label] == [
        "nfs-backup_usage",
        "nfs-backup_used",
        "nfs-backup_total",
    ]


def test_an_unavailable_storage_is_critical(pve: FakePve, certs: Certificates) -> None:
    pve.resources("storage")[1].update(status="unknown", disk=0, maxdisk=0)
    result = run(pve, certs, "--mode", "storage", "--node", "pve1")
    assert result.code == 2, result
    assert result.text.startswith("HYPERVISOR CRITICAL - pool local-lvm is unavailable; 3 storage")
    assert "local-lvm_usage" not in perfdata(result)


# --- guests ---------------------------------------------------------------------------------


def test_guests_running_and_shut_off(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "guests")
    assert result.code == 0, result
    assert result.text == "HYPERVISOR OK - 4 guests: 3 running, 1 shut off (test01)"
    perf = perfdata(result)
    assert perf["running"][0] == 3 and perf["shutoff"][0] == 1 and perf["paused"][0] == 0
    assert [path for path, _ in pve.seen] == ["/api2/json/cluster/resources?type=vm"]


def test_guest_states_judged(pve: FakePve, certs: Certificates) -> None:
    pve.guest(101)["status"] = "paused"
    pve.guest(102)["status"] = "internal-error"
    result = run(pve, certs, "--mode", "guests", "--expect-running", "web01,test01")
    assert result.code == 2, result
    assert result.text.startswith(
        "HYPERVISOR CRITICAL - guest dns01 has crashed; guest test01 is shutoff, expected "
        "running; guest db01 is paused; 4 guests: 1 running, 1 paused, 1 crashed"
    ), result.text
    # By VMID too, and only the guests of one node.
    quiet = run(pve, certs, "--mode", "guests", "--node", "pve1", "--ignore", "101")
    assert (quiet.code, quiet.text) == (0, "HYPERVISOR OK - 1 guest: 1 running")


def test_an_ha_resource_in_error_makes_its_guest_crashed(pve: FakePve, certs: Certificates) -> None:
    pve.guest(100)["hastate"] = "error"
    result = run(pve, certs, "--mode", "guests", "--expect-running", "missing01")
    assert result.code == 2
    assert "guest web01 has crashed" in result.text
    assert "guest missing01 expected running but not found" in result.text


def test_a_hibernated_guest_is_suspended(pve: FakePve, certs: Certificates) -> None:
    pve.guest(103)["lock"] = "suspended"
    result = run(pve, certs, "--mode", "guests")
    assert result.code == 1
    assert result.text.startswith("HYPERVISOR WARNING - guest test01 is suspended;")


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_age_and_count(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "snapshots")
    assert result.code == 1, result
    assert result.text.startswith(
        "HYPERVISOR WARNING - snapshot 'before-upgrade' of guest web01 is 10 d 0 h old, "
        "more than 7 d 0 h (warning); 1 snapshot on 1 of 4 guests"
    ), result.text
    perf = perfdata(result)
    age, unit, fields = perf["web01_snapshot_age"]
    assert unit == "s" and abs(age - 10 * DAY) < 120
    assert fields[:2] == ["604800", "2592000"]
    # The "current" pseudo-snapshot is not counted.
    assert perf["db01_snapshots"][0] == 0 and perf["web01_snapshots"][0] == 1
    counted = run(pve, certs, "--mode", "snapshots", "-w", "30d", "--count-critical", "0")
    assert counted.code == 2
    assert counted.text.startswith("HYPERVISOR CRITICAL - guest web01 has 1 snapshots, outside")


# --- cluster --------------------------------------------------------------------------------


def test_cluster_quorate_with_its_nodes(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "cluster")
    assert result.code == 0, result
    assert result.text == (
        "HYPERVISOR OK - cluster prod quorate, 2 of 2 nodes online, 1 HA resources, none in error"
    )
    perf = perfdata(result)
    assert perf["nodes_offline"] == (0, "", ["0", "", "0", "2"])
    assert perf["nodes_online"][0] == 2 and perf["ha_error"][0] == 0


def test_a_lost_quorum_and_ha_errors(pve: FakePve, certs: Certificates) -> None:
    status = pve.answers["/cluster/status"]
    status[0]["quorate"] = 0
    status[2]["online"] = 0
    ha = pve.answers["/cluster/ha/status/current"]
    ha[0]["quorate"] = 0
    ha[-1]["state"] = "error"
    result = run(pve, certs, "--mode", "cluster")
    assert result.code == 2, result
    assert result.text.startswith(
        "HYPERVISOR CRITICAL - the cluster has lost its quorum; HA resource vm:100 is in "
        "error; 1 node(s) offline: pve2 (outside the warning range 0); cluster prod NOT "
        "quorate, 1 of 2 nodes online"
    ), result.text


def test_a_standalone_node_has_no_quorum_to_lose(pve: FakePve, certs: Certificates) -> None:
    pve.answers["/cluster/status"] = [
        {"type": "node", "id": "node/pve1", "name": "pve1", "nodeid": 0, "ip": "192.0.2.11",
         "local": 1, "online": 1, "level": ""},
    ]  # fmt: skip
    pve.answers["/cluster/ha/status/current"] = [
        {"id": "quorum", "type": "quorum", "node": "pve1", "status": "OK", "quorate": 1},
    ]
    result = run(pve, certs, "--mode", "cluster")
    assert (result.code, result.text) == (
        0,
        "HYPERVISOR OK - standalone (no cluster), 1 of 1 nodes online, no HA",
    )


# --- backups --------------------------------------------------------------------------------


def test_backup_age_per_guest(pve: FakePve, certs: Certificates) -> None:
    result = run(pve, certs, "--mode", "backups")
    assert result.code == 2, result
    assert result.text.startswith(
        "HYPERVISOR CRITICAL - guest test01 has no backup; last backup of guest dns01 is "
        "2 d 0 h old, more than 1 d 12 h (warning); 3 of 4 guests backed up"
    ), result.text
    perf = perfdata(result)
    # web01's newest archive is on the shared storage (2 h), not the local one (30 d).
    assert abs(perf["web01_backup_age"][0] - 7200) < 120
    assert perf["web01_backup_age"][2][:2] == ["129600", "259200"]
    assert "test01_backup_age" not in perf
    # The shared storage is read once, not once per node.
    listed = [path for path, _ in pve.seen if "content=backup" in path]
    assert sorted(listed) == [
        "/api2/json/nodes/pve1/storage/local/content?content=backup",
        "/api2/json/nodes/pve1/storage/nfs-backup/content?content=backup",
        "/api2/json/nodes/pve2/storage/local/content?content=backup",
    ]
    fine = run(pve, certs, "--mode", "backups", "--ignore", "test01", "-w", "3d", "-c", "1w")
    assert fine.code == 0, fine


# --- authentication, TLS, the deadline ------------------------------------------------------


def test_a_refused_token_is_unknown(pve: FakePve, certs: Certificates, tmp_path: Path) -> None:
    result = run(pve, certs, "--mode", "guests", env={"VIGIE_PVE_TOKEN_SECRET": "wrong"})
    assert result.code == 3, result
    assert result.text.startswith(
        "HYPERVISOR UNKNOWN - the Proxmox VE API refused the token: 401 authentication failure"
    )
    secret = tmp_path / "pve-secret"
    secret.write_text(TOKEN_SECRET + "\n")
    from_file = run(pve, certs, "--mode", "guests", "--token-file", str(secret), env={})
    assert from_file.code == 0, from_file
    none = run(pve, certs, "--mode", "guests", env={})
    assert none.code == 3
    assert none.text == (
        "HYPERVISOR UNKNOWN - no API token secret: set VIGIE_PVE_TOKEN_SECRET or give --token-file"
    )


def test_the_certificate_is_verified_by_default(pve: FakePve, certs: Certificates) -> None:
    base = ["--backend", "proxmox", "--url", pve.url, "--token-id", TOKEN_ID, "--mode", "guests"]
    untrusted = check_hypervisor(*base, env=SECRET_ENV)
    assert untrusted.code == 2, untrusted
    assert "TLS certificate of 127.0.0.1 not accepted" in untrusted.text
    insecure = check_hypervisor(*base, "--insecure", env=SECRET_ENV)
    assert insecure.code == 0, insecure


def test_a_slow_api_is_answered_within_the_timeout(pve: FakePve, certs: Certificates) -> None:
    pve.delay = 20.0
    started = time.monotonic()
    result = run(pve, certs, "--mode", "guests", "-t", "2")
    took = time.monotonic() - started
    assert result.code == 2, result
    assert result.text.startswith("HYPERVISOR CRITICAL - Proxmox VE API: network timeout after")
    assert "waiting for the answer to GET /cluster/resources?type=vm" in result.text
    assert took < 10, took  # the fake would have answered after 20 s


def test_nobody_listening_is_critical(certs: Certificates) -> None:
    server = FakePve(certs.valid)
    url = server.url
    server.server_close()  # the port is free again: nothing answers there
    result = check_hypervisor(
        "--backend", "proxmox", "--url", url, "--token-id", TOKEN_ID, "--mode", "host",
        "--node", "pve1", env=SECRET_ENV,
    )  # fmt: skip
    assert result.code == 2, result
    assert "connection refused by 127.0.0.1 port" in result.text


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--url", "http://pve1:8006"], "--url must start with https://"),
        (["--url", "https://pve1:99999"], "--url has an invalid port"),
        (["--token-id", "icinga"], "--token-id must read USER@REALM!TOKENID"),
        (["--mode", "host", "-w", "abc"], "argument --warning: invalid range 'abc'"),
        (["--mode", "backups", "-w", "3x"], "argument --warning: invalid age range '3x'"),
        (["--mode", "storage", "--expect-running", "a"], "--expect-running applies to"),
        (["--mode", "host"], "--mode host on Proxmox VE needs --node"),
        (["--node", "pve1/../x"], "--node must be a node's host name, got 'pve1/../x'"),
    ],
)
def test_bad_arguments_are_unknown(args: list[str], problem: str) -> None:
    base = {"--url": "https://pve1:8006", "--token-id": TOKEN_ID, "--mode": "guests"}
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    argv = ["--backend", "proxmox"] + [w for k, v in {**base, **pairs}.items() for w in (k, v)]
    result = check_hypervisor(*argv, env=SECRET_ENV)
    assert result.code == 3, result
    assert result.text.startswith("HYPERVISOR UNKNOWN - bad arguments: "), result.text
    assert problem in result.text


def test_answers_not_shaped_as_documented_are_critical(pve: FakePve, certs: Certificates) -> None:
    pve.answers["/cluster/status"] = {"quorate": 1}
    result = run(pve, certs, "--mode", "cluster")
    assert (result.code, result.text) == (
        2,
        "HYPERVISOR CRITICAL - GET /cluster/status: the answer is not a list of entries",
    )
    pve.resources("node")[0]["mem"] = "lots"
    result = run(pve, certs, "--mode", "host", "--node", "pve1")
    assert (result.code, result.text) == (
        2,
        "HYPERVISOR CRITICAL - the Proxmox VE API gave mem = 'lots', not a number",
    )
