"""The shipped icinga-config/ as Icinga 2 itself reads it (``icinga2 daemon -C``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.servers.icinga import ICINGA_CONFIG, SCRIPTS, IcingaSandbox, StartIcinga

pytestmark = pytest.mark.icinga

# What an admin's icinga2.conf has besides ours: the ITL's plugin commands (the examples
# use hostalive) and Debian's PluginDir for them.
STOCK = {
    "extra_includes": ("<plugins>",),
    "extra_constants": {"PluginDir": "/usr/lib/nagios/plugins"},
}
PLUGINS = {
    "vigie-http": "check_vigie_http",
    "vigie-smtp": "check_vigie_smtp",
    "vigie-ipcheck": "check_vigie_ipcheck",
    "vigie-hypervisor": "check_vigie_hypervisor",
}


def validated(start_icinga: StartIcinga, objects: str = "") -> IcingaSandbox:
    sandbox = start_icinga(build_only=True, objects=objects, **STOCK)
    checked = sandbox.validate()
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert "critical/" not in checked.stdout
    return sandbox


def test_icinga_accepts_the_shipped_configuration_and_examples(start_icinga: StartIcinga) -> None:
    examples = f'include "{ICINGA_CONFIG / "examples"}/*.conf"\n'
    sandbox = validated(start_icinga, examples)

    commands = sandbox.compiled_objects("CheckCommand")
    assert set(PLUGINS) <= set(commands)
    period = sandbox.compiled_objects("TimePeriod")["vigie-business-hours"]
    assert period["ranges"] == {
        day: "09:00-17:00" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    }
    # The examples: a customer's servers at every level, using every command there is.
    hosts = sandbox.compiled_objects("Host")
    levels = {host["vars"].get("sla_level") for host in hosts.values()}
    assert levels == {"A", "B", "C"}
    assert all(host["vars"].get("customer") for host in hosts.values())
    used = {service["check_command"] for service in sandbox.compiled_objects("Service").values()}
    assert {name for name in commands if name.startswith("vigie-")} <= used
    # Every host and service of a host with a level gets the ticket notification.
    notifications = sandbox.compiled_objects("Notification")
    notified = {(n["host_name"], n.get("service_name")) for n in notifications.values()}
    for name in hosts:
        assert (name, "") in notified
    for service in sandbox.compiled_objects("Service").values():
        assert (service["host_name"], service["name"]) in notified


def test_vigie_conf_defines_no_constant_and_needs_the_three() -> None:
    text = "\n".join(path.read_text() for path in ICINGA_CONFIG.glob("*.conf"))
    assert not re.search(r"^\s*const\s", text, re.MULTILINE)
    for constant in ("VigiePluginDir", "VigieBin", "VigieConfig"):
        assert constant in text
        assert re.search(
            rf"^const {constant} = ",
            (ICINGA_CONFIG / "constants.conf.example").read_text(),
            re.MULTILINE,
        )


def test_a_missing_constant_is_reported_by_name(start_icinga: StartIcinga) -> None:
    sandbox = start_icinga(build_only=True)
    constants = sandbox.etc / "constants.conf"
    constants.write_text(
        "".join(
            line + "\n" for line in constants.read_text().splitlines() if "VigieBin" not in line
        )
    )
    checked = sandbox.validate()
    assert checked.returncode != 0
    assert "VigieBin" in checked.stdout


def test_the_notification_rules_and_command(start_icinga: StartIcinga) -> None:
    sandbox = validated(
        start_icinga,
        """
object Host "covered" { import "vigie-level-c"; check_command = "dummy"; vars.customer = "acme" }
object Service "http" { host_name = "covered"; check_command = "vigie-http" }
object Host "unmanaged" { check_command = "dummy" }
object Service "http" { host_name = "unmanaged"; check_command = "vigie-http" }
""",
    )
    every_type = {
        "Problem", "Acknowledgement", "Recovery", "Custom", "FlappingStart", "FlappingEnd",
        "DowntimeStart", "DowntimeEnd", "DowntimeRemoved",
    }  # fmt: skip
    notifications = sandbox.compiled_objects("Notification")
    assert set(notifications) == {"covered!vigie-ticket", "covered!http!vigie-ticket"}
    for notification in notifications.values():
        assert notification["command"] == "vigie-ticket"
        assert notification["users"] == ["vigie"]
        assert not notification.get("period"), "tickets are opened at all times"
        assert set(notification["types"]) == every_type
    command = sandbox.compiled_objects("NotificationCommand")["vigie-ticket"]
    assert command["command"] == [
        str(SCRIPTS / "vigie"),
        "--config",
        str(sandbox.vigie_config),
        "notify",
    ]
    assert {
        "VIGIE_TYPE", "VIGIE_HOST", "VIGIE_SERVICE", "VIGIE_STATE", "VIGIE_OUTPUT", "VIGIE_SINCE",
        "VIGIE_AUTHOR", "VIGIE_COMMENT", "VIGIE_CUSTOMER", "VIGIE_NOTIFICATION_NUMBER",
    } == set(command["env"])  # fmt: skip
    assert not command.get("arguments"), "the event travels in the environment only"
    assert set(notifications["covered!vigie-ticket"]["states"]) == {"Up", "Down"}
    assert set(notifications["covered!http!vigie-ticket"]["states"]) == {
        "OK", "Warning", "Critical", "Unknown",
    }  # fmt: skip
    user = sandbox.compiled_objects("User")["vigie"]
    assert set(user["types"]) == every_type
    assert set(user["states"]) == {"Up", "Down", "OK", "Warning", "Critical", "Unknown"}


def test_level_templates_set_the_level_and_the_customer(start_icinga: StartIcinga) -> None:
    sandbox = validated(
        start_icinga,
        """
