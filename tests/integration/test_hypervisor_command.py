"""CheckCommand ``vigie-hypervisor`` and the host template ``vigie-hypervisor-host`` as a real
Icinga 2 runs them: a KVM host on libvirt's test driver and a Proxmox VE node on the fake API
of tests/servers/pve_api.py, each getting one service per mode from the template.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.polling import wait_for
from tests.servers.pve_api import TOKEN_ID, TOKEN_SECRET, FakePve, self_signed_certificate

pytestmark = pytest.mark.icinga
pytest.importorskip("libvirt", reason="libvirt-python (vigie[libvirt]) is needed")

WAIT = 45.0
LIBVIRT_MODES = ("host", "storage", "guests", "snapshots")

NODE_XML = """<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>web01</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>db01</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <test:runstate>6</test:runstate>
  </domain>
  <pool type='dir'><name>images</name><target><path>/images</path></target>
    <volume type='file'><name>a.qcow2</name><capacity unit='G'>50</capacity>
      <allocation unit='G'>50</allocation></volume>
  </pool>
</node>
"""


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[FakePve]:
    """The fake Proxmox VE API, with a certificate of its own (also its CA)."""
    server = FakePve(self_signed_certificate(tmp_path)).start()
    yield server
    server.stop()


def results(sandbox: IcingaSandbox, host: str, services: list[str]) -> dict[str, dict[str, Any]]:
    """The first check result of each service, after asking Icinga to check them now."""
    sandbox.api(
        "POST",
        "/v1/actions/reschedule-check",
        {"type": "Service", "filter": f'host.name == "{host}"', "force": True},
    )

    def probe() -> dict[str, dict[str, Any]] | None:
        found = {name: sandbox.service(host, name)["last_check_result"] for name in services}
        return found if all(found.values()) else None

    try:
        return wait_for(f"check results of {host}", probe, timeout=WAIT)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


def test_a_kvm_host_gets_one_service_per_mode(tmp_path: Path, start_icinga: StartIcinga) -> None:
    node = tmp_path / "kvm01.xml"
    node.write_text(NODE_XML, encoding="utf-8")
    sandbox = start_icinga(
        objects=f"""
object Host "kvm01" {{
  import "vigie-level-b"
  import "vigie-hypervisor-host"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.customer = "acme"
  vars.vigie_hypervisor_uri = "test://{node}"
  vars.vigie_hypervisor_cpu_sample = "0.1"
  vars.vigie_hypervisor_expect_running = [ "web01", "db01" ]
  vars.vigie_hypervisor_storage_warning = "40"
  vars.vigie_hypervisor_storage_critical = "60"
}}
"""
    )
    services = sandbox.compiled_objects("Service")
    assert sorted(services) == [f"kvm01!hypervisor-{mode}" for mode in sorted(LIBVIRT_MODES)]
    found = results(sandbox, "kvm01", [f"hypervisor-{mode}" for mode in LIBVIRT_MODES])

    host = found["hypervisor-host"]
    assert host["exit_status"] == 0, host["output"]
    assert "memory assigned to running guests 25.0%" in host["output"]
    assert host["command"][1:] == [
        "--backend", "libvirt", "--cpu-sample", "0.1", "--mode", "host",
        "--uri", f"test://{node}",
    ]  # fmt: skip

    storage = found["hypervisor-storage"]
    assert storage["exit_status"] == 1, storage
    assert storage["output"].startswith("HYPERVISOR WARNING - pool images 50.0% is above the")
    assert storage["command"][storage["command"].index("--warning") + 1] == "40"

    guests = found["hypervisor-guests"]
    assert guests["exit_status"] == 2, guests
    assert guests["output"].startswith("HYPERVISOR CRITICAL - guest db01 has crashed")
    command = guests["command"]
    assert command.count("--expect-running") == 2, command
    assert found["hypervisor-snapshots"]["exit_status"] == 0


def test_a_proxmox_node_gets_cluster_and_backups_too(
    start_icinga: StartIcinga, pve: FakePve, tmp_path: Path
) -> None:
    sandbox = start_icinga(
        objects=f"""
object Host "pve1" {{
  import "vigie-level-c"
  import "vigie-hypervisor-host"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.customer = "acme"
  vars.vigie_hypervisor_backend = "proxmox"
  vars.vigie_hypervisor_url = "https://127.0.0.1:{pve.port}"
  vars.vigie_hypervisor_node = "pve1"
  vars.vigie_hypervisor_token_id = "{TOKEN_ID}"
  vars.vigie_hypervisor_token_secret = "{TOKEN_SECRET}"
  vars.vigie_hypervisor_ca_file = "{tmp_path / "pve.pem"}"
  vars.vigie_hypervisor_ignore = [ "test01" ]
}}
"""
    )
    modes = (*LIBVIRT_MODES, "cluster", "backups")
    found = results(sandbox, "pve1", [f"hypervisor-{mode}" for mode in modes])
    states = {name: result["exit_status"] for name, result in found.items()}
    assert states == {
        "hypervisor-host": 0,
        "hypervisor-storage": 1,  # local-lvm at 90 %
        "hypervisor-guests": 0,
        "hypervisor-snapshots": 1,  # a 10-day-old snapshot of web01
        "hypervisor-cluster": 0,
        "hypervisor-backups": 0,  # the guests of pve1, backed up hours ago
    }, {name: result["output"] for name, result in found.items()}
    assert found["hypervisor-cluster"]["output"].startswith(
        "HYPERVISOR OK - cluster prod quorate, 2 of 2 nodes online"
    )
    for result in found.values():
        command = result["command"]
        assert not any(TOKEN_SECRET in arg for arg in command), command
        assert command[command.index("--url") + 1] == f"https://127.0.0.1:{pve.port}"
        assert "--uri" not in command
    # The secret reached the plugin through its environment: every request carried it.
    assert pve.seen
    assert {auth for _, auth in pve.seen} == {f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"}
