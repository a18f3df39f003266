"""Acquisition from libvirt (KVM/QEMU hosts, and libvirt's own test driver).

Domain model: a libvirt connection URI names a hypervisor (``qemu:///system`` on the host
itself, ``qemu+ssh://root@kvm1/system`` from afar, ``test:///default`` for libvirt's
in-process test driver). The check opens it read-only, as a monitoring user should: it can
look at everything and change nothing. Guests come from one bulk call
(``virConnectGetAllDomainStats``), not one call per guest.

libvirt-python is the optional extra ``vigie[libvirt]``: it is imported here only, when a
libvirt check runs, and its absence is an UNKNOWN saying how to install it.
"""

from __future__ import annotations

import logging
import time

from plugins.arguments import PluginError
from plugins.hypervisor_readings import (
    BackendError,
    Guest,
    GuestSnapshots,
    HostReading,
    Pool,
)

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from plugins.deadline import Deadline

_log = logging.getLogger(__name__)

INSTALL_HINT = (
    "libvirt-python is not installed: pip install 'vigie[libvirt]' "
    "(on Debian it builds with: apt-get install libvirt-dev pkg-config gcc python3-dev)"
)
# virDomainState, in libvirt's order.
DOMAIN_STATES = (
    "unknown",  # VIR_DOMAIN_NOSTATE
    "running",
    "blocked",
    "paused",
    "shutdown",  # being shut down
    "shutoff",
    "crashed",
    "suspended",  # VIR_DOMAIN_PMSUSPENDED: suspended to RAM or disk by the guest
)
# virStoragePoolState, in libvirt's order.
POOL_STATES = ("inactive", "building", "active", "degraded", "inaccessible")


def _libvirt() -> Any:
    try:
        import libvirt
    except ImportError:
        raise PluginError(INSTALL_HINT) from None
    # Without a handler, libvirt prints every error on stderr as well as raising it.
    libvirt.registerErrorHandler(lambda _context, _error: None, None)
    return libvirt


