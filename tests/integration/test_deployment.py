"""The README's deployment, run as written, then the chain an Icinga admin relies on.

On a copy-on-write copy of this machine's /etc, /opt, /var and /run, with a network of its
own (``tests/servers/machine.py``), the shell blocks of the README's "Deploying" section
run in order, as root: Debian's icinga2 with its stock /etc/icinga2, its API set up by
``icinga2 api setup``, Vigie's venv in /opt/vigie, /etc/vigie and /var/lib/vigie with the
documented owners and modes, Icinga started by its init script (``service icinga2
restart``: as ``nagios``, with the init system's environment, no HOME). Then a target
breaks, and the test sees the ticket, the take-over acknowledged in Icinga, a recurrence
re-acknowledged, and Icinga's own ``vigie-bridge`` service go CRITICAL while the store
cannot be written, OK again once the spool is replayed.

What differs from a real machine, and why: ``apt-get`` is not run (the packages are this
machine's, checked below); the venv's dependencies come from the test's own environment
(no package index in a test), through a ``.pth`` file and pip's offline settings; the test
writes the parts the README leaves to the admin (the edits of vigie.yaml, the hosts).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers.icinga import icinga2_available
from tests.servers.machine import Machine, machine_available
from tests.servers.polling import HarnessError, wait_for

REPO = Path(__file__).resolve().parents[2]
VIGIE = "/opt/vigie/bin/vigie"
AS_NAGIOS = f"runuser -u nagios -- {VIGIE}"
TARGET_PORT = 8081  # on the machine's own loopback: nothing else listens there
RELAY_PORT = 2525  # the customers' alerts go to a real SMTP server (aiosmtpd) there
DEPS = sysconfig.get_paths()["purelib"]

# Step 3 of the README without a package index: the new venv sees the test's dependencies
# (a .pth file written right after `python3 -m venv`), pip installs Vigie alone, offline.
OFFLINE_PIP = f"""
python3() {{
  command python3 "$@" || return
  if [ "${{1:-}}" = -m ] && [ "${{2:-}}" = venv ]; then
    for site in "$3"/lib/python3*/site-packages; do echo "{DEPS}" > "$site/zz-test-deps.pth"; done
  fi
}}
export PYTHONPATH="{DEPS}" PIP_NO_INDEX=1 PIP_NO_DEPS=1 PIP_NO_BUILD_ISOLATION=0
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
"""

HOSTS = f"""
object Host "web01" {{
  import "vigie-level-b"
  address = "127.0.0.1"
  check_command = "hostalive"
  vars.customer = "acme"
}}

object Service "shop" {{
  import "vigie-level-b"
  host_name = "web01"
  check_command = "vigie-http"
  vars.vigie_http_port = {TARGET_PORT}
  /* Faster than the level's 1m/30s, for a test. */
  check_interval = 2s
  retry_interval = 1s
  max_check_attempts = 2
}}
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not icinga2_available(), reason="Debian's icinga2 is not installed"),
    pytest.mark.skipif(machine_available() is not None, reason=str(machine_available())),
]