object Host "after" { import "vigie-level-a"; check_command = "dummy"; vars.customer = "acme" }
object Host "before" { vars.customer = "globex"; import "vigie-level-b"; check_command = "dummy" }
object Host "forgotten" { import "vigie-level-c"; check_command = "dummy" }
/* A rule on the customer must neither fail nor match a host without one. */
apply Service "acme-only" {
  check_command = "dummy"
  assign where host.vars.customer.len() > 0 && host.vars.customer == "acme"
}
""",
    )
    hosts = sandbox.compiled_objects("Host")
    assert {name: host["vars"]["sla_level"] for name, host in hosts.items()} == {
        "after": "A", "before": "B", "forgotten": "C",
    }  # fmt: skip
    assert {name: host["vars"]["customer"] for name, host in hosts.items()} == {
        "after": "acme", "before": "globex", "forgotten": "",
    }  # fmt: skip
    services = sandbox.compiled_objects("Service")
    assert set(services) == {"after!acme-only"}


def test_secrets_reach_vigie_http_through_its_environment_only(start_icinga: StartIcinga) -> None:
    command = validated(start_icinga).compiled_objects("CheckCommand")["vigie-http"]
    assert command["env"] == {
        "VIGIE_HTTP_AUTH": "$vigie_http_auth$",
        "VIGIE_HTTP_HEADERS": "$vigie_http_headers_lines$",
    }
    values = " ".join(
        str(argument.get(key)) for argument in command["arguments"].values() for key in argument
        if key != "description"
    )  # fmt: skip
    for secret in ("vigie_http_auth$", "vigie_http_headers_secret", "vigie_http_headers_lines"):
        assert secret not in values
    assert command["arguments"]["--header-file"]["value"] == "$vigie_http_header_file$"


def _help_options(executable: Path) -> list[list[str]]:
    """The options of a plugin's --help, each as its list of aliases (-p, --port)."""
    done = subprocess.run(
        [str(executable), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    # Nagios plugins exit 3 (UNKNOWN) after --help; plain tools exit 0.
    assert done.returncode in (0, 3), done.stderr
    assert "usage" in done.stdout.lower(), done.stdout
    options = []
    for line in done.stdout.splitlines():
        match = re.match(r"^\s{1,8}(-[^\s].*?)(?:\s{2,}|$)", line)
        if not match:
            continue
        aliases = re.findall(r"(?:^|,\s*)(--?[A-Za-z0-9][\w-]*)", match.group(1))
        if aliases:
            options.append(aliases)
    return options


@pytest.mark.parametrize("command", sorted(PLUGINS))
def test_every_plugin_flag_has_its_var(start_icinga: StartIcinga, command: str) -> None:
    executable = SCRIPTS / PLUGINS[command]
    if not executable.exists():
        pytest.fail(f"{executable} is not installed (pip install -e .)")
    options = [
        aliases for aliases in _help_options(executable)
        if not {"-h", "--help", "-V", "--version"} & set(aliases)
    ]  # fmt: skip
    assert options, "no option found in --help"
    arguments = validated(start_icinga).compiled_objects("CheckCommand")[command]["arguments"]
    prefix = command.replace("-", "_") + "_"
    for aliases in options:
        keys = [alias for alias in aliases if alias in arguments]
        assert len(keys) == 1, f"{'/'.join(aliases)} has no argument in CheckCommand {command}"
        argument = arguments[keys[0]]
        assert argument.get("description"), f"{keys[0]} has no description"
        macro = argument.get("value") or argument.get("set_if")
        assert isinstance(macro, str), f"{keys[0]}: {argument}"
        assert re.fullmatch(rf"\$({prefix}[a-z0-9_]+)\$", macro), f"{keys[0]}: {macro}"
    flags = {alias for aliases in options for alias in aliases}
    assert set(arguments) <= flags, f"arguments the plugin does not know: {set(arguments) - flags}"


def test_services_run_at_their_level_and_the_master_watches_the_bridge(
    start_icinga: StartIcinga,
) -> None:
    examples = f'include "{ICINGA_CONFIG / "examples"}/*.conf"\n'
    services = validated(start_icinga, examples).compiled_objects("Service")
    bridge = services["icinga-master!vigie-bridge"]
    assert bridge["check_command"] == "vigie-bridge"
    assert bridge["check_interval"] == 60 and bridge["retry_interval"] == 30
    # Vigie's applied services take the level's intervals, not Icinga's 5m/1m defaults.
    smtp = services["mail01!smtp"]
    assert (smtp["check_interval"], smtp["retry_interval"], smtp["max_check_attempts"]) == (
        60,
        30,
        3,
    )
    assert services["mail01!ipcheck"]["check_interval"] == 900  # blocklists ask no more
    assert not [
        name for name in services if name.endswith("!vigie-bridge") and "master" not in name
    ]
    command = validated(start_icinga).compiled_objects("CheckCommand")["vigie-bridge"]
    assert command["command"][0].endswith("/check_vigie_bridge")
