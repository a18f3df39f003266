"""A real Icinga 2 daemon, run from a temporary folder, for the tests and for ``make demo``.

Domain model: Debian's ``icinga2`` package reads every path from constants that ``-D``
overrides, so a whole instance (configuration, state, logs, API certificates, pid file) can
live in one throw-away folder and never touch /etc/icinga2 or /var/lib/icinga2. The instance
includes the shipped ``icinga-config/vigie.conf`` exactly as an admin would, after a
``constants.conf`` defining ``VigiePluginDir``, ``VigieBin`` and ``VigieConfig``.

What runs is real: the daemon (checker, notifications, REST API on 127.0.0.1 with TLS and
basic auth), our plugins as its checks, ``vigie notify`` as its notification command. The
daemon gets a clean environment (PATH and LANG only), runs as the current user, and is
stopped with SIGTERM; every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import ssl
import subprocess
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers.icinga_pki import NODE_NAME, Certificates, make_certificates
from tests.servers.polling import HarnessError, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
ICINGA_CONFIG = REPO / "icinga-config"
ICINGA2 = Path("/usr/sbin/icinga2")
# The venv's console scripts (check_vigie_*, vigie): the folder an admin calls VigiePluginDir.
SCRIPTS = Path(sysconfig.get_path("scripts"))
# What the daemon and everything it starts see: nothing of the caller's environment.
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}

# What the ``start_icinga`` fixture gives a test: start a sandbox with these settings.
StartIcinga = Callable[..., "IcingaSandbox"]

# The permissions vigie's own ApiUser needs (icinga-config/README.md documents the same).
VIGIE_API_PERMISSIONS = ("actions/acknowledge-problem", "status/query")


class _PortTaken(Exception):
    """The daemon could not bind its API port."""


def icinga2_available() -> bool:
    """Whether Debian's icinga2 daemon is installed here."""
    return ICINGA2.is_file() and os.access(ICINGA2, os.X_OK)


# --- the daemon ---------------------------------------------------------------------------


@dataclass
class IcingaSandbox:
    """One self-contained Icinga 2 instance under ``root``.

    ``objects`` is Icinga DSL added after ``vigie.conf`` (the hosts and services of a test);
    ``plugin_dir``, ``vigie_bin`` and ``vigie_config`` are the three constants.
    """

    root: Path
    vigie_config: Path
    objects: str = ""
    plugin_dir: Path = SCRIPTS
    vigie_bin: Path = SCRIPTS / "vigie"
    certificates: Certificates | None = None
    extra_includes: tuple[str, ...] = ()
    extra_constants: Mapping[str, str] = field(default_factory=dict)
    api_port: int = 0
    node_name: str = NODE_NAME
    admin_user: str = "root"
    admin_password: str = field(default_factory=lambda: secrets.token_hex(16))
    vigie_user: str = "vigie"
    vigie_password: str = field(default_factory=lambda: secrets.token_hex(16))
    # Added to the daemon's clean environment (it passes it on to the commands it runs).
    environment: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # The other endpoints of this node's zone, by name: their API ports on 127.0.0.1. With
    # any, the zone "master" is an HA pair (or more): each endpoint connects to the others.
    peers: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port_chosen_here = not self.api_port
        if not self.api_port:
            self.api_port = free_port()
        self.etc = self.root / "etc"
        self.data = self.root / "var" / "lib"
        self.log_dir = self.root / "var" / "log"
        self.log_file = self.log_dir / "icinga2.log"
        self.output_file = self.root / "daemon.out"
        self.vigie_password_file = self.root / "vigie-api-password"

    # The instance's folders, as -D constants: nothing outside ``root`` is read or written.
    def defines(self) -> list[str]:
        """Every path constant pointed into ``root``, and the node's identity."""
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        values = {
            "ConfigDir": self.etc,
            "ZonesDir": self.etc / "zones.d",  # does not follow ConfigDir by itself
            "DataDir": self.data,
            "LogDir": self.log_dir,
            "CacheDir": self.root / "var" / "cache",
            "SpoolDir": self.root / "var" / "spool",
            "InitRunDir": self.root / "run",
            # Started as root, icinga2 would switch to nagios, who cannot write here.
            "RunAsUser": user,
            "RunAsGroup": group,
            "NodeName": self.node_name,
            "ApiPort": self.api_port,
        }
        return [f"-D{name}={value}" for name, value in values.items()]

    @property
    def url(self) -> str:
        """The REST API's base URL."""
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def ca_file(self) -> Path:
        """The CA that signed the API's certificate (what a client verifies against)."""
        if self.certificates is None:
            raise HarnessError("the sandbox is not built yet")
        return self.certificates.ca_file

    def build(self) -> None:
        """Write the configuration and the certificates under ``root``."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)  # the config holds API passwords
        for folder in (
            self.etc / "zones.d",
            self.data / "certs",
            self.log_dir,
            self.root / "var" / "cache",
            self.root / "var" / "spool",
            self.root / "run",
        ):
            folder.mkdir(parents=True, exist_ok=True)
        certs = self.data / "certs"
        made = self.certificates or make_certificates(self.root / "pki", self.node_name)
        shutil.copyfile(made.cert_file, certs / f"{self.node_name}.crt")
        shutil.copyfile(made.key_file, certs / f"{self.node_name}.key")
        shutil.copyfile(made.ca_file, certs / "ca.crt")
        (certs / f"{self.node_name}.key").chmod(0o600)
        self.certificates = Certificates(
            made.ca_file, certs / f"{self.node_name}.crt", certs / f"{self.node_name}.key"
        )
        self.vigie_password_file.write_text(self.vigie_password + "\n", encoding="ascii")
        self.vigie_password_file.chmod(0o600)
        constants = {
            "VigiePluginDir": str(self.plugin_dir),
            "VigieBin": str(self.vigie_bin),
            "VigieConfig": str(self.vigie_config),
            **self.extra_constants,
        }
        (self.etc / "constants.conf").write_text(
            "".join(f"const {name} = {_dsl_string(value)}\n" for name, value in constants.items()),
            encoding="utf-8",
        )
        (self.etc / "objects.conf").write_text(self.objects, encoding="utf-8")
        includes = "".join(f"include {spec}\n" for spec in self.extra_includes)
        permissions = ", ".join(_dsl_string(p) for p in VIGIE_API_PERMISSIONS)
        (self.etc / "icinga2.conf").write_text(
            f"""/* Written by tests/servers/icinga.py: a throw-away instance. */
