"""What Icinga 2 really passes to ``vigie notify`` and to our plugin, observed.

``vigie-ticket`` runs ``VigieBin --config VigieConfig notify`` with the event in VIGIE_*
environment variables. To see exactly what arrives, VigieBin is pointed at a recorder: a
script written by the test that stores its arguments and environment (it stands in for the
``vigie`` executable only; the daemon, the notifications and the plugin are real).
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.servers.health_target import HealthTarget
from tests.servers.icinga import IcingaSandbox, StartIcinga
from tests.servers.polling import wait_for

pytestmark = pytest.mark.icinga

WAIT = 45.0

RECORDER = """#!{python}
import json, os, sys, time
out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "calls")
os.makedirs(out, exist_ok=True)
name = os.path.join(out, "%020d-%d.json" % (time.time_ns(), os.getpid()))
with open(name + ".tmp", "w") as f:
    json.dump({{"argv": sys.argv[1:], "env": dict(os.environ)}}, f)
os.rename(name + ".tmp", name)  # readers never see half a file
"""


def recorder(folder: Path) -> Path:
    folder.mkdir()
    script = folder / "vigie"
    script.write_text(RECORDER.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    return script


def calls(script: Path) -> list[dict[str, Any]]:
    folder = script.parent / "calls"
    found = sorted(folder.glob("*.json")) if folder.exists() else []
    return [json.loads(path.read_text()) for path in found]


def wait_for_call(
    script: Path, sandbox: IcingaSandbox, what: str, **expected: str
) -> dict[str, str]:
    """The environment of the first recorded call whose VIGIE_* vars match ``expected``."""

    def probe() -> dict[str, str] | None:
        for call in calls(script):
            env: dict[str, str] = call["env"]
            if all(env.get(name) == value for name, value in expected.items()):
                return env
        return None

    try:
        return wait_for(what, probe, timeout=WAIT, interval=0.1)
    except Exception as error:
        raise AssertionError(f"{error}\nIcinga's log says:\n{sandbox.problems()}") from None


OBJECTS = """
object Host "web01" {{
  import "vigie-level-b"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  vars.customer = "acme"
  check_interval = 1s
}}
object Service "http" {{
  host_name = "web01"
  check_command = "vigie-http"
  vars.vigie_http_port = {port}
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 1
}}
object Host "db01" {{
  import "vigie-level-c"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 2
  vars.dummy_text = "db01 does not answer"
  vars.customer = "acme"
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 1
}}
/* No level: Vigie is not told about it. */
object Host "lab01" {{
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 2
  check_interval = 1s
  max_check_attempts = 1
}}
"""


def test_the_event_reaches_vigie_in_its_environment(
    tmp_path: Path, start_icinga: StartIcinga, http_target: HealthTarget
) -> None:
    script = recorder(tmp_path / "bin")
    http_target.healthy = False
    sandbox = start_icinga(vigie_bin=script, objects=OBJECTS.format(port=http_target.port))

    # A service problem.
    problem = wait_for_call(
        script, sandbox, "the service PROBLEM", VIGIE_TYPE="PROBLEM", VIGIE_SERVICE="http"
    )
    service = sandbox.service("web01", "http")
    assert problem["VIGIE_HOST"] == "web01"
    assert problem["VIGIE_STATE"] == "CRITICAL"
    assert problem["VIGIE_SINCE"] == str(int(service["last_hard_state_change"]))
    assert problem["VIGIE_OUTPUT"].startswith("HTTP CRITICAL")
    assert "503" in problem["VIGIE_OUTPUT"]
    assert problem["VIGIE_CUSTOMER"] == "acme"
    assert problem["VIGIE_AUTHOR"] == problem["VIGIE_COMMENT"] == ""
    # Icinga 2.13 does resolve $notification.notification_number$ in a command's env.
    assert problem["VIGIE_NOTIFICATION_NUMBER"] == "1"

    # A host problem: no service, the host's own state, output and hard state change.
    down = wait_for_call(
        script, sandbox, "the host PROBLEM", VIGIE_TYPE="PROBLEM", VIGIE_HOST="db01"
    )
    host = sandbox.api("GET", "/v1/objects/hosts/db01")["results"][0]["attrs"]
    assert down["VIGIE_SERVICE"] == ""
    assert down["VIGIE_STATE"] == "DOWN"
    assert down["VIGIE_OUTPUT"] == "db01 does not answer"
    assert down["VIGIE_SINCE"] == str(int(host["last_hard_state_change"]))
    assert down["VIGIE_CUSTOMER"] == "acme"

    # An acknowledgement carries its author and comment, and counts as a notification.
    sandbox.acknowledge("web01", "http", "carol", "on it: ticket 12")
    ack = wait_for_call(script, sandbox, "the ACKNOWLEDGEMENT", VIGIE_TYPE="ACKNOWLEDGEMENT")
    assert (ack["VIGIE_AUTHOR"], ack["VIGIE_COMMENT"]) == ("carol", "on it: ticket 12")
    assert ack["VIGIE_SINCE"] == problem["VIGIE_SINCE"]
    assert ack["VIGIE_NOTIFICATION_NUMBER"] == "2"

    # A custom notification from Icinga Web or the API.
    name = urllib.parse.quote("web01!http", safe="")
    sandbox.api(
        "POST",
        f"/v1/actions/send-custom-notification?service={name}",
        {"author": "dave", "comment": "customer called", "force": True},
    )
    custom = wait_for_call(script, sandbox, "the CUSTOM notification", VIGIE_TYPE="CUSTOM")
    assert (custom["VIGIE_AUTHOR"], custom["VIGIE_COMMENT"]) == ("dave", "customer called")

    # Recovery: the new hard state change is the recovery time.
    http_target.healthy = True
    recovery = wait_for_call(script, sandbox, "the RECOVERY", VIGIE_TYPE="RECOVERY")
    service = sandbox.service("web01", "http")
    assert recovery["VIGIE_STATE"] == "OK"
    assert recovery["VIGIE_SINCE"] == str(int(service["last_hard_state_change"]))
    assert int(recovery["VIGIE_SINCE"]) >= int(problem["VIGIE_SINCE"])

    recorded = calls(script)
    # Always the same command line; the event is only in the environment.
    assert {tuple(call["argv"]) for call in recorded} == {
        ("--config", str(sandbox.vigie_config), "notify")
    }
    # A host without a level never reaches vigie; nothing of ours leaks into the env.
    assert all(call["env"]["VIGIE_HOST"] != "lab01" for call in recorded)
    assert all(call["env"]["PATH"] == "/usr/sbin:/usr/bin:/sbin:/bin" for call in recorded)


def test_basic_auth_reaches_the_plugin_in_its_environment_only(
    start_icinga: StartIcinga,
) -> None:
    target = HealthTarget(credentials="shop:s3cret-pass").start()
    try:
        sandbox = start_icinga(
            objects=f"""
