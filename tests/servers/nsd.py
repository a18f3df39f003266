"""Real DNS servers on loopback: NSD, Debian's authoritative nameserver, and a silent one.

``NsdServer`` writes a configuration and zone files into a temporary folder and runs
``nsd -d`` on 127.0.0.1 (and ::1 when the machine has it) on a free port, UDP and TCP. A
zone given without data is configured with a zone file that does not exist: NSD then
answers SERVFAIL for every name in it, as a real server whose zone failed to load does.
``SilentServer`` is a UDP and TCP port that receives and never answers. Both are stopped
by ``stop()``, which the fixtures call.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
START_TIMEOUT = 10.0
SOA = "@ 60 IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ 60 IN NS ns1\nns1 60 IN A 127.0.0.1\n"


def ipv6_loopback() -> bool:
    """True when ::1 can be bound (some containers have no IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def free_port(addresses: tuple[str, ...]) -> int:
    """A port free for UDP and TCP on every address (the kernel's pick on the first)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_bindable(address, port) for address in addresses):
            return port
    raise RuntimeError("no free port for a test DNS server")


def _bindable(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(family, kind) as sock:
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


class NsdServer:
    """NSD serving ``zones`` ({origin: records, or None for a zone that fails to load})."""

    def __init__(self, folder: Path, zones: dict[str, str | None], port: int | None = None) -> None:
        self.folder = folder
        self.zones = zones
        self.addresses = ("127.0.0.1", "::1") if ipv6_loopback() else ("127.0.0.1",)
        self.port = port or free_port(self.addresses)
        self.process: subprocess.Popen[bytes] | None = None

    def spec(self, address: str = "127.0.0.1") -> str:
        """The --nameserver value for this server at ``address``."""
        return f"[{address}]:{self.port}" if ":" in address else f"{address}:{self.port}"

    def start(self) -> NsdServer:
        """Write the configuration, start nsd and wait until it answers."""
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def command(self) -> list[str]:
        """Write the configuration and zone files; the command line that serves them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [
            "server:",
            *(f"  ip-address: {address}@{self.port}" for address in self.addresses),
            f"  port: {self.port}",
            '  username: ""',
            '  chroot: ""',
            '  database: ""',
            f'  zonesdir: "{self.folder}"',
            f'  pidfile: "{self.folder}/nsd.pid"',
            f'  xfrdfile: "{self.folder}/xfrd.state"',
            f'  zonelistfile: "{self.folder}/zone.list"',
            f'  xfrdir: "{self.folder}"',
            f'  logfile: "{self.folder}/nsd.log"',
            "  server-count: 1",
            "  hide-version: yes",
            "remote-control:",
            "  control-enable: no",
        ]
        for origin, records in self.zones.items():
            zone_file = f"{origin}.zone"
            if records is not None:
                text = f"$ORIGIN {origin}.\n$TTL 60\n{SOA}{records}"
                (self.folder / zone_file).write_text(text)
            else:
                zone_file = f"{origin}.missing"  # never written: the zone fails to load
            lines += ["zone:", f'  name: "{origin}"', f'  zonefile: "{zone_file}"']
        config = self.folder / "nsd.conf"
        config.write_text("\n".join(lines) + "\n")
        return [NSD, "-d", "-c", str(config)]

    def _wait_ready(self) -> None:
        origin = next(origin for origin, records in self.zones.items() if records is not None)
        query = _soa_query(origin)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"nsd exited: {self.log()}")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(0.2)
                try:
                    sock.sendto(query, (self.addresses[0], self.port))
                    if sock.recv(4096)[:2] == query[:2]:
                        return
                except OSError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nsd did not answer within {START_TIMEOUT} s: {self.log()}")

    def log(self) -> str:
        """NSD's log, for failure messages."""
        path = self.folder / "nsd.log"
        return path.read_text() if path.exists() else "(no log)"

    def stop(self) -> None:
        """Stop nsd and its children (it forks a server and a transfer process)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _soa_query(origin: str) -> bytes:
    """A minimal DNS query (id 0x5644) for the SOA of ``origin``, in wire format."""
    name = b"".join(bytes([len(label)]) + label.encode() for label in origin.split(".")) + b"\0"
    header = bytes.fromhex("5644 0000 0001 0000 0000 0000".replace(" ", ""))
    return header + name + b"\x00\x06\x00\x01"


class SilentServer:
    """A DNS port on 127.0.0.1 that takes every query (UDP and TCP) and never answers."""

    def __init__(self) -> None:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = int(self.udp.getsockname()[1])
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)

    def spec(self) -> str:
        """The --nameserver value for this server."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Close both sockets."""
        self.udp.close()
        self.tcp.close()
