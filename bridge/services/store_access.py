"""Opening the store for a command that writes it: as its owner, the spool replayed first.

A notification Icinga could not store waits in the spool; any command that may write the
store records it before doing its own work, so nothing waits for the next notification.
A user who must not write the store (see ``store.access``) is refused before anything is
written, with the owner to run as.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.config.model import Config
from bridge.services.notifications import replay_spool, waiting
from bridge.store import spool
from bridge.store.access import NotWritable, check_writable
from bridge.store.unit_of_work import UnitOfWork, open_store


class StoreNotWritable(Exception):
    """This user must not write the store; ``refusal`` names the owner to run as."""

    def __init__(self, refusal: NotWritable) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


# How long a staff command may spend recording what waits before doing its own work; the
# rest is left to `vigie replay` (cron), which the command then names.
REPLAY_SECONDS = 5.0


@dataclass(frozen=True)
class OpenedStore:
    """A writing unit of work, how many waiting notifications were recorded first, and
    whether some still wait (the time was up)."""

    uow: UnitOfWork
    replayed: int | None
    still_waiting: bool = False


def open_for_writing(config: Config, now: datetime, replay: bool = True) -> OpenedStore:
    """The store, checked writable by this user (StoreNotWritable else), with what waits in
    the journal and the spool recorded first (within ``REPLAY_SECONDS``) unless ``replay``
    is False (the command is itself the replay)."""
    refusal = check_writable(config.store_path)
    if refusal is not None:
        raise StoreNotWritable(refusal)
    uow = open_store(config)
    if not replay:
        return OpenedStore(uow, None)
    spooled = spool.spool_path(config.store_path)
    replayed = replay_spool(uow, config, spooled, now, max_seconds=REPLAY_SECONDS)
    return OpenedStore(uow, replayed, replayed is not None and waiting(config, spooled))


def spool_waiting(config: Config) -> bool:
    """Whether notifications wait in the journal or the spool (a cheap look, for reading
    commands)."""
    return waiting(config, spool.spool_path(config.store_path))
