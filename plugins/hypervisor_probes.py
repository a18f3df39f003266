"""Data acquisition of check_vigie_hypervisor: one nagiosplugin Resource per mode.

Domain model: a mode is one question asked of the hypervisor (is the host loaded, are the
pools filling, are the guests in the state they should be, are snapshots piling up, is
the cluster whole, are the backups recent). Each Resource asks its backend (libvirt or
Proxmox VE, see ``hypervisor_readings``) and yields one Metric per thing to judge, named
so that the perfdata reads on its own (``images_usage``, ``web01_snapshot_age``). Names to
leave out (``--ignore``) or to keep only (``--include``) are applied here. A backend that
cannot be asked yields one ``failure`` metric: CRITICAL, with the backend's own words.

``words`` maps a metric's name to how the messages name the thing it measures.
"""

from __future__ import annotations

import time

from plugins.hypervisor_readings import GUEST_STATES, BackendError
from plugins.nagios import Metric, Resource

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from plugins.hypervisor_readings import (
        ClusterReading,
        Guest,
        GuestBackup,
        GuestSnapshots,
        HostReading,
        Pool,
    )


def label(name: str) -> str:
    """A perfdata label from a pool or guest name: no quote or equals sign (they break it)."""
    return name.replace("'", "_").replace("=", "_")


class Selection:
    """The names ``--include`` keeps (all when empty) and ``--ignore`` leaves out."""

    def __init__(self, include: list[str], ignore: list[str]) -> None:
        self.include = set(include)
        self.ignore = set(ignore)

    def keeps_name(self, name: str) -> bool:
        """True for a pool (or any named thing) the check looks at."""
        return (not self.include or name in self.include) and name not in self.ignore

    def keeps(self, guest: Guest) -> bool:
        """True for a guest the check looks at (by its name or its ID)."""
        if self.include and not guest.known_as(self.include):
            return False
        return not guest.known_as(self.ignore)


class HypervisorResource(Resource):
    """What every mode shares: the backend, the selection, the failure path, the overview."""

    mode = ""

    def __init__(self, backend: Any, node: str | None, selection: Selection) -> None:
        self.backend = backend
        self.node = node
        self.selection = selection
        self.words: dict[str, str] = {}
        self.reading: Any = None
        self.failure: str | None = None

    @property
    def name(self) -> str:
        """The mode, as nagiosplugin names a resource."""
        return self.mode

    def probe(self) -> Iterator[Metric]:
        """The mode's metrics, or one ``failure`` metric when the backend failed."""
        try:
            self.reading = self.read()
        except BackendError as exc:
            self.failure = str(exc)
            yield Metric("failure", self.failure, context="failure")
            return
        yield from self.metrics()

    def read(self) -> Any:
        """Ask the backend (raises BackendError)."""
        raise NotImplementedError

    def metrics(self) -> Iterator[Metric]:
        """The metrics of ``self.reading``."""
        raise NotImplementedError


class HostResource(HypervisorResource):
    """The host: CPU and memory in use, in percent; memory also in bytes."""

    mode = "host"

    def read(self) -> HostReading:
        """The host reading of the backend."""
        reading: HostReading = self.backend.host(self.node)
        return reading

    def metrics(self) -> Iterator[Metric]:
        """``cpu`` and ``memory`` in percent, then ``memory_used`` and ``memory_total``."""
        host: HostReading = self.reading
        if not host.online:
            self.failure = f"node {host.name} is offline"
            yield Metric("failure", self.failure, context="failure")
            return
        self.words = {"cpu": "CPU", "memory": f"memory {host.memory_meaning}"}
        if host.cpu_percent is not None:
            yield Metric("cpu", host.cpu_percent, "%", 0, 100, context="usage")
        if host.memory_total > 0:
            percent = 100.0 * host.memory_used / host.memory_total
            yield Metric("memory", percent, "%", 0, 100, context="usage")
        yield Metric("memory_used", host.memory_used, "B", 0, host.memory_total, context="bytes")
        yield Metric("memory_total", host.memory_total, "B", 0, context="bytes")


class StorageResource(HypervisorResource):
    """Every storage pool: usage in percent, used and total in bytes, and its state."""

    mode = "storage"

    def read(self) -> list[Pool]:
        """The selected pools; a pool named by --include that does not exist is a failure."""
        pools: list[Pool] = self.backend.pools(self.node)
        found = {pool.name for pool in pools}
        missing = sorted(self.selection.include - found)
        if missing:
            raise BackendError(f"no storage pool named {', '.join(missing)}")
        return [pool for pool in pools if self.selection.keeps_name(pool.name)]

    def metrics(self) -> Iterator[Metric]:
        """Per pool: its state, then ``NAME_usage``, ``NAME_used``, ``NAME_total``."""
        for pool in sorted(self.reading, key=lambda pool: pool.name):
            name = label(pool.name)
            self.words[f"{name}_usage"] = f"pool {pool.name}"
            self.words[f"{name}_state"] = f"pool {pool.name}"
            yield Metric(f"{name}_state", pool.state, context="pool_state")
            if pool.state != "active" or pool.total <= 0:
                continue
            yield Metric(f"{name}_usage", pool.usage_percent, "%", 0, 100, context="usage")
            yield Metric(f"{name}_used", pool.used, "B", 0, pool.total, context="bytes")
            yield Metric(f"{name}_total", pool.total, "B", 0, context="bytes")


