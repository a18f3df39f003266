"""Running check_vigie_hypervisor as Icinga does, and reading its output back.

Its perfdata labels carry pool and guest names (``local-lvm_usage``, ``web01_backup_age``),
quoted by nagiosplugin when they hold a dash: they are read here with quotes allowed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.plugins.running import plugin_env

CHECK_HYPERVISOR = Path(sys.executable).parent / "check_vigie_hypervisor"
# label=value[unit];warn;crit;min;max in plain decimal notation, the label maybe quoted.
WORD = re.compile(r"(?:'[^']*'|[^\s'=]+)=\S*")
PERF_ITEM = re.compile(r"('[^']+'|[^\s=']+)=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;[^;\s]*){0,4})")


class HypervisorRun:
    """A finished run: exit code, stdout, stderr, the first line and its perfdata apart."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = proc.stdout.splitlines()
        self.first = self.lines[0] if self.lines else ""
        self.text, _, perf = self.first.partition(" | ")
        self.perfdata = parse_perfdata(perf)

    def __repr__(self) -> str:
        return f"HypervisorRun(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def parse_perfdata(text: str) -> dict[str, tuple[float, str, list[str]]]:
    """Perfdata as {label: (value, unit, [warn, crit, min, max])}; fails on ``1e-05``."""
    items: dict[str, tuple[float, str, list[str]]] = {}
    words = WORD.findall(text)
    assert " ".join(words) == text.strip(), f"perfdata that is not label=value items: {text!r}"
    for word in words:
        match = PERF_ITEM.fullmatch(word)
        assert match, f"malformed perfdata item {word!r} in {text!r}"
        fields = match.group(4).split(";")[1:]
        items[match.group(1).strip("'")] = (float(match.group(2)), match.group(3), fields)
    return items


def check_hypervisor(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> HypervisorRun:
    """Run the installed console script with ``args`` (no proxy or VIGIE_ variable leaks in)."""
    proc = subprocess.run(
        [str(CHECK_HYPERVISOR), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=plugin_env(env),
        check=False,
    )
    return HypervisorRun(proc)


def perfdata(run: HypervisorRun) -> dict[str, tuple[float, str, list[str]]]:
    """The perfdata of a run."""
    return run.perfdata