def deployment_blocks() -> list[str]:
    """The ``sh`` blocks of the README's Deploying section, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^( *)```sh\n(.*?)^\1```", section, flags=re.M | re.S)
    return [textwrap.dedent(body) for _, body in blocks]


@pytest.fixture
def machine() -> Iterator[Machine]:
    made = Machine()
    made.start()
    try:
        yield made
    finally:
        try:
            made.sh("service icinga2 stop >/dev/null 2>&1 || true", check=False, timeout=60)
            pid = made.sh("cat /run/icinga2/icinga2.pid 2>/dev/null || true", check=False)
            if pid.stdout.strip().isdigit():
                subprocess.run(["kill", "-KILL", pid.stdout.strip()], check=False)
        finally:
            made.stop()


class Deployed:
    """The machine once deployed: its commands, Icinga's API, the target."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.target: subprocess.Popen[bytes] | None = None
        users = machine.sh("cat /etc/icinga2/conf.d/api-users.conf").stdout
        found = re.search(r'ApiUser "root" \{\s*password = "([^"]+)"', users)
        assert found, users
        self.root_password = found.group(1)

    def vigie(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``vigie ARGS`` as nagios, the user the README says runs it."""
        return self.machine.sh(f"{AS_NAGIOS} {' '.join(args)}", check=check)

    def ticket(self, key: str) -> dict[str, Any] | None:
        found = json.loads(self.vigie("tickets", "--format", "json").stdout)
        return next((t for t in found if t.get("key") == key), None)

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        shown = json.loads(self.vigie("show", str(ticket_id), "--format", "json").stdout)
        history: list[dict[str, Any]] = shown["history"]
        return history

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Icinga's API as its root ApiUser, over TLS to the node's name, checked on its CA."""
        data = "" if body is None else "-d @-"
        done = self.machine.sh(
            "curl -sS --max-time 10 --cacert /var/lib/icinga2/certs/ca.crt "
            '-u "root:$ICINGA_PASSWORD" -H "Accept: application/json" '
            f'-X {method} "https://$(hostname --fqdn):5665{path}" {data}',
            env={"ICINGA_PASSWORD": self.root_password},
            stdin=None if body is None else json.dumps(body),
            check=False,
        )
        if done.returncode != 0:
            raise HarnessError(f"{method} {path}: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def service(self, name: str) -> dict[str, Any]:
        attrs: dict[str, Any] = self.api("GET", f"/v1/objects/services/{name}")["results"][0][
            "attrs"
        ]
        return attrs

    def start_target(self) -> None:
        self.target = self.machine.spawn(
            ["python3", "-m", "http.server", str(TARGET_PORT), "--bind", "127.0.0.1"]
        )

    def break_target(self) -> None:
        target, self.target = self.target, None
        if target is not None:
            target.terminate()
            target.wait(timeout=10)

    def check_bridge_now(self) -> dict[str, Any]:
        """Have Icinga run the master's vigie-bridge check now; its result."""
        node = self.machine.sh("hostname --fqdn").stdout.strip()
        name = f"{node}!vigie-bridge"
        before = self.service(name).get("last_check") or 0
        self.api(
            "POST",
            "/v1/actions/reschedule-check",
            {"type": "Service", "filter": f'service.__name == "{name}"', "force": True},
        )

        def checked() -> dict[str, Any] | None:
            attrs = self.service(name)
            return attrs if (attrs.get("last_check") or 0) > before else None

        return wait_for("Icinga to run check_vigie_bridge", checked, timeout=30, interval=0.5)


def entries(history: list[dict[str, Any]]) -> list[str]:
    return [entry["type"] for entry in history]


def test_the_readme_deployment_runs_and_the_ticket_path_is_watched(machine: Machine) -> None:
    blocks = deployment_blocks()
    assert len(blocks) == 7, "the test follows the README's seven steps: keep them in step"
    src = machine.root / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.egg-info", ".*_cache", "build"
        ),
    )

    # 1. The packages: this machine's, as `apt-get install` left them.
    assert blocks[0].startswith("apt-get install -y icinga2 monitoring-plugins python3-venv")
    machine.sh("test -x /etc/init.d/icinga2 && test -d /etc/icinga2/conf.d && id nagios")
    # The node's name must reach this machine; in its own network only loopback does (a
    # container's /etc/hosts may map the name to an interface the namespace lacks).
    machine.sh(
        'node=$(hostname --fqdn); getent hosts "$node" | grep -q "^127\\." || '
        'echo "127.0.1.1 $node $(hostname)" >> /etc/hosts'
    )
    # 2. The API, 3. the venv, 4. the store's folder and the configuration.
    machine.sh(blocks[1], cwd=src)
    machine.sh(OFFLINE_PIP + blocks[2], cwd=src, timeout=300)
    machine.sh(blocks[3], cwd=src)
    modes = machine.sh(
        "stat -c '%U:%G %a %n' /var/lib/vigie /etc/vigie /etc/vigie/vigie.yaml "
        "/etc/vigie/icinga-api-password /var/lib/icinga2/certs/ca.crt"
    ).stdout.splitlines()
    assert modes[0] == "nagios:nagios 750 /var/lib/vigie"
    assert modes[1] == "root:nagios 750 /etc/vigie"
    assert modes[2] == "root:nagios 640 /etc/vigie/vigie.yaml"
    assert modes[3] == "root:nagios 640 /etc/vigie/icinga-api-password"

    # 5. The admin's edits of vigie.yaml: the node's name in the URL, as the README says.
    node = machine.sh("hostname --fqdn").stdout.strip()
    config = yaml.safe_load(machine.sh("cat /etc/vigie/vigie.yaml").stdout)
    assert config["store"]["path"] == "/var/lib/vigie/vigie.db"
    config["icinga"] = {
        "url": f"https://{node}:5665",
        "user": "vigie",
        "password_file": "/etc/vigie/icinga-api-password",
        "ca_file": "/var/lib/icinga2/certs/ca.crt",
    }
    config["alerts"].update(smtp_host="127.0.0.1", smtp_port=RELAY_PORT)
    machine.sh("cat > /etc/vigie/vigie.yaml", stdin=yaml.safe_dump(config, sort_keys=False))
    checked = machine.sh(blocks[4])
    assert ": OK" in checked.stdout, checked.stdout

    # 6. Icinga: constants, include, the admin's hosts, validate, restart by the init script.
    deployed = Deployed(machine)
    machine.sh("cat > /etc/icinga2/conf.d/vigie-hosts.conf", stdin=HOSTS)
    deployed.start_target()
    relay = machine.spawn([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{RELAY_PORT}"])
    try:
        run_the_chain(machine, blocks, src, deployed)
    finally:
        deployed.break_target()
        relay.terminate()
        relay.wait(timeout=10)


def run_the_chain(machine: Machine, blocks: list[str], src: Path, deployed: Deployed) -> None:
    """From Icinga's restart by its init script to the bridge watched by Icinga."""
    machine.sh(blocks[5], cwd=src, timeout=180)
    daemon = machine.sh(
        "pid=$(cat /run/icinga2/icinga2.pid); ps -o user= -p $pid; "
        "tr '\\0' '\\n' < /proc/$pid/environ | cut -d= -f1 | sort"
    ).stdout.split()
    assert daemon[0] == "nagios" and "HOME" not in daemon[1:], daemon

    def answers() -> bool | None:
        try:
            return True if deployed.api("GET", "/v1/status/IcingaApplication") else None
        except HarnessError:
            return None  # still starting

    wait_for("Icinga's API", answers, timeout=60, interval=0.5)
    # 7. The doctor and the cron jobs (cron does not run here: the test runs them when due).
    doctor = machine.sh(blocks[6], check=False)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "nagios /opt/vigie/bin/vigie sync-icinga" in machine.sh("cat /etc/cron.d/vigie").stdout

    # The target breaks: a ticket, opened by `vigie notify` as Icinga runs it.
    wait_for(
        "the shop to be OK",
        lambda: True if deployed.service("web01!shop")["state"] == 0 else None,
        timeout=60,
        interval=0.5,
    )
    deployed.break_target()
    ticket = wait_for("the ticket", lambda: deployed.ticket("web01!shop"), timeout=60)
    assert ticket["customer"] == "acme" and ticket["level"] == "B"

    # Root may read, but not write the store nagios owns: it says whom to run as.
    refused = machine.sh(f"{VIGIE} take {ticket['id']} --by alice", check=False)
    assert refused.returncode == 2
    assert f"runuser -u nagios -- {VIGIE} take {ticket['id']} --by alice" in refused.stderr

    # The take-over, as nagios: acknowledged in Icinga.
    took = deployed.vigie("take", str(ticket["id"]), "--by", "alice")
    assert "acknowledged in Icinga" in took.stdout, took.stdout + took.stderr
    assert deployed.service("web01!shop")["acknowledgement"] != 0

    # Recovery: Icinga drops the acknowledgement.
    deployed.start_target()
    wait_for(
        "the recovery",
        lambda: True if "recovery" in entries(deployed.history(ticket["id"])) else None,
        timeout=60,
    )
    assert deployed.service("web01!shop")["acknowledgement"] == 0

    # The problem comes back on the taken ticket: acknowledged again, same take-over.
    deployed.break_target()

    def reacknowledged() -> list[str] | None:
        types = entries(deployed.history(ticket["id"]))
        back = types.index("problem_again") if "problem_again" in types else None
        return types if back is not None and "icinga_acknowledged" in types[back:] else None

    types = wait_for("the re-acknowledgement", reacknowledged, timeout=60)
    assert types.count("taken") == 1, types
    assert "icinga_ack_due" in types
    wait_for(
        "Icinga's acknowledgement again",
        lambda: True if deployed.service("web01!shop")["acknowledgement"] != 0 else None,
        timeout=30,
    )
    again = deployed.vigie("show", str(ticket["id"]), "--format", "json").stdout
    assert json.loads(again)["taken_by"] == "alice"
    assert deployed.check_bridge_now()["state"] == 0

    # The store cannot be written (root took it, as a command run as root used to do):
    # notifications go to the spool, and Icinga sees it.
    machine.sh("chown root:root /var/lib/vigie/vigie.db")
    deployed.start_target()
    wait_for(
        "the recovery to be spooled",
        lambda: (
            True
            if machine.sh("test -s /var/lib/vigie/vigie.db.spool", check=False).returncode == 0
            else None
        ),
        timeout=60,
    )
    broken = deployed.check_bridge_now()
    assert broken["state"] == 2, broken["last_check_result"]["output"]
    assert "belongs to root and nagios cannot write it" in broken["last_check_result"]["output"]

    # Fixed, and the spool replayed by the next command that writes (cron's sync-icinga).
    machine.sh("chown nagios:nagios /var/lib/vigie/vigie.db*")
    synced = deployed.vigie("sync-icinga")
    assert "spooled notification(s)" in synced.stderr, synced.stderr
    fixed = deployed.check_bridge_now()
    assert fixed["state"] == 0, fixed["last_check_result"]["output"]
    assert entries(deployed.history(ticket["id"])).count("recovery") == 2