object Host "web01" {{
  address = "127.0.0.1"
  check_command = "dummy"
  check_interval = 1s
}}
object Service "with-auth" {{
  host_name = "web01"
  check_command = "vigie-http"
  vars.vigie_http_port = {target.port}
  vars.vigie_http_auth = "shop:s3cret-pass"
  check_interval = 1s
}}
object Service "without-auth" {{
  host_name = "web01"
  check_command = "vigie-http"
  vars.vigie_http_port = {target.port}
  check_interval = 1s
}}
"""
        )

        def checked(service: str) -> dict[str, Any] | None:
            attrs = sandbox.service("web01", service)
            return attrs if attrs["last_check_result"] else None

        with_auth = wait_for("a check with auth", lambda: checked("with-auth"))
        without = wait_for("a check without auth", lambda: checked("without-auth"))
    finally:
        target.stop()
    result = with_auth["last_check_result"]
    assert result["exit_status"] == 0, result["output"]
    # The 401 without credentials proves the credentials came through the environment.
    assert without["last_check_result"]["exit_status"] != 0
    assert "401" in without["last_check_result"]["output"]
    command = result["command"]
    assert command[0] == str(sandbox.plugin_dir / "check_vigie_http")
    assert not any("s3cret" in part for part in command), command
    # vigie_http_address falls back to the host's address.
    assert command[command.index("--ip") + 1] == "127.0.0.1"
