"""The bridge's own health, read-only, for ``check_vigie_bridge`` and ``vigie doctor``.

What can leave a notification or an alert stuck out of sight: events waiting in the spool
(the store could not be written), records set aside by a replay, alerts the relay did not
take, acknowledgements Icinga did not take, and a store the user running ``vigie notify``
cannot write. Reading this writes nothing, not even the store's creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bridge.config.model import Config
from bridge.services.icinga import pending_acknowledgements
from bridge.store import journal, spool
from bridge.store.access import NotWritable, check_writable
from bridge.store.errors import StoreError
from bridge.store.unit_of_work import open_store


@dataclass(frozen=True)
class Health:
    """The bridge's state as the user asking sees it."""

    store: Path
    not_writable: NotWritable | None
    store_error: str | None
    spooled: int
    oldest_spooled: datetime | None
    rejected: int
    alerts_waiting: int
    alerts_failing: int
    oldest_alert: datetime | None
    acks_failing: int


def bridge_health(config: Config) -> Health:
    """Read the spool, the outbox and the acknowledgements; nothing is written."""
    path = config.store_path
    waiting = journal.waiting(path)
    rejected = _lines(spool.rejected_path(spool.spool_path(path)))
    store_error = None
    alerts: tuple[int, int, datetime | None] = (0, 0, None)
    acks = 0
    try:
        with open_store(config, write=False) as uow:
            alerts = uow.tickets.outbox_backlog()
            acks = len(pending_acknowledgements(uow))
    except StoreError as error:
        store_error = str(error)
    return Health(
        store=path,
        not_writable=check_writable(path, owner_only=False),
        store_error=store_error,
        spooled=waiting.records,
        oldest_spooled=waiting.oldest,
        rejected=rejected,
        alerts_waiting=alerts[0],
        alerts_failing=alerts[1],
        oldest_alert=alerts[2],
        acks_failing=acks,
    )


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0
