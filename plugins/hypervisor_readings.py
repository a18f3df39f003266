"""What a hypervisor tells about itself, whatever its kind: the readings the check judges.

Domain model: the virtualisation layer of a managed server (R17). A hypervisor is a host
(CPU and memory in use), storage pools (bytes used of bytes available to guests), guests
in some run state, snapshots of guests (each one a growing disk overlay), and for a cluster
such as Proxmox VE, a quorum, member nodes and high-availability resources, and the backups
of its guests. A backend (libvirt, Proxmox VE) turns its own API into these plain values;
the check judges them without knowing where they came from.

Guest states are libvirt's words, to which Proxmox VE's map: ``running``, ``paused``,
``suspended`` (saved to disk or to RAM), ``blocked`` (waiting on a resource), ``crashed``,
``shutoff``, ``shutdown`` (going down right now) and ``unknown``.
"""

from __future__ import annotations

GUEST_STATES = (
    "running",
    "paused",
    "suspended",
    "blocked",
    "crashed",
    "shutdown",
    "shutoff",
    "unknown",
)


class BackendError(Exception):
    """The hypervisor could not be asked or did not answer: CRITICAL, the message says why."""


class HostReading:
    """The hypervisor host: its name, CPU in use (None when not measurable) and memory.

    ``memory_meaning`` says what ``memory_used`` counts: ``used`` (by the host's own
    accounting) or ``assigned to running guests`` when the driver tells no more.
    """

    __slots__ = ("cpu_percent", "memory_meaning", "memory_total", "memory_used", "name", "online")

    def __init__(
        self,
        name: str,
        cpu_percent: float | None,
        memory_used: int,
        memory_total: int,
        *,
        memory_meaning: str = "used",
        online: bool = True,
    ) -> None:
        self.name = name
        self.cpu_percent = cpu_percent
        self.memory_used = memory_used
        self.memory_total = memory_total
        self.memory_meaning = memory_meaning
        self.online = online


class Pool:
    """A storage pool: bytes used of its total; ``state`` is ``active`` or what is wrong."""

    __slots__ = ("name", "state", "total", "used")

    def __init__(self, name: str, used: int, total: int, state: str = "active") -> None:
        self.name = name
        self.used = used
        self.total = total
        self.state = state

    @property
    def usage_percent(self) -> float:
        """Used as a share of the total, in percent (0 for an empty or unknown size)."""
        return 100.0 * self.used / self.total if self.total > 0 else 0.0


class Guest:
    """A virtual machine or container: its name, its ID where the platform has one, its state."""

    __slots__ = ("ident", "name", "node", "state")

    def __init__(self, name: str, state: str, ident: str = "", node: str = "") -> None:
        self.name = name
        self.state = state
        self.ident = ident
        self.node = node

    def known_as(self, names: set[str]) -> bool:
        """True when ``names`` holds this guest's name or its ID."""
        return self.name in names or (bool(self.ident) and self.ident in names)


class GuestSnapshots:
    """The snapshots of one guest: their names and creation times (Unix seconds)."""

    __slots__ = ("guest", "taken")

    def __init__(self, guest: Guest, taken: list[tuple[str, float]]) -> None:
        self.guest = guest
        self.taken = taken

    def oldest(self) -> tuple[str, float] | None:
        """The oldest snapshot's name and creation time, if any."""
        return min(self.taken, key=lambda item: item[1]) if self.taken else None


class ClusterReading:
    """A cluster's health: quorum (None for a single node), its nodes, its HA resources.

    ``nodes`` maps each node's name to True when online; ``ha`` maps each HA resource
    (``vm:100``) to its state (``started``, ``error``, ``fence``...).
    """

    __slots__ = ("ha", "name", "nodes", "quorate")

    def __init__(
        self, name: str, quorate: bool | None, nodes: dict[str, bool], ha: dict[str, str]
    ) -> None:
        self.name = name
        self.quorate = quorate
        self.nodes = nodes
        self.ha = ha


class GuestBackup:
    """A guest and the time of its newest backup archive (Unix seconds), None if none."""

    __slots__ = ("guest", "last_at", "where")

    def __init__(self, guest: Guest, last_at: float | None, where: str = "") -> None:
        self.guest = guest
        self.last_at = last_at
        self.where = where
