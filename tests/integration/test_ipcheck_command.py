"""CheckCommand ``vigie-ipcheck`` and the ipcheck apply rule, run by a real Icinga 2 against
a real nameserver (NSD) on 127.0.0.1: the command line it builds from the vars, and the
results it records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.dns_zones import SPAM_REASON, zones
from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.nsd import NSD, NsdServer
from tests.servers.polling import wait_for

pytestmark = [
    pytest.mark.icinga,
    pytest.mark.skipif(not Path(NSD).exists(), reason="nsd is not installed"),
]

WAIT = 45.0  # seconds; the checks are rescheduled at once, this only bounds a stuck run


@pytest.fixture
def nameserver(tmp_path: Path) -> Iterator[NsdServer]:
    server = NsdServer(tmp_path / "nsd", zones("192.0.2.80")).start()
    yield server
    server.stop()


def checked(sandbox: IcingaSandbox, host: str) -> dict[str, Any]:
    """The first check result of host!ipcheck, checked now rather than in 15 minutes."""
    sandbox.api(
        "POST",
        "/v1/actions/reschedule-check",
        {"type": "Service", "filter": f'host.name == "{host}"', "force": True},
    )

    def probe() -> dict[str, Any] | None:
        result: dict[str, Any] | None = sandbox.service(host, "ipcheck")["last_check_result"]
        return result

    try:
        return wait_for(f"a check result of {host}!ipcheck", probe, timeout=WAIT)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


def test_icinga_runs_ipcheck_on_the_hosts_that_ask(
    start_icinga: StartIcinga, nameserver: NsdServer
) -> None:
    ns = nameserver.spec()
    objects = f"""
object Host "mail" {{
  address = "192.0.2.25"
  check_command = "dummy"
  vars.vigie_ipcheck = {{
    hostname = "mail.example.test"
    nameserver = [ "{ns}" ]
    expect = [ "192.0.2.25", "2001:db8::25" ]
    ptr = true
    rbl = [ "bl.test", "clean.test" ]
    timeout = 5
  }}
}}
/* The simple form: the host's address, its settings in the host's own vars. */
object Host "dirty" {{
  address = "192.0.2.66"
  check_command = "dummy"
  vars.vigie_ipcheck = true
  vars.vigie_ipcheck_nameserver = [ "{ns}" ]
  vars.vigie_ipcheck_rbl = [ "bl.test" ]
}}
/* $check_address$: a host with an IPv6 address only is checked at that address. */
object Host "six" {{
  address6 = "2001:db8::66"
  check_command = "dummy"
  vars.vigie_ipcheck = {{ nameserver = [ "{ns}" ], rbl = [ "bl.test" ] }}
}}
/* The address the network leaves by: no --hostname then, whatever the address. */
object Host "office" {{
  address = "192.0.2.99"
  check_command = "dummy"
  vars.vigie_ipcheck = {{
    public_ip = true
    public_ip_source = [ "dns:myip.example.test@{ns}" ]
    expect = [ "198.51.100.7" ]
  }}
}}
object Host "plain" {{
  address = "192.0.2.10"
  check_command = "dummy"
}}
"""
    sandbox = start_icinga(objects=objects)
    services = sandbox.compiled_objects("Service")
    assert {name for name in services if name.endswith("!ipcheck")} == {
        "mail!ipcheck",
        "dirty!ipcheck",
        "office!ipcheck",
        "six!ipcheck",
    }

    mail = checked(sandbox, "mail")
    assert mail["exit_status"] == 0, mail
    assert mail["output"].startswith(
        "IPCHECK OK - mail.example.test: 192.0.2.25, 2001:db8::25 as expected, PTR confirmed, "
        "listed on none of 2 zones"
    ), mail["output"]
    command = mail["command"]
    assert command[command.index("--hostname") + 1] == "mail.example.test"
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--rbl"] == [
        "bl.test",
        "clean.test",
    ]
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--expect"] == [
        "192.0.2.25",
        "2001:db8::25",
    ]
    assert "--ptr" in command
    assert "--ptr-critical" not in command and "-4" not in command and "--public-ip" not in command

    dirty = checked(sandbox, "dirty")
    assert dirty["exit_status"] == 2, dirty
    assert f"192.0.2.66 listed on bl.test (127.0.0.2): {SPAM_REASON}" in dirty["output"]
    command = dirty["command"]
    assert command[command.index("--hostname") + 1] == "192.0.2.66", command
    assert "--ptr" not in command

    six = checked(sandbox, "six")
    assert six["exit_status"] == 2, six
    assert "2001:db8::66 listed on bl.test (127.0.0.3): IPv6 spam source" in six["output"]
    assert six["command"][six["command"].index("--hostname") + 1] == "2001:db8::66"

    office = checked(sandbox, "office")
    assert office["exit_status"] == 0, office
    assert office["output"].startswith("IPCHECK OK - public address: 198.51.100.7 as expected")
    assert "--hostname" not in office["command"] and "--public-ip" in office["command"]