class LibvirtBackend:
    """One read-only connection to the hypervisor at ``uri``, opened on first use."""

    def __init__(self, uri: str, deadline: Deadline, cpu_sample: float = 1.0) -> None:
        self.uri = uri
        self.deadline = deadline
        self.cpu_sample = cpu_sample
        self.libvirt = _libvirt()
        self._conn: Any = None

    def describe(self) -> str:
        """Where the readings come from, for messages."""
        return self.uri

    def _connection(self) -> Any:
        if self._conn is None:
            self.deadline.activity = f"connecting to {self.uri}"
            try:
                self._conn = self.libvirt.openReadOnly(self.uri)
            except self.libvirt.libvirtError as exc:
                raise BackendError(f"cannot connect to {self.uri}: {_reason(exc)}") from None
            _log.info("connected read-only to %s", self.uri)
        return self._conn

    def _call(self, what: str, call: Any, *args: Any) -> Any:
        self.deadline.activity = f"{what} from {self.uri}"
        try:
            return call(*args)
        except self.libvirt.libvirtError as exc:
            raise BackendError(f"{self.uri}: {what} failed: {_reason(exc)}") from None

    def _unsupported(self, exc: Any) -> bool:
        return bool(exc.get_error_code() == self.libvirt.VIR_ERR_NO_SUPPORT)

    # --- host -------------------------------------------------------------------------

    def host(self, node: str | None = None) -> HostReading:
        """CPU in use over ``cpu_sample`` seconds, and memory in use on the host."""
        conn = self._connection()
        name = self._call("reading the host name", conn.getHostname)
        cpu = self._cpu_percent(conn)
        used, total, meaning = self._memory(conn)
        return HostReading(name, cpu, used, total, memory_meaning=meaning)

    def _cpu_percent(self, conn: Any) -> float | None:
        all_cpus = self.libvirt.VIR_NODE_CPU_STATS_ALL_CPUS
        first = self._call("reading CPU counters", conn.getCPUStats, all_cpus)
        # Two samples: the counters are cumulative since boot. Never past the deadline.
        pause = min(self.cpu_sample, max(0.0, self.deadline.network_remaining() - 0.5))
        self.deadline.activity = f"sampling CPU usage on {self.uri} for {pause:.1f} s"
        time.sleep(pause)
        second = self._call("reading CPU counters", conn.getCPUStats, all_cpus)
        return cpu_percent(first, second)

    def _memory(self, conn: Any) -> tuple[int, int, str]:
        self.deadline.activity = f"reading memory usage from {self.uri}"
        try:
            stats = conn.getMemoryStats(self.libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS)
        except self.libvirt.libvirtError as exc:
            if not self._unsupported(exc):
                raise BackendError(f"{self.uri}: reading memory failed: {_reason(exc)}") from None
            stats = None
        if stats:
            total = stats.get("total", 0)
            # As free(1) counts it: buffers and page cache are memory the host can reclaim.
            free = stats.get("free", 0) + stats.get("buffers", 0) + stats.get("cached", 0)
            return (total - free) * 1024, total * 1024, "used"
        # Drivers without node memory statistics (the test driver): what the running guests
        # have been given, against the host's memory.
        total_mib = self._call("reading the host's memory", conn.getInfo)[1]
        active = self.libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE
        domains = self._call("listing running guests", conn.listAllDomains, active)
        assigned_kib = sum(self._call("reading a guest", domain.info)[2] for domain in domains)
        return assigned_kib * 1024, total_mib * 1024 * 1024, "assigned to running guests"

    # --- storage ------------------------------------------------------------------------

    def pools(self, node: str | None = None) -> list[Pool]:
        """Every storage pool with its usage; an inactive pool is listed with its state."""
        conn = self._connection()
        pools = []
        for pool in self._call("listing storage pools", conn.listAllStoragePools):
            state, capacity, _allocation, available = self._call(
                f"reading pool {pool.name()}", pool.info
            )
            state_name = POOL_STATES[state] if 0 <= state < len(POOL_STATES) else "unknown"
            # Used as the file system sees it: capacity minus what is still available.
            pools.append(Pool(pool.name(), capacity - available, capacity, state_name))
        return pools

    # --- guests ---------------------------------------------------------------------------

    def guests(self, node: str | None = None) -> list[Guest]:
        """Every guest and its state, in one bulk call."""
        conn = self._connection()
        stats = self._call(
            "reading guest states", conn.getAllDomainStats, self.libvirt.VIR_DOMAIN_STATS_STATE
        )
        guests = []
        for domain, values in stats:
            code = values.get("state.state", 0)
            state = DOMAIN_STATES[code] if 0 <= code < len(DOMAIN_STATES) else "unknown"
            guests.append(Guest(domain.name(), state, ident=domain.UUIDString()))
        return guests

    def snapshots(self, node: str | None = None) -> list[GuestSnapshots]:
        """Each guest's snapshots with their creation times."""
        conn = self._connection()
        found = []
        for domain in self._call("listing guests", conn.listAllDomains):
            taken = []
            name = domain.name()
            for snapshot in self._call(f"listing snapshots of {name}", domain.listAllSnapshots):
                xml = self._call(f"reading a snapshot of {name}", snapshot.getXMLDesc)
                taken.append((snapshot.getName(), creation_time(xml)))
            # The run state is not read: the snapshots mode does not judge it.
            guest = Guest(name, "unknown", ident=domain.UUIDString())
            found.append(GuestSnapshots(guest, taken))
        return found


def cpu_percent(first: dict[str, int], second: dict[str, int]) -> float | None:
    """CPU in use between two samples of node CPU counters (nanoseconds), in percent.

    Idle and I/O wait count as unused. None when the counters did not move (the test
    driver's are fixed): nothing was measured.
    """
    total = sum(second.values()) - sum(first.values())
    if total <= 0:
        return None
    unused = sum(second.get(key, 0) - first.get(key, 0) for key in ("idle", "iowait"))
    return max(0.0, min(100.0, 100.0 * (total - unused) / total))


def creation_time(snapshot_xml: str) -> float:
    """The ``<creationTime>`` of a snapshot's XML description (Unix seconds), 0 if absent."""
    start = snapshot_xml.find("<creationTime>")
    end = snapshot_xml.find("</creationTime>", start)
    if start < 0 or end < 0:
        return 0.0
    text = snapshot_xml[start + len("<creationTime>") : end].strip()
    return float(text) if text.isdigit() else 0.0


def _reason(exc: Any) -> str:
    message = exc.get_error_message() if hasattr(exc, "get_error_message") else None
    return str(message or exc)
