"""Evaluation and presentation of check_vigie_hypervisor: the Contexts and the Summary.

Domain model: what is wrong with a hypervisor, and how bad. Usage (CPU, memory, pools) and
ages (snapshots, backups) are judged against the admin's Nagios ranges. Guest states are
judged by what they mean for the service: a crashed guest is down (CRITICAL); a paused,
suspended or blocked one is stuck (WARNING); a guest the contract expects running that is
not is down (CRITICAL); a guest shut off on purpose is listed, not alarmed. A cluster that
lost its quorum or holds an HA resource in error is CRITICAL; an offline node is judged
against the ranges (by default any offline node is a WARNING).

The Summary says it in one line: problems first, worst first, then the overview of the
mode (``kvm1: CPU 12.0%, memory used 45.3% (3.4 of 7.5 GiB)``).
"""

from __future__ import annotations

import time

from plugins.contexts import FailureContext, ThresholdContext
from plugins.nagios import Context, Critical, Ok, Result, Summary, Warn
from plugins.wording import duration, one_line, range_text, range_violation

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from plugins.hypervisor_probes import HypervisorResource
    from plugins.hypervisor_readings import (
        ClusterReading,
        Guest,
        GuestBackup,
        GuestSnapshots,
        HostReading,
        Pool,
    )
    from plugins.nagios import Metric, Performance, Range, Resource, Results

# Guest states that mean "stuck": the guest exists and holds its resources but serves nothing.
STUCK = ("paused", "suspended", "blocked")
# HA resource states worth a look but not (yet) an outage.
HA_TRANSIENT = ("fence", "recovery", "freeze")
# How many names a summary lists before it says "and N more".
NAMES_SHOWN = 8


# --- wording ------------------------------------------------------------------------------


def size(value: float) -> str:
    """Bytes as a person reads them: ``512 MiB``, ``3.4 GiB``, ``1.2 TiB``."""
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value / 1024:.0f} KiB"


def names(items: list[str]) -> str:
    """A list of names, cut after ``NAMES_SHOWN``."""
    shown = ", ".join(items[:NAMES_SHOWN])
    more = len(items) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _words(metric: Metric) -> str:
    resource: HypervisorResource | None = metric.resource  # type: ignore[assignment]
    return resource.words.get(metric.name, metric.name) if resource is not None else metric.name


def _usage_hint(metric: Metric, level: str, spec: Range) -> str:
    value = f"{metric.value:.1f}%"
    if not spec.invert and spec.start == 0:
        return f"{_words(metric)} {value} is above the {level} threshold of {range_text(spec)}%"
    return f"{_words(metric)} {value} is {range_violation(spec, level)}"


def _age_hint(metric: Metric, level: str, spec: Range) -> str:
    age = duration(metric.value)
    if not spec.invert and spec.start == 0:
        limit = duration(spec.end)
        if metric.name.endswith("_backup_age"):
            return f"last backup of {_words(metric)} is {age} old, more than {limit} ({level})"
        return f"{_words(metric)} is {age} old, more than {limit} ({level})"
    return f"{_words(metric)}: age {age} is {range_violation(spec, level)} (seconds)"


def _count_hint(metric: Metric, level: str, spec: Range) -> str:
    return f"{_words(metric)} has {metric.value} snapshots, {range_violation(spec, level)}"


def _offline_hint(metric: Metric, level: str, spec: Range) -> str:
    return f"{metric.value} node(s) {_words(metric)} ({range_violation(spec, level)})"


# --- evaluation -----------------------------------------------------------------------------


