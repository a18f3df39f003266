"""A fresh machine for a deployment test: the system's own folders, copy-on-write, offline.

Domain model: the README's deployment steps write to /opt, /etc, /var and /run and start
Debian's icinga2 with its init script, which binds port 5665. To run them as they are
written, as root, without touching this machine: a mount namespace where each of these
folders is an overlay (the real one read-only below, a temporary folder above taking every
write), and a network namespace of its own (its loopback only). Every command of the test
enters both namespaces (``nsenter``); ``stop`` ends the holder process, and with it the
namespaces once the last process in them has gone.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from tests.servers.polling import HarnessError

OVERLAID = ("etc", "opt", "var", "run")
# What a root shell on the machine starts with (no HOME: nothing of the test's leaks in).
ROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def machine_available() -> str | None:
    """Why a machine cannot be made here, or None."""
    if os.geteuid() != 0:
        return "namespaces and overlays need root"
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    return None


class Machine:
    """The overlaid system folders and a private network, held by one process."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="vigie-machine-"))
        self.holder: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Mount the overlays in a new mount and network namespace, bring loopback up."""
        mounts = " && ".join(
            f"mkdir -p {self.root}/{d}.up {self.root}/{d}.work && "
            f"mount -t overlay overlay -o lowerdir=/{d},upperdir={self.root}/{d}.up,"
            f"workdir={self.root}/{d}.work /{d}"
            for d in OVERLAID
        )
        script = f"mount --make-rprivate / && {mounts} && ip link set lo up && echo ready && "
        script += "exec sleep 3600"
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--net", "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ROOT_ENV,
            start_new_session=True,
        )
        assert self.holder.stdout is not None
        line = self.holder.stdout.readline()  # bounded: the holder answers or dies
        if line.strip() != "ready":
            error = self.holder.stderr.read() if self.holder.stderr else ""
            self.stop()
            raise HarnessError(f"cannot make the machine's namespaces: {error.strip()}")

    def enter(self) -> list[str]:
        """The argv prefix that runs a command on the machine."""
        if self.holder is None:
            raise HarnessError("the machine is not started")
        return ["nsenter", "-t", str(self.holder.pid), "--mount", "--net"]

    def sh(
        self,
        script: str,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120.0,
        check: bool = True,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell script as root on the machine (``set -eu``); its output as text."""
        # Entering the mount namespace leaves the working folder at /: go there in the script.
        where = "" if cwd is None else f"cd {shlex.quote(str(cwd))}\n"
        done = subprocess.run(
            [*self.enter(), "bash", "-c", "set -eu\n" + where + script],
            input=stdin,
            capture_output=True,
            text=True,
            env={**ROOT_ENV, **(env or {})},
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise HarnessError(
                f"on the machine, exit {done.returncode}:\n{script}\n--- stdout:\n"
                f"{done.stdout[-3000:]}\n--- stderr:\n{done.stderr[-3000:]}"
            )
        return done

    def spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start a long-running process on the machine (a server); the caller stops it."""
        return subprocess.Popen(
            [*self.enter(), *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ROOT_ENV,
            start_new_session=True,
        )

    def stop(self) -> None:
        """End the holder; its namespaces go with their last process. Remove the overlays."""
        holder, self.holder = self.holder, None
        if holder is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(holder.pid, signal.SIGTERM)
            try:
                holder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(holder.pid, signal.SIGKILL)
                holder.wait(timeout=10)
        # The overlays were mounted only inside the namespace: nothing to unmount here.
        for attempt in range(3):
            try:
                shutil.rmtree(self.root)
                return
            except OSError:
                time.sleep(0.5 * (attempt + 1))
        shutil.rmtree(self.root, ignore_errors=True)
