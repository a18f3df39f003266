"""A stand-in for the Proxmox VE REST API, on 127.0.0.1 over HTTPS, for the hypervisor tests.

Proxmox VE cannot run here (it is a whole Debian-based distribution with its cluster file
system), so this is a fake, and only a fake: a small HTTPS server with a certificate the
tests make, answering the few GET requests check_vigie_hypervisor makes with bodies shaped
exactly as the Proxmox VE API documentation (the API viewer of pve-docs) shows them:
``{"data": ...}`` around the result, ``/cluster/resources`` filtered by ``?type=node|vm|
storage``, ``/cluster/status``, ``/cluster/ha/status/current``, the snapshot list of a
guest with its ``current`` pseudo-entry, and the backup volumes of a storage. It checks
the ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`` header as pveproxy does and
answers ``401 authentication failure`` to a wrong one. ``delay`` makes every answer slow,
to prove that the check keeps its deadline; the wait ends when the server stops.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOKEN_ID = "monitoring@pve!icinga"
TOKEN_SECRET = "5f1c0c9e-93a2-4c4e-9c36-0d2a8f4b7e11"
GiB = 1024**3
# Units of the ages the tests judge (snapshots, backups), counted back from the server's start.
HOUR, DAY = 3600.0, 86400.0


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, its own CA (give it as --ca-file): (cert.pem, key.pem)."""
    cert, key = folder / "pve.pem", folder / "pve.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=pve-test",
            "-days", "2", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def cluster_resources() -> list[dict[str, Any]]:
    """A two-node cluster as /cluster/resources lists it (nodes, guests, storages)."""
    return [
        {"id": "node/pve1", "type": "node", "node": "pve1", "status": "online", "level": "",
         "cpu": 0.1234, "maxcpu": 16, "mem": 24 * GiB, "maxmem": 64 * GiB,
         "disk": 12 * GiB, "maxdisk": 100 * GiB, "uptime": 1209600, "cgroup-mode": 2},
        {"id": "node/pve2", "type": "node", "node": "pve2", "status": "online", "level": "",
         "cpu": 0.02, "maxcpu": 16, "mem": 8 * GiB, "maxmem": 64 * GiB,
         "disk": 10 * GiB, "maxdisk": 100 * GiB, "uptime": 86400, "cgroup-mode": 2},
        {"id": "qemu/100", "type": "qemu", "vmid": 100, "name": "web01", "node": "pve1",
         "status": "running", "template": 0, "hastate": "started", "cpu": 0.05, "maxcpu": 2,
         "mem": 2 * GiB, "maxmem": 4 * GiB, "disk": 0, "maxdisk": 32 * GiB, "uptime": 86400,
         "netin": 1000, "netout": 2000, "diskread": 0, "diskwrite": 0},
        {"id": "qemu/101", "type": "qemu", "vmid": 101, "name": "db01", "node": "pve1",
         "status": "running", "template": 0, "cpu": 0.2, "maxcpu": 4, "mem": 6 * GiB,
         "maxmem": 8 * GiB, "disk": 0, "maxdisk": 64 * GiB, "uptime": 86400},
        {"id": "lxc/102", "type": "lxc", "vmid": 102, "name": "dns01", "node": "pve2",
         "status": "running", "template": 0, "cpu": 0.01, "maxcpu": 1, "mem": 100 * 1024**2,
         "maxmem": 512 * 1024**2, "disk": GiB, "maxdisk": 8 * GiB, "uptime": 3600},
        {"id": "qemu/103", "type": "qemu", "vmid": 103, "name": "test01", "node": "pve2",
         "status": "stopped", "template": 0, "cpu": 0, "maxcpu": 1, "mem": 0,
         "maxmem": GiB, "disk": 0, "maxdisk": 8 * GiB, "uptime": 0},
        {"id": "qemu/9000", "type": "qemu", "vmid": 9000, "name": "debian-12-template",
         "node": "pve1", "status": "stopped", "template": 1, "maxcpu": 1, "maxmem": GiB,
         "maxdisk": 8 * GiB},
        {"id": "storage/pve1/local", "type": "storage", "storage": "local", "node": "pve1",
         "status": "available", "content": "iso,vztmpl,backup", "plugintype": "dir",
         "shared": 0, "disk": 20 * GiB, "maxdisk": 100 * GiB},
        {"id": "storage/pve1/local-lvm", "type": "storage", "storage": "local-lvm",
         "node": "pve1", "status": "available", "content": "images,rootdir",
         "plugintype": "lvmthin", "shared": 0, "disk": 90 * GiB, "maxdisk": 100 * GiB},
        {"id": "storage/pve2/local", "type": "storage", "storage": "local", "node": "pve2",
         "status": "available", "content": "iso,vztmpl,backup", "plugintype": "dir",
         "shared": 0, "disk": 5 * GiB, "maxdisk": 100 * GiB},
        {"id": "storage/pve1/nfs-backup", "type": "storage", "storage": "nfs-backup",
         "node": "pve1", "status": "available", "content": "backup", "plugintype": "nfs",
         "shared": 1, "disk": 500 * GiB, "maxdisk": 2000 * GiB},
        {"id": "storage/pve2/nfs-backup", "type": "storage", "storage": "nfs-backup",
         "node": "pve2", "status": "available", "content": "backup", "plugintype": "nfs",
         "shared": 1, "disk": 500 * GiB, "maxdisk": 2000 * GiB},
    ]  # fmt: skip


