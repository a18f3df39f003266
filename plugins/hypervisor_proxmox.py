"""Acquisition from Proxmox VE, through its REST API (``plugins.pve_api``).

Domain model: a Proxmox VE cluster of nodes, each running QEMU virtual machines and LXC
containers (guests, known by a numeric VMID and a name) on storages. One call,
``GET /cluster/resources``, lists every node, guest and storage with its status and usage,
as the cluster's status daemon last saw it: the host, storage and guests modes need
nothing more. The cluster mode reads ``/cluster/status`` (quorum, members) and
``/cluster/ha/status/current`` (HA resources); snapshots are listed per guest
(``/nodes/{node}/qemu/{vmid}/snapshot``); the newest backup of each guest is the newest
``backup`` volume on the storages that hold backups
(``/nodes/{node}/storage/{storage}/content?content=backup``): a failed backup leaves no
archive, so that is the last successful one.
"""

from __future__ import annotations

from plugins.hypervisor_readings import (
    BackendError,
    ClusterReading,
    Guest,
    GuestBackup,
    GuestSnapshots,
    HostReading,
    Pool,
)

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from plugins.pve_api import PveApi

# The ``status`` of a guest in /cluster/resources (QEMU's own run state for a running VM)
# in libvirt's words.
GUEST_STATES = {
    "running": "running",
    "stopped": "shutoff",
    "paused": "paused",
    "suspended": "suspended",
    "prelaunch": "paused",
    "io-error": "blocked",
    "internal-error": "crashed",
    "guest-panicked": "crashed",
    "shutdown": "shutdown",
}


class ProxmoxBackend:
    """Readings from the Proxmox VE cluster that ``api`` reaches."""

    def __init__(self, api: PveApi) -> None:
        self.api = api

    def describe(self) -> str:
        """Where the readings come from, for messages."""
        return f"Proxmox VE at {self.api.where}"

    def _list(self, path: str) -> list[dict[str, Any]]:
        """The entries of a list the API answers at ``path``; BackendError for anything else."""
        data = self.api.get(path)
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise BackendError(f"GET {path}: the answer is not a list of entries")
        return data

    def _resources(self, kind: str) -> list[dict[str, Any]]:
        return self._list(f"/cluster/resources?type={kind}")

    # --- host -------------------------------------------------------------------------

    def host(self, node: str | None = None) -> HostReading:
        """The node's CPU and memory usage as /cluster/resources reports them."""
        for item in self._resources("node"):
            if item.get("node") == node and item.get("type") == "node":
                online = item.get("status") == "online"
                cpu = item.get("cpu")
                return HostReading(
                    str(node),
                    100.0 * _number(item, "cpu") if online and cpu is not None else None,
                    int(_number(item, "mem")),
                    int(_number(item, "maxmem")),
                    online=online,
                )
        raise BackendError(f"node {node!r} is not a member of this Proxmox VE cluster")

    # --- storage ------------------------------------------------------------------------

    def pools(self, node: str | None = None) -> list[Pool]:
        """Every storage of ``node`` (or of every node), with its usage."""
        pools: dict[str, Pool] = {}
        for item in self._resources("storage"):
            if node and item.get("node") != node:
                continue
            name = str(item.get("storage", "?"))
            # A shared storage appears once per node; elsewhere the node tells them apart.
            if not node and not item.get("shared"):
                name = f"{item.get('node')}/{name}"
            state = "active" if item.get("status") == "available" else "unavailable"
            pools[name] = Pool(
                name, int(_number(item, "disk")), int(_number(item, "maxdisk")), state
            )
        return list(pools.values())

    # --- guests ---------------------------------------------------------------------------

    def _guest_items(self, node: str | None) -> list[dict[str, Any]]:
        return [
            item
            for item in self._resources("vm")
            if item.get("type") in ("qemu", "lxc")
            and not item.get("template")
            and (not node or item.get("node") == node)
        ]

    def guests(self, node: str | None = None) -> list[Guest]:
        """Every guest (templates aside) and its state; HA errors count as crashed."""
        return [_guest(item) for item in self._guest_items(node)]

    def snapshots(self, node: str | None = None) -> list[GuestSnapshots]:
        """Each guest's snapshots (the ``current`` pseudo-snapshot aside)."""
        found = []
        for item in self._guest_items(node):
            path = f"/nodes/{item.get('node')}/{item.get('type')}/{item.get('vmid')}/snapshot"
            taken = [
                (str(snap.get("name")), _number(snap, "snaptime"))
                for snap in self._list(path)
                if snap.get("name") != "current"
            ]
            found.append(GuestSnapshots(_guest(item), taken))
        return found

    # --- cluster ------------------------------------------------------------------------

    def cluster(self) -> ClusterReading:
        """Quorum and members from /cluster/status, HA resources from the HA manager."""
        name = "standalone"
        quorate: bool | None = None
        nodes: dict[str, bool] = {}
        for item in self._list("/cluster/status"):
            if item.get("type") == "cluster":
                name = str(item.get("name", name))
                quorate = bool(item.get("quorate"))
            elif item.get("type") == "node":
                nodes[str(item.get("name"))] = bool(item.get("online"))
        ha = {
            str(item.get("sid")): str(item.get("state", "unknown"))
            for item in self._list("/cluster/ha/status/current")
            if item.get("type") == "service"
        }
        return ClusterReading(name, quorate, nodes, ha)

    # --- backups --------------------------------------------------------------------------

    def backups(self, node: str | None = None) -> list[GuestBackup]:
        """Each guest's newest backup archive on the storages that hold backups."""
        newest: dict[str, tuple[float, str]] = {}
        seen_shared: set[str] = set()
        for item in self._resources("storage"):
            if "backup" not in str(item.get("content", "")).split(","):
                continue
            if item.get("status") != "available":
                continue
            storage = str(item.get("storage"))
            if item.get("shared"):
                if storage in seen_shared:
                    continue
                seen_shared.add(storage)
            path = f"/nodes/{item.get('node')}/storage/{storage}/content?content=backup"
            for volume in self._list(path):
                vmid = str(volume.get("vmid", ""))
                made = _number(volume, "ctime")
                if vmid and made > newest.get(vmid, (0.0, ""))[0]:
                    newest[vmid] = (made, storage)
        found = []
        for item in self._guest_items(node):
            guest = _guest(item)
            last = newest.get(guest.ident)
            found.append(GuestBackup(guest, *last) if last else GuestBackup(guest, None))
        return found


def _number(item: dict[str, Any], key: str) -> float:
    """``item[key]`` as a number (0 when absent); BackendError when it is not one."""
    value = item.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BackendError(f"the Proxmox VE API gave {key} = {value!r}, not a number")
    return float(value)


def _guest(item: dict[str, Any]) -> Guest:
    state = GUEST_STATES.get(str(item.get("status")), "unknown")
    if item.get("hastate") == "error":
        state = "crashed"
    elif state == "shutoff" and item.get("lock") == "suspended":
        state = "suspended"  # hibernated: its RAM saved to disk
    vmid = str(item.get("vmid", ""))
    return Guest(str(item.get("name") or vmid), state, ident=vmid, node=str(item.get("node", "")))
