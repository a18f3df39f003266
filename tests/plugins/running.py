"""Running the real plugins as Icinga does, and reading what they print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CHECK_HTTP = BIN / "check_vigie_http"
CHECK_SMTP = BIN / "check_vigie_smtp"


class PluginRun:
    """A finished plugin run: exit code, stdout, stderr, and the first line taken apart."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = proc.stdout.splitlines()
        self.first = self.lines[0] if self.lines else ""
        self.text, _, perf = self.first.partition(" | ")
        self.perfdata = parse_perfdata(perf)

    def __repr__(self) -> str:
        return f"PluginRun(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


PERF_ITEM = re.compile(r"^([a-z_]+)=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;[^;\s]*){0,4})$")


def parse_perfdata(text: str) -> dict[str, tuple[float, str, list[str]]]:
    """``label=12.5s;W;C;0`` items as {label: (value, unit, [warn, crit, min, max])}.

    Fails on anything that is not plain decimal notation (``1e-05`` included).
    """
    items: dict[str, tuple[float, str, list[str]]] = {}
    for item in text.split():
        match = PERF_ITEM.match(item)
        assert match, f"malformed perfdata item {item!r} in {text!r}"
        fields = match.group(4).split(";")[1:]
        items[match.group(1)] = (float(match.group(2)), match.group(3), fields)
    return items


def plugin_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without proxies or credentials, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith("VIGIE_")
    }
    env.update(extra or {})
    return env


def run_command(
    argv: list[str], env: dict[str, str] | None = None, timeout: float = 30
) -> PluginRun:
    """Run a plugin as Icinga would (argv, environment) and collect its output."""
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=plugin_env(env),
        check=False,
    )
    return PluginRun(proc)


def check_http(*args: str, env: dict[str, str] | None = None) -> PluginRun:
    """Run the installed check_vigie_http console script with ``args``."""
    return run_command([str(CHECK_HTTP), *args], env=env)


def check_http_resolving(
    hosts: list[tuple[str, str]], *args: str, env: dict[str, str] | None = None
) -> PluginRun:
    """Run check_vigie_http where ``hosts`` (address, name) is all /etc/hosts says.

    The test's own name resolution: the plugin runs in a mount namespace of its own
    (``unshare``, as root) where a file of the test's is mounted over /etc/hosts, so that
    names resolve to loopback addresses through the system's real resolver, DNS unasked.
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a mount namespace of its own needs root and unshare (util-linux)")
    with tempfile.NamedTemporaryFile("w", suffix=".hosts") as hosts_file:
        hosts_file.write("".join(f"{address} {name}\n" for address, name in hosts))
        hosts_file.flush()
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        argv = ["unshare", "--mount", "sh", "-c", script, hosts_file.name]
        return run_command([*argv, str(CHECK_HTTP), *args], env=env)


def check_smtp(*args: str, env: dict[str, str] | None = None) -> PluginRun:
    """Run the installed check_vigie_smtp console script with ``args``."""
    return run_command([str(CHECK_SMTP), *args], env=env)


def run_with_resolver(nameserver: str, argv: list[str]) -> PluginRun:
    """Run ``argv`` where /etc/resolv.conf names only ``nameserver``.

    As ``check_http_resolving`` does it for /etc/hosts: a mount namespace of the plugin's
    own (``unshare``, as root), the test's file mounted over the real one.
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a mount namespace of its own needs root and unshare (util-linux)")
    with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf") as resolv:
        resolv.write(f"nameserver {nameserver}\noptions timeout:30 attempts:1\n")
        resolv.flush()
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        return run_command(["unshare", "--mount", "sh", "-c", script, resolv.name, *argv])