def backup_volume(storage: str, vmid: int, kind: str, made: float) -> dict[str, Any]:
    """One backup archive as a storage's content list shows it."""
    stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.gmtime(made))
    ext = "vma.zst" if kind == "qemu" else "tar.zst"
    return {
        "volid": f"{storage}:backup/vzdump-{kind}-{vmid}-{stamp}.{ext}",
        "content": "backup",
        "ctime": int(made),
        "format": ext,
        "size": 1234567890,
        "subtype": kind,
        "vmid": vmid,
        "notes": "",
    }


def default_answers(now: float) -> dict[str, Any]:
    """Every path the check may GET (query included), and the ``data`` each one answers;
    ages count back from ``now``."""
    return {
        "/cluster/resources": cluster_resources(),
        "/cluster/status": [
            {
                "type": "cluster",
                "id": "cluster",
                "name": "prod",
                "nodes": 2,
                "quorate": 1,
                "version": 4,
            },
            {
                "type": "node",
                "id": "node/pve1",
                "name": "pve1",
                "nodeid": 1,
                "ip": "192.0.2.11",
                "local": 1,
                "online": 1,
                "level": "",
            },
            {
                "type": "node",
                "id": "node/pve2",
                "name": "pve2",
                "nodeid": 2,
                "ip": "192.0.2.12",
                "local": 0,
                "online": 1,
                "level": "",
            },
        ],
        "/cluster/ha/status/current": [
            {"id": "quorum", "type": "quorum", "node": "pve1", "status": "OK", "quorate": 1},
            {
                "id": "master",
                "type": "master",
                "node": "pve1",
                "status": "pve1 (active, Tue Dec  1 10:00:00 2026)",
                "timestamp": int(now),
            },
            {
                "id": "lrm:pve1",
                "type": "lrm",
                "node": "pve1",
                "status": "pve1 (active, Tue Dec  1 10:00:00 2026)",
                "timestamp": int(now),
            },
            {
                "id": "service:vm:100",
                "type": "service",
                "sid": "vm:100",
                "node": "pve1",
                "state": "started",
                "crm_state": "started",
                "request_state": "started",
                "max_relocate": 1,
                "max_restart": 1,
                "status": "vm:100 (pve1, started)",
            },
        ],
        "/nodes/pve1/qemu/100/snapshot": [
            {
                "name": "before-upgrade",
                "snaptime": int(now - 10 * DAY),
                "description": "apt full-upgrade",
                "vmstate": 0,
            },
            {
                "name": "current",
                "description": "You are here!",
                "digest": "3f2a",
                "parent": "before-upgrade",
                "running": 1,
            },
        ],
        "/nodes/pve1/qemu/101/snapshot": [
            {"name": "current", "description": "You are here!", "digest": "9b1c", "running": 1},
        ],
        "/nodes/pve2/lxc/102/snapshot": [
            {"name": "current", "description": "You are here!", "digest": "77aa", "running": 1},
        ],
        "/nodes/pve2/qemu/103/snapshot": [
            {"name": "current", "description": "You are here!", "digest": "0c0c", "running": 0},
        ],
        "/nodes/pve1/storage/local/content?content=backup": [
            backup_volume("local", 100, "qemu", now - 30 * DAY),
        ],
        "/nodes/pve2/storage/local/content?content=backup": [],
        "/nodes/pve1/storage/nfs-backup/content?content=backup": [
            backup_volume("nfs-backup", 100, "qemu", now - 2 * HOUR),
            backup_volume("nfs-backup", 101, "qemu", now - 3 * HOUR),
            backup_volume("nfs-backup", 102, "lxc", now - 2 * DAY),
        ],
    }


class FakePve(ThreadingHTTPServer):
    """The fake API on 127.0.0.1 (see the module's docstring); ``seen`` lists each GET."""

    daemon_threads = True

    def __init__(self, cert: tuple[Path, Path]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert)
        # The handshake happens in the handler's thread, not in the accepting one.
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port: int = self.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.now = time.time()
        self.answers = default_answers(self.now)
        self.seen: list[tuple[str, str]] = []
        self.delay = 0.0
        self.stopping = threading.Event()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def resources(self, kind: str) -> list[dict[str, Any]]:
        """The /cluster/resources entries of ``kind``, to change them in place."""
        return [item for item in self.answers["/cluster/resources"] if item["type"] == kind]

    def guest(self, vmid: int) -> dict[str, Any]:
        """The /cluster/resources entry of guest ``vmid``."""
        return next(i for i in self.answers["/cluster/resources"] if i.get("vmid") == vmid)

    def start(self) -> FakePve:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """End slow answers, stop serving, close the socket."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that give up (a timeout test) are expected."""


TYPES = {"vm": ("qemu", "lxc"), "node": ("node",), "storage": ("storage",)}


class _Handler(BaseHTTPRequestHandler):
    server: FakePve
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake = self.server
        fake.seen.append((self.path, self.headers.get("Authorization", "")))
        if fake.delay:
            fake.stopping.wait(fake.delay)
        if self.headers.get("Authorization") != f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}":
            self._answer(401, None, "authentication failure")
            return
        path, _, query = self.path.partition("?")
        if not path.startswith("/api2/json/"):
            self._answer(404, None, "Not Found")
            return
        path = path.removeprefix("/api2/json")
        params = urllib.parse.parse_qs(query)
        if path == "/cluster/resources":
            data = fake.answers[path]
            if "type" in params:
                kinds = TYPES[params["type"][0]]
                data = [item for item in data if item["type"] in kinds]
        elif f"{path}?{query}" in fake.answers:
            data = fake.answers[f"{path}?{query}"]
        elif path in fake.answers:
            data = fake.answers[path]
        else:
            self._answer(500, None, f"Method 'GET {path}' not implemented")
            return
        self._answer(200, data, "OK")

    def _answer(self, status: int, data: Any, reason: str) -> None:
        body = json.dumps({"data": data}).encode()
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return
