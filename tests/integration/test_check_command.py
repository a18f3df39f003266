"""CheckCommand ``vigie-http`` as a real Icinga 2 runs it: the command line and environment
it builds from the vars, seen from both ends (Icinga's check result, the target's record).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.servers.health_target import HealthTarget
from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.polling import wait_for

pytestmark = pytest.mark.icinga

WAIT = 45.0  # seconds; each check runs every second, so this only bounds a stuck run
TOKEN = "icinga-bearer-T0ken"


def service(name: str, port: int, *settings: str) -> str:
    """A vigie-http service on host "site", checked every second, with ``settings``."""
    lines = "\n".join(f"  {setting}" for setting in settings)
    return f"""
object Service "{name}" {{
  host_name = "site"
  check_command = "vigie-http"
  vars.vigie_http_port = {port}
  vars.vigie_http_uri = "/{name}"
  vars.vigie_http_timeout = 5
  check_interval = 1s
  retry_interval = 1s
{lines}
}}
"""


def checked(sandbox: IcingaSandbox, name: str) -> dict[str, Any]:
    """The first check result of site!name: command, exit status and output."""

    def probe() -> dict[str, Any] | None:
        result: dict[str, Any] | None = sandbox.service("site", name)["last_check_result"]
        return result

    try:
        return wait_for(f"a check result of site!{name}", probe, timeout=WAIT)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


def test_verbosity_levels_and_secret_headers(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    header_file = tmp_path / "headers"
    header_file.write_text(f"# for the site\nAuthorization: Bearer {TOKEN}\n", encoding="utf-8")
    header_file.chmod(0o600)
    port = http_target.port
    objects = """
object Host "site" {
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
}
""" + "".join(
        [
            service("quiet", port),
            service("verbose-true", port, "vars.vigie_http_verbose = true"),
            service("verbose-2", port, "vars.vigie_http_verbose = 2"),
            service("verbose-3", port, 'vars.vigie_http_verbose = "3"'),
            service("verbose-0", port, "vars.vigie_http_verbose = 0"),
            service("verbose-bad", port, 'vars.vigie_http_verbose = "lots"'),
            service(
                "headers-array",
                port,
                f'vars.vigie_http_headers_secret = [ "Authorization: Bearer {TOKEN}", "X-A: 1" ]',
            ),
            service(
                "headers-string",
                port,
                f'vars.vigie_http_headers_secret = "Authorization: Bearer {TOKEN}\\nX-A: 2"',
            ),
            service("header-file", port, f'vars.vigie_http_header_file = "{header_file}"'),
        ]
    )
    sandbox = start_icinga(objects=objects)

    flags = {
        "quiet": [],
        "verbose-true": ["-v"],
        "verbose-2": ["-vv"],
        "verbose-3": ["-vvv"],
        "verbose-0": [],
        "verbose-bad": ["--verbose=lots"],
    }
    for name, expected in flags.items():
        result = checked(sandbox, name)
        command = result["command"]
        assert [arg for arg in command if arg.startswith(("-v", "--verbose"))] == expected, command
        if name == "verbose-bad":
            assert result["exit_status"] == 3
            assert result["output"].startswith(
                "HTTP UNKNOWN - bad arguments: argument -v/--verbose: ignored explicit argument"
            ), result["output"]
            continue
        assert result["exit_status"] == 0, result
        # -vv tells what happened on the network; -v alone does not.
        network = name in ("verbose-2", "verbose-3")
        assert ("connected to 127.0.0.1" in result["output"]) == network, result["output"]

    for name in ("headers-array", "headers-string", "header-file"):
        command = checked(sandbox, name)["command"]
        assert not any(TOKEN in arg for arg in command), command
        if name == "header-file":
            assert command[command.index("--header-file") + 1] == str(header_file)
        seen = [headers for path, headers in list(http_target.seen) if path == f"/{name}"]
        assert seen, f"/{name} was never requested"
        assert seen[-1].get("authorization") == f"Bearer {TOKEN}", seen[-1]
    extra = {path: headers.get("x-a") for path, headers in list(http_target.seen)}
    assert (extra["/headers-array"], extra["/headers-string"]) == ("1", "2")
    for path in ("/quiet", "/verbose-2"):
        assert "authorization" not in dict(http_target.seen)[path]


def test_the_address_is_chosen_as_the_itl_http_command_chooses_it(
    start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    # The ITL's ipv4-or-ipv6: address, or address6 with -6 or when there is no address.
    port = http_target.port
    objects = (
        """
object Host "site" {
  address = "127.0.0.1"
  address6 = "::1"
  check_command = "dummy"
  vars.dummy_state = 0
}
object Host "v6only" {
  address6 = "::1"
  check_command = "dummy"
  vars.dummy_state = 0
}
"""
        + service("by-default", port)
        + service("ipv6", port, "vars.vigie_http_ipv6 = true")
        + service("pinned", port, 'vars.vigie_http_address = "127.0.0.2"')
        + service("other-host", port).replace('host_name = "site"', 'host_name = "v6only"')
    )
    sandbox = start_icinga(objects=objects)

    def address(host: str, name: str) -> tuple[str, list[str]]:
        def probe() -> dict[str, Any] | None:
            result: dict[str, Any] | None = sandbox.service(host, name)["last_check_result"]
            return result

        command = wait_for(f"a check result of {host}!{name}", probe, timeout=WAIT)["command"]
        return command[command.index("--ip") + 1], [arg for arg in command if arg in ("-4", "-6")]

    assert address("site", "by-default") == ("127.0.0.1", [])
    assert address("site", "ipv6") == ("::1", ["-6"])
    assert address("site", "pinned") == ("127.0.0.2", [])
    assert address("v6only", "other-host") == ("::1", [])
    assert checked(sandbox, "by-default")["exit_status"] == 0