class GuestsResource(HypervisorResource):
    """Every guest's state, judged one by one, and how many guests are in each state."""

    mode = "guests"

    def __init__(
        self, backend: Any, node: str | None, selection: Selection, expect_running: list[str]
    ) -> None:
        super().__init__(backend, node, selection)
        self.expect_running = set(expect_running)

    def read(self) -> list[Guest]:
        """The selected guests."""
        guests: list[Guest] = self.backend.guests(self.node)
        return [guest for guest in guests if self.selection.keeps(guest)]

    def metrics(self) -> Iterator[Metric]:
        """``guest:NAME`` for each guest, ``missing:NAME`` for each one expected but absent,
        then the count of guests in each state (perfdata)."""
        guests: list[Guest] = self.reading
        for guest in sorted(guests, key=lambda guest: guest.name):
            expected = guest.known_as(self.expect_running)
            yield Metric(f"guest:{guest.name}", (guest, expected), context="guest")
        for name in sorted(self.expect_running):
            if not any(guest.known_as({name}) for guest in guests):
                yield Metric(f"missing:{name}", name, context="missing_guest")
        for state in GUEST_STATES:
            count = sum(1 for guest in guests if guest.state == state)
            yield Metric(state, count, min=0, context="count")


class SnapshotsResource(HypervisorResource):
    """Per guest: how many snapshots, and the age of the oldest (seconds)."""

    mode = "snapshots"

    def read(self) -> list[GuestSnapshots]:
        """The selected guests' snapshots."""
        found: list[GuestSnapshots] = self.backend.snapshots(self.node)
        return [item for item in found if self.selection.keeps(item.guest)]

    def metrics(self) -> Iterator[Metric]:
        """``NAME_snapshots`` (count) for every guest, ``NAME_snapshot_age`` where any."""
        now = time.time()
        for item in sorted(self.reading, key=lambda item: item.guest.name):
            name = label(item.guest.name)
            self.words[f"{name}_snapshots"] = f"guest {item.guest.name}"
            yield Metric(f"{name}_snapshots", len(item.taken), min=0, context="snapshot_count")
            oldest = item.oldest()
            if oldest is not None:
                self.words[f"{name}_snapshot_age"] = (
                    f"snapshot {oldest[0]!r} of guest {item.guest.name}"
                )
                age = max(0.0, now - oldest[1])
                yield Metric(f"{name}_snapshot_age", age, "s", 0, context="snapshot_age")


class ClusterResource(HypervisorResource):
    """The cluster: quorum, nodes online and offline, HA resources and their states."""

    mode = "cluster"

    def read(self) -> ClusterReading:
        """The backend's view of the cluster."""
        reading: ClusterReading = self.backend.cluster()
        return reading

    def metrics(self) -> Iterator[Metric]:
        """``quorum``, ``nodes_offline`` (judged), ``nodes_online``, ``ha:SID`` each."""
        cluster: ClusterReading = self.reading
        offline = sorted(name for name, up in cluster.nodes.items() if not up)
        total = len(cluster.nodes)
        self.words["nodes_offline"] = "offline: " + ", ".join(offline) if offline else ""
        yield Metric("quorum", cluster.quorate, context="quorum")
        yield Metric("nodes_offline", len(offline), min=0, max=total, context="nodes_offline")
        yield Metric("nodes_online", total - len(offline), min=0, max=total, context="count")
        for sid, state in sorted(cluster.ha.items()):
            yield Metric(f"ha:{sid}", state, context="ha")
        errors = sum(1 for state in cluster.ha.values() if state == "error")
        yield Metric("ha_error", errors, min=0, context="count")


class BackupsResource(HypervisorResource):
    """Per guest: the age of its newest backup (seconds), or that it has none."""

    mode = "backups"

    def read(self) -> list[GuestBackup]:
        """The selected guests' newest backups."""
        found: list[GuestBackup] = self.backend.backups(self.node)
        return [item for item in found if self.selection.keeps(item.guest)]

    def metrics(self) -> Iterator[Metric]:
        """``NAME_backup_age`` for every guest."""
        now = time.time()
        for item in sorted(self.reading, key=lambda item: item.guest.name):
            name = label(item.guest.name)
            self.words[f"{name}_backup_age"] = f"guest {item.guest.name}"
            if item.last_at is None:
                yield Metric(f"{name}_backup_age", None, context="no_backup")
            else:
                age = max(0.0, now - item.last_at)
                yield Metric(f"{name}_backup_age", age, "s", 0, context="backup_age")


RESOURCES: dict[str, type[HypervisorResource]] = {
    "host": HostResource,
    "storage": StorageResource,
    "guests": GuestsResource,
    "snapshots": SnapshotsResource,
    "cluster": ClusterResource,
    "backups": BackupsResource,
}