include <itl>
{includes}include "constants.conf"

object FileLogger "main-log" {{
  severity = "information"
  path = LogDir + "/icinga2.log"
}}
object CheckerComponent "checker" {{ }}
object NotificationComponent "notification" {{ }}

/* The API needs a local Endpoint named like its certificate, inside a Zone. */
{self._zone()}
object ApiListener "api" {{
  bind_host = "127.0.0.1"
  bind_port = ApiPort
}}
object ApiUser {_dsl_string(self.admin_user)} {{
  password = {_dsl_string(self.admin_password)}
  permissions = [ "*" ]
}}
object ApiUser {_dsl_string(self.vigie_user)} {{
  password = {_dsl_string(self.vigie_password)}
  permissions = [ {permissions} ]
}}

/* What an admin adds: the shipped configuration, after the three constants. */
include {_dsl_string(str(ICINGA_CONFIG / "vigie.conf"))}

include "objects.conf"
""",
            encoding="utf-8",
        )

    def _zone(self) -> str:
        """The zone "master": this endpoint alone, or with its HA peers."""
        if not self.peers:
            return 'object Endpoint NodeName { }\nobject Zone "master" { endpoints = [ NodeName ] }'
        lines = ['object Endpoint NodeName { host = "127.0.0.1"; port = ApiPort }']
        for name, port in self.peers.items():
            lines.append(
                f'object Endpoint {_dsl_string(name)} {{ host = "127.0.0.1"; port = "{port}" }}'
            )
        names = ", ".join(["NodeName", *(_dsl_string(name) for name in self.peers)])
        lines.append(f'object Zone "master" {{ endpoints = [ {names} ] }}')
        return "\n".join(lines)

    def validate(self) -> subprocess.CompletedProcess[str]:
        """``icinga2 daemon -C`` on the instance (it writes only under ``root`` too)."""
        return subprocess.run(
            [str(ICINGA2), "daemon", "-C", "-c", str(self.etc / "icinga2.conf"), *self.defines()],
            capture_output=True,
            text=True,
            env=CLEAN_ENV,
            timeout=60,
            check=False,
        )

    def start(self, timeout: float = 30.0) -> None:
        """Validate, start the daemon in the foreground and wait until its API answers."""
        checked = self.validate()
        if checked.returncode != 0:
            raise HarnessError("icinga2 rejected the configuration:\n" + _errors(checked.stdout))
        for attempt in range(3):
            try:
                self._launch(timeout)
                return
            except _PortTaken:
                # Another process took the port between free_port() and the daemon's bind.
                if not self.port_chosen_here or attempt == 2:
                    raise HarnessError(f"port {self.api_port} is in use") from None
                self.api_port = free_port()

    def _launch(self, timeout: float) -> None:
        with self.output_file.open("wb") as output:
            self.process = subprocess.Popen(
                [str(ICINGA2), "daemon", "-c", str(self.etc / "icinga2.conf"), *self.defines()],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**CLEAN_ENV, **self.environment},
                cwd=self.root,
                # Its own process group: the worker and helpers can be found and stopped.
                start_new_session=True,
            )

        def ready() -> bool | None:
            if self.process is not None and self.process.poll() is not None:
                returncode = self.process.returncode
                self.stop()
                tail = self.output_tail()
                if "Address already in use" in tail:
                    raise _PortTaken
                raise HarnessError(f"icinga2 exited with {returncode}:\n{tail}")
            try:
                self.api("GET", "/v1/status/IcingaApplication", timeout=2)
            except HarnessError:
                return None
            return True

        wait_for("the Icinga 2 API to answer", ready, timeout=timeout)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the daemon, bounded wait, SIGKILL to its group as the last resort."""
        process, self.process = self.process, None
        if process is None:
            return
        group = process.pid
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                process.wait(timeout=10)
        # The worker outlives the umbrella process by a second or two; wait for the group.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(group):
            time.sleep(0.1)
        if _group_alive(group):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)

    def output_tail(self, lines: int = 20) -> str:
        """The end of the daemon's own output (startup errors land there)."""
        try:
            text = self.output_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def log(self) -> str:
        """The instance's main log so far."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def problems(self) -> str:
        """Warnings and errors of the main log: failed notification commands, plugins..."""
        lines = [
            line for line in self.log().splitlines() if " warning/" in line or " critical/" in line
        ]
        return "\n".join(lines[-10:]) or "(none in the log)"

    def compiled_objects(self, type_name: str) -> dict[str, dict[str, Any]]:
        """The objects of one type as ``icinga2 daemon -C`` compiled them, by name.

        Read from the object cache the validation writes (CacheDir/icinga2.debug: one
        netstring of JSON per object), so a test sees what Icinga understood, not our text.
        """
        data = (self.root / "var" / "cache" / "icinga2.debug").read_bytes()
        objects: dict[str, dict[str, Any]] = {}
        position = 0
        while position < len(data):
            colon = data.index(b":", position)
            length = int(data[position:colon])
            item = json.loads(data[colon + 1 : colon + 1 + length])
            position = colon + 1 + length + 1  # the trailing comma
            if item.get("type") == type_name:
                # __name is the full name ("web01!http!vigie-ticket"), "name" the short one.
                objects[item["properties"]["__name"]] = item["properties"]
        return objects

    def api(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        query: bool = False,
    ) -> Any:
        """One REST API call as the admin user (TLS verified against the CA); decoded JSON.

        ``query``: a GET whose filter travels in a POST body (Icinga's method override).
        """
        auth = f"{user or self.admin_user}:{password or self.admin_password}"
        headers = {
            "Accept": "application/json",
            "Authorization": "Basic " + base64.b64encode(auth.encode()).decode(),
        }
        if query:
            headers["X-HTTP-Method-Override"] = "GET"
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
        )
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise HarnessError(f"{method} {path}: HTTP {error.code} {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise HarnessError(f"{method} {path}: {error}") from None

    def service(self, host: str, service: str) -> dict[str, Any]:
        """A service's attributes as the API shows them."""
        name = urllib.parse.quote(f"{host}!{service}", safe="")
        answer = self.api("GET", f"/v1/objects/services/{name}")
        attrs: dict[str, Any] = answer["results"][0]["attrs"]
        return attrs

    def comments(self, host: str, service: str) -> list[dict[str, Any]]:
        """The comments on a service (an acknowledgement leaves one)."""
        answer = self.api(
            "POST",
            "/v1/objects/comments",
            {
                "filter": "comment.host_name == h && comment.service_name == s",
                "filter_vars": {"h": host, "s": service},
            },
            query=True,
        )
        return [result["attrs"] for result in answer["results"]]

    def acknowledge(self, host: str, service: str, author: str, comment: str) -> None:
        """Acknowledge a service problem through the API, as a person in Icinga Web would."""
        name = urllib.parse.quote(f"{host}!{service}", safe="")
        answer = self.api(
            "POST",
            f"/v1/actions/acknowledge-problem?service={name}",
            {"author": author, "comment": comment, "notify": True},
        )
        code = answer["results"][0]["code"]
        if int(code) != 200:
            raise HarnessError(f"acknowledge-problem answered {answer['results'][0]}")


def _dsl_string(value: str) -> str:
    """A string literal of the Icinga 2 DSL."""
    return json.dumps(value)


def _errors(output: str) -> str:
    lines = [line for line in output.splitlines() if "critical/" in line or "Error" in line]
    return "\n".join(lines[-20:] or output.splitlines()[-20:])


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def running(sandbox: IcingaSandbox) -> Iterator[IcingaSandbox]:
    """Build and start ``sandbox``; stop it however the block ends."""
    sandbox.build()
    try:
        sandbox.start()
        yield sandbox
    finally:
        sandbox.stop()