class GuestContext(Context):
    """One guest's state: crashed or expected-but-not-running is CRITICAL, stuck is WARNING."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """The guest's verdict; a shut-off guest nobody expects running is fine."""
        guest: Guest = metric.value[0]
        expected: bool = metric.value[1]
        if guest.state == "crashed":
            return Result(Critical, f"guest {guest.name} has crashed", metric)
        if expected and guest.state != "running":
            return Result(
                Critical, f"guest {guest.name} is {guest.state}, expected running", metric
            )
        if guest.state in STUCK:
            return Result(Warn, f"guest {guest.name} is {guest.state}", metric)
        return Result(Ok, None, metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance | None:
        """None: the counts per state are the perfdata, not each guest."""
        return None


class MissingGuestContext(Context):
    """A guest named in --expect-running that the hypervisor does not have: CRITICAL."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Always critical."""
        return Result(Critical, f"guest {metric.value} expected running but not found", metric)


class PoolStateContext(Context):
    """A pool that is not active: inactive or building is WARNING, anything else CRITICAL."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK for an active pool."""
        if metric.value == "active":
            return Result(Ok, None, metric)
        state = Warn if metric.value in ("inactive", "building") else Critical
        return Result(state, f"{_words(metric)} is {metric.value}", metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance | None:
        """None: a state is no number."""
        return None


class QuorumContext(Context):
    """A cluster without quorum is CRITICAL (writes are blocked, HA cannot act)."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """None (a single node) and True are fine."""
        if metric.value is False:
            return Result(Critical, "the cluster has lost its quorum", metric)
        return Result(Ok, None, metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance | None:
        """None: the node counts are the perfdata."""
        return None


class HaContext(Context):
    """An HA resource in error is CRITICAL; being fenced, recovered or frozen is WARNING."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """OK for every other state (started, stopped, disabled, migrating...)."""
        sid = metric.name.removeprefix("ha:")
        if metric.value == "error":
            return Result(Critical, f"HA resource {sid} is in error", metric)
        if metric.value in HA_TRANSIENT:
            return Result(Warn, f"HA resource {sid} is in {metric.value}", metric)
        return Result(Ok, None, metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance | None:
        """None: ``ha_error`` counts them."""
        return None


class NoBackupContext(Context):
    """A guest without any backup archive: CRITICAL (there is nothing to restore)."""

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """Always critical."""
        return Result(Critical, f"{_words(metric)} has no backup", metric)

    def performance(self, metric: Metric, resource: Resource) -> Performance | None:
        """None: there is no age to plot."""
        return None


def contexts(
    warning: Range | None,
    critical: Range | None,
    count_warning: Range | None,
    count_critical: Range | None,
) -> list[Context]:
    """Every context a mode may need; ``warning``/``critical`` are in the mode's unit.

    A failure (the hypervisor could not be asked, a node is offline) is CRITICAL.
    """
    return [
        FailureContext(),
        ThresholdContext("usage", warning, critical, digits=2, hint=_usage_hint),
        ThresholdContext("bytes", digits=0),
        ThresholdContext("count", digits=0),
        PoolStateContext("pool_state"),
        GuestContext("guest"),
        MissingGuestContext("missing_guest"),
        ThresholdContext("snapshot_age", warning, critical, digits=0, hint=_age_hint),
        ThresholdContext(
            "snapshot_count", count_warning, count_critical, digits=0, hint=_count_hint
        ),
        ThresholdContext("backup_age", warning, critical, digits=0, hint=_age_hint),
        QuorumContext("quorum"),
        ThresholdContext("nodes_offline", warning, critical, digits=0, hint=_offline_hint),
        HaContext("ha"),
        NoBackupContext("no_backup"),
    ]


# --- presentation ---------------------------------------------------------------------------


class HypervisorSummary(Summary):
    """The status line: problems worst first, then what the mode saw."""

    def __init__(self, resource: HypervisorResource) -> None:
        self.resource = resource

    def ok(self, results: Results) -> str:
        """The mode's overview."""
        return one_line(overview(self.resource))

    def problem(self, results: Results) -> str:
        """Every problem, worst first, then the overview (unless the backend failed)."""
        parts = [one_line(str(result)) for result in _problems(results)]
        if self.resource.failure is None:
            parts.append(one_line(overview(self.resource)))
        return "; ".join(parts)

    def verbose(self, results: Results) -> list[str]:
        """With -v: each problem with its state, worst first."""
        return [one_line(f"{result.state.text}: {result}") for result in _problems(results)]

    def empty(self) -> str:
        """No metric at all: nothing was looked at."""
        return f"nothing to check ({self.resource.mode})"


def _problems(results: Results) -> list[Result]:
    """The results that are not OK and say something, worst first (stable within a state)."""
    bad = [result for result in results if result.state != Ok and str(result)]
    return sorted(bad, key=lambda result: -int(result.state))


def overview(resource: HypervisorResource) -> str:
    """What the mode saw, in a few words."""
    reading = resource.reading
    if reading is None:
        return resource.failure or "no reading"
    return OVERVIEWS[resource.mode](reading)


def _host(host: HostReading) -> str:
    cpu = (
        f"CPU {host.cpu_percent:.1f}%"
        if host.cpu_percent is not None
        else "CPU not measured (its counters did not move)"
    )
    if host.memory_total <= 0:
        return f"{host.name}: {cpu}, memory size unknown"
    percent = 100.0 * host.memory_used / host.memory_total
    return (
        f"{host.name}: {cpu}, memory {host.memory_meaning} {percent:.1f}% "
        f"({size(host.memory_used)} of {size(host.memory_total)})"
    )


def _storage(pools: list[Pool]) -> str:
    if not pools:
        return "no storage pool"
    active = [pool for pool in pools if pool.state == "active" and pool.total > 0]
    text = f"{len(pools)} storage pool{'s' if len(pools) != 1 else ''}"
    if active:
        fullest = max(active, key=lambda pool: pool.usage_percent)
        text += (
            f", fullest {fullest.name} {fullest.usage_percent:.1f}% "
            f"({size(fullest.used)} of {size(fullest.total)})"
        )
    return text


def _guests(guests: list[Guest]) -> str:
    if not guests:
        return "no guest"
    counts = [
        f"{sum(1 for guest in guests if guest.state == state)} {state}"
        for state in ("running", "paused", "suspended", "blocked", "crashed", "shutdown", "unknown")
        if any(guest.state == state for guest in guests)
    ]
    off = sorted(guest.name for guest in guests if guest.state == "shutoff")
    if off:
        counts.append(f"{len(off)} shut off ({names(off)})")
    return f"{len(guests)} guest{'s' if len(guests) != 1 else ''}: " + ", ".join(counts)


def _snapshots(found: list[GuestSnapshots]) -> str:
    total = sum(len(item.taken) for item in found)
    having = [item for item in found if item.taken]
    if not total:
        return f"no snapshot on {len(found)} guest{'s' if len(found) != 1 else ''}"
    firsts = [(item, item.oldest() or ("", 0.0)) for item in having]
    oldest, (snap_name, taken_at) = min(firsts, key=lambda pair: pair[1][1])
    return (
        f"{total} snapshot{'s' if total != 1 else ''} on {len(having)} of {len(found)} guests, "
        f"oldest {duration(max(0.0, time.time() - taken_at))} "
        f"({oldest.guest.name}: {snap_name})"
    )


def _cluster(cluster: ClusterReading) -> str:
    online = sum(1 for up in cluster.nodes.values() if up)
    if cluster.quorate is None:
        head = f"{cluster.name} (no cluster)"
    else:
        head = f"cluster {cluster.name} {'quorate' if cluster.quorate else 'NOT quorate'}"
    errors = sum(1 for state in cluster.ha.values() if state == "error")
    ha = f"{len(cluster.ha)} HA resources, {errors or 'none'} in error" if cluster.ha else "no HA"
    return f"{head}, {online} of {len(cluster.nodes)} nodes online, {ha}"


def _backups(found: list[GuestBackup]) -> str:
    dated = [item for item in found if item.last_at is not None]
    text = f"{len(dated)} of {len(found)} guests backed up"
    if dated:
        oldest = min(dated, key=lambda item: item.last_at or 0.0)
        oldest_at = oldest.last_at or 0.0
        text += (
            f", the longest ago {oldest.guest.name} "
            f"{duration(max(0.0, time.time() - oldest_at))} ago"
        )
    return text


OVERVIEWS: dict[str, Callable[[Any], str]] = {
    "host": _host,
    "storage": _storage,
    "guests": _guests,
    "snapshots": _snapshots,
    "cluster": _cluster,
    "backups": _backups,
}
